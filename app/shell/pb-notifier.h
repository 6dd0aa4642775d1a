/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* Desktop notifications (libnotify) for what the monitor reports:
 *
 * - new mail: one notification per account and check round, replaced (not
 *   stacked) while it is shown; one message: the sender as the title and the
 *   subject as the body; several: the count and the newest few
 *   "Sender — Subject" lines; privacy mode: the count only. Actions "Open
 *   mail client" (or "Open webmail"; default) and "Mark as read", only when
 *   the server has the "actions" capability; without a tray icon
 *   ("tray-shown" FALSE) the default shows the mail window and "Open" is a
 *   button. Withdrawn when the mail is acknowledged.
 * - attention: untrusted certificate ("Can't verify the identity of HOST",
 *   action "Review certificate…"), password refused or missing, keyring
 *   locked or absent ("Enter password…"), repeated connection failures
 *   (once). Closed when the account is fine again.
 * Each account can turn either kind off and choose its sound (pb-account.h;
 * new mail asks for it with the "sound-name" hint). While the desktop's
 * do-not-disturb is on (pb-do-not-disturb.h) nothing is shown; the tray and
 * the window still change.
 * Text from servers and mail is escaped when the server takes body markup.
 * Actions run the application's actions (pb-actions.h) on @actions.
 *
 * Signal "activation-token" (const char *token): the user clicked an action
 * and the server sent a token for it (an XDG activation token on Wayland, a
 * startup notification ID on X11); emitted just before the action runs, so
 * that a window it opens can pass the token on and be given the focus. */

#define PB_TYPE_NOTIFIER (pb_notifier_get_type ())
G_DECLARE_FINAL_TYPE (PbNotifier, pb_notifier, PB, NOTIFIER, GObject)

/* @settings: the application's GSettings (pb-settings.h keys), or NULL for
 * the defaults (everything told, no privacy mode). Calls notify_init () if
 * nobody did; the application calls notify_uninit () when it quits, which
 * withdraws notifications whose actions would have nobody to run them. */
PbNotifier *pb_notifier_new (PbMonitor    *monitor,
                             GActionGroup *actions,
                             GSettings    *settings);

G_END_DECLS
