/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* The desktop applet: runs in the background without a window (it holds
 * itself), checks every enabled account on its schedule, and offers the
 * actions of pb-actions.h. Single instance; D-Bus activatable. */
#define PB_TYPE_APPLICATION (pb_application_get_type ())
G_DECLARE_FINAL_TYPE (PbApplication, pb_application, PB, APPLICATION, GtkApplication)

PbApplication *pb_application_new         (void);
PbMonitor     *pb_application_get_monitor (PbApplication *self);

G_END_DECLS
