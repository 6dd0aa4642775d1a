/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Header decoding (RFC 5322 headers, RFC 2047 words, Japanese and 8-bit
 * charsets) through GMime: whatever a server sends for TOP n 0, the preview
 * is text safe to show (pb-message.h). */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-message.h"

/* pb-message.c cuts every shown value to this many characters. */
#define MAX_CHARS 1000

/* A value sanitize () produced: clean text, white space runs as one space,
 * none at either end, not too long. */
static void
check_value (const char *value,
             gboolean    may_be_empty)
{
  glong chars;

  if (value == NULL)
    return;

  pb_fuzz_check (pb_fuzz_is_clean_text (value), "a value with control characters or not UTF-8");
  chars = g_utf8_strlen (value, -1);
  pb_fuzz_check (chars <= MAX_CHARS, "a value longer than the cap");
  pb_fuzz_check (may_be_empty || chars > 0, "an empty value instead of NULL");
  pb_fuzz_check (strstr (value, "  ") == NULL, "a run of spaces");
  if (chars > 0)
    pb_fuzz_check (value[0] != ' ' && value[strlen (value) - 1] != ' ',
                   "white space at an end");
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
  g_autoptr(PbMessage) message = NULL;
  g_autoptr(PbMessage) copy = NULL;
  const char *sender;

  message = pb_message_new_from_headers ("uidl-1", (const char *) data, size);
  pb_fuzz_check (message != NULL, "no message");
  pb_fuzz_check (g_strcmp0 (message->uidl, "uidl-1") == 0, "the UIDL changed");

  check_value (message->from_name, FALSE);
  check_value (message->from_address, FALSE);
  check_value (message->subject, TRUE);
  check_value (message->message_id, FALSE);
  if (message->from != NULL)
    pb_fuzz_check (pb_fuzz_is_clean_text (message->from), "From is not clean text");
  else
    pb_fuzz_check (message->from_name == NULL && message->from_address == NULL,
                   "a sender without From");

  sender = pb_message_get_sender (message);
  pb_fuzz_check (sender != NULL && g_utf8_validate (sender, -1, NULL), "a bad sender");

  copy = pb_message_copy (message);
  pb_fuzz_check (g_strcmp0 (copy->from, message->from) == 0 &&
                 g_strcmp0 (copy->subject, message->subject) == 0 &&
                 g_strcmp0 (copy->message_id, message->message_id) == 0 &&
                 (copy->date == NULL) == (message->date == NULL),
                 "the copy differs");
  return 0;
}
