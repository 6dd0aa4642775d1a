/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-account.h"
#include "pb-oauth2-client.h"

G_BEGIN_DECLS

/* The access tokens of accounts that sign in with OAuth2. The refresh token
 * lives in the keyring (pb_secret_*_token); the access token only in this
 * process's memory, wiped when it is dropped, and refreshed when less than
 * PB_OAUTH2_REFRESH_MARGIN seconds of it are left. A refresh token the provider
 * replaces (rotation) is stored again before the new access token is handed
 * out. */

#define PB_OAUTH2_REFRESH_MARGIN 120 /* seconds */

typedef enum
{
  PB_OAUTH2_TOKEN_NONE   = 0,
  PB_OAUTH2_TOKEN_FRESH  = 1 << 0, /* not the one in memory: the server refused it */
  PB_OAUTH2_TOKEN_UNLOCK = 1 << 1, /* the keyring may show its unlock prompt */
} PbOAuth2TokenFlags;

/* An access token for @account (which has an OAuth2 provider). Errors: the
 * provider's (pb_oauth2_provider_lookup, PB_OAUTH2_ERROR_NO_CLIENT_ID), the
 * keyring's (PB_SECRET_ERROR_LOCKED, _NO_SERVICE…), PB_OAUTH2_ERROR_NEEDS_SIGN_IN
 * when no sign-in is stored or the provider refused it (invalid_grant), and
 * those of the token endpoint. The token is in memory that is wiped: free it
 * with pb_oauth2_token_free. *@cached (may be NULL) says whether it came from
 * memory, without asking the provider. */
void      pb_oauth2_get_access_token_async  (PbAccount           *account,
                                             PbOAuth2TokenFlags   flags,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
char     *pb_oauth2_get_access_token_finish (GAsyncResult        *result,
                                             gboolean            *cached,
                                             GError             **error);
void      pb_oauth2_token_free              (char                *token);

/* The user signed in: the refresh token of @tokens goes into the keyring for
 * @account (replacing an earlier one), the access token into memory. Without a
 * refresh token fails with PB_OAUTH2_ERROR_PROTOCOL: Popbell could not stay
 * signed in. */
void      pb_oauth2_save_sign_in_async      (PbAccount            *account,
                                             const PbOAuth2Tokens *tokens,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean  pb_oauth2_save_sign_in_finish     (GAsyncResult         *result,
                                             GError              **error);

/* Keeps the access token of @tokens in memory for @account (whose sign-in was
 * stored by other means: pb_account_admin_add, _set_sign_in). */
void      pb_oauth2_remember_access_token   (PbAccount            *account,
                                             const PbOAuth2Tokens *tokens);

/* Drops (and wipes) the access token in memory of @account_id (NULL: all). */
void      pb_oauth2_forget_access_token     (const char           *account_id);

/* Where there is no keyring: @refresh_token is kept in (wiped) memory for
 * @account until Popbell quits, the provider refuses it, or the account's
 * provider or user changes; access tokens are made from it instead of the
 * keyring's. A rotated refresh token replaces it there. */
void      pb_oauth2_keep_session_sign_in    (PbAccount            *account,
                                             const char           *refresh_token);
/* Drops (and wipes) the session's sign-in of @account_id (NULL: all). */
void      pb_oauth2_forget_session_sign_in  (const char           *account_id);

G_END_DECLS
