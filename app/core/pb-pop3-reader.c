/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-pop3"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-error.h"
#include "pb-pop3-reader.h"

/* Consumed bytes stay at the front of the buffer until they are at least this
 * many and at least half of it, so a long answer costs O(n), not O(n²). */
#define COMPACT_MIN 4096

struct _PbPop3Reader
{
  char   *buf;
  gsize   alloc;
  gsize   start;     /* first byte not consumed yet */
  gsize   len;       /* bytes in buf, consumed ones included */
  gsize   scanned;   /* bytes after start already searched for a line end */
  gsize   max_line;
  GError *error;     /* once set, the reader stays broken */

  /* A response whose status line arrived but whose body has not ended yet. */
  PbPop3Response *partial;
};

PbPop3Reader *
pb_pop3_reader_new (gsize max_line)
{
  PbPop3Reader *reader = g_new0 (PbPop3Reader, 1);

  reader->max_line = max_line > 0 ? max_line : PB_POP3_DEFAULT_MAX_LINE;
  return reader;
}

void
pb_pop3_reader_free (PbPop3Reader *reader)
{
  if (reader == NULL)
    return;

  g_clear_pointer (&reader->partial, pb_pop3_response_free);
  g_clear_error (&reader->error);
  g_free (reader->buf);
  g_free (reader);
}

void
pb_pop3_response_free (PbPop3Response *response)
{
  if (response == NULL)
    return;

  g_free (response->text);
  g_clear_pointer (&response->lines, g_ptr_array_unref);
  g_clear_pointer (&response->storage, g_string_chunk_free);
  g_free (response);
}

void
pb_pop3_reader_feed (PbPop3Reader *reader,
                     const char   *data,
                     gsize         len)
{
  g_return_if_fail (reader != NULL);
  g_return_if_fail (data != NULL || len == 0);

  if (len == 0)
    return;

  if (reader->start == reader->len)
    {
      reader->start = reader->len = 0;
    }
  else if (reader->start >= COMPACT_MIN && reader->start >= reader->len / 2)
    {
      memmove (reader->buf, reader->buf + reader->start, reader->len - reader->start);
      reader->len -= reader->start;
      reader->start = 0;
    }

  if (reader->alloc - reader->len < len + 1)
    {
      gsize need = reader->len + len + 1;
      gsize alloc = MAX (reader->alloc, 1024);

      while (alloc < need)
        alloc *= 2;
      reader->buf = g_realloc (reader->buf, alloc);
      reader->alloc = alloc;
    }

  memcpy (reader->buf + reader->len, data, len);
  reader->len += len;
}

gsize
pb_pop3_reader_get_buffered (PbPop3Reader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->len - reader->start;
}

static gboolean
reader_fail (PbPop3Reader *reader,
             GError      **error,
             int           code,
             const char   *message)
{
  if (reader->error == NULL)
    reader->error = g_error_new_literal (PB_POP3_ERROR, code, message);
  g_propagate_error (error, g_error_copy (reader->error));
  return FALSE;
}

/* @body: the line belongs to a multi-line answer (a message's headers, a
 * listing). A NUL there is something a sender put in a message, not a
 * protocol fault: it becomes a space, or that mailbox could never be checked
 * again. In status lines it stays an error. */
static gboolean
next_line (PbPop3Reader *reader,
           gboolean      body,
           char        **line,
           gsize        *len,
           GError      **error)
{
  char *begin;
  char *nl;
  gsize avail;
  gsize line_len;

  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);

  if (reader->error != NULL)
    {
      g_propagate_error (error, g_error_copy (reader->error));
      return FALSE;
    }

  /* Before the first feed buf is NULL, and even NULL + 0 is undefined in C. */
  if (reader->start == reader->len)
    return FALSE;

  begin = reader->buf + reader->start;
  avail = reader->len - reader->start;
  nl = avail > reader->scanned ? memchr (begin + reader->scanned, '\n', avail - reader->scanned)
                               : NULL;
  if (nl == NULL)
    {
      reader->scanned = avail;
      /* +1: the CR of a CRLF may already be here while the LF is not. */
      if (avail > reader->max_line + 1)
        return reader_fail (reader, error, PB_POP3_ERROR_LINE_TOO_LONG,
                            _("The server sent a line that is too long."));
      return FALSE;
    }

  line_len = nl - begin;
  if (line_len > 0 && begin[line_len - 1] == '\r')
    line_len--;
  if (line_len > reader->max_line)
    return reader_fail (reader, error, PB_POP3_ERROR_LINE_TOO_LONG,
                        _("The server sent a line that is too long."));
  if (memchr (begin, '\0', line_len) != NULL)
    {
      if (!body)
        return reader_fail (reader, error, PB_POP3_ERROR_PROTOCOL,
                            _("The server sent a line containing a NUL byte."));
      for (char *p = begin; (p = memchr (p, '\0', begin + line_len - p)) != NULL; p++)
        *p = ' ';
    }

  begin[line_len] = '\0';
  reader->start += (nl - begin) + 1;
  reader->scanned = 0;

  *line = begin;
  if (len != NULL)
    *len = line_len;
  return TRUE;
}

gboolean
pb_pop3_reader_next_line (PbPop3Reader *reader,
                          const char  **line,
                          gsize        *len,
                          GError      **error)
{
  return next_line (reader, FALSE, (char **) line, len, error);
}

static gboolean
parse_status (const char      *line,
              gsize            len,
              guint            expect,
              PbPop3Response **out)
{
  PbPop3Response *response;
  gsize skip;
  gboolean ok;
  gboolean continuation = FALSE;

  if (len >= 3 && memcmp (line, "+OK", 3) == 0)
    {
      ok = TRUE;
      skip = 3;
    }
  else if (len >= 4 && memcmp (line, "-ERR", 4) == 0)
    {
      ok = FALSE;
      skip = 4;
    }
  else if ((expect & PB_POP3_EXPECT_CONTINUATION) && len >= 1 && line[0] == '+')
    {
      /* RFC 5034 says "+ " and a challenge; some servers send a bare "+". */
      ok = FALSE;
      continuation = TRUE;
      skip = 1;
    }
  else
    {
      return FALSE;
    }

  if (skip < len && line[skip] != ' ' && line[skip] != '\t')
    return FALSE;
  while (skip < len && (line[skip] == ' ' || line[skip] == '\t'))
    skip++;

  response = g_new0 (PbPop3Response, 1);
  response->ok = ok;
  response->continuation = continuation;
  response->text = g_utf8_make_valid (line + skip, len - skip);
  *out = response;
  return TRUE;
}

PbPop3ReadStatus
pb_pop3_reader_read_response (PbPop3Reader    *reader,
                              guint            expect,
                              gsize            max_body,
                              PbPop3Response **response,
                              GError         **error)
{
  const char *line;
  gsize len;
  GError *local_error = NULL;

  g_return_val_if_fail (reader != NULL, PB_POP3_READ_ERROR);
  g_return_val_if_fail (response != NULL && *response == NULL, PB_POP3_READ_ERROR);

  if (reader->partial == NULL)
    {
      if (!pb_pop3_reader_next_line (reader, &line, &len, &local_error))
        goto need_more_or_error;

      if (!parse_status (line, len, expect, &reader->partial))
        {
          reader_fail (reader, error, PB_POP3_ERROR_PROTOCOL,
                       _("The server sent an answer that is neither +OK nor -ERR."));
          return PB_POP3_READ_ERROR;
        }

      if (!(expect & PB_POP3_EXPECT_MULTILINE) || !reader->partial->ok)
        {
          *response = g_steal_pointer (&reader->partial);
          return PB_POP3_READ_DONE;
        }

      /* A UIDL listing can have 100,000 lines: keep them in blocks. */
      reader->partial->lines = g_ptr_array_new ();
      reader->partial->storage = g_string_chunk_new (16 * 1024);
    }

  for (;;)
    {
      PbPop3Response *partial = reader->partial;

      if (!next_line (reader, TRUE, (char **) &line, &len, &local_error))
        goto need_more_or_error;

      if (line[0] == '.')
        {
          if (len == 1)
            {
              *response = g_steal_pointer (&reader->partial);
              return PB_POP3_READ_DONE;
            }
          line++;
          len--;
          partial->body_bytes++;
        }

      /* A line costs more than its text: a pointer here, and for a UIDL listing
       * an entry, more pointers and a seen-set slot later. Counted with the text,
       * so that no shape of body (100,000s of "1 a", or empty lines) gets more
       * lines past the cap than the memory it stands for. */
      partial->body_bytes += len + 2;
      if (max_body > 0 &&
          partial->body_bytes + (partial->lines->len + 1) * (guint64) PB_POP3_LINE_COST > max_body)
        {
          g_clear_pointer (&reader->partial, pb_pop3_response_free);
          reader_fail (reader, error, PB_POP3_ERROR_PROTOCOL,
                       _("The server sent an answer that is too large."));
          return PB_POP3_READ_ERROR;
        }

      g_ptr_array_add (partial->lines, g_string_chunk_insert_len (partial->storage, line, len));
    }

need_more_or_error:
  if (local_error != NULL)
    {
      g_clear_pointer (&reader->partial, pb_pop3_response_free);
      g_propagate_error (error, local_error);
      return PB_POP3_READ_ERROR;
    }
  return PB_POP3_READ_NEED_MORE;
}

/* ---- Parsing of particular answers -------------------------------------- */

PbPop3Capabilities
pb_pop3_parse_capa (GPtrArray *lines,
                    guint     *login_delay)
{
  static const struct
  {
    const char        *name;
    PbPop3Capabilities flag;
  } simple[] = {
    { "TOP", PB_POP3_CAPA_TOP },
    { "UIDL", PB_POP3_CAPA_UIDL },
    { "PIPELINING", PB_POP3_CAPA_PIPELINING },
    { "STLS", PB_POP3_CAPA_STLS },
    { "USER", PB_POP3_CAPA_USER },
    { "RESP-CODES", PB_POP3_CAPA_RESP_CODES },
  };
  PbPop3Capabilities caps = 0;

  if (login_delay != NULL)
    *login_delay = 0;
  if (lines == NULL)
    return 0;

  for (guint i = 0; i < lines->len; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (g_ptr_array_index (lines, i), " \t", -1);
      const char *name = words[0];

      if (name == NULL || *name == '\0')
        continue;

      for (guint j = 0; j < G_N_ELEMENTS (simple); j++)
        if (g_ascii_strcasecmp (name, simple[j].name) == 0)
          caps |= simple[j].flag;

      if (g_ascii_strcasecmp (name, "SASL") == 0)
        for (guint j = 1; words[j] != NULL; j++)
          {
            if (g_ascii_strcasecmp (words[j], "PLAIN") == 0)
              caps |= PB_POP3_CAPA_SASL_PLAIN;
            else if (g_ascii_strcasecmp (words[j], "LOGIN") == 0)
              caps |= PB_POP3_CAPA_SASL_LOGIN;
            else if (g_ascii_strcasecmp (words[j], "XOAUTH2") == 0)
              caps |= PB_POP3_CAPA_SASL_XOAUTH2;
            else if (g_ascii_strcasecmp (words[j], "OAUTHBEARER") == 0)
              caps |= PB_POP3_CAPA_SASL_OAUTHBEARER;
          }

      /* "LOGIN-DELAY 900" or, before the login, "LOGIN-DELAY 900 USER" (the
       * delay may differ per user; the figure is the one to respect). */
      if (g_ascii_strcasecmp (name, "LOGIN-DELAY") == 0 && words[1] != NULL)
        {
          guint64 seconds;

          if (g_ascii_string_to_unsigned (words[1], 10, 0, G_MAXUINT, &seconds, NULL))
            {
              caps |= PB_POP3_CAPA_LOGIN_DELAY;
              if (login_delay != NULL)
                *login_delay = (guint) seconds;
            }
        }
    }

  return caps;
}

PbPop3Code
pb_pop3_parse_code (const char  *text,
                    const char **rest)
{
  static const struct
  {
    const char *name;
    PbPop3Code  code;
  } known[] = {
    { "IN-USE", PB_POP3_CODE_IN_USE },
    { "LOGIN-DELAY", PB_POP3_CODE_LOGIN_DELAY },
    { "SYS/TEMP", PB_POP3_CODE_SYS_TEMP },
    { "SYS/PERM", PB_POP3_CODE_SYS_PERM },
    { "AUTH", PB_POP3_CODE_AUTH },
  };
  const char *end;
  gsize len;

  if (rest != NULL)
    *rest = text;
  if (text == NULL || text[0] != '[')
    return PB_POP3_CODE_NONE;

  /* resp-code = "[" resp-level *("/" resp-level) "]", RFC 2449 §8 */
  end = strchr (text, ']');
  if (end == NULL)
    return PB_POP3_CODE_NONE;
  len = end - (text + 1);
  if (rest != NULL)
    {
      *rest = end + 1;
      while (**rest == ' ')
        (*rest)++;
    }

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      gsize name_len = strlen (known[i].name);

      /* A more specific code ("SYS/TEMP/DISK") counts as the one it refines. */
      if (len >= name_len && g_ascii_strncasecmp (text + 1, known[i].name, name_len) == 0 &&
          (len == name_len || text[1 + name_len] == '/'))
        return known[i].code;
    }
  return PB_POP3_CODE_OTHER;
}

/* Decimal digits at *@p, at least one, no overflow of @max. */
static gboolean
parse_number (const char **p,
              guint64      max,
              guint64     *out)
{
  const char *s = *p;
  guint64 value = 0;

  if (!g_ascii_isdigit (*s))
    return FALSE;

  for (; g_ascii_isdigit (*s); s++)
    {
      guint digit = *s - '0';

      if (value > (max - digit) / 10)
        return FALSE;
      value = value * 10 + digit;
    }

  *p = s;
  *out = value;
  return TRUE;
}

gboolean
pb_pop3_parse_stat (const char *text,
                    guint      *count,
                    guint64    *size)
{
  const char *p = text;
  guint64 n, s;

  g_return_val_if_fail (text != NULL, FALSE);

  if (!parse_number (&p, G_MAXUINT, &n) || *p != ' ')
    return FALSE;
  while (*p == ' ')
    p++;
  if (!parse_number (&p, G_MAXUINT64, &s))
    return FALSE;
  /* RFC 1939 allows more information after the size. */
  if (*p != '\0' && *p != ' ')
    return FALSE;

  if (count != NULL)
    *count = (guint) n;
  if (size != NULL)
    *size = s;
  return TRUE;
}

gboolean
pb_pop3_parse_uidl_line (const char  *line,
                         guint       *msgnum,
                         const char **uidl,
                         gsize       *uidl_len)
{
  const char *p = line;
  const char *id;
  guint64 n;
  gsize len;

  g_return_val_if_fail (line != NULL, FALSE);

  if (!parse_number (&p, G_MAXUINT, &n) || n == 0 || *p != ' ')
    return FALSE;
  while (*p == ' ')
    p++;

  id = p;
  while (*p >= 0x21 && *p <= 0x7e)
    p++;
  len = p - id;
  while (*p == ' ')
    p++;
  if (*p != '\0' || len < 1 || len > 70)
    return FALSE;

  if (msgnum != NULL)
    *msgnum = (guint) n;
  if (uidl != NULL)
    *uidl = id;
  if (uidl_len != NULL)
    *uidl_len = len;
  return TRUE;
}
