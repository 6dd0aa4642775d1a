/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The OAuth2 bearer mechanisms' messages (pb-sasl.c).
 * A server's error challenge, as the server sends it and base64-encoded (so
 * that the JSON reader is reached): read or refused, and what is read is fit
 * to show (printable ASCII, at most 100 characters).
 * The client's message from a user name and a token: built only from values
 * the checks accept, and then it holds exactly the fields given, with no
 * separator more (neither the user nor the token can add a field).
 * Input: 1 byte (bit 0: the message instead of a challenge), then the
 * challenge, or the user name, a NUL, the token. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-sasl.h"

#define HOST "pop.example.com"
#define PORT 995

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  pb_fuzz_init ();
  return 0;
}

static gboolean
is_fit_to_show (const char *text)
{
  if (text == NULL)
    return TRUE;
  if (strlen (text) > 100)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (*p < 0x20 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

static void
check_challenge (const char *challenge)
{
  char *status = (char *) 0x1;
  char *scope = (char *) 0x1;
  gboolean read = pb_sasl_parse_bearer_error (challenge, &status, &scope);

  if (!read)
    pb_fuzz_check (status == NULL && scope == NULL, "a refused challenge gave a status or scope");
  pb_fuzz_check (is_fit_to_show (status), "a status not fit to show");
  pb_fuzz_check (is_fit_to_show (scope), "a scope not fit to show");
  g_free (status);
  g_free (scope);
}

/* RFC 5801 saslname, written independently of pb-sasl.c. */
static char *
saslname (const char *user)
{
  GString *out = g_string_new (NULL);

  for (const char *p = user; *p != '\0'; p++)
    {
      if (*p == ',')
        g_string_append (out, "=2C");
      else if (*p == '=')
        g_string_append (out, "=3D");
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
check_message (PbSaslBearer  mechanism,
               const char   *user,
               const char   *token)
{
  g_autofree char *encoded = pb_sasl_bearer_response (mechanism, user, token, HOST, PORT);
  g_autofree guchar *decoded = NULL;
  g_autofree char *expected = NULL;
  gsize len = 0;

  pb_fuzz_check (encoded != NULL, "no message for a valid user and token");
  decoded = g_base64_decode (encoded, &len);
  if (mechanism == PB_SASL_XOAUTH2)
    expected = g_strdup_printf ("user=%s\001auth=Bearer %s\001\001", user, token);
  else
    {
      g_autofree char *name = saslname (user);

      expected = g_strdup_printf ("n,a=%s,\001host=" HOST "\001port=%u\001auth=Bearer %s\001\001",
                                  name, PORT, token);
    }
  pb_fuzz_check (len == strlen (expected) && memcmp (decoded, expected, len) == 0,
                 "a message other than the fields given");
  /* Fields are split at \x01: the user and the token add none. */
  pb_fuzz_check (strchr (user, '\001') == NULL && strchr (token, '\001') == NULL,
                 "a separator inside a field");
  pb_fuzz_check (strpbrk (token, " \r\n") == NULL, "a space or line break in a token");
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = NULL;
  gsize text_len;

  if (size < 1)
    return 0;
  text = g_strndup ((const char *) data + 1, size - 1);
  text_len = strlen (text);

  if ((data[0] & 1) == 0)
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) data + 1, size - 1);

      check_challenge (text);
      check_challenge (encoded);
    }
  else
    {
      /* The user name, then the token after the NUL (none without one). */
      const char *user = text;
      g_autofree char *token = text_len + 1 < size - 1
                                 ? g_strndup ((const char *) data + 1 + text_len + 1,
                                              size - 1 - text_len - 1)
                                 : g_strdup ("");

      if (pb_sasl_user_is_valid (user) && pb_sasl_token_is_valid (token))
        {
          check_message (PB_SASL_XOAUTH2, user, token);
          check_message (PB_SASL_OAUTHBEARER, user, token);
        }
    }
  return 0;
}
