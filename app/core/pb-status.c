/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-status"

#include "config.h"

#include <glib/gi18n.h>

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
  [PB_ACCOUNT_STATE_NEEDS_SIGN_IN] = "needs-sign-in",
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
         state == PB_ACCOUNT_STATE_KEYRING_LOCKED || state == PB_ACCOUNT_STATE_NO_KEYRING ||
         state == PB_ACCOUNT_STATE_NEEDS_SIGN_IN;
}

static const char *const status_names[] = {
  [PB_STATUS_NO_MAIL] = "no-mail",
  [PB_STATUS_OFFLINE] = "offline",
  [PB_STATUS_NEW_MAIL] = "new-mail",
  [PB_STATUS_PROBLEM] = "problem",
};

const char *
pb_status_to_string (PbStatus status)
{
  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (status_names), "no-mail");
  return status_names[status];
}

PbStatus
pb_status_summarize (const PbStatusAccount *accounts,
                     guint                  n_accounts,
                     PbStatus               previous)
{
  gboolean needs_user = FALSE;
  gboolean checking = FALSE;
  gboolean any_enabled = FALSE;
  gboolean all_offline = TRUE;
  guint unread = 0;

  for (guint i = 0; i < n_accounts; i++)
    {
      PbAccountState state = accounts[i].state;

      unread += accounts[i].unread;
      if (state == PB_ACCOUNT_STATE_DISABLED)
        continue;
      any_enabled = TRUE;
      needs_user |= pb_account_state_needs_user (state);
      checking |= state == PB_ACCOUNT_STATE_CHECKING;
      all_offline &= state == PB_ACCOUNT_STATE_OFFLINE;
    }

  if (needs_user)
    return PB_STATUS_PROBLEM;
  if (unread > 0)
    return PB_STATUS_NEW_MAIL;
  if (any_enabled && all_offline)
    return PB_STATUS_OFFLINE;
  if (checking && (previous == PB_STATUS_PROBLEM || previous == PB_STATUS_OFFLINE))
    return previous;
  return PB_STATUS_NO_MAIL;
}

const char *
pb_status_describe_brief (PbAccountState state,
                          gboolean       checked)
{
  switch (state)
    {
    case PB_ACCOUNT_STATE_CHECKING:
      return _("checking…");
    case PB_ACCOUNT_STATE_FAILING:
      return _("cannot connect");
    case PB_ACCOUNT_STATE_NEEDS_PASSWORD:
    case PB_ACCOUNT_STATE_NO_KEYRING:
      return _("password needed");
    case PB_ACCOUNT_STATE_NEEDS_TRUST:
      return _("certificate not trusted");
    case PB_ACCOUNT_STATE_KEYRING_LOCKED:
      return _("keyring locked");
    case PB_ACCOUNT_STATE_NEEDS_SIGN_IN:
      return _("sign-in needed");
    case PB_ACCOUNT_STATE_OFFLINE:
      return _("offline");
    case PB_ACCOUNT_STATE_IDLE:
      return checked ? NULL : _("not checked yet");
    case PB_ACCOUNT_STATE_OK:
    case PB_ACCOUNT_STATE_DISABLED:
    default:
      return NULL;
    }
}

char *
pb_status_describe (const PbStatusAccount *accounts,
                    guint                  n_accounts)
{
  g_autoptr(GString) body = g_string_new (NULL);

  for (guint i = 0; i < n_accounts; i++)
    {
      const char *description = pb_status_describe_brief (accounts[i].state,
                                                          accounts[i].checked);
      guint count = accounts[i].unread;
      g_autofree char *name = NULL;

      if (accounts[i].state == PB_ACCOUNT_STATE_DISABLED)
        continue;

      name = g_markup_escape_text (accounts[i].name, -1);
      if (body->len > 0)
        g_string_append_c (body, '\n');
      g_string_append_printf (body, "%s: ", name);
      if (count > 0)
        g_string_append_printf (body, g_dngettext (GETTEXT_PACKAGE, "%u new", "%u new", count),
                                count);
      else if (description == NULL)
        g_string_append (body, _("no new mail"));
      if (description != NULL)
        g_string_append_printf (body, "%s%s", count > 0 ? ", " : "", description);
    }

  if (body->len == 0)
    g_string_append (body, _("No accounts"));
  return g_string_free (g_steal_pointer (&body), FALSE);
}
