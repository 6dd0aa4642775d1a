/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The multi-line body decoder (RFC 1939 3: CRLF framing, a lone "." ends the
 * body, a leading "." is removed, a NUL byte becomes a space) checked
 * against a plain reference implementation written from the RFC.
 *
 * Input: 1 byte for the line cap, then the body bytes after a "+OK" line. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-error.h"
#include "pb-pop3-reader.h"

typedef struct
{
  PbPop3ReadStatus status;
  int              error_code;
  GPtrArray       *lines;     /* char*, owned */
  gsize            body_bytes;
} Expected;

static void
reference_decode (const char *data,
                  gsize       size,
                  gsize       max_line,
                  Expected   *out)
{
  gsize pos = 0;

  out->lines = g_ptr_array_new_with_free_func (g_free);
  out->body_bytes = 0;
  out->error_code = -1;

  for (;;)
    {
      const char *nl = memchr (data + pos, '\n', size - pos);
      const char *line = data + pos;
      gsize len;

      if (nl == NULL)
        {
          /* An unfinished line fails only once it can no longer fit. */
          if (size - pos > max_line + 1)
            {
              out->status = PB_POP3_READ_ERROR;
              out->error_code = PB_POP3_ERROR_LINE_TOO_LONG;
            }
          else
            {
              out->status = PB_POP3_READ_NEED_MORE;
            }
          return;
        }

      len = nl - line;
      if (len > 0 && line[len - 1] == '\r')
        len--;
      pos = nl - data + 1;

      if (len > max_line)
        {
          out->status = PB_POP3_READ_ERROR;
          out->error_code = PB_POP3_ERROR_LINE_TOO_LONG;
          return;
        }
      if (len == 1 && line[0] == '.')
        {
          out->status = PB_POP3_READ_DONE;
          return;
        }

      /* Every line counts as sent: its bytes, its stuffed dot, and a CRLF. */
      out->body_bytes += len + 2;
      if (line[0] == '.')
        {
          line++;
          len--;
        }
      /* A NUL in a body is a sender's byte, not a protocol fault: a space. */
      {
        /* Not g_strndup (): it stops at the first NUL. */
        char *copy = g_malloc (len + 1);

        memcpy (copy, line, len);
        copy[len] = '\0';

        for (gsize i = 0; i < len; i++)
          if (copy[i] == '\0')
            copy[i] = ' ';
        g_ptr_array_add (out->lines, copy);
      }
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  pb_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const char status_line[] = "+OK body follows\r\n";
  g_autoptr(PbPop3Response) response = NULL;
  g_autoptr(GError) error = NULL;
  Expected expected;
  PbPop3Reader *reader;
  PbPop3ReadStatus status;
  gsize max_line;

  if (size < 1)
    return 0;

  /* At least the status line's length, so that it always fits. */
  max_line = data[0] < 0x80 ? sizeof status_line + data[0] : PB_POP3_DEFAULT_MAX_LINE;
  data++;
  size--;

  reference_decode ((const char *) data, size, max_line, &expected);

  reader = pb_pop3_reader_new (max_line);
  pb_pop3_reader_feed (reader, status_line, strlen (status_line));
  pb_pop3_reader_feed (reader, (const char *) data, size);
  status = pb_pop3_reader_read_response (reader, TRUE, 0, &response, &error);

  if (g_getenv ("PB_FUZZ_DEBUG") != NULL)
    g_printerr ("status %d (expected %d), error %s\n", status, expected.status,
                error != NULL ? error->message : "none");
  pb_fuzz_check (status == expected.status, "a different outcome than RFC 1939 says");
  if (status == PB_POP3_READ_ERROR)
    pb_fuzz_check (g_error_matches (error, PB_POP3_ERROR, expected.error_code),
                   "a different error than RFC 1939 says");
  if (status == PB_POP3_READ_DONE)
    {
      pb_fuzz_check (response->ok && response->lines != NULL, "not a +OK body");
      pb_fuzz_check (strcmp (response->text, "body follows") == 0, "wrong status text");
      pb_fuzz_check (response->lines->len == expected.lines->len, "a different line count");
      for (guint i = 0; i < expected.lines->len; i++)
        {
          const char *got = g_ptr_array_index (response->lines, i);
          const char *want = g_ptr_array_index (expected.lines, i);

          if (g_getenv ("PB_FUZZ_DEBUG") != NULL && strcmp (got, want) != 0)
            g_printerr ("line %u: got \"%s\", expected \"%s\"\n", i, got, want);
          pb_fuzz_check (strcmp (got, want) == 0, "a line decoded differently");
        }
      pb_fuzz_check (response->body_bytes == expected.body_bytes, "a different body size");
    }

  g_ptr_array_unref (expected.lines);
  pb_pop3_reader_free (reader);
  return 0;
}
