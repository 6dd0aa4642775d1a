/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-account-admin.h"
#include "app/core/pb-autoconfig.h"
#include "app/core/pb-checker.h"
#include "app/core/pb-error.h"
#include "app/core/pb-secret-store.h"
#include "app/core/pb-seen-store.h"
#include "pb-cli-private.h"

/* A login test must not hang on a server that doesn't answer. */
#define VERIFY_TIMEOUT_S 15

/* ---- Settings from the options -------------------------------------------- */

/* What --add-account and --edit-account were given; NULL / -1 when not. */
typedef struct
{
  const char *host;
  const char *user;
  const char *name;
  const char *ca_file;
  gboolean    has_security;
  PbSecurity  security;
  gint32      port;       /* -1: not given */
  gint32      interval;   /* -1: not given */
  gboolean    enable;
  gboolean    disable;
  gboolean    no_verify;
  int         notify_new;      /* -1: not given, else TRUE or FALSE */
  const char *sound;
  int         notify_problems; /* -1: not given */
  const char *oauth;      /* --oauth=PROVIDER, or NULL */
  const char *webmail;         /* "none": the mail client */
} Settings;

/* "yes"/"no" (and "true"/"false", "on"/"off") into *@out; FALSE if neither. */
static gboolean
read_yes_no (GVariantDict *options,
             const char   *option,
             int          *out)
{
  const char *text = NULL;

  *out = -1;
  if (!g_variant_dict_lookup (options, option, "&s", &text))
    return TRUE;
  if (g_ascii_strcasecmp (text, "yes") == 0 || g_ascii_strcasecmp (text, "true") == 0 ||
      g_ascii_strcasecmp (text, "on") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (text, "no") == 0 || g_ascii_strcasecmp (text, "false") == 0 ||
           g_ascii_strcasecmp (text, "off") == 0)
    *out = FALSE;
  else
    {
      pb_cli_print_error (_("--%s must be “yes” or “no”."), option);
      return FALSE;
    }
  return TRUE;
}

/* Reads and checks the options; prints what is wrong and returns FALSE. */
static gboolean
read_settings (GVariantDict *options,
               Settings     *settings)
{
  g_autoptr(GError) error = NULL;
  const char *security = NULL;

  *settings = (Settings) { .port = -1, .interval = -1, .notify_new = -1, .notify_problems = -1 };
  g_variant_dict_lookup (options, "host", "&s", &settings->host);
  g_variant_dict_lookup (options, "user", "&s", &settings->user);
  g_variant_dict_lookup (options, "security", "&s", &security);
  g_variant_dict_lookup (options, "name", "&s", &settings->name);
  g_variant_dict_lookup (options, "ca-file", "^&ay", &settings->ca_file);
  g_variant_dict_lookup (options, "port", "i", &settings->port);
  g_variant_dict_lookup (options, "interval", "i", &settings->interval);
  settings->enable = g_variant_dict_contains (options, "enable");
  settings->disable = g_variant_dict_contains (options, "disable");
  settings->no_verify = g_variant_dict_contains (options, "no-verify");
  g_variant_dict_lookup (options, "sound", "&s", &settings->sound);
  g_variant_dict_lookup (options, "webmail", "&s", &settings->webmail);

  if (!read_yes_no (options, "notify-new", &settings->notify_new) ||
      !read_yes_no (options, "notify-problems", &settings->notify_problems))
    return FALSE;
  if (settings->webmail != NULL && g_strcmp0 (settings->webmail, "none") != 0 &&
      !pb_account_webmail_is_valid (settings->webmail))
    {
      pb_cli_print_error (_("--webmail must be an https:// address without a user name or "
                            "password in it, or “none”."));
      return FALSE;
    }
  if (settings->sound != NULL && !pb_account_sound_is_valid (settings->sound))
    {
      pb_cli_print_error (_("--sound must be a sound theme name such as “message-new-email”, "
                            "or “none”."));
      return FALSE;
    }
  g_variant_dict_lookup (options, "oauth", "&s", &settings->oauth);

  if (settings->host != NULL)
    {
      g_autofree char *ascii = pb_host_name_normalize (settings->host, &error);
      if (ascii == NULL)
        {
          pb_cli_print_error ("%s", error->message);
          return FALSE;
        }
    }
  if (settings->user != NULL && !pb_user_name_check (settings->user, &error))
    {
      pb_cli_print_error ("%s", error->message);
      return FALSE;
    }
  if (security != NULL)
    {
      if (!pb_security_from_string (security, &settings->security))
        {
          pb_cli_print_error (_("--security must be “tls” (implicit TLS) or “starttls” (STLS); "
                                "Popbell never sends a password without TLS."));
          return FALSE;
        }
      settings->has_security = TRUE;
    }
  if (settings->port != -1 && (settings->port < 1 || settings->port > 65535))
    {
      pb_cli_print_error (_("--port must be between 1 and 65535."));
      return FALSE;
    }
  if (settings->interval != -1 &&
      (settings->interval < PB_MIN_INTERVAL_MINUTES || settings->interval > PB_MAX_INTERVAL_MINUTES))
    {
      pb_cli_print_error (_("--interval must be at least %d minute."), PB_MIN_INTERVAL_MINUTES);
      return FALSE;
    }
  if (settings->enable && settings->disable)
    {
      pb_cli_print_error (_("--enable and --disable contradict each other."));
      return FALSE;
    }
  if (settings->ca_file != NULL)
    {
      g_autoptr(GList) certs = g_tls_certificate_list_new_from_file (settings->ca_file, &error);
      if (certs == NULL)
        {
          pb_cli_print_error (_("Could not read certificates from %s: %s"), settings->ca_file,
                              error ? error->message : _("no certificate in the file"));
          return FALSE;
        }
      g_list_free_full (g_steal_pointer (&certs), g_object_unref);
    }
  return TRUE;
}

static void
apply_settings (PbAccount      *account,
                const Settings *settings)
{
  if (settings->host != NULL)
    pb_account_set_host (account, settings->host);
  if (settings->user != NULL)
    pb_account_set_user (account, settings->user);
  if (settings->has_security)
    {
      /* A port that followed the old security follows the new one. */
      if (settings->port == -1 &&
          pb_account_get_port (account) == pb_security_default_port (pb_account_get_security (account)))
        pb_account_set_port (account, 0);
      pb_account_set_security (account, settings->security);
    }
  if (settings->port != -1)
    pb_account_set_port (account, (guint16) settings->port);
  if (settings->interval != -1)
    pb_account_set_interval (account, (guint) settings->interval);
  if (settings->name != NULL)
    pb_account_set_display_name (account, settings->name);
  if (settings->ca_file != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (settings->ca_file);
      g_autofree char *absolute = g_file_get_path (file);
      pb_account_set_ca_file (account, absolute);
    }
  if (settings->enable)
    pb_account_set_enabled (account, TRUE);
  if (settings->disable)
    pb_account_set_enabled (account, FALSE);
  if (settings->notify_new != -1)
    pb_account_set_notify_new_mail (account, settings->notify_new);
  if (settings->sound != NULL)
    pb_account_set_sound (account, settings->sound);
  if (settings->notify_problems != -1)
    pb_account_set_notify_problems (account, settings->notify_problems);
  if (settings->webmail != NULL)
    pb_account_set_webmail (account, g_strcmp0 (settings->webmail, "none") != 0
                                     ? settings->webmail : NULL);
}

/* What the built-in provider list knows of the account's server: refuses
 * what can't work there, keeps the interval within its rules. */
static gboolean
follow_provider_rules (PbAccount *account)
{
  g_autoptr(PbServerCandidate) provider = NULL;
  const char *host = pb_account_get_host (account);
  guint interval = pb_account_get_interval (account);
  guint allowed;

  provider = pb_autoconfig_lookup_provider_by_host (host);
  if (provider == NULL)
    return TRUE;
  if (provider->oauth2_only && pb_account_get_oauth2_provider (account) == NULL)
    {
      if (provider->oauth2_provider != NULL)
        /* Translators: a provider (Outlook.com), then its OAuth2 provider's name (microsoft). */
        pb_cli_print_error (_("%s takes only an OAuth2 sign-in for POP3; a password or an app "
                              "password would be refused. Sign in instead with "
                              "--oauth=%s. The account was not changed."),
                            provider->provider_name != NULL ? provider->provider_name : host,
                            provider->oauth2_provider);
      else
        pb_cli_print_error (_("%s takes only an OAuth2 sign-in for POP3, and Popbell knows no "
                              "provider to sign in with there; a password or an app password "
                              "would be refused. The account was not changed."),
                            provider->provider_name != NULL ? provider->provider_name : host);
      return FALSE;
    }
  allowed = pb_server_candidate_clamp_interval (provider, interval);
  if (allowed != interval)
    {
      pb_account_set_interval (account, allowed);
      g_printerr (g_dngettext (GETTEXT_PACKAGE,
                               "popbell: %s refuses checks more often than every minute, so "
                               "the account is checked every minute.\n",
                               "popbell: %s refuses checks more often than every %d minutes, "
                               "so the account is checked every %d minutes.\n", allowed),
                  provider->provider_name != NULL ? provider->provider_name : host,
                  (int) allowed, (int) allowed);
    }
  return TRUE;
}

/* ---- The login test ------------------------------------------------------- */

/* Logs in with the new settings. On success *@listing is what the mailbox
 * holds now: the account's baseline. Prints why it failed otherwise. */
static gboolean
verify_login (PbAccount      *account,
              const char     *password,
              PbPop3Listing **listing)
{
  g_autoptr(PbTrustStore) pins = pb_cli_load_pins ();
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(PbCheckResult) result = NULL;
  g_autofree char *key = NULL;

  if (pins == NULL)
    return FALSE;

  key = pb_trust_key (pb_account_get_host (account), pb_account_get_port (account));
  /* The server is named here: this is where the password goes. */
  g_printerr (_("Logging in to %s as %s to test the settings…\n"), key,
              pb_account_get_user (account));
  pb_checker_login_test_async (account, password, pins, VERIFY_TIMEOUT_S, NULL,
                               pb_cli_store_result, &async);
  pb_cli_wait_for (&async);
  result = pb_checker_login_test_finish (async, listing);
  if (result->error == NULL)
    return TRUE;

  if (g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE) &&
      result->certificate != NULL)
    {
      g_autofree char *hex = pb_certificate_get_sha256 (result->certificate);
      g_autofree char *shown = pb_fingerprint_format (hex);

      pb_cli_print_error ("%s", result->error->message);
      /* Translators: the fingerprint, then the command that trusts it. */
      g_printerr (_("Its SHA-256 fingerprint is\n  %s\nIf you trust it, run\n"
                    "  popbell --trust=%s --fingerprint=%s\nand try again.\n"),
                  shown, key, hex);
    }
  else if (pb_account_get_oauth2_provider (account) != NULL &&
           (g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED) ||
            g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED)))
    pb_cli_print_error (_("%s Check the user name: it must be the address you signed in "
                          "with."), result->error->message);
  else if (g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED))
    pb_cli_print_error (_("%s Check the user name and the password."), result->error->message);
  else
    pb_cli_print_error (_("Could not test the settings: %s To save them anyway, add "
                          "--no-verify."), result->error->message);
  return FALSE;
}

static void
print_baseline (const PbPop3Listing *listing)
{
  if (listing == NULL)
    {
      g_print ("%s\n", _("Not tested: the mail on the server at the first check will be taken "
                         "as read."));
      return;
    }
  g_print (g_dngettext (GETTEXT_PACKAGE,
                        "The %u message on the server now is taken as read; mail that comes "
                        "later is new.\n",
                        "The %u messages on the server now are taken as read; mail that comes "
                        "later is new.\n", listing->count),
           listing->count);
}

/* ---- --add-account -------------------------------------------------------- */

int
pb_cli_run_add_account (GVariantDict *options,
                        const char   *id)
{
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL, NULL, NULL);
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  PbAccountAddition addition = { 0 };
  Settings settings;
  char *password;
  gboolean added;

  if (!pb_account_id_is_valid (id))
    {
      pb_cli_print_error (_("“%s” is not a valid account ID: use 1–64 letters, digits, '.', '_' "
                            "or '-'."), id);
      return PB_CLI_EXIT_USAGE;
    }
  if (!read_settings (options, &settings))
    return PB_CLI_EXIT_USAGE;
  if (settings.host == NULL || settings.user == NULL)
    {
      pb_cli_print_error (_("--add-account needs --host and --user."));
      return PB_CLI_EXIT_USAGE;
    }

  if (settings.oauth != NULL && !pb_oauth2_provider_id_is_valid (settings.oauth))
    {
      pb_cli_print_error (_("“%s” is not a valid OAuth2 provider name."), settings.oauth);
      return PB_CLI_EXIT_USAGE;
    }

  account = pb_account_new (id);
  apply_settings (account, &settings);
  pb_account_set_oauth2_provider (account, settings.oauth);
  if (!follow_provider_rules (account))
    return 1;

  store = pb_cli_load_accounts ();
  if (store == NULL)
    return 1;
  if (pb_account_store_lookup (store, id) != NULL)
    {
      pb_cli_print_error (_("An account “%s” exists already."), id);
      return 1;
    }

  if (settings.oauth != NULL)
    {
      tokens = pb_cli_sign_in (settings.oauth, pb_account_get_user (account));
      if (tokens == NULL)
        {
          pb_cli_print_error (_("The account was not added."));
          return 1;
        }
      /* The access token is what goes to the server, as a password would. */
      password = g_strdup (tokens->access_token);
    }
  else
    {
      prompt = g_strdup_printf (_("Password for %s on %s: "), pb_account_get_user (account),
                                pb_account_get_host (account));
      password = pb_cli_read_password (prompt, &error);
      if (password == NULL)
        {
          pb_cli_print_error (_("%s The account was not added."), error->message);
          return 1;
        }
    }

  if (!settings.no_verify && !verify_login (account, password, &listing))
    {
      pb_cli_free_password (password);
      pb_cli_print_error (_("The account was not added."));
      return 1;
    }

  addition.account = account;
  if (tokens != NULL)
    addition.refresh_token = tokens->refresh_token;
  else
    addition.password = password;
  addition.baseline = listing;
  added = pb_account_admin_add (admin, &addition, NULL, NULL, &error);
  pb_cli_free_password (password);
  if (!added)
    {
      pb_cli_print_error (_("%s The account was not added."), error->message);
      return g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID) ? PB_CLI_EXIT_USAGE
                                                                             : 1;
    }

  g_print (_("Added the account “%s” (%s@%s:%u, %s).\n"), id, pb_account_get_user (account),
           pb_account_get_host (account), pb_account_get_port (account),
           pb_security_to_string (pb_account_get_security (account)));
  if (tokens != NULL && tokens->refresh_token != NULL)
    g_print ("%s\n", _("Its sign-in is in the keyring; Popbell renews its access by itself."));
  else if (tokens != NULL)
    g_print ("%s\n", _("GNOME Online Accounts signs in for it."));
  print_baseline (listing);
  return 0;
}

/* ---- --edit-account ------------------------------------------------------- */

int
pb_cli_run_edit_account (GVariantDict *options,
                         const char   *id)
{
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL, NULL, NULL);
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) edited = NULL;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GError) error = NULL;
  PbAccount *account;
  Settings settings;
  gboolean new_mailbox, reconnect;

  if (!read_settings (options, &settings))
    return PB_CLI_EXIT_USAGE;
  if (settings.host == NULL && settings.user == NULL && settings.name == NULL &&
      settings.ca_file == NULL && !settings.has_security && settings.port == -1 &&
      settings.interval == -1 && !settings.enable && !settings.disable &&
      settings.notify_new == -1 && settings.sound == NULL && settings.notify_problems == -1 &&
      settings.webmail == NULL)
    {
      pb_cli_print_error (_("--edit-account needs what to change: --host, --port, --security, "
                            "--user, --name, --interval, --enable, --disable, --notify-new, "
                            "--sound, --notify-problems or --webmail."));
      return PB_CLI_EXIT_USAGE;
    }

  store = pb_cli_load_accounts ();
  if (store == NULL)
    return 1;
  account = pb_account_store_lookup (store, id);
  if (account == NULL)
    {
      pb_cli_print_error (_("There is no account “%s”. See popbell --list-accounts."), id);
      return 1;
    }

  edited = pb_account_copy (account, NULL);
  apply_settings (edited, &settings);
  if (pb_account_equal (account, edited))
    {
      g_print (_("Nothing to change in “%s”.\n"), id);
      return 0;
    }
  if (!follow_provider_rules (edited))
    return 1;

  new_mailbox = !pb_account_same_mailbox (account, edited);
  reconnect = new_mailbox ||
              pb_account_get_security (account) != pb_account_get_security (edited) ||
              g_strcmp0 (pb_account_get_ca_file (account), pb_account_get_ca_file (edited)) != 0;

  /* New connection settings are tried before they are saved, with the
   * password the account has. */
  if (reconnect && !settings.no_verify && pb_account_get_enabled (edited))
    {
      char *password = pb_secret_lookup_sync (id, TRUE, NULL, &error);
      gboolean verified;

      if (password == NULL)
        {
          pb_cli_print_error (_("Could not get the password of “%s” to test the new settings "
                                "(%s). Nothing was changed; add --no-verify to change them "
                                "without a test."), id, error->message);
          return 1;
        }
      verified = verify_login (edited, password, &listing);
      pb_secret_free (password);
      if (!verified)
        {
          pb_cli_print_error (_("Nothing was changed."));
          return 1;
        }
    }

  if (!pb_account_admin_edit (admin, edited, listing, &error))
    {
      pb_cli_print_error (_("%s Nothing was changed."), error->message);
      return g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID) ? PB_CLI_EXIT_USAGE
                                                                             : 1;
    }

  g_print (_("Changed the account “%s” (%s@%s:%u, %s, every %u min, %s).\n"), id,
           pb_account_get_user (edited), pb_account_get_host (edited),
           pb_account_get_port (edited),
           pb_security_to_string (pb_account_get_security (edited)),
           pb_account_get_interval (edited),
           pb_account_get_enabled (edited) ? _("enabled") : _("disabled"));
  if (new_mailbox)
    print_baseline (listing);
  return 0;
}

/* ---- --set-password --------------------------------------------------------- */

int
pb_cli_run_set_password (const char *id)
{
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL, NULL, NULL);
  g_autoptr(PbAccountStore) store = pb_cli_load_accounts ();
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;
  PbAccount *account;
  char *password;
  gboolean stored;

  if (store == NULL)
    return 1;
  account = pb_account_store_lookup (store, id);
  if (account == NULL)
    {
      pb_cli_print_error (_("There is no account “%s”. See popbell --list-accounts."), id);
      return 1;
    }

  prompt = g_strdup_printf (_("Password for %s on %s: "), pb_account_get_user (account),
                            pb_account_get_host (account));
  password = pb_cli_read_password (prompt, &error);
  if (password == NULL)
    {
      pb_cli_print_error ("%s", error->message);
      return 1;
    }
  stored = pb_account_admin_set_password (admin, id, password, NULL, &error);
  pb_cli_free_password (password);
  if (!stored)
    {
      pb_cli_print_error ("%s", error->message);
      return 1;
    }

  g_print (_("Stored the new password of “%s”.\n"), id);
  return 0;
}

/* ---- --list-accounts -------------------------------------------------------- */

/* The running applet's accounts' last successful checks (ID → unix time),
 * or NULL when it does not run: its own are newer than the state files,
 * where a check that changed nothing is written at most once an hour. The
 * applet is not started for this. */
static GHashTable *
applet_last_checks (void)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *checks;

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (connection != NULL)
    reply = g_dbus_connection_call_sync (connection, APP_ID, "/io/github/popbell/Popbell",
                                         APP_ID "1", "GetAccounts", NULL,
                                         G_VARIANT_TYPE ("(aa{sv})"),
                                         G_DBUS_CALL_FLAGS_NO_AUTO_START, 2000, NULL, &error);
  if (reply == NULL)
    {
      g_debug ("No last checks from the applet: %s", error->message);
      return NULL;
    }

  checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  list = g_variant_get_child_value (reply, 0);
  for (gsize i = 0; i < g_variant_n_children (list); i++)
    {
      g_autoptr(GVariant) dict = g_variant_get_child_value (list, i);
      const char *id = NULL;
      gint64 when = 0;

      if (g_variant_lookup (dict, "id", "&s", &id) &&
          g_variant_lookup (dict, "last-check", "x", &when) && when > 0)
        g_hash_table_insert (checks, g_strdup (id), GSIZE_TO_POINTER ((gsize) when));
    }
  return checks;
}

/* Unix time of the account's last successful check (this or another
 * process), 0 when it was never checked. The state file's header alone is
 * read: listing accounts loads no UIDLs and sets no corrupt file aside. */
static gint64
last_check (PbAccountAdmin *admin,
            GHashTable     *live,
            PbAccount      *account)
{
  g_autofree char *path = pb_account_admin_state_path (admin, pb_account_get_id (account));
  gint64 saved = pb_seen_store_peek_last_check (path);
  gint64 running = live != NULL ? (gint64) GPOINTER_TO_SIZE (g_hash_table_lookup (
                                    live, pb_account_get_id (account))) : 0;

  return MAX (saved, running);
}

int
pb_cli_run_list_accounts (gboolean json)
{
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL, NULL, NULL);
  g_autoptr(PbAccountStore) store = pb_cli_load_accounts ();
  g_autoptr(GHashTable) live = NULL;
  GPtrArray *accounts;

  if (store == NULL)
    return 1;
  accounts = pb_account_store_get_accounts (store);
  live = applet_last_checks ();

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "accounts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < accounts->len; i++)
        {
          PbAccount *account = g_ptr_array_index (accounts, i);
          gint64 checked = last_check (admin, live, account);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, pb_account_get_id (account));
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, pb_account_get_display_name (account));
          json_builder_set_member_name (builder, "host");
          json_builder_add_string_value (builder, pb_account_get_host (account));
          json_builder_set_member_name (builder, "port");
          json_builder_add_int_value (builder, pb_account_get_port (account));
          json_builder_set_member_name (builder, "security");
          json_builder_add_string_value (builder,
                                         pb_security_to_string (pb_account_get_security (account)));
          json_builder_set_member_name (builder, "user");
          json_builder_add_string_value (builder, pb_account_get_user (account));
          json_builder_set_member_name (builder, "enabled");
          json_builder_add_boolean_value (builder, pb_account_get_enabled (account));
          json_builder_set_member_name (builder, "interval");
          json_builder_add_int_value (builder, pb_account_get_interval (account));
          /* null: it signs in with a password. */
          json_builder_set_member_name (builder, "oauth2-provider");
          if (pb_account_get_oauth2_provider (account) != NULL)
            json_builder_add_string_value (builder, pb_account_get_oauth2_provider (account));
          else
            json_builder_add_null_value (builder);
          /* null: not checked yet. */
          json_builder_set_member_name (builder, "last-check");
          if (checked != 0)
            json_builder_add_int_value (builder, checked);
          else
            json_builder_add_null_value (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      pb_cli_print_json (builder);
      return 0;
    }

  if (accounts->len == 0)
    {
      g_print ("%s\n", _("No account is configured."));
      return 0;
    }

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      g_autofree char *name = pb_cli_safe_text (pb_account_get_display_name (account));
      /* TRANSLATORS: the interval between checks */
      g_autofree char *every = g_strdup_printf (_("every %u min"), pb_account_get_interval (account));
      g_autofree char *checked = NULL;
      gint64 when = last_check (admin, live, account);

      if (when != 0)
        {
          g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (when);
          g_autofree char *shown = pb_cli_format_date (date);

          /* Translators: when the account was last checked successfully. */
          checked = g_strdup_printf (_("checked %s"), shown);
        }
      else
        checked = g_strdup (_("not checked yet"));

      g_print ("%s\t%s\t%s@%s:%u\t%s\t%s\t%s\t%s\n",
               pb_account_get_id (account), name,
               pb_account_get_user (account), pb_account_get_host (account),
               pb_account_get_port (account),
               pb_security_to_string (pb_account_get_security (account)),
               /* Translators: whether Popbell checks the account. */
               pb_account_get_enabled (account) ? _("enabled") : _("disabled"),
               every, checked);
    }
  return 0;
}

/* ---- --remove-account ------------------------------------------------------- */

int
pb_cli_run_remove_account (const char *id)
{
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL, NULL, NULL);
  g_autoptr(PbAccount) removed = NULL;
  g_autoptr(GError) error = NULL;

  if (!pb_account_admin_remove (admin, id, &removed, NULL, &error))
    {
      if (g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND))
        pb_cli_print_error (_("There is no account “%s”. See popbell --list-accounts."), id);
      else if (removed == NULL)
        pb_cli_print_error (_("Could not remove the account: %s"), error->message);
      else
        {
          /* Gone, with something left behind. */
          pb_cli_print_error ("%s", error->message);
          g_print (_("Removed the account “%s”.\n"), id);
        }
      return 1;
    }

  g_print (_("Removed the account “%s”.\n"), id);
  return 0;
}
