/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-autoconfig"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "pb-account.h"
#include "pb-autoconfig-private.h"
#include "pb-core-resources.h"
#include "pb-error.h"
#include "pb-pop3-client.h"


G_DEFINE_QUARK (pb-autoconfig-error-quark, pb_autoconfig_error)

/* ---- Candidates ----------------------------------------------------------- */

void
pb_server_candidate_free (PbServerCandidate *candidate)
{
  if (candidate == NULL)
    return;

  g_free (candidate->host);
  g_free (candidate->user);
  g_free (candidate->provider_name);
  g_free (candidate->help_url);
  g_free (candidate->confirm_text);
  g_free (candidate->oauth2_provider);
  g_free (candidate->webmail);
  g_free (candidate);
}

PbServerCandidate *
pb_server_candidate_copy (const PbServerCandidate *candidate)
{
  PbServerCandidate *copy;

  g_return_val_if_fail (candidate != NULL, NULL);

  copy = g_memdup2 (candidate, sizeof *candidate);
  copy->host = g_strdup (candidate->host);
  copy->user = g_strdup (candidate->user);
  copy->provider_name = g_strdup (candidate->provider_name);
  copy->help_url = g_strdup (candidate->help_url);
  copy->confirm_text = g_strdup (candidate->confirm_text);
  copy->oauth2_provider = g_strdup (candidate->oauth2_provider);
  copy->webmail = g_strdup (candidate->webmail);
  return copy;
}

PbServerCandidate *
pb_autoconfig_candidate_new (const char         *host,
               guint16             port,
               PbSecurity          security,
               const char         *user,
               PbAutoconfigSource  source)
{
  PbServerCandidate *candidate = g_new0 (PbServerCandidate, 1);

  candidate->host = g_strdup (host);
  candidate->port = port;
  candidate->security = security;
  candidate->user = g_strdup (user);
  candidate->source = source;
  return candidate;
}

/* ---- Addresses and host names --------------------------------------------- */

void
pb_autoconfig_address_clear (Address *address)
{
  g_clear_pointer (&address->address, g_free);
  g_clear_pointer (&address->local, g_free);
  g_clear_pointer (&address->domain, g_free);
}


gboolean
pb_autoconfig_has_control_chars (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        return TRUE;
    }
  return FALSE;
}

/* A host name fit to connect to, lower case and ASCII, or NULL. Text from
 * documents and DNS ends up in a connection and on screen: the one rule for
 * host names (pb_host_name_normalize) decides, as for what a user types. */
char *
pb_autoconfig_normalize_host (const char *text)
{
  if (text == NULL || strlen (text) > MAX_TEXT)
    return NULL;
  return pb_host_name_normalize (text, NULL);
}

gboolean
pb_autoconfig_parse_address (const char *text,
               Address    *out)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *domain = NULL;
  char *at;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return FALSE;

  trimmed = g_strstrip (g_strdup (text));
  at = strchr (trimmed, '@');
  if (at == NULL || at == trimmed || strchr (at + 1, '@') != NULL)
    return FALSE;
  for (const char *p = trimmed; *p != '\0'; p++)
    {
      if ((guchar) *p <= 0x20 || *p == 0x7f)
        return FALSE;
    }

  domain = pb_autoconfig_normalize_host (at + 1);
  if (domain == NULL || strchr (domain, '.') == NULL || g_hostname_is_ip_address (domain))
    return FALSE;

  out->local = g_strndup (trimmed, at - trimmed);
  out->domain = g_steal_pointer (&domain);
  out->address = g_steal_pointer (&trimmed);
  return TRUE;
}

char *
pb_autoconfig_get_domain (const char *address)
{
  g_auto(Address) parsed = { NULL, };

  if (!pb_autoconfig_parse_address (address, &parsed))
    return NULL;
  return g_steal_pointer (&parsed.domain);
}

/* Thunderbird's placeholders, in one pass so that an address containing
 * "%EMAILDOMAIN%" is not expanded twice. Others stay as they are. */
char *
pb_autoconfig_apply_placeholders (const char    *form,
                    const Address *address)
{
  static const struct
  {
    const char *name;
    gsize       offset;
  } placeholders[] = {
    { "%EMAILADDRESS%", G_STRUCT_OFFSET (Address, address) },
    { "%EMAILLOCALPART%", G_STRUCT_OFFSET (Address, local) },
    { "%EMAILDOMAIN%", G_STRUCT_OFFSET (Address, domain) },
  };
  GString *result = g_string_new (NULL);

  for (const char *p = form; *p != '\0'; )
    {
      gboolean replaced = FALSE;

      if (*p == '%')
        {
          for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
            {
              if (g_str_has_prefix (p, placeholders[i].name))
                {
                  g_string_append (result, G_STRUCT_MEMBER (const char *, address,
                                                            placeholders[i].offset));
                  p += strlen (placeholders[i].name);
                  replaced = TRUE;
                  break;
                }
            }
        }
      if (!replaced)
        g_string_append_c (result, *p++);
    }

  return g_string_free (result, FALSE);
}

/* ---- Finding the server --------------------------------------------------- */

typedef enum
{
  ATTEMPT_HTTP,
  ATTEMPT_SRV,
  ATTEMPT_PROBE,
  ATTEMPT_MX,
} AttemptKind;

typedef struct
{
  AttemptKind         kind;
  PbAutoconfigSource  source;
  char               *target;   /* the URL, the SRV service or the host */
  char               *detail;   /* for progress and logs */
  guint16             port;     /* probes */
  PbSecurity          security; /* probes */
  gboolean            well_known; /* the .well-known autoconfig URL */
  gboolean            quiet;      /* not reported as progress (the MX lookup: only the
                                   * hosts it leads to are tried, and named) */
  const char         *provider_name; /* probes of a hosting service's server */
} Attempt;

static void
attempt_free (Attempt *attempt)
{
  g_free (attempt->target);
  g_free (attempt->detail);
  g_free (attempt);
}

typedef struct
{
  Address               address;
  GPtrArray            *attempts;  /* Attempt* */
  guint                 next;      /* index of the next attempt */
  PbAutoconfigProgress  progress;
  gpointer              progress_data;

  GTlsDatabase         *tls_database;
  GResolver            *resolver;
  char                 *probe_ca_file;
  guint                 timeout;
  guint                 probe_timeout;

  /* the attempt under way */
  GCancellable         *cancellable;      /* the task's, or NULL */
  GCancellable         *step_cancellable; /* cancelled by the task's, or by the timer */
  gulong                cancelled_id;
  GSource              *timer;
  gboolean              timed_out;
  SoupSession          *session;
  SoupMessage          *message;
  GInputStream         *body_stream;
  GByteArray           *body;
  guint                 redirects;

  gboolean              plaintext_seen; /* a server without TLS was found */
  guint16               ports[2];       /* probe ports, by PbSecurity */
  /* What went wrong with HTTPS sources, sentences for the user; NULL-terminated. */
  GPtrArray            *failures;
} FindData;

static void
step_cleanup (FindData *data)
{
  if (data->timer != NULL)
    {
      g_source_destroy (data->timer);
      g_clear_pointer (&data->timer, g_source_unref);
    }
  if (data->cancelled_id != 0)
    {
      g_cancellable_disconnect (data->cancellable, data->cancelled_id);
      data->cancelled_id = 0;
    }
  g_clear_object (&data->step_cancellable);
  g_clear_object (&data->message);
  g_clear_object (&data->body_stream);
  g_clear_pointer (&data->body, g_byte_array_unref);
  data->redirects = 0;
  data->timed_out = FALSE;
}

static void
find_data_free (FindData *data)
{
  step_cleanup (data);
  pb_autoconfig_address_clear (&data->address);
  g_ptr_array_unref (data->attempts);
  g_ptr_array_unref (data->failures);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->tls_database);
  g_clear_object (&data->resolver);
  g_free (data->probe_ca_file);
  if (data->session != NULL)
    soup_session_abort (data->session);
  g_clear_object (&data->session);
  g_free (data);
}

static void
add_attempt (FindData           *data,
             AttemptKind         kind,
             PbAutoconfigSource  source,
             char               *target,
             char               *detail,
             guint16             port,
             PbSecurity          security)
{
  Attempt *attempt = g_new0 (Attempt, 1);

  attempt->kind = kind;
  attempt->source = source;
  attempt->target = target;
  attempt->detail = detail;
  attempt->port = port;
  attempt->security = security;
  g_ptr_array_add (data->attempts, attempt);
}

/* @template with its first "%s" replaced by @domain (never a printf format:
 * the template comes from the caller). */
static char *
expand_template (const char *template,
                 const char *domain)
{
  const char *mark = strstr (template, "%s");

  if (mark == NULL)
    return g_strdup (template);
  return g_strdup_printf ("%.*s%s%s", (int) (mark - template), template, domain, mark + 2);
}

static void
add_document_attempt (FindData           *data,
                      PbAutoconfigSource  source,
                      const char         *url,
                      gboolean            with_address)
{
  g_autofree char *escaped = NULL;
  char *full;

  if (!with_address)
    {
      add_attempt (data, ATTEMPT_HTTP, source, g_strdup (url), g_strdup (url), 0, 0);
      return;
    }

  /* Lets a host that serves many domains answer for this very mailbox. */
  escaped = g_uri_escape_string (data->address.address, NULL, FALSE);
  full = g_strdup_printf ("%s%semailaddress=%s", url, strchr (url, '?') != NULL ? "&" : "?",
                          escaped);
  add_attempt (data, ATTEMPT_HTTP, source, full, g_strdup (url), 0, 0);
}

static void
plan_attempts (FindData                  *data,
               const PbAutoconfigOptions *options,
               const char                *domain)
{
  static const char *const probe_prefixes[] = { "pop", "pop3", "mail" };
  const char *ispdb = options->ispdb_url != NULL ? options->ispdb_url : DEFAULT_ISPDB_URL;
  g_autofree char *autoconfig = NULL;
  g_autofree char *wellknown = NULL;
  g_autofree char *ispdb_url = NULL;
  guint16 ports[2];

  autoconfig = expand_template (options->autoconfig_url != NULL ? options->autoconfig_url
                                                                : DEFAULT_AUTOCONFIG_URL, domain);
  wellknown = expand_template (options->wellknown_url != NULL ? options->wellknown_url
                                                              : DEFAULT_WELLKNOWN_URL, domain);
  ispdb_url = g_strconcat (ispdb, domain, NULL);
  add_document_attempt (data, PB_AUTOCONFIG_SOURCE_AUTOCONFIG, autoconfig, TRUE);
  add_document_attempt (data, PB_AUTOCONFIG_SOURCE_AUTOCONFIG, wellknown, TRUE);
  ((Attempt *) g_ptr_array_index (data->attempts, data->attempts->len - 1))->well_known = TRUE;
  add_document_attempt (data, PB_AUTOCONFIG_SOURCE_ISPDB, ispdb_url, FALSE);

  add_attempt (data, ATTEMPT_SRV, PB_AUTOCONFIG_SOURCE_SRV, g_strdup ("pop3s"),
               g_strdup_printf ("_pop3s._tcp.%s", domain), 0, PB_SECURITY_TLS);
  add_attempt (data, ATTEMPT_SRV, PB_AUTOCONFIG_SOURCE_SRV, g_strdup ("pop3"),
               g_strdup_printf ("_pop3._tcp.%s", domain), 0, PB_SECURITY_STARTTLS);

  if (options->skip_probing)
    return;

  ports[PB_SECURITY_TLS] = options->probe_tls_port != 0 ? options->probe_tls_port : 995;
  ports[PB_SECURITY_STARTTLS] = options->probe_starttls_port != 0 ? options->probe_starttls_port
                                                                  : 110;
  data->ports[PB_SECURITY_TLS] = ports[PB_SECURITY_TLS];
  data->ports[PB_SECURITY_STARTTLS] = ports[PB_SECURITY_STARTTLS];
  add_attempt (data, ATTEMPT_MX, PB_AUTOCONFIG_SOURCE_MX, g_strdup (domain),
               g_strdup_printf ("MX %s", domain), 0, PB_SECURITY_TLS);
  ((Attempt *) g_ptr_array_index (data->attempts, data->attempts->len - 1))->quiet = TRUE;

  for (PbSecurity security = PB_SECURITY_TLS; security <= PB_SECURITY_STARTTLS; security++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (probe_prefixes); i++)
        {
          char *host = g_strdup_printf ("%s.%s", probe_prefixes[i], domain);

          add_attempt (data, ATTEMPT_PROBE, PB_AUTOCONFIG_SOURCE_PROBE, host,
                       g_strdup_printf ("%s:%u", host, ports[security]), ports[security],
                       security);
        }
    }
}

static void find_next (GTask *task);

static void
return_candidate (GTask             *task,
                  PbServerCandidate *candidate,
                  PbAutoconfigSource source)
{
  FindData *data = g_task_get_task_data (task);
  gboolean unauthenticated = source == PB_AUTOCONFIG_SOURCE_SRV ||
                             source == PB_AUTOCONFIG_SOURCE_PROBE ||
                             source == PB_AUTOCONFIG_SOURCE_MX;

  candidate->source = source;
  /* An HTTPS source failing and then DNS or a guess answering is just what an
   * attacker on the network would arrange: not a silent step down. */
  if (unauthenticated && candidate->confirm == PB_AUTOCONFIG_CONFIRM_NONE &&
      data->failures->len > 1)
    {
      candidate->confirm = PB_AUTOCONFIG_CONFIRM_AFTER_FAILURE;
      candidate->confirm_text = g_strdup_printf (
        /* Translators: %s is a server such as "pop.example.com". */
        _("%s was found only by a way that is not protected (DNS or trying common names), "
          "after a secure source failed. Continue only if you know it is your mail server."),
        candidate->host);
    }
  g_debug ("Found %s:%u (%s) for %s", candidate->host, candidate->port,
           pb_security_to_string (candidate->security), data->address.domain);
  step_cleanup (data);
  g_task_return_pointer (task, candidate, (GDestroyNotify) pb_server_candidate_free);
  g_object_unref (task);
}

/* Ends the attempt under way. TRUE when the whole search ended (cancelled),
 * and then @task is gone. */
static gboolean
attempt_end (GTask *task)
{
  FindData *data = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      step_cleanup (data);
      g_object_unref (task);
      return TRUE;
    }
  return FALSE;
}

/* The host of an HTTP attempt's URL, as the user's domain gave it (before redirects). */
static char *
attempt_host (const Attempt *attempt)
{
  g_autoptr(GUri) uri = g_uri_parse (attempt->target, SOUP_HTTP_URI_FLAGS, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup (attempt->detail);
  return g_strdup (g_uri_get_host (uri));
}

/* A sentence for an HTTPS source that failed, or NULL when it is simply absent:
 * most domains have no autoconfig host, and the ISPDB knows few of them. */
static char *
describe_http_failure (FindData      *data,
                       const Attempt *attempt,
                       const GError  *error)
{
  g_autofree char *host = attempt_host (attempt);

  if (data->timed_out)
    /* Translators: %s is a web server such as "autoconfig.example.com". */
    return g_strdup_printf (_("%s did not answer within %u seconds"), host, data->timeout);
  if (error == NULL)
    return NULL;
  if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_SOURCE_FAILED))
    return g_strdup (error->message);
  if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT))
    /* Translators: %s is a web server such as "autoconfig.example.com". */
    return g_strdup_printf (_("%s sent something that is not a mail settings document"), host);
  if (error->domain == PB_AUTOCONFIG_ERROR ||
      g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NULL;
  /* A reset, a TLS failure, a connection closed halfway. */
  /* Translators: %s is a web server such as "autoconfig.example.com", then why. */
  return g_strdup_printf (_("%s could not be asked over a secure connection: %s"), host,
                          error->message);
}

static GError *
source_failed (const char *format,
               ...) G_GNUC_PRINTF (1, 2);

static GError *
source_failed (const char *format,
               ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return g_error_new_literal (PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_SOURCE_FAILED, message);
}

/* The attempt under way failed: log why and go on with the next. */
static void
attempt_failed (GTask  *task,
                GError *error)
{
  FindData *data = g_task_get_task_data (task);
  Attempt *attempt = g_ptr_array_index (data->attempts, data->next - 1);

  if (data->timed_out)
    g_debug ("%s: no answer within %u s", attempt->detail,
             attempt->kind == ATTEMPT_PROBE ? data->probe_timeout : data->timeout);
  else
    g_debug ("%s: %s", attempt->detail, error != NULL ? error->message : "nothing found");

  if (error != NULL && g_error_matches (error, PB_AUTOCONFIG_ERROR,
                                        PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT))
    data->plaintext_seen = TRUE;
  if (attempt->kind == ATTEMPT_HTTP)
    {
      char *failure = describe_http_failure (data, attempt, error);

      if (failure != NULL)
        g_ptr_array_insert (data->failures, data->failures->len - 1, failure);
    }
  g_clear_error (&error);

  step_cleanup (data);
  find_next (task);
}

static gboolean
on_step_timeout (gpointer user_data)
{
  FindData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->step_cancellable);
  g_clear_pointer (&data->timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
on_task_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
step_begin (GTask *task,
            guint  seconds)
{
  FindData *data = g_task_get_task_data (task);

  data->step_cancellable = g_cancellable_new ();
  /* Runs at once when the search is cancelled already. */
  if (data->cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (data->cancellable, G_CALLBACK (on_task_cancelled),
                                                g_object_ref (data->step_cancellable),
                                                g_object_unref);

  data->timer = g_timeout_source_new (seconds * 1000);
  g_source_set_callback (data->timer, on_step_timeout, data, NULL);
  g_source_set_static_name (data->timer, "[popbell] autoconfig step timeout");
  g_source_attach (data->timer, g_task_get_context (task));
}

/* ---- HTTP: autoconfig documents and the ISPDB ----------------------------- */

static void http_request (GTask *task, const char *url);

static GError *
http_error (const char *format,
            ...) G_GNUC_PRINTF (1, 2);

static GError *
http_error (const char *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return g_error_new_literal (PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND, message);
}

static void
on_body_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  FindData *data = g_task_get_task_data (task);
  Attempt *attempt;
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;
  PbServerCandidate *candidate;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (attempt_end (task))
    {
      g_clear_error (&error);
      return;
    }
  if (bytes == NULL)
    {
      attempt_failed (task, error);
      return;
    }

  if (g_bytes_get_size (bytes) > 0)
    {
      if (data->body->len + g_bytes_get_size (bytes) > PB_AUTOCONFIG_MAX_DOCUMENT)
        {
          attempt_failed (task, g_error_new (PB_AUTOCONFIG_ERROR,
                                             PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,
                                             "the document is larger than %u bytes",
                                             PB_AUTOCONFIG_MAX_DOCUMENT));
          return;
        }
      g_byte_array_append (data->body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_input_stream_read_bytes_async (data->body_stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                       data->step_cancellable, on_body_read, task);
      return;
    }

  attempt = g_ptr_array_index (data->attempts, data->next - 1);
  candidate = pb_autoconfig_parse_builtin_document ((const char *) data->body->data, data->body->len, &data->address,
                              &error);
  if (candidate == NULL)
    {
      attempt_failed (task, error);
      return;
    }
  candidate->well_known = attempt->well_known;
  return_candidate (task, candidate, attempt->source);
}

static void
on_http_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  FindData *data = g_task_get_task_data (task);
  GError *error = NULL;
  GInputStream *stream;
  guint status;
  goffset length;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (attempt_end (task))
    {
      g_clear_object (&stream);
      g_clear_error (&error);
      return;
    }
  if (stream == NULL)
    {
      attempt_failed (task, error);
      return;
    }
  data->body_stream = stream;

  status = soup_message_get_status (data->message);
  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      const char *location = soup_message_headers_get_one (
        soup_message_get_response_headers (data->message), "Location");
      g_autoptr(GUri) next = NULL;
      g_autofree char *next_text = NULL;

      if (location != NULL)
        next = g_uri_parse_relative (soup_message_get_uri (data->message), location,
                                     SOUP_HTTP_URI_FLAGS, NULL);
      if (next == NULL || g_strcmp0 (g_uri_get_scheme (next), "https") != 0)
        {
          g_autofree char *host = attempt_host (g_ptr_array_index (data->attempts,
                                                                   data->next - 1));

          /* Translators: %s is a web server such as "autoconfig.example.com". */
          attempt_failed (task, source_failed (_("%s sent the request on to an address that "
                                                 "is not secure"), host));
          return;
        }
      if (++data->redirects > MAX_REDIRECTS)
        {
          g_autofree char *host = attempt_host (g_ptr_array_index (data->attempts,
                                                                   data->next - 1));

          /* Translators: %s is a web server such as "autoconfig.example.com". */
          attempt_failed (task, source_failed (_("%s redirected the request too many times"),
                                               host));
          return;
        }

      next_text = g_uri_to_string_partial (next, G_URI_HIDE_PASSWORD);
      g_debug ("Redirected to %s", next_text);
      g_clear_object (&data->body_stream);
      g_clear_object (&data->message);
      http_request (task, next_text);
      return;
    }

  /* No such document is an answer; any other error is a failure to say. */
  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE)
    {
      attempt_failed (task, http_error ("HTTP status %u", status));
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      g_autofree char *host = attempt_host (g_ptr_array_index (data->attempts, data->next - 1));

      /* Translators: %s is a web server such as "autoconfig.example.com", %u an HTTP
       * status code such as 500. */
      attempt_failed (task, source_failed (_("%s answered with an error (HTTP %u)"), host,
                                           status));
      return;
    }

  length = soup_message_headers_get_content_length (
    soup_message_get_response_headers (data->message));
  if (length > PB_AUTOCONFIG_MAX_DOCUMENT)
    {
      attempt_failed (task, g_error_new (PB_AUTOCONFIG_ERROR,
                                         PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,
                                         "the document is larger than %u bytes",
                                         PB_AUTOCONFIG_MAX_DOCUMENT));
      return;
    }

  data->body = g_byte_array_new ();
  g_input_stream_read_bytes_async (stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   data->step_cancellable, on_body_read, task);
}

static void
http_request (GTask      *task,
              const char *url)
{
  FindData *data = g_task_get_task_data (task);

  if (!g_str_has_prefix (url, "https://"))
    {
      attempt_failed (task, http_error ("only https:// is used"));
      return;
    }

  data->message = soup_message_new (SOUP_METHOD_GET, url);
  if (data->message == NULL)
    {
      attempt_failed (task, http_error ("not a valid URL"));
      return;
    }

  /* Redirects are checked here: only to https. */
  soup_message_add_flags (data->message, SOUP_MESSAGE_NO_REDIRECT);

  if (data->session == NULL)
    {
      data->session = soup_session_new_with_options ("timeout", data->timeout,
                                                     "user-agent", "Popbell/" PACKAGE_VERSION,
                                                     NULL);
      if (data->tls_database != NULL)
        soup_session_set_tls_database (data->session, data->tls_database);
    }

  soup_session_send_async (data->session, data->message, G_PRIORITY_DEFAULT,
                           data->step_cancellable, on_http_sent, task);
}

/* ---- DNS SRV (RFC 6186) --------------------------------------------------- */

/* DNS named @candidate's host, outside @domain: nothing is sent before the user says so. */
static void
confirm_outside_domain (PbServerCandidate *candidate,
                        const char        *domain)
{
  candidate->confirm = PB_AUTOCONFIG_CONFIRM_OUTSIDE_DOMAIN;
  g_free (candidate->confirm_text);
  candidate->confirm_text = g_strdup_printf (
    /* Translators: the mail domain ("example.com"), the server the DNS records name
     * ("mail.example.net"), the domain again. */
    _("The DNS records of %s name %s as its mail server. That server is outside %s, and "
      "DNS answers are not protected: someone on the network could have sent this one. "
      "Continue only if you know your mail is handled there."),
    domain, candidate->host, domain);
}

PbServerCandidate *
pb_autoconfig_candidate_from_srv (GList      *targets,
                                  PbSecurity  security,
                                  const char *address)
{
  g_auto(Address) parsed = { NULL, };
  GList *usable = NULL;
  PbServerCandidate *candidate = NULL;

  if (!pb_autoconfig_parse_address (address, &parsed))
    return NULL;

  /* A target "." means the service is decidedly not offered (RFC 2782). */
  for (GList *l = targets; l != NULL; l = l->next)
    {
      GSrvTarget *target = l->data;
      const char *hostname = g_srv_target_get_hostname (target);

      if (g_strcmp0 (hostname, ".") != 0 && g_strcmp0 (hostname, "") != 0 &&
          g_srv_target_get_port (target) != 0)
        usable = g_list_prepend (usable, g_srv_target_copy (target));
    }
  usable = g_srv_target_list_sort (g_list_reverse (usable));

  for (GList *l = usable; l != NULL && candidate == NULL; l = l->next)
    {
      g_autofree char *host = pb_autoconfig_normalize_host (g_srv_target_get_hostname (l->data));

      if (host != NULL)
        candidate = pb_autoconfig_candidate_new (host, g_srv_target_get_port (l->data), security,
                                   parsed.address, PB_AUTOCONFIG_SOURCE_SRV);
    }
  g_list_free_full (usable, (GDestroyNotify) g_srv_target_free);

  /* RFC 6186 §6: the answer is not authenticated, and a server outside the domain
   * with a valid certificate of its own would pass every TLS check. */
  if (candidate != NULL && !pb_autoconfig_host_is_expected (candidate->host, parsed.domain))
    confirm_outside_domain (candidate, parsed.domain);
  return candidate;
}

static void
on_srv_resolved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  FindData *data = g_task_get_task_data (task);
  Attempt *attempt = g_ptr_array_index (data->attempts, data->next - 1);
  GList *targets;
  GError *error = NULL;
  PbServerCandidate *candidate = NULL;

  targets = g_resolver_lookup_service_finish (G_RESOLVER (source), result, &error);
  if (attempt_end (task))
    {
      g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    {
      attempt_failed (task, error);
      return;
    }

  candidate = pb_autoconfig_candidate_from_srv (targets, attempt->security,
                                                data->address.address);
  g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);

  if (candidate == NULL)
    {
      attempt_failed (task, NULL);
      return;
    }
  return_candidate (task, candidate, PB_AUTOCONFIG_SOURCE_SRV);
}

/* ---- Hosting services named by MX records ----------------------------------- */

/* Hosting services whose customers' POP3 server is a host of the service's own; their
 * customers' domains are countless, so only the domain's MX records can show who hosts
 * one. That the host an MX record names is also the POP3 server is a guess: it is probed
 * like pop.<domain>, and the wizard names it and asks before logging in.
 *   Xserver: POP3 on sv<N>.xserver.jp (the server name in the customer's panel), 995 or
 *   STLS on 110, the user name is the address (https://www.xserver.ne.jp/manual/
 *   man_mail_setting.php, as quoted in its users' guides, read 2026-12-03). */
static const struct
{
  const char *prefix;   /* of the host's first label, followed by digits */
  const char *parent;   /* the rest of the host */
  const char *name;
} hosting_services[] = {
  { "sv", "xserver.jp", "Xserver" },
};

static const char *
hosting_service (const char *host)
{
  for (guint i = 0; i < G_N_ELEMENTS (hosting_services); i++)
    {
      const char *prefix = hosting_services[i].prefix;
      const char *dot = strchr (host, '.');
      const char *p;

      if (dot == NULL || g_ascii_strcasecmp (dot + 1, hosting_services[i].parent) != 0 ||
          g_ascii_strncasecmp (host, prefix, strlen (prefix)) != 0)
        continue;
      p = host + strlen (prefix);
      if (p == dot)
        continue;
      for (; p < dot && g_ascii_isdigit (*p); p++)
        ;
      if (p == dot)
        return hosting_services[i].name;
    }
  return NULL;
}

static gint
compare_mx (gconstpointer a,
            gconstpointer b)
{
  guint16 pa, pb;

  g_variant_get (*(GVariant **) a, "(q&s)", &pa, NULL);
  g_variant_get (*(GVariant **) b, "(q&s)", &pb, NULL);
  return (gint) pa - (gint) pb;
}

char *
pb_autoconfig_host_from_mx (GPtrArray   *records,
                            const char **service)
{
  g_ptr_array_sort (records, compare_mx);
  for (guint i = 0; i < records->len; i++)
    {
      const char *exchange = NULL;
      g_autofree char *host = NULL;
      const char *name;

      if (!g_variant_is_of_type (g_ptr_array_index (records, i), G_VARIANT_TYPE ("(qs)")))
        continue;
      g_variant_get (g_ptr_array_index (records, i), "(q&s)", NULL, &exchange);
      host = pb_autoconfig_normalize_host (exchange);
      name = host != NULL ? hosting_service (host) : NULL;
      if (name == NULL)
        continue;
      if (service != NULL)
        *service = name;
      return g_steal_pointer (&host);
    }
  return NULL;
}

PbServerCandidate *
pb_autoconfig_provider_from_mx (GPtrArray  *records,
                                const char *address)
{
  g_auto(Address) parsed = { 0 };

  g_return_val_if_fail (records != NULL, NULL);

  if (!pb_autoconfig_parse_address (address, &parsed))
    return NULL;
  g_ptr_array_sort (records, compare_mx);
  for (guint i = 0; i < records->len; i++)
    {
      const char *exchange = NULL;
      PbServerCandidate *candidate;

      if (!g_variant_is_of_type (g_ptr_array_index (records, i), G_VARIANT_TYPE ("(qs)")))
        continue;
      g_variant_get (g_ptr_array_index (records, i), "(q&s)", NULL, &exchange);
      candidate = pb_autoconfig_lookup_mx_provider (exchange, &parsed);
      if (candidate != NULL)
        {
          candidate->source = PB_AUTOCONFIG_SOURCE_MX;
          return candidate;
        }
    }
  return NULL;
}

static void
on_mx_resolved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  FindData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                 g_variant_unref);
  g_autofree char *host = NULL;
  PbServerCandidate *candidate;
  const char *name = NULL;
  GList *list;
  GError *error = NULL;
  guint insert_at = data->next;

  list = g_resolver_lookup_records_finish (G_RESOLVER (source), result, &error);
  for (GList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (records, l->data);
  g_list_free (list);
  if (attempt_end (task))
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    {
      attempt_failed (task, error);
      return;
    }

  /* A domain whose mail goes to Google or Microsoft: their POP3 settings, as
   * the provider list has them (a built-in provider's server: no guess). */
  candidate = pb_autoconfig_provider_from_mx (records, data->address.address);
  if (candidate != NULL)
    {
      g_debug ("MX of %s: %s", data->address.domain, candidate->provider_name);
      return_candidate (task, candidate, PB_AUTOCONFIG_SOURCE_MX);
      return;
    }

  host = pb_autoconfig_host_from_mx (records, &name);
  if (host != NULL)
    {
      g_debug ("MX of %s: %s, a server of %s", data->address.domain, host, name);
      for (PbSecurity security = PB_SECURITY_TLS; security <= PB_SECURITY_STARTTLS; security++)
        {
          Attempt *attempt = g_new0 (Attempt, 1);

          attempt->kind = ATTEMPT_PROBE;
          attempt->source = PB_AUTOCONFIG_SOURCE_MX;
          attempt->target = g_strdup (host);
          attempt->detail = g_strdup_printf ("%s:%u", host, data->ports[security]);
          attempt->port = data->ports[security];
          attempt->security = security;
          attempt->provider_name = name;
          g_ptr_array_insert (data->attempts, insert_at++, attempt);
        }
    }
  attempt_failed (task, NULL);
}

/* ---- Probing -------------------------------------------------------------- */

static void
on_probed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  FindData *data = g_task_get_task_data (task);
  Attempt *attempt = g_ptr_array_index (data->attempts, data->next - 1);
  g_autoptr(PbPop3Client) client = PB_POP3_CLIENT (source);
  PbServerCandidate *candidate;
  GError *error = NULL;
  gboolean found;

  found = pb_pop3_client_connect_finish (client, result, &error);
  pb_pop3_client_quit (client);
  if (attempt_end (task))
    {
      g_clear_error (&error);
      return;
    }

  /* A certificate we can't verify still shows a POP3 server over TLS is
   * there; the wizard shows the certificate when it tests the login. */
  if (!found && g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE))
    {
      g_debug ("%s: a POP3 server with an untrusted certificate", attempt->detail);
      g_clear_error (&error);
      found = TRUE;
    }

  if (!found)
    {
      if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_STLS_UNAVAILABLE))
        {
          g_prefix_error (&error, "only plaintext: ");
          data->plaintext_seen = TRUE;
        }
      attempt_failed (task, error);
      return;
    }

  candidate = pb_autoconfig_candidate_new (attempt->target, attempt->port, attempt->security,
                             data->address.address, attempt->source);
  candidate->provider_name = g_strdup (attempt->provider_name);
  if (!pb_autoconfig_host_is_expected (candidate->host, data->address.domain))
    confirm_outside_domain (candidate, data->address.domain);
  return_candidate (task, candidate, attempt->source);
}

/* ---- The sequence ---------------------------------------------------------- */

static void
find_next (GTask *task)
{
  FindData *data = g_task_get_task_data (task);
  Attempt *attempt;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (data->next == data->attempts->len)
    {
      if (data->plaintext_seen)
        g_task_return_new_error (task, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT,
                                 _("%s offers POP3 only without encryption. "
                                   "Popbell won't send your password unprotected."),
                                 data->address.domain);
      else
        g_task_return_new_error (task, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND,
                                 _("No POP3 server over TLS was found for %s. "
                                   "You can enter the server yourself."),
                                 data->address.domain);
      g_object_unref (task);
      return;
    }

  attempt = g_ptr_array_index (data->attempts, data->next++);
  g_debug ("Trying %s", attempt->detail);
  if (data->progress != NULL && !attempt->quiet)
    data->progress (attempt->source, attempt->detail, data->progress_data);

  /* The progress callback may have cancelled the search. */
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  switch (attempt->kind)
    {
    case ATTEMPT_HTTP:
      step_begin (task, data->timeout);
      http_request (task, attempt->target);
      break;

    case ATTEMPT_SRV:
      step_begin (task, data->timeout);
      g_resolver_lookup_service_async (data->resolver, attempt->target, "tcp",
                                       data->address.domain, data->step_cancellable,
                                       on_srv_resolved, task);
      break;

    case ATTEMPT_MX:
      step_begin (task, data->timeout);
      g_resolver_lookup_records_async (data->resolver, attempt->target, G_RESOLVER_RECORD_MX,
                                       data->step_cancellable, on_mx_resolved, task);
      break;

    case ATTEMPT_PROBE:
      {
        PbPop3Client *client = pb_pop3_client_new (attempt->target, attempt->port,
                                                   attempt->security);

        step_begin (task, data->probe_timeout + 1);
        pb_pop3_client_set_timeout (client, data->probe_timeout);
        if (data->probe_ca_file != NULL)
          pb_pop3_client_set_ca_file (client, data->probe_ca_file);
        pb_pop3_client_connect_async (client, data->step_cancellable, on_probed, task);
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

void
pb_autoconfig_find_async (const char                *address,
                          const PbAutoconfigOptions *options,
                          PbAutoconfigProgress       progress,
                          gpointer                   progress_data,
                          GCancellable              *cancellable,
                          GAsyncReadyCallback        callback,
                          gpointer                   user_data)
{
  static const PbAutoconfigOptions defaults = { NULL, };
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  PbServerCandidate *candidate;
  FindData *data;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (options == NULL)
    options = &defaults;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_autoconfig_find_async);
  g_task_set_name (task, "[popbell] autoconfig");

  data = g_new0 (FindData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) find_data_free);
  data->attempts = g_ptr_array_new_with_free_func ((GDestroyNotify) attempt_free);
  data->failures = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (data->failures, NULL);

  if (!pb_autoconfig_parse_address (address, &data->address))
    {
      pb_autoconfig_set_invalid_address (&error, address);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->progress = progress;
  data->progress_data = progress_data;
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  data->tls_database = options->http_tls_database != NULL
    ? g_object_ref (options->http_tls_database) : NULL;
  data->resolver = options->resolver != NULL ? g_object_ref (options->resolver)
                                             : g_resolver_get_default ();
  data->probe_ca_file = g_strdup (options->probe_ca_file);
  data->timeout = options->timeout != 0 ? options->timeout : DEFAULT_TIMEOUT;
  data->probe_timeout = options->timeout != 0 ? options->timeout : DEFAULT_PROBE_TIMEOUT;

  /* The list answers at once, so it needs no attempt of its own. */
  if (progress != NULL)
    progress (PB_AUTOCONFIG_SOURCE_PROVIDER_LIST, data->address.domain, progress_data);
  if (g_task_return_error_if_cancelled (task))
    return;

  candidate = pb_autoconfig_lookup_builtin (&data->address, &error);
  if (candidate != NULL)
    {
      g_task_return_pointer (task, candidate, (GDestroyNotify) pb_server_candidate_free);
      return;
    }
  if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_debug ("Provider list: %s", error->message);

  plan_attempts (data, options, data->address.domain);
  find_next (g_steal_pointer (&task));
}

const char * const *
pb_autoconfig_find_get_failures (GAsyncResult *result)
{
  FindData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_autoconfig_find_async,
                        NULL);

  data = g_task_get_task_data (G_TASK (result));
  return (const char * const *) data->failures->pdata;
}

PbServerCandidate *
pb_autoconfig_find_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_autoconfig_find_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
