/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The application's actions: notifications, the tray and the windows all act
 * through these (GActionGroup of the application, "app." in widgets), and the
 * command line asks the running applet for them over D-Bus (org.gtk.Actions).
 * Names only, no code: here in core, every face can include them.
 * Actions taking an account take its ID as a string; "" means all accounts. */

#define PB_ACTION_CHECK_NOW          "check-now"          /* s: account or "" */
#define PB_ACTION_SHOW_WINDOW        "show-window"        /* no parameter */
#define PB_ACTION_OPEN_MAIL_CLIENT   "open-mail-client"   /* no parameter */
/* The account's mail: its webmail when it has one, else the mail client. */
#define PB_ACTION_OPEN_MAIL          "open-mail"          /* s: account or "" */
#define PB_ACTION_MARK_READ          "mark-read"          /* s: account or "" */
#define PB_ACTION_REVIEW_CERTIFICATE "review-certificate" /* s: account */
#define PB_ACTION_ENTER_PASSWORD     "enter-password"     /* s: account */
#define PB_ACTION_SIGN_IN            "sign-in"            /* s: account (OAuth2) */
#define PB_ACTION_PREFERENCES        "preferences"        /* no parameter */
#define PB_ACTION_ADD_ACCOUNT        "add-account"        /* no parameter */
#define PB_ACTION_QUIT               "quit"               /* no parameter */
