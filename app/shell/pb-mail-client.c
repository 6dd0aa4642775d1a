/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-mail-client"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-settings.h"
#include "pb-mail-client.h"

/* The preferences hold a plain command line: a '%' in it is meant literally,
 * not as a desktop-entry field code. */
static char *
escape_field_codes (const char *command)
{
  g_autoptr(GString) escaped = g_string_new (command);

  g_string_replace (escaped, "%", "%%", 0);
  return g_string_free (g_steal_pointer (&escaped), FALSE);
}

static GAppInfo *
find_mail_client (GSettings  *settings,
                  GError    **error)
{
  g_autofree char *command = NULL;
  GAppInfo *app;

  if (settings != NULL)
    command = g_strstrip (g_settings_get_string (settings, PB_SETTINGS_MAIL_CLIENT));

  if (command != NULL && *command != '\0')
    {
      g_autofree char *escaped = escape_field_codes (command);
      g_auto(GStrv) argv = NULL;

      /* GIO would only find out when launching, with a less helpful message. */
      if (g_shell_parse_argv (command, NULL, &argv, error))
        app = g_app_info_create_from_commandline (escaped, NULL, G_APP_INFO_CREATE_NONE, error);
      else
        app = NULL;
      if (app == NULL)
        g_prefix_error (error, _("The mail client command in the preferences can't be used: "));
      return app;
    }

  app = g_app_info_get_default_for_uri_scheme ("mailto");
  if (app == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                         _("No mail client is set up. Choose a default mail application in the "
                           "system settings, or enter a command in Popbell's preferences."));
  return app;
}

gboolean
pb_mail_client_open (GSettings          *settings,
                     GAppLaunchContext  *context,
                     GError            **error)
{
  g_autoptr(GAppInfo) app = NULL;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), FALSE);
  g_return_val_if_fail (context == NULL || G_IS_APP_LAUNCH_CONTEXT (context), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  app = find_mail_client (settings, error);
  if (app == NULL)
    return FALSE;

  g_debug ("Opening the mail client %s", g_app_info_get_id (app) ? g_app_info_get_id (app)
                                                                 : g_app_info_get_executable (app));
  /* No address: the client opens on its inbox. */
  if (!g_app_info_launch (app, NULL, context, error))
    {
      g_prefix_error (error, _("Could not start the mail client: "));
      return FALSE;
    }
  return TRUE;
}

gboolean
pb_mail_client_open_for (GSettings          *settings,
                         PbAccount          *account,
                         GAppLaunchContext  *context,
                         GError            **error)
{
  const char *webmail;

  g_return_val_if_fail (account == NULL || PB_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  webmail = account != NULL ? pb_account_get_webmail (account) : NULL;
  if (webmail == NULL)
    return pb_mail_client_open (settings, context, error);

  g_debug ("Opening the webmail of %s", pb_account_get_id (account));
  if (!g_app_info_launch_default_for_uri (webmail, context, error))
    {
      g_prefix_error (error, _("Could not open %s: "), webmail);
      return FALSE;
    }
  return TRUE;
}
