/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Where the scheduler gets time and timers from: the main loop normally, a
 * clock that tests move by hand otherwise. */
#define PB_TYPE_CLOCK (pb_clock_get_type ())
G_DECLARE_DERIVABLE_TYPE (PbClock, pb_clock, PB, CLOCK, GObject)

struct _PbClockClass
{
  GObjectClass parent_class;

  gint64 (*get_monotonic) (PbClock     *self);   /* µs, like g_get_monotonic_time () */
  gint64 (*get_real)      (PbClock     *self);   /* µs since the epoch */
  /* Calls @func once after @delay_ms; returns an ID > 0 for remove_timeout. */
  guint  (*add_timeout)   (PbClock     *self,
                           guint64      delay_ms,
                           GSourceFunc  func,
                           gpointer     data);
  void   (*remove_timeout) (PbClock    *self,
                            guint       id);
};

/* The real clock: GLib's monotonic and real time, main-loop timeouts (whole
 * seconds for delays of a minute or more, so the system can coalesce them). */
PbClock *pb_clock_get_default     (void);

gint64   pb_clock_get_monotonic   (PbClock     *self);
gint64   pb_clock_get_real        (PbClock     *self);
guint    pb_clock_add_timeout     (PbClock     *self,
                                   guint64      delay_ms,
                                   GSourceFunc  func,
                                   gpointer     data);
void     pb_clock_remove_timeout  (PbClock     *self,
                                   guint        id);

G_END_DECLS
