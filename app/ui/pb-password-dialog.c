/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-password"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "app/core/pb-error.h"
#include "app/core/pb-secret-store.h"
#include "pb-accessible.h"
#include "pb-password-dialog.h"

struct _PbPasswordDialog
{
  GtkWindow     parent_instance;

  PbMonitor    *monitor;
  char         *account_id;
  GCancellable *cancellable;   /* of the keyring write */

  GtkLabel     *heading;
  GtkLabel     *problem;
  GtkEditable  *entry;
  GtkLabel     *no_keyring;
  GtkWidget    *session_button;
  GtkWidget    *remember_button;
};

G_DEFINE_FINAL_TYPE (PbPasswordDialog, pb_password_dialog, GTK_TYPE_WINDOW)

static void
wipe_password (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

/* No keyring to remember it in: offer the session, and make it the default. */
static void
offer_session_only (PbPasswordDialog *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->no_keyring), TRUE);
  gtk_widget_set_visible (self->session_button, TRUE);
  gtk_widget_set_visible (self->remember_button, FALSE);
  gtk_window_set_default_widget (GTK_WINDOW (self), self->session_button);
}

static void
show_problem (PbPasswordDialog *self,
              const char       *text)
{
  gtk_label_set_text (self->problem, text);
  gtk_widget_set_visible (GTK_WIDGET (self->problem), text != NULL);
}

/* (transfer full) the typed password, or NULL with the user told. */
static char *
take_password (PbPasswordDialog *self)
{
  const char *text = gtk_editable_get_text (self->entry);

  if (text == NULL || *text == '\0')
    {
      show_problem (self, _("Enter the password."));
      return NULL;
    }
  return g_strdup (text);
}

static void
session_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  PbPasswordDialog *self = PB_PASSWORD_DIALOG (widget);
  char *password = take_password (self);

  if (password == NULL)
    return;
  pb_monitor_set_session_password (self->monitor, self->account_id, password);
  wipe_password (password);
  gtk_window_destroy (GTK_WINDOW (self));
}

typedef struct
{
  PbPasswordDialog *dialog;   /* a reference */
  PbMonitor        *monitor;
  char             *account_id;
} StoreData;

static void
store_data_free (StoreData *data)
{
  g_object_unref (data->dialog);
  g_object_unref (data->monitor);
  g_free (data->account_id);
  g_free (data);
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  StoreData *data = user_data;
  PbPasswordDialog *self = data->dialog;
  g_autoptr(GError) error = NULL;

  if (pb_account_admin_set_password_finish (PB_ACCOUNT_ADMIN (source), result, &error))
    {
      pb_monitor_resume (data->monitor, data->account_id);
      if (self->cancellable != NULL)
        gtk_window_destroy (GTK_WINDOW (self));
      store_data_free (data);
      return;
    }

  g_debug ("%s: could not store the password: %s", data->account_id, error->message);

  /* Closed meanwhile: nobody to tell. */
  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
    {
      store_data_free (data);
      return;
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self), TRUE);
  if (g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE))
    {
      show_problem (self, NULL);
      offer_session_only (self);
    }
  else
    {
      /* "Could not store the password in the keyring: …" */
      show_problem (self, error->message);
    }
  store_data_free (data);
}

static void
remember_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  PbPasswordDialog *self = PB_PASSWORD_DIALOG (widget);
  PbAccount *account = pb_monitor_lookup_account (self->monitor, self->account_id);
  char *password;
  StoreData *data;

  if (account == NULL)
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  password = take_password (self);
  if (password == NULL)
    return;

  data = g_new0 (StoreData, 1);
  data->dialog = g_object_ref (self);
  data->monitor = g_object_ref (self->monitor);
  data->account_id = g_strdup (self->account_id);

  show_problem (self, NULL);
  /* Unfocused first: GTK 4.8 leaves the cursor of an entry blinking (and
   * warning) when an ancestor turns insensitive under it. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
  pb_account_admin_set_password_async (pb_monitor_get_admin (self->monitor), self->account_id,
                                       password, self->cancellable, on_stored, data);
  wipe_password (password);
}

static void
update (PbPasswordDialog *self)
{
  PbAccount *account = pb_monitor_lookup_account (self->monitor, self->account_id);
  PbAccountState state = pb_monitor_get_state (self->monitor, self->account_id);
  const GError *error = pb_monitor_get_error (self->monitor, self->account_id);
  g_autofree char *heading = NULL;

  if (account != NULL)
    heading = g_strdup_printf (_("Password for %s on %s"), pb_account_get_user (account),
                               pb_account_get_host (account));
  gtk_label_set_text (self->heading, heading ? heading : "");

  /* The server's refusal says why the password is asked again. */
  if (state == PB_ACCOUNT_STATE_NEEDS_PASSWORD && error != NULL &&
      g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED))
    show_problem (self, error->message);

  if (state == PB_ACCOUNT_STATE_NO_KEYRING)
    offer_session_only (self);
  else if (state == PB_ACCOUNT_STATE_KEYRING_LOCKED)
    gtk_widget_set_visible (self->session_button, TRUE);
}

static void
pb_password_dialog_dispose (GObject *object)
{
  PbPasswordDialog *self = PB_PASSWORD_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_PASSWORD_DIALOG);
  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (pb_password_dialog_parent_class)->dispose (object);
}

static void
pb_password_dialog_finalize (GObject *object)
{
  PbPasswordDialog *self = PB_PASSWORD_DIALOG (object);

  g_free (self->account_id);

  G_OBJECT_CLASS (pb_password_dialog_parent_class)->finalize (object);
}

static void
pb_password_dialog_class_init (PbPasswordDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_password_dialog_dispose;
  object_class->finalize = pb_password_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/pb-password-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PbPasswordDialog, heading);
  gtk_widget_class_bind_template_child (widget_class, PbPasswordDialog, problem);
  gtk_widget_class_bind_template_child (widget_class, PbPasswordDialog, entry);
  gtk_widget_class_bind_template_child (widget_class, PbPasswordDialog, no_keyring);
  gtk_widget_class_bind_template_child (widget_class, PbPasswordDialog, session_button);
  gtk_widget_class_bind_template_child (widget_class, PbPasswordDialog, remember_button);

  gtk_widget_class_install_action (widget_class, "password.remember", NULL, remember_activated);
  gtk_widget_class_install_action (widget_class, "password.session", NULL, session_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pb_password_dialog_init (PbPasswordDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pb_accessible_fix_names (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

PbPasswordDialog *
pb_password_dialog_new (GtkApplication *application,
                        PbMonitor      *monitor,
                        const char     *account_id)
{
  PbPasswordDialog *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);

  self = g_object_new (PB_TYPE_PASSWORD_DIALOG, "application", application, NULL);
  self->monitor = g_object_ref (monitor);
  self->account_id = g_strdup (account_id);
  update (self);
  return self;
}

const char *
pb_password_dialog_get_account_id (PbPasswordDialog *self)
{
  g_return_val_if_fail (PB_IS_PASSWORD_DIALOG (self), NULL);

  return self->account_id;
}
