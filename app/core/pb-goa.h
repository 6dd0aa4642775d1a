/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* GNOME Online Accounts (org.gnome.OnlineAccounts on the session bus) as a
 * source of Google access tokens: a Google account there whose address is the
 * mailbox's, with Mail not switched off, gives its token
 * (OAuth2Based.GetAccessToken, after Account.EnsureCredentials). Its token
 * includes the mail scope. Only Google accounts are used: the Microsoft 365
 * provider of Online Accounts issues Microsoft Graph tokens, which POP3
 * refuses. No client ID of Popbell's is needed. */

typedef enum
{
  PB_GOA_NONE,          /* no such account, or no Online Accounts on the bus */
  PB_GOA_MAIL_DISABLED, /* the account is there, with Mail switched off by the user */
  PB_GOA_AVAILABLE,     /* it can give tokens */
} PbGoaAvailability;

/* Whether Online Accounts has a Google account for @address (compared
 * without case with its mail address, else its presentation identity). The
 * object path of the account is in *@account_path (may be NULL). Never fails:
 * Online Accounts not running is PB_GOA_NONE. */
void              pb_goa_lookup_async           (const char          *address,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
PbGoaAvailability pb_goa_lookup_finish          (GAsyncResult        *result,
                                                 char               **account_path);

/* An access token for @address from Online Accounts, with its lifetime in
 * *@expires_in (seconds, may be NULL). G_IO_ERROR_NOT_FOUND when there is no
 * usable account (none, or Mail switched off): then Popbell signs in by
 * itself. PB_OAUTH2_ERROR_NEEDS_SIGN_IN when Online Accounts can't renew the
 * credentials (the user must sign in again there). Free the token with
 * pb_oauth2_token_free. */
void              pb_goa_get_access_token_async  (const char          *address,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
char             *pb_goa_get_access_token_finish (GAsyncResult        *result,
                                                  gint64              *expires_in,
                                                  GError             **error);

G_END_DECLS
