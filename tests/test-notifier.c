/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <libnotify/notify.h>

#include "pb-actions.h"
#include "pb-error.h"
#include "pb-message.h"
#include "pb-monitor.h"
#include "pb-notifier.h"
#include "pb-settings.h"
#include "pb-test-network.h"
#include "pb-test-notifications.h"
#include "pb-test-util.h"

#define CAPS_FULL  "body body-markup actions icon-static"
#define CAPS_PLAIN "body"

/* Every test case starts with the server's capabilities. */
typedef struct
{
  const char *caps;
} Caps;

static const Caps full = { CAPS_FULL };
static const Caps plain = { CAPS_PLAIN };

typedef struct
{
  PbTestNotifications *server;
  PbAccountStore      *accounts;
  PbMonitor           *monitor;
  GSimpleActionGroup  *actions;
  GPtrArray           *activations;   /* "name" or "name('param')", in order */
  GSettings           *settings;
  PbNotifier          *notifier;
} Fixture;

static void
on_activate (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  Fixture *fixture = user_data;
  const char *name = g_action_get_name (G_ACTION (action));

  if (parameter == NULL)
    {
      g_ptr_array_add (fixture->activations, g_strdup (name));
    }
  else
    {
      g_autofree char *text = g_variant_print (parameter, FALSE);

      g_ptr_array_add (fixture->activations, g_strdup_printf ("%s(%s)", name, text));
    }
}

static void
add_action (Fixture    *fixture,
            const char *name,
            gboolean    takes_account)
{
  g_autoptr(GSimpleAction) action = NULL;

  action = g_simple_action_new (name, takes_account ? G_VARIANT_TYPE_STRING : NULL);
  g_signal_connect (action, "activate", G_CALLBACK (on_activate), fixture);
  g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (action));
}

static void
add_account (Fixture    *fixture,
             const char *id,
             const char *name,
             const char *host)
{
  g_autoptr(PbAccount) account = pb_account_new (id);
  g_autoptr(GError) error = NULL;

  pb_account_set_display_name (account, name);
  pb_account_set_host (account, host);
  pb_account_set_user (account, "me");
  pb_account_store_add (fixture->accounts, account, &error);
  g_assert_no_error (error);
}

static GSettings *
settings_new (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettingsSchema) schema = NULL;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            PB_SETTINGS_SCHEMA, FALSE);
  g_assert_nonnull (schema);
  return g_settings_new_full (schema, backend, NULL);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  const Caps *caps = user_data;
  g_autofree char *dir = pb_test_mkdtemp ("notifier");
  g_autofree char *accounts_path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autofree char *state_dir = g_build_filename (dir, "state", NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  g_autoptr(PbScheduler) scheduler = NULL;

  fixture->server = pb_test_notifications_new (caps->caps);

  fixture->accounts = pb_account_store_new (accounts_path);
  add_account (fixture, "work", "Work", "pop.example.com");
  add_account (fixture, "home", "Home", "mail.example.net");

  /* Never started: the tests speak for the monitor through its signals. */
  scheduler = pb_scheduler_new (NULL, G_NETWORK_MONITOR (network), FALSE);
  fixture->monitor = pb_monitor_new (fixture->accounts, pins, scheduler, state_dir);

  fixture->activations = g_ptr_array_new_with_free_func (g_free);
  fixture->actions = g_simple_action_group_new ();
  add_action (fixture, PB_ACTION_OPEN_MAIL_CLIENT, FALSE);
  add_action (fixture, PB_ACTION_OPEN_MAIL, TRUE);
  add_action (fixture, PB_ACTION_SHOW_WINDOW, FALSE);
  add_action (fixture, PB_ACTION_MARK_READ, TRUE);
  add_action (fixture, PB_ACTION_REVIEW_CERTIFICATE, TRUE);
  add_action (fixture, PB_ACTION_ENTER_PASSWORD, TRUE);
  add_action (fixture, PB_ACTION_SIGN_IN, TRUE);
  add_action (fixture, PB_ACTION_CHECK_NOW, TRUE);

  fixture->settings = settings_new ();
  fixture->notifier = pb_notifier_new (fixture->monitor, G_ACTION_GROUP (fixture->actions),
                                       fixture->settings);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_assert_finalize_object (g_steal_pointer (&fixture->notifier));
  /* libnotify's proxy holds the session bus, which must go before the bus does. */
  notify_uninit ();
  g_clear_object (&fixture->monitor);
  g_clear_object (&fixture->accounts);
  g_clear_object (&fixture->actions);
  g_clear_object (&fixture->settings);
  g_clear_pointer (&fixture->activations, g_ptr_array_unref);
  g_clear_pointer (&fixture->server, pb_test_notifications_free);
}

/* Lets every signal the server sent so far reach the notifier: a call made
 * after them is answered after them, on the same connection. */
static void
settle (void)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.Notifications",
                                       "/org/freedesktop/Notifications",
                                       "org.freedesktop.Notifications", "GetServerInformation",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static PbMessage *
message_new (const char *from,
             const char *subject)
{
  g_autofree char *headers = g_strdup_printf ("From: %s\r\nSubject: %s\r\n\r\n", from, subject);

  return pb_message_new_from_headers (NULL, headers, strlen (headers));
}

/* ::new-mail with messages "From", "Subject", … (oldest first), NULL-terminated. */
static void
emit_new_mail (Fixture    *fixture,
               const char *account_id,
               guint       count,
               ...)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  const char *from;
  va_list args;

  va_start (args, count);
  while ((from = va_arg (args, const char *)) != NULL)
    {
      const char *subject = va_arg (args, const char *);

      g_ptr_array_add (messages, message_new (from, subject));
    }
  va_end (args);

  g_signal_emit_by_name (fixture->monitor, "new-mail", account_id, messages, count);
}

static void
emit_attention (Fixture        *fixture,
                const char     *account_id,
                PbAccountState  state,
                GQuark          domain,
                int             code,
                const char     *message)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, message);

  g_signal_emit_by_name (fixture->monitor, "attention", account_id, (int) state, error);
}

static GPtrArray *
notify_calls (Fixture *fixture)
{
  return pb_test_notifications_get_calls (fixture->server, "Notify");
}

/* The only Notify call so far. */
static GVariant *
only_notify_call (Fixture *fixture)
{
  g_autoptr(GPtrArray) calls = notify_calls (fixture);

  g_assert_cmpuint (calls->len, ==, 1);
  return g_variant_ref (g_ptr_array_index (calls, 0));
}

static const char *
summary_of (GVariant *call)
{
  return pb_test_notify_call_get_string (call, 3);
}

static const char *
body_of (GVariant *call)
{
  return pb_test_notify_call_get_string (call, 4);
}

static void
assert_actions (GVariant   *call,
                const char *const *expected)
{
  g_auto(GStrv) actions = pb_test_notify_call_get_actions (call);

  if (!g_strv_equal ((const char * const *) actions, expected))
    {
      g_autofree char *got = g_strjoinv ("|", actions);
      g_autofree char *want = g_strjoinv ("|", (char **) expected);

      g_error ("actions: got %s, expected %s", got, want);
    }
}

static void
assert_hint_string (GVariant   *call,
                    const char *name,
                    const char *expected)
{
  g_autoptr(GVariant) hint = pb_test_notify_call_get_hint (call, name);

  g_assert_nonnull (hint);
  g_assert_true (g_variant_is_of_type (hint, G_VARIANT_TYPE_STRING));
  g_assert_cmpstr (g_variant_get_string (hint, NULL), ==, expected);
}

static void
assert_common (GVariant   *call,
               const char *category)
{
  g_autoptr(GVariant) urgency = pb_test_notify_call_get_hint (call, "urgency");

  g_assert_cmpstr (pb_test_notify_call_get_string (call, 0), ==, "Popbell");
  g_assert_cmpstr (pb_test_notify_call_get_string (call, 2), ==, APP_ID);
  assert_hint_string (call, "category", category);
  assert_hint_string (call, "desktop-entry", APP_ID);
  g_assert_nonnull (urgency);
  g_assert_cmpuint (g_variant_get_byte (urgency), ==, NOTIFY_URGENCY_NORMAL);
}

static guint32
close_call_id (GVariant *call)
{
  g_autoptr(GVariant) id = g_variant_get_child_value (call, 0);

  if (g_variant_is_of_type (id, G_VARIANT_TYPE_INT32))
    return (guint32) g_variant_get_int32 (id);
  return g_variant_get_uint32 (id);
}

static const char *const mail_actions[] = {
  "default", "Open mail client", "mark-read", "Mark as read", NULL
};
static const char *const no_actions[] = { NULL };

/* ---- Tests --------------------------------------------------------------- */

static void
test_create_destroy (Fixture       *fixture,
                     gconstpointer  user_data)
{
  PbNotifier *notifier = pb_notifier_new (fixture->monitor, G_ACTION_GROUP (fixture->actions),
                                          NULL);
  g_autoptr(GPtrArray) calls = NULL;

  g_assert_finalize_object (notifier);
  /* Nothing said until there is something to say. */
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 0);
}

static void
test_new_mail_single (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GVariant) call = NULL;

  emit_new_mail (fixture, "work", 1, "Alice Example <alice@example.com>", "Lunch on Friday?", NULL);

  call = only_notify_call (fixture);
  assert_common (call, "email.arrived");
  g_assert_cmpuint (pb_test_notify_call_get_replaces_id (call), ==, 0);
  g_assert_cmpstr (summary_of (call), ==, "Alice Example");
  g_assert_cmpstr (body_of (call), ==, "Lunch on Friday?");
  assert_actions (call, mail_actions);
}

static void
test_new_mail_several (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GVariant) call = NULL;

  /* Six new, four with previews: the newest three are named. */
  emit_new_mail (fixture, "work", 6,
                 "Ann <ann@example.com>", "First",
                 "bob@example.com", "Second",
                 "Carol <carol@example.com>", "",
                 "Dave <dave@example.com>", "Fourth",
                 NULL);

  call = only_notify_call (fixture);
  assert_common (call, "email.arrived");
  g_assert_cmpstr (summary_of (call), ==, "6 new messages in Work");
  g_assert_cmpstr (body_of (call), ==,
                   "Dave — Fourth\n"
                   "Carol — (no subject)\n"
                   "bob@example.com — Second\n"
                   "and 3 more");
  assert_actions (call, mail_actions);
}

static void
test_new_mail_privacy (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GPtrArray) calls = NULL;

  g_settings_set_boolean (fixture->settings, PB_SETTINGS_PRIVACY, TRUE);

  emit_new_mail (fixture, "work", 1, "Alice Example <alice@example.com>", "Lunch on Friday?", NULL);
  emit_new_mail (fixture, "home", 3, "Bob <bob@example.com>", "Secret plans",
                 "Carol <carol@example.com>", "More secrets", NULL);

  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 2);
  g_assert_cmpstr (summary_of (calls->pdata[0]), ==, "1 new message in Work");
  g_assert_cmpstr (summary_of (calls->pdata[1]), ==, "3 new messages in Home");

  for (guint i = 0; i < calls->len; i++)
    {
      g_autofree char *everything = g_variant_print (calls->pdata[i], FALSE);

      g_assert_cmpstr (body_of (calls->pdata[i]), ==, "");
      g_assert_null (strstr (everything, "Alice"));
      g_assert_null (strstr (everything, "alice@"));
      g_assert_null (strstr (everything, "Lunch"));
      g_assert_null (strstr (everything, "Bob"));
      g_assert_null (strstr (everything, "ecret"));
      assert_common (calls->pdata[i], "email.arrived");
      assert_actions (calls->pdata[i], mail_actions);
    }
}

static void
test_new_mail_replaces_while_shown (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(GPtrArray) calls = NULL;
  GVariant *call;

  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "One", NULL);
  emit_new_mail (fixture, "work", 1, "Bob <bob@example.com>", "Two", NULL);

  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 2);
  g_assert_cmpuint (pb_test_notify_call_get_replaces_id (calls->pdata[0]), ==, 0);
  /* The mock numbers notifications from 1. */
  call = calls->pdata[1];
  g_assert_cmpuint (pb_test_notify_call_get_replaces_id (call), ==, 1);
  /* The earlier mail is not hidden by the replacement. */
  g_assert_cmpstr (summary_of (call), ==, "2 new messages in Work");
  g_assert_cmpstr (body_of (call), ==, "Bob — Two\nAlice — One");

  /* Another account has a notification of its own. */
  emit_new_mail (fixture, "home", 1, "Carol <carol@example.com>", "Elsewhere", NULL);
  g_clear_pointer (&calls, g_ptr_array_unref);
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 3);
  g_assert_cmpuint (pb_test_notify_call_get_replaces_id (calls->pdata[2]), ==, 0);
  g_assert_cmpstr (summary_of (calls->pdata[2]), ==, "Carol");

  /* Dismissed: the next round starts afresh. */
  pb_test_notifications_emit_closed (fixture->server, 1, 2);
  settle ();
  emit_new_mail (fixture, "work", 1, "Dave <dave@example.com>", "Three", NULL);

  g_clear_pointer (&calls, g_ptr_array_unref);
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 4);
  call = calls->pdata[3];
  g_assert_cmpuint (pb_test_notify_call_get_replaces_id (call), ==, 0);
  g_assert_cmpstr (summary_of (call), ==, "Dave");
  g_assert_cmpstr (body_of (call), ==, "Three");
}

static void
test_new_mail_without_actions_capability (Fixture       *fixture,
                                          gconstpointer  user_data)
{
  g_autoptr(GVariant) call = NULL;

  emit_new_mail (fixture, "work", 1, "Eve <eve@example.com>", "<b>Tom &amp; Jerry</b>", NULL);

  call = only_notify_call (fixture);
  assert_common (call, "email.arrived");
  assert_actions (call, no_actions);
  /* Plain text goes out as it is. */
  g_assert_cmpstr (body_of (call), ==, "<b>Tom &amp; Jerry</b>");
}

static void
test_new_mail_escaped_for_markup (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(GPtrArray) calls = NULL;

  emit_new_mail (fixture, "work", 1, "\"Eve <i>\" <eve@example.com>", "<b>Tom &amp; Jerry</b>",
                 NULL);
  emit_new_mail (fixture, "home", 2, "\"Eve <i>\" <eve@example.com>", "<b>Tom &amp; Jerry</b>",
                 "mallory@example.com", "a < b & c > d", NULL);

  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 2);
  /* The summary is never markup. */
  g_assert_cmpstr (summary_of (calls->pdata[0]), ==, "Eve <i>");
  g_assert_cmpstr (body_of (calls->pdata[0]), ==, "&lt;b&gt;Tom &amp;amp; Jerry&lt;/b&gt;");
  g_assert_cmpstr (body_of (calls->pdata[1]), ==,
                   "mallory@example.com — a &lt; b &amp; c &gt; d\n"
                   "Eve &lt;i&gt; — &lt;b&gt;Tom &amp;amp; Jerry&lt;/b&gt;");
}

static void
test_new_mail_long_and_multiline_text_is_tidied (Fixture       *fixture,
                                                 gconstpointer  user_data)
{
  g_autoptr(GVariant) call = NULL;
  g_autofree char *subject = g_strnfill (300, 'x');
  const char *body;

  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", subject, NULL);

  call = only_notify_call (fixture);
  body = body_of (call);
  g_assert_cmpuint (g_utf8_strlen (body, -1), ==, 100);
  g_assert_true (g_str_has_suffix (body, "…"));
}

static void
test_new_mail_setting_off (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GVariant) call = NULL;

  g_settings_set_boolean (fixture->settings, PB_SETTINGS_NOTIFY_NEW_MAIL, FALSE);
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "Hello", NULL);
  /* Problems are still told. */
  emit_attention (fixture, "work", PB_ACCOUNT_STATE_NEEDS_TRUST, PB_POP3_ERROR,
                  PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, "Untrusted");

  call = only_notify_call (fixture);
  assert_common (call, "email");
}

typedef struct
{
  const char     *caps;
  PbAccountState  state;
  GQuark        (*domain) (void);
  int             code;
  const char     *message;
  const char     *summary;
  const char     *body;
  const char     *action;
  const char     *label;
  const char     *category;
} AttentionCase;

static const AttentionCase attention_cases[] = {
  { CAPS_FULL, PB_ACCOUNT_STATE_NEEDS_TRUST, pb_pop3_error_quark,
    PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, "The certificate is not trusted",
    "Can't verify the identity of pop.example.com",
    "Popbell stopped checking Work until you review the certificate.",
    PB_ACTION_REVIEW_CERTIFICATE, "Review certificate…", "email" },
  { CAPS_FULL, PB_ACCOUNT_STATE_NEEDS_PASSWORD, pb_pop3_error_quark,
    PB_POP3_ERROR_AUTH_FAILED, "-ERR [AUTH] Authentication failed.",
    "pop.example.com didn't accept the password",
    "Popbell stopped checking Work until you enter the right password.",
    PB_ACTION_ENTER_PASSWORD, "Enter password…", "email" },
  { CAPS_FULL, PB_ACCOUNT_STATE_NEEDS_PASSWORD, pb_secret_error_quark,
    PB_SECRET_ERROR_NOT_FOUND, "No password stored",
    "No password is stored for Work",
    "Enter the password to start checking for mail.",
    PB_ACTION_ENTER_PASSWORD, "Enter password…", "email" },
  { CAPS_FULL, PB_ACCOUNT_STATE_KEYRING_LOCKED, pb_secret_error_quark,
    PB_SECRET_ERROR_LOCKED, "Locked",
    "The keyring is locked",
    "Popbell can't read the password for Work. Unlock the keyring, "
    "or type the password for this session.",
    PB_ACTION_ENTER_PASSWORD, "Enter password…", "email" },
  { CAPS_FULL, PB_ACCOUNT_STATE_NO_KEYRING, pb_secret_error_quark,
    PB_SECRET_ERROR_NO_SERVICE, "No Secret Service",
    "No keyring available",
    "Type the password for Work for this session; it won't be saved.",
    PB_ACTION_ENTER_PASSWORD, "Enter password…", "email" },
  { CAPS_FULL, PB_ACCOUNT_STATE_FAILING, pb_pop3_error_quark,
    PB_POP3_ERROR_CONNECT, "Could not connect: Connection refused",
    "Can't reach pop.example.com",
    "Could not connect: Connection refused\nPopbell keeps trying to check Work.",
    PB_ACTION_CHECK_NOW, "Check now", "network.error" },
  { CAPS_FULL, PB_ACCOUNT_STATE_NEEDS_SIGN_IN, pb_oauth2_error_quark,
    PB_OAUTH2_ERROR_NEEDS_SIGN_IN, "Google no longer accepts Popbell’s sign-in; sign in again.",
    "Sign in again to check Work",
    "Google no longer accepts Popbell’s sign-in; sign in again.\n"
    "Popbell stopped checking Work until you sign in again.",
    PB_ACTION_SIGN_IN, "Sign in again…", "email" },
};

static void
test_attention (Fixture       *fixture,
                gconstpointer  user_data)
{
  const AttentionCase *tc = user_data;
  g_autoptr(GVariant) call = NULL;
  g_autofree char *expected_activation = g_strdup_printf ("%s('work')", tc->action);
  const char *actions[] = { "default", tc->label, tc->action, tc->label, NULL };

  emit_attention (fixture, "work", tc->state, tc->domain (), tc->code, tc->message);

  call = only_notify_call (fixture);
  assert_common (call, tc->category);
  g_assert_cmpstr (summary_of (call), ==, tc->summary);
  g_assert_cmpstr (body_of (call), ==, tc->body);
  assert_actions (call, actions);

  /* The button and a click on the notification both run the fix. */
  pb_test_notifications_invoke_action (fixture->server, 1, tc->action);
  pb_test_notifications_invoke_action (fixture->server, 1, "default");
  settle ();
  g_assert_cmpuint (fixture->activations->len, ==, 2);
  g_assert_cmpstr (fixture->activations->pdata[0], ==, expected_activation);
  g_assert_cmpstr (fixture->activations->pdata[1], ==, expected_activation);
}

/* An account that signs in is never asked for a password when the keyring
 * fails it: the notification offers the sign-in. */
static void
test_attention_sign_in_account_keyring (Fixture       *fixture,
                                        gconstpointer  user_data)
{
  const char *actions[] = { "default", "Sign in…", PB_ACTION_SIGN_IN, "Sign in…", NULL };
  g_autoptr(GPtrArray) calls = NULL;
  GVariant *call;

  add_account (fixture, "mail", "Mail", "outlook.office365.com");
  pb_account_set_oauth2_provider (pb_account_store_lookup (fixture->accounts, "mail"),
                                  "microsoft");
  emit_attention (fixture, "mail", PB_ACCOUNT_STATE_NO_KEYRING, PB_SECRET_ERROR,
                  PB_SECRET_ERROR_NO_SERVICE, "No Secret Service");
  emit_attention (fixture, "mail", PB_ACCOUNT_STATE_KEYRING_LOCKED, PB_SECRET_ERROR,
                  PB_SECRET_ERROR_LOCKED, "Locked");

  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 2);
  call = calls->pdata[0];
  g_assert_cmpstr (summary_of (call), ==, "No keyring available");
  g_assert_cmpstr (body_of (call), ==,
                   "Sign in for Mail for this session; the sign-in won't be saved.");
  assert_actions (call, actions);
  call = calls->pdata[1];
  g_assert_cmpstr (summary_of (call), ==, "The keyring is locked");
  g_assert_cmpstr (body_of (call), ==,
                   "Popbell can't read the sign-in for Mail. Unlock the keyring, "
                   "or sign in again.");
  assert_actions (call, actions);

  /* The second replaced the first: one notification, the same id. */
  pb_test_notifications_invoke_action (fixture->server, 1, PB_ACTION_SIGN_IN);
  settle ();
  g_assert_cmpuint (fixture->activations->len, ==, 1);
  g_assert_cmpstr (fixture->activations->pdata[0], ==, PB_ACTION_SIGN_IN "('mail')");
}

static void
test_attention_escaped_for_markup (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(GVariant) call = NULL;

  /* A host name can't hold markup (pb_host_name_normalize refuses it); the
   * display name and the server's text can. */
  add_account (fixture, "odd", "Odd <b>&amp;", "pop.example.com");
  emit_attention (fixture, "odd", PB_ACCOUNT_STATE_FAILING, PB_POP3_ERROR, PB_POP3_ERROR_SERVER,
                  "-ERR <i>go away</i>\n& come back");

  call = only_notify_call (fixture);
  g_assert_cmpstr (summary_of (call), ==, "Can't reach pop.example.com");
  g_assert_cmpstr (body_of (call), ==,
                   "-ERR &lt;i&gt;go away&lt;/i&gt; &amp; come back\n"
                   "Popbell keeps trying to check Odd &lt;b&gt;&amp;amp;.");
}

static void
test_attention_plain_without_markup (Fixture       *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr(GVariant) call = NULL;

  add_account (fixture, "odd", "Odd <b>&amp;", "pop.example.com");
  emit_attention (fixture, "odd", PB_ACCOUNT_STATE_NEEDS_TRUST, PB_POP3_ERROR,
                  PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, "Untrusted");

  call = only_notify_call (fixture);
  g_assert_cmpstr (body_of (call), ==,
                   "Popbell stopped checking Odd <b>&amp; until you review the certificate.");
  assert_actions (call, no_actions);
}

static void
test_attention_failing_told_once (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(GPtrArray) calls = NULL;

  for (guint i = 0; i < 3; i++)
    emit_attention (fixture, "work", PB_ACCOUNT_STATE_FAILING, PB_POP3_ERROR,
                    PB_POP3_ERROR_TIMEOUT, "Timed out");
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 1);

  /* Something else replaces it; failing after that is news again. */
  emit_attention (fixture, "work", PB_ACCOUNT_STATE_NEEDS_TRUST, PB_POP3_ERROR,
                  PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, "Untrusted");
  emit_attention (fixture, "work", PB_ACCOUNT_STATE_FAILING, PB_POP3_ERROR,
                  PB_POP3_ERROR_TIMEOUT, "Timed out");
  g_clear_pointer (&calls, g_ptr_array_unref);
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 3);
  g_assert_cmpuint (pb_test_notify_call_get_replaces_id (calls->pdata[1]), ==, 1);
  g_assert_cmpstr (summary_of (calls->pdata[1]), ==, "Can't verify the identity of pop.example.com");
  g_assert_cmpuint (pb_test_notify_call_get_replaces_id (calls->pdata[2]), ==, 1);
  g_assert_cmpstr (summary_of (calls->pdata[2]), ==, "Can't reach pop.example.com");

  /* Another account fails on its own. */
  emit_attention (fixture, "home", PB_ACCOUNT_STATE_FAILING, PB_POP3_ERROR,
                  PB_POP3_ERROR_TIMEOUT, "Timed out");
  g_clear_pointer (&calls, g_ptr_array_unref);
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 4);
  g_assert_cmpstr (summary_of (calls->pdata[3]), ==, "Can't reach mail.example.net");
}

static void
test_attention_setting_off (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GVariant) call = NULL;

  g_settings_set_boolean (fixture->settings, PB_SETTINGS_NOTIFY_ERRORS, FALSE);
  emit_attention (fixture, "work", PB_ACCOUNT_STATE_NEEDS_PASSWORD, PB_POP3_ERROR,
                  PB_POP3_ERROR_AUTH_FAILED, "Refused");
  emit_attention (fixture, "work", PB_ACCOUNT_STATE_FAILING, PB_POP3_ERROR,
                  PB_POP3_ERROR_TIMEOUT, "Timed out");
  /* New mail is still told. */
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "Hello", NULL);

  call = only_notify_call (fixture);
  assert_common (call, "email.arrived");
}

static void
test_acknowledged_closes (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GPtrArray) closes = NULL;
  g_autoptr(GPtrArray) calls = NULL;

  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "One", NULL);
  emit_new_mail (fixture, "home", 1, "Bob <bob@example.com>", "Two", NULL);
  g_signal_emit_by_name (fixture->monitor, "acknowledged", "work");

  closes = pb_test_notifications_get_calls (fixture->server, "CloseNotification");
  g_assert_cmpuint (closes->len, ==, 1);
  g_assert_cmpuint (close_call_id (closes->pdata[0]), ==, 1);

  /* Nothing left to close for it; the next mail is a new notification. */
  g_signal_emit_by_name (fixture->monitor, "acknowledged", "work");
  settle ();
  emit_new_mail (fixture, "work", 1, "Carol <carol@example.com>", "Three", NULL);
  g_clear_pointer (&closes, g_ptr_array_unref);
  closes = pb_test_notifications_get_calls (fixture->server, "CloseNotification");
  g_assert_cmpuint (closes->len, ==, 1);
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 3);
  g_assert_cmpuint (pb_test_notify_call_get_replaces_id (calls->pdata[2]), ==, 0);
  g_assert_cmpstr (summary_of (calls->pdata[2]), ==, "Carol");
}

static void
test_account_changed (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GPtrArray) closes = NULL;
  g_autoptr(GError) error = NULL;
  guint32 ids[2];

  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "One", NULL);
  emit_attention (fixture, "work", PB_ACCOUNT_STATE_NEEDS_TRUST, PB_POP3_ERROR,
                  PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, "Untrusted");

  /* Still not fixed: the problem stays on screen. */
  g_signal_emit_by_name (fixture->monitor, "account-changed", "work");
  closes = pb_test_notifications_get_calls (fixture->server, "CloseNotification");
  g_assert_cmpuint (closes->len, ==, 0);
  g_clear_pointer (&closes, g_ptr_array_unref);

  /* Removed: nothing said about it holds any more. */
  pb_account_store_remove (fixture->accounts, "work", &error);
  g_assert_no_error (error);
  g_signal_emit_by_name (fixture->monitor, "account-changed", "work");
  closes = pb_test_notifications_get_calls (fixture->server, "CloseNotification");
  g_assert_cmpuint (closes->len, ==, 2);
  ids[0] = close_call_id (closes->pdata[0]);
  ids[1] = close_call_id (closes->pdata[1]);
  g_assert_cmpuint (MIN (ids[0], ids[1]), ==, 1);
  g_assert_cmpuint (MAX (ids[0], ids[1]), ==, 2);
}

static void
test_actions_run_application_actions (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "One", NULL);       /* 1 */
  emit_attention (fixture, "home", PB_ACCOUNT_STATE_NEEDS_PASSWORD, PB_POP3_ERROR,   /* 2 */
                  PB_POP3_ERROR_AUTH_FAILED, "Refused");

  pb_test_notifications_invoke_action (fixture->server, 1, "default");
  pb_test_notifications_invoke_action (fixture->server, 1, "mark-read");
  pb_test_notifications_invoke_action (fixture->server, 2, "enter-password");
  /* Another application's notification. */
  pb_test_notifications_invoke_action (fixture->server, 99, "default");
  settle ();

  g_assert_cmpuint (fixture->activations->len, ==, 3);
  g_assert_cmpstr (fixture->activations->pdata[0], ==, "open-mail('work')");
  g_assert_cmpstr (fixture->activations->pdata[1], ==, "mark-read('work')");
  g_assert_cmpstr (fixture->activations->pdata[2], ==, "enter-password('home')");
}

/* ---- Per account, and do not disturb ------------------------------------------- */

static void
set_account_notifications (Fixture    *fixture,
                           const char *account_id,
                           gboolean    new_mail,
                           const char *sound,
                           gboolean    problems)
{
  PbAccount *account = pb_account_store_lookup (fixture->accounts, account_id);

  g_assert_nonnull (account);
  pb_account_set_notify_new_mail (account, new_mail);
  pb_account_set_sound (account, sound);
  pb_account_set_notify_problems (account, problems);
}

/* The sound goes as the sound-name hint; an account without one sends none. */
static void
test_new_mail_sound_per_account (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GPtrArray) calls = NULL;
  g_autoptr(GVariant) silent = NULL;

  set_account_notifications (fixture, "home", TRUE, PB_ACCOUNT_SOUND_NONE, TRUE);
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "Hello", NULL);
  emit_new_mail (fixture, "home", 1, "Bob <bob@example.com>", "Quiet", NULL);
  /* The work notification grows: the sound again, the hint kept. */
  emit_new_mail (fixture, "work", 1, "Carol <carol@example.com>", "Again", NULL);

  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 3);
  assert_hint_string (calls->pdata[0], "sound-name", "message-new-email");
  silent = pb_test_notify_call_get_hint (calls->pdata[1], "sound-name");
  g_assert_null (silent);
  assert_common (calls->pdata[1], "email.arrived");
  assert_hint_string (calls->pdata[2], "sound-name", "message-new-email");
}

/* An account's switches leave the other accounts alone. */
static void
test_account_switches (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GPtrArray) calls = NULL;

  set_account_notifications (fixture, "work", FALSE, NULL, FALSE);
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "Not told", NULL);
  emit_attention (fixture, "work", PB_ACCOUNT_STATE_NEEDS_PASSWORD, PB_POP3_ERROR,
                  PB_POP3_ERROR_AUTH_FAILED, "Refused");
  emit_new_mail (fixture, "home", 1, "Bob <bob@example.com>", "Told", NULL);
  emit_attention (fixture, "home", PB_ACCOUNT_STATE_NEEDS_TRUST, PB_POP3_ERROR,
                  PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, "Untrusted");

  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 2);
  g_assert_cmpstr (body_of (calls->pdata[0]), ==, "Told");
  g_assert_cmpstr (summary_of (calls->pdata[1]), ==, "Can't verify the identity of mail.example.net");
}

/* Lets the server's PropertiesChanged reach the notifier. */
static void
settle_a_while (void)
{
  gint64 until = g_get_monotonic_time () + 200 * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  settle ();
}

static void
test_do_not_disturb_server_inhibited (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  g_autoptr(GPtrArray) calls = NULL;

  settle_a_while ();
  pb_test_notifications_set_inhibited (fixture->server, TRUE);
  settle_a_while ();
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "During the meeting", NULL);
  emit_attention (fixture, "home", PB_ACCOUNT_STATE_NEEDS_PASSWORD, PB_POP3_ERROR,
                  PB_POP3_ERROR_AUTH_FAILED, "Refused");
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 0);

  pb_test_notifications_set_inhibited (fixture->server, FALSE);
  settle_a_while ();
  emit_new_mail (fixture, "work", 1, "Bob <bob@example.com>", "After the meeting", NULL);
  g_clear_pointer (&calls, g_ptr_array_unref);
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 1);
  g_assert_cmpstr (body_of (calls->pdata[0]), ==, "After the meeting");
}

static void
test_do_not_disturb_gnome_banners_off (Fixture       *fixture,
                                       gconstpointer  user_data)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) gnome = NULL;
  g_autoptr(GPtrArray) calls = NULL;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "org.gnome.desktop.notifications", TRUE);
  g_assert_nonnull (schema);
  /* The process's default backend: memory, shared with the notifier. */
  gnome = g_settings_new_full (schema, NULL, NULL);
  g_settings_set_boolean (gnome, "show-banners", FALSE);
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "Quietly", NULL);
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 0);

  g_settings_reset (gnome, "show-banners");
  emit_new_mail (fixture, "work", 1, "Bob <bob@example.com>", "Shown", NULL);
  g_clear_pointer (&calls, g_ptr_array_unref);
  calls = notify_calls (fixture);
  g_assert_cmpuint (calls->len, ==, 1);
}

/* An account with webmail says where "Open" goes. */
static void
test_new_mail_webmail (Fixture       *fixture,
                       gconstpointer  user_data)
{
  static const char *const webmail_actions[] = {
    "default", "Open webmail", "mark-read", "Mark as read", NULL
  };
  g_autoptr(GVariant) call = NULL;

  pb_account_set_webmail (pb_account_store_lookup (fixture->accounts, "work"),
                          "https://mail.example.com/");
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "Hello", NULL);
  call = only_notify_call (fixture);
  assert_actions (call, webmail_actions);
}

/* No tray icon (GNOME without the extension): clicking the notification
 * shows the mail window, and "Open" is a button of its own. */
static void
test_new_mail_without_a_tray (Fixture       *fixture,
                              gconstpointer  user_data)
{
  static const char *const actions[] = {
    "default", "Show new mail", "open", "Open mail client", "mark-read", "Mark as read", NULL
  };
  g_autoptr(GVariant) call = NULL;

  g_object_set (fixture->notifier, "tray-shown", FALSE, NULL);
  emit_new_mail (fixture, "work", 1, "Alice <alice@example.com>", "Hello", NULL);
  call = only_notify_call (fixture);
  assert_actions (call, actions);

  pb_test_notifications_invoke_action (fixture->server, 1, "default");
  pb_test_notifications_invoke_action (fixture->server, 1, "open");
  settle ();
  g_assert_cmpuint (fixture->activations->len, ==, 2);
  g_assert_cmpstr (fixture->activations->pdata[0], ==, "show-window");
  g_assert_cmpstr (fixture->activations->pdata[1], ==, "open-mail('work')");
}

static void
test_no_server (void)
{
  g_autoptr(PbAccountStore) accounts = NULL;
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  g_autoptr(PbScheduler) scheduler = pb_scheduler_new (NULL, G_NETWORK_MONITOR (network), FALSE);
  g_autoptr(PbMonitor) monitor = NULL;
  g_autoptr(GSimpleActionGroup) actions = g_simple_action_group_new ();
  g_autoptr(PbTestNotifications) bus = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = pb_test_mkdtemp ("no-server");
  g_autofree char *accounts_path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  PbNotifier *notifier;

  /* A bus, but the server is gone: nothing to show on, and no fuss. */
  bus = pb_test_notifications_new (NULL);
  pb_test_notifications_stop_server (bus);

  accounts = pb_account_store_new (accounts_path);
  pins = pb_trust_store_new (pins_path);
  monitor = pb_monitor_new (accounts, pins, scheduler, dir);
  notifier = pb_notifier_new (monitor, G_ACTION_GROUP (actions), NULL);

  g_signal_emit_by_name (monitor, "new-mail", "work", messages, 2u);
  error = g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_TIMEOUT, "Timed out");
  g_signal_emit_by_name (monitor, "attention", "work", (int) PB_ACCOUNT_STATE_FAILING, error);
  g_signal_emit_by_name (monitor, "acknowledged", "work");

  g_assert_finalize_object (notifier);
  notify_uninit ();
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

#define ADD(path, caps, func) \
  g_test_add (path, Fixture, caps, fixture_setup, func, fixture_teardown)

  ADD ("/pb/notifier/create-destroy", &full, test_create_destroy);
  ADD ("/pb/notifier/new-mail/webmail-is-what-open-opens", &full, test_new_mail_webmail);
  ADD ("/pb/notifier/new-mail/without-a-tray-shows-the-window", &full,
       test_new_mail_without_a_tray);
  ADD ("/pb/notifier/per-account/new-mail-plays-its-sound", &full,
       test_new_mail_sound_per_account);
  ADD ("/pb/notifier/per-account/switches-leave-other-accounts-alone", &full,
       test_account_switches);
  ADD ("/pb/notifier/do-not-disturb/server-inhibited-shows-nothing", &full,
       test_do_not_disturb_server_inhibited);
  ADD ("/pb/notifier/do-not-disturb/gnome-banners-off-shows-nothing", &full,
       test_do_not_disturb_gnome_banners_off);
  ADD ("/pb/notifier/new-mail/single-shows-sender-and-subject", &full, test_new_mail_single);
  ADD ("/pb/notifier/new-mail/several-show-count-and-newest", &full, test_new_mail_several);
  ADD ("/pb/notifier/new-mail/privacy-shows-counts-only", &full, test_new_mail_privacy);
  ADD ("/pb/notifier/new-mail/replaces-while-shown", &full, test_new_mail_replaces_while_shown);
  ADD ("/pb/notifier/new-mail/no-actions-without-the-capability", &plain,
       test_new_mail_without_actions_capability);
  ADD ("/pb/notifier/new-mail/escaped-for-body-markup", &full, test_new_mail_escaped_for_markup);
  ADD ("/pb/notifier/new-mail/long-text-is-cut", &full,
       test_new_mail_long_and_multiline_text_is_tidied);
  ADD ("/pb/notifier/new-mail/setting-off-suppresses", &full, test_new_mail_setting_off);

  ADD ("/pb/notifier/attention/untrusted-certificate", &attention_cases[0], test_attention);
  ADD ("/pb/notifier/attention/password-refused", &attention_cases[1], test_attention);
  ADD ("/pb/notifier/attention/password-missing", &attention_cases[2], test_attention);
  ADD ("/pb/notifier/attention/keyring-locked", &attention_cases[3], test_attention);
  ADD ("/pb/notifier/attention/no-keyring", &attention_cases[4], test_attention);
  ADD ("/pb/notifier/attention/failing", &attention_cases[5], test_attention);
  ADD ("/pb/notifier/attention/needs-sign-in", &attention_cases[6], test_attention);
  ADD ("/pb/notifier/attention/sign-in-account-keyring-offers-the-sign-in", &full,
       test_attention_sign_in_account_keyring);
  ADD ("/pb/notifier/attention/escaped-for-body-markup", &full, test_attention_escaped_for_markup);
  ADD ("/pb/notifier/attention/plain-without-body-markup", &plain,
       test_attention_plain_without_markup);
  ADD ("/pb/notifier/attention/failing-told-once", &full, test_attention_failing_told_once);
  ADD ("/pb/notifier/attention/setting-off-suppresses", &full, test_attention_setting_off);

  ADD ("/pb/notifier/acknowledged-closes-the-mail", &full, test_acknowledged_closes);
  ADD ("/pb/notifier/account-removed-closes-everything", &full, test_account_changed);
  ADD ("/pb/notifier/actions/run-application-actions", &full,
       test_actions_run_application_actions);
  g_test_add_func ("/pb/notifier/no-server-is-quiet", test_no_server);

#undef ADD

  return g_test_run ();
}
