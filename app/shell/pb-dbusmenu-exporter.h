/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A flat com.canonical.dbusmenu menu (what StatusNotifierItem hosts show),
 * without knowing what its items are for. The owner hands it the items;
 * the exporter answers the host (GetLayout, GetGroupProperties,
 * GetProperty, Event, EventGroup, AboutToShow…) and emits LayoutUpdated
 * when they changed. */

typedef struct
{
  gint32    id;        /* the same for the same kind of entry across layouts */
  gboolean  separator;
  char     *label;     /* plain text: '_' is shown as it is, never a mnemonic */
  gboolean  enabled;
  char     *action;    /* what the owner runs when it is clicked, or NULL */
  char     *target;    /* the action's string parameter, or NULL */
} PbMenuItem;

PbMenuItem *pb_menu_item_new           (gint32      id,
                                        const char *label,
                                        gboolean    enabled,
                                        const char *action,
                                        const char *target);
PbMenuItem *pb_menu_item_new_separator (gint32      id);
void        pb_menu_item_free          (PbMenuItem *item);

#define PB_TYPE_DBUSMENU_EXPORTER (pb_dbusmenu_exporter_get_type ())
G_DECLARE_FINAL_TYPE (PbDbusmenuExporter, pb_dbusmenu_exporter, PB, DBUSMENU_EXPORTER, GObject)

/* Signals:
 *   ::refresh ()                    the host is about to show the menu: the
 *                                   owner calls pb_dbusmenu_exporter_set_items
 *   ::activated (PbMenuItem *item)  the user clicked an enabled item */
PbDbusmenuExporter     *pb_dbusmenu_exporter_new          (const char         *icon_theme_path);
/* Export it with g_dbus_interface_skeleton_export; disposing unexports it. */
GDBusInterfaceSkeleton *pb_dbusmenu_exporter_get_skeleton (PbDbusmenuExporter *self);
/* Takes @items (PbMenuItem*, freed with pb_menu_item_free): the root's
 * children in order. TRUE, and LayoutUpdated, when the layout changed. */
gboolean                pb_dbusmenu_exporter_set_items    (PbDbusmenuExporter *self,
                                                           GPtrArray          *items);

G_END_DECLS
