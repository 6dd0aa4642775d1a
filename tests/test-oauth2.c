/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OAuth2 in the core: the providers (built in and oauth2.ini), PKCE, the token
 * endpoint and the device grant against the tests' identity provider
 * (tests/oauth2/idp.py), and the access tokens of accounts, with the refresh
 * token in a real gnome-keyring. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "pb-account-admin.h"
#include "pb-account-store.h"
#include "pb-error.h"
#include "pb-goa.h"
#include "pb-oauth2-client.h"
#include "pb-oauth2-provider.h"
#include "pb-oauth2-sign-in.h"
#include "pb-oauth2-tokens.h"
#include "pb-secret-store.h"
#include "pb-test-goa.h"
#include "pb-test-idp.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"

#define USER "alice@example.org"
#define REDIRECT "http://127.0.0.1:45678/"

static void
write_oauth2_ini (const char *contents)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "popbell", NULL);
  g_autofree char *path = g_build_filename (dir, "oauth2.ini", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  if (contents == NULL)
    g_unlink (path);
  else
    g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

/* ---- Providers -------------------------------------------------------------- */

static void
test_built_in (void)
{
  g_autoptr(PbOAuth2Provider) google = NULL;
  g_autoptr(PbOAuth2Provider) microsoft = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;

  write_oauth2_ini (NULL);
  google = pb_oauth2_provider_lookup ("google", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (google->name, ==, "Google");
  g_assert_cmpstr (google->scope, ==, "https://mail.google.com/");
  g_assert_cmpstr (google->token_endpoint, ==, "https://oauth2.googleapis.com/token");
  /* Google refuses mail scopes for the device grant. */
  g_assert_false (google->device_grant);
  g_assert_true (google->built_in);

  microsoft = pb_oauth2_provider_lookup ("microsoft", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (microsoft->scope, ==,
                   "https://outlook.office.com/POP.AccessAsUser.All offline_access");
  g_assert_true (g_str_has_prefix (microsoft->authorization_endpoint,
                                   "https://login.microsoftonline.com/common/"));
  g_assert_true (microsoft->device_grant);

  /* The build's client IDs (none by default). */
  g_assert_cmpstr (google->client_id, ==, *PB_GOOGLE_CLIENT_ID ? PB_GOOGLE_CLIENT_ID : NULL);
  g_assert_cmpstr (microsoft->client_id, ==,
                   *PB_MICROSOFT_CLIENT_ID ? PB_MICROSOFT_CLIENT_ID : NULL);
  g_assert_cmpint (pb_oauth2_provider_has_client (microsoft), ==, *PB_MICROSOFT_CLIENT_ID != '\0');

  ids = pb_oauth2_provider_list ();
  g_assert_cmpstr (ids[0], ==, "google");
  g_assert_cmpstr (ids[1], ==, "microsoft");
  g_assert_null (ids[2]);

  g_assert_null (pb_oauth2_provider_lookup ("yahoo", &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_UNKNOWN_PROVIDER);
  g_assert_cmpstr (pb_error_kind (error), ==, "config");
}

static void
test_user_file (void)
{
  g_autoptr(PbOAuth2Provider) google = NULL;
  g_autoptr(PbOAuth2Provider) own = NULL;
  g_autoptr(PbOAuth2Provider) tenant = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *url = NULL;

  write_oauth2_ini ("# A client ID of the user's own for Google, and a provider of theirs.\n"
                    "[google]\nclient-id=1234.apps.googleusercontent.com\n"
                    "[home]\nname=Home Server\n"
                    "authorization-endpoint=https://id.example.org/authorize\n"
                    "token-endpoint=https://id.example.org/token\n"
                    "device-authorization-endpoint=https://id.example.org/device\n"
                    "client-id=popbell\nscope=mail offline_access\n"
                    "ca-file=/etc/ssl/home-ca.pem\n"
                    "[broken]\ntoken-endpoint=http://id.example.org/token\nscope=mail\n"
                    "authorization-endpoint=https://id.example.org/authorize\n"
                    "[incomplete]\nclient-id=x\n"
                    /* RFC 6749 §3.1: no fragment, where the request's parameters would go. */
                    "[fragment]\ntoken-endpoint=https://id.example.org/token\nscope=mail\n"
                    "authorization-endpoint=https://id.example.org/authorize#top\n"
                    /* A second state or redirect_uri would change what the request means. */
                    "[sneaky]\ntoken-endpoint=https://id.example.org/token\nscope=mail\n"
                    "authorization-endpoint=https://id.example.org/authorize\n"
                    "authorization-parameters=prompt=login&redirect_uri=https%3A%2F%2Fevil.example\n"
                    "[sneaky-query]\ntoken-endpoint=https://id.example.org/token\nscope=mail\n"
                    "authorization-endpoint=https://id.example.org/authorize?state=fixed\n"
                    "[tenant]\ntoken-endpoint=https://id.example.org/token\nscope=mail\n"
                    "authorization-endpoint=https://id.example.org/authorize?tenant=contoso\n"
                    "authorization-parameters=prompt=select_account\nclient-id=popbell\n");

  google = pb_oauth2_provider_lookup ("google", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (google->client_id, ==, "1234.apps.googleusercontent.com");
  /* Everything else stays as built in. */
  g_assert_cmpstr (google->scope, ==, "https://mail.google.com/");
  g_assert_true (pb_oauth2_provider_has_client (google));

  own = pb_oauth2_provider_lookup ("home", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (own->name, ==, "Home Server");
  g_assert_cmpstr (own->device_endpoint, ==, "https://id.example.org/device");
  g_assert_true (own->device_grant);
  g_assert_cmpstr (own->ca_file, ==, "/etc/ssl/home-ca.pem");
  g_assert_false (own->built_in);
  g_assert_true (pb_oauth2_provider_exists ("home"));

  g_assert_null (pb_oauth2_provider_lookup ("broken", &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER);
  g_clear_error (&error);
  g_assert_null (pb_oauth2_provider_lookup ("incomplete", &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER);
  g_clear_error (&error);
  g_assert_null (pb_oauth2_provider_lookup ("fragment", &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER);
  g_clear_error (&error);
  g_assert_null (pb_oauth2_provider_lookup ("sneaky", &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER);
  g_clear_error (&error);
  g_assert_null (pb_oauth2_provider_lookup ("sneaky-query", &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER);
  g_clear_error (&error);

  /* An endpoint with a query of its own: the request's parameters follow it. */
  tenant = pb_oauth2_provider_lookup ("tenant", &error);
  g_assert_no_error (error);
  url = pb_oauth2_authorization_url (tenant, "http://127.0.0.1:4000/", "st4te", "ch4llenge", NULL);
  g_assert_cmpstr (url, ==, "https://id.example.org/authorize?tenant=contoso&response_type=code"
                            "&client_id=popbell&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2F"
                            "&scope=mail&state=st4te&code_challenge=ch4llenge"
                            "&code_challenge_method=S256&prompt=select_account");

  ids = pb_oauth2_provider_list ();
  g_assert_cmpuint (g_strv_length (ids), ==, 9);
  g_assert_true (g_strv_contains ((const char * const *) ids, "home"));
  write_oauth2_ini (NULL);
}

/* ---- PKCE and the authorization request ---------------------------------- */

static void
test_pkce (void)
{
  g_autofree char *challenge = NULL;
  g_autofree char *a = pb_oauth2_pkce_verifier ();
  g_autofree char *b = pb_oauth2_pkce_verifier ();
  g_autofree char *state = pb_oauth2_random_state ();

  /* RFC 7636, appendix B. */
  challenge = pb_oauth2_pkce_challenge ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  g_assert_cmpstr (challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");

  g_assert_cmpuint (strlen (a), ==, 43);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (g_regex_match_simple ("^[A-Za-z0-9_-]{43}$", a, 0, 0));
  g_assert_true (g_regex_match_simple ("^[A-Za-z0-9_-]{22}$", state, 0, 0));
}

static void
test_authorization_url (void)
{
  PbOAuth2Provider provider = {
    .id = (char *) "google", .name = (char *) "Google",
    .authorization_endpoint = (char *) "https://accounts.google.com/o/oauth2/v2/auth",
    .token_endpoint = (char *) "https://oauth2.googleapis.com/token",
    .client_id = (char *) "id.apps", .scope = (char *) "https://mail.google.com/",
    .authorization_parameters = (char *) "access_type=offline&prompt=consent",
  };
  g_autofree char *url = pb_oauth2_authorization_url (&provider, "http://127.0.0.1:4000/",
                                                      "st4te", "ch4llenge", "a+b@gmail.com");

  g_assert_cmpstr (url, ==, "https://accounts.google.com/o/oauth2/v2/auth?response_type=code"
                            "&client_id=id.apps&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2F"
                            "&scope=https%3A%2F%2Fmail.google.com%2F&state=st4te"
                            "&code_challenge=ch4llenge&code_challenge_method=S256"
                            "&login_hint=a%2Bb%40gmail.com&access_type=offline&prompt=consent");

  /* An endpoint whose own query ends in a '?' of a value, or in a '&': the
   * request's parameters follow it with one '&' (fuzz-oauth2-providers
   * found "?next=?" swallowing response_type into next's value). */
  {
    const char *endpoints[][2] = {
      { "https://id.example.org/auth?next=?", "https://id.example.org/auth?next=?&" },
      { "https://id.example.org/auth?a=b&", "https://id.example.org/auth?a=b&" },
      { "https://id.example.org/auth?", "https://id.example.org/auth?" },
    };

    provider.authorization_parameters = NULL;
    for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
      {
        g_autofree char *with_query = NULL;
        g_autofree char *expected = g_strconcat (endpoints[i][1], "response_type=code"
                                                 "&client_id=id.apps&redirect_uri=http%3A%2F%2F"
                                                 "127.0.0.1%3A4000%2F&scope=https%3A%2F%2Fmail."
                                                 "google.com%2F&state=st4te&code_challenge="
                                                 "ch4llenge&code_challenge_method=S256", NULL);

        provider.authorization_endpoint = (char *) endpoints[i][0];
        with_query = pb_oauth2_authorization_url (&provider, "http://127.0.0.1:4000/", "st4te",
                                                  "ch4llenge", NULL);
        g_assert_cmpstr (with_query, ==, expected);
      }
  }
}

/* ---- The token endpoint ---------------------------------------------------------- */

typedef struct
{
  PbTestIdp        *idp;
  PbOAuth2Provider *provider;
  PbTestKeyring    *keyring;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->idp = pb_test_idp_new (user_data);
  pb_test_idp_write_provider (fixture->idp, "test", "mail offline_access");
  fixture->provider = pb_oauth2_provider_lookup ("test", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  pb_oauth2_forget_access_token (NULL);
  pb_oauth2_forget_session_sign_in (NULL);
  g_clear_pointer (&fixture->keyring, pb_test_keyring_free);
  g_clear_pointer (&fixture->provider, pb_oauth2_provider_free);
  g_clear_pointer (&fixture->idp, pb_test_idp_free);
  write_oauth2_ini (NULL);
}

/* The query parameter @name of @url, or NULL. */
static char *
query_param (const char *url,
             const char *name)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GHashTable) params = NULL;

  g_assert_nonnull (uri);
  params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  return g_strdup (g_hash_table_lookup (params, name));
}

/* The browser's part of a sign-in: the code the provider redirects with. */
static char *
authorize (Fixture    *fixture,
           const char *challenge,
           const char *state)
{
  g_autofree char *url = pb_oauth2_authorization_url (fixture->provider, REDIRECT, state,
                                                      challenge, USER);
  g_autofree char *location = pb_test_idp_authorize (fixture->idp, url);
  g_autofree char *back = NULL;

  g_assert_nonnull (location);
  g_assert_true (g_str_has_prefix (location, REDIRECT));
  back = query_param (location, "state");
  g_assert_cmpstr (back, ==, state);
  return query_param (location, "code");
}

static PbOAuth2Tokens *
exchange (Fixture     *fixture,
          const char  *code,
          const char  *verifier,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_oauth2_exchange_code_async (fixture->provider, code, verifier, REDIRECT, NULL,
                                 pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  return pb_oauth2_exchange_code_finish (result, error);
}

static PbOAuth2Tokens *
refresh (Fixture     *fixture,
         const char  *refresh_token,
         GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_oauth2_refresh_async (fixture->provider, refresh_token, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  return pb_oauth2_refresh_finish (result, error);
}

static void
test_code_exchange (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *verifier = pb_oauth2_pkce_verifier ();
  g_autofree char *challenge = pb_oauth2_pkce_challenge (verifier);
  g_autofree char *state = pb_oauth2_random_state ();
  g_autofree char *code = authorize (fixture, challenge, state);
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(PbOAuth2Tokens) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stats = NULL;
  JsonObject *asked;

  tokens = exchange (fixture, code, verifier, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (tokens->access_token, "at-"));
  g_assert_true (g_str_has_prefix (tokens->refresh_token, "rt-"));
  g_assert_cmpint (tokens->expires_in, ==, 3600);
  g_assert_cmpstr (tokens->scope, ==, "mail offline_access");

  /* What the provider was asked: S256, the login hint, the loopback redirect. */
  stats = pb_test_idp_get_stats (fixture->idp);
  asked = json_object_get_object_member (stats, "last_authorize");
  g_assert_cmpstr (json_object_get_string_member (asked, "code_challenge_method"), ==, "S256");
  g_assert_cmpstr (json_object_get_string_member (asked, "login_hint"), ==, USER);
  g_assert_cmpstr (json_object_get_string_member (asked, "client_id"), ==, "popbell-test");

  /* A code works once. */
  again = exchange (fixture, code, verifier, &error);
  g_assert_null (again);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "invalid_grant"));
}

/* The verifier is what proves the code is ours: another one is refused. */
static void
test_code_wrong_verifier (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *verifier = pb_oauth2_pkce_verifier ();
  g_autofree char *other = pb_oauth2_pkce_verifier ();
  g_autofree char *challenge = pb_oauth2_pkce_challenge (verifier);
  g_autofree char *code = authorize (fixture, challenge, "s");
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = exchange (fixture, code, other, &error);
  g_assert_null (tokens);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "PKCE"));
}

static void
test_refresh (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(JsonObject) issued = pb_test_idp_issue (fixture->idp, USER);
  const char *first = json_object_get_string_member (issued, "refresh_token");
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(PbOAuth2Tokens) again = NULL;
  g_autoptr(GError) error = NULL;

  tokens = refresh (fixture, first, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens->access_token);
  /* The provider rotates refresh tokens: the old one is dead now. */
  g_assert_nonnull (tokens->refresh_token);
  g_assert_cmpstr (tokens->refresh_token, !=, first);

  again = refresh (fixture, first, &error);
  g_assert_null (again);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN);
  g_assert_cmpstr (pb_error_kind (error), ==, "sign-in");
}

static void
test_temporary_error (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  pb_test_idp_configure (fixture->idp, "{\"token_error\": \"temporarily_unavailable\"}");
  tokens = refresh (fixture, "rt-anything", &error);
  g_assert_null (tokens);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_TEMPORARY);
  g_assert_cmpstr (pb_error_kind (error), ==, "temporary");
}

/* A provider that can't be reached is a network problem, said with its name. */
static void
test_unreachable (void)
{
  PbOAuth2Provider provider = {
    .id = (char *) "gone", .name = (char *) "Gone",
    .token_endpoint = g_strdup_printf ("https://127.0.0.1:%u/token", pb_test_free_port ()),
    .client_id = (char *) "x", .scope = (char *) "mail",
  };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  pb_oauth2_refresh_async (&provider, "rt", NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 40);
  tokens = pb_oauth2_refresh_finish (result, &error);
  g_assert_null (tokens);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_true (g_str_has_prefix (error->message, "127.0.0.1: "));
  g_assert_cmpstr (pb_error_kind (error), ==, "network");
  g_free (provider.token_endpoint);
}

/* ---- The device grant -------------------------------------------------------------- */

static PbOAuth2DeviceCode *
device_authorize (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PbOAuth2DeviceCode *device;

  pb_oauth2_device_authorize_async (fixture->provider, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  device = pb_oauth2_device_authorize_finish (result, &error);
  g_assert_no_error (error);
  return device;
}

typedef struct
{
  Fixture            *fixture;
  PbOAuth2DeviceCode *device;
  guint               polls_before;
} Approval;

/* The user, after a while, types the code at the verification page. */
static gboolean
approve_later (gpointer user_data)
{
  Approval *approval = user_data;
  g_autofree char *url = g_strdup_printf ("%s?user_code=%s", approval->device->verification_uri,
                                          approval->device->user_code);

  g_assert_cmpuint (pb_test_idp_get (approval->fixture->idp, url), ==, 200);
  return G_SOURCE_REMOVE;
}

static PbOAuth2Tokens *
device_wait (Fixture             *fixture,
             PbOAuth2DeviceCode  *device,
             GCancellable        *cancellable,
             guint                seconds,
             GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_oauth2_device_wait_async (fixture->provider, device, cancellable, pb_test_store_result,
                               &result);
  pb_test_wait_result (&result, seconds);
  return pb_oauth2_device_wait_finish (result, error);
}

static void
test_device_grant (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(PbOAuth2DeviceCode) device = device_authorize (fixture);
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  Approval approval = { fixture, device };
  gint64 started = g_get_monotonic_time ();
  gint64 polls;

  g_assert_true (g_str_has_prefix (device->verification_uri, "https://127.0.0.1:"));
  g_assert_true (g_regex_match_simple ("^[0-9]{4}-[0-9]{4}$", device->user_code, 0, 0));
  g_assert_cmpuint (device->interval, ==, 1);
  g_assert_nonnull (device->verification_uri_complete);

  /* Pending for a few polls, then the user is done. */
  g_timeout_add (2500, approve_later, &approval);
  tokens = device_wait (fixture, device, NULL, 30, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (tokens->access_token, "at-"));
  g_assert_nonnull (tokens->refresh_token);

  /* One poll an interval, no more: pending ones until the approval at
   * 2.5 s, then the tokens. A slow machine (the sanitizer build) answers
   * late, which leaves room for fewer polls, never for more. */
  polls = pb_test_idp_count_grants (fixture->idp, "urn:ietf:params:oauth:grant-type:device_code");
  g_test_message ("%" G_GINT64_FORMAT " polls in %.1f s", polls,
                  (g_get_monotonic_time () - started) / 1e6);
  g_assert_cmpint (polls, >=, 2);
  g_assert_cmpint (polls, <=, 4);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, (polls - 1) * G_USEC_PER_SEC);
}

/* slow_down: 5 seconds more between polls from then on (RFC 8628 §3.5). */
static void
test_device_slow_down (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(PbOAuth2DeviceCode) device = NULL;
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  Approval approval;
  gint64 started;

  pb_test_idp_configure (fixture->idp, "{\"device_slow_down\": 1}");
  device = device_authorize (fixture);
  approval = (Approval) { fixture, device };
  approve_later (&approval);

  started = g_get_monotonic_time ();
  tokens = device_wait (fixture, device, NULL, 30, &error);
  g_assert_no_error (error);
  /* 1 s to the first poll (slow_down), then 1 + 5 s to the second. */
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 7 * G_USEC_PER_SEC);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp,
                                             "urn:ietf:params:oauth:grant-type:device_code"),
                   ==, 2);
}

static void
test_device_expired (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(PbOAuth2DeviceCode) device = NULL;
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  pb_test_idp_configure (fixture->idp, "{\"device_expires_in\": 3}");
  device = device_authorize (fixture);
  tokens = device_wait (fixture, device, NULL, 30, &error);
  g_assert_null (tokens);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_EXPIRED);
}

/* The provider answers expired_token itself (its clock, not ours). */
static void
test_device_expired_by_provider (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(PbOAuth2DeviceCode) device = NULL;
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  pb_test_idp_configure (fixture->idp, "{\"device_expires_in\": 2}");
  device = device_authorize (fixture);
  /* Popbell believes it has longer. */
  device->expires_in = 600;
  tokens = device_wait (fixture, device, NULL, 30, &error);
  g_assert_null (tokens);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_EXPIRED);
}

static void
test_device_denied (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(PbOAuth2DeviceCode) device = NULL;
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  Approval approval;

  pb_test_idp_configure (fixture->idp, "{\"device_deny\": true}");
  device = device_authorize (fixture);
  approval = (Approval) { fixture, device };
  approve_later (&approval);
  tokens = device_wait (fixture, device, NULL, 30, &error);
  g_assert_null (tokens);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_DENIED);
}

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Cancelled between two polls: at once, not at the next poll. */
static void
test_device_cancelled (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(PbOAuth2DeviceCode) device = NULL;
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 started;

  pb_test_idp_configure (fixture->idp, "{\"device_interval\": 20}");
  device = device_authorize (fixture);
  g_timeout_add (300, cancel_later, cancellable);
  started = g_get_monotonic_time ();
  tokens = device_wait (fixture, device, cancellable, 10, &error);
  g_assert_null (tokens);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);
}

/* ---- The browser sign-in ------------------------------------------------------------ */

typedef struct
{
  char     *log;
  gboolean  forge_first;
  gboolean  default_handler;  /* through g_app_info_launch_default_for_uri */
  gboolean  never;            /* the user never signs in */
  char     *url;              /* what was opened */
} Browser;

static void
open_url (const char *url,
          gpointer    user_data)
{
  Browser *browser = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_null (browser->url);
  browser->url = g_strdup (url);
  if (browser->never)
    return;
  if (browser->default_handler)
    {
      g_assert_true (pb_oauth2_open_in_browser (url, &error));
      g_assert_no_error (error);
    }
  else
    pb_test_browser_open (url, browser->log, browser->forge_first);
}

static PbOAuth2Tokens *
browser_sign_in (Fixture       *fixture,
                 Browser       *browser,
                 guint          timeout,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  browser->log = g_build_filename (pb_test_get_tmpdir (), "browser.log", NULL);
  g_unlink (browser->log);
  pb_oauth2_browser_sign_in_async (fixture->provider, USER, timeout, open_url, browser,
                                   cancellable, pb_test_store_result, &result);
  pb_test_wait_result (&result, 30);
  return pb_oauth2_browser_sign_in_finish (result, error);
}

/* The listener of @url's redirect_uri takes no connection any more. */
static void
assert_listener_closed (const char *url)
{
  g_autofree char *redirect = query_param (url, "redirect_uri");
  g_autoptr(GUri) uri = g_uri_parse (redirect, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (g_uri_get_scheme (uri), ==, "http");
  g_assert_cmpstr (g_uri_get_host (uri), ==, "127.0.0.1");
  g_assert_cmpint (g_uri_get_port (uri), >, 1024);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL,
                                                &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
browser_clear (Browser *browser)
{
  g_free (browser->log);
  g_free (browser->url);
}

static void
browser_sign_in_works (Fixture  *fixture,
                       gboolean  forge_first)
{
  Browser browser = { .forge_first = forge_first };
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *page = NULL;
  g_autofree char *log = NULL;
  g_autofree char *method = NULL;

  tokens = browser_sign_in (fixture, &browser, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (tokens->access_token, "at-"));
  g_assert_nonnull (tokens->refresh_token);

  method = query_param (browser.url, "code_challenge_method");
  g_assert_cmpstr (method, ==, "S256");
  page = pb_test_browser_wait_page (browser.log, 10);
  g_assert_nonnull (strstr (page, "Signed in to Popbell"));
  g_assert_nonnull (strstr (page, "You can close this tab."));
  assert_listener_closed (browser.url);

  /* The forged requests were answered, refused, and changed nothing. */
  g_assert_true (g_file_get_contents (browser.log, &log, NULL, NULL));
  g_test_message ("%s", log);
  if (browser.forge_first)
    {
      g_auto(GStrv) refused = g_strsplit (log, "\"status\": 400}", -1);

      g_assert_nonnull (strstr (log, "/favicon.ico?"));
      g_assert_nonnull (strstr (log, "/?state=forged&"));
      g_assert_cmpuint (g_strv_length (refused), ==, 3);
    }
  browser_clear (&browser);
}

static void
test_browser_sign_in (Fixture       *fixture,
                      gconstpointer  user_data)
{
  browser_sign_in_works (fixture, FALSE);
}

static void
test_browser_forged_first (Fixture       *fixture,
                           gconstpointer  user_data)
{
  browser_sign_in_works (fixture, TRUE);
}

/* The real path: the desktop's handler for https://, a scripted browser here. */
static void
test_browser_default_handler (Fixture       *fixture,
                              gconstpointer  user_data)
{
  Browser browser = { .default_handler = TRUE };
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *page = NULL;
  g_autofree char *log = g_build_filename (pb_test_get_tmpdir (), "browser.log", NULL);

  pb_test_browser_install (log, FALSE);
  tokens = browser_sign_in (fixture, &browser, 0, NULL, &error);
  g_assert_no_error (error);
  page = pb_test_browser_wait_page (browser.log, 10);
  g_assert_nonnull (strstr (page, "Signed in to Popbell"));
  browser_clear (&browser);
}

static void
test_browser_denied (Fixture       *fixture,
                     gconstpointer  user_data)
{
  Browser browser = { 0 };
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *page = NULL;

  pb_test_idp_configure (fixture->idp, "{\"deny\": true}");
  tokens = browser_sign_in (fixture, &browser, 0, NULL, &error);
  g_assert_null (tokens);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_DENIED);
  page = pb_test_browser_wait_page (browser.log, 10);
  g_assert_nonnull (strstr (page, "Not signed in"));
  assert_listener_closed (browser.url);
  browser_clear (&browser);
}

static void
test_browser_times_out (Fixture       *fixture,
                        gconstpointer  user_data)
{
  Browser browser = { .never = TRUE };
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = browser_sign_in (fixture, &browser, 1, NULL, &error);
  g_assert_null (tokens);
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_EXPIRED);
  assert_listener_closed (browser.url);
  browser_clear (&browser);
}

static void
test_browser_cancelled (Fixture       *fixture,
                        gconstpointer  user_data)
{
  Browser browser = { .never = TRUE };
  g_autoptr(PbOAuth2Tokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  g_timeout_add (200, cancel_later, cancellable);
  tokens = browser_sign_in (fixture, &browser, 0, cancellable, &error);
  g_assert_null (tokens);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_listener_closed (browser.url);
  browser_clear (&browser);
}

/* ---- Access tokens of accounts ---------------------------------------------------- */

static PbAccount *
oauth2_account (void)
{
  PbAccount *account = pb_account_new ("mail");

  pb_account_set_host (account, "127.0.0.1");
  pb_account_set_user (account, USER);
  pb_account_set_oauth2_provider (account, "test");
  return account;
}

static char *
get_token (PbAccount           *account,
           PbOAuth2TokenFlags   flags,
           gboolean            *cached,
           GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_oauth2_get_access_token_async (account, flags, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  return pb_oauth2_get_access_token_finish (result, cached, error);
}

static void
save_sign_in (PbAccount      *account,
              PbOAuth2Tokens *tokens)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pb_oauth2_save_sign_in_async (account, tokens, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  g_assert_true (pb_oauth2_save_sign_in_finish (result, &error));
  g_assert_no_error (error);
}

static char *
stored_refresh_token (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *token;

  pb_secret_lookup_token_async ("mail", FALSE, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  token = pb_secret_lookup_token_finish (result, &error);
  g_assert_no_error (error);
  return token;
}

static void
test_account_tokens (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = oauth2_account ();
  g_autoptr(JsonObject) issued = pb_test_idp_issue (fixture->idp, USER);
  PbOAuth2Tokens tokens = {
    .access_token = (char *) json_object_get_string_member (issued, "access_token"),
    .refresh_token = (char *) json_object_get_string_member (issued, "refresh_token"),
    .expires_in = 3600,
  };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *stored = NULL;
  g_autoptr(GError) error = NULL;
  gboolean cached = FALSE;

  fixture->keyring = pb_test_keyring_new ();

  /* Before any sign-in. */
  g_assert_null (get_token (account, PB_OAUTH2_TOKEN_NONE, &cached, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN);
  g_assert_cmpstr (pb_error_kind (error), ==, "sign-in");
  g_clear_error (&error);

  save_sign_in (account, &tokens);
  stored = stored_refresh_token ();
  g_assert_cmpstr (stored, ==, tokens.refresh_token);

  /* From memory, without asking the provider. */
  first = get_token (account, PB_OAUTH2_TOKEN_NONE, &cached, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, tokens.access_token);
  g_assert_true (cached);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 0);

  /* Fresh: the stored refresh token is used, and its rotation stored. */
  second = get_token (account, PB_OAUTH2_TOKEN_FRESH, &cached, &error);
  g_assert_no_error (error);
  g_assert_false (cached);
  g_assert_cmpstr (second, !=, first);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 1);
  g_clear_pointer (&stored, pb_secret_free);
  stored = stored_refresh_token ();
  g_assert_cmpstr (stored, !=, tokens.refresh_token);

  /* Another user or provider in the account: not the token in memory. */
  pb_account_set_user (account, "bob@example.org");
  third = get_token (account, PB_OAUTH2_TOKEN_NONE, &cached, &error);
  g_assert_no_error (error);
  g_assert_false (cached);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 2);
  g_clear_pointer (&stored, pb_secret_free);
}

/* A token with little time left is refreshed before it runs out. */
static void
test_account_token_near_expiry (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = oauth2_account ();
  g_autoptr(JsonObject) issued = NULL;
  PbOAuth2Tokens tokens = { 0 };
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;
  gboolean cached = TRUE;

  fixture->keyring = pb_test_keyring_new ();
  pb_test_idp_configure (fixture->idp, "{\"access_lifetime\": 60}");
  issued = pb_test_idp_issue (fixture->idp, USER);
  tokens.access_token = (char *) json_object_get_string_member (issued, "access_token");
  tokens.refresh_token = (char *) json_object_get_string_member (issued, "refresh_token");
  tokens.expires_in = 60;
  save_sign_in (account, &tokens);

  token = get_token (account, PB_OAUTH2_TOKEN_NONE, &cached, &error);
  g_assert_no_error (error);
  g_assert_false (cached);
  g_assert_cmpstr (token, !=, tokens.access_token);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 1);
}

/* The provider refused the stored sign-in: "sign in again". */
static void
test_account_refresh_refused (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = oauth2_account ();
  g_autoptr(JsonObject) issued = pb_test_idp_issue (fixture->idp, USER);
  PbOAuth2Tokens tokens = {
    .access_token = (char *) json_object_get_string_member (issued, "access_token"),
    .refresh_token = (char *) json_object_get_string_member (issued, "refresh_token"),
  };
  g_autoptr(GError) error = NULL;

  fixture->keyring = pb_test_keyring_new ();
  save_sign_in (account, &tokens);
  pb_test_idp_revoke_refresh (fixture->idp);
  g_assert_null (get_token (account, PB_OAUTH2_TOKEN_FRESH, NULL, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "Test Provider"));
}

/* No keyring: a sign-in kept for the session makes the access tokens, a
 * rotated refresh token replaces it there, and a refused one is dropped. */
static void
test_account_session_sign_in (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = oauth2_account ();
  g_autoptr(JsonObject) issued = pb_test_idp_issue (fixture->idp, USER);
  g_autoptr(GError) error = NULL;
  char *first;
  char *second;

  pb_oauth2_keep_session_sign_in (account, json_object_get_string_member (issued,
                                                                          "refresh_token"));
  first = get_token (account, PB_OAUTH2_TOKEN_FRESH, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 1);

  /* The provider rotated the refresh token and refuses the old one now. */
  second = get_token (account, PB_OAUTH2_TOKEN_FRESH, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpstr (first, !=, second);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 2);
  pb_oauth2_token_free (first);
  pb_oauth2_token_free (second);

  pb_test_idp_revoke_refresh (fixture->idp);
  g_assert_null (get_token (account, PB_OAUTH2_TOKEN_FRESH, NULL, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN);
  g_clear_error (&error);

  /* Dropped: the next one asks the keyring, where this test has nothing. */
  fixture->keyring = pb_test_keyring_new ();
  g_assert_null (get_token (account, PB_OAUTH2_TOKEN_FRESH, NULL, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 3);
}

/* Without a refresh token Popbell can't stay signed in: said at once. */
static void
test_sign_in_without_refresh_token (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = oauth2_account ();
  PbOAuth2Tokens tokens = { .access_token = (char *) "at-x" };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pb_oauth2_save_sign_in_async (account, &tokens, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  g_assert_false (pb_oauth2_save_sign_in_finish (result, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_PROTOCOL);
}

/* Deleting an account's secrets takes its sign-in too; its password alone
 * takes nothing of the sign-in. */
static void
test_delete_takes_sign_in (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = oauth2_account ();
  PbOAuth2Tokens tokens = { .access_token = (char *) "at-x", .refresh_token = (char *) "rt-x" };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  fixture->keyring = pb_test_keyring_new ();
  save_sign_in (account, &tokens);
  g_assert_true (pb_secret_store_sync (account, "a password", NULL, &error));
  g_assert_no_error (error);

  pb_secret_delete_token_async ("mail", NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  g_assert_true (pb_secret_delete_token_finish (result, &error));
  g_clear_object (&result);
  token = pb_secret_lookup_sync ("mail", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "a password");
  g_clear_pointer (&token, pb_secret_free);

  save_sign_in (account, &tokens);
  g_assert_true (pb_secret_delete_sync ("mail", NULL, &error));
  pb_secret_lookup_token_async ("mail", FALSE, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  g_assert_null (pb_secret_lookup_token_finish (result, &error));
  g_assert_error (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND);
}

/* ---- GNOME Online Accounts ------------------------------------------------------------ */

#define GOA_ACCOUNTS \
  "{\"accounts\": [" \
  "{\"id\": \"account_1\", \"provider\": \"google\", \"email\": \"hanako@gmail.com\", " \
  " \"token\": \"ya29.from-online-accounts\"}," \
  "{\"id\": \"account_2\", \"provider\": \"google\", \"email\": \"quiet@gmail.com\", " \
  " \"token\": \"ya29.quiet\", \"mail_disabled\": true}," \
  "{\"id\": \"account_3\", \"provider\": \"ms_graph\", \"email\": \"taro@outlook.jp\", " \
  " \"token\": \"EwB.graph-token\"}," \
  "{\"id\": \"account_4\", \"provider\": \"ms_graph\", \"email\": \"both@gmail.com\", " \
  " \"token\": \"EwB.graph-token\"}]}"

static PbAccount *
google_account (const char *user)
{
  PbAccount *account = pb_account_new ("gmail");

  pb_account_set_host (account, "pop.gmail.com");
  pb_account_set_user (account, user);
  pb_account_set_oauth2_provider (account, "google");
  return account;
}

static PbGoaAvailability
goa_lookup (const char *address)
{
  g_autoptr(GAsyncResult) result = NULL;

  pb_goa_lookup_async (address, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  return pb_goa_lookup_finish (result, NULL);
}

/* A Google account of Online Accounts gives its token: no client ID of
 * Popbell's, no sign-in of its own, no keyring item. */
static void
test_goa_token (void)
{
  g_autoptr(PbTestKeyring) keyring = pb_test_keyring_new ();
  g_autoptr(PbTestGoa) goa = pb_test_goa_new (GOA_ACCOUNTS);
  g_autoptr(PbAccount) account = google_account ("Hanako@Gmail.com");
  g_autofree char *token = NULL;
  g_autofree char *again = NULL;
  g_autoptr(GError) error = NULL;
  gboolean cached = TRUE;

  write_oauth2_ini ("[google]\nclient-id=\n");
  token = get_token (account, PB_OAUTH2_TOKEN_NONE, &cached, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "ya29.from-online-accounts");
  g_assert_false (cached);
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_1", "EnsureCredentials"), ==, 1);
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_1", "GetAccessToken"), ==, 1);

  /* Kept in memory like any access token. */
  again = get_token (account, PB_OAUTH2_TOKEN_NONE, &cached, &error);
  g_assert_no_error (error);
  g_assert_true (cached);
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_1", "GetAccessToken"), ==, 1);
  pb_oauth2_forget_access_token (NULL);
  write_oauth2_ini (NULL);
}

/* Mail switched off there, or a Microsoft 365 account: never used. */
static void
test_goa_not_used (void)
{
  g_autoptr(PbTestKeyring) keyring = pb_test_keyring_new ();
  g_autoptr(PbTestGoa) goa = pb_test_goa_new (GOA_ACCOUNTS);
  g_autoptr(PbAccount) quiet = google_account ("quiet@gmail.com");
  g_autoptr(PbAccount) both = google_account ("both@gmail.com");
  g_autoptr(PbAccount) outlook = pb_account_new ("outlook");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (goa_lookup ("hanako@gmail.com"), ==, PB_GOA_AVAILABLE);
  g_assert_cmpint (goa_lookup ("quiet@gmail.com"), ==, PB_GOA_MAIL_DISABLED);
  g_assert_cmpint (goa_lookup ("both@gmail.com"), ==, PB_GOA_NONE);
  g_assert_cmpint (goa_lookup ("taro@outlook.jp"), ==, PB_GOA_NONE);
  g_assert_cmpint (goa_lookup ("nobody@gmail.com"), ==, PB_GOA_NONE);

  write_oauth2_ini ("[google]\nclient-id=\n");
  g_assert_null (get_token (quiet, PB_OAUTH2_TOKEN_NONE, NULL, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NO_CLIENT_ID);
  g_clear_error (&error);
  g_assert_null (get_token (both, PB_OAUTH2_TOKEN_NONE, NULL, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NO_CLIENT_ID);
  g_clear_error (&error);
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_2", "GetAccessToken"), ==, 0);
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_4", "GetAccessToken"), ==, 0);

  /* Microsoft accounts never ask Online Accounts at all. */
  pb_account_set_host (outlook, "outlook.office365.com");
  pb_account_set_user (outlook, "taro@outlook.jp");
  pb_account_set_oauth2_provider (outlook, "microsoft");
  write_oauth2_ini ("[microsoft]\nclient-id=\n");
  g_assert_null (get_token (outlook, PB_OAUTH2_TOKEN_NONE, NULL, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NO_CLIENT_ID);
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_3", "EnsureCredentials"), ==, 0);
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_3", "GetAccessToken"), ==, 0);
  write_oauth2_ini (NULL);
}

/* Online Accounts can't renew the credentials: the user must sign in again
 * there, and is told where. */
static void
test_goa_expired (void)
{
  g_autoptr(PbTestKeyring) keyring = pb_test_keyring_new ();
  g_autoptr(PbTestGoa) goa = pb_test_goa_new (GOA_ACCOUNTS);
  g_autoptr(PbAccount) account = google_account ("hanako@gmail.com");
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;

  pb_test_goa_set_expired (goa, "account_1", TRUE);
  g_assert_null (get_token (account, PB_OAUTH2_TOKEN_NONE, NULL, &error));
  g_assert_error (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN);
  g_assert_nonnull (strstr (error->message, "Online Accounts"));
  g_assert_cmpuint (pb_test_goa_count_calls (goa, "account_1", "GetAccessToken"), ==, 0);
  g_clear_error (&error);

  /* Renewed there: the next check works. */
  pb_test_goa_set_expired (goa, "account_1", FALSE);
  token = get_token (account, PB_OAUTH2_TOKEN_FRESH, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "ya29.from-online-accounts");
  pb_oauth2_forget_access_token (NULL);
}

/* No Online Accounts on the bus: nothing to say, Popbell signs in itself. */
static void
test_goa_absent (void)
{
  g_autoptr(PbTestKeyring) keyring = pb_test_keyring_new ();

  g_assert_cmpint (goa_lookup ("hanako@gmail.com"), ==, PB_GOA_NONE);
}

/* ---- Account administration with sign-ins ------------------------------------------ */

/* An account added with its sign-in: the refresh token in the keyring, none of
 * it in accounts.ini; then a sign-in again, which also turns an account that
 * took a password into one that signs in. */
static void
test_admin_sign_in (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *dir = pb_test_mkdtemp ("admin");
  g_autofree char *accounts = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *trust = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (accounts, trust, dir);
  g_autoptr(PbAccount) account = oauth2_account ();
  g_autoptr(PbAccount) other = pb_account_new ("other");
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *stored = NULL;
  PbAccountAddition addition = { .account = account, .refresh_token = "rt-first" };
  g_autoptr(GAsyncResult) result = NULL;

  fixture->keyring = pb_test_keyring_new ();
  g_assert_true (pb_account_admin_add (admin, &addition, NULL, NULL, &error));
  g_assert_no_error (error);
  stored = stored_refresh_token ();
  g_assert_cmpstr (stored, ==, "rt-first");
  g_clear_pointer (&stored, pb_secret_free);
  g_assert_true (g_file_get_contents (accounts, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "oauth2-provider=test"));
  g_assert_null (strstr (contents, "rt-first"));

  /* Signed in again. */
  pb_account_admin_set_sign_in_async (admin, "mail", "test", "rt-second", NULL,
                                      pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  g_assert_true (pb_account_admin_set_sign_in_finish (admin, result, &error));
  g_assert_no_error (error);
  stored = stored_refresh_token ();
  g_assert_cmpstr (stored, ==, "rt-second");
  g_clear_pointer (&stored, pb_secret_free);

  /* An account that took a password now signs in. */
  pb_account_set_host (other, "outlook.office365.com");
  pb_account_set_user (other, USER);
  addition = (PbAccountAddition) { .account = other, .password = "a password" };
  g_assert_true (pb_account_admin_add (admin, &addition, NULL, NULL, &error));
  g_assert_true (pb_account_admin_set_sign_in (admin, "other", "microsoft", "rt-ms", NULL,
                                               &error));
  g_assert_no_error (error);
  store = pb_account_store_new (accounts);
  g_assert_true (pb_account_store_load (store, NULL));
  g_assert_cmpstr (pb_account_get_oauth2_provider (pb_account_store_lookup (store, "other")), ==,
                   "microsoft");

  g_assert_false (pb_account_admin_set_sign_in (admin, "nobody", "test", "rt", NULL, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Removing the account takes its sign-in. */
  g_assert_true (pb_account_admin_remove (admin, "mail", NULL, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  pb_secret_lookup_token_async ("mail", FALSE, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  g_assert_null (pb_secret_lookup_token_finish (result, &error));
  g_assert_error (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND);
  pb_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/oauth2/provider/built-in", test_built_in);
  g_test_add_func ("/pb/oauth2/provider/oauth2-ini-adds-and-overrides", test_user_file);
  g_test_add_func ("/pb/oauth2/pkce/s256-rfc7636", test_pkce);
  g_test_add_func ("/pb/oauth2/authorization-url", test_authorization_url);
  g_test_add_func ("/pb/oauth2/token/unreachable-provider", test_unreachable);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/pb/oauth2/token/code-exchange-with-pkce", test_code_exchange);
  ADD ("/pb/oauth2/token/wrong-verifier-refused", test_code_wrong_verifier);
  ADD ("/pb/oauth2/token/refresh-rotates-and-old-is-refused", test_refresh);
  ADD ("/pb/oauth2/token/temporarily-unavailable", test_temporary_error);
  ADD ("/pb/oauth2/device/pending-then-signed-in", test_device_grant);
  ADD ("/pb/oauth2/device/slow-down-adds-five-seconds", test_device_slow_down);
  ADD ("/pb/oauth2/device/expired", test_device_expired);
  ADD ("/pb/oauth2/device/expired-token-from-provider", test_device_expired_by_provider);
  ADD ("/pb/oauth2/device/denied", test_device_denied);
  ADD ("/pb/oauth2/device/cancelled-between-polls", test_device_cancelled);
  ADD ("/pb/oauth2/browser/signed-in-and-tab-told", test_browser_sign_in);
  ADD ("/pb/oauth2/browser/forged-state-and-other-pages-change-nothing",
       test_browser_forged_first);
  ADD ("/pb/oauth2/browser/desktop-default-handler", test_browser_default_handler);
  ADD ("/pb/oauth2/browser/denied", test_browser_denied);
  ADD ("/pb/oauth2/browser/times-out-and-closes", test_browser_times_out);
  ADD ("/pb/oauth2/browser/cancelled-and-closes", test_browser_cancelled);
  ADD ("/pb/oauth2/account/tokens-from-memory-and-keyring", test_account_tokens);
  ADD ("/pb/oauth2/account/refreshed-before-expiry", test_account_token_near_expiry);
  ADD ("/pb/oauth2/account/refused-refresh-needs-sign-in", test_account_refresh_refused);
  ADD ("/pb/oauth2/account/session-sign-in-without-keyring", test_account_session_sign_in);
  ADD ("/pb/oauth2/account/no-refresh-token-is-an-error", test_sign_in_without_refresh_token);
  ADD ("/pb/oauth2/account/delete-takes-the-sign-in", test_delete_takes_sign_in);
  ADD ("/pb/oauth2/admin/add-sign-in-again-and-remove", test_admin_sign_in);
  g_test_add_func ("/pb/oauth2/goa/google-token-from-online-accounts", test_goa_token);
  g_test_add_func ("/pb/oauth2/goa/mail-disabled-and-microsoft-never-used", test_goa_not_used);
  g_test_add_func ("/pb/oauth2/goa/expired-credentials-need-sign-in-there", test_goa_expired);
  g_test_add_func ("/pb/oauth2/goa/absent-is-no-error", test_goa_absent);
#undef ADD

  return g_test_run ();
}
