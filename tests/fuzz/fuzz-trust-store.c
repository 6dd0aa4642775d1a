/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The trust.ini loader: every pin it keeps is a host:port key with a
 * certificate whose SHA-256 is the recorded one, and saving then loading again
 * keeps exactly those pins. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-error.h"
#include "pb-tls-trust.h"

/* "host:port" or "[v6]:port" with a port that fits 16 bits. */
static gboolean
split_key (const char  *key,
           char       **host,
           guint16     *port)
{
  const char *colon = strrchr (key, ':');
  guint64 value;

  if (colon == NULL || colon == key ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT16, &value, NULL))
    return FALSE;

  if (key[0] == '[')
    {
      if (colon[-1] != ']' || colon - key < 3)
        return FALSE;
      *host = g_strndup (key + 1, colon - key - 2);
    }
  else
    {
      *host = g_strndup (key, colon - key);
    }
  *port = (guint16) value;
  return TRUE;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  pb_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *path = pb_fuzz_write_file ("trust.ini", data, size);
  g_autoptr(PbTrustStore) store = pb_trust_store_new (path);
  g_autoptr(PbTrustStore) again = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;
  g_auto(GStrv) keys_again = NULL;

  if (!pb_trust_store_load (store, &error))
    {
      pb_fuzz_check (g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT),
                     "a bad trust file is not reported as corrupt");
      keys = pb_trust_store_list_keys (store);
      pb_fuzz_check (keys[0] == NULL, "a rejected file left pins behind");
      pb_fuzz_check (!g_file_test (path, G_FILE_TEST_EXISTS), "a corrupt file was not set aside");
      pb_fuzz_clean_tmpdir ();
      return 0;
    }

  keys = pb_trust_store_list_keys (store);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *host = NULL;
      g_autofree char *key = NULL;
      g_autofree char *sha256 = NULL;
      g_autoptr(GTlsCertificate) certificate = NULL;
      const char *fingerprint;
      guint16 port = 0;

      pb_fuzz_check (split_key (keys[i], &host, &port), "a pin whose key is not host:port");
      key = pb_trust_key (host, port);
      pb_fuzz_check (g_strcmp0 (key, keys[i]) == 0, "a pin key that is not canonical");

      fingerprint = pb_trust_store_get_fingerprint (store, host, port);
      certificate = pb_trust_store_get_certificate (store, host, port);
      pb_fuzz_check (fingerprint != NULL && certificate != NULL, "a listed pin that is not there");
      sha256 = pb_certificate_get_sha256 (certificate);
      pb_fuzz_check (g_strcmp0 (sha256, fingerprint) == 0, "a pin of another certificate");
      pb_fuzz_check (pb_trust_store_is_pinned (store, host, port, certificate),
                     "a pinned certificate that is not pinned");
      /* A weak certificate stays pinned in the file but never counts. */
      pb_fuzz_check (pb_trust_decide (store, host, port, certificate,
                                      G_TLS_CERTIFICATE_UNKNOWN_CA) ==
                     (pb_certificate_is_weak (certificate) ? PB_TRUST_REJECTED : PB_TRUST_PINNED),
                     "a pin that decides nothing, or a weak certificate pinned");
      pb_fuzz_check (pb_trust_decide (store, host, port, certificate,
                                      G_TLS_CERTIFICATE_REVOKED) == PB_TRUST_REJECTED,
                     "a pin that overrides revocation");
    }

  pb_fuzz_check (pb_trust_store_save (store, &error), "accepted pins do not save");
  again = pb_trust_store_new (path);
  pb_fuzz_check (pb_trust_store_load (again, &error), "saved pins do not load");
  keys_again = pb_trust_store_list_keys (again);
  pb_fuzz_check (g_strv_equal ((const char * const *) keys, (const char * const *) keys_again),
                 "pins changed on the way through the file");

  pb_fuzz_clean_tmpdir ();
  return 0;
}
