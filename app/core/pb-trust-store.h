/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ---- Pins: certificates the user chose to trust (trust.ini) ----------- */

/* "host:port", lower-cased; IPv6 literals in brackets. */
char      *pb_trust_key                     (const char *host,
                                             guint16     port);

#define PB_TYPE_TRUST_STORE (pb_trust_store_get_type ())
G_DECLARE_FINAL_TYPE (PbTrustStore, pb_trust_store, PB, TRUST_STORE, GObject)

/* @path: trust.ini; NULL means $XDG_CONFIG_HOME/popbell/trust.ini. */
PbTrustStore    *pb_trust_store_new             (const char    *path);
const char      *pb_trust_store_get_path        (PbTrustStore  *self);
/* A missing file is an empty store; a corrupt one is set aside
 * (PB_STORE_ERROR_CORRUPT) and the store is empty. A group whose PEM does not
 * match its fingerprint is ignored. */
gboolean         pb_trust_store_load            (PbTrustStore  *self,
                                                 GError       **error);
/* Reads the file again and merges three ways: each pin this store changed
 * (add(), remove()) since it last read or wrote the file is written as the
 * store holds it, every other one as the file has it now. A pin another
 * process removed stays removed, one it added stays; a store that loaded the
 * file and is its only writer writes exactly what it holds. The store then
 * holds what it wrote. A corrupt file is set aside and the merge is made over
 * the pins it held when last read; an unreadable one is never written over. */
gboolean         pb_trust_store_save            (PbTrustStore  *self,
                                                 GError       **error);
/* Reads the file again, as the watch does: the store takes in the file's
 * pins with its own unsaved changes on top, and emits "changed" when what is
 * trusted changed. Unlike load(), a corrupt file (set aside, error
 * PB_STORE_ERROR_CORRUPT) or an unreadable one keeps the pins held before. */
gboolean         pb_trust_store_reload          (PbTrustStore  *self,
                                                 GError       **error);
/* Follows the file from now on: when another process (popbell --trust,
 * --forget-trust) changes it, the store takes in its pins within a fraction
 * of a second (read in a thread, merged as reload() does) and emits "changed".
 * Needs the main context of the caller to run. */
gboolean         pb_trust_store_watch           (PbTrustStore  *self,
                                                 GError       **error);

/* TRUE when exactly @certificate is pinned for exactly @host:@port. */
gboolean         pb_trust_store_is_pinned       (PbTrustStore    *self,
                                                 const char      *host,
                                                 guint16          port,
                                                 GTlsCertificate *certificate);
/* The pinned fingerprint (hex) for @host:@port, or NULL. */
const char      *pb_trust_store_get_fingerprint (PbTrustStore  *self,
                                                 const char    *host,
                                                 guint16        port);
/* (transfer full) the pinned certificate, or NULL. */
GTlsCertificate *pb_trust_store_get_certificate (PbTrustStore  *self,
                                                 const char    *host,
                                                 guint16        port);
/* When the pin was made, or NULL. (transfer none) */
GDateTime       *pb_trust_store_get_pinned_at   (PbTrustStore  *self,
                                                 const char    *host,
                                                 guint16        port);
/* Replaces any pin for @host:@port with @certificate. Does not save. */
void             pb_trust_store_add             (PbTrustStore    *self,
                                                 const char      *host,
                                                 guint16          port,
                                                 GTlsCertificate *certificate);
/* FALSE with PB_STORE_ERROR_NOT_FOUND when there was no pin. Does not save. */
gboolean         pb_trust_store_remove          (PbTrustStore  *self,
                                                 const char    *host,
                                                 guint16        port,
                                                 GError       **error);
/* (transfer full) the "host:port" keys, sorted. */
char           **pb_trust_store_list_keys       (PbTrustStore  *self);

G_END_DECLS
