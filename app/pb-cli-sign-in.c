/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>

#include "app/core/pb-account-admin.h"
#include "app/core/pb-autoconfig.h"
#include "app/core/pb-error.h"
#include "app/core/pb-goa.h"
#include "app/core/pb-oauth2-sign-in.h"
#include "pb-cli-private.h"

/* The OAuth2 sign-ins of the command line. A terminal may be far from any
 * browser, so the device grant (RFC 8628) comes first: an address and a code
 * to type there, on any device. Google refuses mail scopes for it; there the
 * browser sign-in runs, with its address printed for a browser elsewhere. */

PbOAuth2Provider *
pb_cli_lookup_provider (const char *id)
{
  g_autoptr(PbOAuth2Provider) provider = NULL;
  g_autoptr(GError) error = NULL;

  provider = pb_oauth2_provider_lookup (id, &error);
  if (provider == NULL)
    {
      g_auto(GStrv) known = pb_oauth2_provider_list ();
      g_autofree char *list = g_strjoinv (", ", known);

      pb_cli_print_error ("%s", error->message);
      /* Translators: a list of provider names, such as "google, microsoft". */
      g_printerr (_("Known providers: %s.\n"), list);
      return NULL;
    }
  if (!pb_oauth2_provider_has_client (provider))
    {
      pb_cli_print_error (_("This copy of Popbell has no client ID for signing in with %s, so "
                            "it can’t sign in there."), provider->name);
      /* What works instead: never a dead end. */
      g_printerr (_("Instead you can:\n"
                    "  • give Popbell a client ID of your own: client-id= in the [%s] group of "
                    "~/.config/popbell/oauth2.ini;\n"), provider->id);
      if (g_strcmp0 (provider->id, "google") == 0)
        g_printerr (_("  • add your Google account to GNOME Online Accounts (Settings → Online "
                      "Accounts): Popbell signs in through it;\n"
                      "  • use an app password instead, without --oauth: %s\n"),
                    provider->help_url);
      else if (provider->help_url != NULL)
        g_printerr (_("  • read what %s says about mail programs: %s\n"), provider->name,
                    provider->help_url);
      return NULL;
    }
  return g_steal_pointer (&provider);
}

static void
print_device_code (const PbOAuth2Provider   *provider,
                   const PbOAuth2DeviceCode *device)
{
  g_autofree char *code = pb_cli_safe_text (device->user_code);
  g_autofree char *uri = pb_cli_safe_text (device->verification_uri);
  guint minutes = MAX (1, device->expires_in / 60);

  /* Translators: a provider, an address, then the code to type there. */
  g_print (_("To sign in with %s, open %s on any device and enter the code\n\n    %s\n\n"),
           provider->name, uri, code);
  g_print (g_dngettext (GETTEXT_PACKAGE,
                        "Waiting for the sign-in (the code is good for %u minute)…\n",
                        "Waiting for the sign-in (the code is good for %u minutes)…\n", minutes),
           minutes);
  /* Whoever reads this waits for it, maybe through a pipe. */
  fflush (stdout);
}

static PbOAuth2Tokens *
device_sign_in (const PbOAuth2Provider  *provider,
                GError                 **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PbOAuth2DeviceCode) device = NULL;

  pb_oauth2_device_authorize_async (provider, NULL, pb_cli_store_result, &result);
  pb_cli_wait_for (&result);
  device = pb_oauth2_device_authorize_finish (result, error);
  if (device == NULL)
    return NULL;
  g_clear_object (&result);

  print_device_code (provider, device);
  pb_oauth2_device_wait_async (provider, device, NULL, pb_cli_store_result, &result);
  pb_cli_wait_for (&result);
  return pb_oauth2_device_wait_finish (result, error);
}

static void
open_url (const char *url,
          gpointer    user_data)
{
  const PbOAuth2Provider *provider = user_data;
  g_autoptr(GError) error = NULL;
  guint minutes = PB_OAUTH2_SIGN_IN_TIMEOUT / 60;

  /* Translators: a provider, then the address of its sign-in page. */
  g_print (_("To sign in with %s, open this address in a browser on this computer:\n\n"
             "    %s\n\n"), provider->name, url);
  g_print (g_dngettext (GETTEXT_PACKAGE,
                        "Waiting for the sign-in (at most %u minute)…\n",
                        "Waiting for the sign-in (at most %u minutes)…\n", minutes), minutes);
  fflush (stdout);
  if (!pb_oauth2_open_in_browser (url, &error))
    g_debug ("No browser opened the address: %s", error->message);
}

static PbOAuth2Tokens *
browser_sign_in (const PbOAuth2Provider  *provider,
                 const char              *user,
                 GError                 **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_oauth2_browser_sign_in_async (provider, user, 0, open_url, (gpointer) provider, NULL,
                                   pb_cli_store_result, &result);
  pb_cli_wait_for (&result);
  return pb_oauth2_browser_sign_in_finish (result, error);
}

static PbOAuth2Tokens *
own_sign_in (const PbOAuth2Provider *provider,
             const char             *user)
{
  g_autoptr(GError) error = NULL;
  PbOAuth2Tokens *tokens;

  if (provider->device_grant)
    tokens = device_sign_in (provider, &error);
  else
    tokens = browser_sign_in (provider, user, &error);

  if (tokens == NULL)
    {
      pb_cli_print_error (_("Could not sign in: %s"), error->message);
      return NULL;
    }
  if (tokens->refresh_token == NULL)
    {
      pb_cli_print_error (_("%s signed you in, but gave no refresh token, so Popbell could not "
                            "stay signed in."), provider->name);
      g_clear_pointer (&tokens, pb_oauth2_tokens_free);
      return NULL;
    }
  g_print (_("Signed in with %s.\n"), provider->name);
  return tokens;
}

/* An access token from GNOME Online Accounts for @user, or NULL (none there,
 * after saying why when it is there but can't be used). */
static PbOAuth2Tokens *
online_accounts_token (const PbOAuth2Provider *provider,
                       const char             *user,
                       gboolean               *failed)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PbOAuth2Tokens *tokens;
  gint64 expires_in = 0;
  char *token;

  *failed = FALSE;
  if (!provider->online_accounts)
    return NULL;
  pb_goa_get_access_token_async (user, NULL, pb_cli_store_result, &result);
  pb_cli_wait_for (&result);
  token = pb_goa_get_access_token_finish (result, &expires_in, &error);
  if (token == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          pb_cli_print_error ("%s", error->message);
          *failed = TRUE;
        }
      return NULL;
    }
  tokens = g_new0 (PbOAuth2Tokens, 1);
  tokens->access_token = token;
  tokens->expires_in = expires_in;
  /* Translators: a provider (Google), then the address. */
  g_print (_("Signed in with %s through GNOME Online Accounts (%s).\n"), provider->name, user);
  return tokens;
}

PbOAuth2Tokens *
pb_cli_sign_in (const char *provider_id,
                const char *user)
{
  g_autoptr(PbOAuth2Provider) provider = NULL;
  g_autoptr(GError) error = NULL;
  PbOAuth2Tokens *tokens;
  gboolean failed;

  provider = pb_oauth2_provider_lookup (provider_id, &error);
  if (provider == NULL)
    {
      g_auto(GStrv) known = pb_oauth2_provider_list ();
      g_autofree char *list = g_strjoinv (", ", known);

      pb_cli_print_error ("%s", error->message);
      /* Translators: a list of provider names, such as "google, microsoft". */
      g_printerr (_("Known providers: %s.\n"), list);
      return NULL;
    }

  tokens = online_accounts_token (provider, user, &failed);
  if (tokens != NULL || failed)
    return tokens;

  g_clear_pointer (&provider, pb_oauth2_provider_free);
  provider = pb_cli_lookup_provider (provider_id);
  if (provider == NULL)
    return NULL;
  return own_sign_in (provider, user);
}

/* ---- --sign-in ------------------------------------------------------------- */

int
pb_cli_run_sign_in (GVariantDict *options,
                    const char   *id)
{
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL, NULL, NULL);
  g_autoptr(PbAccountStore) store = pb_cli_load_accounts ();
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  const char *provider_id = NULL;
  PbAccount *account;

  if (store == NULL)
    return 1;
  account = pb_account_store_lookup (store, id);
  if (account == NULL)
    {
      pb_cli_print_error (_("There is no account “%s”. See popbell --list-accounts."), id);
      return 1;
    }

  /* The account's provider, another one given, or the one its server has. */
  if (!g_variant_dict_lookup (options, "oauth", "&s", &provider_id))
    provider_id = pb_account_get_oauth2_provider (account);
  if (provider_id == NULL)
    {
      g_autoptr(PbServerCandidate) known =
        pb_autoconfig_lookup_provider_by_host (pb_account_get_host (account));

      if (known != NULL && known->oauth2_provider != NULL)
        provider_id = known->oauth2_provider;
      if (provider_id == NULL)
        {
          pb_cli_print_error (_("“%s” signs in with a password. To sign in with OAuth2 instead, "
                                "name the provider with --oauth=PROVIDER."), id);
          return PB_CLI_EXIT_USAGE;
        }
      tokens = pb_cli_sign_in (provider_id, pb_account_get_user (account));
    }
  else
    tokens = pb_cli_sign_in (provider_id, pb_account_get_user (account));
  if (tokens == NULL)
    return 1;

  /* Online Accounts signs in for it: nothing of Popbell's to store. */
  if (tokens->refresh_token == NULL)
    {
      if (g_strcmp0 (pb_account_get_oauth2_provider (account), provider_id) != 0)
        {
          g_autoptr(PbAccount) edited = pb_account_copy (account, NULL);

          pb_account_set_oauth2_provider (edited, provider_id);
          if (!pb_account_admin_edit (admin, edited, NULL, &error))
            {
              pb_cli_print_error ("%s", error->message);
              return 1;
            }
        }
      return 0;
    }
  if (!pb_account_admin_set_sign_in (admin, id, provider_id, tokens->refresh_token, NULL,
                                     &error))
    {
      pb_cli_print_error ("%s", error->message);
      return 1;
    }
  g_print (_("Stored the new sign-in of “%s”.\n"), id);
  return 0;
}
