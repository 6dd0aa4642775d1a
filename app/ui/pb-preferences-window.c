/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-preferences-window.h"
#include "pb-settings.h"

struct _PbPreferencesWindow
{
  GtkWindow    parent_instance;

  PbMonitor   *monitor;
  GSettings   *settings;
  char        *shown;          /* what the account list shows, to rebuild it only on change */

  GtkWidget   *notify_new_mail_switch;
  GtkWidget   *notify_errors_switch;
  GtkWidget   *privacy_switch;
  GtkWidget   *start_at_login_switch;
  GtkWidget   *mail_client_entry;
  GtkListBox  *account_list;
};

G_DEFINE_FINAL_TYPE (PbPreferencesWindow, pb_preferences_window, GTK_TYPE_WINDOW)

static char *
describe_account (PbAccount *account)
{
  return g_strdup_printf ("%s@%s:%u", pb_account_get_user (account), pb_account_get_host (account),
                          pb_account_get_port (account));
}

static GtkWidget *
make_row (const char *title,
          const char *subtitle)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *label;

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  /* Plain text: names and hosts are the user's, but never markup. */
  label = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), label);

  if (subtitle != NULL)
    {
      label = gtk_label_new (subtitle);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_add_css_class (label, "caption");
      gtk_box_append (GTK_BOX (box), label);
    }
  return box;
}

static void
update_accounts (PbPreferencesWindow *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);
  g_autoptr(GString) shown = g_string_new (NULL);
  GtkWidget *child;

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      g_autofree char *where = describe_account (account);

      g_string_append_printf (shown, "%s\n%s\n%s\n%d\n", pb_account_get_id (account),
                              pb_account_get_display_name (account), where,
                              pb_account_get_enabled (account));
    }
  /* The monitor reports every check: most of them change nothing here. */
  if (g_strcmp0 (shown->str, self->shown) == 0)
    return;
  g_free (self->shown);
  self->shown = g_strdup (shown->str);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->account_list))) != NULL)
    gtk_list_box_remove (self->account_list, child);

  if (accounts->len == 0)
    gtk_list_box_append (self->account_list, make_row (_("No account yet"), NULL));

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      g_autofree char *where = describe_account (account);
      g_autofree char *subtitle = NULL;

      if (pb_account_get_enabled (account))
        subtitle = g_steal_pointer (&where);
      else
        subtitle = g_strdup_printf (_("%s (disabled)"), where);
      gtk_list_box_append (self->account_list,
                           make_row (pb_account_get_display_name (account), subtitle));
    }
}

static void
pb_preferences_window_dispose (GObject *object)
{
  PbPreferencesWindow *self = PB_PREFERENCES_WINDOW (object);

  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->monitor);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pb_preferences_window_parent_class)->dispose (object);
}

static void
pb_preferences_window_finalize (GObject *object)
{
  PbPreferencesWindow *self = PB_PREFERENCES_WINDOW (object);

  g_free (self->shown);

  G_OBJECT_CLASS (pb_preferences_window_parent_class)->finalize (object);
}

static void
pb_preferences_window_class_init (PbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_preferences_window_dispose;
  object_class->finalize = pb_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/popbell/Popbell/pb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, notify_new_mail_switch);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, notify_errors_switch);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, privacy_switch);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, start_at_login_switch);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, mail_client_entry);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, account_list);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pb_preferences_window_init (PbPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PbPreferencesWindow *
pb_preferences_window_new (GtkApplication *application,
                           PbMonitor      *monitor,
                           GSettings      *settings)
{
  PbPreferencesWindow *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (PB_TYPE_PREFERENCES_WINDOW, "application", application, NULL);
  self->monitor = g_object_ref (monitor);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, PB_SETTINGS_NOTIFY_NEW_MAIL, self->notify_new_mail_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, PB_SETTINGS_NOTIFY_ERRORS, self->notify_errors_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, PB_SETTINGS_PRIVACY, self->privacy_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, PB_SETTINGS_START_AT_LOGIN, self->start_at_login_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, PB_SETTINGS_MAIL_CLIENT, self->mail_client_entry, "text",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_swapped (monitor, "account-changed", G_CALLBACK (update_accounts), self);
  update_accounts (self);
  return self;
}
