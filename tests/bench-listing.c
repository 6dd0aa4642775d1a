/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a hostile UIDL listing costs in memory: the peak resident size of one
 * real check (PbChecker, first check of the account, so the listing is parsed,
 * compared and saved as seen) against a scripted server sending a listing just
 * under the cap in the shapes the cap lets through. Each check runs in a fresh
 * child process, so nothing an earlier one freed hides the next one's peak.
 *
 *   popbell-bench-listing [SHAPE…]
 *
 * Built, not run as a test (a run takes a minute and a few hundred MiB).
 * PB_TEST_CERTS defaults to the build's test certificates. */
#include "config.h"

#include <malloc.h>
#include <string.h>
#include <glib/gstdio.h>

#include "pb-checker.h"
#include "pb-error.h"
#include "pb-pop3-reader.h"
#include "pb-tls-trust.h"
#include "pb-test-server.h"
#include "pb-test-util.h"

/* Must match MAX_LISTING_BYTES in app/core/pb-pop3-client.c. */
#define LISTING_CAP (32 * 1024 * 1024)
#define MAX_UIDL_LEN 70
#define MiB (1024.0 * 1024.0)

#define GREETING "+OK Popbell bench server ready."
#define CAPA_PIPELINED \
  "+OK\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUSER\r\nSASL PLAIN\r\n.\r\n"
#define AUTH_ALICE "AUTH PLAIN AGFsaWNlAHNlY3JldA==" /* \0alice\0secret */

typedef enum
{
  SHAPE_SAME,      /* "1 a" again and again: the shortest valid line */
  SHAPE_DISTINCT,  /* "N u" with N and u counting up: short, all different */
  SHAPE_LONGEST,   /* "N " and a 70-character UIDL (RFC 1939's longest), all different */
  SHAPE_EMPTY,     /* empty lines: the cheapest to send; refused, but only once read */
  SHAPE_TYPICAL,   /* 100,000 ordinary UIDLs, for comparison */
} Shape;

static const struct
{
  const char *name;
  Shape shape;
} shapes[] = {
  { "same-shortest", SHAPE_SAME },
  { "distinct-short", SHAPE_DISTINCT },
  { "distinct-longest", SHAPE_LONGEST },
  { "empty-lines", SHAPE_EMPTY },
  { "typical-100000", SHAPE_TYPICAL },
};

/* The reader's accounting (pb-pop3-reader.c): each line costs its length,
 * CRLF and PB_POP3_LINE_COST; the listing fails once that passes the cap. */
static gboolean
fits (guint64 body_bytes,
      guint64 lines)
{
  return body_bytes + lines * PB_POP3_LINE_COST <= LISTING_CAP;
}

static void
append_uidl (GString *uidl,
             guint64  n,
             gsize    width)
{
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

  g_string_truncate (uidl, 0);
  do
    {
      g_string_append_c (uidl, digits[n % 62]);
      n /= 62;
    }
  while (n > 0);
  while (uidl->len < width)
    g_string_append_c (uidl, '-');
}

/* The multi-line answer to UIDL and the STAT line before it. */
static GString *
make_listing (Shape    shape,
              guint64 *n_lines)
{
  GString *out = g_string_sized_new (LISTING_CAP + 1024);
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GString) uidl = g_string_new (NULL);
  guint64 body = 0;
  guint64 n = 0;

  g_string_append (out, "+OK\r\n");
  for (;;)
    {
      switch (shape)
        {
        case SHAPE_SAME:
          g_string_assign (line, "1 a");
          break;
        case SHAPE_DISTINCT:
          append_uidl (uidl, n, 1);
          g_string_printf (line, "%" G_GUINT64_FORMAT " %s", n + 1, uidl->str);
          break;
        case SHAPE_LONGEST:
          append_uidl (uidl, n, MAX_UIDL_LEN);
          g_string_printf (line, "%" G_GUINT64_FORMAT " %s", n + 1, uidl->str);
          break;
        case SHAPE_EMPTY:
          g_string_truncate (line, 0);
          break;
        case SHAPE_TYPICAL:
          if (n == 100000)
            goto done;
          g_string_printf (line, "%" G_GUINT64_FORMAT " 00000a%07" G_GUINT64_FORMAT "5e4c1b2f",
                           n + 1, n);
          break;
        default:
          g_assert_not_reached ();
        }
      if (!fits (body + line->len + 2, n + 1))
        break;
      body += line->len + 2;
      n++;
      g_string_append_len (out, line->str, line->len);
      g_string_append (out, "\r\n");
    }
done:
  g_string_append (out, ".\r\n");
  *n_lines = n;
  return out;
}

/* ---- The child: one check, and its peak ---------------------------------- */

static void
drop_debug (const char     *log_domain,
            GLogLevelFlags  level,
            const char     *message,
            gpointer        user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    g_log_default_handler (log_domain, level, message, user_data);
}

/* The peak resident size of this process image, in KiB. Not getrusage's
 * ru_maxrss: that one keeps the peak of the image before exec(), here the
 * parent's copy with its 32 MiB listing, which would hide the check's own. */
static glong
max_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmHWM:")) == NULL)
    g_error ("No VmHWM in /proc/self/status");
  return (glong) g_ascii_strtoll (line + strlen ("VmHWM:"), NULL, 10);
}

static int
run_client (guint16 port)
{
  g_autofree char *dir = g_dir_make_tmp ("popbell-bench-XXXXXX", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autofree char *state_path = g_build_filename (dir, "bench.state", NULL);
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbAccount) account = pb_account_new ("bench");
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(PbCheckResult) result = NULL;
  PbCheckOptions options = { 0 };
  glong before, after;
  gint64 begin;

  g_log_set_default_handler (drop_debug, NULL);
  pb_account_set_host (account, "127.0.0.1");
  pb_account_set_port (account, port);
  pb_account_set_security (account, PB_SECURITY_TLS);
  pb_account_set_user (account, "alice");
  pb_account_set_ca_file (account, ca);
  options.pins = pins;
  options.state_dir = dir;
  options.password = "secret";
  options.timeout = 120;

  /* Everything set up and loaded (TLS backend included, once a check ran
   * its handshake, which costs a little more): the peak before the listing. */
  malloc_trim (0);
  before = max_rss_kib ();
  begin = g_get_monotonic_time ();
  pb_checker_check_async (account, &options, NULL, pb_test_store_result, &async);
  while (async == NULL)
    g_main_context_iteration (NULL, TRUE);
  result = pb_checker_check_finish (async);
  after = max_rss_kib ();

  g_print ("%ld %ld %" G_GINT64_FORMAT " %s\n", before, after,
           (g_get_monotonic_time () - begin) / 1000,
           result->error == NULL ? "ok" : pb_error_kind (result->error));
  g_unlink (state_path);
  g_unlink (pins_path);
  g_rmdir (dir);
  return 0;
}

/* ---- The parent: the server, and the table -------------------------------- */

static void
on_child_exit (GPid     pid,
               gint     status,
               gpointer user_data)
{
  gboolean *done = user_data;

  g_spawn_close_pid (pid);
  *done = TRUE;
}

static gboolean
run_shape (const char *self_path,
           Shape       shape,
           const char *name)
{
  guint64 n_lines = 0;
  g_autoptr(GString) listing = make_listing (shape, &n_lines);
  /* What the reader counts: the lines and their CRLFs, not "+OK" or ".". */
  gsize body = listing->len - strlen ("+OK\r\n") - strlen (".\r\n");
  g_autofree char *stat_line = g_strdup_printf ("+OK %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                                                "\r\n", n_lines, n_lines * 100);
  const PbTestStep steps[] = {
    { PB_STEP_SEND, GREETING },
    { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_SEND_RAW, CAPA_PIPELINED },
    { PB_STEP_EXPECT, AUTH_ALICE }, { PB_STEP_SEND, "+OK Logged in." },
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, stat_line },
    { PB_STEP_SEND_RAW, listing->str, listing->len },
    { PB_STEP_EXPECT_ANY }, { PB_STEP_SEND, "+OK Bye." },
    { PB_STEP_END },
  };
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("server.pem");
  PbTestServer *server = pb_test_server_new (certificate, TRUE, steps);
  g_autofree char *port = g_strdup_printf ("%u", pb_test_server_get_port (server));
  const char *argv[] = { self_path, "--client", port, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  gboolean done = FALSE;
  long before = 0, after = 0;
  gint64 ms = 0;
  char kind[64] = "";
  GPid pid;
  int out_fd;

  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                 NULL, &pid, NULL, &out_fd, NULL, &error))
    {
      g_printerr ("popbell-bench-listing: %s\n", error->message);
      pb_test_server_free (server);
      return FALSE;
    }
  g_child_watch_add (pid, on_child_exit, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_io_channel_read_to_end (channel, &output, NULL, NULL);
  pb_test_server_free (server);

  if (output == NULL ||
      sscanf (output, "%ld %ld %" G_GINT64_FORMAT " %63s", &before, &after, &ms, kind) != 4)
    {
      g_printerr ("popbell-bench-listing: the check of %s printed nothing\n", name);
      return FALSE;
    }

  g_print ("| %-16s | %9" G_GUINT64_FORMAT " | %8.1f | %8.1f | %8.1f | %8.1f | %6.2f | %6"
           G_GINT64_FORMAT " | %-11s |\n",
           name, n_lines, body / MiB, before / 1024.0, after / 1024.0, (after - before) / 1024.0,
           (after - before) * 1024.0 / MAX (body, 1), ms, kind);
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *self_path = NULL;
  gboolean ok = TRUE;

  if (g_getenv ("PB_TEST_CERTS") == NULL)
    g_setenv ("PB_TEST_CERTS", PB_BENCH_CERTS, TRUE);

  if (argc == 3 && strcmp (argv[1], "--client") == 0)
    return run_client ((guint16) g_ascii_strtoull (argv[2], NULL, 10));

  g_log_set_default_handler (drop_debug, NULL);
  self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_print ("Listing cap %d MiB (each line: its bytes, CRLF and %d, pb-pop3-reader.c); "
           "first check through PbChecker; peak RSS (VmHWM) of a fresh process.\n\n",
           LISTING_CAP / (1024 * 1024), PB_POP3_LINE_COST);
  g_print ("| %-16s | %9s | %8s | %8s | %8s | %8s | %6s | %6s | %-11s |\n", "shape", "lines",
           "body MiB", "at start", "peak MiB", "growth", "x body", "ms", "result");
  g_print ("|------------------|-----------|----------|----------|----------|----------|--------|"
           "--------|-------------|\n");
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      gboolean wanted = argc == 1;

      for (int j = 1; j < argc; j++)
        wanted |= strcmp (argv[j], shapes[i].name) == 0;
      if (wanted)
        ok &= run_shape (self_path, shapes[i].shape, shapes[i].name);
    }
  return ok ? 0 : 1;
}
