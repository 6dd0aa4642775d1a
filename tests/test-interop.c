/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Popbell against the real POP3 servers people run (Debian's packages of
 * Dovecot, Courier, Cyrus and GNU Mailutils), over implicit TLS and STLS, as
 * a user meets them: a self-signed certificate to pin, a first check that
 * takes what is there as seen, new Japanese mail, a wrong password, and a
 * mailbox held open by the user's mail client.
 *
 * Each case also writes what it found to $G_TEST_BUILDDIR/interop/, from
 * which build-aux/interop-table makes the README's table. */
#include "config.h"

#include <string.h>

#include "pb-checker.h"
#include "pb-error.h"
#include "pb-real-server.h"
#include "pb-test-util.h"

#define PASSWORD "Correct horse, battery staple!"
#define SUBJECT_JA "会議の件（来週の予定について）"
#define NAME_JA "山田 太郎"

typedef struct
{
  const char *server;
  PbSecurity  security;
} Case;

/* One started server per name, shared by its cases. */
static GHashTable *servers;

typedef struct
{
  PbRealServer *server;
  char         *user;
  char         *state_dir;
  PbAccount    *account;
  PbTrustStore *pins;
  GString      *report;    /* one "property: result" line per step */
} Fixture;

static PbRealServer *
get_server (const char *name)
{
  PbRealServer *server = g_hash_table_lookup (servers, name);
  g_autoptr(GError) error = NULL;

  if (server != NULL)
    return server;

  server = pb_real_server_new (name, &error);
  /* setup installs every one of them: a missing server is a failure. */
  g_assert_no_error (error);
  g_hash_table_insert (servers, g_strdup (name), server);
  return server;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  static guint counter;
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *pins_dir = pb_test_mkdtemp ("config");
  g_autofree char *pins_path = g_build_filename (pins_dir, "trust.ini", NULL);

  fixture->server = get_server (c->server);
  fixture->user = g_strdup_printf ("user%u", ++counter);
  pb_real_server_add_user (fixture->server, fixture->user, PASSWORD, &error);
  g_assert_no_error (error);

  fixture->state_dir = pb_test_mkdtemp ("state");
  fixture->pins = pb_trust_store_new (pins_path);
  fixture->account = pb_account_new (fixture->user);
  pb_account_set_host (fixture->account, "localhost");
  pb_account_set_user (fixture->account, fixture->user);
  pb_account_set_security (fixture->account, c->security);
  pb_account_set_port (fixture->account,
                       c->security == PB_SECURITY_TLS
                         ? pb_real_server_get_pop3s_port (fixture->server)
                         : pb_real_server_get_pop3_port (fixture->server));
  fixture->report = g_string_new (NULL);
  g_string_append_printf (fixture->report, "server: %s\nsecurity: %s\n", c->server,
                          c->security == PB_SECURITY_TLS ? "tls" : "starttls");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  const Case *c = data;
  g_autofree char *dir = g_test_build_filename (G_TEST_BUILT, "interop", NULL);
  g_autofree char *name = g_strdup_printf ("%s-%s.txt", c->server,
                                           c->security == PB_SECURITY_TLS ? "tls" : "starttls");
  g_autofree char *path = g_build_filename (dir, name, NULL);

  /* Only a case that got to its end has a report: a failed one leaves none,
   * and the table then says so. */
  if (!g_test_failed ())
    {
      g_mkdir_with_parents (dir, 0755);
      g_file_set_contents (path, fixture->report->str, -1, NULL);
    }
  g_string_free (fixture->report, TRUE);
  g_free (fixture->user);
  pb_test_rm_rf (fixture->state_dir);
  g_free (fixture->state_dir);
  g_clear_object (&fixture->account);
  g_clear_object (&fixture->pins);
}

static PbCheckResult *
check_with (Fixture    *fixture,
            const char *password)
{
  g_autoptr(GAsyncResult) async = NULL;
  PbCheckOptions options = { 0 };
  PbCheckResult *result;

  options.pins = fixture->pins;
  options.state_dir = fixture->state_dir;
  options.password = password;
  options.timeout = 20;

  pb_checker_check_async (fixture->account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 120);
  result = pb_checker_check_finish (async);
  if (result->error != NULL)
    {
      g_autofree char *log = pb_real_server_get_log (fixture->server);

      g_test_message ("check: %s\n%s's log:\n%s", result->error->message,
                      pb_real_server_get_name (fixture->server), log);
    }
  return result;
}

static void
deliver (Fixture    *fixture,
         const char *message)
{
  g_autoptr(GError) error = NULL;

  pb_real_server_deliver (fixture->server, fixture->user, message, &error);
  g_assert_no_error (error);
}

/* RFC 2047 B-encoding in ISO-2022-JP, as Japanese mail programs send it;
 * made with iconv, independently of the decoder under test. */
static char *
encode_iso_2022_jp (const char *text)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree char *jis = g_convert (text, -1, "ISO-2022-JP", "UTF-8", NULL, &len, &error);
  g_autofree char *b64 = NULL;

  g_assert_no_error (error);
  b64 = g_base64_encode ((const guchar *) jis, len);
  return g_strdup_printf ("=?ISO-2022-JP?B?%s?=", b64);
}

/* The SHA-256 of the certificate's DER as openssl computes it. */
static char *
openssl_fingerprint (void)
{
  g_autofree char *cert = pb_test_cert_path ("self-signed.crt");
  g_autofree char *command = g_strdup_printf ("sh -c 'openssl x509 -in \"%s\" -outform DER | "
                                              "sha256sum'", cert);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_spawn_command_line_sync (command, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  return g_strndup (out, 64);
}

static gboolean
accept_any (GTlsConnection       *connection,
            GTlsCertificate      *certificate,
            GTlsCertificateFlags  errors,
            gpointer              user_data)
{
  return TRUE;
}

/* A session of the user's "mail client", logged in and left open. It is
 * not Popbell: it takes the test certificate as it is. */
static GIOStream *
hold_maildrop (Fixture *fixture)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *commands = g_strdup_printf ("USER %s\r\nPASS %s\r\n", fixture->user,
                                               PASSWORD);
  GIOStream *tls;

  g_socket_client_set_timeout (client, 20);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1",
                                                pb_real_server_get_pop3s_port (fixture->server),
                                                NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (connection), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
  g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error);
  g_assert_no_error (error);

  input = g_data_input_stream_new (g_io_stream_get_input_stream (tls));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (input), FALSE);
  g_output_stream_write_all (g_io_stream_get_output_stream (tls), commands, strlen (commands),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  /* Greeting, USER, PASS: the maildrop is open once PASS is answered. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *line = g_data_input_stream_read_line (input, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_test_message ("mail client: %s", line);
      g_assert_true (g_str_has_prefix (line, "+OK"));
    }
  return tls;
}

static void
test_interop (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *expected_sha256 = openssl_fingerprint ();
  g_autofree char *subject = encode_iso_2022_jp (SUBJECT_JA);
  g_autofree char *name = encode_iso_2022_jp (NAME_JA);
  g_autofree char *japanese = NULL;
  g_autofree char *seen_sha256 = NULL;
  g_autoptr(PbCheckResult) result = NULL;
  g_autoptr(GIOStream) client = NULL;
  guint16 port = pb_account_get_port (fixture->account);
  PbMessage *message;

  deliver (fixture, "From: old@example.org\nSubject: Already there\n\nOld mail.\n");

  /* The self-signed certificate is reported, with its fingerprint. */
  result = check_with (fixture, PASSWORD);
  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_nonnull (result->certificate);
  g_assert_true (result->certificate_errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  seen_sha256 = pb_certificate_get_sha256 (result->certificate);
  g_assert_cmpstr (seen_sha256, ==, expected_sha256);
  g_string_append_printf (fixture->report, "certificate: reported (SHA-256 %.16s…)\n",
                          seen_sha256);

  /* A pin counts for exactly that host and port. */
  pb_trust_store_add (fixture->pins, "localhost", port + 1, result->certificate);
  pb_trust_store_add (fixture->pins, "127.0.0.1", port, result->certificate);
  g_clear_pointer (&result, pb_check_result_free);
  result = check_with (fixture, PASSWORD);
  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  pb_trust_store_add (fixture->pins, "localhost", port, result->certificate);
  g_clear_pointer (&result, pb_check_result_free);

  /* The first check takes what is there as seen. */
  result = check_with (fixture, PASSWORD);
  g_assert_no_error (result->error);
  g_assert_cmpint (result->trust, ==, PB_TRUST_PINNED);
  g_assert_true (result->first_check);
  g_assert_cmpuint (result->total, ==, 1);
  g_assert_cmpuint (result->new_count, ==, 0);
  g_assert_cmpuint (result->round_trips, <=, 4 + (pb_account_get_security (fixture->account) ==
                                                  PB_SECURITY_STARTTLS ? 3 : 0));
  g_string_append_printf (fixture->report, "pin: works for exactly localhost:port\n"
                          "baseline: %u message taken as seen\nround trips: %u\n",
                          result->total, result->round_trips);
  g_clear_pointer (&result, pb_check_result_free);

  /* New Japanese mail, decoded. */
  japanese = g_strdup_printf ("From: %s <taro@example.jp>\nSubject: %s\n"
                              "Date: Fri, 27 Nov 2026 10:02:00 +0900\nMIME-Version: 1.0\n"
                              "Content-Type: text/plain; charset=ISO-2022-JP\n\nbody\n",
                              name, subject);
  deliver (fixture, japanese);
  result = check_with (fixture, PASSWORD);
  g_assert_no_error (result->error);
  g_assert_false (result->first_check);
  g_assert_cmpuint (result->total, ==, 2);
  g_assert_cmpuint (result->new_count, ==, 1);
  g_assert_cmpuint (result->messages->len, ==, 1);
  message = g_ptr_array_index (result->messages, 0);
  g_assert_cmpstr (message->subject, ==, SUBJECT_JA);
  g_assert_cmpstr (message->from_name, ==, NAME_JA);
  g_assert_cmpstr (message->from_address, ==, "taro@example.jp");
  /* Numbered in arrival order: only the new message needed a UIDL. */
  g_assert_cmpint (result->listing, ==, PB_POP3_LISTING_APPENDED);
  g_string_append (fixture->report, "new mail: 1, Japanese From and Subject decoded\n");
  g_clear_pointer (&result, pb_check_result_free);

  /* Nothing new the next time. */
  result = check_with (fixture, PASSWORD);
  g_assert_no_error (result->error);
  g_assert_cmpuint (result->new_count, ==, 0);
  g_assert_cmpuint (result->total, ==, 2);
  g_assert_cmpint (result->listing, ==, PB_POP3_LISTING_UNCHANGED);
  g_string_append_printf (fixture->report, "no new mail: 0 new, %" G_GUINT64_FORMAT
                          " bytes read\n", result->bytes_received);
  g_clear_pointer (&result, pb_check_result_free);

  /* A wrong password is the password. */
  result = check_with (fixture, "wrong password");
  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_cmpstr (pb_error_kind (result->error), ==, "auth");
  g_string_append_printf (fixture->report, "wrong password: auth error (%s)\n",
                          strrchr (result->error->message, ':') + 2);
  g_clear_pointer (&result, pb_check_result_free);

  /* A maildrop the mail client holds open is not the password. */
  client = hold_maildrop (fixture);
  result = check_with (fixture, PASSWORD);
  if (pb_real_server_locks_maildrop (fixture->server))
    {
      g_assert_nonnull (result->error);
      g_assert_false (g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED));
      g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_MAILBOX_IN_USE);
      g_assert_cmpstr (pb_error_kind (result->error), ==, "temporary");
      g_string_append_printf (fixture->report, "mailbox in use: temporary error (%s)\n",
                              strrchr (result->error->message, ':') + 2);
    }
  else
    {
      /* Courier and Cyrus let two sessions share the mailbox. */
      g_assert_no_error (result->error);
      g_string_append (fixture->report, "mailbox in use: shared, the check works\n");
    }
  g_io_stream_close (client, NULL, NULL);
}

int
main (int    argc,
      char **argv)
{
  const PbSecurity securities[] = { PB_SECURITY_TLS, PB_SECURITY_STARTTLS };
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);
  int status;

  pb_test_init (&argc, &argv);
  servers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) pb_real_server_free);

  for (guint i = 0; pb_real_server_names[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (securities); j++)
      {
        Case *c = g_new0 (Case, 1);
        g_autofree char *path = NULL;

        c->server = pb_real_server_names[i];
        c->security = securities[j];
        g_ptr_array_add (cases, c);
        path = g_strdup_printf ("/pb/interop/%s/%s", c->server,
                                c->security == PB_SECURITY_TLS ? "tls" : "starttls");
        g_test_add (path, Fixture, c, fixture_setup, test_interop, fixture_teardown);
      }

  status = g_test_run ();
  g_hash_table_unref (servers);
  return status;
}
