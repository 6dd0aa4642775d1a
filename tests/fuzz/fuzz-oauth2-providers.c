/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The user's oauth2.ini (pb-oauth2-provider.c) and the authorization request
 * made from a provider it gives. Every provider the lookup accepts has an
 * https:// token endpoint, a scope, a way to sign in and an absolute ca-file
 * (or none); its authorization request goes to its own authorization
 * endpoint, with one state, one redirect_uri, one code_challenge (S256) and
 * its client ID, whatever the file holds.
 * Input: the file. One GKeyFile can't read is not fuzzed: the lookup logs why
 * it ignores such a file, by design. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fuzz-util.h"
#include "pb-oauth2-provider.h"
#include "pb-oauth2-client.h"
#include "pb-error.h"

#define REDIRECT "http://127.0.0.1:40000/"
#define STATE "st4teSt4teSt4teSt4te00"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static char *path;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autofree char *dir = NULL;

  pb_fuzz_init ();
  dir = g_build_filename (pb_fuzz_get_tmpdir (), "popbell", NULL);
  g_mkdir (dir, 0700);
  path = g_build_filename (dir, "oauth2.ini", NULL);
  return 0;
}

static GUri *
parse_https (const char *url)
{
  /* Encoded: the query as sent, where "%26" is no separator. */
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

  pb_fuzz_check (uri != NULL, "an endpoint that is no address");
  pb_fuzz_check (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0, "an endpoint not https");
  pb_fuzz_check (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0',
                 "an endpoint without host");
  pb_fuzz_check (g_uri_get_userinfo (uri) == NULL, "an endpoint with a user name in it");
  return uri;
}

/* How many times @query sets @name; each of them to @value (when not NULL). */
static guint
count (const char *query,
       const char *name,
       const char *value)
{
  g_auto(GStrv) pairs = g_strsplit (query, "&", -1);
  guint n = 0;

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (pairs[i], "=", 2);
      g_autofree char *plain_name = parts[0] != NULL ? g_uri_unescape_string (parts[0], NULL)
                                                     : NULL;
      g_autofree char *plain_value = NULL;

      if (g_strcmp0 (plain_name, name) != 0)
        continue;
      n++;
      plain_value = parts[1] != NULL ? g_uri_unescape_string (parts[1], NULL) : NULL;
      pb_fuzz_check (value == NULL || g_strcmp0 (plain_value, value) == 0,
                     "a request parameter with another value");
    }
  return n;
}

static void
check_request (const PbOAuth2Provider *provider)
{
  g_autoptr(GUri) endpoint = parse_https (provider->authorization_endpoint);
  g_autofree char *url = pb_oauth2_authorization_url (provider, REDIRECT, STATE, CHALLENGE,
                                                      "taro@example.jp");
  g_autoptr(GUri) request = parse_https (url);
  const char *query = g_uri_get_query (request);

  pb_fuzz_check (g_ascii_strcasecmp (g_uri_get_host (request), g_uri_get_host (endpoint)) == 0 &&
                 g_uri_get_port (request) == g_uri_get_port (endpoint) &&
                 g_strcmp0 (g_uri_get_path (request), g_uri_get_path (endpoint)) == 0,
                 "a request to another place than the authorization endpoint");
  pb_fuzz_check (g_uri_get_fragment (request) == NULL, "a request with a fragment");
  pb_fuzz_check (query != NULL, "a request without parameters");
  pb_fuzz_check (count (query, "state", STATE) == 1, "not one state");
  pb_fuzz_check (count (query, "redirect_uri", REDIRECT) == 1, "not one redirect_uri");
  pb_fuzz_check (count (query, "code_challenge", CHALLENGE) == 1, "not one code_challenge");
  pb_fuzz_check (count (query, "code_challenge_method", "S256") == 1, "not S256");
  pb_fuzz_check (count (query, "response_type", "code") == 1, "not one response_type");
  pb_fuzz_check (count (query, "client_id", provider->client_id) == 1, "not one client_id");
  pb_fuzz_check (count (query, "scope", provider->scope) == 1, "not one scope");
}

static void
check_provider (const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbOAuth2Provider) provider = pb_oauth2_provider_lookup (id, &error);
  g_autoptr(GUri) token = NULL;

  if (provider == NULL)
    {
      pb_fuzz_check (error != NULL && error->domain == PB_OAUTH2_ERROR, "a refusal without why");
      return;
    }
  pb_fuzz_check (error == NULL, "a provider and an error");
  pb_fuzz_check (g_strcmp0 (provider->id, id) == 0, "another provider's ID");
  pb_fuzz_check (provider->name != NULL && *provider->name != '\0', "a provider without name");
  pb_fuzz_check (provider->scope != NULL && *provider->scope != '\0', "a provider without scope");
  token = parse_https (provider->token_endpoint);
  pb_fuzz_check (provider->authorization_endpoint != NULL || provider->device_endpoint != NULL,
                 "no way to sign in");
  if (provider->device_endpoint != NULL)
    g_uri_unref (parse_https (provider->device_endpoint));
  pb_fuzz_check (!provider->device_grant || provider->device_endpoint != NULL,
                 "a device grant without its endpoint");
  pb_fuzz_check (provider->ca_file == NULL || g_path_is_absolute (provider->ca_file),
                 "a relative ca-file");
  pb_fuzz_check (provider->built_in == (g_str_equal (id, "google") || g_str_equal (id, "microsoft")),
                 "built in or not, wrongly");
  if (provider->authorization_endpoint != NULL && provider->client_id != NULL)
    check_request (provider);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GKeyFile) readable = g_key_file_new ();
  g_auto(GStrv) ids = NULL;

  if (!g_key_file_load_from_data (readable, (const char *) data, size, G_KEY_FILE_NONE, NULL))
    return 0;
  if (!g_file_set_contents (path, (const char *) data, size, NULL))
    abort ();

  ids = pb_oauth2_provider_list ();
  pb_fuzz_check (ids != NULL && g_strv_contains ((const char * const *) ids, "google") &&
                 g_strv_contains ((const char * const *) ids, "microsoft"),
                 "a built-in provider missing from the list");
  for (guint i = 0; ids[i] != NULL; i++)
    {
      pb_fuzz_check (pb_oauth2_provider_exists (ids[i]), "a listed provider that isn't there");
      check_provider (ids[i]);
    }
  check_provider ("google");
  return 0;
}
