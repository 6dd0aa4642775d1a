/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-monitor.h"

G_BEGIN_DECLS

/* A simple form to add an account: name, e-mail address or user name,
 * server, port, security and password. Saving checks the fields, stores the
 * password in the keyring (without a keyring: for this session only, and the
 * user is told), adds the account to accounts.ini and reloads the monitor.
 * Widget action: "form.save". */
#define PB_TYPE_ACCOUNT_FORM (pb_account_form_get_type ())
G_DECLARE_FINAL_TYPE (PbAccountForm, pb_account_form, PB, ACCOUNT_FORM, GtkWindow)

/* @application may be NULL. */
PbAccountForm *pb_account_form_new (GtkApplication *application,
                                    PbMonitor      *monitor);

/* An account ID made from @name (a display name or an e-mail address) that
 * @store does not use yet. */
char          *pb_account_form_make_id (PbAccountStore *store,
                                        const char     *name);

G_END_DECLS
