/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-account.h"

G_BEGIN_DECLS

/* Passwords live only in the Secret Service (libsecret), schema
 * io.github.popbell.Popbell.Account with the attributes account, user,
 * server and port. Items are found by "account" alone, so that editing the
 * host or user of an account still finds its password; storing writes all four.
 *
 * Errors are PB_SECRET_ERROR: _NO_SERVICE when no Secret Service runs, _LOCKED
 * when an item exists but its collection is locked (and @unlock was FALSE or
 * the user dismissed the prompt) — distinguished from _NOT_FOUND, which a
 * plain lookup in a locked gnome-keyring collection can't tell apart. */

const void *pb_secret_get_schema     (void); /* the const SecretSchema * */

/* Returned passwords are in non-pageable memory: free them with pb_secret_free. */
void      pb_secret_free             (char *password);

void      pb_secret_lookup_async     (const char          *account_id,
                                      gboolean             unlock,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
char     *pb_secret_lookup_finish    (GAsyncResult        *result,
                                      GError             **error);
char     *pb_secret_lookup_sync      (const char          *account_id,
                                      gboolean             unlock,
                                      GCancellable        *cancellable,
                                      GError             **error);

/* Stores (or replaces) the password of @account in the default collection. */
void      pb_secret_store_async      (PbAccount           *account,
                                      const char          *password,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  pb_secret_store_finish     (GAsyncResult        *result,
                                      GError             **error);
gboolean  pb_secret_store_sync       (PbAccount           *account,
                                      const char          *password,
                                      GCancellable        *cancellable,
                                      GError             **error);

/* The OAuth2 sign-in of an account: its refresh token, in items of their own
 * schema, io.github.popbell.Popbell.OAuth2 (attributes account, provider,
 * user), found by "account" alone like passwords. Lookup errors are those of
 * passwords (_NOT_FOUND: no sign-in stored; _LOCKED; _NO_SERVICE); the token is
 * in non-pageable memory (pb_secret_free). Storing replaces the account's
 * earlier sign-in. */
const void *pb_secret_get_token_schema   (void); /* the const SecretSchema * */
void      pb_secret_lookup_token_async   (const char          *account_id,
                                          gboolean             unlock,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char     *pb_secret_lookup_token_finish  (GAsyncResult        *result,
                                          GError             **error);
void      pb_secret_store_token_async    (PbAccount           *account,
                                          const char          *provider,
                                          const char          *refresh_token,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  pb_secret_store_token_finish   (GAsyncResult        *result,
                                          GError             **error);
gboolean  pb_secret_store_token_sync     (PbAccount           *account,
                                          const char          *provider,
                                          const char          *refresh_token,
                                          GCancellable        *cancellable,
                                          GError             **error);
/* Deletes the account's sign-in only (its password items stay). */
void      pb_secret_delete_token_async   (const char          *account_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  pb_secret_delete_token_finish  (GAsyncResult        *result,
                                          GError             **error);

/* Deletes every item of @account_id: its passwords and its sign-in. Deleting
 * nothing is not an error. */
void      pb_secret_delete_async     (const char          *account_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  pb_secret_delete_finish    (GAsyncResult        *result,
                                      GError             **error);
gboolean  pb_secret_delete_sync      (const char          *account_id,
                                      GCancellable        *cancellable,
                                      GError             **error);

G_END_DECLS
