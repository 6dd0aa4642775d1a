/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "app/core/pb-monitor.h"
#include "app/core/pb-tls-trust.h"

G_BEGIN_DECLS

/* The review of one server certificate that failed verification: which
 * server, what is wrong in plain words (one sentence per problem), what
 * trusting means, the certificate's details and, when it replaces one the user
 * trusted before, both fingerprints and a stronger warning. "Don't Trust" is
 * the default (Enter, Escape); "Trust This Certificate" is absent for a
 * revoked certificate.
 *
 * A widget, so that the account wizard can show it as one of its pages;
 * pb_trust_dialog_present () puts it into a window of its own.
 *
 * Signals:
 *   ::decided (gboolean trusted)
 *        once, when the user chose. With a trust store set, the pin for
 *        exactly host:port is stored and saved before ::decided (TRUE); a save
 *        that fails is shown in the dialog and nothing is decided.
 *
 * Widget actions: "trust.accept", "trust.reject". */
#define PB_TYPE_TRUST_DIALOG (pb_trust_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PbTrustDialog, pb_trust_dialog, PB, TRUST_DIALOG, GtkWidget)

/* @errors: the verification problems (GTlsCertificateFlags); @pinned: the
 * certificate trusted before for @host:@port when it is not @certificate
 * (the changed-certificate variant), else NULL; @pinned_at: when it was
 * trusted, may be NULL. */
PbTrustDialog   *pb_trust_dialog_new             (const char           *host,
                                                  guint16               port,
                                                  GTlsCertificate      *certificate,
                                                  GTlsCertificateFlags  errors,
                                                  GTlsCertificate      *pinned,
                                                  GDateTime            *pinned_at);
/* Where "Trust This Certificate" stores the pin (and saves it). NULL: the
 * caller stores it on ::decided. */
void             pb_trust_dialog_set_trust_store (PbTrustDialog        *self,
                                                  PbTrustStore         *pins);
const char      *pb_trust_dialog_get_host        (PbTrustDialog        *self);
guint16          pb_trust_dialog_get_port        (PbTrustDialog        *self);
GTlsCertificate *pb_trust_dialog_get_certificate (PbTrustDialog        *self);
/* FALSE for a revoked certificate. */
gboolean         pb_trust_dialog_get_can_trust   (PbTrustDialog        *self);

typedef void (*PbTrustDialogCallback) (gboolean trusted,
                                       gpointer user_data);

/* The dialog in a window of its own (modal for @parent when there is one),
 * for a certificate presented by @host:@port. The certificate trusted before
 * for @host:@port, if any, is looked up in @pins, where trusting stores the
 * new pin. @callback runs once, with FALSE also when the window is closed;
 * then the window goes away. @parent and @application may be NULL.
 * Returns the window (transfer none). */
GtkWindow       *pb_trust_dialog_present         (GtkWindow             *parent,
                                                  GtkApplication        *application,
                                                  PbTrustStore          *pins,
                                                  const char            *host,
                                                  guint16                port,
                                                  GTlsCertificate       *certificate,
                                                  GTlsCertificateFlags   errors,
                                                  PbTrustDialogCallback  callback,
                                                  gpointer               user_data);

/* What "Review Certificate…" does for an account of @monitor: the dialog for
 * the certificate its last check stopped at (or a note that there is none);
 * trusting pins it in the monitor's trust store and checks the account again
 * at once (pb_monitor_resume). A review already open for the account is
 * presented again. Returns the window (transfer none). */
GtkWindow       *pb_trust_dialog_review_account  (GtkWindow             *parent,
                                                  GtkApplication        *application,
                                                  PbMonitor             *monitor,
                                                  const char            *account_id);

G_END_DECLS
