/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <glib/gstdio.h>

#include "pb-test-util.h"

static char *test_tmpdir;

static void
remove_tmpdir (void)
{
  if (test_tmpdir != NULL && g_getenv ("PB_TEST_KEEP_TMP") == NULL)
    pb_test_rm_rf (test_tmpdir);
}

void
pb_test_init (int    *argc,
              char ***argv)
{
  static const char *subdirs[][2] = {
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_RUNTIME_DIR", "runtime" },
  };
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (argc, argv, NULL);

  test_tmpdir = g_dir_make_tmp ("popbell-test-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_tmpdir);

  g_setenv ("HOME", test_tmpdir, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (test_tmpdir, subdirs[i][1], NULL);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_setenv (subdirs[i][0], dir, TRUE);
    }
}

const char *
pb_test_get_tmpdir (void)
{
  g_assert_nonnull (test_tmpdir);
  return test_tmpdir;
}

char *
pb_test_mkdtemp (const char *prefix)
{
  g_autofree char *tmpl = g_strdup_printf ("%s/%s-XXXXXX", pb_test_get_tmpdir (), prefix);
  char *dir = g_mkdtemp (g_steal_pointer (&tmpl));

  g_assert_nonnull (dir);
  return dir;
}

void
pb_test_rm_rf (const char *path)
{
  GDir *dir;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }

  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          pb_test_rm_rf (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

char *
pb_test_cert_path (const char *name)
{
  const char *dir = g_getenv ("PB_TEST_CERTS");

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

GTlsCertificate *
pb_test_load_certificate (const char *name)
{
  g_autofree char *path = pb_test_cert_path (name);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *cert = g_tls_certificate_new_from_file (path, &error);

  g_assert_no_error (error);
  return cert;
}

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
pb_test_wait_for (gboolean *done,
                  guint     seconds)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (seconds, on_timeout, &timed_out);

  while (!*done && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);
  if (!*done)
    g_error ("Timed out after %u s waiting for an asynchronous result", seconds);
}

void
pb_test_store_result (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

void
pb_test_wait_result (GAsyncResult **result,
                     guint          seconds)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (seconds, on_timeout, &timed_out);

  while (*result == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);
  if (*result == NULL)
    g_error ("Timed out after %u s waiting for an asynchronous result", seconds);
}

guint16
pb_test_free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}
