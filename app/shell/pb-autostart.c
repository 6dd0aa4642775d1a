/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-autostart"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pb-autostart.h"
#include "pb-files.h"
#include "pb-settings.h"

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
on_start_at_login_changed (GSettings  *settings,
                           const char *key,
                           gpointer    user_data)
{
  const char *command = user_data;
  g_autoptr(GError) error = NULL;

  if (!pb_autostart_apply (g_settings_get_boolean (settings, PB_SETTINGS_START_AT_LOGIN),
                           command, &error))
    g_warning ("%s", error->message);
}

gulong
pb_autostart_follow (GSettings  *settings,
                     const char *command)
{
  gulong handler;

  g_return_val_if_fail (G_IS_SETTINGS (settings), 0);
  g_return_val_if_fail (command != NULL && *command != '\0', 0);

  handler = g_signal_connect_data (settings, "changed::" PB_SETTINGS_START_AT_LOGIN,
                                   G_CALLBACK (on_start_at_login_changed), g_strdup (command),
                                   (GClosureNotify) G_CALLBACK (g_free), 0);
  on_start_at_login_changed (settings, PB_SETTINGS_START_AT_LOGIN, (gpointer) command);
  return handler;
}
