/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ---- Facts about one certificate ------------------------------------- */

/* SHA-256 of the DER encoding, 64 lowercase hex digits. */
char      *pb_certificate_get_sha256        (GTlsCertificate *certificate);
/* "AB:CD:…" in upper case, for people; @hex as from pb_certificate_get_sha256. */
char      *pb_fingerprint_format            (const char      *hex);
/* Accepts "ab:cd…", "AB CD…", "abcd…": returns 64 lowercase hex digits or NULL. */
char      *pb_fingerprint_normalize         (const char      *text);

typedef struct
{
  char       *subject;      /* RFC 4514 string, as GIO gives it; untrusted text */
  char       *issuer;
  GDateTime  *not_before;   /* may be NULL */
  GDateTime  *not_after;    /* may be NULL */
  char      **dns_names;    /* NULL-terminated, never NULL */
  char      **ip_addresses; /* NULL-terminated, never NULL */
  char       *sha256;       /* lowercase hex */
} PbCertificateInfo;

PbCertificateInfo *pb_certificate_info_new  (GTlsCertificate   *certificate);
void               pb_certificate_info_free (PbCertificateInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbCertificateInfo, pb_certificate_info_free)

/* TRUE when a subjectAltName dNSName (for a host name) or iPAddress (for an
 * address) of @certificate names @host. The subject's common name never counts
 * (RFC 6125 §6.4.4); a wildcard stands for one whole left-most label. */
gboolean   pb_certificate_names_host        (GTlsCertificate *certificate,
                                             const char      *host);
/* TRUE when @certificate or the chain it carries has an RSA or DSA key under
 * 2048 bits, an EC key under 256 bits, or an MD2, MD5 or SHA-1 signature (a
 * self-signed anchor's signature over itself excepted). Such a certificate is
 * never trusted, pinned or not. */
gboolean   pb_certificate_is_weak           (GTlsCertificate *certificate);
/* One sentence per weakness ("The certificate uses a weak 1024-bit RSA key,
 * which can be broken."). Translatable. NULL-terminated, never NULL. */
char     **pb_certificate_describe_weaknesses (GTlsCertificate *certificate);
/* Short stable names for scripts: "weak-key", "weak-signature", "unreadable". */
char     **pb_certificate_weakness_names    (GTlsCertificate *certificate);
/* FALSE when no pin can make a certificate with @errors acceptable (revoked,
 * insecure): faces then offer no way to trust it. */
gboolean   pb_certificate_problems_allow_pin (GTlsCertificateFlags errors);

/* One sentence in plain words per problem bit of @errors ("The certificate
 * expired on 3 March 2026.", "The certificate is for mail.example.com, not for
 * pop.example.org.", …). Translatable. NULL-terminated, never NULL. */
char     **pb_certificate_describe_problems (GTlsCertificateFlags  errors,
                                             GTlsCertificate      *certificate,
                                             const char           *host);
/* Short stable names of the bits for scripts: "unknown-ca", "bad-identity",
 * "not-activated", "expired", "revoked", "insecure", "generic-error". */
char     **pb_certificate_problem_names     (GTlsCertificateFlags  errors);

/* Verifies @certificate (with the chain it carries) for @host against the
 * system trust store and, when @extra_ca_file is set, against those CAs too
 * (accepted if either accepts). On top of GIO's verdict, a host named only in
 * the subject's common name is G_TLS_CERTIFICATE_BAD_IDENTITY and a weak
 * certificate (pb_certificate_is_weak) G_TLS_CERTIFICATE_INSECURE. Returns
 * the problems, 0 when trusted. Runs in a thread; never prompts. */
void                 pb_tls_verify_async    (GTlsCertificate      *certificate,
                                             const char           *host,
                                             guint16               port,
                                             const char           *extra_ca_file,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GTlsCertificateFlags pb_tls_verify_finish   (GAsyncResult         *result,
                                             GError              **error);

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

/* ---- The decision ------------------------------------------------------ */

typedef enum
{
  PB_TRUST_REJECTED,      /* problems, and no pin for exactly this certificate */
  PB_TRUST_SYSTEM,        /* verified by the system trust store (or the account's CA file) */
  PB_TRUST_PINNED,        /* not verified, but pinned by the user for this host:port */
} PbTrustVerdict;

/* @errors as from pb_tls_verify_finish. A revoked, insecure or weak
 * certificate is always rejected, pinned or not. @pins may be NULL. */
PbTrustVerdict   pb_trust_decide                (PbTrustStore         *pins,
                                                 const char           *host,
                                                 guint16               port,
                                                 GTlsCertificate      *certificate,
                                                 GTlsCertificateFlags  errors);

G_END_DECLS
