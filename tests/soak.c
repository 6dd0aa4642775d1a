/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Load soak: many accounts on one private Dovecot, checked by one monitor
 * for many rounds. Prints the concurrency, file descriptors, memory and
 * main-loop lateness as it goes, and fails when any of them misbehaves.
 *
 *   popbell-soak [--rounds 1000] [--accounts 200] [--report-every 100]
 *
 * Needs root (Dovecot) and PB_TEST_CERTS; build-aux/soak sets both up. */
#include "config.h"

#include <sys/resource.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-dovecot.h"
#include "pb-monitor.h"
#include "pb-test-clock.h"
#include "pb-test-network.h"
#include "pb-test-util.h"

#define PASSWORD "soak-secret"
#define TICK_MS 50
#define ROUND_TIMEOUT_S 300
/* Mail delivered between rounds, to so many accounts (rotating). */
#define DELIVER_PER_ROUND 5
/* Allowed growth between the reference round and the last one. */
#define MAX_FD_GROWTH 4
#define MAX_RSS_GROWTH 0.10

typedef struct
{
  guint           n_accounts;
  PbDovecot      *dovecot;
  PbTestClock    *clock;
  PbScheduler    *scheduler;
  PbMonitor      *monitor;
  GHashTable     *states;         /* id → PbAccountState + 1 */

  /* This round. */
  guint           finished;       /* CHECKING → anything else */
  guint           running;        /* accounts in CHECKING now */
  guint           round_max_running;
  guint           round_failed;   /* finished in a state other than OK */

  /* Whole run. */
  guint64         checks;
  guint64         new_mail;
  guint           max_running;
  guint64         failed;

  /* The main-loop watchdog. */
  gint64          tick_last;
  GArray         *lateness;       /* gint64 µs, every tick of the run */
  gint64          window_max_lateness;
} Soak;

static void
on_account_changed (PbMonitor  *monitor,
                    const char *id,
                    Soak       *soak)
{
  PbAccountState state = pb_monitor_get_state (monitor, id);
  gpointer old_value = g_hash_table_lookup (soak->states, id);
  PbAccountState old = old_value != NULL ? (PbAccountState) (GPOINTER_TO_INT (old_value) - 1)
                                         : PB_ACCOUNT_STATE_IDLE;

  if (state == old)
    return;
  g_hash_table_insert (soak->states, g_strdup (id), GINT_TO_POINTER (state + 1));

  if (state == PB_ACCOUNT_STATE_CHECKING)
    {
      soak->running++;
      soak->round_max_running = MAX (soak->round_max_running, soak->running);
    }
  else if (old == PB_ACCOUNT_STATE_CHECKING)
    {
      soak->running--;
      soak->finished++;
      soak->checks++;
      if (state != PB_ACCOUNT_STATE_OK)
        {
          const GError *error = pb_monitor_get_error (monitor, id);

          soak->round_failed++;
          soak->failed++;
          if (soak->failed <= 5)
            g_printerr ("soak: %s ended in state %d: %s\n", id, state,
                        error != NULL ? error->message : "(no error)");
        }
    }
}

static void
on_new_mail (PbMonitor  *monitor,
             const char *id,
             GPtrArray  *messages,
             guint       count,
             Soak       *soak)
{
  soak->new_mail += count;
}

/* How late the main loop runs a timeout that asked for TICK_MS: a check
 * that blocks the loop (a synchronous handshake or file read) shows here. */
static gboolean
on_tick (gpointer user_data)
{
  Soak *soak = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 late = MAX (now - soak->tick_last - TICK_MS * 1000, 0);

  g_array_append_val (soak->lateness, late);
  soak->window_max_lateness = MAX (soak->window_max_lateness, late);
  soak->tick_last = now;
  return G_SOURCE_CONTINUE;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
drop_debug (const char     *domain,
            GLogLevelFlags  level,
            const char     *message,
            gpointer        user_data)
{
  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return;
  g_log_default_handler (domain, level, message, user_data);
}

static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n - 1; /* the directory's own */
}

static guint64
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "\nVmRSS:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

static char *
user_name (guint i)
{
  return g_strdup_printf ("soak%03u", i);
}

static void
setup_accounts (Soak       *soak,
                const char *dir,
                PbAccountStore **out_accounts)
{
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autofree char *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (path);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < soak->n_accounts; i++)
    {
      g_autofree char *user = user_name (i);
      g_autoptr(PbAccount) account = pb_account_new (user);

      if (!pb_dovecot_add_user (soak->dovecot, user, PASSWORD, &error))
        g_error ("Could not add %s to Dovecot: %s", user, error->message);
      pb_account_set_host (account, "localhost");
      pb_account_set_user (account, user);
      pb_account_set_port (account, pb_dovecot_get_pop3s_port (soak->dovecot));
      /* Long enough that no regular check falls inside a round. */
      pb_account_set_interval (account, 60);
      pb_account_set_ca_file (account, ca);
      if (!pb_account_store_add (accounts, account, &error))
        g_error ("Could not add account %s: %s", user, error->message);
    }
  if (!pb_account_store_save (accounts, &error))
    g_error ("Could not save the accounts: %s", error->message);
  *out_accounts = g_steal_pointer (&accounts);
}

static void
deliver_some (Soak  *soak,
              guint  round)
{
  for (guint k = 0; k < DELIVER_PER_ROUND && k < soak->n_accounts; k++)
    {
      guint i = (round * DELIVER_PER_ROUND + k) % soak->n_accounts;
      g_autofree char *user = user_name (i);
      g_autofree char *message = g_strdup_printf ("From: Sender <s@example.org>\r\n"
                                                  "Subject: Round %u\r\n\r\nbody\r\n", round);
      g_autoptr(GError) error = NULL;

      if (!pb_dovecot_deliver (soak->dovecot, user, message, strlen (message), &error))
        g_error ("Could not deliver to %s: %s", user, error->message);
    }
}

/* Asks for a check of every account and runs the main loop until each one
 * has ended. The scheduler's timeouts run on the test clock, and only those
 * due now: the clock never jumps to the next regular check. */
static void
run_round (Soak *soak)
{
  gint64 deadline = g_get_monotonic_time () + ROUND_TIMEOUT_S * G_USEC_PER_SEC;

  soak->finished = 0;
  soak->round_failed = 0;
  soak->round_max_running = soak->running;

  pb_monitor_check_now (soak->monitor, NULL);
  while (soak->finished < soak->n_accounts)
    {
      gint64 due = pb_test_clock_get_next_due (soak->clock);

      if (due >= 0 && due <= pb_clock_get_monotonic (PB_CLOCK (soak->clock)))
        {
          pb_test_clock_run_next (soak->clock);
          continue;
        }
      g_main_context_iteration (NULL, TRUE);
      if (g_get_monotonic_time () > deadline)
        g_error ("Round did not end within %d s: %u of %u accounts done, %u running",
                 ROUND_TIMEOUT_S, soak->finished, soak->n_accounts, soak->running);
    }
}

/* CPU time (user + system) this process used so far, in µs: the applet's
 * own cost of the checks, without Dovecot's. */
static gint64
cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static void
print_header (void)
{
  g_print ("%6s %9s %9s %7s %6s %6s %9s %9s %9s %9s %9s\n", "round", "checks", "failed",
           "new", "maxrun", "fds", "RSS MiB", "round s", "late max", "late p99", "CPU ms");
  g_print ("%6s %9s %9s %7s %6s %6s %9s %9s %9s %9s %9s\n", "", "total", "total", "mail", "", "",
           "", "(last)", "ms", "ms", "/check");
}

static double
percentile_ms (GArray *samples,
               guint   from,
               double  p)
{
  g_autoptr(GArray) sorted = NULL;
  guint n;

  if (samples->len <= from)
    return 0;
  n = samples->len - from;
  sorted = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_array_append_vals (sorted, &g_array_index (samples, gint64, from), n);
  g_array_sort (sorted, compare_gint64);
  return g_array_index (sorted, gint64, MIN ((guint) (p * n), n - 1)) / 1000.0;
}

int
main (int    argc,
      char **argv)
{
  int rounds = 1000;
  int n_accounts = 200;
  int report_every = 100;
  GOptionEntry entries[] = {
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Check rounds (default 1000)", "N" },
    { "accounts", 'a', 0, G_OPTION_ARG_INT, &n_accounts, "Accounts (default 200)", "N" },
    { "report-every", 'e', 0, G_OPTION_ARG_INT, &report_every,
      "Print a line every N rounds (default 100)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- checks many accounts for many rounds");
  g_autoptr(GError) error = NULL;
  g_autoptr(PbAccountStore) accounts = NULL;
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(PbTestNetwork) network = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *pins_path = NULL;
  g_autofree char *state_dir = NULL;
  char *fake_argv[] = { argv[0], NULL };
  char **fake_argvp = fake_argv;
  int fake_argc = 1;
  Soak soak = { 0 };
  guint ref_round = 0, ref_fds = 0;
  gint64 cpu_before, round_cpu_us, total_cpu_us = 0;
  guint64 ref_rss = 0;
  guint last_fds = 0;
  guint64 last_rss = 0;
  guint ref_tick = 0;
  guint window_max_running = 0;
  guint window_tick = 0;
  gint64 started, round_started, total_check_us = 0;
  gboolean ok = TRUE;
  gboolean fd_growth_ok;
  double rss_growth;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("popbell-soak: %s\n", error->message);
      return 2;
    }
  if (rounds < 1 || n_accounts < 1 || report_every < 1)
    {
      g_printerr ("popbell-soak: --rounds, --accounts and --report-every must be positive\n");
      return 2;
    }

  /* The private home and XDG folders of the test helpers; no test is run. */
  pb_test_init (&fake_argc, &fake_argvp);
  /* g_test_init turns debug messages on: 200,000 checks would drown the table. */
  g_log_set_default_handler (drop_debug, NULL);

  soak.n_accounts = n_accounts;
  soak.states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  soak.lateness = g_array_new (FALSE, FALSE, sizeof (gint64));

  soak.dovecot = pb_dovecot_new (&error);
  if (soak.dovecot == NULL)
    {
      g_printerr ("popbell-soak: Dovecot did not start: %s\n", error->message);
      return 2;
    }

  dir = pb_test_mkdtemp ("soak");
  state_dir = g_build_filename (dir, "state", NULL);
  pins_path = g_build_filename (dir, "trust.ini", NULL);
  setup_accounts (&soak, dir, &accounts);
  pins = pb_trust_store_new (pins_path);

  soak.clock = pb_test_clock_new ();
  network = pb_test_network_new (TRUE);
  soak.scheduler = pb_scheduler_new (PB_CLOCK (soak.clock), G_NETWORK_MONITOR (network), FALSE);
  pb_scheduler_set_seed (soak.scheduler, 7);
  soak.monitor = pb_monitor_new (accounts, pins, soak.scheduler, state_dir);
  g_signal_connect (soak.monitor, "account-changed", G_CALLBACK (on_account_changed), &soak);
  g_signal_connect (soak.monitor, "new-mail", G_CALLBACK (on_new_mail), &soak);

  pb_monitor_start (soak.monitor);
  for (guint i = 0; i < soak.n_accounts; i++)
    {
      g_autofree char *id = user_name (i);
      pb_monitor_set_session_password (soak.monitor, id, PASSWORD);
    }

  g_print ("popbell-soak: %d accounts on one Dovecot, %d rounds, at most %d checks at once\n",
           n_accounts, rounds, PB_SCHEDULER_DEFAULT_MAX_CONCURRENT);
  print_header ();

  soak.tick_last = g_get_monotonic_time ();
  g_timeout_add (TICK_MS, on_tick, &soak);
  started = g_get_monotonic_time ();

  /* The reference for growth: round 100, when caches, TLS sessions and the
   * seen state have settled; half-way through shorter runs. */
  ref_round = MIN (100, MAX (1, (guint) rounds / 2));

  for (guint round = 1; round <= (guint) rounds; round++)
    {
      gint64 round_us;

      if (round > 1)
        deliver_some (&soak, round);
      round_started = g_get_monotonic_time ();
      cpu_before = cpu_us ();
      run_round (&soak);
      round_us = g_get_monotonic_time () - round_started;
      round_cpu_us = cpu_us () - cpu_before;
      total_cpu_us += round_cpu_us;
      total_check_us += round_us;
      /* A user reads the mail now and then; without this the unread lists
       * (rightly) grow with every delivery. */
      pb_monitor_acknowledge (soak.monitor, NULL);

      soak.max_running = MAX (soak.max_running, soak.round_max_running);
      window_max_running = MAX (window_max_running, soak.round_max_running);

      if (round == ref_round)
        {
          ref_fds = count_fds ();
          ref_rss = rss_kib ();
          ref_tick = soak.lateness->len;
        }
      if (round % report_every == 0 || round == (guint) rounds || round <= 2)
        {
          last_fds = count_fds ();
          last_rss = rss_kib ();
          g_print ("%6u %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT " %7" G_GUINT64_FORMAT
                   " %6u %6u %9.1f %9.2f %9.1f %9.1f %9.2f\n",
                   round, soak.checks, soak.failed, soak.new_mail, window_max_running,
                   last_fds, last_rss / 1024.0, round_us / 1e6,
                   soak.window_max_lateness / 1000.0,
                   percentile_ms (soak.lateness, window_tick, 0.99),
                   round_cpu_us / 1000.0 / n_accounts);
          window_max_running = 0;
          window_tick = soak.lateness->len;
          soak.window_max_lateness = 0;
        }
    }

  fd_growth_ok = (gint64) last_fds - (gint64) ref_fds <= MAX_FD_GROWTH;
  rss_growth = ref_rss > 0 ? ((double) last_rss - (double) ref_rss) / ref_rss : 0;
  g_print ("\n%d rounds, %" G_GUINT64_FORMAT " checks (%" G_GUINT64_FORMAT " failed) in %.1f s"
           " (%.2f s a round, %.1f ms a check)\n",
           rounds, soak.checks, soak.failed, (g_get_monotonic_time () - started) / 1e6,
           total_check_us / 1e6 / rounds, soak.checks ? total_check_us / 1e3 / soak.checks : 0.0);
  g_print ("CPU: %.2f ms per check on average (user + system, this process)\n",
           total_cpu_us / 1000.0 / MAX (soak.checks, 1));
  g_print ("fds: %u at round %u, %u at round %d (%+d)\n", ref_fds, ref_round, last_fds, rounds,
           (int) last_fds - (int) ref_fds);
  g_print ("RSS: %.1f MiB at round %u, %.1f MiB at round %d (%+.1f%%)\n", ref_rss / 1024.0,
           ref_round, last_rss / 1024.0, rounds, rss_growth * 100);
  g_print ("concurrency: at most %u checks at once (bound %d)\n", soak.max_running,
           PB_SCHEDULER_DEFAULT_MAX_CONCURRENT);
  g_print ("main loop: %u ticks of %d ms, late by at most %.1f ms, p99 %.1f ms"
           " (after round %u: max %.1f ms, p99 %.1f ms)\n",
           soak.lateness->len, TICK_MS,
           percentile_ms (soak.lateness, 0, 1.0), percentile_ms (soak.lateness, 0, 0.99),
           ref_round, percentile_ms (soak.lateness, ref_tick, 1.0),
           percentile_ms (soak.lateness, ref_tick, 0.99));

  if (!fd_growth_ok)
    ok = FALSE;
  if (rss_growth > MAX_RSS_GROWTH)
    ok = FALSE;
  if (soak.max_running > PB_SCHEDULER_DEFAULT_MAX_CONCURRENT)
    ok = FALSE;
  if (soak.failed > 0)
    ok = FALSE;
  g_print ("verdict: %s (fd growth %+d, limit %d; RSS growth %+.1f%%, limit %.0f%%;"
           " concurrency %u <= %d: %s; failed checks %" G_GUINT64_FORMAT ")\n",
           ok ? "PASS" : "FAIL", (int) last_fds - (int) ref_fds, MAX_FD_GROWTH,
           rss_growth * 100, MAX_RSS_GROWTH * 100, soak.max_running,
           PB_SCHEDULER_DEFAULT_MAX_CONCURRENT,
           soak.max_running <= PB_SCHEDULER_DEFAULT_MAX_CONCURRENT ? "held" : "BROKEN",
           soak.failed);

  g_clear_object (&soak.monitor);
  g_clear_object (&soak.scheduler);
  g_clear_object (&soak.clock);
  g_clear_pointer (&soak.dovecot, pb_dovecot_free);
  g_hash_table_unref (soak.states);
  g_array_unref (soak.lateness);
  return ok ? 0 : 1;
}
