/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pb-error.h"
#include "pb-pop3-client.h"
#include "pb-test-server.h"
#include "pb-test-util.h"

#define HOST "127.0.0.1"
#define AUTH_ALICE "AUTH PLAIN AGFsaWNlAHNlY3JldA==" /* \0alice\0secret */

#define GREETING "+OK Popbell test server ready."
#define CAPA_PIPELINED \
  "+OK\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n"
#define CAPA_PLAIN_ONLY "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN\r\n.\r\n"
#define CAPA_USER_ONLY "+OK\r\nTOP\r\nUIDL\r\nUSER\r\n.\r\n"
#define LISTING "+OK 2 320\r\n+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n"

/* ---- Utilities ------------------------------------------------------------ */

typedef struct
{
  PbTestServer *server;
  PbPop3Client *client;
} Session;

/* A server playing @steps (with implicit TLS when @cert_name is set and
 * @security is PB_SECURITY_TLS) and a client that trusts the test CA. */
static void
session_start (Session          *session,
               const char       *cert_name,
               PbSecurity        security,
               const PbTestStep *steps)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *ca = pb_test_cert_path ("ca.crt");

  if (cert_name != NULL)
    certificate = pb_test_load_certificate (cert_name);

  session->server = pb_test_server_new (certificate, security == PB_SECURITY_TLS, steps);
  session->client = pb_pop3_client_new (HOST, pb_test_server_get_port (session->server), security);
  pb_pop3_client_set_ca_file (session->client, ca);
  pb_pop3_client_set_timeout (session->client, 5);
}

static void
wait_server_disconnected (PbTestServer *server)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!pb_test_server_get_disconnected (server))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The client did not hang up");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Quits, waits until the server saw the client go, and checks that nothing
 * keeps the client alive. */
static void
session_end (Session *session)
{
  pb_pop3_client_quit (session->client);
  wait_server_disconnected (session->server);
  g_assert_finalize_object (g_steal_pointer (&session->client));
  g_clear_pointer (&session->server, pb_test_server_free);
}

static void
assert_transcript (PbTestServer *server,
                   const char   *expected)
{
  g_autofree char *transcript = pb_test_server_dup_transcript (server);

  g_assert_cmpstr (transcript, ==, expected);
}

static gboolean
client_connect (PbPop3Client  *client,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_pop3_client_connect_async (client, cancellable, pb_test_store_result, &result);
  pb_test_wait_result (&result, 10);
  return pb_pop3_client_connect_finish (client, result, error);
}

static PbPop3Listing *
client_login (PbPop3Client  *client,
              const char    *user,
              const char    *password,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_pop3_client_login_async (client, user, password, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 10);
  return pb_pop3_client_login_finish (client, result, error);
}

static GPtrArray *
client_top (PbPop3Client  *client,
            const guint   *msgnums,
            guint          n_msgnums,
            GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_pop3_client_top_async (client, msgnums, n_msgnums, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 10);
  return pb_pop3_client_top_finish (client, result, error);
}

static void
assert_listing_two (PbPop3Listing *listing)
{
  PbPop3Entry *entry;

  g_assert_nonnull (listing);
  g_assert_cmpuint (listing->count, ==, 2);
  g_assert_cmpuint (listing->size, ==, 320);
  g_assert_nonnull (listing->entries);
  g_assert_cmpuint (listing->entries->len, ==, 2);
  entry = g_ptr_array_index (listing->entries, 0);
  g_assert_cmpuint (entry->msgnum, ==, 1);
  g_assert_cmpstr (entry->uidl, ==, "uid-one");
  entry = g_ptr_array_index (listing->entries, 1);
  g_assert_cmpuint (entry->msgnum, ==, 2);
  g_assert_cmpstr (entry->uidl, ==, "uid-two");
}

static void
assert_bytes (GBytes     *bytes,
              const char *expected)
{
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   expected, strlen (expected));
}

/* ---- The object ------------------------------------------------------------ */

static void
test_create_destroy (void)
{
  PbPop3Client *client = pb_pop3_client_new ("pop.example.org", 995, PB_SECURITY_TLS);

  g_assert_cmpstr (pb_pop3_client_get_host (client), ==, "pop.example.org");
  g_assert_cmpuint (pb_pop3_client_get_port (client), ==, 995);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (client), ==, 0);
  g_assert_cmpuint (pb_pop3_client_get_round_trips (client), ==, 0);
  g_assert_null (pb_pop3_client_get_peer_certificate (client));
  g_assert_cmpint (pb_pop3_client_get_trust_verdict (client), ==, PB_TRUST_REJECTED);
  g_assert_cmpint (pb_pop3_client_get_tls_version (client), ==, G_TLS_PROTOCOL_VERSION_UNKNOWN);
  g_assert_finalize_object (client);
}

static void
test_quit_before_connect (void)
{
  PbPop3Client *client = pb_pop3_client_new (HOST, 995, PB_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  pb_pop3_client_quit (client);
  pb_pop3_client_quit (client);
  g_assert_false (client_connect (client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_CLOSED);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (client), ==, 0);
  g_assert_finalize_object (client);
}

/* ---- Sessions that work ---------------------------------------------------- */

static void
test_tls_pipelined (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    /* Nothing behind the login until its answer; then STAT and UIDL together,
     * or the script waits forever. */
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+OK Logged in." },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_EXPECT, "TOP 1 0" },
    { PB_STEP_EXPECT, "TOP 2 0" },
    { PB_STEP_SEND_RAW, "+OK\r\nSubject: one\r\n..dotted\r\n.\r\n"
                        "+OK\r\nSubject: two\r\nFrom: b@example.org\r\n.\r\n" },
    { PB_STEP_EXPECT, "QUIT" },
    { PB_STEP_SEND, "+OK Bye." },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  const guint msgnums[] = { 1, 2 };

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);

  g_assert_true (client_connect (s.client, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 2);
  g_assert_cmphex (pb_pop3_client_get_capabilities (s.client), ==,
                   PB_POP3_CAPA_TOP | PB_POP3_CAPA_UIDL | PB_POP3_CAPA_RESP_CODES |
                   PB_POP3_CAPA_PIPELINING | PB_POP3_CAPA_USER | PB_POP3_CAPA_SASL_PLAIN |
                   PB_POP3_CAPA_SASL_LOGIN);
  g_assert_cmpint (pb_pop3_client_get_trust_verdict (s.client), ==, PB_TRUST_SYSTEM);
  g_assert_cmphex (pb_pop3_client_get_certificate_errors (s.client), ==, 0);
  g_assert_nonnull (pb_pop3_client_get_peer_certificate (s.client));
  g_assert_cmpint (pb_pop3_client_get_tls_version (s.client), >=, G_TLS_PROTOCOL_VERSION_TLS_1_2);
  g_assert_nonnull (pb_pop3_client_get_ciphersuite (s.client));

  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  /* greeting, CAPA, AUTH, STAT+UIDL */
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 4);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (s.client), ==, 4);

  headers = client_top (s.client, msgnums, G_N_ELEMENTS (msgnums), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (headers->len, ==, 2);
  assert_bytes (headers->pdata[0], "Subject: one\r\n.dotted\r\n\r\n");
  assert_bytes (headers->pdata[1], "Subject: two\r\nFrom: b@example.org\r\n\r\n");
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 5);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (s.client), ==, 6);

  pb_pop3_client_quit (s.client);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (s.client), ==, 7);
  wait_server_disconnected (s.server);
  g_assert_null (pb_test_server_get_failure (s.server));
  g_assert_true (pb_test_server_get_script_done (s.server));
  assert_transcript (s.server, "CAPA|" AUTH_ALICE "|STAT|UIDL|TOP 1 0|TOP 2 0|QUIT");
  g_assert_cmpuint (pb_test_server_get_plain_commands (s.server), ==, 0);
  session_end (&s);
}

static void
test_tls_not_pipelined (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PLAIN_ONLY },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK Logged in." },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_EXPECT, "TOP 1 0" },
    { PB_STEP_SEND_RAW, "+OK\r\nSubject: one\r\n.\r\n" },
    { PB_STEP_EXPECT, "TOP 2 0" },
    { PB_STEP_SEND_RAW, "+OK\r\nSubject: two\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  const guint msgnums[] = { 1, 2 };

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  g_assert_no_error (error);
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  /* greeting, CAPA, AUTH, STAT, UIDL */
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 5);

  headers = client_top (s.client, msgnums, G_N_ELEMENTS (msgnums), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (headers->len, ==, 2);
  assert_bytes (headers->pdata[0], "Subject: one\r\n\r\n");
  assert_bytes (headers->pdata[1], "Subject: two\r\n\r\n");
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 7);

  session_end (&s);
}

static void
test_user_pass (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_USER_ONLY },
    { PB_STEP_EXPECT, "USER alice" },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "PASS secret" },
    { PB_STEP_SEND, "+OK Logged in." },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 6);

  pb_pop3_client_quit (s.client);
  wait_server_disconnected (s.server);
  g_assert_null (pb_test_server_get_failure (s.server));
  assert_transcript (s.server, "CAPA|USER alice|PASS secret|STAT|UIDL|QUIT");
  session_end (&s);
}

static void
test_user_pass_pipelined (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nPIPELINING\r\nUSER\r\nUIDL\r\n.\r\n" },
    { PB_STEP_EXPECT, "USER alice" },
    { PB_STEP_EXPECT, "PASS secret" },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND_RAW, "+OK\r\n+OK Logged in.\r\n" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  /* greeting, CAPA, USER+PASS, STAT+UIDL */
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 4);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

static void
test_long_password (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    /* Too long for an initial response (RFC 5034 §4): in a continuation. */
    { PB_STEP_EXPECT, "AUTH PLAIN" },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+ " },
    { PB_STEP_EXPECT_ANY },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autofree char *password = g_strnfill (1000, 'p');
  g_autofree guchar *decoded = NULL;
  const char *auth;
  gsize decoded_len;

  password[0] = 'P';
  password[999] = '\xc3'; /* not ASCII, not even UTF-8: sent as it is */
  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", password, &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  g_assert_null (pb_test_server_get_failure (s.server));

  auth = g_ptr_array_index (pb_test_server_get_commands (s.server), 2);
  decoded = g_base64_decode (auth, &decoded_len);
  g_assert_cmpuint (decoded_len, ==, 1 + 5 + 1 + 1000);
  g_assert_cmpmem (decoded, 7, "\0alice\0", 7);
  g_assert_cmpmem (decoded + 7, 1000, password, 1000);
  session_end (&s);
}

static void
test_no_capa_uses_user_pass (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND, "-ERR Unknown command." },
    { PB_STEP_EXPECT, "USER alice" },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "PASS secret" },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  g_assert_cmphex (pb_pop3_client_get_capabilities (s.client), ==, 0);
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

static void
test_no_auth_mechanism (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nSASL CRAM-MD5 DIGEST-MD5\r\nUIDL\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_NO_AUTH_MECHANISM);
  g_assert_null (listing);
  wait_server_disconnected (s.server);
  /* Neither APOP nor anything else was tried. */
  assert_transcript (s.server, "CAPA");
  session_end (&s);
}

static void
test_uidl_absent (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nPIPELINING\r\nSASL PLAIN\r\nTOP\r\n.\r\n" },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK 3 999\r\n-ERR Unknown command: UIDL\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  g_assert_nonnull (listing);
  g_assert_cmpuint (listing->count, ==, 3);
  g_assert_cmpuint (listing->size, ==, 999);
  g_assert_null (listing->entries);
  session_end (&s);
}

static void
test_empty_mailbox (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK 0 0\r\n+OK\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GPtrArray) headers = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listing->count, ==, 0);
  g_assert_nonnull (listing->entries);
  g_assert_cmpuint (listing->entries->len, ==, 0);

  /* Nothing to ask for: no command, no round trip. */
  headers = client_top (s.client, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (headers->len, ==, 0);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (s.client), ==, 4);
  session_end (&s);
}

/* 70 messages: a window of 64 commands, then one of 6. */
static void
test_top_pipelined_windows (void)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) steps = g_array_new (FALSE, TRUE, sizeof (PbTestStep));
  g_autoptr(GString) answers = g_string_new (NULL);
  g_autoptr(GString) answers2 = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  guint msgnums[70];
  Session s = { 0 };
  PbTestStep step = { 0 };

#define ADD(kind_, text_) \
  G_STMT_START {                                                    \
    step.kind = (kind_);                                            \
    step.text = (text_);                                            \
    g_array_append_val (steps, step);                               \
  } G_STMT_END

  ADD (PB_STEP_SEND, GREETING);
  ADD (PB_STEP_EXPECT, "CAPA");
  ADD (PB_STEP_SEND_RAW, CAPA_PIPELINED);
  ADD (PB_STEP_EXPECT, AUTH_ALICE);
  ADD (PB_STEP_SEND, "+OK");
  ADD (PB_STEP_EXPECT, "STAT");
  ADD (PB_STEP_EXPECT, "UIDL");
  ADD (PB_STEP_SEND_RAW, "+OK 70 7000\r\n-ERR no UIDL\r\n");

  for (guint i = 0; i < 70; i++)
    {
      GString *target = i < 64 ? answers : answers2;

      msgnums[i] = i + 1;
      g_ptr_array_add (texts, g_strdup_printf ("TOP %u 0", i + 1));
      ADD (PB_STEP_EXPECT, texts->pdata[i]);
      if (i == 13)
        g_string_append (target, "-ERR No such message\r\n");
      else
        g_string_append_printf (target, "+OK\r\nSubject: message %u\r\n.\r\n", i + 1);
      if (i == 63 || i == 69)
        ADD (PB_STEP_SEND_RAW, target->str);
    }
  ADD (PB_STEP_END, NULL);
#undef ADD

  session_start (&s, "server.pem", PB_SECURITY_TLS, (PbTestStep *) steps->data);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  g_assert_null (listing->entries);

  headers = client_top (s.client, msgnums, G_N_ELEMENTS (msgnums), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (headers->len, ==, 70);
  for (guint i = 0; i < 70; i++)
    {
      g_autofree char *expected = g_strdup_printf ("Subject: message %u\r\n\r\n", i + 1);

      assert_bytes (headers->pdata[i], i == 13 ? "" : expected);
    }
  /* greeting, CAPA, login, STAT+UIDL, two windows */
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 6);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (s.client), ==, 4 + 70);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

static void
test_top_unsupported (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nSASL PLAIN\r\nUIDL\r\n.\r\n" },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_EXPECT, "TOP 1 0" },
    { PB_STEP_SEND, "-ERR Unknown command: TOP" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  const guint msgnums[] = { 1, 2 };

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  headers = client_top (s.client, msgnums, G_N_ELEMENTS (msgnums), &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "Unknown command: TOP"));
  g_assert_null (headers);
  session_end (&s);
}

static void
test_top_too_large (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "" LISTING },
    { PB_STEP_EXPECT, "TOP 1 0" },
    { PB_STEP_SEND, "+OK" },
    /* Lines of 1000 bytes for ever (well, 2 MB of them). */
    { PB_STEP_SEND_RAW, NULL },
    { PB_STEP_END },
  };
  g_autoptr(GString) flood = g_string_new (NULL);
  g_autofree PbTestStep *copy = g_memdup2 (steps, sizeof steps);
  g_autofree char *line = g_strnfill (998, 'h');
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  const guint msgnums[] = { 1 };

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (flood, "%s\r\n", line);
  copy[9].text = flood->str;

  session_start (&s, "server.pem", PB_SECURITY_TLS, copy);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  headers = client_top (s.client, msgnums, 1, &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL);
  g_assert_null (headers);
  g_clear_pointer (&s.server, pb_test_server_free);
  g_assert_finalize_object (g_steal_pointer (&s.client));
}

/* ---- Logins as real servers want them ------------------------------------- */

/* Courier and Cyrus: PIPELINING advertised, but whatever follows PASS or AUTH
 * in the same packet is lost when the login process hands over. */
static void
test_nothing_behind_pass (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, "+OK Hello there." },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nTOP\r\nUSER\r\nLOGIN-DELAY 10\r\nPIPELINING\r\nUIDL\r\n.\r\n" },
    { PB_STEP_EXPECT, "USER alice" },
    { PB_STEP_EXPECT, "PASS secret" },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND_RAW, "+OK Password required.\r\n+OK logged in.\r\n" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  g_assert_cmpuint (pb_pop3_client_get_login_delay (s.client), ==, 10);
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  g_assert_null (pb_test_server_get_failure (s.server));
  /* greeting, CAPA, login, STAT+UIDL: four waits. */
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 4);
  session_end (&s);
}

static void
test_sasl_login (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nUSER\r\nSASL LOGIN\r\nUIDL\r\n.\r\n" },
    { PB_STEP_EXPECT, "AUTH LOGIN" },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+ VXNlcm5hbWU6" },
    { PB_STEP_EXPECT, "YWxpY2U=" },          /* alice */
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+ UGFzc3dvcmQ6" },
    { PB_STEP_EXPECT, "c2VjcmV0" },          /* secret */
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+OK Logged in." },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

/* RFC 5034 §4: "AUTH PLAIN " + initial response + CRLF fits in 255 octets,
 * or the response goes in a continuation. */
static void
test_plain_initial_response_limit (void)
{
  static const PbTestStep one_line[] = {
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
  static const PbTestStep two_steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, "AUTH PLAIN" },
    { PB_STEP_SEND, "+" },                    /* a bare "+" works too */
    { PB_STEP_EXPECT_ANY },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_END },
  };
  /* base64 of "\0alice\0" + n bytes is 4 * ceil((7 + n) / 3) long; with
   * "AUTH PLAIN " (11) and CRLF (2) the line is 251 + 2 octets at n = 173
   * and 255 + 2 at n = 174. */
  const struct { gsize length; const PbTestStep *steps; gsize line; } cases[] = {
    { 173, one_line, 251 },
    { 174, two_steps, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Session s = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(PbPop3Listing) listing = NULL;
      g_autofree char *password = g_strnfill (cases[i].length, 'p');
      GPtrArray *commands;

      session_start (&s, "server.pem", PB_SECURITY_TLS, cases[i].steps);
      g_assert_true (client_connect (s.client, NULL, &error));
      listing = client_login (s.client, "alice", password, &error);
      g_assert_no_error (error);
      assert_listing_two (listing);
      g_assert_null (pb_test_server_get_failure (s.server));
      commands = pb_test_server_get_commands (s.server);
      if (cases[i].line > 0)
        g_assert_cmpuint (strlen (g_ptr_array_index (commands, 1)), ==, cases[i].line);
      else
        g_assert_cmpstr (g_ptr_array_index (commands, 1), ==, "AUTH PLAIN");
      session_end (&s);
    }
}

/* A server that asks for more than PLAIN has to say is answered with "*". */
static void
test_unexpected_challenge (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+ bW9yZT8=" },
    { PB_STEP_EXPECT, "*" },
    { PB_STEP_SEND, "-ERR [AUTH] Cancelled." },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL);
  g_assert_null (listing);
  wait_server_disconnected (s.server);
  g_assert_null (pb_test_server_get_failure (s.server));
  assert_transcript (s.server, "CAPA|" AUTH_ALICE "|*");
  session_end (&s);
}

typedef struct
{
  const char *path;
  const char *answer;     /* to PASS (USER/PASS) and to AUTH (SASL) */
  gint        code;
  const char *kind;
} RefusalCase;

static const RefusalCase refusal_cases[] = {
  { "in-use", "-ERR [IN-USE] Mailbox in use", PB_POP3_ERROR_MAILBOX_IN_USE, "temporary" },
  { "login-delay", "-ERR [LOGIN-DELAY] Wait a while", PB_POP3_ERROR_LOGIN_DELAY, "temporary" },
  { "sys-temp", "-ERR [SYS/TEMP] Disk is full", PB_POP3_ERROR_TEMPORARY, "temporary" },
  { "sys-perm", "-ERR [SYS/PERM] Account closed", PB_POP3_ERROR_PERMANENT, "server" },
  { "auth", "-ERR [AUTH] Invalid login", PB_POP3_ERROR_AUTH_FAILED, "auth" },
  { "no-code", "-ERR Invalid password", PB_POP3_ERROR_AUTH_FAILED, "auth" },
  { "unknown-code", "-ERR [X-SOMETHING] Who knows", PB_POP3_ERROR_AUTH_FAILED, "auth" },
};

static void
test_refusal (gconstpointer user_data)
{
  const RefusalCase *refusal = user_data;

  for (guint sasl = 0; sasl < 2; sasl++)
    {
      PbTestStep steps[] = {
        { PB_STEP_SEND, GREETING },
        { PB_STEP_EXPECT, "CAPA" },
        { PB_STEP_SEND_RAW, sasl ? CAPA_PLAIN_ONLY : CAPA_USER_ONLY },
        { PB_STEP_EXPECT, sasl ? AUTH_ALICE : "USER alice" },
        { PB_STEP_SEND, sasl ? refusal->answer : "+OK" },
        { sasl ? PB_STEP_END : PB_STEP_EXPECT, "PASS secret" },
        { PB_STEP_SEND, refusal->answer },
        { PB_STEP_END },
      };
      Session s = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(PbPop3Listing) listing = NULL;

      session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
      g_assert_true (client_connect (s.client, NULL, &error));
      listing = client_login (s.client, "alice", "secret", &error);
      g_assert_error (error, PB_POP3_ERROR, refusal->code);
      g_assert_cmpstr (pb_error_kind (error), ==, refusal->kind);
      /* The server's words are kept. */
      g_assert_nonnull (strstr (error->message, strrchr (refusal->answer, ' ') + 1));
      g_assert_null (listing);
      wait_server_disconnected (s.server);
      g_assert_null (pb_test_server_get_failure (s.server));
      session_end (&s);
    }
}

/* Some servers lock the maildrop only when it is opened, at STAT. */
static void
test_in_use_at_stat (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PLAIN_ONLY },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "-ERR [IN-USE] Unable to lock maildrop" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_MAILBOX_IN_USE);
  session_end (&s);
}

/* ---- Only what can have changed ------------------------------------------- */

static PbPop3Listing *
login_with_hint (Session          *s,
                 const PbTestStep *steps,
                 GError          **error)
{
  session_start (s, "server.pem", PB_SECURITY_TLS, steps);
  pb_pop3_client_set_listing_hint (s->client, 2, "uid-two");
  g_assert_true (client_connect (s->client, NULL, error));
  return client_login (s->client, "alice", "secret", error);
}

static void
test_hint_unchanged (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL 2" },
    { PB_STEP_SEND_RAW, "+OK 2 320\r\n+OK 2 uid-two\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = login_with_hint (&s, steps, &error);

  g_assert_no_error (error);
  g_assert_cmpint (listing->kind, ==, PB_POP3_LISTING_UNCHANGED);
  g_assert_cmpuint (listing->count, ==, 2);
  g_assert_nonnull (listing->entries);
  g_assert_cmpuint (listing->entries->len, ==, 0);
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 4);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

static void
test_hint_appended (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL 2" },
    { PB_STEP_SEND_RAW, "+OK 4 520\r\n+OK 2 uid-two\r\n" },
    { PB_STEP_EXPECT, "UIDL 3" },
    { PB_STEP_EXPECT, "UIDL 4" },
    { PB_STEP_SEND_RAW, "+OK 3 uid-three\r\n+OK 4 uid-four\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = login_with_hint (&s, steps, &error);
  PbPop3Entry *entry;

  g_assert_no_error (error);
  g_assert_cmpint (listing->kind, ==, PB_POP3_LISTING_APPENDED);
  g_assert_cmpuint (listing->count, ==, 4);
  g_assert_cmpuint (listing->entries->len, ==, 2);
  entry = g_ptr_array_index (listing->entries, 0);
  g_assert_cmpuint (entry->msgnum, ==, 3);
  g_assert_cmpstr (entry->uidl, ==, "uid-three");
  entry = g_ptr_array_index (listing->entries, 1);
  g_assert_cmpuint (entry->msgnum, ==, 4);
  g_assert_cmpstr (entry->uidl, ==, "uid-four");
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 5);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

/* Each way the assumption can break falls back to the whole listing. */
static void
test_hint_falls_back (void)
{
  static const PbTestStep moved[] = {    /* another message at the old end */
    { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL 2" },
    { PB_STEP_SEND_RAW, "+OK 2 320\r\n+OK 2 uid-other\r\n" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  static const PbTestStep shrunk[] = {   /* fewer messages than last time */
    { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL 2" },
    { PB_STEP_SEND_RAW, "+OK 1 160\r\n-ERR no such message\r\n" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  static const PbTestStep out_of_order[] = {  /* a server listing out of arrival order */
    { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL 2" },
    { PB_STEP_SEND_RAW, "+OK 3 480\r\n+OK 2 uid-two\r\n" },
    { PB_STEP_EXPECT, "UIDL 3" },
    { PB_STEP_SEND_RAW, "+OK 1 uid-three\r\n" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  const PbTestStep *cases[] = { moved, shrunk, out_of_order };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Session s = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(PbPop3Listing) listing = login_with_hint (&s, cases[i], &error);

      g_assert_no_error (error);
      g_assert_cmpint (listing->kind, ==, PB_POP3_LISTING_FULL);
      g_assert_cmpuint (listing->entries->len, ==, 2);
      g_assert_null (pb_test_server_get_failure (s.server));
      session_end (&s);
    }
}

/* Without PIPELINING: STAT, then the hint, then each new UIDL alone. */
static void
test_hint_not_pipelined (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PLAIN_ONLY },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 3 480" },
    { PB_STEP_EXPECT, "UIDL 2" },
    { PB_STEP_SEND, "+OK 2 uid-two" },
    { PB_STEP_EXPECT, "UIDL 3" },
    { PB_STEP_SEND, "+OK 3 uid-three" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = login_with_hint (&s, steps, &error);

  g_assert_no_error (error);
  g_assert_cmpint (listing->kind, ==, PB_POP3_LISTING_APPENDED);
  g_assert_cmpuint (listing->entries->len, ==, 1);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

/* ---- Failures -------------------------------------------------------------- */

static void
test_auth_failed_keeps_text (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "-ERR [AUTH] Authentication failed." },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) later = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  const guint msgnums[] = { 1 };

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, "[AUTH] Authentication failed."));
  g_assert_null (strstr (error->message, "secret"));
  g_assert_null (strstr (error->message, "AGFsaWNl"));
  g_assert_null (listing);

  /* The session is over: later calls fail the same way. */
  headers = client_top (s.client, msgnums, 1, &later);
  g_assert_error (later, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_cmpstr (later->message, ==, error->message);
  g_assert_null (headers);

  wait_server_disconnected (s.server);
  g_assert_null (pb_test_server_get_failure (s.server));
  assert_transcript (s.server, "CAPA|" AUTH_ALICE);
  session_end (&s);
}

static void
test_user_rejected (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_USER_ONLY },
    { PB_STEP_EXPECT, "USER alice" },
    { PB_STEP_SEND, "-ERR [AUTH] No such user." },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, "[AUTH] No such user."));
  wait_server_disconnected (s.server);
  /* The password never went out. */
  assert_transcript (s.server, "CAPA|USER alice");
  session_end (&s);
}

static void
test_line_break_in_credentials (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_END },
  };
  const char *credentials[][2] = {
    { "alice", "sec\r\nRSET" },
    { "alice", "secret\n" },
    { "alice", "\rsecret" },
    { "alice\r\nRSET", "secret" },
    { "", "secret" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (credentials); i++)
    {
      Session s = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(PbPop3Listing) listing = NULL;

      session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
      g_assert_true (client_connect (s.client, NULL, &error));
      g_assert_no_error (error);
      listing = client_login (s.client, credentials[i][0], credentials[i][1], &error);
      g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_INVALID_ARGUMENT);
      g_assert_null (listing);
      g_assert_cmpuint (pb_pop3_client_get_commands_sent (s.client), ==, 1);
      wait_server_disconnected (s.server);
      assert_transcript (s.server, "CAPA");
      session_end (&s);
    }
}

typedef struct
{
  const char *name;
  PbTestStep  steps[12];
  gboolean    connect_fails;
  int         code;
  const char *text;   /* in the message, when set */
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "closed-before-greeting",
    { { PB_STEP_CLOSE } },
    TRUE, PB_POP3_ERROR_CLOSED, NULL },
  { "closed-in-greeting",
    { { PB_STEP_SEND_RAW, "+OK hel" }, { PB_STEP_CLOSE } },
    TRUE, PB_POP3_ERROR_CLOSED, NULL },
  { "closed-after-capa",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_CLOSE } },
    TRUE, PB_POP3_ERROR_CLOSED, NULL },
  { "closed-in-capa",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, "+OK\r\nTOP\r\nUI" }, { PB_STEP_CLOSE } },
    TRUE, PB_POP3_ERROR_CLOSED, NULL },
  { "closed-after-auth",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE }, { PB_STEP_CLOSE } },
    FALSE, PB_POP3_ERROR_CLOSED, NULL },
  { "closed-in-uidl",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK" },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, "+OK 2 320\r\n+OK\r\n1 uid-one\r\n" }, { PB_STEP_CLOSE } },
    FALSE, PB_POP3_ERROR_CLOSED, NULL },
  { "greeting-err",
    { { PB_STEP_SEND, "-ERR [SYS/TEMP] Too many connections." }, { PB_STEP_END } },
    TRUE, PB_POP3_ERROR_SERVER, "[SYS/TEMP] Too many connections." },
  { "greeting-garbage",
    { { PB_STEP_SEND, "220 smtp.example.org ESMTP" }, { PB_STEP_END } },
    TRUE, PB_POP3_ERROR_PROTOCOL, NULL },
  { "greeting-nul",
    { { PB_STEP_SEND_RAW, "+OK a\0b\r\n", 9 }, { PB_STEP_END } },
    TRUE, PB_POP3_ERROR_PROTOCOL, NULL },
  { "greeting-too-long",
    { { PB_STEP_SEND_LONG, NULL, 200 * 1024 }, { PB_STEP_STALL } },
    TRUE, PB_POP3_ERROR_LINE_TOO_LONG, NULL },
  { "capa-line-too-long",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_SEND, "+OK" },
      { PB_STEP_SEND_LONG, NULL, 100 * 1024 }, { PB_STEP_STALL } },
    TRUE, PB_POP3_ERROR_LINE_TOO_LONG, NULL },
  { "capa-garbage",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND, "CAPA follows" }, { PB_STEP_END } },
    TRUE, PB_POP3_ERROR_PROTOCOL, NULL },
  { "stat-err",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK" },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, "-ERR Mailbox unavailable.\r\n-ERR unavailable\r\n" },
      { PB_STEP_END } },
    FALSE, PB_POP3_ERROR_SERVER, "Mailbox unavailable." },
  { "stat-malformed",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK" },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, "+OK lots of mail\r\n+OK\r\n.\r\n" }, { PB_STEP_END } },
    FALSE, PB_POP3_ERROR_PROTOCOL, NULL },
  { "uidl-malformed",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK" },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, "+OK 1 10\r\n+OK\r\n1 bad\x01uidl\r\n.\r\n" }, { PB_STEP_END } },
    FALSE, PB_POP3_ERROR_PROTOCOL, NULL },
  { "uidl-line-too-long",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK" },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, "+OK 1 10\r\n+OK\r\n1 " },
      { PB_STEP_SEND_LONG, NULL, 1024 * 1024 }, { PB_STEP_STALL } },
    FALSE, PB_POP3_ERROR_LINE_TOO_LONG, NULL },
};

static void
test_error_case (gconstpointer user_data)
{
  const ErrorCase *c = user_data;
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean connected;

  session_start (&s, "server.pem", PB_SECURITY_TLS, c->steps);
  connected = client_connect (s.client, NULL, &error);
  if (c->connect_fails)
    {
      g_assert_false (connected);
    }
  else
    {
      g_autoptr(PbPop3Listing) listing = NULL;

      g_assert_no_error (error);
      g_assert_true (connected);
      listing = client_login (s.client, "alice", "secret", &error);
      g_assert_null (listing);
    }

  g_assert_error (error, PB_POP3_ERROR, c->code);
  if (c->text != NULL)
    g_assert_nonnull (strstr (error->message, c->text));

  /* Safe after an error, and the object goes away. */
  pb_pop3_client_quit (s.client);
  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

static void
test_timeout (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_STALL },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  gint64 begin;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  pb_pop3_client_set_timeout (s.client, 1);
  begin = g_get_monotonic_time ();
  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - begin, >=, G_USEC_PER_SEC * 9 / 10);
  g_assert_cmpint (g_get_monotonic_time () - begin, <, G_USEC_PER_SEC * 4);
  g_assert_true (pb_test_server_get_script_done (s.server));

  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

static void
test_timeout_in_handshake (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(PbPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  /* Accepted by the kernel, never answered. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  client = pb_pop3_client_new (HOST, port, PB_SECURITY_TLS);
  pb_pop3_client_set_timeout (client, 1);
  g_assert_false (client_connect (client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_TIMEOUT);
}

static void
test_connect_refused (void)
{
  g_autoptr(PbPop3Client) client = pb_pop3_client_new (HOST, pb_test_free_port (), PB_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (client_connect (client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_CONNECT);
  g_assert_cmpuint (pb_pop3_client_get_round_trips (client), ==, 0);
}

static void
test_cancel_while_waiting (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_STALL },
  };
  Session s = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) later = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  pb_pop3_client_connect_async (s.client, cancellable, pb_test_store_result, &result);
  while (!pb_test_server_get_script_done (s.server))
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  pb_test_wait_result (&result, 2);
  g_assert_false (pb_pop3_client_connect_finish (s.client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&result);

  /* The session is over. */
  g_assert_false (client_connect (s.client, NULL, &later));
  g_assert_error (later, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  pb_pop3_client_quit (s.client);
  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

static void
test_cancel_before_start (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_cancellable_cancel (cancellable);
  g_assert_false (client_connect (s.client, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (s.client), ==, 0);
  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

static void
test_quit_while_busy (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_STALL },
  };
  Session s = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  pb_pop3_client_connect_async (s.client, NULL, pb_test_store_result, &result);
  while (!pb_test_server_get_script_done (s.server))
    g_main_context_iteration (NULL, TRUE);
  pb_pop3_client_quit (s.client);
  pb_test_wait_result (&result, 2);
  g_assert_false (pb_pop3_client_connect_finish (s.client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&result);
  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

/* ---- STLS ------------------------------------------------------------------ */

static void
test_stls_works (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    /* Before TLS: PIPELINING and USER only (perhaps forged). */
    { PB_STEP_SEND_RAW, "+OK\r\nSTLS\r\nPIPELINING\r\nUSER\r\n.\r\n" },
    { PB_STEP_EXPECT, "STLS" },
    { PB_STEP_SEND, "+OK Begin TLS negotiation now." },
    { PB_STEP_STARTTLS },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN\r\n.\r\n" },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK Logged in." },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_STARTTLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  g_assert_no_error (error);
  /* Only the answer after TLS counts. */
  g_assert_cmphex (pb_pop3_client_get_capabilities (s.client), ==,
                   PB_POP3_CAPA_TOP | PB_POP3_CAPA_UIDL | PB_POP3_CAPA_SASL_PLAIN);
  g_assert_cmpint (pb_pop3_client_get_trust_verdict (s.client), ==, PB_TRUST_SYSTEM);
  /* greeting, CAPA, STLS, CAPA */
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 4);

  listing = client_login (s.client, "alice", "secret", &error);
  g_assert_no_error (error);
  assert_listing_two (listing);

  pb_pop3_client_quit (s.client);
  wait_server_disconnected (s.server);
  g_assert_null (pb_test_server_get_failure (s.server));
  /* Despite PIPELINING, nothing went along with STLS. */
  g_assert_cmpuint (pb_test_server_get_plain_commands (s.server), ==, 2);
  assert_transcript (s.server, "CAPA|STLS|CAPA|" AUTH_ALICE "|STAT|UIDL|QUIT");
  session_end (&s);
}

static void
test_stls_missing (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nUSER\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;

  session_start (&s, NULL, PB_SECURITY_STARTTLS, steps);
  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_STLS_UNAVAILABLE);
  wait_server_disconnected (s.server);
  assert_transcript (s.server, "CAPA");
  session_end (&s);
}

static void
test_stls_no_capa (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND, "-ERR What?" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;

  session_start (&s, NULL, PB_SECURITY_STARTTLS, steps);
  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_STLS_UNAVAILABLE);
  wait_server_disconnected (s.server);
  assert_transcript (s.server, "CAPA");
  session_end (&s);
}

static void
test_stls_refused (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nSTLS\r\nUSER\r\n.\r\n" },
    { PB_STEP_EXPECT, "STLS" },
    { PB_STEP_SEND, "-ERR TLS is down today." },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;

  session_start (&s, NULL, PB_SECURITY_STARTTLS, steps);
  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_STLS_UNAVAILABLE);
  /* Text that did not come through TLS is not shown as the server's. */
  g_assert_null (strstr (error->message, "TLS is down today."));
  wait_server_disconnected (s.server);
  /* No fallback: no USER, no QUIT in clear text. */
  assert_transcript (s.server, "CAPA|STLS");
  session_end (&s);
}

/* A refusing greeting before STLS: whoever is on the path wrote it. */
static void
test_plain_greeting_text_not_shown (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, "-ERR Call 0120-000-000 and tell us your password" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;

  session_start (&s, NULL, PB_SECURITY_STARTTLS, steps);
  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_SERVER);
  g_assert_null (strstr (error->message, "password"));
  session_end (&s);
}

static void
test_stls_injection (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nSTLS\r\nUSER\r\n.\r\n" },
    { PB_STEP_EXPECT, "STLS" },
    /* In the same write: an answer to a command not sent yet. */
    { PB_STEP_SEND_RAW, "+OK Begin TLS.\r\n+OK\r\nSASL PLAIN\r\n.\r\n" },
    { PB_STEP_STARTTLS },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;

  session_start (&s, "server.pem", PB_SECURITY_STARTTLS, steps);
  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_STLS_INJECTION);
  wait_server_disconnected (s.server);
  assert_transcript (s.server, "CAPA|STLS");
  session_end (&s);
}

/* ---- Certificates ------------------------------------------------------------ */

typedef struct
{
  const char          *cert;
  GTlsCertificateFlags flags;
} CertCase;

static const CertCase cert_cases[] = {
  { "expired.pem", G_TLS_CERTIFICATE_EXPIRED },
  { "not-yet-valid.pem", G_TLS_CERTIFICATE_NOT_ACTIVATED },
  { "wrong-host.pem", G_TLS_CERTIFICATE_BAD_IDENTITY },
  { "self-signed.pem", G_TLS_CERTIFICATE_UNKNOWN_CA },
  { "unknown-ca.pem", G_TLS_CERTIFICATE_UNKNOWN_CA },
};

static void
test_certificate_rejected (gconstpointer user_data)
{
  const CertCase *c = user_data;
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GTlsCertificate) served = pb_test_load_certificate (c->cert);
  g_autoptr(GError) error = NULL;
  g_autofree char *host_text = NULL;
  GTlsCertificate *peer;

  session_start (&s, c->cert, PB_SECURITY_TLS, steps);
  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  host_text = g_strdup_printf ("Can't verify the identity of %s.", HOST);
  g_assert_true (g_str_has_prefix (error->message, host_text));

  peer = pb_pop3_client_get_peer_certificate (s.client);
  g_assert_nonnull (peer);
  g_assert_true (g_tls_certificate_is_same (peer, served));
  g_assert_cmphex (pb_pop3_client_get_certificate_errors (s.client), ==, c->flags);
  g_assert_cmpint (pb_pop3_client_get_trust_verdict (s.client), ==, PB_TRUST_REJECTED);
  g_assert_cmpuint (pb_pop3_client_get_round_trips (s.client), ==, 0);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (s.client), ==, 0);

  wait_server_disconnected (s.server);
  assert_transcript (s.server, "");
  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

static void
test_certificate_pinned (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GTlsCertificate) served = pb_test_load_certificate ("self-signed.pem");
  g_autofree char *dir = pb_test_mkdtemp ("pins");
  g_autofree char *path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (path);
  g_autoptr(GError) error = NULL;

  session_start (&s, "self-signed.pem", PB_SECURITY_TLS, steps);
  pb_trust_store_add (pins, HOST, pb_test_server_get_port (s.server), served);
  pb_pop3_client_set_trust_store (s.client, pins);

  g_assert_true (client_connect (s.client, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pb_pop3_client_get_trust_verdict (s.client), ==, PB_TRUST_PINNED);
  /* The problems are still known. */
  g_assert_cmphex (pb_pop3_client_get_certificate_errors (s.client), ==,
                   G_TLS_CERTIFICATE_UNKNOWN_CA);
  session_end (&s);
}

static void
test_certificate_changed_after_pinning (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GTlsCertificate) pinned = pb_test_load_certificate ("server.pem");
  g_autofree char *dir = pb_test_mkdtemp ("pins");
  g_autofree char *path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (path);
  g_autoptr(GError) error = NULL;

  /* Without the CA file: server.pem and server2.pem are both unknown, and
   * only the first is pinned. */
  session_start (&s, "server2.pem", PB_SECURITY_TLS, steps);
  pb_pop3_client_set_ca_file (s.client, NULL);
  pb_trust_store_add (pins, HOST, pb_test_server_get_port (s.server), pinned);
  pb_pop3_client_set_trust_store (s.client, pins);

  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_cmpint (pb_pop3_client_get_trust_verdict (s.client), ==, PB_TRUST_REJECTED);
  g_assert_false (g_tls_certificate_is_same (pb_pop3_client_get_peer_certificate (s.client),
                                             pinned));
  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

static void
test_certificate_pinned_for_other_port (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GTlsCertificate) served = pb_test_load_certificate ("self-signed.pem");
  g_autofree char *dir = pb_test_mkdtemp ("pins");
  g_autofree char *path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (path);
  g_autoptr(GError) error = NULL;
  guint16 port;

  session_start (&s, "self-signed.pem", PB_SECURITY_TLS, steps);
  port = pb_test_server_get_port (s.server);
  pb_trust_store_add (pins, HOST, port == 995 ? 996 : 995, served);
  pb_pop3_client_set_trust_store (s.client, pins);

  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

static void
test_stls_certificate_rejected (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nSTLS\r\nUSER\r\n.\r\n" },
    { PB_STEP_EXPECT, "STLS" },
    { PB_STEP_SEND, "+OK Begin TLS." },
    { PB_STEP_STARTTLS },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;

  session_start (&s, "wrong-host.pem", PB_SECURITY_STARTTLS, steps);
  g_assert_false (client_connect (s.client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_cmphex (pb_pop3_client_get_certificate_errors (s.client), ==,
                   G_TLS_CERTIFICATE_BAD_IDENTITY);
  wait_server_disconnected (s.server);
  assert_transcript (s.server, "CAPA|STLS");
  g_assert_finalize_object (g_steal_pointer (&s.client));
  g_clear_pointer (&s.server, pb_test_server_free);
}

static void
test_plain_server_on_tls_port (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_END },
  };
  g_autoptr(PbTestServer) server = pb_test_server_new (NULL, FALSE, steps);
  g_autoptr(PbPop3Client) client = pb_pop3_client_new (HOST, pb_test_server_get_port (server),
                                                       PB_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (client_connect (client, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_TLS);
  g_assert_null (pb_pop3_client_get_peer_certificate (client));
}

/* Every handshake is judged on its own, also when TLS resumes a session. */
static void
test_second_session_verified_again (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_END },
  };
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(PbTestServer) server = pb_test_server_new (certificate, TRUE, steps);
  guint16 port = pb_test_server_get_port (server);
  g_autofree char *dir = pb_test_mkdtemp ("pins");
  g_autofree char *path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (path);

  pb_trust_store_add (pins, HOST, port, certificate);

  for (guint round = 0; round < 3; round++)
    {
      PbPop3Client *client = pb_pop3_client_new (HOST, port, PB_SECURITY_TLS);
      g_autoptr(GError) error = NULL;
      gboolean pinned = round < 2;

      /* Pinned twice (the second may resume the first), then the pin is gone. */
      if (pinned)
        pb_pop3_client_set_trust_store (client, pins);
      g_assert_cmpint (client_connect (client, NULL, &error), ==, pinned);
      if (pinned)
        {
          g_assert_no_error (error);
          g_assert_cmpint (pb_pop3_client_get_trust_verdict (client), ==, PB_TRUST_PINNED);
        }
      else
        {
          g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
        }
      g_assert_true (g_tls_certificate_is_same (pb_pop3_client_get_peer_certificate (client),
                                                certificate));
      g_assert_cmphex (pb_pop3_client_get_certificate_errors (client), ==,
                       G_TLS_CERTIFICATE_UNKNOWN_CA);
      pb_pop3_client_quit (client);
      g_assert_finalize_object (client);
    }
  g_assert_cmpuint (pb_test_server_get_n_connections (server), ==, 3);
}

/* ---- TLS 1.1 ---------------------------------------------------------------- */

static void
test_tls_1_1_refused (void)
{
  g_autofree char *cert = pb_test_cert_path ("server.crt");
  g_autofree char *key = pb_test_cert_path ("server.key");
  g_autofree char *port_text = NULL;
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(GSubprocess) openssl = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(PbPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ready = FALSE;
  guint16 port;

  g_autofree char *program = g_find_program_in_path ("openssl");

  if (program == NULL)
    {
      g_test_skip ("openssl is not installed");
      return;
    }

  port = pb_test_free_port ();
  port_text = g_strdup_printf ("127.0.0.1:%u", port);
  openssl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE |
                              G_SUBPROCESS_FLAGS_STDIN_PIPE, &error,
                              "openssl", "s_server", "-tls1_1",
                              "-cipher", "DEFAULT@SECLEVEL=0",
                              "-cert", cert, "-key", key, "-accept", port_text, NULL);
  g_assert_no_error (error);

  /* "ACCEPT" once listening; anything else means this openssl refuses. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (openssl));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, NULL);

      if (line == NULL)
        break;
      g_test_message ("openssl: %s", line);
      if (g_str_has_prefix (line, "ACCEPT"))
        {
          ready = TRUE;
          break;
        }
    }
  if (!ready)
    {
      g_subprocess_force_exit (openssl);
      g_subprocess_wait (openssl, NULL, NULL);
      g_test_skip ("openssl s_server does not run with -tls1_1 here");
      return;
    }

  client = pb_pop3_client_new (HOST, port, PB_SECURITY_TLS);
  pb_pop3_client_set_ca_file (client, ca);
  pb_pop3_client_set_timeout (client, 5);
  g_assert_false (client_connect (client, NULL, &error));
  g_test_message ("TLS 1.1 server: %s", error->message);
  if (!g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_INSECURE_TLS))
    g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_TLS);
  g_assert_cmpuint (pb_pop3_client_get_commands_sent (client), ==, 0);

  g_subprocess_force_exit (openssl);
  g_subprocess_wait (openssl, NULL, NULL);
}

/* ---- OAuth2 bearer tokens (XOAUTH2, OAUTHBEARER) ------------------------- */

#define TOKEN "ya29.a0AfH6SMBx-token_value~1+2/3=="
/* user=alice@example.org \x01 auth=Bearer TOKEN \x01\x01 */
#define XOAUTH2_ALICE "dXNlcj1hbGljZUBleGFtcGxlLm9yZwFhdXRoPUJlYXJlciB5YTI5LmEwQWZINlNNQngtdG9rZW5fdmFsdWV+MSsyLzM9PQEB"
#define CAPA_XOAUTH2 "+OK\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUSER\r\nSASL PLAIN XOAUTH2\r\n.\r\n"
#define CAPA_BOTH_BEARERS "+OK\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN XOAUTH2 OAUTHBEARER\r\n.\r\n"
/* {"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"} */
#define CHALLENGE_401 "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ=="
/* {"status":"invalid_token","schemes":"bearer","scope":"https://outlook.office.com/POP.AccessAsUser.All"} */
#define CHALLENGE_INVALID "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciIsInNjb3BlIjoiaHR0cHM6Ly9vdXRsb29rLm9mZmljZS5jb20vUE9QLkFjY2Vzc0FzVXNlci5BbGwifQ=="

static PbPop3Listing *
client_login_bearer (PbPop3Client  *client,
                     const char    *user,
                     const char    *token,
                     GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_pop3_client_login_bearer_async (client, user, token, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 10);
  return pb_pop3_client_login_finish (client, result, error);
}

/* Always two steps, even where the line would fit, and never PLAIN with a token. */
static void
test_xoauth2_two_steps (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_XOAUTH2 },
    { PB_STEP_EXPECT, "AUTH XOAUTH2" },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+" },
    { PB_STEP_EXPECT, XOAUTH2_ALICE },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+OK Welcome." },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "alice@example.org", TOKEN, &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

/* Microsoft's POP3: CAPA without OAUTHBEARER, "+ " with a space, a token of
 * several KiB in the continuation, and a STAT that says whether the token was
 * for this mailbox at all. */
static void
test_microsoft_long_token (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, "+OK The Microsoft Exchange POP3 service is ready." },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nUSER\r\n.\r\n" },
    { PB_STEP_EXPECT, "AUTH XOAUTH2" },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+ " },
    { PB_STEP_EXPECT_ANY },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "+OK User successfully authenticated." },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GString) token = g_string_new ("EwBIA8l6BAAU");
  g_autofree char *raw = NULL;
  g_autofree char *expected = NULL;
  GPtrArray *commands;

  /* A Microsoft access token is a JWT of 1.5 to 3 KiB. */
  while (token->len < 3000)
    g_string_append (token, "abcdefghijklmnopqrstuvwxyz0123456789-_.");
  raw = g_strdup_printf ("user=taro@outlook.jp\001auth=Bearer %s\001\001", token->str);
  expected = g_base64_encode ((const guchar *) raw, strlen (raw));

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "taro@outlook.jp", token->str, &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  g_assert_null (pb_test_server_get_failure (s.server));
  commands = pb_test_server_get_commands (s.server);
  g_assert_cmpstr (g_ptr_array_index (commands, 1), ==, "AUTH XOAUTH2");
  g_assert_cmpstr (g_ptr_array_index (commands, 2), ==, expected);
  g_assert_cmpuint (strlen (g_ptr_array_index (commands, 2)), >, 4000);
  session_end (&s);
}

/* +OK to the token, then the mailbox is not opened: not logged in. */
static void
test_bearer_confirmed_by_stat (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nUSER\r\n.\r\n" },
    { PB_STEP_EXPECT, "AUTH XOAUTH2" },
    { PB_STEP_SEND, "+ " },
    { PB_STEP_EXPECT, XOAUTH2_ALICE },
    { PB_STEP_SEND, "+OK User successfully authenticated." },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "-ERR Protocol error. Connection is closed. 10" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "alice@example.org", TOKEN, &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_cmpstr (pb_error_kind (error), ==, "auth");
  g_assert_nonnull (strstr (error->message, "alice@example.org"));
  g_assert_nonnull (strstr (error->message, "Protocol error"));
  g_assert_null (listing);
  wait_server_disconnected (s.server);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

/* RFC 7628 where offered: the GS2 header with the user as saslname (, and =
 * escaped), host and port, then the token. */
static void
test_oauthbearer_preferred (void)
{
  PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_BOTH_BEARERS },
    { PB_STEP_EXPECT, "AUTH OAUTHBEARER" },
    { PB_STEP_SEND, "+ " },
    { PB_STEP_EXPECT, NULL },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *expected = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  raw = g_strdup_printf ("n,a=a=2Cb=3Dc@example.org,\001host=" HOST "\001port=%u\001"
                         "auth=Bearer " TOKEN "\001\001", pb_test_server_get_port (s.server));
  expected = g_base64_encode ((const guchar *) raw, strlen (raw));
  steps[5].text = expected;

  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "a,b=c@example.org", TOKEN, &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

typedef struct
{
  const char *name;
  const char *capa;
  const char *auth;
  const char *challenge;
  const char *ack;          /* what the client must answer */
  const char *status;       /* what the error must say */
  const char *scope;
} ChallengeCase;

static const ChallengeCase challenge_cases[] = {
  { "xoauth2-google", CAPA_XOAUTH2, "AUTH XOAUTH2", CHALLENGE_401, "", "401",
    "https://mail.google.com/" },
  { "oauthbearer", CAPA_BOTH_BEARERS, "AUTH OAUTHBEARER", CHALLENGE_INVALID, "AQ==",
    "invalid_token", "https://outlook.office.com/POP.AccessAsUser.All" },
  /* Not a JSON document: still a refusal, without a status. */
  { "not-json", CAPA_XOAUTH2, "AUTH XOAUTH2", "bm90IGpzb24=", "", NULL, NULL },
};

/* An error challenge is answered (an empty line, or 0x01) and the refusal is
 * reported as a refused token, with its status and scope. */
static void
test_error_challenge (gconstpointer user_data)
{
  const ChallengeCase *c = user_data;
  PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, c->capa },
    { PB_STEP_EXPECT, c->auth },
    { PB_STEP_SEND, "+" },
    { PB_STEP_EXPECT_ANY },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND_RAW, NULL },
    { PB_STEP_EXPECT, c->ack },
    { PB_STEP_DROP_BUFFERED },
    { PB_STEP_SEND, "-ERR [AUTH] Authentication failed." },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autofree char *challenge = g_strdup_printf ("+ %s\r\n", c->challenge);

  steps[7].text = challenge;
  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "alice@example.org", TOKEN, &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED);
  g_assert_cmpstr (pb_error_kind (error), ==, "auth");
  g_test_message ("%s", error->message);
  if (c->status != NULL)
    {
      g_autofree char *status = g_strdup_printf ("(status %s", c->status);

      g_assert_nonnull (strstr (error->message, status));
      g_assert_nonnull (strstr (error->message, c->scope));
    }
  else
    g_assert_null (strstr (error->message, "status"));
  g_assert_nonnull (strstr (error->message, "Authentication failed."));
  g_assert_null (strstr (error->message, TOKEN));
  g_assert_null (listing);
  wait_server_disconnected (s.server);
  g_assert_null (pb_test_server_get_failure (s.server));
  session_end (&s);
}

/* A second challenge after the acknowledgement is cancelled with "*". */
static void
test_second_challenge_cancelled (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_XOAUTH2 },
    { PB_STEP_EXPECT, "AUTH XOAUTH2" },
    { PB_STEP_SEND, "+" },
    { PB_STEP_EXPECT, XOAUTH2_ALICE },
    { PB_STEP_SEND, "+ " CHALLENGE_401 },
    { PB_STEP_EXPECT, "" },
    { PB_STEP_SEND, "+ " CHALLENGE_401 },
    { PB_STEP_EXPECT, "*" },
    { PB_STEP_SEND, "-ERR Cancelled." },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "alice@example.org", TOKEN, &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL);
  g_assert_null (listing);
  wait_server_disconnected (s.server);
  g_assert_null (pb_test_server_get_failure (s.server));
  assert_transcript (s.server, "CAPA|AUTH XOAUTH2|" XOAUTH2_ALICE "||*");
  session_end (&s);
}

/* A plain -ERR to the token is a refused login like any other. */
static void
test_bearer_plain_refusal (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_XOAUTH2 },
    { PB_STEP_EXPECT, "AUTH XOAUTH2" },
    { PB_STEP_SEND, "+" },
    { PB_STEP_EXPECT, XOAUTH2_ALICE },
    { PB_STEP_SEND, "-ERR [IN-USE] Mailbox locked" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "alice@example.org", TOKEN, &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_MAILBOX_IN_USE);
  g_assert_null (listing);
  session_end (&s);
}

/* No XOAUTH2 nor OAUTHBEARER in CAPA: nothing is sent, not even the token's
 * mechanism name, and no password mechanism is tried either. */
static void
test_bearer_no_mechanism (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "alice@example.org", TOKEN, &error);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_NO_AUTH_MECHANISM);
  g_assert_null (listing);
  wait_server_disconnected (s.server);
  assert_transcript (s.server, "CAPA");
  session_end (&s);
}

/* Without CAPA, XOAUTH2 is tried: it is what Gmail and Microsoft take. */
static void
test_bearer_without_capa (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND, "-ERR Unknown command" },
    { PB_STEP_EXPECT, "AUTH XOAUTH2" },
    { PB_STEP_SEND, "+ " },
    { PB_STEP_EXPECT, XOAUTH2_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 2 320" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n" },
    { PB_STEP_END },
  };
  Session s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;

  session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_true (client_connect (s.client, NULL, &error));
  listing = client_login_bearer (s.client, "alice@example.org", TOKEN, &error);
  g_assert_no_error (error);
  assert_listing_two (listing);
  session_end (&s);
}

/* A token or user name that could change the message's meaning is refused
 * before anything is sent. */
static void
test_bearer_invalid_arguments (void)
{
  const struct { const char *user; const char *token; } cases[] = {
    { "alice", "abc\r\nDELE 1" },
    { "alice", "abc def" },
    { "alice", "abc\001user=mallory" },
    { "alice", "" },
    { "alice", "==abc" },
    { "ali\001ce", "abc" },
    { "alice\r\nDELE 1", "abc" },
    { "", "abc" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      static const PbTestStep steps[] = {
        { PB_STEP_SEND, GREETING },
        { PB_STEP_EXPECT, "CAPA" },
        { PB_STEP_SEND_RAW, CAPA_XOAUTH2 },
        { PB_STEP_END },
      };
      Session s = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(PbPop3Listing) listing = NULL;

      session_start (&s, "server.pem", PB_SECURITY_TLS, steps);
      g_assert_true (client_connect (s.client, NULL, &error));
      listing = client_login_bearer (s.client, cases[i].user, cases[i].token, &error);
      g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_INVALID_ARGUMENT);
      g_assert_null (listing);
      wait_server_disconnected (s.server);
      assert_transcript (s.server, "CAPA");
      session_end (&s);
    }
}

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/pop3/client/create-destroy", test_create_destroy);
  g_test_add_func ("/pb/pop3/client/quit-before-connect-ends-session", test_quit_before_connect);

  g_test_add_func ("/pb/pop3/login/nothing-sent-behind-pass", test_nothing_behind_pass);
  g_test_add_func ("/pb/pop3/listing/hint/unchanged-costs-two-short-answers",
                   test_hint_unchanged);
  g_test_add_func ("/pb/pop3/listing/hint/appended-asks-only-for-the-new",
                   test_hint_appended);
  g_test_add_func ("/pb/pop3/listing/hint/anything-else-lists-everything",
                   test_hint_falls_back);
  g_test_add_func ("/pb/pop3/listing/hint/not-pipelined", test_hint_not_pipelined);
  g_test_add_func ("/pb/pop3/stls/plain-greeting-text-is-not-shown",
                   test_plain_greeting_text_not_shown);
  g_test_add_func ("/pb/pop3/login/sasl-login", test_sasl_login);
  g_test_add_func ("/pb/pop3/login/plain-initial-response-fits-255-octets",
                   test_plain_initial_response_limit);
  g_test_add_func ("/pb/pop3/login/unexpected-challenge-is-cancelled",
                   test_unexpected_challenge);
  g_test_add_func ("/pb/pop3/login/in-use-at-stat", test_in_use_at_stat);
  for (guint i = 0; i < G_N_ELEMENTS (refusal_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pb/pop3/login/refused/%s",
                                               refusal_cases[i].path);

      g_test_add_data_func (path, &refusal_cases[i], test_refusal);
    }
  g_test_add_func ("/pb/pop3/session/tls-pipelined-takes-one-round-trip-for-login",
                   test_tls_pipelined);
  g_test_add_func ("/pb/pop3/session/tls-without-pipelining-waits-for-each",
                   test_tls_not_pipelined);
  g_test_add_func ("/pb/pop3/session/empty-mailbox", test_empty_mailbox);
  g_test_add_func ("/pb/pop3/auth/user-pass-when-no-sasl-plain", test_user_pass);
  g_test_add_func ("/pb/pop3/auth/user-pass-pipelined", test_user_pass_pipelined);
  g_test_add_func ("/pb/pop3/auth/long-password-encoded-exactly", test_long_password);
  g_test_add_func ("/pb/pop3/auth/user-pass-when-capa-absent", test_no_capa_uses_user_pass);
  g_test_add_func ("/pb/pop3/auth/no-mechanism-sends-nothing", test_no_auth_mechanism);
  g_test_add_func ("/pb/pop3/auth/failure-keeps-server-text", test_auth_failed_keeps_text);
  g_test_add_func ("/pb/pop3/auth/user-rejected-password-never-sent", test_user_rejected);
  g_test_add_func ("/pb/pop3/auth/line-breaks-rejected-before-sending",
                   test_line_break_in_credentials);
  g_test_add_func ("/pb/pop3/uidl/absent-gives-no-entries", test_uidl_absent);
  g_test_add_func ("/pb/pop3/top/pipelined-in-windows", test_top_pipelined_windows);
  g_test_add_func ("/pb/pop3/top/unsupported-is-server-error", test_top_unsupported);
  g_test_add_func ("/pb/pop3/top/huge-header-is-capped", test_top_too_large);

  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pb/pop3/errors/%s", error_cases[i].name);

      g_test_add_data_func (path, &error_cases[i], test_error_case);
    }
  g_test_add_func ("/pb/pop3/errors/silent-server-times-out", test_timeout);
  g_test_add_func ("/pb/pop3/errors/silent-handshake-times-out", test_timeout_in_handshake);
  g_test_add_func ("/pb/pop3/errors/connect-refused", test_connect_refused);
  g_test_add_func ("/pb/pop3/errors/plain-server-on-tls-port", test_plain_server_on_tls_port);
  g_test_add_func ("/pb/pop3/cancel/while-waiting", test_cancel_while_waiting);
  g_test_add_func ("/pb/pop3/cancel/before-start", test_cancel_before_start);
  g_test_add_func ("/pb/pop3/cancel/quit-while-busy", test_quit_while_busy);

  g_test_add_func ("/pb/pop3/stls/works-and-capa-is-asked-again", test_stls_works);
  g_test_add_func ("/pb/pop3/stls/missing-aborts", test_stls_missing);
  g_test_add_func ("/pb/pop3/stls/no-capa-aborts", test_stls_no_capa);
  g_test_add_func ("/pb/pop3/stls/refused-aborts", test_stls_refused);
  g_test_add_func ("/pb/pop3/stls/injected-bytes-abort", test_stls_injection);
  g_test_add_func ("/pb/pop3/stls/certificate-checked", test_stls_certificate_rejected);

  for (guint i = 0; i < G_N_ELEMENTS (cert_cases); i++)
    {
      g_autofree char *name = g_strndup (cert_cases[i].cert, strlen (cert_cases[i].cert) - 4);
      g_autofree char *path = g_strdup_printf ("/pb/pop3/certificate/%s-rejected", name);

      g_test_add_data_func (path, &cert_cases[i], test_certificate_rejected);
    }
  g_test_add_func ("/pb/pop3/certificate/pinned-accepted", test_certificate_pinned);
  g_test_add_func ("/pb/pop3/certificate/changed-after-pinning-rejected",
                   test_certificate_changed_after_pinning);
  g_test_add_func ("/pb/pop3/certificate/pin-for-other-port-ignored",
                   test_certificate_pinned_for_other_port);
  g_test_add_func ("/pb/pop3/tls/second-session-verified-again",
                   test_second_session_verified_again);
  g_test_add_func ("/pb/pop3/tls/version-1-1-refused", test_tls_1_1_refused);

  g_test_add_func ("/pb/pop3/oauth2/xoauth2-in-two-steps", test_xoauth2_two_steps);
  g_test_add_func ("/pb/pop3/oauth2/microsoft-long-token-in-a-continuation",
                   test_microsoft_long_token);
  g_test_add_func ("/pb/pop3/oauth2/confirmed-by-stat", test_bearer_confirmed_by_stat);
  g_test_add_func ("/pb/pop3/oauth2/oauthbearer-where-offered", test_oauthbearer_preferred);
  for (guint i = 0; i < G_N_ELEMENTS (challenge_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pb/pop3/oauth2/error-challenge/%s",
                                               challenge_cases[i].name);

      g_test_add_data_func (path, &challenge_cases[i], test_error_challenge);
    }
  g_test_add_func ("/pb/pop3/oauth2/second-challenge-cancelled",
                   test_second_challenge_cancelled);
  g_test_add_func ("/pb/pop3/oauth2/plain-refusal-keeps-its-code", test_bearer_plain_refusal);
  g_test_add_func ("/pb/pop3/oauth2/no-mechanism-sends-nothing", test_bearer_no_mechanism);
  g_test_add_func ("/pb/pop3/oauth2/xoauth2-without-capa", test_bearer_without_capa);
  g_test_add_func ("/pb/pop3/oauth2/invalid-token-or-user-sends-nothing",
                   test_bearer_invalid_arguments);

  return g_test_run ();
}
