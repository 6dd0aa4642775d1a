/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Errors of the POP3 session: protocol, TLS policy and server answers. */
#define PB_POP3_ERROR (pb_pop3_error_quark ())
typedef enum
{
  PB_POP3_ERROR_PROTOCOL,              /* malformed or unexpected response */
  PB_POP3_ERROR_LINE_TOO_LONG,         /* a line exceeded the reader's cap */
  PB_POP3_ERROR_SERVER,                /* -ERR to a command (text kept) */
  PB_POP3_ERROR_AUTH_FAILED,           /* -ERR to authentication (text kept) */
  PB_POP3_ERROR_NO_AUTH_MECHANISM,     /* neither SASL PLAIN nor USER offered */
  PB_POP3_ERROR_STLS_UNAVAILABLE,      /* STLS not advertised or refused */
  PB_POP3_ERROR_STLS_INJECTION,        /* bytes after the STLS +OK, before the handshake */
  PB_POP3_ERROR_INSECURE_TLS,          /* TLS below 1.2 or handshake refused for policy */
  PB_POP3_ERROR_UNTRUSTED_CERTIFICATE, /* verification failed and no pin matches */
  PB_POP3_ERROR_TIMEOUT,               /* connect or read timeout */
  PB_POP3_ERROR_CLOSED,                /* the server closed the connection early */
  PB_POP3_ERROR_INVALID_ARGUMENT,      /* CR/LF/NUL in user name or password */
  PB_POP3_ERROR_CONNECT,               /* could not reach the server */
  PB_POP3_ERROR_TLS,                   /* TLS handshake or record error */
  /* RFC 2449 response codes to the login: none of them is the password. */
  PB_POP3_ERROR_MAILBOX_IN_USE,        /* [IN-USE]: another session holds the maildrop */
  PB_POP3_ERROR_LOGIN_DELAY,           /* [LOGIN-DELAY]: logged in again too soon */
  PB_POP3_ERROR_TEMPORARY,             /* [SYS/TEMP]: try again later */
  PB_POP3_ERROR_PERMANENT,             /* [SYS/PERM]: the server's text says what */
  /* An OAuth2 bearer token was refused with an error challenge (RFC 7628
   * §3.2.2): the message carries its status; a fresh token may work. */
  PB_POP3_ERROR_TOKEN_REJECTED,
} PbPop3Error;

/* Errors of the files Popbell keeps: accounts.ini, trust.ini, *.state. */
#define PB_STORE_ERROR (pb_store_error_quark ())
typedef enum
{
  PB_STORE_ERROR_CORRUPT,   /* unreadable content; the file was set aside */
  PB_STORE_ERROR_INVALID,   /* a value the caller gave is not acceptable */
  PB_STORE_ERROR_NOT_FOUND, /* no such account or pin */
  PB_STORE_ERROR_EXISTS,    /* an account with that ID exists already */
  PB_STORE_ERROR_IO,        /* reading or writing failed */
} PbStoreError;

/* Errors of the keyring (libsecret). */
#define PB_SECRET_ERROR (pb_secret_error_quark ())
typedef enum
{
  PB_SECRET_ERROR_NO_SERVICE, /* no Secret Service on the session bus */
  PB_SECRET_ERROR_LOCKED,     /* a matching item exists but its collection is locked */
  PB_SECRET_ERROR_NOT_FOUND,  /* no password stored for the account */
  PB_SECRET_ERROR_FAILED,     /* anything else the service reported */
} PbSecretError;

/* Errors of OAuth2 sign-ins and tokens (identity providers, the keyring's
 * refresh token, the browser and device sign-ins). */
#define PB_OAUTH2_ERROR (pb_oauth2_error_quark ())
typedef enum
{
  PB_OAUTH2_ERROR_NEEDS_SIGN_IN,     /* no sign-in stored, or the provider refused it
                                      * (invalid_grant): the user must sign in again */
  PB_OAUTH2_ERROR_UNKNOWN_PROVIDER,  /* no such provider, built in or in oauth2.ini */
  PB_OAUTH2_ERROR_INVALID_PROVIDER,  /* an oauth2.ini entry that can't be used */
  PB_OAUTH2_ERROR_NO_CLIENT_ID,      /* this build has no client ID for the provider */
  PB_OAUTH2_ERROR_DENIED,            /* the user said no (access_denied) */
  PB_OAUTH2_ERROR_EXPIRED,           /* the sign-in took too long (expired_token, 5 minutes) */
  PB_OAUTH2_ERROR_SERVER,            /* another OAuth2 error or HTTP status (text kept) */
  PB_OAUTH2_ERROR_TEMPORARY,         /* temporarily_unavailable, HTTP 5xx: try later */
  PB_OAUTH2_ERROR_PROTOCOL,          /* an answer that is not what RFC 6749 says */
} PbOAuth2Error;

GQuark pb_oauth2_error_quark (void);
GQuark pb_pop3_error_quark (void);
GQuark pb_store_error_quark (void);
GQuark pb_secret_error_quark (void);

/* One word that classifies an error for scripts (`--json`): "certificate",
 * "auth", "temporary" (the mailbox is in use, or the server asks to wait),
 * "server" (a permanent problem the server reported), "network", "timeout",
 * "protocol", "keyring", "config" or "sign-in" (an OAuth2 account whose
 * sign-in is missing or was refused: the user must sign in again). */
const char *pb_error_kind (const GError *error);

G_END_DECLS
