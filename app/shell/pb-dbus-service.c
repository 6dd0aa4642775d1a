/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-dbus"

#include "config.h"

#include "app/core/pb-status.h"
#include "pb-dbus-service.h"
#include "pb-popbell-dbus.h"

struct _PbDbusService
{
  GObject     parent_instance;

  PbPopbell1 *skeleton;
  PbMonitor  *monitor;
  GVariant   *told;          /* (aa{sv}aa{sv}) as of the last Changed */
  guint       changed_idle;
};

G_DEFINE_FINAL_TYPE (PbDbusService, pb_dbus_service, G_TYPE_OBJECT)

/* ---- What the methods return --------------------------------------------- */

static GVariant *
build_messages (PbMonitor *monitor)
{
  GPtrArray *accounts = pb_monitor_get_accounts (monitor);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < accounts->len; i++)
    {
      const char *id = pb_account_get_id (g_ptr_array_index (accounts, i));
      GPtrArray *messages = pb_monitor_get_unacknowledged (monitor, id);

      for (guint j = 0; messages != NULL && j < messages->len; j++)
        {
          const PbMessage *message = g_ptr_array_index (messages, j);

          g_variant_builder_open (&builder, G_VARIANT_TYPE_VARDICT);
          g_variant_builder_add (&builder, "{sv}", "account", g_variant_new_string (id));
          g_variant_builder_add (&builder, "{sv}", "uidl",
                                 g_variant_new_string (message->uidl ? message->uidl : ""));
          g_variant_builder_add (&builder, "{sv}", "from",
                                 g_variant_new_string (message->from ? message->from : ""));
          g_variant_builder_add (&builder, "{sv}", "subject",
                                 g_variant_new_string (message->subject ? message->subject : ""));
          /* Absent rather than 0, which would be a date in 1970. */
          if (message->date != NULL)
            g_variant_builder_add (&builder, "{sv}", "date",
                                   g_variant_new_int64 (g_date_time_to_unix (message->date)));
          g_variant_builder_close (&builder);
        }
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
build_accounts (PbMonitor *monitor)
{
  GPtrArray *accounts = pb_monitor_get_accounts (monitor);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      const char *id = pb_account_get_id (account);
      PbAccountState state = pb_monitor_get_state (monitor, id);

      g_variant_builder_open (&builder, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&builder, "{sv}", "id", g_variant_new_string (id));
      g_variant_builder_add (&builder, "{sv}", "name",
                             g_variant_new_string (pb_account_get_display_name (account)));
      g_variant_builder_add (&builder, "{sv}", "state",
                             g_variant_new_string (pb_account_state_to_string (state)));
      g_variant_builder_add (&builder, "{sv}", "unread",
                             g_variant_new_uint32 (pb_monitor_count_unacknowledged (monitor, id)));
      g_variant_builder_add (&builder, "{sv}", "last-check",
                             g_variant_new_int64 (pb_monitor_get_last_success_time (monitor, id)));
      g_variant_builder_close (&builder);
    }
  return g_variant_builder_end (&builder);
}

/* FALSE (and the invocation answered) when there is no monitor to ask. */
static gboolean
check_ready (PbDbusService         *self,
             GDBusMethodInvocation *invocation)
{
  if (self->monitor != NULL)
    return TRUE;
  g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                                 "Popbell is not running");
  return FALSE;
}

/* "" means every account; NULL (and the invocation answered) for an unknown one. */
static gboolean
lookup_account_parameter (PbDbusService         *self,
                          GDBusMethodInvocation *invocation,
                          const char            *account,
                          const char           **out_id)
{
  if (*account == '\0')
    {
      *out_id = NULL;
      return TRUE;
    }
  if (pb_monitor_lookup_account (self->monitor, account) == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No account with the ID “%s”", account);
      return FALSE;
    }
  *out_id = account;
  return TRUE;
}

static gboolean
on_get_unread_count (PbPopbell1            *skeleton,
                     GDBusMethodInvocation *invocation,
                     PbDbusService         *self)
{
  if (check_ready (self, invocation))
    pb_popbell1_complete_get_unread_count (skeleton, invocation,
                                           pb_monitor_count_unacknowledged (self->monitor, NULL));
  return TRUE;
}

static gboolean
on_get_messages (PbPopbell1            *skeleton,
                 GDBusMethodInvocation *invocation,
                 PbDbusService         *self)
{
  if (check_ready (self, invocation))
    pb_popbell1_complete_get_messages (skeleton, invocation, build_messages (self->monitor));
  return TRUE;
}

static gboolean
on_get_accounts (PbPopbell1            *skeleton,
                 GDBusMethodInvocation *invocation,
                 PbDbusService         *self)
{
  if (check_ready (self, invocation))
    pb_popbell1_complete_get_accounts (skeleton, invocation, build_accounts (self->monitor));
  return TRUE;
}

/* CheckNow and MarkAsRead: @request of the monitor on the account ("" all). */
static void
run_account_request (PbDbusService         *self,
                     GDBusMethodInvocation *invocation,
                     const char            *account,
                     void                 (*request) (PbMonitor  *monitor,
                                                      const char *account_id))
{
  const char *id;

  if (!check_ready (self, invocation) ||
      !lookup_account_parameter (self, invocation, account, &id))
    return;
  g_debug ("%s (%s) from %s", g_dbus_method_invocation_get_method_name (invocation), account,
           g_dbus_method_invocation_get_sender (invocation));
  request (self->monitor, id);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
on_check_now (PbPopbell1            *skeleton,
              GDBusMethodInvocation *invocation,
              const char            *account,
              PbDbusService         *self)
{
  run_account_request (self, invocation, account, pb_monitor_check_now);
  return TRUE;
}

static gboolean
on_mark_as_read (PbPopbell1            *skeleton,
                 GDBusMethodInvocation *invocation,
                 const char            *account,
                 PbDbusService         *self)
{
  run_account_request (self, invocation, account, pb_monitor_acknowledge);
  return TRUE;
}

/* ---- Changed --------------------------------------------------------------- */

/* What a caller can read: (aa{sv}aa{sv}), accounts and messages. */
static GVariant *
snapshot (PbMonitor *monitor)
{
  return g_variant_ref_sink (g_variant_new ("(@aa{sv}@aa{sv})", build_accounts (monitor),
                                            build_messages (monitor)));
}

/* The monitor tells every change of every account, often several in a row
 * (checking, then the result): one signal per main loop round, and only when
 * what a caller would read differs from what it was told last. */
static gboolean
emit_changed (gpointer user_data)
{
  PbDbusService *self = user_data;
  g_autoptr(GVariant) now = NULL;

  self->changed_idle = 0;
  if (self->monitor == NULL)
    return G_SOURCE_REMOVE;

  now = snapshot (self->monitor);
  if (self->told != NULL && g_variant_equal (self->told, now))
    return G_SOURCE_REMOVE;
  g_clear_pointer (&self->told, g_variant_unref);
  self->told = g_steal_pointer (&now);
  pb_popbell1_emit_changed (self->skeleton,
                            pb_monitor_count_unacknowledged (self->monitor, NULL));
  return G_SOURCE_REMOVE;
}

static void
on_monitor_changed (PbDbusService *self)
{
  if (self->changed_idle == 0)
    self->changed_idle = g_idle_add (emit_changed, self);
}

/* ---- GObject ------------------------------------------------------------- */

static void
pb_dbus_service_dispose (GObject *object)
{
  PbDbusService *self = PB_DBUS_SERVICE (object);

  pb_dbus_service_set_monitor (self, NULL);
  if (self->skeleton != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->skeleton, self);
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
    }
  g_clear_object (&self->skeleton);

  G_OBJECT_CLASS (pb_dbus_service_parent_class)->dispose (object);
}

static void
pb_dbus_service_class_init (PbDbusServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pb_dbus_service_dispose;
}

static void
pb_dbus_service_init (PbDbusService *self)
{
  self->skeleton = pb_popbell1_skeleton_new ();
  g_signal_connect (self->skeleton, "handle-get-unread-count", G_CALLBACK (on_get_unread_count),
                    self);
  g_signal_connect (self->skeleton, "handle-get-messages", G_CALLBACK (on_get_messages), self);
  g_signal_connect (self->skeleton, "handle-get-accounts", G_CALLBACK (on_get_accounts), self);
  g_signal_connect (self->skeleton, "handle-check-now", G_CALLBACK (on_check_now), self);
  g_signal_connect (self->skeleton, "handle-mark-as-read", G_CALLBACK (on_mark_as_read), self);
}

PbDbusService *
pb_dbus_service_new (GDBusConnection  *connection,
                     const char       *object_path,
                     GError          **error)
{
  g_autoptr(PbDbusService) self = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (g_variant_is_object_path (object_path), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (PB_TYPE_DBUS_SERVICE, NULL);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton), connection,
                                         object_path, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
pb_dbus_service_set_monitor (PbDbusService *self,
                             PbMonitor     *monitor)
{
  g_return_if_fail (PB_IS_DBUS_SERVICE (self));
  g_return_if_fail (monitor == NULL || PB_IS_MONITOR (monitor));

  if (self->monitor == monitor)
    return;
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_handle_id (&self->changed_idle, g_source_remove);
  g_clear_pointer (&self->told, g_variant_unref);
  g_set_object (&self->monitor, monitor);
  if (monitor == NULL)
    return;

  g_signal_connect_swapped (monitor, "account-changed", G_CALLBACK (on_monitor_changed), self);
  /* What callers see first is the starting point: Changed only for what
   * differs from it. */
  self->told = snapshot (monitor);
}
