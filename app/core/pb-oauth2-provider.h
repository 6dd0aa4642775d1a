/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pb-account.h"

G_BEGIN_DECLS

/* The identity providers Popbell can sign in with (OAuth 2.0, RFC 6749), as
 * public clients: no secret is shipped. Built in: "google" and "microsoft",
 * with the client IDs the build was given (meson -Dgoogle_client_id=,
 * -Dmicrosoft_client_id=; empty by default). $XDG_CONFIG_HOME/popbell/oauth2.ini
 * adds providers or overrides them key by key, a group per provider:
 *
 *   [NAME]
 *   name=…                            shown as "Sign in with …" (default: NAME)
 *   authorization-endpoint=https://…  for the browser sign-in
 *   token-endpoint=https://…
 *   device-authorization-endpoint=https://…   (RFC 8628; optional)
 *   client-id=…
 *   client-secret=…                   only for a provider that wants one of
 *                                     every client (optional)
 *   scope=…                           space-separated
 *   authorization-parameters=k=v&…    more for the authorization request (optional)
 *   device-grant=false                the provider refuses the device grant for
 *                                     mail (Google) (optional)
 *   ca-file=/path                     CAs trusted for its endpoints, beside the
 *                                     system's (a private provider) (optional)
 *
 * Every endpoint must be an https:// URL without a fragment; neither the
 * authorization endpoint's query nor authorization-parameters may set a
 * parameter of the request itself (state, redirect_uri, scope, …). */

typedef struct
{
  char     *id;                      /* "google", "microsoft", or the group name */
  char     *name;                    /* "Google", "Microsoft", … */
  char     *authorization_endpoint;  /* NULL: no browser sign-in */
  char     *token_endpoint;
  char     *device_endpoint;         /* NULL: no device grant */
  gboolean  device_grant;            /* FALSE: the device grant can't give mail access */
  char     *client_id;               /* NULL when the build has none */
  char     *client_secret;           /* NULL for a public client */
  char     *scope;
  char     *authorization_parameters; /* "access_type=offline&prompt=consent", or NULL */
  char     *ca_file;                 /* NULL: the system's CAs */
  char     *help_url;                /* where the provider explains app passwords
                                      * and sign-ins for mail programs, or NULL */
  gboolean  online_accounts;         /* GNOME Online Accounts may sign in for it
                                      * (Google: pb-goa.h), without a client ID */
  gboolean  built_in;
} PbOAuth2Provider;

void              pb_oauth2_provider_free (PbOAuth2Provider *provider);
PbOAuth2Provider *pb_oauth2_provider_copy (const PbOAuth2Provider *provider);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbOAuth2Provider, pb_oauth2_provider_free)

/* TRUE when @id names a built-in provider or a group of oauth2.ini. */
gboolean          pb_oauth2_provider_exists (const char *id);

/* The provider @id, built-in merged with the user's oauth2.ini. NULL with
 * PB_OAUTH2_ERROR_UNKNOWN_PROVIDER, or _INVALID_PROVIDER when the entry lacks
 * a token endpoint, a scope or any way to sign in, or has an endpoint that is
 * not https://. A provider without a client ID is returned (client_id NULL):
 * the faces tell the user what else works. */
PbOAuth2Provider *pb_oauth2_provider_lookup (const char  *id,
                                             GError     **error);

/* The IDs of every provider, built-in first, then oauth2.ini's own. */
GStrv             pb_oauth2_provider_list   (void);

/* The provider @account signs in with: its own oauth2-provider, else the one
 * of its server in the built-in provider list (an account that took a
 * password on a server that now wants OAuth2), else NULL. */
char             *pb_oauth2_provider_for_account (PbAccount *account);

/* Whether a sign-in is possible at all: a client ID, and a way to sign in. */
gboolean          pb_oauth2_provider_has_client (const PbOAuth2Provider *provider);

G_END_DECLS
