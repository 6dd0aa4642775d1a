/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The checks of a running applet, for build-aux/bench: one long-lived process
 * that checks accounts the way PbMonitor does (the account's seen store kept
 * loaded between checks, the keyring's session opened once, the pins loaded
 * once), so that the bench can set what a check costs in the applet beside
 * what a one-shot `popbell --check` costs (a new process, its libraries, a
 * new keyring session and a state file read each time).
 *
 *   popbell-bench-applet       reads account IDs from stdin, one per line
 *
 * For each line it checks that account from the user's accounts.ini and
 * prints one line of JSON: status, total, new_count, seconds (the check's
 * wall time inside the process), peak_rss_kib (of the whole process so far),
 * commands_sent, round_trips, bytes_received. The environment (HOME,
 * XDG_*_HOME, the D-Bus session with the keyring) is the bench's. */
#include "config.h"

#include <sys/resource.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "pb-account-store.h"
#include "pb-checker.h"
#include "pb-error.h"
#include "pb-seen-store.h"
#include "pb-trust-store.h"

typedef struct
{
  GMainLoop     *loop;
  PbCheckResult *result;
} Wait;

static void
on_checked (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = pb_checker_check_finish (res);
  g_main_loop_quit (wait->loop);
}

static void
print_result (PbCheckResult *result,
              double         seconds)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  g_print ("{\"status\": \"%s\", \"total\": %u, \"new_count\": %u, \"seconds\": %.6f, "
           "\"peak_rss_kib\": %ld, \"commands_sent\": %u, \"round_trips\": %u, "
           "\"bytes_received\": %" G_GUINT64_FORMAT "}\n",
           result->error == NULL ? "ok" : pb_error_kind (result->error),
           result->total, result->new_count, seconds, usage.ru_maxrss,
           result->commands_sent, result->round_trips, result->bytes_received);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (NULL);
  g_autoptr(GHashTable) stores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        g_object_unref);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  char line[256];

  setlocale (LC_ALL, "");
  if (!pb_trust_store_load (pins, &error))
    {
      g_printerr ("popbell-bench-applet: %s\n", error->message);
      return 1;
    }

  while (fgets (line, sizeof line, stdin) != NULL)
    {
      PbCheckOptions options = { 0 };
      PbSeenStore *seen;
      PbAccount *account;
      Wait wait = { loop, NULL };
      gint64 started;

      g_strchomp (line);
      /* The bench adds an account before its first check: read the file again. */
      if (!pb_account_store_load (accounts, &error))
        {
          g_printerr ("popbell-bench-applet: %s\n", error->message);
          return 1;
        }
      account = pb_account_store_lookup (accounts, line);
      if (account == NULL)
        {
          g_printerr ("popbell-bench-applet: no account %s\n", line);
          return 1;
        }

      seen = g_hash_table_lookup (stores, line);
      if (seen == NULL)
        {
          g_autofree char *path = pb_seen_store_path_for_account (line);

          seen = pb_seen_store_new (path);
          /* Loaded once, as the applet does when it starts. */
          if (!pb_seen_store_load (seen, &error))
            {
              g_printerr ("popbell-bench-applet: %s\n", error->message);
              return 1;
            }
          g_hash_table_insert (stores, g_strdup (line), seen);
        }

      options.pins = pins;
      options.seen = seen;
      started = g_get_monotonic_time ();
      pb_checker_check_async (account, &options, NULL, on_checked, &wait);
      g_main_loop_run (loop);
      print_result (wait.result, (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
      fflush (stdout);
      pb_check_result_free (wait.result);
    }

  return 0;
}
