/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* The small mail window: per account, the new (unacknowledged) messages with
 * sender, subject and date; the account's status (last successful check,
 * next check, the current problem with a button to fix it); how the last
 * connection was protected, in plain words, with a warning when the
 * server's certificate expires within 14 days; buttons to check now, open
 * the mail client and mark as read (the "app." actions of pb-actions.h).
 * Follows the monitor live. Closing it only hides it. */
#define PB_TYPE_MAIL_WINDOW (pb_mail_window_get_type ())
G_DECLARE_FINAL_TYPE (PbMailWindow, pb_mail_window, PB, MAIL_WINDOW, GtkApplicationWindow)

PbMailWindow *pb_mail_window_new (GtkApplication *application,
                                  PbMonitor      *monitor);

G_END_DECLS
