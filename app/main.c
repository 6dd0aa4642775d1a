/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "pb-cli.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GApplication) app = NULL;

  setlocale (LC_ALL, "");
  /* POPBELL_LOCALEDIR: translations of an uninstalled build (build-aux/run). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("POPBELL_LOCALEDIR") ? g_getenv ("POPBELL_LOCALEDIR")
                                                                   : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = g_application_new (APP_ID, G_APPLICATION_DEFAULT_FLAGS);
  pb_cli_add_options (app);

  return g_application_run (app, argc, argv);
}
