/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-clock"

#include "config.h"

#include "pb-clock.h"

/* From a minute on, whole-second timeouts: GLib lines them up on a
 * per-session second boundary, so the system can serve several wakeups with
 * one. Shorter delays (the first checks, "check now") want milliseconds. */
#define SECONDS_THRESHOLD_MS 60000
/* GLib moves a whole-second timeout to a second boundary, up to a quarter of
 * a second earlier than asked; asking that much later keeps "after @delay". */
#define SECONDS_EARLY_MS     250

typedef struct
{
  GSourceFunc func;
  gpointer    data;
} Timeout;

G_DEFINE_TYPE (PbClock, pb_clock, G_TYPE_OBJECT)

static gint64
pb_clock_real_get_monotonic (PbClock *self)
{
  return g_get_monotonic_time ();
}

static gint64
pb_clock_real_get_real (PbClock *self)
{
  return g_get_real_time ();
}

/* The contract is "once": whatever the function returns, the source goes. */
static gboolean
timeout_dispatch (gpointer user_data)
{
  Timeout *timeout = user_data;

  timeout->func (timeout->data);
  return G_SOURCE_REMOVE;
}

static guint
pb_clock_real_add_timeout (PbClock     *self,
                           guint64      delay_ms,
                           GSourceFunc  func,
                           gpointer     data)
{
  Timeout *timeout = g_new (Timeout, 1);
  guint id;

  timeout->func = func;
  timeout->data = data;

  if (delay_ms >= SECONDS_THRESHOLD_MS)
    {
      guint64 seconds = MIN ((delay_ms + SECONDS_EARLY_MS + 999) / 1000, G_MAXUINT);

      id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, (guint) seconds,
                                       timeout_dispatch, timeout, g_free);
    }
  else
    {
      id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) delay_ms,
                               timeout_dispatch, timeout, g_free);
    }

  return id;
}

static void
pb_clock_real_remove_timeout (PbClock *self,
                              guint    id)
{
  /* Tolerates an ID whose timeout already ran (g_source_remove would not). */
  GSource *source = g_main_context_find_source_by_id (NULL, id);

  if (source != NULL)
    g_source_destroy (source);
}

static void
pb_clock_class_init (PbClockClass *klass)
{
  klass->get_monotonic = pb_clock_real_get_monotonic;
  klass->get_real = pb_clock_real_get_real;
  klass->add_timeout = pb_clock_real_add_timeout;
  klass->remove_timeout = pb_clock_real_remove_timeout;
}

static void
pb_clock_init (PbClock *self)
{
}

/**
 * pb_clock_get_default:
 *
 * Returns: (transfer none): the clock of the real world, shared by the process.
 */
PbClock *
pb_clock_get_default (void)
{
  static PbClock *default_clock;

  if (g_once_init_enter (&default_clock))
    g_once_init_leave (&default_clock, g_object_new (PB_TYPE_CLOCK, NULL));

  return default_clock;
}

gint64
pb_clock_get_monotonic (PbClock *self)
{
  g_return_val_if_fail (PB_IS_CLOCK (self), 0);

  return PB_CLOCK_GET_CLASS (self)->get_monotonic (self);
}

gint64
pb_clock_get_real (PbClock *self)
{
  g_return_val_if_fail (PB_IS_CLOCK (self), 0);

  return PB_CLOCK_GET_CLASS (self)->get_real (self);
}

guint
pb_clock_add_timeout (PbClock     *self,
                      guint64      delay_ms,
                      GSourceFunc  func,
                      gpointer     data)
{
  g_return_val_if_fail (PB_IS_CLOCK (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  return PB_CLOCK_GET_CLASS (self)->add_timeout (self, delay_ms, func, data);
}

void
pb_clock_remove_timeout (PbClock *self,
                         guint    id)
{
  g_return_if_fail (PB_IS_CLOCK (self));
  g_return_if_fail (id > 0);

  PB_CLOCK_GET_CLASS (self)->remove_timeout (self, id);
}
