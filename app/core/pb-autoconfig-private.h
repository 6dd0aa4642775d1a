/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Inside autoconfiguration: what the discovery sequence (pb-autoconfig.c),
 * the built-in provider list (pb-autoconfig-providers.c) and the document
 * parser (pb-autoconfig-document.c) share. Nothing else includes this. */

#include "pb-autoconfig.h"

G_BEGIN_DECLS

#define PROVIDERS_RESOURCE     "/io/github/popbell/Popbell/core/providers.ini"
#define DEFAULT_AUTOCONFIG_URL "https://autoconfig.%s/mail/config-v1.1.xml"
#define DEFAULT_WELLKNOWN_URL  "https://%s/.well-known/autoconfig/mail/config-v1.1.xml"
#define DEFAULT_ISPDB_URL      "https://autoconfig.thunderbird.net/v1.1/"
#define DEFAULT_TIMEOUT        10 /* seconds */
#define DEFAULT_PROBE_TIMEOUT  5
#define MAX_REDIRECTS          5
#define MAX_DEPTH              32   /* a real document nests four deep */
#define MAX_TEXT               1024 /* bytes of one value: a host name, a user-name form */
#define READ_CHUNK             16384

typedef struct
{
  char *address; /* trimmed */
  char *local;
  char *domain;  /* lower case, ASCII (IDNA) */
} Address;

void     pb_autoconfig_address_clear      (Address            *address);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Address, pb_autoconfig_address_clear)

/* An e-mail address, trimmed, split, its domain in ASCII (IDNA). */
gboolean pb_autoconfig_parse_address      (const char         *text,
                                           Address            *out);
/* "%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%" of @form, filled in. */
char    *pb_autoconfig_apply_placeholders (const char         *form,
                                           const Address      *address);
gboolean pb_autoconfig_has_control_chars  (const char         *text);
/* A host name fit to connect to (the one rule, pb_host_name_normalize), or NULL. */
char    *pb_autoconfig_normalize_host     (const char         *text);
void     pb_autoconfig_set_invalid_address (GError           **error,
                                           const char         *address);
PbServerCandidate *pb_autoconfig_candidate_new (const char         *host,
                                                guint16             port,
                                                PbSecurity          security,
                                                const char         *user,
                                                PbAutoconfigSource  source);

/* The built-in list's answer for @address (pb-autoconfig-providers.c). */
PbServerCandidate *pb_autoconfig_lookup_builtin (const Address  *address,
                                                 GError        **error);
/* The built-in provider whose servers receive the mail of domains whose MX
 * records name @mx_host (its "mx-suffixes": Google Workspace, Microsoft 365),
 * with its settings for @address, or NULL. */
PbServerCandidate *pb_autoconfig_lookup_mx_provider (const char    *mx_host,
                                                     const Address *address);
/* An autoconfig document for @address (pb-autoconfig-document.c). */
PbServerCandidate *pb_autoconfig_parse_builtin_document (const char     *xml,
                                                         gsize           len,
                                                         const Address  *address,
                                                         GError        **error);

G_END_DECLS
