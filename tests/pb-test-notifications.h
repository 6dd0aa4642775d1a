/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A private D-Bus session bus (GTestDBus) for this test with a notification
 * server on it: python3-dbusmock's notification_daemon template, which
 * records every call. While it is up, DBUS_SESSION_BUS_ADDRESS of this
 * process points at the private bus.
 *
 * GTestDBus waits, when it goes down, until the session bus connection of
 * this process is gone: whoever holds it must let go first (libnotify's
 * proxy: notify_uninit () after the last NotifyNotification is freed).
 * At most one at a time per process. */

typedef struct _PbTestNotifications PbTestNotifications;

/* @capabilities: what GetCapabilities answers, separated by spaces (e.g.
 * "body body-markup actions"), or NULL for the template's defaults (which
 * lack "actions"). Aborts the test if the server isn't ready within 10 s. */
PbTestNotifications *pb_test_notifications_new          (const char *capabilities);
void                 pb_test_notifications_free         (PbTestNotifications *self);

const char          *pb_test_notifications_get_bus_address (PbTestNotifications *self);
/* Stops the server and leaves the bus without one (nothing is activatable). */
void                 pb_test_notifications_stop_server  (PbTestNotifications *self);

/* The arguments of each call of @method (e.g. "Notify": (susssasa{sv}i)) so
 * far, oldest first: a GPtrArray of GVariant tuples, free with
 * g_ptr_array_unref. */
GPtrArray           *pb_test_notifications_get_calls    (PbTestNotifications *self,
                                                         const char          *method);
void                 pb_test_notifications_clear_calls  (PbTestNotifications *self);

/* The server's do-not-disturb, as newer servers (Plasma's) have it: the
 * Inhibited property, added on the first call, then changed with
 * PropertiesChanged. */
void                 pb_test_notifications_set_inhibited (PbTestNotifications *self,
                                                          gboolean             inhibited);

/* Signals from the server, as if the user clicked or dismissed. */
void                 pb_test_notifications_invoke_action (PbTestNotifications *self,
                                                          guint32              id,
                                                          const char          *action);
void                 pb_test_notifications_emit_closed  (PbTestNotifications *self,
                                                         guint32              id,
                                                         guint32              reason);

/* Helpers to read a Notify call's arguments. */
const char          *pb_test_notify_call_get_string     (GVariant   *call,
                                                         guint       index);
guint32              pb_test_notify_call_get_replaces_id (GVariant  *call);
/* The actions array as a NULL-terminated vector (free with g_strfreev). */
char               **pb_test_notify_call_get_actions    (GVariant   *call);
/* The hint @name, or NULL (transfer full). */
GVariant            *pb_test_notify_call_get_hint       (GVariant   *call,
                                                         const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestNotifications, pb_test_notifications_free)

G_END_DECLS
