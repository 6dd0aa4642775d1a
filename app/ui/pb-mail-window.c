/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-window"

#include "config.h"

#include "pb-mail-window.h"

struct _PbMailWindow
{
  GtkApplicationWindow parent_instance;
  PbMonitor           *monitor;
};

G_DEFINE_FINAL_TYPE (PbMailWindow, pb_mail_window, GTK_TYPE_APPLICATION_WINDOW)

static void
pb_mail_window_dispose (GObject *object)
{
  PbMailWindow *self = PB_MAIL_WINDOW (object);

  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (pb_mail_window_parent_class)->dispose (object);
}

static void
pb_mail_window_class_init (PbMailWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pb_mail_window_dispose;
}

static void
pb_mail_window_init (PbMailWindow *self)
{
}

PbMailWindow *
pb_mail_window_new (GtkApplication *application,
                    PbMonitor      *monitor)
{
  PbMailWindow *self = g_object_new (PB_TYPE_MAIL_WINDOW, "application", application, NULL);

  self->monitor = g_object_ref (monitor);
  return self;
}
