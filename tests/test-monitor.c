/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The applet's model against a private Dovecot, with time and the network
 * in the test's hands. */
#include "config.h"

#include <glib/gstdio.h>

#include "pb-dovecot.h"
#include "pb-error.h"
#include "pb-monitor.h"
#include "pb-secret-store.h"
#include "pb-test-clock.h"
#include "pb-test-keyring.h"
#include "pb-test-network.h"
#include "pb-test-server.h"
#include "pb-test-util.h"

#define PASSWORD "monitor-secret"

static PbDovecot *dovecot;

typedef struct
{
  char           *user;
  char           *dir;
  char           *state_dir;
  PbAccountStore *accounts;
  PbTrustStore   *pins;
  PbTestClock    *clock;
  PbTestNetwork  *network;
  PbScheduler    *scheduler;
  PbMonitor      *monitor;
  PbTestKeyring  *keyring;        /* for the tests that use one */

  /* What the signals said. */
  guint           new_mail;
  guint           new_count;
  char           *new_subjects;   /* "|"-joined */
  guint           attention;
  PbAccountState  attention_state;
  guint           acknowledged;
} Fixture;

static void
on_new_mail (PbMonitor  *monitor,
             const char *id,
             GPtrArray  *messages,
             guint       count,
             Fixture    *fixture)
{
  g_autoptr(GString) subjects = g_string_new (NULL);

  for (guint i = 0; i < messages->len; i++)
    {
      PbMessage *message = g_ptr_array_index (messages, i);
      g_string_append_printf (subjects, "%s%s", i ? "|" : "", message->subject);
    }
  fixture->new_mail++;
  fixture->new_count = count;
  g_free (fixture->new_subjects);
  fixture->new_subjects = g_string_free (g_steal_pointer (&subjects), FALSE);
}

static void
on_attention (PbMonitor    *monitor,
              const char   *id,
              int           state,
              const GError *error,
              Fixture      *fixture)
{
  fixture->attention++;
  fixture->attention_state = state;
}

static void
on_acknowledged (PbMonitor  *monitor,
                 const char *id,
                 Fixture    *fixture)
{
  fixture->acknowledged++;
}

static PbAccount *
make_account (Fixture *fixture,
              gboolean with_ca)
{
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  PbAccount *account = pb_account_new ("home");

  pb_account_set_host (account, "localhost");
  pb_account_set_user (account, fixture->user);
  pb_account_set_port (account, pb_dovecot_get_pop3s_port (dovecot));
  pb_account_set_interval (account, 5);
  if (with_ca)
    pb_account_set_ca_file (account, ca);
  return account;
}

static void
new_monitor (Fixture *fixture)
{
  g_clear_object (&fixture->monitor);
  g_clear_object (&fixture->scheduler);

  fixture->scheduler = pb_scheduler_new (PB_CLOCK (fixture->clock),
                                         G_NETWORK_MONITOR (fixture->network), FALSE);
  pb_scheduler_set_seed (fixture->scheduler, 7);
  fixture->monitor = pb_monitor_new (fixture->accounts, fixture->pins, fixture->scheduler,
                                     fixture->state_dir);
  g_signal_connect (fixture->monitor, "new-mail", G_CALLBACK (on_new_mail), fixture);
  g_signal_connect (fixture->monitor, "attention", G_CALLBACK (on_attention), fixture);
  g_signal_connect (fixture->monitor, "acknowledged", G_CALLBACK (on_acknowledged), fixture);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  static guint counter;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autofree char *accounts_path = NULL;
  g_autofree char *pins_path = NULL;

  if (dovecot == NULL)
    return;

  fixture->user = g_strdup_printf ("mon%u", ++counter);
  pb_dovecot_add_user (dovecot, fixture->user, PASSWORD, &error);
  g_assert_no_error (error);

  fixture->dir = pb_test_mkdtemp ("monitor");
  fixture->state_dir = g_build_filename (fixture->dir, "state", NULL);
  accounts_path = g_build_filename (fixture->dir, "accounts.ini", NULL);
  pins_path = g_build_filename (fixture->dir, "trust.ini", NULL);
  fixture->accounts = pb_account_store_new (accounts_path);
  fixture->pins = pb_trust_store_new (pins_path);

  account = make_account (fixture, data == NULL);
  pb_account_store_add (fixture->accounts, account, &error);
  g_assert_no_error (error);
  pb_account_store_save (fixture->accounts, &error);
  g_assert_no_error (error);

  fixture->clock = pb_test_clock_new ();
  fixture->network = pb_test_network_new (TRUE);
  new_monitor (fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->monitor);
  g_clear_object (&fixture->scheduler);
  /* After the monitor: its watch holds the keyring's bus. */
  g_clear_pointer (&fixture->keyring, pb_test_keyring_free);
  g_clear_object (&fixture->clock);
  g_clear_object (&fixture->network);
  g_clear_object (&fixture->accounts);
  g_clear_object (&fixture->pins);
  g_free (fixture->user);
  g_free (fixture->dir);
  g_free (fixture->state_dir);
  g_free (fixture->new_subjects);
}

static gboolean
need_dovecot (void)
{
  if (dovecot == NULL)
    {
      g_test_skip ("Dovecot is not installed");
      return FALSE;
    }
  return TRUE;
}

/* Moves the clock to the next planned check, runs it to its end. */
static void
run_next_check (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_assert_true (pb_test_clock_run_next (fixture->clock));
  while (pb_scheduler_is_running (fixture->scheduler, "home"))
    {
      g_main_context_iteration (NULL, FALSE);
      if (g_get_monotonic_time () > deadline)
        g_error ("The check did not end within 30 s");
      g_usleep (1000);
    }
}

static void
deliver (Fixture    *fixture,
         const char *subject)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = g_strdup_printf ("From: Sender <s@example.org>\r\n"
                                              "Subject: %s\r\n\r\nbody\r\n", subject);

  pb_dovecot_deliver (dovecot, fixture->user, message, strlen (message), &error);
  g_assert_no_error (error);
}

static void
start_with_password (Fixture    *fixture,
                     const char *password)
{
  pb_monitor_start (fixture->monitor);
  /* No keyring in this test: the password is the session's. */
  pb_monitor_set_session_password (fixture->monitor, "home", password);
  run_next_check (fixture);
}

static void
test_new_mail_once_then_acknowledged (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(PbSeenStore) seen = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (!need_dovecot ())
    return;

  deliver (fixture, "old");
  start_with_password (fixture, PASSWORD);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_cmpuint (fixture->new_mail, ==, 0);   /* the first check takes the mail as seen */
  g_assert_cmpint (pb_monitor_get_last_success_time (fixture->monitor, "home"), >, 0);
  g_assert_cmpint (pb_monitor_get_next_check_time (fixture->monitor, "home"), >,
                   pb_clock_get_real (PB_CLOCK (fixture->clock)) / G_USEC_PER_SEC + 4 * 60);

  deliver (fixture, "first");
  deliver (fixture, "second");
  pb_monitor_check_now (fixture->monitor, "home");
  run_next_check (fixture);
  g_assert_cmpuint (fixture->new_mail, ==, 1);
  g_assert_cmpuint (fixture->new_count, ==, 2);
  g_assert_cmpstr (fixture->new_subjects, ==, "first|second");
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, "home"), ==, 2);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, NULL), ==, 2);
  g_assert_true (pb_monitor_get_last_success (fixture->monitor, "home")->trust == PB_TRUST_SYSTEM);

  /* The regular check, an interval later: nothing new. */
  run_next_check (fixture);
  g_assert_cmpuint (fixture->new_mail, ==, 1);

  pb_monitor_acknowledge (fixture->monitor, NULL);
  g_assert_cmpuint (fixture->acknowledged, ==, 1);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, "home"), ==, 0);

  path = g_build_filename (fixture->state_dir, "home.state", NULL);
  seen = pb_seen_store_new (path);
  pb_seen_store_load (seen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (seen)->len, ==, 0);
}

static void
test_restart_does_not_notify_again (Fixture       *fixture,
                                    gconstpointer  data)
{
  if (!need_dovecot ())
    return;

  start_with_password (fixture, PASSWORD);
  deliver (fixture, "hello");
  pb_monitor_check_now (fixture->monitor, "home");
  run_next_check (fixture);
  g_assert_cmpuint (fixture->new_mail, ==, 1);

  /* The applet restarts: the unacknowledged mail is still there, not new. */
  new_monitor (fixture);
  pb_monitor_start (fixture->monitor);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, "home"), ==, 1);
  pb_monitor_set_session_password (fixture->monitor, "home", PASSWORD);
  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_cmpuint (fixture->new_mail, ==, 1);
}

static void
test_wrong_password_stops_until_fixed (Fixture       *fixture,
                                       gconstpointer  data)
{
  const GError *error;

  if (!need_dovecot ())
    return;

  start_with_password (fixture, "wrong");
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==,
                   PB_ACCOUNT_STATE_NEEDS_PASSWORD);
  error = pb_monitor_get_error (fixture->monitor, "home");
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_cmpuint (fixture->attention, ==, 1);
  g_assert_cmpint (fixture->attention_state, ==, PB_ACCOUNT_STATE_NEEDS_PASSWORD);
  g_assert_true (pb_scheduler_is_stopped (fixture->scheduler, "home"));

  /* Hours pass: no check, no new prompt or notification. */
  pb_test_clock_advance (fixture->clock, 3 * 3600 * 1000);
  g_assert_false (pb_scheduler_is_running (fixture->scheduler, "home"));
  g_assert_cmpuint (fixture->attention, ==, 1);

  pb_monitor_set_session_password (fixture->monitor, "home", PASSWORD);
  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_null (pb_monitor_get_error (fixture->monitor, "home"));
}

static void
test_untrusted_certificate_then_pinned (Fixture       *fixture,
                                        gconstpointer  data)
{
  PbCheckResult *failed;
  PbAccount *account;

  if (!need_dovecot ())
    return;

  start_with_password (fixture, PASSWORD);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_NEEDS_TRUST);
  g_assert_cmpuint (fixture->attention, ==, 1);
  failed = pb_monitor_get_last_result (fixture->monitor, "home");
  g_assert_nonnull (failed);
  g_assert_nonnull (failed->certificate);
  g_assert_true (failed->certificate_errors & G_TLS_CERTIFICATE_UNKNOWN_CA);

  account = pb_monitor_lookup_account (fixture->monitor, "home");
  pb_trust_store_add (fixture->pins, "localhost", pb_account_get_port (account), failed->certificate);
  pb_monitor_resume (fixture->monitor, "home");
  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_true (pb_monitor_get_last_success (fixture->monitor, "home")->trust == PB_TRUST_PINNED);
}

static void
test_failures_tell_once (Fixture       *fixture,
                         gconstpointer  data)
{
  PbAccount *account;
  gint64 start;

  if (!need_dovecot ())
    return;

  /* Nothing listens there. */
  account = pb_account_store_lookup (fixture->accounts, "home");
  pb_account_set_port (account, pb_test_free_port ());

  start = pb_clock_get_monotonic (PB_CLOCK (fixture->clock));
  start_with_password (fixture, PASSWORD);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_FAILING);
  g_assert_cmpuint (fixture->attention, ==, 0);
  /* The first minute's failures are the network coming up: not counted. */
  while (pb_clock_get_monotonic (PB_CLOCK (fixture->clock)) - start < 60 * G_USEC_PER_SEC)
    run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 0);

  run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 0);
  run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 1);
  g_assert_cmpint (fixture->attention_state, ==, PB_ACCOUNT_STATE_FAILING);
  run_next_check (fixture);
  run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 1);
  /* Still scheduled, backing off: not stopped. */
  g_assert_false (pb_scheduler_is_stopped (fixture->scheduler, "home"));
}

/* The account points at a scripted server playing @steps for every check. */
static PbTestServer *
use_scripted_server (Fixture          *fixture,
                     const PbTestStep *steps)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.pem");
  PbTestServer *server = pb_test_server_new (cert, TRUE, steps);
  PbAccount *account = pb_account_store_lookup (fixture->accounts, "home");

  pb_account_set_user (account, "alice");
  pb_account_set_port (account, pb_test_server_get_port (server));
  return server;
}

/* A mailbox the user's mail client holds open is no reason to ask for the
 * password: the check is retried on its back-off, and the user hears of it
 * only when it persists. */
static void
test_mailbox_in_use_is_retried (Fixture       *fixture,
                                gconstpointer  data)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, "+OK POP3 Ready" },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nUSER\r\nUIDL\r\nRESP-CODES\r\n.\r\n" },
    { PB_STEP_EXPECT, "USER alice" },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT_PREFIX, "PASS " },
    { PB_STEP_SEND, "-ERR [IN-USE] Mailbox in use" },
    { PB_STEP_END },
  };
  g_autoptr(PbTestServer) server = NULL;

  if (!need_dovecot ())
    return;

  server = use_scripted_server (fixture, steps);
  start_with_password (fixture, PASSWORD);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_FAILING);
  g_assert_error (pb_monitor_get_error (fixture->monitor, "home"), PB_POP3_ERROR,
                  PB_POP3_ERROR_MAILBOX_IN_USE);
  g_assert_cmpuint (fixture->attention, ==, 0);
  g_assert_false (pb_scheduler_is_stopped (fixture->scheduler, "home"));

  run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 0);
  run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 1);
  g_assert_cmpint (fixture->attention_state, ==, PB_ACCOUNT_STATE_FAILING);
  g_assert_cmpuint (pb_test_server_get_n_connections (server), ==, 3);
  /* Never taken for a wrong password. */
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_FAILING);
  g_assert_false (pb_scheduler_is_stopped (fixture->scheduler, "home"));
}

/* LOGIN-DELAY 900 with a 5-minute interval: checks every 15 minutes. */
static void
test_login_delay_stretches_the_interval (Fixture       *fixture,
                                         gconstpointer  data)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND, "+OK POP3 Ready" },
    { PB_STEP_EXPECT, "CAPA" },
    { PB_STEP_SEND_RAW, "+OK\r\nUSER\r\nUIDL\r\nLOGIN-DELAY 900\r\n.\r\n" },
    { PB_STEP_EXPECT, "USER alice" },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT_PREFIX, "PASS " },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" },
    { PB_STEP_SEND, "+OK 1 100" },
    { PB_STEP_EXPECT, "UIDL" },
    { PB_STEP_SEND_RAW, "+OK\r\n1 uid-1\r\n.\r\n" },
    { PB_STEP_END },
  };
  g_autoptr(PbTestServer) server = NULL;
  PbClock *clock;
  gint64 before;

  if (!need_dovecot ())
    return;

  server = use_scripted_server (fixture, steps);
  clock = PB_CLOCK (fixture->clock);
  start_with_password (fixture, PASSWORD);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_cmpuint (pb_monitor_get_login_delay (fixture->monitor, "home"), ==, 900);

  before = pb_clock_get_monotonic (clock);
  run_next_check (fixture);
  g_assert_cmpint (pb_clock_get_monotonic (clock) - before, >=, 15 * 60 * G_USEC_PER_SEC);
  g_assert_cmpuint (pb_test_server_get_n_connections (server), ==, 2);
}

/* The user's mail client fetched and deleted new mail between two checks:
 * it leaves the count (and with it the window and the tray). */
static void
test_mail_deleted_by_client_leaves_the_count (Fixture       *fixture,
                                              gconstpointer  data)
{
  g_autofree char *maildir = NULL;
  const char *subdirs[] = { "new", "cur" };

  if (!need_dovecot ())
    return;

  deliver (fixture, "old");
  start_with_password (fixture, PASSWORD);
  deliver (fixture, "first");
  deliver (fixture, "second");
  pb_monitor_check_now (fixture->monitor, "home");
  run_next_check (fixture);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, "home"), ==, 2);

  /* The mail client takes everything, as POP3 clients without "leave a copy
   * on the server" do. */
  maildir = pb_dovecot_get_maildir (dovecot, fixture->user);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (maildir, subdirs[i], NULL);
      g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
      const char *name;

      while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_assert_cmpint (g_unlink (path), ==, 0);
        }
    }

  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, "home"), ==, 0);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, NULL), ==, 0);
  g_assert_cmpuint (fixture->new_mail, ==, 1);
}

static void
test_offline_and_reload (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (!need_dovecot ())
    return;

  start_with_password (fixture, PASSWORD);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);

  pb_test_network_set_available (fixture->network, FALSE);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OFFLINE);
  g_assert_cmpint (pb_monitor_get_next_check_time (fixture->monitor, "home"), ==, 0);
  pb_test_network_set_available (fixture->network, TRUE);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);

  /* Disabled elsewhere (preferences, command line): the monitor follows. */
  {
    g_autoptr(PbAccountStore) other = pb_account_store_new (pb_account_store_get_path (fixture->accounts));
    pb_account_store_load (other, &error);
    g_assert_no_error (error);
    pb_account_set_enabled (pb_account_store_lookup (other, "home"), FALSE);
    pb_account_store_save (other, &error);
    g_assert_no_error (error);
  }
  pb_monitor_reload (fixture->monitor);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_DISABLED);
  g_assert_cmpint (pb_monitor_get_next_check_time (fixture->monitor, "home"), ==, 0);

  /* And removed. */
  pb_account_store_remove (fixture->accounts, "home", &error);
  g_assert_no_error (error);
  pb_account_store_save (fixture->accounts, &error);
  g_assert_no_error (error);
  pb_monitor_reload (fixture->monitor);
  g_assert_null (pb_monitor_lookup_account (fixture->monitor, "home"));
  g_assert_null (pb_monitor_get_unacknowledged (fixture->monitor, "home"));
}

/* ---- Starting at login ---------------------------------------------------- */

/* Nothing but the main loop runs until a check is due on the test clock:
 * what the keyring daemon's signals make the monitor do. */
static void
wait_for_due_check (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      gint64 due = pb_test_clock_get_next_due (fixture->clock);

      if (due != -1 && due <= pb_clock_get_monotonic (PB_CLOCK (fixture->clock)))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("No check was asked for within 10 s");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* A check the clock just started (or made due) runs to its end. */
static void
finish_check (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  gint64 due = pb_test_clock_get_next_due (fixture->clock);

  if (!pb_scheduler_is_running (fixture->scheduler, "home"))
    {
      g_assert_cmpint (due, !=, -1);
      g_assert_cmpint (due, <=, pb_clock_get_monotonic (PB_CLOCK (fixture->clock)));
      run_next_check (fixture);
      return;
    }
  while (pb_scheduler_is_running (fixture->scheduler, "home"))
    {
      g_main_context_iteration (NULL, FALSE);
      if (g_get_monotonic_time () > deadline)
        g_error ("The check did not end within 30 s");
      g_usleep (1000);
    }
}

static void
store_password (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  pb_secret_store_sync (pb_account_store_lookup (fixture->accounts, "home"), PASSWORD, NULL,
                        &error);
  g_assert_no_error (error);
}

/* A session before this one checked the mailbox once: its state is there. */
static void
earlier_session (Fixture *fixture)
{
  pb_monitor_start (fixture->monitor);
  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  new_monitor (fixture);
}

static gint64
elapsed_ms (Fixture *fixture,
            gint64   since)
{
  return (pb_clock_get_monotonic (PB_CLOCK (fixture->clock)) - since) / 1000;
}

static void
test_keyring_unlocked_by_the_session (Fixture       *fixture,
                                      gconstpointer  data)
{
  gint64 start;

  if (!need_dovecot ())
    return;

  fixture->keyring = pb_test_keyring_new ();
  store_password (fixture);
  earlier_session (fixture);

  /* Login: the keyring is still locked when the applet starts. */
  pb_test_keyring_lock (fixture->keyring);
  deliver (fixture, "while locked");
  start = pb_clock_get_monotonic (PB_CLOCK (fixture->clock));
  pb_monitor_start (fixture->monitor);
  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==,
                   PB_ACCOUNT_STATE_KEYRING_LOCKED);
  /* No prompt of its own (a failed one would have told), nothing to tell yet. */
  g_assert_cmpuint (fixture->attention, ==, 0);

  /* The session unlocks it, with nothing done in Popbell. */
  pb_test_keyring_unlock (fixture->keyring);
  wait_for_due_check (fixture);
  run_next_check (fixture);
  g_assert_cmpint (elapsed_ms (fixture, start), <, 60 * 1000);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_cmpuint (fixture->new_mail, ==, 1);
  g_assert_cmpstr (fixture->new_subjects, ==, "while locked");

  /* And the next mail too. */
  deliver (fixture, "after");
  run_next_check (fixture);
  g_assert_cmpuint (fixture->new_mail, ==, 2);
  g_assert_cmpstr (fixture->new_subjects, ==, "after");
  g_assert_cmpuint (fixture->attention, ==, 0);
}

static void
test_keyring_locked_past_the_first_minute (Fixture       *fixture,
                                           gconstpointer  data)
{
  if (!need_dovecot ())
    return;

  fixture->keyring = pb_test_keyring_new ();
  store_password (fixture);
  earlier_session (fixture);

  pb_test_keyring_lock (fixture->keyring);
  pb_monitor_start (fixture->monitor);
  run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 0);

  /* A minute later the one prompt is due; nobody answers it (no prompter on
   * this bus), so the user is told, once. */
  pb_test_clock_advance (fixture->clock, 60 * 1000);
  finish_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==,
                   PB_ACCOUNT_STATE_KEYRING_LOCKED);
  g_assert_cmpuint (fixture->attention, ==, 1);
  g_assert_cmpint (fixture->attention_state, ==, PB_ACCOUNT_STATE_KEYRING_LOCKED);

  /* Locked and unlocked elsewhere: the locking says nothing new, the
   * unlocking brings the mail. */
  pb_test_clock_advance (fixture->clock, 10 * 60 * 1000);
  deliver (fixture, "late");
  pb_test_keyring_unlock (fixture->keyring);
  wait_for_due_check (fixture);
  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_cmpuint (fixture->new_mail, ==, 1);
  g_assert_cmpstr (fixture->new_subjects, ==, "late");
  g_assert_cmpuint (fixture->attention, ==, 1);
}

/* "Enter Password…" or "Check Now" is the user's answer: no waiting for the
 * session, the prompt comes at once. */
static void
test_keyring_user_asks_in_the_first_minute (Fixture       *fixture,
                                            gconstpointer  data)
{
  gint64 start;

  if (!need_dovecot ())
    return;

  fixture->keyring = pb_test_keyring_new ();
  store_password (fixture);
  earlier_session (fixture);

  pb_test_keyring_lock (fixture->keyring);
  start = pb_clock_get_monotonic (PB_CLOCK (fixture->clock));
  pb_monitor_start (fixture->monitor);
  run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 0);

  pb_monitor_check_now (fixture->monitor, "home");
  run_next_check (fixture);
  g_assert_cmpint (elapsed_ms (fixture, start), <, 60 * 1000);
  /* The prompt was shown (and, with no prompter here, failed): told once. */
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==,
                   PB_ACCOUNT_STATE_KEYRING_LOCKED);
  g_assert_cmpuint (fixture->attention, ==, 1);

  /* The end of the minute asks nothing more. */
  pb_test_clock_advance (fixture->clock, 2 * 60 * 1000);
  g_assert_cmpuint (fixture->attention, ==, 1);
}

static void
test_keyring_service_started_later (Fixture       *fixture,
                                    gconstpointer  data)
{
  gint64 start;

  if (!need_dovecot ())
    return;

  /* No Secret Service on the bus when the applet starts. */
  fixture->keyring = pb_test_keyring_new_no_service ();
  start = pb_clock_get_monotonic (PB_CLOCK (fixture->clock));
  pb_monitor_start (fixture->monitor);
  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==,
                   PB_ACCOUNT_STATE_NO_KEYRING);
  g_assert_cmpuint (fixture->attention, ==, 0);

  /* The session's keyring daemon comes, holding the password. */
  pb_test_keyring_start_daemon (fixture->keyring);
  store_password (fixture);
  wait_for_due_check (fixture);
  run_next_check (fixture);
  g_assert_cmpint (elapsed_ms (fixture, start), <, 60 * 1000);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);

  deliver (fixture, "first");
  run_next_check (fixture);
  g_assert_cmpuint (fixture->new_mail, ==, 1);
  g_assert_cmpstr (fixture->new_subjects, ==, "first");
  g_assert_cmpuint (fixture->attention, ==, 0);
}

static void
test_keyring_service_never_comes (Fixture       *fixture,
                                  gconstpointer  data)
{
  if (!need_dovecot ())
    return;

  fixture->keyring = pb_test_keyring_new_no_service ();
  pb_monitor_start (fixture->monitor);
  run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 0);

  /* After a minute the user is told, once, and can type a session password. */
  pb_test_clock_advance (fixture->clock, 60 * 1000);
  finish_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==,
                   PB_ACCOUNT_STATE_NO_KEYRING);
  g_assert_cmpuint (fixture->attention, ==, 1);
  g_assert_cmpint (fixture->attention_state, ==, PB_ACCOUNT_STATE_NO_KEYRING);
  pb_test_clock_advance (fixture->clock, 30 * 60 * 1000);
  g_assert_cmpuint (fixture->attention, ==, 1);

  pb_monitor_set_session_password (fixture->monitor, "home", PASSWORD);
  run_next_check (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
}

static void
test_no_network_at_login (Fixture       *fixture,
                          gconstpointer  data)
{
  gint64 start = pb_clock_get_monotonic (PB_CLOCK (fixture->clock));

  if (!need_dovecot ())
    return;

  pb_test_network_set_available (fixture->network, FALSE);
  pb_monitor_start (fixture->monitor);
  pb_monitor_set_session_password (fixture->monitor, "home", PASSWORD);

  /* Nothing is tried while there is no network, and nothing is said. */
  pb_test_clock_advance (fixture->clock, 20 * 1000);
  g_assert_false (pb_scheduler_is_running (fixture->scheduler, "home"));
  g_assert_null (pb_monitor_get_last_result (fixture->monitor, "home"));
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OFFLINE);

  /* The network comes: checked soon (seconds, not an interval). */
  pb_test_network_set_available (fixture->network, TRUE);
  g_assert_cmpint (pb_test_clock_get_next_due (fixture->clock), <=,
                   pb_clock_get_monotonic (PB_CLOCK (fixture->clock)) + 10 * G_USEC_PER_SEC);
  run_next_check (fixture);
  g_assert_cmpint (elapsed_ms (fixture, start), <, 60 * 1000);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);

  deliver (fixture, "first");
  run_next_check (fixture);
  g_assert_cmpuint (fixture->new_mail, ==, 1);
  g_assert_cmpuint (fixture->attention, ==, 0);
}

static void
test_network_connecting_at_login (Fixture       *fixture,
                                  gconstpointer  data)
{
  PbAccount *account = pb_account_store_lookup (fixture->accounts, "home");
  gint64 start = pb_clock_get_monotonic (PB_CLOCK (fixture->clock));
  guint failures = 0;

  if (!need_dovecot ())
    return;

  /* The monitor says "up", but nothing can be reached yet. */
  pb_account_set_port (account, pb_test_free_port ());
  pb_monitor_start (fixture->monitor);
  pb_monitor_set_session_password (fixture->monitor, "home", PASSWORD);

  /* Tried again every few seconds through the first minute, untold. */
  while (elapsed_ms (fixture, start) < 50 * 1000)
    {
      gint64 before = pb_clock_get_monotonic (PB_CLOCK (fixture->clock));

      run_next_check (fixture);
      g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==,
                       PB_ACCOUNT_STATE_FAILING);
      g_assert_cmpint (elapsed_ms (fixture, before), <=, 10 * 1000);
      failures++;
    }
  g_assert_cmpuint (failures, >=, 5);
  g_assert_cmpuint (fixture->attention, ==, 0);

  /* Past the minute a failure is a failure: told after three, once. */
  for (guint i = 0; i < 4; i++)
    run_next_check (fixture);
  g_assert_cmpuint (fixture->attention, ==, 1);
  g_assert_cmpint (fixture->attention_state, ==, PB_ACCOUNT_STATE_FAILING);
}

static void
test_create_destroy (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("monitor");
  g_autofree char *accounts_path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbTestClock) clock = pb_test_clock_new ();
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  PbScheduler *scheduler = pb_scheduler_new (PB_CLOCK (clock), G_NETWORK_MONITOR (network), FALSE);
  PbMonitor *monitor = pb_monitor_new (accounts, pins, scheduler, dir);

  pb_monitor_start (monitor);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (monitor, NULL), ==, 0);
  g_object_unref (scheduler);
  g_assert_finalize_object (monitor);
}

/* pb_monitor_reload() follows trust.ini as the store's watch does: a pin
 * forgotten elsewhere stops counting, and a file gone corrupt is set aside
 * without taking away the pins held before. */
static void
test_reload_follows_pins_and_keeps_them_over_corrupt (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("monitor");
  g_autofree char *accounts_path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbTrustStore) other = pb_trust_store_new (pins_path);
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.pem");
  g_autoptr(PbTestClock) clock = pb_test_clock_new ();
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  g_autoptr(PbScheduler) scheduler = pb_scheduler_new (PB_CLOCK (clock),
                                                       G_NETWORK_MONITOR (network), FALSE);
  g_autoptr(PbMonitor) monitor = pb_monitor_new (accounts, pins, scheduler, dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *aside = g_strconcat (pins_path, ".corrupt-", NULL);
  g_autoptr(GDir) listing = NULL;
  const char *name;
  guint n_aside = 0;

  pb_trust_store_add (pins, "kept.example", 995, cert);
  pb_trust_store_add (pins, "forgotten.example", 995, cert);
  g_assert_true (pb_trust_store_save (pins, &error));
  g_assert_no_error (error);

  g_assert_true (pb_trust_store_load (other, &error));
  g_assert_true (pb_trust_store_remove (other, "forgotten.example", 995, &error));
  g_assert_true (pb_trust_store_save (other, &error));
  g_assert_no_error (error);
  pb_monitor_reload (monitor);
  g_assert_null (pb_trust_store_get_fingerprint (pins, "forgotten.example", 995));
  g_assert_true (pb_trust_store_is_pinned (pins, "kept.example", 995, cert));

  g_assert_true (g_file_set_contents (pins_path, "[broken\n", -1, NULL));
  pb_monitor_reload (monitor);
  g_assert_true (pb_trust_store_is_pinned (pins, "kept.example", 995, cert));
  listing = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_str_has_prefix (path, aside))
        n_aside++;
    }
  g_assert_cmpuint (n_aside, ==, 1);

  g_clear_object (&other);
  other = pb_trust_store_new (pins_path);
  g_assert_true (pb_trust_store_load (other, &error));
  g_assert_no_error (error);
  g_assert_true (pb_trust_store_is_pinned (other, "kept.example", 995, cert));

  g_clear_object (&monitor);
  pb_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);

  dovecot = pb_dovecot_new (&error);
  if (dovecot == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_error ("Could not start Dovecot: %s", error->message);
      g_clear_error (&error);
    }

  g_test_add_func ("/pb/monitor/create-destroy", test_create_destroy);
  g_test_add_func ("/pb/monitor/reload-follows-pins-and-keeps-them-over-corrupt",
                   test_reload_follows_pins_and_keeps_them_over_corrupt);
#define ADD(path, func, data) \
  g_test_add ("/pb/monitor/" path, Fixture, data, fixture_setup, func, fixture_teardown)
  ADD ("new-mail-once-then-acknowledged", test_new_mail_once_then_acknowledged, NULL);
  ADD ("restart-does-not-notify-again", test_restart_does_not_notify_again, NULL);
  ADD ("wrong-password-stops-until-fixed", test_wrong_password_stops_until_fixed, NULL);
  ADD ("untrusted-certificate-then-pinned", test_untrusted_certificate_then_pinned,
       GINT_TO_POINTER (1));
  ADD ("failures-tell-once", test_failures_tell_once, NULL);
  ADD ("offline-and-reload", test_offline_and_reload, NULL);
  ADD ("mail-deleted-by-the-mail-client-leaves-the-count",
       test_mail_deleted_by_client_leaves_the_count, NULL);
  ADD ("mailbox-in-use-is-retried-not-a-password", test_mailbox_in_use_is_retried, NULL);
  ADD ("login-delay-stretches-the-interval", test_login_delay_stretches_the_interval, NULL);
  ADD ("login/keyring-unlocked-by-the-session-checks-at-once",
       test_keyring_unlocked_by_the_session, NULL);
  ADD ("login/keyring-locked-past-the-first-minute-prompts-and-tells-once",
       test_keyring_locked_past_the_first_minute, NULL);
  ADD ("login/check-asked-for-by-the-user-prompts-at-once",
       test_keyring_user_asks_in_the_first_minute, NULL);
  ADD ("login/keyring-service-started-later-is-used", test_keyring_service_started_later, NULL);
  ADD ("login/keyring-service-that-never-comes-tells-once", test_keyring_service_never_comes,
       NULL);
  ADD ("login/no-network-waits-untold-then-checks-soon", test_no_network_at_login, NULL);
  ADD ("login/network-still-connecting-retries-soon-untold",
       test_network_connecting_at_login, NULL);
#undef ADD

  status = g_test_run ();
  g_clear_pointer (&dovecot, pb_dovecot_free);
  return status;
}
