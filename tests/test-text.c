/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pb_text_clean: the one cleaner for text from servers, mail and certificates. */
#include "config.h"

#include <string.h>

#include "pb-text.h"
#include "pb-test-util.h"

static void
assert_clean (const char *text,
              gssize      length,
              guint       max_chars,
              const char *want)
{
  g_autofree char *got = pb_text_clean (text, length, max_chars);

  g_assert_cmpstr (got, ==, want);
  g_assert_true (g_utf8_validate (got, -1, NULL));
}

static void
test_plain_text_is_kept (void)
{
  assert_clean ("Meeting at 10", -1, 0, "Meeting at 10");
  assert_clean ("会議の件 — 山田 太郎", -1, 0, "会議の件 — 山田 太郎");
  assert_clean ("", -1, 0, "");
  assert_clean (NULL, -1, 0, "");
}

/* An override can make "moc.elpmaxe" read as "example.com", and an isolate
 * can move a sender's name over the subject. */
static void
test_bidi_and_format_characters_are_removed (void)
{
  const char *controls[] = {
    "\u202A", "\u202B", "\u202C", "\u202D", "\u202E",   /* embeddings, overrides */
    "\u2066", "\u2067", "\u2068", "\u2069",             /* isolates */
    "\u200E", "\u200F", "\u061C",                       /* marks */
    "\u200B", "\u200D", "\u2060", "\uFEFF", "\u00AD",   /* zero width, soft hyphen */
    "\U000E0041",                                       /* a tag character */
  };

  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    {
      g_autofree char *text = g_strconcat ("pay", controls[i], "pal.com", controls[i], NULL);

      assert_clean (text, -1, 0, "paypal.com");
    }
  assert_clean ("\u202Emoc.elpmaxe@yap\u202C", -1, 0, "moc.elpmaxe@yap");
  /* Right-to-left letters themselves are text. */
  assert_clean ("שלום", -1, 0, "שלום");
}

static void
test_controls_become_spaces (void)
{
  assert_clean ("a\tb\nc\rd\x1b[31me\x7f" "f", -1, 0, "a b c d [31me f");
  assert_clean ("line\u2028next\u2029para\xC2\x85" "end", -1, 0, "line next para end");
  assert_clean ("  \t padded \n ", -1, 0, "padded");
}

/* Truncated or invalid UTF-8 never makes the cleaner read past @length. */
static void
test_broken_utf8_is_replaced_within_bounds (void)
{
  const char truncated[] = { 'a', 'b', (char) 0xE4, (char) 0xBC };   /* 会 cut short */
  g_autofree char *exact = g_memdup2 (truncated, sizeof truncated); /* no NUL after it */
  const char embedded[] = { 'a', '\0', 'b' };

  assert_clean (exact, sizeof truncated, 0, "ab\uFFFD\uFFFD");
  assert_clean ("\xC3", 1, 0, "\uFFFD");
  assert_clean ("x\xFF" "y\xC0\x80z", -1, 0, "x\uFFFDy\uFFFD\uFFFDz");
  /* Surrogates and code points beyond U+10FFFF are not UTF-8. */
  assert_clean ("\xED\xA0\x80", -1, 0, "\uFFFD\uFFFD\uFFFD");
  assert_clean ("\xF4\x90\x80\x80", -1, 0, "\uFFFD\uFFFD\uFFFD\uFFFD");
  assert_clean (embedded, sizeof embedded, 0, "a b");
  assert_clean ("abcdef", 3, 0, "abc");
}

static void
test_long_text_is_cut_with_an_ellipsis (void)
{
  g_autofree char *long_text = g_strnfill (1000, 'x');
  g_autofree char *got = pb_text_clean (long_text, -1, 200);

  g_assert_cmpuint (g_utf8_strlen (got, -1), ==, 200);
  g_assert_true (g_str_has_suffix (got, "x…"));
  assert_clean ("12345", -1, 5, "12345");
  assert_clean ("123456", -1, 5, "1234…");
  assert_clean ("会議の件について", -1, 4, "会議の…");
  /* No space left before the ellipsis, and removed characters don't count. */
  assert_clean ("abc def", -1, 5, "abc…");
  assert_clean ("a\u202Eb\u202Ec\u202Ed", -1, 4, "abcd");
}

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/text/plain-text-is-kept", test_plain_text_is_kept);
  g_test_add_func ("/pb/text/bidi-and-format-characters-are-removed",
                   test_bidi_and_format_characters_are_removed);
  g_test_add_func ("/pb/text/controls-become-spaces", test_controls_become_spaces);
  g_test_add_func ("/pb/text/broken-utf8-is-replaced-within-bounds",
                   test_broken_utf8_is_replaced_within_bounds);
  g_test_add_func ("/pb/text/long-text-is-cut-with-an-ellipsis",
                   test_long_text_is_cut_with_an_ellipsis);

  return g_test_run ();
}
