/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* Popbell's interface for other programs, io.github.popbell.Popbell1
 * (data/io.github.popbell.Popbell1.xml): the unread count, the messages and
 * the accounts as the monitor has them, Check Now and Mark as Read, and the
 * Changed signal. */
#define PB_TYPE_DBUS_SERVICE (pb_dbus_service_get_type ())
G_DECLARE_FINAL_TYPE (PbDbusService, pb_dbus_service, PB, DBUS_SERVICE, GObject)

/* Exports the interface at @object_path on @connection at once. The
 * application does so in GApplication::dbus_register, before its name is
 * owned: D-Bus activation delivers the call that started it as soon as the
 * name is taken. The monitor is made later, in startup: until
 * pb_dbus_service_set_monitor, calls fail. */
PbDbusService *pb_dbus_service_new         (GDBusConnection  *connection,
                                            const char       *object_path,
                                            GError          **error);
/* @monitor NULL: no longer answer (the applet is shutting down). */
void           pb_dbus_service_set_monitor (PbDbusService    *self,
                                            PbMonitor        *monitor);

G_END_DECLS
