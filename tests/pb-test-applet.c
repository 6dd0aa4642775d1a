/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>

#include "pb-test-applet.h"
#include "pb-test-notifications.h"
#include "pb-test-util.h"

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
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

void
pb_test_applet_print_log (PbTestApplet *self)
{
  g_autofree char *log = NULL;

  if (self->log_path != NULL && g_file_get_contents (self->log_path, &log, NULL, NULL))
    g_test_message ("The applet's log:\n%s", log);
}

gboolean
pb_test_applet_log_mentions (PbTestApplet *self,
                             const char   *text)
{
  g_autofree char *log = NULL;

  return self->log_path != NULL && g_file_get_contents (self->log_path, &log, NULL, NULL) &&
         strstr (log, text) != NULL;
}

void
pb_test_applet_wait_until (PbTestApplet    *self,
                           PbTestCondition  condition,
                           gpointer         data,
                           const char      *what)
{
  gint64 deadline = g_get_monotonic_time () + PB_TEST_APPLET_WAIT_SECONDS * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          pb_test_applet_print_log (self);
          g_error ("Timed out waiting until %s", what);
        }
      iterate_for (50);
    }
}

gboolean
pb_test_applet_name_has_owner (PbTestApplet *self,
                               const char   *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* python3-dbusmock's notification server, with actions, on the keyring's bus
 * (pb-test-notifications.h brings a bus of its own; the applet has one). */
static void
start_notifications (PbTestApplet *self)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  const char *argv[] = { "/usr/bin/python3", "-m", "dbusmock", "--session",
                         "--template", "notification_daemon",
                         "--parameters", "{\"capabilities\": \"body body-markup actions\"}", NULL };
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_SILENCE;

  if (!g_test_verbose ())
    flags |= G_SUBPROCESS_FLAGS_STDERR_SILENCE;
  launcher = g_subprocess_launcher_new (flags);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->notifications = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  while (!pb_test_applet_name_has_owner (self, NOTIFICATIONS_NAME))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The mock notification server did not start");
      g_usleep (20 * 1000);
    }
}

static PbTestApplet *
applet_new (const char *display,
            const char *service_dir)
{
  PbTestApplet *self = g_new0 (PbTestApplet, 1);
  g_autoptr(GError) error = NULL;

  self->display = g_strdup (display);
  self->home = pb_test_mkdtemp ("home");
  self->keyring = pb_test_keyring_new_with_services (service_dir);
  self->connection =
    g_dbus_connection_new_for_address_sync (pb_test_keyring_get_bus_address (self->keyring),
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);
  g_assert_no_error (error);
  start_notifications (self);
  return self;
}

PbTestApplet *
pb_test_applet_new (const char *display)
{
  return applet_new (display, NULL);
}

PbTestApplet *
pb_test_applet_new_activatable (const char *display)
{
  g_autofree char *services = pb_test_mkdtemp ("services");
  g_autofree char *wrapper = g_build_filename (services, "popbell-applet-service", NULL);
  g_autofree char *service = g_build_filename (services, APP_ID ".service", NULL);
  g_autofree char *applet = g_shell_quote (g_getenv ("PB_POPBELL_APPLET"));
  g_autofree char *log = NULL;
  g_autofree char *script = NULL;
  g_autofree char *service_text = NULL;
  g_autoptr(GVariantBuilder) environment = g_variant_builder_new (G_VARIANT_TYPE ("a{ss}"));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *dirs[][2] = {
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
  };
  PbTestApplet *self;

  g_assert_nonnull (g_getenv ("PB_POPBELL_APPLET"));
  /* The installed file's Exec, run through a shell only to keep the output
   * and the exit status, which the bus would otherwise swallow. */
  log = g_build_filename (services, "applet.log", NULL);
  {
    g_autofree char *quoted_log = g_shell_quote (log);

    script = g_strdup_printf ("#!/bin/sh\n"
                              "%s --gapplication-service >>%s 2>&1\n"
                              "echo \"popbell-applet exited with status $?\" >>%s\n",
                              applet, quoted_log, quoted_log);
  }
  g_file_set_contents (wrapper, script, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (wrapper, 0755), ==, 0);
  service_text = g_strdup_printf ("[D-BUS Service]\nName=%s\nExec=%s\n", APP_ID, wrapper);
  g_file_set_contents (service, service_text, -1, &error);
  g_assert_no_error (error);

  self = applet_new (display, services);
  self->activatable = TRUE;
  self->log_path = g_steal_pointer (&log);

  /* What a desktop session puts there for the programs it starts. */
  g_variant_builder_add (environment, "{ss}", "HOME", self->home);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (self->home, dirs[i][1], NULL);
      g_variant_builder_add (environment, "{ss}", dirs[i][0], path);
    }
  g_variant_builder_add (environment, "{ss}", "DISPLAY", self->display);
  g_variant_builder_add (environment, "{ss}", "G_MESSAGES_DEBUG", "all");
  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "UpdateActivationEnvironment",
                                       g_variant_new ("(a{ss})", environment), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  return self;
}

void
pb_test_applet_free (PbTestApplet *self)
{
  if (self->applet != NULL || (self->activatable && pb_test_applet_name_has_owner (self, APP_ID)))
    pb_test_applet_stop (self);
  g_subprocess_send_signal (self->notifications, SIGTERM);
  g_subprocess_wait (self->notifications, NULL, NULL);
  g_clear_object (&self->notifications);
  g_dbus_connection_close_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->keyring, pb_test_keyring_free);
  g_free (self->log_path);
  g_free (self->home);
  g_free (self->display);
  g_free (self);
}

/* A home of its own, so that the other tests of this process start empty. */
void
pb_test_applet_set_home (PbTestApplet        *self,
                         GSubprocessLauncher *launcher)
{
  const char *dirs[][2] = {
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
  };

  g_subprocess_launcher_setenv (launcher, "HOME", self->home, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (self->home, dirs[i][1], NULL);
      g_subprocess_launcher_setenv (launcher, dirs[i][0], path, TRUE);
    }
}

int
pb_test_applet_run_popbell (PbTestApplet *self,
                            const char   *input,
                            char        **out,
                            const char   *first,
                            ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  const char *binary = g_getenv ("PB_POPBELL");
  va_list args;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "POPBELL_APPLET", g_getenv ("PB_POPBELL_APPLET"), TRUE);
  pb_test_applet_set_home (self, launcher);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_test_message ("popbell %s → %d\nstdout:\n%s\nstderr:\n%s", first,
                  g_subprocess_get_exit_status (process), stdout_text, stderr_text);
  g_assert_null (strstr (stdout_text, PB_TEST_APPLET_PASSWORD));
  g_assert_null (strstr (stderr_text, PB_TEST_APPLET_PASSWORD));
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return g_subprocess_get_exit_status (process);
}

static gboolean
applet_is_up (gpointer data)
{
  PbTestApplet *self = data;

  if (g_subprocess_get_identifier (self->applet) == NULL)
    {
      pb_test_applet_print_log (self);
      g_error ("The applet exited");
    }
  return pb_test_applet_name_has_owner (self, APP_ID);
}

void
pb_test_applet_start (PbTestApplet *self)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  const char *binary = g_getenv ("PB_POPBELL_APPLET");
  const char *argv[] = { binary, NULL };
  g_autofree char *name = g_strdup_printf ("applet-%" G_GINT64_FORMAT ".log",
                                           g_get_monotonic_time ());

  g_assert_nonnull (binary);
  g_assert_null (self->applet);
  g_free (self->log_path);
  self->log_path = g_build_filename (pb_test_get_tmpdir (), name, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, self->log_path);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  /* GTestDBus unsets DISPLAY when it brings the bus up. */
  g_subprocess_launcher_setenv (launcher, "DISPLAY", self->display, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  pb_test_applet_set_home (self, launcher);
  self->applet = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  pb_test_applet_wait_until (self, applet_is_up, self, "the applet owns its name");
}

static gboolean
log_says_it_exited (gpointer data)
{
  return pb_test_applet_log_mentions (data, "popbell-applet exited with status");
}

void
pb_test_applet_stop (PbTestApplet *self)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (pb_test_applet_run_popbell (self, NULL, NULL, "--quit", NULL), ==, 0);
  g_assert_false (pb_test_applet_name_has_owner (self, APP_ID));

  if (self->applet == NULL && self->activatable)
    {
      pb_test_applet_wait_until (self, log_says_it_exited, self, "the applet exits");
      if (!pb_test_applet_log_mentions (self, "popbell-applet exited with status 0\n"))
        {
          pb_test_applet_print_log (self);
          g_error ("The applet did not exit cleanly");
        }
      /* Logs of later starts by the bus follow in the same file. */
      g_unlink (self->log_path);
      return;
    }

  g_subprocess_wait_async (self->applet, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, PB_TEST_APPLET_WAIT_SECONDS);
  g_subprocess_wait_finish (self->applet, result, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (self->applet) ||
      g_subprocess_get_exit_status (self->applet) != 0)
    {
      pb_test_applet_print_log (self);
      g_error ("The applet did not exit cleanly");
    }
  if (g_test_verbose ())
    pb_test_applet_print_log (self);
  g_clear_object (&self->applet);
}

GVariant *
pb_test_applet_call_mock (PbTestApplet *self,
                          const char   *method,
                          GVariant     *parameters,
                          const char   *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (self->connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                                       MOCK_IFACE, method, parameters,
                                       reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

GPtrArray *
pb_test_applet_get_notify_calls (PbTestApplet *self)
{
  g_autoptr(GVariant) reply = pb_test_applet_call_mock (self, "GetMethodCalls",
                                                        g_variant_new ("(s)", "Notify"),
                                                        "(a(tav))");
  g_autoptr(GVariantIter) calls = NULL;
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariantIter *args;

  g_variant_get (reply, "(a(tav))", &calls);
  while (g_variant_iter_next (calls, "(tav)", NULL, &args))
    {
      g_autoptr(GPtrArray) items = NULL;
      GVariant *item;

      items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
      while (g_variant_iter_next (args, "v", &item))
        g_ptr_array_add (items, item);
      g_ptr_array_add (result, g_variant_ref_sink (g_variant_new_tuple ((GVariant **) items->pdata,
                                                                        items->len)));
      g_variant_iter_free (args);
    }
  return result;
}

/* The mock server's own counter for new notifications, the replaced ID
 * otherwise. */
guint32
pb_test_applet_notification_id (GPtrArray *calls,
                                guint      index)
{
  guint32 next = 1;

  for (guint i = 0; i < index; i++)
    if (pb_test_notify_call_get_replaces_id (g_ptr_array_index (calls, i)) == 0)
      next++;
  if (pb_test_notify_call_get_replaces_id (g_ptr_array_index (calls, index)) != 0)
    return pb_test_notify_call_get_replaces_id (g_ptr_array_index (calls, index));
  return next;
}

void
pb_test_applet_invoke_action (PbTestApplet *self,
                              guint32       id,
                              const char   *action)
{
  GVariant *args[] = { g_variant_new_variant (g_variant_new_uint32 (id)),
                       g_variant_new_variant (g_variant_new_string (action)) };
  g_autoptr(GVariant) reply = NULL;

  reply = pb_test_applet_call_mock (self, "EmitSignal",
                                    g_variant_new ("(sss@av)", NOTIFICATIONS_NAME, "ActionInvoked",
                                                   "us",
                                                   g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                                                        args, 2)),
                                    NULL);
}
