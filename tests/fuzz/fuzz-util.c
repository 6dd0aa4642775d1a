/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-util.h"

static char *tmpdir;

/* Nothing is displayed while fuzzing, and formatting every g_debug would
 * slow each run. A warning or a critical is a finding: abort () so that
 * libFuzzer records the input (GLib's own G_BREAKPOINT is a SIGTRAP, which
 * libFuzzer does not catch). */
static void
log_handler (const char     *log_domain,
             GLogLevelFlags  log_level,
             const char     *message,
             gpointer        user_data)
{
  if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE))
    {
      if (user_data != NULL)
        g_log_default_handler (log_domain, log_level, message, NULL);
      return;
    }

  /* GLib 2.74 sets a GError twice when a key file value holds an invalid
   * escape and ends in a backslash ("\q\"), inside g_key_file_get_string ():
   * a GLib bug the loaders cannot avoid, harmless outside G_DEBUG=fatal-warnings. */
  if (g_strcmp0 (log_domain, "GLib") == 0 && g_str_has_prefix (message, "GError set over the top") &&
      strstr (message, "escape character at end of line") != NULL)
    return;

  g_log_default_handler (log_domain, log_level, message, NULL);
  abort ();
}

static void
remove_tmpdir (void)
{
  if (tmpdir == NULL)
    return;
  pb_fuzz_clean_tmpdir ();
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

void
pb_fuzz_init (void)
{
  const char *base;

  /* PB_FUZZ_DEBUG=1 shows the core's debug messages, to see why an input
   * takes the path it takes. */
  if (g_getenv ("PB_FUZZ_DEBUG") != NULL)
    g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  else
    g_unsetenv ("G_MESSAGES_DEBUG");
  g_log_set_default_handler (log_handler, GINT_TO_POINTER (g_getenv ("PB_FUZZ_DEBUG") != NULL));
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);

  /* Loaders write and rename files for every input: a RAM disk keeps that
   * cheap, and nothing lands on the real disk. */
  base = g_getenv ("PB_FUZZ_TMPDIR");
  if (base == NULL && g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) &&
      g_access ("/dev/shm", W_OK) == 0)
    base = "/dev/shm";
  if (base == NULL)
    base = g_get_tmp_dir ();

  tmpdir = g_build_filename (base, "popbell-fuzz-XXXXXX", NULL);
  if (g_mkdtemp (tmpdir) == NULL)
    {
      fprintf (stderr, "Cannot create %s: %s\n", tmpdir, g_strerror (errno));
      abort ();
    }
  atexit (remove_tmpdir);

  /* Files the store modules resolve from the environment stay inside it too. */
  g_setenv ("HOME", tmpdir, TRUE);
  g_setenv ("XDG_CONFIG_HOME", tmpdir, TRUE);
  g_setenv ("XDG_STATE_HOME", tmpdir, TRUE);
}

const char *
pb_fuzz_get_tmpdir (void)
{
  g_assert (tmpdir != NULL);
  return tmpdir;
}

char *
pb_fuzz_write_file (const char   *name,
                    const guint8 *data,
                    gsize         size)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (pb_fuzz_get_tmpdir (), name, NULL);

  if (!g_file_set_contents (path, (const char *) data, size, &error))
    {
      fprintf (stderr, "Cannot write %s: %s\n", path, error->message);
      abort ();
    }
  return path;
}

void
pb_fuzz_clean_tmpdir (void)
{
  g_autoptr(GDir) dir = g_dir_open (pb_fuzz_get_tmpdir (), 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);

      g_unlink (path);
    }
}

void
pb_fuzz_fail (const char *where,
              const char *what)
{
  fprintf (stderr, "%s: invariant broken: %s\n", where, what);
  abort ();
}

gboolean
pb_fuzz_is_clean_text (const char *text)
{
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;

  return TRUE;
}
