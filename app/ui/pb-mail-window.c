/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-window"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-actions.h"
#include "app/core/pb-text.h"
#include "app/shell/pb-describe.h"
#include "pb-accessible.h"
#include "pb-mail-window.h"
#include "pb-resources.h"

/* Rows listed per account at most; the rest is counted in one more row. */
#define MAX_ROWS 100
/* Labels ellipsize; this bounds what a tooltip shows of a hostile header. */
#define MAX_FIELD_CHARS 500

typedef struct
{
  char      *id;
  GtkWidget *box;              /* the section, a child of accounts_box */
  GtkWidget *name_label;
  GtkWidget *mark_button;
  GtkWidget *status_box;
  GtkWidget *status_icon;      /* shown when the user must act or checks fail */
  GtkWidget *status_label;
  GtkWidget *detail_label;     /* the error of a failing check */
  GtkWidget *protection_box;
  GtkWidget *protection_label;
  GtkWidget *warning_box;
  GtkWidget *warning_label;
  GtkWidget *fix_button;
  GtkWidget *frame;
  GtkWidget *list;
  GPtrArray *date_labels;      /* GtkLabel* of the rows, owned by the list */
  guint      shown;            /* messages listed */
  guint      signature;        /* of the listed messages, to skip identical rebuilds */
} Section;

struct _PbMailWindow
{
  GtkApplicationWindow parent_instance;

  PbMonitor  *monitor;
  GPtrArray  *sections;        /* Section*, in the order of the accounts */
  /* What the window lists while it is open: account ID → PbMessage* copies,
   * oldest first. Opening the window acknowledges the mail (the counts go
   * back to zero), so the monitor's lists are empty then; these keep what
   * the user came to read until the window closes or it is marked as read. */
  GHashTable *displayed;
  gboolean    acknowledging;   /* inside our own pb_monitor_acknowledge () */
  guint       tick_id;

  GtkWidget  *mark_all_button;
  GtkWidget  *empty_box;
  GtkWidget  *empty_title;
  GtkWidget  *empty_description;
  GtkWidget  *add_account_button;
  GtkWidget  *accounts_box;
};

G_DEFINE_FINAL_TYPE (PbMailWindow, pb_mail_window, GTK_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_MONITOR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GQuark date_quark;

static gint64
now_unix (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- One account's section ---------------------------------------------- */

static void
section_free (Section *section)
{
  g_free (section->id);
  g_clear_pointer (&section->date_labels, g_ptr_array_unref);
  g_free (section);
}

static GtkWidget *
dim_label_new (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

/* A line with an icon in front of its text. */
static GtkWidget *
icon_line_new (const char  *icon_name,
               GtkWidget  **label)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *image = g_object_new (GTK_TYPE_IMAGE,
                                   "icon-name", icon_name,
                                   "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                   NULL);

  gtk_widget_set_valign (image, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (box), image);
  *label = dim_label_new ();
  gtk_widget_set_hexpand (*label, TRUE);
  gtk_box_append (GTK_BOX (box), *label);
  return box;
}

/* The account's name, on screen and for screen readers. */
static void
section_set_name (Section    *section,
                  const char *name)
{
  g_autofree char *mark_label = NULL;
  g_autofree char *list_label = NULL;

  if (g_strcmp0 (gtk_label_get_text (GTK_LABEL (section->name_label)), name) == 0)
    return;

  gtk_label_set_text (GTK_LABEL (section->name_label), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (section->box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  /* Several buttons read the same: say whose mail. */
  /* Translators: %s is an account's name. */
  mark_label = g_strdup_printf (_("Mark the mail of %s as read"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (section->mark_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, mark_label, -1);
  /* Translators: %s is an account's name. */
  list_label = g_strdup_printf (_("New mail in %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (section->list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, list_label, -1);
}

static Section *
section_new (PbMailWindow *self,
             PbAccount    *account)
{
  Section *section = g_new0 (Section, 1);
  GtkWidget *heading;

  section->id = g_strdup (pb_account_get_id (account));
  section->date_labels = g_ptr_array_new ();

  section->box = g_object_new (GTK_TYPE_BOX,
                               "orientation", GTK_ORIENTATION_VERTICAL,
                               "spacing", 6,
                               "accessible-role", GTK_ACCESSIBLE_ROLE_GROUP,
                               NULL);

  heading = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  /* A heading (level 2, below the window's title), as it looks. */
  section->name_label = g_object_new (GTK_TYPE_LABEL,
                                      "accessible-role", GTK_ACCESSIBLE_ROLE_HEADING, NULL);
  gtk_label_set_xalign (GTK_LABEL (section->name_label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (section->name_label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (section->name_label, TRUE);
  gtk_widget_add_css_class (section->name_label, "heading");
  gtk_accessible_update_property (GTK_ACCESSIBLE (section->name_label),
                                  GTK_ACCESSIBLE_PROPERTY_LEVEL, 2, -1);
  gtk_box_append (GTK_BOX (heading), section->name_label);

  section->mark_button = gtk_button_new_with_mnemonic (_("_Mark as Read"));
  gtk_widget_add_css_class (section->mark_button, "flat");
  gtk_widget_set_valign (section->mark_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (section->mark_button), "s", section->id);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (section->mark_button),
                                  "app." PB_ACTION_MARK_READ);
  gtk_box_append (GTK_BOX (heading), section->mark_button);
  gtk_box_append (GTK_BOX (section->box), heading);

  section->status_box = icon_line_new ("dialog-warning-symbolic", &section->status_label);
  section->status_icon = gtk_widget_get_first_child (section->status_box);
  gtk_box_append (GTK_BOX (section->box), section->status_box);

  section->detail_label = dim_label_new ();
  gtk_box_append (GTK_BOX (section->box), section->detail_label);

  section->protection_box = icon_line_new ("channel-secure-symbolic", &section->protection_label);
  gtk_box_append (GTK_BOX (section->box), section->protection_box);

  section->warning_box = icon_line_new ("dialog-warning-symbolic", &section->warning_label);
  gtk_widget_remove_css_class (section->warning_label, "dim-label");
  gtk_widget_add_css_class (section->warning_box, "pb-attention");
  gtk_box_append (GTK_BOX (section->box), section->warning_box);

  section->fix_button = gtk_button_new ();
  gtk_button_set_use_underline (GTK_BUTTON (section->fix_button), TRUE);
  gtk_widget_set_halign (section->fix_button, GTK_ALIGN_START);
  gtk_widget_set_margin_top (section->fix_button, 6);
  gtk_box_append (GTK_BOX (section->box), section->fix_button);

  section->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (section->list), GTK_SELECTION_NONE);
  gtk_list_box_set_show_separators (GTK_LIST_BOX (section->list), TRUE);
  gtk_widget_add_css_class (section->list, "rich-list");

  section->frame = gtk_frame_new (NULL);
  gtk_widget_set_overflow (section->frame, GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_margin_top (section->frame, 6);
  gtk_frame_set_child (GTK_FRAME (section->frame), section->list);
  gtk_box_append (GTK_BOX (section->box), section->frame);

  section_set_name (section, pb_account_get_display_name (account));
  gtk_box_append (GTK_BOX (self->accounts_box), section->box);
  pb_accessible_fix_names (section->box);
  return section;
}

static void
set_line (GtkWidget  *line,
          GtkWidget  *label,
          const char *text)
{
  gtk_label_set_text (GTK_LABEL (label), text != NULL ? text : "");
  gtk_widget_set_visible (line, text != NULL);
}

/* What changes with the clock alone: "Checked 2 minutes ago", "Yesterday",
 * the certificate's days left. */
static void
section_update_times (PbMailWindow *self,
                      Section      *section,
                      gint64        now)
{
  PbCheckResult *success = pb_monitor_get_last_success (self->monitor, section->id);
  g_autoptr(GDateTime) now_time = g_date_time_new_from_unix_local (now);
  g_autofree char *status = pb_describe_state (self->monitor, section->id, now);
  g_autofree char *warning = NULL;

  gtk_label_set_text (GTK_LABEL (section->status_label), status);
  gtk_accessible_update_property (GTK_ACCESSIBLE (section->fix_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, status, -1);

  if (success != NULL)
    warning = pb_describe_expiry_warning (success->certificate, now_time);
  set_line (section->warning_box, section->warning_label, warning);

  for (guint i = 0; i < section->date_labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (section->date_labels, i);
      GDateTime *date = g_object_get_qdata (G_OBJECT (label), date_quark);
      g_autofree char *text = pb_describe_message_date (date, now_time);

      gtk_label_set_text (label, text);
    }
}

static guint
messages_signature (GPtrArray *messages)
{
  guint signature = messages->len;

  for (guint i = 0; i < messages->len; i++)
    {
      PbMessage *message = g_ptr_array_index (messages, i);

      signature = signature * 33 + g_direct_hash (message);
      if (message->uidl != NULL)
        signature = signature * 33 + g_str_hash (message->uidl);
    }
  return signature;
}

static GtkWidget *
message_row_new (Section   *section,
                 PbMessage *message)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *sender = gtk_label_new (NULL);
  GtkWidget *subject = gtk_label_new (NULL);
  /* Text from the server: one clean line, plain text, never markup. */
  g_autofree char *sender_text = pb_describe_sender (message, MAX_FIELD_CHARS);
  g_autofree char *subject_text = pb_describe_subject (message, MAX_FIELD_CHARS);
  g_autofree char *from_text = NULL;
  g_autoptr(PangoAttrList) bold = pango_attr_list_new ();
  g_autofree char *description = NULL;
  g_autofree char *when = NULL;

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 2);

  /* Text from the server: plain text, never markup. */
  pango_attr_list_insert (bold, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  gtk_label_set_attributes (GTK_LABEL (sender), bold);
  gtk_label_set_text (GTK_LABEL (sender), sender_text);
  gtk_label_set_xalign (GTK_LABEL (sender), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (sender), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (sender, TRUE);
  if (message->from != NULL)
    {
      from_text = pb_text_clean (message->from, -1, MAX_FIELD_CHARS);
      gtk_widget_set_tooltip_text (sender, from_text);
    }
  gtk_grid_attach (GTK_GRID (grid), sender, 0, 0, 1, 1);

  if (message->date != NULL)
    {
      GtkWidget *date = gtk_label_new (NULL);
      g_autofree char *day = pb_describe_date (message->date);
      g_autofree char *time = pb_describe_time_of_day (message->date);

      gtk_label_set_xalign (GTK_LABEL (date), 1.0);
      gtk_widget_set_valign (date, GTK_ALIGN_BASELINE);
      gtk_widget_add_css_class (date, "dim-label");
      gtk_widget_add_css_class (date, "caption");
      /* Translators: a date and a time of day: "3 March 2026 10:02". */
      when = g_strdup_printf (C_("date and time", "%s %s"), day, time);
      gtk_widget_set_tooltip_text (date, when);
      g_object_set_qdata_full (G_OBJECT (date), date_quark, g_date_time_ref (message->date),
                               (GDestroyNotify) g_date_time_unref);
      g_ptr_array_add (section->date_labels, date);
      gtk_grid_attach (GTK_GRID (grid), date, 1, 0, 1, 1);
    }

  gtk_label_set_text (GTK_LABEL (subject), subject_text);
  gtk_label_set_xalign (GTK_LABEL (subject), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (subject), PANGO_ELLIPSIZE_END);
  gtk_widget_set_tooltip_text (subject, subject_text);
  gtk_grid_attach (GTK_GRID (grid), subject, 0, 1, 2, 1);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), grid);
  /* The account's webmail, when it has one, else the mail client. */
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "app." PB_ACTION_OPEN_MAIL);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", section->id);

  if (when != NULL)
    /* Translators: what a screen reader says for one message: sender, subject, date. */
    description = g_strdup_printf (_("From %s: %s, %s"), sender_text, subject_text, when);
  else
    /* Translators: what a screen reader says for one message: sender and subject. */
    description = g_strdup_printf (_("From %s: %s"), sender_text, subject_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  description, -1);
  return row;
}

static void
section_update_messages (Section   *section,
                         GPtrArray *messages)
{
  guint signature = messages ? messages_signature (messages) : 0;
  guint count = messages ? messages->len : 0;
  guint listed = MIN (count, MAX_ROWS);
  GtkWidget *child;

  gtk_widget_set_visible (section->frame, count > 0);
  gtk_widget_set_visible (section->mark_button, count > 0);
  if (count == section->shown && signature == section->signature)
    return;

  g_ptr_array_set_size (section->date_labels, 0);
  while ((child = gtk_widget_get_first_child (section->list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (section->list), child);

  /* Newest first: the list is in the order the messages arrived. */
  for (guint i = 0; i < listed; i++)
    {
      PbMessage *message = g_ptr_array_index (messages, count - 1 - i);
      gtk_list_box_append (GTK_LIST_BOX (section->list), message_row_new (section, message));
    }

  if (count > listed)
    {
      GtkWidget *more = gtk_label_new (NULL);
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u more message",
                                                            "%u more messages",
                                                            count - listed),
                                               count - listed);

      gtk_label_set_text (GTK_LABEL (more), text);
      gtk_widget_add_css_class (more, "dim-label");
      gtk_list_box_append (GTK_LIST_BOX (section->list), more);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (gtk_widget_get_parent (more)),
                                      "app." PB_ACTION_OPEN_MAIL);
      gtk_actionable_set_action_target (GTK_ACTIONABLE (gtk_widget_get_parent (more)), "s",
                                        section->id);
    }

  section->shown = count;
  section->signature = signature;
}

static void
section_update (PbMailWindow *self,
                Section      *section,
                gint64        now)
{
  PbAccount *account = pb_monitor_lookup_account (self->monitor, section->id);
  PbAccountState state = pb_monitor_get_state (self->monitor, section->id);
  const GError *error = pb_monitor_get_error (self->monitor, section->id);
  g_autofree char *protection = NULL;
  const char *fix_label = NULL;
  const char *fix_action = NULL;
  gboolean attention;

  if (account != NULL)
    section_set_name (section, pb_account_get_display_name (account));

  /* The error's own words say more than "The last check failed"; the other
   * states have their sentence already. */
  set_line (section->detail_label, section->detail_label,
            state == PB_ACCOUNT_STATE_FAILING && error != NULL ? error->message : NULL);

  protection = pb_describe_protection (pb_monitor_get_last_success (self->monitor, section->id),
                                       pb_monitor_get_trust_store (self->monitor));
  set_line (section->protection_box, section->protection_label, protection);

  /* A problem stands out: an icon, and text that is not dimmed. */
  attention = state == PB_ACCOUNT_STATE_FAILING ||
              pb_describe_account_fix (account, state, NULL, NULL);
  gtk_widget_set_visible (section->status_icon, attention);
  if (attention)
    {
      gtk_widget_add_css_class (section->status_box, "pb-attention");
      gtk_widget_remove_css_class (section->status_label, "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (section->status_box, "pb-attention");
      gtk_widget_add_css_class (section->status_label, "dim-label");
    }

  if (pb_describe_account_fix (account, state, &fix_label, &fix_action))
    {
      g_autofree char *action = g_strconcat ("app.", fix_action, NULL);

      gtk_button_set_label (GTK_BUTTON (section->fix_button), fix_label);
      /* The target first: the action is looked up as soon as it is named. */
      gtk_actionable_set_action_target (GTK_ACTIONABLE (section->fix_button), "s", section->id);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (section->fix_button), action);
    }
  else
    {
      gtk_actionable_set_action_name (GTK_ACTIONABLE (section->fix_button), NULL);
    }
  gtk_widget_set_visible (section->fix_button, fix_action != NULL);

  section_update_messages (section, g_hash_table_lookup (self->displayed, section->id));
  section_update_times (self, section, now);
}

/* ---- The whole window ------------------------------------------------- */

static gboolean
any_checked (PbMailWindow *self)
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

static void
update_empty_state (PbMailWindow *self)
{
  guint n_accounts = pb_monitor_get_accounts (self->monitor)->len;
  guint shown = 0;

  for (guint i = 0; i < self->sections->len; i++)
    shown += ((Section *) g_ptr_array_index (self->sections, i))->shown;

  gtk_widget_set_visible (self->empty_box, shown == 0);
  gtk_widget_set_sensitive (self->mark_all_button, shown > 0);
  gtk_widget_set_visible (self->add_account_button, n_accounts == 0);
  if (n_accounts == 0)
    {
      gtk_label_set_text (GTK_LABEL (self->empty_title), _("No Accounts"));
      gtk_label_set_text (GTK_LABEL (self->empty_description),
                          _("Add a mail account to be told when new mail arrives."));
    }
  else if (!any_checked (self))
    {
      /* "No new mail" would be a guess before the first check. */
      gtk_label_set_text (GTK_LABEL (self->empty_title), _("Not Checked Yet"));
      gtk_label_set_text (GTK_LABEL (self->empty_description),
                          _("Popbell checks your mail in a moment and lets you know when new "
                            "mail arrives."));
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (self->empty_title), _("No New Mail"));
      gtk_label_set_text (GTK_LABEL (self->empty_description),
                          _("Popbell lets you know when new mail arrives."));
    }
}

/* TRUE when the sections are those of the accounts, in their order. */
static gboolean
sections_match_accounts (PbMailWindow *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);

  if (accounts->len != self->sections->len)
    return FALSE;
  for (guint i = 0; i < accounts->len; i++)
    {
      Section *section = g_ptr_array_index (self->sections, i);

      if (g_strcmp0 (section->id, pb_account_get_id (g_ptr_array_index (accounts, i))) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
rebuild_sections (PbMailWindow *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);

  for (guint i = 0; i < self->sections->len; i++)
    gtk_box_remove (GTK_BOX (self->accounts_box),
                    ((Section *) g_ptr_array_index (self->sections, i))->box);
  g_ptr_array_set_size (self->sections, 0);

  for (guint i = 0; i < accounts->len; i++)
    g_ptr_array_add (self->sections, section_new (self, g_ptr_array_index (accounts, i)));
}

static gboolean
message_listed (GPtrArray       *list,
                const PbMessage *message)
{
  for (guint i = 0; i < list->len; i++)
    {
      const PbMessage *other = g_ptr_array_index (list, i);

      if (message->uidl != NULL ? g_strcmp0 (message->uidl, other->uidl) == 0 : message == other)
        return TRUE;
    }
  return FALSE;
}

/* Takes the account's unacknowledged mail into the window's list and, the
 * user having it in front of them now, acknowledges it. */
static void
take_unacknowledged (PbMailWindow *self,
                     const char   *account_id)
{
  GPtrArray *unacknowledged = pb_monitor_get_unacknowledged (self->monitor, account_id);
  GPtrArray *list;

  if (unacknowledged == NULL || unacknowledged->len == 0)
    return;

  list = g_hash_table_lookup (self->displayed, account_id);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
      g_hash_table_insert (self->displayed, g_strdup (account_id), list);
    }
  for (guint i = 0; i < unacknowledged->len; i++)
    {
      PbMessage *message = g_ptr_array_index (unacknowledged, i);
      if (!message_listed (list, message))
        g_ptr_array_add (list, pb_message_copy (message));
    }

  self->acknowledging = TRUE;
  pb_monitor_acknowledge (self->monitor, account_id);
  self->acknowledging = FALSE;
}

static void
take_all_unacknowledged (PbMailWindow *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  /* Acknowledging emits signals that may change the accounts: copy the IDs. */
  for (guint i = 0; i < accounts->len; i++)
    g_ptr_array_add (ids, g_strdup (pb_account_get_id (g_ptr_array_index (accounts, i))));
  for (guint i = 0; i < ids->len; i++)
    take_unacknowledged (self, g_ptr_array_index (ids, i));
}

/* Marked as read elsewhere (a button here, the tray, a notification): the
 * list of that account is done with. */
static void
on_acknowledged (PbMonitor  *monitor,
                 const char *account_id,
                 gpointer    user_data)
{
  PbMailWindow *self = user_data;

  if (self->acknowledging)
    return;
  g_hash_table_remove (self->displayed, account_id);
}

static void
refresh_all (PbMailWindow *self)
{
  gint64 now = now_unix ();

  if (!sections_match_accounts (self))
    rebuild_sections (self);
  for (guint i = 0; i < self->sections->len; i++)
    section_update (self, g_ptr_array_index (self->sections, i), now);
  update_empty_state (self);
}

/* The monitor emits ::account-changed after ::new-mail and ::acknowledged
 * too, so this one signal keeps the window current. */
static void
on_account_changed (PbMonitor  *monitor,
                    const char *account_id,
                    gpointer    user_data)
{
  PbMailWindow *self = user_data;

  /* Hidden, nothing is drawn: mapping the window brings it up to date. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  /* Mail that arrives while the window is open is in front of the user. */
  take_unacknowledged (self, account_id);

  if (!sections_match_accounts (self))
    {
      refresh_all (self);
      return;
    }

  for (guint i = 0; i < self->sections->len; i++)
    {
      Section *section = g_ptr_array_index (self->sections, i);

      if (g_strcmp0 (section->id, account_id) == 0)
        section_update (self, section, now_unix ());
    }
  update_empty_state (self);
}

static void schedule_tick (PbMailWindow *self);

static gboolean
on_tick (gpointer user_data)
{
  PbMailWindow *self = user_data;
  gint64 now = now_unix ();

  self->tick_id = 0;
  for (guint i = 0; i < self->sections->len; i++)
    section_update_times (self, g_ptr_array_index (self->sections, i), now);
  schedule_tick (self);
  return G_SOURCE_REMOVE;
}

/* Relative times change once a minute: wake up at the turn of the minute,
 * and only while the window is shown. */
static void
schedule_tick (PbMailWindow *self)
{
  guint delay = 60 - (guint) (now_unix () % 60);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  self->tick_id = g_timeout_add_seconds (delay, on_tick, self);
}

static void
pb_mail_window_map (GtkWidget *widget)
{
  PbMailWindow *self = PB_MAIL_WINDOW (widget);

  /* Opening the window is how the user reads new mail: it is acknowledged
   * now (the tray's and notifications' counts go back to zero, saved at
   * once) and stays listed here until the window closes. */
  take_all_unacknowledged (self);
  refresh_all (self);
  GTK_WIDGET_CLASS (pb_mail_window_parent_class)->map (widget);
  schedule_tick (self);
}

static void
pb_mail_window_unmap (GtkWidget *widget)
{
  PbMailWindow *self = PB_MAIL_WINDOW (widget);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  GTK_WIDGET_CLASS (pb_mail_window_parent_class)->unmap (widget);

  /* Read and closed: the next opening lists only what came since. */
  g_hash_table_remove_all (self->displayed);
}

/* ---- GObject -------------------------------------------------------------- */

/* Once per display: the window's few rules of style. */
static void
add_style (GtkWidget *widget)
{
  static GdkDisplay *styled = NULL;
  GdkDisplay *display = gtk_widget_get_display (widget);
  g_autoptr(GtkCssProvider) provider = NULL;

  if (display == styled)
    return;
  styled = display;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/popbell/Popbell/pb-mail-window.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
pb_mail_window_constructed (GObject *object)
{
  PbMailWindow *self = PB_MAIL_WINDOW (object);

  G_OBJECT_CLASS (pb_mail_window_parent_class)->constructed (object);

  add_style (GTK_WIDGET (self));

  g_signal_connect (self->monitor, "account-changed", G_CALLBACK (on_account_changed), self);
  g_signal_connect (self->monitor, "acknowledged", G_CALLBACK (on_acknowledged), self);
  refresh_all (self);
}

static void
pb_mail_window_dispose (GObject *object)
{
  PbMailWindow *self = PB_MAIL_WINDOW (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->sections, g_ptr_array_unref);
  g_clear_pointer (&self->displayed, g_hash_table_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_MAIL_WINDOW);

  G_OBJECT_CLASS (pb_mail_window_parent_class)->dispose (object);
}

static void
pb_mail_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PbMailWindow *self = PB_MAIL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      g_value_set_object (value, self->monitor);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_mail_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PbMailWindow *self = PB_MAIL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      self->monitor = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_mail_window_class_init (PbMailWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  g_autoptr(GBytes) template = NULL;

  object_class->constructed = pb_mail_window_constructed;
  object_class->dispose = pb_mail_window_dispose;
  object_class->get_property = pb_mail_window_get_property;
  object_class->set_property = pb_mail_window_set_property;
  widget_class->map = pb_mail_window_map;
  widget_class->unmap = pb_mail_window_unmap;

  properties[PROP_MONITOR] =
    g_param_spec_object ("monitor", NULL, NULL, PB_TYPE_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  date_quark = g_quark_from_static_string ("pb-mail-window-date");

  /* From our resource by name rather than by path: it lives in a static
   * library, whose object nothing else may refer to. */
  template = g_resource_lookup_data (pb_get_resource (),
                                     "/io/github/popbell/Popbell/pb-mail-window.ui",
                                     G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_assert (template != NULL);
  gtk_widget_class_set_template (widget_class, template);
  gtk_widget_class_bind_template_child (widget_class, PbMailWindow, mark_all_button);
  gtk_widget_class_bind_template_child (widget_class, PbMailWindow, empty_box);
  gtk_widget_class_bind_template_child (widget_class, PbMailWindow, empty_title);
  gtk_widget_class_bind_template_child (widget_class, PbMailWindow, empty_description);
  gtk_widget_class_bind_template_child (widget_class, PbMailWindow, add_account_button);
  gtk_widget_class_bind_template_child (widget_class, PbMailWindow, accounts_box);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0,
                                       "app." PB_ACTION_CHECK_NOW, "s", "");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK,
                                       "app." PB_ACTION_CHECK_NOW, "s", "");
}

static void
pb_mail_window_init (PbMailWindow *self)
{
  self->sections = g_ptr_array_new_with_free_func ((GDestroyNotify) section_free);
  self->displayed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_ptr_array_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
  pb_accessible_fix_names (GTK_WIDGET (self));
  gtk_widget_add_css_class (GTK_WIDGET (self), "pb-mail-window");
}

PbMailWindow *
pb_mail_window_new (GtkApplication *application,
                    PbMonitor      *monitor)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);

  return g_object_new (PB_TYPE_MAIL_WINDOW,
                       "application", application,
                       "monitor", monitor,
                       NULL);
}
