/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-notifier"

#include "config.h"

#include "pb-do-not-disturb.h"

#define NOTIFICATIONS_NAME      "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH      "/org/freedesktop/Notifications"
#define GNOME_SCHEMA            "org.gnome.desktop.notifications"
#define GNOME_SHOW_BANNERS      "show-banners"

struct _PbDoNotDisturb
{
  GObject       parent_instance;

  GDBusProxy   *server;       /* NULL until it is set up */
  GCancellable *cancellable;
  GSettings    *gnome;        /* NULL without GNOME's schema */
};

G_DEFINE_FINAL_TYPE (PbDoNotDisturb, pb_do_not_disturb, G_TYPE_OBJECT)

static void
on_proxy_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GDBusProxy *proxy = g_dbus_proxy_new_for_bus_finish (result, &error);
  PbDoNotDisturb *self;

  if (proxy == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Not following the notification server's do-not-disturb: %s", error->message);
      return;
    }
  self = PB_DO_NOT_DISTURB (user_data);
  self->server = proxy;
}

gboolean
pb_do_not_disturb_get_active (PbDoNotDisturb *self)
{
  g_autoptr(GVariant) inhibited = NULL;

  g_return_val_if_fail (PB_IS_DO_NOT_DISTURB (self), FALSE);

  if (self->gnome != NULL && !g_settings_get_boolean (self->gnome, GNOME_SHOW_BANNERS))
    return TRUE;
  if (self->server != NULL)
    inhibited = g_dbus_proxy_get_cached_property (self->server, "Inhibited");
  return inhibited != NULL && g_variant_is_of_type (inhibited, G_VARIANT_TYPE_BOOLEAN) &&
         g_variant_get_boolean (inhibited);
}

static void
pb_do_not_disturb_dispose (GObject *object)
{
  PbDoNotDisturb *self = PB_DO_NOT_DISTURB (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->server);
  g_clear_object (&self->gnome);

  G_OBJECT_CLASS (pb_do_not_disturb_parent_class)->dispose (object);
}

static void
pb_do_not_disturb_class_init (PbDoNotDisturbClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pb_do_not_disturb_dispose;
}

static void
pb_do_not_disturb_init (PbDoNotDisturb *self)
{
}

PbDoNotDisturb *
pb_do_not_disturb_new (void)
{
  PbDoNotDisturb *self = g_object_new (PB_TYPE_DO_NOT_DISTURB, NULL);
  g_autoptr(GSettingsSchema) schema = NULL;
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();

  /* Only where GNOME's schemas are installed: GSettings aborts on a schema
   * it does not know. */
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, GNOME_SCHEMA, TRUE);
  if (schema != NULL && g_settings_schema_has_key (schema, GNOME_SHOW_BANNERS))
    self->gnome = g_settings_new_full (schema, NULL, NULL);

  /* The proxy keeps Inhibited up to date from PropertiesChanged, and asks
   * again when the server is replaced; it never starts one. */
  self->cancellable = g_cancellable_new ();
  g_dbus_proxy_new_for_bus (G_BUS_TYPE_SESSION,
                            G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START |
                            G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                            NULL, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_NAME,
                            self->cancellable, on_proxy_ready, self);
  return self;
}
