/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pb-clock.h"

G_BEGIN_DECLS

/* A clock that stands still until the test moves it. Timeouts run only
 * inside pb_test_clock_advance () and pb_test_clock_run_next (), in the order
 * they fall due (the order they were added among equals), each with the clock
 * set to its due time. */
#define PB_TYPE_TEST_CLOCK (pb_test_clock_get_type ())
G_DECLARE_FINAL_TYPE (PbTestClock, pb_test_clock, PB, TEST_CLOCK, PbClock)

PbTestClock *pb_test_clock_new            (void);

/* Moves time forward by @ms, running every timeout due on the way. */
void         pb_test_clock_advance        (PbTestClock *self,
                                           guint64      ms);
/* Moves time to the first pending timeout and runs it (and any other due at
 * that instant); FALSE when none is pending. */
gboolean     pb_test_clock_run_next       (PbTestClock *self);
/* Like a suspend on Linux: real time moves by @ms, monotonic time does not,
 * and no timeout runs. */
void         pb_test_clock_suspend        (PbTestClock *self,
                                           guint64      ms);

/* Monotonic time (µs) of the first pending timeout, or -1. */
gint64       pb_test_clock_get_next_due   (PbTestClock *self);
guint        pb_test_clock_count_pending  (PbTestClock *self);
/* Timeouts that ran since the clock was made: the wakeups. */
guint        pb_test_clock_count_fired    (PbTestClock *self);

G_END_DECLS
