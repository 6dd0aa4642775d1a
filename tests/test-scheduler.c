/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-scheduler.h"
#include "pb-test-clock.h"
#include "pb-test-network.h"
#include "pb-test-util.h"

#define SEC          (G_GINT64_CONSTANT (1) * G_USEC_PER_SEC)
#define MINUTE       (60 * SEC)
#define SOON_LOW     (PB_SCHEDULER_SOON_MS * G_GINT64_CONSTANT (1000))
#define SOON_HIGH    (SOON_LOW + 3 * SEC)
#define SEED         20240601

typedef struct
{
  gint64  time;  /* monotonic */
  char   *id;
} Check;

typedef struct
{
  PbTestClock   *clock;
  PbTestNetwork *network;
  PbScheduler   *scheduler;
  GArray        *checks;         /* Check, in the order of ::check */
  GArray        *online_changes; /* gboolean */
  guint          schedule_changes;
} Fixture;

static void
check_clear (gpointer data)
{
  g_free (((Check *) data)->id);
}

static void
on_check (PbScheduler *scheduler,
          const char  *account_id,
          Fixture     *f)
{
  Check check = { pb_clock_get_monotonic (PB_CLOCK (f->clock)), g_strdup (account_id) };

  /* A check is only asked for what is due and allowed to run. */
  g_assert_true (pb_scheduler_get_online (scheduler));
  g_assert_true (pb_scheduler_is_running (scheduler, account_id));
  g_assert_false (pb_scheduler_is_stopped (scheduler, account_id));
  g_array_append_val (f->checks, check);
}

static void
on_online_changed (PbScheduler *scheduler,
                   gboolean     online,
                   Fixture     *f)
{
  g_assert_cmpint (pb_scheduler_get_online (scheduler), ==, online);
  g_array_append_val (f->online_changes, online);
}

static void
on_schedule_changed (PbScheduler *scheduler,
                     const char  *account_id,
                     Fixture     *f)
{
  f->schedule_changes++;
}

static PbScheduler *
new_scheduler_full (Fixture  *f,
                    guint32   seed,
                    gboolean  watch_sleep)
{
  PbScheduler *scheduler = pb_scheduler_new (PB_CLOCK (f->clock), G_NETWORK_MONITOR (f->network),
                                             watch_sleep);

  pb_scheduler_set_seed (scheduler, seed);
  g_signal_connect (scheduler, "check", G_CALLBACK (on_check), f);
  g_signal_connect (scheduler, "online-changed", G_CALLBACK (on_online_changed), f);
  g_signal_connect (scheduler, "schedule-changed", G_CALLBACK (on_schedule_changed), f);
  return scheduler;
}

static PbScheduler *
new_scheduler (Fixture *f,
               guint32  seed)
{
  return new_scheduler_full (f, seed, FALSE);
}

static void
setup (Fixture  *f,
       gboolean  online)
{
  f->clock = pb_test_clock_new ();
  f->network = pb_test_network_new (online);
  f->checks = g_array_new (FALSE, FALSE, sizeof (Check));
  g_array_set_clear_func (f->checks, check_clear);
  f->online_changes = g_array_new (FALSE, FALSE, sizeof (gboolean));
  f->scheduler = new_scheduler (f, SEED);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  setup (f, TRUE);
}

static void
fixture_setup_offline (Fixture       *f,
                       gconstpointer  data)
{
  setup (f, FALSE);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->scheduler);
  /* The scheduler took its timeout with it. */
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 0);
  g_assert_finalize_object (f->network);
  g_assert_finalize_object (f->clock);
  g_array_unref (f->checks);
  g_array_unref (f->online_changes);
}

static gint64
now (Fixture *f)
{
  return pb_clock_get_monotonic (PB_CLOCK (f->clock));
}

static Check *
get_check (Fixture *f,
           guint    i)
{
  g_assert_cmpuint (i, <, f->checks->len);
  return &g_array_index (f->checks, Check, i);
}

static guint
count_checks_of (Fixture    *f,
                 const char *account_id)
{
  guint n = 0;

  for (guint i = 0; i < f->checks->len; i++)
    n += g_str_equal (get_check (f, i)->id, account_id);

  return n;
}

/* Runs the clock to its next timeout, which must start exactly one check
 * (no wakeup without a check); returns that check's ID and its delay. */
static const char *
next_check (Fixture *f,
            gint64  *delay)
{
  gint64 start = now (f);
  guint before = f->checks->len;

  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 1);
  g_assert_true (pb_test_clock_run_next (f->clock));
  g_assert_cmpuint (f->checks->len, ==, before + 1);

  if (delay != NULL)
    *delay = get_check (f, before)->time - start;
  return get_check (f, before)->id;
}

static void
assert_between (gint64 value,
                gint64 low,
                gint64 high)
{
  g_assert_cmpint (value, >=, low);
  g_assert_cmpint (value, <=, high);
}

/* The real time that corresponds to monotonic @time on the test clock. */
static gint64
real_time (Fixture *f,
           gint64   time)
{
  return pb_clock_get_real (PB_CLOCK (f->clock)) + (time - now (f));
}

static void
test_create_destroy (void)
{
  PbTestClock *clock = pb_test_clock_new ();
  PbTestNetwork *network = pb_test_network_new (TRUE);
  PbScheduler *scheduler = pb_scheduler_new (PB_CLOCK (clock), G_NETWORK_MONITOR (network), FALSE);

  pb_scheduler_add_account (scheduler, "a", 5);
  g_assert_cmpuint (pb_test_clock_count_pending (clock), ==, 1);

  g_assert_finalize_object (scheduler);
  g_assert_cmpuint (pb_test_clock_count_pending (clock), ==, 0);
  /* No handler left behind on the monitor. */
  pb_test_network_set_available (network, FALSE);
  g_assert_finalize_object (network);
  g_assert_finalize_object (clock);
}

static void
test_clock_create_destroy (void)
{
  PbTestClock *clock = pb_test_clock_new ();

  g_assert_true (PB_IS_CLOCK (clock));
  g_assert_finalize_object (clock);
  g_assert_true (pb_clock_get_default () == pb_clock_get_default ());
}

static void
test_network_create_destroy (void)
{
  PbTestNetwork *network = pb_test_network_new (FALSE);

  g_assert_false (g_network_monitor_get_network_available (G_NETWORK_MONITOR (network)));
  pb_test_network_set_available (network, TRUE);
  g_assert_true (g_network_monitor_get_network_available (G_NETWORK_MONITOR (network)));
  g_assert_finalize_object (network);
}

static void
test_first_checks_soon (Fixture       *f,
                        gconstpointer  data)
{
  static const char *ids[] = { "a", "b", "c" };
  gint64 start = now (f);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    pb_scheduler_add_account (f->scheduler, ids[i], 5);

  /* Nothing at once: "soon" leaves the session a moment to settle. */
  pb_test_clock_advance (f->clock, PB_SCHEDULER_SOON_MS - 1);
  g_assert_cmpuint (f->checks->len, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      next_check (f, NULL);
      assert_between (get_check (f, i)->time - start, SOON_LOW, SOON_HIGH);
      if (i > 0)
        g_assert_cmpint (get_check (f, i)->time, >, get_check (f, i - 1)->time);
    }

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_cmpuint (count_checks_of (f, ids[i]), ==, 1);
  /* All three running, nothing else planned. */
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 0);
  g_assert_cmpuint (pb_test_clock_count_fired (f->clock), ==, 3);
}

/* Whatever the seed, accounts added together are spread over the first
 * seconds and not checked at the same instant. */
static void
test_first_checks_spread (Fixture       *f,
                          gconstpointer  data)
{
  for (guint32 seed = 1; seed <= 20; seed++)
    {
      g_autoptr(GHashTable) times = g_hash_table_new (g_int64_hash, g_int64_equal);
      gint64 start = now (f);
      guint first = f->checks->len;

      g_clear_object (&f->scheduler);
      f->scheduler = new_scheduler (f, seed);
      pb_scheduler_add_account (f->scheduler, "a", 5);
      pb_scheduler_add_account (f->scheduler, "b", 5);
      pb_scheduler_add_account (f->scheduler, "c", 5);

      pb_test_clock_advance (f->clock, 10 * 1000);
      g_assert_cmpuint (f->checks->len, ==, first + 3);
      for (guint i = first; i < f->checks->len; i++)
        {
          assert_between (get_check (f, i)->time - start, SOON_LOW, SOON_HIGH);
          g_assert_true (g_hash_table_add (times, &get_check (f, i)->time));
        }
    }
}

static void
test_interval_regular (Fixture       *f,
                       gconstpointer  data)
{
  gint64 delays[8];
  gboolean varied = FALSE;

  pb_scheduler_add_account (f->scheduler, "a", 5);
  next_check (f, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    {
      pb_test_clock_advance (f->clock, 2000); /* the check takes two seconds */
      pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
      g_assert_false (pb_scheduler_is_running (f->scheduler, "a"));

      /* ±10 % of five minutes, counted from the report. */
      g_assert_cmpstr (next_check (f, &delays[i]), ==, "a");
      assert_between (delays[i], 5 * MINUTE - 30 * SEC, 5 * MINUTE + 30 * SEC);
      varied |= i > 0 && delays[i] != delays[0];
    }
  g_assert_true (varied);

  /* One wakeup per check, none in between. */
  g_assert_cmpuint (pb_test_clock_count_fired (f->clock), ==, f->checks->len);
}

static void
test_interval_same_not_together (Fixture       *f,
                                 gconstpointer  data)
{
  pb_scheduler_add_account (f->scheduler, "a", 5);
  pb_scheduler_add_account (f->scheduler, "b", 5);

  while (f->checks->len < 20)
    {
      const char *id = next_check (f, NULL);

      pb_test_clock_advance (f->clock, 100);
      pb_scheduler_report (f->scheduler, id, PB_OUTCOME_OK);
    }

  for (guint i = 1; i < f->checks->len; i++)
    g_assert_cmpint (get_check (f, i)->time, >, get_check (f, i - 1)->time);
  g_assert_cmpuint (count_checks_of (f, "a"), >=, 9);
  g_assert_cmpuint (count_checks_of (f, "b"), >=, 9);
}

static void
test_max_concurrent (Fixture       *f,
                     gconstpointer  data)
{
  static const char *ids[] = { "a", "b", "c", "d", "e" };
  guint running = 0;

  pb_scheduler_set_max_concurrent (f->scheduler, 2);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    pb_scheduler_add_account (f->scheduler, ids[i], 5);

  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 2);

  /* The others wait for a free slot, without a timer. */
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 0);
  pb_test_clock_advance (f->clock, 60 * 60 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    running += pb_scheduler_is_running (f->scheduler, ids[i]);
  g_assert_cmpuint (running, ==, 2);

  /* A waiting check is due now, not in the past. */
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      if (!pb_scheduler_is_running (f->scheduler, ids[i]))
        g_assert_cmpint (pb_scheduler_get_next_check (f->scheduler, ids[i]), ==,
                         pb_clock_get_real (PB_CLOCK (f->clock)));
    }

  /* Each report lets the next one in, at once. */
  for (guint done = 0; done < G_N_ELEMENTS (ids); done++)
    {
      guint expected = MIN (done + 3, G_N_ELEMENTS (ids));

      pb_scheduler_report (f->scheduler, get_check (f, done)->id, PB_OUTCOME_OK);
      pb_test_clock_advance (f->clock, 0);
      g_assert_cmpuint (f->checks->len, ==, expected);
    }

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_cmpuint (count_checks_of (f, ids[i]), ==, 1);
}

static void
test_offline_nothing_fires (Fixture       *f,
                            gconstpointer  data)
{
  gint64 back;

  g_assert_false (pb_scheduler_get_online (f->scheduler));
  pb_scheduler_add_account (f->scheduler, "a", 1);
  pb_scheduler_add_account (f->scheduler, "b", 1);

  /* Not even a timer while offline. */
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 0);
  g_assert_cmpint (pb_scheduler_get_next_check (f->scheduler, "a"), ==, 0);
  pb_test_clock_advance (f->clock, 24 * 60 * 60 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 0);
  g_assert_cmpuint (pb_test_clock_count_fired (f->clock), ==, 0);

  back = now (f);
  pb_test_network_set_available (f->network, TRUE);
  g_assert_true (pb_scheduler_get_online (f->scheduler));
  g_assert_cmpuint (f->online_changes->len, ==, 1);
  g_assert_true (g_array_index (f->online_changes, gboolean, 0));

  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 2);
  assert_between (get_check (f, 0)->time - back, SOON_LOW, SOON_HIGH);
  assert_between (get_check (f, 1)->time - back, SOON_LOW, SOON_HIGH);
  g_assert_cmpstr (get_check (f, 0)->id, !=, get_check (f, 1)->id);
}

static void
test_offline_then_back (Fixture       *f,
                        gconstpointer  data)
{
  gint64 back;

  pb_scheduler_add_account (f->scheduler, "a", 60);
  pb_scheduler_add_account (f->scheduler, "b", 60);
  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 2);

  pb_test_network_set_available (f->network, FALSE);
  g_assert_false (pb_scheduler_get_online (f->scheduler));
  g_assert_cmpuint (f->online_changes->len, ==, 1);
  g_assert_false (g_array_index (f->online_changes, gboolean, 0));

  /* Checks under way finish and report while offline; nothing new starts. */
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_FAILED);
  pb_scheduler_report (f->scheduler, "b", PB_OUTCOME_FAILED);
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 0);
  pb_test_clock_advance (f->clock, 10 * 60 * 60 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 2);

  /* Back: soon, not an hour (or a back-off) later. */
  back = now (f);
  pb_test_network_set_available (f->network, TRUE);
  g_assert_cmpuint (f->online_changes->len, ==, 2);
  assert_between (pb_scheduler_get_next_check (f->scheduler, "a"),
                  real_time (f, back + SOON_LOW), real_time (f, back + SOON_HIGH));
  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 4);
  assert_between (get_check (f, 2)->time - back, SOON_LOW, SOON_HIGH);
  assert_between (get_check (f, 3)->time - back, SOON_LOW, SOON_HIGH);
}

static void
test_network_change_while_online (Fixture       *f,
                                  gconstpointer  data)
{
  gint64 changed;

  pb_scheduler_add_account (f->scheduler, "a", 60);
  next_check (f, NULL);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);

  /* A VPN comes up twenty minutes later: check soon, not in forty minutes. */
  pb_test_clock_advance (f->clock, 20 * 60 * 1000);
  changed = now (f);
  pb_test_network_changed (f->network);
  g_assert_cmpuint (f->online_changes->len, ==, 0);
  g_assert_cmpstr (next_check (f, NULL), ==, "a");
  assert_between (get_check (f, 1)->time - changed, SOON_LOW, SOON_HIGH);

  /* A change during a check: whatever it reports, it is checked again soon
   * rather than after a back-off. */
  pb_test_clock_advance (f->clock, 1000);
  pb_test_network_changed (f->network);
  pb_test_clock_advance (f->clock, 1000);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_FAILED);
  changed = now (f);
  g_assert_cmpstr (next_check (f, NULL), ==, "a");
  assert_between (get_check (f, 2)->time - changed, SOON_LOW, SOON_HIGH);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);

  /* A burst of changes right after a check does not check again and again. */
  pb_test_network_changed (f->network);
  g_assert_cmpstr (next_check (f, NULL), ==, "a");
  g_assert_cmpint (get_check (f, 3)->time - get_check (f, 2)->time, >=, 30 * SEC);
}

static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  gint64 woke;

  pb_scheduler_add_account (f->scheduler, "a", 60);
  pb_scheduler_add_account (f->scheduler, "b", 60);
  pb_scheduler_add_account (f->scheduler, "stopped", 60);
  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 3);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  pb_scheduler_report (f->scheduler, "b", PB_OUTCOME_FAILED);
  pb_scheduler_report (f->scheduler, "stopped", PB_OUTCOME_NEEDS_USER);

  /* Ten minutes, then a night asleep: the monotonic clock stood still. */
  pb_test_clock_advance (f->clock, 10 * 60 * 1000);
  pb_test_clock_suspend (f->clock, 8 * 60 * 60 * 1000);
  woke = now (f);
  pb_scheduler_notify_resumed (f->scheduler);

  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 5);
  assert_between (get_check (f, 3)->time - woke, SOON_LOW, SOON_HIGH);
  assert_between (get_check (f, 4)->time - woke, SOON_LOW, SOON_HIGH);
  g_assert_cmpuint (count_checks_of (f, "stopped"), ==, 1);
  g_assert_true (pb_scheduler_is_stopped (f->scheduler, "stopped"));
}

static void
test_backoff (Fixture       *f,
              gconstpointer  data)
{
  static const gint64 factors[] = { 1, 2, 4, 8, 8, 8 };

  pb_scheduler_add_account (f->scheduler, "a", 1);
  next_check (f, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (factors); i++)
    {
      gint64 expected = factors[i] * MINUTE;
      gint64 spread = MIN (expected / 10, 30 * SEC);
      gint64 delay;

      pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_FAILED);
      g_assert_false (pb_scheduler_is_stopped (f->scheduler, "a"));
      assert_between (pb_scheduler_get_next_check (f->scheduler, "a"),
                      real_time (f, now (f) + expected - spread),
                      real_time (f, now (f) + expected + spread));
      next_check (f, &delay);
      assert_between (delay, expected - spread, expected + spread);
    }

  /* A success resets it. */
  for (guint i = 0; i < 2; i++)
    {
      gint64 delay;

      pb_scheduler_report (f->scheduler, "a", i == 0 ? PB_OUTCOME_OK : PB_OUTCOME_FAILED);
      next_check (f, &delay);
      assert_between (delay, 1 * MINUTE - 6 * SEC, 1 * MINUTE + 6 * SEC);
    }

  /* So does the user's "check now": the back-off starts over. */
  for (guint i = 0; i < 3; i++)
    {
      pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_FAILED);
      next_check (f, NULL);
    }
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_FAILED);
  pb_scheduler_check_now (f->scheduler, "a");
  pb_test_clock_advance (f->clock, 0);
  g_assert_true (pb_scheduler_is_running (f->scheduler, "a"));
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_FAILED);
  assert_between (pb_scheduler_get_next_check (f->scheduler, "a"),
                  real_time (f, now (f) + 1 * MINUTE - 6 * SEC),
                  real_time (f, now (f) + 1 * MINUTE + 6 * SEC));
}

static void
test_needs_user_stops (Fixture       *f,
                       gconstpointer  data)
{
  pb_scheduler_add_account (f->scheduler, "a", 1);
  next_check (f, NULL);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_NEEDS_USER);
  g_assert_true (pb_scheduler_is_stopped (f->scheduler, "a"));
  g_assert_cmpint (pb_scheduler_get_next_check (f->scheduler, "a"), ==, 0);
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 0);

  /* Not after many intervals, nor a network change, nor a resume. */
  pb_test_clock_advance (f->clock, 100 * 60 * 1000);
  pb_test_network_changed (f->network);
  pb_test_network_set_available (f->network, FALSE);
  pb_test_network_set_available (f->network, TRUE);
  pb_scheduler_notify_resumed (f->scheduler);
  pb_test_clock_advance (f->clock, 100 * 60 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 1);
  g_assert_true (pb_scheduler_is_stopped (f->scheduler, "a"));

  /* The user fixed it. */
  pb_scheduler_resume (f->scheduler, "a");
  g_assert_false (pb_scheduler_is_stopped (f->scheduler, "a"));
  next_check (f, NULL);
  assert_between (get_check (f, 1)->time - (get_check (f, 0)->time + 200 * MINUTE),
                  SOON_LOW, SOON_HIGH);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_NEEDS_USER);
  pb_test_clock_advance (f->clock, 100 * 60 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 2);

  /* "Check now" resumes too, at once. */
  pb_scheduler_check_now (f->scheduler, "a");
  g_assert_false (pb_scheduler_is_stopped (f->scheduler, "a"));
  pb_test_clock_advance (f->clock, 0);
  g_assert_cmpuint (f->checks->len, ==, 3);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  g_assert_cmpstr (next_check (f, NULL), ==, "a");
}

static void
test_check_now_all (Fixture       *f,
                    gconstpointer  data)
{
  pb_scheduler_add_account (f->scheduler, "a", 60);
  pb_scheduler_add_account (f->scheduler, "b", 60);
  pb_scheduler_add_account (f->scheduler, "c", 60);
  pb_scheduler_add_account (f->scheduler, "d", 60);
  pb_scheduler_set_max_concurrent (f->scheduler, 4);
  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 4);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  pb_scheduler_report (f->scheduler, "b", PB_OUTCOME_FAILED);
  pb_scheduler_report (f->scheduler, "c", PB_OUTCOME_NEEDS_USER);

  /* "d" is still being checked: it is not asked for twice. */
  pb_test_clock_advance (f->clock, 60 * 1000);
  pb_scheduler_check_now (f->scheduler, NULL);
  g_assert_cmpuint (f->checks->len, ==, 4);
  pb_test_clock_advance (f->clock, 0);
  g_assert_cmpuint (f->checks->len, ==, 7);
  for (guint i = 4; i < 7; i++)
    g_assert_cmpint (get_check (f, i)->time, ==, now (f));
  g_assert_cmpuint (count_checks_of (f, "a"), ==, 2);
  g_assert_cmpuint (count_checks_of (f, "b"), ==, 2);
  g_assert_cmpuint (count_checks_of (f, "c"), ==, 2);
  g_assert_cmpuint (count_checks_of (f, "d"), ==, 1);
}

static void
test_check_now_offline (Fixture       *f,
                        gconstpointer  data)
{
  gint64 back;

  pb_scheduler_add_account (f->scheduler, "a", 60);
  pb_scheduler_check_now (f->scheduler, "a");
  pb_test_clock_advance (f->clock, 60 * 60 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 0);

  back = now (f);
  pb_test_network_set_available (f->network, TRUE);
  g_assert_cmpstr (next_check (f, NULL), ==, "a");
  assert_between (get_check (f, 0)->time - back, SOON_LOW, SOON_HIGH);
}

static void
test_set_interval (Fixture       *f,
                   gconstpointer  data)
{
  gint64 reported;
  gint64 delay;

  pb_scheduler_add_account (f->scheduler, "a", 60);
  next_check (f, NULL);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  reported = now (f);

  /* Shorter: five minutes after the last check, not an hour. */
  pb_test_clock_advance (f->clock, 60 * 1000);
  pb_scheduler_set_interval (f->scheduler, "a", 5);
  next_check (f, NULL);
  assert_between (get_check (f, 1)->time - reported, 5 * MINUTE - 30 * SEC, 5 * MINUTE + 30 * SEC);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  reported = now (f);

  /* Longer. */
  pb_scheduler_set_interval (f->scheduler, "a", 120);
  next_check (f, &delay);
  assert_between (delay, 120 * MINUTE - 30 * SEC, 120 * MINUTE + 30 * SEC);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);

  /* Below the minimum: one minute. */
  pb_scheduler_set_interval (f->scheduler, "a", 0);
  next_check (f, &delay);
  assert_between (delay, 1 * MINUTE - 6 * SEC, 1 * MINUTE + 6 * SEC);

  /* An account added again keeps its place and takes the new interval. */
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  pb_scheduler_add_account (f->scheduler, "a", 10);
  next_check (f, &delay);
  assert_between (delay, 10 * MINUTE - 30 * SEC, 10 * MINUTE + 30 * SEC);
  g_assert_cmpuint (f->checks->len, ==, 5);
}

static void
test_remove_account (Fixture       *f,
                     gconstpointer  data)
{
  pb_scheduler_set_max_concurrent (f->scheduler, 1);
  pb_scheduler_add_account (f->scheduler, "a", 5);
  pb_scheduler_add_account (f->scheduler, "b", 5);
  pb_scheduler_add_account (f->scheduler, "c", 5);

  /* Removed before its first check: never checked. */
  pb_scheduler_remove_account (f->scheduler, "b");
  g_assert_cmpint (pb_scheduler_get_next_check (f->scheduler, "b"), ==, 0);
  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 1);

  /* Removed while running: its slot is free again, and the late report is
   * ignored. */
  pb_scheduler_remove_account (f->scheduler, get_check (f, 0)->id);
  g_assert_false (pb_scheduler_is_running (f->scheduler, get_check (f, 0)->id));
  pb_test_clock_advance (f->clock, 0);
  g_assert_cmpuint (f->checks->len, ==, 2);
  pb_scheduler_report (f->scheduler, get_check (f, 0)->id, PB_OUTCOME_OK);
  g_assert_true (pb_scheduler_is_running (f->scheduler, get_check (f, 1)->id));

  /* The last one removed: nothing left to wake up for. */
  pb_scheduler_report (f->scheduler, get_check (f, 1)->id, PB_OUTCOME_OK);
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 1);
  pb_scheduler_remove_account (f->scheduler, get_check (f, 1)->id);
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 0);
  pb_test_clock_advance (f->clock, 24 * 60 * 60 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 2);
  g_assert_cmpstr (get_check (f, 0)->id, !=, "b");
  g_assert_cmpstr (get_check (f, 1)->id, !=, "b");
}

/* Between checks exactly one timeout is pending: the next check. */
static void
test_one_timer (Fixture       *f,
                gconstpointer  data)
{
  static const struct { const char *id; guint interval; } accounts[] = {
    { "a", 1 }, { "b", 5 }, { "c", 7 }, { "d", 30 },
  };
  guint reports = 0;

  for (guint i = 0; i < G_N_ELEMENTS (accounts); i++)
    {
      pb_scheduler_add_account (f->scheduler, accounts[i].id, accounts[i].interval);
      g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 1);
    }

  while (f->checks->len < 60)
    {
      const char *id = next_check (f, NULL);

      g_assert_cmpuint (pb_test_clock_count_pending (f->clock), <=, 1);
      pb_scheduler_report (f->scheduler, id, reports++ % 3 == 0 ? PB_OUTCOME_FAILED
                                                                : PB_OUTCOME_OK);
      g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 1);
    }

  /* Each wakeup was a check. */
  g_assert_cmpuint (pb_test_clock_count_fired (f->clock), ==, f->checks->len);
  g_assert_cmpuint (count_checks_of (f, "a"), >, count_checks_of (f, "d"));
}

static void
test_report_unknown (Fixture       *f,
                     gconstpointer  data)
{
  gint64 next;
  guint changes;

  pb_scheduler_add_account (f->scheduler, "a", 5);
  next = pb_scheduler_get_next_check (f->scheduler, "a");
  changes = f->schedule_changes;

  pb_scheduler_report (f->scheduler, "unknown", PB_OUTCOME_NEEDS_USER);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_NEEDS_USER); /* not running */
  g_assert_false (pb_scheduler_is_stopped (f->scheduler, "a"));
  g_assert_cmpint (pb_scheduler_get_next_check (f->scheduler, "a"), ==, next);
  g_assert_cmpuint (f->schedule_changes, ==, changes);
  g_assert_false (pb_scheduler_is_running (f->scheduler, "unknown"));
  g_assert_false (pb_scheduler_is_stopped (f->scheduler, "unknown"));
  g_assert_cmpint (pb_scheduler_get_next_check (f->scheduler, "unknown"), ==, 0);

  /* Twice for one check: the second is ignored. */
  next_check (f, NULL);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  next = pb_scheduler_get_next_check (f->scheduler, "a");
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_NEEDS_USER);
  g_assert_false (pb_scheduler_is_stopped (f->scheduler, "a"));
  g_assert_cmpint (pb_scheduler_get_next_check (f->scheduler, "a"), ==, next);
}

static void
test_next_check_real_time (Fixture       *f,
                           gconstpointer  data)
{
  guint changes;

  pb_scheduler_add_account (f->scheduler, "a", 5);
  /* The timeout is rounded up to the millisecond. */
  assert_between (pb_scheduler_get_next_check (f->scheduler, "a"),
                  real_time (f, pb_test_clock_get_next_due (f->clock)) - 999,
                  real_time (f, pb_test_clock_get_next_due (f->clock)));

  changes = f->schedule_changes;
  next_check (f, NULL);
  g_assert_cmpuint (f->schedule_changes, >, changes);
  g_assert_cmpint (pb_scheduler_get_next_check (f->scheduler, "a"), ==, 0); /* running */

  changes = f->schedule_changes;
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  g_assert_cmpuint (f->schedule_changes, >, changes);

  /* After a suspend the real clock has moved on and so has the answer. */
  pb_test_clock_suspend (f->clock, 60 * 60 * 1000);
  /* The timeout is rounded up to the millisecond. */
  assert_between (pb_scheduler_get_next_check (f->scheduler, "a"),
                  real_time (f, pb_test_clock_get_next_due (f->clock)) - 999,
                  real_time (f, pb_test_clock_get_next_due (f->clock)));
  assert_between (pb_scheduler_get_next_check (f->scheduler, "a")
                  - pb_clock_get_real (PB_CLOCK (f->clock)),
                  5 * MINUTE - 30 * SEC, 5 * MINUTE + 30 * SEC);
}

/* A listener that reports from inside ::check, as a check that fails at once
 * (no password stored) does. */
static void
on_check_report_at_once (PbScheduler *scheduler,
                         const char  *account_id,
                         gpointer     user_data)
{
  pb_scheduler_report (scheduler, account_id, PB_OUTCOME_FAILED);
}

static void
test_report_from_handler (Fixture       *f,
                          gconstpointer  data)
{
  g_signal_connect (f->scheduler, "check", G_CALLBACK (on_check_report_at_once), NULL);
  pb_scheduler_set_max_concurrent (f->scheduler, 1);
  pb_scheduler_add_account (f->scheduler, "a", 1);
  pb_scheduler_add_account (f->scheduler, "b", 1);

  pb_test_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->checks->len, ==, 2);
  g_assert_false (pb_scheduler_is_running (f->scheduler, "a"));
  g_assert_false (pb_scheduler_is_running (f->scheduler, "b"));
  g_assert_cmpuint (pb_test_clock_count_pending (f->clock), ==, 1);
  pb_test_clock_advance (f->clock, 60 * 60 * 1000);
  g_assert_cmpuint (count_checks_of (f, "a"), >=, 5);
  g_assert_cmpuint (count_checks_of (f, "b"), >=, 5);
}

static void
on_check_drop_scheduler (PbScheduler *scheduler,
                         const char  *account_id,
                         gpointer     user_data)
{
  PbScheduler **pointer = user_data;

  g_clear_object (pointer);
}

/* The application quits from a ::check handler. */
static void
test_dropped_from_handler (void)
{
  g_autoptr(PbTestClock) clock = pb_test_clock_new ();
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  PbScheduler *scheduler = pb_scheduler_new (PB_CLOCK (clock), G_NETWORK_MONITOR (network), FALSE);

  g_object_add_weak_pointer (G_OBJECT (scheduler), (gpointer *) &scheduler);
  g_signal_connect (scheduler, "check", G_CALLBACK (on_check_drop_scheduler), &scheduler);
  pb_scheduler_add_account (scheduler, "a", 5);
  pb_scheduler_check_now (scheduler, NULL);
  pb_scheduler_add_account (scheduler, "b", 5);
  pb_scheduler_check_now (scheduler, NULL);

  pb_test_clock_advance (clock, 0);
  g_assert_null (scheduler);
  g_assert_cmpuint (pb_test_clock_count_pending (clock), ==, 0);
}

static void
on_check_quit (PbScheduler *scheduler,
               const char  *account_id,
               gpointer     user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_clock_timeout (gpointer user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE; /* ignored: a clock timeout runs once */
}

/* The real clock drives the scheduler through the main loop. */
static void
test_default_clock (void)
{
  PbClock *clock = pb_clock_get_default ();
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  PbScheduler *scheduler = pb_scheduler_new (NULL, G_NETWORK_MONITOR (network), FALSE);
  gboolean checked = FALSE;
  gboolean removed_ran = FALSE;
  gboolean done = FALSE;
  guint runs = 0;
  guint id;
  gint64 before;
  gint64 next;

  before = pb_clock_get_monotonic (clock);
  g_assert_cmpint (before, <=, g_get_monotonic_time ());
  g_assert_cmpint (ABS (pb_clock_get_real (clock) - g_get_real_time ()), <, 10 * SEC);

  /* A timeout runs once, whatever its function returns; a removed one never. */
  pb_clock_add_timeout (clock, 10, on_clock_timeout, &runs);
  id = pb_clock_add_timeout (clock, 20, set_flag, &removed_ran);
  pb_clock_remove_timeout (clock, id);
  pb_clock_add_timeout (clock, 100, set_flag, &done);
  pb_test_wait_for (&done, 5);
  g_assert_cmpuint (runs, ==, 1);
  g_assert_false (removed_ran);
  g_assert_cmpint (pb_clock_get_monotonic (clock) - before, >=, 100 * 1000);

  g_signal_connect (scheduler, "check", G_CALLBACK (on_check_quit), &checked);
  pb_scheduler_add_account (scheduler, "a", 1);
  pb_scheduler_check_now (scheduler, "a");
  pb_test_wait_for (&checked, 5);
  g_assert_true (pb_scheduler_is_running (scheduler, "a"));

  before = g_get_real_time ();
  pb_scheduler_report (scheduler, "a", PB_OUTCOME_OK);
  next = pb_scheduler_get_next_check (scheduler, "a");
  assert_between (next - before, 1 * MINUTE - 6 * SEC, 1 * MINUTE + 6 * SEC + SEC);

  g_assert_finalize_object (scheduler);
}

static void
iterate_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Without a system bus (a container, another init system) nothing is said
 * and scheduling goes on. */
static void
test_logind_no_system_bus (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *path = g_build_filename (pb_test_get_tmpdir (), "no-such-bus", NULL);
  g_autofree char *address = g_strconcat ("unix:path=", path, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;

  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
  g_clear_object (&f->scheduler);
  f->scheduler = new_scheduler_full (f, SEED, TRUE);

  /* Fails the same way for the test; by then the scheduler's attempt is done. */
  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_null (bus);
  g_assert_nonnull (error);
  iterate_for (100);

  pb_scheduler_add_account (f->scheduler, "a", 5);
  next_check (f, NULL);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  pb_scheduler_notify_resumed (f->scheduler);
  next_check (f, NULL);
  g_unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");
}

/* Gone before the system bus answered: the answer finds nothing to touch. */
static void
test_logind_destroyed_while_connecting (void)
{
  g_autofree char *path = g_build_filename (pb_test_get_tmpdir (), "no-such-bus", NULL);
  g_autofree char *address = g_strconcat ("unix:path=", path, NULL);
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  g_autoptr(PbTestClock) clock = pb_test_clock_new ();
  PbScheduler *scheduler;

  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
  scheduler = pb_scheduler_new (PB_CLOCK (clock), G_NETWORK_MONITOR (network), TRUE);
  g_assert_finalize_object (scheduler);
  iterate_for (100);
  g_unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
emit_prepare_for_sleep (GDBusConnection *connection,
                        gboolean         going_to_sleep)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (connection, NULL, "/org/freedesktop/login1",
                                 "org.freedesktop.login1.Manager", "PrepareForSleep",
                                 g_variant_new ("(b)", going_to_sleep), &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (connection, NULL, &error);
  g_assert_no_error (error);
}

/* logind on a private bus standing in for the system bus: waking up from a
 * suspend brings the checks forward. */
static void
test_logind_resume (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *runtime_dir = g_strdup (g_getenv ("XDG_RUNTIME_DIR"));
  g_autoptr(GTestDBus) test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GDBusConnection) logind = NULL;
  g_autoptr(GDBusConnection) system_bus = NULL;
  g_autoptr(GError) error = NULL;
  gboolean acquired = FALSE;
  guint owner_id;
  guint changes;
  gint64 woke;

  g_test_dbus_up (test_bus);
  g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE); /* GTestDBus unsets it */
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", g_test_dbus_get_bus_address (test_bus), TRUE);

  logind = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (test_bus),
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, &error);
  g_assert_no_error (error);
  owner_id = g_bus_own_name_on_connection (logind, "org.freedesktop.login1",
                                           G_BUS_NAME_OWNER_FLAGS_NONE,
                                           on_name_acquired, NULL, &acquired, NULL);
  pb_test_wait_for (&acquired, 10);

  /* The shared system bus connection must not end the process when the
   * private bus goes down at the end. */
  system_bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (system_bus, FALSE);

  g_clear_object (&f->scheduler);
  f->scheduler = new_scheduler_full (f, SEED, TRUE);
  pb_scheduler_add_account (f->scheduler, "a", 60);
  next_check (f, NULL);
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  pb_test_clock_advance (f->clock, 10 * 60 * 1000);

  /* The scheduler subscribes in the background: wake up until it has heard. */
  changes = f->schedule_changes;
  pb_test_clock_suspend (f->clock, 8 * 60 * 60 * 1000);
  woke = now (f);
  for (guint i = 0; i < 100 && f->schedule_changes == changes; i++)
    {
      emit_prepare_for_sleep (logind, FALSE);
      iterate_for (50);
    }
  g_assert_cmpuint (f->schedule_changes, >, changes);
  assert_between (pb_scheduler_get_next_check (f->scheduler, "a"),
                  real_time (f, woke + SOON_LOW), real_time (f, woke + SOON_HIGH));
  g_assert_cmpstr (next_check (f, NULL), ==, "a");
  assert_between (get_check (f, 1)->time - woke, SOON_LOW, SOON_HIGH);

  /* Now that it listens: going to sleep still changes nothing. */
  pb_scheduler_report (f->scheduler, "a", PB_OUTCOME_OK);
  changes = f->schedule_changes;
  emit_prepare_for_sleep (logind, TRUE);
  iterate_for (200);
  g_assert_cmpuint (f->schedule_changes, ==, changes);

  /* Unsubscribed with the scheduler: a later signal reaches nobody. */
  g_assert_finalize_object (g_steal_pointer (&f->scheduler));
  emit_prepare_for_sleep (logind, FALSE);
  iterate_for (100);
  f->scheduler = new_scheduler (f, SEED);

  g_bus_unown_name (owner_id);
  g_dbus_connection_close_sync (logind, NULL, NULL);
  g_dbus_connection_close_sync (system_bus, NULL, NULL);
  g_clear_object (&logind);
  g_clear_object (&system_bus);
  g_test_dbus_down (test_bus);
  g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE);
  g_unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");
}

int
main (int   argc,
      char *argv[])
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/scheduler/create-destroy", test_create_destroy);
  g_test_add_func ("/pb/scheduler/test-clock/create-destroy", test_clock_create_destroy);
  g_test_add_func ("/pb/scheduler/test-network/create-destroy", test_network_create_destroy);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define ADD_OFFLINE(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup_offline, func, fixture_teardown)
  ADD ("/pb/scheduler/first-checks/come-soon", test_first_checks_soon);
  ADD ("/pb/scheduler/first-checks/are-spread", test_first_checks_spread);
  ADD ("/pb/scheduler/interval/is-kept-with-spread", test_interval_regular);
  ADD ("/pb/scheduler/interval/same-for-two-does-not-fire-together",
       test_interval_same_not_together);
  ADD ("/pb/scheduler/interval/change-reschedules", test_set_interval);
  ADD ("/pb/scheduler/concurrency/limit-queues-the-rest", test_max_concurrent);
  ADD_OFFLINE ("/pb/scheduler/offline/nothing-fires-until-online", test_offline_nothing_fires);
  ADD ("/pb/scheduler/offline/back-online-checks-soon", test_offline_then_back);
  ADD ("/pb/scheduler/network/change-while-online-checks-soon", test_network_change_while_online);
  ADD ("/pb/scheduler/resume/checks-soon", test_resume);
  ADD ("/pb/scheduler/backoff/doubles-to-eight-and-resets", test_backoff);
  ADD ("/pb/scheduler/needs-user/stops-until-resume-or-check-now", test_needs_user_stops);
  ADD ("/pb/scheduler/check-now/all-at-once", test_check_now_all);
  ADD_OFFLINE ("/pb/scheduler/check-now/offline-waits-for-network", test_check_now_offline);
  ADD ("/pb/scheduler/remove/cancels", test_remove_account);
  ADD ("/pb/scheduler/timer/one-pending-between-checks", test_one_timer);
  ADD ("/pb/scheduler/report/unknown-is-ignored", test_report_unknown);
  ADD ("/pb/scheduler/report/from-the-check-handler", test_report_from_handler);
  ADD ("/pb/scheduler/next-check/is-real-time", test_next_check_real_time);
  ADD ("/pb/scheduler/logind/no-system-bus-is-quiet", test_logind_no_system_bus);
  ADD ("/pb/scheduler/logind/resume-checks-soon", test_logind_resume);
#undef ADD
#undef ADD_OFFLINE
  g_test_add_func ("/pb/scheduler/default-clock/runs-in-main-loop", test_default_clock);
  g_test_add_func ("/pb/scheduler/check/handler-may-drop-the-scheduler", test_dropped_from_handler);
  g_test_add_func ("/pb/scheduler/logind/destroyed-while-connecting",
                   test_logind_destroyed_while_connecting);

  return g_test_run ();
}
