/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-sign-in"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-account-admin.h"
#include "app/core/pb-error.h"
#include "app/core/pb-goa.h"
#include "app/core/pb-oauth2-provider.h"
#include "app/core/pb-oauth2-sign-in.h"
#include "app/core/pb-oauth2-tokens.h"
#include "pb-accessible.h"
#include "pb-sign-in-dialog.h"

/* What the main button does. */
typedef enum
{
  MODE_SIGN_IN,          /* Popbell's own sign-in in the browser */
  MODE_CHECK,            /* someone else signs in (Online Accounts): check again */
  MODE_NONE,             /* nothing Popbell can do here: only the text and the link */
} Mode;

struct _PbSignInDialog
{
  GtkWindow         parent_instance;

  PbMonitor        *monitor;
  char             *account_id;
  PbOAuth2Provider *provider;
  Mode              mode;
  GCancellable     *cancellable;

  GtkLabel         *heading;
  GtkLabel         *text;
  GtkWidget        *waiting_box;
  GtkSpinner       *spinner;
  GtkLabel         *problem;
  GtkLinkButton    *help_link;
  GtkWidget        *close_button;
  GtkWidget        *online_accounts_button;
  GtkWidget        *sign_in_button;
};

G_DEFINE_FINAL_TYPE (PbSignInDialog, pb_sign_in_dialog, GTK_TYPE_WINDOW)

static void
show_problem (PbSignInDialog *self,
              const char     *text)
{
  gtk_label_set_text (self->problem, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem), text != NULL);
}

static void
set_waiting (PbSignInDialog *self,
             gboolean        waiting)
{
  gtk_widget_set_visible (self->waiting_box, waiting);
  gtk_spinner_set_spinning (self->spinner, waiting);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.start", !waiting);
}

static void
set_mode (PbSignInDialog *self,
          Mode            mode)
{
  g_autofree char *label = NULL;

  self->mode = mode;
  gtk_widget_set_visible (self->sign_in_button, mode != MODE_NONE);
  if (mode == MODE_SIGN_IN)
    /* Translators: %s is a provider: "Google", "Microsoft". */
    label = g_strdup_printf (_("_Sign In with %s…"), self->provider->name);
  else
    label = g_strdup (_("_Check Now"));
  gtk_button_set_label (GTK_BUTTON (self->sign_in_button), label);
  gtk_button_set_label (GTK_BUTTON (self->close_button),
                        mode == MODE_NONE ? _("_Close") : _("_Cancel"));
}

static gboolean
have_online_accounts_settings (void)
{
  g_autofree char *path = g_find_program_in_path ("gnome-control-center");

  return path != NULL;
}

/* Online Accounts has the Google account: it signs in, not Popbell. */
static void
show_online_accounts (PbSignInDialog *self,
                      PbAccount      *account)
{
  g_autofree char *text = NULL;

  /* Translators: %s is an address. */
  text = g_strdup_printf (_("Your Google account %s is in GNOME Online Accounts, which signs in "
                            "for Popbell. If Online Accounts says the account needs attention, "
                            "sign in again there, then check again."),
                          pb_account_get_user (account));
  gtk_label_set_text (self->text, text);
  gtk_widget_set_visible (self->online_accounts_button, have_online_accounts_settings ());
  set_mode (self, MODE_CHECK);
}

/* No client ID: said plainly, with what works instead. */
static void
show_no_client (PbSignInDialog *self)
{
  g_autofree char *text = NULL;

  if (self->provider->online_accounts)
    /* Translators: %s is a provider such as "Google". */
    text = g_strdup_printf (_("This copy of Popbell has no client ID for signing in with %s "
                              "itself. Add your Google account in Settings → Online Accounts: "
                              "Popbell then signs in through it. Or use an app password instead, "
                              "as the link below explains."), self->provider->name);
  else
    text = g_strdup_printf (_("This copy of Popbell has no client ID for signing in with %s. "
                              "You can give it one of your own (client-id= in the [%s] group of "
                              "~/.config/popbell/oauth2.ini); the link below says what else %s "
                              "offers mail programs."),
                            self->provider->name, self->provider->id, self->provider->name);
  gtk_label_set_text (self->text, text);
  gtk_widget_set_visible (self->online_accounts_button,
                          self->provider->online_accounts && have_online_accounts_settings ());
  set_mode (self, self->provider->online_accounts ? MODE_CHECK : MODE_NONE);
}

typedef struct
{
  PbSignInDialog *self;    /* a reference */
  PbAccount      *account; /* the account as it signs in now: its provider set */
  PbOAuth2Tokens *tokens;
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_clear_object (&sign_in->self);
  g_clear_object (&sign_in->account);
  pb_oauth2_tokens_free (sign_in->tokens);
  g_free (sign_in);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignIn, sign_in_free)

/* FALSE when the dialog was closed meanwhile. */
static gboolean
still_open (PbSignInDialog *self)
{
  return self->cancellable != NULL && !g_cancellable_is_cancelled (self->cancellable);
}

static void
on_goa_lookup (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PbSignInDialog) self = user_data;
  PbGoaAvailability availability = pb_goa_lookup_finish (result, NULL);
  PbAccount *account;

  if (!still_open (self))
    return;
  account = pb_monitor_lookup_account (self->monitor, self->account_id);
  if (account != NULL && availability == PB_GOA_AVAILABLE)
    show_online_accounts (self, account);
}

/* TRUE when accounts.ini has the account signing in with @provider_id already. */
static gboolean
is_signing_in_with (PbSignInDialog *self,
                    const char     *provider_id)
{
  PbAccount *account = pb_monitor_lookup_account (self->monitor, self->account_id);

  return account != NULL && g_strcmp0 (pb_account_get_oauth2_provider (account), provider_id) == 0;
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SignIn) sign_in = user_data;
  PbSignInDialog *self = sign_in->self;
  g_autoptr(GError) error = NULL;

  if (!pb_account_admin_set_sign_in_finish (PB_ACCOUNT_ADMIN (source), result, &error) &&
      g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE) &&
      is_signing_in_with (self, self->provider->id))
    {
      /* No keyring: signed in for this session, as a password can be typed
       * for it (the account already names this provider). */
      g_debug ("%s: no keyring: signed in for this session", self->account_id);
      pb_oauth2_keep_session_sign_in (sign_in->account, sign_in->tokens->refresh_token);
      g_clear_error (&error);
    }
  if (error != NULL)
    {
      g_debug ("%s: could not store the sign-in: %s", self->account_id, error->message);
      if (still_open (self))
        {
          set_waiting (self, FALSE);
          show_problem (self, error->message);
        }
      return;
    }

  /* The access token that came with it is good now: no refresh before the check. */
  pb_oauth2_remember_access_token (sign_in->account, sign_in->tokens);
  pb_monitor_resume (self->monitor, self->account_id);
  if (still_open (self))
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SignIn) sign_in = user_data;
  PbSignInDialog *self = sign_in->self;
  g_autoptr(GError) error = NULL;
  const char *refresh_token;

  sign_in->tokens = pb_oauth2_browser_sign_in_finish (result, &error);
  if (!still_open (self))
    return;
  if (sign_in->tokens == NULL || sign_in->tokens->refresh_token == NULL)
    {
      set_waiting (self, FALSE);
      show_problem (self, error != NULL ? error->message
                                        : _("The provider gave no refresh token, so Popbell "
                                            "could not stay signed in."));
      set_mode (self, MODE_SIGN_IN);
      return;
    }

  refresh_token = sign_in->tokens->refresh_token;
  pb_account_admin_set_sign_in_async (pb_monitor_get_admin (self->monitor), self->account_id,
                                      self->provider->id, refresh_token, NULL, on_stored,
                                      g_steal_pointer (&sign_in));
}

static void
open_url (const char *url,
          gpointer    user_data)
{
  PbSignInDialog *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pb_oauth2_open_in_browser (url, &error))
    {
      g_autofree char *text = NULL;

      /* Translators: an error, then the address to open by hand. */
      text = g_strdup_printf (_("No browser opened the sign-in page (%s). Open this address in "
                                "a browser on this computer: %s"), error->message, url);
      show_problem (self, text);
      gtk_label_set_selectable (self->problem, TRUE);
    }
}

static void
start_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  PbSignInDialog *self = PB_SIGN_IN_DIALOG (widget);
  PbAccount *account = pb_monitor_lookup_account (self->monitor, self->account_id);
  SignIn *sign_in;

  if (account == NULL)
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (self->mode == MODE_CHECK)
    {
      pb_monitor_resume (self->monitor, self->account_id);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (self->mode != MODE_SIGN_IN)
    return;

  sign_in = g_new0 (SignIn, 1);
  sign_in->self = g_object_ref (self);
  sign_in->account = pb_account_copy (account, NULL);
  pb_account_set_oauth2_provider (sign_in->account, self->provider->id);

  show_problem (self, NULL);
  set_waiting (self, TRUE);
  pb_oauth2_browser_sign_in_async (self->provider, pb_account_get_user (account), 0, open_url,
                                   self, self->cancellable, on_signed_in, sign_in);
}

static void
online_accounts_activated (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  PbSignInDialog *self = PB_SIGN_IN_DIALOG (widget);
  const char *argv[] = { "gnome-control-center", "online-accounts", NULL };
  g_autoptr(GError) error = NULL;

  if (!g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &error))
    show_problem (self, error->message);
}

static void
update (PbSignInDialog *self)
{
  PbAccount *account = pb_monitor_lookup_account (self->monitor, self->account_id);
  g_autofree char *provider_id = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (account == NULL)
    return;
  /* Translators: %s is an account's name. */
  heading = g_strdup_printf (_("Sign in to check %s"), pb_account_get_display_name (account));
  gtk_label_set_text (self->heading, heading);

  provider_id = pb_oauth2_provider_for_account (account);
  if (provider_id != NULL)
    self->provider = pb_oauth2_provider_lookup (provider_id, &error);
  if (self->provider == NULL)
    {
      gtk_label_set_text (self->text, error != NULL ? error->message
                                                    : _("This account signs in with a "
                                                        "password."));
      set_mode (self, MODE_NONE);
      return;
    }

  if (self->provider->help_url != NULL)
    {
      gtk_link_button_set_uri (self->help_link, self->provider->help_url);
      gtk_widget_set_visible (GTK_WIDGET (self->help_link), TRUE);
    }

  if (!pb_oauth2_provider_has_client (self->provider) ||
      self->provider->authorization_endpoint == NULL)
    show_no_client (self);
  else
    {
      /* Translators: %s is a provider such as "Microsoft", twice. */
      text = g_strdup_printf (_("%s asks you to sign in on its own page. Popbell opens it in your "
                                "browser; your password goes only to %s, never to Popbell."),
                              self->provider->name, self->provider->name);
      if (pb_monitor_get_state (self->monitor, self->account_id) == PB_ACCOUNT_STATE_NO_KEYRING)
        {
          g_autofree char *sign_in_text = g_steal_pointer (&text);

          /* Translators: after the text above. */
          text = g_strconcat (sign_in_text, " ",
                              _("No keyring is available, so the sign-in lasts only until "
                                "Popbell quits."), NULL);
        }
      gtk_label_set_text (self->text, text);
      set_mode (self, MODE_SIGN_IN);
    }

  /* Online Accounts first, where it has this Google account. */
  if (self->provider->online_accounts)
    pb_goa_lookup_async (pb_account_get_user (account), self->cancellable, on_goa_lookup,
                         g_object_ref (self));
}

static void
pb_sign_in_dialog_dispose (GObject *object)
{
  PbSignInDialog *self = PB_SIGN_IN_DIALOG (object);

  /* Closing stops the listener too. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_SIGN_IN_DIALOG);
  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (pb_sign_in_dialog_parent_class)->dispose (object);
}

static void
pb_sign_in_dialog_finalize (GObject *object)
{
  PbSignInDialog *self = PB_SIGN_IN_DIALOG (object);

  g_free (self->account_id);
  pb_oauth2_provider_free (self->provider);

  G_OBJECT_CLASS (pb_sign_in_dialog_parent_class)->finalize (object);
}

static void
pb_sign_in_dialog_class_init (PbSignInDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_sign_in_dialog_dispose;
  object_class->finalize = pb_sign_in_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/pb-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, heading);
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, text);
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, waiting_box);
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, problem);
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, help_link);
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, close_button);
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, online_accounts_button);
  gtk_widget_class_bind_template_child (widget_class, PbSignInDialog, sign_in_button);

  gtk_widget_class_install_action (widget_class, "sign-in.start", NULL, start_activated);
  gtk_widget_class_install_action (widget_class, "sign-in.online-accounts", NULL,
                                   online_accounts_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pb_sign_in_dialog_init (PbSignInDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pb_accessible_fix_names (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

PbSignInDialog *
pb_sign_in_dialog_new (GtkApplication *application,
                       PbMonitor      *monitor,
                       const char     *account_id)
{
  PbSignInDialog *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);

  self = g_object_new (PB_TYPE_SIGN_IN_DIALOG, "application", application, NULL);
  self->monitor = g_object_ref (monitor);
  self->account_id = g_strdup (account_id);
  update (self);
  return self;
}

const char *
pb_sign_in_dialog_get_account_id (PbSignInDialog *self)
{
  g_return_val_if_fail (PB_IS_SIGN_IN_DIALOG (self), NULL);

  return self->account_id;
}
