/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The preferences, in this process, on a private X server: the test flips
 * switches, types into fields and presses buttons as a user would, and reads
 * back what GSettings, accounts.ini, trust.ini, the state files, the monitor
 * and a real keyring (in a private D-Bus session) hold afterwards. */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pb-actions.h"
#include "pb-preferences-window.h"
#include "pb-secret-store.h"
#include "pb-seen-store.h"
#include "pb-settings.h"
#include "pb-test-keyring.h"
#include "pb-test-network.h"
#include "pb-test-gtk.h"
#include "pb-test-util.h"
#include "pb-test-xvfb.h"

static PbTestXvfb *xvfb;
static GtkApplication *app;

typedef struct
{
  GSettings           *settings;
  PbTestNetwork       *network;
  PbScheduler         *scheduler;
  PbMonitor           *monitor;
  PbPreferencesWindow *window;
} Fixture;

/* ---- Widgets -------------------------------------------------------------- */

static gboolean
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
check_button_has_label (GtkWidget  *widget,
                        const char *text)
{
  return GTK_IS_CHECK_BUTTON (widget) &&
         g_strcmp0 (gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)), text) == 0;
}

static gboolean
has_name (GtkWidget  *widget,
          const char *name)
{
  return g_strcmp0 (gtk_widget_get_name (widget), name) == 0;
}

static GtkWidget *
shown_label (GtkWidget  *root,
             const char *text)
{
  GtkWidget *label = pb_test_gtk_find_widget (root, pb_test_gtk_label_has_text, text);

  return label != NULL && gtk_widget_get_mapped (label) ? label : NULL;
}

/* The control a label names (through its mnemonic). */
static GtkWidget *
control_of (Fixture    *fixture,
            const char *label_text)
{
  GtkWidget *label = shown_label (GTK_WIDGET (fixture->window), label_text);

  g_assert_nonnull (label);
  return gtk_label_get_mnemonic_widget (GTK_LABEL (label));
}

/* The widget named @name in the list row that shows @title. */
static GtkWidget *
in_row (Fixture    *fixture,
        const char *title,
        const char *name)
{
  GtkWidget *label = shown_label (GTK_WIDGET (fixture->window), title);
  GtkWidget *row;

  g_assert_nonnull (label);
  row = gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW);
  g_assert_nonnull (row);
  return pb_test_gtk_find_widget (row, has_name, name);
}

static void
activate (GtkWidget *widget)
{
  g_assert_nonnull (widget);
  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_activate (widget));
  pb_test_gtk_settle (300);
}

/* The newest window on top of the preferences (a dialog or the editor). */
static GtkWindow *
window_over (Fixture *fixture)
{
  GtkWindow *found = NULL;
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (gtk_window_get_transient_for (window) == GTK_WINDOW (fixture->window) &&
          gtk_widget_get_visible (GTK_WIDGET (window)))
        found = window;
    }
  return found;
}

/* ---- Files --------------------------------------------------------------------- */

static PbAccount *
account_new (const char *id,
             const char *name,
             const char *host,
             guint16     port)
{
  PbAccount *account = pb_account_new (id);

  pb_account_set_display_name (account, name);
  pb_account_set_host (account, host);
  pb_account_set_port (account, port);
  pb_account_set_user (account, "alice@example.org");
  return account;
}

/* accounts.ini as the command line would write it. */
static void
write_accounts (PbAccount **accounts)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; accounts[i] != NULL; i++)
    {
      g_assert_true (pb_account_store_add (store, accounts[i], &error));
      g_assert_no_error (error);
    }
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);
}

static PbAccountStore *
saved_accounts (void)
{
  PbAccountStore *store = pb_account_store_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_account_store_load (store, &error));
  g_assert_no_error (error);
  return store;
}

static PbTrustStore *
saved_pins (void)
{
  PbTrustStore *pins = pb_trust_store_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_trust_store_load (pins, &error));
  g_assert_no_error (error);
  return pins;
}

static void
write_pin (const char *host,
           guint16     port,
           const char *cert_name)
{
  g_autoptr(PbTrustStore) pins = saved_pins ();
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate (cert_name);
  g_autoptr(GError) error = NULL;

  pb_trust_store_add (pins, host, port, certificate);
  g_assert_true (pb_trust_store_save (pins, &error));
  g_assert_no_error (error);
}

static char *
write_state (const char *account_id)
{
  char *path = pb_seen_store_path_for_account (account_id);
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  g_autoptr(GError) error = NULL;
  const char *uidls[] = { "a", "b", NULL };

  pb_seen_store_record_check (seen, uidls, 2, 2, NULL);
  g_assert_true (pb_seen_store_save (seen, &error));
  g_assert_no_error (error);
  return path;
}

/* ---- Fixture ------------------------------------------------------------------- */

static void
start (Fixture *fixture)
{
  g_autoptr(PbAccountStore) accounts = saved_accounts ();
  g_autoptr(PbTrustStore) pins = saved_pins ();

  fixture->monitor = pb_monitor_new (accounts, pins, fixture->scheduler, NULL);
  pb_monitor_start (fixture->monitor);
  fixture->window = pb_preferences_window_new (app, fixture->monitor, fixture->settings);
  g_object_add_weak_pointer (G_OBJECT (fixture->window), (gpointer *) &fixture->window);
  gtk_window_present (GTK_WINDOW (fixture->window));
  pb_test_gtk_wait_mapped (GTK_WIDGET (fixture->window));
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->settings = g_settings_new (PB_SETTINGS_SCHEMA);
  /* Offline: nothing here is about checks. */
  fixture->network = pb_test_network_new (FALSE);
  fixture->scheduler = pb_scheduler_new (NULL, G_NETWORK_MONITOR (fixture->network), FALSE);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *config = g_build_filename (g_get_user_config_dir (), "popbell", NULL);
  g_autofree char *state = g_build_filename (g_get_user_state_dir (), "popbell", NULL);
  const char *keys[] = {
    PB_SETTINGS_NOTIFY_NEW_MAIL, PB_SETTINGS_NOTIFY_ERRORS, PB_SETTINGS_PRIVACY,
    PB_SETTINGS_MAIL_CLIENT, PB_SETTINGS_START_AT_LOGIN, PB_SETTINGS_SHOW_COUNT,
  };

  if (fixture->window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (fixture->window));
      pb_test_gtk_settle (20);
      g_assert_null (fixture->window);
    }
  g_clear_object (&fixture->monitor);
  g_clear_object (&fixture->scheduler);
  g_clear_object (&fixture->network);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (fixture->settings, keys[i]);
  g_clear_object (&fixture->settings);
  pb_test_rm_rf (config);
  pb_test_rm_rf (state);
}

static gboolean
need_display (void)
{
  if (xvfb == NULL)
    {
      g_test_skip ("Xvfb is not installed");
      return FALSE;
    }
  return TRUE;
}

/* ---- Tests ---------------------------------------------------------------------- */

static void
test_create_destroy (Fixture       *fixture,
                     gconstpointer  data)
{
  PbPreferencesWindow *window;

  if (!need_display ())
    return;

  start (fixture);
  window = g_object_ref (fixture->window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

static void
test_switches_change_settings (Fixture       *fixture,
                               gconstpointer  data)
{
  const struct { const char *label; const char *key; } switches[] = {
    { "Notify about new mail", PB_SETTINGS_NOTIFY_NEW_MAIL },
    { "Notify about problems", PB_SETTINGS_NOTIFY_ERRORS },
    { "Hide senders and subjects", PB_SETTINGS_PRIVACY },
    { "Show the count on the tray icon", PB_SETTINGS_SHOW_COUNT },
    { "Start at login", PB_SETTINGS_START_AT_LOGIN },
  };

  if (!need_display ())
    return;

  start (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (switches); i++)
    {
      GtkWidget *control = control_of (fixture, switches[i].label);
      gboolean before = g_settings_get_boolean (fixture->settings, switches[i].key);

      g_test_message ("%s", switches[i].label);
      g_assert_true (GTK_IS_SWITCH (control));
      g_assert_cmpint (gtk_switch_get_active (GTK_SWITCH (control)), ==, before);
      activate (control);
      g_assert_cmpint (g_settings_get_boolean (fixture->settings, switches[i].key), ==, !before);
      activate (control);
      g_assert_cmpint (g_settings_get_boolean (fixture->settings, switches[i].key), ==, before);

      /* And the other way round: a change made elsewhere shows. */
      g_settings_set_boolean (fixture->settings, switches[i].key, !before);
      pb_test_gtk_settle (50);
      g_assert_cmpint (gtk_switch_get_active (GTK_SWITCH (control)), ==, !before);
    }
}

static void
test_mail_client_command (Fixture       *fixture,
                          gconstpointer  data)
{
  GtkWidget *system_radio, *command_radio, *entry;
  g_autofree char *stored = NULL;

  if (!need_display ())
    return;

  start (fixture);
  system_radio = pb_test_gtk_find_widget (GTK_WIDGET (fixture->window), check_button_has_label,
                              "The desktop’s _default mail application");
  command_radio = pb_test_gtk_find_widget (GTK_WIDGET (fixture->window), check_button_has_label,
                               "A _command");
  entry = pb_test_gtk_find_widget (GTK_WIDGET (fixture->window), has_name, "mail-client-entry");
  g_assert_true (GTK_IS_CHECK_BUTTON (system_radio));
  g_assert_true (GTK_IS_CHECK_BUTTON (command_radio));
  g_assert_nonnull (entry);

  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (system_radio)));
  g_assert_false (gtk_widget_get_sensitive (entry));

  activate (command_radio);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (command_radio)));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (system_radio)));
  g_assert_true (gtk_widget_get_sensitive (entry));
  g_assert_true (gtk_widget_has_focus (entry) || gtk_widget_is_ancestor (
    gtk_root_get_focus (GTK_ROOT (fixture->window)), entry));
  gtk_editable_set_text (GTK_EDITABLE (entry), "thunderbird -mail");
  stored = g_settings_get_string (fixture->settings, PB_SETTINGS_MAIL_CLIENT);
  g_assert_cmpstr (stored, ==, "thunderbird -mail");
  g_clear_pointer (&stored, g_free);

  /* Back to the desktop's choice: the command is not used any more. */
  activate (system_radio);
  stored = g_settings_get_string (fixture->settings, PB_SETTINGS_MAIL_CLIENT);
  g_assert_cmpstr (stored, ==, "");
  g_assert_false (gtk_widget_get_sensitive (entry));

  /* Set elsewhere (the command line, another window). */
  g_settings_set_string (fixture->settings, PB_SETTINGS_MAIL_CLIENT, "mutt");
  pb_test_gtk_settle (50);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (command_radio)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "mutt");
}

static void
test_lists_accounts (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(PbAccount) work = account_new ("work", "Work", "pop.example.org", 995);
  g_autoptr(PbAccount) home = account_new ("home", "Home <b>mail</b>", "localhost", 1995);
  PbAccount *accounts[] = { work, home, NULL };

  if (!need_display ())
    return;

  start (fixture);
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window),
                                 "No accounts yet. Add one to start watching a mailbox."));

  pb_account_set_interval (home, 1);
  write_accounts (accounts);
  pb_monitor_reload (fixture->monitor);
  pb_test_gtk_settle (50);

  g_assert_null (shown_label (GTK_WIDGET (fixture->window),
                              "No accounts yet. Add one to start watching a mailbox."));
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "Work"));
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window),
                                 "alice@example.org at pop.example.org:995 · every 5 minutes"));
  /* Names are text, never markup. */
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "Home <b>mail</b>"));
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window),
                                 "alice@example.org at localhost:1995 · every minute"));
  g_assert_nonnull (in_row (fixture, "Work", "enabled-switch"));
  g_assert_nonnull (in_row (fixture, "Work", "edit-button"));
  g_assert_nonnull (in_row (fixture, "Work", "remove-button"));

  /* Adding goes through the application's action (the wizard). */
  {
    GtkWidget *add = pb_test_gtk_find_widget (GTK_WIDGET (fixture->window), pb_test_gtk_button_has_label,
                                  "_Add Account…");
    gboolean added = FALSE;
    g_autoptr(GSimpleAction) action = g_simple_action_new (PB_ACTION_ADD_ACCOUNT, NULL);

    g_signal_connect_swapped (action, "activate", G_CALLBACK (set_true), &added);
    g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (action));
    pb_test_gtk_settle (50);
    activate (add);
    g_assert_true (added);
    g_action_map_remove_action (G_ACTION_MAP (app), PB_ACTION_ADD_ACCOUNT);
  }
}

static void
test_disable_and_enable (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(PbAccount) work = account_new ("work", "Work", "pop.example.org", 995);
  PbAccount *accounts[] = { work, NULL };
  GtkWidget *enabled;

  if (!need_display ())
    return;

  write_accounts (accounts);
  start (fixture);
  enabled = in_row (fixture, "Work", "enabled-switch");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (enabled)));
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "work"), !=,
                   PB_ACCOUNT_STATE_DISABLED);

  activate (enabled);
  {
    g_autoptr(PbAccountStore) saved = saved_accounts ();
    g_assert_false (pb_account_get_enabled (pb_account_store_lookup (saved, "work")));
  }
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "work"), ==,
                   PB_ACCOUNT_STATE_DISABLED);
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window),
                                 "alice@example.org at pop.example.org:995 · not checked"));
  /* Updated in place: the keyboard focus stays on the switch. */
  g_assert_true (in_row (fixture, "Work", "enabled-switch") == enabled);

  activate (enabled);
  {
    g_autoptr(PbAccountStore) saved = saved_accounts ();
    g_assert_true (pb_account_get_enabled (pb_account_store_lookup (saved, "work")));
  }
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "work"), !=,
                   PB_ACCOUNT_STATE_DISABLED);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (enabled)));
}

/* An account that signs in says with whom, and its editor signs it in again
 * instead of asking for a password. */
static void
test_oauth2_account (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(PbAccount) work = account_new ("work", "Work", "pop.example.org", 995);
  PbAccount *accounts[] = { work, NULL };
  GtkWindow *editor;
  GtkWidget *widget;

  if (!need_display ())
    return;

  pb_account_set_oauth2_provider (work, "microsoft");
  write_accounts (accounts);
  start (fixture);
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window),
                                 "alice@example.org at pop.example.org:995 · signs in with "
                                 "Microsoft · every 5 minutes"));

  activate (in_row (fixture, "Work", "edit-button"));
  editor = window_over (fixture);
  g_assert_nonnull (editor);
  pb_test_gtk_wait_mapped (GTK_WIDGET (editor));
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "password-button");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (widget)), ==, "Sign In _Again…");
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), ==,
                   "app." PB_ACTION_SIGN_IN);
  g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (
    GTK_ACTIONABLE (widget)), NULL), ==, "work");
  gtk_window_destroy (editor);
}

static void
test_edit_saves (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(PbAccount) work = account_new ("work", "Work", "pop.example.org", 995);
  PbAccount *accounts[] = { work, NULL };
  GtkWindow *editor;
  GtkWidget *widget;

  if (!need_display ())
    return;

  write_accounts (accounts);
  start (fixture);
  activate (in_row (fixture, "Work", "edit-button"));
  editor = window_over (fixture);
  g_assert_nonnull (editor);
  pb_test_gtk_wait_mapped (GTK_WIDGET (editor));
  g_assert_true (gtk_window_get_modal (editor));

  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "name-entry");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (widget)), ==, "Work");
  gtk_editable_set_text (GTK_EDITABLE (widget), "Office");
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "host-entry");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (widget)), ==, "pop.example.org");

  /* A server name with a space in it is refused, and nothing is saved. */
  gtk_editable_set_text (GTK_EDITABLE (widget), "pop example org");
  activate (pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "save-button"));
  g_assert_nonnull (shown_label (GTK_WIDGET (editor), "Enter the name of the POP3 server, for "
                                                      "example pop.example.com."));
  {
    g_autoptr(PbAccountStore) saved = saved_accounts ();
    g_assert_cmpstr (pb_account_get_display_name (pb_account_store_lookup (saved, "work")), ==,
                     "Work");
  }

  gtk_editable_set_text (GTK_EDITABLE (widget), "mail.example.net");
  /* STARTTLS moves the default port along. */
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "security-dropdown");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (widget), 1);
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "port-spin");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (widget)), ==, 110);
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "interval-spin");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget), 15);
  /* A new server may need a new password. */
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "password-button");
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), ==,
                   "app." PB_ACTION_ENTER_PASSWORD);
  g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (
    GTK_ACTIONABLE (widget)), NULL), ==, "work");

  /* How its news are told: no sound, then no notification for new mail
   * (the sound goes with it), problems still told. */
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "sound-check");
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (widget)));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (widget), FALSE);
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "notify-new-check");
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (widget)));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (widget), FALSE);
  g_assert_false (gtk_widget_get_sensitive (
    pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "sound-check")));
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "notify-problems-check");
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (widget)));

  /* Webmail: only an https:// address, said so before anything is saved. */
  widget = pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "webmail-entry");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (widget)), ==, "");
  gtk_editable_set_text (GTK_EDITABLE (widget), "http://mail.example.net/");
  activate (pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "save-button"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (editor)));
  gtk_editable_set_text (GTK_EDITABLE (widget), "https://mail.example.net/");

  g_object_add_weak_pointer (G_OBJECT (editor), (gpointer *) &editor);
  activate (pb_test_gtk_find_widget (GTK_WIDGET (editor), has_name, "save-button"));
  g_assert_null (editor);

  {
    g_autoptr(PbAccountStore) saved = saved_accounts ();
    PbAccount *account = pb_account_store_lookup (saved, "work");

    g_assert_cmpstr (pb_account_get_display_name (account), ==, "Office");
    g_assert_cmpstr (pb_account_get_host (account), ==, "mail.example.net");
    g_assert_cmpint (pb_account_get_security (account), ==, PB_SECURITY_STARTTLS);
    g_assert_cmpuint (pb_account_get_port (account), ==, 110);
    g_assert_cmpuint (pb_account_get_interval (account), ==, 15);
    g_assert_cmpstr (pb_account_get_user (account), ==, "alice@example.org");
    g_assert_false (pb_account_get_notify_new_mail (account));
    g_assert_cmpstr (pb_account_get_sound (account), ==, PB_ACCOUNT_SOUND_NONE);
    g_assert_true (pb_account_get_notify_problems (account));
    g_assert_cmpstr (pb_account_get_webmail (account), ==, "https://mail.example.net/");
    g_assert_true (pb_account_get_enabled (account));
  }
  /* The monitor took it over, and the list shows it. */
  g_assert_cmpstr (pb_account_get_host (pb_monitor_lookup_account (fixture->monitor, "work")),
                   ==, "mail.example.net");
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "Office"));
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window),
                                 "alice@example.org at mail.example.net:110 · every 15 minutes"));
}

static void
store_password (PbAccount *account)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_secret_store_sync (account, "hunter2", NULL, &error));
  g_assert_no_error (error);
}

static guint
n_keyring_items (PbTestKeyring *keyring,
                 const char    *account_id)
{
  GList *items = pb_test_keyring_find_items (keyring, account_id);
  guint n = g_list_length (items);

  g_list_free_full (items, g_object_unref);
  return n;
}

static void
wait_keyring_items (PbTestKeyring *keyring,
                    const char    *account_id,
                    guint          n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (n_keyring_items (keyring, account_id) != n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      pb_test_gtk_settle (50);
    }
}

/* Removes the account shown as @title through its button and the confirmation. */
static void
remove_through_dialog (Fixture    *fixture,
                       const char *title,
                       const char *answer)
{
  GtkWindow *dialog;

  activate (in_row (fixture, title, "remove-button"));
  dialog = window_over (fixture);
  g_assert_nonnull (dialog);
  pb_test_gtk_wait_mapped (GTK_WIDGET (dialog));
  g_assert_true (gtk_window_get_modal (dialog));
  {
    g_autofree char *question = g_strdup_printf ("Remove the account “%s”?", title);
    g_assert_nonnull (shown_label (GTK_WIDGET (dialog), question));
  }
  /* Removing is the choice that has to be made; Enter cancels. */
  g_assert_true (pb_test_gtk_button_has_label (gtk_window_get_default_widget (dialog), "_Cancel"));
  g_assert_true (gtk_widget_has_css_class (pb_test_gtk_find_widget (GTK_WIDGET (dialog), pb_test_gtk_button_has_label,
                                                        "_Remove"), "destructive-action"));
  activate (pb_test_gtk_find_widget (GTK_WIDGET (dialog), pb_test_gtk_button_has_label, answer));
  pb_test_gtk_settle (100);
}

static void
test_remove_cleans_up_everything (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(PbTestKeyring) keyring = NULL;
  g_autoptr(PbAccount) work = account_new ("work", "Work", "localhost", 1995);
  g_autoptr(PbAccount) home = account_new ("home", "Home", "localhost", 1995);
  g_autoptr(PbAccount) club = account_new ("club", "Club", "pop.example.org", 995);
  PbAccount *accounts[] = { work, home, club, NULL };
  g_autoptr(GTlsCertificate) server = NULL;
  g_autofree char *work_state = NULL;
  g_autofree char *home_state = NULL;
  g_autofree char *club_state = NULL;

  if (!need_display ())
    return;

  keyring = pb_test_keyring_new ();
  write_accounts (accounts);
  for (guint i = 0; accounts[i] != NULL; i++)
    store_password (accounts[i]);
  write_pin ("localhost", 1995, "server.pem");
  write_pin ("pop.example.org", 995, "server2.pem");
  work_state = write_state ("work");
  home_state = write_state ("home");
  club_state = write_state ("club");
  start (fixture);
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "pop.example.org:995"));

  /* Cancel keeps everything. */
  remove_through_dialog (fixture, "Club", "_Cancel");
  {
    g_autoptr(PbAccountStore) saved = saved_accounts ();
    g_assert_nonnull (pb_account_store_lookup (saved, "club"));
  }
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "Club"));
  g_assert_cmpuint (n_keyring_items (keyring, "club"), ==, 1);

  /* The only account of its server: its pin goes too. */
  remove_through_dialog (fixture, "Club", "_Remove");
  {
    g_autoptr(PbAccountStore) saved = saved_accounts ();
    g_autoptr(PbTrustStore) pins = saved_pins ();

    g_assert_null (pb_account_store_lookup (saved, "club"));
    g_assert_nonnull (pb_account_store_lookup (saved, "work"));
    g_assert_null (pb_trust_store_get_fingerprint (pins, "pop.example.org", 995));
    g_assert_nonnull (pb_trust_store_get_fingerprint (pins, "localhost", 1995));
  }
  g_assert_false (g_file_test (club_state, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (work_state, G_FILE_TEST_EXISTS));
  wait_keyring_items (keyring, "club", 0);
  g_assert_cmpuint (n_keyring_items (keyring, "work"), ==, 1);
  g_assert_null (pb_monitor_lookup_account (fixture->monitor, "club"));
  g_assert_null (shown_label (GTK_WIDGET (fixture->window), "Club"));
  g_assert_null (shown_label (GTK_WIDGET (fixture->window), "pop.example.org:995"));

  /* Another account still uses this server: its pin stays. */
  remove_through_dialog (fixture, "Work", "_Remove");
  {
    g_autoptr(PbAccountStore) saved = saved_accounts ();
    g_autoptr(PbTrustStore) pins = saved_pins ();

    server = pb_test_load_certificate ("server.pem");
    g_assert_null (pb_account_store_lookup (saved, "work"));
    g_assert_true (pb_trust_store_is_pinned (pins, "localhost", 1995, server));
  }
  g_assert_false (g_file_test (work_state, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (home_state, G_FILE_TEST_EXISTS));
  wait_keyring_items (keyring, "work", 0);
  g_assert_cmpuint (n_keyring_items (keyring, "home"), ==, 1);
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "localhost:1995"));

  /* The last one of the server takes the pin with it. */
  remove_through_dialog (fixture, "Home", "_Remove");
  {
    g_autoptr(PbTrustStore) pins = saved_pins ();
    g_auto(GStrv) keys = pb_trust_store_list_keys (pins);

    g_assert_null (keys[0]);
  }
  wait_keyring_items (keyring, "home", 0);
  g_assert_false (g_file_test (home_state, G_FILE_TEST_EXISTS));
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "No trusted certificates"));
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window),
                                 "No accounts yet. Add one to start watching a mailbox."));

  /* Windows first: then the keyring's bus can go. */
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->monitor);
}

static void
test_trusted_certificates (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GTlsCertificate) server2 = pb_test_load_certificate ("server2.pem");
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *fingerprint = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *today = NULL;
  GtkWidget *label;

  if (!need_display ())
    return;

  start (fixture);
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "No trusted certificates"));
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->monitor);

  write_pin ("localhost", 1995, "server.pem");
  write_pin ("pop.example.org", 995, "server2.pem");
  start (fixture);

  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "localhost:1995"));
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "pop.example.org:995"));
  {
    g_autofree char *hex = pb_certificate_get_sha256 (server2);
    fingerprint = pb_fingerprint_format (hex);
  }
  today = g_date_time_format (now, "%-d %B %Y");
  subtitle = g_strdup_printf ("Trusted on %s · SHA-256 %.11s…", today, fingerprint);
  label = shown_label (GTK_WIDGET (fixture->window), subtitle);
  g_assert_nonnull (label);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (label), ==, fingerprint);

  activate (in_row (fixture, "pop.example.org:995", "remove-button"));
  {
    g_autoptr(PbTrustStore) pins = saved_pins ();
    g_auto(GStrv) keys = pb_trust_store_list_keys (pins);

    g_assert_cmpuint (g_strv_length (keys), ==, 1);
    g_assert_cmpstr (keys[0], ==, "localhost:1995");
  }
  g_assert_null (pb_trust_store_get_fingerprint (pb_monitor_get_trust_store (fixture->monitor),
                                                 "pop.example.org", 995));
  g_assert_null (shown_label (GTK_WIDGET (fixture->window), "pop.example.org:995"));
  g_assert_nonnull (shown_label (GTK_WIDGET (fixture->window), "localhost:1995"));
}

/* Every control can be reached by keyboard and has a name for screen readers:
 * a label (with a mnemonic) or a tooltip (icon buttons set their accessible
 * label too). */
static gboolean
is_labelled_by_mnemonic (GtkWidget *root,
                         GtkWidget *widget)
{
  if (GTK_IS_LABEL (root) && gtk_label_get_mnemonic_widget (GTK_LABEL (root)) == widget)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (is_labelled_by_mnemonic (child, widget))
      return TRUE;
  return FALSE;
}

static GtkWidget *unnamed_root;

static gboolean
is_unnamed_control (GtkWidget  *widget,
                    const char *unused)
{
  if (!gtk_widget_get_mapped (widget) ||
      gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW_CONTROLS) != NULL)
    return FALSE;
  if (GTK_IS_BUTTON (widget) || GTK_IS_CHECK_BUTTON (widget))
    return !gtk_widget_get_focusable (widget) ||
           ((!GTK_IS_BUTTON (widget) || gtk_button_get_label (GTK_BUTTON (widget)) == NULL) &&
            (!GTK_IS_CHECK_BUTTON (widget) ||
             gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)) == NULL) &&
            gtk_widget_get_tooltip_text (widget) == NULL);
  if (GTK_IS_SWITCH (widget))
    return !gtk_widget_get_focusable (widget) ||
           (gtk_widget_get_tooltip_text (widget) == NULL &&
            !is_labelled_by_mnemonic (unnamed_root, widget));
  return FALSE;
}

static void
test_controls_are_named_and_focusable (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autoptr(PbAccount) work = account_new ("work", "Work", "pop.example.org", 995);
  PbAccount *accounts[] = { work, NULL };

  if (!need_display ())
    return;

  write_accounts (accounts);
  write_pin ("localhost", 1995, "server.pem");
  start (fixture);
  unnamed_root = GTK_WIDGET (fixture->window);
  g_assert_null (pb_test_gtk_find_widget (GTK_WIDGET (fixture->window), is_unnamed_control, NULL));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (in_row (fixture, "Work", "edit-button")), ==,
                   "Edit");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (in_row (fixture, "localhost:1995",
                                                        "remove-button")), ==, "Remove");
}

/* ---- Screenshots ------------------------------------------------------------------ */

static void
take_screenshot (Fixture    *fixture,
                 const char *name)
{
  g_autoptr(PbAccount) work = account_new ("work", "Work", "pop.example.org", 995);
  g_autoptr(PbAccount) home = account_new ("home", "Home", "mail.example.net", 995);
  PbAccount *accounts[] = { work, home, NULL };
  g_autoptr(GSimpleAction) action = g_simple_action_new (PB_ACTION_ADD_ACCOUNT, NULL);

  /* As in the application, where "Add Account…" can be used. */
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (action));
  pb_account_set_user (home, "alice");
  pb_account_set_enabled (home, FALSE);
  pb_account_set_interval (work, 10);
  write_accounts (accounts);
  write_pin ("mail.example.net", 995, "self-signed.pem");
  start (fixture);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 640, 930);
  pb_test_gtk_settle (400);
  pb_test_gtk_save_screenshot (GTK_WIDGET (fixture->window), name);
  g_action_map_remove_action (G_ACTION_MAP (app), PB_ACTION_ADD_ACCOUNT);
}

static void
test_screenshot (Fixture       *fixture,
                 gconstpointer  data)
{
  if (!need_display ())
    return;
  take_screenshot (fixture, "preferences.png");
}

/* The same in Japanese: in a child process, whose GTK starts in that locale. */
static void
test_screenshot_japanese (Fixture       *fixture,
                          gconstpointer  data)
{
  if (!need_display ())
    return;
  if (pb_test_gtk_in_japanese ())
    {
      g_assert_cmpstr (_("Trusted Certificates"), !=, "Trusted Certificates");
      take_screenshot (fixture, "preferences-ja.png");
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);

  xvfb = pb_test_xvfb_new ();
  if (xvfb != NULL)
    {
      /* No session bus yet (the keyring test brings its own): the
       * application stays in this process. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/popbell-test-bus", TRUE);
      app = gtk_application_new ("io.github.popbell.Popbell.PreferencesTest",
                                 G_APPLICATION_NON_UNIQUE);
      g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
      g_assert_no_error (error);
    }

#define ADD(path, func) \
  g_test_add ("/pb/preferences/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("create-destroy", test_create_destroy);
  ADD ("switches-change-settings", test_switches_change_settings);
  ADD ("mail-client-command", test_mail_client_command);
  ADD ("lists-accounts", test_lists_accounts);
  ADD ("disable-and-enable", test_disable_and_enable);
  ADD ("edit-saves", test_edit_saves);
  ADD ("oauth2-account-says-how-it-signs-in", test_oauth2_account);
  ADD ("remove-cleans-up-everything", test_remove_cleans_up_everything);
  ADD ("trusted-certificates", test_trusted_certificates);
  ADD ("controls-are-named-and-focusable", test_controls_are_named_and_focusable);
  ADD ("screenshot", test_screenshot);
  ADD ("screenshot/japanese", test_screenshot_japanese);
#undef ADD

  status = g_test_run ();

  g_clear_object (&app);
  g_clear_pointer (&xvfb, pb_test_xvfb_free);
  return status;
}
