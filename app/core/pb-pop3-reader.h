/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The POP3 wire format without any I/O: bytes in, lines and responses out.
 * Lines end in CRLF (a bare LF is accepted too); a line longer than the cap is
 * an error (PB_POP3_ERROR_LINE_TOO_LONG) and the reader is then unusable. */

#define PB_POP3_DEFAULT_MAX_LINE (64 * 1024)

typedef struct _PbPop3Reader PbPop3Reader;

PbPop3Reader *pb_pop3_reader_new      (gsize          max_line);
void          pb_pop3_reader_free     (PbPop3Reader  *reader);
void          pb_pop3_reader_feed     (PbPop3Reader  *reader,
                                       const char    *data,
                                       gsize          len);
/* Bytes fed but not yet consumed as lines (for the STLS injection check). */
gsize         pb_pop3_reader_get_buffered (PbPop3Reader *reader);

/* TRUE and *@line (without the line end, NUL-terminated, valid until the next
 * call) when a whole line is buffered; FALSE without @error when more bytes
 * are needed; FALSE with @error on an over-long line or a NUL byte. */
gboolean      pb_pop3_reader_next_line (PbPop3Reader *reader,
                                        const char  **line,
                                        gsize        *len,
                                        GError      **error);

typedef struct
{
  gboolean   ok;     /* "+OK" or "-ERR" */
  char      *text;   /* the rest of the status line, valid UTF-8 (invalid bytes replaced) */
  GPtrArray *lines;  /* multi-line body, dot-unstuffed, without the final "."; NULL for single-line */
  gsize      body_bytes; /* bytes of the body as received (for TOP) */
  GStringChunk *storage; /* holds the lines' text: one allocation per block, not per line */
} PbPop3Response;

void pb_pop3_response_free (PbPop3Response *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbPop3Response, pb_pop3_response_free)

typedef enum
{
  PB_POP3_READ_NEED_MORE,
  PB_POP3_READ_DONE,
  PB_POP3_READ_ERROR,
} PbPop3ReadStatus;

/* Reads the next response from the buffered bytes. @multiline: a +OK is
 * followed by a body ending in "." (a -ERR never is). Keeps partial state
 * between calls, so call again after feeding more bytes with the same
 * @multiline. A status line that is neither +OK nor -ERR, or a body larger
 * than @max_body bytes (0 = no cap), is PB_POP3_ERROR_PROTOCOL. */
PbPop3ReadStatus pb_pop3_reader_read_response (PbPop3Reader    *reader,
                                               gboolean         multiline,
                                               gsize            max_body,
                                               PbPop3Response **response,
                                               GError         **error);

/* ---- Parsing of particular answers -------------------------------------- */

typedef enum
{
  PB_POP3_CAPA_TOP        = 1 << 0,
  PB_POP3_CAPA_UIDL       = 1 << 1,
  PB_POP3_CAPA_PIPELINING = 1 << 2,
  PB_POP3_CAPA_STLS       = 1 << 3,
  PB_POP3_CAPA_USER       = 1 << 4,
  PB_POP3_CAPA_SASL_PLAIN = 1 << 5,
  PB_POP3_CAPA_RESP_CODES = 1 << 6,
} PbPop3Capabilities;

/* From the body of a CAPA answer; unknown lines are ignored, case-insensitive. */
PbPop3Capabilities pb_pop3_parse_capa (GPtrArray *lines);

/* "+OK nn mm" → count and size; FALSE on anything else. */
gboolean pb_pop3_parse_stat (const char *text,
                             guint      *count,
                             guint64    *size);

/* One UIDL body line "n uidl": FALSE unless n > 0 and the uidl is 1–70
 * characters in 0x21–0x7E (RFC 1939). *@uidl points into @line. */
gboolean pb_pop3_parse_uidl_line (const char  *line,
                                  guint       *msgnum,
                                  const char **uidl,
                                  gsize       *uidl_len);

G_END_DECLS
