/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include <libsoup/soup.h>

#include "pb-autoconfig.h"
#include "pb-dovecot.h"
#include "pb-test-server.h"
#include "pb-test-util.h"

#define ADDRESS "alice@example.test"
#define DOMAIN  "example.test"
#define PROVIDERS_RESOURCE "/io/github/popbell/Popbell/core/providers.ini"

#define GREETING "+OK Popbell test server ready."
#define CAPA_STLS "+OK\r\nSTLS\r\nUSER\r\nUIDL\r\n.\r\n"
#define CAPA_PLAIN "+OK\r\nUSER\r\nUIDL\r\n.\r\n"

/* ---- Documents ------------------------------------------------------------- */

#define DOC_HEAD \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
  "<clientConfig version=\"1.1\">\n" \
  " <emailProvider id=\"example.test\">\n" \
  "  <domain>example.test</domain>\n" \
  "  <displayName>Example Mail</displayName>\n"
#define DOC_TAIL \
  " </emailProvider>\n" \
  "</clientConfig>\n"
#define SERVER(type, host, port, socket, user) \
  "  <incomingServer type=\"" type "\">\n" \
  "   <hostname>" host "</hostname>\n" \
  "   <port>" port "</port>\n" \
  "   <socketType>" socket "</socketType>\n" \
  "   <username>" user "</username>\n" \
  "   <authentication>password-cleartext</authentication>\n" \
  "  </incomingServer>\n"

#define DOC_SSL DOC_HEAD \
  SERVER ("imap", "imap.example.test", "993", "SSL", "%EMAILADDRESS%") \
  SERVER ("pop3", "pop.example.test", "995", "SSL", "%EMAILADDRESS%") \
  "  <documentation url=\"https://help.example.test/pop\"><descr>POP</descr></documentation>\n" \
  DOC_TAIL
#define DOC_PLAIN DOC_HEAD SERVER ("pop3", "pop.example.test", "110", "plain", "%EMAILADDRESS%") \
  DOC_TAIL

/* ---- A resolver with canned answers ---------------------------------------- */

#define TEST_TYPE_RESOLVER (test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (TestResolver, test_resolver, TEST, RESOLVER, GResolver)

struct _TestResolver
{
  GResolver   parent_instance;
  GHashTable *hosts;    /* name → IPv4 address text */
  GHashTable *services; /* "_pop3s._tcp.example.test" → "host:port:priority:weight;…" */
  GHashTable *mx;       /* "example.test" → "preference:exchange;…" */
};

G_DEFINE_FINAL_TYPE (TestResolver, test_resolver, G_TYPE_RESOLVER)

static GList *
resolve_name (TestResolver              *self,
              const char                *hostname,
              GResolverNameLookupFlags   flags,
              GError                   **error)
{
  const char *address = g_hash_table_lookup (self->hosts, hostname);

  if (address == NULL || (flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY) != 0)
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                   "No test address for %s", hostname);
      return NULL;
    }
  return g_list_prepend (NULL, g_inet_address_new_from_string (address));
}

static GList *
resolve_service (TestResolver  *self,
                 const char    *rrname,
                 GError       **error)
{
  const char *spec = g_hash_table_lookup (self->services, rrname);
  g_auto(GStrv) entries = NULL;
  GList *targets = NULL;

  if (spec == NULL)
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                   "No test SRV record for %s", rrname);
      return NULL;
    }

  entries = g_strsplit (spec, ";", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (entries[i], ":", 4);

      g_assert_cmpuint (g_strv_length (fields), ==, 4);
      targets = g_list_append (targets,
                               g_srv_target_new (fields[0], atoi (fields[1]), atoi (fields[2]),
                                                 atoi (fields[3])));
    }
  return targets;
}

static GList *
test_resolver_lookup_by_name (GResolver     *resolver,
                              const char    *hostname,
                              GCancellable  *cancellable,
                              GError       **error)
{
  return resolve_name (TEST_RESOLVER (resolver), hostname, 0, error);
}

static GList *
test_resolver_lookup_by_name_with_flags (GResolver                 *resolver,
                                         const char                *hostname,
                                         GResolverNameLookupFlags   flags,
                                         GCancellable              *cancellable,
                                         GError                   **error)
{
  return resolve_name (TEST_RESOLVER (resolver), hostname, flags, error);
}

static void
test_resolver_lookup_by_name_with_flags_async (GResolver                 *resolver,
                                               const char                *hostname,
                                               GResolverNameLookupFlags   flags,
                                               GCancellable              *cancellable,
                                               GAsyncReadyCallback        callback,
                                               gpointer                   user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *addresses = resolve_name (TEST_RESOLVER (resolver), hostname, flags, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, addresses, (GDestroyNotify) g_resolver_free_addresses);
}

static void
test_resolver_lookup_by_name_async (GResolver           *resolver,
                                    const char          *hostname,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  test_resolver_lookup_by_name_with_flags_async (resolver, hostname, 0, cancellable, callback,
                                                 user_data);
}

static GList *
test_resolver_lookup_by_name_finish (GResolver     *resolver,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GList *
test_resolver_lookup_service (GResolver     *resolver,
                              const char    *rrname,
                              GCancellable  *cancellable,
                              GError       **error)
{
  return resolve_service (TEST_RESOLVER (resolver), rrname, error);
}

static void
free_targets (GList *targets)
{
  g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);
}

static void
test_resolver_lookup_service_async (GResolver           *resolver,
                                    const char          *rrname,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *targets = resolve_service (TEST_RESOLVER (resolver), rrname, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, targets, (GDestroyNotify) free_targets);
}

static GList *
test_resolver_lookup_service_finish (GResolver     *resolver,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
free_records (GList *records)
{
  g_list_free_full (records, (GDestroyNotify) g_variant_unref);
}

static void
test_resolver_lookup_records_async (GResolver           *resolver,
                                    const char          *rrname,
                                    GResolverRecordType  record_type,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  TestResolver *self = TEST_RESOLVER (resolver);
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  const char *spec = record_type == G_RESOLVER_RECORD_MX ? g_hash_table_lookup (self->mx, rrname)
                                                         : NULL;
  g_auto(GStrv) entries = NULL;
  GList *records = NULL;

  if (spec == NULL)
    {
      g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                               "No test record for %s", rrname);
      return;
    }
  entries = g_strsplit (spec, ";", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (entries[i], ":", 2);

      records = g_list_append (records, g_variant_ref_sink (
        g_variant_new ("(qs)", (guint16) atoi (fields[0]), fields[1])));
    }
  g_task_return_pointer (task, records, (GDestroyNotify) free_records);
}

static GList *
test_resolver_lookup_records_finish (GResolver     *resolver,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_resolver_finalize (GObject *object)
{
  TestResolver *self = TEST_RESOLVER (object);

  g_hash_table_unref (self->hosts);
  g_hash_table_unref (self->services);
  g_hash_table_unref (self->mx);
  G_OBJECT_CLASS (test_resolver_parent_class)->finalize (object);
}

static void
test_resolver_class_init (TestResolverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  object_class->finalize = test_resolver_finalize;
  resolver_class->lookup_by_name = test_resolver_lookup_by_name;
  resolver_class->lookup_by_name_async = test_resolver_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = test_resolver_lookup_by_name_finish;
  resolver_class->lookup_by_name_with_flags = test_resolver_lookup_by_name_with_flags;
  resolver_class->lookup_by_name_with_flags_async = test_resolver_lookup_by_name_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = test_resolver_lookup_by_name_finish;
  resolver_class->lookup_service = test_resolver_lookup_service;
  resolver_class->lookup_service_async = test_resolver_lookup_service_async;
  resolver_class->lookup_service_finish = test_resolver_lookup_service_finish;
  resolver_class->lookup_records_async = test_resolver_lookup_records_async;
  resolver_class->lookup_records_finish = test_resolver_lookup_records_finish;
}

static void
test_resolver_init (TestResolver *self)
{
  self->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->services = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->mx = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
test_resolver_add_host (TestResolver *self,
                        const char   *name)
{
  g_hash_table_insert (self->hosts, g_strdup (name), g_strdup ("127.0.0.1"));
}

static void
test_resolver_add_service (TestResolver *self,
                           const char   *rrname,
                           const char   *spec)
{
  g_hash_table_insert (self->services, g_strdup (rrname), g_strdup (spec));
}

/* ---- The fixture: a local HTTPS server, the resolver, the options ---------- */

typedef struct
{
  guint  status;
  char  *body;
  gsize  body_len;
  char  *location;
  gboolean stall;   /* never answer */
  gboolean endless; /* send the body in chunks, then wait forever for the rest */
  gboolean reset;   /* close the connection instead of answering */
} Route;

static void
route_free (Route *route)
{
  g_free (route->body);
  g_free (route->location);
  g_free (route);
}

typedef struct
{
  SoupServer   *http;
  char         *base;      /* https://127.0.0.1:port */
  GHashTable   *routes;    /* path → Route* */
  GPtrArray    *requests;  /* "path?query", in order */
  GPtrArray    *stalled;   /* SoupServerMessage* left without an answer */

  TestResolver *resolver;
  GResolver    *saved_resolver;
  GTlsDatabase *ca;
  char         *ca_file;
  char         *autoconfig_url;
  char         *wellknown_url;
  char         *ispdb_url;
  PbAutoconfigOptions options;

  GPtrArray    *progress;  /* "source detail", the base URL left out */
  GStrv         failures;  /* pb_autoconfig_find_get_failures of the last find () */
  GCancellable *cancel_on_autoconfig;    /* cancelled from the progress callback */
  GCancellable *cancel_on_stall;         /* cancelled when a request is left waiting */
} Fixture;

static const char *const source_names[] = {
  "provider", "autoconfig", "ispdb", "srv", "probe", "manual", "mx",
};

static gboolean
cancel_now (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Fixture *fixture = user_data;
  const char *query_text = g_uri_get_query (soup_server_message_get_uri (message));
  Route *route = g_hash_table_lookup (fixture->routes, path);

  g_ptr_array_add (fixture->requests, query_text != NULL
                                        ? g_strdup_printf ("%s?%s", path, query_text)
                                        : g_strdup (path));

  if (route == NULL)
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (route->stall)
    {
      soup_server_message_pause (message);
      g_ptr_array_add (fixture->stalled, g_object_ref (message));
      if (fixture->cancel_on_stall != NULL)
        g_idle_add_full (G_PRIORITY_DEFAULT, cancel_now, g_object_ref (fixture->cancel_on_stall),
                         g_object_unref);
      return;
    }

  if (route->reset)
    {
      g_autoptr(GIOStream) connection = soup_server_message_steal_connection (message);

      g_io_stream_close (connection, NULL, NULL);
      return;
    }

  soup_server_message_set_status (message, route->status, NULL);
  if (route->endless)
    {
      soup_message_headers_set_encoding (soup_server_message_get_response_headers (message),
                                         SOUP_ENCODING_CHUNKED);
      soup_message_body_append (soup_server_message_get_response_body (message),
                                SOUP_MEMORY_COPY, route->body, route->body_len);
      g_ptr_array_add (fixture->stalled, g_object_ref (message));
      return;
    }
  if (route->location != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (message), "Location",
                                  route->location);
  if (route->body != NULL)
    soup_server_message_set_response (message, "application/xml", SOUP_MEMORY_COPY, route->body,
                                      route->body_len);
}

static void
route_add (Fixture    *fixture,
           const char *path,
           guint       status,
           const char *body,
           gssize      body_len)
{
  Route *route = g_new0 (Route, 1);

  route->status = status;
  if (body != NULL)
    {
      route->body_len = body_len < 0 ? strlen (body) : (gsize) body_len;
      route->body = g_memdup2 (body, route->body_len);
    }
  g_hash_table_replace (fixture->routes, g_strdup (path), route);
}

static void
route_redirect (Fixture    *fixture,
                const char *path,
                const char *location)
{
  Route *route = g_new0 (Route, 1);

  route->status = SOUP_STATUS_MOVED_PERMANENTLY;
  route->location = g_strdup (location);
  g_hash_table_replace (fixture->routes, g_strdup (path), route);
}

/* @body, then nothing more, and the end never comes. */
static void
route_endless (Fixture    *fixture,
               const char *path,
               const char *body,
               gsize       body_len)
{
  route_add (fixture, path, SOUP_STATUS_OK, body, body_len);
  ((Route *) g_hash_table_lookup (fixture->routes, path))->endless = TRUE;
}

static void
route_reset (Fixture    *fixture,
             const char *path)
{
  Route *route = g_new0 (Route, 1);

  route->reset = TRUE;
  g_hash_table_replace (fixture->routes, g_strdup (path), route);
}

static void
route_stall (Fixture    *fixture,
             const char *path)
{
  Route *route = g_new0 (Route, 1);

  route->stall = TRUE;
  g_hash_table_replace (fixture->routes, g_strdup (path), route);
}

#define PATH_AUTOCONFIG "/autoconfig/" DOMAIN "/mail/config-v1.1.xml"
#define PATH_WELLKNOWN  "/wellknown/" DOMAIN "/mail/config-v1.1.xml"
#define PATH_ISPDB      "/ispdb/" DOMAIN
#define QUERY           "?emailaddress=alice%40" DOMAIN

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("server.pem");
  g_autoptr(GError) error = NULL;
  GSList *uris;

  fixture->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) route_free);
  fixture->requests = g_ptr_array_new_with_free_func (g_free);
  fixture->stalled = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->progress = g_ptr_array_new_with_free_func (g_free);

  fixture->http = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (fixture->http, NULL, on_request, fixture, NULL);
  soup_server_listen_local (fixture->http, 0,
                            SOUP_SERVER_LISTEN_HTTPS | SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fixture->http);
  g_assert_nonnull (uris);
  fixture->base = g_strdup_printf ("https://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  fixture->ca_file = pb_test_cert_path ("ca.crt");
  fixture->ca = g_tls_file_database_new (fixture->ca_file, &error);
  g_assert_no_error (error);

  /* Probes connect by name through the default resolver. */
  fixture->resolver = g_object_new (TEST_TYPE_RESOLVER, NULL);
  fixture->saved_resolver = g_resolver_get_default ();
  g_resolver_set_default (G_RESOLVER (fixture->resolver));

  fixture->autoconfig_url = g_strconcat (fixture->base, "/autoconfig/%s/mail/config-v1.1.xml",
                                         NULL);
  fixture->wellknown_url = g_strconcat (fixture->base, "/wellknown/%s/mail/config-v1.1.xml",
                                        NULL);
  fixture->ispdb_url = g_strconcat (fixture->base, "/ispdb/", NULL);
  fixture->options.autoconfig_url = fixture->autoconfig_url;
  fixture->options.wellknown_url = fixture->wellknown_url;
  fixture->options.ispdb_url = fixture->ispdb_url;
  fixture->options.http_tls_database = fixture->ca;
  fixture->options.resolver = G_RESOLVER (fixture->resolver);
  /* Nothing listens there unless a test says so. */
  fixture->options.probe_tls_port = pb_test_free_port ();
  fixture->options.probe_starttls_port = pb_test_free_port ();
  fixture->options.probe_ca_file = fixture->ca_file;
  fixture->options.timeout = 5;
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_resolver_set_default (fixture->saved_resolver);
  g_clear_object (&fixture->saved_resolver);
  g_assert_finalize_object (g_steal_pointer (&fixture->resolver));

  soup_server_disconnect (fixture->http);
  g_ptr_array_unref (fixture->stalled);
  g_clear_object (&fixture->http);
  g_clear_object (&fixture->ca);
  g_clear_object (&fixture->cancel_on_autoconfig);
  g_clear_object (&fixture->cancel_on_stall);
  g_free (fixture->ca_file);
  g_free (fixture->base);
  g_free (fixture->autoconfig_url);
  g_free (fixture->wellknown_url);
  g_free (fixture->ispdb_url);
  g_hash_table_unref (fixture->routes);
  g_ptr_array_unref (fixture->requests);
  g_ptr_array_unref (fixture->progress);
  g_strfreev (fixture->failures);

  /* Let closing connections finish before the next test. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
on_progress (PbAutoconfigSource  source,
             const char         *detail,
             gpointer            user_data)
{
  Fixture *fixture = user_data;

  if (g_str_has_prefix (detail, fixture->base))
    detail += strlen (fixture->base);
  g_ptr_array_add (fixture->progress, g_strdup_printf ("%s %s", source_names[source], detail));

  if (source == PB_AUTOCONFIG_SOURCE_AUTOCONFIG && fixture->cancel_on_autoconfig != NULL)
    g_cancellable_cancel (fixture->cancel_on_autoconfig);
}

static PbServerCandidate *
find (Fixture       *fixture,
      const char    *address,
      GCancellable  *cancellable,
      GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_ptr_array_set_size (fixture->progress, 0);
  g_ptr_array_set_size (fixture->requests, 0);
  pb_autoconfig_find_async (address, &fixture->options, on_progress, fixture, cancellable,
                            pb_test_store_result, &result);
  pb_test_wait_result (&result, 60);
  g_strfreev (fixture->failures);
  fixture->failures = g_strdupv ((GStrv) pb_autoconfig_find_get_failures (result));
  return pb_autoconfig_find_finish (result, error);
}

static char *
joined (GPtrArray *strings)
{
  g_ptr_array_add (strings, NULL);
  g_ptr_array_set_size (strings, strings->len - 1);
  return g_strjoinv ("|", (char **) strings->pdata);
}

static void
assert_progress (Fixture    *fixture,
                 const char *expected)
{
  g_autofree char *actual = joined (fixture->progress);

  g_assert_cmpstr (actual, ==, expected);
}

static void
assert_requests (Fixture    *fixture,
                 const char *expected)
{
  g_autofree char *actual = joined (fixture->requests);

  g_assert_cmpstr (actual, ==, expected);
}

/* The progress of every source after the documents, for @domain. */
static char *
progress_after_documents (Fixture    *fixture,
                          const char *domain)
{
  guint16 tls = fixture->options.probe_tls_port;
  guint16 starttls = fixture->options.probe_starttls_port;

  return g_strdup_printf ("srv _pop3s._tcp.%s|srv _pop3._tcp.%s|"
                          "probe pop.%s:%u|probe pop3.%s:%u|probe mail.%s:%u|"
                          "probe pop.%s:%u|probe pop3.%s:%u|probe mail.%s:%u",
                          domain, domain, domain, tls, domain, tls, domain, tls,
                          domain, starttls, domain, starttls, domain, starttls);
}

static void
assert_candidate (const PbServerCandidate *candidate,
                  const char              *host,
                  guint16                  port,
                  PbSecurity               security,
                  const char              *user,
                  PbAutoconfigSource       source)
{
  g_assert_nonnull (candidate);
  g_assert_cmpstr (candidate->host, ==, host);
  g_assert_cmpuint (candidate->port, ==, port);
  g_assert_cmpint (candidate->security, ==, security);
  g_assert_cmpstr (candidate->user, ==, user);
  g_assert_cmpint (candidate->source, ==, source);
}

/* ---- Addresses -------------------------------------------------------------- */

static void
test_domain_extracted (void)
{
  static const struct
  {
    const char *address;
    const char *domain;
  } cases[] = {
    { "alice@example.com", "example.com" },
    { "Alice@Example.COM", "example.com" },
    { "  alice@example.com\n", "example.com" },
    { "alice@example.com.", "example.com" },
    { "alice+tag@mail.example.co.jp", "mail.example.co.jp" },
    { "taro@bücher.example", "xn--bcher-kva.example" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *domain = pb_autoconfig_get_domain (cases[i].address);

      g_assert_cmpstr (domain, ==, cases[i].domain);
    }
}

static void
test_bad_addresses_refused (void)
{
  static const char *const bad[] = {
    "", "alice", "alice@", "@example.com", "alice@@example.com", "a@b@example.com",
    "alice@localhost", "alice@exa mple.com", "al ice@example.com", "alice@example..com",
    "alice@.example.com", "alice@example.com/evil", "alice@[192.0.2.1]", "alice@192.0.2.1",
    "alice\r\n@example.com", "alice@example.com\r\nRCPT", "alice@-",
    "alice@\xff\xfe.com",
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *domain = pb_autoconfig_get_domain (bad[i]);

      if (domain != NULL)
        g_error ("“%s” gave the domain %s", bad[i], domain);
    }
  g_assert_null (pb_autoconfig_get_domain (NULL));

  g_assert_null (pb_autoconfig_lookup_provider_full ("alice", &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_ADDRESS);
  g_clear_error (&error);
  g_assert_null (pb_autoconfig_parse_document (DOC_SSL, -1, "alice@", &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_ADDRESS);
}

static void
test_candidate_copy (void)
{
  g_autoptr(PbServerCandidate) candidate = pb_autoconfig_lookup_provider ("alice@gmail.com");
  g_autoptr(PbServerCandidate) copy = NULL;

  g_assert_nonnull (candidate);
  copy = pb_server_candidate_copy (candidate);
  assert_candidate (copy, "pop.gmail.com", 995, PB_SECURITY_TLS, "alice@gmail.com",
                    PB_AUTOCONFIG_SOURCE_PROVIDER_LIST);
  g_assert_true (copy->host != candidate->host);
  g_assert_true (copy->user != candidate->user);
  g_assert_cmpstr (copy->provider_name, ==, candidate->provider_name);
  g_assert_cmpstr (copy->help_url, ==, candidate->help_url);
  g_assert_true (copy->needs_app_password);
  pb_server_candidate_free (NULL);
}

/* ---- The provider list ------------------------------------------------------ */

static void
assert_provider (const char *address,
                 const char *name,
                 const char *host,
                 guint16     port,
                 PbSecurity  security,
                 const char *user,
                 gboolean    needs_app_password)
{
  g_autoptr(PbServerCandidate) candidate = pb_autoconfig_lookup_provider (address);

  if (candidate == NULL)
    g_error ("No provider for %s", address);
  assert_candidate (candidate, host, port, security, user, PB_AUTOCONFIG_SOURCE_PROVIDER_LIST);
  g_assert_cmpstr (candidate->provider_name, ==, name);
  g_assert_cmpint (candidate->needs_app_password, ==, needs_app_password);
}

static void
test_provider_gmail (void)
{
  g_autoptr(PbServerCandidate) candidate = NULL;

  assert_provider ("alice@gmail.com", "Gmail", "pop.gmail.com", 995, PB_SECURITY_TLS,
                   "alice@gmail.com", TRUE);
  assert_provider ("alice@googlemail.com", "Gmail", "pop.gmail.com", 995, PB_SECURITY_TLS,
                   "alice@googlemail.com", TRUE);
  /* The domain is matched without regard to case; the user name is as typed. */
  assert_provider (" Alice@GMail.COM ", "Gmail", "pop.gmail.com", 995, PB_SECURITY_TLS,
                   "Alice@GMail.COM", TRUE);

  candidate = pb_autoconfig_lookup_provider ("alice@gmail.com");
  g_assert_true (g_str_has_prefix (candidate->help_url, "https://support.google.com/"));
}

/* The providers people use webmail with carry its address; the copy keeps it. */
static void
test_provider_webmail (void)
{
  const struct { const char *address; const char *webmail; } cases[] = {
    { "alice@gmail.com", "https://mail.google.com/" },
    { "alice@outlook.com", "https://outlook.live.com/mail/" },
    { "taro@yahoo.co.jp", "https://mail.yahoo.co.jp/" },
    { "taro@ocn.ne.jp", "https://mail.ocn.ne.jp/" },
    { "taro@xyz.biglobe.ne.jp", "https://webmail.biglobe.ne.jp/" },
    { "taro@nifty.com", "https://mail.nifty.com/" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PbServerCandidate) candidate = pb_autoconfig_lookup_provider (cases[i].address);
      g_autoptr(PbServerCandidate) copy = NULL;

      g_assert_nonnull (candidate);
      g_assert_cmpstr (candidate->webmail, ==, cases[i].webmail);
      g_assert_true (pb_account_webmail_is_valid (candidate->webmail));
      copy = pb_server_candidate_copy (candidate);
      g_assert_cmpstr (copy->webmail, ==, cases[i].webmail);
      g_assert_true (copy->webmail != candidate->webmail);
    }
}

static void
test_provider_outlook (void)
{
  assert_provider ("alice@outlook.com", "Outlook.com", "outlook.office365.com", 995,
                   PB_SECURITY_TLS, "alice@outlook.com", FALSE);
  assert_provider ("alice@hotmail.com", "Outlook.com", "outlook.office365.com", 995,
                   PB_SECURITY_TLS, "alice@hotmail.com", FALSE);
  assert_provider ("hanako@outlook.jp", "Outlook.com", "outlook.office365.com", 995,
                   PB_SECURITY_TLS, "hanako@outlook.jp", FALSE);
  assert_provider ("hanako@hotmail.co.jp", "Outlook.com", "outlook.office365.com", 995,
                   PB_SECURITY_TLS, "hanako@hotmail.co.jp", FALSE);
}

static void
test_provider_yahoo_japan_is_not_yahoo (void)
{
  assert_provider ("taro@yahoo.co.jp", "Yahoo!メール", "pop.mail.yahoo.co.jp", 995,
                   PB_SECURITY_TLS, "taro", FALSE);
  assert_provider ("alice@yahoo.com", "Yahoo Mail", "pop.mail.yahoo.com", 995,
                   PB_SECURITY_TLS, "alice@yahoo.com", TRUE);
  assert_provider ("alice@yahoo.co.uk", "Yahoo Mail", "pop.mail.yahoo.com", 995,
                   PB_SECURITY_TLS, "alice@yahoo.co.uk", TRUE);
}

static void
test_provider_japanese_isps (void)
{
  assert_provider ("taro@ocn.ne.jp", "OCN", "pop.ocn.ne.jp", 995, PB_SECURITY_TLS,
                   "taro@ocn.ne.jp", FALSE);
  assert_provider ("taro@nifty.com", "@nifty", "pop.nifty.com", 995, PB_SECURITY_TLS,
                   "taro", FALSE);
  assert_provider ("taro@biglobe.ne.jp", "BIGLOBE", "mail.biglobe.ne.jp", 995, PB_SECURITY_TLS,
                   "taro@biglobe.ne.jp", FALSE);
  /* STLS on 110, and a user-name form with the domain in it. */
  assert_provider ("taro@iijmio-mail.jp", "IIJmio", "mbox.iijmio-mail.jp", 110,
                   PB_SECURITY_STARTTLS, "taro.iijmio-mail.jp", FALSE);
}

static void
test_provider_without_pop3 (void)
{
  static const char *const addresses[] = {
    "alice@icloud.com", "alice@me.com", "alice@mac.com", "taro@i.softbank.jp",
  };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (pb_autoconfig_lookup_provider (addresses[i]));
      g_assert_null (pb_autoconfig_lookup_provider_full (addresses[i], &error));
      g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3);
      if (i < 3)
        g_assert_nonnull (strstr (error->message, "iCloud Mail"));
    }
}

static void
test_provider_unknown (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (pb_autoconfig_lookup_provider ("alice@" DOMAIN));
  g_assert_null (pb_autoconfig_lookup_provider_full ("alice@" DOMAIN, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* A subdomain is another domain. */
  g_assert_null (pb_autoconfig_lookup_provider_full ("alice@mail.gmail.com", &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
}

/* Every entry of the data file gives a usable answer, and no domain is listed twice. */
static void
test_provider_every_entry (void)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;
  guint n_domains = 0;

  bytes = g_resources_lookup_data (PROVIDERS_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_key_file_load_from_bytes (keyfile, bytes, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  groups = g_key_file_get_groups (keyfile, NULL);
  g_assert_cmpuint (g_strv_length (groups), >=, 20);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      /* A provider found by MX records (Google Workspace) serves domains of
       * their own, none listed. */
      gboolean by_mx = g_key_file_has_key (keyfile, groups[i], "mx-suffixes", NULL);
      g_auto(GStrv) domains = g_key_file_get_string_list (keyfile, groups[i], "domains", NULL,
                                                          by_mx ? NULL : &error);
      g_autofree char *name = g_key_file_get_string (keyfile, groups[i], "name", &error);
      g_autofree char *help = g_key_file_get_string (keyfile, groups[i], "help-url", NULL);
      gboolean pop3 = !g_key_file_has_key (keyfile, groups[i], "pop3", NULL) ||
                      g_key_file_get_boolean (keyfile, groups[i], "pop3", NULL);

      g_assert_no_error (error);
      g_assert_true (help == NULL || g_str_has_prefix (help, "https://"));
      for (guint j = 0; domains != NULL && domains[j] != NULL; j++)
        {
          g_autofree char *address = g_strconcat ("someone@", domains[j], NULL);
          g_autoptr(PbServerCandidate) candidate = NULL;
          g_autofree char *domain = pb_autoconfig_get_domain (address);

          if (!g_hash_table_add (seen, g_strdup (domains[j])))
            g_error ("%s is listed twice", domains[j]);
          g_assert_cmpstr (domain, ==, domains[j]);

          candidate = pb_autoconfig_lookup_provider_full (address, &error);
          if (pop3)
            {
              g_assert_no_error (error);
              g_assert_cmpstr (candidate->provider_name, ==, name);
              g_assert_cmpuint (candidate->port, >, 0);
              g_assert_true (candidate->ask_user == (candidate->user == NULL));
              g_assert_true (candidate->user == NULL || strchr (candidate->user, '%') == NULL);
              g_assert_null (strchr (candidate->host, '%'));
            }
          else
            {
              g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3);
              g_clear_error (&error);
            }
          n_domains++;
        }
    }
  g_assert_cmpuint (n_domains, >, 100);
}

/* A domain of its own whose MX records name Google's or Microsoft's mail hosts
 * gets that provider's settings, sign-in included; lookalikes get nothing. */
static void
test_provider_from_mx (void)
{
  const struct { const char *records; const char *name; const char *host; gboolean oauth2_only;
                 const char *oauth2; } cases[] = {
    { "10:alt1.aspmx.l.google.com;1:aspmx.l.google.com", "Google Workspace", "pop.gmail.com",
      FALSE, "google" },
    { "1:smtp.google.com.", "Google Workspace", "pop.gmail.com", FALSE, "google" },
    { "5:ALT2.ASPMX.L.GOOGLE.COM", "Google Workspace", "pop.gmail.com", FALSE, "google" },
    { "0:example-jp.mail.protection.outlook.com", "Microsoft 365", "outlook.office365.com",
      TRUE, "microsoft" },
    { "10:aspmx.l.google.com.evil.example;20:mail.protection.outlook.com.evil.example", NULL,
      NULL, FALSE, NULL },
    { "10:notaspmx.l.google.com.example;20:mx.example.co.jp", NULL, NULL, FALSE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                     g_variant_unref);
      g_auto(GStrv) specs = g_strsplit (cases[i].records, ";", -1);
      g_autoptr(PbServerCandidate) candidate = NULL;

      for (guint j = 0; specs[j] != NULL; j++)
        {
          g_auto(GStrv) parts = g_strsplit (specs[j], ":", 2);

          g_ptr_array_add (records,
                           g_variant_ref_sink (g_variant_new ("(qs)",
                                                              (guint16) atoi (parts[0]),
                                                              parts[1])));
        }
      candidate = pb_autoconfig_provider_from_mx (records, "taro@example.co.jp");
      g_test_message ("%s", cases[i].records);
      if (cases[i].name == NULL)
        {
          g_assert_null (candidate);
          continue;
        }
      g_assert_nonnull (candidate);
      assert_candidate (candidate, cases[i].host, 995, PB_SECURITY_TLS, "taro@example.co.jp",
                        PB_AUTOCONFIG_SOURCE_MX);
      g_assert_cmpstr (candidate->provider_name, ==, cases[i].name);
      g_assert_cmpint (candidate->oauth2_only, ==, cases[i].oauth2_only);
      g_assert_cmpstr (candidate->oauth2_provider, ==, cases[i].oauth2);
      g_assert_nonnull (candidate->webmail);
    }
}

/* Sub-domains by suffix: BIGLOBE and @nifty hand out name@xyz.biglobe.ne.jp. */
static void
test_provider_suffixes (void)
{
  g_autoptr(GError) error = NULL;

  assert_provider ("taro@abc.biglobe.ne.jp", "BIGLOBE", "mail.biglobe.ne.jp", 995,
                   PB_SECURITY_TLS, "taro@abc.biglobe.ne.jp", FALSE);
  assert_provider ("taro@x.y.biglobe.ne.jp", "BIGLOBE", "mail.biglobe.ne.jp", 995,
                   PB_SECURITY_TLS, "taro@x.y.biglobe.ne.jp", FALSE);
  assert_provider ("taro@abc.nifty.com", "@nifty", "pop.nifty.com", 995, PB_SECURITY_TLS,
                   "taro", FALSE);
  /* Label by label: "notbiglobe.ne.jp" is not below "biglobe.ne.jp". */
  g_assert_null (pb_autoconfig_lookup_provider_full ("taro@notbiglobe.ne.jp", &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
}

static void
test_provider_oauth2_only (void)
{
  g_autoptr(PbServerCandidate) outlook = pb_autoconfig_lookup_provider ("alice@live.jp");
  g_autoptr(PbServerCandidate) gmail = pb_autoconfig_lookup_provider ("alice@gmail.com");
  g_autoptr(PbServerCandidate) by_host = NULL;

  g_assert_true (outlook->oauth2_only);
  g_assert_false (outlook->needs_app_password);
  g_assert_false (gmail->oauth2_only);
  /* A server typed in by hand is known too. */
  by_host = pb_autoconfig_lookup_provider_by_host ("Outlook.Office365.com");
  g_assert_nonnull (by_host);
  g_assert_true (by_host->oauth2_only);
  g_assert_null (pb_autoconfig_lookup_provider_by_host ("pop.example.com"));
}

/* Which OAuth2 provider signs in to a server: the built-in list names it, and an
 * autoconfig document's <authentication>OAuth2</authentication> is read with it. */
static void
test_oauth2_provider_of_servers (void)
{
  g_autoptr(PbServerCandidate) outlook = pb_autoconfig_lookup_provider ("alice@live.jp");
  g_autoptr(PbServerCandidate) gmail = pb_autoconfig_lookup_provider ("alice@gmail.com");
  g_autoptr(PbServerCandidate) yahoo = pb_autoconfig_lookup_provider ("alice@yahoo.com");
  const struct { const char *file; const char *address; gboolean only; const char *provider; }
  documents[] = {
    { "hotmail.com.xml", "taro@hotmail.com", TRUE, "microsoft" },
    { "googlemail.com.xml", "taro@googlemail.com", FALSE, "google" },
    { "gmx.net.xml", "taro@gmx.net", FALSE, NULL },
  };

  g_assert_cmpstr (outlook->oauth2_provider, ==, "microsoft");
  g_assert_cmpstr (gmail->oauth2_provider, ==, "google");
  g_assert_null (yahoo->oauth2_provider);

  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "ispdb", documents[i].file,
                                                     NULL);
      g_autofree char *xml = NULL;
      g_autoptr(PbServerCandidate) candidate = NULL;
      g_autoptr(GError) error = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (path, &xml, &len, NULL));
      candidate = pb_autoconfig_parse_document (xml, len, documents[i].address, &error);
      g_assert_no_error (error);
      g_assert_cmpint (candidate->oauth2_only, ==, documents[i].only);
      g_assert_cmpstr (candidate->oauth2_provider, ==, documents[i].provider);
    }

  /* A document of a server nobody built in: OAuth2 only, and nobody to sign in with. */
  {
    static const char doc[] =
      "<clientConfig version=\"1.1\"><emailProvider id=\"example.org\">"
      "<incomingServer type=\"pop3\"><hostname>pop.example.org</hostname><port>995</port>"
      "<socketType>SSL</socketType><username>%EMAILADDRESS%</username>"
      "<authentication>OAuth2</authentication></incomingServer>"
      "</emailProvider></clientConfig>";
    g_autoptr(PbServerCandidate) candidate = NULL;
    g_autoptr(GError) error = NULL;

    candidate = pb_autoconfig_parse_document (doc, -1, "a@example.org", &error);
    g_assert_no_error (error);
    g_assert_true (candidate->oauth2_only);
    g_assert_null (candidate->oauth2_provider);
  }
}

/* What the table says about passwords beyond the account's own. */
static void
test_provider_separate_passwords (void)
{
  static const char *const needed[] = {
    "alice@mail.ru", "alice@t-online.de", "alice@gmail.com", "alice@yahoo.com",
  };
  static const char *const not_stated[] = {
    "alice@gmx.net", "alice@web.de", "alice@yandex.ru", "alice@zoho.com",
  };

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    {
      g_autoptr(PbServerCandidate) c = pb_autoconfig_lookup_provider (needed[i]);
      g_assert_true (c->needs_app_password);
    }
  for (guint i = 0; i < G_N_ELEMENTS (not_stated); i++)
    {
      g_autoptr(PbServerCandidate) c = pb_autoconfig_lookup_provider (not_stated[i]);
      g_assert_false (c->needs_app_password);
    }
}

static void
test_provider_min_interval (void)
{
  g_autoptr(PbServerCandidate) webde = pb_autoconfig_lookup_provider ("alice@web.de");
  g_autoptr(PbServerCandidate) gmx = pb_autoconfig_lookup_provider ("alice@gmx.net");
  g_autoptr(PbServerCandidate) by_host = pb_autoconfig_lookup_provider_by_host ("pop3.web.de");

  g_assert_cmpuint (webde->min_interval, ==, 15);
  g_assert_cmpuint (pb_server_candidate_clamp_interval (webde, 5), ==, 15);
  g_assert_cmpuint (pb_server_candidate_clamp_interval (webde, 30), ==, 30);
  g_assert_cmpuint (gmx->min_interval, ==, 0);
  g_assert_cmpuint (pb_server_candidate_clamp_interval (gmx, 1), ==, 1);
  g_assert_cmpuint (pb_server_candidate_clamp_interval (NULL, 5), ==, 5);
  g_assert_cmpuint (by_host->min_interval, ==, 15);
}

static void
test_provider_ask_user (void)
{
  g_autoptr(PbServerCandidate) asahi = pb_autoconfig_lookup_provider ("taro@asahi-net.or.jp");

  g_assert_cmpstr (asahi->host, ==, "pop.asahi-net.or.jp");
  g_assert_cmpuint (asahi->port, ==, 995);
  g_assert_true (asahi->ask_user);
  g_assert_null (asahi->user);
}

/* pop3=false: the lookup says why there is none; the entry still tells who. */
static void
test_provider_entry_without_pop3 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) entry = NULL;

  g_assert_null (pb_autoconfig_lookup_provider_full ("hanako@docomo.ne.jp", &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3);
  g_clear_error (&error);

  entry = pb_autoconfig_lookup_entry ("hanako@docomo.ne.jp", &error);
  g_assert_no_error (error);
  g_assert_true (entry->no_pop3);
  g_assert_null (entry->host);
  g_assert_cmpstr (entry->provider_name, ==, "ドコモメール");

  g_clear_pointer (&entry, pb_server_candidate_free);
  g_assert_null (pb_autoconfig_lookup_entry ("alice@" DOMAIN, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
}

/* The user's providers.ini: its entries over the built-in ones, the longest suffix
 * winning, and a host that follows the address's domain. */
static void
test_provider_user_file (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "popbell", NULL);
  g_autofree char *path = g_build_filename (dir, "providers.ini", NULL);
  g_autoptr(GError) error = NULL;
  const char *ini =
    "[web-de]\nname=My WEB.DE\ndomains=web.de;\nhost=pop.example.net\nsecurity=starttls\n"
    "[test-au]\nname=Test au\ndomain-suffixes=au.example;\nhost=pop.%EMAILDOMAIN%\n"
    "security=tls\nuser=%EMAILADDRESS%\n"
    "[test-au-long]\nname=Test au long\ndomain-suffixes=long.au.example;\n"
    "host=mail.%EMAILDOMAIN%\nsecurity=tls\n";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, ini, -1, NULL));

  assert_provider ("alice@web.de", "My WEB.DE", "pop.example.net", 110, PB_SECURITY_STARTTLS,
                   "alice@web.de", FALSE);
  {
    g_autoptr(PbServerCandidate) c = pb_autoconfig_lookup_provider ("alice@web.de");
    /* Replaced as a whole: the built-in minimum went with it. */
    g_assert_cmpuint (c->min_interval, ==, 0);
  }
  assert_provider ("taro@ab.au.example", "Test au", "pop.ab.au.example", 995, PB_SECURITY_TLS,
                   "taro@ab.au.example", FALSE);
  assert_provider ("taro@x.long.au.example", "Test au long", "mail.x.long.au.example", 995,
                   PB_SECURITY_TLS, "taro@x.long.au.example", FALSE);
  /* The built-in list is still there. */
  assert_provider ("taro@ocn.ne.jp", "OCN", "pop.ocn.ne.jp", 995, PB_SECURITY_TLS,
                   "taro@ocn.ne.jp", FALSE);

  /* A broken file is ignored, with a warning. */
  g_assert_true (g_file_set_contents (path, "[broken\n", -1, NULL));
  g_test_expect_message ("popbell-autoconfig", G_LOG_LEVEL_WARNING, "Ignoring *providers.ini*");
  assert_provider ("taro@ocn.ne.jp", "OCN", "pop.ocn.ne.jp", 995, PB_SECURITY_TLS,
                   "taro@ocn.ne.jp", FALSE);
  g_test_assert_expected_messages ();
  g_assert_cmpint (g_unlink (path), ==, 0);
  (void) error;
}

/* Every built-in entry names its source, and one that cites an ISP database file
 * agrees with the copy of that file in tests/ispdb/ on host, port and security (and
 * the user-name form), or on there being no POP3 at all. Every copy is cited. */
static void
test_provider_agrees_with_ispdb (void)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GHashTable) cited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GRegex) source = g_regex_new ("Source: ispdb/([A-Za-z0-9.-]+\\.xml)",
                                          G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *ispdb = g_test_build_filename (G_TEST_DIST, "ispdb", NULL);
  g_auto(GStrv) groups = NULL;
  GDir *dir;
  const char *name;
  guint n_checked = 0;

  bytes = g_resources_lookup_data (PROVIDERS_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_key_file_load_from_bytes (keyfile, bytes, G_KEY_FILE_KEEP_COMMENTS, &error);
  g_assert_no_error (error);

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *comment = g_key_file_get_comment (keyfile, groups[i], NULL, NULL);
      g_auto(GStrv) domains = g_key_file_get_string_list (keyfile, groups[i], "domains", NULL,
                                                          NULL);
      g_autoptr(GMatchInfo) match = NULL;
      g_autofree char *file = NULL;
      g_autofree char *path = NULL;
      g_autofree char *xml = NULL;
      g_autofree char *address = NULL;
      g_autoptr(PbServerCandidate) expected = NULL;
      g_autoptr(PbServerCandidate) entry = NULL;
      gsize len;

      if (comment == NULL || strstr (comment, "Source: ") == NULL)
        g_error ("[%s] names no source", groups[i]);
      if (!g_regex_match (source, comment, 0, &match))
        continue;

      file = g_match_info_fetch (match, 1);
      g_hash_table_add (cited, g_strdup (file));
      path = g_build_filename (ispdb, file, NULL);
      if (!g_file_get_contents (path, &xml, &len, &error))
        g_error ("[%s] cites %s, which tests/ispdb/ lacks: %s", groups[i], file, error->message);

      if (domains != NULL)
        {
          address = g_strconcat ("someone@", domains[0], NULL);
          entry = pb_autoconfig_lookup_entry (address, &error);
          g_assert_no_error (error);
        }
      else
        {
          /* Found by MX records: a domain whose first mail host is one of its. */
          g_auto(GStrv) mx = g_key_file_get_string_list (keyfile, groups[i], "mx-suffixes",
                                                         NULL, &error);
          g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                         g_variant_unref);

          g_assert_no_error (error);
          g_ptr_array_add (records, g_variant_ref_sink (g_variant_new ("(qs)", 10, mx[0])));
          address = g_strdup ("someone@example.org");
          entry = pb_autoconfig_provider_from_mx (records, address);
          g_assert_nonnull (entry);
        }
      expected = pb_autoconfig_parse_document (xml, len, address, &error);
      if (entry->no_pop3)
        {
          g_assert_null (expected);
          g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
          g_clear_error (&error);
        }
      else
        {
          g_assert_no_error (error);
          g_test_message ("[%s] %s:%u against %s", groups[i], entry->host, entry->port, file);
          g_assert_cmpstr (entry->host, ==, expected->host);
          g_assert_cmpuint (entry->port, ==, expected->port);
          g_assert_cmpint (entry->security, ==, expected->security);
          if (!entry->ask_user)
            g_assert_cmpstr (entry->user, ==, expected->user);
        }
      n_checked++;
    }
  g_assert_cmpuint (n_checked, >=, 20);

  dir = g_dir_open (ispdb, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (g_str_has_suffix (name, ".xml") && !g_hash_table_contains (cited, name))
        g_error ("tests/ispdb/%s is cited by no entry", name);
    }
  g_dir_close (dir);
}

/* ---- Documents ---------------------------------------------------------------- */

static PbServerCandidate *
parse (const char  *xml,
       gssize       len,
       GError     **error)
{
  return pb_autoconfig_parse_document (xml, len, ADDRESS, error);
}

static void
test_document_ssl (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = parse (DOC_SSL, -1, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_AUTOCONFIG);
  g_assert_cmpstr (candidate->provider_name, ==, "Example Mail");
  g_assert_cmpstr (candidate->help_url, ==, "https://help.example.test/pop");
  g_assert_false (candidate->needs_app_password);
}

static void
test_document_starttls (void)
{
  static const char doc[] = DOC_HEAD
    SERVER ("pop3", "pop.example.test", "110", "STARTTLS", "%EMAILLOCALPART%")
    SERVER ("pop3", "pop.example.test", "995", "SSL", "%EMAILADDRESS%")
    DOC_TAIL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = parse (doc, -1, &error);

  /* The first one with TLS, in document order. */
  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 110, PB_SECURITY_STARTTLS, "alice",
                    PB_AUTOCONFIG_SOURCE_AUTOCONFIG);
  g_assert_null (candidate->help_url);
}

static void
test_document_plain_skipped (void)
{
  static const char doc[] = DOC_HEAD
    SERVER ("pop3", "plain.example.test", "110", "plain", "%EMAILADDRESS%")
    SERVER ("pop3", "secure.example.test", "995", "SSL", "%EMAILADDRESS%")
    DOC_TAIL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = parse (doc, -1, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (candidate->host, ==, "secure.example.test");
}

static void
test_document_plain_only (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (parse (DOC_PLAIN, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT);
  g_assert_cmpstr (error->message, ==, DOMAIN " offers POP3 only without encryption. "
                                       "Popbell won't send your password unprotected.");
}

static void
test_document_imap_only (void)
{
  static const char doc[] = DOC_HEAD
    SERVER ("imap", "imap.example.test", "993", "SSL", "%EMAILADDRESS%")
    "  <outgoingServer type=\"smtp\"><hostname>smtp.example.test</hostname>"
    "<port>465</port><socketType>SSL</socketType></outgoingServer>\n"
    DOC_TAIL;
  g_autoptr(GError) error = NULL;

  g_assert_null (parse (doc, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
}

static void
test_document_user_forms (void)
{
  static const struct
  {
    const char *form;
    const char *user;
  } cases[] = {
    { "%EMAILADDRESS%", ADDRESS },
    { "%EMAILLOCALPART%", "alice" },
    { "%EMAILDOMAIN%", DOMAIN },
    { "%EMAILLOCALPART%.%EMAILDOMAIN%", "alice." DOMAIN },
    { "pop-%EMAILLOCALPART%&amp;co", "pop-alice&co" },
    { "%REALNAME%", "%REALNAME%" },
    { "fixed", "fixed" },
    { "", ADDRESS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *doc = g_strdup_printf (DOC_HEAD
                                              SERVER ("pop3", "pop.example.test", "995", "SSL",
                                                      "%s")
                                              DOC_TAIL, cases[i].form);
      g_autoptr(GError) error = NULL;
      g_autoptr(PbServerCandidate) candidate = parse (doc, -1, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (candidate->user, ==, cases[i].user);
    }
}

static void
test_document_missing_values (void)
{
  static const char no_port[] = DOC_HEAD
    "  <incomingServer type=\"pop3\"><hostname>pop.%EMAILDOMAIN%</hostname>"
    "<socketType>STARTTLS</socketType></incomingServer>\n"
    DOC_TAIL;
  static const char no_host[] = DOC_HEAD
    "  <incomingServer type=\"pop3\"><port>995</port><socketType>SSL</socketType>"
    "</incomingServer>\n"
    DOC_TAIL;
  static const char no_socket_type[] = DOC_HEAD
    "  <incomingServer type=\"pop3\"><hostname>pop.example.test</hostname><port>995</port>"
    "</incomingServer>\n"
    DOC_TAIL;
  static const char no_provider[] = "<clientConfig version=\"1.1\"/>";
  static const char no_type[] = DOC_HEAD
    "  <incomingServer><hostname>pop.example.test</hostname><port>995</port>"
    "<socketType>SSL</socketType></incomingServer>\n"
    DOC_TAIL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  /* No port: the security's default; no user name: the address. A host
   * may be written with the domain's placeholder. */
  candidate = parse (no_port, -1, &error);
  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 110, PB_SECURITY_STARTTLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_AUTOCONFIG);

  g_assert_null (parse (no_host, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (parse (no_socket_type, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (parse (no_provider, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (parse (no_type, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
}

static void
test_document_hostile_values (void)
{
  static const char *const bad_servers[] = {
    SERVER ("pop3", "evil host.example.test", "995", "SSL", "%EMAILADDRESS%"),
    SERVER ("pop3", "evil.example.test/path", "995", "SSL", "%EMAILADDRESS%"),
    SERVER ("pop3", "evil&#10;.example.test", "995", "SSL", "%EMAILADDRESS%"),
    SERVER ("pop3", "<b>x</b>", "995", "SSL", "%EMAILADDRESS%"),
    SERVER ("pop3", "pop.example.test", "99999", "SSL", "%EMAILADDRESS%"),
    SERVER ("pop3", "pop.example.test", "0", "SSL", "%EMAILADDRESS%"),
    SERVER ("pop3", "pop.example.test", "-1", "SSL", "%EMAILADDRESS%"),
    SERVER ("pop3", "pop.example.test", "995x", "SSL", "%EMAILADDRESS%"),
    SERVER ("pop3", "pop.example.test", "995", "TLS1.0", "%EMAILADDRESS%"),
    SERVER ("pop3", "pop.example.test", "995", "SSL", "alice&#13;&#10;PASS x"),
  };
  static const char bad_help[] = DOC_HEAD
    SERVER ("pop3", "pop.example.test", "995", "SSL", "%EMAILADDRESS%")
    "  <documentation url=\"javascript:alert(1)\"/>\n"
    DOC_TAIL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_servers); i++)
    {
      g_autofree char *doc = g_strconcat (DOC_HEAD, bad_servers[i], DOC_TAIL, NULL);

      candidate = parse (doc, -1, &error);
      if (candidate != NULL)
        g_error ("Accepted %s", bad_servers[i]);
      g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
      g_clear_error (&error);
    }

  candidate = parse (bad_help, -1, &error);
  g_assert_no_error (error);
  g_assert_null (candidate->help_url);
}

static void
test_document_garbage (void)
{
  static const struct
  {
    const char *data;
    gssize      len;
  } cases[] = {
    { "", 0 },
    { "   \n", -1 },
    { "not xml at all", -1 },
    { "<html><body>Not here</body></html>", -1 },
    { "<clientConfig><emailProvider>", -1 },
    { "<clientConfig></wrong>", -1 },
    { "\xff\xfe<\x00c\x00", 6 },
    { "<clientConfig>\0<emailProvider/></clientConfig>", 45 },
    { "<!-- only a comment -->", -1 },
    { "<?xml version=\"1.0\"?>", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (parse (cases[i].data, cases[i].len, &error));
      g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT);
    }
}

static void
test_document_huge (void)
{
  g_autoptr(GString) doc = g_string_new (DOC_HEAD "<!-- ");
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autofree char *long_host = NULL;
  g_autofree char *long_doc = NULL;
  const char *tail = " -->" SERVER ("pop3", "pop.example.test", "995", "SSL", "%EMAILADDRESS%")
                     DOC_TAIL;

  /* Just under the cap: read. */
  while (doc->len + strlen (tail) < PB_AUTOCONFIG_MAX_DOCUMENT)
    g_string_append_c (doc, 'x');
  g_string_truncate (doc, PB_AUTOCONFIG_MAX_DOCUMENT - strlen (tail));
  g_string_append (doc, tail);
  g_assert_cmpuint (doc->len, ==, PB_AUTOCONFIG_MAX_DOCUMENT);
  candidate = parse (doc->str, doc->len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (candidate->host, ==, "pop.example.test");

  /* One byte more: refused before parsing. */
  g_string_insert_c (doc, strlen (DOC_HEAD) + 5, 'x');
  g_assert_null (parse (doc->str, doc->len, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT);
  g_clear_error (&error);

  /* A single huge value. */
  long_host = g_strnfill (5000, 'a');
  long_doc = g_strdup_printf (DOC_HEAD SERVER ("pop3", "%s.example.test", "995", "SSL", "x")
                              DOC_TAIL, long_host);
  g_assert_null (parse (long_doc, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT);
}

static void
test_document_deep (void)
{
  g_autoptr(GString) doc = g_string_new ("<clientConfig><emailProvider>");
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append (doc, "<a>");
  for (guint i = 0; i < 100000; i++)
    g_string_append (doc, "</a>");
  g_string_append (doc, "</emailProvider></clientConfig>");

  g_assert_null (parse (doc->str, doc->len, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT);
}

static void
test_document_entities (void)
{
  static const char laughs[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE clientConfig [\n"
    " <!ENTITY a \"aaaaaaaaaaaaaaaaaaaa\">\n"
    " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
    " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
    "]>\n"
    "<clientConfig version=\"1.1\"><emailProvider id=\"x\">"
    "<incomingServer type=\"pop3\"><hostname>&c;</hostname><port>995</port>"
    "<socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>";
  static const char external[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE clientConfig [ <!ENTITY x SYSTEM \"file:///etc/passwd\"> ]>\n"
    "<clientConfig version=\"1.1\"><emailProvider id=\"x\">"
    "<incomingServer type=\"pop3\"><hostname>pop.example.test</hostname><port>995</port>"
    "<socketType>SSL</socketType><username>&x;</username></incomingServer>"
    "</emailProvider></clientConfig>";
  static const char references[] = DOC_HEAD
    SERVER ("pop3", "&#112;op.example.test", "99&#53;", "SSL", "%EMAILADDRESS%")
    DOC_TAIL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  g_assert_null (parse (laughs, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT);
  g_clear_error (&error);
  g_assert_null (parse (external, -1, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT);
  g_clear_error (&error);

  /* Character references are plain XML, and are read. */
  candidate = parse (references, -1, &error);
  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_AUTOCONFIG);
}

/* ---- Finding: the order of the sources ------------------------------------------ */

static void
test_find_invalid_address (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (find (fixture, "not an address", NULL, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_ADDRESS);
  g_assert_cmpuint (fixture->progress->len, ==, 0);
  g_assert_cmpuint (fixture->requests->len, ==, 0);
}

static void
test_find_provider (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = find (fixture, "taro@ocn.ne.jp", NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.ocn.ne.jp", 995, PB_SECURITY_TLS, "taro@ocn.ne.jp",
                    PB_AUTOCONFIG_SOURCE_PROVIDER_LIST);
  g_assert_cmpstr (candidate->provider_name, ==, "OCN");
  assert_progress (fixture, "provider ocn.ne.jp");
  g_assert_cmpuint (fixture->requests->len, ==, 0);
}

static void
test_find_provider_without_pop3 (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (find (fixture, "alice@icloud.com", NULL, &error));
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3);
  /* Known, so not looked for elsewhere. */
  assert_progress (fixture, "provider icloud.com");
  g_assert_cmpuint (fixture->requests->len, ==, 0);
}

static void
test_find_autoconfig (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  route_add (fixture, PATH_AUTOCONFIG, SOUP_STATUS_OK, DOC_SSL, -1);
  route_add (fixture, PATH_WELLKNOWN, SOUP_STATUS_OK, DOC_PLAIN, -1);
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_AUTOCONFIG);
  g_assert_cmpstr (candidate->help_url, ==, "https://help.example.test/pop");
  assert_progress (fixture, "provider " DOMAIN "|autoconfig " PATH_AUTOCONFIG);
  assert_requests (fixture, PATH_AUTOCONFIG QUERY);
}

static void
test_find_wellknown (Fixture       *fixture,
                     gconstpointer  user_data)
{
  static const char doc[] = DOC_HEAD
    SERVER ("pop3", "pop3.example.test", "110", "STARTTLS", "%EMAILLOCALPART%")
    DOC_TAIL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  route_add (fixture, PATH_WELLKNOWN, SOUP_STATUS_OK, doc, -1);
  route_add (fixture, PATH_ISPDB, SOUP_STATUS_OK, DOC_SSL, -1);
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop3.example.test", 110, PB_SECURITY_STARTTLS, "alice",
                    PB_AUTOCONFIG_SOURCE_AUTOCONFIG);
  assert_progress (fixture, "provider " DOMAIN "|autoconfig " PATH_AUTOCONFIG
                            "|autoconfig " PATH_WELLKNOWN);
  assert_requests (fixture, PATH_AUTOCONFIG QUERY "|" PATH_WELLKNOWN QUERY);
}

static void
test_find_ispdb (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  /* A server error and a document that is not one are both passed over. */
  route_add (fixture, PATH_AUTOCONFIG, SOUP_STATUS_INTERNAL_SERVER_ERROR, DOC_SSL, -1);
  route_add (fixture, PATH_WELLKNOWN, SOUP_STATUS_OK, "<html>Welcome!</html>", -1);
  route_add (fixture, PATH_ISPDB, SOUP_STATUS_OK, DOC_SSL, -1);
  test_resolver_add_service (fixture->resolver, "_pop3s._tcp." DOMAIN,
                             "srv.example.test:995:0:0");
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_ISPDB);
  assert_progress (fixture, "provider " DOMAIN "|autoconfig " PATH_AUTOCONFIG
                            "|autoconfig " PATH_WELLKNOWN "|ispdb " PATH_ISPDB);
  /* The ISPDB is not told the address. */
  assert_requests (fixture, PATH_AUTOCONFIG QUERY "|" PATH_WELLKNOWN QUERY "|" PATH_ISPDB);
}

static void
test_find_redirect_https (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  route_redirect (fixture, PATH_AUTOCONFIG, "/moved/config.xml");
  route_add (fixture, "/moved/config.xml", SOUP_STATUS_OK, DOC_SSL, -1);
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_AUTOCONFIG);
  assert_requests (fixture, PATH_AUTOCONFIG QUERY "|/moved/config.xml");
}

static void
test_find_redirect_http_refused (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(SoupServer) plain = soup_server_new (NULL, NULL);
  g_autofree char *plain_url = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  GSList *uris;

  /* The same documents over plain HTTP, which must never be read. */
  soup_server_add_handler (plain, NULL, on_request, fixture, NULL);
  soup_server_listen_local (plain, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (plain);
  plain_url = g_strdup_printf ("http://127.0.0.1:%d/moved/config.xml",
                               g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  route_redirect (fixture, PATH_AUTOCONFIG, plain_url);
  route_redirect (fixture, PATH_WELLKNOWN, PATH_WELLKNOWN); /* a loop */
  route_add (fixture, "/moved/config.xml", SOUP_STATUS_OK, DOC_SSL, -1);
  fixture->options.skip_probing = TRUE;
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_null (candidate);
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "No POP3 server over TLS was found for " DOMAIN ". "
                                       "You can enter the server yourself.");
  /* The loop is followed a few times, then given up. */
  g_assert_cmpuint (fixture->requests->len, ==, 1 + 6 + 1);
  for (guint i = 0; i < fixture->requests->len; i++)
    g_assert_false (g_str_has_prefix (g_ptr_array_index (fixture->requests, i), "/moved/"));
  soup_server_disconnect (plain);
}

static void
test_find_huge_download (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *huge = g_strnfill (3 * PB_AUTOCONFIG_MAX_DOCUMENT, ' ');
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  gint64 elapsed;

  /* Too large by its Content-Length, and without one: the download stops at
   * the cap, long before the server would finish (never) or time out. */
  route_add (fixture, PATH_AUTOCONFIG, SOUP_STATUS_OK, huge, -1);
  route_endless (fixture, PATH_WELLKNOWN, huge, PB_AUTOCONFIG_MAX_DOCUMENT + 1);
  route_add (fixture, PATH_ISPDB, SOUP_STATUS_OK, DOC_SSL, -1);
  fixture->options.timeout = 30;
  elapsed = g_get_monotonic_time ();
  candidate = find (fixture, ADDRESS, NULL, &error);
  elapsed = g_get_monotonic_time () - elapsed;

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_ISPDB);
  assert_requests (fixture, PATH_AUTOCONFIG QUERY "|" PATH_WELLKNOWN QUERY "|" PATH_ISPDB);
  g_assert_cmpint (elapsed, <, 10 * G_USEC_PER_SEC);
}

static void
test_find_srv_pop3s (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  /* The lowest priority value wins, whatever the order of the answer. */
  test_resolver_add_service (fixture->resolver, "_pop3s._tcp." DOMAIN,
                             "backup.example.test:1995:20:0;Mail.Example.TEST.:995:10:0");
  test_resolver_add_service (fixture->resolver, "_pop3._tcp." DOMAIN,
                             "other.example.test:110:0:0");
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "mail.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_SRV);
  assert_progress (fixture, "provider " DOMAIN "|autoconfig " PATH_AUTOCONFIG
                            "|autoconfig " PATH_WELLKNOWN "|ispdb " PATH_ISPDB
                            "|srv _pop3s._tcp." DOMAIN);
  /* A host of the domain, and every HTTPS source simply absent (404): no question. */
  g_assert_cmpint (candidate->confirm, ==, PB_AUTOCONFIG_CONFIRM_NONE);
  g_assert_null (candidate->confirm_text);
  g_assert_cmpuint (g_strv_length (fixture->failures), ==, 0);
}

static GList *
srv_answer (const char *spec)
{
  g_auto(GStrv) entries = g_strsplit (spec, ";", -1);
  GList *targets = NULL;

  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (entries[i], ":", 4);

      g_assert_cmpuint (g_strv_length (fields), ==, 4);
      targets = g_list_append (targets, g_srv_target_new (fields[0], atoi (fields[1]),
                                                          atoi (fields[2]), atoi (fields[3])));
    }
  return targets;
}

static void
test_srv_answer_handling (void)
{
  struct { const char *answer; const char *host; guint16 port; } cases[] = {
    { ".:0:0:0", NULL, 0 },
    { "pop.example.test:0:0:0", NULL, 0 },
    { "bad host!:995:0:0;pop.example.test:995:5:0", "pop.example.test", 995 },
    { "b.example.test:1995:20:0;A.Example.TEST.:995:10:0", "a.example.test", 995 },
    { ".:0:0:0;pop.example.test:995:0:0", "pop.example.test", 995 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GList *targets = srv_answer (cases[i].answer);
      g_autoptr(PbServerCandidate) candidate =
        pb_autoconfig_candidate_from_srv (targets, PB_SECURITY_STARTTLS, ADDRESS);

      g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);
      if (cases[i].host == NULL)
        {
          g_assert_null (candidate);
          continue;
        }
      assert_candidate (candidate, cases[i].host, cases[i].port, PB_SECURITY_STARTTLS, ADDRESS,
                        PB_AUTOCONFIG_SOURCE_SRV);
    }
  g_assert_null (pb_autoconfig_candidate_from_srv (NULL, PB_SECURITY_TLS, ADDRESS));
  {
    GList *targets = srv_answer ("pop.example.test:995:0:0");

    g_assert_null (pb_autoconfig_candidate_from_srv (targets, PB_SECURITY_TLS, "not an address"));
    g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);
  }
}

/* RFC 6186 §6: a target outside the domain is the user's to confirm. */
static void
test_srv_outside_domain_needs_confirmation (void)
{
  struct { const char *host; PbAutoconfigConfirm confirm; } cases[] = {
    { "mail.example.test", PB_AUTOCONFIG_CONFIRM_NONE },
    { "pop.mail.example.test", PB_AUTOCONFIG_CONFIRM_NONE },
    { "example.test", PB_AUTOCONFIG_CONFIRM_NONE },
    { "POP.Example.Test.", PB_AUTOCONFIG_CONFIRM_NONE },
    { "pop.gmail.com", PB_AUTOCONFIG_CONFIRM_NONE },          /* a built-in provider's */
    { "outlook.office365.com", PB_AUTOCONFIG_CONFIRM_NONE },
    { "evilexample.test", PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN },
    { "example.test.evil.net", PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN },
    { "mail.elsewhere.net", PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN },
    { "test", PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN },
    { "gmail.com", PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN },    /* not the provider's server */
    { "127.0.0.1", PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *spec = g_strdup_printf ("%s:995:0:0", cases[i].host);
      GList *targets = srv_answer (spec);
      g_autoptr(PbServerCandidate) candidate =
        pb_autoconfig_candidate_from_srv (targets, PB_SECURITY_TLS, ADDRESS);
      g_autoptr(PbServerCandidate) copy = NULL;

      g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);
      g_assert_nonnull (candidate);
      g_test_message ("%s", cases[i].host);
      g_assert_cmpint (candidate->confirm, ==, cases[i].confirm);
      if (cases[i].confirm == PB_AUTOCONFIG_CONFIRM_NONE)
        {
          g_assert_null (candidate->confirm_text);
          continue;
        }
      /* The text names the host and the domain it is outside of. */
      g_assert_nonnull (strstr (candidate->confirm_text, candidate->host));
      g_assert_nonnull (strstr (candidate->confirm_text, "outside " DOMAIN));
      copy = pb_server_candidate_copy (candidate);
      g_assert_cmpint (copy->confirm, ==, candidate->confirm);
      g_assert_cmpstr (copy->confirm_text, ==, candidate->confirm_text);
    }
}

static void
test_find_srv_outside_domain (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  test_resolver_add_service (fixture->resolver, "_pop3s._tcp." DOMAIN,
                             "pop.mail-host.example:995:0:0");
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.mail-host.example", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_SRV);
  g_assert_cmpint (candidate->confirm, ==, PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN);
  g_assert_nonnull (strstr (candidate->confirm_text, "pop.mail-host.example"));
}

/* A broken HTTPS answer is said, and what DNS gives after it is not taken on trust. */
static void
test_find_https_failure_is_said (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  route_add (fixture, PATH_AUTOCONFIG, SOUP_STATUS_INTERNAL_SERVER_ERROR, DOC_SSL, -1);
  route_reset (fixture, PATH_WELLKNOWN);
  route_add (fixture, PATH_ISPDB, SOUP_STATUS_OK, "<html>Welcome!</html>", -1);
  test_resolver_add_service (fixture->resolver, "_pop3s._tcp." DOMAIN,
                             "mail.example.test:995:0:0");
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "mail.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_SRV);
  g_assert_cmpint (candidate->confirm, ==, PB_AUTOCONFIG_CONFIRM_AFTER_FAILURE);
  g_assert_nonnull (strstr (candidate->confirm_text, "mail.example.test"));

  g_assert_cmpuint (g_strv_length (fixture->failures), ==, 3);
  g_assert_cmpstr (fixture->failures[0], ==, "127.0.0.1 answered with an error (HTTP 500)");
  g_assert_true (g_str_has_prefix (fixture->failures[1],
                                   "127.0.0.1 could not be asked over a secure connection: "));
  g_assert_cmpstr (fixture->failures[2], ==,
                   "127.0.0.1 sent something that is not a mail settings document");
}

static void
test_find_https_failure_then_nothing (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  route_add (fixture, PATH_WELLKNOWN, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL, 0);
  fixture->options.skip_probing = TRUE;
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_null (candidate);
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_assert_cmpuint (g_strv_length (fixture->failures), ==, 1);
  g_assert_cmpstr (fixture->failures[0], ==, "127.0.0.1 answered with an error (HTTP 503)");
}

static void
test_find_srv_pop3 (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  /* "." : decidedly not offered; so POP3 with STLS. */
  test_resolver_add_service (fixture->resolver, "_pop3s._tcp." DOMAIN, ".:0:0:0");
  test_resolver_add_service (fixture->resolver, "_pop3._tcp." DOMAIN,
                             "pop.example.test:1110:0:0");
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 1110, PB_SECURITY_STARTTLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_SRV);
  assert_progress (fixture, "provider " DOMAIN "|autoconfig " PATH_AUTOCONFIG
                            "|autoconfig " PATH_WELLKNOWN "|ispdb " PATH_ISPDB
                            "|srv _pop3s._tcp." DOMAIN "|srv _pop3._tcp." DOMAIN);
}

static const PbTestStep tls_script[] = {
  { PB_STEP_SEND, GREETING, 0 },
  { PB_STEP_EXPECT, "CAPA", 0 },
  { PB_STEP_SEND_RAW, CAPA_PLAIN, 0 },
  { PB_STEP_END, NULL, 0 },
};

static const PbTestStep starttls_script[] = {
  { PB_STEP_SEND, GREETING, 0 },
  { PB_STEP_EXPECT, "CAPA", 0 },
  { PB_STEP_SEND_RAW, CAPA_STLS, 0 },
  { PB_STEP_EXPECT, "STLS", 0 },
  { PB_STEP_SEND, "+OK Begin TLS negotiation", 0 },
  { PB_STEP_STARTTLS, NULL, 0 },
  { PB_STEP_EXPECT, "CAPA", 0 },
  { PB_STEP_SEND_RAW, CAPA_PLAIN, 0 },
  { PB_STEP_END, NULL, 0 },
};

static const PbTestStep plaintext_script[] = {
  { PB_STEP_SEND, GREETING, 0 },
  { PB_STEP_EXPECT, "CAPA", 0 },
  { PB_STEP_SEND_RAW, CAPA_PLAIN, 0 },
  { PB_STEP_END, NULL, 0 },
};

static void
assert_no_credentials (PbTestServer *server)
{
  g_autofree char *transcript = pb_test_server_dup_transcript (server);

  g_assert_null (strstr (transcript, "USER"));
  g_assert_null (strstr (transcript, "PASS"));
  g_assert_null (strstr (transcript, "AUTH"));
  g_assert_null (pb_test_server_get_failure (server));
}

static void
test_find_probe_tls (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("server.pem");
  g_autoptr(PbTestServer) server = pb_test_server_new (certificate, TRUE, tls_script);
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autofree char *expected = NULL;
  guint16 port = pb_test_server_get_port (server);

  /* pop.example.test does not exist; pop3.example.test answers. Its
   * certificate is for localhost: untrusted, but a POP3 server over TLS. */
  test_resolver_add_host (fixture->resolver, "pop3." DOMAIN);
  fixture->options.probe_tls_port = port;
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop3.example.test", port, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_PROBE);
  expected = g_strdup_printf ("provider %s|autoconfig %s|autoconfig %s|ispdb %s|"
                              "srv _pop3s._tcp.%s|srv _pop3._tcp.%s|"
                              "probe pop.%s:%u|probe pop3.%s:%u",
                              DOMAIN, PATH_AUTOCONFIG, PATH_WELLKNOWN, PATH_ISPDB,
                              DOMAIN, DOMAIN, DOMAIN, port, DOMAIN, port);
  assert_progress (fixture, expected);
  g_assert_cmpuint (pb_test_server_get_n_connections (server), ==, 1);
  assert_no_credentials (server);
}

/* A hosting service's server named by the domain's MX records is tried before the
 * usual names, named in the progress, and confirmed before any login. */
static void
test_find_mx_hosting (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("server.pem");
  g_autoptr(PbTestServer) server = pb_test_server_new (certificate, TRUE, tls_script);
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autofree char *expected = NULL;
  guint16 port = pb_test_server_get_port (server);

  /* Lookalikes first: no digits, or not directly below xserver.jp. */
  g_hash_table_insert (fixture->resolver->mx, g_strdup (DOMAIN),
                       g_strdup ("5:sv.xserver.jp;6:sv12.xserver.jp.evil.example;"
                                 "10:sv1234.xserver.jp;20:mx.other.example"));
  test_resolver_add_host (fixture->resolver, "sv1234.xserver.jp");
  fixture->options.probe_tls_port = port;
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "sv1234.xserver.jp", port, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_MX);
  g_assert_cmpstr (candidate->provider_name, ==, "Xserver");
  g_assert_cmpint (candidate->confirm, ==, PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN);
  g_assert_nonnull (strstr (candidate->confirm_text, "sv1234.xserver.jp"));
  expected = g_strdup_printf ("provider %s|autoconfig %s|autoconfig %s|ispdb %s|"
                              "srv _pop3s._tcp.%s|srv _pop3._tcp.%s|mx sv1234.xserver.jp:%u",
                              DOMAIN, PATH_AUTOCONFIG, PATH_WELLKNOWN, PATH_ISPDB,
                              DOMAIN, DOMAIN, port);
  assert_progress (fixture, expected);
  assert_no_credentials (server);
}

/* A domain on Google Workspace, found by the search through its MX records:
 * Gmail's settings for it, without guessing, probing or asking. */
static void
test_find_mx_provider (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autofree char *expected = NULL;

  g_hash_table_insert (fixture->resolver->mx, g_strdup (DOMAIN),
                       g_strdup ("5:alt1.aspmx.l.google.com;1:aspmx.l.google.com;"
                                 "10:alt2.aspmx.l.google.com"));
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.gmail.com", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_MX);
  g_assert_cmpstr (candidate->provider_name, ==, "Google Workspace");
  g_assert_cmpstr (candidate->oauth2_provider, ==, "google");
  g_assert_cmpint (candidate->confirm, ==, PB_AUTOCONFIG_CONFIRM_NONE);
  expected = g_strdup_printf ("provider %s|autoconfig %s|autoconfig %s|ispdb %s|"
                              "srv _pop3s._tcp.%s|srv _pop3._tcp.%s",
                              DOMAIN, PATH_AUTOCONFIG, PATH_WELLKNOWN, PATH_ISPDB,
                              DOMAIN, DOMAIN);
  assert_progress (fixture, expected);
}

/* MX records that name no hosting service leave the usual guesses as they were. */
static void
test_find_mx_other (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autofree char *after = progress_after_documents (fixture, DOMAIN);
  g_autofree char *expected = NULL;

  g_hash_table_insert (fixture->resolver->mx, g_strdup (DOMAIN),
                       g_strdup ("10:mx1." DOMAIN ";20:sv9.xserver.jp.example.net"));
  candidate = find (fixture, ADDRESS, NULL, &error);
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_assert_null (candidate);
  expected = g_strdup_printf ("provider %s|autoconfig %s|autoconfig %s|ispdb %s|%s",
                              DOMAIN, PATH_AUTOCONFIG, PATH_WELLKNOWN, PATH_ISPDB, after);
  assert_progress (fixture, expected);
}

static void
test_find_probe_starttls (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("server.pem");
  g_autoptr(PbTestServer) server = pb_test_server_new (certificate, FALSE, starttls_script);
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  guint16 port = pb_test_server_get_port (server);

  test_resolver_add_host (fixture->resolver, "mail." DOMAIN);
  fixture->options.probe_starttls_port = port;
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_no_error (error);
  assert_candidate (candidate, "mail.example.test", port, PB_SECURITY_STARTTLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_PROBE);
  /* mail. on the TLS port, a closed one, was tried first. */
  g_assert_cmpuint (fixture->progress->len, ==, 6 + 6);
  g_assert_cmpuint (pb_test_server_get_n_connections (server), ==, 1);
  assert_no_credentials (server);
}

static void
test_find_probe_plaintext (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(PbTestServer) server = pb_test_server_new (NULL, FALSE, plaintext_script);
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  test_resolver_add_host (fixture->resolver, "pop." DOMAIN);
  fixture->options.probe_starttls_port = pb_test_server_get_port (server);
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_null (candidate);
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT);
  g_assert_cmpstr (error->message, ==, DOMAIN " offers POP3 only without encryption. "
                                       "Popbell won't send your password unprotected.");
  /* The other candidates were still tried, in case one had TLS. */
  g_assert_cmpuint (fixture->progress->len, ==, 6 + 6);
  assert_no_credentials (server);
  g_assert_cmpuint (pb_test_server_get_plain_commands (server), ==, 1);
}

static void
test_find_plain_document (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  route_add (fixture, PATH_AUTOCONFIG, SOUP_STATUS_OK, DOC_PLAIN, -1);
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_null (candidate);
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT);
  g_assert_cmpuint (fixture->progress->len, ==, 6 + 6);
}

static void
test_find_nothing (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = find (fixture, ADDRESS, NULL, &error);
  g_autofree char *rest = progress_after_documents (fixture, DOMAIN);
  g_autofree char *expected = NULL;

  g_assert_null (candidate);
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "No POP3 server over TLS was found for " DOMAIN ". "
                                       "You can enter the server yourself.");
  expected = g_strconcat ("provider " DOMAIN "|autoconfig " PATH_AUTOCONFIG
                          "|autoconfig " PATH_WELLKNOWN "|ispdb " PATH_ISPDB "|", rest, NULL);
  assert_progress (fixture, expected);
  assert_requests (fixture, PATH_AUTOCONFIG QUERY "|" PATH_WELLKNOWN QUERY "|" PATH_ISPDB);
}

static void
test_find_skip_probing (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  fixture->options.skip_probing = TRUE;
  test_resolver_add_host (fixture->resolver, "pop." DOMAIN);
  candidate = find (fixture, ADDRESS, NULL, &error);

  g_assert_null (candidate);
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  assert_progress (fixture, "provider " DOMAIN "|autoconfig " PATH_AUTOCONFIG
                            "|autoconfig " PATH_WELLKNOWN "|ispdb " PATH_ISPDB
                            "|srv _pop3s._tcp." DOMAIN "|srv _pop3._tcp." DOMAIN);
}

/* ---- Cancelling and timeouts -------------------------------------------------- */

static void
test_find_cancelled_waiting (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  gint64 start;

  /* Cancelled once the server holds the request. */
  route_stall (fixture, PATH_AUTOCONFIG);
  fixture->options.timeout = 30;
  fixture->cancel_on_stall = g_cancellable_new ();
  start = g_get_monotonic_time ();
  candidate = find (fixture, ADDRESS, fixture->cancel_on_stall, &error);

  g_assert_null (candidate);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  /* The request was under way, and nothing was tried after. */
  assert_requests (fixture, PATH_AUTOCONFIG QUERY);
  assert_progress (fixture, "provider " DOMAIN "|autoconfig " PATH_AUTOCONFIG);
}

static void
test_find_cancelled_from_progress (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;

  route_add (fixture, PATH_AUTOCONFIG, SOUP_STATUS_OK, DOC_SSL, -1);
  fixture->cancel_on_autoconfig = g_cancellable_new ();
  candidate = find (fixture, ADDRESS, fixture->cancel_on_autoconfig, &error);

  g_assert_null (candidate);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fixture->requests->len, ==, 0);
}

static void
test_find_cancelled_before (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_null (find (fixture, "alice@gmail.com", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_find_timeout (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  gint64 elapsed;

  /* The first server never answers; the next one is asked after a second. */
  route_stall (fixture, PATH_AUTOCONFIG);
  route_add (fixture, PATH_WELLKNOWN, SOUP_STATUS_OK, DOC_SSL, -1);
  fixture->options.timeout = 1;
  elapsed = g_get_monotonic_time ();
  candidate = find (fixture, ADDRESS, NULL, &error);
  elapsed = g_get_monotonic_time () - elapsed;

  g_assert_no_error (error);
  assert_candidate (candidate, "pop.example.test", 995, PB_SECURITY_TLS, ADDRESS,
                    PB_AUTOCONFIG_SOURCE_AUTOCONFIG);
  g_assert_cmpint (elapsed, >=, G_USEC_PER_SEC * 9 / 10);
  g_assert_cmpint (elapsed, <, 4 * G_USEC_PER_SEC);
  /* (On a very slow machine the second may pass before the request is even sent.) */
  g_assert_cmpuint (fixture->requests->len, <=, 2);
  g_assert_cmpstr (g_ptr_array_index (fixture->requests, fixture->requests->len - 1), ==,
                   PATH_WELLKNOWN QUERY);
}

static void
test_find_probe_timeout (Fixture       *fixture,
                         gconstpointer  user_data)
{
  static const PbTestStep silent[] = {
    { PB_STEP_STALL, NULL, 0 },
    { PB_STEP_END, NULL, 0 },
  };
  g_autoptr(PbTestServer) server = pb_test_server_new (NULL, FALSE, silent);
  g_autoptr(GError) error = NULL;
  g_autoptr(PbServerCandidate) candidate = NULL;
  gint64 elapsed;

  /* A server on 110 that never greets. */
  test_resolver_add_host (fixture->resolver, "pop." DOMAIN);
  fixture->options.probe_starttls_port = pb_test_server_get_port (server);
  fixture->options.timeout = 1;
  elapsed = g_get_monotonic_time ();
  candidate = find (fixture, ADDRESS, NULL, &error);
  elapsed = g_get_monotonic_time () - elapsed;

  g_assert_null (candidate);
  g_assert_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND);
  g_assert_cmpint (elapsed, >=, G_USEC_PER_SEC * 9 / 10);
  g_assert_cmpint (elapsed, <, 5 * G_USEC_PER_SEC);
}

/* ---- A real server ------------------------------------------------------------ */

static void
test_find_dovecot (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbDovecot) dovecot = pb_dovecot_new (&error);
  g_autoptr(PbServerCandidate) candidate = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);

  test_resolver_add_host (fixture->resolver, "mail." DOMAIN);
  fixture->options.probe_tls_port = pb_dovecot_get_pop3s_port (dovecot);
  fixture->options.probe_starttls_port = pb_dovecot_get_pop3_port (dovecot);
  candidate = find (fixture, ADDRESS, NULL, &error);
  g_assert_no_error (error);
  assert_candidate (candidate, "mail.example.test", pb_dovecot_get_pop3s_port (dovecot),
                    PB_SECURITY_TLS, ADDRESS, PB_AUTOCONFIG_SOURCE_PROBE);
  g_clear_pointer (&candidate, pb_server_candidate_free);

  /* Without the implicit-TLS port: Dovecot's STLS on the plain one. */
  fixture->options.probe_tls_port = pb_test_free_port ();
  candidate = find (fixture, ADDRESS, NULL, &error);
  g_assert_no_error (error);
  assert_candidate (candidate, "mail.example.test", pb_dovecot_get_pop3_port (dovecot),
                    PB_SECURITY_STARTTLS, ADDRESS, PB_AUTOCONFIG_SOURCE_PROBE);
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/autoconfig/address/domain-is-extracted", test_domain_extracted);
  g_test_add_func ("/pb/autoconfig/address/bad-addresses-are-refused",
                   test_bad_addresses_refused);
  g_test_add_func ("/pb/autoconfig/candidate/copy-is-deep", test_candidate_copy);

  g_test_add_func ("/pb/autoconfig/providers/gmail", test_provider_gmail);
  g_test_add_func ("/pb/autoconfig/providers/webmail-addresses", test_provider_webmail);
  g_test_add_func ("/pb/autoconfig/providers/from-mx-records", test_provider_from_mx);
  g_test_add_func ("/pb/autoconfig/providers/outlook-in-every-country", test_provider_outlook);
  g_test_add_func ("/pb/autoconfig/providers/yahoo-japan-is-not-yahoo",
                   test_provider_yahoo_japan_is_not_yahoo);
  g_test_add_func ("/pb/autoconfig/providers/japanese-isps", test_provider_japanese_isps);
  g_test_add_func ("/pb/autoconfig/providers/icloud-offers-no-pop3",
                   test_provider_without_pop3);
  g_test_add_func ("/pb/autoconfig/providers/unknown-domain-is-not-found",
                   test_provider_unknown);
  g_test_add_func ("/pb/autoconfig/providers/every-entry-is-usable", test_provider_every_entry);
  g_test_add_func ("/pb/autoconfig/providers/sub-domains-match-by-suffix", test_provider_suffixes);
  g_test_add_func ("/pb/autoconfig/providers/oauth2-only-is-marked", test_provider_oauth2_only);
  g_test_add_func ("/pb/autoconfig/oauth2-provider-of-servers", test_oauth2_provider_of_servers);
  g_test_add_func ("/pb/autoconfig/providers/separate-passwords-only-where-documented",
                   test_provider_separate_passwords);
  g_test_add_func ("/pb/autoconfig/providers/min-interval-raises-the-interval",
                   test_provider_min_interval);
  g_test_add_func ("/pb/autoconfig/providers/ask-user-leaves-the-user-name-open",
                   test_provider_ask_user);
  g_test_add_func ("/pb/autoconfig/providers/entry-without-pop3-names-the-provider",
                   test_provider_entry_without_pop3);
  g_test_add_func ("/pb/autoconfig/providers/user-file-suffixes-and-host-templates",
                   test_provider_user_file);
  g_test_add_func ("/pb/autoconfig/providers/agree-with-the-isp-database-files-they-cite",
                   test_provider_agrees_with_ispdb);

  g_test_add_func ("/pb/autoconfig/document/ssl", test_document_ssl);
  g_test_add_func ("/pb/autoconfig/document/starttls-first-in-order", test_document_starttls);
  g_test_add_func ("/pb/autoconfig/document/plain-server-is-passed-over",
                   test_document_plain_skipped);
  g_test_add_func ("/pb/autoconfig/document/plain-only-is-unsafe", test_document_plain_only);
  g_test_add_func ("/pb/autoconfig/document/imap-only-is-not-found", test_document_imap_only);
  g_test_add_func ("/pb/autoconfig/document/user-name-forms", test_document_user_forms);
  g_test_add_func ("/pb/autoconfig/document/missing-values", test_document_missing_values);
  g_test_add_func ("/pb/autoconfig/document/hostile-values-are-passed-over",
                   test_document_hostile_values);
  g_test_add_func ("/pb/autoconfig/document/garbage-is-invalid", test_document_garbage);
  g_test_add_func ("/pb/autoconfig/document/huge-is-invalid", test_document_huge);
  g_test_add_func ("/pb/autoconfig/document/deep-nesting-is-invalid", test_document_deep);
  g_test_add_func ("/pb/autoconfig/document/entities-are-not-expanded", test_document_entities);

  g_test_add_func ("/pb/autoconfig/srv/answer-handling", test_srv_answer_handling);
  g_test_add_func ("/pb/autoconfig/srv/outside-domain-needs-confirmation",
                   test_srv_outside_domain_needs_confirmation);

#define ADD(path, func) \
  g_test_add ("/pb/autoconfig/find/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("invalid-address-is-refused", test_find_invalid_address);
  ADD ("provider-list-needs-no-network", test_find_provider);
  ADD ("provider-without-pop3-stops-there", test_find_provider_without_pop3);
  ADD ("autoconfig-document", test_find_autoconfig);
  ADD ("well-known-after-autoconfig", test_find_wellknown);
  ADD ("ispdb-after-both", test_find_ispdb);
  ADD ("redirect-to-https-is-followed", test_find_redirect_https);
  ADD ("redirect-to-http-is-refused", test_find_redirect_http_refused);
  ADD ("huge-download-is-cut", test_find_huge_download);
  ADD ("srv-pop3s-by-priority", test_find_srv_pop3s);
  ADD ("srv-pop3-means-starttls", test_find_srv_pop3);
  ADD ("srv-outside-domain-needs-confirmation", test_find_srv_outside_domain);
  ADD ("https-failure-is-said-and-dns-after-it-confirmed", test_find_https_failure_is_said);
  ADD ("https-failure-is-said-when-nothing-is-found", test_find_https_failure_then_nothing);
  ADD ("probe-implicit-tls", test_find_probe_tls);
  ADD ("mx-names-a-hosting-services-server-tried-and-confirmed", test_find_mx_hosting);
  ADD ("mx-naming-no-hosting-service-changes-nothing", test_find_mx_other);
  ADD ("mx-naming-google-workspace-gives-gmails-settings", test_find_mx_provider);
  ADD ("probe-starttls", test_find_probe_starttls);
  ADD ("probe-plaintext-only-is-unsafe", test_find_probe_plaintext);
  ADD ("plaintext-document-alone-is-unsafe", test_find_plain_document);
  ADD ("nothing-anywhere-in-order", test_find_nothing);
  ADD ("skip-probing", test_find_skip_probing);
  ADD ("cancelled-while-waiting", test_find_cancelled_waiting);
  ADD ("cancelled-from-progress", test_find_cancelled_from_progress);
  ADD ("cancelled-before-start", test_find_cancelled_before);
  ADD ("silent-http-server-times-out", test_find_timeout);
  ADD ("silent-pop3-server-times-out", test_find_probe_timeout);
  ADD ("probe-dovecot", test_find_dovecot);
#undef ADD

  return g_test_run ();
}
