/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SASL bearer messages (XOAUTH2, OAUTHBEARER) and the server's error
 * challenge, byte for byte; the POP3 exchange is in test-pop3-client.c. */
#include "config.h"

#include <string.h>

#include "pb-sasl.h"
#include "pb-test-util.h"

static char *
decode (const char *encoded)
{
  gsize len = 0;
  guchar *raw = g_base64_decode (encoded, &len);
  char *text = g_strndup ((const char *) raw, len);

  g_assert_cmpuint (strlen (text), ==, len);
  g_free (raw);
  return text;
}

static void
test_xoauth2_message (void)
{
  g_autofree char *encoded = pb_sasl_bearer_response (PB_SASL_XOAUTH2, "someuser@example.com",
                                                      "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
                                                      "pop.gmail.com", 995);
  g_autofree char *raw = decode (encoded);

  g_assert_cmpstr (raw, ==, "user=someuser@example.com\001"
                            "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001");
}

static void
test_oauthbearer_message (void)
{
  g_autofree char *encoded = pb_sasl_bearer_response (PB_SASL_OAUTHBEARER, "user,x=y@example.com",
                                                      "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==",
                                                      "server.example.com", 995);
  g_autofree char *raw = decode (encoded);

  /* RFC 7628 §4.1, with the user name escaped as an RFC 5801 saslname. */
  g_assert_cmpstr (raw, ==, "n,a=user=2Cx=3Dy@example.com,\001host=server.example.com\001"
                            "port=995\001auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg=="
                            "\001\001");
  g_assert_cmpstr (pb_sasl_bearer_error_ack (PB_SASL_OAUTHBEARER), ==, "AQ==");
  g_assert_cmpstr (pb_sasl_bearer_error_ack (PB_SASL_XOAUTH2), ==, "");
}

static void
test_token_validity (void)
{
  g_autofree char *huge = g_strnfill (64 * 1024 + 1, 'a');
  const char *good[] = { "a", "ya29.a0-_~+/", "abc==", "EwB.x-y_z~1+2/3=" };
  const char *bad[] = { "", "=", "==abc", "a=b", "a b", "a\r\n", "a\001", "a,b", "\xc3\xa4",
                        "a\"b" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (pb_sasl_token_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (pb_sasl_token_is_valid (bad[i]));
  g_assert_false (pb_sasl_token_is_valid (huge));
  g_assert_false (pb_sasl_token_is_valid (NULL));

  g_assert_true (pb_sasl_user_is_valid ("taro@example.jp"));
  g_assert_true (pb_sasl_user_is_valid ("山田@example.jp"));
  g_assert_false (pb_sasl_user_is_valid (""));
  g_assert_false (pb_sasl_user_is_valid ("a\001b"));
  g_assert_false (pb_sasl_user_is_valid ("a\r\nb"));
  g_assert_false (pb_sasl_user_is_valid ("a\177"));
}

typedef struct
{
  const char *json;     /* NULL: .encoded as it is */
  const char *encoded;
  gboolean    ok;
  const char *status;
  const char *scope;
} ChallengeCase;

static void
test_error_challenge (void)
{
  g_autofree char *long_status = g_strnfill (300, 's');
  g_autofree char *long_json = g_strdup_printf ("{\"status\":\"%s\"}", long_status);
  g_autofree char *big = g_strnfill (20 * 1024, 'A');
  const ChallengeCase cases[] = {
    { "{\"status\":\"401\",\"schemes\":\"Bearer\",\"scope\":\"https://mail.google.com/\"}", NULL,
      TRUE, "401", "https://mail.google.com/" },
    { "{\"status\":\"invalid_token\",\"scope\":\"example_scope\","
      "\"openid-configuration\":\"https://example.com/.well-known/openid-configuration\"}", NULL,
      TRUE, "invalid_token", "example_scope" },
    { "{\"status\":400}", NULL, TRUE, "400", NULL },
    { "{\"status\":\"bad\\u001b[31m\\nline\"}", NULL, TRUE, "bad?[31m?line", NULL },
    { "{\"status\":[\"x\"],\"scope\":{}}", NULL, TRUE, NULL, NULL },
    { "{}", NULL, TRUE, NULL, NULL },
    { long_json, NULL, TRUE, NULL, NULL },
    { "[\"status\"]", NULL, FALSE, NULL, NULL },
    { "not json", NULL, FALSE, NULL, NULL },
    { NULL, "", FALSE, NULL, NULL },
    { NULL, "not base64!", FALSE, NULL, NULL },
    { NULL, "eyJ", FALSE, NULL, NULL },
    { NULL, big, FALSE, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *encoded = cases[i].json != NULL
                                 ? g_base64_encode ((const guchar *) cases[i].json,
                                                    strlen (cases[i].json))
                                 : g_strdup (cases[i].encoded);
      g_autofree char *status = NULL;
      g_autofree char *scope = NULL;
      gboolean ok = pb_sasl_parse_bearer_error (encoded, &status, &scope);

      g_test_message ("case %u", i);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (cases[i].json == long_json)
        {
          g_assert_cmpuint (strlen (status), ==, 100);
          continue;
        }
      g_assert_cmpstr (status, ==, cases[i].status);
      g_assert_cmpstr (scope, ==, cases[i].scope);
    }
}

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/sasl/xoauth2/message", test_xoauth2_message);
  g_test_add_func ("/pb/sasl/oauthbearer/message-rfc7628", test_oauthbearer_message);
  g_test_add_func ("/pb/sasl/bearer/token-and-user-validity", test_token_validity);
  g_test_add_func ("/pb/sasl/bearer/error-challenge", test_error_challenge);

  return g_test_run ();
}
