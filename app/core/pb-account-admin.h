/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-account.h"
#include "pb-pop3-client.h"

G_BEGIN_DECLS

/* Account administration: the one place that changes accounts.ini,
 * trust.ini, the state files and the keyring's items on behalf of the user.
 * The command line, the wizard and the preferences call it; nothing else
 * writes those stores (the monitor only records checks in state files).
 *
 * Each transaction reads the files afresh, so it never writes back a copy
 * that went stale while another process (the applet, a second command)
 * changed them, and it is all or nothing: a step that fails undoes the steps
 * before it, and accounts.ini, whose change the running applet follows, is
 * written last. The one exception is the keyring after a removal: the
 * account is gone once accounts.ini says so, and a password the keyring
 * then refuses to delete is reported (PB_SECRET_ERROR) without bringing the
 * account back.
 *
 * The functions without _async block on the keyring (which may show its
 * unlock prompt): the command line calls them; windows call the _async
 * forms, which run the same transaction in a worker thread. */

#define PB_TYPE_ACCOUNT_ADMIN (pb_account_admin_get_type ())
G_DECLARE_FINAL_TYPE (PbAccountAdmin, pb_account_admin, PB, ACCOUNT_ADMIN, GObject)

/* NULL paths mean $XDG_CONFIG_HOME/popbell/accounts.ini and trust.ini and
 * $XDG_STATE_HOME/popbell. */
PbAccountAdmin *pb_account_admin_new        (const char *accounts_path,
                                             const char *trust_path,
                                             const char *state_dir);
char           *pb_account_admin_state_path (PbAccountAdmin *self,
                                             const char     *account_id);

typedef struct
{
  PbAccount           *account;
  const char          *password;           /* NULL: nothing goes to the keyring */
  const char          *refresh_token;      /* the OAuth2 sign-in of an account with an
                                            * oauth2-provider, for the keyring; or NULL */
  gboolean             allow_session_only; /* no Secret Service: added anyway */
  GTlsCertificate     *certificate;        /* pinned for the account's host:port, or NULL */
  const PbPop3Listing *baseline;           /* what is on the server now, or NULL */
} PbAccountAddition;

/* Adds the account with its password, its pin and its baseline: the mail
 * on the server at @baseline counts as seen, whatever arrives later is new
 * (without one, the account's first check takes that role). An existing
 * account with that ID is PB_STORE_ERROR_EXISTS, invalid settings
 * PB_STORE_ERROR_INVALID, a weak certificate too. @session_only (may be
 * NULL) tells that no Secret Service runs and the password was not stored:
 * only with allow_session_only, else that is PB_SECRET_ERROR_NO_SERVICE. */
gboolean        pb_account_admin_add        (PbAccountAdmin          *self,
                                             const PbAccountAddition *addition,
                                             gboolean                *session_only,
                                             GCancellable            *cancellable,
                                             GError                 **error);
void            pb_account_admin_add_async  (PbAccountAdmin          *self,
                                             const PbAccountAddition *addition,
                                             GCancellable            *cancellable,
                                             GAsyncReadyCallback      callback,
                                             gpointer                 user_data);
gboolean        pb_account_admin_add_finish (PbAccountAdmin          *self,
                                             GAsyncResult            *result,
                                             gboolean                *session_only,
                                             GError                 **error);

/* A copy of the account @account_id as accounts.ini has it now (another
 * process may have changed it since the caller loaded it), to change and
 * hand to pb_account_admin_edit(). PB_STORE_ERROR_NOT_FOUND when gone. */
PbAccount      *pb_account_admin_dup_account (PbAccountAdmin      *self,
                                             const char           *account_id,
                                             GError              **error);

/* Replaces the settings of the account with @edited's ID by @edited's.
 * Another host, port or user is another mailbox: its baseline starts anew,
 * from @baseline when given (a login test of the new settings), else from
 * its next first check. The password stays (the keyring finds it by the
 * account's ID). Files only: fine to call from a window. */
gboolean        pb_account_admin_edit       (PbAccountAdmin       *self,
                                             PbAccount            *edited,
                                             const PbPop3Listing  *baseline,
                                             GError              **error);
gboolean        pb_account_admin_set_enabled (PbAccountAdmin      *self,
                                             const char           *account_id,
                                             gboolean              enabled,
                                             GError              **error);
gboolean        pb_account_admin_set_interval (PbAccountAdmin     *self,
                                             const char           *account_id,
                                             guint                 minutes,
                                             GError              **error);

/* Stores a new password for the account (PB_STORE_ERROR_NOT_FOUND for an
 * unknown one). */
gboolean        pb_account_admin_set_password (PbAccountAdmin     *self,
                                             const char           *account_id,
                                             const char           *password,
                                             GCancellable         *cancellable,
                                             GError              **error);
void            pb_account_admin_set_password_async (PbAccountAdmin *self,
                                             const char           *account_id,
                                             const char           *password,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean        pb_account_admin_set_password_finish (PbAccountAdmin *self,
                                             GAsyncResult         *result,
                                             GError              **error);

/* Stores a new OAuth2 sign-in (@refresh_token, from @provider) for the
 * account, replacing its earlier one, and makes @provider the account's
 * oauth2-provider when it was another or none (an account that used to take a
 * password). PB_STORE_ERROR_NOT_FOUND for an unknown account. */
gboolean        pb_account_admin_set_sign_in (PbAccountAdmin      *self,
                                             const char           *account_id,
                                             const char           *provider,
                                             const char           *refresh_token,
                                             GCancellable         *cancellable,
                                             GError              **error);
void            pb_account_admin_set_sign_in_async (PbAccountAdmin *self,
                                             const char           *account_id,
                                             const char           *provider,
                                             const char           *refresh_token,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean        pb_account_admin_set_sign_in_finish (PbAccountAdmin *self,
                                             GAsyncResult         *result,
                                             GError              **error);

/* Removes the account, its state file, its pin when no other account uses
 * that host:port, and its password or sign-in. @removed (may be NULL) receives the
 * account as it was. */
gboolean        pb_account_admin_remove     (PbAccountAdmin       *self,
                                             const char           *account_id,
                                             PbAccount           **removed,
                                             GCancellable         *cancellable,
                                             GError              **error);
void            pb_account_admin_remove_async (PbAccountAdmin     *self,
                                             const char           *account_id,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean        pb_account_admin_remove_finish (PbAccountAdmin    *self,
                                             GAsyncResult         *result,
                                             GError              **error);

/* Pins @certificate for @host:@port. A weak or revoked-by-policy certificate
 * (pb_certificate_is_weak) is refused with PB_STORE_ERROR_INVALID. Another
 * certificate already pinned there is PB_STORE_ERROR_EXISTS unless @replace;
 * @previous (may be NULL) receives the fingerprint (hex) it replaced, or
 * NULL. Pinning the certificate already pinned changes nothing. */
gboolean        pb_account_admin_trust      (PbAccountAdmin       *self,
                                             const char           *host,
                                             guint16               port,
                                             GTlsCertificate      *certificate,
                                             gboolean              replace,
                                             char                **previous,
                                             GError              **error);
/* PB_STORE_ERROR_NOT_FOUND when nothing is pinned there. */
gboolean        pb_account_admin_forget     (PbAccountAdmin       *self,
                                             const char           *host,
                                             guint16               port,
                                             GError              **error);

G_END_DECLS
