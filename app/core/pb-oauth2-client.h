/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-oauth2-provider.h"

G_BEGIN_DECLS

/* What Popbell asks an identity provider, over HTTPS with libsoup: the token
 * endpoint (authorization code with PKCE, RFC 7636; refresh token; device code,
 * RFC 8628) and the device authorization endpoint. Every token is wiped when
 * freed, and the request and answer bodies that held one are wiped too.
 *
 * Errors are PB_OAUTH2_ERROR: the provider's "invalid_grant" to a refresh is
 * _NEEDS_SIGN_IN; "access_denied" is _DENIED; "expired_token" (or the device
 * code's own lifetime running out) is _EXPIRED; "temporarily_unavailable" and
 * HTTP 5xx are _TEMPORARY; other errors are _SERVER with the provider's
 * description; an answer that is not what RFC 6749 describes is _PROTOCOL.
 * A provider that can't be reached gives the GIO or TLS error, prefixed with
 * its host. */

typedef struct
{
  char   *access_token;   /* a bearer token (RFC 6750 b64token) */
  char   *refresh_token;  /* NULL when the provider gave none */
  gint64  expires_in;     /* seconds from when it was given; 0 when not said */
  char   *scope;          /* as granted, or NULL when not said */
} PbOAuth2Tokens;

void pb_oauth2_tokens_free (PbOAuth2Tokens *tokens);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbOAuth2Tokens, pb_oauth2_tokens_free)

typedef struct
{
  char  *device_code;
  char  *user_code;
  char  *verification_uri;
  char  *verification_uri_complete; /* with the code in it, or NULL */
  guint  expires_in;                /* seconds */
  guint  interval;                  /* seconds between polls (5 when not said) */
} PbOAuth2DeviceCode;

void pb_oauth2_device_code_free (PbOAuth2DeviceCode *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbOAuth2DeviceCode, pb_oauth2_device_code_free)

/* PKCE: a code verifier of 43 characters from 32 random octets, and its S256
 * challenge (BASE64URL of its SHA-256, without padding). */
char *pb_oauth2_pkce_verifier  (void);
char *pb_oauth2_pkce_challenge (const char *verifier);
/* A random "state" for an authorization request (22 URL-safe characters). */
char *pb_oauth2_random_state   (void);

/* The authorization request of the browser sign-in: response_type=code,
 * client_id, redirect_uri, scope, state, code_challenge (S256), the provider's
 * own authorization parameters, and login_hint when @login_hint is set. */
char *pb_oauth2_authorization_url (const PbOAuth2Provider *provider,
                                   const char             *redirect_uri,
                                   const char             *state,
                                   const char             *code_challenge,
                                   const char             *login_hint);

void            pb_oauth2_exchange_code_async  (const PbOAuth2Provider *provider,
                                                const char             *code,
                                                const char             *code_verifier,
                                                const char             *redirect_uri,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
PbOAuth2Tokens *pb_oauth2_exchange_code_finish (GAsyncResult           *result,
                                                GError                **error);

void            pb_oauth2_refresh_async        (const PbOAuth2Provider *provider,
                                                const char             *refresh_token,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
PbOAuth2Tokens *pb_oauth2_refresh_finish       (GAsyncResult           *result,
                                                GError                **error);

/* RFC 8628 §3.1-3.2: a device code and the user code to type at the
 * verification address. */
void                pb_oauth2_device_authorize_async  (const PbOAuth2Provider *provider,
                                                       GCancellable           *cancellable,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
PbOAuth2DeviceCode *pb_oauth2_device_authorize_finish (GAsyncResult           *result,
                                                       GError                **error);

/* RFC 8628 §3.4-3.5: polls the token endpoint every @device->interval seconds
 * until the user has signed in (the tokens), said no (_DENIED) or the code
 * expired (_EXPIRED); "authorization_pending" goes on waiting, "slow_down"
 * waits 5 seconds longer from then on. */
void            pb_oauth2_device_wait_async    (const PbOAuth2Provider   *provider,
                                                const PbOAuth2DeviceCode *device,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
PbOAuth2Tokens *pb_oauth2_device_wait_finish   (GAsyncResult             *result,
                                                GError                  **error);

G_END_DECLS
