/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pb-dovecot.h"
#include "pb-test-util.h"

#define USER "alice"
#define PASSWORD "correct horse battery"

/* A minimal blocking POP3 session, independent of Popbell's client, so these
 * tests check the harness and not the code under test. */
typedef struct
{
  GIOStream *stream;
  GDataInputStream *input;
} Session;

typedef struct
{
  PbDovecot *dovecot;
  Session session;
} Fixture;

static void
session_set_stream (Session   *session,
                    GIOStream *stream)
{
  g_clear_object (&session->input);
  g_set_object (&session->stream, stream);
  session->input = g_data_input_stream_new (g_io_stream_get_input_stream (stream));
  g_data_input_stream_set_newline_type (session->input, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (session->input), FALSE);
}

static void
session_close (Session *session)
{
  if (session->stream != NULL)
    g_io_stream_close (session->stream, NULL, NULL);
  g_clear_object (&session->input);
  g_clear_object (&session->stream);
}

static void
session_connect (Session *session,
                 guint16  port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  /* Blocking I/O: a hung server fails the test instead of hanging it. */
  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  session_set_stream (session, G_IO_STREAM (connection));
}

static void
session_start_tls (Session *session)
{
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("127.0.0.1", 0);
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(GError) error = NULL;

  database = g_tls_file_database_new (ca, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (session->stream, identity, &error);
  g_assert_no_error (error);
  g_tls_connection_set_database (G_TLS_CONNECTION (tls), database);
  g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error);
  g_assert_no_error (error);
  session_set_stream (session, tls);
}

static char *
session_read_line (Session *session)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (session->input, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

static char *
session_command (Session    *session,
                 const char *command)
{
  g_autofree char *wire = g_strconcat (command, "\r\n", NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (session->stream),
                             wire, strlen (wire), NULL, NULL, &error);
  g_assert_no_error (error);
  return session_read_line (session);
}

/* The lines of a multi-line answer after its +OK line, dot-unstuffed. */
static GStrv
session_read_multiline (Session *session)
{
  g_autoptr(GStrvBuilder) lines = g_strv_builder_new ();

  for (;;)
    {
      g_autofree char *line = session_read_line (session);

      if (strcmp (line, ".") == 0)
        break;
      g_strv_builder_add (lines, line[0] == '.' ? line + 1 : line);
    }
  return g_strv_builder_end (lines);
}

static void
session_expect_ok (Session    *session,
                   const char *command)
{
  g_autofree char *answer = session_command (session, command);

  if (!g_str_has_prefix (answer, "+OK"))
    g_error ("%s: expected +OK, got \"%s\"", command, answer);
}

static void
session_login (Session *session)
{
  session_expect_ok (session, "USER " USER);
  session_expect_ok (session, "PASS " PASSWORD);
}

static void
session_greeting (Session *session)
{
  g_autofree char *greeting = session_read_line (session);

  g_assert_true (g_str_has_prefix (greeting, "+OK "));
}

static GStrv
session_capabilities (Session *session)
{
  session_expect_ok (session, "CAPA");
  return session_read_multiline (session);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  PbDovecotFlags flags = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;

  fixture->dovecot = pb_dovecot_new_full (flags, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);
  pb_dovecot_add_user (fixture->dovecot, USER, PASSWORD, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  session_close (&fixture->session);
  g_clear_pointer (&fixture->dovecot, pb_dovecot_free);
}

static gsize
crlf_size (const char *message)
{
  g_auto(GStrv) lines = g_strsplit (message, "\n", -1);
  gsize size = strlen (message);

  for (guint i = 0; lines[i + 1] != NULL; i++)
    if (!g_str_has_suffix (lines[i], "\r"))
      size++;
  return size;
}

static void
test_pop3s_login_and_stat (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *messages[] = {
    "From: a@example.com\nSubject: First\n\nOne.\n",
    "From: b@example.com\r\nSubject: Second\r\n\r\nTwo, with CRLF.\r\n",
    "From: c@example.com\nSubject: Third\n\n.A line that needs dot-stuffing\n",
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *stat = NULL;
  g_autofree char *expected_stat = NULL;
  g_auto(GStrv) list = NULL;
  gsize total = 0;

  if (fixture->dovecot == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      pb_dovecot_deliver (fixture->dovecot, USER, messages[i], strlen (messages[i]), &error);
      g_assert_no_error (error);
      total += crlf_size (messages[i]);
    }

  session_connect (&fixture->session, pb_dovecot_get_pop3s_port (fixture->dovecot));
  session_start_tls (&fixture->session);
  session_greeting (&fixture->session);
  session_login (&fixture->session);

  stat = session_command (&fixture->session, "STAT");
  expected_stat = g_strdup_printf ("+OK %u %" G_GSIZE_FORMAT, (guint) G_N_ELEMENTS (messages), total);
  g_assert_cmpstr (stat, ==, expected_stat);

  /* LIST gives the sizes named by W=, the size with CRLF line ends. */
  session_expect_ok (&fixture->session, "LIST");
  list = session_read_multiline (&fixture->session);
  g_assert_cmpuint (g_strv_length (list), ==, G_N_ELEMENTS (messages));
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autofree char *line = g_strdup_printf ("%u %" G_GSIZE_FORMAT, i + 1, crlf_size (messages[i]));

      g_assert_cmpstr (list[i], ==, line);
    }

  /* Messages come in delivery order, and Dovecot reads back what was written. */
  session_expect_ok (&fixture->session, "TOP 2 0");
  {
    g_auto(GStrv) top = session_read_multiline (&fixture->session);
    g_assert_cmpstr (top[1], ==, "Subject: Second");
  }
  session_expect_ok (&fixture->session, "TOP 3 1");
  {
    g_auto(GStrv) top = session_read_multiline (&fixture->session);
    g_assert_cmpstr (top[0], ==, "From: c@example.com");
    g_assert_cmpstr (top[3], ==, ".A line that needs dot-stuffing");
  }
  session_expect_ok (&fixture->session, "QUIT");
}

static GStrv
read_uidls (Fixture *fixture)
{
  g_auto(GStrv) uidls = NULL;

  session_connect (&fixture->session, pb_dovecot_get_pop3s_port (fixture->dovecot));
  session_start_tls (&fixture->session);
  session_greeting (&fixture->session);
  session_login (&fixture->session);
  session_expect_ok (&fixture->session, "UIDL");
  uidls = session_read_multiline (&fixture->session);
  session_expect_ok (&fixture->session, "QUIT");
  session_close (&fixture->session);
  return g_steal_pointer (&uidls);
}

static void
test_uidls_are_stable (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) first = NULL;
  g_auto(GStrv) second = NULL;

  if (fixture->dovecot == NULL)
    return;

  pb_dovecot_deliver_many (fixture->dovecot, USER, 3, NULL, NULL, &error);
  g_assert_no_error (error);
  first = read_uidls (fixture);
  g_assert_cmpuint (g_strv_length (first), ==, 3);
  g_assert_cmpstr (first[0], !=, first[1]);
  g_assert_cmpstr (first[1], !=, first[2]);

  /* A message delivered later is added after the others, which keep their UIDLs. */
  pb_dovecot_deliver_many (fixture->dovecot, USER, 1, NULL, NULL, &error);
  g_assert_no_error (error);
  second = read_uidls (fixture);
  g_assert_cmpuint (g_strv_length (second), ==, 4);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (first[i], ==, second[i]);
  g_assert_false (g_strv_contains ((const char * const *) first, second[3]));
}

static void
test_pop3_offers_stls (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto(GStrv) before = NULL;
  g_auto(GStrv) after = NULL;
  g_autofree char *stat = NULL;

  if (fixture->dovecot == NULL)
    return;

  session_connect (&fixture->session, pb_dovecot_get_pop3_port (fixture->dovecot));
  session_greeting (&fixture->session);
  before = session_capabilities (&fixture->session);
  g_assert_true (g_strv_contains ((const char * const *) before, "STLS"));

  session_expect_ok (&fixture->session, "STLS");
  session_start_tls (&fixture->session);
  after = session_capabilities (&fixture->session);
  g_assert_false (g_strv_contains ((const char * const *) after, "STLS"));
  g_assert_true (g_strv_contains ((const char * const *) after, "SASL PLAIN LOGIN"));
  g_assert_true (g_strv_contains ((const char * const *) after, "PIPELINING"));

  session_login (&fixture->session);
  stat = session_command (&fixture->session, "STAT");
  g_assert_cmpstr (stat, ==, "+OK 0 0");
}

static void
test_pop3_refuses_plaintext_login (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autofree char *user = NULL;
  g_autofree char *pass = NULL;
  g_autofree char *log = NULL;

  if (fixture->dovecot == NULL)
    return;

  /* On loopback Dovecot counts a connection without TLS as secured and would
   * take the password; the configuration must refuse it anyway. */
  session_connect (&fixture->session, pb_dovecot_get_pop3_port (fixture->dovecot));
  session_greeting (&fixture->session);
  user = session_command (&fixture->session, "USER " USER);
  pass = session_command (&fixture->session, "PASS " PASSWORD);
  g_assert_true (g_str_has_prefix (pass, "-ERR [AUTH]"));

  log = pb_dovecot_get_log (fixture->dovecot);
  g_assert_null (strstr (log, "Login: user=<" USER ">"));
  g_assert_null (strstr (log, PASSWORD));
}

static void
test_wrong_password_fails (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *pass = NULL;

  if (fixture->dovecot == NULL)
    return;

  session_connect (&fixture->session, pb_dovecot_get_pop3s_port (fixture->dovecot));
  session_start_tls (&fixture->session);
  session_greeting (&fixture->session);
  session_expect_ok (&fixture->session, "USER " USER);
  pass = session_command (&fixture->session, "PASS not the password");
  g_assert_true (g_str_has_prefix (pass, "-ERR [AUTH]"));
}

static void
test_sasl_login_only (Fixture       *fixture,
                      gconstpointer  data)
{
  g_auto(GStrv) capabilities = NULL;
  g_autofree char *user = NULL;
  g_autofree char *pass = NULL;

  if (fixture->dovecot == NULL)
    return;

  session_connect (&fixture->session, pb_dovecot_get_pop3s_port (fixture->dovecot));
  session_start_tls (&fixture->session);
  session_greeting (&fixture->session);
  capabilities = session_capabilities (&fixture->session);
  g_assert_true (g_strv_contains ((const char * const *) capabilities, "SASL LOGIN"));
  g_assert_true (g_strv_contains ((const char * const *) capabilities, "USER"));

  /* As documented in pb-dovecot.h: USER/PASS needs Dovecot's PLAIN mechanism. */
  user = session_command (&fixture->session, "USER " USER);
  pass = session_command (&fixture->session, "PASS " PASSWORD);
  g_assert_cmpstr (pass, ==, "-ERR [AUTH] Unsupported authentication mechanism.");
}

static void
test_add_user_rejects_separators (Fixture       *fixture,
                                  gconstpointer  data)
{
  const char *bad[][2] = {
    { "bob", "pass:word" },
    { "bob", "pass\nword" },
    { "b:ob", "hunter2" },
    { "../bob", "hunter2" },
    { "", "hunter2" },
    { "bob", "" },
  };

  if (fixture->dovecot == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (pb_dovecot_add_user (fixture->dovecot, bad[i][0], bad[i][1], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      if (*bad[i][1] != '\0')
        g_assert_null (strstr (error->message, bad[i][1]));
    }
}

static void
test_deliver_to_unknown_user_fails (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (fixture->dovecot == NULL)
    return;

  g_assert_false (pb_dovecot_deliver (fixture->dovecot, "nobody-here", "x\n", 2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
japanese_generator (guint     index,
                    GString  *message,
                    gpointer  user_data)
{
  guint *calls = user_data;

  (*calls)++;
  g_string_append_printf (message,
                          "From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\n"
                          "Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= %u\n"
                          "\n"
                          "%u\n",
                          index, index);
}

static void
test_deliver_many (Fixture       *fixture,
                   gconstpointer  data)
{
  const guint n = 10000;
  g_autoptr(GError) error = NULL;
  g_autofree char *maildir = NULL;
  g_autofree char *new_dir = NULL;
  g_autofree char *stat = NULL;
  g_autofree char *top = NULL;
  g_autoptr(GDir) dir = NULL;
  guint calls = 0;
  guint files = 0;
  gint64 start;

  if (fixture->dovecot == NULL)
    return;

  start = g_get_monotonic_time ();
  pb_dovecot_deliver_many (fixture->dovecot, USER, n, japanese_generator, &calls, &error);
  g_assert_no_error (error);
  g_test_message ("%u messages delivered in %.2f s", n,
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
  g_assert_cmpuint (calls, ==, n);

  maildir = pb_dovecot_get_maildir (fixture->dovecot, USER);
  new_dir = g_build_filename (maildir, "new", NULL);
  dir = g_dir_open (new_dir, 0, &error);
  g_assert_no_error (error);
  while (g_dir_read_name (dir) != NULL)
    files++;
  g_assert_cmpuint (files, ==, n);

  session_connect (&fixture->session, pb_dovecot_get_pop3s_port (fixture->dovecot));
  session_start_tls (&fixture->session);
  session_greeting (&fixture->session);
  session_login (&fixture->session);
  stat = session_command (&fixture->session, "STAT");
  g_assert_true (g_str_has_prefix (stat, "+OK 10000 "));

  top = g_strdup_printf ("TOP %u 0", n);
  session_expect_ok (&fixture->session, top);
  {
    g_auto(GStrv) headers = session_read_multiline (&fixture->session);
    g_assert_cmpstr (headers[1], ==, "Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= 9999");
  }
}

/* Processes whose title or command line names this instance. */
static guint
count_processes (const char *instance_name,
                 const char *conf_path)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize length = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "cmdline", NULL);
      if (!g_file_get_contents (path, &cmdline, &length, NULL))
        continue;
      for (gsize i = 0; i + 1 < length; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      if (strstr (cmdline, instance_name) != NULL || strstr (cmdline, conf_path) != NULL)
        count++;
    }
  return count;
}

static void
test_stop_leaves_no_processes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbDovecot) dovecot = pb_dovecot_new (&error);
  g_autofree char *instance_name = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *dir = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);

  instance_name = g_strdup (pb_dovecot_get_instance_name (dovecot));
  conf_path = g_build_filename (pb_dovecot_get_dir (dovecot), "dovecot.conf", NULL);
  dir = g_strdup (pb_dovecot_get_dir (dovecot));
  /* The master and at least its log, config and login processes. */
  g_assert_cmpuint (count_processes (instance_name, conf_path), >=, 3);

  g_clear_pointer (&dovecot, pb_dovecot_free);
  g_assert_cmpuint (count_processes (instance_name, conf_path), ==, 0);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

static void
test_ports_are_distinct (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbDovecot) second = NULL;

  if (fixture->dovecot == NULL)
    return;

  /* Two instances side by side, as parallel tests would run them. */
  second = pb_dovecot_new (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (pb_dovecot_get_pop3_port (fixture->dovecot), !=,
                    pb_dovecot_get_pop3s_port (fixture->dovecot));
  g_assert_cmpuint (pb_dovecot_get_pop3s_port (second), !=,
                    pb_dovecot_get_pop3s_port (fixture->dovecot));
  g_assert_cmpstr (pb_dovecot_get_instance_name (second), !=,
                   pb_dovecot_get_instance_name (fixture->dovecot));
}

#define ADD_TEST(path, flags, func) \
  g_test_add ("/pb/dovecot/harness/" path, Fixture, GUINT_TO_POINTER (flags), \
              fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  ADD_TEST ("pop3s/logs-in-and-counts-messages", PB_DOVECOT_FLAGS_NONE, test_pop3s_login_and_stat);
  ADD_TEST ("pop3s/uidls-are-stable", PB_DOVECOT_FLAGS_NONE, test_uidls_are_stable);
  ADD_TEST ("pop3s/wrong-password-fails", PB_DOVECOT_FLAGS_NONE, test_wrong_password_fails);
  ADD_TEST ("pop3/offers-stls", PB_DOVECOT_FLAGS_NONE, test_pop3_offers_stls);
  ADD_TEST ("pop3/refuses-plaintext-login", PB_DOVECOT_FLAGS_NONE, test_pop3_refuses_plaintext_login);
  ADD_TEST ("sasl-login-only/hides-plain", PB_DOVECOT_FLAGS_SASL_LOGIN_ONLY, test_sasl_login_only);
  ADD_TEST ("add-user/rejects-separators", PB_DOVECOT_FLAGS_NONE, test_add_user_rejects_separators);
  ADD_TEST ("deliver/unknown-user-fails", PB_DOVECOT_FLAGS_NONE, test_deliver_to_unknown_user_fails);
  ADD_TEST ("deliver/many-messages", PB_DOVECOT_FLAGS_NONE, test_deliver_many);
  ADD_TEST ("two-instances-side-by-side", PB_DOVECOT_FLAGS_NONE, test_ports_are_distinct);
  g_test_add_func ("/pb/dovecot/harness/stop-leaves-no-processes", test_stop_leaves_no_processes);

  return g_test_run ();
}
