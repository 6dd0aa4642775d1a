/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pb-text.h"

#define REPLACEMENT_CHARACTER 0xFFFD

/* A bidirectional override in a sender or a certificate's name can make
 * "moc.elpmaxe" read as "example.com"; zero-width characters make two names
 * look alike. Neither carries meaning worth keeping in a one-line label. */
static gboolean
is_hidden (gunichar c)
{
  return g_unichar_type (c) == G_UNICODE_FORMAT;
}

static gboolean
is_line_breaking (gunichar c)
{
  GUnicodeType type = g_unichar_type (c);

  return type == G_UNICODE_CONTROL || type == G_UNICODE_LINE_SEPARATOR ||
         type == G_UNICODE_PARAGRAPH_SEPARATOR;
}

static void
chomp_spaces (GString *text)
{
  while (text->len > 0)
    {
      const char *last = g_utf8_find_prev_char (text->str, text->str + text->len);

      if (last == NULL || !g_unichar_isspace (g_utf8_get_char (last)))
        break;
      g_string_truncate (text, last - text->str);
    }
}

char *
pb_text_clean (const char *text,
               gssize      length,
               guint       max_chars)
{
  g_autoptr(GString) out = NULL;
  const char *p, *end;
  gsize start = 0;

  if (text == NULL)
    return g_strdup ("");
  if (length < 0)
    length = strlen (text);

  out = g_string_sized_new (length);
  end = text + length;
  for (p = text; p < end;)
    {
      gunichar c;

      /* A NUL inside @length is a control character like any other. */
      if (*p == '\0')
        {
          g_string_append_c (out, ' ');
          p++;
          continue;
        }
      /* Bounded by @end: a sequence cut short at the end is never read past. */
      c = g_utf8_get_char_validated (p, end - p);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_unichar (out, REPLACEMENT_CHARACTER);
          p++;
          continue;
        }
      p = g_utf8_next_char (p);

      if (is_hidden (c))
        continue;
      g_string_append_unichar (out, is_line_breaking (c) ? ' ' : c);
    }

  /* Trim, by characters: the text is valid UTF-8 now. */
  while (start < out->len && g_unichar_isspace (g_utf8_get_char (out->str + start)))
    start = g_utf8_next_char (out->str + start) - out->str;
  g_string_erase (out, 0, start);
  chomp_spaces (out);

  if (max_chars > 0 && g_utf8_strlen (out->str, out->len) > max_chars)
    {
      const char *cut = g_utf8_offset_to_pointer (out->str, max_chars - 1);

      g_string_truncate (out, cut - out->str);
      chomp_spaces (out);
      g_string_append (out, "…");
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}
