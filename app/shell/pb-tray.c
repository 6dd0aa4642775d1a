/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-tray"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "app/core/pb-actions.h"
#include "app/core/pb-status.h"
#include "pb-dbusmenu-exporter.h"
#include "pb-sni-dbus.h"
#include "pb-tray-badge.h"
#include "pb-tray-model.h"
#include "pb-tray.h"

#define WATCHER_NAME      "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH      "/StatusNotifierWatcher"
#define WATCHER_INTERFACE "org.kde.StatusNotifierWatcher"
#define ITEM_PATH         "/StatusNotifierItem"
#define MENU_PATH         "/StatusNotifierItem/Menu"

struct _PbTray
{
  GObject               parent_instance;

  GDBusConnection      *connection;
  PbMonitor            *monitor;
  GActionGroup         *actions;
  char                 *icon_theme_path;

  PbStatusNotifierItem *item;
  PbDbusmenuExporter   *menu;
  PbTrayModel          *model;
  gboolean              exported;

  PbStatus              look;

  gboolean              show_count;     /* the count drawn on the icon */
  char                 *pixmap_key;     /* what pixmap shows: "<icon> <count>" */
  GVariant             *pixmap;

  guint                 watch_id;
  GCancellable         *register_cancellable;
  gboolean              registered;
};

enum
{
  PROP_0,
  PROP_REGISTERED,
  PROP_SHOW_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PbTray, pb_tray, G_TYPE_OBJECT)


/* ---- The menu ------------------------------------------------------------- */

static void
run_action (PbTray     *self,
            const char *action,
            const char *target)
{
  if (action == NULL)
    return;

  if (!g_action_group_has_action (self->actions, action))
    {
      g_debug ("No action %s to run", action);
      return;
    }

  g_debug ("Running %s", action);
  g_action_group_activate_action (self->actions, action,
                                  target != NULL ? g_variant_new_string (target) : NULL);
}

/* Rebuilds the menu from the monitor; the exporter tells the host when it changed. */
static void
update_menu (PbTray *self)
{
  pb_dbusmenu_exporter_set_items (self->menu, pb_tray_model_build_menu (self->model));
}

static void
on_menu_activated (PbDbusmenuExporter *menu,
                   PbMenuItem         *item,
                   PbTray             *self)
{
  run_action (self, item->action, item->target);
}

/* ---- StatusNotifierItem -------------------------------------------------- */

static gboolean
on_activate (PbStatusNotifierItem  *item,
             GDBusMethodInvocation *invocation,
             gint                   x,
             gint                   y,
             PbTray                *self)
{
  pb_status_notifier_item_complete_activate (item, invocation);
  run_action (self, PB_ACTION_SHOW_WINDOW, NULL);
  return TRUE;
}

static gboolean
on_secondary_activate (PbStatusNotifierItem  *item,
                       GDBusMethodInvocation *invocation,
                       gint                   x,
                       gint                   y,
                       PbTray                *self)
{
  pb_status_notifier_item_complete_secondary_activate (item, invocation);
  run_action (self, PB_ACTION_CHECK_NOW, "");
  return TRUE;
}

/* The host shows the dbusmenu itself (Menu); nothing to draw here. */
static gboolean
on_context_menu (PbStatusNotifierItem  *item,
                 GDBusMethodInvocation *invocation,
                 gint                   x,
                 gint                   y,
                 PbTray                *self)
{
  pb_status_notifier_item_complete_context_menu (item, invocation);
  return TRUE;
}

static gboolean
on_scroll (PbStatusNotifierItem  *item,
           GDBusMethodInvocation *invocation,
           gint                   delta,
           const char            *orientation,
           PbTray                *self)
{
  pb_status_notifier_item_complete_scroll (item, invocation);
  return TRUE;
}

/* The pixels of @icon with @count drawn on it (0: none), rendered again
 * only when one of them changed. */
static GVariant *
icon_pixmap (PbTray     *self,
             const char *icon,
             guint       count)
{
  g_autofree char *key = g_strdup_printf ("%s %u", icon, MIN (count, 100u));
  g_autofree char *file = g_strconcat (icon, ".svg", NULL);
  g_autofree char *path = NULL;

  if (g_strcmp0 (key, self->pixmap_key) == 0)
    return self->pixmap;

  g_clear_pointer (&self->pixmap, g_variant_unref);
  g_free (self->pixmap_key);
  self->pixmap_key = g_steal_pointer (&key);
  if (self->icon_theme_path != NULL)
    path = g_build_filename (self->icon_theme_path, "hicolor", "symbolic", "apps", file, NULL);
  self->pixmap = g_variant_ref_sink (path != NULL
                                     ? pb_tray_badge_render (path, count)
                                     : g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0));
  return self->pixmap;
}

/* Hosts read properties again only when told by a New* signal, and redraw
 * on NewIcon: so the icon itself changes with the state, and each signal
 * goes out only for a real change. */
static void
update (PbTray *self)
{
  PbStatusNotifierItem *item = self->item;
  PbStatus look = pb_tray_model_get_look (self->model, self->look);
  const char *icon = pb_tray_model_icon_name (look);
  const char *status = pb_tray_model_status (look);
  guint count = self->show_count ? pb_monitor_count_unacknowledged (self->monitor, NULL) : 0;
  GVariant *pixmap = icon_pixmap (self, icon, count);
  /* Every host we know (Plasma, xfce4-panel, waybar, the GNOME extension)
   * draws IconName when there is one and the pixels only without: no name
   * while the pixels carry the count. */
  const char *icon_name = count > 0 && g_variant_n_children (pixmap) > 0 ? "" : icon;
  g_autoptr(GVariant) tool_tip = g_variant_ref_sink (pb_tray_model_build_tool_tip (self->model,
                                                                                  look));
  GVariant *old_tool_tip = pb_status_notifier_item_get_tool_tip (item);
  GVariant *old_pixmap = pb_status_notifier_item_get_icon_pixmap (item);
  gboolean icon_changed =
    g_strcmp0 (pb_status_notifier_item_get_icon_name (item), icon_name) != 0 ||
    old_pixmap == NULL || !g_variant_equal (old_pixmap, pixmap);
  gboolean status_changed = g_strcmp0 (pb_status_notifier_item_get_status (item), status) != 0;
  gboolean tool_tip_changed = old_tool_tip == NULL || !g_variant_equal (old_tool_tip, tool_tip);

  self->look = look;

  if (icon_changed)
    {
      /* Hosts that ignore Status show AttentionIconName when it is set: the
       * same icon in both keeps them right. */
      pb_status_notifier_item_set_icon_name (item, icon_name);
      pb_status_notifier_item_set_attention_icon_name (item, icon_name);
      pb_status_notifier_item_set_icon_pixmap (item, pixmap);
      pb_status_notifier_item_set_attention_icon_pixmap (item, pixmap);
      pb_status_notifier_item_emit_new_icon (item);
      pb_status_notifier_item_emit_new_attention_icon (item);
    }
  if (status_changed)
    {
      pb_status_notifier_item_set_status (item, status);
      pb_status_notifier_item_emit_new_status (item, status);
    }
  if (tool_tip_changed)
    {
      pb_status_notifier_item_set_tool_tip (item, tool_tip);
      pb_status_notifier_item_emit_new_tool_tip (item);
    }

  update_menu (self);
}

static void
on_account_changed (PbMonitor  *monitor,
                    const char *account_id,
                    PbTray     *self)
{
  update (self);
}

/* ---- Registration -------------------------------------------------------- */

static void
set_registered (PbTray   *self,
                gboolean  registered)
{
  if (self->registered == registered)
    return;
  self->registered = registered;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTERED]);
}

static void
on_registered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  PbTray *self;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  /* Cancelled: the watcher went away or the tray is gone; don't touch it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = PB_TRAY (user_data);
  if (reply == NULL)
    {
      g_debug ("The status notifier watcher refused the item: %s", error->message);
      return;
    }

  g_debug ("Registered with the status notifier watcher");
  set_registered (self, TRUE);
}

static void
on_watcher_appeared (GDBusConnection *connection,
                     const char      *name,
                     const char      *name_owner,
                     gpointer         user_data)
{
  PbTray *self = user_data;

  g_debug ("Status notifier watcher appeared (%s)", name_owner);

  g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  self->register_cancellable = g_cancellable_new ();
  set_registered (self, FALSE);

  /* The unique name, not a path: every watcher takes it, and the item is at
   * the conventional /StatusNotifierItem. */
  g_dbus_connection_call (connection, name_owner, WATCHER_PATH, WATCHER_INTERFACE,
                          "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", g_dbus_connection_get_unique_name (connection)),
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->register_cancellable,
                          on_registered, self);
}

/* Normal on GNOME without the AppIndicator extension: the applet goes on
 * through notifications and its window. */
static void
on_watcher_vanished (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  PbTray *self = user_data;

  g_debug ("No status notifier watcher");
  g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  set_registered (self, FALSE);
}

/* ---- GObject ------------------------------------------------------------- */

static void
pb_tray_dispose (GObject *object)
{
  PbTray *self = PB_TRAY (object);

  g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);

  if (self->watch_id != 0)
    {
      g_bus_unwatch_name (self->watch_id);
      self->watch_id = 0;
    }

  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);

  if (self->exported)
    {
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->item));
      g_dbus_interface_skeleton_unexport (pb_dbusmenu_exporter_get_skeleton (self->menu));
      self->exported = FALSE;
    }
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  if (self->menu != NULL)
    g_signal_handlers_disconnect_by_data (self->menu, self);

  g_clear_object (&self->item);
  g_clear_object (&self->menu);
  g_clear_object (&self->monitor);
  g_clear_object (&self->actions);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->model, pb_tray_model_free);
  g_clear_pointer (&self->pixmap, g_variant_unref);

  G_OBJECT_CLASS (pb_tray_parent_class)->dispose (object);
}

static void
pb_tray_finalize (GObject *object)
{
  PbTray *self = PB_TRAY (object);

  g_free (self->icon_theme_path);
  g_free (self->pixmap_key);

  G_OBJECT_CLASS (pb_tray_parent_class)->finalize (object);
}

static void
pb_tray_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  PbTray *self = PB_TRAY (object);

  switch (prop_id)
    {
    case PROP_REGISTERED:
      g_value_set_boolean (value, self->registered);
      break;
    case PROP_SHOW_COUNT:
      g_value_set_boolean (value, self->show_count);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_tray_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  PbTray *self = PB_TRAY (object);

  switch (prop_id)
    {
    case PROP_SHOW_COUNT:
      pb_tray_set_show_count (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_tray_class_init (PbTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pb_tray_dispose;
  object_class->finalize = pb_tray_finalize;
  object_class->get_property = pb_tray_get_property;
  object_class->set_property = pb_tray_set_property;

  properties[PROP_REGISTERED] =
    g_param_spec_boolean ("registered", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SHOW_COUNT] =
    g_param_spec_boolean ("show-count", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pb_tray_init (PbTray *self)
{
  self->show_count = TRUE;
}

static void
setup_item (PbTray *self)
{
  PbStatusNotifierItem *item = pb_status_notifier_item_skeleton_new ();
  GVariant *no_pixmaps = g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);

  g_variant_ref_sink (no_pixmaps);
  pb_status_notifier_item_set_category (item, "ApplicationStatus");
  pb_status_notifier_item_set_id (item, "popbell");
  pb_status_notifier_item_set_title (item, "Popbell");
  pb_status_notifier_item_set_window_id (item, 0);
  pb_status_notifier_item_set_icon_theme_path (item, self->icon_theme_path ? self->icon_theme_path
                                                                           : "");
  pb_status_notifier_item_set_icon_pixmap (item, no_pixmaps);
  pb_status_notifier_item_set_overlay_icon_name (item, "");
  pb_status_notifier_item_set_overlay_icon_pixmap (item, no_pixmaps);
  pb_status_notifier_item_set_attention_icon_pixmap (item, no_pixmaps);
  pb_status_notifier_item_set_attention_movie_name (item, "");
  pb_status_notifier_item_set_item_is_menu (item, FALSE);
  pb_status_notifier_item_set_menu (item, MENU_PATH);
  g_variant_unref (no_pixmaps);

  g_signal_connect (item, "handle-activate", G_CALLBACK (on_activate), self);
  g_signal_connect (item, "handle-secondary-activate", G_CALLBACK (on_secondary_activate), self);
  g_signal_connect (item, "handle-context-menu", G_CALLBACK (on_context_menu), self);
  g_signal_connect (item, "handle-scroll", G_CALLBACK (on_scroll), self);

  self->item = item;
}

static void
setup_menu (PbTray *self)
{
  self->model = pb_tray_model_new (self->monitor);
  self->menu = pb_dbusmenu_exporter_new (self->icon_theme_path);
  g_signal_connect_swapped (self->menu, "refresh", G_CALLBACK (update_menu), self);
  g_signal_connect (self->menu, "activated", G_CALLBACK (on_menu_activated), self);
}

PbTray *
pb_tray_new (GDBusConnection *connection,
             PbMonitor       *monitor,
             GActionGroup    *actions,
             const char      *icon_theme_path)
{
  g_autoptr(GError) error = NULL;
  PbTray *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (g_dbus_connection_get_unique_name (connection) != NULL, NULL);
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);
  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (PB_TYPE_TRAY, NULL);
  self->connection = g_object_ref (connection);
  self->monitor = g_object_ref (monitor);
  self->actions = g_object_ref (actions);
  self->icon_theme_path = g_strdup (icon_theme_path);

  setup_item (self);
  setup_menu (self);
  update (self);

  g_signal_connect (monitor, "account-changed", G_CALLBACK (on_account_changed), self);
  g_signal_connect_swapped (monitor, "new-mail", G_CALLBACK (update), self);
  g_signal_connect_swapped (monitor, "acknowledged", G_CALLBACK (update), self);
  g_signal_connect_swapped (monitor, "attention", G_CALLBACK (update), self);

  /* The properties are right before any host can read them. */
  if (g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->item), connection,
                                        ITEM_PATH, &error) &&
      g_dbus_interface_skeleton_export (pb_dbusmenu_exporter_get_skeleton (self->menu),
                                        connection, MENU_PATH, &error))
    {
      self->exported = TRUE;
      self->watch_id = g_bus_watch_name_on_connection (connection, WATCHER_NAME,
                                                       G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                       on_watcher_appeared, on_watcher_vanished,
                                                       self, NULL);
    }
  else
    {
      /* Another tray on this connection: a mistake, but no reason to stop. */
      g_warning ("Could not export the tray icon: %s", error->message);
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->item));
    }

  return self;
}

gboolean
pb_tray_get_registered (PbTray *self)
{
  g_return_val_if_fail (PB_IS_TRAY (self), FALSE);
  return self->registered;
}

gboolean
pb_tray_get_show_count (PbTray *self)
{
  g_return_val_if_fail (PB_IS_TRAY (self), FALSE);
  return self->show_count;
}

void
pb_tray_set_show_count (PbTray   *self,
                        gboolean  show_count)
{
  g_return_if_fail (PB_IS_TRAY (self));

  show_count = !!show_count;
  if (self->show_count == show_count)
    return;
  self->show_count = show_count;
  /* Not during construction: the item is set up after the properties. */
  if (self->item != NULL)
    update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_COUNT]);
}

const char *
pb_tray_get_object_path (PbTray *self)
{
  g_return_val_if_fail (PB_IS_TRAY (self), NULL);
  return ITEM_PATH;
}
