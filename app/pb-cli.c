/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pb-account-store.h"
#include "pb-autoconfig.h"
#include "pb-checker.h"
#include "pb-cli.h"
#include "pb-error.h"
#include "pb-files.h"
#include "pb-pop3-client.h"
#include "pb-secret-store.h"
#include "pb-seen-store.h"
#include "pb-text.h"
#include "pb-tls-trust.h"
/* Only the names of the applet's actions: the command line links no GTK. */
#include "app/shell/pb-actions.h"

#define EXIT_USAGE 2
#define APPLET_OBJECT_PATH "/io/github/popbell/Popbell"
#define APPLET_CALL_TIMEOUT_MS 10000
#define APPLET_QUIT_TIMEOUT_S 10
#define MAX_PARALLEL_CHECKS 4
#define MAX_PASSWORD 4096

static const GOptionEntry cli_entries[] = {
  { "check", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Check the configured accounts once and print what is new"), NULL },
  { "account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --check or --check-now: only this account"), N_("ID") },
  { "json", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --check, --list-accounts or --discover: print JSON"), NULL },
  { "discover", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Show the server the setup wizard would propose for an address (no password, no login)"),
    N_("ADDRESS") },
  { "offline", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --discover: ask only the built-in list and your providers.ini, not the network"),
    NULL },
  { "add-account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Add an account (password from standard input or a prompt)"), N_("ID") },
  { "host", 0, 0, G_OPTION_ARG_STRING, NULL, N_("With --add-account: the POP3 server"), N_("HOST") },
  { "port", 0, 0, G_OPTION_ARG_INT, NULL, N_("With --add-account: the port (995 or 110 by default)"), N_("N") },
  { "security", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account: tls (implicit TLS) or starttls (STLS)"), N_("MODE") },
  { "user", 0, 0, G_OPTION_ARG_STRING, NULL, N_("With --add-account: the user name"), N_("USER") },
  { "name", 0, 0, G_OPTION_ARG_STRING, NULL, N_("With --add-account: a display name"), N_("TEXT") },
  { "interval", 0, 0, G_OPTION_ARG_INT, NULL,
    N_("With --add-account: minutes between checks (default 5)"), N_("MINUTES") },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("With --add-account: also trust the CAs in this PEM file"), N_("PEM") },
  { "set-password", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Store a new password for an account"), N_("ID") },
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
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version"), NULL },
  { NULL }
};

/* ---- Small helpers ------------------------------------------------------ */

/* Text from servers and certificates may hold terminal escapes, bidirectional
 * controls and broken UTF-8: one line of plain characters, the cleaner every
 * face shares. */
static char *
safe_text (const char *text)
{
  return pb_text_clean (text, -1, 0);
}

static void
print_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static void
print_error (const char *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;
  g_autofree char *safe = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  safe = safe_text (message);
  g_printerr ("popbell: %s\n", safe);
}

static char *
format_date (GDateTime *date)
{
  g_autoptr(GDateTime) local = NULL;

  if (date == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (date);
  /* Translators: a date and time in the terminal, see g_date_time_format(). */
  return g_date_time_format (local, _("%Y-%m-%d %H:%M"));
}

static char *
format_iso8601 (GDateTime *date)
{
  return date ? g_date_time_format_iso8601 (date) : NULL;
}

static gboolean
parse_host_port (const char  *text,
                 char       **host,
                 guint16     *port)
{
  const char *colon;
  g_autofree char *h = NULL;
  guint64 p = 0;

  if (text == NULL || *text == '\0')
    return FALSE;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');
      if (end == NULL || end[1] != ':')
        return FALSE;
      h = g_strndup (text + 1, end - text - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL)
        return FALSE;
      h = g_strndup (text, colon - text);
    }

  if (*h == '\0' || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL))
    return FALSE;

  *host = g_steal_pointer (&h);
  *port = (guint16) p;
  return TRUE;
}

/* Reads a password from standard input when it is not a terminal (one line),
 * else prompts on the terminal without echo. NULL with @error on failure. */
static char *
read_password (const char  *prompt,
               GError     **error)
{
  char buffer[MAX_PASSWORD + 2];
  gboolean interactive = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  gboolean restored = TRUE;
  size_t len;
  char *result;

  if (interactive)
    {
      g_printerr ("%s", prompt);
      if (tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          quiet = saved;
          quiet.c_lflag &= ~(ECHO);
          quiet.c_lflag |= ECHONL;
          restored = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) != 0;
        }
    }

  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    buffer[0] = '\0';

  if (interactive && !restored)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);

  len = strlen (buffer);
  if (len > MAX_PASSWORD)
    {
      explicit_bzero (buffer, sizeof buffer);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The password is too long."));
      return NULL;
    }
  while (len > 0 && (buffer[len - 1] == '\n' || buffer[len - 1] == '\r'))
    buffer[--len] = '\0';

  if (len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           interactive ? _("No password was entered.")
                                       : _("No password was given on standard input."));
      return NULL;
    }

  result = g_strndup (buffer, len);
  explicit_bzero (buffer, sizeof buffer);
  return result;
}

static void
free_password (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

static PbAccountStore *
load_accounts (void)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (NULL);
  g_autoptr(GError) error = NULL;

  if (!pb_account_store_load (store, &error))
    {
      print_error ("%s", error->message);
      /* A corrupt file has been set aside: the store is empty but usable. */
      if (!g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT))
        return NULL;
    }
  return g_steal_pointer (&store);
}

static PbTrustStore *
load_pins (void)
{
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (NULL);
  g_autoptr(GError) error = NULL;

  if (!pb_trust_store_load (pins, &error))
    {
      print_error ("%s", error->message);
      if (!g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT))
        return NULL;
    }
  return g_steal_pointer (&pins);
}

static void
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* ---- --check ------------------------------------------------------------ */

typedef struct
{
  GPtrArray      *accounts;   /* PbAccount* to check */
  PbCheckResult **results;    /* one per account */
  PbTrustStore   *pins;
  guint           next;
  guint           running;
  gboolean        unlock;
} CheckRun;

static void start_next_check (CheckRun *run);

static void
on_check_done (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  CheckRun *run = user_data;
  PbCheckResult *result = pb_checker_check_finish (res);

  for (guint i = 0; i < run->accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (run->accounts, i);
      if (run->results[i] == NULL && g_strcmp0 (pb_account_get_id (account), result->account_id) == 0)
        {
          run->results[i] = result;
          break;
        }
    }
  run->running--;
  start_next_check (run);
}

static void
start_next_check (CheckRun *run)
{
  while (run->running < MAX_PARALLEL_CHECKS && run->next < run->accounts->len)
    {
      PbCheckOptions options = { 0 };

      options.pins = run->pins;
      options.unlock_keyring = run->unlock;
      run->running++;
      pb_checker_check_async (g_ptr_array_index (run->accounts, run->next++), &options,
                              NULL, on_check_done, run);
    }
}

static char *
certificate_trust_command (PbCheckResult *result)
{
  g_autofree char *key = pb_trust_key (result->host, result->port);
  g_autofree char *sha = pb_certificate_get_sha256 (result->certificate);

  return g_strdup_printf ("popbell --trust=%s --fingerprint=%s", key, sha);
}

/* The pin for the result's server when it is not the certificate presented
 * now (transfer none), else NULL: the dialog's "changed" case. */
static const char *
changed_pin (PbTrustStore  *pins,
             PbCheckResult *result)
{
  g_autofree char *sha = pb_certificate_get_sha256 (result->certificate);
  const char *pinned;

  if (pins == NULL || result->host == NULL)
    return NULL;
  pinned = pb_trust_store_get_fingerprint (pins, result->host, result->port);
  return pinned != NULL && g_strcmp0 (pinned, sha) != 0 ? pinned : NULL;
}

static void
print_certificate_text (PbCheckResult *result,
                        PbTrustStore  *pins)
{
  const char *pinned = changed_pin (pins, result);
  g_autoptr(PbCertificateInfo) info = pb_certificate_info_new (result->certificate);
  g_auto(GStrv) problems = pb_certificate_describe_problems (result->certificate_errors,
                                                             result->certificate, result->host);
  g_autofree char *fingerprint = pb_fingerprint_format (info->sha256);
  g_autofree char *subject = safe_text (info->subject);
  g_autofree char *issuer = safe_text (info->issuer);
  g_autofree char *from = format_date (info->not_before);
  g_autofree char *until = format_date (info->not_after);
  g_autofree char *names = g_strjoinv (", ", info->dns_names);
  g_autofree char *safe_names = safe_text (names);

  if (pinned != NULL)
    {
      g_autofree char *old_fingerprint = pb_fingerprint_format (pinned);

      g_print ("  %s\n", _("The certificate has changed since you trusted it. This can happen "
                           "when the server renews its certificate, but it can also mean "
                           "someone is intercepting the connection."));
      /* Translators: followed by the fingerprint of the certificate trusted before. */
      g_print ("  %s %s\n", _("Trusted before:"), old_fingerprint);
      /* Translators: followed by the fingerprint of the certificate presented now. */
      g_print ("  %s %s\n", _("Presented now:"), fingerprint);
    }
  for (guint i = 0; problems[i] != NULL; i++)
    {
      g_autofree char *line = safe_text (problems[i]);
      g_print ("  - %s\n", line);
    }
  /* Translators: whom the certificate was issued to, not a mail subject. */
  g_print ("  %s %s\n", _("Subject:"), subject);
  g_print ("  %s %s\n", _("Issuer:"), issuer);
  /* Translators: followed by the first and the last day the certificate is valid. */
  g_print ("  %s %s – %s\n", _("Valid:"), from, until);
  if (*safe_names != '\0')
    g_print ("  %s %s\n", _("Names:"), safe_names);
  g_print ("  %s %s\n", _("SHA-256:"), fingerprint);

  if (!pb_certificate_problems_allow_pin (result->certificate_errors) ||
      pb_certificate_is_weak (result->certificate))
    {
      g_print ("  %s\n", _("This certificate can't be trusted, not even by you: the server "
                           "needs a new one."));
    }
  else
    {
      g_autofree char *command = certificate_trust_command (result);
      g_print ("  %s\n    %s\n",
               _("Only if you are sure this is your server's certificate, trust it with:"),
               command);
    }
}

static void
print_result_text (PbAccount     *account,
                   PbCheckResult *result,
                   PbTrustStore  *pins)
{
  g_autofree char *name = safe_text (pb_account_get_display_name (account));
  g_autofree char *where = g_strdup_printf ("%s:%u", pb_account_get_host (account),
                                            pb_account_get_port (account));

  if (result->notice != NULL)
    print_error ("%s", result->notice);

  if (result->error != NULL)
    {
      g_autofree char *message = safe_text (result->error->message);

      g_print ("%s (%s): %s\n", name, where, message);
      if (g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE) &&
          result->certificate != NULL)
        print_certificate_text (result, pins);
      return;
    }

  if (result->first_check)
    {
      g_print (g_dngettext (GETTEXT_PACKAGE,
                            "%s (%s): %u message on the server, taken as already seen (first check)\n",
                            "%s (%s): %u messages on the server, taken as already seen (first check)\n",
                            result->total),
               name, where, result->total);
    }
  else
    {
      g_print (g_dngettext (GETTEXT_PACKAGE,
                            "%s (%s): %u new, %u on the server\n",
                            "%s (%s): %u new, %u on the server\n",
                            result->new_count),
               name, where, result->new_count, result->total);
    }

  for (guint i = 0; i < result->messages->len; i++)
    {
      PbMessage *message = g_ptr_array_index (result->messages, i);
      g_autofree char *from = safe_text (message->from);
      g_autofree char *subject = safe_text (message->subject);
      g_autofree char *date = format_date (message->date);

      g_print ("  %s  %s — %s\n", date, from, subject);
    }

  if (result->limits & PB_CHECK_LIMIT_TRUNCATED)
    g_print (_("  (previews of the newest %u only)\n"), result->messages->len);
  if (result->limits & PB_CHECK_LIMIT_NO_UIDL)
    g_print ("  %s\n", _("(the server does not support UIDL: new mail is counted from the number of messages)"));
  if (result->limits & PB_CHECK_LIMIT_NO_TOP)
    g_print ("  %s\n", _("(the server does not support TOP: no senders or subjects)"));
}

static const char *
tls_version_name (GTlsProtocolVersion version)
{
  switch (version)
    {
    case G_TLS_PROTOCOL_VERSION_TLS_1_2:
      return "TLS 1.2";
    case G_TLS_PROTOCOL_VERSION_TLS_1_3:
      return "TLS 1.3";
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    case G_TLS_PROTOCOL_VERSION_SSL_3_0:
    case G_TLS_PROTOCOL_VERSION_TLS_1_0:
    case G_TLS_PROTOCOL_VERSION_TLS_1_1:
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0:
    case G_TLS_PROTOCOL_VERSION_DTLS_1_2:
    default:
      return NULL;
    }
}

static void
add_certificate_json (JsonBuilder   *builder,
                      PbCheckResult *result,
                      PbTrustStore  *pins)
{
  const char *pinned = changed_pin (pins, result);
  g_autoptr(PbCertificateInfo) info = pb_certificate_info_new (result->certificate);
  g_auto(GStrv) problems = pb_certificate_describe_problems (result->certificate_errors,
                                                             result->certificate, result->host);
  g_auto(GStrv) problem_names = pb_certificate_problem_names (result->certificate_errors);
  g_auto(GStrv) weakness_names = pb_certificate_weakness_names (result->certificate);
  g_autofree char *not_before = format_iso8601 (info->not_before);
  g_autofree char *not_after = format_iso8601 (info->not_after);

  json_builder_set_member_name (builder, "certificate");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, result->host);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, result->port);
  json_builder_set_member_name (builder, "sha256");
  json_builder_add_string_value (builder, info->sha256);
  if (pinned != NULL)
    {
      json_builder_set_member_name (builder, "pinned_sha256");
      json_builder_add_string_value (builder, pinned);
    }
  json_builder_set_member_name (builder, "subject");
  json_builder_add_string_value (builder, info->subject);
  json_builder_set_member_name (builder, "issuer");
  json_builder_add_string_value (builder, info->issuer);
  json_builder_set_member_name (builder, "not_before");
  json_builder_add_string_value (builder, not_before);
  json_builder_set_member_name (builder, "not_after");
  json_builder_add_string_value (builder, not_after);
  json_builder_set_member_name (builder, "problems");
  json_builder_begin_array (builder);
  for (guint i = 0; problems[i] != NULL; i++)
    json_builder_add_string_value (builder, problems[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "problem_codes");
  json_builder_begin_array (builder);
  for (guint i = 0; problem_names[i] != NULL; i++)
    json_builder_add_string_value (builder, problem_names[i]);
  for (guint i = 0; weakness_names[i] != NULL; i++)
    json_builder_add_string_value (builder, weakness_names[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "can_trust");
  json_builder_add_boolean_value (builder,
                                  pb_certificate_problems_allow_pin (result->certificate_errors) &&
                                  !pb_certificate_is_weak (result->certificate));
  json_builder_end_object (builder);
}

static void
add_result_json (JsonBuilder   *builder,
                 PbCheckResult *result,
                 PbTrustStore  *pins)
{
  const char *tls = tls_version_name (result->tls_version);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, result->account_id);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, result->error ? "error" : "ok");
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, result->total);
  json_builder_set_member_name (builder, "new_count");
  json_builder_add_int_value (builder, result->new_count);
  json_builder_set_member_name (builder, "first_check");
  json_builder_add_boolean_value (builder, result->first_check);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < result->messages->len; i++)
    {
      PbMessage *message = g_ptr_array_index (result->messages, i);
      g_autofree char *date = format_iso8601 (message->date);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uidl");
      json_builder_add_string_value (builder, message->uidl);
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, message->from);
      json_builder_set_member_name (builder, "subject");
      json_builder_add_string_value (builder, message->subject);
      json_builder_set_member_name (builder, "date");
      json_builder_add_string_value (builder, date);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "limits");
  json_builder_begin_array (builder);
  if (result->limits & PB_CHECK_LIMIT_NO_UIDL)
    json_builder_add_string_value (builder, "no-uidl");
  if (result->limits & PB_CHECK_LIMIT_NO_TOP)
    json_builder_add_string_value (builder, "no-top");
  if (result->limits & PB_CHECK_LIMIT_TRUNCATED)
    json_builder_add_string_value (builder, "previews-truncated");
  json_builder_end_array (builder);

  if (tls != NULL)
    {
      json_builder_set_member_name (builder, "tls_version");
      json_builder_add_string_value (builder, tls);
      json_builder_set_member_name (builder, "trust");
      json_builder_add_string_value (builder, result->trust == PB_TRUST_PINNED ? "pinned" :
                                              result->trust == PB_TRUST_SYSTEM ? "verified" : "rejected");
    }
  json_builder_set_member_name (builder, "commands_sent");
  json_builder_add_int_value (builder, result->commands_sent);
  json_builder_set_member_name (builder, "round_trips");
  json_builder_add_int_value (builder, result->round_trips);
  json_builder_set_member_name (builder, "bytes_received");
  json_builder_add_int_value (builder, (gint64) result->bytes_received);

  if (result->error != NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, pb_error_kind (result->error));
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, result->error->message);
      json_builder_end_object (builder);

      if (g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE) &&
          result->certificate != NULL)
        add_certificate_json (builder, result, pins);
    }
  json_builder_end_object (builder);
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static int
run_check (const char *only_account,
           gboolean    json)
{
  g_autoptr(PbAccountStore) store = load_accounts ();
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  CheckRun run = { 0 };
  int status = 0;

  if (store == NULL)
    return 1;
  pins = load_pins ();
  if (pins == NULL)
    return 1;

  if (only_account != NULL)
    {
      PbAccount *account = pb_account_store_lookup (store, only_account);
      if (account == NULL)
        {
          print_error (_("There is no account “%s”. See popbell --list-accounts."), only_account);
          return 1;
        }
      g_ptr_array_add (accounts, g_object_ref (account));
    }
  else
    {
      GPtrArray *all = pb_account_store_get_accounts (store);

      for (guint i = 0; i < all->len; i++)
        if (pb_account_get_enabled (g_ptr_array_index (all, i)))
          g_ptr_array_add (accounts, g_object_ref (g_ptr_array_index (all, i)));

      if (accounts->len == 0 && !json)
        {
          print_error (_("No account is configured. Add one with: "
                         "popbell --add-account=ID --host=HOST --user=USER"));
          return 1;
        }
    }

  run.accounts = accounts;
  run.results = g_new0 (PbCheckResult *, accounts->len);
  run.pins = pins;
  run.unlock = isatty (STDIN_FILENO);
  start_next_check (&run);
  while (run.running > 0)
    g_main_context_iteration (NULL, TRUE);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "accounts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < accounts->len; i++)
        add_result_json (builder, run.results[i], pins);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      print_json (builder);
    }

  for (guint i = 0; i < accounts->len; i++)
    {
      if (!json)
        print_result_text (g_ptr_array_index (accounts, i), run.results[i], pins);
      if (run.results[i]->error != NULL)
        status = 1;
      pb_check_result_free (run.results[i]);
    }
  g_free (run.results);

  return status;
}

/* ---- Accounts ------------------------------------------------------------ */

static gboolean
store_password (PbAccount *account,
                char      *password)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = pb_secret_store_sync (account, password, NULL, &error);

  free_password (password);
  if (!ok)
    print_error (_("Could not store the password in the keyring: %s"), error->message);
  return ok;
}

/* The mailbox as it is now is taken as read, so that mail arriving from now
 * on is new, however late the first check of the applet comes (a keyring
 * still locked at login, no network yet). A failure only means the first
 * check to succeed takes that role instead: the account stays added. */
static void
record_baseline (PbAccount *account)
{
  g_autoptr(PbTrustStore) pins = load_pins ();
  g_autoptr(GAsyncResult) async = NULL;
  PbCheckOptions options = { 0 };
  PbCheckResult *result;

  options.pins = pins;
  /* Adding an account must not hang on a server that doesn't answer. */
  options.timeout = 15;
  options.deadline = 60;
  pb_checker_check_async (account, &options, NULL, store_result, &async);
  wait_for (&async);
  result = pb_checker_check_finish (async);

  if (result->error == NULL)
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "The %u message on the server now is taken as read; mail that comes "
                          "later is new.\n",
                          "The %u messages on the server now are taken as read; mail that comes "
                          "later is new.\n", result->total),
             result->total);
  else
    print_error (_("Could not look at the mailbox yet (%s); the mail on the server when it is "
                   "first reached will be taken as read."), result->error->message);
  pb_check_result_free (result);
}

static int
run_add_account (GVariantDict *options,
                 const char   *id)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(PbServerCandidate) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;
  const char *host = NULL, *user = NULL, *security = NULL, *name = NULL, *ca_file = NULL;
  gint32 port = 0, interval = PB_DEFAULT_INTERVAL_MINUTES;
  PbSecurity mode = PB_SECURITY_TLS;
  char *password;

  g_variant_dict_lookup (options, "host", "&s", &host);
  g_variant_dict_lookup (options, "user", "&s", &user);
  g_variant_dict_lookup (options, "security", "&s", &security);
  g_variant_dict_lookup (options, "name", "&s", &name);
  g_variant_dict_lookup (options, "ca-file", "^&ay", &ca_file);
  g_variant_dict_lookup (options, "port", "i", &port);
  g_variant_dict_lookup (options, "interval", "i", &interval);

  if (!pb_account_id_is_valid (id))
    {
      print_error (_("“%s” is not a valid account ID: use 1–64 letters, digits, '.', '_' or '-'."), id);
      return EXIT_USAGE;
    }
  if (host == NULL || *host == '\0' || user == NULL || *user == '\0')
    {
      print_error (_("--add-account needs --host and --user."));
      return EXIT_USAGE;
    }
  if (security != NULL && !pb_security_from_string (security, &mode))
    {
      print_error (_("--security must be “tls” (implicit TLS) or “starttls” (STLS); "
                     "Popbell never sends a password without TLS."));
      return EXIT_USAGE;
    }
  if (port < 0 || port > 65535)
    {
      print_error (_("--port must be between 1 and 65535."));
      return EXIT_USAGE;
    }
  if (interval < PB_MIN_INTERVAL_MINUTES)
    {
      print_error (_("--interval must be at least %d minute."), PB_MIN_INTERVAL_MINUTES);
      return EXIT_USAGE;
    }
  if (ca_file != NULL)
    {
      g_autoptr(GList) certs = g_tls_certificate_list_new_from_file (ca_file, &error);
      if (certs == NULL)
        {
          print_error (_("Could not read certificates from %s: %s"), ca_file,
                       error ? error->message : _("no certificate in the file"));
          return EXIT_USAGE;
        }
      g_list_free_full (g_steal_pointer (&certs), g_object_unref);
    }

  /* What is known about the provider whose server this is. */
  provider = pb_autoconfig_lookup_provider_by_host (host);
  if (provider != NULL && provider->oauth2_only)
    {
      print_error (_("%s takes only an OAuth2 sign-in for POP3, which Popbell can’t do yet; a "
                     "password or an app password would be refused. Until then, have the "
                     "provider forward your mail to a mailbox that takes a password. The "
                     "account was not added."),
                   provider->provider_name != NULL ? provider->provider_name : host);
      return 1;
    }
  if (provider != NULL && pb_server_candidate_clamp_interval (provider, (guint) interval) !=
                          (guint) interval)
    {
      interval = (gint32) pb_server_candidate_clamp_interval (provider, (guint) interval);
      g_printerr (g_dngettext (GETTEXT_PACKAGE,
                               "popbell: %s refuses checks more often than every minute, so "
                               "the account is checked every minute.\n",
                               "popbell: %s refuses checks more often than every %d minutes, "
                               "so the account is checked every %d minutes.\n", interval),
                  provider->provider_name != NULL ? provider->provider_name : host, interval,
                  interval);
    }

  store = load_accounts ();
  if (store == NULL)
    return 1;
  if (pb_account_store_lookup (store, id) != NULL)
    {
      print_error (_("An account “%s” exists already."), id);
      return 1;
    }

  account = pb_account_new (id);
  pb_account_set_host (account, host);
  pb_account_set_user (account, user);
  pb_account_set_security (account, mode);
  pb_account_set_port (account, (guint16) port);
  pb_account_set_interval (account, (guint) interval);
  if (name != NULL)
    pb_account_set_display_name (account, name);
  if (ca_file != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (ca_file);
      g_autofree char *absolute = g_file_get_path (file);
      pb_account_set_ca_file (account, absolute);
    }

  if (!pb_account_store_add (store, account, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }

  prompt = g_strdup_printf (_("Password for %s on %s: "), user, host);
  password = read_password (prompt, &error);
  if (password == NULL)
    {
      print_error (_("%s The account was not added."), error->message);
      return 1;
    }

  /* The password first: an account without one would only fail later. */
  if (!store_password (account, password))
    {
      print_error (_("The account was not added."));
      return 1;
    }

  if (!pb_account_store_save (store, &error))
    {
      print_error (_("Could not save the account: %s"), error->message);
      pb_secret_delete_sync (id, NULL, NULL);
      return 1;
    }

  g_print (_("Added the account “%s” (%s@%s:%u, %s).\n"), id, user, pb_account_get_host (account),
           pb_account_get_port (account), pb_security_to_string (mode));
  record_baseline (account);
  return 0;
}

/* ---- --discover ------------------------------------------------------------ */

static const char *
source_name (const PbServerCandidate *candidate)
{
  switch (candidate->source)
    {
    case PB_AUTOCONFIG_SOURCE_PROVIDER_LIST:
      return "built-in";
    case PB_AUTOCONFIG_SOURCE_AUTOCONFIG:
      return candidate->well_known ? "well-known" : "autoconfig";
    case PB_AUTOCONFIG_SOURCE_ISPDB:
      return "ispdb";
    case PB_AUTOCONFIG_SOURCE_SRV:
      return "srv";
    case PB_AUTOCONFIG_SOURCE_PROBE:
      return "guess";
    case PB_AUTOCONFIG_SOURCE_MX:
      return "mx";
    case PB_AUTOCONFIG_SOURCE_MANUAL:
    default:
      return NULL;
    }
}

static void
add_nullable_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_discovery_json (const char              *address,
                      const PbServerCandidate *c,
                      const char              *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gboolean pop3 = c != NULL && !c->no_pop3;

  json_builder_begin_object (builder);
  add_nullable_string (builder, "address", address);
  json_builder_set_member_name (builder, "found");
  json_builder_add_boolean_value (builder, c != NULL);
  json_builder_set_member_name (builder, "pop3");
  json_builder_add_boolean_value (builder, pop3);
  add_nullable_string (builder, "provider", c != NULL ? c->provider_name : NULL);
  add_nullable_string (builder, "host", pop3 ? c->host : NULL);
  json_builder_set_member_name (builder, "port");
  if (pop3)
    json_builder_add_int_value (builder, c->port);
  else
    json_builder_add_null_value (builder);
  add_nullable_string (builder, "security", pop3 ? pb_security_to_string (c->security) : NULL);
  add_nullable_string (builder, "username", pop3 ? c->user : NULL);
  add_nullable_string (builder, "authentication",
                       !pop3 ? NULL : c->oauth2_only ? "oauth2" : "password");
  json_builder_set_member_name (builder, "app_password");
  json_builder_add_boolean_value (builder, pop3 && c->needs_app_password);
  json_builder_set_member_name (builder, "min_interval_minutes");
  if (pop3 && c->min_interval > 0)
    json_builder_add_int_value (builder, c->min_interval);
  else
    json_builder_add_null_value (builder);
  add_nullable_string (builder, "help_url", c != NULL ? c->help_url : NULL);
  add_nullable_string (builder, "source", c != NULL ? source_name (c) : NULL);
  add_nullable_string (builder, "confirm", pop3 ? c->confirm_text : NULL);
  add_nullable_string (builder, "message", message);
  json_builder_end_object (builder);
  print_json (builder);
}

static void
print_discovery_line (const char *caption,
                      const char *value)
{
  g_autofree char *safe = safe_text (value);

  /* Translators: a caption and its value in the output of --discover ("Server: …"). */
  g_print (_("%-16s %s\n"), caption, safe);
}

static void
print_discovery_text (const char              *address,
                      const PbServerCandidate *c,
                      const char              *message)
{
  if (c == NULL)
    {
      g_autofree char *safe = safe_text (message);

      g_print ("%s\n", safe);
      return;
    }

  if (c->provider_name != NULL)
    print_discovery_line (_("Provider:"), c->provider_name);
  if (c->no_pop3)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (_("%s offers no POP3: mail programs reach it over IMAP only, so "
                                "Popbell can’t check this mailbox."),
                              c->provider_name != NULL ? c->provider_name : address);
      print_discovery_line (_("POP3:"), text);
    }
  else
    {
      g_autofree char *server = NULL;
      g_autofree char *interval = NULL;

      /* Translators: the server, its port and the encryption: "pop.example.com:995 (TLS)". */
      server = g_strdup_printf (_("%s:%u (%s)"), c->host, c->port,
                                c->security == PB_SECURITY_STARTTLS ? "STARTTLS" : "TLS");
      print_discovery_line (_("Server:"), server);
      print_discovery_line (_("User name:"), c->user != NULL ? c->user
                            : _("not part of the address: the wizard asks for it"));
      if (c->oauth2_only)
        print_discovery_line (_("Sign-in:"),
                              _("OAuth2 only. Popbell can’t sign in this way yet, and a password "
                                "or an app password would be refused: have the provider forward "
                                "your mail to a mailbox that takes a password."));
      else if (c->needs_app_password)
        print_discovery_line (_("Sign-in:"),
                              _("an app password (a separate password made for mail programs), "
                                "not your usual password"));
      else
        print_discovery_line (_("Sign-in:"), _("password"));
      if (c->min_interval > 0)
        {
          interval = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                   "at most every minute (the provider’s limit)",
                                                   "at most every %u minutes (the provider’s "
                                                   "limit)", c->min_interval),
                                      c->min_interval);
          print_discovery_line (_("Checks:"), interval);
        }
      if (c->confirm_text != NULL)
        print_discovery_line (_("Before login:"), c->confirm_text);
    }
  if (c->help_url != NULL)
    print_discovery_line (_("Help:"), c->help_url);
  print_discovery_line (_("Found in:"), source_name (c));
}

/* --discover: what the setup wizard would propose, from the same search in core; no
 * password is asked and nothing logs in. */
static int
run_discover (const char *address,
              gboolean    offline,
              gboolean    json)
{
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autoptr(GError) error = NULL;

  if (offline)
    {
      candidate = pb_autoconfig_lookup_entry (address, &error);
    }
  else
    {
      g_autoptr(GAsyncResult) result = NULL;

      pb_autoconfig_find_async (address, NULL, NULL, NULL, NULL, store_result, &result);
      wait_for (&result);
      candidate = pb_autoconfig_find_finish (result, &error);
      if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3))
        {
          g_clear_error (&error);
          candidate = pb_autoconfig_lookup_entry (address, &error);
        }
    }

  if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_ADDRESS))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (candidate == NULL && offline)
    {
      g_autofree char *domain = pb_autoconfig_get_domain (address);

      g_clear_error (&error);
      g_set_error (&error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND,
                   _("%s is not in Popbell’s list of providers or your providers.ini. Without "
                     "--offline, Popbell also asks the network."), domain);
    }

  if (json)
    print_discovery_json (address, candidate, error != NULL ? error->message : NULL);
  else
    print_discovery_text (address, candidate, error != NULL ? error->message : NULL);
  return candidate != NULL ? 0 : 1;
}

static int
run_set_password (const char *id)
{
  g_autoptr(PbAccountStore) store = load_accounts ();
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;
  PbAccount *account;
  char *password;

  if (store == NULL)
    return 1;
  account = pb_account_store_lookup (store, id);
  if (account == NULL)
    {
      print_error (_("There is no account “%s”. See popbell --list-accounts."), id);
      return 1;
    }

  prompt = g_strdup_printf (_("Password for %s on %s: "), pb_account_get_user (account),
                            pb_account_get_host (account));
  password = read_password (prompt, &error);
  if (password == NULL)
    {
      print_error ("%s", error->message);
      return 1;
    }
  if (!store_password (account, password))
    return 1;

  g_print (_("Stored the new password of “%s”.\n"), id);
  return 0;
}

static int
run_list_accounts (gboolean json)
{
  g_autoptr(PbAccountStore) store = load_accounts ();
  GPtrArray *accounts;

  if (store == NULL)
    return 1;
  accounts = pb_account_store_get_accounts (store);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "accounts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < accounts->len; i++)
        {
          PbAccount *account = g_ptr_array_index (accounts, i);

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
          json_builder_add_string_value (builder, pb_security_to_string (pb_account_get_security (account)));
          json_builder_set_member_name (builder, "user");
          json_builder_add_string_value (builder, pb_account_get_user (account));
          json_builder_set_member_name (builder, "enabled");
          json_builder_add_boolean_value (builder, pb_account_get_enabled (account));
          json_builder_set_member_name (builder, "interval");
          json_builder_add_int_value (builder, pb_account_get_interval (account));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      print_json (builder);
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
      g_autofree char *name = safe_text (pb_account_get_display_name (account));
      /* TRANSLATORS: the interval between checks */
      g_autofree char *every = g_strdup_printf (_("every %u min"), pb_account_get_interval (account));

      g_print ("%s\t%s\t%s@%s:%u\t%s\t%s\t%s\n",
               pb_account_get_id (account), name,
               pb_account_get_user (account), pb_account_get_host (account),
               pb_account_get_port (account),
               pb_security_to_string (pb_account_get_security (account)),
               /* Translators: whether Popbell checks the account. */
               pb_account_get_enabled (account) ? _("enabled") : _("disabled"),
               every);
    }
  return 0;
}

static gboolean
pin_used_elsewhere (PbAccountStore *store,
                    const char     *host,
                    guint16         port)
{
  GPtrArray *accounts = pb_account_store_get_accounts (store);

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *other = g_ptr_array_index (accounts, i);
      if (g_ascii_strcasecmp (pb_account_get_host (other), host) == 0 &&
          pb_account_get_port (other) == port)
        return TRUE;
    }
  return FALSE;
}

static int
run_remove_account (const char *id)
{
  g_autoptr(PbAccountStore) store = load_accounts ();
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  int status = 0;

  if (store == NULL)
    return 1;
  if (pb_account_store_lookup (store, id) == NULL)
    {
      print_error (_("There is no account “%s”. See popbell --list-accounts."), id);
      return 1;
    }
  account = g_object_ref (pb_account_store_lookup (store, id));

  if (!pb_account_store_remove (store, id, &error) || !pb_account_store_save (store, &error))
    {
      print_error (_("Could not remove the account: %s"), error->message);
      return 1;
    }

  if (!pb_secret_delete_sync (id, NULL, &error))
    {
      print_error (_("The account was removed, but its password could not be deleted "
                     "from the keyring: %s"), error->message);
      g_clear_error (&error);
      status = 1;
    }

  state = pb_seen_store_path_for_account (id);
  if (g_unlink (state) != 0 && errno != ENOENT)
    {
      print_error (_("Could not delete %s: %s"), state, g_strerror (errno));
      status = 1;
    }

  /* The pin belongs to the server; keep it while another account uses it. */
  if (!pin_used_elsewhere (store, pb_account_get_host (account), pb_account_get_port (account)))
    {
      g_autoptr(PbTrustStore) pins = load_pins ();

      if (pins != NULL &&
          pb_trust_store_remove (pins, pb_account_get_host (account),
                                 pb_account_get_port (account), NULL) &&
          !pb_trust_store_save (pins, &error))
        {
          print_error ("%s", error->message);
          status = 1;
        }
    }

  g_print (_("Removed the account “%s”.\n"), id);
  return status;
}

/* ---- Trust --------------------------------------------------------------- */

/* Connects to @host:@port to see the certificate it presents now. */
static GTlsCertificate *
fetch_certificate (PbAccountStore  *store,
                   const char      *host,
                   guint16          port,
                   GError         **error)
{
  g_autoptr(PbPop3Client) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  PbSecurity security = port == 110 ? PB_SECURITY_STARTTLS : PB_SECURITY_TLS;
  const char *ca_file = NULL;
  GPtrArray *accounts = pb_account_store_get_accounts (store);
  GTlsCertificate *certificate;

  /* An account for that server says how to reach it. */
  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      if (g_ascii_strcasecmp (pb_account_get_host (account), host) == 0 &&
          pb_account_get_port (account) == port)
        {
          security = pb_account_get_security (account);
          ca_file = pb_account_get_ca_file (account);
          break;
        }
    }

  client = pb_pop3_client_new (host, port, security);
  pb_pop3_client_set_ca_file (client, ca_file);
  pb_pop3_client_connect_async (client, NULL, store_result, &result);
  wait_for (&result);
  pb_pop3_client_connect_finish (client, result, &local_error);
  pb_pop3_client_quit (client);

  certificate = pb_pop3_client_get_peer_certificate (client);
  if (certificate == NULL)
    {
      if (local_error != NULL)
        g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                    _("Could not get the certificate of %s:%u: "), host, port);
      else
        g_set_error (error, PB_POP3_ERROR, PB_POP3_ERROR_TLS,
                     _("%s:%u presented no certificate."), host, port);
      return NULL;
    }

  if (pb_pop3_client_get_certificate_errors (client) & G_TLS_CERTIFICATE_REVOKED)
    {
      g_set_error (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE,
                   _("The certificate of %s:%u has been revoked; it can't be trusted."), host, port);
      return NULL;
    }

  return g_object_ref (certificate);
}

static int
run_trust (GVariantDict *options,
           const char   *target)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *wanted = NULL;
  g_autofree char *actual = NULL;
  g_autofree char *key = NULL;
  g_autofree char *previous = NULL;
  const char *fingerprint = NULL, *pem_file = NULL;
  gboolean replace = FALSE;
  guint16 port;

  g_variant_dict_lookup (options, "fingerprint", "&s", &fingerprint);
  g_variant_dict_lookup (options, "replace", "b", &replace);
  g_variant_dict_lookup (options, "certificate", "^&ay", &pem_file);

  if (!parse_host_port (target, &host, &port))
    {
      print_error (_("--trust takes HOST:PORT, for example pop.example.com:995."));
      return EXIT_USAGE;
    }
  if (fingerprint == NULL)
    {
      print_error (_("--trust needs --fingerprint=SHA256, as shown by popbell --check."));
      return EXIT_USAGE;
    }
  wanted = pb_fingerprint_normalize (fingerprint);
  if (wanted == NULL)
    {
      print_error (_("“%s” is not a SHA-256 fingerprint (64 hexadecimal digits)."), fingerprint);
      return EXIT_USAGE;
    }

  store = load_accounts ();
  pins = load_pins ();
  if (store == NULL || pins == NULL)
    return 1;

  if (pem_file != NULL)
    certificate = g_tls_certificate_new_from_file (pem_file, &error);
  else
    certificate = fetch_certificate (store, host, port, &error);
  if (certificate == NULL)
    {
      print_error ("%s", error->message);
      return 1;
    }

  /* Whatever the user says: a pin of a weak certificate would never count. */
  if (pb_certificate_is_weak (certificate))
    {
      g_auto(GStrv) weaknesses = pb_certificate_describe_weaknesses (certificate);
      g_autofree char *why = g_strjoinv (" ", weaknesses);

      print_error (_("The certificate of %s:%u can't be trusted: %s Nothing was trusted."),
                   host, port, why);
      return 1;
    }

  actual = pb_certificate_get_sha256 (certificate);
  if (g_strcmp0 (actual, wanted) != 0)
    {
      g_autofree char *shown = pb_fingerprint_format (actual);
      print_error (_("The certificate of %s:%u has a different fingerprint:\n  %s\n"
                     "Nothing was trusted. Check again with popbell --check."),
                   host, port, shown);
      return 1;
    }

  key = pb_trust_key (host, port);
  previous = g_strdup (pb_trust_store_get_fingerprint (pins, host, port));
  if (g_strcmp0 (previous, actual) == 0)
    {
      g_print (_("This certificate is already trusted for %s.\n"), key);
      return 0;
    }
  /* Replacing a pin is what an attacker in the middle would want: only on request. */
  if (previous != NULL && !replace)
    {
      g_autofree char *shown = pb_fingerprint_format (previous);

      print_error (_("Another certificate is already trusted for %s:\n  %s\n"
                     "Nothing was changed. To trust the new one instead, add --replace."),
                   key, shown);
      return 1;
    }

  pb_trust_store_add (pins, host, port, certificate);
  if (!pb_trust_store_save (pins, &error))
    {
      print_error (_("Could not save the trusted certificate: %s"), error->message);
      return 1;
    }

  if (previous != NULL)
    {
      g_autofree char *old_shown = pb_fingerprint_format (previous);
      g_autofree char *new_shown = pb_fingerprint_format (actual);

      g_print (_("Replaced the certificate trusted for %s:\n  %s\n→ %s\n"), key, old_shown,
               new_shown);
      return 0;
    }
  g_print (_("Trusted this certificate for %s only.\n"), key);
  return 0;
}

static int
run_forget_trust (const char *target)
{
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *key = NULL;
  guint16 port;

  if (!parse_host_port (target, &host, &port))
    {
      print_error (_("--forget-trust takes HOST:PORT, for example pop.example.com:995."));
      return EXIT_USAGE;
    }

  pins = load_pins ();
  if (pins == NULL)
    return 1;

  key = pb_trust_key (host, port);
  if (!pb_trust_store_remove (pins, host, port, &error))
    {
      print_error (_("No certificate is trusted for %s."), key);
      return 1;
    }
  if (!pb_trust_store_save (pins, &error))
    {
      print_error ("%s", error->message);
      return 1;
    }

  g_print (_("Forgot the certificate trusted for %s.\n"), key);
  return 0;
}

/* ---- The desktop applet ---------------------------------------------------- */

/* The applet is a separate executable (GTK costs every process that links
 * it), reached here over D-Bus with GIO alone. */

static const char *
applet_path (void)
{
  const char *path = g_getenv ("POPBELL_APPLET");

  return path != NULL && *path != '\0' ? path : POPBELL_APPLET_PATH;
}

/* Replaces this process with the applet; returns only on failure. */
static int
exec_applet (const char *option)
{
  const char *path = applet_path ();
  char *argv[] = { (char *) path, (char *) option, NULL };

  fflush (stdout);
  fflush (stderr);
  execv (path, argv);
  print_error (_("Could not start the applet %s: %s"), path, g_strerror (errno));
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

  g_variant_builder_init (&parameters, G_VARIANT_TYPE ("av"));
  if (parameter != NULL)
    g_variant_builder_add (&parameters, "v", parameter);

  reply = g_dbus_connection_call_sync (connection, APP_ID, APPLET_OBJECT_PATH, "org.gtk.Actions",
                                       "Activate",
                                       g_variant_new ("(sava{sv})", action, &parameters, NULL),
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
static int
run_applet_request (const char *action,
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
      print_error (_("The running applet did not accept the request: %s"), error->message);
      return 1;
    }

  if (g_strcmp0 (action, PB_ACTION_QUIT) == 0 && !wait_until_gone (connection))
    {
      print_error (_("The applet was asked to quit but is still running."));
      return 1;
    }
  return 0;
}

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
    return run_discover (id, g_variant_dict_contains (options, "offline"), json);
  if (g_variant_dict_lookup (options, "add-account", "&s", &id))
    return run_add_account (options, id);
  if (g_variant_dict_lookup (options, "set-password", "&s", &id))
    return run_set_password (id);
  if (g_variant_dict_lookup (options, "remove-account", "&s", &id))
    return run_remove_account (id);
  if (g_variant_dict_contains (options, "list-accounts"))
    return run_list_accounts (json);
  if (g_variant_dict_lookup (options, "trust", "&s", &id))
    return run_trust (options, id);
  if (g_variant_dict_lookup (options, "forget-trust", "&s", &id))
    return run_forget_trust (id);
  if (g_variant_dict_contains (options, "check"))
    {
      g_variant_dict_lookup (options, "account", "&s", &id);
      return run_check (id, json);
    }

  if (g_variant_dict_contains (options, "check-now"))
    {
      g_variant_dict_lookup (options, "account", "&s", &id);
      return run_applet_request (PB_ACTION_CHECK_NOW, g_variant_new_string (id ? id : ""));
    }
  if (g_variant_dict_contains (options, "show"))
    return run_applet_request (PB_ACTION_SHOW_WINDOW, NULL);
  if (g_variant_dict_contains (options, "preferences"))
    return run_applet_request (PB_ACTION_PREFERENCES, NULL);
  if (g_variant_dict_contains (options, "quit"))
    return run_applet_request (PB_ACTION_QUIT, NULL);

  /* No option: the desktop applet (shown, when it runs already). */
  return run_applet_request (NULL, NULL);
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
