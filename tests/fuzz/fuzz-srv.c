/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DNS SRV answers into a server candidate (RFC 2782, RFC 6186): whatever a
 * resolver hands over, the answer is no candidate or a POP3 server with a clean
 * host name and a port, and a host outside the address's domain never goes
 * without the user's confirmation. The same records as MX answers (preference,
 * exchange): a hosting service's server comes out only as a clean host name
 * that one of the records named.
 * Input: 1 byte to pick the address (low bits) and the security (bit 7), then
 * records of priority (2 bytes), weight (2), port (2), name length (1), name. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-autoconfig.h"

static const char *const addresses[] = {
  "alice@example.org",
  "山田.太郎@例え.jp",
  "a@b.c",
  "first.last+tag@sub.example.co.jp",
  "bob@gmail.com",
  "not an address",
};

#define MAX_RECORDS 64

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  pb_fuzz_init ();
  return 0;
}

/* The independent statement of the rule: @host is @domain or below it, label by label. */
static gboolean
in_domain (const char *host,
           const char *domain)
{
  gsize host_len = strlen (host);
  gsize domain_len = strlen (domain);

  if (g_ascii_strcasecmp (host, domain) == 0)
    return TRUE;
  return host_len > domain_len + 1 && host[host_len - domain_len - 1] == '.' &&
         g_ascii_strcasecmp (host + host_len - domain_len, domain) == 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autoptr(PbServerCandidate) copy = NULL;
  g_autofree char *domain = NULL;
  GList *targets = NULL;
  g_autoptr(GPtrArray) mx = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *mx_host = NULL;
  const char *service = NULL;
  const char *address;
  PbSecurity security;
  guint offered = 0;
  gsize at = 1;

  if (size < 1)
    return 0;
  address = addresses[(data[0] & 0x7f) % G_N_ELEMENTS (addresses)];
  security = (data[0] & 0x80) != 0 ? PB_SECURITY_STARTTLS : PB_SECURITY_TLS;
  domain = pb_autoconfig_get_domain (address);

  while (at + 7 <= size && g_list_length (targets) < MAX_RECORDS)
    {
      guint16 priority = (guint16) (data[at] << 8 | data[at + 1]);
      guint16 weight = (guint16) (data[at + 2] << 8 | data[at + 3]);
      guint16 port = (guint16) (data[at + 4] << 8 | data[at + 5]);
      gsize len = data[at + 6];
      g_autofree char *name = NULL;

      at += 7;
      len = MIN (len, size - at);
      /* A resolver gives a NUL-terminated string; whatever bytes it held. */
      name = g_strndup ((const char *) data + at, len);
      at += len;
      if (port != 0 && g_strcmp0 (name, ".") != 0 && *name != '\0')
        offered++;
      targets = g_list_append (targets, g_srv_target_new (name, port, priority, weight));
      if (g_utf8_validate (name, -1, NULL))
        {
          g_ptr_array_add (mx, g_variant_ref_sink (g_variant_new ("(qs)", priority, name)));
          g_ptr_array_add (names, g_ascii_strdown (name, -1));
        }
    }

  mx_host = pb_autoconfig_host_from_mx (mx, &service);
  if (mx_host != NULL)
    {
      gboolean named = FALSE;
      gboolean ascii = TRUE;

      pb_fuzz_check (service != NULL && *service != '\0', "a hosting server without its service");
      pb_fuzz_check (pb_fuzz_is_clean_text (mx_host) && *mx_host != '\0',
                     "a bad host name from MX");
      for (const char *p = mx_host; *p != '\0'; p++)
        pb_fuzz_check ((g_ascii_isalnum (*p) && !g_ascii_isupper (*p)) || *p == '-' ||
                       *p == '.', "an MX host with characters a connection should not see");
      /* It is one of the exchanges named, at most without a final dot (names
       * that are not ASCII come out in IDNA form, which this does not redo). */
      for (guint i = 0; i < names->len && !named; i++)
        {
          const char *given = g_ptr_array_index (names, i);
          gsize len = strlen (mx_host);

          if (!g_str_is_ascii (given))
            ascii = FALSE;
          named = g_str_equal (given, mx_host) ||
                  (strncmp (given, mx_host, len) == 0 && g_str_equal (given + len, "."));
        }
      pb_fuzz_check (named || !ascii, "an MX host that no record named");
    }

  candidate = pb_autoconfig_candidate_from_srv (targets, security, address);
  g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);

  if (candidate == NULL)
    return 0;

  pb_fuzz_check (domain != NULL, "a candidate for something that is not an address");
  pb_fuzz_check (offered > 0, "a candidate from records that offer nothing");
  pb_fuzz_check (candidate->host != NULL && *candidate->host != '\0' &&
                 pb_fuzz_is_clean_text (candidate->host), "a bad host name");
  for (const char *p = candidate->host; *p != '\0'; p++)
    pb_fuzz_check ((g_ascii_isalnum (*p) && !g_ascii_isupper (*p)) || *p == '-' || *p == '_' ||
                   *p == '.' || *p == ':',
                   "a host name with characters a connection should not see");
  pb_fuzz_check (candidate->port > 0, "port 0");
  pb_fuzz_check (candidate->security == security, "another security than asked for");
  pb_fuzz_check (candidate->source == PB_AUTOCONFIG_SOURCE_SRV, "not from SRV");
  pb_fuzz_check (g_strcmp0 (candidate->user, address) == 0, "another user name");

  /* The property the function exists for. */
  if (!in_domain (candidate->host, domain))
    pb_fuzz_check (candidate->confirm == PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN ||
                   pb_autoconfig_host_is_expected (candidate->host, domain),
                   "a host outside the domain that needs no confirmation");
  else
    pb_fuzz_check (candidate->confirm == PB_AUTOCONFIG_CONFIRM_NONE,
                   "a host of the domain that asks for confirmation");
  pb_fuzz_check ((candidate->confirm == PB_AUTOCONFIG_CONFIRM_NONE) ==
                 pb_autoconfig_host_is_expected (candidate->host, domain),
                 "the confirmation and the rule disagree");
  if (candidate->confirm != PB_AUTOCONFIG_CONFIRM_NONE)
    pb_fuzz_check (candidate->confirm_text != NULL &&
                   g_utf8_validate (candidate->confirm_text, -1, NULL) &&
                   strstr (candidate->confirm_text, candidate->host) != NULL,
                   "a confirmation that does not name the host");
  else
    pb_fuzz_check (candidate->confirm_text == NULL, "a reason without a confirmation");

  copy = pb_server_candidate_copy (candidate);
  pb_fuzz_check (g_strcmp0 (copy->host, candidate->host) == 0 &&
                 copy->port == candidate->port && copy->confirm == candidate->confirm &&
                 g_strcmp0 (copy->confirm_text, candidate->confirm_text) == 0,
                 "the copy differs");
  return 0;
}
