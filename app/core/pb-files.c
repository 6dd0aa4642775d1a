/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-files"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
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

/* g_file_set_contents_full writes "NAME.XXXXXX" and renames it over NAME; a
 * process killed in between leaves it behind. No loader reads such a file,
 * but they would pile up: remove the ones old enough that no writer can
 * still be busy with them. */
static void
remove_stale_temporaries (const char *path)
{
  g_autofree char *dir_path = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  gsize base_len = strlen (base);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *candidate = NULL;
      GStatBuf st;
      gboolean temporary = strlen (name) == base_len + 7 &&
                           strncmp (name, base, base_len) == 0 && name[base_len] == '.';

      for (gsize i = base_len + 1; temporary && name[i] != '\0'; i++)
        temporary = g_ascii_isalnum (name[i]);
      if (!temporary)
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

gboolean
pb_files_write_atomic (const char  *path,
                       const char  *contents,
                       gssize       len,
                       int          mode,
                       GError     **error)
{
  g_autofree char *dir = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL || len == 0, FALSE);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  remove_stale_temporaries (path);

  /* CONSISTENT writes a temporary file and renames it over @path; DURABLE adds
   * the fsync before the rename so a crash leaves the old or the new file. */
  return g_file_set_contents_full (path, contents ? contents : "", len,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   mode, error);
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
