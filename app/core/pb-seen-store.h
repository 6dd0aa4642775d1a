/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pb-message.h"

G_BEGIN_DECLS

#define PB_TYPE_SEEN_STORE (pb_seen_store_get_type ())
G_DECLARE_FINAL_TYPE (PbSeenStore, pb_seen_store, PB, SEEN_STORE, GObject)

/* What Popbell remembers of one account: the UIDLs already seen on the server,
 * and the messages reported as new that the user has not acknowledged yet.
 * Stored in $XDG_STATE_HOME/popbell/<account>.state. */
PbSeenStore *pb_seen_store_new                 (const char   *path);
/* The default path for an account: $XDG_STATE_HOME/popbell/<id>.state. */
char        *pb_seen_store_path_for_account    (const char   *account_id);
const char  *pb_seen_store_get_path            (PbSeenStore  *self);

/* A missing file is a store that was never initialized. A corrupt file is set
 * aside (PB_STORE_ERROR_CORRUPT names where it went) and the store is left
 * uninitialized, so the next check takes the mailbox as seen (no flood). A file
 * that exists but can't be read (EACCES, EIO, not a regular file) gives
 * PB_STORE_ERROR_IO and stays in place; until a later load succeeds, save refuses
 * to overwrite it. */
gboolean     pb_seen_store_load                (PbSeenStore  *self,
                                                GError      **error);
/* Atomic write (0600); does nothing when nothing changed since load/save. */
gboolean     pb_seen_store_save                (PbSeenStore  *self,
                                                GError      **error);

/* TRUE once a check has been recorded (the first check takes the mailbox as seen). */
gboolean     pb_seen_store_is_initialized      (PbSeenStore  *self);
gboolean     pb_seen_store_contains            (PbSeenStore  *self,
                                                const char   *uidl);
guint        pb_seen_store_get_n_seen          (PbSeenStore  *self);
/* Messages on the server at the last check (for servers without UIDL), -1 unknown. */
gint64       pb_seen_store_get_last_total      (PbSeenStore  *self);
/* Unix time of the last successful check, 0 if none. */
gint64       pb_seen_store_get_last_check      (PbSeenStore  *self);
/* The same as a state file at @path has it, read from its header alone
 * (nothing is loaded, and a corrupt file stays where it is): 0 when the
 * file is missing, unreadable or not a state file. A check that changed
 * nothing is written there at most once an hour. */
gint64       pb_seen_store_peek_last_check     (const char   *path);

/* Records one successful check: the seen set becomes exactly @server_uidls
 * (what the server holds now, so deleted mail is forgotten); @new_messages
 * (PbMessage*, may be NULL) are added to the unacknowledged list; unacknowledged
 * messages no longer on the server are dropped; last_total and last_check
 * are set and the store becomes initialized. @server_uidls may be NULL for a
 * server without UIDL (then only last_total changes). */
void         pb_seen_store_record_check        (PbSeenStore        *self,
                                                const char * const *server_uidls,
                                                guint               n_uidls,
                                                guint               total,
                                                GPtrArray          *new_messages);

/* Records what a login test found when the account was added or moved to
 * another mailbox: like pb_seen_store_record_check without new messages,
 * but the account still counts as never checked (last_check stays 0), so
 * that nothing says "no new mail" before its first check. */
void         pb_seen_store_record_baseline     (PbSeenStore        *self,
                                                const char * const *server_uidls,
                                                guint               n_uidls,
                                                guint               total);

/* Records a check that found exactly the UIDLs already seen (the caller
 * looked each one up): like pb_seen_store_record_check without new messages,
 * minus a second pass over a mailbox that may hold 100,000 of them. */
void         pb_seen_store_record_unchanged    (PbSeenStore  *self,
                                                guint         total);

/* Records a check whose listing covered only the messages after the last
 * one seen (that one still in its place, so nothing before it changed):
 * @new_uidls join the seen set, @new_messages the unacknowledged list. */
void         pb_seen_store_record_appended     (PbSeenStore        *self,
                                                const char * const *new_uidls,
                                                guint               n_uidls,
                                                guint               total,
                                                GPtrArray          *new_messages);

/* Where the mailbox ended at the last check: the UIDL of its last message
 * (NULL: unknown, the next check lists everything), and when the whole
 * listing was last read (unix time, 0 never). */
const char  *pb_seen_store_get_last_uidl       (PbSeenStore  *self);
gint64       pb_seen_store_get_last_listing    (PbSeenStore  *self);
/* Sets the last UIDL (NULL forgets it); @full_listing: this check read the
 * whole listing. */
void         pb_seen_store_set_boundary        (PbSeenStore  *self,
                                                const char   *last_uidl,
                                                gboolean      full_listing);

/* (transfer none) PbMessage*, oldest first. */
GPtrArray   *pb_seen_store_get_unacknowledged  (PbSeenStore  *self);
void         pb_seen_store_acknowledge_all     (PbSeenStore  *self);

G_END_DECLS
