/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A POP3 server that misbehaves, at every step of a check: each way ends in
 * an error a user can read, in bounded time and memory, and leaves the
 * account's state as it was. Every check runs through pb_checker_check_async,
 * as the application runs it. */
#include "config.h"

#include <malloc.h>
#include <string.h>
#include <glib/gstdio.h>

#include "pb-checker.h"
#include "pb-error.h"
#include "pb-seen-store.h"
#include "pb-test-server.h"
#include "pb-test-util.h"

#define HOST "127.0.0.1"
#define USER "alice"
#define PASSWORD "secret"
#define AUTH_ALICE "AUTH PLAIN AGFsaWNlAHNlY3JldA==" /* \0alice\0secret */

#define GREETING "+OK Popbell test server ready."
#define CAPA_PIPELINED \
  "+OK\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUSER\r\nSASL PLAIN\r\n.\r\n"
#define CAPA_STLS "+OK\r\nSTLS\r\nUSER\r\n.\r\n"
/* What the state knows already: uid-old-1 and uid-old-2. */
#define LISTING_NEW "+OK 3 300\r\n+OK\r\n1 uid-old-1\r\n2 uid-old-2\r\n3 uid-new\r\n.\r\n"
#define LISTING_SAME "+OK 2 200\r\n+OK\r\n1 uid-old-1\r\n2 uid-old-2\r\n.\r\n"

#define MiB (1024 * 1024)

/* ---- A check of one account against one server ---------------------------- */

typedef struct
{
  PbTestServer *server;
  PbAccount    *account;
  char         *dir;
  char         *state_path;
  char         *pins_path;
  PbTrustStore *pins;
  GBytes       *state_before;
  GBytes       *pins_before;
  gint64        duration_us;
} Bench;

static GBytes *
read_file_bytes (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

/* The state of an account that was checked before: two messages seen. */
static void
seed_state (const char *path)
{
  static const char * const old[] = { "uid-old-1", "uid-old-2" };
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  g_autoptr(GError) error = NULL;

  pb_seen_store_record_check (seen, old, G_N_ELEMENTS (old), 2, NULL);
  g_assert_true (pb_seen_store_save (seen, &error));
  g_assert_no_error (error);
}

/* A (new) server playing @steps, over implicit TLS when @security is TLS and
 * there is a certificate (@cert_name NULL: a server that never starts TLS). */
static void
bench_serve (Bench            *bench,
             const char       *cert_name,
             PbSecurity        security,
             const PbTestStep *steps)
{
  g_autoptr(GTlsCertificate) certificate = NULL;

  if (cert_name != NULL)
    certificate = pb_test_load_certificate (cert_name);
  g_clear_pointer (&bench->server, pb_test_server_free);
  bench->server = pb_test_server_new (certificate,
                                      security == PB_SECURITY_TLS && certificate != NULL,
                                      steps);
  if (bench->account != NULL)
    pb_account_set_port (bench->account, pb_test_server_get_port (bench->server));
}

/* A server playing @steps and an account with a seeded state that trusts
 * the test CA. */
static void
bench_init (Bench            *bench,
            const char       *cert_name,
            PbSecurity        security,
            const PbTestStep *steps)
{
  g_autofree char *ca = pb_test_cert_path ("ca.crt");

  bench_serve (bench, cert_name, security, steps);

  bench->dir = pb_test_mkdtemp ("account");
  bench->state_path = g_build_filename (bench->dir, "hostile.state", NULL);
  bench->pins_path = g_build_filename (bench->dir, "trust.ini", NULL);
  bench->pins = pb_trust_store_new (bench->pins_path);
  seed_state (bench->state_path);

  bench->account = pb_account_new ("hostile");
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
  g_clear_pointer (&bench->state_before, g_bytes_unref);
  g_clear_pointer (&bench->pins_before, g_bytes_unref);
  g_clear_pointer (&bench->dir, g_free);
  g_clear_pointer (&bench->state_path, g_free);
  g_clear_pointer (&bench->pins_path, g_free);
}

/* One check, as the application runs it, with @timeout seconds per wait. */
static PbCheckResult *
bench_check_with (Bench      *bench,
                  guint       timeout,
                  const char *password)
{
  g_autoptr(GAsyncResult) async = NULL;
  PbCheckOptions options = { 0 };
  PbCheckResult *result;
  gint64 begin;

  g_clear_pointer (&bench->state_before, g_bytes_unref);
  g_clear_pointer (&bench->pins_before, g_bytes_unref);
  bench->state_before = read_file_bytes (bench->state_path);
  bench->pins_before = read_file_bytes (bench->pins_path);

  options.pins = bench->pins;
  options.state_dir = bench->dir;
  options.password = password;
  options.timeout = timeout;

  begin = g_get_monotonic_time ();
  pb_checker_check_async (bench->account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, timeout + 30);
  bench->duration_us = g_get_monotonic_time () - begin;

  result = pb_checker_check_finish (async);
  g_test_message ("check took %" G_GINT64_FORMAT " ms: %s", bench->duration_us / 1000,
                  result->error != NULL ? result->error->message : "success");
  return result;
}

static PbCheckResult *
bench_check (Bench *bench,
             guint  timeout)
{
  return bench_check_with (bench, timeout, PASSWORD);
}

static gboolean
bytes_equal0 (GBytes *a,
              GBytes *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_bytes_equal (a, b);
}

/* A message a user can read: one line of valid UTF-8 text without control
 * characters, that names the server and ends like a sentence. */
static void
assert_readable (const char *message)
{
  gsize len = strlen (message);

  g_assert_true (g_utf8_validate (message, -1, NULL));
  g_assert_cmpuint (len, >=, 10);
  g_assert_cmpuint (len, <=, 600);
  for (const char *p = message; *p != '\0'; p++)
    g_assert_false ((guchar) *p < 0x20 || *p == 0x7f);
  g_assert_nonnull (strchr (".!?", message[len - 1]));
  g_assert_nonnull (strstr (message, HOST));
  g_assert_null (strstr (message, PASSWORD));
}

/* No file but the state and the pins: no temporary or set-aside leftovers. */
static void
assert_no_stray_files (Bench *bench)
{
  g_autoptr(GDir) dir = g_dir_open (bench->dir, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (strcmp (name, "hostile.state") != 0 && strcmp (name, "trust.ini") != 0)
      g_error ("Unexpected file %s after a check", name);
}

/* Failed with exactly @code, in a readable sentence, within @max_ms, with
 * the state and the pins untouched. */
static void
assert_failed_cleanly (Bench         *bench,
                       PbCheckResult *result,
                       int            code,
                       guint          max_ms)
{
  g_autoptr(GBytes) state_after = read_file_bytes (bench->state_path);
  g_autoptr(GBytes) pins_after = read_file_bytes (bench->pins_path);

  g_assert_error (result->error, PB_POP3_ERROR, code);
  assert_readable (result->error->message);
  g_assert_cmpint (bench->duration_us, <, (gint64) max_ms * 1000);
  g_assert_cmpuint (result->new_count, ==, 0);
  g_assert_cmpuint (result->messages->len, ==, 0);
  g_assert_nonnull (bench->state_before);
  g_assert_true (bytes_equal0 (bench->state_before, state_after));
  g_assert_true (bytes_equal0 (bench->pins_before, pins_after));
  assert_no_stray_files (bench);
}

/* The password went out exactly once and only inside TLS. */
static void
assert_password_only_inside_tls (PbTestServer *server)
{
  GPtrArray *commands = pb_test_server_get_commands (server);
  guint plain = pb_test_server_get_plain_commands (server);

  for (guint i = 0; i < plain; i++)
    {
      const char *command = g_ptr_array_index (commands, i);

      g_assert_false (g_str_has_prefix (command, "AUTH"));
      g_assert_false (g_str_has_prefix (command, "PASS"));
      g_assert_false (g_str_has_prefix (command, "USER"));
    }
}

/* ---- Memory -------------------------------------------------------------- */

static gsize
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, field);
  g_assert_nonnull (line);
  return (gsize) g_ascii_strtoull (line + strlen (field), NULL, 10);
}

/* Starts measuring: free heap memory goes back to the system and the peak
 * resident size (VmHWM) is reset to the current one, so that what an
 * earlier test used hides nothing. */
static gsize
memory_begin (void)
{
  g_autoptr(GError) error = NULL;

  /* Memory freed by an earlier test would otherwise be reused unseen. */
  malloc_trim (0);
  g_file_set_contents_full ("/proc/self/clear_refs", "5", 1, G_FILE_SET_CONTENTS_NONE, 0600,
                            &error);
  g_assert_no_error (error);
  return status_kib ("VmRSS:");
}

/* The peak growth since memory_begin stays under @limit_mib. */
static void
memory_assert_below (gsize begin_kib,
                     gsize limit_mib)
{
  gsize peak = status_kib ("VmHWM:");
  gsize growth = peak > begin_kib ? peak - begin_kib : 0;

  g_test_message ("peak memory growth: %" G_GSIZE_FORMAT " KiB (limit %" G_GSIZE_FORMAT " MiB)",
                  growth, limit_mib);
  g_assert_cmpuint (growth, <, limit_mib * 1024);
}

/* ---- Misbehaviour at every step ------------------------------------------ */

/* Where in a session the server goes wrong: the steps played before. */
typedef struct
{
  const char *name;
  PbSecurity  security;
  PbTestStep  steps[12];
} Point;

static const Point points[] = {
  { "tls/before-greeting", PB_SECURITY_TLS, { { PB_STEP_END } } },
  { "tls/in-greeting", PB_SECURITY_TLS, { { PB_STEP_SEND_RAW, "+OK hel" } } },
  { "tls/after-capa", PB_SECURITY_TLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" } } },
  { "tls/in-capa", PB_SECURITY_TLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, "+OK\r\nTOP\r\nUI" } } },
  { "tls/after-login", PB_SECURITY_TLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE } } },
  /* Fewer answers than pipelined commands. */
  { "tls/after-auth-answer", PB_SECURITY_TLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK Logged in." },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, "+OK 3 300\r\n" } } },
  { "tls/in-uidl", PB_SECURITY_TLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK" },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, "+OK 3 300\r\n+OK\r\n1 uid-old-1\r\n" } } },
  { "tls/after-top", PB_SECURITY_TLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK" },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, LISTING_NEW }, { PB_STEP_EXPECT, "TOP 3 0" } } },
  { "tls/in-top", PB_SECURITY_TLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE },
      { PB_STEP_SEND, "+OK" },
      { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
      { PB_STEP_SEND_RAW, LISTING_NEW }, { PB_STEP_EXPECT, "TOP 3 0" },
      { PB_STEP_SEND_RAW, "+OK\r\nSubject: hel" } } },
  { "starttls/before-greeting", PB_SECURITY_STARTTLS, { { PB_STEP_END } } },
  { "starttls/after-capa", PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" } } },
  { "starttls/after-stls", PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_STLS }, { PB_STEP_EXPECT, "STLS" } } },
  { "starttls/after-handshake", PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_STLS }, { PB_STEP_EXPECT, "STLS" },
      { PB_STEP_SEND, "+OK Begin TLS." }, { PB_STEP_STARTTLS }, { PB_STEP_EXPECT, "CAPA" } } },
};

typedef enum
{
  FAULT_CLOSE,
  FAULT_STALL,
  FAULT_GARBAGE,
} Fault;

typedef struct
{
  const Point *point;
  Fault        fault;
  char        *path;
} FaultCase;

static void
test_fault (gconstpointer user_data)
{
  const FaultCase *c = user_data;
  g_autoptr(GArray) steps = g_array_new (TRUE, TRUE, sizeof (PbTestStep));
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };
  PbTestStep fault = { 0 };
  guint timeout = 5;
  int code;

  for (guint i = 0; c->point->steps[i].kind != PB_STEP_END; i++)
    g_array_append_val (steps, c->point->steps[i]);

  switch (c->fault)
    {
    case FAULT_CLOSE:
      fault.kind = PB_STEP_CLOSE;
      code = PB_POP3_ERROR_CLOSED;
      break;
    case FAULT_STALL:
      fault.kind = PB_STEP_STALL;
      code = PB_POP3_ERROR_TIMEOUT;
      timeout = 1;
      break;
    case FAULT_GARBAGE:
    default:
      /* Another protocol's answer where a POP3 status line belongs. */
      fault.kind = PB_STEP_SEND;
      fault.text = "* OK [CAPABILITY IMAP4rev1] Dovecot ready.";
      code = PB_POP3_ERROR_PROTOCOL;
      break;
    }
  g_array_append_val (steps, fault);

  bench_init (&bench, "server.pem", c->point->security, (PbTestStep *) steps->data);
  result = bench_check (&bench, timeout);
  /* A stall ends after the timeout; everything else at once. */
  assert_failed_cleanly (&bench, result, code, c->fault == FAULT_STALL ? 3500 : 2000);
  if (c->fault == FAULT_STALL)
    g_assert_cmpint (bench.duration_us, >=, G_USEC_PER_SEC * 9 / 10);
  assert_password_only_inside_tls (bench.server);
  bench_clear (&bench);
}

/* Garbage has no "inside a line" variant: the cut lines already are garbage. */
static gboolean
fault_applies (const Point *point,
               Fault        fault)
{
  return fault != FAULT_GARBAGE || strstr (point->name, "/in-") == NULL;
}

/* A server that takes the connection but never says a word: the handshake
 * (implicit TLS) or the greeting (STARTTLS) never comes. */
static void
test_stall_in_handshake (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_STALL },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };

  /* No certificate: it never answers the ClientHello. */
  bench_init (&bench, NULL, PB_SECURITY_TLS, steps);
  result = bench_check (&bench, 1);
  assert_failed_cleanly (&bench, result, PB_POP3_ERROR_TIMEOUT, 3500);
  bench_clear (&bench);
}

static void
test_close_in_handshake (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_EXPECT_ANY },
    { PB_STEP_CLOSE },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };

  /* Reads (part of) the ClientHello as if it were a line, then hangs up. */
  bench_init (&bench, NULL, PB_SECURITY_TLS, steps);
  result = bench_check (&bench, 5);
  assert_failed_cleanly (&bench, result, PB_POP3_ERROR_TLS, 2000);
  bench_clear (&bench);
}

static void
test_stall_in_starttls_handshake (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_STLS },
    { PB_STEP_EXPECT, "STLS" },
    { PB_STEP_SEND, "+OK Begin TLS." },
    { PB_STEP_STALL },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };

  bench_init (&bench, "server.pem", PB_SECURITY_STARTTLS, steps);
  result = bench_check (&bench, 1);
  assert_failed_cleanly (&bench, result, PB_POP3_ERROR_TIMEOUT, 3500);
  g_assert_cmpuint (pb_test_server_get_commands (bench.server)->len, ==, 2);
  bench_clear (&bench);
}

/* ---- Huge lines and endless answers -------------------------------------- */

typedef struct
{
  const char *name;
  PbTestStep  steps[12];
  int         code;
  gsize       memory_mib;  /* peak growth allowed */
  guint       max_ms;
} FloodCase;

/* Up to the login, whose answer comes next. */
#define LOGIN_AUTH \
  { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" }, \
  { PB_STEP_SEND_RAW, CAPA_PIPELINED }, { PB_STEP_EXPECT, AUTH_ALICE }
/* Logged in; the answers to STAT and UIDL come next. */
#define LOGIN_PREFIX \
  LOGIN_AUTH, { PB_STEP_SEND, "+OK Logged in." }, \
  { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" }

static const FloodCase flood_cases[] = {
  /* 4 MiB without a line end: given up after the 64 KiB line cap, not buffered. */
  { "greeting-of-4-mib",
    { { PB_STEP_SEND_REPEAT, "x", 4 * MiB }, { PB_STEP_STALL } },
    PB_POP3_ERROR_LINE_TOO_LONG, 16, 3000 },
  { "capa-line-of-4-mib",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_SEND, "+OK" },
      { PB_STEP_SEND_REPEAT, "SASL PLAIN ", 4 * MiB }, { PB_STEP_STALL } },
    PB_POP3_ERROR_LINE_TOO_LONG, 16, 3000 },
  { "uidl-line-of-4-mib",
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, "+OK 1 10\r\n+OK\r\n1 " },
      { PB_STEP_SEND_REPEAT, "u", 4 * MiB }, { PB_STEP_STALL } },
    PB_POP3_ERROR_LINE_TOO_LONG, 16, 3000 },
  { "top-line-of-4-mib",
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, LISTING_NEW }, { PB_STEP_EXPECT, "TOP 3 0" },
      { PB_STEP_SEND_RAW, "+OK\r\nSubject: " },
      { PB_STEP_SEND_REPEAT, "s", 4 * MiB }, { PB_STEP_STALL } },
    PB_POP3_ERROR_LINE_TOO_LONG, 16, 3000 },
  /* Endless multi-line answers: they stop at the cap of their command. */
  { "capa-never-ends",
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_SEND, "+OK" },
      { PB_STEP_SEND_REPEAT, "X-FEATURE\r\n", 0 } },
    PB_POP3_ERROR_PROTOCOL, 16, 3000 },
  /* The listing's cap is 32 MiB on the wire; kept as lines that is ~1.5 times
   * as much for lines of UIDLs... */
  { "uidl-never-ends",
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, "+OK 1 10\r\n+OK\r\n" },
      { PB_STEP_SEND_REPEAT, "1 uid-the-same-again\r\n", 0 } },
    PB_POP3_ERROR_PROTOCOL, 96, 20000 },
  /* ...and empty lines, the cheapest to send and the dearest to keep (a
   * pointer each), which the cap counts too: about two times the cap. */
  { "uidl-never-ends-with-empty-lines",
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, "+OK 1 10\r\n+OK\r\n" },
      { PB_STEP_SEND_REPEAT, "\r\n", 0 } },
    PB_POP3_ERROR_PROTOCOL, 80, 20000 },
  { "top-never-ends",
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, LISTING_NEW }, { PB_STEP_EXPECT, "TOP 3 0" },
      { PB_STEP_SEND_RAW, "+OK\r\n" },
      { PB_STEP_SEND_REPEAT, "Received: from somewhere by elsewhere\r\n", 0 } },
    PB_POP3_ERROR_PROTOCOL, 16, 3000 },
};

static void
test_flood (gconstpointer user_data)
{
  const FloodCase *c = user_data;
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };
  gsize memory;

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, c->steps);
  memory = memory_begin ();
  result = bench_check (&bench, 10);
  memory_assert_below (memory, c->memory_mib);
  assert_failed_cleanly (&bench, result, c->code, c->max_ms);
  g_test_message ("the server got to send %" G_GUINT64_FORMAT " bytes",
                  pb_test_server_get_bytes_sent (bench.server));
  bench_clear (&bench);
}

/* ---- Answers that do not match the commands ------------------------------- */

typedef struct
{
  const char *name;
  PbSecurity  security;
  PbTestStep  steps[16];
  int         code;
  guint       timeout;
} ErrorCase;

static const ErrorCase error_cases[] = {
  /* More answers than commands: the extra one would be taken for the next. */
  { "extra-answer-after-greeting",
    PB_SECURITY_TLS,
    { { PB_STEP_SEND_RAW, GREETING "\r\n+OK\r\nSASL PLAIN\r\n.\r\n" },
      { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  { "extra-answer-after-capa",
    PB_SECURITY_TLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_PIPELINED "+OK Logged in.\r\n" }, { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  { "extra-answer-after-listing",
    PB_SECURITY_TLS,
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, LISTING_SAME "+OK\r\n" }, { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  { "extra-answers-after-top",
    PB_SECURITY_TLS,
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, LISTING_NEW }, { PB_STEP_EXPECT, "TOP 3 0" },
      { PB_STEP_SEND_RAW, "+OK\r\nSubject: one\r\n.\r\n+OK\r\nSubject: two\r\n.\r\n" },
      { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  /* Fewer: the missing ones are waited for, then given up. */
  { "missing-answer-to-uidl",
    PB_SECURITY_TLS,
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, "+OK 2 200\r\n" }, { PB_STEP_STALL } },
    PB_POP3_ERROR_TIMEOUT, 1 },
  { "missing-answers-then-close",
    PB_SECURITY_TLS,
    { LOGIN_PREFIX, { PB_STEP_CLOSE } },
    PB_POP3_ERROR_CLOSED, 5 },
  /* A single-line answer where a listing belongs is read as the listing's
   * status line, and what follows cannot end it. */
  { "uidl-answered-with-single-line",
    PB_SECURITY_TLS,
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, "+OK 2 200\r\n+OK 2 messages\r\n" },
      { PB_STEP_STALL } },
    PB_POP3_ERROR_TIMEOUT, 1 },
  { "invalid-uidl-line",
    PB_SECURITY_TLS,
    { LOGIN_PREFIX,
      { PB_STEP_SEND_RAW, "+OK 3 300\r\n+OK\r\n1 uid-old-1\r\n2 uid with spaces\r\n"
                          "3 uid-new\r\n.\r\n" },
      { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  { "uidl-message-number-zero",
    PB_SECURITY_TLS,
    { LOGIN_PREFIX, { PB_STEP_SEND_RAW, "+OK 1 100\r\n+OK\r\n0 uid-zero\r\n.\r\n" },
      { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  /* NUL bytes are never text. */
  { "nul-in-greeting",
    PB_SECURITY_TLS,
    { { PB_STEP_SEND_RAW, "+OK hello\0world\r\n", 18 }, { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  { "nul-in-auth-answer",
    PB_SECURITY_TLS,
    { LOGIN_AUTH, { PB_STEP_SEND_RAW, "-ERR bad\0password\r\n", 20 }, { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  /* Invalid UTF-8 in a server's text reaches the user as valid UTF-8. */
  { "invalid-utf8-in-auth-answer",
    PB_SECURITY_TLS,
    { LOGIN_AUTH,
      { PB_STEP_SEND_RAW, "-ERR [AUTH] Mot de passe \xe9rron\xe9 \xff\xfe\xc3.\r\n" },
      { PB_STEP_END } },
    PB_POP3_ERROR_AUTH_FAILED, 5 },
  { "invalid-utf8-in-greeting-err",
    PB_SECURITY_TLS,
    { { PB_STEP_SEND, "-ERR \xc0\xaf\xed\xa0\x80 busy." }, { PB_STEP_END } },
    PB_POP3_ERROR_SERVER, 5 },
  /* Unsolicited words before CAPA: with STARTTLS anyone on the way could
   * have added them. */
  { "unsolicited-data-after-plain-greeting",
    PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND_RAW, GREETING "\r\n+OK\r\nSTLS\r\nSASL PLAIN\r\n.\r\n" },
      { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  { "unsolicited-data-after-tls-greeting",
    PB_SECURITY_TLS,
    { { PB_STEP_SEND_RAW, GREETING "\r\n* PREAUTH\r\n" }, { PB_STEP_END } },
    PB_POP3_ERROR_PROTOCOL, 5 },
  /* STLS answered, and plaintext right behind it in the same packet. */
  { "stls-injection-in-same-packet",
    PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_STLS }, { PB_STEP_EXPECT, "STLS" },
      { PB_STEP_SEND_RAW, "+OK Begin TLS.\r\n+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n" },
      { PB_STEP_STARTTLS }, { PB_STEP_END } },
    PB_POP3_ERROR_STLS_INJECTION, 5 },
  { "stls-injection-of-one-byte",
    PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_STLS }, { PB_STEP_EXPECT, "STLS" },
      { PB_STEP_SEND_RAW, "+OK Begin TLS.\r\n\n" }, { PB_STEP_STARTTLS }, { PB_STEP_END } },
    PB_POP3_ERROR_STLS_INJECTION, 5 },
  /* Plaintext in a packet of its own, after the ClientHello went out: it is
   * read as a TLS record, and is not one. */
  { "stls-injection-after-client-hello",
    PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_STLS }, { PB_STEP_EXPECT, "STLS" },
      { PB_STEP_SEND, "+OK Begin TLS." }, { PB_STEP_PAUSE, NULL, 200 },
      { PB_STEP_SEND_RAW, "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n" },
      { PB_STEP_STARTTLS }, { PB_STEP_END } },
    PB_POP3_ERROR_TLS, 5 },
  { "stls-refused-no-fallback",
    PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, CAPA_STLS }, { PB_STEP_EXPECT, "STLS" },
      { PB_STEP_SEND, "-ERR Not now." }, { PB_STEP_END } },
    PB_POP3_ERROR_STLS_UNAVAILABLE, 5 },
  { "stls-not-offered-no-fallback",
    PB_SECURITY_STARTTLS,
    { { PB_STEP_SEND, GREETING }, { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n" }, { PB_STEP_END } },
    PB_POP3_ERROR_STLS_UNAVAILABLE, 5 },
  /* APOP is never used, whatever the greeting offers. */
  { "apop-greeting-without-other-mechanism",
    PB_SECURITY_TLS,
    { { PB_STEP_SEND, "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>" },
      { PB_STEP_EXPECT, "CAPA" },
      { PB_STEP_SEND_RAW, "+OK\r\nUIDL\r\nSASL CRAM-MD5\r\n.\r\n" }, { PB_STEP_END } },
    PB_POP3_ERROR_NO_AUTH_MECHANISM, 5 },
};

static void
test_error_case (gconstpointer user_data)
{
  const ErrorCase *c = user_data;
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };

  bench_init (&bench, "server.pem", c->security, c->steps);
  result = bench_check (&bench, c->timeout);
  assert_failed_cleanly (&bench, result, c->code, c->timeout * 1000 + 2500);
  assert_password_only_inside_tls (bench.server);

  if (c->security == PB_SECURITY_STARTTLS)
    {
      GPtrArray *commands = pb_test_server_get_commands (bench.server);

      /* Nothing went out in clear text after STLS, and no login at all. */
      g_assert_cmpuint (pb_test_server_get_plain_commands (bench.server), <=, 2);
      for (guint i = 0; i < commands->len; i++)
        {
          const char *command = g_ptr_array_index (commands, i);

          g_assert_true (strcmp (command, "CAPA") == 0 || strcmp (command, "STLS") == 0);
        }
    }
  if (c->code == PB_POP3_ERROR_NO_AUTH_MECHANISM)
    {
      g_autofree char *transcript = pb_test_server_dup_transcript (bench.server);

      g_assert_cmpstr (transcript, ==, "CAPA");
    }
  bench_clear (&bench);
}

/* The bytes of the injection may come in a packet of their own right behind
 * the +OK: whether they are there before the ClientHello goes out is up to
 * the network. Either way the check stops, and nothing is sent in clear text. */
static void
test_stls_injection_in_next_packet (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_STLS },
    { PB_STEP_EXPECT, "STLS" },
    { PB_STEP_SEND, "+OK Begin TLS." },
    { PB_STEP_SEND_RAW, "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n" },
    { PB_STEP_STARTTLS },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };

  bench_init (&bench, "server.pem", PB_SECURITY_STARTTLS, steps);
  result = bench_check (&bench, 5);
  if (!g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_STLS_INJECTION))
    assert_failed_cleanly (&bench, result, PB_POP3_ERROR_TLS, 3000);
  else
    assert_failed_cleanly (&bench, result, PB_POP3_ERROR_STLS_INJECTION, 3000);
  g_assert_cmpuint (pb_test_server_get_plain_received (bench.server), ==,
                    strlen ("CAPA\r\nSTLS\r\n"));
  bench_clear (&bench);
}

/* ---- TLS ------------------------------------------------------------------ */

static void
test_plain_answer_on_tls_port (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };

  bench_init (&bench, NULL, PB_SECURITY_TLS, steps);
  result = bench_check (&bench, 5);
  assert_failed_cleanly (&bench, result, PB_POP3_ERROR_TLS, 3000);
  g_assert_null (result->certificate);
  g_assert_cmpuint (result->commands_sent, ==, 0);
  bench_clear (&bench);
}

static void
test_old_tls_only (void)
{
  g_autofree char *program = g_find_program_in_path ("openssl");
  g_autofree char *cert = pb_test_cert_path ("server.crt");
  g_autofree char *key = pb_test_cert_path ("server.key");
  g_autofree char *accept = NULL;
  g_autoptr(GSubprocess) openssl = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(PbCheckResult) result = NULL;
  g_autoptr(GError) error = NULL;
  /* The account's own server is openssl; this one only gives the bench a port. */
  static const PbTestStep idle[] = { { PB_STEP_END } };
  Bench bench = { 0 };
  gboolean ready = FALSE;
  guint16 port;

  if (program == NULL)
    {
      g_test_skip ("openssl is not installed");
      return;
    }

  port = pb_test_free_port ();
  accept = g_strdup_printf (HOST ":%u", port);
  openssl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE |
                              G_SUBPROCESS_FLAGS_STDIN_PIPE, &error,
                              "openssl", "s_server", "-tls1_1",
                              "-cipher", "DEFAULT@SECLEVEL=0",
                              "-cert", cert, "-key", key, "-accept", accept, NULL);
  g_assert_no_error (error);

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

  bench_init (&bench, NULL, PB_SECURITY_TLS, idle);
  pb_account_set_port (bench.account, port);
  result = bench_check (&bench, 5);

  /* Refused by the TLS library during the handshake, or by Popbell right
   * after it, depending on how the system configures the library. */
  if (g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_INSECURE_TLS))
    assert_failed_cleanly (&bench, result, PB_POP3_ERROR_INSECURE_TLS, 3000);
  else
    assert_failed_cleanly (&bench, result, PB_POP3_ERROR_TLS, 3000);
  g_assert_cmpuint (result->commands_sent, ==, 0);

  g_subprocess_force_exit (openssl);
  g_subprocess_wait (openssl, NULL, NULL);
  bench_clear (&bench);
}

/* A pinned certificate is replaced by another one between two checks. */
static void
test_certificate_changes_between_checks (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, LISTING_SAME },
    { PB_STEP_END },
  };
  g_autoptr(GTlsCertificate) first_cert = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(GTlsCertificate) second_cert = pb_test_load_certificate ("server2.pem");
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pinned = NULL;
  g_autoptr(PbTrustStore) reloaded = NULL;
  Bench bench = { 0 };
  guint16 port;

  bench_init (&bench, "self-signed.pem", PB_SECURITY_TLS, steps);
  port = pb_test_server_get_port (bench.server);
  /* Only the pin vouches for the server: no CA file. */
  pb_account_set_ca_file (bench.account, NULL);
  pb_trust_store_add (bench.pins, HOST, port, first_cert);
  g_assert_true (pb_trust_store_save (bench.pins, &error));
  g_assert_no_error (error);
  pinned = g_strdup (pb_trust_store_get_fingerprint (bench.pins, HOST, port));

  first = bench_check (&bench, 5);
  g_assert_no_error (first->error);
  g_assert_cmpint (first->trust, ==, PB_TRUST_PINNED);

  pb_test_server_set_certificate (bench.server, second_cert);
  second = bench_check (&bench, 5);
  assert_failed_cleanly (&bench, second, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, 3000);
  g_assert_cmpint (second->trust, ==, PB_TRUST_REJECTED);
  g_assert_true (g_tls_certificate_is_same (second->certificate, second_cert));
  g_assert_cmpuint (second->commands_sent, ==, 0);
  /* The pin stays the old one, in memory and on disk. */
  g_assert_cmpstr (pb_trust_store_get_fingerprint (bench.pins, HOST, port), ==, pinned);
  reloaded = pb_trust_store_new (bench.pins_path);
  g_assert_true (pb_trust_store_load (reloaded, &error));
  g_assert_cmpstr (pb_trust_store_get_fingerprint (reloaded, HOST, port), ==, pinned);
  g_assert_true (pb_trust_store_is_pinned (reloaded, HOST, port, first_cert));
  g_assert_false (pb_trust_store_is_pinned (reloaded, HOST, port, second_cert));
  /* Only the first connection logged in. */
  g_assert_cmpuint (pb_test_server_get_n_connections (bench.server), ==, 2);
  g_assert_cmpuint (pb_test_server_get_commands (bench.server)->len, ==, 5);
  bench_clear (&bench);
}

/* ---- Listings ------------------------------------------------------------- */

static char *
uidl_listing (guint first,
              guint n,
              const char *extra_line)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "+OK %u %u\r\n+OK\r\n", n + (extra_line ? 1 : 0), n * 100);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "%u uid-%08u-%s\r\n", i + 1, first + i, "abcdefgh");
  if (extra_line != NULL)
    g_string_append_printf (out, "%s\r\n", extra_line);
  g_string_append (out, ".\r\n");
  return g_string_free (out, FALSE);
}

static void
test_uidl_100000 (void)
{
  g_autofree char *listing = uidl_listing (0, 100000, NULL);
  g_autofree char *listing_more = uidl_listing (0, 100000, "100001 uid-brand-new");
  g_autofree char *listing_bad = uidl_listing (0, 100000, "100001 uid-with\x7f-delete");
  const PbTestStep steps[] = {
    LOGIN_PREFIX, { PB_STEP_SEND_RAW, listing }, { PB_STEP_END },
  };
  /* After the first check the client asks "UIDL 100000" along with STAT; a
   * server that refuses it gets the whole listing asked for. */
#define HINT_REFUSED(hint) \
  LOGIN_AUTH, { PB_STEP_SEND, "+OK Logged in." }, \
  { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, hint }, \
  { PB_STEP_SEND_RAW, "+OK 100001 10000100\r\n-ERR not now\r\n" }, { PB_STEP_EXPECT, "UIDL" }
  const PbTestStep steps_more[] = {
    HINT_REFUSED ("UIDL 100000"), { PB_STEP_SEND_RAW, strchr (listing_more, '\n') + 1 },
    { PB_STEP_EXPECT, "TOP 100001 0" },
    { PB_STEP_SEND_RAW, "+OK\r\nSubject: the new one\r\n.\r\n" }, { PB_STEP_END },
  };
  const PbTestStep steps_bad[] = {
    HINT_REFUSED ("UIDL 100001"), { PB_STEP_SEND_RAW, strchr (listing_bad, '\n') + 1 },
    { PB_STEP_END },
  };
#undef HINT_REFUSED
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) second = NULL;
  g_autoptr(PbCheckResult) bad = NULL;
  g_autoptr(PbSeenStore) seen = NULL;
  g_autoptr(GError) error = NULL;
  Bench bench = { 0 };
  PbMessage *message;
  gsize memory;

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, steps);
  g_assert_cmpint (g_unlink (bench.state_path), ==, 0);
  memory = memory_begin ();
  first = bench_check (&bench, 10);
  g_assert_no_error (first->error);
  /* About 3 MB on the wire. */
  memory_assert_below (memory, 64);
  g_assert_true (first->first_check);
  g_assert_cmpuint (first->total, ==, 100000);
  g_assert_cmpuint (first->new_count, ==, 0);
  g_assert_cmpint (bench.duration_us, <, 10 * G_USEC_PER_SEC);
  seen = pb_seen_store_new (bench.state_path);
  g_assert_true (pb_seen_store_load (seen, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pb_seen_store_get_n_seen (seen), ==, 100000);
  g_assert_true (pb_seen_store_contains (seen, "uid-00099999-abcdefgh"));

  bench_serve (&bench, "server.pem", PB_SECURITY_TLS, steps_more);
  second = bench_check (&bench, 10);
  g_assert_no_error (second->error);
  g_assert_cmpuint (second->total, ==, 100001);
  g_assert_cmpuint (second->new_count, ==, 1);
  message = g_ptr_array_index (second->messages, 0);
  g_assert_cmpstr (message->uidl, ==, "uid-brand-new");
  g_assert_cmpstr (message->subject, ==, "the new one");

  /* One bad line among 100,001: the whole listing is refused. */
  bench_serve (&bench, "server.pem", PB_SECURITY_TLS, steps_bad);
  bad = bench_check (&bench, 10);
  assert_failed_cleanly (&bench, bad, PB_POP3_ERROR_PROTOCOL, 10000);
  bench_clear (&bench);
}

static GPtrArray *
load_seen (const char *path)
{
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  g_autoptr(GError) error = NULL;
  GPtrArray *uidls = g_ptr_array_new_with_free_func (g_free);
  const char *candidates[] = { "uid-old-1", "uid-old-2", "uid-new", "uid-dup" };

  g_assert_true (pb_seen_store_load (seen, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (pb_seen_store_contains (seen, candidates[i]))
      g_ptr_array_add (uidls, g_strdup (candidates[i]));
  g_assert_cmpuint (uidls->len, ==, pb_seen_store_get_n_seen (seen));
  return uidls;
}

/* Mail deleted by another client between two checks is forgotten, and
 * nothing is announced. */
static void
test_mailbox_shrinks (void)
{
  static const PbTestStep shrunk[] = {
    LOGIN_PREFIX, { PB_STEP_SEND_RAW, "+OK 1 100\r\n+OK\r\n1 uid-old-2\r\n.\r\n" },
    { PB_STEP_END },
  };
  /* The client asks where the mailbox ended; it no longer goes that far. */
  static const PbTestStep empty[] = {
    LOGIN_AUTH, { PB_STEP_SEND, "+OK Logged in." },
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL 1" },
    { PB_STEP_SEND_RAW, "+OK 0 0\r\n-ERR no such message\r\n" }, { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n.\r\n" }, { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) second = NULL;
  g_autoptr(GPtrArray) after_first = NULL;
  g_autoptr(GPtrArray) after_second = NULL;
  Bench bench = { 0 };

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, shrunk);
  first = bench_check (&bench, 5);
  g_assert_no_error (first->error);
  g_assert_false (first->first_check);
  g_assert_cmpuint (first->total, ==, 1);
  g_assert_cmpuint (first->new_count, ==, 0);
  after_first = load_seen (bench.state_path);
  g_assert_cmpuint (after_first->len, ==, 1);
  g_assert_cmpstr (after_first->pdata[0], ==, "uid-old-2");

  bench_serve (&bench, "server.pem", PB_SECURITY_TLS, empty);
  second = bench_check (&bench, 5);
  g_assert_no_error (second->error);
  g_assert_cmpuint (second->total, ==, 0);
  g_assert_cmpuint (second->new_count, ==, 0);
  after_second = load_seen (bench.state_path);
  g_assert_cmpuint (after_second->len, ==, 0);
  bench_clear (&bench);
}

/* A server without UIDL claims four billion messages ("+OK 4294967295 0"
 * costs it nothing). The count is reported, but the work is the previews
 * of the newest few: bounded time and memory, and messages without a UIDL
 * don't pile up as unacknowledged check after check. */
static void
test_claimed_count_without_uidl (void)
{
  g_autoptr(GArray) steps = g_array_new (TRUE, TRUE, sizeof (PbTestStep));
  const PbTestStep login[] = { LOGIN_AUTH, { PB_STEP_SEND, "+OK Logged in." } };
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) again = NULL;
  g_autoptr(PbSeenStore) seen = NULL;
  g_autoptr(GError) error = NULL;
  PbTestStep step = { 0 };
  Bench bench = { 0 };
  gsize memory;

  g_array_append_vals (steps, login, G_N_ELEMENTS (login));
#define ADD(kind_, text_) \
  G_STMT_START { step.kind = (kind_); step.text = (text_); g_array_append_val (steps, step); } \
  G_STMT_END
  ADD (PB_STEP_EXPECT, "STAT");
  ADD (PB_STEP_EXPECT, "UIDL");
  ADD (PB_STEP_SEND_RAW, "+OK 4294967295 0\r\n-ERR no such command\r\n");
  for (guint i = 0; i < PB_CHECK_MAX_PREVIEWS; i++)
    {
      ADD (PB_STEP_EXPECT_PREFIX, "TOP 42949672");
      ADD (PB_STEP_SEND, "-ERR no such message");
    }
  ADD (PB_STEP_EXPECT, "QUIT");
  ADD (PB_STEP_SEND, "+OK");
  ADD (PB_STEP_END, NULL);
#undef ADD

  /* The seeded state says 2 messages, so 4294967293 are new. */
  bench_init (&bench, "server.pem", PB_SECURITY_TLS, (const PbTestStep *) steps->data);
  memory = memory_begin ();
  first = bench_check (&bench, 10);
  g_assert_no_error (first->error);
  memory_assert_below (memory, 16);
  g_assert_cmpint (bench.duration_us, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (first->total, ==, G_MAXUINT32);
  g_assert_cmpuint (first->new_count, ==, G_MAXUINT32 - 2);
  g_assert_cmpuint (first->messages->len, ==, PB_CHECK_MAX_PREVIEWS);
  g_assert_true (first->limits & PB_CHECK_LIMIT_TRUNCATED);

  /* Again: nothing new, and no more unacknowledged than one check lists. */
  again = bench_check (&bench, 10);
  g_assert_no_error (again->error);
  g_assert_cmpuint (again->new_count, ==, 0);
  seen = pb_seen_store_new (bench.state_path);
  pb_seen_store_load (seen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (seen)->len, ==, PB_CHECK_MAX_PREVIEWS);
  bench_clear (&bench);
}

/* Two messages with one UIDL (RFC 1939 says they are unique): the check
 * works, the new UIDL is announced once and remembered once. */
static void
test_duplicate_uidls (void)
{
  static const PbTestStep steps[] = {
    LOGIN_PREFIX,
    { PB_STEP_SEND_RAW, "+OK 4 400\r\n+OK\r\n1 uid-old-1\r\n2 uid-old-1\r\n"
                        "3 uid-dup\r\n4 uid-dup\r\n.\r\n" },
    { PB_STEP_EXPECT_PREFIX, "TOP " },
    { PB_STEP_SEND_RAW, "+OK\r\nSubject: duplicate\r\n.\r\n" },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  g_autoptr(GPtrArray) seen = NULL;
  Bench bench = { 0 };
  PbMessage *message;

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, steps);
  result = bench_check (&bench, 5);
  g_assert_no_error (result->error);
  g_assert_cmpuint (result->total, ==, 4);
  g_assert_cmpuint (result->new_count, ==, 1);
  g_assert_cmpuint (result->messages->len, ==, 1);
  message = g_ptr_array_index (result->messages, 0);
  g_assert_cmpstr (message->uidl, ==, "uid-dup");
  g_assert_null (pb_test_server_get_failure (bench.server));
  seen = load_seen (bench.state_path);
  g_assert_cmpuint (seen->len, ==, 2);
  bench_clear (&bench);
}

/* Raw 8-bit and broken bytes in headers are mail content, not a protocol
 * error: the previews come out as valid UTF-8. */
static void
test_invalid_utf8_in_headers (void)
{
  static const PbTestStep steps[] = {
    LOGIN_PREFIX, { PB_STEP_SEND_RAW, LISTING_NEW }, { PB_STEP_EXPECT, "TOP 3 0" },
    { PB_STEP_SEND_RAW, "+OK\r\nFrom: \xff\xfe <a@\xc3.example>\r\n"
                        "Subject: Gr\xfc\xdf" "e \xed\xa0\x80 =?utf-8?B?/w==?=\r\n.\r\n" },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };
  PbMessage *message;

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, steps);
  result = bench_check (&bench, 5);
  g_assert_no_error (result->error);
  g_assert_cmpuint (result->new_count, ==, 1);
  message = g_ptr_array_index (result->messages, 0);
  g_assert_nonnull (message->subject);
  g_assert_true (g_utf8_validate (message->subject, -1, NULL));
  g_assert_true (g_str_has_prefix (message->subject, "Gr"));
  g_assert_true (message->from == NULL || g_utf8_validate (message->from, -1, NULL));
  g_assert_true (g_utf8_validate (pb_message_get_sender (message), -1, NULL));
  bench_clear (&bench);
}

/* A NUL in a message's headers was put there by whoever sent the mail: the
 * check goes on (else that mailbox could never be checked again). */
static void
test_nul_in_header_is_harmless (void)
{
  static const PbTestStep steps[] = {
    LOGIN_PREFIX, { PB_STEP_SEND_RAW, LISTING_NEW }, { PB_STEP_EXPECT, "TOP 3 0" },
    { PB_STEP_SEND_RAW, "+OK\r\nSubject: a\0b\r\n.\r\n", 22 },
    { PB_STEP_END },
  };
  g_autoptr(PbCheckResult) result = NULL;
  Bench bench = { 0 };
  PbMessage *message;

  bench_init (&bench, "server.pem", PB_SECURITY_TLS, steps);
  result = bench_check (&bench, 5);
  g_assert_no_error (result->error);
  g_assert_cmpuint (result->new_count, ==, 1);
  message = g_ptr_array_index (result->messages, 0);
  g_assert_cmpstr (message->subject, ==, "a b");
  bench_clear (&bench);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) fault_cases = g_ptr_array_new ();

  pb_test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    {
      static const char * const fault_names[] = { "close", "stall", "garbage" };

      for (Fault fault = FAULT_CLOSE; fault <= FAULT_GARBAGE; fault++)
        {
          FaultCase *c;

          if (!fault_applies (&points[i], fault))
            continue;
          c = g_new0 (FaultCase, 1);
          c->point = &points[i];
          c->fault = fault;
          c->path = g_strdup_printf ("/pb/hostile/%s/%s", fault_names[fault], points[i].name);
          g_ptr_array_add (fault_cases, c);
          g_test_add_data_func (c->path, c, test_fault);
        }
    }
  g_test_add_func ("/pb/hostile/stall/tls/in-handshake", test_stall_in_handshake);
  g_test_add_func ("/pb/hostile/close/tls/in-handshake", test_close_in_handshake);
  g_test_add_func ("/pb/hostile/stall/starttls/in-handshake", test_stall_in_starttls_handshake);

  for (guint i = 0; i < G_N_ELEMENTS (flood_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pb/hostile/flood/%s", flood_cases[i].name);

      g_test_add_data_func (path, &flood_cases[i], test_flood);
    }
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pb/hostile/answers/%s", error_cases[i].name);

      g_test_add_data_func (path, &error_cases[i], test_error_case);
    }
  g_test_add_func ("/pb/hostile/answers/stls-injection-in-next-packet",
                   test_stls_injection_in_next_packet);

  g_test_add_func ("/pb/hostile/tls/plain-answer-on-tls-port", test_plain_answer_on_tls_port);
  g_test_add_func ("/pb/hostile/tls/only-tls-1-1-offered", test_old_tls_only);
  g_test_add_func ("/pb/hostile/tls/pinned-certificate-changes-between-checks",
                   test_certificate_changes_between_checks);

  g_test_add_func ("/pb/hostile/listing/100000-uidls-work-and-one-bad-line-fails",
                   test_uidl_100000);
  g_test_add_func ("/pb/hostile/listing/mailbox-shrinks-between-checks", test_mailbox_shrinks);
  g_test_add_func ("/pb/hostile/listing/duplicate-uidls-announced-once", test_duplicate_uidls);
  g_test_add_func ("/pb/hostile/listing/claimed-count-without-uidl-is-bounded-work",
                   test_claimed_count_without_uidl);
  g_test_add_func ("/pb/hostile/headers/invalid-utf8-becomes-valid", test_invalid_utf8_in_headers);
  g_test_add_func ("/pb/hostile/headers/nul-is-harmless", test_nul_in_header_is_harmless);

  return g_test_run ();
}
