/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pb-account.h"

G_BEGIN_DECLS

#define PB_TYPE_ACCOUNT_STORE (pb_account_store_get_type ())
G_DECLARE_FINAL_TYPE (PbAccountStore, pb_account_store, PB, ACCOUNT_STORE, GObject)

/* @path: accounts.ini; NULL means $XDG_CONFIG_HOME/popbell/accounts.ini. */
PbAccountStore *pb_account_store_new        (const char      *path);
const char     *pb_account_store_get_path   (PbAccountStore  *self);

/* A missing file is an empty store. A file that can't be parsed is set aside
 * (pb_files_set_aside) and PB_STORE_ERROR_CORRUPT names where it went; the store
 * is then empty. Invalid groups are skipped with a g_debug, valid ones kept.
 * A file that exists but can't be read (EACCES, EIO, not a regular file) gives
 * PB_STORE_ERROR_IO and stays in place; until a later load succeeds, save refuses
 * to overwrite it. */
gboolean        pb_account_store_load       (PbAccountStore  *self,
                                             GError         **error);
/* Atomic write (0600). Unknown keys and comments of the loaded file are kept. */
gboolean        pb_account_store_save       (PbAccountStore  *self,
                                             GError         **error);

/* (transfer none) PbAccount*, in file order. */
GPtrArray      *pb_account_store_get_accounts (PbAccountStore *self);
PbAccount      *pb_account_store_lookup     (PbAccountStore  *self,
                                             const char      *id);
/* PB_STORE_ERROR_EXISTS for a taken ID, _INVALID without host or user or
 * with a bad ID. Does not save. */
gboolean        pb_account_store_add        (PbAccountStore  *self,
                                             PbAccount       *account,
                                             GError         **error);
/* Puts @account in the place of the account with its ID: its settings are
 * written, keys of that group this version doesn't know are kept.
 * PB_STORE_ERROR_NOT_FOUND for an unknown ID, _INVALID as for add. Does not save. */
gboolean        pb_account_store_replace    (PbAccountStore  *self,
                                             PbAccount       *account,
                                             GError         **error);
/* Loads the file again; on any error nothing changes (the accounts in
 * memory stay). Accounts whose settings did not change keep their objects. */
gboolean        pb_account_store_reload     (PbAccountStore  *self,
                                             GError         **error);
/* PB_STORE_ERROR_NOT_FOUND for an unknown ID. Does not save. */
gboolean        pb_account_store_remove     (PbAccountStore  *self,
                                             const char      *id,
                                             GError         **error);

G_END_DECLS
