/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pb-message.h"
#include "pb-test-util.h"

/* One header block and what must come out of it. The byte strings were made
 * with iconv and base64 from the text in the expectations; NULL means the
 * field must be absent. */
typedef struct
{
  const char *name;
  const char *data;
  gsize       len;
  const char *from;
  const char *from_name;
  const char *from_address;
  const char *subject;
} Sample;

#define SAMPLE(name, data) name, data, sizeof (data) - 1

static const Sample samples[] = {
  {
    SAMPLE ("ascii",
            "Return-Path: <john@example.com>\r\n"
            "From: John Doe <john@example.com>\r\n"
            "To: jane@example.org\r\n"
            "Subject: Hello world\r\n"
            "\r\n"),
    "John Doe <john@example.com>", "John Doe", "john@example.com", "Hello world",
  },
  {
    SAMPLE ("lf-line-ends-no-empty-line",
            "From: John Doe <john@example.com>\n"
            "Subject: Hello world\n"),
    "John Doe <john@example.com>", "John Doe", "john@example.com", "Hello world",
  },
  {
    SAMPLE ("truncated-last-line",
            "From: john@example.com\r\n"
            "Subject: Hello wor"),
    "john@example.com", NULL, "john@example.com", "Hello wor",
  },
  {
    SAMPLE ("quoted-name-with-comma",
            "From: \"Doe, John\" <john@example.com>\r\n"),
    "Doe, John <john@example.com>", "Doe, John", "john@example.com", NULL,
  },
  {
    SAMPLE ("address-in-angles-only",
            "From: <john@example.com>\r\nSubject:\r\n"),
    "john@example.com", NULL, "john@example.com", "",
  },
  {
    SAMPLE ("address-without-domain",
            "From: MAILER-DAEMON\r\nSubject: Undelivered Mail\r\n"),
    "MAILER-DAEMON", NULL, "MAILER-DAEMON", "Undelivered Mail",
  },
  {
    SAMPLE ("first-mailbox-of-several",
            "From: Ann <ann@example.com>, Bob <bob@example.com>\r\n"),
    "Ann <ann@example.com>", "Ann", "ann@example.com", NULL,
  },
  {
    SAMPLE ("group",
            "From: Team: Ann <ann@example.com>, bob@example.com;\r\n"),
    "Ann <ann@example.com>", "Ann", "ann@example.com", NULL,
  },
  {
    SAMPLE ("utf8-b",
            "From: =?UTF-8?B?6Yi05pyoIOiKseWtkA==?= <hanako@example.jp>\r\n"
            "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=\r\n"),
    "鈴木 花子 <hanako@example.jp>", "鈴木 花子", "hanako@example.jp", "Grüße aus München",
  },
  {
    SAMPLE ("utf8-q",
            "Subject: =?utf-8?q?Caf=C3=A9_au_lait?=\r\n"),
    NULL, NULL, NULL, "Café au lait",
  },
  {
    SAMPLE ("iso-2022-jp",
            "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <yamada@example.jp>\r\n"
            "Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n"),
    "山田 太郎 <yamada@example.jp>", "山田 太郎", "yamada@example.jp", "テスト",
  },
  {
    SAMPLE ("iso-2022-jp-lower-case-label",
            "Subject: =?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=\r\n"),
    NULL, NULL, NULL, "テスト",
  },
  {
    SAMPLE ("adjacent-words-join",
            "Subject: =?UTF-8?B?44GT44KT?= =?UTF-8?B?44Gr44Gh44Gv?=\r\n"),
    NULL, NULL, NULL, "こんにちは",
  },
  {
    SAMPLE ("words-and-text-keep-spaces",
            "Subject: Re: =?UTF-8?B?44GT44KT?= and =?UTF-8?Q?caf=C3=A9?= !\r\n"),
    NULL, NULL, NULL, "Re: こん and café !",
  },
  {
    SAMPLE ("words-on-folded-lines",
            "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+JHIbKEI=?=\r\n"
            " =?ISO-2022-JP?B?GyRCQF4kakpWJDckXiQ5GyhC?=\r\n"),
    NULL, NULL, NULL, "日本語の件名を折り返します",
  },
  {
    SAMPLE ("padded-words-in-a-run",
            "Subject: =?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?= =?UTF-8?B?IQ==?=\r\n"),
    NULL, NULL, NULL, "Hello world!",
  },
  {
    SAMPLE ("character-split-across-words",
            "Subject: =?UTF-8?B?Y2Fmw6nm?=\r\n\t=?UTF-8?B?l6XmnKw=?=\r\n"),
    NULL, NULL, NULL, "café日本",
  },
  {
    SAMPLE ("folded-text-collapses",
            "Subject: a long\r\n   subject\r\n\tfolded  twice\r\n"),
    NULL, NULL, NULL, "a long subject folded twice",
  },
  {
    SAMPLE ("word-glued-to-text",
            "Subject: foo=?UTF-8?Q?b=C3=A4r?=baz\r\n"),
    NULL, NULL, NULL, "foobärbaz",
  },
  {
    SAMPLE ("word-inside-quotes",
            "From: \"=?UTF-8?B?6Yi05pyoIOiKseWtkA==?=\" <hanako@example.jp>\r\n"),
    "鈴木 花子 <hanako@example.jp>", "鈴木 花子", "hanako@example.jp", NULL,
  },
  {
    SAMPLE ("shift-jis-word",
            "Subject: =?Shift_JIS?B?k/qWe4zqgsyDZYNYg2c=?=\r\n"),
    NULL, NULL, NULL, "日本語のテスト",
  },
  {
    SAMPLE ("shift-jis-word-dash-label",
            "Subject: =?shift-jis?B?gqiSbYLngrk=?=\r\n"),
    NULL, NULL, NULL, "お知らせ",
  },
  {
    SAMPLE ("x-sjis-word",
            "Subject: =?x-sjis?B?gqiSbYLngrk=?=\r\n"),
    NULL, NULL, NULL, "お知らせ",
  },
  {
    SAMPLE ("euc-jp-word",
            "Subject: =?EUC-JP?B?xvzL3LjspM6lxqW5pcg=?=\r\n"),
    NULL, NULL, NULL, "日本語のテスト",
  },
  {
    /* ① (NEC row 13) and 0x8160 as FULLWIDTH TILDE: code page 932. */
    SAMPLE ("cp932-in-shift-jis-word",
            "Subject: =?Shift_JIS?B?h0CJ74tjgWA=?=\r\n"),
    NULL, NULL, NULL, "①会議～",
  },
  {
    /* ① in ISO-2022-JP as Windows writes it (CP50220), raw and encoded. */
    SAMPLE ("cp50220-extensions",
            "From: =?ISO-2022-JP?B?GyRCLSEbKEIbJEIycTVEGyhC?= <a@example.jp>\r\n"
            "Subject: \x1b$B-!\x1b(B\x1b$B2q5D\x1b(B\r\n"),
    "①会議 <a@example.jp>", "①会議", "a@example.jp", "①会議",
  },
  {
    SAMPLE ("iso-8859-1-q",
            "Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\r\n"),
    NULL, NULL, NULL, "Café crème",
  },
  {
    SAMPLE ("unknown-charset",
            "From: =?x-unknown-charset?Q?Some_One?= <one@example.com>\r\n"
            "Subject: =?x-unknown-charset?B?R3LDvMOfZQ==?= =?x-unknown-charset?Q?Hello?=\r\n"),
    "Some One <one@example.com>", "Some One", "one@example.com", "GrüßeHello",
  },
  {
    /* An unknown label leaves the bytes to the fallback charsets. */
    SAMPLE ("unknown-charset-japanese",
            "Subject: =?x-unknown?B?pKrDzqTppLs=?= / =?x-no-such-charset?B?gqiSbYLngrk=?=\r\n"),
    NULL, NULL, NULL, "お知らせ / お知らせ",
  },
  {
    SAMPLE ("raw-utf8",
            "From: \xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e <yamada@example.jp>\r\n"
            "Subject: \xe4\xbb\xb6\xe5\x90\x8d \xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88 "
            "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9\r\n"),
    "山田 太郎 <yamada@example.jp>", "山田 太郎", "yamada@example.jp", "件名 テスト ünïcödé",
  },
  {
    SAMPLE ("raw-shift-jis",
            "From: \x8d\xb2\x93\xa1 \x88\xea\x98Y <sato@example.jp>\r\n"
            "Subject: \x82\xa8\x92m\x82\xe7\x82\xb9\x81" "F\x89\xef\x8b" "c\x82\xcc\x8c\x8f\r\n"),
    "佐藤 一郎 <sato@example.jp>", "佐藤 一郎", "sato@example.jp", "お知らせ：会議の件",
  },
  {
    SAMPLE ("raw-euc-jp",
            "Subject: \xa4\xaa\xc3\xce\xa4\xe9\xa4\xbb\xa1\xa7\xb2\xf1\xb5\xc4\xa4\xce\xb7\xef\r\n"),
    NULL, NULL, NULL, "お知らせ：会議の件",
  },
  {
    SAMPLE ("raw-iso-2022-jp",
            "From: \x1b$B;3ED\x1b(B \x1b$BB@O:\x1b(B <yamada@example.jp>\r\n"
            "Subject: \x1b$B$*CN$i$;!'2q5D$N7o\x1b(B\r\n"),
    "山田 太郎 <yamada@example.jp>", "山田 太郎", "yamada@example.jp", "お知らせ：会議の件",
  },
  {
    /* A mailer that forgot ESC ( B: the line end goes back to ASCII. */
    SAMPLE ("raw-iso-2022-jp-unterminated",
            "Subject: \x1b$B$*CN$i$;\r\nFrom: a@example.jp\r\n"),
    "a@example.jp", NULL, "a@example.jp", "お知らせ",
  },
  {
    /* JIS X 0212 (ISO-2022-JP-2) and half-width katakana (ESC ( I). */
    SAMPLE ("raw-iso-2022-jp-extended-sets",
            "Subject: \x1b$(D0!\x1b(B \x1b(I123\x1b(B\r\n"),
    NULL, NULL, NULL, "丂 ｱｲｳ",
  },
  {
    /* Plain ISO-2022-JP keeps the standard mapping of the wave dash. */
    SAMPLE ("raw-iso-2022-jp-wave-dash",
            "Subject: 10\x1b$B!A\x1b(B12\r\n"),
    NULL, NULL, NULL, "10\u301c12",
  },
  {
    SAMPLE ("raw-cp932",
            "Subject: \x87@\x94\xd4\x82\xcc\x8c\x8f\x81`\r\n"),
    NULL, NULL, NULL, "①番の件～",
  },
  {
    SAMPLE ("raw-iso-8859-1",
            "Subject: Caf\xe9 cr\xe8me \xa3" "5\r\n"),
    NULL, NULL, NULL, "Café crème £5",
  },
  {
    /* No one charset fits the whole value: each word finds its own. */
    SAMPLE ("raw-mixed-charsets",
            "Subject: \x82\xa8\x92m\x82\xe7\x82\xb9 Caf\xe9\r\n"),
    NULL, NULL, NULL, "お知らせ Café",
  },
  {
    SAMPLE ("control-characters",
            "From: \"Evil\x07 Name\" <evil@example.com>\r\n"
            "Subject: a\x01" "b\tc\x1b[31m d\x7f" "e\r\n"),
    "Evil Name <evil@example.com>", "Evil Name", "evil@example.com", "ab c[31m de",
  },
  {
    SAMPLE ("encoded-control-characters",
            "Subject: =?UTF-8?Q?line=0Dbreak=0A_and=09tab=C2=85=E2=80=A8end?=\r\n"),
    NULL, NULL, NULL, "line break and tab end",
  },
  {
    SAMPLE ("invalid-utf8-in-utf8-word",
            "Subject: =?UTF-8?Q?ok=FF=FEok?=\r\n"),
    NULL, NULL, NULL, "ok??ok",
  },
  {
    SAMPLE ("unterminated-encoded-word",
            "Subject: =?UTF-8?B?44GT44KT\r\nFrom: =?UTF-8?Q?Ann <ann@example.com>\r\n"),
    "=?UTF-8?Q?Ann <ann@example.com>", "=?UTF-8?Q?Ann", "ann@example.com", "=?UTF-8?B?44GT44KT",
  },
  {
    SAMPLE ("line-without-colon",
            "Subject: first\r\nthis line is not a header\r\nFrom: ann@example.com\r\n"),
    "ann@example.com", NULL, "ann@example.com", "first",
  },
  {
    SAMPLE ("nul-bytes",
            "Subj\0ect: a\0b\r\n\0From: ann@example.com\r\n"),
    "ann@example.com", NULL, "ann@example.com", "ab",
  },
  {
    SAMPLE ("from-without-mailbox",
            "From: undisclosed sender\r\nSubject: x\r\n"),
    "undisclosed sender", "undisclosed sender", NULL, "x",
  },
  {
    SAMPLE ("empty-from",
            "From: \r\nSubject: x\r\n"),
    NULL, NULL, NULL, "x",
  },
  {
    SAMPLE ("no-headers-at-all",
            "\r\n"),
    NULL, NULL, NULL, NULL,
  },
  {
    SAMPLE ("garbage-first-line",
            "\xff\xfe garbage\r\n"),
    NULL, NULL, NULL, NULL,
  },
  {
    SAMPLE ("empty", ""),
    NULL, NULL, NULL, NULL,
  },
};

static void
assert_valid_text (const char *text)
{
  if (text == NULL)
    return;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
  g_assert_cmpuint (g_utf8_strlen (text, -1), <=, 1000);
}

static void
assert_valid_message (const PbMessage *message)
{
  assert_valid_text (message->from);
  assert_valid_text (message->from_name);
  assert_valid_text (message->from_address);
  assert_valid_text (message->subject);
  assert_valid_text (message->message_id);
  g_assert_nonnull (pb_message_get_sender (message));
}

static void
test_sample (gconstpointer data)
{
  const Sample *sample = data;
  g_autoptr(PbMessage) message = NULL;

  message = pb_message_new_from_headers ("uidl-1", sample->data, sample->len);
  g_assert_nonnull (message);
  g_assert_cmpstr (message->uidl, ==, "uidl-1");
  g_assert_cmpstr (message->from, ==, sample->from);
  g_assert_cmpstr (message->from_name, ==, sample->from_name);
  g_assert_cmpstr (message->from_address, ==, sample->from_address);
  g_assert_cmpstr (message->subject, ==, sample->subject);
  assert_valid_message (message);
}

static void
test_missing_headers (void)
{
  g_autoptr(PbMessage) message = NULL;
  static const char data[] = "X-Mailer: something\r\nReceived: from a by b\r\n\r\n";

  message = pb_message_new_from_headers (NULL, data, strlen (data));
  g_assert_null (message->uidl);
  g_assert_null (message->from);
  g_assert_null (message->from_name);
  g_assert_null (message->from_address);
  g_assert_null (message->subject);
  g_assert_null (message->date);
  g_assert_null (message->message_id);
  g_assert_cmpstr (pb_message_get_sender (message), ==, "");
}

static void
test_date_with_timezone (void)
{
  g_autoptr(PbMessage) message = NULL;
  g_autoptr(GDateTime) utc = NULL;
  static const char data[] =
    "Date: Tue, 15 Mar 2022 10:30:05 +0900\r\nSubject: x\r\n";

  message = pb_message_new_from_headers (NULL, data, strlen (data));
  g_assert_nonnull (message->date);
  g_assert_cmpint (g_date_time_get_utc_offset (message->date), ==, 9 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (g_date_time_get_hour (message->date), ==, 10);

  utc = g_date_time_to_utc (message->date);
  g_assert_cmpint (g_date_time_get_year (utc), ==, 2022);
  g_assert_cmpint (g_date_time_get_month (utc), ==, 3);
  g_assert_cmpint (g_date_time_get_day_of_month (utc), ==, 15);
  g_assert_cmpint (g_date_time_get_hour (utc), ==, 1);
  g_assert_cmpint (g_date_time_get_minute (utc), ==, 30);
  g_assert_cmpint (g_date_time_get_second (utc), ==, 5);
}

static void
test_date_negative_offset_and_comment (void)
{
  g_autoptr(PbMessage) message = NULL;
  static const char data[] = "Date: 1 Jan 2021 23:59:00 -0500 (EST)\n";

  message = pb_message_new_from_headers (NULL, data, strlen (data));
  g_assert_nonnull (message->date);
  g_assert_cmpint (g_date_time_to_unix (message->date), ==, 1609563540);
}

static void
test_date_invalid (void)
{
  g_autoptr(PbMessage) message = NULL;
  static const char data[] = "Date: not a date at all\r\nSubject: x\r\n";

  message = pb_message_new_from_headers (NULL, data, strlen (data));
  g_assert_null (message->date);
  g_assert_cmpstr (message->subject, ==, "x");
}

static void
test_message_id (void)
{
  g_autoptr(PbMessage) message = NULL;
  g_autoptr(PbMessage) folded = NULL;
  static const char data[] = "Message-ID: <abc.123@example.com>\r\n";
  static const char data_folded[] = "Message-Id:\r\n <x-1@mail.example.jp>  (comment)\r\n";

  message = pb_message_new_from_headers (NULL, data, strlen (data));
  g_assert_cmpstr (message->message_id, ==, "abc.123@example.com");

  folded = pb_message_new_from_headers (NULL, data_folded, strlen (data_folded));
  g_assert_cmpstr (folded->message_id, ==, "x-1@mail.example.jp");
}

/* Cut where a space was: no space is left at the end (a fuzzer found it). */
static void
test_cut_after_a_space (void)
{
  g_autoptr(PbMessage) message = NULL;
  GString *data = g_string_new ("Subject: ");

  for (guint i = 0; i < 999; i++)
    g_string_append_c (data, 'a');
  g_string_append (data, " and more words\r\n\r\n");
  message = pb_message_new_from_headers (NULL, data->str, data->len);
  g_assert_cmpuint (g_utf8_strlen (message->subject, -1), ==, 999);
  g_assert_false (g_str_has_suffix (message->subject, " "));
  g_string_free (data, TRUE);
}

static void
test_long_value_is_cut (void)
{
  g_autoptr(PbMessage) message = NULL;
  GString *data = g_string_new ("From: ann@example.com\r\nSubject: ");

  /* About 1 MB of three-byte characters on one header line. */
  for (guint i = 0; i < 350000; i++)
    g_string_append (data, "あ");
  g_string_append (data, "\r\n\r\n");

  message = pb_message_new_from_headers (NULL, data->str, data->len);
  g_assert_cmpstr (message->from_address, ==, "ann@example.com");
  g_assert_true (g_utf8_validate (message->subject, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (message->subject, -1), ==, 1000);
  g_assert_cmpuint (strlen (message->subject), ==, 3000);
  g_assert_true (g_str_has_prefix (message->subject, "ああ"));
  g_string_free (data, TRUE);
}

static void
test_many_headers (void)
{
  g_autoptr(PbMessage) message = NULL;
  GString *data = g_string_new (NULL);

  /* About 1 MB of headers; the ones that matter come last. */
  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (data, "Received: from host%u.example.com by mx.example.com;\r\n", i);
  g_string_append (data, "From: ann@example.com\r\nSubject: last\r\n\r\n");

  message = pb_message_new_from_headers (NULL, data->str, data->len);
  g_assert_cmpstr (message->from_address, ==, "ann@example.com");
  g_assert_cmpstr (message->subject, ==, "last");
  g_string_free (data, TRUE);
}

static void
test_unterminated_words (void)
{
  g_autoptr(PbMessage) message = NULL;
  GString *data = g_string_new (NULL);

  /* GMime needs time that grows with the square of the length for values
   * like these; a megabyte of them must still be quick. */
  for (guint i = 0; i < 64; i++)
    {
      g_string_append (data, i % 2 ? "Subject: " : "Message-ID: ");
      for (guint j = 0; j < 2400; j++)
        g_string_append (data, "=?a?B?x");
      g_string_append (data, "\r\n");
    }
  g_string_append (data, "From: ann@example.com\r\n");

  message = pb_message_new_from_headers (NULL, data->str, data->len);
  g_assert_cmpstr (message->from_address, ==, "ann@example.com");
  g_assert_true (g_str_has_prefix (message->subject, "=?a?B?x=?a?B?x"));
  g_assert_cmpuint (g_utf8_strlen (message->subject, -1), ==, 1000);
  assert_valid_message (message);
  g_string_free (data, TRUE);
}

static void
test_garbage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240229);
  static const char *pieces[] = {
    "From: ", "Subject: ", "Date: ", "Message-ID: <", ">", "\r\n", "\n", " ", "\t", ":",
    "=?", "?=", "?B?", "?Q?", "UTF-8", "ISO-2022-JP", "Shift_JIS", "\x1b$B", "\x1b(B",
    "\x1b(I", "\x1b$(D", "<", "@", "\"", "(", ")", ",", ";", "\\", "=C3", "=",
  };

  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(PbMessage) message = NULL;
      gsize len = g_rand_int_range (rand, 0, 600);
      g_autofree char *data = g_malloc (len + 1);
      GString *mixed = g_string_new (NULL);
      g_autoptr(PbMessage) mixed_message = NULL;

      /* Random bytes ... */
      for (gsize j = 0; j < len; j++)
        data[j] = (char) g_rand_int_range (rand, 0, 256);
      message = pb_message_new_from_headers ("u", data, len);
      g_assert_cmpstr (message->uidl, ==, "u");
      assert_valid_message (message);

      /* ... and random bytes among pieces of headers, which get further. */
      while (mixed->len < len)
        {
          if (g_rand_boolean (rand))
            g_string_append (mixed, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
          else
            g_string_append_c (mixed, (char) g_rand_int_range (rand, 0, 256));
        }
      mixed_message = pb_message_new_from_headers (NULL, mixed->str, mixed->len);
      assert_valid_message (mixed_message);
      g_string_free (mixed, TRUE);
    }
}

static void
test_sender (void)
{
  g_autoptr(PbMessage) message = pb_message_new ();

  g_assert_cmpstr (pb_message_get_sender (message), ==, "");
  message->from_address = g_strdup ("ann@example.com");
  g_assert_cmpstr (pb_message_get_sender (message), ==, "ann@example.com");
  message->from_name = g_strdup ("Ann");
  g_assert_cmpstr (pb_message_get_sender (message), ==, "Ann");
}

static void
test_copy_free (void)
{
  g_autoptr(PbMessage) message = NULL;
  g_autoptr(PbMessage) copy = NULL;
  PbMessage *boxed;
  static const char data[] =
    "From: Ann <ann@example.com>\r\nSubject: hi\r\n"
    "Date: Tue, 15 Mar 2022 10:30:00 +0000\r\nMessage-ID: <1@x>\r\n";

  message = pb_message_new_from_headers ("7", data, strlen (data));
  copy = pb_message_copy (message);
  g_assert_true (copy != message);
  g_assert_cmpstr (copy->uidl, ==, "7");
  g_assert_cmpstr (copy->from, ==, "Ann <ann@example.com>");
  g_assert_cmpstr (copy->from_name, ==, "Ann");
  g_assert_cmpstr (copy->from_address, ==, "ann@example.com");
  g_assert_cmpstr (copy->subject, ==, "hi");
  g_assert_cmpstr (copy->message_id, ==, "1@x");
  g_assert_true (copy->subject != message->subject);
  g_assert_nonnull (copy->date);
  g_assert_true (g_date_time_equal (copy->date, message->date));

  boxed = g_boxed_copy (PB_TYPE_MESSAGE, message);
  g_assert_cmpstr (boxed->subject, ==, "hi");
  g_boxed_free (PB_TYPE_MESSAGE, boxed);

  g_assert_true (G_TYPE_IS_BOXED (PB_TYPE_MESSAGE));
  g_assert_cmpstr (g_type_name (PB_TYPE_MESSAGE), ==, "PbMessage");

  pb_message_free (NULL);
}

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pb/message/decodes/%s", samples[i].name);

      g_test_add_data_func (path, &samples[i], test_sample);
    }

  g_test_add_func ("/pb/message/missing-headers-are-null", test_missing_headers);
  g_test_add_func ("/pb/message/date/keeps-timezone", test_date_with_timezone);
  g_test_add_func ("/pb/message/date/negative-offset-and-comment",
                   test_date_negative_offset_and_comment);
  g_test_add_func ("/pb/message/date/invalid-is-null", test_date_invalid);
  g_test_add_func ("/pb/message/message-id/loses-brackets", test_message_id);
  g_test_add_func ("/pb/message/long-value-is-cut", test_long_value_is_cut);
  g_test_add_func ("/pb/message/megabyte-of-headers", test_many_headers);
  g_test_add_func ("/pb/message/megabyte-of-unterminated-words", test_unterminated_words);
  g_test_add_func ("/pb/message/garbage-never-crashes", test_garbage);
  g_test_add_func ("/pb/message/sender-prefers-name", test_sender);
  g_test_add_func ("/pb/message/copy-and-free", test_copy_free);
  g_test_add_func ("/pb/message/cut-after-a-space-leaves-no-space", test_cut_after_a_space);

  return g_test_run ();
}
