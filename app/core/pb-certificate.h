/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What a certificate says and what is wrong with it, read with GnuTLS where
 * GIO does not tell: names, fingerprints, key sizes and signatures, and the
 * problems of a failed verification in plain words. No decisions here. */

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

G_END_DECLS
