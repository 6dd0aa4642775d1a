/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-dbusmenu"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-dbusmenu-dbus.h"
#include "pb-dbusmenu-exporter.h"

#define ROOT_ID 0

struct _PbDbusmenuExporter
{
  GObject     parent_instance;

  PbDbusmenu *menu;
  GPtrArray  *items;     /* PbMenuItem*, the root's children in order */
  GVariant   *layout;    /* the whole layout, to tell a change */
  guint       revision;
};

enum
{
  SIGNAL_REFRESH,
  SIGNAL_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PbDbusmenuExporter, pb_dbusmenu_exporter, G_TYPE_OBJECT)

PbMenuItem *
pb_menu_item_new (gint32      id,
                  const char *label,
                  gboolean    enabled,
                  const char *action,
                  const char *target)
{
  PbMenuItem *item = g_new0 (PbMenuItem, 1);

  item->id = id;
  item->label = g_strdup (label);
  item->enabled = enabled;
  item->action = g_strdup (action);
  item->target = g_strdup (target);
  return item;
}

PbMenuItem *
pb_menu_item_new_separator (gint32 id)
{
  PbMenuItem *item = pb_menu_item_new (id, NULL, TRUE, NULL, NULL);

  item->separator = TRUE;
  return item;
}

void
pb_menu_item_free (PbMenuItem *item)
{
  if (item == NULL)
    return;
  g_free (item->label);
  g_free (item->action);
  g_free (item->target);
  g_free (item);
}

/* dbusmenu labels take '_' as a mnemonic marker; these labels have none
 * (and text from mail must not make one). */
static char *
escape_mnemonics (const char *text)
{
  g_autoptr(GString) escaped = g_string_new (text);

  g_string_replace (escaped, "_", "__", 0);
  return g_string_free (g_steal_pointer (&escaped), FALSE);
}

static gboolean
wanted (const char *const *names,
        const char        *name)
{
  return names == NULL || names[0] == NULL || g_strv_contains (names, name);
}

static GVariant *
root_properties (const char *const *names)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (wanted (names, "children-display"))
    g_variant_builder_add (&builder, "{sv}", "children-display", g_variant_new_string ("submenu"));
  return g_variant_builder_end (&builder);
}

static GVariant *
item_properties (const PbMenuItem    *item,
                 const char *const *names)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (item->separator)
    {
      if (wanted (names, "type"))
        g_variant_builder_add (&builder, "{sv}", "type", g_variant_new_string ("separator"));
    }
  else
    {
      if (wanted (names, "label"))
        {
          g_autofree char *label = escape_mnemonics (item->label != NULL ? item->label : "");

          g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (label));
        }
      if (wanted (names, "enabled"))
        g_variant_builder_add (&builder, "{sv}", "enabled", g_variant_new_boolean (item->enabled));
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
item_node (const PbMenuItem    *item,
           const char *const *names)
{
  return g_variant_new ("(i@a{sv}@av)", item->id, item_properties (item, names),
                        g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0));
}

static GVariant *
root_node (PbDbusmenuExporter *self,
           int                depth,
           const char *const *names)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  if (depth != 0)
    for (guint i = 0; i < self->items->len; i++)
      g_variant_builder_add (&children, "v", item_node (g_ptr_array_index (self->items, i), names));

  return g_variant_new ("(i@a{sv}av)", ROOT_ID, root_properties (names), &children);
}

static PbMenuItem *
lookup_item (PbDbusmenuExporter *self,
             gint32  id)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      PbMenuItem *item = g_ptr_array_index (self->items, i);

      if (item->id == id)
        return item;
    }
  return NULL;
}

gboolean
pb_dbusmenu_exporter_set_items (PbDbusmenuExporter *self,
                                GPtrArray          *items)
{
  g_autoptr(GVariant) layout = NULL;

  g_return_val_if_fail (PB_IS_DBUSMENU_EXPORTER (self), FALSE);
  g_return_val_if_fail (items != NULL, FALSE);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  self->items = items;
  layout = g_variant_ref_sink (root_node (self, -1, NULL));

  if (self->layout != NULL && g_variant_equal (layout, self->layout))
    return FALSE;

  g_clear_pointer (&self->layout, g_variant_unref);
  self->layout = g_steal_pointer (&layout);
  self->revision++;
  pb_dbusmenu_emit_layout_updated (self->menu, self->revision, ROOT_ID);
  return TRUE;
}

/* The owner rebuilds the items (pb_dbusmenu_exporter_set_items); TRUE when
 * they changed. */
static gboolean
refresh (PbDbusmenuExporter *self)
{
  guint before = self->revision;

  g_signal_emit (self, signals[SIGNAL_REFRESH], 0);
  return self->revision != before;
}

static void
return_unknown_item (GDBusMethodInvocation *invocation,
                     gint32                 id)
{
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                         "No menu item %d", id);
}

/* Only "clicked" does something; "hovered", "opened" and "closed" need nothing. */
static gboolean
handle_menu_event (PbDbusmenuExporter *self,
                   gint32      id,
                   const char *event_id)
{
  PbMenuItem *item;

  if (id == ROOT_ID)
    return TRUE;

  item = lookup_item (self, id);
  if (item == NULL)
    return FALSE;

  if (g_str_equal (event_id, "clicked") && item->enabled)
    g_signal_emit (self, signals[SIGNAL_ACTIVATED], 0, item);
  return TRUE;
}

static gboolean
on_get_layout (PbDbusmenu            *menu,
               GDBusMethodInvocation *invocation,
               gint                   parent_id,
               gint                   depth,
               const char *const     *names,
               PbDbusmenuExporter    *self)
{
  GVariant *node;

  if (parent_id == ROOT_ID)
    {
      node = root_node (self, depth, names);
    }
  else
    {
      PbMenuItem *item = lookup_item (self, parent_id);

      if (item == NULL)
        {
          return_unknown_item (invocation, parent_id);
          return TRUE;
        }
      node = item_node (item, names);
    }

  pb_dbusmenu_complete_get_layout (menu, invocation, self->revision, node);
  return TRUE;
}

static gboolean
on_get_group_properties (PbDbusmenu            *menu,
                         GDBusMethodInvocation *invocation,
                         GVariant              *ids,
                         const char *const     *names,
                         PbDbusmenuExporter    *self)
{
  GVariantBuilder builder;
  gsize n_ids;
  const gint32 *id = g_variant_get_fixed_array (ids, &n_ids, sizeof (gint32));

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ia{sv})"));

  /* No IDs: every item. */
  if (n_ids == 0)
    {
      g_variant_builder_add (&builder, "(i@a{sv})", ROOT_ID, root_properties (names));
      for (guint i = 0; i < self->items->len; i++)
        {
          PbMenuItem *item = g_ptr_array_index (self->items, i);

          g_variant_builder_add (&builder, "(i@a{sv})", item->id, item_properties (item, names));
        }
    }

  for (gsize i = 0; i < n_ids; i++)
    {
      PbMenuItem *item = lookup_item (self, id[i]);

      if (id[i] == ROOT_ID)
        g_variant_builder_add (&builder, "(i@a{sv})", ROOT_ID, root_properties (names));
      else if (item != NULL)
        g_variant_builder_add (&builder, "(i@a{sv})", item->id, item_properties (item, names));
    }

  pb_dbusmenu_complete_get_group_properties (menu, invocation, g_variant_builder_end (&builder));
  return TRUE;
}

static gboolean
on_get_property (PbDbusmenu            *menu,
                 GDBusMethodInvocation *invocation,
                 gint                   id,
                 const char            *name,
                 PbDbusmenuExporter    *self)
{
  const char *names[] = { name, NULL };
  g_autoptr(GVariant) found = NULL;
  g_autoptr(GVariant) value = NULL;
  PbMenuItem *item = lookup_item (self, id);

  if (id != ROOT_ID && item == NULL)
    {
      return_unknown_item (invocation, id);
      return TRUE;
    }

  found = g_variant_ref_sink (id == ROOT_ID ? root_properties (names)
                                            : item_properties (item, names));
  value = g_variant_lookup_value (found, name, NULL);
  if (value == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "Menu item %d has no property %s", id, name);
      return TRUE;
    }

  pb_dbusmenu_complete_get_property (menu, invocation, g_variant_new_variant (value));
  return TRUE;
}

static gboolean
on_event (PbDbusmenu            *menu,
          GDBusMethodInvocation *invocation,
          gint                   id,
          const char            *event_id,
          GVariant              *data,
          guint                  timestamp,
          PbDbusmenuExporter    *self)
{
  /* Completed first: an action may quit the application. */
  if (id != ROOT_ID && lookup_item (self, id) == NULL)
    {
      return_unknown_item (invocation, id);
      return TRUE;
    }
  pb_dbusmenu_complete_event (menu, invocation);
  handle_menu_event (self, id, event_id);
  return TRUE;
}

/* xfce4-panel 4.18 sends clicks this way rather than through Event. */
static gboolean
on_event_group (PbDbusmenu            *menu,
                GDBusMethodInvocation *invocation,
                GVariant              *events,
                PbDbusmenuExporter    *self)
{
  GVariantBuilder errors;
  g_autoptr(GPtrArray) clicks = g_ptr_array_new_with_free_func (g_free);
  GVariantIter iter;
  gint32 id;
  const char *event_id;
  gsize n_events = g_variant_n_children (events);
  guint n_errors = 0;

  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
  g_variant_iter_init (&iter, events);
  while (g_variant_iter_next (&iter, "(i&svu)", &id, &event_id, NULL, NULL))
    {
      if (id != ROOT_ID && lookup_item (self, id) == NULL)
        {
          g_variant_builder_add (&errors, "i", id);
          n_errors++;
        }
      else
        {
          g_ptr_array_add (clicks, g_strdup_printf ("%d %s", id, event_id));
        }
    }

  if (n_events > 0 && n_errors == n_events)
    {
      g_variant_builder_clear (&errors);
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "None of the menu items exists");
      return TRUE;
    }

  pb_dbusmenu_complete_event_group (menu, invocation, g_variant_builder_end (&errors));

  for (guint i = 0; i < clicks->len; i++)
    {
      const char *click = g_ptr_array_index (clicks, i);
      char *end = NULL;
      gint64 click_id = g_ascii_strtoll (click, &end, 10);

      handle_menu_event (self, (gint32) click_id, end + 1);
    }
  return TRUE;
}

static gboolean
on_about_to_show (PbDbusmenu            *menu,
                  GDBusMethodInvocation *invocation,
                  gint                   id,
                  PbDbusmenuExporter    *self)
{
  if (id != ROOT_ID && lookup_item (self, id) == NULL)
    {
      return_unknown_item (invocation, id);
      return TRUE;
    }
  pb_dbusmenu_complete_about_to_show (menu, invocation, refresh (self));
  return TRUE;
}

static gboolean
on_about_to_show_group (PbDbusmenu            *menu,
                        GDBusMethodInvocation *invocation,
                        GVariant              *ids,
                        PbDbusmenuExporter    *self)
{
  GVariantBuilder updates;
  GVariantBuilder errors;
  gsize n_ids;
  const gint32 *id = g_variant_get_fixed_array (ids, &n_ids, sizeof (gint32));
  gboolean changed = refresh (self);

  g_variant_builder_init (&updates, G_VARIANT_TYPE ("ai"));
  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
  for (gsize i = 0; i < n_ids; i++)
    {
      if (id[i] != ROOT_ID && lookup_item (self, id[i]) == NULL)
        g_variant_builder_add (&errors, "i", id[i]);
      else if (changed)
        g_variant_builder_add (&updates, "i", id[i]);
    }

  pb_dbusmenu_complete_about_to_show_group (menu, invocation, g_variant_builder_end (&updates),
                                            g_variant_builder_end (&errors));
  return TRUE;
}

static void
pb_dbusmenu_exporter_dispose (GObject *object)
{
  PbDbusmenuExporter *self = PB_DBUSMENU_EXPORTER (object);

  if (self->menu != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->menu, self);
      if (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->menu)) != NULL)
        g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->menu));
    }
  g_clear_object (&self->menu);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->layout, g_variant_unref);

  G_OBJECT_CLASS (pb_dbusmenu_exporter_parent_class)->dispose (object);
}

static void
pb_dbusmenu_exporter_class_init (PbDbusmenuExporterClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pb_dbusmenu_exporter_dispose;

  signals[SIGNAL_REFRESH] =
    g_signal_new ("refresh", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_ACTIVATED] =
    g_signal_new ("activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
pb_dbusmenu_exporter_init (PbDbusmenuExporter *self)
{
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_menu_item_free);
}

PbDbusmenuExporter *
pb_dbusmenu_exporter_new (const char *icon_theme_path)
{
  PbDbusmenuExporter *self = g_object_new (PB_TYPE_DBUSMENU_EXPORTER, NULL);
  const char *theme_path[] = { icon_theme_path, NULL };
  PbDbusmenu *menu = pb_dbusmenu_skeleton_new ();

  pb_dbusmenu_set_version (menu, 3);
  /* Translators: "rtl" if the language is written right to left, else "ltr". */
  pb_dbusmenu_set_text_direction (menu, g_str_equal (C_("text direction", "ltr"), "rtl") ? "rtl"
                                                                                         : "ltr");
  pb_dbusmenu_set_status (menu, "normal");
  pb_dbusmenu_set_icon_theme_path (menu, theme_path);

  g_signal_connect (menu, "handle-get-layout", G_CALLBACK (on_get_layout), self);
  g_signal_connect (menu, "handle-get-group-properties", G_CALLBACK (on_get_group_properties),
                    self);
  g_signal_connect (menu, "handle-get-property", G_CALLBACK (on_get_property), self);
  g_signal_connect (menu, "handle-event", G_CALLBACK (on_event), self);
  g_signal_connect (menu, "handle-event-group", G_CALLBACK (on_event_group), self);
  g_signal_connect (menu, "handle-about-to-show", G_CALLBACK (on_about_to_show), self);
  g_signal_connect (menu, "handle-about-to-show-group", G_CALLBACK (on_about_to_show_group),
                    self);

  self->menu = menu;
  return self;
}

GDBusInterfaceSkeleton *
pb_dbusmenu_exporter_get_skeleton (PbDbusmenuExporter *self)
{
  g_return_val_if_fail (PB_IS_DBUSMENU_EXPORTER (self), NULL);
  return G_DBUS_INTERFACE_SKELETON (self->menu);
}
