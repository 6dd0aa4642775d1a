/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A private Dovecot (POP3 only) on 127.0.0.1, for tests that need a real server.
 *
 * Everything lives in a new folder inside pb_test_get_tmpdir (): the
 * configuration made from tests/dovecot/dovecot.conf.in, Dovecot's base and
 * state folders, its log, the password file and one Maildir per user (owned by
 * the unprivileged mail user, nobody). Two ports: pop3s (implicit TLS) and pop3
 * (plain, offers STLS). Both use $PB_TEST_CERTS/server.crt, issued by
 * $PB_TEST_CERTS/ca.crt for localhost and 127.0.0.1. Logins are accepted only
 * inside TLS, by USER/PASS or SASL PLAIN/LOGIN. UIDLs are %08X UIDVALIDITY then
 * %08X UID: stable across sessions, and in delivery order. Needs root: Dovecot
 * switches to its own users (dovecot, dovenull) and to nobody for mail. */
typedef struct _PbDovecot PbDovecot;

typedef enum
{
  PB_DOVECOT_FLAGS_NONE = 0,
  /* auth_mechanisms = login: CAPA says "SASL LOGIN" (no PLAIN). Dovecot runs
   * USER/PASS through its PLAIN mechanism, so USER/PASS is then refused with
   * "-ERR [AUTH] Unsupported authentication mechanism." Dovecot 2.3 offers no
   * way to hide SASL PLAIN while keeping USER/PASS. */
  PB_DOVECOT_FLAGS_SASL_LOGIN_ONLY = 1 << 0,
  /* $PB_TEST_CERTS/self-signed.* instead of the CA-issued server.*. */
  PB_DOVECOT_FLAGS_SELF_SIGNED = 1 << 1,
  /* pop3_lock_session = yes: while one session of a user is open, another
   * gets "-ERR [IN-USE] …", as servers that lock the maildrop answer. */
  PB_DOVECOT_FLAGS_LOCK_SESSION = 1 << 2,
} PbDovecotFlags;

/* Fills @message (empty on entry) with message number @index (0-based), raw
 * RFC 5322 bytes with LF or CRLF line ends. */
typedef void (*PbDovecotGenerator) (guint     index,
                                    GString  *message,
                                    gpointer  user_data);

/* Starts Dovecot and waits (up to 10 s) until it answers on both ports.
 * Returns NULL with G_IO_ERROR_NOT_FOUND when dovecot is not installed (tests
 * skip then), otherwise with an error that includes Dovecot's log. */
PbDovecot   *pb_dovecot_new              (GError            **error);
PbDovecot   *pb_dovecot_new_full         (PbDovecotFlags      flags,
                                          GError            **error);
/* Also takes OAuth2 bearer tokens, by the SASL @mechanisms ("xoauth2",
 * "oauthbearer" or both, space-separated; passdb oauth2): each token is looked up at @introspection_url (RFC 7662, POST,
 * trusting $PB_TEST_CERTS/ca.crt), and accepted when it is active and its
 * "username" is the user signing in (who needs a Maildir: pb_dovecot_add_user). */
PbDovecot   *pb_dovecot_new_oauth2       (const char         *introspection_url,
                                          const char         *mechanisms,
                                          PbDovecotFlags      flags,
                                          GError            **error);
/* Stops Dovecot (SIGTERM, SIGKILL after 3 s) and removes its folder. */
void         pb_dovecot_free             (PbDovecot          *self);

guint16      pb_dovecot_get_pop3s_port   (PbDovecot          *self);
guint16      pb_dovecot_get_pop3_port    (PbDovecot          *self);
/* The folder holding everything of this instance. */
const char  *pb_dovecot_get_dir          (PbDovecot          *self);
/* Unique per instance; the titles of its processes start with "dovecot-" and it. */
const char  *pb_dovecot_get_instance_name (PbDovecot         *self);
/* Dovecot's log so far (for failure messages); never NULL. */
char        *pb_dovecot_get_log          (PbDovecot          *self);
/* The Maildir (with cur/, new/, tmp/) of @user. */
char        *pb_dovecot_get_maildir      (PbDovecot          *self,
                                          const char         *user);

/* Adds a user with an empty Maildir; works while Dovecot runs. @user and
 * @password must not contain ':' or line breaks (G_IO_ERROR_INVALID_ARGUMENT). */
gboolean     pb_dovecot_add_user         (PbDovecot          *self,
                                          const char         *user,
                                          const char         *password,
                                          GError            **error);
/* Delivers one message into @user's Maildir/new (written to tmp/, then renamed;
 * named with ,S=size,W=size-with-CRLF so Dovecot need not read it). The bytes
 * are kept as given; Dovecot sends LF as CRLF. */
gboolean     pb_dovecot_deliver          (PbDovecot          *self,
                                          const char         *user,
                                          const char         *message,
                                          gsize               length,
                                          GError            **error);
/* Delivers @n messages made by @generator (NULL: small plain messages with
 * "Subject: Message <index>"), in order. About 100,000 in a few seconds. */
gboolean     pb_dovecot_deliver_many     (PbDovecot          *self,
                                          const char         *user,
                                          guint               n,
                                          PbDovecotGenerator  generator,
                                          gpointer            user_data,
                                          GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbDovecot, pb_dovecot_free)

G_END_DECLS
