/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Follows the Secret Service on the session bus, for accounts that wait for
 * it: ::changed is emitted when org.freedesktop.secrets gets an owner (a
 * keyring daemon started after Popbell) and when a collection is unlocked
 * (the session unlocked the login keyring, or the user did it elsewhere).
 * Bursts of D-Bus signals give one ::changed. It asks nothing of the
 * service itself: whoever listens looks the passwords up again. */

#define PB_TYPE_SECRET_WATCH (pb_secret_watch_get_type ())
G_DECLARE_FINAL_TYPE (PbSecretWatch, pb_secret_watch, PB, SECRET_WATCH, GObject)

PbSecretWatch *pb_secret_watch_new         (void);

/* Whether org.freedesktop.secrets has an owner, as last seen. */
gboolean       pb_secret_watch_has_service (PbSecretWatch *self);

G_END_DECLS
