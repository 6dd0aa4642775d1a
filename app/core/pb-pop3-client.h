/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-account.h"
#include "pb-pop3-reader.h"
#include "pb-tls-trust.h"

G_BEGIN_DECLS

#define PB_POP3_DEFAULT_TIMEOUT 30 /* seconds, for connecting and for each read */

/* One message in the mailbox listing. */
typedef struct
{
  guint  msgnum;
  char  *uidl;     /* NULL when the server has no UIDL */
} PbPop3Entry;

/* How much of the mailbox a listing covers. */
typedef enum
{
  PB_POP3_LISTING_FULL,      /* every message (UIDL without argument) */
  PB_POP3_LISTING_UNCHANGED, /* the hint held and nothing was added: entries is empty */
  PB_POP3_LISTING_APPENDED,  /* the hint held; entries are the messages after it only */
} PbPop3ListingKind;

typedef struct
{
  guint      count;     /* from STAT */
  guint64    size;
  GPtrArray *entries;   /* PbPop3Entry*, in server order; NULL when the server has no UIDL */
  PbPop3ListingKind kind;

  /* The entries and their UIDLs live in two blocks, so that a listing of
   * 100,000 messages costs two allocations, not 200,000. */
  PbPop3Entry  *entry_block;
  GStringChunk *uidl_storage;
} PbPop3Listing;

void pb_pop3_listing_free (PbPop3Listing *listing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbPop3Listing, pb_pop3_listing_free)

#define PB_TYPE_POP3_CLIENT (pb_pop3_client_get_type ())
G_DECLARE_FINAL_TYPE (PbPop3Client, pb_pop3_client, PB, POP3_CLIENT, GObject)

/* One POP3 session over TLS. The steps are strictly ordered:
 * connect → login (which also lists the mailbox) → top (optional) → quit.
 * Any error ends the session: every later call fails with the same error. */
PbPop3Client *pb_pop3_client_new (const char *host,
                                  guint16     port,
                                  PbSecurity  security);

/* Seconds for connecting and for every wait for the server (default 30). */
void          pb_pop3_client_set_timeout (PbPop3Client *self,
                                          guint         seconds);
/* Pins consulted when verification fails (may be NULL: no pins). */
void          pb_pop3_client_set_trust_store (PbPop3Client *self,
                                              PbTrustStore *pins);
/* Extra CAs trusted for this account besides the system store (may be NULL). */
void          pb_pop3_client_set_ca_file (PbPop3Client *self,
                                          const char   *path);

/* TCP, TLS (implicit, or plain greeting + CAPA + STLS + handshake), trust
 * decision after the handshake, TLS >= 1.2, greeting, CAPA. On an untrusted
 * certificate fails with PB_POP3_ERROR_UNTRUSTED_CERTIFICATE; the peer
 * certificate and its problems stay readable through the getters. */
void          pb_pop3_client_connect_async  (PbPop3Client        *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean      pb_pop3_client_connect_finish (PbPop3Client        *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* What the last check saw: @count messages, the last one with @uidl. The
 * next login then asks for "UIDL @count" along with STAT: when that message
 * is still number @count, only the messages after it need a UIDL (POP3
 * numbers messages in arrival order, and new mail comes at the end), and a
 * mailbox of 100,000 messages costs two short answers instead of the whole
 * listing. Anything else (fewer messages, another UIDL there, -ERR) falls
 * back to the full listing. @uidl NULL: no hint. */
void          pb_pop3_client_set_listing_hint (PbPop3Client *self,
                                               guint         count,
                                               const char   *uidl);

/* SASL PLAIN when offered (with an initial response when the line fits in
 * RFC 5034's 255 octets, else in a continuation), else SASL LOGIN, else
 * USER/PASS; then STAT and UIDL. Nothing is sent behind the login before its
 * answer (servers that hand the connection to another process lose it);
 * USER+PASS and STAT+UIDL go together when the server offers PIPELINING.
 * A refused login is PB_POP3_ERROR_AUTH_FAILED with the server's text, unless
 * its response code says otherwise: [IN-USE] is PB_POP3_ERROR_MAILBOX_IN_USE,
 * [LOGIN-DELAY] PB_POP3_ERROR_LOGIN_DELAY, [SYS/TEMP] PB_POP3_ERROR_TEMPORARY,
 * [SYS/PERM] PB_POP3_ERROR_PERMANENT. The password is copied and wiped after
 * use. */
void           pb_pop3_client_login_async  (PbPop3Client        *self,
                                            const char          *user,
                                            const char          *password,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* The same login with an OAuth2 access token instead of a password: SASL
 * OAUTHBEARER (RFC 7628) when the server offers it, else XOAUTH2 (also when
 * CAPA went unanswered), always in two steps: "AUTH mechanism", the server's
 * "+", then the token in a continuation (Microsoft's POP3 requires that, and
 * its tokens are longer than an initial response may be). An error challenge
 * is answered as each mechanism wants (an empty line, or 0x01) and ends the
 * login with PB_POP3_ERROR_TOKEN_REJECTED carrying its status and scope; a
 * plain -ERR is handled as for a password. The login is confirmed by STAT: a
 * refusal there (other than [IN-USE] or [SYS/TEMP]) is
 * PB_POP3_ERROR_AUTH_FAILED. Without either mechanism: _NO_AUTH_MECHANISM,
 * nothing sent. The token is copied and wiped after use. Finish with
 * pb_pop3_client_login_finish. */
void           pb_pop3_client_login_bearer_async (PbPop3Client        *self,
                                                  const char          *user,
                                                  const char          *access_token,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PbPop3Listing *pb_pop3_client_login_finish (PbPop3Client        *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* TOP n 0 for each of @msgnums (pipelined when offered, with a cap on the bytes
 * in flight). Returns GBytes* header blocks in the same order; a message whose
 * TOP got -ERR (deleted meanwhile) gives an empty GBytes. Without TOP support
 * fails with PB_POP3_ERROR_SERVER. */
void           pb_pop3_client_top_async    (PbPop3Client        *self,
                                            const guint         *msgnums,
                                            guint                n_msgnums,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
GPtrArray     *pb_pop3_client_top_finish   (PbPop3Client        *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* Sends QUIT without waiting for the answer and closes the connection. */
void           pb_pop3_client_quit         (PbPop3Client        *self);

/* ---- What is known about the session ----------------------------------- */
PbPop3Capabilities    pb_pop3_client_get_capabilities        (PbPop3Client *self);
/* Seconds the server wants between two logins (CAPA LOGIN-DELAY), or 0. */
guint                 pb_pop3_client_get_login_delay         (PbPop3Client *self);
GTlsCertificate      *pb_pop3_client_get_peer_certificate    (PbPop3Client *self);
GTlsCertificateFlags  pb_pop3_client_get_certificate_errors  (PbPop3Client *self);
PbTrustVerdict        pb_pop3_client_get_trust_verdict       (PbPop3Client *self);
GTlsProtocolVersion   pb_pop3_client_get_tls_version         (PbPop3Client *self);
const char           *pb_pop3_client_get_ciphersuite         (PbPop3Client *self);
const char           *pb_pop3_client_get_host                (PbPop3Client *self);
guint16               pb_pop3_client_get_port                (PbPop3Client *self);
/* For benchmarks: commands written, and times the client waited for the server
 * (greeting included, TLS handshake excluded). */
guint                 pb_pop3_client_get_commands_sent       (PbPop3Client *self);
guint                 pb_pop3_client_get_round_trips         (PbPop3Client *self);
/* POP3 bytes read from the server (after TLS), greeting included. */
guint64               pb_pop3_client_get_bytes_received      (PbPop3Client *self);

G_END_DECLS
