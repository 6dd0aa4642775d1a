/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Inside the POP3 client: the session's state and the exchange engine
 * (pb-pop3-exchange.c) that pb-pop3-client.c builds the protocol on.
 * Nothing outside those two files includes this. */

#include "pb-pop3-client.h"

G_BEGIN_DECLS

#define READ_BUFFER_SIZE  (64 * 1024)
/* What a hostile server may make us hold in memory per answer. */
#define MAX_CAPA_BYTES    (64 * 1024)
#define MAX_LISTING_BYTES (32 * 1024 * 1024)   /* UIDL: ~400,000 messages */
#define MAX_TOP_BYTES     (256 * 1024)
/* Commands in flight when pipelining: the server's receive buffer and ours
 * for the answers must not fill up and block both sides. */
#define PIPELINE_MAX_COMMANDS 64
#define PIPELINE_MAX_BYTES    (64 * 1024)

typedef enum
{
  STATE_NEW,
  STATE_CONNECTED,
  STATE_LOGGED_IN,
  STATE_ENDED,
} SessionState;

struct _PbPop3Client
{
  GObject              parent_instance;

  char                *host;
  guint16              port;
  PbSecurity           security;
  guint                timeout;
  PbTrustStore        *pins;
  char                *ca_file;

  SessionState         state;
  gboolean             busy;
  GError              *error;        /* set once the session has ended */

  GSocketConnection   *connection;
  GIOStream           *stream;       /* the TLS connection once there is one */
  GInputStream        *input;
  GOutputStream       *output;
  PbPop3Reader        *reader;
  guint8              *read_buffer;

  /* Every I/O runs with this one: a timeout or the caller's cancellable cancel it. */
  GCancellable        *io_cancellable;
  GCancellable        *op_cancellable;
  gulong               op_cancel_id;
  GSource             *timer;
  gboolean             timed_out;

  PbPop3Capabilities   caps;
  guint                login_delay;
  gboolean             capa_known;
  gboolean             tls_done;
  GTlsCertificate     *peer_certificate;
  GTlsCertificateFlags certificate_errors;
  PbTrustVerdict       verdict;
  GTlsProtocolVersion  tls_version;
  char                *ciphersuite;

  guint                commands_sent;
  guint                round_trips;
  guint64              bytes_received;

  guint                hint_count;
  char                *hint_uidl;
};

typedef struct
{
  const char     *verb;     /* for logs: never the arguments */
  guint           expect;   /* PbPop3Expect */
  gsize           max_body;
  PbPop3Response *response;
} Command;

typedef struct
{
  GPtrArray *commands;      /* Command* */
  GString   *wire;          /* what to write, or NULL to only read (the greeting) */
  guint      next;          /* first command still without an answer */
  gboolean   more_is_injection; /* data after the answers is the caller's to judge (STLS) */
} Exchange;

/* ---- Session bookkeeping (pb-pop3-exchange.c) ---- */

void     pb_pop3_client_disarm_timer  (PbPop3Client  *self);
/* The per-wait timeout, from now. */
void     pb_pop3_client_arm_timer     (PbPop3Client  *self);
void     pb_pop3_client_drop_streams  (PbPop3Client  *self);
void     pb_pop3_client_close_hard    (PbPop3Client  *self);
/* A GIO error as the session's own (timeouts, closed connections); takes @error. */
GError  *pb_pop3_client_map_io_error  (PbPop3Client  *self,
                                       GError        *error);
/* An operation starts: FALSE (and @task returned with the error) when the
 * session is not in @expected or another operation runs. */
gboolean pb_pop3_op_begin             (PbPop3Client  *self,
                                       GTask         *task,
                                       SessionState   expected,
                                       GCancellable  *cancellable);
void     pb_pop3_op_end               (PbPop3Client  *self);
/* Ends the operation and the session with @error (taken). */
void     pb_pop3_op_fail              (GTask         *task,
                                       GError        *error);

/* ---- Exchanges: commands written at once, answers read in order ---- */

Exchange       *pb_pop3_exchange_new    (void);
void            pb_pop3_exchange_free   (Exchange     *exchange);
/* @line NULL: only read (the greeting). @expect: a PbPop3Expect. */
void            pb_pop3_exchange_add    (Exchange     *exchange,
                                         const char   *verb,
                                         const char   *line,
                                         guint         expect,
                                         gsize         max_body);
PbPop3Response *pb_pop3_exchange_get    (Exchange     *exchange,
                                         guint         index);
void            pb_pop3_exchange_async  (PbPop3Client        *self,
                                         Exchange            *exchange,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean        pb_pop3_exchange_finish (PbPop3Client  *self,
                                         GAsyncResult  *result,
                                         GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Exchange, pb_pop3_exchange_free)

G_END_DECLS
