/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-oauth2-client.h"
#include "pb-oauth2-provider.h"

G_BEGIN_DECLS

/* The browser sign-in of a native app (RFC 8252): the provider's page opens
 * in the user's browser, and the provider sends the browser back to a
 * listener on 127.0.0.1, on a port the system chooses (§7.3), with a code
 * that only this run can exchange (PKCE S256, RFC 7636). */

#define PB_OAUTH2_SIGN_IN_TIMEOUT 300 /* seconds: 5 minutes */

/* Called once with the authorization address: open it in the browser (and,
 * on the command line, print it for a browser elsewhere). */
typedef void (*PbOAuth2OpenUrl) (const char *url,
                                 gpointer    user_data);

/* Listens on http://127.0.0.1:PORT/, hands @open_url the authorization
 * address, and waits for the provider's redirect: its "state" must be this
 * run's, else it changes nothing (the request gets an error page, as does
 * anything else asked of the port). The browser is answered with a page
 * saying that the sign-in worked and the tab can be closed, the listener
 * closes, and the code is exchanged for tokens. The provider's error
 * (access_denied…) ends it with that error; no redirect within @timeout
 * seconds (0: PB_OAUTH2_SIGN_IN_TIMEOUT) with PB_OAUTH2_ERROR_EXPIRED. The
 * listener is closed before the callback runs, whatever the outcome.
 * @login_hint (may be NULL): the address, so that the provider asks for the
 * right account. */
void            pb_oauth2_browser_sign_in_async  (const PbOAuth2Provider *provider,
                                                  const char             *login_hint,
                                                  guint                   timeout,
                                                  PbOAuth2OpenUrl         open_url,
                                                  gpointer                open_url_data,
                                                  GCancellable           *cancellable,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
PbOAuth2Tokens *pb_oauth2_browser_sign_in_finish (GAsyncResult           *result,
                                                  GError                **error);

/* Opens @url with the desktop's handler for https:// (g_app_info_launch_default_for_uri). */
gboolean        pb_oauth2_open_in_browser        (const char             *url,
                                                  GError                **error);

G_END_DECLS
