/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-files"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pb-error.h"
#include "pb-files.h"

char *
pb_files_config_dir (void)
{
  return g_build_filename (g_get_user_config_dir (), "popbell", NULL);
}

char *
pb_files_state_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "popbell", NULL);
}

/* The atomic writer's temporary names: "NAME.XXXXXX.popbell-tmp", six characters from
 * g_mkstemp's alphabet in the middle. The suffix is what makes them ours: the plain
 * "NAME.XXXXXX" that g_file_set_contents writes can't be told from a user's own
 * "accounts.ini.backup", and the clean-up below must never take that. */
#define TEMPORARY_SUFFIX ".popbell-tmp"
#define TEMPORARY_RANDOM_LEN 6

static gboolean
is_temporary_name (const char *name,
                   const char *base)
{
  gsize base_len = strlen (base);
  gsize suffix_len = strlen (TEMPORARY_SUFFIX);

  if (strlen (name) != base_len + 1 + TEMPORARY_RANDOM_LEN + suffix_len ||
      strncmp (name, base, base_len) != 0 || name[base_len] != '.' ||
      strcmp (name + base_len + 1 + TEMPORARY_RANDOM_LEN, TEMPORARY_SUFFIX) != 0)
    return FALSE;

  for (gsize i = base_len + 1; i < base_len + 1 + TEMPORARY_RANDOM_LEN; i++)
    if (!g_ascii_isalnum (name[i]))
      return FALSE;
  return TRUE;
}

/* A process killed between writing the temporary file and the rename leaves it
 * behind. No loader reads such a file, but they would pile up: remove the ones old
 * enough that no writer can still be busy with them. */
static void
remove_stale_temporaries (const char *path)
{
  g_autofree char *dir_path = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *candidate = NULL;
      GStatBuf st;

      if (!is_temporary_name (name, base))
        continue;

      candidate = g_build_filename (dir_path, name, NULL);
      if (g_lstat (candidate, &st) == 0 && S_ISREG (st.st_mode) && st.st_mtime < now - 60)
        {
          g_debug ("Removing %s, left behind by an interrupted write", candidate);
          g_unlink (candidate);
        }
    }
  g_dir_close (dir);
}

/* A macro, not a function, so that the compiler still checks each format. */
#define set_errno_error(error, saved_errno, format, path) \
  g_set_error ((error), G_FILE_ERROR, g_file_error_from_errno (saved_errno), (format), (path), \
               g_strerror (saved_errno))

gboolean
pb_files_read (const char  *path,
               char       **contents,
               gsize       *length,
               GError     **error)
{
  g_autoptr(GByteArray) data = NULL;
  GStatBuf st;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* O_NONBLOCK: a FIFO in the file's place must give an error, not hang the caller
   * until some writer opens it. It changes nothing for a regular file. */
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0)
    {
      set_errno_error (error, errno, _("Could not open %s: %s"), path);
      return FALSE;
    }

  if (fstat (fd, &st) != 0)
    {
      set_errno_error (error, errno, _("Could not read %s: %s"), path);
      g_close (fd, NULL);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR,
                   S_ISDIR (st.st_mode) ? G_FILE_ERROR_ISDIR : G_FILE_ERROR_INVAL,
                   _("Could not read %s: it is not a regular file"), path);
      g_close (fd, NULL);
      return FALSE;
    }

  data = g_byte_array_sized_new (st.st_size > 0 && st.st_size < G_MAXINT ? st.st_size + 1 : 4096);
  for (;;)
    {
      guint8 chunk[8192];
      gssize n = read (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_errno_error (error, errno, _("Could not read %s: %s"), path);
          g_close (fd, NULL);
          return FALSE;
        }
      if (n == 0)
        break;
      g_byte_array_append (data, chunk, n);
    }
  g_close (fd, NULL);

  if (length != NULL)
    *length = data->len;
  g_byte_array_append (data, (const guint8 *) "", 1);
  *contents = (char *) g_byte_array_free (g_steal_pointer (&data), FALSE);
  return TRUE;
}

static gboolean
write_all (int          fd,
           const char  *contents,
           gsize        len)
{
  while (len > 0)
    {
      gssize n = write (fd, contents, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      contents += n;
      len -= n;
    }
  return TRUE;
}

gboolean
pb_files_write_atomic (const char  *path,
                       const char  *contents,
                       gssize       len,
                       int          mode,
                       GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *temporary = NULL;
  GStatBuf st;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL || len == 0, FALSE);

  if (contents == NULL)
    contents = "";
  if (len < 0)
    len = strlen (contents);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      set_errno_error (error, errno, _("Could not create the folder %s: %s"), dir);
      return FALSE;
    }

  remove_stale_temporaries (path);

  /* The rename would replace a FIFO, a socket or a device node the user put there;
   * such a thing is not ours to remove. */
  if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR,
                   S_ISDIR (st.st_mode) ? G_FILE_ERROR_ISDIR : G_FILE_ERROR_EXIST,
                   _("Could not write %s: something other than a file is in its place"), path);
      return FALSE;
    }

  temporary = g_strconcat (path, ".XXXXXX" TEMPORARY_SUFFIX, NULL);
  fd = g_mkstemp_full (temporary, O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0)
    {
      set_errno_error (error, errno, _("Could not write %s: %s"), path);
      return FALSE;
    }

  /* fsync before the rename, so that a crash leaves the old file or the new one,
   * never a renamed file whose blocks are not on disk yet. */
  if (!write_all (fd, contents, len) || fsync (fd) != 0)
    {
      int saved_errno = errno;

      g_close (fd, NULL);
      g_unlink (temporary);
      set_errno_error (error, saved_errno, _("Could not write %s: %s"), path);
      return FALSE;
    }
  if (!g_close (fd, NULL))
    {
      int saved_errno = errno;

      g_unlink (temporary);
      set_errno_error (error, saved_errno, _("Could not write %s: %s"), path);
      return FALSE;
    }
  if (g_rename (temporary, path) != 0)
    {
      int saved_errno = errno;

      g_unlink (temporary);
      set_errno_error (error, saved_errno, _("Could not write %s: %s"), path);
      return FALSE;
    }
  return TRUE;
}

void
pb_files_set_unreadable_error (GError     **error,
                               const char  *path,
                               const char  *reason)
{
  g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO,
               _("Nothing was saved, so that %s, which could not be read, is not overwritten: %s"),
               path, reason);
}

char *
pb_files_set_aside (const char  *path,
                    GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *target = NULL;

      if (i == 0)
        target = g_strdup_printf ("%s.corrupt-%s", path, stamp);
      else
        target = g_strdup_printf ("%s.corrupt-%s-%u", path, stamp, i);

      if (g_file_test (target, G_FILE_TEST_EXISTS))
        continue;

      if (g_rename (path, target) != 0)
        {
          int saved_errno = errno;
          g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO,
                       _("Could not move %s aside: %s"), path, g_strerror (saved_errno));
          return NULL;
        }

      g_debug ("Set aside the unreadable file %s as %s", path, target);
      return g_steal_pointer (&target);
    }

  g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO,
               _("Could not move %s aside: too many earlier copies"), path);
  return NULL;
}
