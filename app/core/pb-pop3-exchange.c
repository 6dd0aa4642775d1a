/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-pop3"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-error.h"
#include "pb-pop3-client-private.h"

/* ---- Session bookkeeping ------------------------------------------------- */

void
pb_pop3_client_disarm_timer (PbPop3Client *self)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

static gboolean
on_timer (gpointer user_data)
{
  PbPop3Client *self = user_data;

  g_debug ("No answer from %s within %u s", self->host, self->timeout);
  self->timed_out = TRUE;
  g_clear_pointer (&self->timer, g_source_unref);
  g_cancellable_cancel (self->io_cancellable);
  return G_SOURCE_REMOVE;
}

/* Every wait for the server is bounded; the timer is re-armed for each read,
 * so a slow but steady server is fine. */
void
pb_pop3_client_arm_timer (PbPop3Client *self)
{
  pb_pop3_client_disarm_timer (self);
  self->timer = g_timeout_source_new ((guint) MIN (self->timeout, G_MAXUINT / 1000) * 1000);
  g_source_set_callback (self->timer, on_timer, self, NULL);
  g_source_set_static_name (self->timer, "[popbell] POP3 timeout");
  g_source_attach (self->timer, g_main_context_get_thread_default ());
}

static void
on_op_cancelled (GCancellable *cancellable,
                 gpointer      user_data)
{
  PbPop3Client *self = user_data;

  g_cancellable_cancel (self->io_cancellable);
}

void
pb_pop3_client_drop_streams (PbPop3Client *self)
{
  self->input = NULL;
  self->output = NULL;
  g_clear_object (&self->stream);
  g_clear_object (&self->connection);
}

/* Ends the session at once, without a goodbye: after an error nothing more
 * may be said to this server. */
void
pb_pop3_client_close_hard (PbPop3Client *self)
{
  if (self->connection != NULL)
    g_socket_close (g_socket_connection_get_socket (self->connection), NULL);
  pb_pop3_client_drop_streams (self);
}

static GError *
timeout_error (PbPop3Client *self)
{
  return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_TIMEOUT,
                      _("%s did not answer within %u seconds."), self->host, self->timeout);
}

/* Turns what GIO reported during the session into a PB_POP3_ERROR (or keeps
 * G_IO_ERROR_CANCELLED when the caller cancelled). Takes @error. */
GError *
pb_pop3_client_map_io_error (PbPop3Client *self,
              GError       *error)
{
  GError *mapped;

  if ((self->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    mapped = timeout_error (self);
  else if (error->domain == PB_POP3_ERROR ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  else if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF))
    mapped = g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_CLOSED,
                          _("%s closed the connection unexpectedly."), self->host);
  else if (error->domain == G_TLS_ERROR)
    mapped = g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_TLS,
                          _("TLS error with %s: %s"), self->host, error->message);
  else
    mapped = g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_CLOSED,
                          _("The connection to %s failed: %s"), self->host, error->message);

  g_error_free (error);
  return mapped;
}

/* Checks and marks the start of a public operation; FALSE after returning an
 * error on @task. */
gboolean
pb_pop3_op_begin (PbPop3Client *self,
          GTask        *task,
          SessionState  expected,
          GCancellable *cancellable)
{
  if (self->error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->error));
      return FALSE;
    }
  if (self->busy)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Another POP3 operation is in progress");
      return FALSE;
    }
  if (self->state != expected)
    {
      g_task_return_new_error (task, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL,
                               "POP3 operation called in the wrong order");
      return FALSE;
    }

  self->busy = TRUE;
  if (cancellable != NULL)
    {
      self->op_cancellable = g_object_ref (cancellable);
      self->op_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_op_cancelled),
                                                  self, NULL);
    }
  return TRUE;
}

void
pb_pop3_op_end (PbPop3Client *self)
{
  pb_pop3_client_disarm_timer (self);
  self->busy = FALSE;
  if (self->op_cancellable != NULL)
    {
      g_cancellable_disconnect (self->op_cancellable, self->op_cancel_id);
      self->op_cancel_id = 0;
      g_clear_object (&self->op_cancellable);
    }
}

/* Ends the operation and the session with @error (taken). */
void
pb_pop3_op_fail (GTask  *task,
         GError *error)
{
  PbPop3Client *self = g_task_get_source_object (task);

  pb_pop3_op_end (self);
  g_debug ("Session with %s failed: %s", self->host, error->message);
  if (self->error == NULL)
    self->error = g_error_copy (error);
  self->state = STATE_ENDED;
  pb_pop3_client_close_hard (self);
  g_task_return_error (task, error);
}

/* ---- Exchanges: commands written at once, answers read in order --------- */

static void
command_free (Command *command)
{
  g_clear_pointer (&command->response, pb_pop3_response_free);
  g_free (command);
}

static void
wipe_string (GString *string)
{
  if (string != NULL)
    explicit_bzero (string->str, string->allocated_len);
}

Exchange *
pb_pop3_exchange_new (void)
{
  Exchange *exchange = g_new0 (Exchange, 1);

  exchange->commands = g_ptr_array_new_with_free_func ((GDestroyNotify) command_free);
  return exchange;
}

void
pb_pop3_exchange_free (Exchange *exchange)
{
  if (exchange == NULL)
    return;

  g_ptr_array_unref (exchange->commands);
  if (exchange->wire != NULL)
    {
      wipe_string (exchange->wire);
      g_string_free (exchange->wire, TRUE);
    }
  g_free (exchange);
}

/* Queues a command; @line is written as it is plus CRLF (NULL: nothing to
 * write, only an answer to read). */
void
pb_pop3_exchange_add (Exchange   *exchange,
              const char *verb,
              const char *line,
              guint       expect,
              gsize       max_body)
{
  Command *command = g_new0 (Command, 1);

  command->verb = verb;
  command->expect = expect;
  command->max_body = max_body;
  g_ptr_array_add (exchange->commands, command);

  if (line != NULL)
    {
      gsize len = strlen (line);

      if (exchange->wire == NULL)
        exchange->wire = g_string_sized_new (MAX (256, 2 * len));

      /* Grow by hand: a realloc would leave a password behind unwiped. */
      if (exchange->wire->len + len + 3 > exchange->wire->allocated_len)
        {
          GString *bigger = g_string_sized_new (2 * (exchange->wire->len + len + 3));

          g_string_append_len (bigger, exchange->wire->str, exchange->wire->len);
          wipe_string (exchange->wire);
          g_string_free (exchange->wire, TRUE);
          exchange->wire = bigger;
        }

      g_string_append_len (exchange->wire, line, len);
      g_string_append (exchange->wire, "\r\n");
    }
}

PbPop3Response *
pb_pop3_exchange_get (Exchange *exchange,
              guint     index)
{
  Command *command = g_ptr_array_index (exchange->commands, index);

  return command->response;
}

static void exchange_read_more (GTask *task);

static void
on_exchange_read (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PbPop3Client *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  pb_pop3_client_disarm_timer (self);

  if (n < 0)
    {
      g_task_return_error (task, pb_pop3_client_map_io_error (self, error));
      return;
    }
  if (n == 0)
    {
      g_task_return_new_error (task, PB_POP3_ERROR, PB_POP3_ERROR_CLOSED,
                               _("%s closed the connection unexpectedly."), self->host);
      return;
    }

  self->bytes_received += n;
  pb_pop3_reader_feed (self->reader, (const char *) self->read_buffer, n);
  exchange_read_more (g_steal_pointer (&task));
}

/* Takes @task. */
static void
exchange_read_more (GTask *task)
{
  PbPop3Client *self = g_task_get_source_object (task);
  Exchange *exchange = g_task_get_task_data (task);

  while (exchange->next < exchange->commands->len)
    {
      Command *command = g_ptr_array_index (exchange->commands, exchange->next);
      GError *error = NULL;

      switch (pb_pop3_reader_read_response (self->reader, command->expect, command->max_body,
                                            &command->response, &error))
        {
        case PB_POP3_READ_DONE:
          g_debug ("< %s %s", command->verb,
                   command->response->continuation ? "+" : command->response->ok ? "+OK" : "-ERR");
          exchange->next++;
          break;

        case PB_POP3_READ_ERROR:
          g_prefix_error (&error, "%s: ", self->host);
          g_task_return_error (task, error);
          g_object_unref (task);
          return;

        case PB_POP3_READ_NEED_MORE:
        default:
          pb_pop3_client_arm_timer (self);
          g_input_stream_read_async (self->input, self->read_buffer, READ_BUFFER_SIZE,
                                     G_PRIORITY_DEFAULT, self->io_cancellable,
                                     on_exchange_read, task);
          return;
        }
    }

  /* A server speaks only when asked: more than the answers would be taken as
   * the answer to the next command, whoever put it there. */
  if (pb_pop3_reader_get_buffered (self->reader) > 0 && !exchange->more_is_injection)
    {
      g_task_return_new_error (task, PB_POP3_ERROR, PB_POP3_ERROR_PROTOCOL,
                               _("%s sent data that was not asked for."), self->host);
      g_object_unref (task);
      return;
    }

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_exchange_written (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PbPop3Client *self = g_task_get_source_object (task);
  Exchange *exchange = g_task_get_task_data (task);
  GError *error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  pb_pop3_client_disarm_timer (self);
  /* It may have held a password. */
  wipe_string (exchange->wire);

  if (error != NULL)
    {
      g_task_return_error (task, pb_pop3_client_map_io_error (self, error));
      return;
    }

  exchange_read_more (g_steal_pointer (&task));
}

/* Writes the commands of @exchange in one go, then reads their answers in
 * order into it. @exchange stays owned by the caller and must outlive the call. */
void
pb_pop3_exchange_async (PbPop3Client        *self,
                Exchange            *exchange,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, pb_pop3_exchange_async);
  g_task_set_task_data (task, exchange, NULL);

  self->round_trips++;
  if (exchange->wire == NULL)
    {
      exchange_read_more (task);
      return;
    }

  for (guint i = 0; i < exchange->commands->len; i++)
    g_debug ("> %s", ((Command *) g_ptr_array_index (exchange->commands, i))->verb);
  self->commands_sent += exchange->commands->len;

  pb_pop3_client_arm_timer (self);
  g_output_stream_write_all_async (self->output, exchange->wire->str, exchange->wire->len,
                                   G_PRIORITY_DEFAULT, self->io_cancellable,
                                   on_exchange_written, task);
}

gboolean
pb_pop3_exchange_finish (PbPop3Client  *self,
                 GAsyncResult  *result,
                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_pop3_exchange_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
