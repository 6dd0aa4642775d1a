/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-actions.h"
#include "app/core/pb-error.h"
#include "app/core/pb-settings.h"
#include "app/shell/pb-autostart.h"
#include "app/shell/pb-dbus-service.h"
#include "app/shell/pb-mail-client.h"
#include "app/shell/pb-notifier.h"
#include "app/shell/pb-tray.h"
#include "pb-account-wizard.h"
#include "pb-application.h"
#include "pb-mail-window.h"
#include "pb-password-dialog.h"
#include "pb-preferences-window.h"
#include "pb-sign-in-dialog.h"
#include "pb-trust-dialog.h"

#ifdef GDK_WINDOWING_WAYLAND
#include <gdk/wayland/gdkwayland.h>
#endif

struct _PbApplication
{
  GtkApplication  parent_instance;

  GSettings      *settings;
  PbMonitor      *monitor;
  PbNotifier     *notifier;
  PbTray         *tray;
  PbDbusService  *dbus_service;      /* io.github.popbell.Popbell1, for other programs */
  GPtrArray      *startup_problems;  /* char*: files set aside while loading */
  /* The first activation of an instance started without --show is the
   * start itself: it stays in the background. */
  gboolean        quiet_activation;
};

G_DEFINE_FINAL_TYPE (PbApplication, pb_application, GTK_TYPE_APPLICATION)

static const GOptionEntry applet_entries[] = {
  { "show", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the mail window"), NULL },
  { "preferences", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the preferences"), NULL },
  { NULL }
};

/* ---- Small helpers ------------------------------------------------------ */

/* A notification's activation token, for the window its action opens.
 * GTK 4.8 has no call that takes a token for one window
 * (gdk_toplevel_set_startup_id came in 4.10); on Wayland the display keeps
 * one for the next gtk_window_present, which hands it to xdg_activation_v1.
 * This is what GTK itself does with a "desktop-startup-id" in the platform
 * data of a request over D-Bus (gtkapplication-wayland.c). On X11 the
 * window manager goes by the click's time instead. */
static void
on_activation_token (PbNotifier *notifier,
                     const char *token,
                     gpointer    user_data)
{
  g_debug ("Activation token from the notification server: %s", token);
#ifdef GDK_WINDOWING_WAYLAND
  if (GDK_IS_WAYLAND_DISPLAY (gdk_display_get_default ()))
    gdk_wayland_display_set_startup_notification_id (gdk_display_get_default (), token);
#endif
}

static GtkWindow *
find_window (PbApplication *self,
             GType          type)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}

/* A plain-text message (never markup: it may quote servers and certificates). */
static void
show_message (PbApplication  *self,
              GtkMessageType  type,
              const char     *primary,
              const char     *secondary)
{
  GtkWidget *dialog;

  dialog = gtk_message_dialog_new (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                   GTK_DIALOG_DESTROY_WITH_PARENT, type, GTK_BUTTONS_CLOSE,
                                   "%s", primary);
  if (secondary != NULL)
    gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", secondary);
  gtk_window_set_title (GTK_WINDOW (dialog), "Popbell");
  gtk_window_set_application (GTK_WINDOW (dialog), GTK_APPLICATION (self));
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* "" in an action's parameter means every account. */
static const char *
account_parameter (GVariant *parameter)
{
  const char *id = g_variant_get_string (parameter, NULL);

  return *id == '\0' ? NULL : id;
}

/* ---- Actions ------------------------------------------------------------- */

static void
on_check_now (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PbApplication *self = user_data;

  if (self->monitor != NULL)
    pb_monitor_check_now (self->monitor, account_parameter (parameter));
}

static void
on_show_window (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  PbApplication *self = user_data;
  GtkWindow *window = find_window (self, PB_TYPE_MAIL_WINDOW);

  if (self->monitor == NULL)
    return;
  if (window == NULL)
    {
      window = GTK_WINDOW (pb_mail_window_new (GTK_APPLICATION (self), self->monitor));
      gtk_window_set_hide_on_close (window, TRUE);
    }
  g_debug ("Showing the mail window");
  gtk_window_present (window);
}

static void
on_open_mail_client (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  PbApplication *self = user_data;
  g_autoptr(GdkAppLaunchContext) context = NULL;
  g_autoptr(GError) error = NULL;

  if (self->settings == NULL)
    return;
  context = gdk_display_get_app_launch_context (gdk_display_get_default ());
  if (!pb_mail_client_open (self->settings, G_APP_LAUNCH_CONTEXT (context), &error))
    show_message (self, GTK_MESSAGE_ERROR, _("Could not open the mail client"), error->message);
}

static void
on_open_mail (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PbApplication *self = user_data;
  const char *id = account_parameter (parameter);
  g_autoptr(GdkAppLaunchContext) context = NULL;
  g_autoptr(GError) error = NULL;
  PbAccount *account = NULL;

  if (self->settings == NULL || self->monitor == NULL)
    return;
  if (id != NULL)
    account = pb_monitor_lookup_account (self->monitor, id);
  context = gdk_display_get_app_launch_context (gdk_display_get_default ());
  if (!pb_mail_client_open_for (self->settings, account, G_APP_LAUNCH_CONTEXT (context), &error))
    show_message (self, GTK_MESSAGE_ERROR, _("Could not open the mail"), error->message);
}

static void
on_mark_read (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PbApplication *self = user_data;

  if (self->monitor != NULL)
    pb_monitor_acknowledge (self->monitor, account_parameter (parameter));
}

static void
on_review_certificate (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  PbApplication *self = user_data;
  const char *id = account_parameter (parameter);

  /* From a notification, the tray or the mail window: a window of its own. */
  if (self->monitor != NULL && id != NULL)
    pb_trust_dialog_review_account (NULL, GTK_APPLICATION (self), self->monitor, id);
}

static void on_sign_in (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data);

static void
on_enter_password (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  PbApplication *self = user_data;
  const char *id = account_parameter (parameter);
  GtkWindow *window = NULL;
  PbAccount *account;

  if (self->monitor == NULL || id == NULL ||
      (account = pb_monitor_lookup_account (self->monitor, id)) == NULL)
    return;
  /* An account that signs in has no password to ask for. */
  if (pb_account_get_oauth2_provider (account) != NULL)
    {
      on_sign_in (action, parameter, user_data);
      return;
    }

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (PB_IS_PASSWORD_DIALOG (l->data) &&
        g_strcmp0 (pb_password_dialog_get_account_id (l->data), id) == 0)
      window = l->data;

  if (window == NULL)
    window = GTK_WINDOW (pb_password_dialog_new (GTK_APPLICATION (self), self->monitor, id));
  g_debug ("Opening the login dialog of %s", id);
  gtk_window_present (window);
}

static void
on_sign_in (GSimpleAction *action,
            GVariant      *parameter,
            gpointer       user_data)
{
  PbApplication *self = user_data;
  const char *id = account_parameter (parameter);
  GtkWindow *window = NULL;

  if (self->monitor == NULL || id == NULL || pb_monitor_lookup_account (self->monitor, id) == NULL)
    return;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (PB_IS_SIGN_IN_DIALOG (l->data) &&
        g_strcmp0 (pb_sign_in_dialog_get_account_id (l->data), id) == 0)
      window = l->data;

  if (window == NULL)
    window = GTK_WINDOW (pb_sign_in_dialog_new (GTK_APPLICATION (self), self->monitor, id));
  gtk_window_present (window);
}

static void
on_preferences (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  PbApplication *self = user_data;
  GtkWindow *window = find_window (self, PB_TYPE_PREFERENCES_WINDOW);

  if (self->monitor == NULL)
    return;
  if (window == NULL)
    window = GTK_WINDOW (pb_preferences_window_new (GTK_APPLICATION (self), self->monitor,
                                                    self->settings));
  gtk_window_present (window);
}

static void
on_add_account (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  PbApplication *self = user_data;
  GtkWindow *window = find_window (self, PB_TYPE_ACCOUNT_WIZARD);

  if (self->monitor == NULL)
    return;
  /* The wizard searches and tests with the real defaults (network, system
   * trust, the system resolver). */
  if (window == NULL)
    window = GTK_WINDOW (pb_account_wizard_new (GTK_APPLICATION (self), self->monitor));
  gtk_window_present (window);
}

static void
on_quit (GSimpleAction *action,
         GVariant      *parameter,
         gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry action_entries[] = {
  { PB_ACTION_CHECK_NOW, on_check_now, "s" },
  { PB_ACTION_SHOW_WINDOW, on_show_window },
  { PB_ACTION_OPEN_MAIL_CLIENT, on_open_mail_client },
  { PB_ACTION_OPEN_MAIL, on_open_mail, "s" },
  { PB_ACTION_MARK_READ, on_mark_read, "s" },
  { PB_ACTION_REVIEW_CERTIFICATE, on_review_certificate, "s" },
  { PB_ACTION_ENTER_PASSWORD, on_enter_password, "s" },
  { PB_ACTION_SIGN_IN, on_sign_in, "s" },
  { PB_ACTION_PREFERENCES, on_preferences },
  { PB_ACTION_ADD_ACCOUNT, on_add_account },
  { PB_ACTION_QUIT, on_quit },
};

/* ---- GApplication -------------------------------------------------------- */

static void
note_load_error (PbApplication *self,
                 GError        *error)
{
  g_debug ("%s", error->message);
  /* Corrupt files were set aside: the user should know why the accounts or
   * trusted certificates are gone. */
  g_ptr_array_add (self->startup_problems, g_strdup (error->message));
}

static void
pb_application_startup (GApplication *app)
{
  PbApplication *self = PB_APPLICATION (app);
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (NULL);
  g_autoptr(GError) error = NULL;

  G_APPLICATION_CLASS (pb_application_parent_class)->startup (app);

  if (!pb_account_store_load (accounts, &error))
    {
      note_load_error (self, error);
      g_clear_error (&error);
    }
  /* Pins follow trust.ini, so one that popbell --forget-trust removed stops
   * counting here at once. Watched before the first read, so that no change
   * falls between the two. */
  if (!pb_trust_store_watch (pins, &error))
    {
      g_debug ("Not following the trusted certificates: %s", error->message);
      g_clear_error (&error);
    }
  if (!pb_trust_store_load (pins, &error))
    {
      note_load_error (self, error);
      g_clear_error (&error);
    }

  self->settings = g_settings_new (PB_SETTINGS_SCHEMA);
  self->monitor = pb_monitor_new (accounts, pins, NULL, NULL);
  self->notifier = pb_notifier_new (self->monitor, G_ACTION_GROUP (self), self->settings);
  g_signal_connect (self->notifier, "activation-token", G_CALLBACK (on_activation_token), self);
  if (self->dbus_service != NULL)
    pb_dbus_service_set_monitor (self->dbus_service, self->monitor);
  pb_autostart_follow (self->settings, "popbell");

  /* The tray icon, wherever the desktop hosts StatusNotifierItems. Its icons
   * are in the hicolor theme once installed; from a build tree,
   * POPBELL_ICON_DIR says where they are. */
  if (g_application_get_dbus_connection (app) != NULL)
    {
      const char *icon_dir = g_getenv ("POPBELL_ICON_DIR");
      g_autofree char *installed = g_build_filename (POPBELL_DATADIR, "icons", NULL);

      self->tray = pb_tray_new (g_application_get_dbus_connection (app), self->monitor,
                                G_ACTION_GROUP (self), icon_dir ? icon_dir : installed);
      g_settings_bind (self->settings, PB_SETTINGS_SHOW_COUNT, self->tray, "show-count",
                       G_SETTINGS_BIND_GET);
      /* Where no panel hosts the icon, the notifications lead to the window. */
      g_object_bind_property (self->tray, "registered", self->notifier, "tray-shown",
                              G_BINDING_SYNC_CREATE);
    }
  else
    g_object_set (self->notifier, "tray-shown", FALSE, NULL);

  /* A background applet: no window keeps it alive, only the user's quit. */
  g_application_hold (app);
  pb_monitor_start (self->monitor);

  for (guint i = 0; i < self->startup_problems->len; i++)
    show_message (self, GTK_MESSAGE_WARNING, _("A file of Popbell could not be read"),
                  g_ptr_array_index (self->startup_problems, i));
  g_ptr_array_set_size (self->startup_problems, 0);

  /* First start: nothing to watch yet. */
  if (pb_monitor_get_accounts (self->monitor)->len == 0)
    g_action_group_activate_action (G_ACTION_GROUP (self), PB_ACTION_ADD_ACCOUNT, NULL);
}

static void
pb_application_activate (GApplication *app)
{
  PbApplication *self = PB_APPLICATION (app);

  if (self->quiet_activation)
    {
      self->quiet_activation = FALSE;
      return;
    }
  /* Started again from the launcher or the desktop: show what is new. */
  g_action_group_activate_action (G_ACTION_GROUP (self), PB_ACTION_SHOW_WINDOW, NULL);
}

/* Requests over D-Bus (popbell --show from a launcher) carry the launcher's
 * token in their platform data; GTK uses it itself. Logged, since whether a
 * window may take the focus is the compositor's decision. */
static void
pb_application_before_emit (GApplication *app,
                            GVariant     *platform_data)
{
  const char *token = NULL;

  if (g_variant_lookup (platform_data, "activation-token", "&s", &token) ||
      g_variant_lookup (platform_data, "desktop-startup-id", "&s", &token))
    g_debug ("Activation token from the request: %s", token);

  G_APPLICATION_CLASS (pb_application_parent_class)->before_emit (app, platform_data);
}

static int
pb_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  PbApplication *self = PB_APPLICATION (app);
  g_autoptr(GError) error = NULL;
  const char *action = NULL;

  if (g_variant_dict_contains (options, "show"))
    action = PB_ACTION_SHOW_WINDOW;
  else if (g_variant_dict_contains (options, "preferences"))
    action = PB_ACTION_PREFERENCES;

  if (action == NULL)
    {
      /* Started without options: run in the background. (Launched by D-Bus as
       * a service, Activate comes from the desktop and shows the window.) */
      if (!(g_application_get_flags (app) & G_APPLICATION_IS_SERVICE))
        self->quiet_activation = TRUE;
      return -1;
    }

  if (!g_application_register (app, NULL, &error))
    {
      g_printerr ("popbell-applet: %s\n", error->message);
      return 1;
    }
  /* Reaches the running instance over D-Bus when there is one. */
  g_action_group_activate_action (G_ACTION_GROUP (app), action, NULL);
  if (g_application_get_is_remote (app))
    return 0;

  self->quiet_activation = TRUE;
  return -1;
}

/* Exported before the name is owned, so that the call which started the
 * applet by D-Bus activation finds the interface. */
static gboolean
pb_application_dbus_register (GApplication     *app,
                              GDBusConnection  *connection,
                              const char       *object_path,
                              GError          **error)
{
  PbApplication *self = PB_APPLICATION (app);

  if (!G_APPLICATION_CLASS (pb_application_parent_class)->dbus_register (app, connection,
                                                                         object_path, error))
    return FALSE;
  self->dbus_service = pb_dbus_service_new (connection, object_path, error);
  return self->dbus_service != NULL;
}

static void
pb_application_dbus_unregister (GApplication    *app,
                                GDBusConnection *connection,
                                const char      *object_path)
{
  PbApplication *self = PB_APPLICATION (app);

  g_clear_object (&self->dbus_service);
  G_APPLICATION_CLASS (pb_application_parent_class)->dbus_unregister (app, connection,
                                                                      object_path);
}

static void
pb_application_shutdown (GApplication *app)
{
  PbApplication *self = PB_APPLICATION (app);
  GList *windows;

  /* Windows hold the monitor and the application: let them go first. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL)
    gtk_window_destroy (windows->data);

  g_clear_object (&self->dbus_service);
  g_clear_object (&self->tray);
  g_clear_object (&self->notifier);
  g_clear_object (&self->monitor);
  g_clear_object (&self->settings);

  G_APPLICATION_CLASS (pb_application_parent_class)->shutdown (app);
}

static void
pb_application_dispose (GObject *object)
{
  PbApplication *self = PB_APPLICATION (object);

  g_clear_object (&self->dbus_service);
  g_clear_object (&self->tray);
  g_clear_object (&self->notifier);
  g_clear_object (&self->monitor);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pb_application_parent_class)->dispose (object);
}

static void
pb_application_finalize (GObject *object)
{
  PbApplication *self = PB_APPLICATION (object);

  g_ptr_array_unref (self->startup_problems);

  G_OBJECT_CLASS (pb_application_parent_class)->finalize (object);
}

static void
pb_application_class_init (PbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = pb_application_dispose;
  object_class->finalize = pb_application_finalize;
  app_class->startup = pb_application_startup;
  app_class->activate = pb_application_activate;
  app_class->before_emit = pb_application_before_emit;
  app_class->handle_local_options = pb_application_handle_local_options;
  app_class->shutdown = pb_application_shutdown;
  app_class->dbus_register = pb_application_dbus_register;
  app_class->dbus_unregister = pb_application_dbus_unregister;
}

static void
pb_application_init (PbApplication *self)
{
  self->startup_problems = g_ptr_array_new_with_free_func (g_free);

  /* Added before registering, so that a request arriving over D-Bus at once
   * finds them. */
  g_action_map_add_action_entries (G_ACTION_MAP (self), action_entries,
                                   G_N_ELEMENTS (action_entries), self);
  g_application_add_main_option_entries (G_APPLICATION (self), applet_entries);
}

PbApplication *
pb_application_new (void)
{
  return g_object_new (PB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

PbMonitor *
pb_application_get_monitor (PbApplication *self)
{
  g_return_val_if_fail (PB_IS_APPLICATION (self), NULL);

  return self->monitor;
}
