/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where a password must never show up: logs (all debug messages on), error
 * messages, the command line and environment of any process, the files
 * Popbell writes, and the network before TLS is up and verified. One canary
 * password is followed through checks that work and checks that fail. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "pb-checker.h"
#include "pb-dovecot.h"
#include "pb-error.h"
#include "pb-test-keyring.h"
#include "pb-test-server.h"
#include "pb-test-util.h"

#define CANARY "Canary-7f3a9c-P\xc3\xa4sw\xc3\xb6rd"
/* The part that survives another encoding or escaping of the rest; long
 * enough not to turn up by chance in a hash or a fingerprint. */
#define CANARY_CORE "Canary-7f3a9c"
/* An OAuth2 access token with the same core: a bearer token has no spaces or
 * non-ASCII letters (RFC 6750). */
#define CANARY_TOKEN "Canary-7f3a9c-Token.ya29_a0AfB~x+y/z=="
#define HOST "127.0.0.1"
#define USER "alice"

#define GREETING "+OK Popbell test server ready."
#define CAPA_PIPELINED \
  "+OK\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUSER\r\nSASL PLAIN\r\n.\r\n"
#define CAPA_STLS "+OK\r\nSTLS\r\nSASL PLAIN\r\nUSER\r\n.\r\n"
#define LISTING "+OK 2 200\r\n+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n"

static PbDovecot *dovecot;

/* ---- Ways the password could be written ---------------------------------- */

static GPtrArray *forms;

/* The canary as it is, its core, and the forms a login gives it: SASL PLAIN
 * for every user name used here, base64 of the password alone. */
static void
forms_init (void)
{
  const char *users[] = { USER, "hygiene", "wrong" };

  forms = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (forms, g_strdup (CANARY));
  g_ptr_array_add (forms, g_strdup (CANARY_CORE));
  g_ptr_array_add (forms, g_base64_encode ((const guchar *) CANARY, strlen (CANARY)));

  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_autoptr(GByteArray) raw = g_byte_array_new ();

      g_byte_array_append (raw, (const guint8 *) "", 1);
      g_byte_array_append (raw, (const guint8 *) users[i], strlen (users[i]) + 1);
      g_byte_array_append (raw, (const guint8 *) CANARY, strlen (CANARY));
      g_ptr_array_add (forms, g_base64_encode (raw->data, raw->len));
    }

  /* The token alone, and in the SASL XOAUTH2 message for each user name. */
  g_ptr_array_add (forms, g_base64_encode ((const guchar *) CANARY_TOKEN, strlen (CANARY_TOKEN)));
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_autofree char *raw = g_strdup_printf ("user=%s\001auth=Bearer %s\001\001",
                                              users[i], CANARY_TOKEN);

      g_ptr_array_add (forms, g_base64_encode ((const guchar *) raw, strlen (raw)));
    }
}

/* Like memmem: the data may hold NUL bytes (environments, command lines). */
static gboolean
contains_bytes (const char *data,
                gsize       len,
                const char *needle,
                gsize       needle_len)
{
  for (gsize i = 0; needle_len <= len && i <= len - needle_len; i++)
    if (data[i] == needle[0] && memcmp (data + i, needle, needle_len) == 0)
      return TRUE;
  return FALSE;
}

static const char *
find_canary (const char *data,
             gsize       len)
{
  for (guint i = 0; i < forms->len; i++)
    if (contains_bytes (data, len, forms->pdata[i], strlen (forms->pdata[i])))
      return forms->pdata[i];
  return NULL;
}

static void
assert_no_canary (const char *what,
                  const char *data,
                  gsize       len)
{
  const char *found = find_canary (data, len);

  if (found != NULL)
    g_error ("The password (as \"%s\") appears in %s", found, what);
}

/* ---- Logs ------------------------------------------------------------------ */

static GString *captured;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "MESSAGE") != 0 && strcmp (fields[i].key, "GLIB_DOMAIN") != 0)
        continue;
      if (fields[i].length < 0)
        g_string_append (captured, fields[i].value);
      else
        g_string_append_len (captured, fields[i].value, fields[i].length);
      g_string_append_c (captured, ' ');
    }
  g_string_append_c (captured, '\n');

  /* Debug messages stay out of the test's output; the rest is shown as
   * usual (whether it is fatal does not depend on the writer). */
  if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* ---- Checks in this process ------------------------------------------------ */

typedef struct
{
  PbTestServer *server;
  PbAccount    *account;
  char         *dir;
  PbTrustStore *pins;
} Bench;

static void
bench_init (Bench            *bench,
            const char       *cert_name,
            PbSecurity        security,
            const PbTestStep *steps)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate (cert_name);
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autofree char *pins_path = NULL;

  bench->server = pb_test_server_new (certificate, security == PB_SECURITY_TLS, steps);
  bench->dir = pb_test_mkdtemp ("account");
  pins_path = g_build_filename (bench->dir, "trust.ini", NULL);
  bench->pins = pb_trust_store_new (pins_path);
  bench->account = pb_account_new ("hygiene");
  pb_account_set_host (bench->account, HOST);
  pb_account_set_port (bench->account, pb_test_server_get_port (bench->server));
  pb_account_set_security (bench->account, security);
  pb_account_set_user (bench->account, USER);
  pb_account_set_ca_file (bench->account, ca);
}

static void
bench_clear (Bench *bench)
{
  g_clear_pointer (&bench->server, pb_test_server_free);
  g_clear_object (&bench->account);
  g_clear_object (&bench->pins);
  g_clear_pointer (&bench->dir, g_free);
}

/* Runs one check with the canary and every log message captured; checks
 * that neither the logs nor the result hold the password. */
static PbCheckResult *
check_capturing (PbAccount    *account,
                 PbTrustStore *pins,
                 const char   *state_dir,
                 const char   *password,
                 guint         timeout)
{
  g_autoptr(GAsyncResult) async = NULL;
  PbCheckOptions options = { 0 };
  PbCheckResult *result;

  options.pins = pins;
  options.state_dir = state_dir;
  options.password = password;
  options.timeout = timeout;

  g_string_truncate (captured, 0);
  pb_checker_check_async (account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, timeout + 30);
  result = pb_checker_check_finish (async);

  /* The capture works: the session's steps were logged. */
  g_assert_nonnull (strstr (captured->str, "popbell-"));
  g_assert_nonnull (strstr (captured->str, "Connecting to"));
  assert_no_canary ("the debug log", captured->str, captured->len);
  if (result->error != NULL)
    assert_no_canary ("the error message", result->error->message,
                      strlen (result->error->message));
  if (result->notice != NULL)
    assert_no_canary ("the notice", result->notice, strlen (result->notice));
  return result;
}

/* Every file under @path, and every name, is free of the password. */
static guint
assert_tree_clean (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  guint n = 0;

  assert_no_canary ("a file name", base, strlen (base));
  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return 0;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      if (dir == NULL)
        return 0;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          n += assert_tree_clean (child);
        }
      return n;
    }
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *contents = NULL;
      g_autofree char *what = g_strdup_printf ("the file %s", path);
      gsize len = 0;

      if (g_file_get_contents (path, &contents, &len, NULL))
        {
          assert_no_canary (what, contents, len);
          return 1;
        }
    }
  return 0;
}

static void
test_logs_scripted_success (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT_PREFIX, "AUTH PLAIN " },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  g_autoptr(GBytes) received = NULL;
  Bench bench = { 0 };

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, steps);
  result = check_capturing (bench.account, bench.pins, bench.dir, CANARY, 5);
  g_assert_no_error (result->error);
  g_assert_nonnull (strstr (captured->str, "> AUTH"));
  /* It did go out, inside TLS: the server got it. */
  received = pb_test_server_dup_received (bench.server);
  g_assert_nonnull (find_canary (g_bytes_get_data (received, NULL), g_bytes_get_size (received)));
  g_assert_cmpuint (pb_test_server_get_plain_received (bench.server), ==, 0);
  g_assert_cmpuint (assert_tree_clean (bench.dir), >, 0);
  bench_clear (&bench);
}

static void
test_logs_scripted_auth_failure (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nUSER\r\nUIDL\r\n.\r\n" },
    { PB_STEP_EXPECT, "USER " USER },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "PASS " CANARY },
    { PB_STEP_SEND, "-ERR [AUTH] Invalid password." },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, steps);
  result = check_capturing (bench.account, bench.pins, bench.dir, CANARY, 5);
  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_null (pb_test_server_get_failure (bench.server));
  g_assert_nonnull (strstr (captured->str, "> PASS"));
  bench_clear (&bench);
}

/* An OAuth2 login, accepted or refused with an error challenge: the token
 * goes out inside TLS, and nowhere else. */
static void
test_logs_scripted_bearer (gconstpointer user_data)
{
  gboolean refused = GPOINTER_TO_INT (user_data);
  static const PbTestStep accepted_steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\n.\r\n" },
    { PB_STEP_EXPECT, "AUTH XOAUTH2" },
    { PB_STEP_SEND, "+ " },
    { PB_STEP_EXPECT_ANY },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 200" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  /* {"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"} */
  static const PbTestStep refused_steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2 OAUTHBEARER\r\n.\r\n" },
    { PB_STEP_EXPECT, "AUTH OAUTHBEARER" },
    { PB_STEP_SEND, "+ " },
    { PB_STEP_EXPECT_ANY },
    { PB_STEP_SEND, "+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==" },
    { PB_STEP_EXPECT, "AQ==" },
    { PB_STEP_SEND, "-ERR [AUTH] Invalid credentials" },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GBytes) received = NULL;
  PbCheckOptions options = { 0 };
  Bench bench = { 0 };

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, refused ? refused_steps : accepted_steps);
  options.pins = bench.pins;
  options.state_dir = bench.dir;
  options.access_token = CANARY_TOKEN;
  options.timeout = 5;

  g_string_truncate (captured, 0);
  pb_checker_check_async (bench.account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 30);
  result = pb_checker_check_finish (async);
  g_assert_nonnull (strstr (captured->str, "> AUTH"));
  assert_no_canary ("the debug log", captured->str, captured->len);
  if (refused)
    {
      g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED);
      assert_no_canary ("the error message", result->error->message,
                        strlen (result->error->message));
    }
  else
    g_assert_no_error (result->error);
  g_assert_null (pb_test_server_get_failure (bench.server));

  /* It did go out, inside TLS: the server got it. */
  received = pb_test_server_dup_received (bench.server);
  {
    GPtrArray *commands = pb_test_server_get_commands (bench.server);
    g_autofree guchar *decoded = NULL;
    gsize decoded_len = 0;

    g_assert_cmpuint (commands->len, >=, 3);
    decoded = g_base64_decode (g_ptr_array_index (commands, 2), &decoded_len);
    g_assert_true (contains_bytes ((const char *) decoded, decoded_len,
                                   "auth=Bearer " CANARY_TOKEN "\001\001",
                                   strlen ("auth=Bearer " CANARY_TOKEN "\001\001")));
  }
  g_assert_cmpuint (pb_test_server_get_plain_received (bench.server), ==, 0);
  assert_tree_clean (bench.dir);
  bench_clear (&bench);
}

static void
test_logs_scripted_tls_failure (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  g_autoptr(GBytes) received = NULL;
  Bench bench = { 0 };

  bench_init (&bench, "self-signed.pem", PB_SECURITY_TLS, steps);
  result = check_capturing (bench.account, bench.pins, bench.dir, CANARY, 5);
  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  /* After the handshake, not one byte of data reached the server. */
  while (!pb_test_server_get_disconnected (bench.server))
    g_main_context_iteration (NULL, TRUE);
  received = pb_test_server_dup_received (bench.server);
  g_assert_cmpuint (g_bytes_get_size (received), ==, 0);
  g_assert_cmpuint (pb_test_server_get_commands (bench.server)->len, ==, 0);
  bench_clear (&bench);
}

static void
test_logs_scripted_timeout (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT_PREFIX, "AUTH PLAIN " },
    { PB_STEP_STALL },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, steps);
  result = check_capturing (bench.account, bench.pins, bench.dir, CANARY, 1);
  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_TIMEOUT);
  bench_clear (&bench);
}

/* STARTTLS: before the handshake only CAPA and STLS go out; after a
 * certificate is refused, nothing at all. */
static void
test_nothing_before_tls (gconstpointer user_data)
{
  gboolean trusted = GPOINTER_TO_INT (user_data);
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    /* A forged list that offers everything. */
    { PB_STEP_SEND_RAW, "+OK\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n" },
    { PB_STEP_EXPECT, "STLS" },
    { PB_STEP_SEND, "+OK Begin TLS." },
    { PB_STEP_STARTTLS },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT_PREFIX, "AUTH PLAIN " },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  g_autoptr(GBytes) received = NULL;
  Bench bench = { 0 };
  gsize plain;

  bench_init (&bench, trusted ? "server.pem" : "wrong-host.pem", PB_SECURITY_STARTTLS, steps);
  result = check_capturing (bench.account, bench.pins, bench.dir, CANARY, 5);
  while (!pb_test_server_get_disconnected (bench.server))
    g_main_context_iteration (NULL, TRUE);

  received = pb_test_server_dup_received (bench.server);
  plain = pb_test_server_get_plain_received (bench.server);
  g_assert_cmpmem (g_bytes_get_data (received, NULL), plain, "CAPA\r\nSTLS\r\n", 12);
  g_assert_cmpuint (pb_test_server_get_plain_commands (bench.server), ==, 2);

  if (trusted)
    {
      g_assert_no_error (result->error);
      /* Inside TLS it went out, exactly once. */
      g_assert_nonnull (find_canary ((const char *) g_bytes_get_data (received, NULL) + plain,
                                     g_bytes_get_size (received) - plain));
    }
  else
    {
      g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
      g_assert_cmpuint (g_bytes_get_size (received), ==, plain);
      g_assert_cmpuint (pb_test_server_get_commands (bench.server)->len, ==, 2);
    }
  bench_clear (&bench);
}

static void
test_line_breaks_rejected_before_sending (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_END },
  };
  const char *passwords[] = {
    CANARY "\r\nDELE 1",
    CANARY "\n",
    "\r" CANARY,
  };

  for (guint i = 0; i < G_N_ELEMENTS (passwords); i++)
    {
      g_autoptr(PbCheckResult) result = NULL;
      g_autofree char *transcript = NULL;
      Bench bench = { 0 };

      bench_init (&bench, "server.pem", PB_SECURITY_TLS, steps);
      result = check_capturing (bench.account, bench.pins, bench.dir, passwords[i], 5);
      g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_INVALID_ARGUMENT);
      while (!pb_test_server_get_disconnected (bench.server))
        g_main_context_iteration (NULL, TRUE);
      transcript = pb_test_server_dup_transcript (bench.server);
      g_assert_cmpstr (transcript, ==, "CAPA");
      bench_clear (&bench);
    }
}

/* ---- Against Dovecot ------------------------------------------------------- */

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
test_logs_dovecot (gconstpointer user_data)
{
  PbSecurity security = GPOINTER_TO_INT (user_data);
  static guint counter;
  g_autofree char *user = NULL;
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autofree char *dir = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(PbCheckResult) ok = NULL;
  g_autoptr(PbCheckResult) refused = NULL;
  g_autoptr(GError) error = NULL;

  if (!need_dovecot ())
    return;

  user = g_strdup_printf ("hygiene%u", ++counter);
  pb_dovecot_add_user (dovecot, user, CANARY, &error);
  g_assert_no_error (error);
  dir = pb_test_mkdtemp ("dovecot-state");

  account = pb_account_new (user);
  pb_account_set_host (account, "localhost");
  pb_account_set_user (account, user);
  pb_account_set_security (account, security);
  pb_account_set_port (account, security == PB_SECURITY_TLS ? pb_dovecot_get_pop3s_port (dovecot)
                                                            : pb_dovecot_get_pop3_port (dovecot));
  pb_account_set_ca_file (account, ca);

  ok = check_capturing (account, NULL, dir, CANARY, 20);
  if (ok->error != NULL)
    {
      g_autofree char *log = pb_dovecot_get_log (dovecot);
      g_test_message ("Dovecot log:\n%s", log);
    }
  g_assert_no_error (ok->error);

  /* The canary as the wrong password of another user. */
  pb_account_set_user (account, "wrong");
  refused = check_capturing (account, NULL, dir, CANARY, 20);
  g_assert_error (refused->error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_cmpuint (assert_tree_clean (dir), >, 0);
}

/* ---- The popbell program --------------------------------------------------- */

typedef struct
{
  PbTestKeyring *keyring;
  char          *home;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->keyring = pb_test_keyring_new ();
  fixture->home = pb_test_mkdtemp ("home");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->keyring, pb_test_keyring_free);
  g_free (fixture->home);
}

typedef struct
{
  gboolean     done;
  char        *out;
  char        *err;
  GError      *error;
} Communicated;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communicated *c = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err,
                                        &c->error);
  c->done = TRUE;
}

static guint scan_proc (const char *must_see_pid);

/* Runs popbell with all debug messages on, in the fixture's home, while
 * this process's main context runs (scripted servers live on it). When
 * @server is set, every process is scanned once its script is done (the
 * password is then in popbell's memory) and the server is then freed. */
static int
run_popbell (Fixture       *fixture,
             const char    *input,
             PbTestServer **server,
             const char    *first,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *config = g_build_filename (fixture->home, "config", NULL);
  g_autofree char *state = g_build_filename (fixture->home, "state", NULL);
  g_autofree char *cache = g_build_filename (fixture->home, "cache", NULL);
  const char *binary = g_getenv ("PB_POPBELL");
  Communicated c = { 0 };
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  va_list args;
  int status;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "HOME", fixture->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, input, NULL, on_communicated, &c);

  while (!c.done)
    {
      g_main_context_iteration (NULL, FALSE);
      if (server != NULL && *server != NULL && pb_test_server_get_script_done (*server))
        {
          g_assert_cmpuint (scan_proc (g_subprocess_get_identifier (process)), >, 2);
          g_clear_pointer (server, pb_test_server_free);
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("popbell %s did not end", first);
      g_usleep (1000);
    }
  g_assert_no_error (c.error);
  g_assert_true (g_subprocess_get_if_exited (process));
  status = g_subprocess_get_exit_status (process);
  g_test_message ("popbell %s → %d\nstdout:\n%s\nstderr:\n%s", first, status, c.out, c.err);

  /* The debug output is full, and clean. */
  g_assert_true (strstr (c.out, "-DEBUG") != NULL || strstr (c.err, "-DEBUG") != NULL);
  assert_no_canary ("popbell's standard output", c.out, strlen (c.out));
  assert_no_canary ("popbell's debug output", c.err, strlen (c.err));
  g_free (c.out);
  g_free (c.err);
  return status;
}

/* Reads /proc/PID/@file, or NULL when the process is gone or hidden. */
static char *
read_proc (const char *pid,
           const char *file,
           gsize      *len)
{
  g_autofree char *path = g_build_filename ("/proc", pid, file, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, len, NULL))
    return NULL;
  return contents;
}

/* The command line and environment of every process: no password. Returns
 * how many processes were looked at; @must_see_pid must be one of them. */
static guint
scan_proc (const char *must_see_pid)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  gboolean seen = FALSE;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *cmdline = NULL;
      g_autofree char *environ_ = NULL;
      gsize cmdline_len = 0, environ_len = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      cmdline = read_proc (name, "cmdline", &cmdline_len);
      environ_ = read_proc (name, "environ", &environ_len);
      if (cmdline == NULL || environ_ == NULL)
        continue;

      assert_no_canary ("the command line of a process", cmdline, cmdline_len);
      assert_no_canary ("the environment of a process", environ_, environ_len);
      n++;
      if (g_strcmp0 (name, must_see_pid) == 0)
        {
          seen = TRUE;
          /* It is the one: it runs the check. */
          g_assert_true (contains_bytes (environ_, environ_len, "G_MESSAGES_DEBUG=all", 20));
        }
    }
  g_assert_true (must_see_pid == NULL || seen);
  g_test_message ("scanned %u processes", n);
  return n;
}

static void
add_account (Fixture    *fixture,
             const char *id,
             const char *user,
             guint16     port,
             PbSecurity  security,
             gboolean    with_ca,
             gboolean    verify)
{
  g_autofree char *add = g_strdup_printf ("--add-account=%s", id);
  g_autofree char *user_arg = g_strdup_printf ("--user=%s", user);
  g_autofree char *port_arg = g_strdup_printf ("--port=%u", port);
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autofree char *ca_arg = g_strdup_printf ("--ca-file=%s", ca);
  g_autofree char *security_arg = g_strdup_printf ("--security=%s",
                                                   pb_security_to_string (security));

  /* Without the test login, for servers that are meant to refuse or hang. */
  g_assert_cmpint (run_popbell (fixture, CANARY "\n", NULL, add, "--host=" HOST, user_arg,
                                port_arg, security_arg, verify ? "--interval=5" : "--no-verify",
                                with_ca ? ca_arg : NULL, NULL),
                   ==, 0);
}

static void
assert_private (const char *home,
                const char *relative,
                guint       mode)
{
  g_autofree char *path = g_build_filename (home, relative, NULL);
  GStatBuf buf;

  g_assert_cmpint (g_stat (path, &buf), ==, 0);
  g_assert_cmpuint (buf.st_mode & 0777, ==, mode);
}

/* The whole life of an account through the program: added, checked against
 * a server that works, one that refuses the password, one with an untrusted
 * certificate and one that hangs, then removed. The password stays in the
 * keyring and in popbell's memory. */
static void
test_program (Fixture       *fixture,
              gconstpointer  data)
{
  static const PbTestStep works[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT_PREFIX, "AUTH PLAIN " },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_END },
  };
  /* The second check asks only where the mailbox ended. */
  static const PbTestStep works_again[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT_PREFIX, "AUTH PLAIN " },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL 2" },
    { PB_STEP_SEND_RAW, "+OK 2 200\r\n+OK 2 uid-two\r\n" },
    { PB_STEP_END },
  };
  static const PbTestStep refuses[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT_PREFIX, "AUTH PLAIN " },
    { PB_STEP_SEND, "-ERR [AUTH] Authentication failed." },
    { PB_STEP_END },
  };
  static const PbTestStep hangs[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT_PREFIX, "AUTH PLAIN " },
    { PB_STEP_STALL },
  };
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.pem");
  g_autoptr(GTlsCertificate) untrusted = pb_test_load_certificate ("self-signed.pem");
  const char *ids[] = { "home", "refused", "untrusted", "hang", "dovecot" };
  g_autoptr(GBytes) received = NULL;
  PbTestServer *server;

  server = pb_test_server_new (cert, TRUE, works);
  pb_test_server_set_later_steps (server, works_again);
  add_account (fixture, "home", USER, pb_test_server_get_port (server), PB_SECURITY_TLS, TRUE,
               TRUE);
  g_assert_cmpint (run_popbell (fixture, NULL, NULL, "--check", "--account=home", NULL), ==, 0);
  g_assert_cmpint (run_popbell (fixture, NULL, NULL, "--check", "--account=home", "--json", NULL),
                   ==, 0);
  /* --add-account's own look at the mailbox, then the two checks. */
  g_assert_cmpuint (pb_test_server_get_n_connections (server), ==, 3);
  pb_test_server_free (server);

  server = pb_test_server_new (cert, TRUE, refuses);
  add_account (fixture, "refused", USER, pb_test_server_get_port (server), PB_SECURITY_TLS, TRUE,
               FALSE);
  g_assert_cmpint (run_popbell (fixture, NULL, NULL, "--check", "--account=refused", NULL), ==, 1);
  pb_test_server_free (server);

  /* Without the CA file the certificate is unknown: not one byte of data. */
  server = pb_test_server_new (untrusted, TRUE, works);
  add_account (fixture, "untrusted", USER, pb_test_server_get_port (server), PB_SECURITY_TLS,
               FALSE, FALSE);
  g_assert_cmpint (run_popbell (fixture, NULL, NULL, "--check", "--account=untrusted", NULL),
                   ==, 1);
  received = pb_test_server_dup_received (server);
  g_assert_cmpuint (g_bytes_get_size (received), ==, 0);
  pb_test_server_free (server);

  /* While a check waits for its answer, with the password in popbell's
   * memory, no process shows it; then the server goes away. */
  server = pb_test_server_new (cert, TRUE, hangs);
  add_account (fixture, "hang", USER, pb_test_server_get_port (server), PB_SECURITY_TLS, TRUE,
               FALSE);
  g_assert_cmpint (run_popbell (fixture, NULL, &server, "--check", "--account=hang", NULL), ==, 1);
  g_assert_null (server);

  if (dovecot != NULL)
    {
      g_autoptr(GError) error = NULL;

      pb_dovecot_add_user (dovecot, "program", CANARY, &error);
      g_assert_no_error (error);
      add_account (fixture, "dovecot", "program", pb_dovecot_get_pop3_port (dovecot),
                   PB_SECURITY_STARTTLS, TRUE, TRUE);
      g_assert_cmpint (run_popbell (fixture, NULL, NULL, "--check", "--account=dovecot", NULL),
                       ==, 0);
    }

  g_assert_cmpint (run_popbell (fixture, NULL, NULL, "--list-accounts", NULL), ==, 0);
  /* Other users on the machine can read none of it. */
  assert_private (fixture->home, "config/popbell", 0700);
  assert_private (fixture->home, "config/popbell/accounts.ini", 0600);
  assert_private (fixture->home, "state/popbell", 0700);
  assert_private (fixture->home, "state/popbell/home.state", 0600);
  /* Config, state, cache, home: the files Popbell wrote hold no password,
   * with the accounts there and after they are gone. */
  g_assert_cmpuint (assert_tree_clean (fixture->home), >=, 3);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *remove = g_strdup_printf ("--remove-account=%s", ids[i]);

      if (dovecot == NULL && strcmp (ids[i], "dovecot") == 0)
        continue;
      g_assert_cmpint (run_popbell (fixture, NULL, NULL, remove, NULL), ==, 0);
    }
  g_assert_cmpuint (assert_tree_clean (fixture->home), >=, 1);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);
  /* Every message of every domain, as with G_MESSAGES_DEBUG=all, but only
   * here: the keyring and bus daemons this test starts keep quiet. */
  g_log_set_debug_enabled (TRUE);
  captured = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  forms_init ();

  dovecot = pb_dovecot_new (&error);
  if (dovecot == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_error ("Could not start Dovecot: %s", error->message);
      g_clear_error (&error);
    }

  g_test_add_func ("/pb/hygiene/logs/scripted-success", test_logs_scripted_success);
  g_test_add_func ("/pb/hygiene/logs/scripted-auth-failure", test_logs_scripted_auth_failure);
  g_test_add_func ("/pb/hygiene/logs/scripted-untrusted-certificate-sends-nothing",
                   test_logs_scripted_tls_failure);
  g_test_add_func ("/pb/hygiene/logs/scripted-timeout", test_logs_scripted_timeout);
  g_test_add_data_func ("/pb/hygiene/logs/scripted-oauth2-token-accepted", GINT_TO_POINTER (FALSE),
                        test_logs_scripted_bearer);
  g_test_add_data_func ("/pb/hygiene/logs/scripted-oauth2-token-refused", GINT_TO_POINTER (TRUE),
                        test_logs_scripted_bearer);
  g_test_add_data_func ("/pb/hygiene/logs/dovecot-tls", GINT_TO_POINTER (PB_SECURITY_TLS),
                        test_logs_dovecot);
  g_test_add_data_func ("/pb/hygiene/logs/dovecot-starttls", GINT_TO_POINTER (PB_SECURITY_STARTTLS),
                        test_logs_dovecot);
  g_test_add_data_func ("/pb/hygiene/network/starttls-only-capa-and-stls-before-tls",
                        GINT_TO_POINTER (TRUE), test_nothing_before_tls);
  g_test_add_data_func ("/pb/hygiene/network/starttls-untrusted-certificate-sends-nothing",
                        GINT_TO_POINTER (FALSE), test_nothing_before_tls);
  g_test_add_func ("/pb/hygiene/network/line-breaks-rejected-before-sending",
                   test_line_breaks_rejected_before_sending);
  g_test_add ("/pb/hygiene/program/logs-argv-environment-and-files", Fixture, NULL,
              fixture_setup, test_program, fixture_teardown);

  status = g_test_run ();
  g_clear_pointer (&dovecot, pb_dovecot_free);
  g_ptr_array_unref (forms);
  g_string_free (captured, TRUE);
  return status;
}
