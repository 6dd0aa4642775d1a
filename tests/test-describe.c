/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The plain-words texts of the windows, with a fixed "now" in a time zone
 * that is not UTC (so that local days are not mixed up with UTC days). */
#include "config.h"

#include <string.h>

#include "pb-actions.h"
#include "pb-describe.h"
#include "pb-error.h"
#include "pb-seen-store.h"
#include "pb-test-network.h"
#include "pb-test-util.h"

/* Thursday 5 March 2026, 10:30:00 in Tokyo (UTC+9). */
static GDateTime *
tokyo (gint year,
       gint month,
       gint day,
       gint hour,
       gint minute)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_identifier ("Asia/Tokyo");

  g_assert_nonnull (zone);
  return g_date_time_new (zone, year, month, day, hour, minute, 0);
}

static GDateTime *
test_now (void)
{
  return tokyo (2026, 3, 5, 10, 30);
}

static gint64
unix_at (gint year,
         gint month,
         gint day,
         gint hour,
         gint minute)
{
  g_autoptr(GDateTime) time = tokyo (year, month, day, hour, minute);

  return g_date_time_to_unix (time);
}

#define NOW unix_at (2026, 3, 5, 10, 30)

static void
set_clock_format (const char *format)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;

  schema = source ? g_settings_schema_source_lookup (source, "org.gnome.desktop.interface", TRUE)
                  : NULL;
  if (schema == NULL)
    return;
  settings = g_settings_new ("org.gnome.desktop.interface");
  g_settings_set_string (settings, "clock-format", format);
}

/* ---- Dates and times ------------------------------------------------------ */

static void
test_time_of_day_24_hours (void)
{
  g_autoptr(GDateTime) morning = tokyo (2026, 3, 5, 9, 5);
  g_autoptr(GDateTime) evening = tokyo (2026, 3, 5, 22, 10);
  g_autoptr(GDateTime) utc = g_date_time_to_utc (morning);
  g_autofree char *a = pb_describe_time_of_day (morning);
  g_autofree char *b = pb_describe_time_of_day (evening);
  g_autofree char *c = pb_describe_time_of_day (utc);

  g_assert_cmpstr (a, ==, "09:05");
  g_assert_cmpstr (b, ==, "22:10");
  /* Shown in local time, whatever zone the value carries. */
  g_assert_cmpstr (c, ==, "09:05");
}

static void
test_time_of_day_12_hours (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GDateTime) morning = tokyo (2026, 3, 5, 9, 5);
  g_autoptr(GDateTime) evening = tokyo (2026, 3, 5, 22, 10);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  schema = source ? g_settings_schema_source_lookup (source, "org.gnome.desktop.interface", TRUE)
                  : NULL;
  if (schema == NULL)
    {
      g_test_skip ("The desktop's clock setting is not installed");
      return;
    }

  set_clock_format ("12h");
  a = pb_describe_time_of_day (morning);
  b = pb_describe_time_of_day (evening);
  set_clock_format ("24h");

  g_assert_cmpstr (a, ==, "9:05 AM");
  g_assert_cmpstr (b, ==, "10:10 PM");
}

static void
test_date_is_long_and_local (void)
{
  /* 20:00 UTC on 2 March is already 3 March in Tokyo. */
  g_autoptr(GDateTime) utc = g_date_time_new_utc (2026, 3, 2, 20, 0, 0);
  g_autofree char *text = pb_describe_date (utc);

  g_assert_cmpstr (text, ==, "3 March 2026");
}

static void
test_message_date_is_compact (void)
{
  g_autoptr(GDateTime) now = test_now ();
  static const struct
  {
    gint        year, month, day, hour, minute;
    const char *expected;
  } cases[] = {
    { 2026, 3, 5, 0, 30, "00:30" },       /* still the previous day in UTC */
    { 2026, 3, 5, 10, 29, "10:29" },
    { 2026, 3, 4, 23, 59, "Yesterday" },
    { 2026, 3, 2, 8, 0, "Monday" },
    { 2026, 2, 27, 8, 0, "Friday" },     /* six days before */
    { 2026, 2, 26, 8, 0, "26 Feb" },     /* a week before */
    { 2026, 1, 3, 8, 0, "3 Jan" },
    { 2025, 12, 24, 8, 0, "24 Dec 2025" },
    { 2026, 3, 9, 8, 0, "9 Mar" },       /* a wrong clock on the sender's side */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GDateTime) local = tokyo (cases[i].year, cases[i].month, cases[i].day,
                                          cases[i].hour, cases[i].minute);
      g_autoptr(GDateTime) utc = g_date_time_to_utc (local);
      g_autofree char *text = pb_describe_message_date (utc, now);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_time_ago_wording (void)
{
  static const struct
  {
    gint64      ago;          /* seconds before NOW, when not 0 */
    gint        day, hour, minute;
    const char *expected;
  } cases[] = {
    { 10, 0, 0, 0, "just now" },
    { -30, 0, 0, 0, "just now" },        /* the clock went back a little */
    { 60, 0, 0, 0, "1 minute ago" },
    { 119, 0, 0, 0, "1 minute ago" },
    { 59 * 60, 0, 0, 0, "59 minutes ago" },
    { 0, 5, 9, 30, "today at 09:30" },
    { 0, 5, 0, 5, "today at 00:05" },
    { 0, 4, 22, 10, "yesterday at 22:10" },
    { 0, 3, 23, 0, "on 3 March 2026" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 then = cases[i].ago != 0 ? NOW - cases[i].ago
                                      : unix_at (2026, 3, cases[i].day, cases[i].hour,
                                                 cases[i].minute);
      g_autofree char *text = pb_describe_time_ago (then, NOW);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_next_check_wording (void)
{
  g_autofree char *moment = pb_describe_next_check (NOW + 20, NOW);
  g_autofree char *late = pb_describe_next_check (NOW - 5, NOW);
  g_autofree char *today = pb_describe_next_check (unix_at (2026, 3, 5, 10, 35), NOW);
  g_autofree char *tomorrow = pb_describe_next_check (unix_at (2026, 3, 6, 0, 10), NOW);
  g_autofree char *later = pb_describe_next_check (unix_at (2026, 3, 8, 9, 0), NOW);

  g_assert_cmpstr (moment, ==, "next check in a moment");
  g_assert_cmpstr (late, ==, "next check in a moment");
  g_assert_cmpstr (today, ==, "next check at 10:35");
  g_assert_cmpstr (tomorrow, ==, "next check tomorrow at 00:10");
  g_assert_cmpstr (later, ==, "next check on 8 March 2026");
}

/* ---- The connection ------------------------------------------------------- */

static PbCheckResult *
success_result (GTlsProtocolVersion version,
                PbTrustVerdict      trust)
{
  PbCheckResult *result = g_new0 (PbCheckResult, 1);

  result->account_id = g_strdup ("work");
  result->host = g_strdup ("mail.example.com");
  result->port = 995;
  result->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  result->tls_version = version;
  result->trust = trust;
  return result;
}

/* A pin for mail.example.com:995 made at a known moment. */
static PbTrustStore *
pins_made_on_3_march (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("pins");
  g_autofree char *path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(PbTrustStore) writer = pb_trust_store_new (path);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_auto(GStrv) groups = NULL;
  g_autoptr(GError) error = NULL;
  PbTrustStore *pins;

  pb_trust_store_add (writer, "mail.example.com", 995, cert);
  g_assert_true (pb_trust_store_save (writer, &error));
  g_assert_no_error (error);

  /* 20:00 UTC on 2 March: 3 March in Tokyo. */
  g_assert_true (g_key_file_load_from_file (keyfile, path, G_KEY_FILE_KEEP_COMMENTS, &error));
  g_assert_no_error (error);
  groups = g_key_file_get_groups (keyfile, NULL);
  g_assert_cmpuint (g_strv_length (groups), ==, 1);
  g_key_file_set_string (keyfile, groups[0], "pinned-at", "2026-03-02T20:00:00Z");
  g_assert_true (g_key_file_save_to_file (keyfile, path, &error));
  g_assert_no_error (error);

  pins = pb_trust_store_new (path);
  g_assert_true (pb_trust_store_load (pins, &error));
  g_assert_no_error (error);
  g_assert_nonnull (pb_trust_store_get_pinned_at (pins, "mail.example.com", 995));
  return pins;
}

static void
test_protection_verified (void)
{
  g_autoptr(PbCheckResult) tls13 = success_result (G_TLS_PROTOCOL_VERSION_TLS_1_3, PB_TRUST_SYSTEM);
  g_autoptr(PbCheckResult) tls12 = success_result (G_TLS_PROTOCOL_VERSION_TLS_1_2, PB_TRUST_SYSTEM);
  g_autoptr(PbCheckResult) unknown = success_result (G_TLS_PROTOCOL_VERSION_UNKNOWN,
                                                     PB_TRUST_SYSTEM);
  g_autofree char *a = pb_describe_protection (tls13, NULL);
  g_autofree char *b = pb_describe_protection (tls12, NULL);
  g_autofree char *c = pb_describe_protection (unknown, NULL);

  g_assert_cmpstr (a, ==, "Encrypted (TLS 1.3) · certificate verified");
  g_assert_cmpstr (b, ==, "Encrypted (TLS 1.2) · certificate verified");
  g_assert_cmpstr (c, ==, "Encrypted · certificate verified");
}

static void
test_protection_pinned_names_the_day (void)
{
  g_autoptr(PbTrustStore) pins = pins_made_on_3_march ();
  g_autoptr(PbTrustStore) empty = pb_trust_store_new ("/nonexistent/trust.ini");
  g_autoptr(PbCheckResult) result = success_result (G_TLS_PROTOCOL_VERSION_TLS_1_2,
                                                    PB_TRUST_PINNED);
  g_autofree char *with_date = pb_describe_protection (result, pins);
  g_autofree char *without_pins = pb_describe_protection (result, NULL);
  g_autofree char *without_pin = pb_describe_protection (result, empty);

  g_assert_cmpstr (with_date, ==,
                   "Encrypted (TLS 1.2) · certificate you trusted on 3 March 2026");
  g_assert_cmpstr (without_pins, ==, "Encrypted (TLS 1.2) · certificate you trusted");
  g_assert_cmpstr (without_pin, ==, "Encrypted (TLS 1.2) · certificate you trusted");

  /* The pin is for exactly one port. */
  result->port = 110;
  {
    g_autofree char *other_port = pb_describe_protection (result, pins);
    g_assert_cmpstr (other_port, ==, "Encrypted (TLS 1.2) · certificate you trusted");
  }
}

static void
test_protection_unknown_without_success (void)
{
  g_autoptr(PbCheckResult) failed = success_result (G_TLS_PROTOCOL_VERSION_TLS_1_3,
                                                    PB_TRUST_SYSTEM);
  g_autofree char *text = NULL;

  g_assert_null (pb_describe_protection (NULL, NULL));

  failed->error = g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_CONNECT, "refused");
  text = pb_describe_protection (failed, NULL);
  g_assert_null (text);
}

static void
test_expiry_warning (void)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.pem");
  g_autoptr(GDateTime) not_after = g_tls_certificate_get_not_valid_after (cert);
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *date = NULL;
  static const struct
  {
    GTimeSpan   before;       /* how long before the end "now" is */
    const char *expected;     /* DATE: the date; NULL: no warning */
  } cases[] = {
    { 5 * G_TIME_SPAN_DAY + G_TIME_SPAN_HOUR,
      "The server's certificate expires in 5 days (on DATE)." },
    { 14 * G_TIME_SPAN_DAY, "The server's certificate expires in 14 days (on DATE)." },
    { G_TIME_SPAN_DAY + G_TIME_SPAN_MINUTE,
      "The server's certificate expires in 1 day (on DATE)." },
    { 2 * G_TIME_SPAN_HOUR, "The server's certificate expires within a day (on DATE)." },
    { 0, "The server's certificate expired on DATE." },
    { -G_TIME_SPAN_DAY, "The server's certificate expired on DATE." },
    { 14 * G_TIME_SPAN_DAY + G_TIME_SPAN_MINUTE, NULL },
    { 400 * G_TIME_SPAN_DAY, NULL },
  };

  g_assert_nonnull (not_after);
  local = g_date_time_to_local (not_after);
  date = g_date_time_format (local, "%-d %B %Y");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GDateTime) now = g_date_time_add (not_after, -cases[i].before);
      g_autofree char *text = pb_describe_expiry_warning (cert, now);
      g_autoptr(GString) expected = NULL;

      if (cases[i].expected != NULL)
        {
          expected = g_string_new (cases[i].expected);
          g_string_replace (expected, "DATE", date, 1);
        }
      g_assert_cmpstr (text, ==, expected ? expected->str : NULL);
    }

  {
    g_autoptr(GDateTime) now = test_now ();
    g_assert_null (pb_describe_expiry_warning (NULL, now));
  }
}

/* ---- The account ---------------------------------------------------------- */

static void
test_state_sentences (void)
{
  g_autoptr(GError) refused = g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED,
                                                   "-ERR [AUTH] Authentication failed.");
  g_autoptr(GError) missing = g_error_new_literal (PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND,
                                                   "No password");
  g_autoptr(GError) network = g_error_new_literal (PB_POP3_ERROR, PB_POP3_ERROR_CONNECT,
                                                   "The connection failed");
  gint64 checked = NOW - 120;
  gint64 next = unix_at (2026, 3, 5, 10, 35);
  static const struct
  {
    PbAccountState state;
    int            error;      /* 0 none, 1 refused, 2 missing, 3 network */
    gboolean       checked, next;
    const char    *expected;
  } cases[] = {
    { PB_ACCOUNT_STATE_OK, 0, TRUE, TRUE, "Checked 2 minutes ago · next check at 10:35" },
    { PB_ACCOUNT_STATE_OK, 0, TRUE, FALSE, "Checked 2 minutes ago" },
    { PB_ACCOUNT_STATE_IDLE, 0, FALSE, FALSE, "Not checked yet" },
    { PB_ACCOUNT_STATE_IDLE, 0, FALSE, TRUE, "Not checked yet · next check at 10:35" },
    { PB_ACCOUNT_STATE_IDLE, 0, TRUE, TRUE, "Checked 2 minutes ago · next check at 10:35" },
    { PB_ACCOUNT_STATE_CHECKING, 0, TRUE, FALSE, "Checking…" },
    { PB_ACCOUNT_STATE_FAILING, 3, TRUE, TRUE, "The last check failed · next check at 10:35" },
    { PB_ACCOUNT_STATE_FAILING, 3, FALSE, FALSE, "The last check failed" },
    { PB_ACCOUNT_STATE_OFFLINE, 0, TRUE, FALSE,
      "Offline — Popbell checks when the network is back" },
    { PB_ACCOUNT_STATE_NEEDS_PASSWORD, 1, TRUE, FALSE, "The server didn't accept the password" },
    { PB_ACCOUNT_STATE_NEEDS_PASSWORD, 2, TRUE, FALSE, "No password is stored for this account" },
    { PB_ACCOUNT_STATE_NEEDS_TRUST, 0, TRUE, FALSE, "The server's identity can't be verified" },
    { PB_ACCOUNT_STATE_KEYRING_LOCKED, 0, TRUE, FALSE,
      "The keyring is locked, so the password can't be read" },
    { PB_ACCOUNT_STATE_NO_KEYRING, 0, TRUE, FALSE, "No keyring is available to keep the password" },
    { PB_ACCOUNT_STATE_DISABLED, 0, TRUE, FALSE, "Checks are turned off for this account" },
    { PB_ACCOUNT_STATE_NEEDS_SIGN_IN, 0, TRUE, FALSE,
      "Popbell must be signed in again to check this account" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const GError *errors[] = { NULL, refused, missing, network };
      g_autofree char *text = pb_describe_state_full (cases[i].state, errors[cases[i].error],
                                                      cases[i].checked ? checked : 0,
                                                      cases[i].next ? next : 0, NOW);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_state_from_monitor (void)
{
  g_autofree char *config = pb_test_mkdtemp ("config");
  g_autofree char *state_dir = pb_test_mkdtemp ("state");
  g_autofree char *accounts_path = g_build_filename (config, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (config, "trust.ini", NULL);
  g_autofree char *state_path = g_build_filename (state_dir, "work.state", NULL);
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  g_autoptr(PbScheduler) scheduler = pb_scheduler_new (NULL, G_NETWORK_MONITOR (network), FALSE);
  g_autoptr(PbAccount) account = pb_account_new ("work");
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (state_path);
  g_autoptr(PbMonitor) monitor = NULL;
  g_autoptr(GError) error = NULL;
  const char *uidls[] = { "a" };
  gint64 now;
  g_autofree char *online = NULL;
  g_autofree char *offline = NULL;
  g_autofree char *unknown = NULL;

  pb_account_set_host (account, "127.0.0.1");
  pb_account_set_user (account, "alice");
  g_assert_true (pb_account_store_add (accounts, account, &error));
  g_assert_no_error (error);

  /* An earlier session checked the account. */
  pb_seen_store_record_check (seen, uidls, 1, 1, NULL);
  g_assert_true (pb_seen_store_save (seen, &error));
  g_assert_no_error (error);

  monitor = pb_monitor_new (accounts, pins, scheduler, state_dir);
  pb_monitor_start (monitor);
  now = g_get_real_time () / G_USEC_PER_SEC;

  /* The first check of the session comes within seconds. */
  online = pb_describe_state (monitor, "work", now);
  g_assert_cmpstr (online, ==, "Checked just now · next check in a moment");

  pb_test_network_set_available (network, FALSE);
  offline = pb_describe_state (monitor, "work", now);
  g_assert_cmpstr (offline, ==, "Offline — Popbell checks when the network is back");

  unknown = pb_describe_state (monitor, "nobody", now);
  g_assert_cmpstr (unknown, ==, "Not checked yet");
}

static void
test_fix_buttons (void)
{
  static const struct
  {
    PbAccountState state;
    const char    *label;
    const char    *action;
  } cases[] = {
    { PB_ACCOUNT_STATE_NEEDS_TRUST, "Review Certificate…", PB_ACTION_REVIEW_CERTIFICATE },
    { PB_ACCOUNT_STATE_NEEDS_PASSWORD, "Enter Password…", PB_ACTION_ENTER_PASSWORD },
    { PB_ACCOUNT_STATE_KEYRING_LOCKED, "Enter Password…", PB_ACTION_ENTER_PASSWORD },
    { PB_ACCOUNT_STATE_NO_KEYRING, "Enter Password…", PB_ACTION_ENTER_PASSWORD },
    { PB_ACCOUNT_STATE_FAILING, "Try Again", PB_ACTION_CHECK_NOW },
    { PB_ACCOUNT_STATE_NEEDS_SIGN_IN, "Sign In Again…", PB_ACTION_SIGN_IN },
    { PB_ACCOUNT_STATE_IDLE, NULL, NULL },
    { PB_ACCOUNT_STATE_CHECKING, NULL, NULL },
    { PB_ACCOUNT_STATE_OK, NULL, NULL },
    { PB_ACCOUNT_STATE_OFFLINE, NULL, NULL },
    { PB_ACCOUNT_STATE_DISABLED, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *label = "unset";
      const char *action = "unset";
      gboolean has_fix = pb_describe_fix (cases[i].state, &label, &action);

      g_assert_cmpint (has_fix, ==, cases[i].action != NULL);
      g_assert_cmpstr (label, ==, cases[i].label);
      g_assert_cmpstr (action, ==, cases[i].action);
    }
}

/* An account that signs in is never asked for a password: where the keyring
 * is locked or missing, signing in is what mends it. */
static void
test_fix_buttons_of_sign_in_accounts (void)
{
  static const struct
  {
    PbAccountState state;
    gboolean       oauth2;
    const char    *label;
    const char    *action;
  } cases[] = {
    { PB_ACCOUNT_STATE_NEEDS_PASSWORD, TRUE, "Sign In…", PB_ACTION_SIGN_IN },
    { PB_ACCOUNT_STATE_KEYRING_LOCKED, TRUE, "Sign In…", PB_ACTION_SIGN_IN },
    { PB_ACCOUNT_STATE_NO_KEYRING, TRUE, "Sign In…", PB_ACTION_SIGN_IN },
    { PB_ACCOUNT_STATE_NEEDS_SIGN_IN, TRUE, "Sign In Again…", PB_ACTION_SIGN_IN },
    { PB_ACCOUNT_STATE_NEEDS_TRUST, TRUE, "Review Certificate…", PB_ACTION_REVIEW_CERTIFICATE },
    { PB_ACCOUNT_STATE_FAILING, TRUE, "Try Again", PB_ACTION_CHECK_NOW },
    { PB_ACCOUNT_STATE_OK, TRUE, NULL, NULL },
    { PB_ACCOUNT_STATE_NEEDS_PASSWORD, FALSE, "Enter Password…", PB_ACTION_ENTER_PASSWORD },
    { PB_ACCOUNT_STATE_KEYRING_LOCKED, FALSE, "Enter Password…", PB_ACTION_ENTER_PASSWORD },
    { PB_ACCOUNT_STATE_NO_KEYRING, FALSE, "Enter Password…", PB_ACTION_ENTER_PASSWORD },
    { PB_ACCOUNT_STATE_NEEDS_SIGN_IN, FALSE, "Sign In Again…", PB_ACTION_SIGN_IN },
  };
  g_autoptr(PbAccount) password = pb_account_new ("work");
  g_autoptr(PbAccount) oauth2 = pb_account_new ("mail");

  pb_account_set_oauth2_provider (oauth2, "microsoft");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PbAccount *account = cases[i].oauth2 ? oauth2 : password;
      const char *label = "unset";
      const char *action = "unset";
      gboolean has_fix = pb_describe_account_fix (account, cases[i].state, &label, &action);

      g_test_message ("state %d, %s", cases[i].state, cases[i].oauth2 ? "sign-in" : "password");
      g_assert_cmpint (has_fix, ==, cases[i].action != NULL);
      g_assert_cmpstr (label, ==, cases[i].label);
      g_assert_cmpstr (action, ==, cases[i].action);
      g_assert_cmpint (pb_describe_fix_is_sign_in (account, cases[i].state), ==,
                       g_strcmp0 (cases[i].action, PB_ACTION_SIGN_IN) == 0);
    }
  /* Without an account (none known), the state alone. */
  g_assert_true (pb_describe_account_fix (NULL, PB_ACCOUNT_STATE_NO_KEYRING, NULL, NULL));
  g_assert_false (pb_describe_fix_is_sign_in (NULL, PB_ACCOUNT_STATE_NO_KEYRING));
}

static void
test_new_count_plurals (void)
{
  g_autofree char *none = pb_describe_new_count (0);
  g_autofree char *one = pb_describe_new_count (1);
  g_autofree char *five = pb_describe_new_count (5);

  g_assert_cmpstr (none, ==, "No new mail");
  g_assert_cmpstr (one, ==, "1 new message");
  g_assert_cmpstr (five, ==, "5 new messages");
}

static void
test_join (void)
{
  g_autofree char *both = pb_describe_join ("one", "two");
  g_autofree char *alone = pb_describe_join ("one", NULL);

  g_assert_cmpstr (both, ==, "one · two");
  g_assert_cmpstr (alone, ==, "one");
}

/* One wording of a message for every face: untrusted text on one line. */
static void
test_message_texts (void)
{
  const char *full = "From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\r\n"
                     "Subject: Hello\x1b[31m\r\n\tworld\r\n\r\n";
  const char *bare = "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n";
  g_autoptr(PbMessage) message = pb_message_new_from_headers ("1", full, strlen (full));
  g_autoptr(PbMessage) empty = pb_message_new_from_headers ("2", bare, strlen (bare));
  g_autofree char *sender = pb_describe_sender (message, 0);
  g_autofree char *subject = pb_describe_subject (message, 0);
  g_autofree char *line = pb_describe_message_line (message, 0);
  g_autofree char *short_line = pb_describe_message_line (message, 6);
  g_autofree char *unknown = pb_describe_sender (empty, 0);
  g_autofree char *none = pb_describe_subject (empty, 0);

  g_assert_cmpstr (sender, ==, "山田");
  g_assert_null (strchr (subject, '\x1b'));
  g_assert_null (strchr (subject, '\n'));
  g_assert_true (g_str_has_prefix (subject, "Hello"));
  g_assert_true (g_str_has_suffix (subject, "world"));
  g_assert_true (g_str_has_prefix (line, "山田 — Hello"));
  g_assert_cmpuint (g_utf8_strlen (short_line, -1), <=, 6);
  g_assert_cmpstr (unknown, ==, "Unknown sender");
  g_assert_cmpstr (none, ==, "(no subject)");
}

int
main (int    argc,
      char **argv)
{
  /* Before anything reads the local time zone or the settings. */
  g_setenv ("TZ", "Asia/Tokyo", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/describe/time-of-day/24-hours", test_time_of_day_24_hours);
  g_test_add_func ("/pb/describe/message/sender-subject-line", test_message_texts);
  g_test_add_func ("/pb/describe/time-of-day/12-hours-when-the-desktop-says-so",
                   test_time_of_day_12_hours);
  g_test_add_func ("/pb/describe/date/is-long-and-local", test_date_is_long_and_local);
  g_test_add_func ("/pb/describe/message-date/is-compact", test_message_date_is_compact);
  g_test_add_func ("/pb/describe/time-ago/minutes-then-days", test_time_ago_wording);
  g_test_add_func ("/pb/describe/next-check/today-tomorrow-later", test_next_check_wording);
  g_test_add_func ("/pb/describe/protection/verified-names-the-tls-version",
                   test_protection_verified);
  g_test_add_func ("/pb/describe/protection/pinned-names-the-day",
                   test_protection_pinned_names_the_day);
  g_test_add_func ("/pb/describe/protection/unknown-without-a-success",
                   test_protection_unknown_without_success);
  g_test_add_func ("/pb/describe/expiry/warns-within-14-days", test_expiry_warning);
  g_test_add_func ("/pb/describe/state/one-sentence-per-state", test_state_sentences);
  g_test_add_func ("/pb/describe/state/read-from-the-monitor", test_state_from_monitor);
  g_test_add_func ("/pb/describe/fix/button-per-state", test_fix_buttons);
  g_test_add_func ("/pb/describe/fix/sign-in-accounts-are-never-asked-for-a-password",
                   test_fix_buttons_of_sign_in_accounts);
  g_test_add_func ("/pb/describe/new-count/plurals", test_new_count_plurals);
  g_test_add_func ("/pb/describe/join/second-part-optional", test_join);

  return g_test_run ();
}
