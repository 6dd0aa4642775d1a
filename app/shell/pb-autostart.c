/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-autostart"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "app/core/pb-files.h"
#include "app/core/pb-settings.h"
#include "pb-autostart.h"
#include "pb-background-portal.h"

char *
pb_autostart_get_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

static char *
autostart_entry (const char *command)
{
  g_autoptr(GKeyFile) entry = g_key_file_new ();
  const char *group = G_KEY_FILE_DESKTOP_GROUP;

  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_TYPE,
                         G_KEY_FILE_DESKTOP_TYPE_APPLICATION);
  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_NAME, "Popbell");
  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_COMMENT,
                         _("Tells you when new mail arrives"));
  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_EXEC, command);
  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_ICON, APP_ID);
  g_key_file_set_boolean (entry, group, G_KEY_FILE_DESKTOP_KEY_TERMINAL, FALSE);
  g_key_file_set_boolean (entry, group, G_KEY_FILE_DESKTOP_KEY_STARTUP_NOTIFY, FALSE);
  /* Both: some session managers read only one of them. */
  g_key_file_set_boolean (entry, group, G_KEY_FILE_DESKTOP_KEY_HIDDEN, FALSE);
  g_key_file_set_boolean (entry, group, "X-GNOME-Autostart-enabled", TRUE);

  return g_key_file_to_data (entry, NULL, NULL);
}

gboolean
pb_autostart_apply (gboolean     enabled,
                    const char  *command,
                    GError     **error)
{
  g_autofree char *path = pb_autostart_get_path ();

  g_return_val_if_fail (!enabled || (command != NULL && *command != '\0'), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (enabled)
    {
      g_autofree char *contents = autostart_entry (command);

      g_debug ("Starting at login: %s", path);
      return pb_files_write_atomic (path, contents, -1, 0644, error);
    }

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not remove %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  g_debug ("Not starting at login");
  return TRUE;
}

static void
on_background_granted (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean background = FALSE, autostart = FALSE;

  if (pb_background_portal_request_finish (result, &background, &autostart, &error))
    g_debug ("The background portal allows running in the background: %s, at login: %s",
             background ? "yes" : "no", autostart ? "yes" : "no");
  else
    g_debug ("The background portal: %s", error->message);
}

/* Inside Flatpak: the Background portal, which writes the entry itself. */
static void
ask_background_portal (gboolean    enabled,
                       const char *command)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_auto(GStrv) argv = NULL;

  if (bus == NULL || !g_shell_parse_argv (command, NULL, &argv, NULL))
    return;
  pb_background_portal_request_async (bus, enabled, (const char * const *) argv, NULL,
                                      on_background_granted, NULL);
}

/* Writes the entry only once the user has seen the choice (the wizard's
 * "Start Popbell when I log in", or the preference); removing one is always
 * fine. */
static void
apply_setting (GSettings  *settings,
               const char *command)
{
  gboolean enabled = g_settings_get_boolean (settings, PB_SETTINGS_START_AT_LOGIN);
  g_autoptr(GError) error = NULL;

  if (pb_background_portal_is_needed ())
    {
      /* Asked every start: the portal tells the user the applet runs in the
       * background, and answers at once once it was allowed. */
      ask_background_portal (enabled && g_settings_get_boolean (settings,
                                                                PB_SETTINGS_START_AT_LOGIN_ASKED),
                             command);
      return;
    }

  if (enabled && !g_settings_get_boolean (settings, PB_SETTINGS_START_AT_LOGIN_ASKED))
    {
      g_debug ("Not starting at login before the user chose it");
      return;
    }
  if (!pb_autostart_apply (enabled, command, &error))
    g_warning ("%s", error->message);
}

static void
on_settings_changed (GSettings  *settings,
                     const char *key,
                     gpointer    user_data)
{
  const char *command = user_data;

  if (g_strcmp0 (key, PB_SETTINGS_START_AT_LOGIN) == 0 &&
      !g_settings_get_boolean (settings, PB_SETTINGS_START_AT_LOGIN_ASKED))
    {
      /* Changed by the user (the preferences): that is the choice. Applied
       * when the key says so, just below. */
      g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN_ASKED, TRUE);
      return;
    }
  if (g_strcmp0 (key, PB_SETTINGS_START_AT_LOGIN) == 0 ||
      g_strcmp0 (key, PB_SETTINGS_START_AT_LOGIN_ASKED) == 0)
    apply_setting (settings, command);
}

gulong
pb_autostart_follow (GSettings  *settings,
                     const char *command)
{
  gulong handler;

  g_return_val_if_fail (G_IS_SETTINGS (settings), 0);
  g_return_val_if_fail (command != NULL && *command != '\0', 0);

  handler = g_signal_connect_data (settings, "changed", G_CALLBACK (on_settings_changed),
                                   g_strdup (command), (GClosureNotify) G_CALLBACK (g_free), 0);
  apply_setting (settings, command);
  return handler;
}

void
pb_autostart_choose (GSettings *settings,
                     gboolean   start_at_login)
{
  g_return_if_fail (G_IS_SETTINGS (settings));

  /* In this order, so that the entry is written once, as chosen. */
  g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN_ASKED, TRUE);
  g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN, start_at_login);
}

gboolean
pb_autostart_was_chosen (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), FALSE);

  return g_settings_get_boolean (settings, PB_SETTINGS_START_AT_LOGIN_ASKED);
}
