/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* Edits one account: name, server, security, port, user, interval, whether
 * it is checked, and how its news are told (notifications for new mail,
 * with a sound or not, and for problems). "Save" (widget action
 * "editor.save") changes accounts.ini through the account administration,
 * starting from the file as it is now, and closes; another server or user
 * starts a new baseline there. Interactive widgets carry widget names
 * ("name-entry", "host-entry", "save-button"…) for the tests. */
#define PB_TYPE_ACCOUNT_EDITOR (pb_account_editor_get_type ())
G_DECLARE_FINAL_TYPE (PbAccountEditor, pb_account_editor, PB, ACCOUNT_EDITOR, GtkWindow)

/* NULL when @account_id is not an account of @monitor. @parent may be NULL. */
PbAccountEditor *pb_account_editor_new            (GtkWindow       *parent,
                                                   PbMonitor       *monitor,
                                                   const char      *account_id);
const char      *pb_account_editor_get_account_id (PbAccountEditor *self);

G_END_DECLS
