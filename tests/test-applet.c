/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The desktop applet: its windows in this process under Xvfb, and the real
 * popbell-applet binary end to end against a private Dovecot, a real keyring
 * and a mock notification server on a private bus. */
#include "config.h"

#include <string.h>
#include <libnotify/notify.h>

#include "pb-account-wizard.h"
#include "pb-actions.h"
#include "pb-application.h"
#include "pb-dovecot.h"
#include "pb-mail-window.h"
#include "pb-password-dialog.h"
#include "pb-preferences-window.h"
#include "pb-trust-dialog.h"
#include "pb-secret-store.h"
#include "pb-seen-store.h"
#include "pb-settings.h"
#include "pb-test-applet.h"
#include "pb-test-keyring.h"
#include "pb-test-notifications.h"
#include "pb-test-util.h"
#include "pb-test-gtk.h"

#define PASSWORD PB_TEST_APPLET_PASSWORD
#define WAIT_SECONDS PB_TEST_APPLET_WAIT_SECONDS

static PbDovecot *dovecot;


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

static gboolean
on_poll_timeout (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* Iterates the main context for about @ms (at least one wakeup). */
static void
iterate_for (guint ms)
{
  g_timeout_add (ms, on_poll_timeout, NULL);
  g_main_context_iteration (NULL, TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

typedef gboolean (*Condition) (gpointer data);

static void
print_log (const char *log_path)
{
  g_autofree char *log = NULL;

  if (log_path != NULL && g_file_get_contents (log_path, &log, NULL, NULL))
    g_test_message ("The applet's log:\n%s", log);
}

static void
wait_until (Condition   condition,
            gpointer    data,
            const char *what,
            const char *log_path)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          print_log (log_path);
          g_error ("Timed out waiting until %s", what);
        }
      iterate_for (50);
    }
}

/* A monitor over a private accounts file and state folder, with a scheduler
 * that does not watch the system bus. */
static PbMonitor *
new_monitor (PbAccountStore **out_store)
{
  g_autofree char *dir = pb_test_mkdtemp ("monitor");
  g_autofree char *accounts_path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autofree char *state_dir = g_build_filename (dir, "state", NULL);
  g_autoptr(PbAccountStore) store = pb_account_store_new (accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbScheduler) scheduler = pb_scheduler_new (NULL, NULL, FALSE);

  if (out_store != NULL)
    *out_store = g_object_ref (store);
  return pb_monitor_new (store, pins, scheduler, state_dir);
}

static PbAccount *
dovecot_account (const char *id,
                 const char *user)
{
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  PbAccount *account = pb_account_new (id);

  pb_account_set_host (account, "localhost");
  pb_account_set_port (account, pb_dovecot_get_pop3s_port (dovecot));
  pb_account_set_user (account, user);
  pb_account_set_ca_file (account, ca);
  return account;
}

static void
add_dovecot_user (const char *user)
{
  g_autoptr(GError) error = NULL;

  pb_dovecot_add_user (dovecot, user, PASSWORD, &error);
  g_assert_no_error (error);
}

/* ---- Objects ------------------------------------------------------------- */

static void
test_application_create_destroy (void)
{
  PbApplication *app = pb_application_new ();

  g_assert_cmpstr (g_application_get_application_id (G_APPLICATION (app)), ==, APP_ID);
  g_assert_null (pb_application_get_monitor (app));
  g_assert_finalize_object (app);
}

static void
test_windows_create_destroy (void)
{
  g_autoptr(GSettings) settings = NULL;
  PbMonitor *monitor;
  GtkWindow *windows[3];

  if (!pb_test_gtk_need_display ())
    return;

  monitor = new_monitor (NULL);
  settings = g_settings_new (PB_SETTINGS_SCHEMA);
  windows[0] = GTK_WINDOW (pb_account_wizard_new (NULL, monitor));
  windows[1] = GTK_WINDOW (pb_password_dialog_new (NULL, monitor, "home"));
  windows[2] = GTK_WINDOW (pb_preferences_window_new (NULL, monitor, settings));
  g_assert_cmpstr (pb_password_dialog_get_account_id (PB_PASSWORD_DIALOG (windows[1])), ==, "home");

  for (guint i = 0; i < G_N_ELEMENTS (windows); i++)
    {
      gtk_window_present (windows[i]);
      g_object_ref (windows[i]);
      gtk_window_destroy (windows[i]);
      g_assert_finalize_object (windows[i]);
    }
  g_assert_finalize_object (monitor);
}

/* ---- The application in this process -------------------------------------- */

typedef struct
{
  PbApplication *app;
  guint          wizards;
  guint          wizards_after_again;
  guint          mail_windows;
} FirstStart;

static guint
count_windows (GtkApplication *app,
               GType           type)
{
  guint n = 0;

  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      n++;
  return n;
}

static gboolean
inspect_first_start (gpointer user_data)
{
  FirstStart *run = user_data;
  GtkApplication *app = GTK_APPLICATION (run->app);

  run->wizards = count_windows (app, PB_TYPE_ACCOUNT_WIZARD);
  run->mail_windows = count_windows (app, PB_TYPE_MAIL_WINDOW);
  g_action_group_activate_action (G_ACTION_GROUP (app), PB_ACTION_ADD_ACCOUNT, NULL);
  run->wizards_after_again = count_windows (app, PB_TYPE_ACCOUNT_WIZARD);

  g_action_group_activate_action (G_ACTION_GROUP (app), PB_ACTION_QUIT, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_startup (GApplication *app,
            gpointer      user_data)
{
  /* After the class handler: the applet is up, running in the background. */
  g_timeout_add (200, inspect_first_start, user_data);
}

static void
test_first_start_opens_the_account_wizard (void)
{
  g_autoptr(PbTestKeyring) bus = NULL;
  FirstStart run = { 0 };
  char *argv[] = { (char *) "popbell-applet", NULL };
  g_autofree char *accounts = g_build_filename (g_get_user_config_dir (), "popbell",
                                                "accounts.ini", NULL);
  int status;

  if (!pb_test_gtk_need_display ())
    return;

  g_assert_false (g_file_test (accounts, G_FILE_TEST_EXISTS));
  bus = pb_test_keyring_new_no_service ();
  run.app = pb_application_new ();
  g_signal_connect_after (run.app, "startup", G_CALLBACK (on_startup), &run);

  status = g_application_run (G_APPLICATION (run.app), 1, argv);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (run.wizards, ==, 1);
  /* Asked again, the same wizard comes forward. */
  g_assert_cmpuint (run.wizards_after_again, ==, 1);
  /* Started without --show: nothing else is opened. */
  g_assert_cmpuint (run.mail_windows, ==, 0);

  g_assert_finalize_object (run.app);
  notify_uninit ();
}

/* ---- The password dialog ----------------------------------------------------- */

typedef struct
{
  PbMonitor      *monitor;
  const char     *id;
  PbAccountState  state;
} StateWait;

static gboolean
state_reached (gpointer data)
{
  StateWait *wait = data;

  return pb_monitor_get_state (wait->monitor, wait->id) == wait->state;
}

static void
wait_for_state (PbMonitor      *monitor,
                const char     *id,
                PbAccountState  state)
{
  StateWait wait = { monitor, id, state };
  g_autofree char *what = g_strdup_printf ("%s reaches state %d (now %d)", id, state,
                                           pb_monitor_get_state (monitor, id));

  wait_until (state_reached, &wait, what, NULL);
}

static GtkWidget *
template_child (gpointer    widget,
                GType       type,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

/* With a keyring: "Remember" stores the password (through the account
 * administration) and the account is checked again with it. */
static void
test_password_dialog_remembers (void)
{
  g_autoptr(PbTestKeyring) keyring = NULL;
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  PbMonitor *monitor;
  PbPasswordDialog *dialog;
  GtkWidget *entry;
  char *secret;

  if (!pb_test_gtk_need_display () || !need_dovecot ())
    return;

  keyring = pb_test_keyring_new ();
  add_dovecot_user ("remember");
  monitor = new_monitor (&store);
  account = dovecot_account ("kept", "remember");
  pb_account_store_add (store, account, &error);
  g_assert_no_error (error);
  pb_account_store_save (store, &error);
  g_assert_no_error (error);
  pb_monitor_start (monitor);

  /* No password stored yet. */
  wait_for_state (monitor, "kept", PB_ACCOUNT_STATE_NEEDS_PASSWORD);

  dialog = pb_password_dialog_new (NULL, monitor, "kept");
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  entry = template_child (dialog, PB_TYPE_PASSWORD_DIALOG, "entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), PASSWORD);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "password.remember", NULL);

  wait_for_state (monitor, "kept", PB_ACCOUNT_STATE_OK);
  g_assert_null (dialog);
  secret = pb_secret_lookup_sync ("kept", FALSE, NULL, &error);
  g_assert_no_error (error);
  stored = g_strdup (secret);
  pb_secret_free (secret);
  g_assert_cmpstr (stored, ==, PASSWORD);

  g_assert_finalize_object (monitor);
}

static void
test_password_dialog_session_only (void)
{
  g_autoptr(PbTestKeyring) keyring = NULL;
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  PbMonitor *monitor;
  PbPasswordDialog *dialog;
  GtkWidget *entry;

  if (!pb_test_gtk_need_display () || !need_dovecot ())
    return;

  keyring = pb_test_keyring_new_no_service ();
  add_dovecot_user ("session");
  monitor = new_monitor (&store);
  account = dovecot_account ("mail", "session");
  pb_account_store_add (store, account, &error);
  g_assert_no_error (error);
  pb_account_store_save (store, &error);
  g_assert_no_error (error);
  pb_monitor_start (monitor);

  /* No Secret Service: the check stops and waits for the user. */
  wait_for_state (monitor, "mail", PB_ACCOUNT_STATE_NO_KEYRING);

  dialog = pb_password_dialog_new (NULL, monitor, "mail");
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (gtk_widget_get_visible (template_child (dialog, PB_TYPE_PASSWORD_DIALOG,
                                                         "session_button")));
  g_assert_false (gtk_widget_get_visible (template_child (dialog, PB_TYPE_PASSWORD_DIALOG,
                                                          "remember_button")));

  /* Nothing typed: the dialog stays and says so. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "password.session", NULL);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_widget_get_visible (template_child (dialog, PB_TYPE_PASSWORD_DIALOG,
                                                         "problem")));

  entry = template_child (dialog, PB_TYPE_PASSWORD_DIALOG, "entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), PASSWORD);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "password.session", NULL);
  g_assert_null (dialog);

  /* The monitor checks again at once, with the password typed. */
  wait_for_state (monitor, "mail", PB_ACCOUNT_STATE_OK);

  g_assert_finalize_object (monitor);
}

/* ---- The certificate review ------------------------------------------------------ */

typedef struct
{
  PbApplication *app;
  const char    *id;
  gboolean       reviewed;
  gboolean       trusted;
  gboolean       timed_out;
  guint          timeout_id;
} Review;

static gboolean
on_review_timeout (gpointer user_data)
{
  Review *review = user_data;

  review->timed_out = TRUE;
  review->timeout_id = 0;
  g_application_quit (G_APPLICATION (review->app));
  return G_SOURCE_REMOVE;
}

static gboolean
step_review (gpointer user_data)
{
  Review *review = user_data;
  PbMonitor *monitor = pb_application_get_monitor (review->app);
  PbAccountState state = pb_monitor_get_state (monitor, review->id);

  if (!review->reviewed && state == PB_ACCOUNT_STATE_NEEDS_TRUST)
    {
      PbTrustDialog *dialog = NULL;

      g_action_group_activate_action (G_ACTION_GROUP (review->app), PB_ACTION_REVIEW_CERTIFICATE,
                                      g_variant_new_string (review->id));
      for (GList *l = gtk_application_get_windows (GTK_APPLICATION (review->app)); l; l = l->next)
        if (PB_IS_TRUST_DIALOG (gtk_window_get_child (l->data)))
          dialog = PB_TRUST_DIALOG (gtk_window_get_child (l->data));
      g_assert_nonnull (dialog);
      g_assert_true (pb_trust_dialog_get_can_trust (dialog));
      /* What "Trust This Certificate" does. */
      gtk_widget_activate_action (GTK_WIDGET (dialog), "trust.accept", NULL);
      review->reviewed = TRUE;
    }
  else if (review->reviewed && state == PB_ACCOUNT_STATE_OK)
    {
      review->trusted = TRUE;
      g_application_quit (G_APPLICATION (review->app));
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_review_startup (GApplication *app,
                   gpointer      user_data)
{
  Review *review = user_data;

  g_timeout_add (100, step_review, user_data);
  review->timeout_id = g_timeout_add_seconds (WAIT_SECONDS, on_review_timeout, user_data);
}

static void
test_review_certificate_trusts_it (void)
{
  g_autoptr(PbTestKeyring) keyring = NULL;
  g_autoptr(PbAccountStore) store = pb_account_store_new (NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (NULL);
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  char *argv[] = { (char *) "popbell-applet", NULL };
  Review review = { .id = "review" };

  if (!pb_test_gtk_need_display () || !need_dovecot ())
    return;

  keyring = pb_test_keyring_new ();
  add_dovecot_user ("review");
  /* No CA file: the test CA is unknown, the certificate untrusted. */
  account = dovecot_account ("review", "review");
  pb_account_set_ca_file (account, NULL);
  pb_account_store_load (store, &error);
  g_assert_no_error (error);
  pb_account_store_add (store, account, &error);
  g_assert_no_error (error);
  pb_account_store_save (store, &error);
  g_assert_no_error (error);
  pb_secret_store_sync (account, PASSWORD, NULL, &error);
  g_assert_no_error (error);

  review.app = pb_application_new ();
  g_signal_connect_after (review.app, "startup", G_CALLBACK (on_review_startup), &review);
  g_assert_cmpint (g_application_run (G_APPLICATION (review.app), 1, argv), ==, 0);
  /* The review lives on this stack: its timer must not outlive it. */
  g_clear_handle_id (&review.timeout_id, g_source_remove);

  g_assert_false (review.timed_out);
  g_assert_true (review.reviewed);
  g_assert_true (review.trusted);
  g_assert_finalize_object (review.app);
  notify_uninit ();

  /* The pin is in trust.ini, for exactly this server. */
  pb_trust_store_load (pins, &error);
  g_assert_no_error (error);
  certificate = pb_test_load_certificate ("server.pem");
  g_assert_true (pb_trust_store_is_pinned (pins, "localhost", pb_dovecot_get_pop3s_port (dovecot),
                                           certificate));

  pb_account_store_remove (store, "review", &error);
  g_assert_no_error (error);
  pb_account_store_save (store, &error);
  g_assert_no_error (error);
}

/* ---- The real applet ------------------------------------------------------------- */

static char *
state_path (PbTestApplet *e2e)
{
  return g_build_filename (e2e->home, "state", "popbell", "home.state", NULL);
}

static guint
count_unacknowledged (PbTestApplet *e2e)
{
  g_autofree char *path = state_path (e2e);
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  g_autoptr(GError) error = NULL;

  if (!pb_seen_store_load (seen, &error))
    g_error ("%s", error->message);
  return pb_seen_store_get_unacknowledged (seen)->len;
}

static gboolean
state_file_exists (gpointer data)
{
  g_autofree char *path = state_path (data);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
all_acknowledged (gpointer data)
{
  return count_unacknowledged (data) == 0;
}

static void
deliver (const char *user,
         const char *message)
{
  g_autoptr(GError) error = NULL;

  pb_dovecot_deliver (dovecot, user, message, strlen (message), &error);
  g_assert_no_error (error);
}

static gboolean
call_mentions (GVariant   *call,
               const char *text)
{
  return strstr (pb_test_notify_call_get_string (call, 3), text) != NULL ||
         strstr (pb_test_notify_call_get_string (call, 4), text) != NULL;
}

typedef struct
{
  PbTestApplet *e2e;
  const char   *text;
} NotifyWait;

static gboolean
notified (gpointer data)
{
  NotifyWait *wait = data;
  g_autoptr(GPtrArray) calls = pb_test_applet_get_notify_calls (wait->e2e);

  for (guint i = 0; i < calls->len; i++)
    if (call_mentions (g_ptr_array_index (calls, i), wait->text))
      return TRUE;
  return FALSE;
}

static gboolean
can_run_end_to_end (void)
{
  if (!pb_test_gtk_need_display () || !need_dovecot ())
    return FALSE;
  if (!g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("python3-dbusmock is not installed");
      return FALSE;
    }
  return TRUE;
}

static void
test_end_to_end (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  g_autoptr(GPtrArray) calls = NULL;
  g_autofree char *user_arg = NULL;
  g_autofree char *port = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *user = NULL;
  g_auto(GStrv) actions = NULL;
  NotifyWait first = { NULL, "Lunch on Friday" };
  NotifyWait second = { NULL, "Minutes of the meeting" };
  const char *mark_read = NULL;
  GVariant *call = NULL;
  guint index = 0;

  if (!can_run_end_to_end ())
    return;

  e2e = pb_test_applet_new (pb_test_gtk_get_display ());
  first.e2e = second.e2e = e2e;

  user = g_strdup ("applet");
  add_dovecot_user (user);
  user_arg = g_strdup_printf ("--user=%s", user);
  port = g_strdup_printf ("--port=%u", pb_dovecot_get_pop3s_port (dovecot));
  ca = g_strdup_printf ("--ca-file=%s/ca.crt", g_getenv ("PB_TEST_CERTS"));
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, PASSWORD "\n", NULL, "--add-account=home",
                                               "--host=localhost", user_arg, port, ca,
                                               "--interval=1", "--name=Home", NULL), ==, 0);

  /* Nothing runs yet: --quit says so. */
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, NULL, NULL, "--quit", NULL), ==, 0);

  pb_test_applet_start (e2e);
  /* What was on the server is taken as seen (by --add-account already). */
  pb_test_applet_wait_until (e2e, state_file_exists, e2e, "the first check is done");
  g_assert_cmpuint (count_unacknowledged (e2e), ==, 0);

  deliver (user, "From: Alice Example <alice@example.com>\r\n"
                 "Subject: Lunch on Friday\r\n"
                 "Date: Fri, 27 Nov 2026 09:00:00 +0100\r\n"
                 "Message-ID: <lunch@example.com>\r\n"
                 "\r\n"
                 "Shall we?\r\n");
  /* Rather than a minute: the launcher asks the running applet. */
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, NULL, NULL, "--check-now", NULL), ==, 0);
  pb_test_applet_wait_until (e2e, notified, &first, "a notification about the new mail");

  calls = pb_test_applet_get_notify_calls (e2e);
  for (index = 0; index < calls->len; index++)
    if (call_mentions (g_ptr_array_index (calls, index), "Lunch on Friday"))
      break;
  g_assert_cmpuint (index, <, calls->len);
  call = g_ptr_array_index (calls, index);
  g_assert_true (call_mentions (call, "Alice Example"));
  g_assert_cmpuint (count_unacknowledged (e2e), ==, 1);

  /* "Mark as read" on the notification. */
  actions = pb_test_notify_call_get_actions (call);
  for (guint i = 0; actions[i] != NULL && actions[i + 1] != NULL; i += 2)
    if (g_str_equal (actions[i + 1], "Mark as read"))
      mark_read = actions[i];
  g_assert_nonnull (mark_read);
  pb_test_applet_invoke_action (e2e, pb_test_applet_notification_id (calls, index), mark_read);
  pb_test_applet_wait_until (e2e, all_acknowledged, e2e, "the mail is acknowledged");

  /* Quit, start again: the same mail is not announced again, newer mail is. */
  pb_test_applet_stop (e2e);
  g_variant_unref (pb_test_applet_call_mock (e2e, "ClearCalls", NULL, NULL));
  pb_test_applet_start (e2e);
  deliver (user, "From: Bob Example <bob@example.com>\r\n"
                 "Subject: Minutes of the meeting\r\n"
                 "Message-ID: <minutes@example.com>\r\n"
                 "\r\n"
                 "Attached.\r\n");
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, NULL, NULL, "--check-now", NULL), ==, 0);
  pb_test_applet_wait_until (e2e, notified, &second, "a notification about the newer mail");
  g_ptr_array_unref (calls);
  calls = pb_test_applet_get_notify_calls (e2e);
  for (guint i = 0; i < calls->len; i++)
    g_assert_false (call_mentions (g_ptr_array_index (calls, i), "Lunch on Friday"));
}

/* ---- Started at login ------------------------------------------------------------ */

typedef struct
{
  PbTestApplet *e2e;
  const char   *text;
} LogWait;

static gboolean
log_mentions (gpointer data)
{
  LogWait *wait = data;

  return pb_test_applet_log_mentions (wait->e2e, wait->text);
}

/* Everything but the login race: a bus with the keyring and a notification
 * server, and an account added with --add-account (its mailbox taken as read). */
static PbTestApplet *
login_setup (const char *user)
{
  PbTestApplet *e2e = pb_test_applet_new (pb_test_gtk_get_display ());
  g_autofree char *user_arg = g_strdup_printf ("--user=%s", user);
  g_autofree char *port = g_strdup_printf ("--port=%u", pb_dovecot_get_pop3s_port (dovecot));
  g_autofree char *ca = g_strdup_printf ("--ca-file=%s/ca.crt", g_getenv ("PB_TEST_CERTS"));

  add_dovecot_user (user);
  deliver (user, "Subject: Old mail\r\n\r\nold\r\n");
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, PASSWORD "\n", NULL, "--add-account=home",
                                               "--host=localhost", user_arg, port, ca,
                                               "--name=Home", NULL), ==, 0);
  return e2e;
}

/* The login race resolved within the minute: not one problem notification,
 * only the mail. */
static void
assert_only_mail_notified (PbTestApplet *e2e)
{
  g_autoptr(GPtrArray) calls = pb_test_applet_get_notify_calls (e2e);

  g_assert_cmpuint (calls->len, >=, 1);
  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *call = g_ptr_array_index (calls, i);

      g_assert_false (call_mentions (call, "keyring"));
      g_assert_false (call_mentions (call, "Can't reach"));
      g_assert_false (call_mentions (call, "Old mail"));
    }
}

static void
test_login_keyring_unlocked_by_the_session (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  LogWait waiting = { NULL, "home: waiting for the session's keyring" };
  NotifyWait mail = { NULL, "Arrived while locked" };

  if (!can_run_end_to_end ())
    return;
  e2e = login_setup ("unlocked");
  waiting.e2e = mail.e2e = e2e;

  /* Login: the applet starts before the session unlocked the keyring. */
  pb_test_keyring_lock (e2e->keyring);
  pb_test_applet_start (e2e);
  pb_test_applet_wait_until (e2e, log_mentions, &waiting, "the applet waits for the keyring");
  deliver ("unlocked", "From: Alice Example <alice@example.com>\r\n"
                       "Subject: Arrived while locked\r\n\r\nHello\r\n");

  /* The session unlocks it; nothing is done in Popbell. */
  pb_test_keyring_unlock (e2e->keyring);
  pb_test_applet_wait_until (e2e, notified, &mail, "a notification about the mail");
  assert_only_mail_notified (e2e);
}

static void
test_login_keyring_daemon_started_later (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  LogWait waiting = { NULL, "home: waiting for the session's keyring" };
  NotifyWait mail = { NULL, "Arrived before the Secret Service" };

  if (!can_run_end_to_end ())
    return;
  e2e = login_setup ("later");
  waiting.e2e = mail.e2e = e2e;

  /* Login: no Secret Service on the bus yet when the applet starts. */
  pb_test_keyring_stop_daemon (e2e->keyring);
  pb_test_applet_start (e2e);
  pb_test_applet_wait_until (e2e, log_mentions, &waiting, "the applet waits for a keyring");
  deliver ("later", "From: Bob Example <bob@example.com>\r\n"
                    "Subject: Arrived before the Secret Service\r\n\r\nHello\r\n");

  /* The session's keyring daemon comes, with the stored password. */
  pb_test_keyring_start_daemon (e2e->keyring);
  pb_test_applet_wait_until (e2e, notified, &mail, "a notification about the mail");
  assert_only_mail_notified (e2e);
}

/* The command line changes accounts while the applet runs: it follows
 * within a moment, with each mailbox's baseline where the command took it. */
static void
test_follows_the_command_line (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  LogWait home_checked = { NULL, "home: 0 new, 1 on the server" };
  LogWait added = { NULL, "second: added" };
  LogWait moved = { NULL, "second: changed to another mailbox" };
  LogWait removed = { NULL, "second: removed" };
  NotifyWait arrived = { NULL, "After the command" };
  NotifyWait arrived_third = { NULL, "In the third mailbox" };
  g_autofree char *port = NULL;
  g_autofree char *ca = g_strdup_printf ("--ca-file=%s/ca.crt", g_getenv ("PB_TEST_CERTS"));

  if (!can_run_end_to_end ())
    return;
  e2e = login_setup ("follows");
  home_checked.e2e = added.e2e = moved.e2e = removed.e2e = e2e;
  arrived.e2e = arrived_third.e2e = e2e;
  pb_test_applet_start (e2e);
  pb_test_applet_wait_until (e2e, log_mentions, &home_checked, "the first check");

  /* Added on the command line: its old mail is the baseline, mail after it
   * is new, though the applet's first check of it comes later. */
  add_dovecot_user ("follows2");
  deliver ("follows2", "Subject: Before the command\r\n\r\nold\r\n");
  port = g_strdup_printf ("--port=%u", pb_dovecot_get_pop3s_port (dovecot));
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, PASSWORD "\n", NULL, "--add-account=second",
                                               "--host=localhost", "--user=follows2", port, ca,
                                               "--name=Second", NULL), ==, 0);
  pb_test_applet_wait_until (e2e, log_mentions, &added, "the applet adopts the account");
  deliver ("follows2", "From: Carol <carol@example.com>\r\nSubject: After the command\r\n\r\n"
                       "new\r\n");
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, NULL, NULL, "--check-now", "--account=second",
                                               NULL), ==, 0);
  pb_test_applet_wait_until (e2e, notified, &arrived, "a notification about the new mail");
  {
    g_autoptr(GPtrArray) calls = pb_test_applet_get_notify_calls (e2e);
    for (guint i = 0; i < calls->len; i++)
      g_assert_false (call_mentions (g_ptr_array_index (calls, i), "Before the command"));
  }

  /* Moved to another mailbox: a new baseline there, nothing old announced. */
  add_dovecot_user ("follows3");
  deliver ("follows3", "Subject: Old in the third\r\n\r\nold\r\n");
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, NULL, NULL, "--edit-account=second",
                                               "--user=follows3", NULL), ==, 0);
  pb_test_applet_wait_until (e2e, log_mentions, &moved, "the applet takes the new mailbox");
  deliver ("follows3", "From: Dan <dan@example.com>\r\nSubject: In the third mailbox\r\n\r\n"
                       "new\r\n");
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, NULL, NULL, "--check-now", "--account=second",
                                               NULL), ==, 0);
  pb_test_applet_wait_until (e2e, notified, &arrived_third, "a notification from the new mailbox");
  {
    g_autoptr(GPtrArray) calls = pb_test_applet_get_notify_calls (e2e);
    for (guint i = 0; i < calls->len; i++)
      g_assert_false (call_mentions (g_ptr_array_index (calls, i), "Old in the third"));
  }

  /* Removed: the applet lets go of it. */
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, NULL, NULL, "--remove-account=second", NULL),
                   ==, 0);
  pb_test_applet_wait_until (e2e, log_mentions, &removed, "the applet drops the account");
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);

  pb_test_gtk_init ();
  dovecot = pb_dovecot_new (&error);
  if (dovecot == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      g_clear_error (&error);
    }

  g_test_add_func ("/pb/applet/application/create-destroy", test_application_create_destroy);
  g_test_add_func ("/pb/applet/windows/create-destroy", test_windows_create_destroy);
  g_test_add_func ("/pb/applet/end-to-end/notifies-marks-read-and-remembers-after-restart",
                   test_end_to_end);
  g_test_add_func ("/pb/applet/first-start/opens-the-account-wizard",
                   test_first_start_opens_the_account_wizard);
  g_test_add_func ("/pb/applet/password-dialog/session-only-sets-a-session-password",
                   test_password_dialog_session_only);
  g_test_add_func ("/pb/applet/password-dialog/remember-stores-it-in-the-keyring",
                   test_password_dialog_remembers);

  g_test_add_func ("/pb/applet/review-certificate/trusting-it-lets-the-check-succeed",
                   test_review_certificate_trusts_it);
  g_test_add_func ("/pb/applet/login/keyring-unlocked-by-the-session-notifies-the-mail",
                   test_login_keyring_unlocked_by_the_session);
  g_test_add_func ("/pb/applet/login/keyring-daemon-started-later-notifies-the-mail",
                   test_login_keyring_daemon_started_later);
  g_test_add_func ("/pb/applet/live/follows-the-command-line", test_follows_the_command_line);

  status = g_test_run ();

  g_clear_pointer (&dovecot, pb_dovecot_free);
  pb_test_gtk_shutdown ();
  return status;
}
