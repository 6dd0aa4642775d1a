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

/* The scripted browser (tests/oauth2/browser.py): follows @url to the provider
 * and its redirect to Popbell's listener, logging each request and the last
 * page into @log_path (JSON lines). Runs on its own; returns at once. With
 * @forge_first it first asks the listener for /favicon.ico and for the
 * redirect with a forged state. */
void        pb_test_browser_open         (const char *url,
                                          const char *log_path,
                                          gboolean    forge_first);
/* Makes that browser the desktop's handler for https:// in this test's XDG
 * folders (a .desktop file and mimeapps.list), so that
 * g_app_info_launch_default_for_uri, in this process or a child, runs it. */
void        pb_test_browser_install      (const char *log_path,
                                          gboolean    forge_first);
/* Waits (up to @seconds) until the browser logged its last page; returns it. */
char       *pb_test_browser_wait_page    (const char *log_path,
                                          guint       seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestIdp, pb_test_idp_free)

G_END_DECLS
