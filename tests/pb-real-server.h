/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One real POP3 server from Debian's packages, run privately on 127.0.0.1
 * for the interoperability tests: Dovecot through tests/pb-dovecot.c, the
 * others through their tests/servers/NAME/server scripts (see the README
 * there). Every one of them serves implicit TLS on one port and STLS on
 * another, with the self-signed test certificate $PB_TEST_CERTS/self-signed.*,
 * and keeps a user's mail in delivery order with stable UIDLs. */
typedef struct _PbRealServer PbRealServer;

/* The servers, in the order the tests and the README's table list them. */
extern const char *const pb_real_server_names[];

/* Starts @name. Fails with G_IO_ERROR_NOT_FOUND when its files are not
 * installed (build-aux/setup installs them), otherwise with the server's log. */
PbRealServer *pb_real_server_new            (const char    *name,
                                             GError       **error);
void          pb_real_server_free           (PbRealServer  *self);

const char   *pb_real_server_get_name       (PbRealServer  *self);
guint16       pb_real_server_get_pop3s_port (PbRealServer  *self);
guint16       pb_real_server_get_pop3_port  (PbRealServer  *self);
/* Whether a second session of a user is refused while one is open ([IN-USE]):
 * Dovecot (with pop3_lock_session) and GNU Mailutils; Courier and Cyrus let
 * both in. */
gboolean      pb_real_server_locks_maildrop (PbRealServer  *self);

gboolean      pb_real_server_add_user       (PbRealServer  *self,
                                             const char    *user,
                                             const char    *password,
                                             GError       **error);
/* Appends @message (RFC 5322, LF line ends) as @user's newest message. */
gboolean      pb_real_server_deliver        (PbRealServer  *self,
                                             const char    *user,
                                             const char    *message,
                                             GError       **error);
/* What the server logged so far, for failure messages; never NULL. */
char         *pb_real_server_get_log        (PbRealServer  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbRealServer, pb_real_server_free)

G_END_DECLS
