/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-oauth2"

#include "config.h"

#include <string.h>
#include <sys/random.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pb-error.h"
#include "pb-oauth2-client.h"
#include "pb-sasl.h"
#include "pb-text.h"

#define HTTP_TIMEOUT       30            /* seconds per request */
#define MAX_ANSWER_BYTES   (64 * 1024)
#define SLOW_DOWN_SECONDS  5             /* RFC 8628 §3.5 */
#define DEFAULT_INTERVAL   5
#define DEVICE_GRANT       "urn:ietf:params:oauth:grant-type:device_code"

/* ---- Tokens ----------------------------------------------------------------- */

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    {
      explicit_bzero (secret, strlen (secret));
      g_free (secret);
    }
}

void
pb_oauth2_tokens_free (PbOAuth2Tokens *tokens)
{
  if (tokens == NULL)
    return;
  wipe_free (tokens->access_token);
  wipe_free (tokens->refresh_token);
  g_free (tokens->scope);
  g_free (tokens);
}

void
pb_oauth2_device_code_free (PbOAuth2DeviceCode *device)
{
  if (device == NULL)
    return;
  wipe_free (device->device_code);
  g_free (device->user_code);
  g_free (device->verification_uri);
  g_free (device->verification_uri_complete);
  g_free (device);
}

static PbOAuth2DeviceCode *
device_code_copy (const PbOAuth2DeviceCode *device)
{
  PbOAuth2DeviceCode *copy = g_new0 (PbOAuth2DeviceCode, 1);

  copy->device_code = g_strdup (device->device_code);
  copy->user_code = g_strdup (device->user_code);
  copy->verification_uri = g_strdup (device->verification_uri);
  copy->verification_uri_complete = g_strdup (device->verification_uri_complete);
  copy->expires_in = device->expires_in;
  copy->interval = device->interval;
  return copy;
}

/* ---- PKCE and the authorization request ------------------------------------ */

static char *
base64url (const guchar *data,
           gsize         len)
{
  char *text = g_base64_encode (data, len);
  char *end;

  for (char *p = text; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  end = strchr (text, '=');
  if (end != NULL)
    *end = '\0';
  return text;
}

static char *
random_text (gsize octets)
{
  guchar buffer[64];
  char *text;

  g_assert (octets <= sizeof buffer);
  /* The kernel's CSPRNG; it blocks only before it was ever seeded. */
  if (getrandom (buffer, octets, 0) != (gssize) octets)
    g_error ("getrandom failed");
  text = base64url (buffer, octets);
  explicit_bzero (buffer, sizeof buffer);
  return text;
}

char *
pb_oauth2_pkce_verifier (void)
{
  return random_text (32);
}

char *
pb_oauth2_pkce_challenge (const char *verifier)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_return_val_if_fail (verifier != NULL, NULL);

  g_checksum_update (checksum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (checksum, digest, &len);
  return base64url (digest, len);
}

char *
pb_oauth2_random_state (void)
{
  return random_text (16);
}

static void
append_param (GString    *out,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  /* @out holds only parameters: the endpoint's own query may end in '?' or
   * '&' inside a value ("?next=a?"), which says nothing about separators. */
  if (out->len > 0)
    g_string_append_c (out, '&');
  g_string_append (out, name);
  g_string_append_c (out, '=');
  g_string_append (out, escaped);
}

char *
pb_oauth2_authorization_url (const PbOAuth2Provider *provider,
                             const char             *redirect_uri,
                             const char             *state,
                             const char             *code_challenge,
                             const char             *login_hint)
{
  g_autoptr(GString) params = NULL;
  const char *query;
  GString *url;

  g_return_val_if_fail (provider != NULL && provider->authorization_endpoint != NULL, NULL);
  g_return_val_if_fail (provider->client_id != NULL, NULL);
  g_return_val_if_fail (redirect_uri != NULL && state != NULL && code_challenge != NULL, NULL);

  params = g_string_new (NULL);
  append_param (params, "response_type", "code");
  append_param (params, "client_id", provider->client_id);
  append_param (params, "redirect_uri", redirect_uri);
  append_param (params, "scope", provider->scope);
  append_param (params, "state", state);
  append_param (params, "code_challenge", code_challenge);
  append_param (params, "code_challenge_method", "S256");
  if (login_hint != NULL && *login_hint != '\0')
    append_param (params, "login_hint", login_hint);
  if (provider->authorization_parameters != NULL && *provider->authorization_parameters != '\0')
    {
      if (provider->authorization_parameters[0] != '&')
        g_string_append_c (params, '&');
      g_string_append (params, provider->authorization_parameters);
    }

  /* After the endpoint's own query, if it has one, and its last parameter. */
  query = strchr (provider->authorization_endpoint, '?');
  url = g_string_new (provider->authorization_endpoint);
  if (query == NULL)
    g_string_append_c (url, '?');
  else if (query[1] != '\0' && url->str[url->len - 1] != '&')
    g_string_append_c (url, '&');
  g_string_append_len (url, params->str, params->len);
  return g_string_free (url, FALSE);
}

/* ---- Requests ----------------------------------------------------------------- */

typedef enum
{
  REQUEST_CODE,
  REQUEST_REFRESH,
  REQUEST_DEVICE_AUTHORIZE,
  REQUEST_DEVICE_POLL,
} RequestKind;

typedef struct
{
  PbOAuth2Provider   *provider;
  RequestKind         kind;
  char               *url;
  char               *host;        /* of url, for messages */
  GString            *form;        /* wiped */
  SoupSession        *session;
  SoupMessage        *message;

  /* The device wait. */
  PbOAuth2DeviceCode *device;
  guint               interval;
  gint64              deadline;    /* monotonic */
  GSource            *timer;       /* holds a reference to the task */
  GCancellable       *cancellable;
  gulong              cancel_id;
} Request;

static void
request_free (Request *request)
{
  if (request->cancel_id != 0)
    g_cancellable_disconnect (request->cancellable, request->cancel_id);
  g_clear_object (&request->cancellable);
  if (request->timer != NULL)
    {
      g_source_destroy (request->timer);
      g_source_unref (request->timer);
    }
  pb_oauth2_provider_free (request->provider);
  g_free (request->url);
  g_free (request->host);
  if (request->form != NULL)
    {
      explicit_bzero (request->form->str, request->form->allocated_len);
      g_string_free (request->form, TRUE);
    }
  g_clear_object (&request->message);
  g_clear_object (&request->session);
  pb_oauth2_device_code_free (request->device);
  g_free (request);
}

/* The host of @url, for messages. */
static char *
url_host (const char *url)
{
  g_autoptr(GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (uri != NULL && g_uri_get_host (uri) != NULL)
    return g_strdup (g_uri_get_host (uri));
  return g_strdup (url != NULL ? url : "");
}

static void
wipe_bytes (gpointer data)
{
  GString *copy = data;

  explicit_bzero (copy->str, copy->allocated_len);
  g_string_free (copy, TRUE);
}

static void
form_add (Request    *request,
          const char *name,
          const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  /* Sized ahead, so that growing leaves no unwiped copy of a token behind. */
  if (request->form == NULL)
    request->form = g_string_sized_new (8192);
  g_assert (request->form->len + strlen (name) + strlen (escaped) + 2 <
            request->form->allocated_len);
  if (request->form->len > 0)
    g_string_append_c (request->form, '&');
  g_string_append (request->form, name);
  g_string_append_c (request->form, '=');
  g_string_append (request->form, escaped);
  explicit_bzero (escaped, strlen (escaped));
}

static void
form_add_client (Request *request)
{
  form_add (request, "client_id", request->provider->client_id);
  if (request->provider->client_secret != NULL)
    form_add (request, "client_secret", request->provider->client_secret);
}

static GTask *
request_new (const PbOAuth2Provider *provider,
             RequestKind             kind,
             gpointer                source_tag,
             GCancellable           *cancellable,
             GAsyncReadyCallback     callback,
             gpointer                user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  g_task_set_source_tag (task, source_tag);
  request->provider = pb_oauth2_provider_copy (provider);
  request->kind = kind;
  request->url = g_strdup (kind == REQUEST_DEVICE_AUTHORIZE ? provider->device_endpoint
                                                            : provider->token_endpoint);
  request->host = url_host (request->url);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  return task;
}

/* FALSE after returning an error on @task: the provider can't be asked. */
static gboolean
request_check_client (GTask *task)
{
  Request *request = g_task_get_task_data (task);

  if (request->provider->client_id == NULL)
    {
      g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NO_CLIENT_ID,
                               _("This copy of Popbell has no client ID for signing in with "
                                 "%s."), request->provider->name);
      return FALSE;
    }
  if (request->url == NULL)
    {
      g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER,
                               _("%s offers no sign-in with a code on another device."),
                               request->provider->name);
      return FALSE;
    }
  return TRUE;
}

static void request_send (GTask *task);

/* The text an error answer gives, cleaned up for the user, or NULL. */
static char *
describe_error (JsonObject *object)
{
  const char *description;

  if (object == NULL || !json_object_has_member (object, "error_description"))
    return NULL;
  description = json_object_get_string_member_with_default (object, "error_description", NULL);
  if (description == NULL || *description == '\0')
    return NULL;
  return pb_text_clean (description, -1, 200);
}

/* A string member, or NULL. */
static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* An integer member (a number, or a string of digits, as some providers
 * send), or @fallback. */
static gint64
get_seconds (JsonObject *object,
             const char *name,
             gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, name);
  guint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node) >= 0 ? json_node_get_int (node) : fallback;
  if (json_node_get_value_type (node) == G_TYPE_STRING &&
      g_ascii_string_to_unsigned (json_node_get_string (node), 10, 0, G_MAXINT32, &value, NULL))
    return (gint64) value;
  return fallback;
}

/* Copies a token out of the parsed answer and wipes the parser's copy. */
static char *
take_token (JsonObject *object,
            const char *name)
{
  char *value = (char *) get_string (object, name);
  char *copy;

  if (value == NULL)
    return NULL;
  copy = g_strdup (value);
  explicit_bzero (value, strlen (value));
  return copy;
}

static GError *
protocol_error (Request    *request,
                const char *what)
{
  /* Translators: the first %s is a host name, the second says what was wrong. */
  return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_PROTOCOL,
                      _("%s sent an answer Popbell does not understand (%s)."),
                      request->host, what);
}

static PbOAuth2Tokens *
parse_tokens (Request     *request,
              JsonObject  *object,
              GError     **error)
{
  g_autoptr(PbOAuth2Tokens) tokens = g_new0 (PbOAuth2Tokens, 1);
  const char *type = get_string (object, "token_type");

  tokens->access_token = take_token (object, "access_token");
  tokens->refresh_token = take_token (object, "refresh_token");
  tokens->expires_in = get_seconds (object, "expires_in", 0);
  tokens->scope = g_strdup (get_string (object, "scope"));

  if (!pb_sasl_token_is_valid (tokens->access_token))
    {
      g_propagate_error (error, protocol_error (request, "access_token"));
      return NULL;
    }
  if (type == NULL || g_ascii_strcasecmp (type, "bearer") != 0)
    {
      g_propagate_error (error, protocol_error (request, "token_type"));
      return NULL;
    }
  if (tokens->refresh_token != NULL &&
      (*tokens->refresh_token == '\0' || !pb_sasl_user_is_valid (tokens->refresh_token)))
    {
      g_propagate_error (error, protocol_error (request, "refresh_token"));
      return NULL;
    }
  return g_steal_pointer (&tokens);
}

static PbOAuth2DeviceCode *
parse_device_code (Request     *request,
                   JsonObject  *object,
                   GError     **error)
{
  g_autoptr(PbOAuth2DeviceCode) device = g_new0 (PbOAuth2DeviceCode, 1);
  const char *complete;

  device->device_code = take_token (object, "device_code");
  device->user_code = g_strdup (get_string (object, "user_code"));
  /* Google says verification_url, as the RFC's drafts did. */
  device->verification_uri = g_strdup (get_string (object, "verification_uri"));
  if (device->verification_uri == NULL)
    device->verification_uri = g_strdup (get_string (object, "verification_url"));
  complete = get_string (object, "verification_uri_complete");
  device->verification_uri_complete = g_strdup (complete);
  device->expires_in = (guint) get_seconds (object, "expires_in", 0);
  device->interval = (guint) MAX (1, get_seconds (object, "interval", DEFAULT_INTERVAL));

  if (device->device_code == NULL || *device->device_code == '\0' ||
      device->user_code == NULL || !pb_sasl_user_is_valid (device->user_code) ||
      device->expires_in == 0)
    {
      g_propagate_error (error, protocol_error (request, "device_code"));
      return NULL;
    }
  /* The user is told to open these: nothing but https://. */
  if (device->verification_uri == NULL ||
      !g_str_has_prefix (device->verification_uri, "https://") ||
      !pb_sasl_user_is_valid (device->verification_uri))
    {
      g_propagate_error (error, protocol_error (request, "verification_uri"));
      return NULL;
    }
  if (device->verification_uri_complete != NULL &&
      (!g_str_has_prefix (device->verification_uri_complete, "https://") ||
       !pb_sasl_user_is_valid (device->verification_uri_complete)))
    g_clear_pointer (&device->verification_uri_complete, g_free);
  return g_steal_pointer (&device);
}

/* The error of an answer that is not a success, from its "error" code. */
static GError *
answer_error (Request    *request,
              guint       status,
              JsonObject *object)
{
  const char *code = object != NULL ? get_string (object, "error") : NULL;
  g_autofree char *description = describe_error (object);
  const char *host = request->host;
  const char *name = request->provider->name;

  if (code == NULL)
    {
      if (status >= 500)
        return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_TEMPORARY,
                            _("%s has a temporary problem (HTTP %u)."), host, status);
      return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_SERVER,
                          _("%s answered with an error (HTTP %u)."), host, status);
    }

  if (strcmp (code, "invalid_grant") == 0 && request->kind == REQUEST_REFRESH)
    return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN,
                        _("%s no longer accepts Popbell’s sign-in; sign in again."), name);
  if (strcmp (code, "access_denied") == 0 || strcmp (code, "authorization_declined") == 0)
    return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_DENIED,
                        _("The sign-in with %s was refused."), name);
  if (strcmp (code, "expired_token") == 0)
    return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_EXPIRED,
                        _("The sign-in code expired before the sign-in was finished."));
  if (strcmp (code, "temporarily_unavailable") == 0 || status >= 500)
    return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_TEMPORARY,
                        _("%s has a temporary problem (HTTP %u)."), host, status);

  {
    g_autofree char *clean_code = pb_text_clean (code, -1, 60);

    if (description != NULL)
      /* Translators: a provider, its error code (e.g. invalid_client), its explanation. */
      return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_SERVER,
                          _("%s refused the request (%s): %s"), name, clean_code, description);
    return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_SERVER,
                        _("%s refused the request (%s)."), name, clean_code);
  }
}

static void device_poll_later (GTask *task);

/* The answer: @object is NULL when it was not a JSON object. */
static void
request_handle (GTask      *task,
                guint       status,
                JsonObject *object)
{
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;

  if (status != 200 || object == NULL || json_object_has_member (object, "error"))
    {
      const char *code = object != NULL ? get_string (object, "error") : NULL;

      /* RFC 8628 §3.5: the user has not finished yet; ask again. */
      if (request->kind == REQUEST_DEVICE_POLL && code != NULL &&
          (strcmp (code, "authorization_pending") == 0 || strcmp (code, "slow_down") == 0))
        {
          if (strcmp (code, "slow_down") == 0)
            request->interval += SLOW_DOWN_SECONDS;
          g_debug ("Device sign-in: %s, next poll in %u s", code, request->interval);
          device_poll_later (task);
          return;
        }
      if (status == 200 && object == NULL)
        g_task_return_error (task, protocol_error (request, "not JSON"));
      else
        g_task_return_error (task, answer_error (request, status, object));
      g_object_unref (task);
      return;
    }

  if (request->kind == REQUEST_DEVICE_AUTHORIZE)
    {
      PbOAuth2DeviceCode *device = parse_device_code (request, object, &error);

      if (device == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, device, (GDestroyNotify) pb_oauth2_device_code_free);
    }
  else
    {
      PbOAuth2Tokens *tokens = parse_tokens (request, object, &error);

      if (tokens == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, tokens, (GDestroyNotify) pb_oauth2_tokens_free);
    }
  g_object_unref (task);
}

static void
on_answer (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = NULL;
  GError *error = NULL;
  JsonNode *root;
  const char *content_type;
  gsize len = 0;
  const char *data;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, "%s: ", request->host);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  data = g_bytes_get_data (body, &len);
  content_type = soup_message_headers_get_content_type (
                   soup_message_get_response_headers (request->message), NULL);
  g_debug ("%s: HTTP %u, %" G_GSIZE_FORMAT " bytes of %s", request->host,
           soup_message_get_status (request->message), len,
           content_type != NULL ? content_type : "no type");

  if (len > MAX_ANSWER_BYTES)
    {
      explicit_bzero ((gpointer) data, len);
      g_task_return_error (task, protocol_error (request, "too large"));
      g_object_unref (task);
      return;
    }

  parser = json_parser_new ();
  if (data != NULL && len > 0 && json_parser_load_from_data (parser, data, len, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      /* The body held the tokens: nothing of it stays behind. */
      explicit_bzero ((gpointer) data, len);
      request_handle (task, soup_message_get_status (request->message),
                      json_node_get_object (root));
      return;
    }

  if (data != NULL)
    explicit_bzero ((gpointer) data, len);
  request_handle (task, soup_message_get_status (request->message), NULL);
}

static void
request_send (GTask *task)
{
  Request *request = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GBytes) body = NULL;
  GString *copy;

  if (request->session == NULL)
    {
      request->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT,
                                                        "user-agent", "Popbell/" PACKAGE_VERSION,
                                                        NULL);
      if (request->provider->ca_file != NULL)
        {
          g_autoptr(GTlsDatabase) database = NULL;
          GError *error = NULL;

          database = g_tls_file_database_new (request->provider->ca_file, &error);
          if (database == NULL)
            {
              g_prefix_error (&error, _("The ca-file of %s can’t be used: "),
                              request->provider->name);
              g_task_return_error (task, error);
              g_object_unref (task);
              return;
            }
          soup_session_set_tls_database (request->session, database);
        }
    }

  g_clear_object (&request->message);
  request->message = soup_message_new (SOUP_METHOD_POST, request->url);
  if (request->message == NULL)
    {
      g_task_return_error (task, protocol_error (request, "URL"));
      g_object_unref (task);
      return;
    }
  /* No redirects: a token endpoint that redirects a request holding a code or
   * a refresh token elsewhere is not followed. */
  soup_message_add_flags (request->message, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (request->message),
                                "Accept", "application/json");

  /* A copy for the message, wiped when libsoup lets go of it. */
  copy = g_string_sized_new (request->form->allocated_len);
  g_string_append_len (copy, request->form->str, request->form->len);
  body = g_bytes_new_with_free_func (copy->str, copy->len, wipe_bytes, copy);
  soup_message_set_request_body_from_bytes (request->message,
                                            "application/x-www-form-urlencoded", body);

  g_debug ("POST %s (%s)", request->url,
           request->kind == REQUEST_CODE ? "authorization code" :
           request->kind == REQUEST_REFRESH ? "refresh token" :
           request->kind == REQUEST_DEVICE_AUTHORIZE ? "device authorization" : "device code");
  soup_session_send_and_read_async (request->session, request->message, G_PRIORITY_DEFAULT,
                                    cancellable, on_answer, task);
}

/* ---- Public requests ---------------------------------------------------------- */

void
pb_oauth2_exchange_code_async (const PbOAuth2Provider *provider,
                               const char             *code,
                               const char             *code_verifier,
                               const char             *redirect_uri,
                               GCancellable           *cancellable,
                               GAsyncReadyCallback     callback,
                               gpointer                user_data)
{
  GTask *task;
  Request *request;

  g_return_if_fail (provider != NULL);
  g_return_if_fail (code != NULL && code_verifier != NULL && redirect_uri != NULL);

  task = request_new (provider, REQUEST_CODE, pb_oauth2_exchange_code_async, cancellable,
                      callback, user_data);
  if (!request_check_client (task))
    {
      g_object_unref (task);
      return;
    }
  request = g_task_get_task_data (task);
  form_add (request, "grant_type", "authorization_code");
  form_add (request, "code", code);
  form_add (request, "redirect_uri", redirect_uri);
  form_add (request, "code_verifier", code_verifier);
  form_add_client (request);
  request_send (task);
}

PbOAuth2Tokens *
pb_oauth2_exchange_code_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_oauth2_exchange_code_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
pb_oauth2_refresh_async (const PbOAuth2Provider *provider,
                         const char             *refresh_token,
                         GCancellable           *cancellable,
                         GAsyncReadyCallback     callback,
                         gpointer                user_data)
{
  GTask *task;
  Request *request;

  g_return_if_fail (provider != NULL);
  g_return_if_fail (refresh_token != NULL);

  task = request_new (provider, REQUEST_REFRESH, pb_oauth2_refresh_async, cancellable,
                      callback, user_data);
  if (!request_check_client (task))
    {
      g_object_unref (task);
      return;
    }
  request = g_task_get_task_data (task);
  form_add (request, "grant_type", "refresh_token");
  form_add (request, "refresh_token", refresh_token);
  form_add_client (request);
  request_send (task);
}

PbOAuth2Tokens *
pb_oauth2_refresh_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_oauth2_refresh_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
pb_oauth2_device_authorize_async (const PbOAuth2Provider *provider,
                                  GCancellable           *cancellable,
                                  GAsyncReadyCallback     callback,
                                  gpointer                user_data)
{
  GTask *task;
  Request *request;

  g_return_if_fail (provider != NULL);

  task = request_new (provider, REQUEST_DEVICE_AUTHORIZE, pb_oauth2_device_authorize_async,
                      cancellable, callback, user_data);
  if (!request_check_client (task))
    {
      g_object_unref (task);
      return;
    }
  request = g_task_get_task_data (task);
  form_add_client (request);
  form_add (request, "scope", provider->scope);
  request_send (task);
}

PbOAuth2DeviceCode *
pb_oauth2_device_authorize_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        pb_oauth2_device_authorize_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
on_poll_time (gpointer user_data)
{
  GTask *task = user_data;
  Request *request = g_task_get_task_data (task);

  g_clear_pointer (&request->timer, g_source_unref);
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  request_send (task);
  return G_SOURCE_REMOVE;
}

/* Takes @task. */
static void
device_poll_later (GTask *task)
{
  Request *request = g_task_get_task_data (task);
  gint64 now = g_get_monotonic_time ();

  if (now + (gint64) request->interval * G_USEC_PER_SEC > request->deadline)
    {
      g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_EXPIRED,
                               _("The sign-in code expired before the sign-in was finished."));
      g_object_unref (task);
      return;
    }

  /* Milliseconds: a seconds source may fire early to share a wakeup, and
   * RFC 8628 wants at least the interval between polls. */
  request->timer = g_timeout_source_new ((guint) request->interval * 1000);
  g_source_set_callback (request->timer, on_poll_time, task, NULL);
  g_source_set_static_name (request->timer, "[popbell] device sign-in poll");
  g_source_attach (request->timer, g_main_context_get_thread_default ());
}

static gboolean
on_wait_cancelled_idle (gpointer user_data)
{
  GTask *task = user_data;
  Request *request = g_task_get_task_data (task);

  /* Only between polls: a request in flight ends by itself when cancelled. */
  if (request->timer != NULL)
    {
      g_source_destroy (request->timer);
      g_clear_pointer (&request->timer, g_source_unref);
      g_task_return_error_if_cancelled (task);
      /* The reference the timer held. */
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

/* Runs inside g_cancellable_cancel (), where nothing may disconnect: the work
 * is done from an idle. */
static void
on_wait_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GSource *idle = g_idle_source_new ();

  g_source_set_callback (idle, on_wait_cancelled_idle, g_object_ref (user_data), g_object_unref);
  g_source_set_static_name (idle, "[popbell] device sign-in cancelled");
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

void
pb_oauth2_device_wait_async (const PbOAuth2Provider   *provider,
                             const PbOAuth2DeviceCode *device,
                             GCancellable             *cancellable,
                             GAsyncReadyCallback       callback,
                             gpointer                  user_data)
{
  GTask *task;
  Request *request;

  g_return_if_fail (provider != NULL);
  g_return_if_fail (device != NULL && device->device_code != NULL);

  task = request_new (provider, REQUEST_DEVICE_POLL, pb_oauth2_device_wait_async, cancellable,
                      callback, user_data);
  if (!request_check_client (task))
    {
      g_object_unref (task);
      return;
    }
  request = g_task_get_task_data (task);
  request->device = device_code_copy (device);
  request->interval = MAX (1, device->interval);
  request->deadline = g_get_monotonic_time () + (gint64) device->expires_in * G_USEC_PER_SEC;
  form_add (request, "grant_type", DEVICE_GRANT);
  form_add (request, "device_code", device->device_code);
  form_add_client (request);

  if (cancellable != NULL)
    {
      request->cancellable = g_object_ref (cancellable);
      request->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_wait_cancelled),
                                                  task, NULL);
    }
  /* RFC 8628 §3.5: the first poll waits an interval too. */
  device_poll_later (task);
}

PbOAuth2Tokens *
pb_oauth2_device_wait_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_oauth2_device_wait_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
