/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-test-sni-host.h"
#include "pb-test-util.h"

#define WATCHER_NAME      "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH      "/StatusNotifierWatcher"
#define WATCHER_INTERFACE "org.kde.StatusNotifierWatcher"
#define ITEM_INTERFACE    "org.kde.StatusNotifierItem"
#define MENU_INTERFACE    "com.canonical.dbusmenu"
#define CALL_TIMEOUT_S    10

static GDBusConnection *
connect_to (const char *address)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

void
pb_test_sni_flush (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- Watcher ------------------------------------------------------------- */

typedef struct
{
  PbTestSniWatcher *watcher;
  char             *item;     /* "<bus name><path>" */
  guint             watch_id;
} Registration;

struct _PbTestSniWatcher
{
  GDBusConnection *connection;
  GDBusNodeInfo   *info;
  guint            object_id;
  guint            owner_id;
  gboolean         owned;
  GPtrArray       *registrations;   /* Registration* */
  guint            n_registrations;
};

static void
registration_free (Registration *registration)
{
  if (registration->watch_id != 0)
    g_bus_unwatch_name (registration->watch_id);
  g_free (registration->item);
  g_free (registration);
}

static GVariant *
watcher_items_variant (PbTestSniWatcher *self)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint i = 0; i < self->registrations->len; i++)
    {
      Registration *registration = g_ptr_array_index (self->registrations, i);

      g_variant_builder_add (&builder, "s", registration->item);
    }
  return g_variant_builder_end (&builder);
}

static void
on_item_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  Registration *registration = user_data;
  PbTestSniWatcher *self = registration->watcher;
  g_autofree char *item = g_strdup (registration->item);

  g_ptr_array_remove (self->registrations, registration);
  g_dbus_connection_emit_signal (self->connection, NULL, WATCHER_PATH, WATCHER_INTERFACE,
                                 "StatusNotifierItemUnregistered", g_variant_new ("(s)", item),
                                 NULL);
}

static void
watcher_method_call (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *object_path,
                     const char            *interface_name,
                     const char            *method_name,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               user_data)
{
  PbTestSniWatcher *self = user_data;
  const char *service;
  const char *bus_name;
  const char *path;
  Registration *registration;

  if (g_str_equal (method_name, "RegisterStatusNotifierHost"))
    {
      g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }

  g_assert_cmpstr (method_name, ==, "RegisterStatusNotifierItem");
  g_variant_get (parameters, "(&s)", &service);
  self->n_registrations++;

  /* As KDE and xfce4-panel read it: a path means "at the caller". */
  if (service[0] == '/')
    {
      bus_name = sender;
      path = service;
    }
  else
    {
      bus_name = service;
      path = "/StatusNotifierItem";
    }

  registration = g_new0 (Registration, 1);
  registration->watcher = self;
  registration->item = g_strconcat (bus_name, path, NULL);

  for (guint i = 0; i < self->registrations->len; i++)
    {
      Registration *other = g_ptr_array_index (self->registrations, i);

      if (g_str_equal (other->item, registration->item))
        {
          registration_free (registration);
          g_dbus_method_invocation_return_value (invocation, NULL);
          return;
        }
    }

  g_ptr_array_add (self->registrations, registration);
  registration->watch_id = g_bus_watch_name_on_connection (connection, bus_name,
                                                           G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                           on_item_vanished, registration, NULL);
  g_dbus_method_invocation_return_value (invocation, NULL);
  g_dbus_connection_emit_signal (connection, NULL, WATCHER_PATH, WATCHER_INTERFACE,
                                 "StatusNotifierItemRegistered",
                                 g_variant_new ("(s)", registration->item), NULL);
}

static GVariant *
watcher_get_property (GDBusConnection *connection,
                      const char      *sender,
                      const char      *object_path,
                      const char      *interface_name,
                      const char      *property_name,
                      GError         **error,
                      gpointer         user_data)
{
  PbTestSniWatcher *self = user_data;

  if (g_str_equal (property_name, "RegisteredStatusNotifierItems"))
    return watcher_items_variant (self);
  if (g_str_equal (property_name, "IsStatusNotifierHostRegistered"))
    return g_variant_new_boolean (TRUE);
  if (g_str_equal (property_name, "ProtocolVersion"))
    return g_variant_new_int32 (0);
  g_assert_not_reached ();
}

static const GDBusInterfaceVTable watcher_vtable = {
  watcher_method_call,
  watcher_get_property,
  NULL,
  { 0 }
};

static void
on_watcher_name_acquired (GDBusConnection *connection,
                          const char      *name,
                          gpointer         user_data)
{
  PbTestSniWatcher *self = user_data;

  self->owned = TRUE;
}

static void
on_watcher_name_lost (GDBusConnection *connection,
                      const char      *name,
                      gpointer         user_data)
{
  PbTestSniWatcher *self = user_data;

  self->owned = FALSE;
}

PbTestSniWatcher *
pb_test_sni_watcher_new (const char *address)
{
  PbTestSniWatcher *self = g_new0 (PbTestSniWatcher, 1);
  g_autofree char *xml_path = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;

  /* The interface file the application's code is generated from. */
  xml_path = g_test_build_filename (G_TEST_DIST, "..", "app", "shell", "dbus",
                                    "org.kde.StatusNotifierWatcher.xml", NULL);
  g_file_get_contents (xml_path, &xml, NULL, &error);
  g_assert_no_error (error);
  self->info = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);

  self->registrations = g_ptr_array_new_with_free_func ((GDestroyNotify) registration_free);
  self->connection = connect_to (address);
  self->object_id = g_dbus_connection_register_object (self->connection, WATCHER_PATH,
                                                       self->info->interfaces[0],
                                                       &watcher_vtable, self, NULL, &error);
  g_assert_no_error (error);
  self->owner_id = g_bus_own_name_on_connection (self->connection, WATCHER_NAME,
                                                 G_BUS_NAME_OWNER_FLAGS_NONE,
                                                 on_watcher_name_acquired, on_watcher_name_lost,
                                                 self, NULL);
  pb_test_wait_for (&self->owned, CALL_TIMEOUT_S);

  return self;
}

void
pb_test_sni_watcher_free (PbTestSniWatcher *self)
{
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;

  g_ptr_array_set_size (self->registrations, 0);
  g_dbus_connection_unregister_object (self->connection, self->object_id);
  /* The name first: released on a closed connection, GIO warns (and the
   * warning is fatal in the tests). */
  g_bus_unown_name (self->owner_id);
  pb_test_sni_flush ();
  g_dbus_connection_close_sync (self->connection, NULL, &error);
  g_assert_no_error (error);
  pb_test_sni_flush ();

  g_ptr_array_unref (self->registrations);
  g_dbus_node_info_unref (self->info);
  g_object_unref (self->connection);
  g_free (self);
}

GPtrArray *
pb_test_sni_watcher_get_items (PbTestSniWatcher *self)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->registrations->len; i++)
    {
      Registration *registration = g_ptr_array_index (self->registrations, i);

      g_ptr_array_add (items, g_strdup (registration->item));
    }
  return items;
}

guint
pb_test_sni_watcher_get_n_registrations (PbTestSniWatcher *self)
{
  return self->n_registrations;
}

/* ---- Host ---------------------------------------------------------------- */

struct _PbTestSniHost
{
  GDBusConnection *connection;
  char            *bus_name;
  char            *item_path;
  char            *menu_path;
  guint            subscription;
  GPtrArray       *signals;
};

static void
on_item_signal (GDBusConnection *connection,
                const char      *sender_name,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  PbTestSniHost *self = user_data;

  if (g_variant_n_children (parameters) == 0)
    {
      g_ptr_array_add (self->signals, g_strdup (signal_name));
    }
  else
    {
      g_autofree char *arguments = g_variant_print (parameters, FALSE);

      g_ptr_array_add (self->signals, g_strdup_printf ("%s %s", signal_name, arguments));
    }
}

static GVariant *
call (PbTestSniHost *self,
      const char    *path,
      const char    *interface,
      const char    *method,
      GVariant      *parameters,
      GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_dbus_connection_call (self->connection, self->bus_name, path, interface, method, parameters,
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_S * 1000, NULL,
                          pb_test_store_result, &result);
  pb_test_wait_result (&result, CALL_TIMEOUT_S + 1);
  return g_dbus_connection_call_finish (self->connection, result, error);
}

PbTestSniHost *
pb_test_sni_host_new (const char *address,
                      const char *bus_name,
                      const char *item_path)
{
  PbTestSniHost *self = g_new0 (PbTestSniHost, 1);

  self->connection = connect_to (address);
  self->bus_name = g_strdup (bus_name);
  self->item_path = g_strdup (item_path);
  self->signals = g_ptr_array_new_with_free_func (g_free);
  self->subscription = g_dbus_connection_signal_subscribe (self->connection, bus_name, NULL, NULL,
                                                           NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                           on_item_signal, self, NULL);
  /* The subscription's AddMatch is in place before anything else is asked. */
  pb_test_sni_host_sync (self);
  return self;
}

void
pb_test_sni_host_free (PbTestSniHost *self)
{
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;

  g_dbus_connection_signal_unsubscribe (self->connection, self->subscription);
  g_dbus_connection_close_sync (self->connection, NULL, &error);
  g_assert_no_error (error);
  pb_test_sni_flush ();

  g_object_unref (self->connection);
  g_ptr_array_unref (self->signals);
  g_free (self->bus_name);
  g_free (self->item_path);
  g_free (self->menu_path);
  g_free (self);
}

static GVariant *
get_all (PbTestSniHost *self,
         const char    *path,
         const char    *interface)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariant *properties;

  reply = call (self, path, "org.freedesktop.DBus.Properties", "GetAll",
                g_variant_new ("(s)", interface), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@a{sv})", &properties);
  return properties;
}

GVariant *
pb_test_sni_host_get_all (PbTestSniHost *self)
{
  return get_all (self, self->item_path, ITEM_INTERFACE);
}

const char *
pb_test_sni_host_get_menu_path (PbTestSniHost *self)
{
  if (self->menu_path == NULL)
    {
      g_autoptr(GVariant) properties = pb_test_sni_host_get_all (self);

      g_assert_true (g_variant_lookup (properties, "Menu", "o", &self->menu_path));
    }
  return self->menu_path;
}

GVariant *
pb_test_sni_host_get_menu_all (PbTestSniHost *self)
{
  return get_all (self, pb_test_sni_host_get_menu_path (self), MENU_INTERFACE);
}

GVariant *
pb_test_sni_host_call (PbTestSniHost *self,
                       gboolean       on_menu,
                       const char    *method,
                       GVariant      *parameters,
                       GError       **error)
{
  if (on_menu)
    return call (self, pb_test_sni_host_get_menu_path (self), MENU_INTERFACE, method, parameters,
                 error);
  return call (self, self->item_path, ITEM_INTERFACE, method, parameters, error);
}

void
pb_test_sni_host_sync (PbTestSniHost *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = call (self, "/", "org.freedesktop.DBus.Peer", "Ping", NULL, &error);
  g_assert_no_error (error);
  pb_test_sni_flush ();
}

GPtrArray *
pb_test_sni_host_get_signals (PbTestSniHost *self)
{
  return self->signals;
}

char *
pb_test_sni_host_take_signals (PbTestSniHost *self)
{
  g_autofree char *joined = NULL;

  g_ptr_array_add (self->signals, NULL);
  joined = g_strjoinv ("|", (char **) self->signals->pdata);
  g_ptr_array_set_size (self->signals, 0);
  return g_steal_pointer (&joined);
}
