/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-editor"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-actions.h"
#include "pb-accessible.h"
#include "pb-account-editor.h"

struct _PbAccountEditor
{
  GtkWindow       parent_instance;

  PbMonitor      *monitor;
  char           *account_id;

  GtkEditable    *name_entry;
  GtkEditable    *user_entry;
  GtkEditable    *host_entry;
  GtkDropDown    *security_dropdown;
  GtkSpinButton  *port_spin;
  GtkSpinButton  *interval_spin;
  GtkAdjustment  *interval_adjustment;
  GtkCheckButton *enabled_check;
  GtkCheckButton *notify_new_check;
  GtkCheckButton *sound_check;
  GtkCheckButton *notify_problems_check;
  GtkEditable    *webmail_entry;
  GtkLabel       *problem;
  GtkWidget      *password_button;
};

G_DEFINE_FINAL_TYPE (PbAccountEditor, pb_account_editor, GTK_TYPE_WINDOW)

static PbSecurity
selected_security (PbAccountEditor *self)
{
  return gtk_drop_down_get_selected (self->security_dropdown) == 1 ? PB_SECURITY_STARTTLS
                                                                    : PB_SECURITY_TLS;
}

/* Follows the security with the port while the port is still a default one. */
static void
on_security_changed (PbAccountEditor *self)
{
  PbSecurity security = selected_security (self);
  PbSecurity other = security == PB_SECURITY_TLS ? PB_SECURITY_STARTTLS : PB_SECURITY_TLS;

  if (gtk_spin_button_get_value_as_int (self->port_spin) == pb_security_default_port (other))
    gtk_spin_button_set_value (self->port_spin, pb_security_default_port (security));
}

/* A sound belongs to a notification: none without one. */
static void
on_notify_new_toggled (PbAccountEditor *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->sound_check),
                            gtk_check_button_get_active (self->notify_new_check));
}

static void
show_problem (PbAccountEditor *self,
              const char      *text)
{
  gtk_label_set_text (self->problem, text);
  gtk_widget_set_visible (GTK_WIDGET (self->problem), TRUE);
}

static char *
entry_text (GtkEditable *editable)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (editable)));
}

static void
save_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PbAccountEditor *self = PB_ACCOUNT_EDITOR (widget);
  PbAccountAdmin *admin = pb_monitor_get_admin (self->monitor);
  g_autofree char *name = entry_text (self->name_entry);
  g_autofree char *user = entry_text (self->user_entry);
  g_autofree char *host = entry_text (self->host_entry);
  g_autofree char *webmail = entry_text (self->webmail_entry);
  g_autofree char *ascii = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  const char *sound;

  if (!pb_user_name_check (user, NULL))
    {
      show_problem (self, _("Enter the user name the server expects, often your e-mail "
                            "address."));
      gtk_widget_grab_focus (GTK_WIDGET (self->user_entry));
      return;
    }
  ascii = pb_host_name_normalize (host, NULL);
  if (ascii == NULL)
    {
      show_problem (self, _("Enter the name of the POP3 server, for example pop.example.com."));
      gtk_widget_grab_focus (GTK_WIDGET (self->host_entry));
      return;
    }

  if (*webmail != '\0' && !pb_account_webmail_is_valid (webmail))
    {
      show_problem (self, _("Enter the webmail's https:// address, or nothing for the mail "
                            "client."));
      gtk_widget_grab_focus (GTK_WIDGET (self->webmail_entry));
      return;
    }

  /* The account as the file has it now (the command line may have changed
   * it), changed only where the user did here. */
  account = pb_account_admin_dup_account (admin, self->account_id, &error);
  if (account == NULL)
    goto failed;

  gtk_spin_button_update (self->port_spin);
  gtk_spin_button_update (self->interval_spin);
  pb_account_set_display_name (account, *name != '\0' ? name : NULL);
  pb_account_set_user (account, user);
  pb_account_set_host (account, host);
  pb_account_set_security (account, selected_security (self));
  pb_account_set_port (account, (guint16) gtk_spin_button_get_value_as_int (self->port_spin));
  pb_account_set_interval (account, (guint) gtk_spin_button_get_value_as_int (self->interval_spin));
  pb_account_set_enabled (account, gtk_check_button_get_active (self->enabled_check));
  pb_account_set_notify_new_mail (account, gtk_check_button_get_active (self->notify_new_check));
  pb_account_set_notify_problems (account,
                                  gtk_check_button_get_active (self->notify_problems_check));
  pb_account_set_webmail (account, *webmail != '\0' ? webmail : NULL);
  /* A sound of the user's own choosing (accounts.ini) stays when it stays on. */
  sound = pb_account_get_sound (account);
  if (!gtk_check_button_get_active (self->sound_check))
    pb_account_set_sound (account, PB_ACCOUNT_SOUND_NONE);
  else if (g_strcmp0 (sound, PB_ACCOUNT_SOUND_NONE) == 0)
    pb_account_set_sound (account, NULL);

  /* Another server or user starts a new baseline there (its first check). */
  if (!pb_account_admin_edit (admin, account, NULL, &error))
    goto failed;
  pb_monitor_adopt_account (self->monitor, account);
  gtk_window_destroy (GTK_WINDOW (self));
  return;

failed:
  {
    g_autofree char *message = g_strdup_printf (_("Could not save the account: %s"),
                                                error->message);
    show_problem (self, message);
  }
}

static void
fill (PbAccountEditor *self,
      PbAccount       *account)
{
  g_autofree char *title = g_strdup_printf (_("Edit “%s”"), pb_account_get_display_name (account));

  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_editable_set_text (self->name_entry, pb_account_get_display_name (account));
  gtk_editable_set_text (self->user_entry, pb_account_get_user (account));
  gtk_editable_set_text (self->host_entry, pb_account_get_host (account));
  gtk_drop_down_set_selected (self->security_dropdown,
                              pb_account_get_security (account) == PB_SECURITY_STARTTLS);
  gtk_spin_button_set_value (self->port_spin, pb_account_get_port (account));
  gtk_spin_button_set_value (self->interval_spin, pb_account_get_interval (account));
  gtk_check_button_set_active (self->enabled_check, pb_account_get_enabled (account));
  gtk_check_button_set_active (self->notify_new_check, pb_account_get_notify_new_mail (account));
  gtk_check_button_set_active (self->sound_check,
                               g_strcmp0 (pb_account_get_sound (account),
                                          PB_ACCOUNT_SOUND_NONE) != 0);
  gtk_check_button_set_active (self->notify_problems_check,
                               pb_account_get_notify_problems (account));
  gtk_editable_set_text (self->webmail_entry, pb_account_get_webmail (account) != NULL
                                              ? pb_account_get_webmail (account) : "");
  on_notify_new_toggled (self);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->password_button), "s",
                                    self->account_id);
  /* An account that signs in has no password to change: it signs in again. */
  if (pb_account_get_oauth2_provider (account) != NULL)
    {
      gtk_button_set_label (GTK_BUTTON (self->password_button), _("Sign In _Again…"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->password_button),
                                      "app." PB_ACTION_SIGN_IN);
    }
}

static void
pb_account_editor_dispose (GObject *object)
{
  PbAccountEditor *self = PB_ACCOUNT_EDITOR (object);

  g_clear_object (&self->monitor);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_ACCOUNT_EDITOR);
  G_OBJECT_CLASS (pb_account_editor_parent_class)->dispose (object);
}

static void
pb_account_editor_finalize (GObject *object)
{
  PbAccountEditor *self = PB_ACCOUNT_EDITOR (object);

  g_free (self->account_id);
  G_OBJECT_CLASS (pb_account_editor_parent_class)->finalize (object);
}

static void
pb_account_editor_class_init (PbAccountEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_account_editor_dispose;
  object_class->finalize = pb_account_editor_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/pb-account-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, name_entry);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, user_entry);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, host_entry);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, security_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, port_spin);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, interval_spin);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, interval_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, enabled_check);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, notify_new_check);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, sound_check);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, notify_problems_check);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, webmail_entry);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, problem);
  gtk_widget_class_bind_template_child (widget_class, PbAccountEditor, password_button);
  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_activated);
}

static void
pb_account_editor_init (PbAccountEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_adjustment_set_lower (self->interval_adjustment, PB_MIN_INTERVAL_MINUTES);
  gtk_adjustment_set_upper (self->interval_adjustment, PB_MAX_INTERVAL_MINUTES);
  g_signal_connect_swapped (self->security_dropdown, "notify::selected",
                            G_CALLBACK (on_security_changed), self);
  g_signal_connect_swapped (self->notify_new_check, "toggled",
                            G_CALLBACK (on_notify_new_toggled), self);
}

PbAccountEditor *
pb_account_editor_new (GtkWindow  *parent,
                       PbMonitor  *monitor,
                       const char *account_id)
{
  PbAccount *account;
  PbAccountEditor *self;
  GtkApplication *application;

  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);

  account = pb_monitor_lookup_account (monitor, account_id);
  if (account == NULL)
    return NULL;

  self = g_object_new (PB_TYPE_ACCOUNT_EDITOR, NULL);
  self->monitor = g_object_ref (monitor);
  self->account_id = g_strdup (account_id);
  fill (self, account);
  if (parent != NULL)
    {
      gtk_window_set_transient_for (GTK_WINDOW (self), parent);
      application = gtk_window_get_application (parent);
      if (application != NULL)
        gtk_window_set_application (GTK_WINDOW (self), application);
    }
  pb_accessible_fix_names (GTK_WIDGET (self));
  return self;
}

const char *
pb_account_editor_get_account_id (PbAccountEditor *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT_EDITOR (self), NULL);
  return self->account_id;
}
