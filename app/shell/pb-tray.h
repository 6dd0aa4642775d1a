/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* The tray icon: an org.kde.StatusNotifierItem with a com.canonical.dbusmenu
 * menu, exported on the session bus and registered with
 * org.kde.StatusNotifierWatcher whenever one is there (it may come, go and
 * come back). Without a watcher (GNOME without the AppIndicator extension)
 * it stays quiet: the applet works through notifications and the window.
 * It follows @monitor and runs the application's actions (pb-actions.h) on
 * @actions: Activate shows the mail window, SecondaryActivate checks now. */
#define PB_TYPE_TRAY (pb_tray_get_type ())
G_DECLARE_FINAL_TYPE (PbTray, pb_tray, PB, TRAY, GObject)

/* @connection: the session bus (tests pass a private one). @icon_theme_path:
 * where Popbell's own icons are (IconThemePath), or NULL. */
PbTray     *pb_tray_new                (GDBusConnection *connection,
                                        PbMonitor       *monitor,
                                        GActionGroup    *actions,
                                        const char      *icon_theme_path);
/* TRUE while registered with a watcher (property "registered", notified). */
gboolean    pb_tray_get_registered     (PbTray          *self);
/* The count of new messages drawn on the icon (IconPixmap), as the
 * application's PB_SETTINGS_SHOW_COUNT says; property "show-count",
 * TRUE by default. */
gboolean    pb_tray_get_show_count     (PbTray          *self);
void        pb_tray_set_show_count     (PbTray          *self,
                                        gboolean         show_count);
/* The object path of the item, for tests. */
const char *pb_tray_get_object_path    (PbTray          *self);

G_END_DECLS
