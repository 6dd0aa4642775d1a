/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one-shot command line, run as a user or a script would: the real binary
 * with a real keyring on a private bus and a private Dovecot. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>

#include "pb-dovecot.h"
#include "pb-tls-trust.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"

#define PASSWORD "s3cret-canary-Passw0rd"

static PbDovecot *dovecot;

typedef struct
{
  PbTestKeyring *keyring;
  char          *home;
  char          *config_dir;
  char          *state_dir;
  char          *user;
  char          *port;
  char          *ca_file;
} Fixture;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  static guint counter;
  g_autoptr(GError) error = NULL;

  fixture->keyring = data ? pb_test_keyring_new_no_service () : pb_test_keyring_new ();
  fixture->home = pb_test_mkdtemp ("home");
  fixture->config_dir = g_build_filename (fixture->home, "config", NULL);
  fixture->state_dir = g_build_filename (fixture->home, "state", NULL);
  fixture->ca_file = pb_test_cert_path ("ca.crt");
  fixture->user = g_strdup_printf ("cli%u", ++counter);

  if (dovecot != NULL)
    {
      pb_dovecot_add_user (dovecot, fixture->user, PASSWORD, &error);
      g_assert_no_error (error);
      fixture->port = g_strdup_printf ("%u", pb_dovecot_get_pop3s_port (dovecot));
    }
  else
    fixture->port = g_strdup ("1");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->keyring, pb_test_keyring_free);
  g_free (fixture->home);
  g_free (fixture->config_dir);
  g_free (fixture->state_dir);
  g_free (fixture->user);
  g_free (fixture->port);
  g_free (fixture->ca_file);
}

/* Runs popbell with @args; @input (may be NULL) goes to its standard input. */
static void
run_popbell (Fixture     *fixture,
             Run         *run,
             const char  *input,
             const char  *first,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *input_path = NULL;
  const char *binary = g_getenv ("PB_POPBELL");
  va_list args;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  /* Standard input from a file, not a pipe: popbell rightly exits on a usage
   * error without reading it, and writing into a pipe nobody reads any more
   * fails (EPIPE) depending on who is faster. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* Outside the home the tests search for stray passwords, and gone after. */
  if (input != NULL)
    {
      input_path = g_build_filename (pb_test_get_tmpdir (), "popbell-stdin", NULL);
      g_assert_true (g_file_set_contents (input_path, input, -1, NULL));
      g_subprocess_launcher_set_stdin_file_path (launcher, input_path);
    }
  g_subprocess_launcher_setenv (launcher, "HOME", fixture->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", fixture->config_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", fixture->state_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  if (input_path != NULL)
    g_unlink (input_path);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("popbell %s → %d\nstdout:\n%s\nstderr:\n%s", first, run->status, run->out, run->err);
}

static gboolean
need_dovecot (void)
{
  if (dovecot == NULL)
    {
      g_test_skip ("Dovecot is not installed");
      return FALSE;
    }
  return TRUE;
}

static void
add_account (Fixture    *fixture,
             const char *id,
             gboolean    with_ca)
{
  g_auto(Run) run = { 0 };
  g_autofree char *add = g_strdup_printf ("--add-account=%s", id);
  g_autofree char *user = g_strdup_printf ("--user=%s", fixture->user);
  g_autofree char *port = g_strdup_printf ("--port=%s", fixture->port);
  g_autofree char *ca = g_strdup_printf ("--ca-file=%s", fixture->ca_file);

  /* Without the CA the certificate is unknown: the test login would refuse it. */
  run_popbell (fixture, &run, PASSWORD "\n", add, "--host=localhost", user, port,
               "--name=Home mail", with_ca ? ca : "--no-verify", NULL);
  g_assert_cmpint (run.status, ==, 0);
}

static void
deliver (const char *user,
         const char *message)
{
  g_autoptr(GError) error = NULL;

  pb_dovecot_deliver (dovecot, user, message, strlen (message), &error);
  g_assert_no_error (error);
}

static gboolean
tree_contains (const char *path,
               const char *needle)
{
  GDir *dir;
  const char *name;
  gboolean found = FALSE;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &contents, &len, NULL))
        return FALSE;
      return g_strstr_len (contents, len, needle) != NULL;
    }

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return FALSE;
  while (!found && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      found = tree_contains (child, needle);
    }
  g_dir_close (dir);
  return found;
}

static void
test_add_account_keeps_password_in_keyring (Fixture       *fixture,
                                            gconstpointer  data)
{
  g_auto(Run) list = { 0 };
  g_autofree char *accounts = g_build_filename (fixture->config_dir, "popbell", "accounts.ini", NULL);
  g_autofree char *contents = NULL;
  GList *items;
  SecretItem *item;

  add_account (fixture, "home", TRUE);

  g_assert_true (g_file_get_contents (accounts, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "[home]"));
  g_assert_nonnull (strstr (contents, "localhost"));
  g_assert_false (tree_contains (fixture->home, PASSWORD));

  items = pb_test_keyring_find_items (fixture->keyring, "home");
  g_assert_cmpuint (g_list_length (items), ==, 1);
  item = items->data;
  {
    g_autoptr(GHashTable) attributes = secret_item_get_attributes (item);
    g_autoptr(SecretValue) value = secret_item_get_secret (item);

    g_assert_cmpstr (g_hash_table_lookup (attributes, "user"), ==, fixture->user);
    g_assert_cmpstr (g_hash_table_lookup (attributes, "server"), ==, "localhost");
    g_assert_cmpstr (g_hash_table_lookup (attributes, "port"), ==, fixture->port);
    g_assert_nonnull (value);
    g_assert_cmpstr (secret_value_get_text (value), ==, PASSWORD);
  }
  g_list_free_full (items, g_object_unref);

  run_popbell (fixture, &list, NULL, "--list-accounts", NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, "home"));
  g_assert_nonnull (strstr (list.out, "Home mail"));
  g_assert_null (strstr (list.out, PASSWORD));
}

static const char japanese_message[] =
  "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.jp>\r\n"
  "Subject: =?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?=\r\n"
  "Date: Sat, 28 Nov 2026 10:02:00 +0900\r\n"
  "\r\n"
  "body\r\n";

static void
test_check_prints_new_mail (Fixture       *fixture,
                            gconstpointer  data)
{
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *account, *message;
  JsonArray *messages;

  if (!need_dovecot ())
    return;

  deliver (fixture->user, "Subject: old\r\n\r\nold\r\n");
  add_account (fixture, "home", TRUE);

  /* Adding the account took the mailbox as it was as read. */
  run_popbell (fixture, &first, NULL, "--check", NULL);
  g_assert_cmpint (first.status, ==, 0);
  g_assert_nonnull (strstr (first.out, "0 new, 1 on the server"));

  deliver (fixture->user, japanese_message);
  run_popbell (fixture, &second, NULL, "--check", "--json", NULL);
  g_assert_cmpint (second.status, ==, 0);

  json_parser_load_from_data (parser, second.out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  account = json_array_get_object_element (json_object_get_array_member (root, "accounts"), 0);
  g_assert_cmpstr (json_object_get_string_member (account, "id"), ==, "home");
  g_assert_cmpstr (json_object_get_string_member (account, "status"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (account, "total"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (account, "new_count"), ==, 1);
  g_assert_false (json_object_has_member (account, "error"));
  g_assert_false (json_object_has_member (account, "certificate"));
  messages = json_object_get_array_member (account, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  message = json_array_get_object_element (messages, 0);
  g_assert_cmpstr (json_object_get_string_member (message, "subject"), ==, "会議の件");
  g_assert_cmpstr (json_object_get_string_member (message, "from"), ==, "山田 太郎 <taro@example.jp>");
  g_assert_nonnull (json_object_get_string_member (message, "uidl"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (message, "date"), "2026-11-28T"));

  /* Reported once: the next check has nothing new. */
  run_popbell (fixture, &third, NULL, "--check", NULL);
  g_assert_cmpint (third.status, ==, 0);
  g_assert_nonnull (strstr (third.out, "0 new, 2 on the server"));

  g_assert_false (tree_contains (fixture->home, PASSWORD));
}

/* The first check of the applet may come late (a keyring still locked at
 * login, no network yet): mail that came after the account was added is new
 * all the same. */
static void
test_add_account_records_the_baseline (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_auto(Run) add = { 0 };
  g_auto(Run) check = { 0 };
  g_autofree char *user = g_strdup_printf ("--user=%s", fixture->user);
  g_autofree char *port = g_strdup_printf ("--port=%s", fixture->port);
  g_autofree char *ca = g_strdup_printf ("--ca-file=%s", fixture->ca_file);

  if (!need_dovecot ())
    return;

  deliver (fixture->user, "Subject: before\r\n\r\nold\r\n");
  deliver (fixture->user, "Subject: before too\r\n\r\nold\r\n");
  run_popbell (fixture, &add, PASSWORD "\n", "--add-account=home", "--host=localhost", user, port,
               ca, NULL);
  g_assert_cmpint (add.status, ==, 0);
  g_assert_nonnull (strstr (add.out, "The 2 messages on the server now are taken as read"));

  deliver (fixture->user, "Subject: after\r\n\r\nnew\r\n");
  run_popbell (fixture, &check, NULL, "--check", NULL);
  g_assert_cmpint (check.status, ==, 0);
  g_assert_nonnull (strstr (check.out, "1 new, 3 on the server"));
  g_assert_nonnull (strstr (check.out, "after"));
  g_assert_null (strstr (check.out, "first check"));
}

/* A server out of reach: the account is added only when the user says
 * so with --no-verify, and then its first check takes the baseline. */
static void
test_add_account_unreachable_needs_no_verify (Fixture       *fixture,
                                              gconstpointer  data)
{
  g_auto(Run) refused = { 0 };
  g_auto(Run) add = { 0 };
  g_auto(Run) list = { 0 };
  g_autofree char *port = g_strdup_printf ("--port=%u", pb_test_free_port ());

  run_popbell (fixture, &refused, PASSWORD "\n", "--add-account=away", "--host=localhost",
               "--user=someone", port, NULL);
  g_assert_cmpint (refused.status, ==, 1);
  g_assert_nonnull (strstr (refused.err, "--no-verify"));
  g_assert_nonnull (strstr (refused.err, "was not added"));
  run_popbell (fixture, &list, NULL, "--list-accounts", NULL);
  g_assert_null (strstr (list.out, "away"));
  g_clear_pointer (&list.out, g_free);
  g_clear_pointer (&list.err, g_free);

  run_popbell (fixture, &add, PASSWORD "\n", "--add-account=away", "--host=localhost",
               "--user=someone", port, "--no-verify", NULL);
  g_assert_cmpint (add.status, ==, 0);
  g_assert_nonnull (strstr (add.out, "first check will be taken as read"));

  run_popbell (fixture, &list, NULL, "--list-accounts", NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, "away"));
  g_assert_nonnull (strstr (list.out, "not checked yet"));
}

static void
test_untrusted_certificate_then_trust (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_auto(Run) refused = { 0 };
  g_auto(Run) json = { 0 };
  g_auto(Run) wrong = { 0 };
  g_auto(Run) trusted = { 0 };
  g_auto(Run) again = { 0 };
  g_auto(Run) forget = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  g_autofree char *expected_sha = NULL;
  g_autofree char *trust_arg = NULL;
  g_autofree char *fingerprint_arg = NULL;
  JsonObject *account, *certificate, *err;
  const char *start;

  if (!need_dovecot ())
    return;

  add_account (fixture, "work", FALSE);

  run_popbell (fixture, &refused, NULL, "--check", NULL);
  g_assert_cmpint (refused.status, ==, 1);
  g_assert_nonnull (strstr (refused.out, "SHA-256"));
  g_assert_nonnull (strstr (refused.out, "CN=localhost"));
  start = strstr (refused.out, "popbell --trust=");
  g_assert_nonnull (start);
  command = g_strndup (start, strcspn (start, "\n"));

  run_popbell (fixture, &json, NULL, "--check", "--json", NULL);
  g_assert_cmpint (json.status, ==, 1);
  json_parser_load_from_data (parser, json.out, -1, &error);
  g_assert_no_error (error);
  account = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "accounts"), 0);
  g_assert_cmpstr (json_object_get_string_member (account, "status"), ==, "error");
  err = json_object_get_object_member (account, "error");
  g_assert_cmpstr (json_object_get_string_member (err, "kind"), ==, "certificate");
  certificate = json_object_get_object_member (account, "certificate");
  g_assert_nonnull (certificate);
  g_assert_cmpstr (json_object_get_string_member (certificate, "host"), ==, "localhost");
  g_assert_cmpint (json_object_get_int_member (certificate, "port"), ==, atoi (fixture->port));
  expected_sha = g_strdup (json_object_get_string_member (certificate, "sha256"));
  g_assert_cmpuint (strlen (expected_sha), ==, 64);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (certificate, "problems")), >=, 1);
  g_assert_nonnull (strstr (command, expected_sha));

  /* A fingerprint that is not the server's pins nothing. */
  trust_arg = g_strdup_printf ("--trust=localhost:%s", fixture->port);
  run_popbell (fixture, &wrong, NULL, trust_arg,
               "--fingerprint=0000000000000000000000000000000000000000000000000000000000000000", NULL);
  g_assert_cmpint (wrong.status, ==, 1);

  fingerprint_arg = g_strdup_printf ("--fingerprint=%s", expected_sha);
  run_popbell (fixture, &trusted, NULL, trust_arg, fingerprint_arg, NULL);
  g_assert_cmpint (trusted.status, ==, 0);

  run_popbell (fixture, &again, NULL, "--check", NULL);
  g_assert_cmpint (again.status, ==, 0);

  {
    g_autofree char *forget_arg = g_strdup_printf ("--forget-trust=localhost:%s", fixture->port);
    g_auto(Run) after = { 0 };

    run_popbell (fixture, &forget, NULL, forget_arg, NULL);
    g_assert_cmpint (forget.status, ==, 0);
    run_popbell (fixture, &after, NULL, "--check", NULL);
    g_assert_cmpint (after.status, ==, 1);
  }
}

static void
test_trust_from_certificate_file (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_auto(Run) wrong_file = { 0 };
  g_auto(Run) trusted = { 0 };
  g_auto(Run) check = { 0 };
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.pem");
  g_autofree char *sha = pb_certificate_get_sha256 (cert);
  g_autofree char *crt = pb_test_cert_path ("server.crt");
  g_autofree char *other = pb_test_cert_path ("server2.crt");
  g_autofree char *trust_arg = g_strdup_printf ("--trust=localhost:%s", fixture->port);
  g_autofree char *fingerprint_arg = g_strdup_printf ("--fingerprint=%s", sha);
  g_autofree char *crt_arg = g_strdup_printf ("--certificate=%s", crt);
  g_autofree char *other_arg = g_strdup_printf ("--certificate=%s", other);

  if (!need_dovecot ())
    return;

  add_account (fixture, "work", FALSE);

  /* The file holds another certificate than the fingerprint names. */
  run_popbell (fixture, &wrong_file, NULL, trust_arg, fingerprint_arg, other_arg, NULL);
  g_assert_cmpint (wrong_file.status, ==, 1);

  run_popbell (fixture, &trusted, NULL, trust_arg, fingerprint_arg, crt_arg, NULL);
  g_assert_cmpint (trusted.status, ==, 0);

  run_popbell (fixture, &check, NULL, "--check", "--json", NULL);
  g_assert_cmpint (check.status, ==, 0);
  g_assert_nonnull (strstr (check.out, "\"trust\" : \"pinned\""));
}

/* A weak certificate is refused by --trust whatever the fingerprint says. */
static void
test_trust_refuses_weak_certificates (Fixture       *fixture,
                                      gconstpointer  data)
{
  const char *names[] = { "rsa1024.crt", "sha1.crt", "self-signed-rsa1024.crt" };
  g_autofree char *trust_path = g_build_filename (fixture->config_dir, "popbell", "trust.ini",
                                                  NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GTlsCertificate) cert = pb_test_load_certificate (names[i]);
      g_autofree char *sha = pb_certificate_get_sha256 (cert);
      g_autofree char *path = pb_test_cert_path (names[i]);
      g_autofree char *fingerprint_arg = g_strdup_printf ("--fingerprint=%s", sha);
      g_autofree char *certificate_arg = g_strdup_printf ("--certificate=%s", path);
      g_auto(Run) run = { 0 };

      run_popbell (fixture, &run, NULL, "--trust=localhost:995", fingerprint_arg,
                   certificate_arg, NULL);
      g_assert_cmpint (run.status, ==, 1);
      g_assert_nonnull (strstr (run.err, "can't be trusted"));
      g_assert_nonnull (strstr (run.err, i == 1 ? "signed with SHA-1" : "weak 1024-bit RSA key"));
      g_assert_false (g_file_test (trust_path, G_FILE_TEST_EXISTS));
    }
}

/* --trust never replaces a pin unless asked, and then says old → new; --check
 * on a server whose pinned certificate changed shows both fingerprints. */
static void
test_trust_replace_and_changed_pin (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GTlsCertificate) server = pb_test_load_certificate ("server.crt");
  g_autoptr(GTlsCertificate) server2 = pb_test_load_certificate ("server2.crt");
  g_autofree char *sha = pb_certificate_get_sha256 (server);
  g_autofree char *sha2 = pb_certificate_get_sha256 (server2);
  g_autofree char *shown = pb_fingerprint_format (sha);
  g_autofree char *shown2 = pb_fingerprint_format (sha2);
  g_autofree char *crt = pb_test_cert_path ("server.crt");
  g_autofree char *crt2 = pb_test_cert_path ("server2.crt");
  g_autofree char *trust_arg = g_strdup_printf ("--trust=localhost:%s", fixture->port);
  g_autofree char *fp_arg = g_strdup_printf ("--fingerprint=%s", sha);
  g_autofree char *fp2_arg = g_strdup_printf ("--fingerprint=%s", sha2);
  g_autofree char *crt_arg = g_strdup_printf ("--certificate=%s", crt);
  g_autofree char *crt2_arg = g_strdup_printf ("--certificate=%s", crt2);
  g_autofree char *trust_path = g_build_filename (fixture->config_dir, "popbell", "trust.ini",
                                                  NULL);
  g_autofree char *contents = NULL;
  g_auto(Run) first = { 0 };
  g_auto(Run) same = { 0 };
  g_auto(Run) refused = { 0 };
  g_auto(Run) replaced = { 0 };
  g_auto(Run) check = { 0 };
  g_auto(Run) json = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *account, *certificate;

  if (!need_dovecot ())
    return;
  add_account (fixture, "work", FALSE);

  run_popbell (fixture, &first, NULL, trust_arg, fp_arg, crt_arg, NULL);
  g_assert_cmpint (first.status, ==, 0);
  run_popbell (fixture, &same, NULL, trust_arg, fp_arg, crt_arg, NULL);
  g_assert_cmpint (same.status, ==, 0);
  g_assert_nonnull (strstr (same.out, "already trusted"));

  /* Another certificate: refused without --replace, and the pin stays. */
  run_popbell (fixture, &refused, NULL, trust_arg, fp2_arg, crt2_arg, NULL);
  g_assert_cmpint (refused.status, ==, 1);
  g_assert_nonnull (strstr (refused.err, "--replace"));
  g_assert_nonnull (strstr (refused.err, shown));
  g_assert_true (g_file_get_contents (trust_path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, sha));
  g_assert_null (strstr (contents, sha2));

  run_popbell (fixture, &replaced, NULL, trust_arg, fp2_arg, crt2_arg, "--replace", NULL);
  g_assert_cmpint (replaced.status, ==, 0);
  g_assert_nonnull (strstr (replaced.out, shown));
  g_assert_nonnull (strstr (replaced.out, shown2));
  g_assert_nonnull (strstr (replaced.out, "→"));
  g_assert_true (strstr (replaced.out, shown) < strstr (replaced.out, shown2));

  /* Dovecot presents server.pem, but server2 is pinned now. */
  run_popbell (fixture, &check, NULL, "--check", NULL);
  g_assert_cmpint (check.status, ==, 1);
  g_assert_nonnull (strstr (check.out, "changed since you trusted it"));
  g_assert_nonnull (strstr (check.out, shown2));
  g_assert_nonnull (strstr (check.out, shown));
  g_assert_true (strstr (check.out, shown2) < strstr (check.out, shown));

  run_popbell (fixture, &json, NULL, "--check", "--json", NULL);
  g_assert_cmpint (json.status, ==, 1);
  json_parser_load_from_data (parser, json.out, -1, &error);
  g_assert_no_error (error);
  account = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                  "accounts"), 0);
  certificate = json_object_get_object_member (account, "certificate");
  g_assert_cmpstr (json_object_get_string_member (certificate, "sha256"), ==, sha);
  g_assert_cmpstr (json_object_get_string_member (certificate, "pinned_sha256"), ==, sha2);
  g_assert_true (json_object_get_boolean_member (certificate, "can_trust"));
}

static void
test_wrong_password_is_an_auth_error (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_auto(Run) set = { 0 };
  g_auto(Run) check = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *account;

  if (!need_dovecot ())
    return;

  add_account (fixture, "home", TRUE);
  run_popbell (fixture, &set, "not-the-password\n", "--set-password=home", NULL);
  g_assert_cmpint (set.status, ==, 0);

  run_popbell (fixture, &check, NULL, "--check", "--json", NULL);
  g_assert_cmpint (check.status, ==, 1);
  json_parser_load_from_data (parser, check.out, -1, &error);
  g_assert_no_error (error);
  account = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "accounts"), 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (account, "error"), "kind"),
                   ==, "auth");
  g_assert_null (strstr (check.out, "not-the-password"));
  g_assert_null (strstr (check.err, "not-the-password"));
}

static char *
read_accounts (Fixture *fixture)
{
  g_autofree char *path = g_build_filename (fixture->config_dir, "popbell", "accounts.ini", NULL);
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

/* --edit-account changes what it is given; new connection settings are
 * tested first, and nothing changes when that fails. */
static void
test_edit_account (Fixture       *fixture,
                   gconstpointer  data)
{
  g_auto(Run) interval = { 0 };
  g_auto(Run) nothing = { 0 };
  g_auto(Run) both = { 0 };
  g_auto(Run) bad_host = { 0 };
  g_auto(Run) unreachable = { 0 };
  g_auto(Run) unverified = { 0 };
  g_auto(Run) back = { 0 };
  g_auto(Run) unknown = { 0 };
  g_auto(Run) list = { 0 };
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *state = g_build_filename (fixture->state_dir, "popbell", "home.state", NULL);
  g_autofree char *port = NULL;
  g_autofree char *far = g_strdup_printf ("--port=%u", pb_test_free_port ());

  if (!need_dovecot ())
    return;

  add_account (fixture, "home", TRUE);
  /* --add-account took the baseline: the state is there before any check. */
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));

  run_popbell (fixture, &interval, NULL, "--edit-account=home", "--interval=20", "--disable",
               "--name=Zuhause", NULL);
  g_assert_cmpint (interval.status, ==, 0);
  g_assert_nonnull (strstr (interval.out, "every 20 min, disabled"));
  before = read_accounts (fixture);
  g_assert_nonnull (strstr (before, "interval=20"));
  g_assert_nonnull (strstr (before, "enabled=false"));
  g_assert_nonnull (strstr (before, "name=Zuhause"));
  /* The same mailbox keeps what it has seen. */
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));

  run_popbell (fixture, &nothing, NULL, "--edit-account=home", NULL);
  g_assert_cmpint (nothing.status, ==, 2);
  run_popbell (fixture, &both, NULL, "--edit-account=home", "--enable", "--disable", NULL);
  g_assert_cmpint (both.status, ==, 2);
  run_popbell (fixture, &bad_host, NULL, "--edit-account=home", "--host=pop example.com", NULL);
  g_assert_cmpint (bad_host.status, ==, 2);
  g_assert_nonnull (strstr (bad_host.err, "server name is not valid"));
  run_popbell (fixture, &unknown, NULL, "--edit-account=nobody", "--interval=7", NULL);
  g_assert_cmpint (unknown.status, ==, 1);

  /* Enabled again and moved to a port where nothing answers: the test login
   * fails and nothing changes. */
  run_popbell (fixture, &unreachable, NULL, "--edit-account=home", "--enable", far, NULL);
  g_assert_cmpint (unreachable.status, ==, 1);
  g_assert_nonnull (strstr (unreachable.err, "Nothing was changed"));
  after = read_accounts (fixture);
  g_assert_cmpstr (before, ==, after);

  /* Unless the user says so: another mailbox, whose first check takes the baseline. */
  run_popbell (fixture, &unverified, NULL, "--edit-account=home", far, "--no-verify", NULL);
  g_assert_cmpint (unverified.status, ==, 0);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));

  /* And back, tested: the baseline is what is on the server now. */
  port = g_strdup_printf ("--port=%s", fixture->port);
  run_popbell (fixture, &back, NULL, "--edit-account=home", port, "--enable", NULL);
  g_assert_cmpint (back.status, ==, 0);
  g_assert_nonnull (strstr (back.out, "taken as read"));
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));

  run_popbell (fixture, &list, NULL, "--list-accounts", NULL);
  g_assert_nonnull (strstr (list.out, "Zuhause"));
  g_assert_nonnull (strstr (list.out, "not checked yet"));
}

/* How an account's news are told, on the command line: written to
 * accounts.ini, checked, and no login is needed to change them. */
static void
test_edit_account_notifications (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_auto(Run) quiet = { 0 };
  g_auto(Run) loud = { 0 };
  g_auto(Run) bad_switch = { 0 };
  g_auto(Run) bad_sound = { 0 };
  g_auto(Run) web = { 0 };
  g_auto(Run) bad_web = { 0 };
  g_auto(Run) no_web = { 0 };
  g_autofree char *web_file = NULL;
  g_autofree char *no_web_file = NULL;
  g_autofree char *quiet_file = NULL;
  g_autofree char *loud_file = NULL;

  if (!need_dovecot ())
    return;

  add_account (fixture, "home", TRUE);
  run_popbell (fixture, &quiet, NULL, "--edit-account=home", "--notify-new=no", "--sound=none",
               "--notify-problems=no", NULL);
  g_assert_cmpint (quiet.status, ==, 0);
  quiet_file = read_accounts (fixture);
  g_assert_nonnull (strstr (quiet_file, "notify-new-mail=false\n"));
  g_assert_nonnull (strstr (quiet_file, "sound=none\n"));
  g_assert_nonnull (strstr (quiet_file, "notify-problems=false\n"));

  /* Back to the defaults, which are not written. */
  run_popbell (fixture, &loud, NULL, "--edit-account=home", "--notify-new=yes",
               "--sound=message-new-email", "--notify-problems=yes", NULL);
  g_assert_cmpint (loud.status, ==, 0);
  loud_file = read_accounts (fixture);
  g_assert_null (strstr (loud_file, "notify-"));
  g_assert_null (strstr (loud_file, "sound="));

  run_popbell (fixture, &bad_switch, NULL, "--edit-account=home", "--notify-new=maybe", NULL);
  g_assert_cmpint (bad_switch.status, ==, 2);
  g_assert_nonnull (strstr (bad_switch.err, "--notify-new must be"));
  run_popbell (fixture, &bad_sound, NULL, "--edit-account=home", "--sound=/tmp/x.oga", NULL);
  g_assert_cmpint (bad_sound.status, ==, 2);
  g_assert_nonnull (strstr (bad_sound.err, "--sound must be"));

  /* Webmail instead of the mail client, and back. */
  run_popbell (fixture, &web, NULL, "--edit-account=home", "--webmail=https://mail.example.com/",
               NULL);
  g_assert_cmpint (web.status, ==, 0);
  web_file = read_accounts (fixture);
  g_assert_nonnull (strstr (web_file, "webmail=https://mail.example.com/\n"));
  run_popbell (fixture, &bad_web, NULL, "--edit-account=home", "--webmail=file:///etc/passwd",
               NULL);
  g_assert_cmpint (bad_web.status, ==, 2);
  run_popbell (fixture, &no_web, NULL, "--edit-account=home", "--webmail=none", NULL);
  g_assert_cmpint (no_web.status, ==, 0);
  no_web_file = read_accounts (fixture);
  g_assert_null (strstr (no_web_file, "webmail="));
}

static void
test_remove_account_cleans_up (Fixture       *fixture,
                               gconstpointer  data)
{
  g_auto(Run) check = { 0 };
  g_auto(Run) removed = { 0 };
  g_auto(Run) list = { 0 };
  g_autofree char *state = g_build_filename (fixture->state_dir, "popbell", "home.state", NULL);
  GList *items;

  if (!need_dovecot ())
    return;

  add_account (fixture, "home", TRUE);
  run_popbell (fixture, &check, NULL, "--check", NULL);
  g_assert_cmpint (check.status, ==, 0);
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));

  run_popbell (fixture, &removed, NULL, "--remove-account=home", NULL);
  g_assert_cmpint (removed.status, ==, 0);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  items = pb_test_keyring_find_items (fixture->keyring, "home");
  g_assert_null (items);

  run_popbell (fixture, &list, NULL, "--list-accounts", NULL);
  g_assert_null (strstr (list.out, "home"));
}

static void
test_no_keyring_adds_nothing (Fixture       *fixture,
                              gconstpointer  data)
{
  g_auto(Run) add = { 0 };
  g_autofree char *accounts = g_build_filename (fixture->config_dir, "popbell", "accounts.ini", NULL);

  run_popbell (fixture, &add, PASSWORD "\n", "--add-account=home", "--host=localhost",
               "--user=someone", "--no-verify", NULL);
  g_assert_cmpint (add.status, ==, 1);
  g_assert_nonnull (strstr (add.err, "keyring"));
  g_assert_nonnull (strstr (add.err, "not added"));
  g_assert_false (g_file_test (accounts, G_FILE_TEST_EXISTS));
  g_assert_null (strstr (add.err, PASSWORD));
}

static void
test_usage_errors (Fixture       *fixture,
                   gconstpointer  data)
{
  g_auto(Run) no_host = { 0 };
  g_auto(Run) plain = { 0 };
  g_auto(Run) bad_id = { 0 };
  g_auto(Run) no_accounts = { 0 };
  g_auto(Run) unknown = { 0 };
  g_auto(Run) empty_password = { 0 };
  g_auto(Run) bad_trust = { 0 };

  run_popbell (fixture, &no_host, PASSWORD "\n", "--add-account=a", "--user=u", NULL);
  g_assert_cmpint (no_host.status, ==, 2);
  g_assert_nonnull (strstr (no_host.err, "--host"));

  run_popbell (fixture, &plain, PASSWORD "\n", "--add-account=a", "--host=h", "--user=u",
               "--security=plain", NULL);
  g_assert_cmpint (plain.status, ==, 2);
  g_assert_nonnull (strstr (plain.err, "starttls"));

  run_popbell (fixture, &bad_id, PASSWORD "\n", "--add-account=../x", "--host=h", "--user=u", NULL);
  g_assert_cmpint (bad_id.status, ==, 2);

  run_popbell (fixture, &empty_password, "\n", "--add-account=a", "--host=h", "--user=u", NULL);
  g_assert_cmpint (empty_password.status, ==, 1);
  g_assert_nonnull (strstr (empty_password.err, "password"));

  run_popbell (fixture, &no_accounts, NULL, "--check", NULL);
  g_assert_cmpint (no_accounts.status, ==, 1);
  g_assert_nonnull (strstr (no_accounts.err, "--add-account"));

  run_popbell (fixture, &unknown, NULL, "--check", "--account=nope", NULL);
  g_assert_cmpint (unknown.status, ==, 1);
  g_assert_nonnull (strstr (unknown.err, "nope"));

  run_popbell (fixture, &bad_trust, NULL, "--trust=nohostport", "--fingerprint=00", NULL);
  g_assert_cmpint (bad_trust.status, ==, 2);
}

static void
test_corrupt_accounts_file_is_set_aside (Fixture       *fixture,
                                         gconstpointer  data)
{
  g_auto(Run) list = { 0 };
  g_autofree char *dir = g_build_filename (fixture->config_dir, "popbell", NULL);
  g_autofree char *accounts = g_build_filename (dir, "accounts.ini", NULL);
  GDir *listing;
  const char *name;
  gboolean set_aside = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (accounts, "[broken\nthis is not an ini file\x01\n", -1, NULL));

  run_popbell (fixture, &list, NULL, "--list-accounts", NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.err, "corrupt"));
  g_assert_false (g_file_test (accounts, G_FILE_TEST_EXISTS));

  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    set_aside |= g_str_has_prefix (name, "accounts.ini.corrupt-");
  g_dir_close (listing);
  g_assert_true (set_aside);
}

/* ---- --discover ------------------------------------------------------------- */

static JsonObject *
discover_json (Fixture    *fixture,
               const char *address,
               gboolean    offline,
               int         status)
{
  g_auto(Run) run = { 0 };
  g_autofree char *arg = g_strdup_printf ("--discover=%s", address);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  run_popbell (fixture, &run, NULL, arg, "--json", offline ? "--offline" : NULL, NULL);
  g_assert_cmpint (run.status, ==, status);
  json_parser_load_from_data (parser, run.out, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
assert_member_null (JsonObject *object,
                    const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  g_assert_true (json_object_get_null_member (object, name));
}

static void
test_discover_text (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto(Run) webde = { 0 };
  g_auto(Run) outlook = { 0 };
  g_auto(Run) asahi = { 0 };
  g_auto(Run) docomo = { 0 };
  g_auto(Run) unknown = { 0 };
  g_auto(Run) bad = { 0 };

  run_popbell (fixture, &webde, NULL, "--discover=someone@web.de", "--offline", NULL);
  g_assert_cmpint (webde.status, ==, 0);
  g_assert_nonnull (strstr (webde.out, "pop3.web.de:995 (TLS)"));
  g_assert_nonnull (strstr (webde.out, "someone\n"));
  g_assert_nonnull (strstr (webde.out, "at most every 15 minutes (the provider’s limit)"));
  g_assert_nonnull (strstr (webde.out, "built-in"));

  run_popbell (fixture, &outlook, NULL, "--discover=someone@hotmail.co.jp", "--offline", NULL);
  g_assert_cmpint (outlook.status, ==, 0);
  g_assert_nonnull (strstr (outlook.out, "outlook.office365.com:995 (TLS)"));
  g_assert_nonnull (strstr (outlook.out, "OAuth2 only: sign in with microsoft"));
  g_assert_nonnull (strstr (outlook.out, "--oauth=microsoft"));

  run_popbell (fixture, &asahi, NULL, "--discover=taro@asahi-net.or.jp", "--offline", NULL);
  g_assert_cmpint (asahi.status, ==, 0);
  g_assert_nonnull (strstr (asahi.out, "pop.asahi-net.or.jp:995 (TLS)"));
  g_assert_nonnull (strstr (asahi.out, "not part of the address: the wizard asks for it"));

  run_popbell (fixture, &docomo, NULL, "--discover=hanako@docomo.ne.jp", "--offline", NULL);
  g_assert_cmpint (docomo.status, ==, 0);
  g_assert_nonnull (strstr (docomo.out, "offers no POP3: mail programs reach it over IMAP only"));

  run_popbell (fixture, &unknown, NULL, "--discover=anna@example.invalid", "--offline", NULL);
  g_assert_cmpint (unknown.status, ==, 1);
  g_assert_nonnull (strstr (unknown.out, "example.invalid is not in Popbell’s list"));

  run_popbell (fixture, &bad, NULL, "--discover=not-an-address", "--offline", NULL);
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_nonnull (strstr (bad.err, "is not an e-mail address"));
}

static void
test_discover_json (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) webde = discover_json (fixture, "someone@web.de", TRUE, 0);
  g_autoptr(JsonObject) outlook = discover_json (fixture, "someone@outlook.com", TRUE, 0);
  g_autoptr(JsonObject) mailru = discover_json (fixture, "someone@mail.ru", TRUE, 0);
  g_autoptr(JsonObject) asahi = discover_json (fixture, "taro@asahi-net.or.jp", TRUE, 0);
  g_autoptr(JsonObject) docomo = discover_json (fixture, "hanako@docomo.ne.jp", TRUE, 0);
  g_autoptr(JsonObject) unknown = discover_json (fixture, "anna@example.invalid", TRUE, 1);
  g_autoptr(JsonObject) gmail_offline = discover_json (fixture, "someone@gmail.com", TRUE, 0);
  g_autoptr(JsonObject) gmail = discover_json (fixture, "someone@gmail.com", FALSE, 0);
  g_autoptr(JsonNode) a = json_node_init_object (json_node_alloc (), gmail_offline);
  g_autoptr(JsonNode) b = json_node_init_object (json_node_alloc (), gmail);

  g_assert_cmpstr (json_object_get_string_member (webde, "address"), ==, "someone@web.de");
  g_assert_true (json_object_get_boolean_member (webde, "found"));
  g_assert_true (json_object_get_boolean_member (webde, "pop3"));
  g_assert_cmpstr (json_object_get_string_member (webde, "host"), ==, "pop3.web.de");
  g_assert_cmpint (json_object_get_int_member (webde, "port"), ==, 995);
  g_assert_cmpstr (json_object_get_string_member (webde, "security"), ==, "tls");
  g_assert_cmpstr (json_object_get_string_member (webde, "username"), ==, "someone");
  g_assert_cmpstr (json_object_get_string_member (webde, "authentication"), ==, "password");
  g_assert_false (json_object_get_boolean_member (webde, "app_password"));
  g_assert_cmpint (json_object_get_int_member (webde, "min_interval_minutes"), ==, 15);
  g_assert_cmpstr (json_object_get_string_member (webde, "help_url"), ==,
                   "https://hilfe.web.de/pop-imap/einschalten.html");
  g_assert_cmpstr (json_object_get_string_member (webde, "source"), ==, "built-in");

  g_assert_cmpstr (json_object_get_string_member (outlook, "authentication"), ==, "oauth2");
  g_assert_cmpstr (json_object_get_string_member (outlook, "oauth2_provider"), ==, "microsoft");
  assert_member_null (webde, "oauth2_provider");
  g_assert_false (json_object_get_boolean_member (outlook, "app_password"));
  assert_member_null (outlook, "min_interval_minutes");

  g_assert_true (json_object_get_boolean_member (mailru, "app_password"));

  /* ASAHI-NET's user name is its ID: the wizard asks. */
  assert_member_null (asahi, "username");
  g_assert_cmpstr (json_object_get_string_member (asahi, "host"), ==, "pop.asahi-net.or.jp");

  g_assert_true (json_object_get_boolean_member (docomo, "found"));
  g_assert_false (json_object_get_boolean_member (docomo, "pop3"));
  assert_member_null (docomo, "host");
  assert_member_null (docomo, "port");

  g_assert_false (json_object_get_boolean_member (unknown, "found"));
  g_assert_false (json_object_get_boolean_member (unknown, "pop3"));
  assert_member_null (unknown, "host");
  assert_member_null (unknown, "source");

  /* The search the wizard runs answers from the list first, as --offline does. */
  g_assert_true (json_node_equal (a, b));
}

/* The user's own providers.ini: sub-domains by suffix (the longest wins) and a host
 * that follows the address's domain. */
static void
test_discover_user_providers (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (fixture->config_dir, "popbell", NULL);
  g_autofree char *path = g_build_filename (dir, "providers.ini", NULL);
  g_autoptr(JsonObject) sub = NULL;
  g_autoptr(JsonObject) deeper = NULL;
  g_autoptr(JsonObject) exact = NULL;
  g_autoptr(JsonObject) other = NULL;
  const char *ini =
    "[test-isp]\nname=Test ISP\ndomain-suffixes=isp.example;\nhost=pop.%EMAILDOMAIN%\n"
    "security=tls\nuser=%EMAILLOCALPART%\n"
    "[test-isp-biz]\nname=Test ISP Business\ndomain-suffixes=biz.isp.example;\n"
    "host=mail.isp.example\nsecurity=starttls\n"
    "[test-exact]\nname=Exact\ndomains=x.biz.isp.example;\nhost=exact.example\n"
    "security=tls\n";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, ini, -1, NULL));

  sub = discover_json (fixture, "taro@ab.isp.example", TRUE, 0);
  g_assert_cmpstr (json_object_get_string_member (sub, "host"), ==, "pop.ab.isp.example");
  g_assert_cmpint (json_object_get_int_member (sub, "port"), ==, 995);
  g_assert_cmpstr (json_object_get_string_member (sub, "username"), ==, "taro");

  deeper = discover_json (fixture, "jiro@shop.biz.isp.example", TRUE, 0);
  g_assert_cmpstr (json_object_get_string_member (deeper, "host"), ==, "mail.isp.example");
  g_assert_cmpstr (json_object_get_string_member (deeper, "security"), ==, "starttls");
  g_assert_cmpint (json_object_get_int_member (deeper, "port"), ==, 110);

  exact = discover_json (fixture, "saburo@x.biz.isp.example", TRUE, 0);
  g_assert_cmpstr (json_object_get_string_member (exact, "host"), ==, "exact.example");

  /* A suffix matches label by label. */
  other = discover_json (fixture, "hanako@notisp.example", TRUE, 1);
  g_assert_false (json_object_get_boolean_member (other, "found"));
}

static void
test_add_account_oauth2_only (Fixture       *fixture,
                              gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autofree char *accounts = g_build_filename (fixture->config_dir, "popbell", "accounts.ini",
                                                NULL);

  /* No standard input: no password may be asked for. */
  run_popbell (fixture, &run, NULL, "--add-account=work", "--host=outlook.office365.com",
               "--user=someone@outlook.com", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "Outlook.com takes only an OAuth2 sign-in"));
  g_assert_null (strstr (run.err, "Password"));
  g_assert_false (g_file_test (accounts, G_FILE_TEST_EXISTS));
}

/* An account on the server of a provider that takes only OAuth2 (one set up by hand,
 * or before the provider changed) is checked without its password ever being sent. */
static void
test_check_oauth2_only_sends_no_password (Fixture       *fixture,
                                          gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = g_build_filename (fixture->config_dir, "popbell", NULL);
  g_autofree char *path = g_build_filename (dir, "providers.ini", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *account, *failure;

  if (!need_dovecot ())
    return;

  add_account (fixture, "home", TRUE);
  /* From now on, the test server is an OAuth2-only provider's. */
  g_assert_true (g_file_set_contents (path, "[test-oauth2]\nname=OAuthMail\n"
                                      "domains=oauth.example;\nhost=localhost\n"
                                      "security=tls\nauthentication=oauth2\n", -1, NULL));
  run_popbell (fixture, &run, NULL, "--check", "--json", NULL);
  g_assert_cmpint (run.status, ==, 1);
  json_parser_load_from_data (parser, run.out, -1, &error);
  g_assert_no_error (error);
  account = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                  "accounts"), 0);
  failure = json_object_get_object_member (account, "error");
  g_assert_cmpstr (json_object_get_string_member (failure, "kind"), ==, "auth");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (failure, "message"),
                                   "OAuthMail takes only an OAuth2 sign-in"));
  g_assert_false (tree_contains (dir, PASSWORD));
  (void) data;
}

static void
test_add_account_min_interval (Fixture       *fixture,
                               gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autofree char *accounts = g_build_filename (fixture->config_dir, "popbell", "accounts.ini",
                                                NULL);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  run_popbell (fixture, &run, PASSWORD "\n", "--add-account=webde", "--host=pop3.web.de",
               "--user=someone", "--interval=5", "--no-verify", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "WEB.DE refuses checks more often than every 15 minutes, "
                                     "so the account is checked every 15 minutes."));
  g_key_file_load_from_file (keyfile, accounts, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_key_file_get_integer (keyfile, "webde", "interval", NULL), ==, 15);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);

  dovecot = pb_dovecot_new (&error);
  if (dovecot == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_error ("Could not start Dovecot: %s", error->message);
      g_clear_error (&error);
    }

  g_test_add ("/pb/cli/add-account/keeps-the-password-in-the-keyring", Fixture, NULL,
              fixture_setup, test_add_account_keeps_password_in_keyring, fixture_teardown);
  g_test_add ("/pb/cli/add-account/records-the-baseline", Fixture, NULL,
              fixture_setup, test_add_account_records_the_baseline, fixture_teardown);
  g_test_add ("/pb/cli/add-account/unreachable-server-needs-no-verify", Fixture, NULL,
              fixture_setup, test_add_account_unreachable_needs_no_verify, fixture_teardown);
  g_test_add ("/pb/cli/check/prints-new-mail-once", Fixture, NULL,
              fixture_setup, test_check_prints_new_mail, fixture_teardown);
  g_test_add ("/pb/cli/check/untrusted-certificate-then-trust", Fixture, NULL,
              fixture_setup, test_untrusted_certificate_then_trust, fixture_teardown);
  g_test_add ("/pb/cli/trust/from-a-certificate-file", Fixture, NULL,
              fixture_setup, test_trust_from_certificate_file, fixture_teardown);
  g_test_add ("/pb/cli/trust/refuses-weak-certificates", Fixture, NULL,
              fixture_setup, test_trust_refuses_weak_certificates, fixture_teardown);
  g_test_add ("/pb/cli/trust/replace-only-when-asked-and-check-shows-the-change", Fixture, NULL,
              fixture_setup, test_trust_replace_and_changed_pin, fixture_teardown);
  g_test_add ("/pb/cli/check/wrong-password-is-an-auth-error", Fixture, NULL,
              fixture_setup, test_wrong_password_is_an_auth_error, fixture_teardown);
  g_test_add ("/pb/cli/edit-account", Fixture, NULL,
              fixture_setup, test_edit_account, fixture_teardown);
  g_test_add ("/pb/cli/edit-account/notifications", Fixture, NULL,
              fixture_setup, test_edit_account_notifications, fixture_teardown);
  g_test_add ("/pb/cli/remove-account/cleans-up", Fixture, NULL,
              fixture_setup, test_remove_account_cleans_up, fixture_teardown);
  g_test_add ("/pb/cli/add-account/without-keyring-adds-nothing", Fixture, GINT_TO_POINTER (1),
              fixture_setup, test_no_keyring_adds_nothing, fixture_teardown);
  g_test_add ("/pb/cli/usage-errors-are-explained", Fixture, NULL,
              fixture_setup, test_usage_errors, fixture_teardown);
  g_test_add ("/pb/cli/corrupt-accounts-file-is-set-aside", Fixture, NULL,
              fixture_setup, test_corrupt_accounts_file_is_set_aside, fixture_teardown);

  g_test_add ("/pb/cli/discover/offline-text-says-what-the-wizard-would", Fixture, NULL,
              fixture_setup, test_discover_text, fixture_teardown);
  g_test_add ("/pb/cli/discover/json-has-every-key", Fixture, NULL,
              fixture_setup, test_discover_json, fixture_teardown);
  g_test_add ("/pb/cli/discover/user-providers-suffixes-and-host-templates", Fixture, NULL,
              fixture_setup, test_discover_user_providers, fixture_teardown);
  g_test_add ("/pb/cli/add-account/oauth2-only-is-refused-before-the-password", Fixture, NULL,
              fixture_setup, test_add_account_oauth2_only, fixture_teardown);
  g_test_add ("/pb/cli/add-account/interval-is-never-below-the-providers-minimum", Fixture, NULL,
              fixture_setup, test_add_account_min_interval, fixture_teardown);
  g_test_add ("/pb/cli/check/oauth2-only-provider-gets-no-password", Fixture, NULL,
              fixture_setup, test_check_oauth2_only_sends_no_password, fixture_teardown);

  status = g_test_run ();
  g_clear_pointer (&dovecot, pb_dovecot_free);
  return status;
}
