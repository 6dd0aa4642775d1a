/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-message"

#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "pb-message.h"

/* Enough for any title or notification body; longer values are cut. */
#define MAX_CHARS 1000

/* Longer headers are cut before parsing (see parse_headers). */
#define MAX_HEADER_BYTES 8192

/* Encoded-word labels longer than this are not charset names. */
#define MAX_LABEL 40

/* Stands for ISO-2022-JP in relabelled encoded words. iconv cannot open it, so
 * GMime hands the decoded bytes (7-bit, escape sequences intact) to
 * g_mime_utils_decode_8bit, whose first fallback charset, UTF-8, keeps them as
 * they are; jis_to_utf8 () converts them afterwards. */
#define JIS_LABEL "x-popbell-iso-2022-jp"

/* A label no iconv knows: GMime decodes such words with the fallback
 * charsets. */
#define UNKNOWN_LABEL "x-popbell-unknown"

#define ESC '\033'

G_DEFINE_BOXED_TYPE (PbMessage, pb_message, pb_message_copy, pb_message_free)

/* glibc loads a converter's module (CP932.so, ISO-2022-JP.so …) at
 * iconv_open and unloads it again soon after the last iconv_close, and GMime
 * opens and closes one for every charset it tries on every header: each
 * preview loaded the same modules again (about 40 system calls a module).
 * One descriptor kept open for each charset Japanese and Western mail comes
 * in keeps them loaded; convert () uses them for the conversions done here.
 * Never closed: one each for the life of the process. */
static const char *const kept_charsets[] = {
  "EUC-JP", "EUC-JP-MS", "CP932", "SHIFT_JIS", "ISO-2022-JP", "ISO-2022-JP-2",
  "ISO-2022-JP-3", "WINDOWS-1252", "ISO-8859-1",
};
static GIConv kept_converters[G_N_ELEMENTS (kept_charsets)];
/* A descriptor holds its conversion state: one conversion at a time. */
static GMutex kept_lock;

static void
keep_converters_loaded (void)
{
  static gsize opened;

  if (g_once_init_enter (&opened))
    {
      for (guint i = 0; i < G_N_ELEMENTS (kept_charsets); i++)
        kept_converters[i] = g_iconv_open ("UTF-8", kept_charsets[i]);
      g_once_init_leave (&opened, 1);
    }
}

/* g_convert (@text, @len, "UTF-8", @charset, …) through the kept descriptor
 * of @charset when there is one. */
static char *
convert (const char *text,
         gssize      len,
         const char *charset,
         gsize      *written)
{
  keep_converters_loaded ();
  for (guint i = 0; i < G_N_ELEMENTS (kept_charsets); i++)
    {
      if (g_ascii_strcasecmp (charset, kept_charsets[i]) == 0 &&
          kept_converters[i] != (GIConv) -1)
        {
          g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&kept_lock);

          /* Back to the initial shift state, whatever the last text left. */
          g_iconv (kept_converters[i], NULL, NULL, NULL, NULL);
          return g_convert_with_iconv (text, len, kept_converters[i], NULL, written, NULL);
        }
    }
  return g_convert (text, len, "UTF-8", charset, NULL, written, NULL);
}

static GMimeParserOptions *
get_parser_options (void)
{
  static GMimeParserOptions *options;

  if (g_once_init_enter (&options))
    {
      /* Raw 8-bit header text is tried in this order, the first charset that
       * converts every byte wins (g_mime_utils_decode_8bit). UTF-8 rarely
       * validates by chance. EUC-JP goes before CP932 because EUC-JP text
       * also reads as valid CP932 (half-width katakana), while Shift_JIS
       * kana and most kanji have lead bytes EUC-JP rejects. ISO-8859-1 maps
       * every byte, so it is the last resort. */
      static const char *charsets[] = {
        "UTF-8", "EUC-JP", "CP932", "WINDOWS-1252", "ISO-8859-1", NULL
      };
      GMimeParserOptions *new_options;

      g_mime_init ();
      keep_converters_loaded ();

      new_options = g_mime_parser_options_new ();
      g_mime_parser_options_set_fallback_charsets (new_options, charsets);
      g_mime_parser_options_set_rfc2047_compliance_mode (new_options,
                                                         GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_address_compliance_mode (new_options,
                                                         GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_parameter_compliance_mode (new_options,
                                                           GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_allow_addresses_without_domain (new_options, TRUE);

      g_once_init_leave (&options, new_options);
    }

  return options;
}

PbMessage *
pb_message_new (void)
{
  return g_new0 (PbMessage, 1);
}

PbMessage *
pb_message_copy (const PbMessage *message)
{
  PbMessage *copy;

  g_return_val_if_fail (message != NULL, NULL);

  copy = pb_message_new ();
  copy->uidl = g_strdup (message->uidl);
  copy->from = g_strdup (message->from);
  copy->from_name = g_strdup (message->from_name);
  copy->from_address = g_strdup (message->from_address);
  copy->subject = g_strdup (message->subject);
  copy->date = message->date ? g_date_time_ref (message->date) : NULL;
  copy->message_id = g_strdup (message->message_id);

  return copy;
}

void
pb_message_free (PbMessage *message)
{
  if (message == NULL)
    return;

  g_free (message->uidl);
  g_free (message->from);
  g_free (message->from_name);
  g_free (message->from_address);
  g_free (message->subject);
  g_clear_pointer (&message->date, g_date_time_unref);
  g_free (message->message_id);
  g_free (message);
}

const char *
pb_message_get_sender (const PbMessage *message)
{
  g_return_val_if_fail (message != NULL, "");

  if (message->from_name != NULL && *message->from_name != '\0')
    return message->from_name;
  if (message->from_address != NULL && *message->from_address != '\0')
    return message->from_address;

  return "";
}

/* Valid UTF-8, no control characters, runs of white space (folding and
 * Unicode line breaks included) as one space, no white space at either end, at most MAX_CHARS
 * characters: safe for a notification or a label. */
static char *
sanitize (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;
  gboolean space = FALSE;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0' && out->len < MAX_CHARS * 4; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == ' ' || c == '\t' || c == '\r' || c == '\n'
          || g_unichar_type (c) == G_UNICODE_LINE_SEPARATOR
          || g_unichar_type (c) == G_UNICODE_PARAGRAPH_SEPARATOR)
        {
          space = TRUE;
          continue;
        }
      if (g_unichar_iscntrl (c))
        continue;

      if (space && out->len > 0)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_unichar (out, c);
    }

  if (g_utf8_strlen (out->str, -1) > MAX_CHARS)
    g_string_truncate (out, g_utf8_offset_to_pointer (out->str, MAX_CHARS) - out->str);
  /* The cut may fall just after a space. */
  if (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);

  return g_string_free (out, FALSE);
}

static char *
sanitize_nonempty (const char *text)
{
  char *clean = sanitize (text);

  if (clean != NULL && *clean == '\0')
    g_clear_pointer (&clean, g_free);

  return clean;
}

/* Converts one EUC-JP unit, appending U+FFFD when iconv does not know it. */
static void
append_euc_unit (GString     *out,
                 GIConv       cd,
                 const char  *unit,
                 gsize        len)
{
  char buf[16];
  char *inbuf = (char *) unit;
  char *outbuf = buf;
  gsize inleft = len;
  gsize outleft = sizeof buf;

  if (cd != (GIConv) -1 && g_iconv (cd, &inbuf, &inleft, &outbuf, &outleft) != (gsize) -1
      && inleft == 0)
    g_string_append_len (out, buf, outbuf - buf);
  else
    g_string_append (out, "\xef\xbf\xbd");

  if (cd != (GIConv) -1)
    g_iconv (cd, NULL, NULL, NULL, NULL);
}

/* ISO-2022-JP as Windows writes it (CP50220/CP50221): JIS X 0208 plus the NEC
 * and IBM rows (①, Ⅰ, ㈱ …), which glibc's ISO-2022-JP converters reject. The
 * same rows sit at the same places in eucJP-ms, so each character is moved to
 * EUC-JP (set the high bits) and converted from there, one at a time so a bad
 * one costs one U+FFFD. Bytes outside escape sequences, UTF-8 included, pass
 * through unchanged. */
static char *
jis_lenient_to_utf8 (const char *text,
                     gsize       len)
{
  enum { ASCII, KANJI, KATAKANA, KANJI_0212 } mode = ASCII;
  GString *out = g_string_sized_new (len * 2);
  GIConv cd = g_iconv_open ("UTF-8", "EUC-JP-MS");
  gsize i = 0;

  if (cd == (GIConv) -1)
    cd = g_iconv_open ("UTF-8", "EUC-JP");

  while (i < len)
    {
      guchar c = text[i];

      if (c == ESC)
        {
          const char *seq = text + i + 1;
          gsize left = len - i - 1;

          if (left >= 2 && (memcmp (seq, "(B", 2) == 0 || memcmp (seq, "(J", 2) == 0))
            {
              mode = ASCII;
              i += 3;
            }
          else if (left >= 2 && (memcmp (seq, "$B", 2) == 0 || memcmp (seq, "$@", 2) == 0))
            {
              mode = KANJI;
              i += 3;
            }
          else if (left >= 3 && (memcmp (seq, "$(B", 3) == 0 || memcmp (seq, "$(Q", 3) == 0
                                 || memcmp (seq, "$(O", 3) == 0))
            {
              mode = KANJI;
              i += 4;
            }
          else if (left >= 2 && memcmp (seq, "(I", 2) == 0)
            {
              mode = KATAKANA;
              i += 3;
            }
          else if (left >= 3 && memcmp (seq, "$(D", 3) == 0)
            {
              mode = KANJI_0212;
              i += 4;
            }
          else
            {
              /* An unknown escape: drop the ESC, keep what follows as text. */
              i++;
            }
          continue;
        }

      /* Line ends and bytes that cannot be JIS end a double-byte run:
       * mailers that forget ESC ( B must not swallow the rest of the line. */
      if (c < 0x21 || c > 0x7e)
        {
          if (c == '\r' || c == '\n' || c >= 0x80)
            mode = ASCII;
          g_string_append_c (out, c);
          i++;
          continue;
        }

      switch (mode)
        {
        case ASCII:
          g_string_append_c (out, c);
          i++;
          break;

        case KATAKANA:
          {
            char unit[2] = { (char) 0x8e, (char) (c | 0x80) };

            append_euc_unit (out, cd, unit, 2);
            i++;
          }
          break;

        case KANJI:
        case KANJI_0212:
          if (i + 1 < len && (guchar) text[i + 1] >= 0x21 && (guchar) text[i + 1] <= 0x7e)
            {
              char unit[3];
              gsize n = 0;

              if (mode == KANJI_0212)
                unit[n++] = (char) 0x8f;
              unit[n++] = (char) (c | 0x80);
              unit[n++] = (char) (text[i + 1] | 0x80);
              append_euc_unit (out, cd, unit, n);
              i += 2;
            }
          else
            {
              g_string_append (out, "\xef\xbf\xbd");
              i++;
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }

  if (cd != (GIConv) -1)
    g_iconv_close (cd);

  return g_string_free (out, FALSE);
}

/* Text that holds ISO-2022-JP escape sequences (raw in a header, or out of a
 * relabelled encoded word) as UTF-8. Strict converters first, so standard
 * text gets the standard mapping (U+301C for the wave dash, not U+FF5E). */
static char *
jis_to_utf8 (const char *text)
{
  static const char *charsets[] = { "ISO-2022-JP", "ISO-2022-JP-2", "ISO-2022-JP-3" };
  gsize len = strlen (text);

  if (memchr (text, ESC, len) == NULL)
    return g_strdup (text);

  for (guint i = 0; i < G_N_ELEMENTS (charsets); i++)
    {
      gsize written = 0;
      char *utf8 = convert (text, len, charsets[i], &written);

      /* glibc passes escape sequences it does not know through as text. */
      if (utf8 != NULL && memchr (utf8, ESC, written) == NULL)
        return utf8;
      g_free (utf8);
    }

  return jis_lenient_to_utf8 (text, len);
}

static const char *
canonical_label (const char *label,
                 gsize       len)
{
  /* GMime hands Shift_JIS labels to iconv's strict SHIFT_JIS, which has no
   * NEC or IBM characters (①, ㈱, 髙 …) and reads 0x8160 as U+301C; Japanese
   * mail labelled Shift_JIS is in practice Windows code page 932. */
  static const char *sjis[] = {
    "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis",
    "windows-31j", "x-ms-cp932", "ms932", "cp932"
  };
  static const char *jis[] = { "iso-2022-jp", "csiso2022jp", "jis" };

  for (guint i = 0; i < G_N_ELEMENTS (sjis); i++)
    if (strlen (sjis[i]) == len && g_ascii_strncasecmp (label, sjis[i], len) == 0)
      return "CP932";

  for (guint i = 0; i < G_N_ELEMENTS (jis); i++)
    if (strlen (jis[i]) == len && g_ascii_strncasecmp (label, jis[i], len) == 0)
      return JIS_LABEL;

  /* GMime reads "x-unknown" in the charset of the locale; the fallback
   * charsets guess better. */
  if (len == strlen ("x-unknown") && g_ascii_strncasecmp (label, "x-unknown", len) == 0)
    return UNKNOWN_LABEL;

  return NULL;
}

/* Whether 8-bit bytes stand alone among ASCII, as accented letters and
 * signs do in ISO-8859-1 text. Japanese multi-byte text has runs of them. */
static gboolean
looks_latin (const char *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (*p < 0x80)
        continue;
      if (*p < 0xa0 || p[1] >= 0x80)
        return FALSE;
    }

  return TRUE;
}

/* A whole raw 8-bit value in one charset, when one fits all of it. GMime's
 * own fallback works a word at a time and takes the first charset that
 * fits, and CP932 fits much Latin text ("cr\xe8me" reads as "cr鑪e"), so
 * lone 8-bit bytes are taken as Windows-1252 first. NULL when nothing fits
 * the whole value; GMime then decodes it word by word. */
static char *
raw_8bit_to_utf8 (const char *text)
{
  static const char *latin[] = { "WINDOWS-1252", "ISO-8859-1", NULL };
  static const char *japanese[] = { "EUC-JP", "CP932", NULL };
  const char **charsets = looks_latin (text) ? latin : japanese;

  for (guint i = 0; charsets[i] != NULL; i++)
    {
      char *utf8 = convert (text, -1, charsets[i], NULL);

      if (utf8 != NULL)
        return utf8;
    }

  return NULL;
}

/* GMime before 3.2.14 stops decoding a run of base64 encoded words with the
 * same charset at the first one that ends in '=' padding (GMime issue #133),
 * so "=?ISO-2022-JP?B?...=?= =?ISO-2022-JP?B?...?=" lost its second
 * word. An empty Q word after each padded B word ends the run there; it
 * decodes to nothing, and white space between encoded words is dropped
 * anyway. */
static gboolean
need_run_break (void)
{
  static gsize result;

  if (g_once_init_enter (&result))
    g_once_init_leave (&result, g_mime_check_version (3, 2, 14) ? 1 : 2);

  return result == 2;
}

/* Prepares a raw header value for GMime: raw ISO-2022-JP (escape sequences,
 * no encoded words) and other raw 8-bit text become UTF-8 where possible; the
 * charset labels of encoded words that GMime would decode with the wrong
 * converter are swapped (see canonical_label); and runs of base64 words are
 * broken where old GMime would lose text (see need_run_break). Only labels
 * and the ends of words are looked at; decoding stays with GMime. */
static char *
prepare_value (const char *raw)
{
  g_autofree char *utf8 = jis_to_utf8 (raw);
  GString *out;
  gboolean break_runs = need_run_break ();
  const char *p;
  const char *word;

  if (!g_utf8_validate (utf8, -1, NULL))
    {
      char *converted = raw_8bit_to_utf8 (utf8);

      if (converted != NULL)
        {
          g_free (utf8);
          utf8 = converted;
        }
    }

  out = g_string_sized_new (strlen (utf8) + 16);
  p = utf8;

  while ((word = strstr (p, "=?")) != NULL)
    {
      const char *label = word + 2;
      const char *replacement;
      const char *encoding;
      const char *end;
      gsize len = 0;

      while (label[len] != '\0' && label[len] != '?' && label[len] != '*' && len <= MAX_LABEL
             && !g_ascii_isspace (label[len]))
        len++;

      g_string_append_len (out, p, label - p);
      p = label;

      if (label[len] != '?' && label[len] != '*')
        continue;

      replacement = canonical_label (label, len);
      if (replacement != NULL)
        g_string_append (out, replacement);
      else
        g_string_append_len (out, label, len);
      p = label + len;

      if (!break_runs)
        continue;

      encoding = strchr (p, '?');
      if (encoding == NULL || (encoding[1] != 'B' && encoding[1] != 'b') || encoding[2] != '?')
        continue;
      end = strstr (encoding + 3, "?=");
      if (end == NULL || end == encoding + 3 || end[-1] != '=')
        continue;

      g_string_append_len (out, p, end + 2 - p);
      g_string_append (out, "=?");
      if (replacement != NULL)
        g_string_append (out, replacement);
      else
        g_string_append_len (out, label, len);
      g_string_append (out, "?Q?" "?=");
      p = end + 2;
    }
  g_string_append (out, p);

  return g_string_free (out, FALSE);
}

/* GMime's decoding of a prepared value may still carry ISO-2022-JP escape
 * sequences from relabelled encoded words. */
static char *
finish_text (const char *decoded)
{
  g_autofree char *utf8 = NULL;

  if (decoded == NULL)
    return NULL;

  utf8 = jis_to_utf8 (decoded);
  return sanitize (utf8);
}

static const char *
get_raw_header (GMimeHeaderList *headers,
                const char      *name)
{
  GMimeHeader *header = g_mime_header_list_get_header (headers, name);

  return header != NULL ? g_mime_header_get_raw_value (header) : NULL;
}

static InternetAddressMailbox *
first_mailbox (InternetAddressList *list)
{
  int n = internet_address_list_length (list);

  for (int i = 0; i < n; i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (address))
        return INTERNET_ADDRESS_MAILBOX (address);

      if (INTERNET_ADDRESS_IS_GROUP (address))
        {
          InternetAddressList *members =
            internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address));
          InternetAddressMailbox *mailbox = members ? first_mailbox (members) : NULL;

          if (mailbox != NULL)
            return mailbox;
        }
    }

  return NULL;
}

static void
parse_from (PbMessage  *message,
            const char *raw)
{
  GMimeParserOptions *options = get_parser_options ();
  g_autofree char *value = prepare_value (raw);
  InternetAddressList *list = internet_address_list_parse (options, value);
  InternetAddressMailbox *mailbox = list ? first_mailbox (list) : NULL;

  if (mailbox != NULL)
    {
      message->from_name =
        finish_text (internet_address_get_name (INTERNET_ADDRESS (mailbox)));
      if (message->from_name != NULL && *message->from_name == '\0')
        g_clear_pointer (&message->from_name, g_free);
      message->from_address = sanitize_nonempty (internet_address_mailbox_get_addr (mailbox));
    }

  if (message->from_name != NULL && message->from_address != NULL)
    message->from = g_strdup_printf ("%s <%s>", message->from_name, message->from_address);
  else if (message->from_address != NULL)
    message->from = g_strdup (message->from_address);
  else if (message->from_name != NULL)
    message->from = g_strdup (message->from_name);
  else
    {
      /* No mailbox in it ("undisclosed sender"): the text stands for a name. */
      g_autofree char *text = g_mime_utils_header_decode_text (options, value);

      message->from_name = finish_text (text);
      if (message->from_name != NULL && *message->from_name == '\0')
        g_clear_pointer (&message->from_name, g_free);
      message->from = g_strdup (message->from_name);
    }

  g_clear_object (&list);
}

static void
parse_subject (PbMessage  *message,
               const char *raw)
{
  g_autofree char *value = prepare_value (raw);
  g_autofree char *unfolded = g_mime_utils_header_unfold (value);
  g_autofree char *decoded = g_mime_utils_header_decode_text (get_parser_options (), unfolded);

  message->subject = finish_text (decoded);
}

static GMimeMessage *
parse_headers (const char *data,
               gsize       len)
{
  GMimeStream *stream;
  GMimeParser *parser;
  GMimeMessage *message;
  g_autofree char *copy = NULL;
  gsize header_bytes = 0;
  gboolean line_start = TRUE;
  gboolean clipping = FALSE;
  gsize n = 0;

  /* GMime works on C strings inside the header block: a NUL would end a
   * value early or, before the first header, hide every header. And it
   * decodes some headers as it parses them, in time that grows with the
   * square of their length for some malformed values: each header, folded
   * lines included, is cut at MAX_HEADER_BYTES, which holds more than a
   * preview shows in all but the most wasteful encodings. */
  copy = g_malloc (len + 2);
  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (c == '\0')
        continue;

      if (line_start && c != ' ' && c != '\t')
        {
          if (clipping)
            copy[n++] = '\n';
          clipping = FALSE;
          header_bytes = 0;
        }
      line_start = (c == '\n');

      if (clipping)
        continue;
      if (++header_bytes > MAX_HEADER_BYTES)
        {
          gsize k = n;

          /* Drop the last character if it may be UTF-8 cut short: an
           * incomplete sequence would make the whole value look like some
           * other charset. */
          while (k > 0 && n - k < 3 && ((guchar) copy[k - 1] & 0xc0) == 0x80)
            k--;
          if (k > 0 && (guchar) copy[k - 1] >= 0xc0)
            n = k - 1;

          clipping = TRUE;
          continue;
        }
      copy[n++] = c;
    }
  if (clipping)
    copy[n++] = '\n';
  copy[n] = '\0';

  stream = g_mime_stream_mem_new_with_buffer (copy, n);
  parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);

  message = g_mime_parser_construct_message (parser, get_parser_options ());

  g_object_unref (parser);
  g_object_unref (stream);

  return message;
}

PbMessage *
pb_message_new_from_headers (const char *uidl,
                             const char *data,
                             gsize       len)
{
  PbMessage *message;
  GMimeMessage *mime;
  GMimeHeaderList *headers;
  const char *raw;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  message = pb_message_new ();
  message->uidl = g_strdup (uidl);

  if (len == 0)
    return message;

  /* NULL when not even the first line is a header. */
  mime = parse_headers (data, len);
  if (mime == NULL)
    return message;

  headers = g_mime_object_get_header_list (GMIME_OBJECT (mime));

  if ((raw = get_raw_header (headers, "From")) != NULL)
    parse_from (message, raw);
  if ((raw = get_raw_header (headers, "Subject")) != NULL)
    parse_subject (message, raw);

  if (g_mime_message_get_date (mime) != NULL)
    message->date = g_date_time_ref (g_mime_message_get_date (mime));

  message->message_id = sanitize_nonempty (g_mime_message_get_message_id (mime));

  g_object_unref (mime);

  return message;
}
