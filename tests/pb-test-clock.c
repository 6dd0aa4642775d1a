/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-test-clock.h"

/* Arbitrary but not zero, so that "0 = never" mistakes show. */
#define START_MONOTONIC_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
#define START_REAL_US      (G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC)

typedef struct
{
  guint        id;
  gint64       due;
  GSourceFunc  func;
  gpointer     data;
} Timeout;

struct _PbTestClock
{
  PbClock  parent_instance;

  gint64   monotonic;
  gint64   real_offset;  /* real - monotonic */
  GArray  *timeouts;     /* Timeout, in the order added */
  guint    last_id;
  guint    fired;
};

G_DEFINE_FINAL_TYPE (PbTestClock, pb_test_clock, PB_TYPE_CLOCK)

static gint64
pb_test_clock_get_monotonic (PbClock *clock)
{
  return PB_TEST_CLOCK (clock)->monotonic;
}

static gint64
pb_test_clock_get_real (PbClock *clock)
{
  PbTestClock *self = PB_TEST_CLOCK (clock);

  return self->monotonic + self->real_offset;
}

static guint
pb_test_clock_add_timeout (PbClock     *clock,
                           guint64      delay_ms,
                           GSourceFunc  func,
                           gpointer     data)
{
  PbTestClock *self = PB_TEST_CLOCK (clock);
  Timeout timeout = {
    .id = ++self->last_id,
    .due = self->monotonic + (gint64) delay_ms * 1000,
    .func = func,
    .data = data,
  };

  g_assert_cmpuint (delay_ms, <, G_MAXINT64 / 1000);
  g_array_append_val (self->timeouts, timeout);
  return timeout.id;
}

static void
pb_test_clock_remove_timeout (PbClock *clock,
                              guint    id)
{
  PbTestClock *self = PB_TEST_CLOCK (clock);

  for (guint i = 0; i < self->timeouts->len; i++)
    {
      if (g_array_index (self->timeouts, Timeout, i).id == id)
        {
          g_array_remove_index (self->timeouts, i);
          return;
        }
    }
}

static void
pb_test_clock_finalize (GObject *object)
{
  PbTestClock *self = PB_TEST_CLOCK (object);

  g_clear_pointer (&self->timeouts, g_array_unref);

  G_OBJECT_CLASS (pb_test_clock_parent_class)->finalize (object);
}

static void
pb_test_clock_class_init (PbTestClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PbClockClass *clock_class = PB_CLOCK_CLASS (klass);

  object_class->finalize = pb_test_clock_finalize;

  clock_class->get_monotonic = pb_test_clock_get_monotonic;
  clock_class->get_real = pb_test_clock_get_real;
  clock_class->add_timeout = pb_test_clock_add_timeout;
  clock_class->remove_timeout = pb_test_clock_remove_timeout;
}

static void
pb_test_clock_init (PbTestClock *self)
{
  self->monotonic = START_MONOTONIC_US;
  self->real_offset = START_REAL_US - START_MONOTONIC_US;
  self->timeouts = g_array_new (FALSE, FALSE, sizeof (Timeout));
}

PbTestClock *
pb_test_clock_new (void)
{
  return g_object_new (PB_TYPE_TEST_CLOCK, NULL);
}

/* Index of the first timeout to run, or -1. */
static int
first_pending (PbTestClock *self)
{
  int first = -1;

  for (guint i = 0; i < self->timeouts->len; i++)
    {
      Timeout *timeout = &g_array_index (self->timeouts, Timeout, i);

      if (first < 0 || timeout->due < g_array_index (self->timeouts, Timeout, first).due)
        first = (int) i;
    }

  return first;
}

/* Runs the first pending timeout if it is due by @limit. */
static gboolean
fire_first (PbTestClock *self,
            gint64       limit)
{
  int first = first_pending (self);
  Timeout timeout;

  if (first < 0 || g_array_index (self->timeouts, Timeout, first).due > limit)
    return FALSE;

  /* Removed before it runs: the function may add and remove timeouts. */
  timeout = g_array_index (self->timeouts, Timeout, first);
  g_array_remove_index (self->timeouts, (guint) first);
  self->monotonic = MAX (self->monotonic, timeout.due);
  self->fired++;
  timeout.func (timeout.data);

  return TRUE;
}

void
pb_test_clock_advance (PbTestClock *self,
                       guint64      ms)
{
  gint64 target;

  g_return_if_fail (PB_IS_TEST_CLOCK (self));

  target = self->monotonic + (gint64) ms * 1000;
  while (fire_first (self, target))
    ;
  self->monotonic = target;
}

gboolean
pb_test_clock_run_next (PbTestClock *self)
{
  gint64 due;

  g_return_val_if_fail (PB_IS_TEST_CLOCK (self), FALSE);

  due = pb_test_clock_get_next_due (self);
  if (due < 0)
    return FALSE;

  due = MAX (due, self->monotonic);
  while (fire_first (self, due))
    ;
  return TRUE;
}

void
pb_test_clock_suspend (PbTestClock *self,
                       guint64      ms)
{
  g_return_if_fail (PB_IS_TEST_CLOCK (self));

  self->real_offset += (gint64) ms * 1000;
}

gint64
pb_test_clock_get_next_due (PbTestClock *self)
{
  int first;

  g_return_val_if_fail (PB_IS_TEST_CLOCK (self), -1);

  first = first_pending (self);
  return first < 0 ? -1 : g_array_index (self->timeouts, Timeout, first).due;
}

guint
pb_test_clock_count_pending (PbTestClock *self)
{
  g_return_val_if_fail (PB_IS_TEST_CLOCK (self), 0);

  return self->timeouts->len;
}

guint
pb_test_clock_count_fired (PbTestClock *self)
{
  g_return_val_if_fail (PB_IS_TEST_CLOCK (self), 0);

  return self->fired;
}
