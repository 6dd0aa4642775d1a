/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pb_text_clean, which every face puts server and certificate text through
 * (trust dialog, notifications, tray menu, mail window, command line). The
 * first byte is the character limit, the rest the text, in a buffer of its
 * exact size so that reading one byte past it is an error ASan reports. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-text.h"

static gboolean
is_shown_character (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_SURROGATE:
      return FALSE;
    default:
      return TRUE;
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
  g_autofree char *text = NULL;
  g_autofree char *clean = NULL;
  g_autofree char *again = NULL;
  guint max_chars;
  gsize len;

  if (size == 0)
    return 0;
  max_chars = data[0];
  len = size - 1;
  text = g_malloc (len > 0 ? len : 1);
  memcpy (text, data + 1, len);

  clean = pb_text_clean (text, len, max_chars);
  pb_fuzz_check (g_utf8_validate (clean, -1, NULL), "the result is not UTF-8");
  for (const char *p = clean; *p != '\0'; p = g_utf8_next_char (p))
    pb_fuzz_check (is_shown_character (g_utf8_get_char (p)),
                   "a control or format character is left");
  pb_fuzz_check (max_chars == 0 || g_utf8_strlen (clean, -1) <= max_chars,
                 "the result is longer than asked");
  pb_fuzz_check (*clean == '\0' || (!g_unichar_isspace (g_utf8_get_char (clean)) &&
                                    !g_unichar_isspace (g_utf8_get_char (
                                      g_utf8_find_prev_char (clean, clean + strlen (clean))))),
                 "the result is not trimmed");

  /* Clean text stays as it is. */
  again = pb_text_clean (clean, -1, max_chars);
  pb_fuzz_check (strcmp (again, clean) == 0, "cleaning twice changes the text");
  return 0;
}
