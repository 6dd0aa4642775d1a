/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The XDG autostart entry: $XDG_CONFIG_HOME/autostart/io.github.popbell.Popbell.desktop,
 * written (atomically) when "start at login" is on, removed when it is off. */

char     *pb_autostart_get_path (void);
/* @command: what to run at login (e.g. "popbell"). */
gboolean  pb_autostart_apply    (gboolean     enabled,
                                 const char  *command,
                                 GError     **error);
/* Keeps the entry in line with PB_SETTINGS_START_AT_LOGIN from now on
 * (applies it once at once). Returns the handler ID on @settings. */
gulong    pb_autostart_follow   (GSettings   *settings,
                                 const char  *command);

G_END_DECLS
