/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-monitor.h"

G_BEGIN_DECLS

/* The preferences: notifications, privacy, start at login and the mail
 * client (bound to GSettings, applied at once), and the accounts with
 * "Add Account…". */
#define PB_TYPE_PREFERENCES_WINDOW (pb_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (PbPreferencesWindow, pb_preferences_window, PB, PREFERENCES_WINDOW, GtkWindow)

/* @application may be NULL; @settings: the application's (pb-settings.h). */
PbPreferencesWindow *pb_preferences_window_new (GtkApplication *application,
                                                PbMonitor      *monitor,
                                                GSettings      *settings);

G_END_DECLS
