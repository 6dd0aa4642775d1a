/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-certificate.h"
#include "pb-trust-store.h"

G_BEGIN_DECLS

/* The trust decision after every handshake: the system's verification with
 * Popbell's own rules on top (pb_tls_verify_*), then the pins
 * (pb_trust_decide). The facts are in pb-certificate.h, the pins in
 * pb-trust-store.h. */

/* ---- Verification ------------------------------------------------------ */

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
