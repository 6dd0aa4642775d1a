/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The command line's OAuth2 sign-ins, run as a user would: the real popbell
 * binary, the tests' identity provider (tests/oauth2/idp.py), a scripted
 * browser as the desktop's https:// handler, a real keyring on a private bus,
 * and a private Dovecot that takes the provider's tokens. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pb-dovecot.h"
#include "pb-test-goa.h"
#include "pb-test-idp.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"

#define USER "alice@example.org"

typedef struct
{
  PbTestIdp     *idp;
  PbDovecot     *dovecot;
  PbTestKeyring *keyring;
  char          *port;
  char          *ca_file;
  char          *browser_log;
  gboolean       debug;        /* popbell runs with every debug message on */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *accounts = g_build_filename (g_get_user_config_dir (), "popbell",
                                                "accounts.ini", NULL);

  g_unlink (accounts);
  fixture->keyring = pb_test_keyring_new ();
  fixture->idp = pb_test_idp_new (data);
  url = pb_test_idp_url (fixture->idp, "/introspect");
  fixture->dovecot = pb_dovecot_new_oauth2 (url, "xoauth2 oauthbearer", PB_DOVECOT_FLAGS_NONE,
                                            &error);
  g_assert_no_error (error);
  pb_dovecot_add_user (fixture->dovecot, USER, "unused-password", &error);
  g_assert_no_error (error);
  pb_dovecot_deliver (fixture->dovecot, USER, "Subject: one\n\nHello\n", 20, &error);
  g_assert_no_error (error);
  fixture->port = g_strdup_printf ("%u", pb_dovecot_get_pop3s_port (fixture->dovecot));
  fixture->ca_file = pb_test_cert_path ("ca.crt");
  fixture->browser_log = g_build_filename (pb_test_get_tmpdir (), "browser.log", NULL);
  g_unlink (fixture->browser_log);
  pb_test_browser_install (fixture->browser_log, FALSE);
  pb_test_idp_write_provider (fixture->idp, "test", "mail offline_access");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (g_test_failed ())
    {
      g_autofree char *log = pb_dovecot_get_log (fixture->dovecot);
      g_test_message ("Dovecot's log:\n%s", log);
    }
  g_clear_pointer (&fixture->dovecot, pb_dovecot_free);
  g_clear_pointer (&fixture->idp, pb_test_idp_free);
  g_clear_pointer (&fixture->keyring, pb_test_keyring_free);
  g_free (fixture->port);
  g_free (fixture->ca_file);
  g_free (fixture->browser_log);
}

/* A run of popbell; stdout is read line by line as it comes, so that the
 * user's part of a device sign-in can be played when the code is shown. */
typedef struct
{
  Fixture          *fixture;
  GSubprocess      *process;
  GDataInputStream *out;
  GString          *output;
  GOutputStream    *err_stream;
  char             *err;
  gboolean          out_done;
  gboolean          err_done;
  gboolean          approve;     /* visit the verification page with the code */
  gboolean          approved;
  int               status;
} Run;

static void
run_clear (Run *run)
{
  g_clear_object (&run->process);
  g_clear_object (&run->out);
  g_clear_object (&run->err_stream);
  if (run->output != NULL)
    g_string_free (run->output, TRUE);
  g_free (run->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* The user reads the address and the code, and types the code there. */
static void
maybe_approve (Run *run)
{
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GRegex) regex = NULL;

  if (!run->approve || run->approved)
    return;
  regex = g_regex_new ("open (https://\\S+) on any device and enter the code\\n\\n    (\\S+)\\n",
                       0, 0, NULL);
  if (g_regex_match (regex, run->output->str, 0, &match))
    {
      g_autofree char *uri = g_match_info_fetch (match, 1);
      g_autofree char *code = g_match_info_fetch (match, 2);
      g_autofree char *url = g_strdup_printf ("%s?user_code=%s", uri, code);

      run->approved = TRUE;
      g_assert_cmpuint (pb_test_idp_get (run->fixture->idp, url), ==, 200);
    }
}

static void on_line (GObject *source, GAsyncResult *result, gpointer user_data);

static void
read_line (Run *run)
{
  g_data_input_stream_read_line_async (run->out, G_PRIORITY_DEFAULT, NULL, on_line, run);
}

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (run->out, result, NULL, NULL);
  if (line == NULL)
    {
      run->out_done = TRUE;
      return;
    }
  g_string_append (run->output, line);
  g_string_append_c (run->output, '\n');
  maybe_approve (run);
  read_line (run);
}

static void
on_err (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Run *run = user_data;
  GMemoryOutputStream *memory = G_MEMORY_OUTPUT_STREAM (run->err_stream);

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, NULL);
  run->err = g_memory_output_stream_get_data_size (memory) > 0
             ? g_strndup (g_memory_output_stream_get_data (memory),
                          g_memory_output_stream_get_data_size (memory))
             : g_strdup ("");
  run->err_done = TRUE;
}

static void
run_popbell (Fixture    *fixture,
             Run        *run,
             gboolean    approve,
             const char *first,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *binary = g_getenv ("PB_POPBELL");
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  va_list args;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  *run = (Run) { .fixture = fixture, .approve = approve, .output = g_string_new (NULL) };
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  if (fixture->debug)
    g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  run->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                               &error);
  g_assert_no_error (error);
  run->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (run->process));
  read_line (run);
  run->err_stream = g_memory_output_stream_new_resizable ();
  g_output_stream_splice_async (run->err_stream, g_subprocess_get_stderr_pipe (run->process),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, NULL, on_err, run);

  while (!run->out_done || !run->err_done)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("popbell %s did not finish; its output so far:\n%s", first, run->output->str);
      g_main_context_iteration (NULL, TRUE);
    }
  g_subprocess_wait (run->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (run->process));
  run->status = g_subprocess_get_exit_status (run->process);
  g_test_message ("popbell %s → %d\nstdout:\n%s\nstderr:\n%s", first, run->status,
                  run->output->str, run->err);
}

static JsonObject *
check_json (Fixture *fixture)
{
  g_auto(Run) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *accounts;

  run_popbell (fixture, &run, FALSE, "--check", "--json", NULL);
  json_parser_load_from_data (parser, run.output->str, -1, &error);
  g_assert_no_error (error);
  accounts = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "accounts");
  g_assert_cmpuint (json_array_get_length (accounts), ==, 1);
  return json_object_ref (json_array_get_object_element (accounts, 0));
}

static void
add_account (Fixture    *fixture,
             Run        *run,
             gboolean    approve,
             const char *provider)
{
  g_autofree char *oauth = g_strdup_printf ("--oauth=%s", provider);

  run_popbell (fixture, run, approve, "--add-account=mail", "--host=127.0.0.1",
               "--port", fixture->port, "--user=" USER, "--ca-file", fixture->ca_file, oauth,
               NULL);
}

static char *
read_accounts (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "popbell", "accounts.ini",
                                            NULL);
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

/* The device grant: an address and a code to type there, then the account
 * is added with its sign-in, tested against the server first. */
static void
test_add_with_device_grant (Fixture       *fixture,
                            gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autofree char *accounts = NULL;
  g_autoptr(JsonObject) checked = NULL;
  GList *items;

  add_account (fixture, &run, TRUE, "test");
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (run.approved);
  g_assert_nonnull (strstr (run.output->str, "To sign in with Test Provider, open https://"));
  g_assert_nonnull (strstr (run.output->str, "Signed in with Test Provider."));
  g_assert_nonnull (strstr (run.output->str, "The 1 message on the server now is taken as read"));
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp,
                                             "urn:ietf:params:oauth:grant-type:device_code"),
                   >=, 1);

  accounts = read_accounts ();
  g_assert_nonnull (strstr (accounts, "oauth2-provider=test"));
  g_assert_null (strstr (accounts, "rt-"));
  items = pb_test_keyring_find_items (fixture->keyring, "mail");
  /* The password schema has nothing of it. */
  g_assert_null (items);

  /* Checked with a fresh access token from the stored sign-in. */
  checked = check_json (fixture);
  g_assert_cmpstr (json_object_get_string_member (checked, "status"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (checked, "total"), ==, 1);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 1);
}

/* Google takes no device grant for mail: the browser sign-in, through the
 * desktop's https:// handler (a scripted browser here). */
static void
test_add_with_browser (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autofree char *page = NULL;
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "popbell", "oauth2.ini",
                                            NULL);
  g_autofree char *ini = NULL;
  g_autofree char *more = NULL;

  g_assert_true (g_file_get_contents (path, &ini, NULL, NULL));
  more = g_strconcat (ini, "device-grant=false\n", NULL);
  g_assert_true (g_file_set_contents (path, more, -1, NULL));

  add_account (fixture, &run, FALSE, "test");
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.output->str, "open this address in a browser"));
  g_assert_nonnull (strstr (run.output->str, "code_challenge_method=S256"));
  page = pb_test_browser_wait_page (fixture->browser_log, 10);
  g_assert_nonnull (strstr (page, "Signed in to Popbell"));
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "authorization_code"), ==, 1);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp,
                                             "urn:ietf:params:oauth:grant-type:device_code"),
                   ==, 0);
}

/* The provider refuses the sign-in later: --check says "sign-in" and how,
 * and --sign-in mends it. */
static void
test_sign_in_again (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto(Run) add = { 0 };
  g_auto(Run) again = { 0 };
  g_auto(Run) text = { 0 };
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) mended = NULL;
  JsonObject *error;

  add_account (fixture, &add, TRUE, "test");
  g_assert_cmpint (add.status, ==, 0);

  pb_test_idp_revoke_refresh (fixture->idp);
  refused = check_json (fixture);
  g_assert_cmpstr (json_object_get_string_member (refused, "status"), ==, "error");
  error = json_object_get_object_member (refused, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "kind"), ==, "sign-in");

  run_popbell (fixture, &text, FALSE, "--check", NULL);
  g_assert_cmpint (text.status, ==, 1);
  g_assert_nonnull (strstr (text.output->str, "popbell --sign-in=mail"));

  run_popbell (fixture, &again, TRUE, "--sign-in=mail", NULL);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_nonnull (strstr (again.output->str, "Stored the new sign-in of “mail”."));
  mended = check_json (fixture);
  g_assert_cmpstr (json_object_get_string_member (mended, "status"), ==, "ok");
}

/* The user never finishes: the code expires, nothing is added. */
static void
test_device_code_expires (Fixture       *fixture,
                          gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "popbell", "accounts.ini",
                                            NULL);

  add_account (fixture, &run, FALSE, "test");
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "expired"));
  g_assert_nonnull (strstr (run.err, "The account was not added."));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Without a client ID (this build has none for Google): said plainly, with
 * what works instead, and nothing is asked of the provider. */
static void
test_no_client_id (Fixture       *fixture,
                   gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "popbell", "oauth2.ini",
                                            NULL);

  /* Whatever this build has, as a build without one. */
  g_assert_true (g_file_set_contents (path, "[google]\nclient-id=\n", -1, NULL));
  add_account (fixture, &run, FALSE, "google");
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "no client ID for signing in with Google"));
  g_assert_nonnull (strstr (run.err, "GNOME Online Accounts"));
  g_assert_nonnull (strstr (run.err, "app password"));
  g_assert_nonnull (strstr (run.err, "oauth2.ini"));
}

/* A password account on Outlook.com's server is pointed at --oauth=microsoft. */
static void
test_oauth2_only_host_points_to_oauth (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_auto(Run) run = { 0 };

  run_popbell (fixture, &run, FALSE, "--add-account=work", "--host=outlook.office365.com",
               "--user=taro@outlook.jp", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "--oauth=microsoft"));
}

/* A Google account of GNOME Online Accounts: added without any sign-in of
 * Popbell's (and without a client ID), checked with Online Accounts' token. */
static void
test_add_through_online_accounts (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(JsonObject) issued = pb_test_idp_issue (fixture->idp, USER);
  g_autofree char *parameters = NULL;
  g_autoptr(PbTestGoa) goa = NULL;
  g_autoptr(JsonObject) checked = NULL;
  g_autofree char *accounts = NULL;
  g_auto(Run) run = { 0 };

  /* The token Dovecot will find good at the provider. */
  parameters = g_strdup_printf ("{\"accounts\": [{\"id\": \"account_1\", \"provider\": \"google\", "
                                "\"email\": \"%s\", \"token\": \"%s\"}]}", USER,
                                json_object_get_string_member (issued, "access_token"));
  goa = pb_test_goa_new (parameters);

  add_account (fixture, &run, FALSE, "google");
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.output->str, "through GNOME Online Accounts"));
  g_assert_nonnull (strstr (run.output->str, "GNOME Online Accounts signs in for it."));
  accounts = read_accounts ();
  g_assert_nonnull (strstr (accounts, "oauth2-provider=google"));

  checked = check_json (fixture);
  g_assert_cmpstr (json_object_get_string_member (checked, "status"), ==, "ok");
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_1", "GetAccessToken"), ==, 2);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 0);

  /* Online Accounts lost the credentials: the check says to sign in there. */
  pb_test_goa_set_expired (goa, "account_1", TRUE);
  g_clear_pointer (&checked, json_object_unref);
  checked = check_json (fixture);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (checked, "error"), "kind"), ==, "sign-in");
}

/* ---- Hygiene: the tokens go to the keyring and inside TLS, nowhere else ---- */

#define CANARY_CORE "Canary-7f3a9c"

static gboolean
contains_bytes (const char *data,
                gsize       len,
                const char *needle)
{
  gsize needle_len = strlen (needle);

  for (gsize i = 0; needle_len <= len && i <= len - needle_len; i++)
    if (memcmp (data + i, needle, needle_len) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_clean (const char *what,
              const char *data,
              gsize       len)
{
  if (data != NULL && contains_bytes (data, len, CANARY_CORE))
    g_error ("A token appears in %s", what);
}

/* Every file below @path; returns how many were read. */
static guint
assert_tree_clean (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint n = 0;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return 0;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &contents, &len, NULL))
        return 0;
      assert_clean (path, contents, len);
      return 1;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      assert_clean ("a file name", name, strlen (name));
      n += assert_tree_clean (child);
    }
  return n;
}

/* The command line and environment of every process. */
static void
assert_processes_clean (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      const char *files[] = { "cmdline", "environ" };

      if (!g_ascii_isdigit (name[0]))
        continue;
      for (guint i = 0; i < G_N_ELEMENTS (files); i++)
        {
          g_autofree char *path = g_build_filename ("/proc", name, files[i], NULL);
          g_autofree char *contents = NULL;
          gsize len = 0;

          if (g_file_get_contents (path, &contents, &len, NULL))
            assert_clean (path, contents, len);
        }
    }
}

/* Access and refresh tokens made canaries by the provider, followed through
 * a sign-in, a check, a refused token renewed, with every debug message on. */
static void
test_hygiene (Fixture       *fixture,
              gconstpointer  data)
{
  g_auto(Run) add = { 0 };
  g_auto(Run) check = { 0 };
  g_auto(Run) renewed = { 0 };

  fixture->debug = TRUE;
  add_account (fixture, &add, TRUE, "test");
  g_assert_cmpint (add.status, ==, 0);
  /* The debug messages did come (on stdout, GLib's place for them). */
  g_assert_true (strstr (add.err, "-DEBUG") != NULL || strstr (add.output->str, "-DEBUG") != NULL);
  assert_clean ("popbell's output", add.output->str, add.output->len);
  assert_clean ("popbell's debug output", add.err, strlen (add.err));

  run_popbell (fixture, &check, FALSE, "--check", NULL);
  g_assert_cmpint (check.status, ==, 0);
  assert_clean ("popbell's output", check.output->str, check.output->len);
  assert_clean ("popbell's debug output", check.err, strlen (check.err));

  /* The server refuses the token: a new one, and a rotated refresh token. */
  pb_test_idp_expire_access (fixture->idp);
  run_popbell (fixture, &renewed, FALSE, "--check", NULL);
  g_assert_cmpint (renewed.status, ==, 0);
  assert_clean ("popbell's debug output", renewed.err, strlen (renewed.err));

  assert_processes_clean ();
  g_assert_cmpuint (assert_tree_clean (g_get_user_config_dir ()), >, 0);
  g_assert_cmpuint (assert_tree_clean (g_get_user_state_dir ()), >, 0);
  assert_tree_clean (g_get_user_cache_dir ());
  /* gnome-keyring's files hold it encrypted only. */
  g_assert_cmpuint (assert_tree_clean (pb_test_keyring_get_dir (fixture->keyring)), >, 0);
}

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add ("/pb/cli/oauth2/add-with-device-grant", Fixture, NULL, fixture_setup,
              test_add_with_device_grant, fixture_teardown);
  g_test_add ("/pb/cli/oauth2/add-with-browser-where-no-device-grant", Fixture, NULL,
              fixture_setup, test_add_with_browser, fixture_teardown);
  g_test_add ("/pb/cli/oauth2/refused-then-sign-in-again", Fixture, NULL, fixture_setup,
              test_sign_in_again, fixture_teardown);
  g_test_add ("/pb/cli/oauth2/device-code-expires", Fixture, "{\"device_expires_in\": 3}",
              fixture_setup, test_device_code_expires, fixture_teardown);
  g_test_add ("/pb/cli/oauth2/no-client-id-says-what-works", Fixture, NULL, fixture_setup,
              test_no_client_id, fixture_teardown);
  g_test_add ("/pb/cli/oauth2/oauth2-only-host-points-to-oauth", Fixture, NULL, fixture_setup,
              test_oauth2_only_host_points_to_oauth, fixture_teardown);
  g_test_add ("/pb/cli/oauth2/add-through-online-accounts", Fixture, NULL, fixture_setup,
              test_add_through_online_accounts, fixture_teardown);
  g_test_add ("/pb/cli/oauth2/hygiene/canary-tokens-only-in-keyring-and-tls", Fixture,
              "{\"access_prefix\": \"" CANARY_CORE "-A\", "
              "\"refresh_prefix\": \"" CANARY_CORE "-R\"}",
              fixture_setup, test_hygiene, fixture_teardown);

  return g_test_run ();
}
