/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* The preferences, applied at once:
 * - the accounts: enable or disable each, edit it (name, user, server, port,
 *   security, interval), remove it after a confirmation (with its password in
 *   the keyring, its state file and, unless another account uses the same
 *   server, its trusted certificate), and "Add Account…" (app.add-account);
 * - notifications, privacy, the mail client and start at login (GSettings);
 * - the trusted certificates (trust.ini), each of which can be removed.
 * Account changes are written to accounts.ini and adopted by the monitor
 * (pb_monitor_reload). Interactive widgets carry widget names
 * ("enabled-switch", "edit-button", "remove-button", "name-entry", …) so
 * that they can be found by tests. */
#define PB_TYPE_PREFERENCES_WINDOW (pb_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (PbPreferencesWindow, pb_preferences_window, PB, PREFERENCES_WINDOW, GtkWindow)

/* @application may be NULL; @settings: the application's (pb-settings.h).
 * State files are looked for where the monitor keeps them by default
 * ($XDG_STATE_HOME/popbell). */
PbPreferencesWindow *pb_preferences_window_new (GtkApplication *application,
                                                PbMonitor      *monitor,
                                                GSettings      *settings);

G_END_DECLS
