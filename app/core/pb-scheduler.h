/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-clock.h"

G_BEGIN_DECLS

/* When to check which account. The scheduler decides; whoever listens to
 * ::check runs the check and reports its outcome.
 *
 * - Each account is checked every interval (>= 1 minute), with a small random
 *   spread so that accounts don't fire together, and at most
 *   max-concurrent checks at once (the others wait their turn).
 * - Offline (GNetworkMonitor) nothing is checked; when the network comes back
 *   or changes while up (VPN, another Wi-Fi), every account is checked soon.
 * - After resume from suspend (logind's PrepareForSleep on the system bus
 *   when there is one, or pb_scheduler_notify_resumed) every account is
 *   checked soon. Stopped accounts stay stopped through network changes
 *   and resumes.
 * - A failure backs off exponentially (interval × 1, 2, 4, 8, then stays at ×8)
 *   and a success resets it.
 * - PB_OUTCOME_NEEDS_USER (wrong password, untrusted certificate, locked
 *   keyring…) stops the account until pb_scheduler_resume or check_now.
 * - Between checks there is exactly one timer (the next due check): no
 *   periodic wakeups. */

typedef enum
{
  PB_OUTCOME_OK,
  PB_OUTCOME_FAILED,       /* network, timeout, server: try again later */
  PB_OUTCOME_NEEDS_USER,   /* stop until the user acts */
} PbOutcome;

#define PB_SCHEDULER_DEFAULT_MAX_CONCURRENT 3
#define PB_SCHEDULER_SOON_MS 5000      /* "soon" after start, network or resume, plus spread */

#define PB_TYPE_SCHEDULER (pb_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (PbScheduler, pb_scheduler, PB, SCHEDULER, GObject)

/* @clock: NULL for pb_clock_get_default (). @network: NULL for
 * g_network_monitor_get_default (). @watch_sleep: subscribe to logind. */
PbScheduler *pb_scheduler_new              (PbClock         *clock,
                                            GNetworkMonitor *network,
                                            gboolean         watch_sleep);

/* The random spread comes from this seed (tests want the same spread each run). */
void         pb_scheduler_set_seed         (PbScheduler     *self,
                                            guint32          seed);
void         pb_scheduler_set_max_concurrent (PbScheduler   *self,
                                              guint          n);
/* Adds an account; its first check comes soon (spread over the first
 * seconds when several are added together). */
void         pb_scheduler_add_account      (PbScheduler     *self,
                                            const char      *account_id,
                                            guint            interval_minutes);
void         pb_scheduler_remove_account   (PbScheduler     *self,
                                            const char      *account_id);
void         pb_scheduler_set_interval     (PbScheduler     *self,
                                            const char      *account_id,
                                            guint            interval_minutes);

/* The user asked: check now (NULL: all), even a stopped or backing-off
 * account (it resumes, its back-off starts over); still nothing while offline
 * (it runs when back). A check already running is not asked for twice. */
void         pb_scheduler_check_now        (PbScheduler     *self,
                                            const char      *account_id);
/* The user fixed what stopped the account: schedule it again, soon. */
void         pb_scheduler_resume           (PbScheduler     *self,
                                            const char      *account_id);
/* The system woke up: check everything soon. */
void         pb_scheduler_notify_resumed   (PbScheduler     *self);

/* Every ::check must be answered by exactly one report. */
void         pb_scheduler_report           (PbScheduler     *self,
                                            const char      *account_id,
                                            PbOutcome        outcome);

gboolean     pb_scheduler_get_online       (PbScheduler     *self);
gboolean     pb_scheduler_is_running       (PbScheduler     *self,
                                            const char      *account_id);
gboolean     pb_scheduler_is_stopped       (PbScheduler     *self,
                                            const char      *account_id);
/* Real time (µs since the epoch) of the next check, or 0 when none is
 * planned (stopped, running, offline, unknown account). */
gint64       pb_scheduler_get_next_check   (PbScheduler     *self,
                                            const char      *account_id);

/* Signals:
 *   ::check (const char *account_id)        — run a check now, then report.
 *   ::online-changed (gboolean online)
 *   ::schedule-changed (const char *account_id) — next check, running or
 *                                             stopped changed (for the UI). */

G_END_DECLS
