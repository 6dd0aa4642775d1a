/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>

#include "pb-test-notifications.h"
#include "pb-test-util.h"

#define NOTIFICATIONS_NAME  "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH  "/org/freedesktop/Notifications"
#define NOTIFICATIONS_IFACE "org.freedesktop.Notifications"
#define MOCK_IFACE          "org.freedesktop.DBus.Mock"
#define READY_TIMEOUT_US    (10 * G_USEC_PER_SEC)
#define EXIT_TIMEOUT_US     (5 * G_USEC_PER_SEC)
#define POLL_INTERVAL_US    (20 * 1000)

struct _PbTestNotifications
{
  GTestDBus       *bus;
  GSubprocess     *server;
  GDBusConnection *connection;  /* our own, not the session singleton the code under test uses */
  char            *runtime_dir; /* this process's XDG_RUNTIME_DIR, which GTestDBus unsets */
  gboolean         has_inhibited;
};

static gboolean notifications_are_up;

/* As in pb-test-keyring.c: GTestDBus leaves the pipe to its watcher process
 * inheritable (GLib 2.74), and a second bus of the process would keep it. */
static void
set_cloexec_on_inherited_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      guint64 fd;

      if (g_ascii_string_to_unsigned (name, 10, 3, G_MAXINT, &fd, NULL))
        {
          int flags = fcntl ((int) fd, F_GETFD);

          if (flags != -1 && (flags & FD_CLOEXEC) == 0)
            fcntl ((int) fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
}

static void
child_setup (gpointer user_data)
{
  /* Don't outlive a test that crashes. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static char **
server_environment (PbTestNotifications *self)
{
  char **env = g_get_environ ();

  /* Our fatal warnings are not the mock's business. */
  env = g_environ_unsetenv (env, "G_DEBUG");
  env = g_environ_unsetenv (env, "G_MESSAGES_DEBUG");
  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");
  env = g_environ_setenv (env, "PYTHONUNBUFFERED", "1", TRUE);
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS",
                          g_test_dbus_get_bus_address (self->bus), TRUE);
  return env;
}

static gboolean
server_is_ready (PbTestNotifications *self)
{
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (self->connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                                       NOTIFICATIONS_IFACE, "GetServerInformation", NULL,
                                       G_VARIANT_TYPE ("(ssss)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 1000, NULL, NULL);
  return reply != NULL;
}

PbTestNotifications *
pb_test_notifications_new (const char *capabilities)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GStrvBuilder) argv_builder = g_strv_builder_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) env = NULL;
  g_autofree char *parameters = NULL;
  PbTestNotifications *self = g_new0 (PbTestNotifications, 1);
  GSubprocessFlags flags;
  gint64 deadline;

  g_assert_false (notifications_are_up);
  notifications_are_up = TRUE;

  self->runtime_dir = g_strdup (g_getenv ("XDG_RUNTIME_DIR"));
  set_cloexec_on_inherited_fds ();
  self->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (self->bus);
  if (self->runtime_dir != NULL)
    g_setenv ("XDG_RUNTIME_DIR", self->runtime_dir, TRUE);

  self->connection =
    g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (self->bus),
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);
  g_assert_no_error (error);

  /* The system's python3, which has python3-dbusmock, not one on PATH. */
  g_strv_builder_add_many (argv_builder, "/usr/bin/python3", "-m", "dbusmock", "--session",
                           "--template", "notification_daemon", NULL);
  if (capabilities != NULL)
    {
      g_autofree char *escaped = g_strescape (capabilities, NULL);

      parameters = g_strdup_printf ("{\"capabilities\": \"%s\"}", escaped);
      g_strv_builder_add_many (argv_builder, "--parameters", parameters, NULL);
    }
  argv = g_strv_builder_end (argv_builder);

  flags = G_SUBPROCESS_FLAGS_STDOUT_SILENCE;
  if (!g_test_verbose ())
    flags |= G_SUBPROCESS_FLAGS_STDERR_SILENCE;
  launcher = g_subprocess_launcher_new (flags);
  env = server_environment (self);
  g_subprocess_launcher_set_environ (launcher, env);
  g_subprocess_launcher_set_cwd (launcher, pb_test_get_tmpdir ());
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->server = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + READY_TIMEOUT_US;
  while (!server_is_ready (self))
    {
      if (g_subprocess_get_identifier (self->server) == NULL)
        g_error ("The mock notification server exited before it was ready");
      if (g_get_monotonic_time () > deadline)
        g_error ("The mock notification server was not ready in time");
      g_usleep (POLL_INTERVAL_US);
    }

  return self;
}

static void
stop_server (PbTestNotifications *self)
{
  gint64 deadline = g_get_monotonic_time () + EXIT_TIMEOUT_US;

  g_subprocess_send_signal (self->server, SIGTERM);
  while (g_subprocess_get_identifier (self->server) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (POLL_INTERVAL_US);

  g_subprocess_force_exit (self->server);
  g_subprocess_wait (self->server, NULL, NULL);
  g_clear_object (&self->server);
}

void
pb_test_notifications_free (PbTestNotifications *self)
{
  if (self == NULL)
    return;

  if (self->server != NULL)
    stop_server (self);

  g_dbus_connection_close_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);

  g_test_dbus_down (self->bus);
  g_clear_object (&self->bus);
  if (self->runtime_dir != NULL)
    g_setenv ("XDG_RUNTIME_DIR", self->runtime_dir, TRUE);

  g_free (self->runtime_dir);
  g_free (self);
  notifications_are_up = FALSE;
}

void
pb_test_notifications_stop_server (PbTestNotifications *self)
{
  g_autoptr(GVariant) reply = NULL;
  gint64 deadline = g_get_monotonic_time () + EXIT_TIMEOUT_US;
  gboolean owned = TRUE;

  stop_server (self);

  /* The bus tells the name's owner is gone a little after the process. */
  while (owned)
    {
      g_clear_pointer (&reply, g_variant_unref);
      reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                           "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                           "NameHasOwner", g_variant_new ("(s)", NOTIFICATIONS_NAME),
                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                           NULL, NULL);
      g_assert_nonnull (reply);
      g_variant_get (reply, "(b)", &owned);
      if (owned && g_get_monotonic_time () > deadline)
        g_error ("The mock notification server still owns its name");
      if (owned)
        g_usleep (POLL_INTERVAL_US);
    }
}

const char *
pb_test_notifications_get_bus_address (PbTestNotifications *self)
{
  return g_test_dbus_get_bus_address (self->bus);
}

static GVariant *
call_mock (PbTestNotifications *self,
           const char          *method,
           GVariant            *parameters,
           const GVariantType  *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (self->connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                                       MOCK_IFACE, method, parameters, reply_type,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

void
pb_test_notifications_set_inhibited (PbTestNotifications *self,
                                     gboolean             inhibited)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder properties;

  if (!self->has_inhibited)
    {
      reply = call_mock (self, "AddProperty",
                         g_variant_new ("(ssv)", NOTIFICATIONS_NAME, "Inhibited",
                                        g_variant_new_boolean (FALSE)),
                         NULL);
      g_clear_pointer (&reply, g_variant_unref);
      self->has_inhibited = TRUE;
    }
  g_variant_builder_init (&properties, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&properties, "{sv}", "Inhibited", g_variant_new_boolean (inhibited));
  reply = call_mock (self, "UpdateProperties",
                     g_variant_new ("(sa{sv})", NOTIFICATIONS_NAME, &properties), NULL);
}

GPtrArray *
pb_test_notifications_get_calls (PbTestNotifications *self,
                                 const char          *method)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) calls = NULL;
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariantIter *args;

  reply = call_mock (self, "GetMethodCalls", g_variant_new ("(s)", method),
                     G_VARIANT_TYPE ("(a(tav))"));
  g_variant_get (reply, "(a(tav))", &calls);
  while (g_variant_iter_next (calls, "(tav)", NULL, &args))
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
      GVariant *item;

      while (g_variant_iter_next (args, "v", &item))
        g_ptr_array_add (items, item);
      g_ptr_array_add (result, g_variant_ref_sink (g_variant_new_tuple ((GVariant **) items->pdata,
                                                                        items->len)));
      g_variant_iter_free (args);
    }

  return result;
}

void
pb_test_notifications_clear_calls (PbTestNotifications *self)
{
  g_autoptr(GVariant) reply = call_mock (self, "ClearCalls", NULL, NULL);
}

static void
emit (PbTestNotifications *self,
      const char          *name,
      const char          *signature,
      GVariant            *first,
      GVariant            *second)
{
  GVariant *args[] = { g_variant_new_variant (first), g_variant_new_variant (second) };
  g_autoptr(GVariant) reply = NULL;

  reply = call_mock (self, "EmitSignal",
                     g_variant_new ("(sss@av)", NOTIFICATIONS_IFACE, name, signature,
                                    g_variant_new_array (G_VARIANT_TYPE_VARIANT, args, 2)),
                     NULL);
}

void
pb_test_notifications_invoke_action (PbTestNotifications *self,
                                     guint32              id,
                                     const char          *action)
{
  emit (self, "ActionInvoked", "us", g_variant_new_uint32 (id), g_variant_new_string (action));
}

void
pb_test_notifications_emit_closed (PbTestNotifications *self,
                                   guint32              id,
                                   guint32              reason)
{
  emit (self, "NotificationClosed", "uu", g_variant_new_uint32 (id), g_variant_new_uint32 (reason));
}

const char *
pb_test_notify_call_get_string (GVariant *call,
                                guint     index)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (call, index);

  g_assert_true (g_variant_is_of_type (child, G_VARIANT_TYPE_STRING));
  /* The child shares the call's data, which outlives it. */
  return g_variant_get_string (child, NULL);
}

guint32
pb_test_notify_call_get_replaces_id (GVariant *call)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (call, 1);

  return g_variant_get_uint32 (child);
}

char **
pb_test_notify_call_get_actions (GVariant *call)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (call, 5);

  return g_variant_dup_strv (child, NULL);
}

GVariant *
pb_test_notify_call_get_hint (GVariant   *call,
                              const char *name)
{
  g_autoptr(GVariant) hints = g_variant_get_child_value (call, 6);

  return g_variant_lookup_value (hints, name, NULL);
}
