/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-notifier"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libnotify/notify.h>

#include "app/core/pb-actions.h"
#include "app/core/pb-error.h"
#include "app/core/pb-message.h"
#include "app/core/pb-settings.h"
#include "app/core/pb-text.h"
#include "pb-describe.h"
#include "pb-do-not-disturb.h"
#include "pb-notifier.h"

/* Newest messages named in a notification about several. */
#define MAX_LINES          3
/* Longer senders and subjects are cut: a notification is a glance. */
#define MAX_FIELD_CHARS    100
#define CAPS_TIMEOUT_MS    5000

#define NOTIFICATIONS_NAME  "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH  "/org/freedesktop/Notifications"

typedef struct
{
  NotifyNotification *mail;        /* the new-mail notification on screen, or NULL */
  GPtrArray          *messages;    /* PbMessage* it tells about, oldest first */
  guint               count;       /* new messages it tells about (some without preview) */
  NotifyNotification *attention;   /* the problem notification on screen, or NULL */
  PbAccountState      told;        /* the state it was shown for, IDLE when none */
} Notes;

struct _PbNotifier
{
  GObject       parent_instance;

  PbMonitor    *monitor;
  GActionGroup *actions;
  GSettings    *settings;
  GHashTable   *notes;             /* account ID → Notes* */
  PbDoNotDisturb *do_not_disturb;
  gboolean      tray_shown;        /* a tray icon offers the mail window */
  char        **caps;              /* the server's capabilities, NULL until known */
};

G_DEFINE_FINAL_TYPE (PbNotifier, pb_notifier, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TRAY_SHOWN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_ACTIVATION_TOKEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  PbNotifier *notifier;            /* unowned: the notifier clears actions before it goes */
  const char *action;              /* a PB_ACTION_* name */
  char       *account_id;          /* the action's parameter, or NULL for none */
} ActionData;

static void
action_data_free (gpointer data)
{
  ActionData *action_data = data;

  g_free (action_data->account_id);
  g_free (action_data);
}

static void
forget_notification (NotifyNotification **notification,
                     PbNotifier          *self)
{
  if (*notification == NULL)
    return;

  g_signal_handlers_disconnect_by_data (*notification, self);
  /* No callback may outlive the notifier, whoever still holds the notification. */
  notify_notification_clear_actions (*notification);
  g_clear_object (notification);
}

static void
close_notification (NotifyNotification **notification,
                    PbNotifier          *self)
{
  g_autoptr(GError) error = NULL;

  if (*notification == NULL)
    return;

  if (!notify_notification_close (*notification, &error))
    g_debug ("Could not close a notification: %s", error->message);
  forget_notification (notification, self);
}

static void
notes_free (gpointer data)
{
  Notes *notes = data;

  g_clear_pointer (&notes->messages, g_ptr_array_unref);
  g_free (notes);
}

static Notes *
get_notes (PbNotifier *self,
           const char *account_id)
{
  Notes *notes = g_hash_table_lookup (self->notes, account_id);

  if (notes == NULL)
    {
      notes = g_new0 (Notes, 1);
      notes->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
      notes->told = PB_ACCOUNT_STATE_IDLE;
      g_hash_table_insert (self->notes, g_strdup (account_id), notes);
    }
  return notes;
}

static void
reset_mail (Notes *notes)
{
  g_ptr_array_set_size (notes->messages, 0);
  notes->count = 0;
}

/* ---- The server ---------------------------------------------------------- */

/* Asked once, and again only while the answer is missing: a server that
 * starts after Popbell (D-Bus activation, a slow session) is found later. */
static gboolean
server_has (PbNotifier *self,
            const char *capability)
{
  if (self->caps == NULL)
    {
      g_autoptr(GDBusConnection) bus = NULL;
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GError) error = NULL;

      bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
      if (bus != NULL)
        reply = g_dbus_connection_call_sync (bus, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                                             NOTIFICATIONS_NAME, "GetCapabilities", NULL,
                                             G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE,
                                             CAPS_TIMEOUT_MS, NULL, &error);
      if (reply == NULL)
        {
          g_debug ("No notification server capabilities: %s", error->message);
          return FALSE;
        }
      g_variant_get (reply, "(^as)", &self->caps);
    }

  return g_strv_contains ((const char * const *) self->caps, capability);
}

/* ---- Text ---------------------------------------------------------------- */

/* Text from mail and servers on one line and at a readable length. */
static char *
tidy (const char *text)
{
  return pb_text_clean (text, -1, MAX_FIELD_CHARS);
}

static char *
message_sender (const PbMessage *message)
{
  return pb_describe_sender (message, MAX_FIELD_CHARS);
}

static char *
message_subject (const PbMessage *message)
{
  return pb_describe_subject (message, MAX_FIELD_CHARS);
}

/* Only what markup gives a meaning to: servers parse the body with anything
 * from Pango to a small HTML subset, and not all know &apos; or &quot;. */
static char *
escape_markup (const char *text)
{
  g_autoptr(GString) escaped = g_string_new (text);

  g_string_replace (escaped, "&", "&amp;", 0);
  g_string_replace (escaped, "<", "&lt;", 0);
  g_string_replace (escaped, ">", "&gt;", 0);
  return g_string_free (g_steal_pointer (&escaped), FALSE);
}

/* The body goes out as the server takes it: plain text, or markup when the
 * server announces body-markup, where every character we send must be text. */
static char *
body_for_server (PbNotifier *self,
                 const char *body)
{
  if (body == NULL)
    return NULL;
  if (server_has (self, "body-markup"))
    return escape_markup (body);
  return g_strdup (body);
}

static PbAccount *
lookup_account (PbNotifier *self,
                const char *account_id)
{
  return pb_monitor_lookup_account (self->monitor, account_id);
}

static const char *
account_name (PbNotifier *self,
              const char *account_id)
{
  PbAccount *account = lookup_account (self, account_id);

  return account != NULL ? pb_account_get_display_name (account) : account_id;
}

static const char *
account_host (PbNotifier *self,
              const char *account_id)
{
  PbAccount *account = lookup_account (self, account_id);

  if (account != NULL && pb_account_get_host (account) != NULL)
    return pb_account_get_host (account);
  return account_id;
}

/* ---- Actions ------------------------------------------------------------- */

static void
on_action (NotifyNotification *notification,
           char               *action,
           gpointer            user_data)
{
  ActionData *data = user_data;
  PbNotifier *self = data->notifier;
  GVariant *parameter = NULL;

  if (!g_action_group_has_action (self->actions, data->action))
    {
      g_debug ("No action “%s” to run for the notification", data->action);
      return;
    }

  /* The server's token for this click (libnotify has it only while this
   * callback runs): the window the action opens may take the focus with it. */
  if (notify_notification_get_activation_token (notification) != NULL)
    g_signal_emit (self, signals[SIGNAL_ACTIVATION_TOKEN], 0,
                   notify_notification_get_activation_token (notification));

  if (data->account_id != NULL)
    parameter = g_variant_new_string (data->account_id);
  g_action_group_activate_action (self->actions, data->action, parameter);
}

static void
add_action (PbNotifier         *self,
            NotifyNotification *notification,
            const char         *id,
            const char         *label,
            const char         *action,
            const char         *account_id)
{
  ActionData *data = g_new0 (ActionData, 1);

  data->notifier = self;
  data->action = action;
  data->account_id = g_strdup (account_id);
  notify_notification_add_action (notification, id, label, on_action, data, action_data_free);
}

/* ---- Showing ------------------------------------------------------------- */

static void
on_mail_closed (NotifyNotification *notification,
                gpointer            user_data)
{
  PbNotifier *self = user_data;
  GHashTableIter iter;
  Notes *notes;

  /* Dismissed: the next mail starts a new notification, about itself only. */
  g_hash_table_iter_init (&iter, self->notes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &notes))
    if (notes->mail == notification)
      {
        forget_notification (&notes->mail, self);
        reset_mail (notes);
      }
}

static void
on_attention_closed (NotifyNotification *notification,
                     gpointer            user_data)
{
  PbNotifier *self = user_data;
  GHashTableIter iter;
  Notes *notes;

  /* What was told stays told (notes->told): only the notification goes. */
  g_hash_table_iter_init (&iter, self->notes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &notes))
    if (notes->attention == notification)
      forget_notification (&notes->attention, self);
}

/* Puts @summary/@body in *@slot, replacing what it showed before; show () shows it. */
static void
prepare (PbNotifier          *self,
         NotifyNotification **slot,
         GCallback            on_closed,
         const char          *summary,
         const char          *body,
         const char          *category)
{
  g_autofree char *server_body = body_for_server (self, body);

  if (*slot == NULL)
    {
      *slot = notify_notification_new (summary, server_body, APP_ID);
      g_signal_connect (*slot, "closed", on_closed, self);
    }
  else
    {
      notify_notification_update (*slot, summary, server_body, APP_ID);
      notify_notification_clear_actions (*slot);
    }

  /* Hints stay from one update to the next: a sound must not. */
  notify_notification_clear_hints (*slot);
  notify_notification_set_category (*slot, category);
  notify_notification_set_urgency (*slot, NOTIFY_URGENCY_NORMAL);
  notify_notification_set_hint_string (*slot, "desktop-entry", APP_ID);
}

static gboolean
show (PbNotifier          *self,
      NotifyNotification **slot)
{
  g_autoptr(GError) error = NULL;

  if (notify_notification_show (*slot, &error))
    return TRUE;

  /* No notification server: nothing to replace later either. */
  g_debug ("Could not show a notification: %s", error->message);
  forget_notification (slot, self);
  return FALSE;
}

static gboolean
setting (PbNotifier *self,
         const char *key,
         gboolean    fallback)
{
  if (self->settings == NULL)
    return fallback;
  return g_settings_get_boolean (self->settings, key);
}

static char *
mail_summary_count (guint       count,
                    const char *name)
{
  /* Translators: the number of new messages, then the account's name. */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new message in %s",
                                       "%u new messages in %s", count),
                          count, name);
}

static char *
mail_body_lines (Notes *notes)
{
  g_autoptr(GString) body = g_string_new (NULL);
  guint shown = 0;

  for (guint i = notes->messages->len; i > 0 && shown < MAX_LINES; i--, shown++)
    {
      const PbMessage *message = g_ptr_array_index (notes->messages, i - 1);
      g_autofree char *sender = message_sender (message);
      g_autofree char *subject = message_subject (message);

      if (body->len > 0)
        g_string_append_c (body, '\n');
      /* Translators: one line per new message: its sender, then its subject. */
      g_string_append_printf (body, _("%s — %s"), sender, subject);
    }

  if (notes->count > shown && shown > 0)
    {
      guint more = notes->count - shown;

      g_string_append_c (body, '\n');
      /* Translators: after the lines about the newest messages. */
      g_string_append_printf (body, g_dngettext (GETTEXT_PACKAGE, "and %u more",
                                                 "and %u more", more), more);
    }

  if (body->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&body), FALSE);
}

static void
on_new_mail (PbMonitor  *monitor,
             const char *account_id,
             GPtrArray  *messages,
             guint       count,
             gpointer    user_data)
{
  PbNotifier *self = user_data;
  PbAccount *account = lookup_account (self, account_id);
  g_autofree char *summary = NULL;
  g_autofree char *body = NULL;
  const char *sound;
  Notes *notes;

  if (count == 0 || !setting (self, PB_SETTINGS_NOTIFY_NEW_MAIL, TRUE) ||
      (account != NULL && !pb_account_get_notify_new_mail (account)))
    return;
  /* The count, the tray and the window change all the same. */
  if (pb_do_not_disturb_get_active (self->do_not_disturb))
    {
      g_debug ("%s: %u new, not shown: do not disturb", account_id, count);
      return;
    }

  notes = get_notes (self, account_id);
  /* A notification still on screen grows: replacing it must not hide earlier mail. */
  if (notes->mail == NULL)
    reset_mail (notes);
  notes->count += count;
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    g_ptr_array_add (notes->messages, pb_message_copy (g_ptr_array_index (messages, i)));

  if (setting (self, PB_SETTINGS_PRIVACY, FALSE))
    {
      summary = mail_summary_count (notes->count, account_name (self, account_id));
    }
  else if (notes->count == 1 && notes->messages->len == 1)
    {
      const PbMessage *message = g_ptr_array_index (notes->messages, 0);

      summary = message_sender (message);
      body = message_subject (message);
    }
  else
    {
      summary = mail_summary_count (notes->count, account_name (self, account_id));
      body = mail_body_lines (notes);
    }

  prepare (self, &notes->mail, G_CALLBACK (on_mail_closed), summary, body, "email.arrived");
  sound = account != NULL ? pb_account_get_sound (account) : PB_ACCOUNT_SOUND_DEFAULT;
  if (g_strcmp0 (sound, PB_ACCOUNT_SOUND_NONE) != 0)
    notify_notification_set_hint_string (notes->mail, "sound-name", sound);
  if (server_has (self, "actions"))
    {
      gboolean webmail = account != NULL && pb_account_get_webmail (account) != NULL;
      const char *open = webmail ? _("Open webmail") : _("Open mail client");

      /* Without a tray icon the notification is the way to the mail window. */
      if (self->tray_shown)
        add_action (self, notes->mail, "default", open, PB_ACTION_OPEN_MAIL, account_id);
      else
        {
          add_action (self, notes->mail, "default", _("Show new mail"), PB_ACTION_SHOW_WINDOW,
                      NULL);
          add_action (self, notes->mail, "open", open, PB_ACTION_OPEN_MAIL, account_id);
        }
      add_action (self, notes->mail, "mark-read", _("Mark as read"),
                  PB_ACTION_MARK_READ, account_id);
    }
  if (!show (self, &notes->mail))
    reset_mail (notes);
}

static void
on_attention (PbMonitor    *monitor,
              const char   *account_id,
              int           state,
              const GError *error,
              gpointer      user_data)
{
  PbNotifier *self = user_data;
  const char *name = account_name (self, account_id);
  const char *host = account_host (self, account_id);
  g_autofree char *summary = NULL;
  g_autofree char *body = NULL;
  const char *category = "email";
  const char *label = NULL;
  const char *action = NULL;
  Notes *notes;

  PbAccount *account = lookup_account (self, account_id);

  if (!setting (self, PB_SETTINGS_NOTIFY_ERRORS, TRUE) ||
      (account != NULL && !pb_account_get_notify_problems (account)))
    return;
  /* The tray and the window still show the problem, with its fix. */
  if (pb_do_not_disturb_get_active (self->do_not_disturb))
    {
      g_debug ("%s: a problem, not shown: do not disturb", account_id);
      return;
    }

  notes = get_notes (self, account_id);
  /* Failures are told once, however often they recur, until the account
   * works again. A state the user must fix is told each time the monitor
   * says so: that means the last fix did not work. */
  if (state == PB_ACCOUNT_STATE_FAILING && notes->told == PB_ACCOUNT_STATE_FAILING)
    return;

  switch (state)
    {
    case PB_ACCOUNT_STATE_NEEDS_TRUST:
      summary = g_strdup_printf (_("Can't verify the identity of %s"), host);
      body = g_strdup_printf (_("Popbell stopped checking %s until you review the certificate."),
                              name);
      label = _("Review certificate…");
      action = PB_ACTION_REVIEW_CERTIFICATE;
      break;

    case PB_ACCOUNT_STATE_NEEDS_PASSWORD:
      if (pb_describe_fix_is_sign_in (account, state))
        {
          summary = g_strdup_printf (_("Sign in to check %s"), name);
          body = g_strdup_printf (_("Popbell stopped checking %s until you sign in."), name);
          label = _("Sign in…");
          action = PB_ACTION_SIGN_IN;
          break;
        }
      if (g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND))
        {
          summary = g_strdup_printf (_("No password is stored for %s"), name);
          body = g_strdup (_("Enter the password to start checking for mail."));
        }
      else
        {
          summary = g_strdup_printf (_("%s didn't accept the password"), host);
          body = g_strdup_printf (_("Popbell stopped checking %s until you enter the right password."),
                                  name);
        }
      label = _("Enter password…");
      action = PB_ACTION_ENTER_PASSWORD;
      break;

    case PB_ACCOUNT_STATE_KEYRING_LOCKED:
      if (pb_describe_fix_is_sign_in (account, state))
        {
          summary = g_strdup (_("The keyring is locked"));
          body = g_strdup_printf (_("Popbell can't read the sign-in for %s. Unlock the keyring, "
                                    "or sign in again."), name);
          label = _("Sign in…");
          action = PB_ACTION_SIGN_IN;
          break;
        }
      summary = g_strdup (_("The keyring is locked"));
      body = g_strdup_printf (_("Popbell can't read the password for %s. Unlock the keyring, "
                                "or type the password for this session."), name);
      label = _("Enter password…");
      action = PB_ACTION_ENTER_PASSWORD;
      break;

    case PB_ACCOUNT_STATE_NO_KEYRING:
      if (pb_describe_fix_is_sign_in (account, state))
        {
          summary = g_strdup (_("No keyring available"));
          body = g_strdup_printf (_("Sign in for %s for this session; the sign-in won't be "
                                    "saved."), name);
          label = _("Sign in…");
          action = PB_ACTION_SIGN_IN;
          break;
        }
      summary = g_strdup (_("No keyring available"));
      body = g_strdup_printf (_("Type the password for %s for this session; "
                                "it won't be saved."), name);
      label = _("Enter password…");
      action = PB_ACTION_ENTER_PASSWORD;
      break;

    case PB_ACCOUNT_STATE_NEEDS_SIGN_IN:
      summary = g_strdup_printf (_("Sign in again to check %s"), name);
      if (error != NULL)
        {
          g_autofree char *reason = tidy (error->message);

          /* Translators: the reason, then the account's name. */
          body = g_strdup_printf (_("%s\nPopbell stopped checking %s until you sign in again."),
                                  reason, name);
        }
      else
        body = g_strdup_printf (_("Popbell stopped checking %s until you sign in again."), name);
      label = _("Sign in again…");
      action = PB_ACTION_SIGN_IN;
      break;

    case PB_ACCOUNT_STATE_FAILING:
      summary = g_strdup_printf (_("Can't reach %s"), host);
      if (error != NULL)
        {
          g_autofree char *reason = tidy (error->message);

          /* Translators: the reason, then the account's name. */
          body = g_strdup_printf (_("%s\nPopbell keeps trying to check %s."), reason, name);
        }
      else
        {
          body = g_strdup_printf (_("Popbell keeps trying to check %s."), name);
        }
      category = "network.error";
      label = _("Check now");
      action = PB_ACTION_CHECK_NOW;
      break;

    default:
      g_debug ("%s: nothing to tell about state %d", account_id, state);
      return;
    }

  notes->told = state;
  prepare (self, &notes->attention, G_CALLBACK (on_attention_closed), summary, body, category);
  if (server_has (self, "actions"))
    {
      /* Clicking the notification does what its button says. */
      add_action (self, notes->attention, "default", label, action, account_id);
      add_action (self, notes->attention, action, label, action, account_id);
    }
  show (self, &notes->attention);
}

static void
on_acknowledged (PbMonitor  *monitor,
                 const char *account_id,
                 gpointer    user_data)
{
  PbNotifier *self = user_data;
  Notes *notes = g_hash_table_lookup (self->notes, account_id);

  if (notes == NULL)
    return;

  close_notification (&notes->mail, self);
  reset_mail (notes);
}

static void
on_account_changed (PbMonitor  *monitor,
                    const char *account_id,
                    gpointer    user_data)
{
  PbNotifier *self = user_data;
  Notes *notes = g_hash_table_lookup (self->notes, account_id);
  PbAccountState state;

  if (notes == NULL)
    return;

  /* Removed or switched off: nothing said about it holds any more. */
  if (lookup_account (self, account_id) == NULL ||
      pb_monitor_get_state (monitor, account_id) == PB_ACCOUNT_STATE_DISABLED)
    {
      close_notification (&notes->mail, self);
      close_notification (&notes->attention, self);
      g_hash_table_remove (self->notes, account_id);
      return;
    }

  state = pb_monitor_get_state (monitor, account_id);
  if (state == PB_ACCOUNT_STATE_OK)
    {
      GPtrArray *unacknowledged = pb_monitor_get_unacknowledged (monitor, account_id);

      close_notification (&notes->attention, self);
      notes->told = PB_ACCOUNT_STATE_IDLE;
      /* The mail it announced is gone: the user's mail client fetched and
       * deleted it since. */
      if (unacknowledged == NULL || unacknowledged->len == 0)
        close_notification (&notes->mail, self);
    }
}

/* ---- GObject ------------------------------------------------------------- */

static void
pb_notifier_dispose (GObject *object)
{
  PbNotifier *self = PB_NOTIFIER (object);

  if (self->notes != NULL)
    {
      GHashTableIter iter;
      Notes *notes;

      g_hash_table_iter_init (&iter, self->notes);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &notes))
        {
          forget_notification (&notes->mail, self);
          forget_notification (&notes->attention, self);
        }
      g_clear_pointer (&self->notes, g_hash_table_unref);
    }

  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  g_clear_object (&self->actions);
  g_clear_object (&self->settings);
  g_clear_object (&self->do_not_disturb);

  G_OBJECT_CLASS (pb_notifier_parent_class)->dispose (object);
}

static void
pb_notifier_finalize (GObject *object)
{
  PbNotifier *self = PB_NOTIFIER (object);

  g_strfreev (self->caps);

  G_OBJECT_CLASS (pb_notifier_parent_class)->finalize (object);
}

static void
pb_notifier_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  PbNotifier *self = PB_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_TRAY_SHOWN:
      g_value_set_boolean (value, self->tray_shown);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_notifier_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  PbNotifier *self = PB_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_TRAY_SHOWN:
      if (self->tray_shown != g_value_get_boolean (value))
        {
          self->tray_shown = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_notifier_class_init (PbNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pb_notifier_get_property;
  object_class->set_property = pb_notifier_set_property;
  /* Whether a tray icon is there (its "registered"): without one, new mail's
   * notification opens the mail window, where the tray's menu would have. */
  properties[PROP_TRAY_SHOWN] =
    g_param_spec_boolean ("tray-shown", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  object_class->dispose = pb_notifier_dispose;
  object_class->finalize = pb_notifier_finalize;

  signals[SIGNAL_ACTIVATION_TOKEN] =
    g_signal_new ("activation-token", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
pb_notifier_init (PbNotifier *self)
{
  self->notes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, notes_free);
  self->tray_shown = TRUE;
}

PbNotifier *
pb_notifier_new (PbMonitor    *monitor,
                 GActionGroup *actions,
                 GSettings    *settings)
{
  PbNotifier *self;

  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);
  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  if (!notify_is_initted ())
    notify_init ("Popbell");

  self = g_object_new (PB_TYPE_NOTIFIER, NULL);
  self->monitor = g_object_ref (monitor);
  self->actions = g_object_ref (actions);
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  self->do_not_disturb = pb_do_not_disturb_new ();

  g_signal_connect (monitor, "new-mail", G_CALLBACK (on_new_mail), self);
  g_signal_connect (monitor, "attention", G_CALLBACK (on_attention), self);
  g_signal_connect (monitor, "acknowledged", G_CALLBACK (on_acknowledged), self);
  g_signal_connect (monitor, "account-changed", G_CALLBACK (on_account_changed), self);

  return self;
}
