/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The POP3 reader fed in pieces: line framing, status lines, multi-line
 * bodies, the line and body caps. The same bytes fed at once must give the
 * same responses, so that a chunk boundary never changes what is read.
 *
 * Input: 8 bytes of control, then the server's bytes. Control: bytes 0-3,
 * little-endian, bit i says whether response i (mod 32) is read as
 * multi-line; byte 4 < 0x80 is the line cap (else the default); byte 5 < 0x80
 * is the body cap / 4 (else none); bytes 6-7 seed the cuts. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-error.h"
#include "pb-pop3-reader.h"

#define CONTROL_BYTES 8

typedef struct
{
  guint32 multiline_mask;  /* bit i % 32: response i is read as multi-line */
  gsize   max_line;
  gsize   max_body;
  guint32 cut_state;       /* for the chunk sizes */
} Control;

typedef struct
{
  GPtrArray *responses;    /* PbPop3Response* */
  int        error_code;   /* -1: none */
} Outcome;

static guint
next_chunk (Control *control)
{
  /* xorshift32: varied cuts, most of them small, reproducible from the input. */
  guint32 x = control->cut_state;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  control->cut_state = x;
  return (x & 0x100) ? 1 + (x % 7) : 1 + (x % 300);
}

static void
check_response (const PbPop3Response *response,
                gboolean              multiline)
{
  pb_fuzz_check (response->text != NULL, "a response without text");
  pb_fuzz_check (g_utf8_validate (response->text, -1, NULL), "status text is not UTF-8");

  if (!multiline || !response->ok)
    {
      pb_fuzz_check (response->lines == NULL, "lines in a single-line response");
      return;
    }

  pb_fuzz_check (response->lines != NULL, "no lines in a multi-line response");
  {
    gsize sum = 0;

    for (guint i = 0; i < response->lines->len; i++)
      {
        const char *line = g_ptr_array_index (response->lines, i);
        const char *uidl = NULL;
        gsize uidl_len = 0;
        guint msgnum = 0;

        pb_fuzz_check (strchr (line, '\n') == NULL, "a body line holds a line feed");
        sum += strlen (line) + 2;

        /* What the client does with bodies, on bodies of every shape. */
        if (pb_pop3_parse_uidl_line (line, &msgnum, &uidl, &uidl_len))
          pb_fuzz_check (msgnum > 0 && uidl_len >= 1 && uidl_len <= 70 &&
                         uidl >= line && uidl + uidl_len <= line + strlen (line),
                         "a UIDL line parsed out of bounds");
      }
    pb_fuzz_check (response->body_bytes >= sum, "body_bytes lower than the lines' size");
    pb_pop3_parse_capa (response->lines, NULL);
  }

  {
    guint count;
    guint64 size;

    pb_pop3_parse_stat (response->text, &count, &size);
  }
}

static gboolean
same_response (const PbPop3Response *a,
               const PbPop3Response *b)
{
  if (a->ok != b->ok || strcmp (a->text, b->text) != 0 || a->body_bytes != b->body_bytes)
    return FALSE;
  if ((a->lines == NULL) != (b->lines == NULL))
    return FALSE;
  if (a->lines == NULL)
    return TRUE;
  if (a->lines->len != b->lines->len)
    return FALSE;
  for (guint i = 0; i < a->lines->len; i++)
    if (strcmp (g_ptr_array_index (a->lines, i), g_ptr_array_index (b->lines, i)) != 0)
      return FALSE;
  return TRUE;
}

/* Reads every response the buffered bytes hold. FALSE once the reader failed. */
static gboolean
drain (PbPop3Reader *reader,
       Control      *control,
       Outcome      *outcome)
{
  for (;;)
    {
      guint index = outcome->responses->len;
      gboolean multiline = (control->multiline_mask >> (index % 32)) & 1;
      PbPop3Response *response = NULL;
      g_autoptr(GError) error = NULL;
      PbPop3ReadStatus status;

      status = pb_pop3_reader_read_response (reader, multiline, control->max_body,
                                             &response, &error);
      switch (status)
        {
        case PB_POP3_READ_NEED_MORE:
          pb_fuzz_check (response == NULL && error == NULL, "NEED_MORE with a result");
          return TRUE;
        case PB_POP3_READ_DONE:
          pb_fuzz_check (response != NULL && error == NULL, "DONE without a response");
          check_response (response, multiline);
          g_ptr_array_add (outcome->responses, response);
          break;
        case PB_POP3_READ_ERROR:
        default:
          pb_fuzz_check (response == NULL, "ERROR with a response");
          pb_fuzz_check (error != NULL && error->domain == PB_POP3_ERROR, "ERROR without error");
          outcome->error_code = error->code;
          return FALSE;
        }
    }
}

static void
run (const guint8 *data,
     gsize         size,
     Control      *control,
     gboolean      split,
     Outcome      *outcome)
{
  PbPop3Reader *reader = pb_pop3_reader_new (control->max_line);
  gsize offset = 0;

  outcome->responses = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_pop3_response_free);
  outcome->error_code = -1;

  /* Reading before any byte arrived is a normal thing for a client to do. */
  if (drain (reader, control, outcome))
    while (offset < size)
      {
        gsize n = split ? next_chunk (control) : size - offset;

        n = MIN (n, size - offset);

        pb_pop3_reader_feed (reader, (const char *) data + offset, n);
        offset += n;
        if (!drain (reader, control, outcome))
          break;
        pb_fuzz_check (pb_pop3_reader_get_buffered (reader) <= offset, "buffered too much");
      }

  pb_pop3_reader_free (reader);
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
  Control control, replay;
  Outcome whole, pieces;

  if (size < CONTROL_BYTES)
    return 0;

  memset (&control, 0, sizeof control);
  control.multiline_mask = (guint32) data[0] | (guint32) data[1] << 8 |
                           (guint32) data[2] << 16 | (guint32) data[3] << 24;
  /* Small caps reach the limits with short inputs; 0 is the default cap. */
  control.max_line = data[4] < 0x80 ? data[4] : 0;
  control.max_body = data[5] < 0x80 ? data[5] * 4u : 0;
  control.cut_state = ((guint32) data[6] << 8 | data[7]) + 1;
  data += CONTROL_BYTES;
  size -= CONTROL_BYTES;

  replay = control;
  run (data, size, &control, FALSE, &whole);
  run (data, size, &replay, TRUE, &pieces);

  pb_fuzz_check (whole.error_code == pieces.error_code, "cut input ends differently");
  pb_fuzz_check (whole.responses->len == pieces.responses->len,
                 "cut input gives a different number of responses");
  for (guint i = 0; i < whole.responses->len; i++)
    pb_fuzz_check (same_response (g_ptr_array_index (whole.responses, i),
                                  g_ptr_array_index (pieces.responses, i)),
                   "cut input gives a different response");

  g_ptr_array_unref (whole.responses);
  g_ptr_array_unref (pieces.responses);
  return 0;
}
