/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parsers of particular answers: CAPA bodies, STAT and UIDL lines.
 * Input: lines separated by LF; each is tried as a STAT text and as a UIDL
 * line, and all of them together as a CAPA body. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-pop3-reader.h"

static void
check_stat (const char *text)
{
  guint count = 0;
  guint64 size = 0;

  if (pb_pop3_parse_stat (text, &count, &size))
    {
      g_autofree char *again = g_strdup_printf ("%u %" G_GUINT64_FORMAT, count, size);
      guint count2 = 0;
      guint64 size2 = 0;

      /* What was read is what the text says (no overflow, no sign). */
      pb_fuzz_check (g_ascii_isdigit (text[0]), "STAT accepted a text without a count");
      pb_fuzz_check (pb_pop3_parse_stat (again, &count2, &size2) &&
                     count2 == count && size2 == size, "STAT values do not read back");
    }
}

static void
check_uidl (const char *line)
{
  const char *uidl = NULL;
  gsize uidl_len = 0;
  guint msgnum = 0;

  if (pb_pop3_parse_uidl_line (line, &msgnum, &uidl, &uidl_len))
    {
      g_autofree char *again = NULL;
      const char *uidl2 = NULL;
      gsize uidl_len2 = 0;
      guint msgnum2 = 0;

      pb_fuzz_check (msgnum > 0, "UIDL accepted message number 0");
      pb_fuzz_check (uidl_len >= 1 && uidl_len <= 70, "UIDL of a bad length");
      pb_fuzz_check (uidl >= line && uidl + uidl_len <= line + strlen (line),
                     "UIDL outside the line");
      for (gsize i = 0; i < uidl_len; i++)
        pb_fuzz_check (uidl[i] >= 0x21 && uidl[i] <= 0x7e, "UIDL with a bad character");

      again = g_strdup_printf ("%u %.*s", msgnum, (int) uidl_len, uidl);
      pb_fuzz_check (pb_pop3_parse_uidl_line (again, &msgnum2, &uidl2, &uidl_len2) &&
                     msgnum2 == msgnum && uidl_len2 == uidl_len &&
                     memcmp (uidl2, uidl, uidl_len) == 0, "UIDL values do not read back");
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
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GPtrArray) body = g_ptr_array_new ();
  PbPop3Capabilities caps, caps_upper;
  g_autoptr(GPtrArray) upper_body = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *rest = NULL;
      PbPop3Code code = pb_pop3_parse_code (lines[i], &rest);

      /* The text after the code is a tail of the line, never beyond it. */
      pb_fuzz_check (rest >= lines[i] && rest <= lines[i] + strlen (lines[i]),
                     "response code text outside the line");
      pb_fuzz_check (code == PB_POP3_CODE_NONE || lines[i][0] == '[',
                     "a response code without a bracket");
      check_stat (lines[i]);
      check_uidl (lines[i]);
      g_ptr_array_add (body, lines[i]);
      g_ptr_array_add (upper_body, g_ascii_strup (lines[i], -1));
    }

  /* Capability names are case-insensitive (RFC 2449). */
  caps = pb_pop3_parse_capa (body, NULL);
  caps_upper = pb_pop3_parse_capa (upper_body, NULL);
  pb_fuzz_check (caps == caps_upper, "CAPA depends on letter case");
  pb_fuzz_check ((caps & ~(PB_POP3_CAPA_TOP | PB_POP3_CAPA_UIDL | PB_POP3_CAPA_PIPELINING |
                           PB_POP3_CAPA_STLS | PB_POP3_CAPA_USER | PB_POP3_CAPA_SASL_PLAIN |
                           PB_POP3_CAPA_RESP_CODES | PB_POP3_CAPA_SASL_LOGIN |
                           PB_POP3_CAPA_LOGIN_DELAY)) == 0, "CAPA flags out of range");
  return 0;
}
