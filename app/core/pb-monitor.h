/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-account-admin.h"
#include "pb-account-store.h"
#include "pb-checker.h"
#include "pb-pop3-client.h"
#include "pb-scheduler.h"
#include "pb-tls-trust.h"

G_BEGIN_DECLS

/* The applet's model, without widgets: the accounts, their seen state and
 * unacknowledged mail, the outcome of their last check, and the scheduler
 * that runs the checks. The desktop faces (notifications, tray, windows)
 * only read it and listen to its signals. */

typedef enum
{
  PB_ACCOUNT_STATE_IDLE,           /* never checked yet in this session */
  PB_ACCOUNT_STATE_CHECKING,
  PB_ACCOUNT_STATE_OK,             /* last check succeeded */
  PB_ACCOUNT_STATE_FAILING,        /* last check failed; retried with back-off */
  PB_ACCOUNT_STATE_NEEDS_PASSWORD, /* the server refused the password, or none is stored */
  PB_ACCOUNT_STATE_NEEDS_TRUST,    /* untrusted certificate: the user must review it */
  PB_ACCOUNT_STATE_KEYRING_LOCKED, /* the unlock prompt was dismissed, or not shown yet */
  PB_ACCOUNT_STATE_NO_KEYRING,     /* no Secret Service: a session password can be typed */
  PB_ACCOUNT_STATE_OFFLINE,
  PB_ACCOUNT_STATE_DISABLED,
  PB_ACCOUNT_STATE_NEEDS_SIGN_IN,  /* an OAuth2 sign-in is missing or was refused: sign in again */
} PbAccountState;

#define PB_TYPE_MONITOR (pb_monitor_get_type ())
G_DECLARE_FINAL_TYPE (PbMonitor, pb_monitor, PB, MONITOR, GObject)

/* @accounts and @pins loaded by the caller (their files are shared with the
 * command line); @scheduler NULL for a real one; @state_dir NULL for
 * $XDG_STATE_HOME/popbell. */
PbMonitor      *pb_monitor_new              (PbAccountStore *accounts,
                                             PbTrustStore   *pins,
                                             PbScheduler    *scheduler,
                                             const char     *state_dir);

/* Loads the seen state of every account and starts scheduling them.
 *
 * Started at login, the monitor races the session. For its first minute a
 * locked keyring or a Secret Service not on the bus yet is waited for
 * quietly: no unlock prompt of its own and no ::attention; the accounts are
 * checked again as soon as a collection is unlocked or the service appears
 * (at any time, not only in that minute). When the minute is over and they
 * still wait, the one unlock prompt is shown, or the user told. A check the
 * user asked for (check_now of one account, resume, a session password) is
 * not held back. Checks that can't reach the server in that minute are
 * retried soon and not counted as failures. */
void            pb_monitor_start            (PbMonitor      *self);

PbAccountStore *pb_monitor_get_account_store (PbMonitor     *self);
PbTrustStore   *pb_monitor_get_trust_store  (PbMonitor      *self);
PbScheduler    *pb_monitor_get_scheduler    (PbMonitor      *self);
/* Changes the monitor's files (accounts, pins, state, passwords): what the
 * windows call. (transfer none) */
PbAccountAdmin *pb_monitor_get_admin        (PbMonitor      *self);
/* (transfer none) PbAccount*: every account, disabled ones included, in file order. */
GPtrArray      *pb_monitor_get_accounts     (PbMonitor      *self);
PbAccount      *pb_monitor_lookup_account   (PbMonitor      *self,
                                             const char     *account_id);

PbAccountState  pb_monitor_get_state        (PbMonitor      *self,
                                             const char     *account_id);
/* The error of the last check, NULL after a success. (transfer none) */
const GError   *pb_monitor_get_error        (PbMonitor      *self,
                                             const char     *account_id);
/* The last finished check (success or failure), or NULL. (transfer none) */
PbCheckResult  *pb_monitor_get_last_result  (PbMonitor      *self,
                                             const char     *account_id);
/* The last successful check (its connection facts: TLS version, trust,
 * certificate), or NULL. (transfer none) */
PbCheckResult  *pb_monitor_get_last_success (PbMonitor      *self,
                                             const char     *account_id);
/* Unix time of the last successful check (this session or an earlier one), 0 if none. */
gint64          pb_monitor_get_last_success_time (PbMonitor *self,
                                             const char     *account_id);
/* Seconds the server wants between two logins (CAPA LOGIN-DELAY, RFC 2449),
 * as its last check learned, or 0. Checks are never closer than that. */
guint           pb_monitor_get_login_delay (PbMonitor       *self,
                                             const char     *account_id);
/* Unix time of the next planned check, 0 when none. */
gint64          pb_monitor_get_next_check_time (PbMonitor   *self,
                                             const char     *account_id);

/* (transfer none) PbMessage*, oldest first: new mail not acknowledged yet. */
GPtrArray      *pb_monitor_get_unacknowledged (PbMonitor    *self,
                                             const char     *account_id);
/* @account_id NULL: all accounts. */
guint           pb_monitor_count_unacknowledged (PbMonitor  *self,
                                             const char     *account_id);

/* The user's requests. @account_id NULL means all accounts. */
void            pb_monitor_check_now        (PbMonitor      *self,
                                             const char     *account_id);
/* Mark as read: the unacknowledged list becomes empty, saved at once. */
void            pb_monitor_acknowledge      (PbMonitor      *self,
                                             const char     *account_id);
/* A password typed for this session only (no keyring, or locked): kept in
 * memory, never written; the account is checked again at once. */
void            pb_monitor_set_session_password (PbMonitor  *self,
                                             const char     *account_id,
                                             const char     *password);
/* The user fixed the cause (stored a password, trusted a certificate):
 * check again at once. */
void            pb_monitor_resume           (PbMonitor      *self,
                                             const char     *account_id);
/* accounts.ini or trust.ini changed: adopts added, removed and edited
 * accounts. Once started, the monitor follows accounts.ini by itself (a
 * GFileMonitor, within a fraction of a second), and the trust store its
 * own file (pb_trust_store_watch). A file that can't be read keeps the
 * accounts held before. */
void            pb_monitor_reload           (PbMonitor      *self);
/* A window changed an account through pb_account_admin_*(): takes @account
 * (added or edited) as it is, without reading the file again. Another host,
 * port or user is another mailbox: its seen list and unread mail start anew
 * from its state file. */
void            pb_monitor_adopt_account    (PbMonitor      *self,
                                             PbAccount      *account);
/* Likewise after pb_account_admin_remove(). */
void            pb_monitor_forget_account   (PbMonitor      *self,
                                             const char     *account_id);

/* Signals:
 *   ::account-changed (const char *account_id)
 *        anything shown about the account changed (state, lists, times).
 *   ::new-mail (const char *account_id, GPtrArray *messages, guint count)
 *        a check found @count new messages; @messages (PbMessage*, newest
 *        last) are those with previews. Not emitted for the first check of an
 *        account (its mail is taken as seen).
 *   ::attention (const char *account_id, PbAccountState state, const GError *error)
 *        tell the user once: the account entered NEEDS_PASSWORD, NEEDS_TRUST,
 *        KEYRING_LOCKED or NO_KEYRING, or failed 3 times in a row (FAILING);
 *        not repeated while it stays so.
 *   ::acknowledged (const char *account_id)
 *        the user marked the account's mail as read (also when nothing was
 *        unacknowledged any more). */

G_END_DECLS
