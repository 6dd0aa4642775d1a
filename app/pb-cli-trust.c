/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-account-admin.h"
#include "app/core/pb-error.h"
#include "app/core/pb-pop3-client.h"
#include "pb-cli-private.h"

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
  pb_pop3_client_connect_async (client, NULL, pb_cli_store_result, &result);
  pb_cli_wait_for (&result);
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

int
pb_cli_run_trust (GVariantDict *options,
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
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL, NULL, NULL);
  const char *fingerprint = NULL, *pem_file = NULL;
  gboolean replace = FALSE, already;
  guint16 port;

  g_variant_dict_lookup (options, "fingerprint", "&s", &fingerprint);
  g_variant_dict_lookup (options, "replace", "b", &replace);
  g_variant_dict_lookup (options, "certificate", "^&ay", &pem_file);

  if (!pb_cli_parse_host_port (target, &host, &port))
    {
      pb_cli_print_error (_("--trust takes HOST:PORT, for example pop.example.com:995."));
      return PB_CLI_EXIT_USAGE;
    }
  if (fingerprint == NULL)
    {
      pb_cli_print_error (_("--trust needs --fingerprint=SHA256, as shown by popbell --check."));
      return PB_CLI_EXIT_USAGE;
    }
  wanted = pb_fingerprint_normalize (fingerprint);
  if (wanted == NULL)
    {
      pb_cli_print_error (_("“%s” is not a SHA-256 fingerprint (64 hexadecimal digits)."), fingerprint);
      return PB_CLI_EXIT_USAGE;
    }

  store = pb_cli_load_accounts ();
  pins = pb_cli_load_pins ();
  if (store == NULL || pins == NULL)
    return 1;
  already = pb_trust_store_get_fingerprint (pins, host, port) != NULL;

  if (pem_file != NULL)
    certificate = g_tls_certificate_new_from_file (pem_file, &error);
  else
    certificate = fetch_certificate (store, host, port, &error);
  if (certificate == NULL)
    {
      pb_cli_print_error ("%s", error->message);
      return 1;
    }

  /* Whatever the user says: a pin of a weak certificate would never count. */
  if (pb_certificate_is_weak (certificate))
    {
      g_auto(GStrv) weaknesses = pb_certificate_describe_weaknesses (certificate);
      g_autofree char *why = g_strjoinv (" ", weaknesses);

      pb_cli_print_error (_("The certificate of %s:%u can't be trusted: %s Nothing was trusted."),
                   host, port, why);
      return 1;
    }

  actual = pb_certificate_get_sha256 (certificate);
  if (g_strcmp0 (actual, wanted) != 0)
    {
      g_autofree char *shown = pb_fingerprint_format (actual);
      pb_cli_print_error (_("The certificate of %s:%u has a different fingerprint:\n  %s\n"
                     "Nothing was trusted. Check again with popbell --check."),
                   host, port, shown);
      return 1;
    }

  key = pb_trust_key (host, port);
  if (!pb_account_admin_trust (admin, host, port, certificate, replace, &previous, &error))
    {
      if (g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_EXISTS))
        pb_cli_print_error (_("%s\nNothing was changed. To trust the new one instead, add "
                              "--replace."), error->message);
      else
        pb_cli_print_error (_("Could not save the trusted certificate: %s"), error->message);
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
  if (already)
    {
      g_print (_("This certificate is already trusted for %s.\n"), key);
      return 0;
    }
  g_print (_("Trusted this certificate for %s only.\n"), key);
  return 0;
}

int
pb_cli_run_forget_trust (const char *target)
{
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *key = NULL;
  guint16 port;

  if (!pb_cli_parse_host_port (target, &host, &port))
    {
      pb_cli_print_error (_("--forget-trust takes HOST:PORT, for example pop.example.com:995."));
      return PB_CLI_EXIT_USAGE;
    }

  key = pb_trust_key (host, port);
  if (!pb_account_admin_forget (admin, host, port, &error))
    {
      if (g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND))
        pb_cli_print_error (_("No certificate is trusted for %s."), key);
      else
        pb_cli_print_error ("%s", error->message);
      return 1;
    }

  g_print (_("Forgot the certificate trusted for %s.\n"), key);
  return 0;
}
