/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-status"

#include "config.h"

#include "pb-status.h"

/* In the order of PbAccountState; other programs depend on these words. */
static const char *const state_names[] = {
  [PB_ACCOUNT_STATE_IDLE] = "idle",
  [PB_ACCOUNT_STATE_CHECKING] = "checking",
  [PB_ACCOUNT_STATE_OK] = "ok",
  [PB_ACCOUNT_STATE_FAILING] = "failing",
  [PB_ACCOUNT_STATE_NEEDS_PASSWORD] = "needs-password",
  [PB_ACCOUNT_STATE_NEEDS_TRUST] = "needs-trust",
  [PB_ACCOUNT_STATE_KEYRING_LOCKED] = "keyring-locked",
  [PB_ACCOUNT_STATE_NO_KEYRING] = "no-keyring",
  [PB_ACCOUNT_STATE_OFFLINE] = "offline",
  [PB_ACCOUNT_STATE_DISABLED] = "disabled",
};

const char *
pb_account_state_to_string (PbAccountState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (state_names), "idle");
  return state_names[state];
}

gboolean
pb_account_state_from_string (const char     *text,
                              PbAccountState *out)
{
  g_return_val_if_fail (out != NULL, FALSE);

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (text, state_names[i]) == 0)
      {
        *out = (PbAccountState) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
pb_account_state_needs_user (PbAccountState state)
{
  return state == PB_ACCOUNT_STATE_NEEDS_PASSWORD || state == PB_ACCOUNT_STATE_NEEDS_TRUST ||
         state == PB_ACCOUNT_STATE_KEYRING_LOCKED || state == PB_ACCOUNT_STATE_NO_KEYRING;
}
