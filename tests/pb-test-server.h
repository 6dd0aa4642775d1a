/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* An in-process POP3 server on 127.0.0.1 that plays a script, for tests.
 * Every connection plays the whole script from the start. It runs on the
 * thread-default main context, so the test must iterate it (pb_test_wait_*). */

typedef enum
{
  PB_STEP_END = 0,      /* end of the script: then read and record commands until EOF */
  PB_STEP_SEND,         /* text + CRLF */
  PB_STEP_SEND_RAW,     /* text as it is (n bytes when n > 0, else strlen) */
  PB_STEP_EXPECT,       /* read one command line; it must equal text */
  PB_STEP_EXPECT_PREFIX,/* read one command line; it must start with text */
  PB_STEP_EXPECT_ANY,   /* read one command line, whatever it is */
  PB_STEP_STARTTLS,     /* TLS handshake as the server, with the server's certificate */
  PB_STEP_CLOSE,        /* close the connection; the script ends */
  PB_STEP_STALL,        /* stop here and never answer; the connection stays open */
  PB_STEP_SEND_LONG,    /* n bytes of 'x' without a line end */
  PB_STEP_SEND_REPEAT,  /* text repeated until n bytes went out (n = 0: until the client
                         * hangs up), in writes of at most 64 KiB: the server holds little */
  PB_STEP_PAUSE,        /* wait n milliseconds (then the next write is a packet of its own) */
  PB_STEP_DROP_BUFFERED,/* forget what the client sent beyond the last command read, as
                         * Courier and Cyrus do when their login process hands over;
                         * anything dropped is a script failure */
} PbTestStepKind;

typedef struct
{
  PbTestStepKind kind;
  const char    *text;
  gsize          n;
} PbTestStep;

typedef struct _PbTestServer PbTestServer;

/* @certificate: used for implicit TLS (when @implicit_tls) and for
 * PB_STEP_STARTTLS; may be NULL when neither is needed. @steps must end with
 * PB_STEP_END and stay valid while the server lives. */
PbTestServer *pb_test_server_new              (GTlsCertificate  *certificate,
                                               gboolean          implicit_tls,
                                               const PbTestStep *steps);
void          pb_test_server_free             (PbTestServer     *server);
guint16       pb_test_server_get_port         (PbTestServer     *server);

/* Every command line received, in order, without the line end (transfer none). */
GPtrArray    *pb_test_server_get_commands     (PbTestServer     *server);
/* How many of them arrived before TLS started (all of them when it never did). */
guint         pb_test_server_get_plain_commands (PbTestServer   *server);
/* NULL while the script was followed, else what went wrong first (an expected
 * command that did not come, a client that sent data before a handshake, …). */
const char   *pb_test_server_get_failure      (PbTestServer     *server);
/* TRUE once a connection has played every step up to PB_STEP_END, PB_STEP_CLOSE
 * or PB_STEP_STALL. */
gboolean      pb_test_server_get_script_done  (PbTestServer     *server);
/* TRUE once a connection has seen EOF from the client or was closed. */
gboolean      pb_test_server_get_disconnected (PbTestServer     *server);
guint         pb_test_server_get_n_connections (PbTestServer    *server);
/* The script for every connection after the first (NULL: the same one):
 * a second check of the same account asks for less (a listing hint). */
void          pb_test_server_set_later_steps  (PbTestServer     *server,
                                               const PbTestStep *steps);
/* The certificate for the next handshakes (implicit TLS and PB_STEP_STARTTLS). */
void          pb_test_server_set_certificate  (PbTestServer     *server,
                                               GTlsCertificate  *certificate);

/* Every byte the client sent as data, in order, over all connections: before
 * TLS as it came, after it decrypted (handshake records are not data). */
GBytes       *pb_test_server_dup_received     (PbTestServer     *server);
/* How many of those bytes arrived before TLS started (all when it never did). */
gsize         pb_test_server_get_plain_received (PbTestServer   *server);
/* Bytes the script has written so far, over all connections. */
guint64       pb_test_server_get_bytes_sent   (PbTestServer     *server);

/* The commands joined with "|", e.g. "CAPA|STLS|CAPA|AUTH PLAIN AGFsaWNl…". */
char         *pb_test_server_dup_transcript   (PbTestServer     *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestServer, pb_test_server_free)

G_END_DECLS
