/* SPDX-License-Identifier: GPL-3.0-or-later */
/* popbell-applet: the desktop applet (GTK). The popbell command starts it. */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "app/core/pb-settings.h"
#include "pb-application.h"

/* g_settings_new () aborts on a missing schema; say so in words instead
 * (e.g. when run from a build tree without GSETTINGS_SCHEMA_DIR). */
static gboolean
schema_is_installed (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, PB_SETTINGS_SCHEMA, TRUE);
  return schema != NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(PbApplication) app = NULL;

  setlocale (LC_ALL, "");
  /* POPBELL_LOCALEDIR: translations of an uninstalled build (build-aux/run). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("POPBELL_LOCALEDIR") ? g_getenv ("POPBELL_LOCALEDIR")
                                                                   : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* An applet idles most of its life with no window: opening the display
   * with OpenGL costs it tens of MiB (60 MiB more with a software driver),
   * while its small windows draw well with cairo. Whoever sets GDK_DEBUG
   * decides for themselves. */
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);

  if (!schema_is_installed ())
    {
      g_printerr (_("popbell-applet: the settings schema %s is not installed "
                    "(set GSETTINGS_SCHEMA_DIR when running from a build tree).\n"),
                  PB_SETTINGS_SCHEMA);
      return 1;
    }

  app = pb_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
