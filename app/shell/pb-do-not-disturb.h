/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The desktop's do-not-disturb: TRUE while the notification server says it
 * is inhibited (the Inhibited property of org.freedesktop.Notifications,
 * which newer servers such as Plasma's have), or while GNOME's
 * org.gnome.desktop.notifications show-banners is off (where that schema is
 * installed). Notifications are not shown meanwhile; what the tray, the
 * window and the D-Bus interface show still changes. */
#define PB_TYPE_DO_NOT_DISTURB (pb_do_not_disturb_get_type ())
G_DECLARE_FINAL_TYPE (PbDoNotDisturb, pb_do_not_disturb, PB, DO_NOT_DISTURB, GObject)

/* Follows the server on the session bus; until its properties are known
 * (they are asked for at once, without waiting), nothing is inhibited. */
PbDoNotDisturb *pb_do_not_disturb_new        (void);
gboolean        pb_do_not_disturb_get_active (PbDoNotDisturb *self);

G_END_DECLS
