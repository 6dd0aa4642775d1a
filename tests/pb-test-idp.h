/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The tests' own OAuth 2.0 identity provider (tests/oauth2/idp.py), over HTTPS
 * on 127.0.0.1 with $PB_TEST_CERTS/server.crt (issued by ca.crt): the
 * authorization endpoint with PKCE, the token endpoint (authorization code,
 * refresh token, device code), device authorization, a verification page and
 * token introspection. It stops when this object is freed, or when the test
 * process goes away (it reads its stdin until EOF). */
typedef struct _PbTestIdp PbTestIdp;

/* @config_json: a JSON object of settings (see idp.py), or NULL. Aborts the
 * test when the provider does not start within 10 seconds. */
PbTestIdp  *pb_test_idp_new              (const char *config_json);
void        pb_test_idp_free             (PbTestIdp  *idp);
guint16     pb_test_idp_get_port         (PbTestIdp  *idp);
/* "https://127.0.0.1:PORT" + @path. */
char       *pb_test_idp_url              (PbTestIdp  *idp,
                                          const char *path);
/* Writes an oauth2.ini group [@name] naming this provider's endpoints, the
 * client "popbell-test", @scope and the test CA, into
 * $XDG_CONFIG_HOME/popbell/oauth2.ini (replacing the file). */
void        pb_test_idp_write_provider   (PbTestIdp  *idp,
                                          const char *name,
                                          const char *scope);

/* Test controls, synchronous: merge @json into the configuration; revoke every
 * refresh token; make every access token inactive; what was asked so far
 * (a JSON object: "authorize", "token" {grant: count}, "device", "introspect",
 * "last_authorize" {…}). */
void        pb_test_idp_configure        (PbTestIdp  *idp,
                                          const char *json);
void        pb_test_idp_revoke_refresh   (PbTestIdp  *idp);
/* Tokens for @user as the token endpoint gives them, without a sign-in: a
 * JSON object with access_token, refresh_token, expires_in, scope. */
JsonObject *pb_test_idp_issue            (PbTestIdp  *idp,
                                          const char *user);
void        pb_test_idp_expire_access    (PbTestIdp  *idp);
JsonObject *pb_test_idp_get_stats        (PbTestIdp  *idp);
/* stats["token"][@grant], 0 when never asked. */
gint64      pb_test_idp_count_grants     (PbTestIdp  *idp,
                                          const char *grant);
/* What a browser does with an authorization request: GETs @url and returns
 * where the provider redirects it (the Location of its 302), or NULL (with the
 * status in the test log) when it does not redirect. */
char       *pb_test_idp_authorize        (PbTestIdp  *idp,
                                          const char *url);
/* GET @url (the verification page, say) with the test CA; returns the status. */
guint       pb_test_idp_get              (PbTestIdp  *idp,
                                          const char *url);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestIdp, pb_test_idp_free)

G_END_DECLS
