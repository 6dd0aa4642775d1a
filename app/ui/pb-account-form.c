/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-account-form"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-account-form.h"
#include "pb-error.h"
#include "pb-secret-store.h"

#define ID_MAX_BASE 56   /* leaves room for "-NNN" within the 64 an ID may have */

struct _PbAccountForm
{
  GtkWindow    parent_instance;

  PbMonitor   *monitor;
  gboolean     saving;

  GtkEditable *name_entry;
  GtkEditable *user_entry;
  GtkEditable *host_entry;
  GtkDropDown *security_dropdown;
  GtkSpinButton *port_spin;
  GtkEditable *password_entry;
  GtkLabel    *problem;
};

G_DEFINE_FINAL_TYPE (PbAccountForm, pb_account_form, GTK_TYPE_WINDOW)

static void
wipe_password (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

static void
show_problem (PbAccountForm *self,
              const char    *text)
{
  gtk_label_set_text (self->problem, text);
  gtk_widget_set_visible (GTK_WIDGET (self->problem), text != NULL);
}

static PbSecurity
selected_security (PbAccountForm *self)
{
  return gtk_drop_down_get_selected (self->security_dropdown) == 1 ? PB_SECURITY_STARTTLS
                                                                    : PB_SECURITY_TLS;
}

/* Follows the security with the port while the port is still a default one. */
static void
on_security_changed (PbAccountForm *self)
{
  PbSecurity security = selected_security (self);
  PbSecurity other = security == PB_SECURITY_TLS ? PB_SECURITY_STARTTLS : PB_SECURITY_TLS;

  if (gtk_spin_button_get_value_as_int (self->port_spin) == pb_security_default_port (other))
    gtk_spin_button_set_value (self->port_spin, pb_security_default_port (security));
}

static gboolean
is_host_name (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p) || *p == '/' || *p == '@')
      return FALSE;
  return TRUE;
}

static gboolean
is_user_name (const char *text)
{
  if (*text == '\0' || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      return FALSE;
  return TRUE;
}

/* ---- Saving ----------------------------------------------------------------- */

typedef struct
{
  PbAccountForm *form;      /* a reference; may be closed meanwhile */
  PbMonitor     *monitor;
  PbAccount     *account;
  char          *password;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_object_unref (data->form);
  g_object_unref (data->monitor);
  g_object_unref (data->account);
  wipe_password (data->password);
  g_free (data);
}

static gboolean
form_is_open (PbAccountForm *self)
{
  return self->monitor != NULL;
}

static void
fail (SaveData   *data,
      const char *message)
{
  PbAccountForm *self = data->form;

  g_debug ("%s: %s", pb_account_get_id (data->account), message);
  if (!form_is_open (self))
    return;
  self->saving = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self), TRUE);
  show_problem (self, message);
}

/* The password is in the keyring (or kept for the session): now the account. */
static gboolean
add_account (SaveData  *data,
             gboolean   in_keyring)
{
  PbAccountStore *store = pb_monitor_get_account_store (data->monitor);
  const char *id = pb_account_get_id (data->account);
  g_autoptr(GError) error = NULL;

  if (!pb_account_store_add (store, data->account, &error))
    {
      fail (data, error->message);
    }
  else if (!pb_account_store_save (store, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the account: %s"),
                                                  error->message);
      pb_account_store_remove (store, id, NULL);
      fail (data, message);
    }
  else
    {
      pb_monitor_reload (data->monitor);
      if (!in_keyring)
        pb_monitor_set_session_password (data->monitor, id, data->password);
      return TRUE;
    }

  /* An account that was not added needs no password. */
  if (in_keyring)
    pb_secret_delete_async (id, NULL, NULL, NULL);
  return FALSE;
}

static void
tell_session_only (GtkApplication *application)
{
  GtkWidget *dialog;

  dialog = gtk_message_dialog_new (NULL, 0, GTK_MESSAGE_WARNING, GTK_BUTTONS_CLOSE, "%s",
                                   _("The password is kept for this session only"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
    _("No keyring (Secret Service) is running, so the password could not be stored. "
      "The account was added; Popbell keeps its password in memory until it quits, "
      "never on disk, and will ask for it again next time."));
  gtk_window_set_title (GTK_WINDOW (dialog), "Popbell");
  gtk_window_set_application (GTK_WINDOW (dialog), application);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_password_stored (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  SaveData *data = user_data;
  PbAccountForm *self = data->form;
  g_autoptr(GError) error = NULL;
  gboolean in_keyring = pb_secret_store_finish (result, &error);
  gboolean session_only = g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE);

  if (!in_keyring && !session_only)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("Could not store the password in the keyring: %s"),
                                 error->message);
      fail (data, message);
      save_data_free (data);
      return;
    }

  if (add_account (data, in_keyring) && form_is_open (self))
    {
      if (session_only)
        tell_session_only (gtk_window_get_application (GTK_WINDOW (self)));
      gtk_window_destroy (GTK_WINDOW (self));
    }
  save_data_free (data);
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
  PbAccountForm *self = PB_ACCOUNT_FORM (widget);
  g_autofree char *name = entry_text (self->name_entry);
  g_autofree char *user = entry_text (self->user_entry);
  g_autofree char *host = entry_text (self->host_entry);
  g_autofree char *id = NULL;
  const char *password = gtk_editable_get_text (self->password_entry);
  PbSecurity security = selected_security (self);
  SaveData *data;

  if (self->saving)
    return;
  if (!is_user_name (user))
    {
      show_problem (self, _("Enter your e-mail address or user name."));
      gtk_widget_grab_focus (GTK_WIDGET (self->user_entry));
      return;
    }
  if (!is_host_name (host))
    {
      show_problem (self, _("Enter the name of your POP3 server, for example pop.example.com."));
      gtk_widget_grab_focus (GTK_WIDGET (self->host_entry));
      return;
    }
  if (password == NULL || *password == '\0')
    {
      show_problem (self, _("Enter your password."));
      gtk_widget_grab_focus (GTK_WIDGET (self->password_entry));
      return;
    }

  /* accounts.ini may have changed since it was loaded (the command line). */
  pb_monitor_reload (self->monitor);
  id = pb_account_form_make_id (pb_monitor_get_account_store (self->monitor),
                                *name != '\0' ? name : user);

  data = g_new0 (SaveData, 1);
  data->form = g_object_ref (self);
  data->monitor = g_object_ref (self->monitor);
  data->account = pb_account_new (id);
  data->password = g_strdup (password);
  pb_account_set_user (data->account, user);
  pb_account_set_host (data->account, host);
  pb_account_set_security (data->account, security);
  pb_account_set_port (data->account, (guint16) gtk_spin_button_get_value_as_int (self->port_spin));
  if (*name != '\0')
    pb_account_set_display_name (data->account, name);

  self->saving = TRUE;
  show_problem (self, NULL);
  /* Unfocused first: GTK 4.8 leaves the cursor of an entry blinking (and
   * warning) when an ancestor turns insensitive under it. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
  /* The password first: an account without one would only fail later. */
  pb_secret_store_async (data->account, data->password, NULL, on_password_stored, data);
}

/* ---- GObject ------------------------------------------------------------- */

static void
pb_account_form_dispose (GObject *object)
{
  PbAccountForm *self = PB_ACCOUNT_FORM (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_ACCOUNT_FORM);
  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (pb_account_form_parent_class)->dispose (object);
}

static void
pb_account_form_class_init (PbAccountFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_account_form_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/pb-account-form.ui");
  gtk_widget_class_bind_template_child (widget_class, PbAccountForm, name_entry);
  gtk_widget_class_bind_template_child (widget_class, PbAccountForm, user_entry);
  gtk_widget_class_bind_template_child (widget_class, PbAccountForm, host_entry);
  gtk_widget_class_bind_template_child (widget_class, PbAccountForm, security_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PbAccountForm, port_spin);
  gtk_widget_class_bind_template_child (widget_class, PbAccountForm, password_entry);
  gtk_widget_class_bind_template_child (widget_class, PbAccountForm, problem);

  gtk_widget_class_install_action (widget_class, "form.save", NULL, save_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pb_account_form_init (PbAccountForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->security_dropdown, "notify::selected",
                            G_CALLBACK (on_security_changed), self);
}

PbAccountForm *
pb_account_form_new (GtkApplication *application,
                     PbMonitor      *monitor)
{
  PbAccountForm *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);

  self = g_object_new (PB_TYPE_ACCOUNT_FORM, "application", application, NULL);
  self->monitor = g_object_ref (monitor);
  return self;
}

char *
pb_account_form_make_id (PbAccountStore *store,
                         const char     *name)
{
  g_autoptr(GString) base = g_string_new (NULL);
  char *id;

  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (store), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (const char *p = name; *p != '\0' && base->len < ID_MAX_BASE; p++)
    {
      char c = *p;

      if (g_ascii_isalnum (c) || c == '_' || (c == '.' && base->len > 0))
        g_string_append_c (base, g_ascii_tolower (c));
      else if (base->len > 0 && base->str[base->len - 1] != '-')
        g_string_append_c (base, '-');
    }
  while (base->len > 0 && (base->str[base->len - 1] == '-' || base->str[base->len - 1] == '.'))
    g_string_truncate (base, base->len - 1);
  if (base->len == 0)
    g_string_assign (base, "account");

  id = g_strdup (base->str);
  for (guint n = 2; pb_account_store_lookup (store, id) != NULL; n++)
    {
      g_free (id);
      id = g_strdup_printf ("%s-%u", base->str, n);
    }
  g_assert (pb_account_id_is_valid (id));
  return id;
}
