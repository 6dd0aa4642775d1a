/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-cli-private.h"
#include "pb-cli.h"
/* The names of the applet's actions, which the windows use too. */
#include "app/core/pb-actions.h"

/* The options and which room of the command line handles them:
 *   pb-cli-check.c     --check, its text and JSON output
 *   pb-cli-discover.c  --discover
 *   pb-cli-accounts.c  --add-account, --edit-account, --set-password,
 *                      --list-accounts, --remove-account
 *   pb-cli-sign-in.c   --sign-in, and the sign-in of --add-account --oauth
 *   pb-cli-trust.c     --trust, --forget-trust
 *   pb-cli-remote.c    the running applet: --check-now, --show, --quit…
 * Every change to accounts, pins, state and passwords goes through
 * app/core/pb-account-admin.h, as the windows' changes do. */

static const GOptionEntry cli_entries[] = {
  { "check", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Check the configured accounts once and print what is new"), NULL },
  { "account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --check or --check-now: only this account"), N_("ID") },
  { "json", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --check, --list-accounts, --discover or --watch: print JSON"), NULL },
  { "discover", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Show the server the setup wizard would propose for an address (no password, no login)"),
    N_("ADDRESS") },
  { "offline", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --discover: ask only the built-in list and your providers.ini, not the network"),
    NULL },
  { "add-account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Add an account (password from standard input or a prompt)"), N_("ID") },
  { "edit-account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Change an account's settings (with --host, --port, --security, --user, --name, "
       "--interval, --enable, --disable, --notify-new, --sound, --notify-problems or --webmail)"),
    N_("ID") },
  { "no-verify", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --add-account or --edit-account: don't log in to test the settings first"), NULL },
  { "enable", 0, 0, G_OPTION_ARG_NONE, NULL, N_("With --edit-account: check the account again"),
    NULL },
  { "disable", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --edit-account: stop checking the account (it stays configured)"), NULL },
  { "host", 0, 0, G_OPTION_ARG_STRING, NULL, N_("With --add-account or --edit-account: the POP3 server"), N_("HOST") },
  { "port", 0, 0, G_OPTION_ARG_INT, NULL, N_("With --add-account or --edit-account: the port (995 or 110 by default)"), N_("N") },
  { "security", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account or --edit-account: tls (implicit TLS) or starttls (STLS)"), N_("MODE") },
  { "user", 0, 0, G_OPTION_ARG_STRING, NULL, N_("With --add-account or --edit-account: the user name"), N_("USER") },
  { "name", 0, 0, G_OPTION_ARG_STRING, NULL, N_("With --add-account or --edit-account: a display name"), N_("TEXT") },
  { "interval", 0, 0, G_OPTION_ARG_INT, NULL,
    N_("With --add-account or --edit-account: minutes between checks (default 5)"), N_("MINUTES") },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("With --add-account or --edit-account: also trust the CAs in this PEM file"), N_("PEM") },
  { "notify-new", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account or --edit-account: notifications about new mail (yes or no)"),
    N_("YES|NO") },
  { "sound", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account or --edit-account: the sound of new mail, a sound theme name "
       "(message-new-email by default) or none"), N_("NAME") },
  { "webmail", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account or --edit-account: an https:// address opened instead of the mail "
       "client, or none"), N_("URL") },
  { "notify-problems", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account or --edit-account: notifications about problems (yes or no)"),
    N_("YES|NO") },
  { "oauth", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account or --sign-in: sign in with this OAuth2 provider (google, microsoft, "
       "or one of oauth2.ini) instead of a password"), N_("PROVIDER") },
  { "set-password", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Store a new password for an account"), N_("ID") },
  { "sign-in", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Sign in again for an account that signs in with OAuth2 (or, with --oauth, make it "
       "one)"), N_("ID") },
  { "list-accounts", 0, 0, G_OPTION_ARG_NONE, NULL, N_("List the configured accounts"), NULL },
  { "remove-account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Remove an account with its password and state"), N_("ID") },
  { "trust", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Trust the certificate a server presents (needs --fingerprint)"), N_("HOST:PORT") },
  { "fingerprint", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --trust: the certificate's SHA-256 fingerprint"), N_("SHA256") },
  { "replace", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --trust: replace the certificate already trusted for that server"), NULL },
  { "certificate", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("With --trust: the certificate as a PEM file, instead of asking the server"), N_("FILE") },
  { "forget-trust", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Forget the certificate trusted for a server"), N_("HOST:PORT") },
  { "check-now", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Have the running applet check now (with --account: only that one); starts it if needed"),
    NULL },
  { "show", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the mail window of the applet"), NULL },
  { "preferences", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the preferences of the applet"), NULL },
  { "quit", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Quit the running applet"), NULL },
  { "watch", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print a line whenever what the applet shows changes, for status bars"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version"), NULL },
  { NULL }
};

/* ---- Dispatch ------------------------------------------------------------ */

static int
on_handle_local_options (GApplication *app,
                         GVariantDict *options,
                         gpointer      user_data)
{
  const char *id = NULL;
  gboolean json = g_variant_dict_contains (options, "json");

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("popbell %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "discover", "&s", &id))
    return pb_cli_run_discover (id, g_variant_dict_contains (options, "offline"), json);
  if (g_variant_dict_lookup (options, "add-account", "&s", &id))
    return pb_cli_run_add_account (options, id);
  if (g_variant_dict_lookup (options, "edit-account", "&s", &id))
    return pb_cli_run_edit_account (options, id);
  if (g_variant_dict_lookup (options, "set-password", "&s", &id))
    return pb_cli_run_set_password (id);
  if (g_variant_dict_lookup (options, "sign-in", "&s", &id))
    return pb_cli_run_sign_in (options, id);
  if (g_variant_dict_lookup (options, "remove-account", "&s", &id))
    return pb_cli_run_remove_account (id);
  if (g_variant_dict_contains (options, "list-accounts"))
    return pb_cli_run_list_accounts (json);
  if (g_variant_dict_lookup (options, "trust", "&s", &id))
    return pb_cli_run_trust (options, id);
  if (g_variant_dict_lookup (options, "forget-trust", "&s", &id))
    return pb_cli_run_forget_trust (id);
  if (g_variant_dict_contains (options, "check"))
    {
      g_variant_dict_lookup (options, "account", "&s", &id);
      return pb_cli_run_check (id, json);
    }

  if (g_variant_dict_contains (options, "check-now"))
    {
      g_variant_dict_lookup (options, "account", "&s", &id);
      return pb_cli_run_applet_request (PB_ACTION_CHECK_NOW, g_variant_new_string (id ? id : ""));
    }
  if (g_variant_dict_contains (options, "show"))
    return pb_cli_run_applet_request (PB_ACTION_SHOW_WINDOW, NULL);
  if (g_variant_dict_contains (options, "preferences"))
    return pb_cli_run_applet_request (PB_ACTION_PREFERENCES, NULL);
  if (g_variant_dict_contains (options, "quit"))
    return pb_cli_run_applet_request (PB_ACTION_QUIT, NULL);
  if (g_variant_dict_contains (options, "watch"))
    return pb_cli_run_watch (json);

  /* No option: the desktop applet (shown, when it runs already). */
  return pb_cli_run_applet_request (NULL, NULL);
}

void
pb_cli_add_options (GApplication *app)
{
  g_application_add_main_option_entries (app, cli_entries);
  g_application_set_option_context_parameter_string (app, NULL);
  g_application_set_option_context_summary (app,
    _("Watches POP3 mailboxes over TLS and tells you when new mail arrives.\n"
      "\n"
      "Without options, starts the desktop applet, which checks in the background.\n"
      "--check checks every configured account once and prints what is new."));
  g_signal_connect (app, "handle-local-options", G_CALLBACK (on_handle_local_options), NULL);
}
