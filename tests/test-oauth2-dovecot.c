/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A real server that takes OAuth2 tokens: a private Dovecot whose oauth2 passdb
 * asks the tests' identity provider (tests/oauth2/idp.py) about each token by
 * introspection (RFC 7662). Popbell's POP3 client signs in to it with SASL
 * XOAUTH2 and OAUTHBEARER, and reads Dovecot's error challenge for a token
 * that is no longer good. */
#include "config.h"

#include <string.h>

#include "pb-account-store.h"
#include "pb-checker.h"
#include "pb-dovecot.h"
#include "pb-monitor.h"
#include "pb-error.h"
#include "pb-oauth2-tokens.h"
#include "pb-pop3-client.h"
#include "pb-test-idp.h"
#include "pb-test-clock.h"
#include "pb-test-keyring.h"
#include "pb-test-network.h"
#include "pb-test-util.h"

#define USER "alice@example.org"

typedef struct
{
  PbTestIdp     *idp;
  PbDovecot     *dovecot;
  PbTestKeyring *keyring;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  const char *mechanisms = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  fixture->idp = pb_test_idp_new (NULL);
  url = pb_test_idp_url (fixture->idp, "/introspect");
  fixture->dovecot = pb_dovecot_new_oauth2 (url, mechanisms, PB_DOVECOT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  /* The password is never used: this user signs in with tokens. */
  pb_dovecot_add_user (fixture->dovecot, USER, "unused-password", &error);
  g_assert_no_error (error);
  pb_dovecot_add_user (fixture->dovecot, "bob@example.org", "unused-password", &error);
  g_assert_no_error (error);
  pb_dovecot_deliver (fixture->dovecot, USER, "Subject: one\n\nHello\n", 20, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  if (g_test_failed ())
    {
      g_autofree char *log = pb_dovecot_get_log (fixture->dovecot);

      g_test_message ("Dovecot's log:\n%s", log);
    }
  pb_oauth2_forget_access_token (NULL);
  g_clear_pointer (&fixture->keyring, pb_test_keyring_free);
  g_clear_pointer (&fixture->dovecot, pb_dovecot_free);
  g_clear_pointer (&fixture->idp, pb_test_idp_free);
}

static char *
issue_token (Fixture    *fixture,
             const char *user)
{
  g_autoptr(JsonObject) tokens = pb_test_idp_issue (fixture->idp, user);

  return g_strdup (json_object_get_string_member (tokens, "access_token"));
}

/* Connects over implicit TLS and signs in with @token; the listing, or NULL
 * with @error. The transcript of mechanisms is in @capabilities. */
static PbPop3Listing *
sign_in (Fixture             *fixture,
         const char          *user,
         const char          *token,
         PbPop3Capabilities  *capabilities,
         GError             **error)
{
  g_autoptr(PbPop3Client) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  PbPop3Listing *listing;

  client = pb_pop3_client_new ("127.0.0.1", pb_dovecot_get_pop3s_port (fixture->dovecot),
                               PB_SECURITY_TLS);
  pb_pop3_client_set_ca_file (client, ca);
  pb_pop3_client_set_timeout (client, 15);

  pb_pop3_client_connect_async (client, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  if (!pb_pop3_client_connect_finish (client, result, error))
    return NULL;
  g_clear_object (&result);
  *capabilities = pb_pop3_client_get_capabilities (client);

  pb_pop3_client_login_bearer_async (client, user, token, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 30);
  listing = pb_pop3_client_login_finish (client, result, error);
  pb_pop3_client_quit (client);
  return listing;
}

/* The token is accepted, and the mailbox listed. */
static void
test_accepted (Fixture       *fixture,
               gconstpointer  user_data)
{
  const char *mechanisms = user_data;
  g_autofree char *token = issue_token (fixture, USER);
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stats = NULL;
  PbPop3Capabilities caps = 0;

  listing = sign_in (fixture, USER, token, &caps, &error);
  g_assert_no_error (error);
  g_assert_nonnull (listing);
  g_assert_cmpuint (listing->count, ==, 1);
  g_assert_nonnull (listing->entries);
  g_assert_cmpuint (listing->entries->len, ==, 1);

  /* Dovecot offered what it was told, and asked the provider. */
  if (strstr (mechanisms, "oauthbearer") != NULL)
    g_assert_true (caps & PB_POP3_CAPA_SASL_OAUTHBEARER);
  else
    g_assert_false (caps & PB_POP3_CAPA_SASL_OAUTHBEARER);
  if (strstr (mechanisms, "xoauth2") != NULL)
    g_assert_true (caps & PB_POP3_CAPA_SASL_XOAUTH2);
  stats = pb_test_idp_get_stats (fixture->idp);
  g_assert_cmpint (json_object_get_int_member (stats, "introspect_active"), >=, 1);
}

/* An access token the provider says is no longer active: Dovecot sends its
 * error challenge, the client answers it, and the refusal says so. */
static void
test_expired (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *token = issue_token (fixture, USER);
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GError) error = NULL;
  PbPop3Capabilities caps = 0;

  pb_test_idp_expire_access (fixture->idp);
  listing = sign_in (fixture, USER, token, &caps, &error);
  g_assert_null (listing);
  g_test_message ("Dovecot: %s", error->message);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED);
  g_assert_cmpstr (pb_error_kind (error), ==, "auth");
  g_assert_nonnull (strstr (error->message, "(status "));
  g_assert_null (strstr (error->message, token));
}

/* A good token of another user does not open this mailbox. */
static void
test_other_user (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *token = issue_token (fixture, "bob@example.org");
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GError) error = NULL;
  PbPop3Capabilities caps = 0;

  listing = sign_in (fixture, USER, token, &caps, &error);
  g_assert_null (listing);
  g_test_message ("Dovecot: %s", error->message);
  g_assert_true (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED) ||
                 g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED));
}

/* A password is still refused where only tokens are meant: the oauth2 passdb
 * takes only the token mechanisms. */
static void
test_garbage_token (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GError) error = NULL;
  PbPop3Capabilities caps = 0;

  listing = sign_in (fixture, USER, "at-made-up", &caps, &error);
  g_assert_null (listing);
  g_assert_error (error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED);
}

/* ---- Checks of an account that signs in with OAuth2 ------------------------ */

/* An account of the test provider on this Dovecot, signed in: the refresh
 * token in the keyring, the access token in memory. */
static PbAccount *
signed_in_account (Fixture *fixture)
{
  g_autoptr(JsonObject) issued = pb_test_idp_issue (fixture->idp, USER);
  PbOAuth2Tokens tokens = {
    .access_token = (char *) json_object_get_string_member (issued, "access_token"),
    .refresh_token = (char *) json_object_get_string_member (issued, "refresh_token"),
    .expires_in = 3600,
  };
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PbAccount *account = pb_account_new ("mail");

  pb_account_set_host (account, "127.0.0.1");
  pb_account_set_port (account, pb_dovecot_get_pop3s_port (fixture->dovecot));
  pb_account_set_user (account, USER);
  pb_account_set_ca_file (account, ca);
  pb_account_set_oauth2_provider (account, "test");

  fixture->keyring = pb_test_keyring_new ();
  pb_test_idp_write_provider (fixture->idp, "test", "mail offline_access");
  pb_oauth2_save_sign_in_async (account, &tokens, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  g_assert_true (pb_oauth2_save_sign_in_finish (result, &error));
  return account;
}

static PbCheckResult *
check (PbAccount *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *state_dir = pb_test_mkdtemp ("state");
  PbCheckOptions options = { .state_dir = state_dir, .timeout = 15 };

  pb_checker_check_async (account, &options, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 60);
  return pb_checker_check_finish (result);
}

static void
test_check_signed_in (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = signed_in_account (fixture);
  g_autoptr(PbCheckResult) result = check (account);

  g_assert_no_error (result->error);
  g_assert_cmpuint (result->total, ==, 1);
  /* The access token in memory was good: no refresh. */
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 0);
}

/* The server refuses the token in memory (revoked, cut short): one fresh
 * token, one more try, and the check works. */
static void
test_check_refused_token_renewed (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = signed_in_account (fixture);
  g_autoptr(PbCheckResult) result = NULL;

  pb_test_idp_expire_access (fixture->idp);
  result = check (account);
  g_assert_no_error (result->error);
  g_assert_cmpuint (result->total, ==, 1);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 1);
}

/* The provider refuses the sign-in itself: "needs sign-in", once, with no
 * more requests than the one refresh. */
static void
test_check_needs_sign_in (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = signed_in_account (fixture);
  g_autoptr(PbCheckResult) result = NULL;

  pb_test_idp_expire_access (fixture->idp);
  pb_test_idp_revoke_refresh (fixture->idp);
  result = check (account);
  g_assert_error (result->error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN);
  g_assert_cmpstr (pb_error_kind (result->error), ==, "sign-in");
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 1);
}

/* ---- The applet's model: "needs sign-in", told once, and no retry storm ---- */

static void
count_attention (PbMonitor    *monitor,
                 const char   *id,
                 int           state,
                 const GError *error,
                 gpointer      user_data)
{
  guint *attention = user_data;

  g_assert_cmpint (state, ==, PB_ACCOUNT_STATE_NEEDS_SIGN_IN);
  (*attention)++;
}

static void
run_next_check (PbTestClock *clock,
                PbScheduler *scheduler)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_assert_true (pb_test_clock_run_next (clock));
  while (pb_scheduler_is_running (scheduler, "mail"))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The check did not end within 60 s");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
test_monitor_needs_sign_in (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = signed_in_account (fixture);
  g_autofree char *dir = pb_test_mkdtemp ("monitor");
  g_autofree char *accounts_path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbTestClock) clock = pb_test_clock_new ();
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  g_autoptr(PbScheduler) scheduler = NULL;
  g_autoptr(PbMonitor) monitor = NULL;
  g_autoptr(JsonObject) issued = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PbOAuth2Tokens tokens = { 0 };
  guint attention = 0;

  g_assert_true (pb_account_store_add (accounts, account, &error));
  g_assert_true (pb_account_store_save (accounts, &error));
  scheduler = pb_scheduler_new (PB_CLOCK (clock), G_NETWORK_MONITOR (network), FALSE);
  monitor = pb_monitor_new (accounts, pins, scheduler, dir);
  g_signal_connect (monitor, "attention", G_CALLBACK (count_attention), &attention);
  pb_monitor_start (monitor);
  run_next_check (clock, scheduler);
  g_assert_cmpint (pb_monitor_get_state (monitor, "mail"), ==, PB_ACCOUNT_STATE_OK);

  /* The provider withdraws the sign-in. */
  pb_oauth2_forget_access_token (NULL);
  pb_test_idp_revoke_refresh (fixture->idp);
  run_next_check (clock, scheduler);
  g_assert_cmpint (pb_monitor_get_state (monitor, "mail"), ==, PB_ACCOUNT_STATE_NEEDS_SIGN_IN);
  g_assert_error (pb_monitor_get_error (monitor, "mail"), PB_OAUTH2_ERROR,
                  PB_OAUTH2_ERROR_NEEDS_SIGN_IN);
  g_assert_cmpuint (attention, ==, 1);
  g_assert_true (pb_scheduler_is_stopped (scheduler, "mail"));

  /* A day passes: no check, no request to the provider, nothing told again. */
  pb_test_clock_advance (clock, 24 * 3600 * 1000);
  g_assert_false (pb_scheduler_is_running (scheduler, "mail"));
  g_assert_cmpuint (attention, ==, 1);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 1);

  /* Signed in again: checked at once, and well. */
  issued = pb_test_idp_issue (fixture->idp, USER);
  tokens.access_token = (char *) json_object_get_string_member (issued, "access_token");
  tokens.refresh_token = (char *) json_object_get_string_member (issued, "refresh_token");
  tokens.expires_in = 3600;
  pb_oauth2_save_sign_in_async (account, &tokens, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  g_assert_true (pb_oauth2_save_sign_in_finish (result, &error));
  pb_monitor_resume (monitor, "mail");
  run_next_check (clock, scheduler);
  g_assert_cmpint (pb_monitor_get_state (monitor, "mail"), ==, PB_ACCOUNT_STATE_OK);
  g_clear_object (&monitor);
  pb_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  const char *variants[] = { "xoauth2", "oauthbearer", "xoauth2 oauthbearer" };
  const char *names[] = { "xoauth2", "oauthbearer", "both" };

  pb_test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *accepted = g_strdup_printf ("/pb/oauth2/dovecot/%s/token-accepted",
                                                   names[i]);
      g_autofree char *expired = g_strdup_printf ("/pb/oauth2/dovecot/%s/expired-token-challenged",
                                                  names[i]);

      g_test_add (accepted, Fixture, variants[i], fixture_setup, test_accepted, fixture_teardown);
      g_test_add (expired, Fixture, variants[i], fixture_setup, test_expired, fixture_teardown);
    }
  g_test_add ("/pb/oauth2/dovecot/other-users-token-refused", Fixture, "xoauth2 oauthbearer",
              fixture_setup, test_other_user, fixture_teardown);
  g_test_add ("/pb/oauth2/dovecot/unknown-token-refused", Fixture, "xoauth2",
              fixture_setup, test_garbage_token, fixture_teardown);
  g_test_add ("/pb/oauth2/dovecot/check/signed-in", Fixture, "xoauth2 oauthbearer",
              fixture_setup, test_check_signed_in, fixture_teardown);
  g_test_add ("/pb/oauth2/dovecot/check/refused-token-renewed-once", Fixture,
              "xoauth2 oauthbearer", fixture_setup, test_check_refused_token_renewed,
              fixture_teardown);
  g_test_add ("/pb/oauth2/dovecot/check/refused-refresh-needs-sign-in", Fixture,
              "xoauth2 oauthbearer", fixture_setup, test_check_needs_sign_in, fixture_teardown);
  g_test_add ("/pb/oauth2/dovecot/monitor/needs-sign-in-told-once-without-retries", Fixture,
              "xoauth2 oauthbearer", fixture_setup, test_monitor_needs_sign_in, fixture_teardown);

  return g_test_run ();
}
