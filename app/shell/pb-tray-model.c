/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-tray"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "app/core/pb-actions.h"
#include "pb-describe.h"
#include "pb-tray-model.h"

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

struct _PbTrayModel
{
  PbMonitor  *monitor;
  GHashTable *account_ids;      /* account ID → menu item ID */
  gint32      next_account_id;
};

PbTrayModel *
pb_tray_model_new (PbMonitor *monitor)
{
  PbTrayModel *self = g_new0 (PbTrayModel, 1);

  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);

  self->monitor = g_object_ref (monitor);
  self->account_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->next_account_id = ID_FIRST_ACCOUNT;
  return self;
}

void
pb_tray_model_free (PbTrayModel *self)
{
  if (self == NULL)
    return;
  g_object_unref (self->monitor);
  g_hash_table_unref (self->account_ids);
  g_free (self);
}

/* The accounts as pb-status reads them (names borrowed from the monitor). */
static GArray *
collect_accounts (PbTrayModel *self)
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

/* Mail headers are untrusted: no control characters, and a sane length. */
static char *
message_label (const PbMessage *message)
{
  return pb_describe_message_line (message, LABEL_MAX_CHARS);
}

typedef struct
{
  const PbMessage *message;
  guint            order;   /* later in the lists: newer */
  const char      *account_id;
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

static PbMenuItem *
add_item (GPtrArray  *items,
          gint32      id,
          const char *label,
          gboolean    enabled,
          const char *action,
          const char *target)
{
  PbMenuItem *item = pb_menu_item_new (id, label, enabled, action, target);

  g_ptr_array_add (items, item);
  return item;
}

static void
add_separator (GPtrArray *items,
               gint32     id)
{
  g_ptr_array_add (items, pb_menu_item_new_separator (id));
}

static gint32
account_item_id (PbTrayModel *self,
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
any_checked (PbTrayModel *self)
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

GPtrArray *
pb_tray_model_build_menu (PbTrayModel *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_menu_item_free);
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
          Entry entry = { g_ptr_array_index (list, j), order++, id };

          g_array_append_val (messages, entry);
        }
    }
  g_array_sort (messages, compare_newest_first);

  if (messages->len == 0)
    add_item (items, ID_NO_MAIL, any_checked (self) ? _("No new mail") : _("Not checked yet"),
              FALSE, NULL, NULL);

  for (guint i = 0; i < messages->len && i < MAX_MESSAGES; i++)
    {
      const Entry *entry = &g_array_index (messages, Entry, i);
      /* Its account's webmail, when it has one. */
      PbMenuItem *item = add_item (items, ID_FIRST_MESSAGE + (gint32) i, NULL, TRUE,
                                   PB_ACTION_OPEN_MAIL, entry->account_id);

      item->label = message_label (entry->message);
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
      else if (pb_describe_fix_is_sign_in (account, state))
        {
          /* Translators: %s is the account's name. */
          label = g_strdup_printf (_("Sign in for %s…"), name);
          action = PB_ACTION_SIGN_IN;
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

PbStatus
pb_tray_model_get_look (PbTrayModel *self,
                        PbStatus     previous)
{
  g_autoptr(GArray) accounts = collect_accounts (self);

  return pb_status_summarize ((PbStatusAccount *) accounts->data, accounts->len, previous);
}

const char *
pb_tray_model_icon_name (PbStatus look)
{
  return look_icon (look);
}

const char *
pb_tray_model_status (PbStatus look)
{
  return look_status (look);
}

GVariant *
pb_tray_model_build_tool_tip (PbTrayModel *self,
                              PbStatus     look)
{
  g_autoptr(GArray) accounts = collect_accounts (self);

  return build_tool_tip (look_icon (look), accounts);
}
