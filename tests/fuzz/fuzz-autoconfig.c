/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Thunderbird autoconfig document parser: whatever a web server sends,
 * the answer is a POP3 server over TLS with usable text, or one of the
 * documented errors.
 * Input: 1 byte to pick the address, then the document. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-autoconfig.h"

static const char *const addresses[] = {
  "alice@example.org",
  "山田.太郎@example.jp",
  "a@b.c",
  "first.last+tag@sub.example.co.jp",
};

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
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autoptr(PbServerCandidate) copy = NULL;
  g_autoptr(GError) error = NULL;
  const char *address;

  if (size < 1)
    return 0;
  address = addresses[data[0] % G_N_ELEMENTS (addresses)];

  candidate = pb_autoconfig_parse_document ((const char *) data + 1, (gssize) size - 1, address,
                                            &error);
  if (candidate == NULL)
    {
      pb_fuzz_check (error != NULL && error->domain == PB_AUTOCONFIG_ERROR &&
                     (error->code == PB_AUTOCONFIG_ERROR_NOT_FOUND ||
                      error->code == PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT ||
                      error->code == PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT),
                     "not one of the documented errors");
      if (g_getenv ("PB_FUZZ_DEBUG") != NULL)
        g_printerr ("error: %s\n", error->message);
      pb_fuzz_check (g_utf8_validate (error->message, -1, NULL), "an error message that is not text");
      return 0;
    }

  pb_fuzz_check (error == NULL, "a candidate and an error");
  pb_fuzz_check (candidate->host != NULL && *candidate->host != '\0' &&
                 pb_fuzz_is_clean_text (candidate->host), "a bad host name");
  pb_fuzz_check (candidate->port > 0, "port 0");
  pb_fuzz_check (candidate->security == PB_SECURITY_TLS ||
                 candidate->security == PB_SECURITY_STARTTLS, "not POP3 over TLS");
  pb_fuzz_check (candidate->user != NULL && pb_fuzz_is_clean_text (candidate->user),
                 "a bad user name");
  pb_fuzz_check (candidate->provider_name == NULL ||
                 g_utf8_validate (candidate->provider_name, -1, NULL), "a bad provider name");
  pb_fuzz_check (candidate->help_url == NULL || g_utf8_validate (candidate->help_url, -1, NULL),
                 "a bad help URL");

  copy = pb_server_candidate_copy (candidate);
  pb_fuzz_check (g_strcmp0 (copy->host, candidate->host) == 0 &&
                 copy->port == candidate->port && copy->security == candidate->security &&
                 g_strcmp0 (copy->user, candidate->user) == 0, "the copy differs");
  return 0;
}
