/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The interfaces other programs rely on, against the real popbell-applet
 * with a private Dovecot, a real keyring and a mock notification server:
 * io.github.popbell.Popbell1 driven with gdbus call, and popbell --watch. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#include "pb-dovecot.h"
#include "pb-seen-store.h"
#include "pb-test-applet.h"
#include "pb-test-notifications.h"
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

/* Adds the account "home" ("Home") on Dovecot user @user, its mailbox
 * taken as read by --add-account. */
static void
add_home_account (PbTestApplet *e2e,
                  const char   *user)
{
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
}

/* A running applet with that account. */
static PbTestApplet *
start_with_account (const char *user)
{
  PbTestApplet *e2e = pb_test_applet_new (pb_test_xvfb_get_display (xvfb));

  add_home_account (e2e, user);
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


/* ---- popbell --watch --json ------------------------------------------------- */

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  GPtrArray        *lines;     /* JsonObject*, or char* for plain text */
  gboolean          json;
  gboolean          ended;
} Watcher;

static void read_next_line (Watcher *watcher);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Watcher *watcher = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (watcher->out, result, NULL,
                                                                    &error);

  g_assert_no_error (error);
  if (line == NULL)
    {
      watcher->ended = TRUE;
      return;
    }
  g_test_message ("popbell --watch: %s", line);
  if (watcher->json)
    {
      g_autoptr(JsonNode) node = json_from_string (line, &error);

      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      g_ptr_array_add (watcher->lines, json_object_ref (json_node_get_object (node)));
    }
  else
    g_ptr_array_add (watcher->lines, g_steal_pointer (&line));
  read_next_line (watcher);
}

static void
read_next_line (Watcher *watcher)
{
  g_data_input_stream_read_line_async (watcher->out, G_PRIORITY_DEFAULT, NULL, on_line, watcher);
}

static Watcher *
watcher_start (PbTestApplet *e2e,
               gboolean      json)
{
  Watcher *watcher = g_new0 (Watcher, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("PB_POPBELL"), "--watch", json ? "--json" : NULL, NULL };

  watcher->json = json;
  watcher->lines = json ? g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref)
                        : g_ptr_array_new_with_free_func (g_free);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  pb_test_applet_set_home (e2e, launcher);
  watcher->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  watcher->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (watcher->process));
  read_next_line (watcher);
  return watcher;
}

static void
watcher_free (Watcher *watcher)
{
  g_subprocess_force_exit (watcher->process);
  g_subprocess_wait (watcher->process, NULL, NULL);
  while (!watcher->ended)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (watcher->out);
  g_object_unref (watcher->process);
  g_ptr_array_unref (watcher->lines);
  g_free (watcher);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watcher, watcher_free)

typedef struct
{
  Watcher    *watcher;
  const char *class_name;
  gint64      count;
} LineWait;

static JsonObject *
last_line (Watcher *watcher)
{
  g_assert_cmpuint (watcher->lines->len, >, 0);
  return g_ptr_array_index (watcher->lines, watcher->lines->len - 1);
}

static gboolean
printed (gpointer data)
{
  LineWait *wait = data;
  JsonObject *line;

  if (wait->watcher->lines->len == 0)
    return FALSE;
  line = last_line (wait->watcher);
  return g_str_equal (json_object_get_string_member (line, "class"), wait->class_name) &&
         json_object_get_int_member (line, "count") == wait->count;
}

typedef struct
{
  Watcher    *watcher;
  const char *text;
} PlainWait;

static gboolean
plain_printed (gpointer data)
{
  PlainWait *wait = data;
  GPtrArray *lines = wait->watcher->lines;

  return lines->len > 0 && g_str_equal (g_ptr_array_index (lines, lines->len - 1), wait->text);
}

static gboolean
watcher_ended (gpointer data)
{
  return ((Watcher *) data)->ended;
}

/* What waybar's custom module reads (return-type json): these five members. */
static void
assert_waybar_line (JsonObject *line,
                    const char *text,
                    const char *class_name,
                    gint64      count)
{
  g_assert_cmpuint (json_object_get_size (line), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (line, "text"), ==, text);
  g_assert_cmpstr (json_object_get_string_member (line, "alt"), ==, class_name);
  g_assert_cmpstr (json_object_get_string_member (line, "class"), ==, class_name);
  g_assert_cmpint (json_object_get_int_member (line, "count"), ==, count);
  g_assert_true (json_object_has_member (line, "tooltip"));
}

static void
test_watch_follows_the_applet (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  g_autoptr(Watcher) watcher = NULL;
  g_autoptr(Watcher) plain = NULL;
  g_autoptr(GVariant) reply = NULL;
  LineWait idle = { NULL, "no-mail", 0 };
  LineWait one = { NULL, "new-mail", 1 };
  PlainWait plain_one = { NULL, "1" };
  JsonObject *line;

  e2e = start_with_account ("watch");
  pb_test_applet_wait_until (e2e, home_is_checked, NULL, "home has been checked");
  watcher = watcher_start (e2e, TRUE);
  plain = watcher_start (e2e, FALSE);
  idle.watcher = one.watcher = watcher;
  plain_one.watcher = plain;

  /* At the start: what the applet shows now. */
  pb_test_applet_wait_until (e2e, printed, &idle, "--watch prints no mail");
  g_assert_cmpuint (watcher->lines->len, ==, 1);
  line = last_line (watcher);
  assert_waybar_line (line, "", "no-mail", 0);
  g_assert_cmpstr (json_object_get_string_member (line, "tooltip"), ==, "Home: no new mail");

  /* At every change. */
  deliver ("watch", "From: Alice Example <alice@example.com>\r\n"
                    "Subject: Lunch\r\n\r\nHello\r\n");
  reply = gdbus_call_ok ("CheckNow", "home");
  pb_test_applet_wait_until (e2e, printed, &one, "--watch prints the new mail");
  line = last_line (watcher);
  assert_waybar_line (line, "1", "new-mail", 1);
  g_assert_cmpstr (json_object_get_string_member (line, "tooltip"), ==, "Home: 1 new");
  /* The count alone, without --json. */
  pb_test_applet_wait_until (e2e, plain_printed, &plain_one, "--watch prints 1");

  g_clear_pointer (&reply, g_variant_unref);
  reply = gdbus_call_ok ("MarkAsRead", "");
  pb_test_applet_wait_until (e2e, printed, &idle, "--watch prints no mail again");
  /* Only lines that differ: no-mail, new-mail ("checking…" in between), no-mail. */
  for (guint i = 1; i < watcher->lines->len; i++)
    g_assert_false (json_object_equal (g_ptr_array_index (watcher->lines, i - 1),
                                g_ptr_array_index (watcher->lines, i)));

  /* It ends with the applet, telling the bar that nothing is watched. */
  pb_test_applet_stop (e2e);
  pb_test_applet_wait_until (e2e, watcher_ended, watcher, "--watch ends");
  line = last_line (watcher);
  assert_waybar_line (line, "", "offline", 0);
  g_assert_cmpstr (json_object_get_string_member (line, "tooltip"), ==, "Popbell is not running.");
  g_assert_true (g_subprocess_wait_check (watcher->process, NULL, NULL));
  pb_test_applet_wait_until (e2e, watcher_ended, plain, "--watch without --json ends");
  plain_one.text = "0";
  g_assert_true (plain_printed (&plain_one));
}

/* A bar starts at login, before Popbell: it waits for the applet. */
static void
test_watch_waits_for_the_applet (void)
{
  g_autoptr(PbTestApplet) e2e = pb_test_applet_new (pb_test_xvfb_get_display (xvfb));
  g_autoptr(Watcher) watcher = NULL;
  LineWait not_running = { NULL, "offline", 0 };
  LineWait running = { NULL, "no-mail", 0 };
  JsonObject *line;

  watcher = watcher_start (e2e, TRUE);
  not_running.watcher = running.watcher = watcher;
  pb_test_applet_wait_until (e2e, printed, &not_running, "--watch says it is not running");
  g_assert_cmpuint (watcher->lines->len, ==, 1);
  g_assert_false (watcher->ended);

  /* No account: the applet opens the wizard and runs. */
  pb_test_applet_start (e2e);
  pb_test_applet_wait_until (e2e, printed, &running, "--watch follows the applet");
  line = last_line (watcher);
  assert_waybar_line (line, "", "no-mail", 0);
  g_assert_cmpstr (json_object_get_string_member (line, "tooltip"), ==, "No accounts");
}

/* ---- Do not disturb, end to end ------------------------------------------------ */

static void
set_inhibited (PbTestApplet *e2e,
               gboolean      inhibited,
               gboolean      first)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder properties;

  if (first)
    {
      reply = pb_test_applet_call_mock (e2e, "AddProperty",
                                        g_variant_new ("(ssv)", "org.freedesktop.Notifications",
                                                       "Inhibited", g_variant_new_boolean (FALSE)),
                                        NULL);
      g_clear_pointer (&reply, g_variant_unref);
    }
  g_variant_builder_init (&properties, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&properties, "{sv}", "Inhibited", g_variant_new_boolean (inhibited));
  reply = pb_test_applet_call_mock (e2e, "UpdateProperties",
                                    g_variant_new ("(sa{sv})", "org.freedesktop.Notifications",
                                                   &properties),
                                    NULL);
}

typedef struct
{
  guint expected;
} CountWait;

static gboolean
count_is (gpointer data)
{
  return get_unread_count () == ((CountWait *) data)->expected;
}

typedef struct
{
  PbTestApplet *e2e;
  const char   *text;
} NotifyWait;

/* The Notify call that mentions @text, or NULL. */
static GVariant *
find_notify_call (PbTestApplet *e2e,
                  const char   *text)
{
  g_autoptr(GPtrArray) calls = pb_test_applet_get_notify_calls (e2e);

  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *call = g_ptr_array_index (calls, i);

      if (strstr (pb_test_notify_call_get_string (call, 3), text) != NULL ||
          strstr (pb_test_notify_call_get_string (call, 4), text) != NULL)
        return g_variant_ref (call);
    }
  return NULL;
}

static gboolean
notified (gpointer data)
{
  NotifyWait *wait = data;
  g_autoptr(GVariant) call = find_notify_call (wait->e2e, wait->text);

  return call != NULL;
}

/* While the server is inhibited, new mail is counted (the interface, the
 * tray) but not shown; afterwards it is shown, with the account's sound. */
static void
test_do_not_disturb_counts_without_a_notification (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) quiet = NULL;
  g_autoptr(GVariant) shown = NULL;
  g_autoptr(GVariant) sound = NULL;
  CountWait one = { 1 };
  CountWait two = { 2 };
  NotifyWait after = { NULL, "After the meeting" };

  e2e = start_with_account ("quiet");
  after.e2e = e2e;
  pb_test_applet_wait_until (e2e, home_is_checked, NULL, "home has been checked");
  set_inhibited (e2e, TRUE, TRUE);

  deliver ("quiet", "From: Alice <alice@example.com>\r\nSubject: During the meeting\r\n\r\nx\r\n");
  reply = gdbus_call_ok ("CheckNow", "home");
  pb_test_applet_wait_until (e2e, count_is, &one, "the mail is counted");
  /* A moment for a notification that should not come. */
  g_usleep (500 * 1000);
  quiet = find_notify_call (e2e, "During the meeting");
  g_assert_null (quiet);

  set_inhibited (e2e, FALSE, FALSE);
  deliver ("quiet", "From: Bob <bob@example.com>\r\nSubject: After the meeting\r\n\r\nx\r\n");
  g_clear_pointer (&reply, g_variant_unref);
  reply = gdbus_call_ok ("CheckNow", "home");
  pb_test_applet_wait_until (e2e, count_is, &two, "both are counted");
  pb_test_applet_wait_until (e2e, notified, &after, "the later mail is shown");
  shown = find_notify_call (e2e, "After the meeting");
  sound = pb_test_notify_call_get_hint (shown, "sound-name");
  g_assert_nonnull (sound);
  g_assert_cmpstr (g_variant_get_string (sound, NULL), ==, "message-new-email");
}

/* ---- No tray host ------------------------------------------------------------- */

/* The index in @calls of the Notify call mentioning @text. */
static guint
notify_index (GPtrArray  *calls,
              const char *text)
{
  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *call = g_ptr_array_index (calls, i);

      if (strstr (pb_test_notify_call_get_string (call, 3), text) != NULL ||
          strstr (pb_test_notify_call_get_string (call, 4), text) != NULL)
        return i;
    }
  g_error ("No notification mentions %s", text);
}

typedef struct
{
  PbTestApplet *e2e;
  const char   *text;
} LogWait;

static gboolean
logged (gpointer data)
{
  LogWait *wait = data;

  return pb_test_applet_log_mentions (wait->e2e, wait->text);
}

/* A session whose panel hosts no tray icon (this bus has no
 * StatusNotifierWatcher): the notifications lead to the mail window, mark as
 * read and fix a problem. */
static void
test_without_a_tray (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  g_autoptr(GPtrArray) calls = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) actions = NULL;
  g_autofree char *port = NULL;
  g_autofree char *ca = g_strdup_printf ("--ca-file=%s/ca.crt", g_getenv ("PB_TEST_CERTS"));
  NotifyWait mail = { NULL, "No tray here" };
  NotifyWait refused = { NULL, "didn't accept the password" };
  LogWait window = { NULL, "Showing the mail window" };
  LogWait password = { NULL, "Opening the login dialog of second" };
  CountWait none = { 0 };
  guint index;

  e2e = start_with_account ("notray");
  mail.e2e = refused.e2e = window.e2e = password.e2e = e2e;
  g_assert_false (pb_test_applet_name_has_owner (e2e, "org.kde.StatusNotifierWatcher"));
  pb_test_applet_wait_until (e2e, home_is_checked, NULL, "home has been checked");

  deliver ("notray", "From: Alice <alice@example.com>\r\nSubject: No tray here\r\n\r\nx\r\n");
  reply = gdbus_call_ok ("CheckNow", "home");
  pb_test_applet_wait_until (e2e, notified, &mail, "a notification about the mail");
  calls = pb_test_applet_get_notify_calls (e2e);
  index = notify_index (calls, "No tray here");
  actions = pb_test_notify_call_get_actions (g_ptr_array_index (calls, index));
  g_assert_cmpstr (actions[0], ==, "default");
  g_assert_cmpstr (actions[1], ==, "Show new mail");
  g_assert_true (g_strv_contains ((const char * const *) actions, "open"));
  g_assert_true (g_strv_contains ((const char * const *) actions, "mark-read"));

  /* Clicking it shows the window; its button marks the mail read. */
  pb_test_applet_invoke_action (e2e, pb_test_applet_notification_id (calls, index), "default");
  pb_test_applet_wait_until (e2e, logged, &window, "the mail window is shown");
  pb_test_applet_invoke_action (e2e, pb_test_applet_notification_id (calls, index), "mark-read");
  pb_test_applet_wait_until (e2e, count_is, &none, "the mail is read");

  /* A password the server refuses: the notification's button asks for it. */
  port = g_strdup_printf ("--port=%u", pb_dovecot_get_pop3s_port (dovecot));
  g_assert_cmpint (pb_test_applet_run_popbell (e2e, "not-the-password\n", NULL,
                                               "--add-account=second", "--host=localhost",
                                               "--user=notray", port, ca, "--no-verify", NULL),
                   ==, 0);
  pb_test_applet_wait_until (e2e, notified, &refused, "a notification about the password");
  g_ptr_array_unref (calls);
  calls = pb_test_applet_get_notify_calls (e2e);
  index = notify_index (calls, "didn't accept the password");
  g_clear_pointer (&actions, g_strfreev);
  actions = pb_test_notify_call_get_actions (g_ptr_array_index (calls, index));
  g_assert_true (g_strv_contains ((const char * const *) actions, "Enter password…"));
  pb_test_applet_invoke_action (e2e, pb_test_applet_notification_id (calls, index),
                                "enter-password");
  pb_test_applet_wait_until (e2e, logged, &password, "the password dialog is opened");
}

/* ---- The README's snippets for status bars ----------------------------------- */

/* The fenced block of README.md that starts with @first_line. */
static char *
readme_block (const char *first_line)
{
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "README.md", NULL);
  g_autofree char *readme = NULL;
  g_autoptr(GError) error = NULL;
  const char *start;
  const char *end;

  g_file_get_contents (path, &readme, NULL, &error);
  g_assert_no_error (error);
  start = strstr (readme, first_line);
  g_assert_nonnull (start);
  end = strstr (start, "```");
  g_assert_nonnull (end);
  return g_strndup (start, end - start);
}

/* A folder with "popbell" in it, for commands that say just popbell. */
static char *
path_with_popbell (void)
{
  g_autofree char *bin = pb_test_mkdtemp ("bin");
  g_autofree char *link = g_build_filename (bin, "popbell", NULL);

  g_assert_cmpint (symlink (g_getenv ("PB_POPBELL"), link), ==, 0);
  return g_strconcat (bin, ":", g_getenv ("PATH"), NULL);
}

typedef struct
{
  GDataInputStream *out;
  GPtrArray        *lines;
  gboolean          ended;
} Reader;

static void reader_next (Reader *reader);

static void
on_reader_line (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Reader *reader = user_data;
  char *line = g_data_input_stream_read_line_finish_utf8 (reader->out, result, NULL, NULL);

  if (line == NULL)
    {
      reader->ended = TRUE;
      return;
    }
  g_test_message ("i3blocks: %s", line);
  g_ptr_array_add (reader->lines, line);
  reader_next (reader);
}

static void
reader_next (Reader *reader)
{
  g_data_input_stream_read_line_async (reader->out, G_PRIORITY_DEFAULT, NULL, on_reader_line,
                                       reader);
}

typedef struct
{
  Reader     *reader;
  const char *text;
} ReaderWait;

static gboolean
reader_shows (gpointer data)
{
  ReaderWait *wait = data;

  return wait->reader->lines->len > 0 &&
         strstr (g_ptr_array_index (wait->reader->lines, wait->reader->lines->len - 1),
                 wait->text) != NULL;
}

/* i3blocks runs the README's block and prints what i3bar would show. */
static void
test_i3blocks_shows_the_count (void)
{
  g_autoptr(PbTestApplet) e2e = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) i3blocks = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *block = readme_block ("[popbell]\n");
  g_autofree char *dir = pb_test_mkdtemp ("i3blocks");
  g_autofree char *config = g_build_filename (dir, "config", NULL);
  g_autofree char *path = path_with_popbell ();
  const char *argv[] = { "i3blocks", "-c", config, NULL };
  Reader reader = { NULL, g_ptr_array_new_with_free_func (g_free) };
  ReaderWait none = { &reader, "\"full_text\":\"✉ 0\"" };
  ReaderWait one = { &reader, "\"full_text\":\"✉ 1\"" };

  g_assert_nonnull (strstr (block, "command=popbell --watch\n"));
  g_file_set_contents (config, block, -1, &error);
  g_assert_no_error (error);

  e2e = start_with_account ("i3blocks");
  pb_test_applet_wait_until (e2e, home_is_checked, NULL, "home has been checked");
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  pb_test_applet_set_home (e2e, launcher);
  g_subprocess_launcher_setenv (launcher, "PATH", path, TRUE);
  i3blocks = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  reader.out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (i3blocks));
  reader_next (&reader);

  pb_test_applet_wait_until (e2e, reader_shows, &none, "i3blocks shows no mail");
  deliver ("i3blocks", "Subject: For the bar\r\n\r\nHello\r\n");
  reply = gdbus_call_ok ("CheckNow", "home");
  pb_test_applet_wait_until (e2e, reader_shows, &one, "i3blocks shows the new mail");
  g_clear_pointer (&reply, g_variant_unref);
  reply = gdbus_call_ok ("MarkAsRead", "");
  pb_test_applet_wait_until (e2e, reader_shows, &none, "i3blocks shows it read");

  g_subprocess_force_exit (i3blocks);
  g_subprocess_wait (i3blocks, NULL, NULL);
  while (!reader.ended)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (reader.out);
  g_ptr_array_unref (reader.lines);
}

/* waybar reads the words --watch prints: every alt has an icon. */
static void
test_waybar_snippet_names_every_class (void)
{
  g_autofree char *block = readme_block ("\"custom/popbell\": {");
  g_autofree char *document = g_strconcat ("{", block, "}", NULL);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *module;
  JsonObject *icons;
  const char *const classes[] = { "new-mail", "no-mail", "problem", "offline" };

  root = json_from_string (document, &error);
  g_assert_no_error (error);
  module = json_object_get_object_member (json_node_get_object (root), "custom/popbell");
  g_assert_cmpstr (json_object_get_string_member (module, "exec"), ==, "popbell --watch --json");
  g_assert_cmpstr (json_object_get_string_member (module, "return-type"), ==, "json");
  /* A continuous script: a click must not start another. */
  g_assert_false (json_object_get_boolean_member (module, "exec-on-event"));
  icons = json_object_get_object_member (module, "format-icons");
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    g_assert_true (json_object_has_member (icons, classes[i]));
}

/* ---- popbell --list-accounts beside the applet ----------------------------------- */

static gint64
home_last_check (void)
{
  g_autoptr(GVariant) accounts = get_list ("GetAccounts");
  g_autoptr(GVariant) home = g_variant_get_child_value (accounts, 0);
  gint64 last_check = 0;

  g_assert_true (g_variant_lookup (home, "last-check", "x", &last_check));
  return last_check;
}

static gboolean
checked_after (gpointer data)
{
  return home_last_check () > *(gint64 *) data;
}

/* The "last-check" of popbell --list-accounts --json for "home". */
static gint64
listed_last_check (PbTestApplet *e2e)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *home;

  g_assert_cmpint (pb_test_applet_run_popbell (e2e, NULL, &out, "--list-accounts", "--json",
                                               NULL), ==, 0);
  root = json_from_string (out, &error);
  g_assert_no_error (error);
  home = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (root), "accounts"), 0);
  return json_object_get_int_member (home, "last-check");
}

/* A check that finds nothing new does not rewrite the state file (it can
 * hold 100,000 UIDLs), so the file's time of the last check can be an hour
 * old: --list-accounts asks the running applet, which knows. */
static void
test_list_accounts_says_the_last_check (void)
{
  g_autoptr(PbTestApplet) e2e = start_with_account ("listing");
  g_autofree char *state = g_build_filename (e2e->home, "state", "popbell", "home.state", NULL);
  g_autoptr(GVariant) reply = NULL;
  gint64 first;

  pb_test_applet_wait_until (e2e, home_is_checked, NULL, "home has been checked");
  first = home_last_check ();
  g_assert_cmpint (listed_last_check (e2e), ==, first);

  /* A second later, the same mailbox again. */
  g_usleep (1100 * 1000);
  reply = gdbus_call_ok ("CheckNow", "home");
  pb_test_applet_wait_until (e2e, checked_after, &first, "a second check");
  g_assert_cmpint (pb_seen_store_peek_last_check (state), ==, first);
  g_assert_cmpint (listed_last_check (e2e), ==, home_last_check ());
  g_assert_cmpint (listed_last_check (e2e), >, first);

  /* Without the applet, the file's. */
  pb_test_applet_stop (e2e);
  g_assert_cmpint (listed_last_check (e2e), ==, pb_seen_store_peek_last_check (state));
}

/* ---- Started by the bus ------------------------------------------------------ */

static gboolean
owns_its_name (gpointer data)
{
  return pb_test_applet_name_has_owner (data, APP_ID);
}

static gboolean
showed_the_mail_window (gpointer data)
{
  return pb_test_applet_log_mentions (data, "Showing the mail window");
}

/* Nothing runs the applet but the bus, from a service file, as on a
 * desktop: a call from another program starts it and is answered; the
 * launcher's Activate (the desktop file says DBusActivatable=true) starts
 * it and shows its window. */
static void
test_started_by_the_bus (void)
{
  g_autoptr(PbTestApplet) e2e = pb_test_applet_new_activatable (pb_test_xvfb_get_display (xvfb));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  add_home_account (e2e, "activated");
  g_assert_false (pb_test_applet_name_has_owner (e2e, APP_ID));

  /* gdbus, like any program, lets the bus start the service. */
  g_assert_cmpuint (get_unread_count (), ==, 0);
  g_assert_true (pb_test_applet_name_has_owner (e2e, APP_ID));
  g_assert_true (pb_test_applet_log_mentions (e2e, "Loaded 1 accounts"));
  /* Started as a service, it stays after the call. */
  g_usleep (G_USEC_PER_SEC / 2);
  g_assert_true (pb_test_applet_name_has_owner (e2e, APP_ID));
  pb_test_applet_stop (e2e);

  reply = g_dbus_connection_call_sync (e2e->connection, APP_ID, OBJECT_PATH,
                                       "org.freedesktop.Application", "Activate",
                                       g_variant_new ("(@a{sv})", g_variant_new ("a{sv}", NULL)),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
  g_assert_no_error (error);
  pb_test_applet_wait_until (e2e, owns_its_name, e2e, "the bus starts the applet");
  pb_test_applet_wait_until (e2e, showed_the_mail_window, e2e, "the mail window is shown");
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
  g_test_add_func ("/pb/interface/watch/follows-the-applet-and-ends-with-it",
                   test_watch_follows_the_applet);
  g_test_add_func ("/pb/interface/watch/waits-for-the-applet", test_watch_waits_for_the_applet);
  g_test_add_func ("/pb/interface/i3blocks/shows-the-count", test_i3blocks_shows_the_count);
  g_test_add_func ("/pb/interface/do-not-disturb/counts-without-a-notification",
                   test_do_not_disturb_counts_without_a_notification);
  g_test_add_func ("/pb/interface/no-tray/notifications-lead-to-the-window-and-fix-problems",
                   test_without_a_tray);
  g_test_add_func ("/pb/interface/dbus/started-by-the-bus", test_started_by_the_bus);
  g_test_add_func ("/pb/interface/list-accounts/says-the-last-check-of-the-applet",
                   test_list_accounts_says_the_last_check);
  g_test_add_func ("/pb/interface/waybar/snippet-names-every-class",
                   test_waybar_snippet_names_every_class);

  status = g_test_run ();

  g_clear_pointer (&dovecot, pb_dovecot_free);
  g_clear_pointer (&xvfb, pb_test_xvfb_free);
  return status;
}
