/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-account.h"

G_BEGIN_DECLS

/* Finding the POP3 server of an e-mail address, for the setup wizard.
 * In order, stopping at the first source that gives a POP3-over-TLS server:
 *   1. the built-in provider list (big international providers, major
 *      Japanese ISPs and mail services), under the user's own
 *      $XDG_CONFIG_HOME/popbell/providers.ini; a provider that takes only OAuth2 is
 *      returned marked oauth2_only, and the faces send it no password;
 *   2. the domain's autoconfig document (https://autoconfig.<domain>/mail/config-v1.1.xml
 *      and https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml,
 *      Thunderbird's format; both are asked with ?emailaddress=<address>, as
 *      Thunderbird does), then the ISPDB (<ispdb>/<domain>, without the
 *      address), over HTTPS with libsoup;
 *   3. DNS SRV _pop3s._tcp.<domain>, then _pop3._tcp.<domain> (RFC 6186);
 *   4. the domain's MX records: a domain on Google Workspace or Microsoft 365 gets
 *      that provider's settings from the list; a hosting service's server they name
 *      (Xserver's sv<N>.xserver.jp) is probed on 995 then STLS on 110; then probing pop.<domain>,
 *      pop3.<domain>, mail.<domain> on 995, then STLS on 110.
 * Only POP3 over TLS is ever proposed; a server found to offer only
 * plaintext is reported as unsafe (PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT).
 * 3 and 4 are not authenticated: a host they give outside the address's domain,
 * or any host they give after an HTTPS source failed, carries a PbAutoconfigConfirm
 * that the wizard asks the user about before logging in. */

typedef enum
{
  PB_AUTOCONFIG_SOURCE_PROVIDER_LIST,
  PB_AUTOCONFIG_SOURCE_AUTOCONFIG,
  PB_AUTOCONFIG_SOURCE_ISPDB,
  PB_AUTOCONFIG_SOURCE_SRV,
  PB_AUTOCONFIG_SOURCE_PROBE,
  PB_AUTOCONFIG_SOURCE_MANUAL,
  PB_AUTOCONFIG_SOURCE_MX,       /* a hosting service's server, named by the domain's MX
                                  * records and tried as a guess (a probe) */
} PbAutoconfigSource;

#define PB_AUTOCONFIG_ERROR (pb_autoconfig_error_quark ())
typedef enum
{
  PB_AUTOCONFIG_ERROR_INVALID_ADDRESS, /* not user@domain */
  PB_AUTOCONFIG_ERROR_NOT_FOUND,       /* no source knew a POP3 server over TLS */
  PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT,  /* a server exists but offers no TLS: unsafe */
  PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,/* an autoconfig document that can't be read */
  PB_AUTOCONFIG_ERROR_NO_POP3,         /* the provider is known to offer no POP3 (iCloud) */
  PB_AUTOCONFIG_ERROR_SOURCE_FAILED,   /* an HTTPS source answered wrongly (HTTP error, cut off) */
} PbAutoconfigError;

/* Whether the user must confirm a candidate's host before any login. DNS and
 * guessed names are not authenticated: anyone who can answer for the network
 * can name a server of theirs, with a valid certificate for it (RFC 6186 §6). */
typedef enum
{
  PB_AUTOCONFIG_CONFIRM_NONE,           /* an authenticated source, or a host of the domain */
  PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN, /* DNS named a host outside the address's domain
                                         * that is no built-in provider's server */
  PB_AUTOCONFIG_CONFIRM_AFTER_FAILURE,  /* an HTTPS source failed, and only an
                                         * unauthenticated one answered after it */
} PbAutoconfigConfirm;

GQuark pb_autoconfig_error_quark (void);

/* A server found for an address. */
typedef struct
{
  char               *host;
  guint16             port;
  PbSecurity          security;
  char               *user;            /* the user name for this address (form applied), or
                                        * NULL when the user must type it (ask_user) */
  PbAutoconfigSource  source;
  char               *provider_name;   /* e.g. "Gmail", or NULL */
  gboolean            needs_app_password; /* the provider wants an app password for POP3 */
  char               *help_url;        /* where the provider explains it, or NULL */
  PbAutoconfigConfirm confirm;         /* ask the user before sending the password */
  char               *confirm_text;    /* why, a sentence naming the host; NULL when NONE */
  gboolean            ask_user;        /* the user name is not part of the address: ask */
  gboolean            oauth2_only;     /* the server takes only an OAuth2 sign-in: a password
                                        * login is certain to fail, so none is tried */
  char               *oauth2_provider; /* the OAuth2 provider that signs in to it ("google",
                                        * "microsoft"; pb-oauth2-provider.h), or NULL */
  guint               min_interval;    /* minutes the provider wants between checks, or 0 */
  gboolean            no_pop3;         /* the provider offers no POP3 (host is NULL); only
                                        * pb_autoconfig_lookup_entry gives such a candidate */
  gboolean            well_known;      /* SOURCE_AUTOCONFIG: from the .well-known URL */
  char               *webmail;         /* the provider's web mail (https://), or NULL */
} PbServerCandidate;

void               pb_server_candidate_free (PbServerCandidate *candidate);
PbServerCandidate *pb_server_candidate_copy (const PbServerCandidate *candidate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbServerCandidate, pb_server_candidate_free)

/* Where to look; every field may be NULL/0 for the real defaults, and the
 * whole struct may be NULL. Tests point the URLs at a local server and give a
 * resolver with canned answers. Every URL must be https://; redirects are
 * followed only to https:// too. */
typedef struct
{
  const char *autoconfig_url;  /* template, %s for the domain; NULL:
                                * https://autoconfig.%s/mail/config-v1.1.xml */
  const char *wellknown_url;   /* template, %s for the domain; NULL:
                                * https://%s/.well-known/autoconfig/mail/config-v1.1.xml */
  const char *ispdb_url;       /* base, the domain is appended; NULL: https://autoconfig.thunderbird.net/v1.1/ */
  GTlsDatabase *http_tls_database; /* for the test HTTPS server; NULL: the system's */
  GResolver  *resolver;        /* for SRV; NULL: g_resolver_get_default (). Probing
                                * connects by name, through the default resolver. */
  guint16     probe_tls_port;  /* 0: 995 (tests use a free port) */
  guint16     probe_starttls_port; /* 0: 110 */
  const char *probe_ca_file;   /* extra CA for probing (tests), NULL */
  guint       timeout;         /* seconds per step (one URL, one SRV query, one probe);
                                * 0: 10, and 5 for each probe */
  gboolean    skip_probing;
} PbAutoconfigOptions;

/* The domain of @address, lower-cased, or NULL when @address is not an address. */
char *pb_autoconfig_get_domain (const char *address);

/* Parses a Thunderbird autoconfig document: the first POP3 incoming server
 * with SSL or STARTTLS socket type, its user-name form applied to @address.
 * NULL with PB_AUTOCONFIG_ERROR_NOT_FOUND (no POP3 over TLS in it: plain POP3
 * only gives ONLY_PLAINTEXT) or INVALID_DOCUMENT (not XML, not a clientConfig,
 * over PB_AUTOCONFIG_MAX_DOCUMENT bytes, nested too deeply). */
#define PB_AUTOCONFIG_MAX_DOCUMENT (1024 * 1024)
PbServerCandidate *pb_autoconfig_parse_document (const char  *xml,
                                                 gssize       len,
                                                 const char  *address,
                                                 GError     **error);

/* The built-in provider list entry for @address's domain, or NULL (also for
 * a provider known to offer no POP3). */
PbServerCandidate *pb_autoconfig_lookup_provider (const char *address);
/* The same, saying why there is none: PB_AUTOCONFIG_ERROR_INVALID_ADDRESS,
 * NOT_FOUND (the domain is not in the list) or NO_POP3 (the provider offers
 * no POP3, e.g. iCloud; the message names it). */
PbServerCandidate *pb_autoconfig_lookup_provider_full (const char  *address,
                                                       GError     **error);

/* The built-in provider list entry for @address, the user's own
 * $XDG_CONFIG_HOME/popbell/providers.ini (same format) taking precedence, also when the
 * provider offers no POP3 (then no_pop3 is set and host is NULL): what `popbell
 * --discover --offline` shows. NULL with INVALID_ADDRESS or NOT_FOUND. */
PbServerCandidate *pb_autoconfig_lookup_entry (const char  *address,
                                               GError     **error);

/* @interval raised to the provider's minimum, when @candidate has one. */
guint              pb_server_candidate_clamp_interval (const PbServerCandidate *candidate,
                                                       guint                    interval);

/* The provider entry whose server is @host (user name forms aside), for an account
 * typed in by hand; NULL when no entry names it. */
PbServerCandidate *pb_autoconfig_lookup_provider_by_host (const char *host);

/* TRUE when a password may go to @host, named by an unauthenticated source for an
 * address in @domain, without asking: @host is @domain or a name below it, or a
 * built-in provider's server. Both lower case, as pb_autoconfig_get_domain gives. */
gboolean           pb_autoconfig_host_is_expected (const char *host,
                                                   const char *domain);

/* The candidate a DNS SRV answer (@targets, GSrvTarget*, not consumed) gives for
 * @address: targets "." and port 0 mean "not offered" (RFC 2782); the others in
 * priority and weight order, the first with a usable host name wins. Its confirm
 * is OUTSIDE_DOMAIN unless pb_autoconfig_host_is_expected. NULL when none is
 * usable (or @address is not an address). */
PbServerCandidate *pb_autoconfig_candidate_from_srv (GList      *targets,
                                                     PbSecurity  security,
                                                     const char *address);

/* The POP3 server a hosting service runs for a domain whose MX records
 * (@records, GVariant "(qs)", sorted here by preference) name one of its
 * servers, with the service's name in @service; NULL when none does. */
char              *pb_autoconfig_host_from_mx       (GPtrArray   *records,
                                                     const char **service);
/* The candidate for @address of the built-in provider whose servers the
 * domain's MX records (@records, as above) name: Google Workspace
 * (aspmx.l.google.com and its alternates, smtp.google.com) or Microsoft 365
 * (<tenant>.mail.protection.outlook.com), with that provider's POP3 server,
 * sign-in and webmail; source MX. NULL when none does. */
PbServerCandidate *pb_autoconfig_provider_from_mx   (GPtrArray   *records,
                                                     const char  *address);

/* Called as each source is tried (each URL, SRV name and probed host), for
 * the wizard's visible progress; the first call (the provider list, with the
 * domain) comes before pb_autoconfig_find_async returns. Cancelling from
 * inside it is allowed. */
typedef void (*PbAutoconfigProgress) (PbAutoconfigSource  source,
                                      const char         *detail,   /* e.g. the URL or host */
                                      gpointer            user_data);

void               pb_autoconfig_find_async  (const char                *address,
                                              const PbAutoconfigOptions *options,
                                              PbAutoconfigProgress       progress,
                                              gpointer                   progress_data,
                                              GCancellable              *cancellable,
                                              GAsyncReadyCallback        callback,
                                              gpointer                   user_data);
/* The first candidate found. Errors: INVALID_ADDRESS; NO_POP3 (from the
 * provider list: nothing else is tried); ONLY_PLAINTEXT (a server was found
 * but none with TLS); NOT_FOUND; G_IO_ERROR_CANCELLED. A source that fails
 * or times out is logged and the next one tried. */
PbServerCandidate *pb_autoconfig_find_finish (GAsyncResult              *result,
                                              GError                   **error);
/* What went wrong with the HTTPS sources in the search of @result, one sentence
 * each, in order ("autoconfig.example.com answered with an error (HTTP 500)"); an
 * empty list when nothing did. A source that is simply absent (no such host,
 * nothing listening, HTTP 404) is not a failure. Valid as long as @result. */
const char * const *pb_autoconfig_find_get_failures (GAsyncResult *result);

G_END_DECLS
