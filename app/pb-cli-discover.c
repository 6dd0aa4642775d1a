/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-autoconfig.h"
#include "app/core/pb-error.h"
#include "pb-cli-private.h"

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
  /* Who signs in to the server with OAuth2 (popbell --add-account --oauth=…). */
  add_nullable_string (builder, "oauth2_provider", pop3 ? c->oauth2_provider : NULL);
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
  pb_cli_print_json (builder);
}

static void
print_discovery_line (const char *caption,
                      const char *value)
{
  g_autofree char *safe = pb_cli_safe_text (value);

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
      g_autofree char *safe = pb_cli_safe_text (message);

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
      if (c->oauth2_only && c->oauth2_provider != NULL)
        {
          g_autofree char *how = NULL;

          /* Translators: the provider to sign in with (microsoft), twice. */
          how = g_strdup_printf (_("OAuth2 only: sign in with %s (popbell --add-account … "
                                   "--oauth=%s); a password or an app password would be "
                                   "refused."), c->oauth2_provider, c->oauth2_provider);
          print_discovery_line (_("Sign-in:"), how);
        }
      else if (c->oauth2_only)
        print_discovery_line (_("Sign-in:"),
                              _("OAuth2 only, with no provider Popbell knows to sign in with; a "
                                "password or an app password would be refused: have the "
                                "provider forward your mail to a mailbox that takes a "
                                "password."));
      else if (c->needs_app_password && c->oauth2_provider != NULL)
        {
          g_autofree char *how = NULL;

          /* Translators: the provider to sign in with (google), twice. */
          how = g_strdup_printf (_("a sign-in with %s (--oauth=%s), or an app password (a "
                                   "separate password made for mail programs), not your usual "
                                   "password"), c->oauth2_provider, c->oauth2_provider);
          print_discovery_line (_("Sign-in:"), how);
        }
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
int
pb_cli_run_discover (const char *address,
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

      pb_autoconfig_find_async (address, NULL, NULL, NULL, NULL, pb_cli_store_result, &result);
      pb_cli_wait_for (&result);
      candidate = pb_autoconfig_find_finish (result, &error);
      if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3))
        {
          g_clear_error (&error);
          candidate = pb_autoconfig_lookup_entry (address, &error);
        }
    }

  if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_ADDRESS))
    {
      pb_cli_print_error ("%s", error->message);
      return PB_CLI_EXIT_USAGE;
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
