/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pb-monitor.h"

G_BEGIN_DECLS

/* The words other programs read for an account's state (D-Bus GetAccounts,
 * popbell --watch): "idle", "checking", "ok", "failing", "needs-password",
 * "needs-trust", "keyring-locked", "no-keyring", "offline", "disabled". */
const char *pb_account_state_to_string   (PbAccountState  state);
gboolean    pb_account_state_from_string (const char     *text,
                                          PbAccountState *out);
/* The user must act (a password, a certificate, the keyring) before the
 * account can be checked again. */
gboolean    pb_account_state_needs_user  (PbAccountState  state);

G_END_DECLS
