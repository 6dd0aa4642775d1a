/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The mail window, in this process, on a private X server: real checks
 * against scripted servers feed a real monitor, and the test looks at what
 * the window shows and does. */
#include "config.h"

#include <glib/gstdio.h>

#include "pb-actions.h"
#include "pb-describe.h"
#include "pb-mail-window.h"
#include "pb-seen-store.h"
#include "pb-test-network.h"
#include "pb-test-server.h"
#include "pb-test-util.h"
#include "pb-test-gtk.h"

#define PASSWORD "secret"

static GtkApplication *app;

typedef struct
{
  char           *config_dir;
  char           *state_dir;
  PbAccountStore *accounts;
  PbTrustStore   *pins;
  PbTestNetwork  *network;
  PbScheduler    *scheduler;
  PbMonitor      *monitor;
  GPtrArray      *servers;      /* PbTestServer* */
  GPtrArray      *activated;    /* "action(target)" for each action the window ran */
  PbMailWindow   *window;
} Fixture;

/* ---- The application's actions, as the window sees them ------------------ */

static void
on_action (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  Fixture *fixture = user_data;
  const char *name = g_action_get_name (G_ACTION (action));
  const char *target = parameter ? g_variant_get_string (parameter, NULL) : "";

  g_ptr_array_add (fixture->activated, g_strdup_printf ("%s(%s)", name, target));

  /* What the application does for "Mark as read". */
  if (g_str_equal (name, PB_ACTION_MARK_READ))
    pb_monitor_acknowledge (fixture->monitor, *target != '\0' ? target : NULL);
}

static const char *action_names[] = {
  PB_ACTION_CHECK_NOW, PB_ACTION_MARK_READ, PB_ACTION_REVIEW_CERTIFICATE,
  PB_ACTION_ENTER_PASSWORD, PB_ACTION_OPEN_MAIL, PB_ACTION_OPEN_MAIL_CLIENT, PB_ACTION_ADD_ACCOUNT,
};

static void
add_actions (Fixture *fixture)
{
  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    {
      gboolean takes_account = i < 5;
      g_autoptr(GSimpleAction) action =
        g_simple_action_new (action_names[i], takes_account ? G_VARIANT_TYPE_STRING : NULL);

      g_signal_connect (action, "activate", G_CALLBACK (on_action), fixture);
      g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (action));
    }
}

static gboolean
was_activated (Fixture    *fixture,
               const char *call)
{
  for (guint i = 0; i < fixture->activated->len; i++)
    if (g_str_equal (g_ptr_array_index (fixture->activated, i), call))
      return TRUE;
  return FALSE;
}

/* ---- Widgets -------------------------------------------------------------- */

/* A label showing exactly @text, on screen. */
static GtkWidget *
shown_label (Fixture    *fixture,
             const char *text)
{
  return pb_test_gtk_shown_label (GTK_WIDGET (fixture->window), text);
}

static GtkWidget *
shown_button (Fixture    *fixture,
              const char *action_name,
              const char *target)
{
  return pb_test_gtk_shown_actionable (GTK_WIDGET (fixture->window), action_name, target);
}

/* ---- Accounts, servers and state ---------------------------------------- */

#define LOGIN \
  { PB_STEP_SEND, "+OK ready" }, \
  { PB_STEP_EXPECT, "CAPA" }, \
  { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "USER" }, { PB_STEP_SEND, "." }, \
  { PB_STEP_EXPECT, "USER alice" }, { PB_STEP_SEND, "+OK" }, \
  { PB_STEP_EXPECT, "PASS " PASSWORD }, { PB_STEP_SEND, "+OK logged in" }

/* Two messages known from an earlier session, and a third one new on the server. */
static const PbTestStep work_script[] = {
  LOGIN,
  { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 3 300" },
  { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "+OK" },
  { PB_STEP_SEND, "1 w1" }, { PB_STEP_SEND, "2 w2" }, { PB_STEP_SEND, "3 w3" },
  { PB_STEP_SEND, "." },
  { PB_STEP_EXPECT, "TOP 3 0" }, { PB_STEP_SEND, "+OK" },
  { PB_STEP_SEND, "From: =?UTF-8?B?5L2Q6JekIOiKseWtkA==?= <hanako@example.jp>" },
  { PB_STEP_SEND, "Subject: =?UTF-8?B?5piO5pel44Gu5omT44Gh5ZCI44KP44Gb44Gr44Gk44GE44Gm?=" },
  { PB_STEP_SEND, "" }, { PB_STEP_SEND, "." },
  { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
  { PB_STEP_END },
};

static const PbTestStep home_script[] = {
  LOGIN,
  { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 1 100" },
  { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "1 h1" },
  { PB_STEP_SEND, "." },
  { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
  { PB_STEP_END },
};

/* The client gives up after the handshake: the certificate is not trusted. */
static const PbTestStep untrusted_script[] = {
  { PB_STEP_SEND, "+OK ready" },
  { PB_STEP_END },
};

static PbMessage *
message_new (const char *uidl,
             const char *name,
             const char *address,
             const char *subject,
             GDateTime  *date)
{
  PbMessage *message = pb_message_new ();

  message->uidl = g_strdup (uidl);
  message->from_name = g_strdup (name);
  message->from_address = g_strdup (address);
  message->from = g_strdup_printf ("%s <%s>", name, address);
  message->subject = g_strdup (subject);
  message->date = date ? g_date_time_ref (date) : NULL;
  return message;
}

static GPtrArray *
messages_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
}

/* What an earlier session left: @uidls seen, @messages not acknowledged. */
static void
write_state (Fixture            *fixture,
             const char         *account_id,
             const char * const *uidls,
             GPtrArray          *messages)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.state", fixture->state_dir, account_id);
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  g_autoptr(GError) error = NULL;
  guint n = g_strv_length ((char **) uidls);

  pb_seen_store_record_check (seen, uidls, n, n, messages);
  g_assert_true (pb_seen_store_save (seen, &error));
  g_assert_no_error (error);
}

static guint
saved_unacknowledged (Fixture    *fixture,
                      const char *account_id)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.state", fixture->state_dir, account_id);
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_seen_store_load (seen, &error));
  g_assert_no_error (error);
  return pb_seen_store_get_unacknowledged (seen)->len;
}

/* An account served by a new scripted server with the certificate @cert_name. */
static void
add_account (Fixture          *fixture,
             const char       *id,
             const char       *name,
             const char       *cert_name,
             const PbTestStep *script,
             gboolean          pin)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate (cert_name);
  g_autoptr(PbAccount) account = pb_account_new (id);
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(GError) error = NULL;
  PbTestServer *server = pb_test_server_new (cert, TRUE, script);

  g_ptr_array_add (fixture->servers, server);
  pb_account_set_display_name (account, name);
  pb_account_set_host (account, "localhost");
  pb_account_set_port (account, pb_test_server_get_port (server));
  pb_account_set_user (account, "alice");
  pb_account_set_ca_file (account, ca);
  g_assert_true (pb_account_store_add (fixture->accounts, account, &error));
  g_assert_no_error (error);

  if (pin)
    pb_trust_store_add (fixture->pins, "localhost", pb_test_server_get_port (server), cert);
}

static void
start_monitor (Fixture *fixture)
{
  fixture->monitor = pb_monitor_new (fixture->accounts, fixture->pins, fixture->scheduler,
                                     fixture->state_dir);
  pb_monitor_start (fixture->monitor);
}

static gboolean
all_checked (Fixture *fixture)
{
  GPtrArray *accounts = pb_monitor_get_accounts (fixture->monitor);

  for (guint i = 0; i < accounts->len; i++)
    {
      const char *id = pb_account_get_id (g_ptr_array_index (accounts, i));
      PbAccountState state = pb_monitor_get_state (fixture->monitor, id);

      if (state == PB_ACCOUNT_STATE_IDLE || state == PB_ACCOUNT_STATE_CHECKING)
        return FALSE;
    }
  return TRUE;
}

static void
on_changed_check_done (PbMonitor  *monitor,
                       const char *account_id,
                       gpointer    user_data)
{
  Fixture *fixture = user_data;
  gboolean *done = g_object_get_data (G_OBJECT (monitor), "done");

  *done = all_checked (fixture);
}

/* Checks every account at once (with the session password) and waits. */
static void
check_all (Fixture *fixture)
{
  GPtrArray *accounts = pb_monitor_get_accounts (fixture->monitor);
  gboolean done = FALSE;
  gulong handler;

  for (guint i = 0; i < accounts->len; i++)
    pb_monitor_set_session_password (fixture->monitor,
                                     pb_account_get_id (g_ptr_array_index (accounts, i)),
                                     PASSWORD);

  g_object_set_data (G_OBJECT (fixture->monitor), "done", &done);
  handler = g_signal_connect (fixture->monitor, "account-changed",
                              G_CALLBACK (on_changed_check_done), fixture);
  pb_monitor_check_now (fixture->monitor, NULL);
  pb_test_wait_for (&done, 30);
  g_signal_handler_disconnect (fixture->monitor, handler);
  g_object_set_data (G_OBJECT (fixture->monitor), "done", NULL);
  pb_test_gtk_settle (100);
}

static void
show_window (Fixture *fixture)
{
  if (fixture->window == NULL)
    {
      fixture->window = pb_mail_window_new (app, fixture->monitor);
      g_object_add_weak_pointer (G_OBJECT (fixture->window), (gpointer *) &fixture->window);
    }
  gtk_window_present (GTK_WINDOW (fixture->window));
  pb_test_gtk_wait_mapped (GTK_WIDGET (fixture->window));
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *accounts_path = NULL;
  g_autofree char *pins_path = NULL;

  if (!pb_test_gtk_has_display ())
    return;

  fixture->config_dir = pb_test_mkdtemp ("config");
  fixture->state_dir = pb_test_mkdtemp ("state");
  accounts_path = g_build_filename (fixture->config_dir, "accounts.ini", NULL);
  pins_path = g_build_filename (fixture->config_dir, "trust.ini", NULL);
  fixture->accounts = pb_account_store_new (accounts_path);
  fixture->pins = pb_trust_store_new (pins_path);
  fixture->network = pb_test_network_new (TRUE);
  fixture->scheduler = pb_scheduler_new (NULL, G_NETWORK_MONITOR (fixture->network), FALSE);
  fixture->servers = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_test_server_free);
  fixture->activated = g_ptr_array_new_with_free_func (g_free);
  add_actions (fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (!pb_test_gtk_has_display ())
    return;

  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    g_action_map_remove_action (G_ACTION_MAP (app), action_names[i]);

  if (fixture->window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (fixture->window));
      pb_test_gtk_settle (20);
      g_assert_null (fixture->window);
    }
  g_clear_object (&fixture->monitor);
  g_clear_object (&fixture->scheduler);
  g_clear_object (&fixture->network);
  g_clear_object (&fixture->pins);
  g_clear_object (&fixture->accounts);
  g_clear_pointer (&fixture->servers, g_ptr_array_unref);
  g_clear_pointer (&fixture->activated, g_ptr_array_unref);
  pb_test_rm_rf (fixture->state_dir);
  pb_test_rm_rf (fixture->config_dir);
  g_free (fixture->state_dir);
  g_free (fixture->config_dir);
}


/* ---- Tests ---------------------------------------------------------------- */

static void
test_create_destroy (Fixture       *fixture,
                     gconstpointer  data)
{
  PbMailWindow *window;

  if (!pb_test_gtk_need_display ())
    return;

  start_monitor (fixture);
  window = g_object_ref (pb_mail_window_new (app, fixture->monitor));
  g_assert_true (gtk_window_get_hide_on_close (GTK_WINDOW (window)));
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

static void
test_lists_mail_status_and_protection (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) earlier = g_date_time_add_minutes (now, -42);
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autoptr(GPtrArray) work_mail = messages_new ();
  g_autoptr(GPtrArray) home_mail = messages_new ();
  const char *work_uidls[] = { "w1", "w2", NULL };
  const char *home_uidls[] = { "h1", NULL };
  g_autofree char *today = NULL;
  g_autofree char *pinned = NULL;
  g_autofree char *yesterday_text = NULL;
  GtkWidget *widget;
  GtkWidget *list;
  GtkWidget *row;

  if (!pb_test_gtk_need_display ())
    return;

  g_ptr_array_add (work_mail, message_new ("w1", "田中 太郎", "taro@example.jp",
                                           "来週の会議の議事録", yesterday));
  g_ptr_array_add (work_mail, message_new ("w2", "Mallory <script>", "mallory@example.com",
                                           "<b>not bold</b> & not markup", earlier));
  g_ptr_array_add (home_mail, message_new ("h1", "Electricity Company", "bills@example.org",
                                           "Your March invoice", NULL));

  add_account (fixture, "work", "Work", "server.pem", work_script, FALSE);
  add_account (fixture, "home", "Home", "self-signed.pem", home_script, TRUE);
  add_account (fixture, "school", "School", "unknown-ca.pem", untrusted_script, FALSE);
  write_state (fixture, "work", work_uidls, work_mail);
  write_state (fixture, "home", home_uidls, home_mail);

  start_monitor (fixture);
  show_window (fixture);

  /* Before any check of this session: the mail of the last one. */
  g_assert_nonnull (shown_label (fixture, "田中 太郎"));
  g_assert_nonnull (shown_label (fixture, "来週の会議の議事録"));
  g_assert_null (shown_label (fixture, "No New Mail"));
  /* Opening the window acknowledges what it lists: the counts go back to
   * zero, saved at once, while the list stays until the window closes. */
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, NULL), ==, 0);
  g_assert_cmpuint (saved_unacknowledged (fixture, "work"), ==, 0);
  g_assert_cmpuint (saved_unacknowledged (fixture, "home"), ==, 0);

  /* The window follows the checks as they finish. */
  check_all (fixture);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "work"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==, PB_ACCOUNT_STATE_OK);
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "school"), ==,
                   PB_ACCOUNT_STATE_NEEDS_TRUST);
  /* The new message came while the window was open: listed and seen. */
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, "work"), ==, 0);

  /* Sender, subject and date; Japanese as it came; server text never markup. */
  g_assert_nonnull (shown_label (fixture, "佐藤 花子"));
  g_assert_nonnull (shown_label (fixture, "明日の打ち合わせについて"));
  g_assert_nonnull (shown_label (fixture, "田中 太郎"));
  g_assert_nonnull (shown_label (fixture, "Mallory <script>"));
  g_assert_nonnull (shown_label (fixture, "<b>not bold</b> & not markup"));
  g_assert_nonnull (shown_label (fixture, "Your March invoice"));
  yesterday_text = pb_describe_message_date (yesterday, now);
  g_assert_cmpstr (yesterday_text, ==, "Yesterday");
  g_assert_nonnull (shown_label (fixture, "Yesterday"));

  /* Newest first: the message this check found leads the list. */
  widget = shown_label (fixture, "明日の打ち合わせについて");
  list = gtk_widget_get_ancestor (widget, GTK_TYPE_LIST_BOX);
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0));
  g_assert_true (gtk_widget_is_ancestor (widget, row));
  widget = shown_label (fixture, "来週の会議の議事録");
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 2));
  g_assert_true (gtk_widget_is_ancestor (widget, row));

  /* Status and protection in plain words. */
  {
    g_autofree char *status = pb_describe_state (fixture->monitor, "work",
                                                 g_get_real_time () / G_USEC_PER_SEC);
    g_assert_true (g_str_has_prefix (status, "Checked just now · next check at "));
    g_assert_nonnull (shown_label (fixture, status));
  }
  g_assert_nonnull (shown_label (fixture, "Encrypted (TLS 1.3) · certificate verified"));
  today = pb_describe_date (now);
  pinned = g_strdup_printf ("Encrypted (TLS 1.3) · certificate you trusted on %s", today);
  g_assert_nonnull (shown_label (fixture, pinned));

  /* The untrusted server: what is wrong, and the way to fix it. */
  g_assert_nonnull (shown_label (fixture, "The server's identity can't be verified"));
  widget = shown_button (fixture, "app." PB_ACTION_REVIEW_CERTIFICATE, "school");
  g_assert_nonnull (widget);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (widget)), ==, "Review Certificate…");
  pb_test_gtk_activate (widget);
  g_assert_true (was_activated (fixture, PB_ACTION_REVIEW_CERTIFICATE "(school)"));
  /* No mail there, so no button to mark it read. */
  g_assert_null (shown_button (fixture, "app." PB_ACTION_MARK_READ, "school"));

  pb_test_gtk_save_screenshot (GTK_WIDGET (fixture->window), "mail-window.png");

  /* Mark as read: the list empties, and so does the saved state. */
  widget = shown_button (fixture, "app." PB_ACTION_MARK_READ, "work");
  g_assert_nonnull (widget);
  pb_test_gtk_activate (widget);
  g_assert_true (was_activated (fixture, PB_ACTION_MARK_READ "(work)"));
  g_assert_cmpuint (saved_unacknowledged (fixture, "work"), ==, 0);
  g_assert_null (shown_label (fixture, "佐藤 花子"));
  g_assert_null (shown_label (fixture, "田中 太郎"));
  g_assert_null (shown_button (fixture, "app." PB_ACTION_MARK_READ, "work"));
  g_assert_nonnull (shown_label (fixture, "Your March invoice"));

  /* Closing hides the window, and what it showed has been seen. */
  gtk_window_close (GTK_WINDOW (fixture->window));
  pb_test_gtk_wait_unmapped (GTK_WIDGET (fixture->window));
  g_assert_nonnull (fixture->window);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, NULL), ==, 0);
  g_assert_cmpuint (saved_unacknowledged (fixture, "home"), ==, 0);

  /* Opened again: nothing new. */
  show_window (fixture);
  g_assert_nonnull (shown_label (fixture, "No New Mail"));
  g_assert_null (shown_label (fixture, "Your March invoice"));
  g_assert_false (gtk_widget_get_sensitive (shown_button (fixture, "app." PB_ACTION_MARK_READ,
                                                          "")));
  pb_test_gtk_save_screenshot (GTK_WIDGET (fixture->window), "mail-window-empty.png");

  /* The network goes away: every account says so. */
  pb_test_network_set_available (fixture->network, FALSE);
  pb_test_gtk_settle (50);
  g_assert_nonnull (shown_label (fixture, "Offline — Popbell checks when the network is back"));
}

static void
test_failing_account_offers_to_try_again (Fixture       *fixture,
                                          gconstpointer  data)
{
  g_autoptr(PbAccount) account = pb_account_new ("gone");
  g_autoptr(GError) error = NULL;
  const GError *check_error;
  GtkWidget *button;

  if (!pb_test_gtk_need_display ())
    return;

  /* Nothing listens there. */
  pb_account_set_host (account, "127.0.0.1");
  pb_account_set_port (account, pb_test_free_port ());
  pb_account_set_user (account, "alice");
  g_assert_true (pb_account_store_add (fixture->accounts, account, &error));
  g_assert_no_error (error);

  start_monitor (fixture);
  show_window (fixture);
  check_all (fixture);

  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "gone"), ==,
                   PB_ACCOUNT_STATE_FAILING);
  check_error = pb_monitor_get_error (fixture->monitor, "gone");
  g_assert_nonnull (check_error);
  g_assert_nonnull (shown_label (fixture, check_error->message));
  {
    g_autofree char *status = pb_describe_state (fixture->monitor, "gone",
                                                 g_get_real_time () / G_USEC_PER_SEC);
    g_assert_true (g_str_has_prefix (status, "The last check failed"));
    g_assert_nonnull (shown_label (fixture, status));
  }

  button = shown_button (fixture, "app." PB_ACTION_CHECK_NOW, "gone");
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "Try Again");
  pb_test_gtk_activate (button);
  g_assert_true (was_activated (fixture, PB_ACTION_CHECK_NOW "(gone)"));

  /* No mail: the empty state, and nothing to mark. */
  g_assert_nonnull (shown_label (fixture, "Not Checked Yet"));
  g_assert_null (shown_label (fixture, "Add Account…"));
}

static void
test_without_accounts_offers_to_add_one (Fixture       *fixture,
                                         gconstpointer  data)
{
  GtkWidget *button;

  if (!pb_test_gtk_need_display ())
    return;

  start_monitor (fixture);
  show_window (fixture);

  g_assert_nonnull (shown_label (fixture, "No Accounts"));
  button = shown_button (fixture, "app." PB_ACTION_ADD_ACCOUNT, NULL);
  g_assert_nonnull (button);
  pb_test_gtk_activate (button);
  g_assert_true (was_activated (fixture, PB_ACTION_ADD_ACCOUNT "()"));

  /* The account the wizard saved appears at once. */
  {
    const char *path = pb_account_store_get_path (fixture->accounts);
    g_autoptr(PbAccountStore) writer = pb_account_store_new (path);
    g_autoptr(PbAccount) account = pb_account_new ("new");
    g_autoptr(GError) error = NULL;

    pb_account_set_display_name (account, "メール");
    pb_account_set_host (account, "127.0.0.1");
    pb_account_set_user (account, "alice");
    g_assert_true (pb_account_store_add (writer, account, &error));
    g_assert_no_error (error);
    g_assert_true (pb_account_store_save (writer, &error));
    g_assert_no_error (error);
  }
  pb_monitor_reload (fixture->monitor);
  pb_test_gtk_settle (50);
  g_assert_nonnull (shown_label (fixture, "メール"));
  g_assert_nonnull (shown_label (fixture, "Not Checked Yet"));
  g_assert_null (shown_button (fixture, "app." PB_ACTION_ADD_ACCOUNT, NULL));
}

/* Every control can be reached by keyboard and has a name for screen readers:
 * icon-only buttons carry a tooltip (their accessible label is set too). */
static gboolean
is_unnamed_button (GtkWidget  *widget,
                   const char *unused)
{
  /* Minimize, maximize and close are GTK's own. */
  if (!GTK_IS_BUTTON (widget) || !gtk_widget_get_mapped (widget) ||
      gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW_CONTROLS) != NULL)
    return FALSE;
  if (!gtk_widget_get_focusable (widget))
    return TRUE;
  /* A menu button's own button: the menu button carries the name. */
  if (GTK_IS_MENU_BUTTON (gtk_widget_get_parent (widget)))
    widget = gtk_widget_get_parent (widget);
  return (!GTK_IS_BUTTON (widget) || gtk_button_get_label (GTK_BUTTON (widget)) == NULL) &&
         gtk_widget_get_tooltip_text (widget) == NULL;
}

static void
test_controls_are_named_and_focusable (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autoptr(GPtrArray) mail = messages_new ();
  const char *uidls[] = { "a", NULL };
  GtkWidget *unnamed;
  GtkWidget *row;

  if (!pb_test_gtk_need_display ())
    return;

  g_ptr_array_add (mail, message_new ("a", "Ada", "ada@example.org", "Engines", NULL));
  add_account (fixture, "work", "Work", "server.pem", untrusted_script, FALSE);
  write_state (fixture, "work", uidls, mail);
  start_monitor (fixture);
  show_window (fixture);

  unnamed = pb_test_gtk_find_widget (GTK_WIDGET (fixture->window), is_unnamed_button, NULL);
  g_assert_null (unnamed);

  /* A message row opens its account's mail, by mouse or keyboard. */
  row = gtk_widget_get_ancestor (shown_label (fixture, "Engines"), GTK_TYPE_LIST_BOX_ROW);
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_get_focusable (row));
  g_assert_true (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (row)), ==,
                   "app." PB_ACTION_OPEN_MAIL);
  g_signal_emit_by_name (row, "activate");
  g_assert_true (was_activated (fixture, PB_ACTION_OPEN_MAIL "(work)"));
}

static gboolean
is_menu_button (GtkWidget  *widget,
                const char *unused)
{
  return GTK_IS_MENU_BUTTON (widget);
}

/* The actions of a menu model's items, sections included, joined with "|". */
static void
collect_menu_actions (GMenuModel *model,
                      GString    *out)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *action = NULL;
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);

      if (section != NULL)
        collect_menu_actions (section, out);
      else if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &action))
        g_string_append_printf (out, "%s%s", out->len > 0 ? "|" : "", action);
    }
}

/* Without a tray icon this window is the way to what the tray's menu has. */
static void
test_menu_has_what_the_tray_has (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GString) actions = g_string_new (NULL);
  GtkWidget *button;

  if (!pb_test_gtk_need_display ())
    return;

  start_monitor (fixture);
  show_window (fixture);
  button = pb_test_gtk_find_widget (GTK_WIDGET (fixture->window), is_menu_button, NULL);
  g_assert_nonnull (button);
  g_assert_nonnull (gtk_widget_get_tooltip_text (button));
  collect_menu_actions (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button)), actions);
  g_assert_cmpstr (actions->str, ==, "app.add-account|app.preferences|app.quit");
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);

  if (pb_test_gtk_init ())
    {
      /* No session bus (and no autolaunched one): the application stays
       * in this process. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/popbell-test-bus", TRUE);
      app = gtk_application_new ("io.github.popbell.Popbell.MailWindowTest",
                                 G_APPLICATION_NON_UNIQUE);
      g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
      g_assert_no_error (error);
    }

#define ADD(path, func) \
  g_test_add ("/pb/mail-window/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("create-destroy", test_create_destroy);
  ADD ("lists-mail-status-and-protection", test_lists_mail_status_and_protection);
  ADD ("failing-account-offers-to-try-again", test_failing_account_offers_to_try_again);
  ADD ("without-accounts-offers-to-add-one", test_without_accounts_offers_to_add_one);
  ADD ("controls-are-named-and-focusable", test_controls_are_named_and_focusable);
  ADD ("menu-has-what-the-tray-has", test_menu_has_what_the_tray_has);
#undef ADD

  status = g_test_run ();

  g_clear_object (&app);
  pb_test_gtk_shutdown ();
  return status;
}
