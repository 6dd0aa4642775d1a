/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Keys of the GSettings schema io.github.popbell.Popbell (data/). */

#define PB_SETTINGS_SCHEMA          "io.github.popbell.Popbell"
#define PB_SETTINGS_NOTIFY_NEW_MAIL "notify-new-mail"   /* b: notifications for new mail */
#define PB_SETTINGS_NOTIFY_ERRORS   "notify-errors"     /* b: notifications for problems */
#define PB_SETTINGS_PRIVACY         "privacy-mode"      /* b: counts only, no senders or subjects */
#define PB_SETTINGS_MAIL_CLIENT     "mail-client"       /* s: a command line, "" = the system's mailto handler */
#define PB_SETTINGS_START_AT_LOGIN  "start-at-login"    /* b: autostart entry in $XDG_CONFIG_HOME/autostart */
#define PB_SETTINGS_SHOW_COUNT      "show-count"        /* b: the count of new mail drawn on the tray icon */
#define PB_SETTINGS_START_AT_LOGIN_ASKED "start-at-login-asked" /* b: the user has seen that choice */
