/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-autoconfig"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pb-account.h"
#include "pb-autoconfig-private.h"
#include "pb-core-resources.h"
#include "pb-error.h"

/* ---- The built-in provider list ------------------------------------------- */

/* The user's own entries ($XDG_CONFIG_HOME/popbell/providers.ini) over the built-in
 * ones: a group of the same name replaces the built-in group as a whole. */
static void
merge_user_providers (GKeyFile *keyfile)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "popbell", "providers.ini",
                                            NULL);
  g_autoptr(GKeyFile) user = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file (user, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Ignoring %s: %s", path, error->message);
      return;
    }

  groups = g_key_file_get_groups (user, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (user, groups[i], NULL, NULL);

      g_key_file_remove_group (keyfile, groups[i], NULL);
      for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
        {
          g_autofree char *value = g_key_file_get_value (user, groups[i], keys[j], NULL);

          if (value != NULL)
            g_key_file_set_value (keyfile, groups[i], keys[j], value);
        }
    }
}

static GKeyFile *
load_providers (void)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data;

  bytes = g_resource_lookup_data (pb_core_get_resource (), PROVIDERS_RESOURCE,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (bytes == NULL)
    {
      g_critical ("The built-in provider list is missing: %s", error->message);
      return NULL;
    }

  data = g_bytes_get_data (bytes, &size);
  if (!g_key_file_load_from_data (keyfile, data, size, G_KEY_FILE_NONE, &error))
    {
      g_critical ("The built-in provider list is broken: %s", error->message);
      return NULL;
    }
  merge_user_providers (keyfile);
  return g_steal_pointer (&keyfile);
}

/* @domain is @suffix or a name below it, label by label. */
static gboolean
domain_has_suffix (const char *domain,
                   const char *suffix)
{
  gsize domain_len = strlen (domain);
  gsize suffix_len = strlen (suffix);

  if (suffix_len == 0)
    return FALSE;
  if (g_ascii_strcasecmp (domain, suffix) == 0)
    return TRUE;
  return domain_len > suffix_len + 1 && domain[domain_len - suffix_len - 1] == '.' &&
         g_ascii_strcasecmp (domain + domain_len - suffix_len, suffix) == 0;
}

/* An exact domain first; else the entry with the longest matching suffix, so that
 * "mail.example.ne.jp;" in one entry wins over "example.ne.jp;" in another. */
static char *
find_provider_group (GKeyFile   *keyfile,
                     const char *domain)
{
  g_auto(GStrv) groups = g_key_file_get_groups (keyfile, NULL);
  const char *best = NULL;
  gsize best_len = 0;

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) domains = g_key_file_get_string_list (keyfile, groups[i], "domains",
                                                          NULL, NULL);

      for (guint j = 0; domains != NULL && domains[j] != NULL; j++)
        {
          if (g_ascii_strcasecmp (domains[j], domain) == 0)
            return g_strdup (groups[i]);
        }
    }

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) suffixes = g_key_file_get_string_list (keyfile, groups[i],
                                                           "domain-suffixes", NULL, NULL);

      for (guint j = 0; suffixes != NULL && suffixes[j] != NULL; j++)
        {
          gsize len = strlen (suffixes[j]);

          if (len > best_len && domain_has_suffix (domain, suffixes[j]))
            {
              best = groups[i];
              best_len = len;
            }
        }
    }
  return g_strdup (best);
}

/* The entry @group, checked: our own data, so a broken entry is a bug. A provider
 * without POP3 gives a candidate with no_pop3 and no host. */
static PbServerCandidate *
provider_entry (GKeyFile       *keyfile,
                const char     *group,
                const Address  *address,
                GError        **error)
{
  g_autofree char *name = g_key_file_get_locale_string (keyfile, group, "name", NULL, NULL);
  g_autofree char *host_text = g_key_file_get_string (keyfile, group, "host", NULL);
  g_autofree char *security_text = g_key_file_get_string (keyfile, group, "security", NULL);
  g_autofree char *form = g_key_file_get_string (keyfile, group, "user", NULL);
  g_autofree char *authentication = g_key_file_get_string (keyfile, group, "authentication",
                                                           NULL);
  g_autofree char *expanded = NULL;
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  PbServerCandidate *candidate;
  PbSecurity security;
  gint port, min_interval;

  if (name == NULL)
    name = g_strdup (group);

  if (g_key_file_has_key (keyfile, group, "pop3", NULL) &&
      !g_key_file_get_boolean (keyfile, group, "pop3", NULL))
    {
      candidate = pb_autoconfig_candidate_new (NULL, 0, PB_SECURITY_TLS, NULL,
                                 PB_AUTOCONFIG_SOURCE_PROVIDER_LIST);
      candidate->provider_name = g_steal_pointer (&name);
      candidate->no_pop3 = TRUE;
      candidate->help_url = g_key_file_get_string (keyfile, group, "help-url", NULL);
      return candidate;
    }

  /* "pop.%EMAILDOMAIN%": a provider whose servers follow the address's domain. */
  if (host_text != NULL)
    expanded = pb_autoconfig_apply_placeholders (host_text, address);
  host = pb_autoconfig_normalize_host (expanded);
  if (host == NULL || !pb_security_from_string (security_text, &security))
    {
      g_critical ("Provider [%s]: bad host or security", group);
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND,
                   _("%s is not in the list of known providers."), address->domain);
      return NULL;
    }

  port = pb_security_default_port (security);
  if (g_key_file_has_key (keyfile, group, "port", NULL))
    port = g_key_file_get_integer (keyfile, group, "port", NULL);
  if (port <= 0 || port > G_MAXUINT16)
    {
      g_critical ("Provider [%s]: bad port", group);
      port = pb_security_default_port (security);
    }

  min_interval = g_key_file_get_integer (keyfile, group, "min-interval", NULL);
  if (min_interval < 0 || min_interval > 24 * 60)
    {
      g_critical ("Provider [%s]: bad min-interval", group);
      min_interval = 0;
    }

  candidate = pb_autoconfig_candidate_new (host, port, security, NULL, PB_AUTOCONFIG_SOURCE_PROVIDER_LIST);
  candidate->ask_user = g_key_file_get_boolean (keyfile, group, "ask-user", NULL);
  if (!candidate->ask_user)
    candidate->user = pb_autoconfig_apply_placeholders (form != NULL ? form : "%EMAILADDRESS%", address);
  candidate->provider_name = g_steal_pointer (&name);
  candidate->needs_app_password = g_key_file_get_boolean (keyfile, group, "needs-app-password",
                                                          NULL);
  candidate->oauth2_only = g_strcmp0 (authentication, "oauth2") == 0;
  candidate->oauth2_provider = g_key_file_get_string (keyfile, group, "oauth2-provider", NULL);
  candidate->min_interval = (guint) min_interval;
  candidate->help_url = g_key_file_get_string (keyfile, group, "help-url", NULL);
  candidate->webmail = g_key_file_get_string (keyfile, group, "webmail", NULL);
  if (candidate->webmail != NULL && !pb_account_webmail_is_valid (candidate->webmail))
    {
      g_critical ("Provider [%s]: bad webmail", group);
      g_clear_pointer (&candidate->webmail, g_free);
    }
  return candidate;
}

static PbServerCandidate *
lookup_entry (const Address  *address,
              GError        **error)
{
  g_autoptr(GKeyFile) keyfile = load_providers ();
  g_autofree char *group = NULL;

  if (keyfile != NULL)
    group = find_provider_group (keyfile, address->domain);
  if (group == NULL)
    {
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND,
                   _("%s is not in the list of known providers."), address->domain);
      return NULL;
    }
  return provider_entry (keyfile, group, address, error);
}

PbServerCandidate *
pb_autoconfig_lookup_builtin (const Address  *address,
                 GError        **error)
{
  PbServerCandidate *candidate = lookup_entry (address, error);

  if (candidate != NULL && candidate->no_pop3)
    {
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3,
                   _("%s does not offer POP3, so Popbell can't check this mailbox."),
                   candidate->provider_name);
      g_clear_pointer (&candidate, pb_server_candidate_free);
    }
  return candidate;
}

PbServerCandidate *
pb_autoconfig_lookup_entry (const char  *address,
                            GError     **error)
{
  g_auto(Address) parsed = { NULL, };

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!pb_autoconfig_parse_address (address, &parsed))
    {
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_ADDRESS,
                   _("“%s” is not an e-mail address."), address != NULL ? address : "");
      return NULL;
    }
  return lookup_entry (&parsed, error);
}

guint
pb_server_candidate_clamp_interval (const PbServerCandidate *candidate,
                                    guint                    interval)
{
  if (candidate != NULL && candidate->min_interval > interval)
    return candidate->min_interval;
  return interval;
}

PbServerCandidate *
pb_autoconfig_lookup_provider_by_host (const char *host)
{
  g_autoptr(GKeyFile) keyfile = load_providers ();
  g_autofree char *wanted = pb_autoconfig_normalize_host (host);
  g_auto(GStrv) groups = NULL;
  Address none = { (char *) "", (char *) "", (char *) "" };

  if (keyfile == NULL || wanted == NULL)
    return NULL;

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *text = g_key_file_get_string (keyfile, groups[i], "host", NULL);
      g_autofree char *provider_host = pb_autoconfig_normalize_host (text);

      if (provider_host != NULL && g_str_equal (provider_host, wanted))
        return provider_entry (keyfile, groups[i], &none, NULL);
    }
  return NULL;
}

/* A mail host named by an MX record, as a provider's "mx-suffixes" list
 * (lower case, ';' separated) names it: the host itself or a name below one. */
static gboolean
mx_matches (const char  *host,
            char *const *suffixes)
{
  for (guint i = 0; suffixes != NULL && suffixes[i] != NULL; i++)
    {
      g_autofree char *suffix = g_ascii_strdown (g_strstrip (suffixes[i]), -1);
      gsize host_len = strlen (host), suffix_len = strlen (suffix);

      if (suffix_len == 0)
        continue;
      if (g_str_equal (host, suffix) ||
          (host_len > suffix_len + 1 && host[host_len - suffix_len - 1] == '.' &&
           g_str_equal (host + host_len - suffix_len, suffix)))
        return TRUE;
    }
  return FALSE;
}

PbServerCandidate *
pb_autoconfig_lookup_mx_provider (const char    *mx_host,
                                  const Address *address)
{
  g_autoptr(GKeyFile) keyfile = load_providers ();
  g_autofree char *host = pb_autoconfig_normalize_host (mx_host);
  g_auto(GStrv) groups = NULL;

  if (keyfile == NULL || host == NULL)
    return NULL;

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) suffixes = g_key_file_get_string_list (keyfile, groups[i], "mx-suffixes",
                                                           NULL, NULL);

      if (mx_matches (host, suffixes))
        return provider_entry (keyfile, groups[i], address, NULL);
    }
  return NULL;
}

static gboolean
is_provider_host (const char *host)
{
  g_autoptr(GKeyFile) keyfile = load_providers ();
  g_auto(GStrv) groups = NULL;

  if (keyfile == NULL)
    return FALSE;

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *text = g_key_file_get_string (keyfile, groups[i], "host", NULL);
      g_autofree char *provider_host = pb_autoconfig_normalize_host (text);

      if (provider_host != NULL && g_str_equal (provider_host, host))
        return TRUE;
    }
  return FALSE;
}

gboolean
pb_autoconfig_host_is_expected (const char *host,
                                const char *domain)
{
  gsize host_len, domain_len;

  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  host_len = strlen (host);
  domain_len = strlen (domain);
  if (domain_len == 0)
    return FALSE;

  /* The domain itself or a name below it, label by label: "evilexample.com" is
   * not below "example.com". */
  if (g_ascii_strcasecmp (host, domain) == 0 ||
      (host_len > domain_len + 1 && host[host_len - domain_len - 1] == '.' &&
       g_ascii_strcasecmp (host + host_len - domain_len, domain) == 0))
    return TRUE;

  /* A hosted domain's records may well point at its provider's server: those
   * names are known here without asking the network. */
  return is_provider_host (host);
}

void
pb_autoconfig_set_invalid_address (GError     **error,
                     const char  *address)
{
  g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_ADDRESS,
               _("“%s” is not an e-mail address."), address != NULL ? address : "");
}

PbServerCandidate *
pb_autoconfig_lookup_provider_full (const char  *address,
                                    GError     **error)
{
  g_auto(Address) parsed = { NULL, };

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!pb_autoconfig_parse_address (address, &parsed))
    {
      pb_autoconfig_set_invalid_address (error, address);
      return NULL;
    }
  return pb_autoconfig_lookup_builtin (&parsed, error);
}

PbServerCandidate *
pb_autoconfig_lookup_provider (const char *address)
{
  return pb_autoconfig_lookup_provider_full (address, NULL);
}
