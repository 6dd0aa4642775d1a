/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pb-monitor.h"

G_BEGIN_DECLS

/* The words other programs read for an account's state (D-Bus GetAccounts,
 * popbell --watch): "idle", "checking", "ok", "failing", "needs-password",
 * "needs-trust", "keyring-locked", "no-keyring", "offline", "disabled",
 * "needs-sign-in" (an OAuth2 account whose sign-in is missing or was refused). */
const char *pb_account_state_to_string   (PbAccountState  state);
gboolean    pb_account_state_from_string (const char     *text,
                                          PbAccountState *out);
/* The user must act (a password, a certificate, the keyring) before the
 * account can be checked again. */
gboolean    pb_account_state_needs_user  (PbAccountState  state);

/* What Popbell as a whole shows (the tray's icon, popbell --watch), from
 * least to most pressing. The words: "no-mail", "offline", "new-mail",
 * "problem". */
typedef enum
{
  PB_STATUS_NO_MAIL,
  PB_STATUS_OFFLINE,
  PB_STATUS_NEW_MAIL,
  PB_STATUS_PROBLEM,
} PbStatus;

const char *pb_status_to_string          (PbStatus        status);

/* One account as the faces show it. */
typedef struct
{
  const char     *name;
  PbAccountState  state;
  guint           unread;
  gboolean        checked;    /* it had a successful check, now or in an earlier session */
} PbStatusAccount;

/* A problem (an account the user must act on) before new mail, new mail
 * before offline (every enabled account offline). While an account is being
 * checked, a problem or offline in @previous stays: a check says nothing
 * yet, and the icon should not flicker on every round. New mail does not
 * stay: its count is known, and zero means the user has read it. */
PbStatus    pb_status_summarize          (const PbStatusAccount *accounts,
                                          guint                  n_accounts,
                                          PbStatus               previous);
/* A few words for a short list: "checking…", "cannot connect", "password
 * needed", "offline"…, "not checked yet" for an account that never had a
 * successful check (@checked FALSE) and nothing else to say, or NULL when
 * all is well. */
const char *pb_status_describe_brief     (PbAccountState  state,
                                          gboolean        checked);
/* A line per enabled account: "Home: 2 new", "Work: no new mail",
 * "Work: password needed", "Home: not checked yet"; "No accounts" without
 * any. Names are escaped for
 * markup: some of the hosts that show it take markup, and the others show a
 * name without markup characters unchanged. */
char       *pb_status_describe           (const PbStatusAccount *accounts,
                                          guint                  n_accounts);

G_END_DECLS
