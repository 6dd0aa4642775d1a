/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "app/core/pb-checker.h"
#include "app/core/pb-monitor.h"
#include "app/core/pb-tls-trust.h"

G_BEGIN_DECLS

/* What the windows say about accounts and connections, in plain words and
 * without widgets. Every text is translated; dates and times follow the
 * translation and the desktop's 12/24-hour setting. Times are Unix seconds
 * unless said otherwise; @now is passed in so that the texts can be tested. */

/* "10:35" or "10:35 AM", in local time. */
char     *pb_describe_time_of_day    (GDateTime      *time);
/* "3 March 2026", in local time. */
char     *pb_describe_date           (GDateTime      *date);
/* Compact, for a list of messages: "10:02" today, "Yesterday", "Monday" within
 * the week, "3 Mar" this year, "3 Mar 2025" before. */
char     *pb_describe_message_date   (GDateTime      *date,
                                      GDateTime      *now);
/* A phrase that completes "Checked …": "just now", "5 minutes ago",
 * "today at 10:02", "yesterday at 22:10", "on 3 March 2026". */
char     *pb_describe_time_ago       (gint64          then,
                                      gint64          now);
/* "next check at 10:35", "next check tomorrow at 00:10", "next check on
 * 5 March 2026", "next check in a moment". */
char     *pb_describe_next_check     (gint64          next,
                                      gint64          now);

/* How the connection of a successful check was protected: "Encrypted
 * (TLS 1.3) · certificate verified", "Encrypted (TLS 1.2) · certificate you
 * trusted on 3 March 2026". NULL when @result is NULL or a failure (nothing
 * is known yet). @pins may be NULL. */
char     *pb_describe_protection     (PbCheckResult  *result,
                                      PbTrustStore   *pins);
/* "The server's certificate expires in 5 days (on 8 March 2026)." when it
 * expires within PB_DESCRIBE_EXPIRY_WARNING_DAYS, "… expired on …" when it
 * has; NULL otherwise (or without a certificate or an end date). */
#define PB_DESCRIBE_EXPIRY_WARNING_DAYS 14
char     *pb_describe_expiry_warning (GTlsCertificate *certificate,
                                      GDateTime       *now);

/* One line about the account for its status: "Checked 2 minutes ago · next
 * check at 10:35", "Checking…", "Offline — Popbell checks when the network is
 * back", "The server didn't accept the password"… @error is the last
 * check's (it tells a refused password from a missing one); @last_success
 * and @next_check are 0 when unknown. */
char     *pb_describe_state_full     (PbAccountState  state,
                                      const GError   *error,
                                      gint64          last_success,
                                      gint64          next_check,
                                      gint64          now);
/* The same, read from @monitor. */
char     *pb_describe_state          (PbMonitor      *monitor,
                                      const char     *account_id,
                                      gint64          now);

/* The button that lets the user deal with @state: its label ("Review
 * Certificate…", "Enter Password…", "Try Again") and the application action
 * of pb-actions.h, which takes the account ID. FALSE when there is none. */
gboolean  pb_describe_fix            (PbAccountState  state,
                                      const char    **label,
                                      const char    **action_name);
/* The same for @account: one that signs in with an OAuth2 provider is never
 * asked for a password. Where the keyring is locked or missing, or no
 * sign-in is stored, what mends it is signing in ("Sign In…", the sign-in
 * action; the sign-in unlocks the keyring, or lasts for the session where
 * there is none). */
gboolean  pb_describe_account_fix    (PbAccount      *account,
                                      PbAccountState  state,
                                      const char    **label,
                                      const char    **action_name);
/* TRUE when pb_describe_account_fix () gives the sign-in action. */
gboolean  pb_describe_fix_is_sign_in (PbAccount      *account,
                                      PbAccountState  state);

/* A message as every face shows it: text from the server on one clean line,
 * cut to @max_chars (0: no limit). The sender's name (or address), or
 * "Unknown sender"; the subject, or "(no subject)"; and the line
 * "sender — subject" the tray and the notifications list. */
char     *pb_describe_sender         (const PbMessage *message,
                                      guint            max_chars);
char     *pb_describe_subject        (const PbMessage *message,
                                      guint            max_chars);
char     *pb_describe_message_line   (const PbMessage *message,
                                      guint            max_chars);

/* "No new mail", "1 new message", "5 new messages". */
char     *pb_describe_new_count      (guint           count);

/* Joins two parts of one line: "Checked 2 minutes ago · next check at 10:35". */
char     *pb_describe_join           (const char     *first,
                                      const char     *second);

G_END_DECLS
