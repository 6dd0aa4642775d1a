/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* How the connection is protected. There is deliberately no plaintext mode. */
typedef enum
{
  PB_SECURITY_TLS,      /* implicit TLS, default port 995 */
  PB_SECURITY_STARTTLS, /* STLS on port 110, all or nothing */
} PbSecurity;

#define PB_DEFAULT_INTERVAL_MINUTES 5
#define PB_MIN_INTERVAL_MINUTES     1
#define PB_MAX_INTERVAL_MINUTES     (7 * 24 * 60) /* a week */

const char *pb_security_to_string   (PbSecurity  security);   /* "tls" / "starttls" */
gboolean    pb_security_from_string (const char *text,
                                     PbSecurity *out);
guint16     pb_security_default_port (PbSecurity security);  /* 995 / 110 */

#define PB_TYPE_ACCOUNT (pb_account_get_type ())
G_DECLARE_FINAL_TYPE (PbAccount, pb_account, PB, ACCOUNT, GObject)

/* An account ID is 1-64 characters of [A-Za-z0-9._-], not starting with '.';
 * it names the GKeyFile group and the state file. */
gboolean     pb_account_id_is_valid     (const char *id);

PbAccount   *pb_account_new             (const char *id);

/* One rule for the server and user names a user types, a provider document
 * names or a file holds, used by every face and by the account store.
 *
 * A host name is an IP address or a DNS name: IDNA (Unicode names become
 * their ASCII "xn--" form), at most 253 octets, labels of 1-63 letters,
 * digits, '-' or '_', one trailing dot dropped; no whitespace, no control
 * characters, no '/', '@' or ':'. Returns that lower-case ASCII form, or
 * NULL with PB_STORE_ERROR_INVALID and a sentence for the user. */
char        *pb_host_name_normalize     (const char  *text,
                                         GError     **error);
/* A user name is 1-255 octets of UTF-8 without whitespace or control
 * characters (it goes into USER and SASL lines). */
#define PB_MAX_USER_NAME 255
gboolean     pb_user_name_check         (const char  *text,
                                         GError     **error);

/* A new account with every setting of @account (a different ID when @id is
 * not NULL). */
PbAccount   *pb_account_copy            (PbAccount  *account,
                                         const char *id);
/* Every setting equal, the ID included. */
gboolean     pb_account_equal           (PbAccount  *a,
                                         PbAccount  *b);
/* The same mailbox: host, port and user. Another mailbox is another
 * baseline: what the old one had seen says nothing about the new one. */
gboolean     pb_account_same_mailbox    (PbAccount  *a,
                                         PbAccount  *b);

const char  *pb_account_get_id           (PbAccount  *self);
const char  *pb_account_get_display_name (PbAccount  *self); /* falls back to the ID */
void         pb_account_set_display_name (PbAccount  *self,
                                          const char *name);
const char  *pb_account_get_host         (PbAccount  *self);
void         pb_account_set_host         (PbAccount  *self,
                                          const char *host);
guint16      pb_account_get_port         (PbAccount  *self); /* default port when unset */
void         pb_account_set_port         (PbAccount  *self,
                                          guint16     port);  /* 0 = the security's default */
PbSecurity   pb_account_get_security     (PbAccount  *self);
void         pb_account_set_security     (PbAccount  *self,
                                          PbSecurity  security);
const char  *pb_account_get_user         (PbAccount  *self);
void         pb_account_set_user         (PbAccount  *self,
                                          const char *user);
gboolean     pb_account_get_enabled      (PbAccount  *self);
void         pb_account_set_enabled      (PbAccount  *self,
                                          gboolean    enabled);
guint        pb_account_get_interval     (PbAccount  *self); /* minutes, >= 1 */
void         pb_account_set_interval     (PbAccount  *self,
                                          guint       minutes);
const char  *pb_account_get_ca_file      (PbAccount  *self); /* extra trusted CAs, or NULL */
void         pb_account_set_ca_file      (PbAccount  *self,
                                          const char *path);
/* The OAuth2 provider the account signs in with ("google", "microsoft", or a
 * group of oauth2.ini), or NULL for a password. */
const char  *pb_account_get_oauth2_provider (PbAccount  *self);
void         pb_account_set_oauth2_provider (PbAccount  *self,
                                             const char *provider);
/* A provider name is 1-64 characters of [A-Za-z0-9._-], not starting with '.'. */
gboolean     pb_oauth2_provider_id_is_valid (const char *id);

/* How the account's news are told. New mail: a notification or not, and the
 * sound it asks the notification server to play (the "sound-name" hint: a
 * name from the freedesktop sound theme, PB_ACCOUNT_SOUND_DEFAULT unless
 * set, or PB_ACCOUNT_SOUND_NONE for silence). Problems (a password, a
 * certificate, a server that can't be reached): a notification or not; the
 * tray and the mail window show them either way. */
#define PB_ACCOUNT_SOUND_DEFAULT "message-new-email"
#define PB_ACCOUNT_SOUND_NONE    "none"
/* Lower-case letters, digits and '-', 1-64 of them, as sound theme names are. */
gboolean     pb_account_sound_is_valid      (const char *sound);
gboolean     pb_account_get_notify_new_mail (PbAccount  *self);
void         pb_account_set_notify_new_mail (PbAccount  *self,
                                             gboolean    notify);
const char  *pb_account_get_sound           (PbAccount  *self);
void         pb_account_set_sound           (PbAccount  *self,
                                             const char *sound); /* NULL: the default */
gboolean     pb_account_get_notify_problems (PbAccount  *self);
void         pb_account_set_notify_problems (PbAccount  *self,
                                             gboolean    notify);

/* The provider's web mail, opened instead of the mail client for this
 * account's mail ("Open" in its notification, its messages in the tray), or
 * NULL for the mail client. Only https:// addresses, without a user name or
 * password in them. */
gboolean     pb_account_webmail_is_valid    (const char *address);
const char  *pb_account_get_webmail         (PbAccount  *self);
void         pb_account_set_webmail         (PbAccount  *self,
                                             const char *address);

G_END_DECLS
