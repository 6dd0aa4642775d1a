/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a screen reader sees: the windows of this process under Xvfb, read
 * through AT-SPI from another process (tests/atspi-tree.py, pyatspi) with
 * at-spi-bus-launcher on the test's private session bus. Every control of
 * the wizard, the trust dialog, the preferences, the password dialog and the
 * mail window has a role and a name of its own; the fingerprint and the
 * certificate's problems are text; the wizard, its inline trust dialog
 * included, is set up with the keyboard alone (xdotool), with the focus
 * moving in a sensible order and shown. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pb-account-wizard.h"
#include "pb-dovecot.h"
#include "pb-mail-window.h"
#include "pb-password-dialog.h"
#include "pb-preferences-window.h"
#include "pb-settings.h"
#include "pb-test-gtk.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"
#include "pb-test-xvfb.h"
#include "pb-tls-trust.h"
#include "pb-trust-dialog.h"

#define PASSWORD "s3cret-canary-Passw0rd"
#define WAIT_SECONDS 30

static PbTestXvfb *xvfb;
static PbTestKeyring *keyring;
static GSubprocess *bus_launcher;
static PbDovecot *dovecot;

/* ---- The AT-SPI side ---------------------------------------------------------- */

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
name_has_owner (const char *name)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  g_assert_nonnull (bus);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* at-spi-bus-launcher on the private session bus: it owns org.a11y.Bus, where
 * GTK and pyatspi ask for the accessibility bus, which it starts (with the
 * registry, activated there). */
static void
start_accessibility_bus (void)
{
  const char *argv[] = { "/usr/libexec/at-spi-bus-launcher", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (!g_file_test (argv[0], G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s is missing (build-aux/packages.txt lists at-spi2-core)", argv[0]);
  /* Silent: the registry it starts says hello on its standard output, which
   * is this test's TAP stream. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  bus_launcher = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  while (!name_has_owner ("org.a11y.Bus"))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("at-spi-bus-launcher did not take org.a11y.Bus within 10 s");
      g_usleep (20 * 1000);
    }
}

typedef struct
{
  gboolean  done;
  int       status;
  char     *out;
  char     *err;
} Reading;

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reading *reading = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &reading->out,
                                        &reading->err, &error);
  g_assert_no_error (error);
  reading->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  reading->done = TRUE;
}

/* The AT-SPI tree of this process's window @title as another process reads
 * it. This process keeps running its main loop meanwhile: it is the one
 * answering. Retried while the window is not announced yet. */
static JsonObject *
read_window (const char *title)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "atspi-tree.py", NULL);
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      const char *argv[] = { "/usr/bin/python3", script, g_get_prgname (), title, NULL };
      g_autoptr(GSubprocessLauncher) launcher = NULL;
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GError) error = NULL;
      Reading reading = { 0 };

      launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                            G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
      g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
      process = g_subprocess_launcher_spawnv (launcher, argv, &error);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8_async (process, NULL, NULL, on_read, &reading);
      while (!reading.done)
        g_main_context_iteration (NULL, TRUE);

      if (reading.status == 0)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonObject *window;

          json_parser_load_from_data (parser, reading.out, -1, &error);
          g_assert_no_error (error);
          window = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)),
                                                  0);
          json_object_ref (window);
          g_free (reading.out);
          g_free (reading.err);
          return window;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("atspi-tree.py found no window “%s”: %s", title, reading.err);
      g_free (reading.out);
      g_free (reading.err);
      pb_test_gtk_settle (200);
    }
}

static const char *
node_role (JsonObject *node)
{
  return json_object_get_string_member (node, "role");
}

static const char *
node_name (JsonObject *node)
{
  return json_object_get_string_member (node, "name");
}

static JsonArray *
node_children (JsonObject *node)
{
  return json_object_get_array_member (node, "children");
}

static gboolean
node_has_state (JsonObject *node,
                const char *state)
{
  JsonArray *states = json_object_get_array_member (node, "states");

  for (guint i = 0; i < json_array_get_length (states); i++)
    if (g_str_equal (json_array_get_string_element (states, i), state))
      return TRUE;
  return FALSE;
}

/* The first node under @node (depth first, @node included) with @role and,
 * unless NULL, @name. */
static JsonObject *
find_node (JsonObject *node,
           const char *role,
           const char *name)
{
  JsonArray *children = node_children (node);

  if (g_str_equal (node_role (node), role) && (name == NULL || g_str_equal (node_name (node), name)))
    return node;
  for (guint i = 0; i < json_array_get_length (children); i++)
    {
      JsonObject *found = find_node (json_array_get_object_element (children, i), role, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static JsonObject *
expect_node (JsonObject *root,
             const char *role,
             const char *name)
{
  JsonObject *found = find_node (root, role, name);

  if (found == NULL)
    g_error ("No %s “%s” in the accessibility tree of “%s”", role, name, node_name (root));
  return found;
}

/* A label named @name whose text contains @text: a value beside its key. */
static gboolean
has_value (JsonObject *node,
           const char *name,
           const char *text)
{
  JsonArray *children = node_children (node);

  if (g_str_equal (node_role (node), "label") && g_str_equal (node_name (node), name) &&
      json_object_has_member (node, "text") &&
      strstr (json_object_get_string_member (node, "text"), text) != NULL)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (children); i++)
    if (has_value (json_array_get_object_element (children, i), name, text))
      return TRUE;
  return FALSE;
}

static void
expect_value (JsonObject *root,
              const char *name,
              const char *text)
{
  if (!has_value (root, name, text))
    g_error ("No value “%s” named “%s” in the accessibility tree", text, name);
}

/* Whether some text (of a label, say) under @node contains @needle. */
static gboolean
tree_has_text (JsonObject *node,
               const char *needle)
{
  JsonArray *children = node_children (node);

  if (json_object_has_member (node, "text") &&
      strstr (json_object_get_string_member (node, "text"), needle) != NULL)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (children); i++)
    if (tree_has_text (json_array_get_object_element (children, i), needle))
      return TRUE;
  return FALSE;
}

/* The first node under @node whose text is the fingerprint @fingerprint
 * ("AB:CD:…"), which the dialog breaks into lines. */
static JsonObject *
find_fingerprint (JsonObject *node,
                  const char *fingerprint)
{
  JsonArray *children = node_children (node);

  if (json_object_has_member (node, "text"))
    {
      g_autofree char *text = g_strdup (json_object_get_string_member (node, "text"));

      g_strdelimit (text, "\n", ':');
      if (g_str_equal (text, fingerprint))
        return node;
    }
  for (guint i = 0; i < json_array_get_length (children); i++)
    {
      JsonObject *found = find_fingerprint (json_array_get_object_element (children, i),
                                            fingerprint);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Roles a user operates; each needs a name of its own. Not scroll bars:
 * GtkScrolledWindow's own, which GTK 4.8 names by their type, are read by
 * their orientation and position. */
static gboolean
is_control (const char *role)
{
  static const char *const controls[] = {
    "push button", "toggle button", "check box", "radio button", "text", "password text",
    "entry", "combo box", "spin button", "slider", "link", "menu item", "switch",
    "page tab", NULL,
  };

  return g_strv_contains (controls, role);
}

/* A name that is GTK's fallback (the widget's type name) or still carries a
 * mnemonic's underline says nothing to the user. */
static gboolean
is_real_name (const char *name)
{
  return *name != '\0' && !g_str_has_prefix (name, "Gtk") && strchr (name, '_') == NULL;
}

static void
print_node (GString    *out,
            JsonObject *node,
            guint       depth)
{
  JsonArray *children = node_children (node);

  g_string_append_printf (out, "%*s%s “%s”", depth * 2, "", node_role (node), node_name (node));
  if (json_object_has_member (node, "text") && !g_str_equal (node_role (node), "text") &&
      !g_str_equal (node_role (node), "password text") &&
      !g_str_equal (json_object_get_string_member (node, "text"), node_name (node)))
    g_string_append_printf (out, " text “%s”", json_object_get_string_member (node, "text"));
  if (node_has_state (node, "focusable"))
    g_string_append (out, " [focusable]");
  if (node_has_state (node, "focused"))
    g_string_append (out, " [focused]");
  if (node_has_state (node, "expandable"))
    g_string_append (out, node_has_state (node, "expanded") ? " [expanded]" : " [collapsed]");
  if (node_has_state (node, "checked") || node_has_state (node, "pressed"))
    g_string_append (out, " [checked]");
  g_string_append_c (out, '\n');
  for (guint i = 0; i < json_array_get_length (children); i++)
    print_node (out, json_array_get_object_element (children, i), depth + 1);
}

static char *
format_tree (JsonObject *node)
{
  GString *out = g_string_new (NULL);

  print_node (out, node, 0);
  return g_string_free (out, FALSE);
}

/* Every control under @node has a role and a real name; lists the nameless. */
static void
collect_nameless (JsonObject *node,
                  GString    *nameless)
{
  JsonArray *children = node_children (node);

  if (is_control (node_role (node)) && !is_real_name (node_name (node)))
    g_string_append_printf (nameless, "  %s “%s”\n", node_role (node), node_name (node));
  for (guint i = 0; i < json_array_get_length (children); i++)
    {
      JsonObject *child = json_array_get_object_element (children, i);

      /* A password entry's peek icon is clicked: it needs a name too. */
      if (g_str_equal (node_role (node), "password text") &&
          g_str_equal (node_role (child), "image") && !is_real_name (node_name (child)))
        g_string_append_printf (nameless, "  image “%s” in password text “%s”\n",
                                node_name (child), node_name (node));
      collect_nameless (child, nameless);
    }
}

static void
assert_every_control_named (JsonObject *window)
{
  g_autoptr(GString) nameless = g_string_new (NULL);

  collect_nameless (window, nameless);
  if (nameless->len > 0)
    {
      g_autofree char *tree = format_tree (window);

      g_test_message ("%s", tree);
      g_test_message ("Controls without a name of their own in “%s”:\n%s", node_name (window),
                      nameless->str);
      g_test_fail_printf ("Controls without a name of their own in “%s”:\n%s",
                          node_name (window), nameless->str);
    }
}

/* ---- Windows ------------------------------------------------------------------ */

static PbMonitor *
new_monitor (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("monitor");
  g_autofree char *accounts_path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autofree char *state_dir = g_build_filename (dir, "state", NULL);
  g_autoptr(PbAccountStore) store = pb_account_store_new (accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbScheduler) scheduler = pb_scheduler_new (NULL, NULL, FALSE);

  return pb_monitor_new (store, pins, scheduler, state_dir);
}

/* A monitor with the account "home" (never checked here). */
static PbMonitor *
new_monitor_with_account (void)
{
  g_autoptr(PbAccount) account = pb_account_new ("home");
  g_autoptr(GError) error = NULL;
  PbMonitor *monitor = new_monitor ();

  pb_account_set_display_name (account, "Home");
  pb_account_set_host (account, "pop.example.com");
  pb_account_set_port (account, 995);
  pb_account_set_user (account, "hanako");
  pb_account_store_add (pb_monitor_get_account_store (monitor), account, &error);
  g_assert_no_error (error);
  return monitor;
}

static void
show (GtkWindow *window)
{
  gtk_window_present (window);
  pb_test_gtk_wait_mapped (GTK_WIDGET (window));
}

static void
close_window (GtkWindow *window)
{
  g_object_ref (window);
  gtk_window_destroy (window);
  pb_test_gtk_settle (50);
  g_assert_finalize_object (window);
}

static void
test_wizard_first_page (void)
{
  PbMonitor *monitor = new_monitor ();
  GtkWindow *wizard = GTK_WINDOW (pb_account_wizard_new (NULL, monitor));
  g_autoptr(JsonObject) tree = NULL;
  g_autofree char *printed = NULL;
  JsonObject *page;

  show (wizard);
  tree = read_window ("Add Mail Account");
  g_assert_cmpstr (node_role (tree), ==, "frame");
  assert_every_control_named (tree);

  /* The first page, as a screen reader has it (and as the README shows it). */
  page = expect_node (tree, "panel", "Add a Mail Account");
  printed = format_tree (page);
  g_test_message ("The wizard's first page:\n%s", printed);

  expect_node (page, "heading", "Add a Mail Account");
  g_assert_true (node_has_state (expect_node (page, "text", "Name"), "focused"));
  expect_node (page, "text", "E-mail address");
  expect_node (page, "password text", "Password");
  expect_node (page, "push button", "Set Up Manually…");
  expect_node (tree, "push button", "Cancel");
  expect_node (tree, "push button", "Continue");

  close_window (wizard);
  g_assert_finalize_object (monitor);
}

static gboolean
is_stack (GtkWidget  *widget,
          const char *text)
{
  return GTK_IS_STACK (widget);
}

static void
wait_until_gone (GtkWindow **window)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (*window != NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The window did not close");
      pb_test_gtk_settle (50);
    }
}

static gboolean
is_details_button (GtkWidget  *widget,
                   const char *text)
{
  return GTK_IS_TOGGLE_BUTTON (widget) && g_str_equal (gtk_widget_get_name (widget), "details-button");
}

static void
on_trust_decided (gboolean trusted,
                  gpointer user_data)
{
}

static void
test_trust_dialog (void)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
  g_autofree char *pins_path = g_build_filename (pb_test_get_tmpdir (), "pins.ini", NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autofree char *sha256 = pb_certificate_get_sha256 (certificate);
  g_autofree char *fingerprint = pb_fingerprint_format (sha256);
  g_autoptr(JsonObject) tree = NULL;
  g_autofree char *printed = NULL;
  JsonObject *value;
  GtkWindow *window;

  window = pb_trust_dialog_present (NULL, NULL, pins, "localhost", 995, certificate,
                                    G_TLS_CERTIFICATE_UNKNOWN_CA, on_trust_decided, NULL);
  pb_test_gtk_wait_mapped (GTK_WIDGET (window));
  tree = read_window ("Review Certificate");
  printed = format_tree (tree);
  g_test_message ("The trust dialog:\n%s", printed);
  assert_every_control_named (tree);

  expect_node (tree, "heading", "Can’t verify the identity of localhost");
  expect_node (tree, "push button", "Trust This Certificate");
  expect_node (tree, "push button", "Don’t Trust");
  g_assert_false (node_has_state (expect_node (tree, "push button", "Certificate Details"),
                                  "expanded"));
  /* The problem in plain words is text to read. */
  g_assert_true (tree_has_text (tree, "The certificate is self-signed: no authority your system "
                                      "trusts vouches for it."));

  /* Opened, the details: each value labelled by what it is, the
   * fingerprint as text (in lines of a few groups). */
  g_assert_true (gtk_widget_activate (pb_test_gtk_find_widget (GTK_WIDGET (window),
                                                               is_details_button, NULL)));
  /* A button answers an activation after showing it pressed for a moment. */
  pb_test_gtk_settle (400);
  g_clear_pointer (&tree, json_object_unref);
  tree = read_window ("Review Certificate");
  g_clear_pointer (&printed, g_free);
  printed = format_tree (tree);
  g_test_message ("Opened:\n%s", printed);
  g_assert_true (node_has_state (expect_node (tree, "push button", "Certificate Details"),
                                 "expanded"));
  value = find_fingerprint (tree, fingerprint);
  g_assert_nonnull (value);
  g_assert_cmpstr (node_name (value), ==, "SHA-256 fingerprint");

  close_window (window);
}

static void
test_preferences (void)
{
  g_autoptr(GSettings) settings = g_settings_new (PB_SETTINGS_SCHEMA);
  PbMonitor *monitor = new_monitor_with_account ();
  GtkWindow *window = GTK_WINDOW (pb_preferences_window_new (NULL, monitor, settings));
  g_autoptr(JsonObject) tree = NULL;
  g_autofree char *printed = NULL;

  show (window);
  tree = read_window ("Preferences");
  printed = format_tree (tree);
  g_test_message ("The preferences:\n%s", printed);
  assert_every_control_named (tree);
  expect_node (tree, "push button", "Add Account…");

  close_window (window);
  g_assert_finalize_object (monitor);
}

static void
test_password_dialog (void)
{
  PbMonitor *monitor = new_monitor_with_account ();
  GtkWindow *window = GTK_WINDOW (pb_password_dialog_new (NULL, monitor, "home"));
  g_autoptr(JsonObject) tree = NULL;
  g_autofree char *printed = NULL;

  show (window);
  tree = read_window ("Enter Password");
  printed = format_tree (tree);
  g_test_message ("The password dialog:\n%s", printed);
  assert_every_control_named (tree);
  expect_node (tree, "password text", NULL);

  close_window (window);
  g_assert_finalize_object (monitor);
}

static gboolean
wait_unacknowledged (PbMonitor *monitor,
                     guint      count)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (pb_monitor_count_unacknowledged (monitor, NULL) != count)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      pb_test_gtk_settle (50);
    }
  return TRUE;
}

/* With new mail from Dovecot: the account's section, its messages and its
 * buttons. */
static void
test_mail_window (void)
{
  static const char message[] = "From: Hanako Yamada <hanako@example.jp>\r\n"
                                "Subject: Lunch on Friday\r\n\r\nShall we?\r\n";
  g_autoptr(PbAccount) account = pb_account_new ("mail");
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  PbMonitor *monitor = new_monitor ();
  g_autoptr(JsonObject) tree = NULL;
  g_autofree char *printed = NULL;
  GtkWindow *window;

  pb_dovecot_add_user (dovecot, "reader", PASSWORD, &error);
  g_assert_no_error (error);
  pb_account_set_display_name (account, "Home");
  pb_account_set_host (account, "localhost");
  pb_account_set_port (account, pb_dovecot_get_pop3s_port (dovecot));
  pb_account_set_user (account, "reader");
  pb_account_set_ca_file (account, ca);
  pb_account_store_add (pb_monitor_get_account_store (monitor), account, &error);
  g_assert_no_error (error);
  pb_monitor_start (monitor);
  pb_monitor_set_session_password (monitor, "mail", PASSWORD);
  pb_monitor_check_now (monitor, NULL);
  /* The first check takes the (empty) mailbox as seen; then mail comes. */
  pb_test_gtk_settle (1500);
  pb_dovecot_deliver (dovecot, "reader", message, strlen (message), &error);
  g_assert_no_error (error);
  pb_monitor_check_now (monitor, NULL);
  if (!wait_unacknowledged (monitor, 1))
    {
      pb_monitor_check_now (monitor, NULL);
      g_assert_true (wait_unacknowledged (monitor, 1));
    }

  window = GTK_WINDOW (pb_mail_window_new (NULL, monitor));
  show (window);
  tree = read_window ("New Mail");
  printed = format_tree (tree);
  g_test_message ("The mail window:\n%s", printed);
  assert_every_control_named (tree);

  /* Icon-only buttons have names. */
  expect_node (tree, "push button", "Check Now");
  expect_node (tree, "push button", "Mark All as Read");
  expect_node (tree, "push button", "Mark as Read");
  expect_node (tree, "heading", "Home");
  g_assert_true (tree_has_text (tree, "Lunch on Friday"));
  g_assert_true (tree_has_text (tree, "Hanako Yamada"));

  close_window (window);
  g_assert_finalize_object (monitor);
}

/* The certificate changed: old and new fingerprints side by side, each
 * named by its title. */
static void
test_trust_dialog_changed (void)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(GTlsCertificate) pinned = pb_test_load_certificate ("server.pem");
  g_autofree char *pins_path = g_build_filename (pb_test_get_tmpdir (), "changed.ini", NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autofree char *sha256 = pb_certificate_get_sha256 (certificate);
  g_autofree char *pinned_sha256 = pb_certificate_get_sha256 (pinned);
  g_autofree char *fingerprint = pb_fingerprint_format (sha256);
  g_autofree char *pinned_fingerprint = pb_fingerprint_format (pinned_sha256);
  g_autoptr(JsonObject) tree = NULL;
  g_autofree char *printed = NULL;
  JsonObject *value;
  GtkWindow *window;

  pb_trust_store_add (pins, "localhost", 995, pinned);
  window = pb_trust_dialog_present (NULL, NULL, pins, "localhost", 995, certificate,
                                    G_TLS_CERTIFICATE_UNKNOWN_CA, on_trust_decided, NULL);
  pb_test_gtk_wait_mapped (GTK_WIDGET (window));
  tree = read_window ("Review Certificate");
  printed = format_tree (tree);
  g_test_message ("The trust dialog, certificate changed:\n%s", printed);
  assert_every_control_named (tree);

  value = find_fingerprint (tree, pinned_fingerprint);
  g_assert_nonnull (value);
  g_assert_cmpstr (node_name (value), ==, "Trusted before");
  /* The details have it too: the first one is beside its title. */
  value = find_fingerprint (tree, fingerprint);
  g_assert_nonnull (value);
  g_assert_cmpstr (node_name (value), ==, "Presented now");

  close_window (window);
}

/* ---- The keyboard alone ------------------------------------------------------- */

/* The window the keys go to, and whether it showed its focus right after the
 * last key (FALSE also when no key came since the page changed). GTK hides
 * the focus ring again 3 s after the last key press (VISIBLE_FOCUS_DURATION
 * in gtkwindow.c), which a slow check or build may well take: hence seen at
 * once, not when the tree has been read. */
static GtkWindow *keyboard_window;
static gboolean focus_shown_after_key;
static gboolean key_since_page;

static void
xdotool (const char *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  va_list args;

  g_ptr_array_add (argv, (char *) "xdotool");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  if (error != NULL && g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
    g_error ("xdotool is not installed (build-aux/packages.txt lists it)");
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("xdotool %s failed: %s", first, err);
  /* GTK handles the key (and draws) before the next one. */
  pb_test_gtk_settle (150);
  if (keyboard_window != NULL)
    {
      focus_shown_after_key = gtk_window_get_focus_visible (keyboard_window);
      key_since_page = TRUE;
    }
}

static void
press (const char *keys)
{
  xdotool ("key", "--clearmodifiers", keys, NULL);
}

static void
type (const char *text)
{
  xdotool ("type", "--delay", "15", text, NULL);
}

static JsonObject *
find_focused (JsonObject *node)
{
  JsonArray *children = node_children (node);

  if (node_has_state (node, "focused"))
    return node;
  for (guint i = 0; i < json_array_get_length (children); i++)
    {
      JsonObject *found = find_focused (json_array_get_object_element (children, i));

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* "role “name”" of what has the focus in @window, as AT-SPI tells it. */
static char *
focused (GtkWindow *window)
{
  g_autoptr(JsonObject) tree = read_window (gtk_window_get_title (window));
  JsonObject *node = find_focused (tree);

  if (node == NULL)
    return g_strdup ("nothing");
  return g_strdup_printf ("%s “%s”", node_role (node), node_name (node));
}

static void
assert_focus (GtkWindow  *window,
              const char *expected)
{
  g_autofree char *now = focused (window);

  g_test_message ("Focus: %s", now);
  g_assert_cmpstr (now, ==, expected);
  /* Shown: keyboard use turns the focus ring on. */
  if (key_since_page)
    g_assert_true (focus_shown_after_key);
}

static void
wait_for_page (GtkWindow  *wizard,
               const char *page)
{
  GtkStack *stack = GTK_STACK (pb_test_gtk_find_widget (GTK_WIDGET (wizard), is_stack, NULL));
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (g_strcmp0 (gtk_stack_get_visible_child_name (stack), page) != 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The wizard shows “%s”, not “%s”", gtk_stack_get_visible_child_name (stack),
                 page);
      pb_test_gtk_settle (50);
    }
  pb_test_gtk_settle (200);
  key_since_page = FALSE;
}

/* The whole wizard without a mouse: the first page, "Set Up Manually…", the
 * server's settings, the certificate that the system does not know (the
 * trust dialog in the wizard), and the last page. */
static void
test_wizard_by_keyboard (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("%u", pb_dovecot_get_pop3s_port (dovecot));
  g_autoptr(JsonObject) trust_page = NULL;
  g_autoptr(JsonObject) done_page = NULL;
  g_autofree char *printed = NULL;
  PbMonitor *monitor = new_monitor ();
  PbAccount *account;
  GtkWindow *wizard;
  GList *items;

  pb_dovecot_add_user (dovecot, "keys", PASSWORD, &error);
  g_assert_no_error (error);

  wizard = GTK_WINDOW (pb_account_wizard_new (NULL, monitor));
  g_object_add_weak_pointer (G_OBJECT (wizard), (gpointer *) &wizard);
  show (wizard);
  xdotool ("search", "--name", "^Add Mail Account$", "windowfocus", NULL);
  keyboard_window = wizard;

  /* The first page, in reading order. */
  type ("Keys");
  press ("Tab");
  assert_focus (wizard, "text “E-mail address”");
  type ("keys@example.com");
  press ("Tab");
  assert_focus (wizard, "password text “Password”");
  type (PASSWORD);
  press ("Tab");
  assert_focus (wizard, "push button “Set Up Manually…”");
  press ("Tab");
  assert_focus (wizard, "push button “Cancel”");
  press ("Tab");
  assert_focus (wizard, "push button “Continue”");
  press ("Tab");
  assert_focus (wizard, "text “Name”");
  press ("shift+Tab");
  assert_focus (wizard, "push button “Continue”");

  /* Set Up Manually… by its mnemonic. */
  press ("alt+m");
  wait_for_page (wizard, "manual");
  assert_focus (wizard, "text “Server”");
  type ("localhost");
  press ("Tab");
  assert_focus (wizard, "push button “Security”");
  press ("Tab");
  assert_focus (wizard, "spin button “Port”");
  press ("ctrl+a");
  type (port);
  press ("Tab");
  assert_focus (wizard, "text “User name”");
  press ("ctrl+a");
  type ("keys");
  press ("Tab");
  assert_focus (wizard, "password text “Password”");
  /* Enter: the default button, Continue. */
  press ("Return");

  /* The test CA is nobody's: the trust dialog comes up inside the wizard,
   * its safe choice focused. */
  wait_for_page (wizard, "trust");
  trust_page = read_window ("Add Mail Account");
  printed = format_tree (expect_node (trust_page, "panel", "Review Certificate"));
  g_test_message ("The wizard's trust page:\n%s", printed);
  assert_focus (wizard, "push button “Don’t Trust”");
  press ("Tab");
  assert_focus (wizard, "push button “Trust This Certificate”");
  press ("space");

  /* Checked again, now trusted: the last page, Done focused. */
  wait_for_page (wizard, "done");
  done_page = read_window ("Add Mail Account");
  g_clear_pointer (&printed, g_free);
  printed = format_tree (expect_node (done_page, "panel", "All Set"));
  g_test_message ("The wizard's last page:\n%s", printed);
  /* Each value of the summary named by what it is. */
  expect_value (done_page, "Server", "localhost");
  expect_value (done_page, "User name", "keys");
  assert_focus (wizard, "push button “Done”");
  /* Done closes the window. */
  keyboard_window = NULL;
  press ("Return");
  wait_until_gone (&wizard);

  /* Saved: the account, and its password in the keyring. */
  g_assert_cmpuint (pb_monitor_get_accounts (monitor)->len, ==, 1);
  account = g_ptr_array_index (pb_monitor_get_accounts (monitor), 0);
  g_assert_cmpstr (pb_account_get_host (account), ==, "localhost");
  g_assert_cmpstr (pb_account_get_user (account), ==, "keys");
  g_assert_cmpstr (pb_account_get_display_name (account), ==, "Keys");
  items = pb_test_keyring_find_items (keyring, pb_account_get_id (account));
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_list_free_full (items, g_object_unref);

  g_assert_finalize_object (monitor);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);

  xvfb = pb_test_xvfb_new ();
  if (xvfb == NULL)
    g_error ("Xvfb is not installed (build-aux/packages.txt lists xvfb)");
  /* The whole point here: GTK's AT-SPI backend (tests/meson.build turns
   * bridges off for every other test). */
  g_unsetenv ("NO_AT_BRIDGE");
  g_setenv ("GTK_A11Y", "atspi", TRUE);
  /* One private bus for the whole run, with a keyring for the wizard. It is
   * not taken down at the end: GTK keeps its connection until exit, and
   * GTestDBus's watcher stops the bus when this process is gone. */
  keyring = pb_test_keyring_new ();
  /* GTestDBus unset it when it brought the bus up. */
  g_setenv ("DISPLAY", pb_test_xvfb_get_display (xvfb), TRUE);
  start_accessibility_bus ();
  gtk_init ();

  dovecot = pb_dovecot_new (&error);
  g_assert_no_error (error);

  g_test_add_func ("/pb/accessibility/wizard/first-page", test_wizard_first_page);
  g_test_add_func ("/pb/accessibility/trust-dialog/problems-and-fingerprint-are-text",
                   test_trust_dialog);
  g_test_add_func ("/pb/accessibility/trust-dialog/changed-certificate-fingerprints-are-text",
                   test_trust_dialog_changed);
  g_test_add_func ("/pb/accessibility/wizard/keyboard-only-with-trust-dialog",
                   test_wizard_by_keyboard);
  g_test_add_func ("/pb/accessibility/preferences/every-control-named", test_preferences);
  g_test_add_func ("/pb/accessibility/password-dialog/every-control-named",
                   test_password_dialog);
  g_test_add_func ("/pb/accessibility/mail-window/every-control-named", test_mail_window);

  status = g_test_run ();

  g_clear_pointer (&dovecot, pb_dovecot_free);
  g_subprocess_send_signal (bus_launcher, SIGTERM);
  g_clear_object (&bus_launcher);
  g_clear_pointer (&xvfb, pb_test_xvfb_free);
  return status;
}
