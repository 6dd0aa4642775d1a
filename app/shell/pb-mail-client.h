/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "app/core/pb-account.h"

G_BEGIN_DECLS

/* Opens the user's mail client: the command set in PB_SETTINGS_MAIL_CLIENT,
 * else the system's handler for mailto: (x-scheme-handler/mailto), started
 * without an address. A clear error when there is none (G_IO_ERROR_NOT_FOUND),
 * or when the command can't be parsed (G_SHELL_ERROR) or started. */
gboolean pb_mail_client_open (GSettings          *settings,
                              GAppLaunchContext  *context,
                              GError            **error);
/* @account's mail: its webmail address (pb_account_get_webmail) in the
 * browser, the system's handler for https://, when it has one; else as
 * pb_mail_client_open. @account may be NULL. */
gboolean pb_mail_client_open_for (GSettings          *settings,
                                  PbAccount          *account,
                                  GAppLaunchContext  *context,
                                  GError            **error);

G_END_DECLS
