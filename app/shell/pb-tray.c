/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-tray"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-actions.h"
#include "pb-dbusmenu-dbus.h"
#include "pb-describe.h"
#include "pb-sni-dbus.h"
#include "pb-status.h"
#include "pb-text.h"
#include "pb-tray.h"
#include "pb-tray-badge.h"

#define WATCHER_NAME      "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH      "/StatusNotifierWatcher"
#define WATCHER_INTERFACE "org.kde.StatusNotifierWatcher"
#define ITEM_PATH         "/StatusNotifierItem"
#define MENU_PATH         "/StatusNotifierItem/Menu"

#define ICON_NO_MAIL      "popbell-no-mail-symbolic"
#define ICON_NEW_MAIL     "popbell-new-mail-symbolic"
#define ICON_ERROR        "popbell-error-symbolic"
#define ICON_OFFLINE      "popbell-offline-symbolic"

#define MAX_MESSAGES      10
#define LABEL_MAX_CHARS   60

/* Menu item IDs stay the same for the same kind of entry, so that a host
 * holding an old layout still clicks the entry it showed. */
enum
{
  ID_ROOT = 0,
  ID_CHECK_NOW,
  ID_SEPARATOR_MESSAGES,
  ID_NO_MAIL,
  ID_MORE_MESSAGES,
  ID_SEPARATOR_READ,
  ID_MARK_READ,
  ID_OPEN_MAIL_CLIENT,
  ID_SEPARATOR_ACCOUNTS,
  ID_SEPARATOR_END,
  ID_PREFERENCES,
  ID_QUIT,
  ID_SHOW_WINDOW,
  ID_FIRST_MESSAGE = 100,           /* one per place in the list, up to MAX_MESSAGES */
  ID_FIRST_ACCOUNT = 1000,          /* one per account, handed out once */
};

typedef struct
{
  gint32    id;
  gboolean  separator;
  char     *label;          /* with mnemonic underscores escaped */
  gboolean  enabled;
  char     *action;         /* NULL: nothing to run */
  char     *target;         /* the action's string parameter, or NULL */
} MenuItem;

struct _PbTray
{
  GObject               parent_instance;

  GDBusConnection      *connection;
  PbMonitor            *monitor;
  GActionGroup         *actions;
  char                 *icon_theme_path;

  PbStatusNotifierItem *item;
  PbDbusmenu           *menu;
  gboolean              exported;

  PbStatus              look;
  GPtrArray            *items;          /* MenuItem*, the root's children in order */
  GVariant             *layout;         /* the whole layout, to tell a change */
  guint                 revision;
  GHashTable           *account_ids;    /* account ID → menu item ID */
  gint32                next_account_id;

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

static void
menu_item_free (MenuItem *item)
{
  g_free (item->label);
  g_free (item->action);
  g_free (item->target);
  g_free (item);
}

/* ---- What to show -------------------------------------------------------- */

/* The accounts as pb-status reads them (names borrowed from the monitor). */
static GArray *
collect_accounts (PbTray *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);
  GArray *collected = g_array_sized_new (FALSE, FALSE, sizeof (PbStatusAccount), accounts->len);

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      const char *id = pb_account_get_id (account);
      PbStatusAccount entry = {
        pb_account_get_display_name (account),
        pb_monitor_get_state (self->monitor, id),
        pb_monitor_count_unacknowledged (self->monitor, id),
        pb_monitor_get_last_success_time (self->monitor, id) != 0,
      };

      g_array_append_val (collected, entry);
    }
  return collected;
}

static const char *
look_icon (PbStatus look)
{
  switch (look)
    {
    case PB_STATUS_NEW_MAIL:
      return ICON_NEW_MAIL;
    case PB_STATUS_PROBLEM:
      return ICON_ERROR;
    case PB_STATUS_OFFLINE:
      return ICON_OFFLINE;
    case PB_STATUS_NO_MAIL:
    default:
      return ICON_NO_MAIL;
    }
}

/* Passive would hide the item on some hosts, and then there is no way to
 * reach the menu: only the pressing looks ask for attention. */
static const char *
look_status (PbStatus look)
{
  return look == PB_STATUS_NEW_MAIL || look == PB_STATUS_PROBLEM ? "NeedsAttention" : "Active";
}

static GVariant *
build_tool_tip (const char *icon,
                GArray     *accounts)
{
  g_autofree char *body = pb_status_describe ((PbStatusAccount *) accounts->data, accounts->len);

  return g_variant_new ("(s@a(iiay)ss)", icon, g_variant_new_array (G_VARIANT_TYPE ("(iiay)"),
                                                                    NULL, 0),
                        "Popbell", body);
}

/* dbusmenu labels take '_' as a mnemonic marker; text from mail must not. */
static char *
escape_mnemonics (const char *text)
{
  g_autoptr(GString) escaped = g_string_new (text);

  g_string_replace (escaped, "_", "__", 0);
  return g_string_free (g_steal_pointer (&escaped), FALSE);
}

/* Mail headers are untrusted: no control characters, and a sane length. */
static char *
message_label (const PbMessage *message)
{
  g_autofree char *line = pb_describe_message_line (message, LABEL_MAX_CHARS);

  return escape_mnemonics (line);
}

typedef struct
{
  const PbMessage *message;
  guint            order;   /* later in the lists: newer */
} Entry;

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const Entry *x = a;
  const Entry *y = b;
  GDateTime *dx = x->message->date;
  GDateTime *dy = y->message->date;

  if (dx != NULL && dy != NULL && g_date_time_compare (dx, dy) != 0)
    return -g_date_time_compare (dx, dy);
  if ((dx == NULL) != (dy == NULL))
    return dx == NULL ? 1 : -1;
  return x->order < y->order ? 1 : x->order > y->order ? -1 : 0;
}

static MenuItem *
add_item (GPtrArray  *items,
          gint32      id,
          const char *label,
          gboolean    enabled,
          const char *action,
          const char *target)
{
  MenuItem *item = g_new0 (MenuItem, 1);

  item->id = id;
  item->label = label != NULL ? escape_mnemonics (label) : NULL;
  item->enabled = enabled;
  item->action = g_strdup (action);
  item->target = g_strdup (target);
  g_ptr_array_add (items, item);
  return item;
}

static void
add_separator (GPtrArray *items,
               gint32     id)
{
  MenuItem *item = add_item (items, id, NULL, TRUE, NULL, NULL);

  item->separator = TRUE;
}

static gint32
account_item_id (PbTray     *self,
                 const char *account_id)
{
  gpointer id;

  if (!g_hash_table_lookup_extended (self->account_ids, account_id, NULL, &id))
    {
      id = GINT_TO_POINTER (self->next_account_id++);
      g_hash_table_insert (self->account_ids, g_strdup (account_id), id);
    }
  return GPOINTER_TO_INT (id);
}

/* Until the first check of an enabled account, "no new mail" would be a guess. */
static gboolean
any_checked (PbTray *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);

      if (pb_account_get_enabled (account) &&
          pb_monitor_get_last_success_time (self->monitor, pb_account_get_id (account)) != 0)
        return TRUE;
    }
  return FALSE;
}

static GPtrArray *
build_items (PbTray *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) menu_item_free);
  g_autoptr(GArray) messages = g_array_new (FALSE, FALSE, sizeof (Entry));
  guint order = 0;
  gboolean first_account = TRUE;

  /* What a left click does too, for hosts that open the menu on any click. */
  add_item (items, ID_SHOW_WINDOW, _("Show new mail"), TRUE, PB_ACTION_SHOW_WINDOW, NULL);
  add_item (items, ID_CHECK_NOW, _("Check now"), TRUE, PB_ACTION_CHECK_NOW, "");
  add_separator (items, ID_SEPARATOR_MESSAGES);

  for (guint i = 0; i < accounts->len; i++)
    {
      const char *id = pb_account_get_id (g_ptr_array_index (accounts, i));
      GPtrArray *list = pb_monitor_get_unacknowledged (self->monitor, id);

      for (guint j = 0; list != NULL && j < list->len; j++)
        {
          Entry entry = { g_ptr_array_index (list, j), order++ };

          g_array_append_val (messages, entry);
        }
    }
  g_array_sort (messages, compare_newest_first);

  if (messages->len == 0)
    add_item (items, ID_NO_MAIL, any_checked (self) ? _("No new mail") : _("Not checked yet"),
              FALSE, NULL, NULL);

  for (guint i = 0; i < messages->len && i < MAX_MESSAGES; i++)
    {
      MenuItem *item = add_item (items, ID_FIRST_MESSAGE + (gint32) i, NULL, TRUE,
                                 PB_ACTION_OPEN_MAIL_CLIENT, NULL);

      item->label = message_label (g_array_index (messages, Entry, i).message);
    }

  if (messages->len > MAX_MESSAGES)
    {
      guint more = messages->len - MAX_MESSAGES;
      g_autofree char *label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u more…",
                                                             "%u more…", more), more);

      add_item (items, ID_MORE_MESSAGES, label, TRUE, PB_ACTION_OPEN_MAIL_CLIENT, NULL);
    }

  add_separator (items, ID_SEPARATOR_READ);
  add_item (items, ID_MARK_READ, _("Mark all as read"), messages->len > 0,
            PB_ACTION_MARK_READ, "");
  add_item (items, ID_OPEN_MAIL_CLIENT, _("Open mail client"), TRUE,
            PB_ACTION_OPEN_MAIL_CLIENT, NULL);

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      const char *id = pb_account_get_id (account);
      const char *name = pb_account_get_display_name (account);
      PbAccountState state = pb_monitor_get_state (self->monitor, id);
      g_autofree char *label = NULL;
      const char *action;

      if (state == PB_ACCOUNT_STATE_NEEDS_TRUST)
        {
          label = g_strdup_printf (_("Review certificate for %s…"), name);
          action = PB_ACTION_REVIEW_CERTIFICATE;
        }
      else if (pb_account_state_needs_user (state))
        {
          label = g_strdup_printf (_("Enter password for %s…"), name);
          action = PB_ACTION_ENTER_PASSWORD;
        }
      else
        continue;

      if (first_account)
        add_separator (items, ID_SEPARATOR_ACCOUNTS);
      first_account = FALSE;
      add_item (items, account_item_id (self, id), label, TRUE, action, id);
    }

  add_separator (items, ID_SEPARATOR_END);
  add_item (items, ID_PREFERENCES, _("Accounts and preferences…"), TRUE,
            PB_ACTION_PREFERENCES, NULL);
  add_item (items, ID_QUIT, _("Quit"), TRUE, PB_ACTION_QUIT, NULL);

  return items;
}

/* ---- dbusmenu ------------------------------------------------------------ */

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
item_properties (const MenuItem    *item,
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
        g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (item->label));
      if (wanted (names, "enabled"))
        g_variant_builder_add (&builder, "{sv}", "enabled", g_variant_new_boolean (item->enabled));
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
item_node (const MenuItem    *item,
           const char *const *names)
{
  return g_variant_new ("(i@a{sv}@av)", item->id, item_properties (item, names),
                        g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0));
}

static GVariant *
root_node (PbTray            *self,
           int                depth,
           const char *const *names)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  if (depth != 0)
    for (guint i = 0; i < self->items->len; i++)
      g_variant_builder_add (&children, "v", item_node (g_ptr_array_index (self->items, i), names));

  return g_variant_new ("(i@a{sv}av)", ID_ROOT, root_properties (names), &children);
}

static MenuItem *
lookup_item (PbTray *self,
             gint32  id)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      MenuItem *item = g_ptr_array_index (self->items, i);

      if (item->id == id)
        return item;
    }
  return NULL;
}

/* Rebuilds the menu from the monitor; TRUE (and LayoutUpdated) when it changed. */
static gboolean
update_menu (PbTray *self)
{
  g_autoptr(GVariant) layout = NULL;

  g_clear_pointer (&self->items, g_ptr_array_unref);
  self->items = build_items (self);
  layout = g_variant_ref_sink (root_node (self, -1, NULL));

  if (self->layout != NULL && g_variant_equal (layout, self->layout))
    return FALSE;

  g_clear_pointer (&self->layout, g_variant_unref);
  self->layout = g_steal_pointer (&layout);
  self->revision++;
  pb_dbusmenu_emit_layout_updated (self->menu, self->revision, ID_ROOT);
  return TRUE;
}

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

static void
return_unknown_item (GDBusMethodInvocation *invocation,
                     gint32                 id)
{
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                         "No menu item %d", id);
}

/* Only "clicked" does something; "hovered", "opened" and "closed" need nothing. */
static gboolean
handle_menu_event (PbTray     *self,
                   gint32      id,
                   const char *event_id)
{
  MenuItem *item;

  if (id == ID_ROOT)
    return TRUE;

  item = lookup_item (self, id);
  if (item == NULL)
    return FALSE;

  if (g_str_equal (event_id, "clicked") && item->enabled)
    run_action (self, item->action, item->target);
  return TRUE;
}

static gboolean
on_get_layout (PbDbusmenu            *menu,
               GDBusMethodInvocation *invocation,
               gint                   parent_id,
               gint                   depth,
               const char *const     *names,
               PbTray                *self)
{
  GVariant *node;

  if (parent_id == ID_ROOT)
    {
      node = root_node (self, depth, names);
    }
  else
    {
      MenuItem *item = lookup_item (self, parent_id);

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
                         PbTray                *self)
{
  GVariantBuilder builder;
  gsize n_ids;
  const gint32 *id = g_variant_get_fixed_array (ids, &n_ids, sizeof (gint32));

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ia{sv})"));

  /* No IDs: every item. */
  if (n_ids == 0)
    {
      g_variant_builder_add (&builder, "(i@a{sv})", ID_ROOT, root_properties (names));
      for (guint i = 0; i < self->items->len; i++)
        {
          MenuItem *item = g_ptr_array_index (self->items, i);

          g_variant_builder_add (&builder, "(i@a{sv})", item->id, item_properties (item, names));
        }
    }

  for (gsize i = 0; i < n_ids; i++)
    {
      MenuItem *item = lookup_item (self, id[i]);

      if (id[i] == ID_ROOT)
        g_variant_builder_add (&builder, "(i@a{sv})", ID_ROOT, root_properties (names));
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
                 PbTray                *self)
{
  const char *names[] = { name, NULL };
  g_autoptr(GVariant) found = NULL;
  g_autoptr(GVariant) value = NULL;
  MenuItem *item = lookup_item (self, id);

  if (id != ID_ROOT && item == NULL)
    {
      return_unknown_item (invocation, id);
      return TRUE;
    }

  found = g_variant_ref_sink (id == ID_ROOT ? root_properties (names)
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
          PbTray                *self)
{
  /* Completed first: an action may quit the application. */
  if (id != ID_ROOT && lookup_item (self, id) == NULL)
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
                PbTray                *self)
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
      if (id != ID_ROOT && lookup_item (self, id) == NULL)
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
                  PbTray                *self)
{
  if (id != ID_ROOT && lookup_item (self, id) == NULL)
    {
      return_unknown_item (invocation, id);
      return TRUE;
    }
  pb_dbusmenu_complete_about_to_show (menu, invocation, update_menu (self));
  return TRUE;
}

static gboolean
on_about_to_show_group (PbDbusmenu            *menu,
                        GDBusMethodInvocation *invocation,
                        GVariant              *ids,
                        PbTray                *self)
{
  GVariantBuilder updates;
  GVariantBuilder errors;
  gsize n_ids;
  const gint32 *id = g_variant_get_fixed_array (ids, &n_ids, sizeof (gint32));
  gboolean changed = update_menu (self);

  g_variant_builder_init (&updates, G_VARIANT_TYPE ("ai"));
  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
  for (gsize i = 0; i < n_ids; i++)
    {
      if (id[i] != ID_ROOT && lookup_item (self, id[i]) == NULL)
        g_variant_builder_add (&errors, "i", id[i]);
      else if (changed)
        g_variant_builder_add (&updates, "i", id[i]);
    }

  pb_dbusmenu_complete_about_to_show_group (menu, invocation, g_variant_builder_end (&updates),
                                            g_variant_builder_end (&errors));
  return TRUE;
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
  g_autoptr(GArray) accounts = collect_accounts (self);
  PbStatus look = pb_status_summarize ((PbStatusAccount *) accounts->data, accounts->len,
                                       self->look);
  const char *icon = look_icon (look);
  const char *status = look_status (look);
  guint count = self->show_count ? pb_monitor_count_unacknowledged (self->monitor, NULL) : 0;
  GVariant *pixmap = icon_pixmap (self, icon, count);
  /* Every host we know (Plasma, xfce4-panel, waybar, the GNOME extension)
   * draws IconName when there is one and the pixels only without: no name
   * while the pixels carry the count. */
  const char *icon_name = count > 0 && g_variant_n_children (pixmap) > 0 ? "" : icon;
  g_autoptr(GVariant) tool_tip = g_variant_ref_sink (build_tool_tip (icon, accounts));
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
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->menu));
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
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->layout, g_variant_unref);
  g_clear_pointer (&self->pixmap, g_variant_unref);

  G_OBJECT_CLASS (pb_tray_parent_class)->dispose (object);
}

static void
pb_tray_finalize (GObject *object)
{
  PbTray *self = PB_TRAY (object);

  g_free (self->icon_theme_path);
  g_free (self->pixmap_key);
  g_hash_table_unref (self->account_ids);

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
  self->account_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->next_account_id = ID_FIRST_ACCOUNT;
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
  PbDbusmenu *menu = pb_dbusmenu_skeleton_new ();
  const char *theme_path[] = { self->icon_theme_path, NULL };

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
      g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->menu), connection,
                                        MENU_PATH, &error))
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
