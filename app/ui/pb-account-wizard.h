/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "app/core/pb-autoconfig.h"
#include "app/core/pb-monitor.h"

G_BEGIN_DECLS

/* Adding an account, step by step: name, address and password; finding the
 * server (pb_autoconfig_find_async, with its progress shown); a live test of
 * the connection and the password (the certificate review inline when the
 * server's certificate is not trusted); a summary, and on "Done" the password
 * into the keyring (without a keyring: for this session only, and the user is
 * told), the account into accounts.ini, a pin the user chose into trust.ini,
 * and the first check at once. "Set Up Manually…" leads to host, port,
 * security and user name, with the same live test.
 *
 * Every network step runs under one GCancellable with a timeout; closing the
 * wizard cancels it and saves nothing.
 *
 * A server that only DNS or a guess named (outside the address's domain, or after
 * an HTTPS source failed) is shown on "confirm", naming it and why, and nothing is
 * sent to it before the user chooses "Use This Server".
 *
 * A provider that signs in with OAuth2 (its server in the provider list with an
 * oauth2-provider, or <authentication>OAuth2</authentication> in its document, or
 * a provider chosen on the manual page) gets "sign-in" instead of a password
 * where it takes only that or no password was typed: "Sign In with Google…"
 * opens its page in the browser (pb_oauth2_browser_sign_in_async), GNOME Online
 * Accounts signs in where it has the Google account, and without a client ID
 * the page says so and offers what works instead (Online Accounts, an app
 * password, the provider's help). The test then logs in with the access token,
 * and the sign-in is saved instead of a password.
 *
 * Pages (GtkStack child names): "address", "finding", "confirm", "manual",
 * "checking", "password", "sign-in", "trust", "problem", "done".
 * Widget actions: "wizard.next" (the header bar's main button: Continue, Try
 * Again, Sign In with…, Done), "wizard.back", "wizard.manual", "wizard.retry",
 * "wizard.app-password". */
#define PB_TYPE_ACCOUNT_WIZARD (pb_account_wizard_get_type ())
G_DECLARE_FINAL_TYPE (PbAccountWizard, pb_account_wizard, PB, ACCOUNT_WIZARD, GtkWindow)

/* Seconds the live test waits for the server at each step. */
#define PB_ACCOUNT_WIZARD_TEST_TIMEOUT 15

/* @application may be NULL. */
PbAccountWizard *pb_account_wizard_new                    (GtkApplication            *application,
                                                           PbMonitor                 *monitor);

/* Where the search looks (copied; NULL: the real defaults). Its probe_ca_file
 * is also trusted by the live test and saved with the account as its CA
 * file, so that the first check trusts what the test trusted. */
void             pb_account_wizard_set_autoconfig_options (PbAccountWizard           *self,
                                                           const PbAutoconfigOptions *options);

/* The name of the page shown. */
const char      *pb_account_wizard_get_page               (PbAccountWizard           *self);

/* An account ID that @store does not use yet, made from @name ("Home" →
 * "home") or, without a name, from the domain of @address ("me@example.com" →
 * "example-com", then "example-com-2"…); "account" when neither gives one. */
char            *pb_account_wizard_make_id                (PbAccountStore            *store,
                                                           const char                *name,
                                                           const char                *address);

G_END_DECLS
