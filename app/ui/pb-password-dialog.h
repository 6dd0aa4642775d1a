/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* Asks for the password of one account: "Remember in the keyring" stores it
 * there and checks again; without a keyring (or with a locked one),
 * "Use for This Session Only" keeps it in memory, never written. Closes
 * itself when done. Widget actions: "password.remember", "password.session". */
#define PB_TYPE_PASSWORD_DIALOG (pb_password_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PbPasswordDialog, pb_password_dialog, PB, PASSWORD_DIALOG, GtkWindow)

/* @application may be NULL. */
PbPasswordDialog *pb_password_dialog_new            (GtkApplication   *application,
                                                     PbMonitor        *monitor,
                                                     const char       *account_id);
const char       *pb_password_dialog_get_account_id (PbPasswordDialog *self);

G_END_DECLS
