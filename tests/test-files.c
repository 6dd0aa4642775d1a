/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/stat.h>
#include <utime.h>
#include <glib/gstdio.h>

#include "pb-error.h"
#include "pb-files.h"
#include "pb-test-util.h"

static void
age (const char *path,
     gint64      seconds)
{
  struct utimbuf times;

  times.actime = times.modtime = g_get_real_time () / G_USEC_PER_SEC - seconds;
  g_assert_cmpint (utime (path, &times), ==, 0);
}

static void
test_write_creates_folder_and_mode (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("files");
  g_autofree char *path = g_build_filename (dir, "a", "b", "state", NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_true (pb_files_write_atomic (path, "hello", -1, 0600, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "hello");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (parent, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

static void
test_stale_temporaries_are_removed (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("files");
  g_autofree char *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *stale = g_build_filename (dir, "accounts.ini.Ab3xYz", NULL);
  g_autofree char *fresh = g_build_filename (dir, "accounts.ini.Q1w2E3", NULL);
  g_autofree char *corrupt = g_build_filename (dir, "accounts.ini.corrupt-20261128-101010", NULL);
  g_autofree char *other = g_build_filename (dir, "trust.ini.Ab3xYz", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (stale, "half", -1, NULL));
  g_assert_true (g_file_set_contents (fresh, "busy", -1, NULL));
  g_assert_true (g_file_set_contents (corrupt, "kept", -1, NULL));
  g_assert_true (g_file_set_contents (other, "not ours", -1, NULL));
  age (stale, 3600);
  age (corrupt, 3600);
  age (other, 3600);

  g_assert_true (pb_files_write_atomic (path, "[a]\n", -1, 0600, &error));
  g_assert_no_error (error);

  /* Only an old temporary of this very file goes: a fresh one may belong to
   * a writer at work, a set-aside copy is the user's, another file's is not ours. */
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (corrupt, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
}

static void
test_set_aside_never_overwrites (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("files");
  g_autofree char *path = g_build_filename (dir, "x.state", NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "one", -1, NULL));
  first = pb_files_set_aside (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, path));
  g_assert_nonnull (strstr (first, ".corrupt-"));

  g_assert_true (g_file_set_contents (path, "two", -1, NULL));
  second = pb_files_set_aside (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, !=, second);
  g_assert_true (g_file_get_contents (first, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "one");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_null (pb_files_set_aside (path, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO);
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/files/write-creates-folder-and-mode", test_write_creates_folder_and_mode);
  g_test_add_func ("/pb/files/stale-temporaries-are-removed", test_stale_temporaries_are_removed);
  g_test_add_func ("/pb/files/set-aside-never-overwrites", test_set_aside_never_overwrites);

  return g_test_run ();
}
