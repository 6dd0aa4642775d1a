/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-autostart"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-background-portal.h"

#define PORTAL_NAME       "org.freedesktop.portal.Desktop"
#define PORTAL_PATH       "/org/freedesktop/portal/desktop"
#define BACKGROUND_IFACE  "org.freedesktop.portal.Background"
#define REQUEST_IFACE     "org.freedesktop.portal.Request"

typedef struct
{
  GDBusConnection *connection;
  char            *handle;          /* the Request object the answer comes from */
  guint            subscription;
  gulong           cancelled_id;
  gboolean         done;
} Request;

static void
request_free (Request *request)
{
  g_clear_object (&request->connection);
  g_free (request->handle);
  g_free (request);
}

gboolean
pb_background_portal_is_needed (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

/* Stops listening; FALSE when the task was answered already. */
static gboolean
request_end (GTask    *task,
             gboolean  from_cancelled)
{
  Request *request = g_task_get_task_data (task);

  if (request->done)
    return FALSE;
  request->done = TRUE;
  if (request->subscription != 0)
    g_dbus_connection_signal_unsubscribe (request->connection, request->subscription);
  request->subscription = 0;
  /* Disconnecting from inside the handler would wait for itself. */
  if (!from_cancelled && request->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), request->cancelled_id);
  request->cancelled_id = 0;
  return TRUE;
}

static void
on_response (GDBusConnection *connection,
             const char      *sender,
             const char      *path,
             const char      *interface,
             const char      *signal,
             GVariant        *parameters,
             gpointer         user_data)
{
  GTask *task = user_data;
  g_autoptr(GVariant) results = NULL;
  guint32 response = 2;
  gboolean background = FALSE, autostart = FALSE;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    return;
  g_object_ref (task);
  if (!request_end (task, FALSE))
    {
      g_object_unref (task);
      return;
    }
  g_variant_get (parameters, "(u@a{sv})", &response, &results);

  /* 0: answered (what was granted is in the results); 1: dismissed; 2: failed. */
  if (response == 1)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("Running in the background was not allowed."));
  else if (response != 0)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             _("The background portal could not answer."));
  else
    {
      g_variant_lookup (results, "background", "b", &background);
      g_variant_lookup (results, "autostart", "b", &autostart);
      g_task_return_int (task, (background ? 1 : 0) | (autostart ? 2 : 0));
    }
  g_object_unref (task);
}

static void
on_requested (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  GError *error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      if (request_end (task, FALSE))
        g_task_return_error (task, error);
      else
        g_error_free (error);
    }
  /* Else the answer comes as the Request's Response. */
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask *task = user_data;

  if (request_end (task, TRUE))
    g_task_return_error_if_cancelled (task);
}

void
pb_background_portal_request_async (GDBusConnection     *connection,
                                    gboolean             autostart,
                                    const char * const  *commandline,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Request *request;
  GVariantBuilder options;
  g_autofree char *token = NULL;
  g_autofree char *sender = NULL;

  g_return_if_fail (G_IS_DBUS_CONNECTION (connection));
  g_return_if_fail (g_dbus_connection_get_unique_name (connection) != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_background_portal_request_async);
  request = g_new0 (Request, 1);
  request->connection = g_object_ref (connection);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  /* The Request's path, known before the call so that no answer can come
   * before it is listened for: /org/freedesktop/portal/desktop/request/SENDER/TOKEN. */
  token = g_strdup_printf ("popbell%u", g_random_int ());
  sender = g_strdup (g_dbus_connection_get_unique_name (connection) + 1);
  g_strdelimit (sender, ".", '_');
  request->handle = g_strdup_printf (PORTAL_PATH "/request/%s/%s", sender, token);
  request->subscription =
    g_dbus_connection_signal_subscribe (connection, PORTAL_NAME, REQUEST_IFACE, "Response",
                                        request->handle, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        on_response, g_object_ref (task), g_object_unref);
  if (cancellable != NULL)
    request->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled),
                                                   g_object_ref (task), g_object_unref);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_("Popbell checks your mailboxes in the "
                                                 "background and tells you when new mail "
                                                 "arrives.")));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (autostart));
  if (commandline != NULL)
    g_variant_builder_add (&options, "{sv}", "commandline",
                           g_variant_new_strv (commandline, -1));
  g_variant_builder_add (&options, "{sv}", "dbus-activatable", g_variant_new_boolean (FALSE));

  g_debug ("Asking the background portal (start at login: %s)", autostart ? "yes" : "no");
  g_dbus_connection_call (connection, PORTAL_NAME, PORTAL_PATH, BACKGROUND_IFACE,
                          "RequestBackground", g_variant_new ("(s@a{sv})", "",
                                                              g_variant_builder_end (&options)),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, cancellable,
                          on_requested, g_object_ref (task));
}

gboolean
pb_background_portal_request_finish (GAsyncResult  *result,
                                     gboolean      *background,
                                     gboolean      *autostart,
                                     GError       **error)
{
  gssize granted;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        pb_background_portal_request_async, FALSE);

  granted = g_task_propagate_int (G_TASK (result), error);
  if (granted < 0)
    return FALSE;
  if (background != NULL)
    *background = (granted & 1) != 0;
  if (autostart != NULL)
    *autostart = (granted & 2) != 0;
  return TRUE;
}
