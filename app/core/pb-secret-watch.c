/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-secret"

#include "config.h"

#include "pb-secret-watch.h"

#define SECRETS_NAME         "org.freedesktop.secrets"
#define SECRETS_PATH         "/org/freedesktop/secrets"
#define SERVICE_INTERFACE    "org.freedesktop.Secret.Service"
#define COLLECTION_INTERFACE "org.freedesktop.Secret.Collection"

/* Raw D-Bus signals rather than libsecret's proxies: a SecretCollection
 * proxy follows one collection of one service connection, while the
 * default collection may be created or replaced, and the service may not
 * exist yet. The watch has to work before any of them does. */

struct _PbSecretWatch
{
  GObject          parent_instance;

  GCancellable    *cancellable;     /* of getting the session bus */
  guint            watch_id;
  GDBusConnection *connection;      /* while the name has an owner */
  guint            properties_id;   /* PropertiesChanged of collections */
  guint            collection_id;   /* the service's CollectionChanged/Created */
  guint            idle_id;
  gboolean         has_service;
};

G_DEFINE_FINAL_TYPE (PbSecretWatch, pb_secret_watch, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
emit_changed (gpointer user_data)
{
  PbSecretWatch *self = user_data;

  self->idle_id = 0;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

/* An unlock comes as several signals (the collection, each item, the
 * service): tell once, after the burst. */
static void
queue_changed (PbSecretWatch *self)
{
  if (self->idle_id == 0)
    self->idle_id = g_idle_add (emit_changed, self);
}

static void
on_properties_changed (GDBusConnection *connection,
                       const char      *sender,
                       const char      *path,
                       const char      *interface,
                       const char      *member,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  PbSecretWatch *self = user_data;
  g_autoptr(GVariant) changed = NULL;
  const char *changed_interface = NULL;
  gboolean locked;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;
  g_variant_get (parameters, "(&s@a{sv}@as)", &changed_interface, &changed, NULL);
  if (g_strcmp0 (changed_interface, COLLECTION_INTERFACE) != 0)
    return;

  /* Being locked needs nothing from us; an invalidated Locked may be an unlock. */
  if (g_variant_lookup (changed, "Locked", "b", &locked) && locked)
    return;

  g_debug ("Keyring collection %s may have been unlocked", path);
  queue_changed (self);
}

static void
on_collection_changed (GDBusConnection *connection,
                       const char      *sender,
                       const char      *path,
                       const char      *interface,
                       const char      *member,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  PbSecretWatch *self = user_data;

  /* Services that don't send PropertiesChanged send this on (un)locking;
   * a look at a still locked keyring costs a search and no prompt. */
  g_debug ("Keyring collection %s", member);
  queue_changed (self);
}

static void
unsubscribe (PbSecretWatch *self)
{
  if (self->connection == NULL)
    return;

  if (self->properties_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->properties_id);
  if (self->collection_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->collection_id);
  self->properties_id = 0;
  self->collection_id = 0;
  g_clear_object (&self->connection);
}

static void
on_name_appeared (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  PbSecretWatch *self = user_data;

  g_debug ("The Secret Service is on the bus (%s)", owner);
  unsubscribe (self);
  self->connection = g_object_ref (connection);
  self->has_service = TRUE;

  /* Subscribed by the unique name: another client can't fake an unlock. */
  self->properties_id =
    g_dbus_connection_signal_subscribe (connection, owner, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", NULL, COLLECTION_INTERFACE,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed,
                                        self, NULL);
  self->collection_id =
    g_dbus_connection_signal_subscribe (connection, owner, SERVICE_INTERFACE, NULL, SECRETS_PATH,
                                        NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_collection_changed,
                                        self, NULL);
  queue_changed (self);
}

static void
on_name_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  PbSecretWatch *self = user_data;

  if (self->has_service)
    g_debug ("The Secret Service left the bus");
  self->has_service = FALSE;
  unsubscribe (self);
}

static void
pb_secret_watch_dispose (GObject *object)
{
  PbSecretWatch *self = PB_SECRET_WATCH (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->watch_id != 0)
    g_bus_unwatch_name (self->watch_id);
  self->watch_id = 0;
  unsubscribe (self);
  g_clear_handle_id (&self->idle_id, g_source_remove);

  G_OBJECT_CLASS (pb_secret_watch_parent_class)->dispose (object);
}

static void
pb_secret_watch_class_init (PbSecretWatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pb_secret_watch_dispose;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
on_bus (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  PbSecretWatch *self;

  bus = g_bus_get_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PB_SECRET_WATCH (user_data);
  if (bus == NULL)
    {
      g_debug ("No session bus to watch the Secret Service on: %s", error->message);
      return;
    }

  /* No auto-start: activating a keyring daemon is the session's business,
   * and libsecret does it anyway when a password is looked up. */
  self->watch_id = g_bus_watch_name_on_connection (bus, SECRETS_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   on_name_appeared, on_name_vanished, self,
                                                   NULL);
}

static void
pb_secret_watch_init (PbSecretWatch *self)
{
  /* The bus first, with a way to stop waiting for it: g_bus_watch_name ()
   * would subscribe once it came even after being unwatched, on a bus that
   * may be closed by then. */
  self->cancellable = g_cancellable_new ();
  g_bus_get (G_BUS_TYPE_SESSION, self->cancellable, on_bus, self);
}

PbSecretWatch *
pb_secret_watch_new (void)
{
  return g_object_new (PB_TYPE_SECRET_WATCH, NULL);
}

gboolean
pb_secret_watch_has_service (PbSecretWatch *self)
{
  g_return_val_if_fail (PB_IS_SECRET_WATCH (self), FALSE);
  return self->has_service;
}
