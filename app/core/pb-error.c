/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>

#include "pb-error.h"

G_DEFINE_QUARK (pb-pop3-error-quark, pb_pop3_error)
G_DEFINE_QUARK (pb-store-error-quark, pb_store_error)
G_DEFINE_QUARK (pb-secret-error-quark, pb_secret_error)
G_DEFINE_QUARK (pb-oauth2-error-quark, pb_oauth2_error)

const char *
pb_error_kind (const GError *error)
{
  g_return_val_if_fail (error != NULL, "protocol");

  if (error->domain == PB_POP3_ERROR)
    {
      switch ((PbPop3Error) error->code)
        {
        case PB_POP3_ERROR_UNTRUSTED_CERTIFICATE:
          return "certificate";
        case PB_POP3_ERROR_AUTH_FAILED:
        case PB_POP3_ERROR_NO_AUTH_MECHANISM:
        case PB_POP3_ERROR_TOKEN_REJECTED:
          return "auth";
        case PB_POP3_ERROR_MAILBOX_IN_USE:
        case PB_POP3_ERROR_LOGIN_DELAY:
        case PB_POP3_ERROR_TEMPORARY:
          return "temporary";
        case PB_POP3_ERROR_PERMANENT:
          return "server";
        case PB_POP3_ERROR_TIMEOUT:
          return "timeout";
        case PB_POP3_ERROR_CONNECT:
        case PB_POP3_ERROR_CLOSED:
        case PB_POP3_ERROR_TLS:
          return "network";
        case PB_POP3_ERROR_INVALID_ARGUMENT:
          return "config";
        case PB_POP3_ERROR_PROTOCOL:
        case PB_POP3_ERROR_LINE_TOO_LONG:
        case PB_POP3_ERROR_SERVER:
        case PB_POP3_ERROR_STLS_UNAVAILABLE:
        case PB_POP3_ERROR_STLS_INJECTION:
        case PB_POP3_ERROR_INSECURE_TLS:
        default:
          return "protocol";
        }
    }

  if (error->domain == PB_OAUTH2_ERROR)
    {
      switch ((PbOAuth2Error) error->code)
        {
        case PB_OAUTH2_ERROR_NEEDS_SIGN_IN:
          return "sign-in";
        case PB_OAUTH2_ERROR_UNKNOWN_PROVIDER:
        case PB_OAUTH2_ERROR_INVALID_PROVIDER:
        case PB_OAUTH2_ERROR_NO_CLIENT_ID:
          return "config";
        case PB_OAUTH2_ERROR_DENIED:
          return "auth";
        case PB_OAUTH2_ERROR_EXPIRED:
          return "timeout";
        case PB_OAUTH2_ERROR_TEMPORARY:
          return "temporary";
        case PB_OAUTH2_ERROR_SERVER:
          return "server";
        case PB_OAUTH2_ERROR_PROTOCOL:
        default:
          return "protocol";
        }
    }

  if (error->domain == PB_SECRET_ERROR)
    return "keyring";
  if (error->domain == PB_STORE_ERROR)
    return "config";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return "timeout";
  if (error->domain == G_TLS_ERROR)
    return "network";
  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR)
    return "network";

  return "protocol";
}
