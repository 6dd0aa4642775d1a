/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The POP3 wire format without any I/O: bytes in, lines and responses out.
 * Lines end in CRLF (a bare LF is accepted too); a line longer than the cap is
 * an error (PB_POP3_ERROR_LINE_TOO_LONG) and the reader is then unusable. */

#define PB_POP3_DEFAULT_MAX_LINE (64 * 1024)
/* What one line of a multi-line answer costs beyond its text, counted against
 * the body cap: its pointer, and what a UIDL listing turns it into (an entry,
 * pointers to it, a slot in the seen set). Measured with tests/bench-listing.c. */
#define PB_POP3_LINE_COST 64

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
  gboolean   ok;     /* "+OK" or "-ERR" (FALSE for a continuation) */
  gboolean   continuation; /* "+ [base64]": the server waits for a SASL response */
  char      *text;   /* the rest of the status line, valid UTF-8 (invalid bytes replaced) */
  GPtrArray *lines;  /* multi-line body, dot-unstuffed, without the final "."; NULL for single-line */
  gsize      body_bytes; /* bytes of the body as received (for TOP) */
  GStringChunk *storage; /* holds the lines' text: one allocation per block, not per line */
} PbPop3Response;

void pb_pop3_response_free (PbPop3Response *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbPop3Response, pb_pop3_response_free)

/* What the next answer may be. TRUE and FALSE still mean multi-line or not. */
typedef enum
{
  PB_POP3_EXPECT_SINGLE       = 0,
  PB_POP3_EXPECT_MULTILINE    = 1 << 0, /* a +OK is followed by a body ending in "." */
  PB_POP3_EXPECT_CONTINUATION = 1 << 1, /* "+ …" is a SASL continuation (RFC 5034) */
} PbPop3Expect;

typedef enum
{
  PB_POP3_READ_NEED_MORE,
  PB_POP3_READ_DONE,
  PB_POP3_READ_ERROR,
} PbPop3ReadStatus;

/* Reads the next response from the buffered bytes. @expect: whether a +OK is
 * followed by a body ending in "." (a -ERR never is), and whether a SASL
 * continuation may come. Keeps partial state between calls, so call again
 * after feeding more bytes with the same @expect. A status line that is
 * neither +OK nor -ERR (nor an expected continuation), or a body larger than
 * @max_body (0 = no cap), is PB_POP3_ERROR_PROTOCOL. A body's size is its
 * lines with their CRLF plus PB_POP3_LINE_COST per line, so that the cap bounds
 * memory rather than bytes on the wire. */
PbPop3ReadStatus pb_pop3_reader_read_response (PbPop3Reader    *reader,
                                               guint            expect,
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
  PB_POP3_CAPA_SASL_LOGIN = 1 << 7,
  PB_POP3_CAPA_LOGIN_DELAY = 1 << 8,
  PB_POP3_CAPA_SASL_XOAUTH2 = 1 << 9,
  PB_POP3_CAPA_SASL_OAUTHBEARER = 1 << 10,
} PbPop3Capabilities;

/* From the body of a CAPA answer; unknown lines are ignored, case-insensitive.
 * @login_delay (may be NULL): the seconds of "LOGIN-DELAY n" (RFC 2449 §6.8),
 * 0 when not advertised. */
PbPop3Capabilities pb_pop3_parse_capa (GPtrArray *lines,
                                       guint     *login_delay);

/* The RFC 2449 / RFC 3206 response code that starts a -ERR text ("[IN-USE] …"). */
typedef enum
{
  PB_POP3_CODE_NONE,        /* no code */
  PB_POP3_CODE_OTHER,       /* a code this client does not know */
  PB_POP3_CODE_IN_USE,      /* the maildrop is locked by another session */
  PB_POP3_CODE_LOGIN_DELAY, /* logged in again too soon */
  PB_POP3_CODE_SYS_TEMP,    /* a temporary system problem */
  PB_POP3_CODE_SYS_PERM,    /* a permanent system problem */
  PB_POP3_CODE_AUTH,        /* the credentials */
} PbPop3Code;

/* The code of @text, and where the human-readable text after it starts. */
PbPop3Code pb_pop3_parse_code (const char  *text,
                               const char **rest);

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
