/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>
#include <glib/gstdio.h>

#include "pb-account-store.h"
#include "pb-error.h"
#include "pb-files.h"
#include "pb-seen-store.h"
#include "pb-tls-trust.h"
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
  g_autofree char *stale = g_build_filename (dir, "accounts.ini.Ab3xYz.popbell-tmp", NULL);
  g_autofree char *fresh = g_build_filename (dir, "accounts.ini.Q1w2E3.popbell-tmp", NULL);
  g_autofree char *other = g_build_filename (dir, "trust.ini.Ab3xYz.popbell-tmp", NULL);
  g_autofree char *folder = g_build_filename (dir, "accounts.ini.Zz9Zz9.popbell-tmp", NULL);
  /* What a user may keep beside the file, all of it old: none of it is ours. */
  static const char *kept[] = {
    "accounts.ini.backup",           /* six letters, like a g_mkstemp name */
    "accounts.ini.Ab3xYz",           /* g_file_set_contents's own pattern */
    "accounts.ini.corrupt-20261128-101010",
    "accounts.ini~",
    "accounts.ini.old",
    "accounts.ini.Ab3x.popbell-tmp",
    "accounts.ini.Ab3x-z.popbell-tmp",
    "accounts.ini.Ab3xYz.popbell-tmp.backup",
    "notes.txt",
  };
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (stale, "half", -1, NULL));
  g_assert_true (g_file_set_contents (fresh, "busy", -1, NULL));
  g_assert_true (g_file_set_contents (other, "not ours", -1, NULL));
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  age (stale, 3600);
  age (other, 3600);
  age (folder, 3600);
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *keep = g_build_filename (dir, kept[i], NULL);

      g_assert_true (g_file_set_contents (keep, "the user's", -1, NULL));
      age (keep, 3600);
    }

  g_assert_true (pb_files_write_atomic (path, "[a]\n", -1, 0600, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *keep = g_build_filename (dir, kept[i], NULL);
      g_autofree char *contents = NULL;

      g_assert_true (g_file_get_contents (keep, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, "the user's");
    }

  /* Only an old temporary of this very file goes: a fresh one may belong to
   * a writer at work, another file's is not ours, a folder is never one. */
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
}

/* The writer's own temporaries have the name its clean-up looks for: a write that
 * is cut short leaves one that a later write removes. */
static void
test_temporaries_have_the_cleaned_name (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("files");
  g_autofree char *path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(GDir) listing = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  char *slot;
  int fd;

  g_assert_true (pb_files_write_atomic (path, "one", -1, 0600, &error));
  g_assert_no_error (error);

  /* A write cut short between creating its temporary and the rename is hard to
   * cause from here; a temporary made from the writer's own template stands in. */
  slot = g_build_filename (dir, "trust.ini.XXXXXX.popbell-tmp", NULL);
  fd = g_mkstemp_full (slot, O_WRONLY, 0600);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  age (slot, 3600);

  g_assert_true (pb_files_write_atomic (path, "two", -1, 0600, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (slot, G_FILE_TEST_EXISTS));
  g_free (slot);

  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    g_assert_cmpstr (name, ==, "trust.ini");
}

static void
test_read_missing_and_not_files (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("files");
  g_autofree char *missing = g_build_filename (dir, "missing.ini", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo.ini", NULL);
  g_autofree char *plain = g_build_filename (dir, "plain.ini", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  g_assert_false (pb_files_read (missing, &contents, &len, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_false (pb_files_read (dir, &contents, &len, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
  g_clear_error (&error);

  /* No writer ever opens it: a blocking open would hang here for good. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (pb_files_read (fifo, &contents, &len, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_nonnull (strstr (error->message, fifo));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (plain, "a\0b", 3, NULL));
  g_assert_true (pb_files_read (plain, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 3);
  g_assert_cmpmem (contents, 4, "a\0b", 4);
}

static void
test_write_leaves_non_files_alone (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("files");
  g_autofree char *fifo = g_build_filename (dir, "home.state", NULL);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (pb_files_write_atomic (fifo, "x", -1, 0600, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST);
  g_assert_cmpint (g_lstat (fifo, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));
  g_clear_error (&error);

  g_assert_false (pb_files_write_atomic (dir, "x", -1, 0600, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
}

/* The three stores, for the tests of a file that is there but can't be read. */
typedef enum
{
  STORE_ACCOUNTS,
  STORE_STATE,
  STORE_TRUST,
} StoreKind;

static const char *store_names[] = { "accounts.ini", "home.state", "trust.ini" };

typedef enum
{
  UNREADABLE_PERMISSION,
  UNREADABLE_DIRECTORY,
  UNREADABLE_FIFO,
} Unreadable;

typedef struct
{
  StoreKind  kind;
  Unreadable how;
} UnreadableCase;

static const char user_file[] = "# the user's own, to be kept\n";

static const char *
expect_load_fails (GError     *error,
                   const char *path)
{
  if (!g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_IO))
    return "load did not fail with PB_STORE_ERROR_IO";
  if (strstr (error->message, path) == NULL)
    return "the load error does not name the file";
  return NULL;
}

static const char *
expect_save_refused (GError     *error,
                     const char *path)
{
  if (!g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_IO))
    return "save did not fail with PB_STORE_ERROR_IO";
  if (strstr (error->message, path) == NULL)
    return "the save error does not name the file";
  return NULL;
}

/* Load, change something, save: the load reports the file, the save refuses to
 * replace it. No g_assert here: this also runs in a forked child, where a failed
 * assertion would write into the parent's TAP stream. Returns what went wrong. */
static const char *
load_and_save (StoreKind   kind,
               const char *path)
{
  g_autoptr(GError) error = NULL;
  const char *failure;

  switch (kind)
    {
    case STORE_ACCOUNTS:
      {
        g_autoptr(PbAccountStore) store = pb_account_store_new (path);
        g_autoptr(PbAccount) account = pb_account_new ("home");

        if (pb_account_store_load (store, &error))
          return "the account store loaded";
        if ((failure = expect_load_fails (error, path)) != NULL)
          return failure;
        g_clear_error (&error);
        pb_account_set_host (account, "pop.example.com");
        pb_account_set_user (account, "ann");
        if (!pb_account_store_add (store, account, &error))
          return "adding an account failed";
        if (pb_account_store_save (store, &error))
          return "the account store saved over the file";
        return expect_save_refused (error, path);
      }

    case STORE_STATE:
      {
        g_autoptr(PbSeenStore) store = pb_seen_store_new (path);
        const char *uidls[] = { "1", "2" };

        if (pb_seen_store_load (store, &error))
          return "the state store loaded";
        if ((failure = expect_load_fails (error, path)) != NULL)
          return failure;
        g_clear_error (&error);
        pb_seen_store_record_check (store, uidls, 2, 2, NULL);
        if (pb_seen_store_save (store, &error))
          return "the state store saved over the file";
        return expect_save_refused (error, path);
      }

    case STORE_TRUST:
      {
        g_autoptr(PbTrustStore) store = pb_trust_store_new (path);

        if (pb_trust_store_load (store, &error))
          return "the trust store loaded";
        if ((failure = expect_load_fails (error, path)) != NULL)
          return failure;
        g_clear_error (&error);
        if (pb_trust_store_save (store, &error))
          return "the trust store saved over the file";
        return expect_save_refused (error, path);
      }
    }

  g_assert_not_reached ();
}

/* Tests run as root, where mode 000 stops nobody: the permission case drops to
 * "nobody" in a forked child, so that open() really fails with EACCES. */
static void
run_as_nobody (StoreKind   kind,
               const char *dir,
               const char *path)
{
  struct passwd *nobody = getpwnam ("nobody");
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  pid_t pid;
  int status;
  int verdict[2];
  char answer[8];
  gssize got;

  if (getuid () == 0)
    {
      g_assert_nonnull (nobody);
      uid = nobody->pw_uid;
      gid = nobody->pw_gid;
      g_assert_cmpint (chown (dir, uid, gid), ==, 0);
      g_assert_cmpint (chown (path, uid, gid), ==, 0);
    }
  g_assert_cmpint (g_chmod (path, 0), ==, 0);

  /* The child's verdict comes through a pipe, not its exit status: under
   * valgrind a forked child's exit status is valgrind's (what the child
   * never freed before _exit counts as a leak there). */
  g_assert_cmpint (pipe (verdict), ==, 0);
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      const char *failure;

      close (verdict[0]);
      if (getuid () == 0 && (setgroups (0, NULL) != 0 || setgid (gid) != 0 || setuid (uid) != 0))
        {
          fprintf (stderr, "could not become nobody: %s\n", g_strerror (errno));
          _exit (2);
        }
      if (access (path, R_OK) == 0)
        {
          fprintf (stderr, "%s is still readable\n", path);
          _exit (3);
        }
      failure = load_and_save (kind, path);
      if (failure != NULL)
        {
          fprintf (stderr, "%s\n", failure);
          _exit (1);
        }
      if (write (verdict[1], "ok", 2) != 2)
        _exit (4);
      _exit (0);
    }

  close (verdict[1]);
  got = read (verdict[0], answer, sizeof answer);
  close (verdict[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (got, ==, 2);
  g_assert_cmpmem (answer, 2, "ok", 2);
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
}

static void
test_unreadable_is_kept (gconstpointer data)
{
  const UnreadableCase *c = data;
  /* Under /tmp, not the test folder: "nobody" must be able to reach it. */
  g_autofree char *dir = g_dir_make_tmp ("popbell-unreadable-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, store_names[c->kind], NULL);
  g_autofree char *inside = g_build_filename (path, "inside", NULL);
  g_autoptr(GDir) listing = NULL;
  g_autofree char *contents = NULL;
  const char *name;
  GStatBuf st;

  g_assert_nonnull (dir);
  switch (c->how)
    {
    case UNREADABLE_PERMISSION:
      g_assert_true (g_file_set_contents (path, user_file, -1, NULL));
      run_as_nobody (c->kind, dir, path);
      g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, user_file);
      break;

    case UNREADABLE_DIRECTORY:
      g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
      g_assert_true (g_file_set_contents (inside, user_file, -1, NULL));
      g_assert_null (load_and_save (c->kind, path));
      g_assert_true (g_file_get_contents (inside, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, user_file);
      break;

    case UNREADABLE_FIFO:
      g_assert_cmpint (mkfifo (path, 0600), ==, 0);
      g_assert_null (load_and_save (c->kind, path));
      g_assert_cmpint (g_lstat (path, &st), ==, 0);
      g_assert_true (S_ISFIFO (st.st_mode));
      break;
    }

  /* Not set aside as corrupt, and no copy or temporary beside it. */
  listing = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    g_assert_cmpstr (name, ==, store_names[c->kind]);

  pb_test_rm_rf (dir);
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
  g_test_add_func ("/pb/files/temporaries-have-the-cleaned-name",
                   test_temporaries_have_the_cleaned_name);
  g_test_add_func ("/pb/files/read/missing-and-not-files", test_read_missing_and_not_files);
  g_test_add_func ("/pb/files/write/leaves-non-files-alone", test_write_leaves_non_files_alone);

  {
    static const char *kinds[] = { "accounts", "state", "trust" };
    static const char *hows[] = { "permission", "directory", "fifo" };
    static UnreadableCase cases[G_N_ELEMENTS (kinds) * G_N_ELEMENTS (hows)];

    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      for (guint h = 0; h < G_N_ELEMENTS (hows); h++)
        {
          UnreadableCase *c = &cases[k * G_N_ELEMENTS (hows) + h];
          g_autofree char *test_path = g_strdup_printf ("/pb/files/unreadable/%s/%s/is-kept",
                                                        kinds[k], hows[h]);

          c->kind = k;
          c->how = h;
          g_test_add_data_func (test_path, c, test_unreadable_is_kept);
        }
  }

  return g_test_run ();
}
