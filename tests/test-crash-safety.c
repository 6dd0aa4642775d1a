/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The files Popbell keeps survive being killed in the middle of a write, and
 * a file that is corrupt anyway is set aside, never overwritten. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pb-account-store.h"
#include "pb-error.h"
#include "pb-seen-store.h"
#include "pb-test-util.h"
#include "pb-tls-trust.h"

#define KILL_ROUNDS 3000
#define SEED 0x5eed1e55

/* ---- What the writer writes in round @k ------------------------------------ */

/* Each file says which round wrote it, and everything in it must then be
 * exactly what that round writes: a mix of two rounds is a torn file. */

static guint
n_accounts_for (guint k)
{
  return 1 + k % 40;
}

static guint
n_pins_for (guint k)
{
  return 1 + k % 7;
}

static guint
n_uidls_for (guint k)
{
  return 500 + (k * 37) % 4000;
}

static const char * const cert_names[] = {
  "server.pem", "server2.pem", "self-signed.pem", "unknown-ca.pem",
};

typedef struct
{
  char            *dir;
  char            *accounts_path;
  char            *trust_path;
  char            *state_path;
  GTlsCertificate *certs[G_N_ELEMENTS (cert_names)];
} Files;

/* A kill, unlike a power cut, leaves the page cache alone: what matters is
 * the order of the writes and the rename, not fsync. On tmpfs, where fsync
 * costs nothing, many more kills fit in the time. */
static char *
make_files_dir (void)
{
  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && access ("/dev/shm", W_OK) == 0)
    {
      char *dir = g_strdup ("/dev/shm/popbell-crash-XXXXXX");

      if (g_mkdtemp (dir) != NULL)
        return dir;
      g_free (dir);
    }
  return pb_test_mkdtemp ("crash");
}

static void
files_init (Files *files)
{
  files->dir = make_files_dir ();
  files->accounts_path = g_build_filename (files->dir, "accounts.ini", NULL);
  files->trust_path = g_build_filename (files->dir, "trust.ini", NULL);
  files->state_path = g_build_filename (files->dir, "home.state", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cert_names); i++)
    files->certs[i] = pb_test_load_certificate (cert_names[i]);
}

static void
files_clear (Files *files)
{
  pb_test_rm_rf (files->dir);
  g_free (files->dir);
  g_free (files->accounts_path);
  g_free (files->trust_path);
  g_free (files->state_path);
  for (guint i = 0; i < G_N_ELEMENTS (cert_names); i++)
    g_clear_object (&files->certs[i]);
}

/* A save writes what this store changed over what the file holds now, so a
 * round that means to replace every pin says so: it reads the pins there and
 * removes them, and what it then writes is exactly its own. */
static void
forget_every_pin (PbTrustStore *pins)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;

  if (!pb_trust_store_load (pins, &error))
    g_error ("trust.ini before a save: %s", error->message);
  keys = pb_trust_store_list_keys (pins);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *colon = strrchr (keys[i], ':');
      g_autofree char *host = g_strndup (keys[i], colon - keys[i]);
      guint16 port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);

      g_assert_true (pb_trust_store_remove (pins, host, port, &error));
    }
}

static void
write_round (Files *files,
             guint  k)
{
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (files->accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (files->trust_path);
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (files->state_path);
  g_autoptr(GPtrArray) uidls = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *name = g_strdup_printf ("Round %u", k);
  g_autoptr(GError) error = NULL;
  guint n;

  n = n_accounts_for (k);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("account-%u", i);
      g_autoptr(PbAccount) account = pb_account_new (id);

      pb_account_set_display_name (account, name);
      pb_account_set_host (account, "pop.example.org");
      pb_account_set_user (account, "someone@example.org");
      pb_account_set_interval (account, 1 + k % 1000);
      g_assert_true (pb_account_store_add (accounts, account, &error));
    }
  g_assert_true (pb_account_store_save (accounts, &error));

  /* The port of every pin is the round. */
  forget_every_pin (pins);
  n = n_pins_for (k);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *host = g_strdup_printf ("pop%u.example.org", i);

      pb_trust_store_add (pins, host, 1 + k % 65000,
                          files->certs[(k + i) % G_N_ELEMENTS (cert_names)]);
    }
  g_assert_true (pb_trust_store_save (pins, &error));

  /* The message count is the round. */
  n = n_uidls_for (k);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (uidls, g_strdup_printf ("uid-%u-%u-%s", k, i, "0123456789abcdef"));
  pb_seen_store_record_check (seen, (const char * const *) uidls->pdata, uidls->len, k, NULL);
  g_assert_true (pb_seen_store_save (seen, &error));
  g_assert_no_error (error);
}

/* ---- The checks after a kill ------------------------------------------------ */

/* Loads each file with the real loader: none may be corrupt, and each must
 * be all of one round. Returns how many files were there; *@state_round
 * says which round wrote the state. */
static guint
check_files (Files *files,
             guint *state_round)
{
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (files->accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (files->trust_path);
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (files->state_path);
  g_autoptr(GError) error = NULL;
  guint present = 0;

  if (!pb_account_store_load (accounts, &error))
    g_error ("accounts.ini after a kill: %s", error->message);
  if (g_file_test (files->accounts_path, G_FILE_TEST_EXISTS))
    {
      GPtrArray *list = pb_account_store_get_accounts (accounts);
      const char *name;
      guint k;

      present++;
      g_assert_cmpuint (list->len, >, 0);
      name = pb_account_get_display_name (g_ptr_array_index (list, 0));
      g_assert_true (g_str_has_prefix (name, "Round "));
      k = (guint) g_ascii_strtoull (name + strlen ("Round "), NULL, 10);
      g_assert_cmpuint (list->len, ==, n_accounts_for (k));
      for (guint i = 0; i < list->len; i++)
        {
          PbAccount *account = g_ptr_array_index (list, i);

          g_assert_cmpstr (pb_account_get_display_name (account), ==, name);
          g_assert_cmpuint (pb_account_get_interval (account), ==, 1 + k % 1000);
        }
    }

  if (!pb_trust_store_load (pins, &error))
    g_error ("trust.ini after a kill: %s", error->message);
  if (g_file_test (files->trust_path, G_FILE_TEST_EXISTS))
    {
      g_auto(GStrv) keys = pb_trust_store_list_keys (pins);
      guint n = g_strv_length (keys);
      const char *colon;
      guint port;

      present++;
      g_assert_cmpuint (n, >, 0);
      colon = strrchr (keys[0], ':');
      g_assert_nonnull (colon);
      port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
      g_assert_cmpuint (n, ==, n_pins_for (port - 1));
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *host = g_strdup_printf ("pop%u.example.org", i);
          g_autoptr(GTlsCertificate) cert = pb_trust_store_get_certificate (pins, host, port);

          g_assert_nonnull (cert);
          g_assert_nonnull (pb_trust_store_get_fingerprint (pins, host, port));
        }
    }

  if (!pb_seen_store_load (seen, &error))
    g_error ("the state after a kill: %s", error->message);
  if (g_file_test (files->state_path, G_FILE_TEST_EXISTS))
    {
      guint k, n;
      g_autofree char *first = NULL;
      g_autofree char *last = NULL;

      present++;
      g_assert_true (pb_seen_store_is_initialized (seen));
      k = (guint) pb_seen_store_get_last_total (seen);
      *state_round = k;
      n = n_uidls_for (k);
      first = g_strdup_printf ("uid-%u-%u-%s", k, 0, "0123456789abcdef");
      last = g_strdup_printf ("uid-%u-%u-%s", k, n - 1, "0123456789abcdef");
      g_assert_cmpuint (pb_seen_store_get_n_seen (seen), ==, n);
      g_assert_true (pb_seen_store_contains (seen, first));
      g_assert_true (pb_seen_store_contains (seen, last));
    }

  return present;
}

/* Files other than the three: temporary files of writes that were cut short.
 * None may have a name a loader reads (the file itself, or another *.state
 * that would look like an account's state); they are removed and counted. */
static guint
sweep_leftovers (Files *files)
{
  g_autoptr(GDir) dir = g_dir_open (files->dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (strcmp (name, "accounts.ini") == 0 || strcmp (name, "trust.ini") == 0 ||
          strcmp (name, "home.state") == 0)
        continue;

      g_assert_false (g_str_has_suffix (name, ".state"));
      g_assert_false (g_str_has_suffix (name, ".ini"));
      g_assert_null (strstr (name, ".corrupt-"));
      path = g_build_filename (files->dir, name, NULL);
      g_assert_cmpint (g_unlink (path), ==, 0);
      n++;
    }
  return n;
}

/* Time for one round of writing, to aim the kills at it. */
static gint64
time_one_round (Files *files)
{
  gint64 begin = g_get_monotonic_time ();

  for (guint k = 0; k < 5; k++)
    write_round (files, k);
  return MAX ((g_get_monotonic_time () - begin) / 5, 100);
}

static void
test_kill_while_writing (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  Files files = { 0 };
  gint64 round_us;
  guint leftovers = 0;
  guint loaded_files = 0;
  guint killed_in_round = 0;
  guint written_by_child = 0;
  gint64 begin = g_get_monotonic_time ();

  files_init (&files);
  round_us = time_one_round (&files);
  g_test_message ("one round of three saves takes %" G_GINT64_FORMAT " µs", round_us);

  for (guint i = 0; i < KILL_ROUNDS; i++)
    {
      /* Ports are 1 + round % 65000: stay below, so a port names one round. */
      guint first_round = g_rand_int_range (rand, 0, 60000);
      /* A child starts in about a millisecond, then writes round after
       * round: the kills fall before, during and between the writes. */
      gulong delay = (gulong) g_rand_int_range (rand, 0, (gint32) MIN (1000 + round_us * 5, 30000));
      guint state_round = G_MAXUINT;
      int status = 0;
      pid_t pid;

      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          /* The writer never returns: it is killed. */
          for (guint k = first_round;; k++)
            write_round (&files, k);
        }

      g_usleep (delay);
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      /* Killed, not failed on its own. */
      g_assert_true (WIFSIGNALED (status));
      g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
      killed_in_round++;

      loaded_files += check_files (&files, &state_round);
      if (state_round >= first_round && state_round < first_round + 10000)
        written_by_child++;
      leftovers += sweep_leftovers (&files);

      if (g_get_monotonic_time () - begin > 50 * G_USEC_PER_SEC)
        {
          g_test_message ("stopping early to stay within the time budget");
          break;
        }
    }

  g_test_message ("%u kills, %u files loaded intact, %u states written by the killed child, "
                  "%u temporary files left behind",
                  killed_in_round, loaded_files, written_by_child, leftovers);
  g_assert_cmpuint (killed_in_round, >=, 500);
  g_assert_cmpuint (loaded_files, ==, 3 * killed_in_round);
  /* The kills fell on writes in progress, not only before the first one. */
  g_assert_cmpuint (written_by_child, >, killed_in_round / 4);
  g_assert_cmpuint (leftovers, >, 0);
  files_clear (&files);
}

/* ---- Corrupt files ---------------------------------------------------------- */

typedef enum
{
  STORE_ACCOUNTS,
  STORE_TRUST,
  STORE_STATE,
} StoreKind;

static const char garbage[] =
  "[broken group\n\x01\x02 not a key file \xff\xfe\x00 and not a state either\n=\n";

static gboolean
load_store (StoreKind    kind,
            const char  *path,
            GError     **error)
{
  switch (kind)
    {
    case STORE_ACCOUNTS:
      {
        g_autoptr(PbAccountStore) store = pb_account_store_new (path);
        return pb_account_store_load (store, error);
      }
    case STORE_TRUST:
      {
        g_autoptr(PbTrustStore) store = pb_trust_store_new (path);
        return pb_trust_store_load (store, error);
      }
    case STORE_STATE:
    default:
      {
        g_autoptr(PbSeenStore) store = pb_seen_store_new (path);
        return pb_seen_store_load (store, error);
      }
    }
}

/* A fresh store with one entry, saved over the (set aside) path. */
static void
save_fresh_store (StoreKind   kind,
                  const char *path)
{
  g_autoptr(GError) error = NULL;

  switch (kind)
    {
    case STORE_ACCOUNTS:
      {
        g_autoptr(PbAccountStore) store = pb_account_store_new (path);
        g_autoptr(PbAccount) account = pb_account_new ("fresh");

        g_assert_true (pb_account_store_load (store, &error));
        pb_account_set_host (account, "pop.example.org");
        pb_account_set_user (account, "fresh");
        g_assert_true (pb_account_store_add (store, account, &error));
        g_assert_true (pb_account_store_save (store, &error));
      }
      break;
    case STORE_TRUST:
      {
        g_autoptr(PbTrustStore) store = pb_trust_store_new (path);
        g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("self-signed.pem");

        g_assert_true (pb_trust_store_load (store, &error));
        pb_trust_store_add (store, "pop.example.org", 995, cert);
        g_assert_true (pb_trust_store_save (store, &error));
      }
      break;
    case STORE_STATE:
    default:
      {
        g_autoptr(PbSeenStore) store = pb_seen_store_new (path);
        const char *uidls[] = { "fresh" };

        g_assert_true (pb_seen_store_load (store, &error));
        pb_seen_store_record_check (store, uidls, 1, 1, NULL);
        g_assert_true (pb_seen_store_save (store, &error));
      }
      break;
    }
  g_assert_no_error (error);
}

static GPtrArray *
list_set_aside (const char *path)
{
  g_autofree char *dirname = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *prefix = g_strconcat (base, ".corrupt-", NULL);
  g_autoptr(GDir) dir = g_dir_open (dirname, 0, NULL);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix))
      g_ptr_array_add (found, g_build_filename (dirname, name, NULL));
  g_ptr_array_sort (found, (GCompareFunc) g_strcmp0);
  return found;
}

static void
assert_file_bytes (const char *path,
                   const char *expected,
                   gsize       len)
{
  g_autofree char *contents = NULL;
  gsize got = 0;

  g_assert_true (g_file_get_contents (path, &contents, &got, NULL));
  g_assert_cmpmem (contents, got, expected, len);
}

static void
test_corrupt_file_set_aside (gconstpointer user_data)
{
  StoreKind kind = GPOINTER_TO_INT (user_data);
  static const char * const names[] = { "accounts.ini", "trust.ini", "home.state" };
  g_autofree char *dir = pb_test_mkdtemp ("corrupt");
  g_autofree char *path = g_build_filename (dir, names[kind], NULL);
  g_autofree char *second_garbage = g_strdup_printf ("%s and once more", garbage);
  g_autoptr(GPtrArray) aside = NULL;
  g_autoptr(GPtrArray) aside_again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  GStatBuf before, after;

  g_assert_true (g_file_set_contents (path, garbage, sizeof garbage - 1, NULL));
  g_assert_false (load_store (kind, path, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT);

  /* Moved, not copied or rewritten: the exact bytes, under a name the
   * error gives. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  aside = list_set_aside (path);
  g_assert_cmpuint (aside->len, ==, 1);
  g_assert_nonnull (strstr (error->message, aside->pdata[0]));
  assert_file_bytes (aside->pdata[0], garbage, sizeof garbage - 1);
  g_assert_cmpint (g_stat (aside->pdata[0], &before), ==, 0);

  /* A later save writes a fresh file and leaves the copy alone. */
  save_fresh_store (kind, path);
  g_assert_true (load_store (kind, path, NULL));
  assert_file_bytes (aside->pdata[0], garbage, sizeof garbage - 1);
  g_assert_cmpint (g_stat (aside->pdata[0], &after), ==, 0);
  g_assert_cmpint (before.st_ino, ==, after.st_ino);
  g_assert_cmpint (before.st_mtime, ==, after.st_mtime);

  /* Corrupt again within the same second: a second copy, the first kept. */
  g_assert_true (g_file_set_contents (path, second_garbage, -1, NULL));
  g_assert_false (load_store (kind, path, &again));
  g_assert_error (again, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT);
  aside_again = list_set_aside (path);
  g_assert_cmpuint (aside_again->len, ==, 2);
  assert_file_bytes (aside->pdata[0], garbage, sizeof garbage - 1);
  for (guint i = 0; i < aside_again->len; i++)
    if (strcmp (aside_again->pdata[i], aside->pdata[0]) != 0)
      assert_file_bytes (aside_again->pdata[i], second_garbage, strlen (second_garbage));

  pb_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/crash-safety/killed-while-writing-leaves-old-or-new-files",
                   test_kill_while_writing);
  g_test_add_data_func ("/pb/crash-safety/corrupt/accounts-set-aside-never-overwritten",
                        GINT_TO_POINTER (STORE_ACCOUNTS), test_corrupt_file_set_aside);
  g_test_add_data_func ("/pb/crash-safety/corrupt/trust-set-aside-never-overwritten",
                        GINT_TO_POINTER (STORE_TRUST), test_corrupt_file_set_aside);
  g_test_add_data_func ("/pb/crash-safety/corrupt/state-set-aside-never-overwritten",
                        GINT_TO_POINTER (STORE_STATE), test_corrupt_file_set_aside);

  return g_test_run ();
}
