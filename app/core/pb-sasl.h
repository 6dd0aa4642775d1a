/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The SASL messages of the two OAuth2 bearer-token mechanisms, without any I/O:
 * XOAUTH2 (Google's, which Microsoft also takes) and OAUTHBEARER (RFC 7628).
 * The POP3 client sends them; this file only builds and reads them. */

typedef enum
{
  PB_SASL_XOAUTH2,
  PB_SASL_OAUTHBEARER,
} PbSaslBearer;

const char *pb_sasl_bearer_name (PbSaslBearer mechanism); /* "XOAUTH2" / "OAUTHBEARER" */

/* TRUE when @token may go into a bearer message as it is: RFC 6750's
 * b64token (letters, digits, "-._~+/", then "=" padding), 1 to 64 KiB long.
 * Anything else (a line break, a space, a \x01 separator) could change
 * the meaning of the message, so it is refused before sending. */
gboolean    pb_sasl_token_is_valid (const char *token);

/* TRUE when @user has no control character (the messages separate fields
 * with \x01, and POP3 lines with CRLF). */
gboolean    pb_sasl_user_is_valid  (const char *user);

/* The client's message, base64-encoded for a POP3 continuation (RFC 5034):
 *   XOAUTH2:     "user=" user "\x01auth=Bearer " token "\x01\x01"
 *   OAUTHBEARER: "n,a=" saslname(user) "," "\x01host=" host "\x01port=" port
 *                "\x01auth=Bearer " token "\x01\x01"   (RFC 7628 §3.1)
 * The raw message is wiped; the caller wipes the result after sending it.
 * @user and @token must be valid (see above). */
char       *pb_sasl_bearer_response (PbSaslBearer  mechanism,
                                     const char   *user,
                                     const char   *token,
                                     const char   *host,
                                     guint16       port);

/* What the client answers to an error challenge so that the server can end
 * the exchange with its failure: an empty line for XOAUTH2, the single octet
 * 0x01 (base64 "AQ==") for OAUTHBEARER (RFC 7628 §3.2.3). */
const char *pb_sasl_bearer_error_ack (PbSaslBearer mechanism);

/* Reads a server's error challenge: the text after "+ " in base64, holding a
 * JSON object such as {"status":"invalid_token","schemes":"bearer",
 * "scope":"https://mail.google.com/"} (Google sends "400" or "401" as the
 * status). TRUE with *@status and *@scope (NULL when absent) made fit to show
 * (printable ASCII, at most 100 characters); FALSE when @challenge is not such
 * a document (not base64, not JSON, no object, over 16 KiB). */
gboolean    pb_sasl_parse_bearer_error (const char  *challenge,
                                        char       **status,
                                        char       **scope);

G_END_DECLS
