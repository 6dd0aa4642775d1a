/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pb-test-server.h"

typedef struct
{
  PbTestServer *server;
  const PbTestStep *steps;
  GIOStream    *base;
  GIOStream    *stream;   /* base, or the TLS connection on top of it */
  GByteArray   *inbuf;
  GBytes       *outbuf;   /* kept alive while being written */
  guint         step;
  gboolean      after_end;
  gboolean      repeating;  /* inside a PB_STEP_SEND_REPEAT */
  guint64       repeat_sent;
  char          readbuf[4096];
} Conn;

/* The most one PB_STEP_SEND_REPEAT write holds. */
#define REPEAT_CHUNK (64 * 1024)

struct _PbTestServer
{
  GSocketService   *service;
  guint16           port;
  GTlsCertificate  *certificate;
  gboolean          implicit_tls;
  const PbTestStep *steps;
  const PbTestStep *later_steps; /* for the connections after the first, or NULL */
  GCancellable     *cancellable;
  GPtrArray        *conns;
  GPtrArray        *pauses;    /* GSource*, so that freeing the server can stop them */
  guint             pending;   /* async operations not yet called back */

  GPtrArray        *commands;
  guint             plain_commands;
  gboolean          tls_started;
  char             *failure;
  gboolean          script_done;
  gboolean          disconnected;

  GByteArray       *received;
  gsize             plain_received;
  guint64           bytes_sent;
};

static void conn_run (Conn *conn);

static void
conn_free (Conn *conn)
{
  g_clear_object (&conn->stream);
  g_clear_object (&conn->base);
  g_clear_pointer (&conn->inbuf, g_byte_array_unref);
  g_clear_pointer (&conn->outbuf, g_bytes_unref);
  g_free (conn);
}

static void
server_fail (PbTestServer *server,
             const char   *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
server_fail (PbTestServer *server,
             const char   *format,
             ...)
{
  va_list args;

  if (server->failure != NULL)
    return;

  va_start (args, format);
  server->failure = g_strdup_vprintf (format, args);
  va_end (args);
  g_test_message ("test server: %s", server->failure);
}

static void
conn_close (Conn *conn)
{
  if (conn->stream != NULL && !g_io_stream_is_closed (conn->stream))
    g_io_stream_close (conn->stream, NULL, NULL);
  if (conn->base != NULL && !g_io_stream_is_closed (conn->base))
    g_io_stream_close (conn->base, NULL, NULL);
  conn->server->disconnected = TRUE;
}

/* An operation was called back: FALSE when the server is going away. */
static gboolean
conn_callback_begin (Conn *conn)
{
  conn->server->pending--;
  return !g_cancellable_is_cancelled (conn->server->cancellable);
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr(GError) error = NULL;
  gsize written = 0;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, &error);
  g_clear_pointer (&conn->outbuf, g_bytes_unref);
  if (!conn_callback_begin (conn))
    return;
  conn->server->bytes_sent += written;

  /* The client may hang up on purpose (a rejected certificate, a line too long). */
  if (error != NULL)
    {
      g_test_message ("test server: write failed: %s", error->message);
      conn_close (conn);
      return;
    }

  /* A repeat goes on until it has sent its bytes. */
  if (!conn->repeating)
    conn->step++;
  conn_run (conn);
}

static void
conn_write (Conn   *conn,
            GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  conn->outbuf = bytes;
  conn->server->pending++;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream), data, len,
                                   G_PRIORITY_DEFAULT, conn->server->cancellable,
                                   on_written, conn);
}

/* A whole line from inbuf, without its line end, or NULL. */
static char *
conn_take_line (Conn *conn)
{
  guint8 *nl;
  gsize len;
  char *line;

  /* An empty GByteArray has no data at all, and memchr (NULL, …) is undefined. */
  if (conn->inbuf->len == 0)
    return NULL;
  nl = memchr (conn->inbuf->data, '\n', conn->inbuf->len);

  if (nl == NULL)
    return NULL;

  len = nl - conn->inbuf->data;
  line = g_strndup ((const char *) conn->inbuf->data,
                    len > 0 && nl[-1] == '\r' ? len - 1 : len);
  g_byte_array_remove_range (conn->inbuf, 0, len + 1);
  return line;
}

static void
conn_handle_line (Conn *conn,
                  char *line)
{
  PbTestServer *server = conn->server;
  const PbTestStep *step = &conn->steps[conn->step];

  g_ptr_array_add (server->commands, line);
  if (!server->tls_started)
    server->plain_commands = server->commands->len;

  if (conn->after_end)
    {
      conn_run (conn);
      return;
    }

  if ((step->kind == PB_STEP_EXPECT && strcmp (line, step->text) != 0) ||
      (step->kind == PB_STEP_EXPECT_PREFIX && !g_str_has_prefix (line, step->text)))
    {
      server_fail (server, "step %u: expected \"%s\", got \"%s\"", conn->step, step->text, line);
      conn_close (conn);
      return;
    }

  conn->step++;
  conn_run (conn);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (!conn_callback_begin (conn))
    return;

  if (n <= 0)
    {
      if (!conn->after_end)
        server_fail (conn->server, "step %u: the client closed the connection (%s)",
                     conn->step, error != NULL ? error->message : "EOF");
      conn_close (conn);
      return;
    }

  g_byte_array_append (conn->inbuf, (const guint8 *) conn->readbuf, n);
  g_byte_array_append (conn->server->received, (const guint8 *) conn->readbuf, n);
  if (!conn->server->tls_started)
    conn->server->plain_received = conn->server->received->len;
  conn_run (conn);
}

static void
conn_read_command (Conn *conn)
{
  char *line = conn_take_line (conn);

  if (line != NULL)
    {
      conn_handle_line (conn, line);
      return;
    }

  conn->server->pending++;
  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream),
                             conn->readbuf, sizeof conn->readbuf, G_PRIORITY_DEFAULT,
                             conn->server->cancellable, on_read, conn);
}

static void
on_handshake (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr(GError) error = NULL;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error);
  if (!conn_callback_begin (conn))
    return;

  /* A client that refuses the certificate ends up here: not a script failure. */
  if (error != NULL)
    {
      g_test_message ("test server: handshake failed: %s", error->message);
      conn_close (conn);
      return;
    }

  conn->step++;
  conn_run (conn);
}

static void
conn_start_tls (Conn *conn)
{
  PbTestServer *server = conn->server;
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  g_assert_nonnull (server->certificate);

  if (conn->inbuf->len > 0)
    server_fail (server, "step %u: the client sent %u bytes before the TLS handshake",
                 conn->step, conn->inbuf->len);

  server->tls_started = TRUE;
  tls = g_tls_server_connection_new (conn->base, server->certificate, &error);
  g_assert_no_error (error);
  g_clear_object (&conn->stream);
  conn->stream = tls;

  server->pending++;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    server->cancellable, on_handshake, conn);
}

/* The next write of a PB_STEP_SEND_REPEAT, or FALSE when it is complete. */
static gboolean
conn_repeat (Conn             *conn,
             const PbTestStep *step)
{
  gsize pattern_len = strlen (step->text);
  guint64 left = step->n > 0 ? step->n - conn->repeat_sent : G_MAXUINT64;
  gsize chunk = (gsize) MIN (left, REPEAT_CHUNK);
  char *data;

  g_assert_cmpuint (pattern_len, >, 0);
  if (!conn->repeating)
    {
      conn->repeating = TRUE;
      conn->repeat_sent = 0;
    }
  if (left == 0)
    {
      conn->repeating = FALSE;
      return FALSE;
    }

  /* Carries on where the last write stopped inside the pattern. */
  data = g_malloc (chunk);
  for (gsize i = 0; i < chunk; i++)
    data[i] = step->text[(conn->repeat_sent + i) % pattern_len];
  conn->repeat_sent += chunk;
  conn_write (conn, g_bytes_new_take (data, chunk));
  return TRUE;
}

static gboolean
on_pause_over (gpointer user_data)
{
  Conn *conn = user_data;

  if (!conn_callback_begin (conn))
    return G_SOURCE_REMOVE;
  conn->step++;
  conn_run (conn);
  return G_SOURCE_REMOVE;
}

static void
conn_run (Conn *conn)
{
  PbTestServer *server = conn->server;
  const PbTestStep *step;

  if (conn->after_end)
    {
      conn_read_command (conn);
      return;
    }

  step = &conn->steps[conn->step];
  switch (step->kind)
    {
    case PB_STEP_END:
      server->script_done = TRUE;
      conn->after_end = TRUE;
      conn_read_command (conn);
      break;

    case PB_STEP_SEND:
      conn_write (conn, g_bytes_new_take (g_strconcat (step->text, "\r\n", NULL),
                                          strlen (step->text) + 2));
      break;

    case PB_STEP_SEND_RAW:
      conn_write (conn, g_bytes_new_static (step->text,
                                            step->n > 0 ? step->n : strlen (step->text)));
      break;

    case PB_STEP_SEND_LONG:
      conn_write (conn, g_bytes_new_take (g_strnfill (step->n, 'x'), step->n));
      break;

    case PB_STEP_SEND_REPEAT:
      if (!conn_repeat (conn, step))
        {
          conn->step++;
          conn_run (conn);
        }
      break;

    case PB_STEP_PAUSE:
      {
        GSource *source = g_timeout_source_new (step->n);

        server->pending++;
        g_source_set_callback (source, on_pause_over, conn, NULL);
        g_source_attach (source, NULL);
        g_ptr_array_add (server->pauses, source);
      }
      break;

    case PB_STEP_EXPECT:
    case PB_STEP_EXPECT_PREFIX:
    case PB_STEP_EXPECT_ANY:
      conn_read_command (conn);
      break;

    case PB_STEP_DROP_BUFFERED:
      if (conn->inbuf->len > 0)
        {
          server_fail (server, "step %u: the client sent %u bytes behind the login before "
                       "its answer", conn->step, conn->inbuf->len);
          g_byte_array_set_size (conn->inbuf, 0);
        }
      conn->step++;
      conn_run (conn);
      break;

    case PB_STEP_STARTTLS:
      conn_start_tls (conn);
      break;

    case PB_STEP_CLOSE:
      server->script_done = TRUE;
      conn_close (conn);
      break;

    case PB_STEP_STALL:
      server->script_done = TRUE;
      break;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  PbTestServer *server = user_data;
  Conn *conn = g_new0 (Conn, 1);

  conn->server = server;
  conn->steps = (server->later_steps != NULL && server->conns->len > 0) ? server->later_steps
                                                                        : server->steps;
  conn->base = g_object_ref (G_IO_STREAM (connection));
  conn->stream = g_object_ref (conn->base);
  conn->inbuf = g_byte_array_new ();
  g_ptr_array_add (server->conns, conn);

  if (server->implicit_tls)
    {
      /* The handshake counts as a step of its own that is not in the script. */
      conn->step = G_MAXUINT;
      conn_start_tls (conn);
    }
  else
    {
      conn_run (conn);
    }

  return TRUE;
}

PbTestServer *
pb_test_server_new (GTlsCertificate  *certificate,
                    gboolean          implicit_tls,
                    const PbTestStep *steps)
{
  PbTestServer *server = g_new0 (PbTestServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (!implicit_tls || certificate != NULL);

  server->certificate = certificate != NULL ? g_object_ref (certificate) : NULL;
  server->implicit_tls = implicit_tls;
  server->steps = steps;
  server->cancellable = g_cancellable_new ();
  server->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  server->commands = g_ptr_array_new_with_free_func (g_free);
  server->pauses = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  server->received = g_byte_array_new ();

  server->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                 &effective, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (server->service, "incoming", G_CALLBACK (on_incoming), server);
  g_socket_service_start (server->service);

  return server;
}

void
pb_test_server_free (PbTestServer *server)
{
  if (server == NULL)
    return;

  g_signal_handlers_disconnect_by_data (server->service, server);
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_cancellable_cancel (server->cancellable);

  /* A pause that has not run out never calls back. */
  for (guint i = 0; i < server->pauses->len; i++)
    {
      GSource *source = g_ptr_array_index (server->pauses, i);

      if (!g_source_is_destroyed (source))
        {
          g_source_destroy (source);
          server->pending--;
        }
    }

  /* Callbacks still to come point at the connections. */
  while (server->pending > 0)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < server->conns->len; i++)
    conn_close (g_ptr_array_index (server->conns, i));

  g_ptr_array_unref (server->conns);
  g_ptr_array_unref (server->commands);
  g_ptr_array_unref (server->pauses);
  g_byte_array_unref (server->received);
  g_clear_object (&server->service);
  g_clear_object (&server->certificate);
  g_clear_object (&server->cancellable);
  g_free (server->failure);
  g_free (server);
}

guint16
pb_test_server_get_port (PbTestServer *server)
{
  return server->port;
}

GPtrArray *
pb_test_server_get_commands (PbTestServer *server)
{
  return server->commands;
}

guint
pb_test_server_get_plain_commands (PbTestServer *server)
{
  return server->tls_started ? server->plain_commands : server->commands->len;
}

const char *
pb_test_server_get_failure (PbTestServer *server)
{
  return server->failure;
}

gboolean
pb_test_server_get_script_done (PbTestServer *server)
{
  return server->script_done;
}

gboolean
pb_test_server_get_disconnected (PbTestServer *server)
{
  return server->disconnected;
}

guint
pb_test_server_get_n_connections (PbTestServer *server)
{
  return server->conns->len;
}

void
pb_test_server_set_later_steps (PbTestServer     *server,
                                const PbTestStep *steps)
{
  server->later_steps = steps;
}

void
pb_test_server_set_certificate (PbTestServer    *server,
                                GTlsCertificate *certificate)
{
  g_set_object (&server->certificate, certificate);
}

GBytes *
pb_test_server_dup_received (PbTestServer *server)
{
  return g_bytes_new (server->received->data, server->received->len);
}

gsize
pb_test_server_get_plain_received (PbTestServer *server)
{
  return server->tls_started ? server->plain_received : server->received->len;
}

guint64
pb_test_server_get_bytes_sent (PbTestServer *server)
{
  return server->bytes_sent;
}

char *
pb_test_server_dup_transcript (PbTestServer *server)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < server->commands->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, '|');
      g_string_append (out, g_ptr_array_index (server->commands, i));
    }
  return g_string_free (out, FALSE);
}
