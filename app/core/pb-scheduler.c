/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-scheduler"

#include "config.h"

#include "pb-scheduler.h"

/* Every account waits for its own due time (monotonic µs); one clock timeout
 * is armed for the earliest of them and re-armed whenever the schedule
 * changes, so between checks the process sleeps. ::check is only ever
 * emitted from that timeout: never from inside a public call, so a listener
 * may call back into the scheduler (report, check_now…) from its handler. */

#define MINUTE_US           (60 * G_USEC_PER_SEC)
#define MAX_INTERVAL_MIN    (7 * 24 * 60)
#define MAX_BACKOFF_SHIFT   3                     /* interval × 8 */
#define SPREAD_MAX_US       (30 * G_USEC_PER_SEC) /* ±10 % of the delay, at most this */
#define SOON_SPREAD_MS      3000
/* Some network monitors report changes in bursts (routes, connectivity): an
 * account checked less than this long ago is not checked again for it. */
#define NETWORK_GAP_US      (30 * G_USEC_PER_SEC)

#define LOGIND_NAME         "org.freedesktop.login1"
#define LOGIND_PATH         "/org/freedesktop/login1"
#define LOGIND_MANAGER      "org.freedesktop.login1.Manager"

typedef struct
{
  char     *id;
  guint     interval;      /* minutes */
  gint64    due;           /* monotonic µs; meaningful while neither running nor stopped */
  gint64    last_started;  /* monotonic µs of the last ::check, 0 if none */
  gint64    last_reported; /* monotonic µs of the last report, 0 if none */
  guint     failures;      /* in a row */
  gboolean  regular;       /* due comes from the interval (not "soon" or "now") */
  gboolean  stopped;
  gboolean  running;
  /* The network changed or the system woke up during the check: its outcome
   * says little about the new situation, so check again soon. */
  gboolean  recheck;
} Account;

struct _PbScheduler
{
  GObject          parent_instance;

  PbClock         *clock;
  GNetworkMonitor *network;
  gboolean         watch_sleep;
  GRand           *rand;

  GPtrArray       *accounts;      /* Account*, in the order they were added */
  guint            max_concurrent;
  guint            n_running;
  gboolean         online;

  guint            timeout_id;    /* the one pending clock timeout, 0 if none */
  gint64           timeout_due;

  gulong           network_changed_id;
  GCancellable    *cancellable;
  GDBusConnection *system_bus;
  guint            sleep_subscription;
};

enum
{
  PROP_0,
  PROP_CLOCK,
  PROP_NETWORK,
  PROP_WATCH_SLEEP,
  N_PROPS
};

enum
{
  SIGNAL_CHECK,
  SIGNAL_ONLINE_CHANGED,
  SIGNAL_SCHEDULE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PbScheduler, pb_scheduler, G_TYPE_OBJECT)

static void
account_free (gpointer data)
{
  Account *account = data;

  g_free (account->id);
  g_free (account);
}

static gint64
now (PbScheduler *self)
{
  return pb_clock_get_monotonic (self->clock);
}

static Account *
lookup (PbScheduler *self,
        const char  *account_id)
{
  for (guint i = 0; i < self->accounts->len; i++)
    {
      Account *account = g_ptr_array_index (self->accounts, i);

      if (g_str_equal (account->id, account_id))
        return account;
    }

  return NULL;
}

static gboolean
is_waiting (Account *account)
{
  return !account->running && !account->stopped;
}

/* ±10 % of @delay_us, at most ±SPREAD_MAX_US. */
static gint64
spread (PbScheduler *self,
        gint64       delay_us)
{
  gint64 max = MIN (delay_us / 10, SPREAD_MAX_US);

  if (max <= 0)
    return 0;

  return g_rand_int_range (self->rand, (gint32) -max, (gint32) max + 1);
}

static gint64
regular_delay (PbScheduler *self,
               Account     *account)
{
  guint shift = MIN (account->failures > 0 ? account->failures - 1 : 0, MAX_BACKOFF_SHIFT);
  gint64 delay = (gint64) account->interval * MINUTE_US << shift;

  return delay + spread (self, delay);
}

static gint64
soon_delay (PbScheduler *self)
{
  return ((gint64) PB_SCHEDULER_SOON_MS
          + g_rand_int_range (self->rand, 0, SOON_SPREAD_MS + 1)) * 1000;
}

static void
set_soon (PbScheduler *self,
          Account     *account,
          gint64       time)
{
  account->due = time + soon_delay (self);
  account->regular = FALSE;
}

static void
emit_schedule_changed (PbScheduler *self,
                       const char  *account_id)
{
  g_autofree char *id = g_strdup (account_id); /* a handler may remove the account */

  g_signal_emit (self, signals[SIGNAL_SCHEDULE_CHANGED], 0, id);
}

static void
emit_schedule_changed_all (PbScheduler *self)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->accounts->len; i++)
    g_ptr_array_add (ids, g_strdup (((Account *) g_ptr_array_index (self->accounts, i))->id));

  for (guint i = 0; i < ids->len; i++)
    g_signal_emit (self, signals[SIGNAL_SCHEDULE_CHANGED], 0, g_ptr_array_index (ids, i));
}

/* The waiting account due first; among equals, the one added first. */
static Account *
next_waiting (PbScheduler *self)
{
  Account *next = NULL;

  for (guint i = 0; i < self->accounts->len; i++)
    {
      Account *account = g_ptr_array_index (self->accounts, i);

      if (is_waiting (account) && (next == NULL || account->due < next->due))
        next = account;
    }

  return next;
}

static void
start_due_checks (PbScheduler *self)
{
  while (self->clock != NULL && self->online && self->n_running < self->max_concurrent)
    {
      Account *account = next_waiting (self);
      g_autofree char *id = NULL;
      gint64 time = now (self);

      if (account == NULL || account->due > time)
        break;

      account->running = TRUE;
      account->recheck = FALSE;
      account->last_started = time;
      self->n_running++;
      id = g_strdup (account->id);

      g_debug ("Checking %s (%u running)", id, self->n_running);
      emit_schedule_changed (self, id);

      account = lookup (self, id);
      if (account != NULL && account->running)
        g_signal_emit (self, signals[SIGNAL_CHECK], 0, id);
    }
}

static gboolean on_timeout (gpointer user_data);

/* Keeps exactly one timeout for the next check that can start, or none:
 * offline, or as many checks running as allowed (a report re-arms). */
static void
arm (PbScheduler *self)
{
  Account *next = NULL;
  gint64 delay_us;

  if (self->clock == NULL) /* disposed by a handler */
    return;

  if (self->online && self->n_running < self->max_concurrent)
    next = next_waiting (self);

  if (self->timeout_id != 0 && next != NULL && next->due == self->timeout_due)
    return;

  if (self->timeout_id != 0)
    {
      pb_clock_remove_timeout (self->clock, self->timeout_id);
      self->timeout_id = 0;
    }

  if (next == NULL)
    return;

  delay_us = MAX (next->due - now (self), 0);
  self->timeout_due = next->due;
  self->timeout_id = pb_clock_add_timeout (self->clock, ((guint64) delay_us + 999) / 1000,
                                           on_timeout, self);
}

static gboolean
on_timeout (gpointer user_data)
{
  g_autoptr(PbScheduler) self = g_object_ref (user_data); /* a handler may drop the last one */

  self->timeout_id = 0;
  start_due_checks (self);
  arm (self);

  return G_SOURCE_REMOVE;
}

/* The network came back or changed, or the system woke up: everything that
 * is not stopped is checked soon. @gap: leave alone what was checked very
 * recently (a burst of network changes). The caller emits the signals. */
static void
reschedule_all_soon (PbScheduler *self,
                     gboolean     gap)
{
  gint64 time = now (self);

  for (guint i = 0; i < self->accounts->len; i++)
    {
      Account *account = g_ptr_array_index (self->accounts, i);
      gint64 previous_due = account->due;
      gboolean previous_regular = account->regular;

      if (account->stopped)
        continue;

      if (account->running)
        {
          account->recheck = TRUE;
          continue;
        }

      set_soon (self, account, time);
      if (gap)
        {
          if (account->last_started > 0)
            account->due = MAX (account->due, account->last_started + NETWORK_GAP_US);
          if (previous_due < account->due)
            {
              account->due = previous_due;
              account->regular = previous_regular;
            }
        }
    }

  arm (self);
}

static void
on_network_changed (GNetworkMonitor *network,
                    gboolean         network_available,
                    gpointer         user_data)
{
  PbScheduler *self = user_data;
  gboolean online = g_network_monitor_get_network_available (network);

  if (online != self->online)
    {
      g_debug ("Network %s", online ? "available" : "unavailable");
      self->online = online;
      if (online)
        reschedule_all_soon (self, FALSE);
      else
        arm (self);

      g_signal_emit (self, signals[SIGNAL_ONLINE_CHANGED], 0, online);
      emit_schedule_changed_all (self);
    }
  else if (online)
    {
      g_debug ("Network changed");
      reschedule_all_soon (self, TRUE);
      emit_schedule_changed_all (self);
    }
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
on_prepare_for_sleep (GDBusConnection *connection,
                      const char      *sender_name,
                      const char      *object_path,
                      const char      *interface_name,
                      const char      *signal_name,
                      GVariant        *parameters,
                      gpointer         user_data)
{
  g_autoptr(PbScheduler) self = g_weak_ref_get (user_data);
  gboolean going_to_sleep;

  if (self == NULL || !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(b)")))
    return;

  g_variant_get (parameters, "(b)", &going_to_sleep);
  g_debug ("logind: %s", going_to_sleep ? "going to sleep" : "woke up");

  if (!going_to_sleep)
    pb_scheduler_notify_resumed (self);
}

static void
on_system_bus (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, &error);
  PbScheduler *self;
  GWeakRef *ref;

  /* Cancelled means disposed: user_data must not be touched. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (bus == NULL)
    {
      /* A container or another init system: checks after a resume then rely
       * on the network monitor (most systems reconnect on resume). */
      g_debug ("No system bus, so no notice of resume from suspend: %s", error->message);
      return;
    }

  self = user_data;
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  self->system_bus = g_steal_pointer (&bus);
  /* Without logind the subscription simply never fires. */
  self->sleep_subscription =
    g_dbus_connection_signal_subscribe (self->system_bus, LOGIND_NAME, LOGIND_MANAGER,
                                        "PrepareForSleep", LOGIND_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_prepare_for_sleep,
                                        ref, weak_ref_free);
  g_debug ("Watching logind for resume from suspend");
}

static void
pb_scheduler_constructed (GObject *object)
{
  PbScheduler *self = PB_SCHEDULER (object);

  G_OBJECT_CLASS (pb_scheduler_parent_class)->constructed (object);

  if (self->clock == NULL)
    self->clock = g_object_ref (pb_clock_get_default ());
  if (self->network == NULL)
    self->network = g_object_ref (g_network_monitor_get_default ());

  self->online = g_network_monitor_get_network_available (self->network);
  self->network_changed_id = g_signal_connect (self->network, "network-changed",
                                               G_CALLBACK (on_network_changed), self);

  if (self->watch_sleep)
    {
      self->cancellable = g_cancellable_new ();
      g_bus_get (G_BUS_TYPE_SYSTEM, self->cancellable, on_system_bus, self);
    }
}

static void
pb_scheduler_dispose (GObject *object)
{
  PbScheduler *self = PB_SCHEDULER (object);

  if (self->timeout_id != 0)
    {
      pb_clock_remove_timeout (self->clock, self->timeout_id);
      self->timeout_id = 0;
    }

  g_clear_signal_handler (&self->network_changed_id, self->network);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->sleep_subscription != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->system_bus, self->sleep_subscription);
      self->sleep_subscription = 0;
    }
  g_clear_object (&self->system_bus);

  g_clear_object (&self->network);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (pb_scheduler_parent_class)->dispose (object);
}

static void
pb_scheduler_finalize (GObject *object)
{
  PbScheduler *self = PB_SCHEDULER (object);

  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->rand, g_rand_free);

  G_OBJECT_CLASS (pb_scheduler_parent_class)->finalize (object);
}

static void
pb_scheduler_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PbScheduler *self = PB_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;

    case PROP_NETWORK:
      g_value_set_object (value, self->network);
      break;

    case PROP_WATCH_SLEEP:
      g_value_set_boolean (value, self->watch_sleep);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_scheduler_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  PbScheduler *self = PB_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;

    case PROP_NETWORK:
      self->network = g_value_dup_object (value);
      break;

    case PROP_WATCH_SLEEP:
      self->watch_sleep = g_value_get_boolean (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_scheduler_class_init (PbSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pb_scheduler_constructed;
  object_class->dispose = pb_scheduler_dispose;
  object_class->finalize = pb_scheduler_finalize;
  object_class->get_property = pb_scheduler_get_property;
  object_class->set_property = pb_scheduler_set_property;

  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, PB_TYPE_CLOCK,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NETWORK] =
    g_param_spec_object ("network", NULL, NULL, G_TYPE_NETWORK_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WATCH_SLEEP] =
    g_param_spec_boolean ("watch-sleep", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHECK] =
    g_signal_new ("check", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ONLINE_CHANGED] =
    g_signal_new ("online-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[SIGNAL_SCHEDULE_CHANGED] =
    g_signal_new ("schedule-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
pb_scheduler_init (PbScheduler *self)
{
  self->accounts = g_ptr_array_new_with_free_func (account_free);
  self->max_concurrent = PB_SCHEDULER_DEFAULT_MAX_CONCURRENT;
  self->rand = g_rand_new_with_seed (g_random_int ());
}

PbScheduler *
pb_scheduler_new (PbClock         *clock,
                  GNetworkMonitor *network,
                  gboolean         watch_sleep)
{
  g_return_val_if_fail (clock == NULL || PB_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (network == NULL || G_IS_NETWORK_MONITOR (network), NULL);

  return g_object_new (PB_TYPE_SCHEDULER,
                       "clock", clock,
                       "network", network,
                       "watch-sleep", watch_sleep,
                       NULL);
}

void
pb_scheduler_set_seed (PbScheduler *self,
                       guint32      seed)
{
  g_return_if_fail (PB_IS_SCHEDULER (self));

  g_rand_set_seed (self->rand, seed);
}

void
pb_scheduler_set_max_concurrent (PbScheduler *self,
                                 guint        n)
{
  g_return_if_fail (PB_IS_SCHEDULER (self));
  g_return_if_fail (n > 0);

  self->max_concurrent = n;
  arm (self);
}

static guint
clamp_interval (guint interval_minutes)
{
  return CLAMP (interval_minutes, 1, MAX_INTERVAL_MIN);
}

void
pb_scheduler_add_account (PbScheduler *self,
                          const char  *account_id,
                          guint        interval_minutes)
{
  Account *account;

  g_return_if_fail (PB_IS_SCHEDULER (self));
  g_return_if_fail (account_id != NULL && account_id[0] != '\0');

  if (lookup (self, account_id) != NULL)
    {
      g_debug ("Account %s is already scheduled", account_id);
      pb_scheduler_set_interval (self, account_id, interval_minutes);
      return;
    }

  account = g_new0 (Account, 1);
  account->id = g_strdup (account_id);
  account->interval = clamp_interval (interval_minutes);
  set_soon (self, account, now (self));
  g_ptr_array_add (self->accounts, account);

  arm (self);
  emit_schedule_changed (self, account_id);
}

void
pb_scheduler_remove_account (PbScheduler *self,
                             const char  *account_id)
{
  Account *account;

  g_return_if_fail (PB_IS_SCHEDULER (self));
  g_return_if_fail (account_id != NULL);

  account = lookup (self, account_id);
  if (account == NULL)
    return;

  /* A check still running is forgotten: its report will be ignored. */
  if (account->running)
    self->n_running--;

  g_ptr_array_remove (self->accounts, account);
  arm (self);
}

void
pb_scheduler_set_interval (PbScheduler *self,
                           const char  *account_id,
                           guint        interval_minutes)
{
  Account *account;
  guint interval = clamp_interval (interval_minutes);

  g_return_if_fail (PB_IS_SCHEDULER (self));
  g_return_if_fail (account_id != NULL);

  account = lookup (self, account_id);
  if (account == NULL || account->interval == interval)
    return;

  account->interval = interval;

  /* Counted again from the last check; a "soon" stays soon. */
  if (is_waiting (account) && account->regular)
    account->due = account->last_reported + regular_delay (self, account);

  arm (self);
  emit_schedule_changed (self, account_id);
}

static void
restart (PbScheduler *self,
         Account     *account,
         gboolean     at_once)
{
  if (account->running)
    {
      g_debug ("Account %s is being checked already", account->id);
      return;
    }

  account->stopped = FALSE;
  account->failures = 0;
  if (at_once)
    {
      account->due = now (self);
      account->regular = FALSE;
    }
  else
    {
      set_soon (self, account, now (self));
    }
}

void
pb_scheduler_check_now (PbScheduler *self,
                        const char  *account_id)
{
  g_return_if_fail (PB_IS_SCHEDULER (self));

  if (account_id == NULL)
    {
      for (guint i = 0; i < self->accounts->len; i++)
        restart (self, g_ptr_array_index (self->accounts, i), TRUE);

      arm (self);
      emit_schedule_changed_all (self);
    }
  else
    {
      Account *account = lookup (self, account_id);

      if (account == NULL)
        return;

      restart (self, account, TRUE);
      arm (self);
      emit_schedule_changed (self, account_id);
    }
}

void
pb_scheduler_resume (PbScheduler *self,
                     const char  *account_id)
{
  Account *account;

  g_return_if_fail (PB_IS_SCHEDULER (self));
  g_return_if_fail (account_id != NULL);

  account = lookup (self, account_id);
  if (account == NULL)
    return;

  restart (self, account, FALSE);
  arm (self);
  emit_schedule_changed (self, account_id);
}

/* The monotonic clock stood still during the suspend, so the pending timeout
 * is as far away as it was when the system went to sleep: the checks must be
 * brought forward by hand. Stopped accounts stay stopped (a wrong password
 * is still wrong after a resume). */
void
pb_scheduler_notify_resumed (PbScheduler *self)
{
  g_return_if_fail (PB_IS_SCHEDULER (self));

  g_debug ("Resumed from suspend");
  reschedule_all_soon (self, FALSE);
  emit_schedule_changed_all (self);
}

void
pb_scheduler_report (PbScheduler *self,
                     const char  *account_id,
                     PbOutcome    outcome)
{
  Account *account;
  gint64 time;

  g_return_if_fail (PB_IS_SCHEDULER (self));
  g_return_if_fail (account_id != NULL);
  g_return_if_fail (outcome == PB_OUTCOME_OK || outcome == PB_OUTCOME_FAILED ||
                    outcome == PB_OUTCOME_NEEDS_USER);

  account = lookup (self, account_id);
  if (account == NULL || !account->running)
    {
      g_debug ("Ignoring a report for %s, which is not being checked", account_id);
      return;
    }

  time = now (self);
  account->running = FALSE;
  account->last_reported = time;
  g_assert (self->n_running > 0);
  self->n_running--;

  switch (outcome)
    {
    case PB_OUTCOME_OK:
      account->failures = 0;
      break;

    case PB_OUTCOME_FAILED:
      if (account->failures < G_MAXUINT)
        account->failures++;
      break;

    case PB_OUTCOME_NEEDS_USER:
      account->stopped = TRUE;
      account->failures = 0;
      break;

    default:
      g_assert_not_reached ();
    }

  g_debug ("Account %s: %s", account_id,
           outcome == PB_OUTCOME_OK ? "ok" :
           outcome == PB_OUTCOME_FAILED ? "failed" : "stopped until the user acts");

  if (!account->stopped)
    {
      account->due = time + regular_delay (self, account);
      account->regular = TRUE;

      if (account->recheck)
        set_soon (self, account, time);
    }
  account->recheck = FALSE;

  arm (self);
  emit_schedule_changed (self, account_id);
}

gboolean
pb_scheduler_get_online (PbScheduler *self)
{
  g_return_val_if_fail (PB_IS_SCHEDULER (self), FALSE);

  return self->online;
}

gboolean
pb_scheduler_is_running (PbScheduler *self,
                         const char  *account_id)
{
  Account *account;

  g_return_val_if_fail (PB_IS_SCHEDULER (self), FALSE);
  g_return_val_if_fail (account_id != NULL, FALSE);

  account = lookup (self, account_id);
  return account != NULL && account->running;
}

gboolean
pb_scheduler_is_stopped (PbScheduler *self,
                         const char  *account_id)
{
  Account *account;

  g_return_val_if_fail (PB_IS_SCHEDULER (self), FALSE);
  g_return_val_if_fail (account_id != NULL, FALSE);

  account = lookup (self, account_id);
  return account != NULL && account->stopped;
}

gint64
pb_scheduler_get_next_check (PbScheduler *self,
                             const char  *account_id)
{
  Account *account;
  gint64 monotonic;

  g_return_val_if_fail (PB_IS_SCHEDULER (self), 0);
  g_return_val_if_fail (account_id != NULL, 0);

  account = lookup (self, account_id);
  if (account == NULL || !is_waiting (account) || !self->online)
    return 0;

  /* A check waiting for a free slot is due now, not in the past. */
  monotonic = now (self);
  return pb_clock_get_real (self->clock) + MAX (account->due - monotonic, 0);
}
