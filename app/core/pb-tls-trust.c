/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-tls"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-error.h"
#include "pb-tls-trust.h"


/* ---- Verification ------------------------------------------------------ */

typedef struct
{
  GTlsCertificate *certificate;
  char *host;
  guint16 port;
  char *extra_ca_file;
} VerifyData;

static void
verify_data_free (VerifyData *data)
{
  g_clear_object (&data->certificate);
  g_free (data->host);
  g_free (data->extra_ca_file);
  g_free (data);
}

static guint
count_bits (guint flags)
{
  guint n = 0;

  for (; flags != 0; flags &= flags - 1)
    n++;
  return n;
}

/* Of two failed verifications, the one to show is the most truthful: a
 * database that knew the issuer found the real problems (a wrong name, an
 * expired date) that the other hides behind "unknown authority". */
static GTlsCertificateFlags
pick_flags (GTlsCertificateFlags system_flags,
            GTlsCertificateFlags extra_flags)
{
  gboolean system_knows = !(system_flags & G_TLS_CERTIFICATE_UNKNOWN_CA);
  gboolean extra_knows = !(extra_flags & G_TLS_CERTIFICATE_UNKNOWN_CA);

  if (system_knows != extra_knows)
    return system_knows ? system_flags : extra_flags;
  if (count_bits (system_flags) < count_bits (extra_flags))
    return system_flags;
  return extra_flags;
}

/* What GIO's verification does not see: a name only in the subject's common
 * name, and weak keys or signatures, whichever database vouched for them. */
static GTlsCertificateFlags
popbell_checks (GTlsCertificate *certificate,
                const char      *host)
{
  GTlsCertificateFlags flags = 0;

  if (!pb_certificate_names_host (certificate, host))
    flags |= G_TLS_CERTIFICATE_BAD_IDENTITY;
  if (pb_certificate_is_weak (certificate))
    flags |= G_TLS_CERTIFICATE_INSECURE;
  return flags;
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VerifyData *data = task_data;
  g_autoptr(GTlsDatabase) system_db = NULL;
  g_autoptr(GTlsDatabase) extra_db = NULL;
  g_autoptr(GSocketConnectable) identity = NULL;
  GTlsCertificateFlags system_flags;
  GTlsCertificateFlags extra_flags = G_TLS_CERTIFICATE_GENERIC_ERROR;
  GError *error = NULL;

  identity = g_network_address_new (data->host, data->port);

  /* The account's own CA file first: when it vouches for the certificate,
   * the system store (hundreds of certificates to parse) is not needed. */
  if (data->extra_ca_file != NULL)
    {
      /* An account's CA file that cannot be read is a configuration error that
       * the user must see, not a reason to quietly trust less or more. */
      extra_db = g_tls_file_database_new (data->extra_ca_file, &error);
      if (extra_db == NULL)
        {
          g_task_return_error (task, error);
          return;
        }

      extra_flags = g_tls_database_verify_chain (extra_db, data->certificate,
                                                 G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                                 identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                                 cancellable, &error);
      if (error != NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      g_debug ("Trust from %s for %s:%u: flags 0x%x",
               data->extra_ca_file, data->host, data->port, extra_flags);
      if (extra_flags == 0)
        {
          g_task_return_int (task, popbell_checks (data->certificate, data->host));
          return;
        }
    }

  /* Without glib-networking there is no system store: nothing is trusted through it. */
  system_db = g_tls_backend_get_default_database (g_tls_backend_get_default ());
  if (system_db == NULL)
    system_flags = G_TLS_CERTIFICATE_UNKNOWN_CA;
  else
    system_flags = g_tls_database_verify_chain (system_db, data->certificate,
                                                G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                                identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                                cancellable, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_debug ("System trust for %s:%u: flags 0x%x", data->host, data->port, system_flags);

  if (system_flags == 0 || data->extra_ca_file == NULL)
    {
      g_task_return_int (task, system_flags | popbell_checks (data->certificate, data->host));
      return;
    }

  g_task_return_int (task, pick_flags (system_flags, extra_flags) |
                           popbell_checks (data->certificate, data->host));
}

void
pb_tls_verify_async (GTlsCertificate      *certificate,
                     const char           *host,
                     guint16               port,
                     const char           *extra_ca_file,
                     GCancellable         *cancellable,
                     GAsyncReadyCallback   callback,
                     gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  VerifyData *data;

  g_return_if_fail (G_IS_TLS_CERTIFICATE (certificate));
  g_return_if_fail (host != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_tls_verify_async);

  data = g_new0 (VerifyData, 1);
  data->certificate = g_object_ref (certificate);
  data->host = g_strdup (host);
  data->port = port;
  /* GTlsFileDatabase warns about (and refuses) a relative anchor path. */
  if (extra_ca_file != NULL)
    data->extra_ca_file = g_canonicalize_filename (extra_ca_file, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) verify_data_free);

  g_task_run_in_thread (task, verify_thread);
}

GTlsCertificateFlags
pb_tls_verify_finish (GAsyncResult  *result,
                      GError       **error)
{
  gssize flags;

  g_return_val_if_fail (g_task_is_valid (result, NULL), G_TLS_CERTIFICATE_GENERIC_ERROR);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_tls_verify_async,
                        G_TLS_CERTIFICATE_GENERIC_ERROR);

  flags = g_task_propagate_int (G_TASK (result), error);
  /* On error the certificate was not verified: never report it as trusted. */
  if (flags < 0)
    return G_TLS_CERTIFICATE_GENERIC_ERROR;
  return (GTlsCertificateFlags) flags;
}

/* ---- The decision ------------------------------------------------------ */

PbTrustVerdict
pb_trust_decide (PbTrustStore         *pins,
                 const char           *host,
                 guint16               port,
                 GTlsCertificate      *certificate,
                 GTlsCertificateFlags  errors)
{
  g_return_val_if_fail (pins == NULL || PB_IS_TRUST_STORE (pins), PB_TRUST_REJECTED);
  g_return_val_if_fail (host != NULL, PB_TRUST_REJECTED);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), PB_TRUST_REJECTED);

  /* Asked here again, not only in pb_tls_verify_async(): whatever @errors
   * say, a weak certificate is never accepted, verified or pinned. */
  if (pb_certificate_is_weak (certificate))
    return PB_TRUST_REJECTED;
  if (errors == 0)
    return PB_TRUST_SYSTEM;
  if (!pb_certificate_problems_allow_pin (errors))
    return PB_TRUST_REJECTED;
  if (pins != NULL && pb_trust_store_is_pinned (pins, host, port, certificate))
    return PB_TRUST_PINNED;
  return PB_TRUST_REJECTED;
}

