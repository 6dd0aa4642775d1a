/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A private D-Bus session bus (GTestDBus) for this test, with a real
 * gnome-keyring-daemon on it whose default collection ("login") is
 * unlocked, or with nothing on it at all (no Secret Service).
 *
 * While it is up, DBUS_SESSION_BUS_ADDRESS of this process points at the
 * private bus, so subprocesses (e.g. the popbell binary) see the same
 * keyring. The daemon keeps its files in a new folder inside the test's
 * temporary folder (keyrings in $XDG_DATA_HOME/keyrings) and nothing is
 * started outside it; no prompt is ever shown.
 *
 * libsecret caches one SecretService bound to the session bus it first saw:
 * create the keyring before any libsecret call. Freeing it calls
 * secret_service_disconnect () and waits for the bus connection to go away,
 * so a test must release every SecretItem/SecretCollection it holds first.
 * Keyrings are sequential: at most one at a time per process; a new one
 * after freeing the last is fine (e.g. one per test in a fixture). */

typedef struct _PbTestKeyring PbTestKeyring;

/* Bus + gnome-keyring-daemon; aborts the test if the daemon isn't ready
 * within 10 s. */
PbTestKeyring *pb_test_keyring_new            (void);
/* The same, and the bus starts the services of @service_dir (D-Bus service
 * files) when they are called, as a session bus does. */
PbTestKeyring *pb_test_keyring_new_with_services (const char *service_dir);
/* A private bus with no Secret Service on it and none activatable. */
PbTestKeyring *pb_test_keyring_new_no_service (void);
void           pb_test_keyring_free           (PbTestKeyring *self);

const char    *pb_test_keyring_get_bus_address (PbTestKeyring *self);
/* The folder that holds the daemon's HOME and XDG dirs. */
const char    *pb_test_keyring_get_dir         (PbTestKeyring *self);

/* Starts gnome-keyring-daemon on a bus made by pb_test_keyring_new_no_service
 * (a keyring that comes after the program under test), or again after
 * pb_test_keyring_stop_daemon; returns once its default collection is unlocked. */
void           pb_test_keyring_start_daemon    (PbTestKeyring *self);

/* Stops the daemon; its keyrings stay, for pb_test_keyring_start_daemon. */
void           pb_test_keyring_stop_daemon     (PbTestKeyring *self);

/* Locks the default collection through the Secret Service API (no prompt). */
void           pb_test_keyring_lock            (PbTestKeyring *self);
/* Unlocks it again as the session does at login, with gnome-keyring's own
 * call and the login password: nothing of the program under test is involved. */
void           pb_test_keyring_unlock          (PbTestKeyring *self);

/* Every item of Popbell's schema whose "account" attribute is @account_id,
 * locked or not, with secrets loaded where unlocked: a GList of SecretItem,
 * free with g_list_free_full (items, g_object_unref). */
GList         *pb_test_keyring_find_items      (PbTestKeyring *self,
                                                const char    *account_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestKeyring, pb_test_keyring_free)

G_END_DECLS
