/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-account.h"
#include "pb-message.h"
#include "pb-pop3-client.h"
#include "pb-seen-store.h"
#include "pb-tls-trust.h"

G_BEGIN_DECLS

typedef enum
{
  PB_CHECK_LIMIT_NONE   = 0,
  PB_CHECK_LIMIT_NO_UIDL = 1 << 0, /* new mail counted by the message count alone */
  PB_CHECK_LIMIT_NO_TOP  = 1 << 1, /* no From/Subject previews */
  PB_CHECK_LIMIT_TRUNCATED = 1 << 2, /* more new mail than previews fetched */
} PbCheckLimits;

/* The outcome of one check of one account. */
typedef struct
{
  char                 *account_id;
  GError               *error;          /* NULL on success */
  gboolean              first_check;    /* the mailbox was taken as already seen */
  guint                 total;          /* messages on the server */
  guint                 new_count;      /* new since the last check */
  GPtrArray            *messages;       /* PbMessage*, the new ones with previews, newest last */
  PbCheckLimits         limits;

  /* The connection, when it got that far. */
  char                 *host;
  guint16               port;
  GTlsCertificate      *certificate;    /* the server's, or NULL */
  GTlsCertificateFlags  certificate_errors;
  PbTrustVerdict        trust;
  GTlsProtocolVersion   tls_version;
  char                 *ciphersuite;
  guint                 commands_sent;
  guint                 round_trips;
  guint                 login_delay;    /* seconds the server wants between logins, or 0 */
  guint64               bytes_received; /* POP3 bytes read from the server */
  PbPop3ListingKind     listing;        /* how much of the mailbox was listed */
  gint64                duration_us;

  /* Something the user should know that did not fail the check, e.g. that an
   * unreadable state file was set aside. */
  char                 *notice;
} PbCheckResult;

void pb_check_result_free (PbCheckResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbCheckResult, pb_check_result_free)

/* The whole check may take this many times the per-wait timeout (default
 * 30 s × 20 = 10 minutes) before it is ended as PB_POP3_ERROR_TIMEOUT. */
#define PB_CHECK_DEADLINE_FACTOR 20

/* A check reads the whole UIDL listing at least this often (seconds), and
 * otherwise only what can have changed since the last one. */
#define PB_CHECK_FULL_LISTING_EVERY (24 * 3600)

/* Previews fetched per check at most; the count is always complete. */
#define PB_CHECK_MAX_PREVIEWS 50

typedef struct
{
  PbTrustStore *pins;          /* may be NULL */
  PbSeenStore  *seen;          /* NULL: load <state_dir>/<id>.state; else this loaded store */
  const char   *state_dir;     /* NULL: $XDG_STATE_HOME/popbell */
  const char   *password;      /* NULL: look it up in the keyring */
  const char   *access_token;  /* an OAuth2 access token to sign in with instead of a
                                * password (SASL XOAUTH2 or OAUTHBEARER), or NULL */
  gboolean      unlock_keyring; /* may show the keyring's unlock prompt */
  guint         timeout;       /* seconds per wait, 0: the default */
  guint         deadline;      /* seconds for the whole check, 0: timeout × PB_CHECK_DEADLINE_FACTOR */
} PbCheckOptions;

/* One check of @account: password, connect, verify, log in, list, previews of
 * new mail, QUIT, then the account's state is updated. A failure leaves the
 * state untouched. Never fails itself: errors are in the result. */
void           pb_checker_check_async  (PbAccount            *account,
                                        const PbCheckOptions *options,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
PbCheckResult *pb_checker_check_finish (GAsyncResult         *result);

/* The connection to @account's server as every check and login test makes
 * it: host, port, security, timeout (0: the default), pins and CA file. */
PbPop3Client  *pb_checker_client_new  (PbAccount            *account,
                                       PbTrustStore         *pins,
                                       guint                 timeout);
/* Copies what @client learned of the connection into @result: server,
 * certificate, its errors and the trust verdict, TLS version and cipher
 * suite, commands and round trips, bytes read, LOGIN-DELAY. */
void           pb_check_result_set_connection (PbCheckResult *result,
                                       PbPop3Client         *client);

/* A login test: connect, verify, log in with @password (for an account with
 * an OAuth2 provider: its access token, by SASL), list the mailbox,
 * QUIT; nothing is read from or written to the account's state. What an
 * account that is being added or moved to another server has now is its
 * baseline. The result (never NULL) carries the error or the connection
 * facts and total; @listing (may be NULL) receives the listing on success. */
void           pb_checker_login_test_async  (PbAccount           *account,
                                             const char          *password,
                                             PbTrustStore        *pins,
                                             guint                timeout,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
PbCheckResult *pb_checker_login_test_finish (GAsyncResult        *result,
                                             PbPop3Listing      **listing);

G_END_DECLS
