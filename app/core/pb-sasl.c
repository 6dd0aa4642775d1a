/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "pb-sasl.h"

/* Tokens seen in practice: Google's about 200 octets, Microsoft's 1.5-3 KiB. */
#define MAX_TOKEN_LENGTH     (64 * 1024)
#define MAX_CHALLENGE_LENGTH (16 * 1024)
#define MAX_SHOWN_CHARS      100

const char *
pb_sasl_bearer_name (PbSaslBearer mechanism)
{
  return mechanism == PB_SASL_OAUTHBEARER ? "OAUTHBEARER" : "XOAUTH2";
}

gboolean
pb_sasl_token_is_valid (const char *token)
{
  const char *p;

  if (token == NULL || *token == '\0')
    return FALSE;

  for (p = token; *p != '\0' && *p != '='; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-._~+/", *p) == NULL)
      return FALSE;
  if (p == token)
    return FALSE;
  for (; *p == '='; p++)
    ;
  return *p == '\0' && (gsize) (p - token) <= MAX_TOKEN_LENGTH;
}

gboolean
pb_sasl_user_is_valid (const char *user)
{
  if (user == NULL || *user == '\0')
    return FALSE;
  for (const guchar *p = (const guchar *) user; *p != '\0'; p++)
    if (*p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* RFC 5801 saslname: "," and "=" are written =2C and =3D. */
static void
append_saslname (GString    *out,
                 const char *user)
{
  for (const char *p = user; *p != '\0'; p++)
    {
      if (*p == ',')
        g_string_append (out, "=2C");
      else if (*p == '=')
        g_string_append (out, "=3D");
      else
        g_string_append_c (out, *p);
    }
}

char *
pb_sasl_bearer_response (PbSaslBearer  mechanism,
                         const char   *user,
                         const char   *token,
                         const char   *host,
                         guint16       port)
{
  GString *raw;
  char *encoded;

  g_return_val_if_fail (pb_sasl_user_is_valid (user), NULL);
  g_return_val_if_fail (pb_sasl_token_is_valid (token), NULL);

  /* Sized once: growing would leave copies of the token behind unwiped. */
  raw = g_string_sized_new (strlen (token) + 3 * strlen (user) +
                            (host != NULL ? strlen (host) : 0) + 64);

  if (mechanism == PB_SASL_OAUTHBEARER)
    {
      g_string_append (raw, "n,a=");
      append_saslname (raw, user);
      g_string_append (raw, ",\001");
      if (host != NULL && *host != '\0')
        g_string_append_printf (raw, "host=%s\001port=%u\001", host, port);
    }
  else
    {
      g_string_append (raw, "user=");
      g_string_append (raw, user);
      g_string_append_c (raw, '\001');
    }
  g_string_append (raw, "auth=Bearer ");
  g_string_append (raw, token);
  g_string_append (raw, "\001\001");

  encoded = g_base64_encode ((const guchar *) raw->str, raw->len);
  explicit_bzero (raw->str, raw->allocated_len);
  g_string_free (raw, TRUE);
  return encoded;
}

const char *
pb_sasl_bearer_error_ack (PbSaslBearer mechanism)
{
  return mechanism == PB_SASL_OAUTHBEARER ? "AQ==" : "";
}

static gboolean
is_base64 (const char *text)
{
  gsize len = strlen (text);
  gsize pad = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;
  while (pad < 2 && text[len - 1 - pad] == '=')
    pad++;
  for (gsize i = 0; i < len - pad; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return FALSE;
  return TRUE;
}

/* A member of the challenge as printable ASCII, or NULL. Google sends the
 * status as a string ("401"); a number is taken too. */
static char *
member_text (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autofree char *value = NULL;
  GString *out;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    value = g_strdup (json_node_get_string (node));
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    value = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  else
    return NULL;

  out = g_string_new (NULL);
  for (const char *p = value; *p != '\0' && out->len < MAX_SHOWN_CHARS; p++)
    g_string_append_c (out, (*p >= 0x20 && *p < 0x7f) ? *p : '?');
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

gboolean
pb_sasl_parse_bearer_error (const char  *challenge,
                            char       **status,
                            char       **scope)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree guchar *decoded = NULL;
  gsize decoded_len = 0;
  JsonNode *root;

  g_return_val_if_fail (status != NULL && scope != NULL, FALSE);
  *status = NULL;
  *scope = NULL;

  if (challenge == NULL || strlen (challenge) > MAX_CHALLENGE_LENGTH || !is_base64 (challenge))
    return FALSE;

  decoded = g_base64_decode (challenge, &decoded_len);
  if (decoded == NULL || decoded_len == 0 || memchr (decoded, '\0', decoded_len) != NULL)
    return FALSE;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, (const char *) decoded, decoded_len, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;

  *status = member_text (json_node_get_object (root), "status");
  *scope = member_text (json_node_get_object (root), "scope");
  return TRUE;
}
