/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pb-error.h"
#include "pb-pop3-reader.h"
#include "pb-test-util.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbPop3Reader, pb_pop3_reader_free)

static void
feed_str (PbPop3Reader *reader,
          const char   *data)
{
  pb_pop3_reader_feed (reader, data, strlen (data));
}

/* Reads one response that must be complete after feeding @data. */
static PbPop3Response *
read_complete (PbPop3Reader *reader,
               gboolean      multiline,
               gsize         max_body)
{
  PbPop3Response *response = NULL;
  g_autoptr(GError) error = NULL;
  PbPop3ReadStatus status;

  status = pb_pop3_reader_read_response (reader, multiline, max_body, &response, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, PB_POP3_READ_DONE);
  g_assert_nonnull (response);
  return response;
}

static void
test_lines_crlf_and_lf (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(GError) error = NULL;
  const char *line;
  gsize len;

  feed_str (reader, "one\r\ntwo\nthree\r\n\r\nfour\rx\npartial");
  g_assert_true (pb_pop3_reader_next_line (reader, &line, &len, &error));
  g_assert_cmpstr (line, ==, "one");
  g_assert_cmpuint (len, ==, 3);
  g_assert_true (pb_pop3_reader_next_line (reader, &line, &len, &error));
  g_assert_cmpstr (line, ==, "two");
  g_assert_true (pb_pop3_reader_next_line (reader, &line, &len, &error));
  g_assert_cmpstr (line, ==, "three");
  g_assert_true (pb_pop3_reader_next_line (reader, &line, &len, &error));
  g_assert_cmpstr (line, ==, "");
  g_assert_cmpuint (len, ==, 0);
  /* A CR that is not before the LF belongs to the line. */
  g_assert_true (pb_pop3_reader_next_line (reader, &line, &len, &error));
  g_assert_cmpstr (line, ==, "four\rx");
  g_assert_false (pb_pop3_reader_next_line (reader, &line, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pb_pop3_reader_get_buffered (reader), ==, strlen ("partial"));

  feed_str (reader, "\r\n");
  g_assert_true (pb_pop3_reader_next_line (reader, &line, &len, &error));
  g_assert_cmpstr (line, ==, "partial");
  g_assert_cmpuint (pb_pop3_reader_get_buffered (reader), ==, 0);
  g_assert_no_error (error);
}

static void
test_lines_byte_at_a_time (void)
{
  static const char input[] =
    "+OK greeting\r\n"
    "+OK\r\nTOP\r\n..dot\r\n.\r\n"
    "-ERR no\r\n"
    "+OK 2 320\r\n";
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  const gboolean multiline[] = { FALSE, TRUE, TRUE, FALSE };
  g_autoptr(GPtrArray) responses =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pb_pop3_response_free);
  guint next = 0;

  for (gsize i = 0; i < sizeof input - 1; i++)
    {
      PbPop3Response *response = NULL;
      g_autoptr(GError) error = NULL;
      PbPop3ReadStatus status;

      pb_pop3_reader_feed (reader, input + i, 1);
      status = pb_pop3_reader_read_response (reader, multiline[next], 0, &response, &error);
      g_assert_no_error (error);
      if (status == PB_POP3_READ_DONE)
        {
          g_ptr_array_add (responses, response);
          next++;
        }
      else
        {
          g_assert_cmpint (status, ==, PB_POP3_READ_NEED_MORE);
        }
    }

  g_assert_cmpuint (responses->len, ==, 4);
  {
    PbPop3Response *r0 = responses->pdata[0], *r1 = responses->pdata[1];
    PbPop3Response *r2 = responses->pdata[2], *r3 = responses->pdata[3];

    g_assert_true (r0->ok);
    g_assert_cmpstr (r0->text, ==, "greeting");
    g_assert_null (r0->lines);
    g_assert_true (r1->ok);
    g_assert_cmpstr (r1->text, ==, "");
    g_assert_cmpuint (r1->lines->len, ==, 2);
    g_assert_cmpstr (r1->lines->pdata[0], ==, "TOP");
    g_assert_cmpstr (r1->lines->pdata[1], ==, ".dot");
    g_assert_false (r2->ok);
    g_assert_cmpstr (r2->text, ==, "no");
    g_assert_null (r2->lines);
    g_assert_true (r3->ok);
    g_assert_cmpstr (r3->text, ==, "2 320");
  }
  g_assert_cmpuint (pb_pop3_reader_get_buffered (reader), ==, 0);
}

static void
test_lines_too_long (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (16);
  g_autoptr(GError) error = NULL;
  const char *line;

  /* Exactly at the cap is fine. */
  feed_str (reader, "0123456789abcdef\r\n");
  g_assert_true (pb_pop3_reader_next_line (reader, &line, NULL, &error));
  g_assert_cmpstr (line, ==, "0123456789abcdef");

  /* One more byte, with its line end, is not. */
  feed_str (reader, "0123456789abcdefX\r\n");
  g_assert_false (pb_pop3_reader_next_line (reader, &line, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_LINE_TOO_LONG);
  g_clear_error (&error);

  /* The reader stays broken. */
  feed_str (reader, "ok\r\n");
  g_assert_false (pb_pop3_reader_next_line (reader, &line, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_LINE_TOO_LONG);
}

static void
test_lines_too_long_without_end (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (1024);
  g_autoptr(GError) error = NULL;
  g_autofree char *chunk = g_strnfill (100, 'x');
  PbPop3Response *response = NULL;
  PbPop3ReadStatus status = PB_POP3_READ_NEED_MORE;
  guint fed = 0;

  /* The error comes as soon as the cap is passed, not when a line end arrives. */
  while (status == PB_POP3_READ_NEED_MORE && fed < 100)
    {
      feed_str (reader, chunk);
      fed++;
      status = pb_pop3_reader_read_response (reader, FALSE, 0, &response, &error);
    }
  g_assert_cmpint (status, ==, PB_POP3_READ_ERROR);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_LINE_TOO_LONG);
  g_assert_null (response);
  g_assert_cmpuint (fed, ==, 11);
}

static void
test_lines_nul_byte (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(GError) error = NULL;
  const char *line;

  pb_pop3_reader_feed (reader, "+OK a\0b\r\n", 9);
  g_assert_false (pb_pop3_reader_next_line (reader, &line, NULL, &error));
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL);
}

static void
test_response_dot_unstuffing (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Response) response = NULL;

  feed_str (reader,
            "+OK here it comes\r\n"
            "Subject: x\r\n"
            "..x\r\n"
            "...\r\n"
            "..\r\n"
            "\r\n"
            ".\r\n"
            "+OK next\r\n");
  response = read_complete (reader, TRUE, 0);
  g_assert_true (response->ok);
  g_assert_cmpstr (response->text, ==, "here it comes");
  g_assert_cmpuint (response->lines->len, ==, 5);
  g_assert_cmpstr (response->lines->pdata[0], ==, "Subject: x");
  g_assert_cmpstr (response->lines->pdata[1], ==, ".x");
  g_assert_cmpstr (response->lines->pdata[2], ==, "..");
  g_assert_cmpstr (response->lines->pdata[3], ==, ".");
  g_assert_cmpstr (response->lines->pdata[4], ==, "");
  /* As received: 10+2, 3+2, 3+2, 2+2, 0+2. */
  g_assert_cmpuint (response->body_bytes, ==, 28);
  /* The next answer is untouched. */
  g_assert_cmpuint (pb_pop3_reader_get_buffered (reader), ==, strlen ("+OK next\r\n"));
}

static void
test_response_empty_body (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Response) response = NULL;

  feed_str (reader, "+OK\n.\n");
  response = read_complete (reader, TRUE, 0);
  g_assert_true (response->ok);
  g_assert_nonnull (response->lines);
  g_assert_cmpuint (response->lines->len, ==, 0);
  g_assert_cmpuint (response->body_bytes, ==, 0);
}

static void
test_response_err_to_multiline_is_single_line (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Response) first = NULL;
  g_autoptr(PbPop3Response) second = NULL;

  feed_str (reader, "-ERR [SYS/TEMP] no UIDL here\r\n+OK 1 2\r\n");
  first = read_complete (reader, TRUE, 0);
  g_assert_false (first->ok);
  g_assert_cmpstr (first->text, ==, "[SYS/TEMP] no UIDL here");
  g_assert_null (first->lines);

  second = read_complete (reader, FALSE, 0);
  g_assert_true (second->ok);
  g_assert_cmpstr (second->text, ==, "1 2");
}

static void
test_response_garbage_status (void)
{
  const char *garbage[] = {
    "OK\r\n",
    "+ok fine\r\n",
    "+OKAY\r\n",
    "-ERROR\r\n",
    "* OK IMAP4rev1\r\n",
    "\r\n",
    "220 smtp.example.com ESMTP\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
      g_autoptr(GError) error = NULL;
      PbPop3Response *response = NULL;

      feed_str (reader, garbage[i]);
      g_assert_cmpint (pb_pop3_reader_read_response (reader, FALSE, 0, &response, &error),
                       ==, PB_POP3_READ_ERROR);
      g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL);
      g_assert_null (response);
    }
}

static void
test_response_status_forms (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Response) bare_ok = NULL;
  g_autoptr(PbPop3Response) bare_err = NULL;
  g_autoptr(PbPop3Response) spaced = NULL;

  feed_str (reader, "+OK\r\n-ERR\r\n+OK   three spaces \r\n");
  bare_ok = read_complete (reader, FALSE, 0);
  g_assert_true (bare_ok->ok);
  g_assert_cmpstr (bare_ok->text, ==, "");
  bare_err = read_complete (reader, FALSE, 0);
  g_assert_false (bare_err->ok);
  g_assert_cmpstr (bare_err->text, ==, "");
  spaced = read_complete (reader, FALSE, 0);
  g_assert_cmpstr (spaced->text, ==, "three spaces ");
}

static void
test_response_invalid_utf8 (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Response) response = NULL;

  feed_str (reader, "-ERR caf\xe9 \xff\xfe broken\r\n");
  response = read_complete (reader, FALSE, 0);
  g_assert_false (response->ok);
  g_assert_true (g_utf8_validate (response->text, -1, NULL));
  g_assert_true (g_str_has_prefix (response->text, "caf"));
  g_assert_true (g_str_has_suffix (response->text, " broken"));
  g_assert_nonnull (strstr (response->text, "\xef\xbf\xbd")); /* U+FFFD */
}

static void
test_response_max_body (void)
{
  g_autoptr(PbPop3Reader) fits = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Reader) too_big = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Response) response = NULL;
  PbPop3Response *none = NULL;
  g_autoptr(GError) error = NULL;

  /* Two lines of 10 bytes with CRLF, and the cost of each line. */
  feed_str (fits, "+OK\r\n0123456789\r\n0123456789\r\n.\r\n");
  response = read_complete (fits, TRUE, 24 + 2 * PB_POP3_LINE_COST);
  g_assert_cmpuint (response->lines->len, ==, 2);

  feed_str (too_big, "+OK\r\n0123456789\r\n0123456789\r\n.\r\n");
  g_assert_cmpint (pb_pop3_reader_read_response (too_big, TRUE, 23 + 2 * PB_POP3_LINE_COST,
                                                 &none, &error),
                   ==, PB_POP3_READ_ERROR);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL);
  g_assert_null (none);
}

/* Empty lines are the cheapest to send and cost a pointer each to keep: the
 * cap counts that cost, so they get no further than lines of text. */
static void
test_response_max_body_counts_lines (void)
{
  g_autoptr(PbPop3Reader) fits = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Reader) too_many = pb_pop3_reader_new (0);
  g_autoptr(PbPop3Response) response = NULL;
  PbPop3Response *none = NULL;
  g_autoptr(GError) error = NULL;

  feed_str (fits, "+OK\r\n\r\n\r\n\r\n.\r\n");
  response = read_complete (fits, TRUE, 3 * (2 + PB_POP3_LINE_COST));
  g_assert_cmpuint (response->lines->len, ==, 3);
  g_assert_cmpuint (response->body_bytes, ==, 6);

  feed_str (too_many, "+OK\r\n\r\n\r\n\r\n.\r\n");
  g_assert_cmpint (pb_pop3_reader_read_response (too_many, TRUE, 3 * (2 + PB_POP3_LINE_COST) - 1,
                                                 &none, &error),
                   ==, PB_POP3_READ_ERROR);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL);
  g_assert_null (none);
}

static void
test_response_large_uidl_is_fast (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(GString) data = g_string_sized_new (3 * 1024 * 1024);
  g_autoptr(PbPop3Response) response = NULL;
  g_autoptr(GError) error = NULL;
  PbPop3ReadStatus status = PB_POP3_READ_NEED_MORE;
  gint64 begin, elapsed;
  gsize offset = 0;

  g_string_append (data, "+OK\r\n");
  for (guint i = 1; i <= 100000; i++)
    g_string_append_printf (data, "%u 000000%010u.popbell\r\n", i, i);
  g_string_append (data, ".\r\n");
  g_assert_cmpuint (data->len, >, 2500000);

  begin = g_get_monotonic_time ();
  /* As it comes off the network: 64 KiB reads, each followed by parsing. */
  while (status == PB_POP3_READ_NEED_MORE && offset < data->len)
    {
      gsize n = MIN (64 * 1024, data->len - offset);

      pb_pop3_reader_feed (reader, data->str + offset, n);
      offset += n;
      status = pb_pop3_reader_read_response (reader, TRUE, 0, &response, &error);
    }
  elapsed = g_get_monotonic_time () - begin;

  g_assert_no_error (error);
  g_assert_cmpint (status, ==, PB_POP3_READ_DONE);
  g_assert_cmpuint (response->lines->len, ==, 100000);
  g_assert_cmpstr (response->lines->pdata[99999], ==, "100000 0000000000100000.popbell");
  g_test_message ("100,000 UIDL lines parsed in %" G_GINT64_FORMAT " µs", elapsed);
  /* A few milliseconds normally; the margin absorbs a loaded test machine
   * while still catching quadratic behaviour (which takes seconds). */
  g_assert_cmpint (elapsed, <, 250 * 1000);
}

static void
test_response_one_huge_feed (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(GString) data = g_string_new ("+OK\r\n");
  g_autoptr(PbPop3Response) response = NULL;

  for (guint i = 1; i <= 20000; i++)
    g_string_append_printf (data, "%u uid-%u\r\n", i, i);
  g_string_append (data, ".\r\n+OK bye\r\n");
  pb_pop3_reader_feed (reader, data->str, data->len);
  response = read_complete (reader, TRUE, 0);
  g_assert_cmpuint (response->lines->len, ==, 20000);
  g_assert_cmpuint (pb_pop3_reader_get_buffered (reader), ==, strlen ("+OK bye\r\n"));
}

static GPtrArray *
lines_of (const char *const *strv)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; strv[i] != NULL; i++)
    g_ptr_array_add (lines, g_strdup (strv[i]));
  return lines;
}

static void
test_capa (void)
{
  const char *dovecot[] = {
    "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "USER",
    "SASL PLAIN LOGIN", NULL
  };
  const char *lower[] = { "top", "sasl login plain", "pipelining", NULL };
  const char *none[] = { "IMPLEMENTATION Example", "EXPIRE NEVER", "LOGIN-DELAY 900",
                         "SASL LOGIN CRAM-MD5", "TOPX", "", "   ", NULL };
  const char *tabs[] = { "SASL\tPLAIN", "UIDL\t", NULL };
  const char *courier[] = { "TOP", "USER", "LOGIN-DELAY 10", "PIPELINING", "UIDL",
                            "IMPLEMENTATION Courier Mail Server", NULL };
  const char *per_user[] = { "LOGIN-DELAY 900 USER", "SASL LOGIN", NULL };
  const char *bad_delay[] = { "LOGIN-DELAY soon", "LOGIN-DELAY", "LOGIN-DELAY 99999999999", NULL };
  /* Gmail's and Microsoft's POP3 (outlook.office365.com). */
  const char *gmail[] = { "USER", "RESP-CODES", "EXPIRE 0", "LOGIN-DELAY 300", "TOP", "UIDL",
                          "X-GOOGLE-RICO", "SASL PLAIN XOAUTH2 OAUTHBEARER", NULL };
  const char *microsoft[] = { "TOP", "UIDL", "SASL PLAIN XOAUTH2", "USER", NULL };
  g_autoptr(GPtrArray) a = lines_of (dovecot);
  g_autoptr(GPtrArray) b = lines_of (lower);
  g_autoptr(GPtrArray) c = lines_of (none);
  g_autoptr(GPtrArray) d = lines_of (tabs);
  g_autoptr(GPtrArray) e = lines_of (courier);
  g_autoptr(GPtrArray) f = lines_of (per_user);
  g_autoptr(GPtrArray) g = lines_of (bad_delay);
  g_autoptr(GPtrArray) h = lines_of (gmail);
  g_autoptr(GPtrArray) m = lines_of (microsoft);
  guint delay = 77;

  g_assert_cmphex (pb_pop3_parse_capa (a, &delay), ==,
                   PB_POP3_CAPA_TOP | PB_POP3_CAPA_UIDL | PB_POP3_CAPA_RESP_CODES |
                   PB_POP3_CAPA_PIPELINING | PB_POP3_CAPA_STLS | PB_POP3_CAPA_USER |
                   PB_POP3_CAPA_SASL_PLAIN | PB_POP3_CAPA_SASL_LOGIN);
  g_assert_cmpuint (delay, ==, 0);
  g_assert_cmphex (pb_pop3_parse_capa (b, NULL), ==,
                   PB_POP3_CAPA_TOP | PB_POP3_CAPA_SASL_PLAIN | PB_POP3_CAPA_SASL_LOGIN |
                   PB_POP3_CAPA_PIPELINING);
  g_assert_cmphex (pb_pop3_parse_capa (c, &delay), ==,
                   PB_POP3_CAPA_SASL_LOGIN | PB_POP3_CAPA_LOGIN_DELAY);
  g_assert_cmpuint (delay, ==, 900);
  g_assert_cmphex (pb_pop3_parse_capa (d, NULL), ==, PB_POP3_CAPA_SASL_PLAIN | PB_POP3_CAPA_UIDL);
  g_assert_cmphex (pb_pop3_parse_capa (e, &delay), ==,
                   PB_POP3_CAPA_TOP | PB_POP3_CAPA_USER | PB_POP3_CAPA_LOGIN_DELAY |
                   PB_POP3_CAPA_PIPELINING | PB_POP3_CAPA_UIDL);
  g_assert_cmpuint (delay, ==, 10);
  g_assert_cmphex (pb_pop3_parse_capa (f, &delay), ==,
                   PB_POP3_CAPA_LOGIN_DELAY | PB_POP3_CAPA_SASL_LOGIN);
  g_assert_cmpuint (delay, ==, 900);
  g_assert_cmphex (pb_pop3_parse_capa (g, &delay), ==, 0);
  g_assert_cmpuint (delay, ==, 0);
  g_assert_cmphex (pb_pop3_parse_capa (NULL, &delay), ==, 0);
  g_assert_cmphex (pb_pop3_parse_capa (h, &delay), ==,
                   PB_POP3_CAPA_USER | PB_POP3_CAPA_RESP_CODES | PB_POP3_CAPA_LOGIN_DELAY |
                   PB_POP3_CAPA_TOP | PB_POP3_CAPA_UIDL | PB_POP3_CAPA_SASL_PLAIN |
                   PB_POP3_CAPA_SASL_XOAUTH2 | PB_POP3_CAPA_SASL_OAUTHBEARER);
  g_assert_cmpuint (delay, ==, 300);
  g_assert_cmphex (pb_pop3_parse_capa (m, NULL), ==,
                   PB_POP3_CAPA_TOP | PB_POP3_CAPA_UIDL | PB_POP3_CAPA_SASL_PLAIN |
                   PB_POP3_CAPA_SASL_XOAUTH2 | PB_POP3_CAPA_USER);
}

static void
test_codes (void)
{
  static const struct
  {
    const char *text;
    PbPop3Code  code;
    const char *rest;
  } cases[] = {
    { "[IN-USE] Mailbox in use", PB_POP3_CODE_IN_USE, "Mailbox in use" },
    { "[in-use] lower case", PB_POP3_CODE_IN_USE, "lower case" },
    { "[LOGIN-DELAY] wait", PB_POP3_CODE_LOGIN_DELAY, "wait" },
    { "[SYS/TEMP] try later", PB_POP3_CODE_SYS_TEMP, "try later" },
    { "[SYS/TEMP/DISK] refined", PB_POP3_CODE_SYS_TEMP, "refined" },
    { "[SYS/PERM] gone", PB_POP3_CODE_SYS_PERM, "gone" },
    { "[AUTH] Authentication failed.", PB_POP3_CODE_AUTH, "Authentication failed." },
    { "[AUTHX] not AUTH", PB_POP3_CODE_OTHER, "not AUTH" },
    { "[SYS] too short", PB_POP3_CODE_OTHER, "too short" },
    { "[IN-USE]", PB_POP3_CODE_IN_USE, "" },
    { "[IN-USE no end", PB_POP3_CODE_NONE, "[IN-USE no end" },
    { "Invalid password", PB_POP3_CODE_NONE, "Invalid password" },
    { " [IN-USE] not at the start", PB_POP3_CODE_NONE, " [IN-USE] not at the start" },
    { "", PB_POP3_CODE_NONE, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *rest = NULL;

      g_assert_cmpint (pb_pop3_parse_code (cases[i].text, &rest), ==, cases[i].code);
      g_assert_cmpstr (rest, ==, cases[i].rest);
    }
}

static void
test_response_continuation (void)
{
  g_autoptr(PbPop3Reader) reader = pb_pop3_reader_new (0);
  g_autoptr(GError) error = NULL;
  PbPop3Response *response = NULL;

  /* "+ " with a challenge, a bare "+", then +OK, all where a continuation may come. */
  feed_str (reader, "+ VXNlcm5hbWU6\r\n+\r\n+OK done\r\n+ not now\r\n");
  response = read_complete (reader, PB_POP3_EXPECT_CONTINUATION, 0);
  g_assert_true (response->continuation);
  g_assert_false (response->ok);
  g_assert_cmpstr (response->text, ==, "VXNlcm5hbWU6");
  pb_pop3_response_free (response);
  response = read_complete (reader, PB_POP3_EXPECT_CONTINUATION, 0);
  g_assert_true (response->continuation);
  g_assert_cmpstr (response->text, ==, "");
  pb_pop3_response_free (response);
  response = read_complete (reader, PB_POP3_EXPECT_CONTINUATION, 0);
  g_assert_false (response->continuation);
  g_assert_true (response->ok);
  pb_pop3_response_free (response);
  response = NULL;

  /* Where none may come, "+ " is not an answer. */
  g_assert_cmpint (pb_pop3_reader_read_response (reader, PB_POP3_EXPECT_SINGLE, 0, &response,
                                                 &error), ==, PB_POP3_READ_ERROR);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL);
  g_assert_null (response);
}

static void
test_stat (void)
{
  guint count = 99;
  guint64 size = 99;

  g_assert_true (pb_pop3_parse_stat ("2 320", &count, &size));
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpuint (size, ==, 320);
  g_assert_true (pb_pop3_parse_stat ("0 0", &count, &size));
  g_assert_cmpuint (count, ==, 0);
  g_assert_cmpuint (size, ==, 0);
  g_assert_true (pb_pop3_parse_stat ("4294967295 18446744073709551615 extra info", &count, &size));
  g_assert_cmpuint (count, ==, G_MAXUINT);
  g_assert_cmpuint (size, ==, G_MAXUINT64);

  g_assert_false (pb_pop3_parse_stat ("", &count, &size));
  g_assert_false (pb_pop3_parse_stat ("2", &count, &size));
  g_assert_false (pb_pop3_parse_stat ("2 ", &count, &size));
  g_assert_false (pb_pop3_parse_stat (" 2 320", &count, &size));
  g_assert_false (pb_pop3_parse_stat ("-2 320", &count, &size));
  g_assert_false (pb_pop3_parse_stat ("2 320x", &count, &size));
  g_assert_false (pb_pop3_parse_stat ("two 320", &count, &size));
  g_assert_false (pb_pop3_parse_stat ("4294967296 1", &count, &size));
  g_assert_false (pb_pop3_parse_stat ("1 18446744073709551616", &count, &size));
  g_assert_false (pb_pop3_parse_stat ("maildrop has 2 messages", &count, &size));
}

static void
test_uidl_lines (void)
{
  g_autofree char *max_uidl = g_strnfill (70, 'u');
  g_autofree char *too_long = g_strnfill (71, 'u');
  g_autofree char *line_max = g_strdup_printf ("7 %s", max_uidl);
  g_autofree char *line_too_long = g_strdup_printf ("7 %s", too_long);
  const char *bad[] = {
    "", "1", "1 ", "0 abc", "-1 abc", "x abc", "1abc", "1 ab c", "1 caf\xc3\xa9",
    "1 tab\there", "1 del\x7f", "4294967296 abc", " 1 abc",
  };
  const char *uidl = NULL;
  gsize len = 0;
  guint n = 0;

  g_assert_true (pb_pop3_parse_uidl_line ("1 whqtswO00WBw418f9t5JxYwZ", &n, &uidl, &len));
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (len, ==, 24);
  g_assert_cmpmem (uidl, len, "whqtswO00WBw418f9t5JxYwZ", 24);

  g_assert_true (pb_pop3_parse_uidl_line ("42 !~", &n, &uidl, &len));
  g_assert_cmpuint (n, ==, 42);
  g_assert_cmpmem (uidl, len, "!~", 2);

  g_assert_true (pb_pop3_parse_uidl_line (line_max, &n, &uidl, &len));
  g_assert_cmpuint (len, ==, 70);
  g_assert_false (pb_pop3_parse_uidl_line (line_too_long, &n, &uidl, &len));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (pb_pop3_parse_uidl_line (bad[i], &n, &uidl, &len))
      g_error ("accepted the UIDL line \"%s\"", bad[i]);
}

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/pop3-reader/lines/crlf-and-bare-lf", test_lines_crlf_and_lf);
  g_test_add_func ("/pb/pop3-reader/lines/fed-byte-at-a-time", test_lines_byte_at_a_time);
  g_test_add_func ("/pb/pop3-reader/lines/too-long-is-an-error", test_lines_too_long);
  g_test_add_func ("/pb/pop3-reader/lines/too-long-detected-without-line-end",
                   test_lines_too_long_without_end);
  g_test_add_func ("/pb/pop3-reader/lines/nul-byte-is-an-error", test_lines_nul_byte);
  g_test_add_func ("/pb/pop3-reader/response/dot-unstuffing", test_response_dot_unstuffing);
  g_test_add_func ("/pb/pop3-reader/response/empty-body", test_response_empty_body);
  g_test_add_func ("/pb/pop3-reader/response/err-to-multiline-is-single-line",
                   test_response_err_to_multiline_is_single_line);
  g_test_add_func ("/pb/pop3-reader/response/garbage-status-is-protocol-error",
                   test_response_garbage_status);
  g_test_add_func ("/pb/pop3-reader/response/status-forms", test_response_status_forms);
  g_test_add_func ("/pb/pop3-reader/response/invalid-utf8-replaced", test_response_invalid_utf8);
  g_test_add_func ("/pb/pop3-reader/response/max-body-caps-size", test_response_max_body);
  g_test_add_func ("/pb/pop3-reader/response/max-body-counts-each-line",
                   test_response_max_body_counts_lines);
  g_test_add_func ("/pb/pop3-reader/response/large-uidl-parses-fast",
                   test_response_large_uidl_is_fast);
  g_test_add_func ("/pb/pop3-reader/response/one-huge-feed", test_response_one_huge_feed);
  g_test_add_func ("/pb/pop3-reader/parse/capa", test_capa);
  g_test_add_func ("/pb/pop3-reader/parse/response-codes", test_codes);
  g_test_add_func ("/pb/pop3-reader/response/sasl-continuation", test_response_continuation);
  g_test_add_func ("/pb/pop3-reader/parse/stat", test_stat);
  g_test_add_func ("/pb/pop3-reader/parse/uidl-line", test_uidl_lines);

  return g_test_run ();
}
