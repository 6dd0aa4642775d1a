/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "pb-cli-private.h"
/* The names of the applet's actions, which the windows use too. */
#include "app/core/pb-actions.h"

#define APPLET_OBJECT_PATH "/io/github/popbell/Popbell"
#define APPLET_CALL_TIMEOUT_MS 10000
#define APPLET_QUIT_TIMEOUT_S 10

/* ---- The desktop applet ---------------------------------------------------- */

/* The applet is a separate executable (GTK costs every process that links
 * it), reached here over D-Bus with GIO alone. */

static const char *
applet_path (void)
{
  const char *path = g_getenv ("POPBELL_APPLET");

  return path != NULL && *path != '\0' ? path : POPBELL_APPLET_PATH;
}

/* The token a launcher gave this process so that the window it asked for may
 * take the focus: XDG_ACTIVATION_TOKEN (Wayland) or DESKTOP_STARTUP_ID (X11
 * startup notification). NULL when there is none. */
static const char *
activation_token (void)
{
  const char *names[] = { "XDG_ACTIVATION_TOKEN", "DESKTOP_STARTUP_ID" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *token = g_getenv (names[i]);

      if (token != NULL && *token != '\0' && g_utf8_validate (token, -1, NULL))
        return token;
    }
  return NULL;
}

/* Replaces this process with the applet; returns only on failure. */
static int
exec_applet (const char *option)
{
  const char *path = applet_path ();
  char *argv[] = { (char *) path, (char *) option, NULL };

  /* GTK 4.8 reads DESKTOP_STARTUP_ID only, also on Wayland. */
  if (g_getenv ("DESKTOP_STARTUP_ID") == NULL && activation_token () != NULL)
    g_setenv ("DESKTOP_STARTUP_ID", activation_token (), TRUE);
  fflush (stdout);
  fflush (stderr);
  execv (path, argv);
  pb_cli_print_error (_("Could not start the applet %s: %s"), path, g_strerror (errno));
  return 1;
}

static gboolean
applet_is_running (GDBusConnection *connection)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", APP_ID), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    {
      g_debug ("NameHasOwner: %s", error->message);
      return FALSE;
    }
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* The same call a GDBusActionGroup makes, but waiting for the reply, so that
 * a refused action is reported and the request is delivered before exit. */
static gboolean
activate_remote_action (GDBusConnection  *connection,
                        const char       *action,
                        GVariant         *parameter,
                        GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder parameters;
  GVariantBuilder platform_data;
  const char *token = activation_token ();

  g_variant_builder_init (&parameters, G_VARIANT_TYPE ("av"));
  if (parameter != NULL)
    g_variant_builder_add (&parameters, "v", parameter);

  /* The launcher's token goes on to the applet, whose window then may take
   * the focus: GTK 4.8 reads "desktop-startup-id" (on Wayland too), later
   * versions "activation-token" first. */
  g_variant_builder_init (&platform_data, G_VARIANT_TYPE_VARDICT);
  if (token != NULL)
    {
      g_variant_builder_add (&platform_data, "{sv}", "activation-token",
                             g_variant_new_string (token));
      g_variant_builder_add (&platform_data, "{sv}", "desktop-startup-id",
                             g_variant_new_string (token));
    }

  reply = g_dbus_connection_call_sync (connection, APP_ID, APPLET_OBJECT_PATH, "org.gtk.Actions",
                                       "Activate",
                                       g_variant_new ("(sava{sv})", action, &parameters,
                                                      &platform_data),
                                       NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                       APPLET_CALL_TIMEOUT_MS, NULL, error);
  return reply != NULL;
}

static void
on_applet_vanished (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
on_quit_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* So that `popbell --quit && popbell` starts a new applet, not the old one. */
static gboolean
wait_until_gone (GDBusConnection *connection)
{
  gboolean gone = FALSE, timed_out = FALSE;
  guint watch, timeout;

  watch = g_bus_watch_name_on_connection (connection, APP_ID, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          NULL, on_applet_vanished, &gone, NULL);
  timeout = g_timeout_add_seconds (APPLET_QUIT_TIMEOUT_S, on_quit_timeout, &timed_out);
  while (!gone && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_bus_unwatch_name (watch);
  if (!timed_out)
    g_source_remove (timeout);
  return gone;
}

/* --check-now, --show, --preferences, --quit, and no option at all. */
int
pb_cli_run_applet_request (const char *action,
                    GVariant   *parameter)
{
  g_autoptr(GVariant) owned_parameter = parameter ? g_variant_ref_sink (parameter) : NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (connection == NULL)
    g_debug ("No session bus: %s", error->message);

  if (action == NULL || connection == NULL || !applet_is_running (connection))
    {
      if (g_strcmp0 (action, PB_ACTION_QUIT) == 0)
        {
          g_print ("%s\n", _("Popbell is not running."));
          return 0;
        }
      /* Started, the applet checks every account soon anyway. */
      if (g_strcmp0 (action, PB_ACTION_SHOW_WINDOW) == 0)
        return exec_applet ("--show");
      if (g_strcmp0 (action, PB_ACTION_PREFERENCES) == 0)
        return exec_applet ("--preferences");
      return exec_applet (NULL);
    }

  if (!activate_remote_action (connection, action, owned_parameter, &error))
    {
      g_dbus_error_strip_remote_error (error);
      pb_cli_print_error (_("The running applet did not accept the request: %s"), error->message);
      return 1;
    }

  if (g_strcmp0 (action, PB_ACTION_QUIT) == 0 && !wait_until_gone (connection))
    {
      pb_cli_print_error (_("The applet was asked to quit but is still running."));
      return 1;
    }
  return 0;
}
