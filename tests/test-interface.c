/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The interfaces other programs rely on, against the real popbell-applet
 * with a private Dovecot, a real keyring and a mock notification server:
 * io.github.popbell.Popbell1 driven with gdbus call. */
#include "config.h"

#include <string.h>

#include "pb-dovecot.h"
#include "pb-test-applet.h"
#include "pb-test-util.h"
#include "pb-test-xvfb.h"

#define OBJECT_PATH "/io/github/popbell/Popbell"
#define INTERFACE   "io.github.popbell.Popbell1"

static PbTestXvfb *xvfb;
static PbDovecot *dovecot;

static void
deliver (const char *user,
         const char *message)
{
  g_autoptr(GError) error = NULL;

  pb_dovecot_deliver (dovecot, user, message, strlen (message), &error);
  g_assert_no_error (error);
}

/* A running applet with one account "home" ("Home") on Dovecot user @user,
 * its mailbox taken as read by --add-account. */
static PbTestApplet *
start_with_account (const char *user)
{
  PbTestApplet *e2e = pb_test_applet_new (pb_test_xvfb_get_display (xvfb));
  g_autoptr(GError) error = NULL;
  g_autofree char *user_arg = g_strdup_printf ("--user=%s", user);
  g_autofree char *port = g_strdup_printf ("--port=%u", pb_dovecot_get_pop3s_port (dovecot));
  g_autofree char *ca = g_strdup_printf ("--ca-file=%s/ca.crt", g_getenv ("PB_TEST_CERTS"));

  pb_dovecot_add_user (dovecot, user, PB_TEST_APPLET_PASSWORD, &error);
  g_assert_no_error (error);
  deliver (user, "Subject: Old mail\r\n\r\nold\r\n");
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, PB_TEST_APPLET_PASSWORD "\n", NULL,
                                               "--add-account=home", "--host=localhost",
                                               user_arg, port, ca, "--name=Home", NULL), ==, 0);
  pb_test_applet_start (e2e);
  return e2e;
}

/* gdbus call … --method io.github.popbell.Popbell1.@method [@argument]:
 * its reply parsed, or NULL when gdbus failed (its stderr in *@err). */
static GVariant *
gdbus_call (const char  *method,
            const char  *argument,
            char       **err)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err_text = NULL;
  g_autofree char *full_method = g_strconcat (INTERFACE ".", method, NULL);
  const char *argv[] = { "gdbus", "call", "--session", "--dest", APP_ID,
                         "--object-path", OBJECT_PATH, "--method", full_method,
                         argument, NULL };
  GVariant *reply;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err_text, &error);
  g_assert_no_error (error);
  g_test_message ("gdbus call %s %s → %s%s", method, argument ? argument : "", out, err_text);
  if (err != NULL)
    *err = g_strdup (err_text);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    return NULL;

  reply = g_variant_parse (NULL, out, NULL, NULL, &error);
  g_assert_no_error (error);
  return g_variant_ref_sink (reply);
}

static GVariant *
gdbus_call_ok (const char *method,
               const char *argument)
{
  GVariant *reply = gdbus_call (method, argument, NULL);

  g_assert_nonnull (reply);
  return reply;
}

static guint
get_unread_count (void)
{
  g_autoptr(GVariant) reply = gdbus_call_ok ("GetUnreadCount", NULL);
  guint count;

  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(u)");
  g_variant_get (reply, "(u)", &count);
  return count;
}

/* The dictionaries of a (aa{sv}) reply. */
static GVariant *
get_list (const char *method)
{
  g_autoptr(GVariant) reply = gdbus_call_ok (method, NULL);

  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(aa{sv})");
  return g_variant_get_child_value (reply, 0);
}

static gboolean
home_is_checked (gpointer data)
{
  g_autoptr(GVariant) accounts = get_list ("GetAccounts");
  g_autoptr(GVariant) home = NULL;
  const char *state = NULL;
  gint64 last_check = 0;

  g_assert_cmpuint (g_variant_n_children (accounts), ==, 1);
  home = g_variant_get_child_value (accounts, 0);
  g_assert_true (g_variant_lookup (home, "state", "&s", &state));
  g_assert_true (g_variant_lookup (home, "last-check", "x", &last_check));
  return g_str_equal (state, "ok") && last_check > 0;
}

typedef struct
{
  GArray *values;     /* guint: every Changed's unread count, in order */
} ChangedLog;

static void
on_changed (GDBusConnection *connection,
            const char      *sender,
            const char      *path,
            const char      *interface,
            const char      *signal,
            GVariant        *parameters,
            gpointer         user_data)
{
  ChangedLog *log = user_data;
  guint unread;

  g_assert_cmpstr (g_variant_get_type_string (parameters), ==, "(u)");
  g_variant_get (parameters, "(u)", &unread);
  g_array_append_val (log->values, unread);
}

typedef struct
{
  ChangedLog *log;
  guint       unread;
} ChangedWait;

static gboolean
changed_to (gpointer data)
{
  ChangedWait *wait = data;
  GArray *values = wait->log->values;

  return values->len > 0 && g_array_index (values, guint, values->len - 1) == wait->unread;
}

static void
test_methods_and_changed (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  g_autoptr(GVariant) accounts = NULL;
  g_autoptr(GVariant) home = NULL;
  g_autoptr(GVariant) messages = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *err = NULL;
  ChangedLog log = { g_array_new (FALSE, FALSE, sizeof (guint)) };
  ChangedWait one = { &log, 1 };
  ChangedWait none = { &log, 0 };
  const char *text = NULL;
  guint unread = 99;
  gint64 unix_date = 0;
  guint subscription;

  e2e = start_with_account ("interface");
  subscription = g_dbus_connection_signal_subscribe (e2e->connection, APP_ID, INTERFACE,
                                                     "Changed", OBJECT_PATH, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_changed, &log,
                                                     NULL);

  /* The account as the monitor has it, once its first check is done. */
  pb_test_applet_wait_until (e2e, home_is_checked, NULL, "home has been checked");
  accounts = get_list ("GetAccounts");
  home = g_variant_get_child_value (accounts, 0);
  g_assert_true (g_variant_lookup (home, "id", "&s", &text));
  g_assert_cmpstr (text, ==, "home");
  g_assert_true (g_variant_lookup (home, "name", "&s", &text));
  g_assert_cmpstr (text, ==, "Home");
  g_assert_true (g_variant_lookup (home, "unread", "u", &unread));
  g_assert_cmpuint (unread, ==, 0);
  g_assert_cmpuint (get_unread_count (), ==, 0);
  g_clear_pointer (&messages, g_variant_unref);
  messages = get_list ("GetMessages");
  g_assert_cmpuint (g_variant_n_children (messages), ==, 0);

  /* New mail, checked at once through the interface: Changed tells the count. */
  deliver ("interface", "From: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>\r\n"
                        "Subject: =?UTF-8?B?5Lya6K2w44Gu5Lu2?=\r\n"
                        "Date: Fri, 27 Nov 2026 09:00:00 +0100\r\n"
                        "\r\n"
                        "Hello\r\n");
  g_clear_pointer (&reply, g_variant_unref);
  reply = gdbus_call_ok ("CheckNow", "home");
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "()");
  pb_test_applet_wait_until (e2e, changed_to, &one, "Changed (1)");
  g_assert_cmpuint (get_unread_count (), ==, 1);

  g_clear_pointer (&messages, g_variant_unref);
  messages = get_list ("GetMessages");
  g_assert_cmpuint (g_variant_n_children (messages), ==, 1);
  message = g_variant_get_child_value (messages, 0);
  g_assert_true (g_variant_lookup (message, "account", "&s", &text));
  g_assert_cmpstr (text, ==, "home");
  g_assert_true (g_variant_lookup (message, "uidl", "&s", &text));
  g_assert_cmpuint (strlen (text), ==, 16);
  g_assert_true (g_variant_lookup (message, "from", "&s", &text));
  g_assert_cmpstr (text, ==, "山田 太郎 <taro@example.jp>");
  g_assert_true (g_variant_lookup (message, "subject", "&s", &text));
  g_assert_cmpstr (text, ==, "会議の件");
  g_assert_true (g_variant_lookup (message, "date", "x", &unix_date));
  date = g_date_time_new_utc (2026, 11, 27, 8, 0, 0);
  g_assert_cmpint (unix_date, ==, g_date_time_to_unix (date));

  g_clear_pointer (&accounts, g_variant_unref);
  g_clear_pointer (&home, g_variant_unref);
  accounts = get_list ("GetAccounts");
  home = g_variant_get_child_value (accounts, 0);
  g_assert_true (g_variant_lookup (home, "unread", "u", &unread));
  g_assert_cmpuint (unread, ==, 1);

  /* An account that does not exist is the caller's mistake. */
  g_assert_null (gdbus_call ("CheckNow", "nobody", &err));
  g_assert_nonnull (strstr (err, "org.freedesktop.DBus.Error.InvalidArgs"));
  g_clear_pointer (&err, g_free);
  g_assert_null (gdbus_call ("MarkAsRead", "nobody", &err));
  g_assert_nonnull (strstr (err, "org.freedesktop.DBus.Error.InvalidArgs"));
  g_assert_cmpuint (get_unread_count (), ==, 1);

  /* "" is every account. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = gdbus_call_ok ("MarkAsRead", "");
  pb_test_applet_wait_until (e2e, changed_to, &none, "Changed (0)");
  g_assert_cmpuint (get_unread_count (), ==, 0);
  g_clear_pointer (&messages, g_variant_unref);
  messages = get_list ("GetMessages");
  g_assert_cmpuint (g_variant_n_children (messages), ==, 0);

  /* Check Now of every account: nothing new, the count stays. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = gdbus_call_ok ("CheckNow", "");
  pb_test_applet_wait_until (e2e, home_is_checked, NULL, "home has been checked again");
  g_assert_cmpuint (get_unread_count (), ==, 0);

  g_dbus_connection_signal_unsubscribe (e2e->connection, subscription);
  g_array_unref (log.values);
}

/* What other programs read to learn the interface: the installed XML's. */
static void
test_introspection_matches_the_installed_xml (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  g_autoptr(GDBusNodeInfo) file_node = NULL;
  g_autoptr(GDBusNodeInfo) live_node = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;
  const char *live_xml = NULL;
  GDBusInterfaceInfo *file_interface;
  GDBusInterfaceInfo *live_interface;

  e2e = start_with_account ("introspection");
  path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "data", APP_ID "1.xml", NULL);
  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  file_node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);

  reply = g_dbus_connection_call_sync (e2e->connection, APP_ID, OBJECT_PATH,
                                       "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                                       G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &live_xml);
  live_node = g_dbus_node_info_new_for_xml (live_xml, &error);
  g_assert_no_error (error);

  file_interface = g_dbus_node_info_lookup_interface (file_node, INTERFACE);
  live_interface = g_dbus_node_info_lookup_interface (live_node, INTERFACE);
  g_assert_nonnull (file_interface);
  g_assert_nonnull (live_interface);
  for (guint i = 0; file_interface->methods[i] != NULL; i++)
    g_assert_nonnull (g_dbus_interface_info_lookup_method (live_interface,
                                                           file_interface->methods[i]->name));
  g_assert_nonnull (g_dbus_interface_info_lookup_signal (live_interface, "Changed"));
  /* Beside GApplication's own. */
  g_assert_nonnull (g_dbus_node_info_lookup_interface (live_node, "org.gtk.Actions"));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);

  xvfb = pb_test_xvfb_new ();
  g_assert_nonnull (xvfb);
  dovecot = pb_dovecot_new (&error);
  g_assert_no_error (error);

  g_test_add_func ("/pb/interface/dbus/methods-and-changed", test_methods_and_changed);
  g_test_add_func ("/pb/interface/dbus/introspection-matches-the-installed-xml",
                   test_introspection_matches_the_installed_xml);

  status = g_test_run ();

  g_clear_pointer (&dovecot, pb_dovecot_free);
  g_clear_pointer (&xvfb, pb_test_xvfb_free);
  return status;
}
