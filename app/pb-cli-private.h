/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The rooms of the one-shot command line (app/pb-cli*.c): what they share. */

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "app/core/pb-account-store.h"
#include "app/core/pb-oauth2-client.h"
#include "app/core/pb-oauth2-provider.h"
#include "app/core/pb-tls-trust.h"

G_BEGIN_DECLS

#define PB_CLI_EXIT_USAGE 2
#define PB_CLI_MAX_PASSWORD 4096

/* ---- pb-cli-util.c ---- */

/* Text from servers and certificates, made one line of plain characters. */
char           *pb_cli_safe_text      (const char *text);
/* "popbell: MESSAGE" on standard error, cleaned like pb_cli_safe_text. */
void            pb_cli_print_error    (const char *format,
                                       ...) G_GNUC_PRINTF (1, 2);
char           *pb_cli_format_date    (GDateTime  *date);
char           *pb_cli_format_iso8601 (GDateTime  *date);
gboolean        pb_cli_parse_host_port (const char *text,
                                       char      **host,
                                       guint16    *port);
/* One line from standard input when it is not a terminal, else a prompt
 * without echo. Free with pb_cli_free_password. */
char           *pb_cli_read_password  (const char  *prompt,
                                       GError     **error);
void            pb_cli_free_password  (char       *password);
/* NULL after printing why (a corrupt file set aside still gives a store). */
PbAccountStore *pb_cli_load_accounts  (void);
PbTrustStore   *pb_cli_load_pins      (void);
/* Runs the default main context until *@result is set by pb_cli_store_result. */
void            pb_cli_wait_for       (GAsyncResult **result);
void            pb_cli_store_result   (GObject       *source,
                                       GAsyncResult  *result,
                                       gpointer       user_data);
void            pb_cli_print_json     (JsonBuilder   *builder);

/* ---- pb-cli-sign-in.c ---- */

/* The provider @id, ready to sign in; NULL after printing why not, and what
 * works instead (another client ID, GNOME Online Accounts, an app password). */
PbOAuth2Provider *pb_cli_lookup_provider (const char *id);
/* Signs in with the provider @provider_id for @user: through GNOME Online
 * Accounts where it has that Google account (the tokens have no refresh
 * token then: nothing to store), else Popbell's own sign-in, by the device
 * grant, or the browser where the provider takes no device grant for mail;
 * prints what the user must do. NULL after printing why it failed. */
PbOAuth2Tokens   *pb_cli_sign_in        (const char *provider_id,
                                         const char *user);

/* ---- The commands: each returns the exit status ---- */

int pb_cli_run_check          (const char   *only_account,
                               gboolean      json);              /* pb-cli-check.c */
int pb_cli_run_discover       (const char   *address,
                               gboolean      offline,
                               gboolean      json);              /* pb-cli-discover.c */
int pb_cli_run_add_account    (GVariantDict *options,
                               const char   *id);                /* pb-cli-accounts.c */
int pb_cli_run_edit_account   (GVariantDict *options,
                               const char   *id);
int pb_cli_run_set_password   (const char   *id);
int pb_cli_run_list_accounts  (gboolean      json);
int pb_cli_run_remove_account (const char   *id);
int pb_cli_run_sign_in        (GVariantDict *options,
                               const char   *id);                /* pb-cli-sign-in.c */
int pb_cli_run_trust          (GVariantDict *options,
                               const char   *target);            /* pb-cli-trust.c */
int pb_cli_run_forget_trust   (const char   *target);
int pb_cli_run_applet_request (const char   *action,
                               GVariant     *parameter);         /* pb-cli-remote.c */
/* Follows the running applet over io.github.popbell.Popbell1, printing a line
 * at the start and at every change of what it shows: with @json waybar's
 * custom-module object (text, alt, tooltip, class, count), else the unread
 * count alone (0 too). Before the applet runs it prints the "not running"
 * line and waits; when the applet quits it prints it again and returns 0. */
int pb_cli_run_watch          (gboolean      json);              /* pb-cli-watch.c */

G_END_DECLS
