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
 * (applies it once at once), but writes none before the user has seen the
 * choice (PB_SETTINGS_START_AT_LOGIN_ASKED: the first run's wizard asks; a
 * change of the preference is a choice too). Returns the handler ID on
 * @settings. */
gulong    pb_autostart_follow   (GSettings   *settings,
                                 const char  *command);
/* The user's answer to "Start Popbell when I log in". */
void      pb_autostart_choose   (GSettings   *settings,
                                 gboolean     start_at_login);
/* TRUE once the user has answered (or changed the preference). */
gboolean  pb_autostart_was_chosen (GSettings *settings);

G_END_DECLS
