/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "app/core/pb-monitor.h"
#include "app/core/pb-status.h"
#include "pb-dbusmenu-exporter.h"

G_BEGIN_DECLS

/* What the tray shows, read from the monitor, without a bus: its look (the
 * icon name and the SNI status), the tooltip, and the menu's items with the
 * application actions (pb-actions.h) they run. The tray (pb-tray.c)
 * exports it; the tests read it directly. */
typedef struct _PbTrayModel PbTrayModel;

PbTrayModel *pb_tray_model_new            (PbMonitor   *monitor);
void         pb_tray_model_free           (PbTrayModel *self);

/* The look now; @previous settles ties (pb_status_summarize). */
PbStatus     pb_tray_model_get_look       (PbTrayModel *self,
                                           PbStatus     previous);
/* "popbell-new-mail-symbolic"…, and "Active" or "NeedsAttention". */
const char  *pb_tray_model_icon_name      (PbStatus     look);
const char  *pb_tray_model_status         (PbStatus     look);
/* The SNI ToolTip, (sa(iiay)ss): the icon, no pixmaps, "Popbell", a line
 * per enabled account. Floating. */
GVariant    *pb_tray_model_build_tool_tip (PbTrayModel *self,
                                           PbStatus     look);
/* The menu: Show new mail, Check now, the newest messages, Mark all as
 * read, Open mail client, an entry per account that needs the user,
 * Accounts and preferences, Quit. PbMenuItem*; an account keeps its item
 * ID for as long as the model lives. */
GPtrArray   *pb_tray_model_build_menu     (PbTrayModel *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTrayModel, pb_tray_model_free)

G_END_DECLS
