/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* Signs an OAuth2 account in again (the fix of "needs sign-in"): "Sign In
 * with Google…" opens the provider's page in the browser and waits (at most
 * 5 minutes) for its redirect to Popbell; the new sign-in goes into the
 * keyring and the account is checked at once. An account whose Google
 * account is in GNOME Online Accounts is sent there instead; a provider this
 * copy of Popbell has no client ID for is said plainly, with what works
 * instead. Closes itself when done. Widget actions: "sign-in.start",
 * "sign-in.online-accounts". */
#define PB_TYPE_SIGN_IN_DIALOG (pb_sign_in_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PbSignInDialog, pb_sign_in_dialog, PB, SIGN_IN_DIALOG, GtkWindow)

/* @application may be NULL. */
PbSignInDialog *pb_sign_in_dialog_new            (GtkApplication *application,
                                                  PbMonitor      *monitor,
                                                  const char     *account_id);
const char     *pb_sign_in_dialog_get_account_id (PbSignInDialog *self);

G_END_DECLS
