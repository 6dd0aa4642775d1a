/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-checker.h"
#include "app/core/pb-error.h"
#include "app/core/pb-pop3-client.h"
#include "app/core/pb-seen-store.h"
#include "app/core/pb-text.h"
#include "pb-cli-private.h"

#define MAX_PARALLEL_CHECKS 4

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
  g_autofree char *subject = pb_cli_safe_text (info->subject);
  g_autofree char *issuer = pb_cli_safe_text (info->issuer);
  g_autofree char *from = pb_cli_format_date (info->not_before);
  g_autofree char *until = pb_cli_format_date (info->not_after);
  g_autofree char *names = g_strjoinv (", ", info->dns_names);
  g_autofree char *safe_names = pb_cli_safe_text (names);

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
      g_autofree char *line = pb_cli_safe_text (problems[i]);
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
  g_autofree char *name = pb_cli_safe_text (pb_account_get_display_name (account));
  g_autofree char *where = g_strdup_printf ("%s:%u", pb_account_get_host (account),
                                            pb_account_get_port (account));

  if (result->notice != NULL)
    pb_cli_print_error ("%s", result->notice);

  if (result->error != NULL)
    {
      g_autofree char *message = pb_cli_safe_text (result->error->message);

      g_print ("%s (%s): %s\n", name, where, message);
      if (g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE) &&
          result->certificate != NULL)
        print_certificate_text (result, pins);
      else if (g_str_equal (pb_error_kind (result->error), "sign-in"))
        /* Translators: the command that signs in again. */
        g_print (_("  To sign in again: popbell --sign-in=%s\n"), pb_account_get_id (account));
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
      g_autofree char *from = pb_cli_safe_text (message->from);
      g_autofree char *subject = pb_cli_safe_text (message->subject);
      g_autofree char *date = pb_cli_format_date (message->date);

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
  g_autofree char *not_before = pb_cli_format_iso8601 (info->not_before);
  g_autofree char *not_after = pb_cli_format_iso8601 (info->not_after);

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
      g_autofree char *date = pb_cli_format_iso8601 (message->date);

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

int
pb_cli_run_check (const char *only_account,
           gboolean    json)
{
  g_autoptr(PbAccountStore) store = pb_cli_load_accounts ();
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  CheckRun run = { 0 };
  int status = 0;

  if (store == NULL)
    return 1;
  pins = pb_cli_load_pins ();
  if (pins == NULL)
    return 1;

  if (only_account != NULL)
    {
      PbAccount *account = pb_account_store_lookup (store, only_account);
      if (account == NULL)
        {
          pb_cli_print_error (_("There is no account “%s”. See popbell --list-accounts."), only_account);
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
          pb_cli_print_error (_("No account is configured. Add one with: "
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
      pb_cli_print_json (builder);
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
