/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-oauth2"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-autoconfig.h"
#include "pb-error.h"
#include "pb-files.h"
#include "pb-oauth2-provider.h"

/* The built-in providers. Google takes the device grant only for a few scopes,
 * mail not among them, and gives a refresh token only with access_type=offline
 * (prompt=consent: on every sign-in, not only the first). Microsoft's "common"
 * tenant serves personal (Outlook.com) and work (Microsoft 365) accounts, and
 * gives a refresh token for offline_access. */
static const struct
{
  const char *id;
  const char *name;
  const char *authorization_endpoint;
  const char *token_endpoint;
  const char *device_endpoint;
  gboolean    device_grant;
  const char *client_id;
  const char *scope;
  const char *authorization_parameters;
  const char *help_url;
  gboolean    online_accounts;
} built_in[] = {
  {
    "google", "Google",
    "https://accounts.google.com/o/oauth2/v2/auth",
    "https://oauth2.googleapis.com/token",
    "https://oauth2.googleapis.com/device/code",
    FALSE,
    PB_GOOGLE_CLIENT_ID,
    "https://mail.google.com/",
    "access_type=offline&prompt=consent",
    "https://support.google.com/mail/answer/185833",
    TRUE,
  },
  {
    "microsoft", "Microsoft",
    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
    TRUE,
    PB_MICROSOFT_CLIENT_ID,
    "https://outlook.office.com/POP.AccessAsUser.All offline_access",
    NULL,
    "https://support.microsoft.com/office/"
    "pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040",
    /* Online Accounts' Microsoft tokens are for Microsoft Graph, not POP3. */
    FALSE,
  },
};

void
pb_oauth2_provider_free (PbOAuth2Provider *provider)
{
  if (provider == NULL)
    return;

  g_free (provider->id);
  g_free (provider->name);
  g_free (provider->authorization_endpoint);
  g_free (provider->token_endpoint);
  g_free (provider->device_endpoint);
  g_free (provider->client_id);
  if (provider->client_secret != NULL)
    explicit_bzero (provider->client_secret, strlen (provider->client_secret));
  g_free (provider->client_secret);
  g_free (provider->scope);
  g_free (provider->authorization_parameters);
  g_free (provider->ca_file);
  g_free (provider->help_url);
  g_free (provider);
}

PbOAuth2Provider *
pb_oauth2_provider_copy (const PbOAuth2Provider *provider)
{
  PbOAuth2Provider *copy;

  if (provider == NULL)
    return NULL;

  copy = g_new0 (PbOAuth2Provider, 1);
  copy->id = g_strdup (provider->id);
  copy->name = g_strdup (provider->name);
  copy->authorization_endpoint = g_strdup (provider->authorization_endpoint);
  copy->token_endpoint = g_strdup (provider->token_endpoint);
  copy->device_endpoint = g_strdup (provider->device_endpoint);
  copy->device_grant = provider->device_grant;
  copy->client_id = g_strdup (provider->client_id);
  copy->client_secret = g_strdup (provider->client_secret);
  copy->scope = g_strdup (provider->scope);
  copy->authorization_parameters = g_strdup (provider->authorization_parameters);
  copy->ca_file = g_strdup (provider->ca_file);
  copy->help_url = g_strdup (provider->help_url);
  copy->online_accounts = provider->online_accounts;
  copy->built_in = provider->built_in;
  return copy;
}

/* The user's oauth2.ini, or NULL when there is none (or it can't be read:
 * then the built-in providers still work, and the log says why). */
static GKeyFile *
load_user_file (void)
{
  g_autofree char *dir = pb_files_config_dir ();
  g_autofree char *path = g_build_filename (dir, "oauth2.ini", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  if (!pb_files_read (path, &contents, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("%s", error->message);
      return NULL;
    }
  if (!g_key_file_load_from_data (keyfile, contents, length, G_KEY_FILE_NONE, &error))
    {
      g_warning ("%s can’t be read: %s", path, error->message);
      return NULL;
    }
  return g_steal_pointer (&keyfile);
}

static gint
find_built_in (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (built_in); i++)
    if (g_strcmp0 (built_in[i].id, id) == 0)
      return (gint) i;
  return -1;
}

static char *
empty_to_null (char *text)
{
  if (text != NULL && *g_strstrip (text) == '\0')
    g_clear_pointer (&text, g_free);
  return text;
}

/* Replaces *@field with the key's value when the group has the key. */
static void
override (GKeyFile    *keyfile,
          const char  *group,
          const char  *key,
          char       **field)
{
  if (keyfile == NULL || !g_key_file_has_key (keyfile, group, key, NULL))
    return;
  g_free (*field);
  *field = empty_to_null (g_key_file_get_string (keyfile, group, key, NULL));
}

static gboolean
is_https_url (const char *text)
{
  g_autoptr(GUri) uri = NULL;

  if (text == NULL)
    return FALSE;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  return uri != NULL && g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' &&
         g_uri_get_userinfo (uri) == NULL;
}

/* An endpoint without a fragment (RFC 6749 §3.1): what follows "#" would hold
 * the parameters the authorization request appends, never sent. */
static gboolean
is_endpoint (const char *text)
{
  g_autoptr(GUri) uri = NULL;

  if (!is_https_url (text))
    return FALSE;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  return g_uri_get_fragment (uri) == NULL;
}

/* The parameters the authorization request sets itself; neither the
 * endpoint's own query nor authorization-parameters may set them again (a
 * second state or redirect_uri would make the request mean something else). */
static const char *const request_parameters[] = {
  "response_type", "client_id", "redirect_uri", "scope", "state",
  "code_challenge", "code_challenge_method", "login_hint",
};

/* TRUE when @query (name=value&…, percent-encoded) reads as parameters and
 * sets none of request_parameters. */
static gboolean
is_extra_query (const char *query)
{
  g_autoptr(GHashTable) params = NULL;

  if (query == NULL)
    return TRUE;
  if (strchr (query, '#') != NULL)
    return FALSE;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (request_parameters); i++)
    if (g_hash_table_contains (params, request_parameters[i]))
      return FALSE;
  return TRUE;
}

static const char *
endpoint_query (const char *endpoint)
{
  const char *mark = endpoint != NULL ? strchr (endpoint, '?') : NULL;

  return mark != NULL ? mark + 1 : NULL;
}

gboolean
pb_oauth2_provider_exists (const char *id)
{
  g_autoptr(GKeyFile) keyfile = NULL;

  if (id == NULL)
    return FALSE;
  if (find_built_in (id) >= 0)
    return TRUE;
  keyfile = load_user_file ();
  return keyfile != NULL && g_key_file_has_group (keyfile, id);
}

PbOAuth2Provider *
pb_oauth2_provider_lookup (const char  *id,
                           GError     **error)
{
  g_autoptr(GKeyFile) keyfile = load_user_file ();
  g_autoptr(PbOAuth2Provider) provider = NULL;
  gint index;

  g_return_val_if_fail (id != NULL, NULL);

  index = find_built_in (id);
  if (keyfile != NULL && !g_key_file_has_group (keyfile, id))
    g_clear_pointer (&keyfile, g_key_file_unref);
  if (index < 0 && keyfile == NULL)
    {
      g_set_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_UNKNOWN_PROVIDER,
                   _("There is no OAuth2 provider named “%s” (built in or in oauth2.ini)."), id);
      return NULL;
    }

  provider = g_new0 (PbOAuth2Provider, 1);
  provider->id = g_strdup (id);
  provider->device_grant = TRUE;
  if (index >= 0)
    {
      provider->built_in = TRUE;
      provider->name = g_strdup (built_in[index].name);
      provider->authorization_endpoint = g_strdup (built_in[index].authorization_endpoint);
      provider->token_endpoint = g_strdup (built_in[index].token_endpoint);
      provider->device_endpoint = g_strdup (built_in[index].device_endpoint);
      provider->device_grant = built_in[index].device_grant;
      provider->client_id = empty_to_null (g_strdup (built_in[index].client_id));
      provider->scope = g_strdup (built_in[index].scope);
      provider->authorization_parameters = g_strdup (built_in[index].authorization_parameters);
      provider->help_url = g_strdup (built_in[index].help_url);
      provider->online_accounts = built_in[index].online_accounts;
    }

  if (keyfile != NULL)
    {
      g_autofree char *name = g_key_file_get_locale_string (keyfile, id, "name", NULL, NULL);

      if (name != NULL && *g_strstrip (name) != '\0')
        {
          g_free (provider->name);
          provider->name = g_steal_pointer (&name);
        }
      override (keyfile, id, "authorization-endpoint", &provider->authorization_endpoint);
      override (keyfile, id, "token-endpoint", &provider->token_endpoint);
      override (keyfile, id, "device-authorization-endpoint", &provider->device_endpoint);
      override (keyfile, id, "client-id", &provider->client_id);
      override (keyfile, id, "client-secret", &provider->client_secret);
      override (keyfile, id, "scope", &provider->scope);
      override (keyfile, id, "authorization-parameters", &provider->authorization_parameters);
      override (keyfile, id, "ca-file", &provider->ca_file);
      override (keyfile, id, "help-url", &provider->help_url);
      if (g_key_file_has_key (keyfile, id, "device-grant", NULL))
        provider->device_grant = g_key_file_get_boolean (keyfile, id, "device-grant", NULL);
    }
  if (provider->name == NULL)
    provider->name = g_strdup (id);

  if (provider->token_endpoint == NULL || provider->scope == NULL ||
      (provider->authorization_endpoint == NULL && provider->device_endpoint == NULL))
    {
      g_set_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER,
                   _("The OAuth2 provider “%s” in oauth2.ini needs a token-endpoint, a scope, "
                     "and an authorization-endpoint or a device-authorization-endpoint."), id);
      return NULL;
    }
  if (!is_endpoint (provider->token_endpoint) ||
      (provider->authorization_endpoint != NULL &&
       !is_endpoint (provider->authorization_endpoint)) ||
      (provider->device_endpoint != NULL && !is_endpoint (provider->device_endpoint)))
    {
      g_set_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER,
                   _("Every endpoint of the OAuth2 provider “%s” must be an https:// address "
                     "(without “#”)."),
                   id);
      return NULL;
    }
  if (!is_extra_query (provider->authorization_parameters) ||
      !is_extra_query (endpoint_query (provider->authorization_endpoint)))
    {
      g_set_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER,
                   _("The authorization-parameters of the OAuth2 provider “%s” must be "
                     "name=value pairs joined by “&”, and may not set the ones Popbell sets "
                     "(such as state or redirect_uri)."),
                   id);
      return NULL;
    }
  if (provider->ca_file != NULL && !g_path_is_absolute (provider->ca_file))
    {
      g_set_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER,
                   _("The ca-file of the OAuth2 provider “%s” must be an absolute path."), id);
      return NULL;
    }
  if (provider->device_endpoint == NULL)
    provider->device_grant = FALSE;

  return g_steal_pointer (&provider);
}

GStrv
pb_oauth2_provider_list (void)
{
  g_autoptr(GKeyFile) keyfile = load_user_file ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < G_N_ELEMENTS (built_in); i++)
    g_strv_builder_add (builder, built_in[i].id);
  if (keyfile != NULL)
    {
      g_auto(GStrv) groups = g_key_file_get_groups (keyfile, NULL);

      for (guint i = 0; groups[i] != NULL; i++)
        if (find_built_in (groups[i]) < 0)
          g_strv_builder_add (builder, groups[i]);
    }
  return g_strv_builder_end (builder);
}

char *
pb_oauth2_provider_for_account (PbAccount *account)
{
  g_autoptr(PbServerCandidate) known = NULL;

  g_return_val_if_fail (PB_IS_ACCOUNT (account), NULL);

  if (pb_account_get_oauth2_provider (account) != NULL)
    return g_strdup (pb_account_get_oauth2_provider (account));
  known = pb_autoconfig_lookup_provider_by_host (pb_account_get_host (account));
  if (known == NULL || known->oauth2_provider == NULL)
    return NULL;
  return g_strdup (known->oauth2_provider);
}

gboolean
pb_oauth2_provider_has_client (const PbOAuth2Provider *provider)
{
  g_return_val_if_fail (provider != NULL, FALSE);

  return provider->client_id != NULL &&
         (provider->authorization_endpoint != NULL || provider->device_grant);
}
