/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-pop3"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-error.h"
#include "pb-pop3-client-private.h"
#include "pb-sasl.h"


G_DEFINE_FINAL_TYPE (PbPop3Client, pb_pop3_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
pb_pop3_listing_free (PbPop3Listing *listing)
{
  if (listing == NULL)
    return;

  g_clear_pointer (&listing->entries, g_ptr_array_unref);
  g_free (listing->entry_block);
  g_clear_pointer (&listing->uidl_storage, g_string_chunk_free);
  g_free (listing);
}

/* ---- Connecting ---------------------------------------------------------- */

typedef enum
{
  PHASE_GREETING,
  PHASE_CAPA,
  PHASE_STLS,
} ConnectPhase;

typedef struct
{
  ConnectPhase phase;
  Exchange    *exchange;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  pb_pop3_exchange_free (data->exchange);
  g_free (data);
}

static void on_connect_exchange (GObject      *source,
                                 GAsyncResult *result,
                                 gpointer      user_data);

static void
set_stream (PbPop3Client *self,
            GIOStream    *stream)
{
  g_set_object (&self->stream, stream);
  self->input = g_io_stream_get_input_stream (stream);
  self->output = g_io_stream_get_output_stream (stream);
}

static void
connect_send (GTask        *task,
              ConnectPhase  phase)
{
  PbPop3Client *self = g_task_get_source_object (task);
  ConnectData *data = g_task_get_task_data (task);

  data->phase = phase;
  g_clear_pointer (&data->exchange, pb_pop3_exchange_free);
  data->exchange = pb_pop3_exchange_new ();

  switch (phase)
    {
    case PHASE_GREETING:
      pb_pop3_exchange_add (data->exchange, "greeting", NULL, FALSE, 0);
      break;
    case PHASE_CAPA:
      pb_pop3_exchange_add (data->exchange, "CAPA", "CAPA", TRUE, MAX_CAPA_BYTES);
      break;
    case PHASE_STLS:
      pb_pop3_exchange_add (data->exchange, "STLS", "STLS", FALSE, 0);
      data->exchange->more_is_injection = TRUE;
      break;
    default:
      g_assert_not_reached ();
    }

  pb_pop3_exchange_async (self, data->exchange, on_connect_exchange, task);
}

static void
connect_done (GTask *task)
{
  PbPop3Client *self = g_task_get_source_object (task);

  pb_pop3_op_end (self);
  self->state = STATE_CONNECTED;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static GError *
untrusted_error (PbPop3Client *self)
{
  g_auto(GStrv) problems = pb_certificate_describe_problems (self->certificate_errors,
                                                             self->peer_certificate, self->host);
  g_autofree char *joined = g_strjoinv (" ", problems);
  g_autofree char *first = g_strdup_printf (_("Can't verify the identity of %s."), self->host);

  if (*joined == '\0')
    return g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, first);
  return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, "%s %s", first, joined);
}

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  PbPop3Client *self = g_task_get_source_object (task);
  GError *error = NULL;
  GTlsCertificateFlags errors;

  errors = pb_tls_verify_finish (result, &error);
  if (error != NULL)
    {
      pb_pop3_op_fail (task, pb_pop3_client_map_io_error (self, error));
      g_object_unref (task);
      return;
    }

  self->certificate_errors = errors;
  self->verdict = pb_trust_decide (self->pins, self->host, self->port,
                                   self->peer_certificate, errors);
  g_debug ("Certificate of %s: problems 0x%x, verdict %d", self->host, errors, self->verdict);

  if (self->verdict == PB_TRUST_REJECTED)
    {
      pb_pop3_op_fail (task, untrusted_error (self));
      g_object_unref (task);
      return;
    }

  self->tls_done = TRUE;
  if (self->security == PB_SECURITY_TLS)
    {
      connect_send (task, PHASE_GREETING);
    }
  else
    {
      /* Whatever was announced before TLS may have been forged. */
      self->caps = 0;
      self->capa_known = FALSE;
      connect_send (task, PHASE_CAPA);
    }
}

static void
on_handshake (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  PbPop3Client *self = g_task_get_source_object (task);
  GTlsConnection *tls = G_TLS_CONNECTION (source);
  GError *error = NULL;

  g_tls_connection_handshake_finish (tls, result, &error);
  pb_pop3_client_disarm_timer (self);

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          GError *tls_error = g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_TLS,
                                           _("The TLS handshake with %s failed: %s"),
                                           self->host, error->message);
          g_error_free (error);
          error = tls_error;
        }
      pb_pop3_op_fail (task, pb_pop3_client_map_io_error (self, error));
      g_object_unref (task);
      return;
    }

  self->tls_version = g_tls_connection_get_protocol_version (tls);
  g_free (self->ciphersuite);
  self->ciphersuite = g_tls_connection_get_ciphersuite_name (tls);
  g_set_object (&self->peer_certificate, g_tls_connection_get_peer_certificate (tls));
  g_debug ("TLS with %s: version %d, %s", self->host, self->tls_version,
           self->ciphersuite != NULL ? self->ciphersuite : "unknown cipher suite");

  if (self->tls_version != G_TLS_PROTOCOL_VERSION_TLS_1_2 &&
      self->tls_version != G_TLS_PROTOCOL_VERSION_TLS_1_3)
    {
      pb_pop3_op_fail (task, g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_INSECURE_TLS,
                                  _("%s uses an outdated version of TLS; "
                                    "TLS 1.2 or newer is required."), self->host));
      g_object_unref (task);
      return;
    }

  if (self->peer_certificate == NULL)
    {
      pb_pop3_op_fail (task, g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_TLS,
                                  _("%s sent no certificate."), self->host));
      g_object_unref (task);
      return;
    }

  pb_tls_verify_async (self->peer_certificate, self->host, self->port, self->ca_file,
                       self->io_cancellable, on_verified, task);
}

/* The decision is taken after the handshake with the whole picture
 * (pb_tls_verify_async, pins), never inside it where it would block. */
static gboolean
on_accept_certificate (GTlsConnection       *tls,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  return TRUE;
}

/* Takes @task. */
static void
start_tls (GTask *task)
{
  PbPop3Client *self = g_task_get_source_object (task);
  g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
  g_autoptr(GIOStream) tls = NULL;
  GError *error = NULL;

  /* Trust is decided after the handshake (pb_tls_verify_async), so the
   * connection needs no database of its own. Giving it none at construction
   * (what g_tls_client_connection_new does, plus "database") spares parsing
   * the whole system store when the account's CA file vouches for the server. */
  tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                        NULL, &error,
                        "base-io-stream", self->connection,
                        "server-identity", identity,
                        "database", NULL,
                        NULL);
  if (tls == NULL)
    {
      g_prefix_error (&error, "%s: ", self->host);
      pb_pop3_op_fail (task, g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_TLS, error->message));
      g_error_free (error);
      g_object_unref (task);
      return;
    }

  g_signal_connect (tls, "accept-certificate", G_CALLBACK (on_accept_certificate), NULL);
  set_stream (self, tls);

  pb_pop3_client_arm_timer (self);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    self->io_cancellable, on_handshake, task);
}

static void
on_connect_exchange (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  PbPop3Client *self = g_task_get_source_object (task);
  ConnectData *data = g_task_get_task_data (task);
  PbPop3Response *response;
  GError *error = NULL;

  if (!pb_pop3_exchange_finish (self, result, &error))
    {
      pb_pop3_op_fail (task, error);
      g_object_unref (task);
      return;
    }

  response = pb_pop3_exchange_get (data->exchange, 0);
  switch (data->phase)
    {
    case PHASE_GREETING:
      /* Before STLS anyone on the path can write the text: it is not the
       * server's word, and is not shown as such. */
      if (!response->ok && !self->tls_done)
        {
          pb_pop3_op_fail (task, g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_SERVER,
                                      _("%s refused the connection."), self->host));
          break;
        }
      if (!response->ok)
        {
          pb_pop3_op_fail (task, g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_SERVER,
                                      _("%s refused the connection: %s"),
                                      self->host, response->text));
          break;
        }
      connect_send (task, PHASE_CAPA);
      return;

    case PHASE_CAPA:
      self->capa_known = response->ok;
      self->caps = response->ok ? pb_pop3_parse_capa (response->lines, &self->login_delay) : 0;

      if (self->tls_done)
        {
          connect_done (task);
          return;
        }

      g_assert (self->security == PB_SECURITY_STARTTLS);
      if ((self->caps & PB_POP3_CAPA_STLS) == 0)
        {
          pb_pop3_op_fail (task, g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_STLS_UNAVAILABLE,
                                      _("%s does not offer STLS, and Popbell never sends "
                                        "a password without encryption."), self->host));
          break;
        }
      connect_send (task, PHASE_STLS);
      return;

    case PHASE_STLS:
      /* Not through TLS yet: the text may not be the server's. */
      if (!response->ok)
        {
          pb_pop3_op_fail (task, g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_STLS_UNAVAILABLE,
                                      _("%s refused to start TLS."), self->host));
          break;
        }

      /* Anything that arrived before our ClientHello did not come through TLS
       * and may have been injected by whoever sits in the middle. */
      if (pb_pop3_reader_get_buffered (self->reader) > 0 ||
          g_socket_get_available_bytes (g_socket_connection_get_socket (self->connection)) > 0)
        {
          pb_pop3_op_fail (task, g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_STLS_INJECTION,
                                      _("%s sent unexpected data before starting TLS."),
                                      self->host));
          break;
        }

      start_tls (task);
      return;

    default:
      g_assert_not_reached ();
    }

  g_object_unref (task);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  PbPop3Client *self = g_task_get_source_object (task);
  GSocketConnection *connection;
  GError *error = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  pb_pop3_client_disarm_timer (self);

  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          GError *connect_error = g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_CONNECT,
                                                       error->message);
          g_error_free (error);
          error = connect_error;
        }
      pb_pop3_op_fail (task, pb_pop3_client_map_io_error (self, error));
      g_object_unref (task);
      return;
    }

  self->connection = connection;
  /* Reads are bounded by our own timer, which knows whom to blame. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 0);
  self->reader = pb_pop3_reader_new (PB_POP3_DEFAULT_MAX_LINE);
  self->read_buffer = g_malloc (READ_BUFFER_SIZE);

  if (self->security == PB_SECURITY_TLS)
    {
      start_tls (task);
    }
  else
    {
      set_stream (self, G_IO_STREAM (connection));
      connect_send (task, PHASE_GREETING);
    }
}

void
pb_pop3_client_connect_async (PbPop3Client        *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;

  g_return_if_fail (PB_IS_POP3_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_pop3_client_connect_async);
  g_task_set_task_data (task, g_new0 (ConnectData, 1), (GDestroyNotify) connect_data_free);

  if (!pb_pop3_op_begin (self, task, STATE_NEW, cancellable))
    return;

  g_debug ("Connecting to %s:%u (%s)", self->host, self->port,
           pb_security_to_string (self->security));

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, self->timeout);
  /* POP3 goes straight to the server, as with other mail fetchers: desktop
   * proxy settings are about the web, and merely asking the proxy resolver
   * loads libproxy, a third of the start-up time of a one-shot check. */
  g_socket_client_set_enable_proxy (client, FALSE);
  address = g_network_address_new (self->host, self->port);

  pb_pop3_client_arm_timer (self);
  g_socket_client_connect_async (client, address, self->io_cancellable, on_connected,
                                 g_steal_pointer (&task));
}

gboolean
pb_pop3_client_connect_finish (PbPop3Client  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_pop3_client_connect_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Login and listing --------------------------------------------------- */

/* RFC 5034 §4: an AUTH command with its initial response, CRLF included, may
 * not be longer than this; longer credentials go in a continuation. */
#define SASL_MAX_INITIAL_LINE 255

typedef enum
{
  MECHANISM_PLAIN,   /* SASL PLAIN (RFC 4616) */
  MECHANISM_LOGIN,   /* SASL LOGIN: user name and password in two continuations */
  MECHANISM_USER,    /* USER/PASS (RFC 1939) */
  MECHANISM_BEARER,  /* an OAuth2 token: SASL XOAUTH2 or OAUTHBEARER */
} Mechanism;

typedef enum
{
  LOGIN_AUTH,        /* AUTH, with or without an initial response */
  LOGIN_SASL,        /* an answer to a continuation */
  LOGIN_CANCEL,      /* "*": SASL exchange given up */
  LOGIN_USER,
  LOGIN_PASS,
  LOGIN_STAT,
  LOGIN_UIDL,
  LOGIN_UIDL_HINT,   /* "UIDL n" for the last message of the last check */
  LOGIN_UIDL_NEW,    /* "UIDL n" for a message after it */
} LoginStep;

/* Above this many new messages one full listing is cheaper than a UIDL
 * command each (without PIPELINING each of those is a round trip). */
#define MAX_SINGLE_UIDLS            PIPELINE_MAX_COMMANDS
#define MAX_SINGLE_UIDLS_UNPIPELINED 4

typedef struct
{
  Mechanism      mechanism;
  PbSaslBearer   bearer;        /* MECHANISM_BEARER: which one */
  char          *user;          /* wiped */
  char          *password;      /* wiped; the access token for MECHANISM_BEARER */
  char          *bearer_status; /* the status of an error challenge, once one came */
  char          *bearer_scope;
  gboolean       bearer_refused; /* an error challenge came: the exchange must fail */
  guint          sasl_answers;  /* continuations answered so far */
  guint          exchanges;     /* started so far */
  LoginStep      steps[PIPELINE_MAX_COMMANDS]; /* of the exchange in flight */
  gboolean       use_hint;      /* STAT goes with "UIDL hint_count" */
  guint          next_new;      /* the next message whose UIDL to ask for */
  Exchange      *exchange;
  PbPop3Listing *listing;
} LoginData;

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    {
      explicit_bzero (secret, strlen (secret));
      g_free (secret);
    }
}

static void
login_data_free (LoginData *data)
{
  wipe_free (data->user);
  wipe_free (data->password);
  g_free (data->bearer_status);
  g_free (data->bearer_scope);
  pb_pop3_exchange_free (data->exchange);
  pb_pop3_listing_free (data->listing);
  g_free (data);
}

static const char *
login_step_verb (LoginStep step)
{
  switch (step)
    {
    case LOGIN_AUTH: return "AUTH";
    case LOGIN_SASL: return "AUTH (response)";
    case LOGIN_CANCEL: return "AUTH (cancel)";
    case LOGIN_USER: return "USER";
    case LOGIN_PASS: return "PASS";
    case LOGIN_STAT: return "STAT";
    case LOGIN_UIDL: return "UIDL";
    case LOGIN_UIDL_HINT: return "UIDL (last seen)";
    case LOGIN_UIDL_NEW: return "UIDL (new)";
    default: g_assert_not_reached ();
    }
}

/* base64 of @len bytes of @raw; @raw is wiped. */
static char *
encode_wiped (char  *raw,
              gsize  len)
{
  char *encoded = g_base64_encode ((const guchar *) raw, len);

  explicit_bzero (raw, len);
  g_free (raw);
  return encoded;
}

/* authzid (empty) NUL authcid NUL password, RFC 4616 */
static char *
sasl_plain_response (const char *user,
                     const char *password)
{
  gsize user_len = strlen (user);
  gsize password_len = strlen (password);
  gsize raw_len = user_len + password_len + 2;
  char *raw = g_malloc (raw_len);

  raw[0] = '\0';
  memcpy (raw + 1, user, user_len);
  raw[1 + user_len] = '\0';
  memcpy (raw + 2 + user_len, password, password_len);
  return encode_wiped (raw, raw_len);
}

static void on_login_exchange (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);

/* Starts an exchange of @n commands; @lines are wiped and freed. */
static void
login_send_many (GTask      *task,
                 guint       n,
                 LoginStep  *steps,
                 char      **lines)
{
  PbPop3Client *self = g_task_get_source_object (task);
  LoginData *data = g_task_get_task_data (task);

  g_assert (n > 0 && n <= G_N_ELEMENTS (data->steps));
  g_clear_pointer (&data->exchange, pb_pop3_exchange_free);
  data->exchange = pb_pop3_exchange_new ();
  data->exchanges++;

  for (guint i = 0; i < n; i++)
    {
      guint expect = PB_POP3_EXPECT_SINGLE;
      gsize max_body = 0;

      if (steps[i] == LOGIN_AUTH || steps[i] == LOGIN_SASL)
        expect = PB_POP3_EXPECT_CONTINUATION;
      else if (steps[i] == LOGIN_UIDL)
        expect = PB_POP3_EXPECT_MULTILINE, max_body = MAX_LISTING_BYTES;

      data->steps[i] = steps[i];
      pb_pop3_exchange_add (data->exchange, login_step_verb (steps[i]), lines[i], expect, max_body);
      wipe_free (lines[i]);
    }

  pb_pop3_exchange_async (self, data->exchange, on_login_exchange, task);
}

/* One or two commands (@second_line NULL: one). */
static void
login_send (GTask     *task,
            LoginStep  first,
            char      *first_line,
            LoginStep  second,
            char      *second_line)
{
  LoginStep steps[2] = { first, second };
  char *lines[2] = { first_line, second_line };

  login_send_many (task, second_line != NULL ? 2 : 1, steps, lines);
}

static void
login_send_one (GTask     *task,
                LoginStep  step,
                char      *line)
{
  login_send (task, step, line, LOGIN_STAT, NULL);
}

/* The login is accepted: list the mailbox. Nothing was sent behind the
 * login itself: Courier and Cyrus hand the connection to another process
 * after it and lose whatever was already read. */
static void
login_list (GTask *task)
{
  PbPop3Client *self = g_task_get_source_object (task);
  LoginData *data = g_task_get_task_data (task);
  gboolean pipelining = (self->caps & PB_POP3_CAPA_PIPELINING) != 0;

  data->use_hint = self->hint_uidl != NULL && self->hint_count > 0 &&
                   ((self->caps & PB_POP3_CAPA_UIDL) || !self->capa_known);

  if (!pipelining)
    login_send_one (task, LOGIN_STAT, g_strdup ("STAT"));
  else if (data->use_hint)
    login_send (task, LOGIN_STAT, g_strdup ("STAT"),
                LOGIN_UIDL_HINT, g_strdup_printf ("UIDL %u", self->hint_count));
  else
    login_send (task, LOGIN_STAT, g_strdup ("STAT"), LOGIN_UIDL, g_strdup ("UIDL"));
}

/* Asks for the UIDLs of the messages after the hint, as many at once as
 * pipelining allows. */
static void
login_send_new (GTask *task)
{
  PbPop3Client *self = g_task_get_source_object (task);
  LoginData *data = g_task_get_task_data (task);
  guint max = (self->caps & PB_POP3_CAPA_PIPELINING) ? PIPELINE_MAX_COMMANDS : 1;
  LoginStep steps[PIPELINE_MAX_COMMANDS];
  char *lines[PIPELINE_MAX_COMMANDS];
  guint n = 0;

  for (; n < max && data->next_new <= data->listing->count; n++, data->next_new++)
    {
      steps[n] = LOGIN_UIDL_NEW;
      lines[n] = g_strdup_printf ("UIDL %u", data->next_new);
    }
  login_send_many (task, n, steps, lines);
}

static void
listing_prepare_entries (PbPop3Listing *listing,
                         guint          n)
{
  listing->entries = g_ptr_array_sized_new (n);
  listing->entry_block = g_new0 (PbPop3Entry, MAX (n, 1));
  listing->uidl_storage = g_string_chunk_new (MAX (n, 1) * 32);
}

/* The answer to "UIDL n" for the hint: does the mailbox still end where it
 * ended? Then nothing before it changed, and only what follows is asked for. */
static void
login_handle_hint (GTask          *task,
                   PbPop3Response *response)
{
  PbPop3Client *self = g_task_get_source_object (task);
  LoginData *data = g_task_get_task_data (task);
  PbPop3Listing *listing = data->listing;
  guint cap = (self->caps & PB_POP3_CAPA_PIPELINING) ? MAX_SINGLE_UIDLS
                                                      : MAX_SINGLE_UIDLS_UNPIPELINED;
  const char *uidl;
  gsize uidl_len;
  guint msgnum;
  gboolean holds;

  holds = response->ok && listing->count >= self->hint_count &&
          pb_pop3_parse_uidl_line (response->text, &msgnum, &uidl, &uidl_len) &&
          msgnum == self->hint_count && uidl_len == strlen (self->hint_uidl) &&
          memcmp (uidl, self->hint_uidl, uidl_len) == 0;

  if (!holds)
    {
      g_debug ("%s: the mailbox changed before its end; listing it whole", self->host);
      login_send_one (task, LOGIN_UIDL, g_strdup ("UIDL"));
      return;
    }
  if (listing->count == self->hint_count)
    {
      listing->kind = PB_POP3_LISTING_UNCHANGED;
      listing_prepare_entries (listing, 0);
      return;
    }
  if (listing->count - self->hint_count > cap)
    {
      login_send_one (task, LOGIN_UIDL, g_strdup ("UIDL"));
      return;
    }

  listing->kind = PB_POP3_LISTING_APPENDED;
  listing_prepare_entries (listing, listing->count - self->hint_count);
  data->next_new = self->hint_count + 1;
  login_send_new (task);
}

/* The answer to "UIDL n" for a new message; FALSE when it is not what the
 * numbering promised (then the whole listing decides). */
static gboolean
login_take_new (PbPop3Client   *self,
                LoginData      *data,
                PbPop3Response *response)
{
  PbPop3Listing *listing = data->listing;
  guint expected = self->hint_count + 1 + listing->entries->len;
  PbPop3Entry *entry;
  const char *uidl;
  gsize uidl_len;
  guint msgnum;

  if (!response->ok || !pb_pop3_parse_uidl_line (response->text, &msgnum, &uidl, &uidl_len) ||
      msgnum != expected)
    return FALSE;

  entry = &listing->entry_block[listing->entries->len];
  entry->msgnum = msgnum;
  entry->uidl = g_string_chunk_insert_len (listing->uidl_storage, uidl, uidl_len);
  g_ptr_array_add (listing->entries, entry);
  return TRUE;
}

/* Forgets a partial listing: the full one replaces it. */
static void
listing_reset_entries (PbPop3Listing *listing)
{
  g_clear_pointer (&listing->entries, g_ptr_array_unref);
  g_clear_pointer (&listing->entry_block, g_free);
  g_clear_pointer (&listing->uidl_storage, g_string_chunk_free);
  listing->kind = PB_POP3_LISTING_FULL;
}

/* What a -ERR to the login means: RFC 2449 §8 and RFC 3206 response codes
 * tell a locked maildrop or a server problem from wrong credentials. */
static GError *
login_refused (PbPop3Client *self,
               const char   *text)
{
  const char *rest;

  switch (pb_pop3_parse_code (text, &rest))
    {
    case PB_POP3_CODE_IN_USE:
      return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_MAILBOX_IN_USE,
                          _("The mailbox on %s is in use by another program: %s"),
                          self->host, rest);
    case PB_POP3_CODE_LOGIN_DELAY:
      return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_LOGIN_DELAY,
                          _("%s does not allow another login this soon: %s"), self->host, rest);
    case PB_POP3_CODE_SYS_TEMP:
      return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_TEMPORARY,
                          _("%s has a temporary problem: %s"), self->host, rest);
    case PB_POP3_CODE_SYS_PERM:
      return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_PERMANENT,
                          _("%s reported a problem with the mailbox: %s"), self->host, rest);
    case PB_POP3_CODE_AUTH:
    case PB_POP3_CODE_OTHER:
    case PB_POP3_CODE_NONE:
    default:
      return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED,
                          _("%s rejected the login: %s"), self->host, text);
    }
}

static GError *
parse_listing_entries (PbPop3Client   *self,
                       PbPop3Response *response,
                       PbPop3Listing  *listing)
{
  guint n = response->lines->len;

  listing->entries = g_ptr_array_sized_new (n);
  listing->entry_block = g_new0 (PbPop3Entry, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      char *line = g_ptr_array_index (response->lines, i);
      PbPop3Entry *entry = &listing->entry_block[i];
      const char *uidl;
      gsize uidl_len;
      guint msgnum;

      if (!pb_pop3_parse_uidl_line (line, &msgnum, &uidl, &uidl_len))
        return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL,
                            _("%s sent an invalid UIDL listing."), self->host);

      /* The UIDL stays where the reader put the line (ended where it ends):
       * a listing of 100,000 lines is not copied a second time. */
      entry->msgnum = msgnum;
      entry->uidl = (char *) uidl;
      entry->uidl[uidl_len] = '\0';
      g_ptr_array_add (listing->entries, entry);
    }

  /* The listing now owns the lines' storage; the response keeps only its
   * array of pointers, freed with it. */
  listing->uidl_storage = g_steal_pointer (&response->storage);
  return NULL;
}

/* The end of a bearer exchange after an error challenge: the server's final
 * answer (normally -ERR) with the challenge's status and scope. */
static GError *
token_refused (PbPop3Client   *self,
               LoginData      *data,
               PbPop3Response *response)
{
  g_autofree char *message = NULL;
  const char *text = (!response->ok && !response->continuation) ? response->text : "";

  if (data->bearer_scope != NULL)
    /* Translators: a server name, the status it gave (e.g. "invalid_token" or
     * "401"), an OAuth2 scope (e.g. https://mail.google.com/), then the server's
     * own words. */
    message = g_strdup_printf (_("%s refused the OAuth2 token (status %s; it asks for the "
                                 "scope %s). %s"),
                               self->host, data->bearer_status != NULL ? data->bearer_status : "?",
                               data->bearer_scope, text);
  else if (data->bearer_status != NULL)
    /* Translators: a server name, the status it gave, then the server's own words. */
    message = g_strdup_printf (_("%s refused the OAuth2 token (status %s). %s"),
                               self->host, data->bearer_status, text);
  else
    /* Translators: a server name, then the server's own words. */
    message = g_strdup_printf (_("%s refused the OAuth2 token. %s"), self->host, text);

  g_strchomp (message);
  return g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED, message);
}

/* The next SASL response to a continuation, or NULL when the mechanism has
 * nothing more to say (then the exchange is cancelled). */
static char *
sasl_next_response (PbPop3Client *self,
                    LoginData    *data)
{
  guint answer = data->sasl_answers++;

  switch (data->mechanism)
    {
    case MECHANISM_PLAIN:
      /* Only when the AUTH went without an initial response. */
      return answer == 0 ? sasl_plain_response (data->user, data->password) : NULL;

    case MECHANISM_LOGIN:
      /* The prompts ("Username:", "Password:") are informational; the order is fixed. */
      if (answer == 0)
        return g_base64_encode ((const guchar *) data->user, strlen (data->user));
      if (answer == 1)
        return g_base64_encode ((const guchar *) data->password, strlen (data->password));
      return NULL;

    case MECHANISM_BEARER:
      /* Always in a continuation, never as an initial response: Microsoft
       * requires it for POP3, and its tokens are far longer than RFC 5034's
       * 255 octets for a line with an initial response. */
      return answer == 0 ? pb_sasl_bearer_response (data->bearer, data->user, data->password,
                                                    self->host, self->port)
                         : NULL;

    case MECHANISM_USER:
    default:
      return NULL;
    }
}

/* Looks at the answer to one login command: the next exchange to start, or
 * @error to end the session. */
static void
login_handle (GTask           *task,
              LoginStep        step,
              PbPop3Response  *response,
              GError         **error)
{
  PbPop3Client *self = g_task_get_source_object (task);
  LoginData *data = g_task_get_task_data (task);

  switch (step)
    {
    case LOGIN_AUTH:
    case LOGIN_SASL:
      if (response->continuation)
        {
          char *answer;

          /* After the token, a continuation is an error challenge (RFC 7628
           * §3.2.2): answered so that the server can end the exchange with
           * its failure, which then tells what it said. */
          if (data->mechanism == MECHANISM_BEARER && data->sasl_answers == 1 &&
              !data->bearer_refused)
            {
              data->bearer_refused = TRUE;
              if (!pb_sasl_parse_bearer_error (response->text, &data->bearer_status,
                                               &data->bearer_scope))
                g_debug ("%s: the error challenge is not a JSON document", self->host);
              g_debug ("%s refused the token (status %s)", self->host,
                       data->bearer_status != NULL ? data->bearer_status : "none");
              login_send_one (task, LOGIN_SASL, g_strdup (pb_sasl_bearer_error_ack (data->bearer)));
              return;
            }

          answer = data->bearer_refused ? NULL : sasl_next_response (self, data);
          if (answer == NULL)
            login_send_one (task, LOGIN_CANCEL, g_strdup ("*"));
          else
            {
              login_send_one (task, LOGIN_SASL, answer);
            }
          return;
        }
      if (data->bearer_refused)
        {
          g_propagate_error (error, token_refused (self, data, response));
          return;
        }
      if (!response->ok)
        {
          g_propagate_error (error, login_refused (self, response->text));
          return;
        }
      login_list (task);
      return;

    case LOGIN_CANCEL:
      if (data->mechanism == MECHANISM_BEARER)
        g_set_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL,
                     _("%s asked for more than an OAuth2 token to sign in."), self->host);
      else
        g_set_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL,
                     _("%s asked for more than a user name and a password to log in."),
                     self->host);
      return;

    case LOGIN_USER:
      /* When PASS went along, its answer decides. */
      if (!response->ok)
        g_propagate_error (error, login_refused (self, response->text));
      else
        login_send_one (task, LOGIN_PASS, g_strconcat ("PASS ", data->password, NULL));
      return;

    case LOGIN_PASS:
      if (!response->ok)
        g_propagate_error (error, login_refused (self, response->text));
      else
        login_list (task);
      return;

    case LOGIN_STAT:
      if (!response->ok)
        {
          PbPop3Code code = pb_pop3_parse_code (response->text, NULL);

          /* Some servers lock the maildrop only when it is opened. */
          if (code == PB_POP3_CODE_IN_USE || code == PB_POP3_CODE_SYS_TEMP)
            g_propagate_error (error, login_refused (self, response->text));
          /* Microsoft says +OK to a token it then does not let into this
           * mailbox (one for another user, or without the POP3 permission):
           * the STAT is what confirms an OAuth2 sign-in. */
          else if (data->mechanism == MECHANISM_BEARER)
            g_set_error (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED,
                         _("%s accepted the sign-in but did not open the mailbox of %s; "
                           "the sign-in may be for another account: %s"),
                         self->host, data->user, response->text);
          else
            g_set_error (error, PB_POP3_ERROR, PB_POP3_ERROR_SERVER,
                         _("%s could not list the mailbox: %s"), self->host, response->text);
          return;
        }
      if (!pb_pop3_parse_stat (response->text, &data->listing->count, &data->listing->size))
        {
          g_set_error (error, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL,
                       _("%s sent an invalid answer to STAT."), self->host);
          return;
        }
      if (!(self->caps & PB_POP3_CAPA_PIPELINING))
        {
          if (data->use_hint)
            login_send_one (task, LOGIN_UIDL_HINT,
                            g_strdup_printf ("UIDL %u", self->hint_count));
          else
            login_send_one (task, LOGIN_UIDL, g_strdup ("UIDL"));
        }
      return;

    case LOGIN_UIDL_HINT:
      login_handle_hint (task, response);
      return;

    case LOGIN_UIDL_NEW:
      if (!login_take_new (self, data, response))
        {
          g_debug ("%s: a new message is not where the numbering says; listing it whole",
                   self->host);
          listing_reset_entries (data->listing);
          login_send_one (task, LOGIN_UIDL, g_strdup ("UIDL"));
          return;
        }
      /* The last answer of this batch asks for the next batch. */
      if (data->listing->entries->len == data->next_new - 1 - self->hint_count &&
          data->next_new <= data->listing->count)
        login_send_new (task);
      return;

    case LOGIN_UIDL:
      /* -ERR: the server has no UIDL; entries stay NULL. */
      if (response->ok)
        {
          GError *parse_error = parse_listing_entries (self, response, data->listing);

          if (parse_error != NULL)
            g_propagate_error (error, parse_error);
        }
      return;

    default:
      g_assert_not_reached ();
    }
}

static void
on_login_exchange (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  PbPop3Client *self = g_task_get_source_object (task);
  LoginData *data = g_task_get_task_data (task);
  Exchange *exchange = data->exchange;
  guint exchanges = data->exchanges;
  guint n = exchange->commands->len;
  LoginStep last = data->steps[n - 1];
  GError *error = NULL;

  if (!pb_pop3_exchange_finish (self, result, &error))
    {
      pb_pop3_op_fail (task, error);
      g_object_unref (task);
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      LoginStep step = data->steps[i];

      /* USER and PASS went together: the PASS answer decides, unless USER
       * was refused (then PASS was refused too). */
      if (step == LOGIN_USER && i + 1 < n)
        {
          PbPop3Response *user = pb_pop3_exchange_get (exchange, i);

          if (!user->ok)
            {
              error = login_refused (self, user->text);
              break;
            }
          continue;
        }

      /* A new exchange frees this one: nothing of it may be read after. */
      login_handle (task, step, pb_pop3_exchange_get (exchange, i), &error);
      if (error != NULL || data->exchanges != exchanges)
        break;
    }

  if (error != NULL)
    {
      pb_pop3_op_fail (task, error);
      g_object_unref (task);
      return;
    }

  /* login_handle started the next exchange, which now owns the task. */
  if (data->exchanges != exchanges)
    return;

  g_assert (last == LOGIN_UIDL || last == LOGIN_UIDL_HINT || last == LOGIN_UIDL_NEW);
  pb_pop3_op_end (self);
  self->state = STATE_LOGGED_IN;
  g_debug ("Logged in to %s: %u messages", self->host, data->listing->count);
  g_task_return_pointer (task, g_steal_pointer (&data->listing),
                         (GDestroyNotify) pb_pop3_listing_free);
  g_object_unref (task);
}

static gboolean
has_line_breaks (const char *text)
{
  return strpbrk (text, "\r\n") != NULL;
}

void
pb_pop3_client_login_async (PbPop3Client        *self,
                            const char          *user,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoginData *data;

  g_return_if_fail (PB_IS_POP3_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_pop3_client_login_async);
  data = g_new0 (LoginData, 1);
  data->listing = g_new0 (PbPop3Listing, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) login_data_free);

  if (!pb_pop3_op_begin (self, task, STATE_CONNECTED, cancellable))
    return;

  /* A line break would let the rest of the string be read as a command. NUL
   * bytes cannot get through a C string. */
  if (*user == '\0' || has_line_breaks (user) || has_line_breaks (password))
    {
      pb_pop3_op_fail (task,
               g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_INVALID_ARGUMENT,
                                    _("The user name and the password must not contain "
                                      "line breaks.")));
      return;
    }

  data->user = g_strdup (user);
  data->password = g_strdup (password);

  /* PLAIN, else LOGIN where a server offers only that besides USER (Dovecot
   * with auth_mechanisms = login refuses USER/PASS), else USER/PASS. */
  if (self->caps & PB_POP3_CAPA_SASL_PLAIN)
    {
      char *response = sasl_plain_response (user, password);
      gsize line_len = strlen ("AUTH PLAIN ") + strlen (response) + 2;

      data->mechanism = MECHANISM_PLAIN;
      if (line_len <= SASL_MAX_INITIAL_LINE)
        {
          data->sasl_answers = 1;
          login_send_one (g_steal_pointer (&task), LOGIN_AUTH,
                          g_strconcat ("AUTH PLAIN ", response, NULL));
        }
      else
        {
          login_send_one (g_steal_pointer (&task), LOGIN_AUTH, g_strdup ("AUTH PLAIN"));
        }
      wipe_free (response);
    }
  else if (self->caps & PB_POP3_CAPA_SASL_LOGIN)
    {
      data->mechanism = MECHANISM_LOGIN;
      login_send_one (g_steal_pointer (&task), LOGIN_AUTH, g_strdup ("AUTH LOGIN"));
    }
  else if ((self->caps & PB_POP3_CAPA_USER) || !self->capa_known)
    {
      char *user_line = g_strconcat ("USER ", user, NULL);

      data->mechanism = MECHANISM_USER;
      /* USER and PASS may go together: nothing follows PASS before its answer. */
      if (self->caps & PB_POP3_CAPA_PIPELINING)
        login_send (g_steal_pointer (&task), LOGIN_USER, user_line,
                    LOGIN_PASS, g_strconcat ("PASS ", password, NULL));
      else
        login_send_one (g_steal_pointer (&task), LOGIN_USER, user_line);
    }
  else
    {
      pb_pop3_op_fail (task,
               g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_NO_AUTH_MECHANISM,
                            _("%s offers no login method that Popbell supports."),
                            self->host));
    }
}

void
pb_pop3_client_login_bearer_async (PbPop3Client        *self,
                                   const char          *user,
                                   const char          *access_token,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoginData *data;

  g_return_if_fail (PB_IS_POP3_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (access_token != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_pop3_client_login_bearer_async);
  data = g_new0 (LoginData, 1);
  data->listing = g_new0 (PbPop3Listing, 1);
  data->mechanism = MECHANISM_BEARER;
  g_task_set_task_data (task, data, (GDestroyNotify) login_data_free);

  if (!pb_pop3_op_begin (self, task, STATE_CONNECTED, cancellable))
    return;

  /* Fields of the message are separated by \x01, lines by CRLF: neither may
   * come from the user name or the token. The token is not quoted. */
  if (!pb_sasl_user_is_valid (user))
    {
      pb_pop3_op_fail (task, g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_INVALID_ARGUMENT,
                                          _("The user name must not contain line breaks or "
                                            "other control characters.")));
      return;
    }
  if (!pb_sasl_token_is_valid (access_token))
    {
      pb_pop3_op_fail (task, g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_INVALID_ARGUMENT,
                                          _("The OAuth2 access token is not a valid bearer "
                                            "token.")));
      return;
    }

  /* OAUTHBEARER, the standard (RFC 7628), where offered; else XOAUTH2, which
   * Gmail and Microsoft both take, also when the server did not answer CAPA. */
  if (self->caps & PB_POP3_CAPA_SASL_OAUTHBEARER)
    data->bearer = PB_SASL_OAUTHBEARER;
  else if ((self->caps & PB_POP3_CAPA_SASL_XOAUTH2) || !self->capa_known)
    data->bearer = PB_SASL_XOAUTH2;
  else
    {
      pb_pop3_op_fail (task,
               g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_NO_AUTH_MECHANISM,
                            _("%s offers no OAuth2 sign-in (SASL XOAUTH2 or OAUTHBEARER)."),
                            self->host));
      return;
    }

  data->user = g_strdup (user);
  data->password = g_strdup (access_token);
  login_send_one (g_steal_pointer (&task), LOGIN_AUTH,
                  g_strconcat ("AUTH ", pb_sasl_bearer_name (data->bearer), NULL));
}

PbPop3Listing *
pb_pop3_client_login_finish (PbPop3Client  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_pop3_client_login_async ||
                        g_task_get_source_tag (G_TASK (result)) ==
                        pb_pop3_client_login_bearer_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Headers ------------------------------------------------------------- */

typedef struct
{
  guint     *msgnums;
  guint      n_msgnums;
  guint      next;       /* first message not asked for yet */
  Exchange  *exchange;
  GPtrArray *headers;    /* GBytes* */
} TopData;

static void
top_data_free (TopData *data)
{
  g_free (data->msgnums);
  pb_pop3_exchange_free (data->exchange);
  g_clear_pointer (&data->headers, g_ptr_array_unref);
  g_free (data);
}

static void on_top_exchange (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data);

static void
top_send (GTask *task)
{
  PbPop3Client *self = g_task_get_source_object (task);
  TopData *data = g_task_get_task_data (task);
  gboolean pipelining = (self->caps & PB_POP3_CAPA_PIPELINING) != 0;
  guint max_commands = pipelining ? PIPELINE_MAX_COMMANDS : 1;
  gsize bytes = 0;

  g_clear_pointer (&data->exchange, pb_pop3_exchange_free);
  data->exchange = pb_pop3_exchange_new ();

  while (data->next < data->n_msgnums &&
         data->exchange->commands->len < max_commands &&
         bytes < PIPELINE_MAX_BYTES)
    {
      g_autofree char *line = g_strdup_printf ("TOP %u 0", data->msgnums[data->next]);

      bytes += strlen (line) + 2;
      pb_pop3_exchange_add (data->exchange, "TOP", line, TRUE, MAX_TOP_BYTES);
      data->next++;
    }

  pb_pop3_exchange_async (self, data->exchange, on_top_exchange, task);
}

static GBytes *
join_header_lines (GPtrArray *lines)
{
  GString *out;
  gsize size = 0;

  for (guint i = 0; i < lines->len; i++)
    size += strlen (g_ptr_array_index (lines, i)) + 2;

  out = g_string_sized_new (size + 3);
  for (guint i = 0; i < lines->len; i++)
    {
      g_string_append (out, g_ptr_array_index (lines, i));
      g_string_append (out, "\r\n");
    }
  /* The empty line that ends a header block. */
  g_string_append (out, "\r\n");

  return g_string_free_to_bytes (out);
}

static void
on_top_exchange (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  PbPop3Client *self = g_task_get_source_object (task);
  TopData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!pb_pop3_exchange_finish (self, result, &error))
    {
      pb_pop3_op_fail (task, error);
      g_object_unref (task);
      return;
    }

  for (guint i = 0; i < data->exchange->commands->len; i++)
    {
      PbPop3Response *response = pb_pop3_exchange_get (data->exchange, i);

      if (response->ok)
        {
          g_ptr_array_add (data->headers, join_header_lines (response->lines));
        }
      else if (data->headers->len == 0 && (self->caps & PB_POP3_CAPA_TOP) == 0)
        {
          pb_pop3_op_fail (task, g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_SERVER,
                                      _("%s does not support reading headers (TOP): %s"),
                                      self->host, response->text));
          g_object_unref (task);
          return;
        }
      else
        {
          /* Removed from the mailbox by another client meanwhile. */
          g_ptr_array_add (data->headers, g_bytes_new_static ("", 0));
        }
    }

  if (data->next < data->n_msgnums)
    {
      top_send (task);
      return;
    }

  pb_pop3_op_end (self);
  g_task_return_pointer (task, g_steal_pointer (&data->headers),
                         (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

void
pb_pop3_client_top_async (PbPop3Client        *self,
                          const guint         *msgnums,
                          guint                n_msgnums,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TopData *data;

  g_return_if_fail (PB_IS_POP3_CLIENT (self));
  g_return_if_fail (msgnums != NULL || n_msgnums == 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_pop3_client_top_async);
  data = g_new0 (TopData, 1);
  data->msgnums = g_memdup2 (msgnums, sizeof (guint) * n_msgnums);
  data->n_msgnums = n_msgnums;
  data->headers = g_ptr_array_new_full (n_msgnums, (GDestroyNotify) g_bytes_unref);
  g_task_set_task_data (task, data, (GDestroyNotify) top_data_free);

  if (!pb_pop3_op_begin (self, task, STATE_LOGGED_IN, cancellable))
    return;

  if (n_msgnums == 0)
    {
      pb_pop3_op_end (self);
      g_task_return_pointer (task, g_steal_pointer (&data->headers),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  top_send (g_steal_pointer (&task));
}

GPtrArray *
pb_pop3_client_top_finish (PbPop3Client  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_pop3_client_top_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Goodbye ------------------------------------------------------------- */

static void
on_quit_closed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

static void
on_quit_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GIOStream) stream = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, on_quit_closed, NULL);
}

void
pb_pop3_client_quit (PbPop3Client *self)
{
  static const char quit[] = "QUIT\r\n";

  g_return_if_fail (PB_IS_POP3_CLIENT (self));

  if (self->busy)
    {
      /* The operation under way fails with G_IO_ERROR_CANCELLED and drops
       * the connection itself. */
      g_cancellable_cancel (self->io_cancellable);
    }
  else if (self->stream != NULL && self->error == NULL &&
           (self->state == STATE_CONNECTED || self->state == STATE_LOGGED_IN))
    {
      g_debug ("> QUIT");
      self->commands_sent++;
      /* The callbacks hold the stream, not the client, which may go away now. */
      g_output_stream_write_all_async (self->output, quit, sizeof quit - 1, G_PRIORITY_DEFAULT,
                                       NULL, on_quit_written, g_object_ref (self->stream));
      pb_pop3_client_drop_streams (self);
    }
  else
    {
      pb_pop3_client_close_hard (self);
    }

  if (self->error == NULL)
    self->error = g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_CLOSED,
                               _("The session with %s has ended."), self->host);
  if (!self->busy)
    self->state = STATE_ENDED;
}

/* ---- The object ---------------------------------------------------------- */

PbPop3Client *
pb_pop3_client_new (const char *host,
                    guint16     port,
                    PbSecurity  security)
{
  g_return_val_if_fail (host != NULL && *host != '\0', NULL);
  g_return_val_if_fail (port > 0, NULL);

  return g_object_new (PB_TYPE_POP3_CLIENT,
                       "host", host,
                       "port", (guint) port,
                       "security", (int) security,
                       NULL);
}

void
pb_pop3_client_set_timeout (PbPop3Client *self,
                            guint         seconds)
{
  g_return_if_fail (PB_IS_POP3_CLIENT (self));
  g_return_if_fail (seconds > 0);

  if (self->timeout == seconds)
    return;
  self->timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

void
pb_pop3_client_set_trust_store (PbPop3Client *self,
                                PbTrustStore *pins)
{
  g_return_if_fail (PB_IS_POP3_CLIENT (self));
  g_return_if_fail (pins == NULL || PB_IS_TRUST_STORE (pins));

  g_set_object (&self->pins, pins);
}

void
pb_pop3_client_set_ca_file (PbPop3Client *self,
                            const char   *path)
{
  g_return_if_fail (PB_IS_POP3_CLIENT (self));

  g_free (self->ca_file);
  self->ca_file = g_strdup (path);
}

PbPop3Capabilities
pb_pop3_client_get_capabilities (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), 0);
  return self->caps;
}

GTlsCertificate *
pb_pop3_client_get_peer_certificate (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), NULL);
  return self->peer_certificate;
}

GTlsCertificateFlags
pb_pop3_client_get_certificate_errors (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), 0);
  return self->certificate_errors;
}

PbTrustVerdict
pb_pop3_client_get_trust_verdict (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), PB_TRUST_REJECTED);
  return self->verdict;
}

GTlsProtocolVersion
pb_pop3_client_get_tls_version (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), G_TLS_PROTOCOL_VERSION_UNKNOWN);
  return self->tls_version;
}

const char *
pb_pop3_client_get_ciphersuite (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), NULL);
  return self->ciphersuite;
}

void
pb_pop3_client_set_listing_hint (PbPop3Client *self,
                                 guint         count,
                                 const char   *uidl)
{
  g_return_if_fail (PB_IS_POP3_CLIENT (self));

  g_free (self->hint_uidl);
  self->hint_uidl = (uidl != NULL && count > 0) ? g_strdup (uidl) : NULL;
  self->hint_count = self->hint_uidl != NULL ? count : 0;
}

guint64
pb_pop3_client_get_bytes_received (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), 0);
  return self->bytes_received;
}

guint
pb_pop3_client_get_login_delay (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), 0);
  return self->login_delay;
}

const char *
pb_pop3_client_get_host (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), NULL);
  return self->host;
}

guint16
pb_pop3_client_get_port (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), 0);
  return self->port;
}

guint
pb_pop3_client_get_commands_sent (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), 0);
  return self->commands_sent;
}

guint
pb_pop3_client_get_round_trips (PbPop3Client *self)
{
  g_return_val_if_fail (PB_IS_POP3_CLIENT (self), 0);
  return self->round_trips;
}

static void
pb_pop3_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PbPop3Client *self = PB_POP3_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_SECURITY:
      g_value_set_int (value, self->security);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_pop3_client_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PbPop3Client *self = PB_POP3_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST:
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = (guint16) g_value_get_uint (value);
      break;
    case PROP_SECURITY:
      self->security = (PbSecurity) g_value_get_int (value);
      break;
    case PROP_TIMEOUT:
      pb_pop3_client_set_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_pop3_client_dispose (GObject *object)
{
  PbPop3Client *self = PB_POP3_CLIENT (object);

  pb_pop3_client_disarm_timer (self);
  pb_pop3_client_close_hard (self);
  g_clear_object (&self->pins);
  g_clear_object (&self->peer_certificate);

  G_OBJECT_CLASS (pb_pop3_client_parent_class)->dispose (object);
}

static void
pb_pop3_client_finalize (GObject *object)
{
  PbPop3Client *self = PB_POP3_CLIENT (object);

  g_free (self->host);
  g_free (self->ca_file);
  g_free (self->ciphersuite);
  g_free (self->hint_uidl);
  g_free (self->read_buffer);
  g_clear_pointer (&self->reader, pb_pop3_reader_free);
  g_clear_error (&self->error);
  g_clear_object (&self->io_cancellable);

  G_OBJECT_CLASS (pb_pop3_client_parent_class)->finalize (object);
}

static void
pb_pop3_client_class_init (PbPop3ClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pb_pop3_client_get_property;
  object_class->set_property = pb_pop3_client_set_property;
  object_class->dispose = pb_pop3_client_dispose;
  object_class->finalize = pb_pop3_client_finalize;

  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 1, G_MAXUINT16, 995,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECURITY] =
    g_param_spec_int ("security", NULL, NULL, PB_SECURITY_TLS, PB_SECURITY_STARTTLS,
                      PB_SECURITY_TLS,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, G_MAXUINT, PB_POP3_DEFAULT_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pb_pop3_client_init (PbPop3Client *self)
{
  self->timeout = PB_POP3_DEFAULT_TIMEOUT;
  self->io_cancellable = g_cancellable_new ();
  self->verdict = PB_TRUST_REJECTED;
  self->tls_version = G_TLS_PROTOCOL_VERSION_UNKNOWN;
}
