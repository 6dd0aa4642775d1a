/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-preferences"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "app/core/pb-error.h"
#include "app/core/pb-oauth2-provider.h"
#include "app/core/pb-secret-store.h"
#include "app/core/pb-seen-store.h"
#include "app/core/pb-settings.h"
#include "app/shell/pb-describe.h"
#include "pb-accessible.h"
#include "pb-account-editor.h"
#include "pb-preferences-window.h"

struct _PbPreferencesWindow
{
  GtkWindow       parent_instance;

  PbMonitor      *monitor;
  GSettings      *settings;
  char           *shown_accounts;      /* the IDs the account list has rows for */
  char           *shown_certificates;  /* what the certificate list shows */

  GtkWidget      *notify_new_mail_switch;
  GtkWidget      *notify_errors_switch;
  GtkWidget      *privacy_switch;
  GtkWidget      *show_count_switch;
  GtkWidget      *start_at_login_switch;
  GtkCheckButton *system_client_radio;
  GtkCheckButton *command_client_radio;
  GtkEditable    *mail_client_entry;
  GtkListBox     *account_list;
  GtkListBox     *certificate_list;
};

G_DEFINE_FINAL_TYPE (PbPreferencesWindow, pb_preferences_window, GTK_TYPE_WINDOW)

/* GTK's own theme has no boxed lists (libadwaita's): a rounded frame. */
static const char style[] =
  "list.pb-boxed-list {"
  "  border: 1px solid alpha(currentColor, 0.15);"
  "  border-radius: 8px;"
  "}"
  "list.pb-boxed-list > row {"
  "  padding: 8px 12px;"
  "  min-height: 34px;"
  "}";

static void
ensure_style (GtkWidget *widget)
{
  GdkDisplay *display = gtk_widget_get_display (widget);
  g_autoptr(GtkCssProvider) provider = NULL;

  if (display == NULL || g_object_get_data (G_OBJECT (display), "pb-preferences-style") != NULL)
    return;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, style, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data_full (G_OBJECT (display), "pb-preferences-style",
                          g_steal_pointer (&provider), g_object_unref);
}

/* A plain-text message (never markup: it may quote servers and files). */
static void
show_message (GtkWindow      *parent,
              GtkMessageType  type,
              const char     *primary,
              const char     *secondary)
{
  GtkWidget *dialog;

  dialog = gtk_message_dialog_new (parent, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   type, GTK_BUTTONS_CLOSE, "%s", primary);
  if (secondary != NULL)
    gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", secondary);
  gtk_window_set_title (GTK_WINDOW (dialog), "Popbell");
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
set_accessible_label (GtkWidget  *widget,
                      const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static GtkWidget *
icon_button (const char *icon_name,
             const char *name,
             const char *tooltip,
             const char *accessible_label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_name (button, name);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  set_accessible_label (button, accessible_label);
  return button;
}

/* Title and subtitle of a row; plain text, ellipsized: names and hosts are
 * the user's, but they may be long. */
static GtkWidget *
text_box (GtkWidget **title,
          GtkWidget **subtitle)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);

  gtk_widget_set_hexpand (box, TRUE);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);

  *title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (*title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (*title), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), *title);

  *subtitle = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (*subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (*subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (*subtitle, "dim-label");
  gtk_widget_add_css_class (*subtitle, "caption");
  gtk_box_append (GTK_BOX (box), *subtitle);
  return box;
}

static GtkWidget *
placeholder_row (const char *text)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *label = gtk_label_new (text);

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  return row;
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

/* ---- Changing accounts.ini ------------------------------------------------------ */

typedef void (*AccountChange) (PbAccount *account,
                               gpointer   data);

/* Changes start from accounts.ini as it is now (the command line may have
 * changed it) and go through the account administration. */
static gboolean
change_account (PbPreferencesWindow  *self,
                const char           *account_id,
                AccountChange         change,
                gpointer              data,
                GError              **error)
{
  PbAccountStore *live = pb_monitor_get_account_store (self->monitor);
  g_autoptr(PbAccountStore) store = pb_account_store_new (pb_account_store_get_path (live));
  g_autoptr(PbAccount) edited = NULL;
  PbAccount *account;

  /* The account as the file has it now, changed only where the user did. */
  if (!pb_account_store_load (store, error))
    return FALSE;
  account = pb_account_store_lookup (store, account_id);
  if (account == NULL)
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND,
                   _("The account “%s” no longer exists."), account_id);
      return FALSE;
    }
  edited = pb_account_copy (account, NULL);
  change (edited, data);
  /* Another server or user starts a new baseline there (its first check). */
  if (!pb_account_admin_edit (pb_monitor_get_admin (self->monitor), edited, NULL, error))
    return FALSE;
  pb_monitor_adopt_account (self->monitor, edited);
  return TRUE;
}


/* ---- The account editor ----------------------------------------------------------- */

static void
edit_account (PbPreferencesWindow *self,
              const char          *account_id)
{
  PbAccountEditor *editor;

  /* One editor per account: a second click brings it back. */
  for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
    {
      if (PB_IS_ACCOUNT_EDITOR (l->data) &&
          gtk_window_get_transient_for (l->data) == GTK_WINDOW (self) &&
          g_str_equal (pb_account_editor_get_account_id (l->data), account_id))
        {
          gtk_window_present (l->data);
          g_list_free (l);
          return;
        }
    }

  editor = pb_account_editor_new (GTK_WINDOW (self), self->monitor, account_id);
  if (editor != NULL)
    gtk_window_present (GTK_WINDOW (editor));
}

/* ---- Removing an account ------------------------------------------------------------ */

static void update_certificates (PbPreferencesWindow *self);

static void
on_account_removed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PbPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean removed = pb_account_admin_remove_finish (PB_ACCOUNT_ADMIN (source), result, &error);

  if (self->monitor == NULL)
    return;

  /* What the file says now, whatever happened. */
  pb_monitor_reload (self->monitor);
  update_certificates (self);
  if (removed)
    return;

  g_debug ("Removing the account: %s", error->message);
  if (g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND))
    return; /* removed meanwhile (the command line) */
  show_message (GTK_WINDOW (self), GTK_MESSAGE_WARNING,
                error->domain == PB_STORE_ERROR && error->code != PB_STORE_ERROR_IO
                  ? _("Could not remove the account")
                  : _("The account was removed, but not everything of it"),
                error->message);
}

static void
remove_account (PbPreferencesWindow *self,
                const char          *account_id)
{
  /* The monitor lets go of the account, and of a check still running, so
   * that nothing writes its state file again; on failure the reload in
   * on_account_removed() brings it back. */
  pb_monitor_forget_account (self->monitor, account_id);
  pb_account_admin_remove_async (pb_monitor_get_admin (self->monitor), account_id, NULL,
                                 on_account_removed, g_object_ref (self));
}

static void
on_remove_response (GtkDialog *dialog,
                    int        response,
                    gpointer   user_data)
{
  PbPreferencesWindow *self = user_data;
  g_autofree char *account_id = g_strdup (g_object_get_data (G_OBJECT (dialog), "pb-account-id"));

  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response == GTK_RESPONSE_ACCEPT)
    remove_account (self, account_id);
}

static void
confirm_remove_account (PbPreferencesWindow *self,
                        const char          *account_id)
{
  PbAccount *account = pb_monitor_lookup_account (self->monitor, account_id);
  GtkWidget *dialog;
  GtkWidget *button;

  if (account == NULL)
    return;

  dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Remove the account “%s”?"),
                                   pb_account_get_display_name (account));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
                                            _("Popbell forgets its settings, its password in "
                                              "the keyring and which messages it has seen. "
                                              "Your mail stays on the server."));
  gtk_window_set_title (GTK_WINDOW (dialog), _("Remove Account"));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Remove"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (button, "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_object_set_data_full (G_OBJECT (dialog), "pb-account-id", g_strdup (account_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- The account list ---------------------------------------------------------- */

static const char *
row_account_id (GtkWidget *widget)
{
  GtkWidget *row = gtk_widget_get_ancestor (widget, GTK_TYPE_LIST_BOX_ROW);

  return row != NULL ? g_object_get_data (G_OBJECT (row), "pb-account-id") : NULL;
}

static void
on_edit_clicked (GtkButton           *button,
                 PbPreferencesWindow *self)
{
  const char *id = row_account_id (GTK_WIDGET (button));

  if (id != NULL)
    edit_account (self, id);
}

static void
on_remove_clicked (GtkButton           *button,
                   PbPreferencesWindow *self)
{
  const char *id = row_account_id (GTK_WIDGET (button));

  if (id != NULL)
    confirm_remove_account (self, id);
}

static void
set_enabled (PbAccount *account,
             gpointer   data)
{
  pb_account_set_enabled (account, GPOINTER_TO_INT (data));
}

static void update_accounts (PbPreferencesWindow *self);

static void
on_enabled_changed (GtkSwitch           *sw,
                    GParamSpec          *pspec,
                    PbPreferencesWindow *self)
{
  const char *id = row_account_id (GTK_WIDGET (sw));
  PbAccount *account = id != NULL ? pb_monitor_lookup_account (self->monitor, id) : NULL;
  gboolean active = gtk_switch_get_active (sw);
  g_autoptr(GError) error = NULL;

  if (account == NULL || pb_account_get_enabled (account) == active)
    return;

  if (!change_account (self, id, set_enabled, GINT_TO_POINTER (active), &error))
    {
      show_message (GTK_WINDOW (self), GTK_MESSAGE_ERROR, _("Could not save the account"),
                    error->message);
      update_accounts (self);
    }
}

static GtkWidget *
account_row (PbPreferencesWindow *self,
             PbAccount           *account)
{
  const char *name = pb_account_get_display_name (account);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title, *subtitle, *sw, *button;
  g_autofree char *label = NULL;

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  g_object_set_data_full (G_OBJECT (row), "pb-account-id", g_strdup (pb_account_get_id (account)),
                          g_free);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_box_append (GTK_BOX (box), text_box (&title, &subtitle));
  g_object_set_data (G_OBJECT (row), "pb-title", title);
  g_object_set_data (G_OBJECT (row), "pb-subtitle", subtitle);

  sw = gtk_switch_new ();
  gtk_widget_set_name (sw, "enabled-switch");
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_end (sw, 6);
  gtk_widget_set_tooltip_text (sw, _("Check this account"));
  label = g_strdup_printf (_("Check “%s”"), name);
  set_accessible_label (sw, label);
  g_object_set_data (G_OBJECT (row), "pb-switch", sw);
  gtk_box_append (GTK_BOX (box), sw);
  g_clear_pointer (&label, g_free);

  label = g_strdup_printf (_("Edit “%s”"), name);
  button = icon_button ("document-edit-symbolic", "edit-button", _("Edit"), label);
  g_signal_connect (button, "clicked", G_CALLBACK (on_edit_clicked), self);
  gtk_box_append (GTK_BOX (box), button);
  g_clear_pointer (&label, g_free);

  label = g_strdup_printf (_("Remove “%s”"), name);
  button = icon_button ("user-trash-symbolic", "remove-button", _("Remove"), label);
  g_signal_connect (button, "clicked", G_CALLBACK (on_remove_clicked), self);
  gtk_box_append (GTK_BOX (box), button);

  return row;
}

static void
update_account_row (PbPreferencesWindow *self,
                    GtkWidget           *row,
                    PbAccount           *account)
{
  GtkWidget *sw = g_object_get_data (G_OBJECT (row), "pb-switch");
  guint interval = pb_account_get_interval (account);
  g_autofree char *where = NULL;
  g_autofree char *when = NULL;
  g_autofree char *subtitle = NULL;

  /* Translators: a user name at a server, "alice@example.com at pop.example.com:995". */
  where = g_strdup_printf (_("%s at %s:%u"), pb_account_get_user (account),
                           pb_account_get_host (account), pb_account_get_port (account));
  if (!pb_account_get_enabled (account))
    when = g_strdup (_("not checked"));
  else
    when = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "every minute", "every %u minutes",
                                         interval), interval);
  /* How it signs in, where it is not a password. */
  if (pb_account_get_oauth2_provider (account) != NULL)
    {
      g_autoptr(PbOAuth2Provider) provider =
        pb_oauth2_provider_lookup (pb_account_get_oauth2_provider (account), NULL);
      g_autofree char *how = NULL;
      char *joined;

      /* Translators: a provider such as "Google". */
      how = g_strdup_printf (_("signs in with %s"), provider != NULL
                                                    ? provider->name
                                                    : pb_account_get_oauth2_provider (account));
      joined = pb_describe_join (where, how);
      g_free (where);
      where = joined;
    }
  subtitle = pb_describe_join (where, when);

  gtk_label_set_text (g_object_get_data (G_OBJECT (row), "pb-title"),
                      pb_account_get_display_name (account));
  gtk_label_set_text (g_object_get_data (G_OBJECT (row), "pb-subtitle"), subtitle);

  g_signal_handlers_block_by_func (sw, on_enabled_changed, self);
  gtk_switch_set_active (GTK_SWITCH (sw), pb_account_get_enabled (account));
  g_signal_handlers_unblock_by_func (sw, on_enabled_changed, self);
}

static void
update_accounts (PbPreferencesWindow *self)
{
  GPtrArray *accounts = pb_monitor_get_accounts (self->monitor);
  g_autoptr(GString) ids = g_string_new (NULL);
  GtkWidget *child;
  guint i = 0;

  for (guint n = 0; n < accounts->len; n++)
    g_string_append_printf (ids, "%s\n", pb_account_get_id (g_ptr_array_index (accounts, n)));

  /* Other accounts: new rows. The same ones: updated in place, so that the
   * keyboard focus stays where it was. */
  if (g_strcmp0 (ids->str, self->shown_accounts) != 0)
    {
      g_free (self->shown_accounts);
      self->shown_accounts = g_strdup (ids->str);
      clear_list (self->account_list);

      if (accounts->len == 0)
        gtk_list_box_append (self->account_list,
                             placeholder_row (_("No accounts yet. Add one to start watching "
                                                "a mailbox.")));
      for (guint n = 0; n < accounts->len; n++)
        {
          GtkWidget *row = account_row (self, g_ptr_array_index (accounts, n));

          gtk_list_box_append (self->account_list, row);
          g_signal_connect (g_object_get_data (G_OBJECT (row), "pb-switch"), "notify::active",
                            G_CALLBACK (on_enabled_changed), self);
        }
    }

  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->account_list));
       child != NULL && i < accounts->len;
       child = gtk_widget_get_next_sibling (child))
    update_account_row (self, child, g_ptr_array_index (accounts, i++));
}

/* ---- The trusted certificates -------------------------------------------------- */

/* "host:port" (IPv6 hosts in brackets) → host and port. */
static gboolean
parse_trust_key (const char  *key,
                 char       **host,
                 guint16     *port)
{
  const char *colon = strrchr (key, ':');
  guint64 number;

  if (colon == NULL || colon == key ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT16, &number, NULL))
    return FALSE;
  if (key[0] == '[' && colon[-1] == ']')
    *host = g_strndup (key + 1, colon - key - 2);
  else
    *host = g_strndup (key, colon - key);
  *port = number;
  return TRUE;
}

static void
on_remove_pin_clicked (GtkButton           *button,
                       PbPreferencesWindow *self)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_LIST_BOX_ROW);
  const char *key = g_object_get_data (G_OBJECT (row), "pb-trust-key");
  PbTrustStore *pins = pb_monitor_get_trust_store (self->monitor);
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  guint16 port;

  if (key == NULL || !parse_trust_key (key, &host, &port))
    return;

  if (!pb_account_admin_forget (pb_monitor_get_admin (self->monitor), host, port, &error) &&
      !g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND))
    show_message (GTK_WINDOW (self), GTK_MESSAGE_ERROR,
                  _("Could not remove the trusted certificate"), error->message);
  /* The monitor's store follows the file at once, not only when its watch fires. */
  pb_trust_store_reload (pins, NULL);
  update_certificates (self);
}

static GtkWidget *
certificate_row (PbPreferencesWindow *self,
                 const char          *key,
                 const char          *host,
                 guint16              port)
{
  PbTrustStore *pins = pb_monitor_get_trust_store (self->monitor);
  const char *hex = pb_trust_store_get_fingerprint (pins, host, port);
  GDateTime *pinned_at = pb_trust_store_get_pinned_at (pins, host, port);
  g_autofree char *fingerprint = hex != NULL ? pb_fingerprint_format (hex) : g_strdup ("");
  g_autofree char *short_fingerprint = NULL;
  g_autofree char *when = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *label = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title, *subtitle_label, *button;

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  g_object_set_data_full (G_OBJECT (row), "pb-trust-key", g_strdup (key), g_free);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_box_append (GTK_BOX (box), text_box (&title, &subtitle_label));

  /* The first groups tell certificates apart; the tooltip has all of it. */
  short_fingerprint = g_strdup_printf ("SHA-256 %.*s…", 11, fingerprint);
  if (pinned_at != NULL)
    {
      g_autofree char *date = pb_describe_date (pinned_at);
      when = g_strdup_printf (_("Trusted on %s"), date);
    }
  else
    when = g_strdup (_("Trusted"));
  subtitle = pb_describe_join (when, short_fingerprint);
  gtk_label_set_text (GTK_LABEL (title), key);
  gtk_label_set_text (GTK_LABEL (subtitle_label), subtitle);
  gtk_widget_set_tooltip_text (subtitle_label, fingerprint);

  label = g_strdup_printf (_("Remove the trusted certificate of %s"), key);
  button = icon_button ("user-trash-symbolic", "remove-button", _("Remove"), label);
  g_signal_connect (button, "clicked", G_CALLBACK (on_remove_pin_clicked), self);
  gtk_box_append (GTK_BOX (box), button);
  return row;
}

static void
update_certificates (PbPreferencesWindow *self)
{
  PbTrustStore *pins;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GString) shown = g_string_new (NULL);

  /* The window may become inactive while it is being destroyed. */
  if (self->monitor == NULL)
    return;
  pins = pb_monitor_get_trust_store (self->monitor);
  keys = pb_trust_store_list_keys (pins);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *host = NULL;
      guint16 port;

      if (parse_trust_key (keys[i], &host, &port))
        g_string_append_printf (shown, "%s %s\n", keys[i],
                                pb_trust_store_get_fingerprint (pins, host, port));
    }
  if (g_strcmp0 (shown->str, self->shown_certificates) == 0)
    return;
  g_free (self->shown_certificates);
  self->shown_certificates = g_strdup (shown->str);

  clear_list (self->certificate_list);
  if (keys[0] == NULL)
    gtk_list_box_append (self->certificate_list,
                         placeholder_row (_("No trusted certificates")));
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *host = NULL;
      guint16 port;

      if (parse_trust_key (keys[i], &host, &port))
        gtk_list_box_append (self->certificate_list,
                             certificate_row (self, keys[i], host, port));
    }
}

/* ---- The mail client ------------------------------------------------------------- */

static void follow_command_choice (PbPreferencesWindow *self);

static void
on_mail_client_setting (PbPreferencesWindow *self)
{
  g_autofree char *command = g_settings_get_string (self->settings, PB_SETTINGS_MAIL_CLIENT);

  if (*command != '\0')
    {
      if (g_strcmp0 (gtk_editable_get_text (self->mail_client_entry), command) != 0)
        gtk_editable_set_text (self->mail_client_entry, command);
      gtk_check_button_set_active (self->command_client_radio, TRUE);
    }
  else if (!gtk_check_button_get_active (self->command_client_radio) ||
           *gtk_editable_get_text (self->mail_client_entry) != '\0')
    gtk_check_button_set_active (self->system_client_radio, TRUE);
  follow_command_choice (self);
}

static void
follow_command_choice (PbPreferencesWindow *self)
{
  GtkWidget *entry = GTK_WIDGET (self->mail_client_entry);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  gboolean command = gtk_check_button_get_active (self->command_client_radio);

  /* A focused entry must not turn insensitive under the keyboard. */
  if (!command && focus != NULL && (focus == entry || gtk_widget_is_ancestor (focus, entry)))
    gtk_widget_grab_focus (GTK_WIDGET (self->system_client_radio));
  gtk_widget_set_sensitive (entry, command);
}

static void
store_mail_client (PbPreferencesWindow *self)
{
  const char *command = "";
  g_autofree char *stored = g_settings_get_string (self->settings, PB_SETTINGS_MAIL_CLIENT);

  follow_command_choice (self);
  if (gtk_check_button_get_active (self->command_client_radio))
    command = gtk_editable_get_text (self->mail_client_entry);
  if (g_strcmp0 (stored, command) != 0)
    g_settings_set_string (self->settings, PB_SETTINGS_MAIL_CLIENT, command);
}

static void
on_command_toggled (PbPreferencesWindow *self)
{
  store_mail_client (self);
  if (gtk_check_button_get_active (self->command_client_radio))
    gtk_widget_grab_focus (GTK_WIDGET (self->mail_client_entry));
}

/* ---- GObject ---------------------------------------------------------------------- */

static void
on_account_changed (PbPreferencesWindow *self)
{
  update_accounts (self);
  /* A certificate trusted elsewhere shows up with the check that follows. */
  update_certificates (self);
}

static void
pb_preferences_window_dispose (GObject *object)
{
  PbPreferencesWindow *self = PB_PREFERENCES_WINDOW (object);

  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->monitor);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pb_preferences_window_parent_class)->dispose (object);
}

static void
pb_preferences_window_finalize (GObject *object)
{
  PbPreferencesWindow *self = PB_PREFERENCES_WINDOW (object);

  g_free (self->shown_accounts);
  g_free (self->shown_certificates);

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
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, show_count_switch);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, start_at_login_switch);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, system_client_radio);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, command_client_radio);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, mail_client_entry);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, account_list);
  gtk_widget_class_bind_template_child (widget_class, PbPreferencesWindow, certificate_list);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pb_preferences_window_init (PbPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pb_accessible_fix_names (GTK_WIDGET (self));
  ensure_style (GTK_WIDGET (self));
  gtk_widget_set_name (GTK_WIDGET (self->mail_client_entry), "mail-client-entry");
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
  g_settings_bind (settings, PB_SETTINGS_SHOW_COUNT, self->show_count_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, PB_SETTINGS_START_AT_LOGIN, self->start_at_login_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  on_mail_client_setting (self);
  g_signal_connect_swapped (settings, "changed::" PB_SETTINGS_MAIL_CLIENT,
                            G_CALLBACK (on_mail_client_setting), self);
  g_signal_connect_swapped (self->command_client_radio, "toggled",
                            G_CALLBACK (on_command_toggled), self);
  g_signal_connect_swapped (self->mail_client_entry, "changed",
                            G_CALLBACK (store_mail_client), self);

  g_signal_connect_swapped (monitor, "account-changed", G_CALLBACK (on_account_changed), self);
  g_signal_connect_swapped (self, "notify::is-active", G_CALLBACK (update_certificates), self);
  update_accounts (self);
  update_certificates (self);
  return self;
}
