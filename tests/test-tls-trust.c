/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "pb-checker.h"
#include "pb-error.h"
#include "pb-pop3-client.h"
#include "pb-tls-trust.h"
#include "pb-test-server.h"
#include "pb-test-util.h"

#define PASSWORD "weak-cert-canary-Passw0rd"

/* The SHA-256 fingerprint as openssl prints it ("sha256 Fingerprint=AB:CD:…"),
 * turned into lowercase hex: an independent implementation to compare with. */
static char *
openssl_sha256 (const char *cert_name)
{
  g_autofree char *path = pb_test_cert_path (cert_name);
  const char *argv[] = { "openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", path,
                         NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *equals;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);

  equals = strchr (out, '=');
  g_assert_nonnull (equals);
  return pb_fingerprint_normalize (g_strstrip ((char *) equals + 1));
}

static void
test_fingerprint_matches_openssl (void)
{
  const char *names[] = { "server.crt", "server2.crt", "self-signed.crt", "ca.crt" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GTlsCertificate) cert = pb_test_load_certificate (names[i]);
      g_autofree char *ours = pb_certificate_get_sha256 (cert);
      g_autofree char *theirs = openssl_sha256 (names[i]);

      g_assert_nonnull (theirs);
      g_assert_cmpuint (strlen (ours), ==, 64);
      g_assert_cmpstr (ours, ==, theirs);
    }
}

static void
test_fingerprint_ignores_private_key (void)
{
  g_autoptr(GTlsCertificate) crt = pb_test_load_certificate ("server.crt");
  g_autoptr(GTlsCertificate) pem = pb_test_load_certificate ("server.pem");
  g_autoptr(GTlsCertificate) other = pb_test_load_certificate ("server2.crt");
  g_autofree char *a = pb_certificate_get_sha256 (crt);
  g_autofree char *b = pb_certificate_get_sha256 (pem);
  g_autofree char *c = pb_certificate_get_sha256 (other);

  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
}

static void
test_fingerprint_format (void)
{
  const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  g_autofree char *formatted = pb_fingerprint_format (hex);
  g_autofree char *back = pb_fingerprint_normalize (formatted);

  g_assert_cmpstr (formatted, ==,
                   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
  g_assert_cmpstr (back, ==, hex);
}

static void
test_fingerprint_normalize (void)
{
  const char *want = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  const char *good[] = {
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF",
    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
    "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF "
    "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF",
    "  0011223344556677 8899aabbccddeeff\n00112233445566778899aabbccddeeff\t",
  };
  const char *bad[] = {
    "",
    ":::",
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddee",     /* 62 digits */
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00", /* 66 digits */
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg",   /* not hex */
    "00-11-22-33-44-55-66-77-88-99-aa-bb-cc-dd-ee-ff-"
    "00-11-22-33-44-55-66-77-88-99-aa-bb-cc-dd-ee-ff",
    "sha256 Fingerprint=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *got = pb_fingerprint_normalize (good[i]);
      g_assert_cmpstr (got, ==, want);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *got = pb_fingerprint_normalize (bad[i]);
      g_assert_null (got);
    }
}

static void
test_info_server (void)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.crt");
  g_autoptr(PbCertificateInfo) info = pb_certificate_info_new (cert);
  g_autofree char *sha = pb_certificate_get_sha256 (cert);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  g_assert_nonnull (strstr (info->subject, "CN=localhost"));
  g_assert_nonnull (strstr (info->subject, "O=Popbell Tests"));
  g_assert_nonnull (strstr (info->issuer, "CN=Popbell Test CA"));
  g_assert_true (g_strv_contains ((const char * const *) info->dns_names, "localhost"));
  g_assert_cmpuint (g_strv_length (info->dns_names), ==, 1);
  g_assert_true (g_strv_contains ((const char * const *) info->ip_addresses, "127.0.0.1"));
  g_assert_true (g_strv_contains ((const char * const *) info->ip_addresses, "::1"));
  g_assert_cmpstr (info->sha256, ==, sha);

  /* generate.sh makes it valid from now for ten years. */
  g_assert_nonnull (info->not_before);
  g_assert_nonnull (info->not_after);
  g_assert_cmpint (g_date_time_compare (info->not_before, now), <=, 0);
  g_assert_cmpint (g_date_time_compare (info->not_after, now), >, 0);
  g_assert_cmpint (g_date_time_get_year (info->not_after) - g_date_time_get_year (now), >=, 9);
}

static void
test_info_fixed_dates (void)
{
  g_autoptr(GTlsCertificate) expired = pb_test_load_certificate ("expired.crt");
  g_autoptr(GTlsCertificate) wrong = pb_test_load_certificate ("wrong-host.crt");
  g_autoptr(PbCertificateInfo) info = pb_certificate_info_new (expired);
  g_autoptr(PbCertificateInfo) wrong_info = pb_certificate_info_new (wrong);
  g_autofree char *before = g_date_time_format_iso8601 (info->not_before);
  g_autofree char *after = g_date_time_format_iso8601 (info->not_after);

  g_assert_cmpstr (before, ==, "2020-01-01T00:00:00Z");
  g_assert_cmpstr (after, ==, "2021-01-01T00:00:00Z");

  g_assert_cmpstr (wrong_info->dns_names[0], ==, "other.example.com");
  g_assert_null (wrong_info->dns_names[1]);
  g_assert_null (wrong_info->ip_addresses[0]);
}

/* ---- Verification ------------------------------------------------------ */

static GTlsCertificateFlags
verify (const char *cert_name,
        const char *host,
        const char *ca_name)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate (cert_name);
  g_autofree char *ca_file = ca_name != NULL ? pb_test_cert_path (ca_name) : NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags flags;

  pb_tls_verify_async (cert, host, 995, ca_file, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  flags = pb_tls_verify_finish (result, &error);
  g_assert_no_error (error);
  return flags;
}

static void
test_verify_with_ca_file (void)
{
  g_assert_cmpuint (verify ("server.crt", "localhost", "ca.crt"), ==, 0);
  g_assert_cmpuint (verify ("server.crt", "LocalHost", "ca.crt"), ==, 0);
  g_assert_cmpuint (verify ("server.crt", "127.0.0.1", "ca.crt"), ==, 0);
  g_assert_cmpuint (verify ("server.pem", "::1", "ca.crt"), ==, 0);
  g_assert_cmpuint (verify ("server2.crt", "localhost", "ca.crt"), ==, 0);
}

static void
test_verify_without_ca_file (void)
{
  /* The test CA is not in the system trust store. */
  g_assert_cmpuint (verify ("server.crt", "localhost", NULL), ==, G_TLS_CERTIFICATE_UNKNOWN_CA);
}

static void
test_verify_wrong_host (void)
{
  g_assert_cmpuint (verify ("server.crt", "example.org", "ca.crt"), ==,
                    G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpuint (verify ("server.crt", "127.0.0.2", "ca.crt"), ==,
                    G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpuint (verify ("wrong-host.crt", "localhost", "ca.crt"), ==,
                    G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpuint (verify ("wrong-host.crt", "other.example.com", "ca.crt"), ==, 0);
}

static void
test_verify_dates (void)
{
  g_assert_cmpuint (verify ("expired.crt", "localhost", "ca.crt"), ==, G_TLS_CERTIFICATE_EXPIRED);
  g_assert_cmpuint (verify ("not-yet-valid.crt", "localhost", "ca.crt"), ==,
                    G_TLS_CERTIFICATE_NOT_ACTIVATED);
}

static void
test_verify_unknown_ca (void)
{
  GTlsCertificateFlags flags;

  g_assert_cmpuint (verify ("self-signed.crt", "localhost", NULL), ==,
                    G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_cmpuint (verify ("self-signed.crt", "localhost", "ca.crt"), ==,
                    G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_cmpuint (verify ("unknown-ca.crt", "localhost", "ca.crt"), ==,
                    G_TLS_CERTIFICATE_UNKNOWN_CA);

  /* No database knows the issuer: both problems are real. */
  flags = verify ("self-signed.crt", "example.org", NULL);
  g_assert_cmpuint (flags, ==, G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_BAD_IDENTITY);
}

/* RFC 6125 §6.4.4: a certificate that names its server only in the subject's
 * common name is for no server, even from a trusted authority. */
static void
test_verify_common_name_is_not_a_name (void)
{
  g_autoptr(GTlsCertificate) cn_only = pb_test_load_certificate ("cn-only.crt");
  g_autoptr(GTlsCertificate) server = pb_test_load_certificate ("server.crt");

  g_assert_cmpuint (verify ("cn-only.crt", "localhost", "ca.crt"), ==,
                    G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpuint (verify ("cn-only.crt", "LOCALHOST", "ca.crt"), ==,
                    G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpuint (verify ("cn-only.crt", "localhost", NULL), ==,
                    G_TLS_CERTIFICATE_BAD_IDENTITY | G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_false (pb_certificate_names_host (cn_only, "localhost"));

  /* Certificates with a Popbell Test CA subject but their names in SAN. */
  g_assert_true (pb_certificate_names_host (server, "localhost"));
  g_assert_true (pb_certificate_names_host (server, "localhost."));
  g_assert_true (pb_certificate_names_host (server, "127.0.0.1"));
  g_assert_true (pb_certificate_names_host (server, "::1"));
  g_assert_true (pb_certificate_names_host (server, "[::1]"));
  g_assert_true (pb_certificate_names_host (server, "0:0::1"));
  g_assert_false (pb_certificate_names_host (server, "127.0.0.2"));
  g_assert_false (pb_certificate_names_host (server, "localhost.example"));
  g_assert_false (pb_certificate_names_host (server, "host"));
  g_assert_false (pb_certificate_names_host (server, ""));
}

static void
test_names_wildcards (void)
{
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = pb_test_mkdtemp ("wild");
  g_autofree char *path = g_build_filename (dir, "wild.pem", NULL);
  const char *argv[] = { "openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null", "-out", path,
                         "-days", "1", "-subj", "/CN=pop.example.org",
                         "-addext", "subjectAltName=DNS:*.example.com,DNS:f*.example.net,"
                                    "DNS:*.org,DNS:Mail.Example.COM.,IP:10.0.0.1",
                         NULL };
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  cert = g_tls_certificate_new_from_file (path, &error);
  g_assert_no_error (error);

  g_assert_true (pb_certificate_names_host (cert, "pop.example.com"));
  g_assert_true (pb_certificate_names_host (cert, "POP.example.com"));
  g_assert_true (pb_certificate_names_host (cert, "mail.example.com"));
  /* A wildcard is one whole label: not two, not none, not part of one. */
  g_assert_false (pb_certificate_names_host (cert, "a.pop.example.com"));
  g_assert_false (pb_certificate_names_host (cert, "example.com"));
  g_assert_false (pb_certificate_names_host (cert, "foo.example.net"));
  /* Never over a whole top-level domain, and not the CN. */
  g_assert_false (pb_certificate_names_host (cert, "example.org"));
  g_assert_false (pb_certificate_names_host (cert, "pop.example.org"));
  /* Addresses only from iPAddress entries, never from a wildcard. */
  g_assert_true (pb_certificate_names_host (cert, "10.0.0.1"));
  g_assert_false (pb_certificate_names_host (cert, "10.0.0.2"));

  pb_test_rm_rf (dir);
}

/* Weak keys and signatures: never trusted, whichever authority signed them. */
static void
test_verify_weak_is_insecure (void)
{
  const char *weak[] = { "rsa1024.crt", "sha1.crt", "ec192.crt", "forged-self-issued.crt",
                         "weak-intermediate.crt" };
  g_autofree char *ec192 = pb_test_cert_path ("ec192.crt");

  for (guint i = 0; i < G_N_ELEMENTS (weak); i++)
    {
      g_autoptr(GTlsCertificate) cert = NULL;

      if (strcmp (weak[i], "ec192.crt") == 0 && !g_file_test (ec192, G_FILE_TEST_EXISTS))
        continue;
      cert = pb_test_load_certificate (weak[i]);
      g_test_message ("%s", weak[i]);
      g_assert_true (pb_certificate_is_weak (cert));
      g_assert_cmpuint (verify (weak[i], "localhost", "ca.crt") & G_TLS_CERTIFICATE_INSECURE, !=,
                        0);
    }

  g_assert_cmpuint (verify ("self-signed-rsa1024.crt", "localhost", NULL), ==,
                    G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_INSECURE);
}

static void
test_verify_anchor_self_signature_is_not_weak (void)
{
  const char *sound[] = { "server.crt", "self-signed.crt", "self-signed-sha1.crt",
                          "sha1-root-leaf.crt", "ca.crt", "cn-only.crt" };

  for (guint i = 0; i < G_N_ELEMENTS (sound); i++)
    {
      g_autoptr(GTlsCertificate) cert = pb_test_load_certificate (sound[i]);

      g_test_message ("%s", sound[i]);
      g_assert_false (pb_certificate_is_weak (cert));
    }
  /* Its own SHA-1 self-signature does not count; nothing else is wrong. */
  g_assert_cmpuint (verify ("self-signed-sha1.crt", "localhost", NULL), ==,
                    G_TLS_CERTIFICATE_UNKNOWN_CA);
}

static void
test_verify_missing_ca_file (void)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.crt");
  g_autofree char *missing = g_build_filename (pb_test_get_tmpdir (), "no-such-ca.crt", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags flags;

  pb_tls_verify_async (cert, "localhost", 995, missing, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  flags = pb_tls_verify_finish (result, &error);
  /* glib-networking reports an unreadable anchor file as a TLS error. */
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC);
  g_assert_nonnull (strstr (error->message, missing));
  /* Never "trusted" by accident. */
  g_assert_cmpuint (flags, !=, 0);
}

static void
test_verify_cancelled (void)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.crt");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *ca_file = pb_test_cert_path ("ca.crt");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags flags;

  g_cancellable_cancel (cancellable);
  pb_tls_verify_async (cert, "localhost", 995, ca_file, cancellable, pb_test_store_result,
                       &result);
  pb_test_wait_result (&result, 20);
  flags = pb_tls_verify_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (flags, !=, 0);
}

/* ---- Problems in words ------------------------------------------------- */

static void
test_problem_names (void)
{
  g_auto(GStrv) none = pb_certificate_problem_names (0);
  g_auto(GStrv) two = pb_certificate_problem_names (G_TLS_CERTIFICATE_EXPIRED |
                                                    G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_auto(GStrv) all = pb_certificate_problem_names (G_TLS_CERTIFICATE_VALIDATE_ALL);
  const char *want_all[] = { "unknown-ca", "bad-identity", "not-activated", "expired", "revoked",
                             "insecure", "generic-error", NULL };

  g_assert_nonnull (none);
  g_assert_null (none[0]);
  g_assert_cmpstrv (two, ((const char *[]) { "unknown-ca", "expired", NULL }));
  g_assert_cmpstrv (all, want_all);
}

static char *
describe (GTlsCertificateFlags  errors,
          const char           *cert_name,
          const char           *host)
{
  g_autoptr(GTlsCertificate) cert = cert_name ? pb_test_load_certificate (cert_name) : NULL;
  g_auto(GStrv) sentences = pb_certificate_describe_problems (errors, cert, host);

  g_assert_nonnull (sentences);
  g_assert_cmpuint (g_strv_length (sentences), ==, 1);
  g_assert_true (g_str_has_suffix (sentences[0], "."));
  return g_strdup (sentences[0]);
}

static void
test_describe_dates (void)
{
  g_autofree char *expired = describe (G_TLS_CERTIFICATE_EXPIRED, "expired.crt", "localhost");
  g_autofree char *not_yet = describe (G_TLS_CERTIFICATE_NOT_ACTIVATED, "not-yet-valid.crt",
                                       "localhost");

  /* main() sets TZ=UTC, so the local dates are the certificates' own. */
  g_assert_cmpstr (expired, ==, "The certificate expired on 1 January 2021.");
  g_assert_cmpstr (not_yet, ==, "The certificate is valid only from 1 January 2099.");
}

static void
test_describe_names (void)
{
  g_autofree char *wrong = describe (G_TLS_CERTIFICATE_BAD_IDENTITY, "wrong-host.crt",
                                     "localhost");
  g_autofree char *server = describe (G_TLS_CERTIFICATE_BAD_IDENTITY, "server.crt",
                                      "example.org");
  g_autofree char *no_cert = describe (G_TLS_CERTIFICATE_BAD_IDENTITY, NULL, "example.org");

  g_assert_cmpstr (wrong, ==, "The certificate is for other.example.com, not for localhost.");
  g_assert_cmpstr (server, ==,
                   "The certificate is for localhost, 127.0.0.1, ::1, not for example.org.");
  g_assert_cmpstr (no_cert, ==, "The certificate is not for example.org.");
}

static void
test_describe_self_signed (void)
{
  g_autofree char *self = describe (G_TLS_CERTIFICATE_UNKNOWN_CA, "self-signed.crt", "localhost");
  g_autofree char *unknown = describe (G_TLS_CERTIFICATE_UNKNOWN_CA, "unknown-ca.crt",
                                       "localhost");

  g_assert_nonnull (strstr (self, "self-signed"));
  g_assert_nonnull (strstr (unknown, "not signed by an authority"));
  g_assert_cmpstr (self, !=, unknown);
}

static void
test_describe_common_name_only (void)
{
  g_autofree char *sentence = describe (G_TLS_CERTIFICATE_BAD_IDENTITY, "cn-only.crt",
                                        "localhost");

  g_assert_cmpstr (sentence, ==,
                   "The certificate gives a server name (localhost) only in an outdated field "
                   "that is no longer accepted, so it is not valid for localhost.");
}

static void
test_describe_weaknesses (void)
{
  g_autofree char *rsa = describe (G_TLS_CERTIFICATE_INSECURE, "rsa1024.crt", "localhost");
  g_autofree char *sha1 = describe (G_TLS_CERTIFICATE_INSECURE, "sha1.crt", "localhost");
  g_autofree char *self = describe (G_TLS_CERTIFICATE_INSECURE, "self-signed-rsa1024.crt",
                                    "localhost");
  g_autofree char *inter = describe (G_TLS_CERTIFICATE_INSECURE, "weak-intermediate.crt",
                                     "localhost");
  g_autofree char *other = describe (G_TLS_CERTIFICATE_INSECURE, "server.crt", "localhost");
  g_autoptr(GTlsCertificate) rsa_cert = pb_test_load_certificate ("rsa1024.crt");
  g_autoptr(GTlsCertificate) inter_cert = pb_test_load_certificate ("weak-intermediate.crt");
  g_autoptr(GTlsCertificate) server = pb_test_load_certificate ("server.crt");
  g_auto(GStrv) rsa_names = pb_certificate_weakness_names (rsa_cert);
  g_auto(GStrv) inter_names = pb_certificate_weakness_names (inter_cert);
  g_auto(GStrv) none = pb_certificate_weakness_names (server);

  g_assert_cmpstr (rsa, ==, "The certificate uses a weak 1024-bit RSA key, which can be broken.");
  g_assert_cmpstr (self, ==, rsa);
  g_assert_cmpstr (sha1, ==, "The certificate is signed with SHA-1, which can be forged.");
  g_assert_cmpstr (inter, ==,
                   "The certificate of the authority that issued it "
                   "(Popbell SHA-1 Intermediate) is signed with SHA-1, "
                   "which can be forged.");
  /* GIO's own "insecure" with nothing Popbell can name. */
  g_assert_nonnull (strstr (other, "too weak"));

  g_assert_cmpstrv (rsa_names, ((const char *[]) { "weak-key", NULL }));
  g_assert_cmpstrv (inter_names, ((const char *[]) { "weak-signature", NULL }));
  g_assert_cmpstrv (none, ((const char *[]) { NULL }));
}

static void
test_describe_every_bit (void)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.crt");
  g_auto(GStrv) none = pb_certificate_describe_problems (0, cert, "localhost");
  g_auto(GStrv) all = pb_certificate_describe_problems (G_TLS_CERTIFICATE_VALIDATE_ALL, cert,
                                                        "example.org");

  g_assert_nonnull (none);
  g_assert_null (none[0]);
  g_assert_cmpuint (g_strv_length (all), ==, 7);
  for (guint i = 0; all[i] != NULL; i++)
    {
      g_assert_true (g_str_has_prefix (all[i], "The certificate "));
      for (guint j = 0; j < i; j++)
        g_assert_cmpstr (all[i], !=, all[j]);
    }
  g_assert_nonnull (strstr (all[4], "revoked"));
  g_assert_nonnull (strstr (all[5], "weak"));
}

/* ---- Pins -------------------------------------------------------------- */

static void
test_trust_key (void)
{
  const struct
  {
    const char *host;
    guint16 port;
    const char *key;
  } cases[] = {
    { "mail.example.com", 995, "mail.example.com:995" },
    { "Mail.Example.COM", 110, "mail.example.com:110" },
    { "127.0.0.1", 995, "127.0.0.1:995" },
    { "::1", 995, "[::1]:995" },
    { "2001:DB8::1", 995, "[2001:db8::1]:995" },
    { "[::1]", 995, "[::1]:995" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *key = pb_trust_key (cases[i].host, cases[i].port);
      g_assert_cmpstr (key, ==, cases[i].key);
    }
}

typedef struct
{
  char *dir;
  char *path;
  PbTrustStore *store;
  GTlsCertificate *server;
  GTlsCertificate *server2;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  fixture->dir = pb_test_mkdtemp ("trust");
  fixture->path = g_build_filename (fixture->dir, "popbell", "trust.ini", NULL);
  fixture->store = pb_trust_store_new (fixture->path);
  fixture->server = pb_test_load_certificate ("server.crt");
  fixture->server2 = pb_test_load_certificate ("server2.crt");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_assert_finalize_object (fixture->store);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->server2);
  pb_test_rm_rf (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static PbTrustStore *
reload (Fixture *fixture)
{
  PbTrustStore *store = pb_trust_store_new (fixture->path);
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_trust_store_load (store, &error));
  g_assert_no_error (error);
  return store;
}

static void
test_store_create_destroy (void)
{
  PbTrustStore *store = pb_trust_store_new (NULL);
  g_autofree char *path = NULL;
  g_autofree char *want = g_build_filename (g_get_user_config_dir (), "popbell", "trust.ini",
                                            NULL);

  g_object_get (store, "path", &path, NULL);
  g_assert_cmpstr (path, ==, want);
  g_assert_finalize_object (store);
}

static void
test_store_missing_file_is_empty (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;

  g_assert_true (pb_trust_store_load (fixture->store, &error));
  g_assert_no_error (error);
  keys = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (keys, ((const char *[]) { NULL }));
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_store_round_trip (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbTrustStore) again = NULL;
  g_autoptr(GTlsCertificate) pinned = NULL;
  g_autofree char *sha = pb_certificate_get_sha256 (fixture->server);
  g_autoptr(GDateTime) before = g_date_time_new_now_utc ();
  g_autofree char *contents = NULL;
  g_autofree char *key_pem = NULL;
  GDateTime *when;
  struct stat st;

  pb_trust_store_add (fixture->store, "Mail.Example.com", 995, fixture->server);
  pb_trust_store_add (fixture->store, "::1", 995, fixture->server);
  g_assert_true (pb_trust_store_save (fixture->store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "[mail.example.com:995]"));
  /* GKeyFile group names cannot hold brackets. */
  g_assert_nonnull (strstr (contents, "[::1:995]\n"));
  g_assert_nonnull (strstr (contents, sha));
  g_assert_null (strstr (contents, "PRIVATE KEY"));

  again = reload (fixture);
  g_assert_true (pb_trust_store_is_pinned (again, "mail.example.com", 995, fixture->server));
  g_assert_true (pb_trust_store_is_pinned (again, "::1", 995, fixture->server));
  g_assert_cmpstr (pb_trust_store_get_fingerprint (again, "mail.example.com", 995), ==, sha);

  pinned = pb_trust_store_get_certificate (again, "mail.example.com", 995);
  g_assert_nonnull (pinned);
  g_assert_true (g_tls_certificate_is_same (pinned, fixture->server));

  when = pb_trust_store_get_pinned_at (again, "mail.example.com", 995);
  g_assert_nonnull (when);
  /* ISO 8601 keeps whole microseconds; compare to the second. */
  g_assert_cmpint (g_date_time_to_unix (when), >=, g_date_time_to_unix (before));
  g_assert_cmpint (g_date_time_difference (when, before), <, 60 * G_TIME_SPAN_SECOND);
}

static void
test_store_pin_is_per_host_and_port (Fixture       *fixture,
                                     gconstpointer  user_data)
{
  PbTrustStore *store = fixture->store;

  pb_trust_store_add (store, "mail.example.com", 995, fixture->server);

  g_assert_true (pb_trust_store_is_pinned (store, "mail.example.com", 995, fixture->server));
  g_assert_true (pb_trust_store_is_pinned (store, "MAIL.example.com", 995, fixture->server));
  g_assert_false (pb_trust_store_is_pinned (store, "mail.example.com", 110, fixture->server));
  g_assert_false (pb_trust_store_is_pinned (store, "pop.example.com", 995, fixture->server));
  g_assert_false (pb_trust_store_is_pinned (store, "example.com", 995, fixture->server));
  g_assert_false (pb_trust_store_is_pinned (store, "mail.example.com", 995, fixture->server2));

  g_assert_null (pb_trust_store_get_fingerprint (store, "mail.example.com", 110));
  g_assert_null (pb_trust_store_get_certificate (store, "mail.example.com", 110));
  g_assert_null (pb_trust_store_get_pinned_at (store, "mail.example.com", 110));
}

static void
test_store_add_replaces (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *sha2 = pb_certificate_get_sha256 (fixture->server2);
  g_auto(GStrv) keys = NULL;

  pb_trust_store_add (fixture->store, "localhost", 995, fixture->server);
  pb_trust_store_add (fixture->store, "localhost", 995, fixture->server2);

  g_assert_false (pb_trust_store_is_pinned (fixture->store, "localhost", 995, fixture->server));
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "localhost", 995, fixture->server2));
  g_assert_cmpstr (pb_trust_store_get_fingerprint (fixture->store, "localhost", 995), ==, sha2);
  keys = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (keys, ((const char *[]) { "localhost:995", NULL }));
}

static void
test_store_remove_and_list (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbTrustStore) again = NULL;
  g_auto(GStrv) keys = NULL;
  g_auto(GStrv) after = NULL;
  g_auto(GStrv) reloaded = NULL;

  pb_trust_store_add (fixture->store, "pop.b.example", 995, fixture->server);
  pb_trust_store_add (fixture->store, "pop.a.example", 995, fixture->server);
  pb_trust_store_add (fixture->store, "pop.a.example", 110, fixture->server2);
  keys = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (keys, ((const char *[]) { "pop.a.example:110", "pop.a.example:995",
                                              "pop.b.example:995", NULL }));

  g_assert_true (pb_trust_store_remove (fixture->store, "POP.A.example", 995, &error));
  g_assert_no_error (error);
  g_assert_false (pb_trust_store_is_pinned (fixture->store, "pop.a.example", 995,
                                            fixture->server));

  g_assert_false (pb_trust_store_remove (fixture->store, "pop.a.example", 995, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND);

  after = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (after, ((const char *[]) { "pop.a.example:110", "pop.b.example:995", NULL }));

  g_clear_error (&error);
  g_assert_true (pb_trust_store_save (fixture->store, &error));
  g_assert_no_error (error);
  again = reload (fixture);
  reloaded = pb_trust_store_list_keys (again);
  g_assert_cmpstrv (reloaded, ((const char *[]) { "pop.a.example:110", "pop.b.example:995",
                                                  NULL }));
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static guint
count_set_aside (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "trust.ini.corrupt-"))
      n++;
  return n;
}

static void
test_store_corrupt_is_set_aside (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;

  write_file (fixture->path, "this is [not a key file\n\x01\x02");
  pb_trust_store_add (fixture->store, "stale.example", 995, fixture->server);

  g_assert_false (pb_trust_store_load (fixture->store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "trust.ini.corrupt-"));
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_set_aside (dir), ==, 1);

  /* The store is empty, whatever it held before. */
  keys = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (keys, ((const char *[]) { NULL }));

  /* A second corrupt file the same second is not written over the first. */
  write_file (fixture->path, "[broken\n");
  g_clear_error (&error);
  g_assert_false (pb_trust_store_load (fixture->store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT);
  g_assert_cmpuint (count_set_aside (dir), ==, 2);
}

static char *
group_text (const char *group,
            const char *sha,
            const char *pem)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();

  g_key_file_set_string (keyfile, group, "sha256", sha);
  g_key_file_set_string (keyfile, group, "pem", pem);
  g_key_file_set_string (keyfile, group, "pinned-at", "2024-05-06T07:08:09Z");
  return g_key_file_to_data (keyfile, NULL, NULL);
}

static void
test_store_tampered_groups_ignored (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autofree char *pem = NULL;
  g_autofree char *pem2 = NULL;
  g_autofree char *bad_pem = NULL;
  g_autofree char *sha = pb_certificate_get_sha256 (fixture->server);
  g_autofree char *sha_formatted = pb_fingerprint_format (sha);
  g_autoptr(GString) file = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;
  g_autofree char *when = NULL;
  struct
  {
    const char *group;
    const char *sha;
    const char *pem;
  } groups[] = {
    /* Kept: hand-edited case and a formatted fingerprint are fine. */
    { "Good.Example.COM:995", NULL, NULL },
    { "::1:995", NULL, NULL },
    /* Ignored. */
    { "garbage-pem.example:995", NULL, "-----BEGIN CERTIFICATE-----\nnonsense\n" },
    { "damaged-pem.example:995", NULL, NULL },
    { "swapped.example:995", NULL, NULL },
    { "bad-sha.example:995", "0123", NULL },
    { "no-port.example", NULL, NULL },
    { "bad-port.example:99999", NULL, NULL },
    { "bad-port.example:pop3", NULL, NULL },
    { "no:colons-in-names:995", NULL, NULL },
  };

  g_object_get (fixture->server, "certificate-pem", &pem, NULL);
  g_object_get (fixture->server2, "certificate-pem", &pem2, NULL);
  bad_pem = g_strdup (pem);
  /* One base64 character changed in the middle of the body. */
  bad_pem[strlen (bad_pem) / 2] = bad_pem[strlen (bad_pem) / 2] == 'A' ? 'B' : 'A';
  groups[3].pem = bad_pem;
  groups[4].pem = pem2;

  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      g_autofree char *text = group_text (groups[i].group,
                                          groups[i].sha ? groups[i].sha : sha_formatted,
                                          groups[i].pem ? groups[i].pem : pem);
      g_string_append (file, text);
    }
  /* A group without a pem at all. */
  g_string_append_printf (file, "[no-pem.example:995]\nsha256=%s\n", sha);
  write_file (fixture->path, file->str);

  g_assert_true (pb_trust_store_load (fixture->store, &error));
  g_assert_no_error (error);
  keys = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (keys, ((const char *[]) { "[::1]:995", "good.example.com:995", NULL }));
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "good.example.com", 995,
                                           fixture->server));
  g_assert_cmpstr (pb_trust_store_get_fingerprint (fixture->store, "good.example.com", 995), ==,
                   sha);
  g_assert_false (pb_trust_store_is_pinned (fixture->store, "swapped.example", 995,
                                            fixture->server));
  g_assert_false (pb_trust_store_is_pinned (fixture->store, "swapped.example", 995,
                                            fixture->server2));

  when = g_date_time_format_iso8601 (pb_trust_store_get_pinned_at (fixture->store,
                                                                   "good.example.com", 995));
  g_assert_cmpstr (when, ==, "2024-05-06T07:08:09Z");
}

static void
test_store_load_replaces_memory (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;

  pb_trust_store_add (fixture->store, "saved.example", 995, fixture->server);
  g_assert_true (pb_trust_store_save (fixture->store, &error));
  g_assert_no_error (error);
  pb_trust_store_add (fixture->store, "unsaved.example", 995, fixture->server);

  g_assert_true (pb_trust_store_load (fixture->store, &error));
  g_assert_no_error (error);
  keys = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (keys, ((const char *[]) { "saved.example:995", NULL }));
}

static void
test_store_save_keeps_mode (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  struct stat st;

  /* A file someone made world-readable is written back private. */
  write_file (fixture->path, "");
  g_assert_cmpint (g_chmod (fixture->path, 0644), ==, 0);
  g_assert_true (pb_trust_store_load (fixture->store, &error));
  g_assert_no_error (error);
  pb_trust_store_add (fixture->store, "localhost", 995, fixture->server);
  g_assert_true (pb_trust_store_save (fixture->store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* ---- Pins other processes change ---------------------------------------- */

/* Another process: its own store on the same file, loaded, changed, saved. */
static void
other_process_pins (Fixture         *fixture,
                    const char      *host,
                    GTlsCertificate *add)
{
  g_autoptr(PbTrustStore) other = reload (fixture);
  g_autoptr(GError) error = NULL;

  if (add != NULL)
    pb_trust_store_add (other, host, 995, add);
  else
    {
      g_assert_true (pb_trust_store_remove (other, host, 995, &error));
      g_assert_no_error (error);
    }
  g_assert_true (pb_trust_store_save (other, &error));
  g_assert_no_error (error);
}

static void
save_fixture_store (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_trust_store_save (fixture->store, &error));
  g_assert_no_error (error);
}

static void
test_store_save_merges_the_file (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(PbTrustStore) again = NULL;
  g_auto(GStrv) keys = NULL;
  g_auto(GStrv) on_disk = NULL;

  pb_trust_store_add (fixture->store, "forgotten.example", 995, fixture->server);
  pb_trust_store_add (fixture->store, "kept.example", 995, fixture->server);
  save_fixture_store (fixture);

  /* popbell --forget-trust and --trust, while this store still holds the old pins. */
  other_process_pins (fixture, "forgotten.example", NULL);
  other_process_pins (fixture, "added.example", fixture->server2);
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "forgotten.example", 995,
                                           fixture->server));

  /* The trust dialog trusts one more certificate and saves. */
  pb_trust_store_add (fixture->store, "new.example", 995, fixture->server);
  save_fixture_store (fixture);

  again = reload (fixture);
  on_disk = pb_trust_store_list_keys (again);
  g_assert_cmpstrv (on_disk, ((const char *[]) { "added.example:995", "kept.example:995",
                                                 "new.example:995", NULL }));
  /* What the store holds is what it wrote. */
  keys = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (keys, (const char * const *) on_disk);
  g_assert_false (pb_trust_store_is_pinned (fixture->store, "forgotten.example", 995,
                                            fixture->server));
}

/* A removal in this store stays a removal, even of a pin that another
 * process replaced meanwhile; a save without changes writes the file back as it is. */
static void
test_store_save_applies_own_removals (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  g_autoptr(PbTrustStore) again = NULL;
  g_auto(GStrv) on_disk = NULL;

  pb_trust_store_add (fixture->store, "a.example", 995, fixture->server);
  pb_trust_store_add (fixture->store, "b.example", 995, fixture->server);
  save_fixture_store (fixture);

  other_process_pins (fixture, "b.example", fixture->server2);
  g_assert_true (pb_trust_store_remove (fixture->store, "a.example", 995, NULL));
  save_fixture_store (fixture);

  again = reload (fixture);
  on_disk = pb_trust_store_list_keys (again);
  g_assert_cmpstrv (on_disk, ((const char *[]) { "b.example:995", NULL }));
  g_assert_true (pb_trust_store_is_pinned (again, "b.example", 995, fixture->server2));
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "b.example", 995, fixture->server2));

  /* Nothing changed here since: saving again takes the file's word for everything. */
  other_process_pins (fixture, "b.example", NULL);
  save_fixture_store (fixture);
  g_clear_object (&again);
  again = reload (fixture);
  g_clear_pointer (&on_disk, g_strfreev);
  on_disk = pb_trust_store_list_keys (again);
  g_assert_cmpstrv (on_disk, ((const char *[]) { NULL }));
}

/* A change undone before the save (the wizard removes a pin whose save
 * failed) is no change: the pin another process made meanwhile stays. */
static void
test_store_save_undone_change_keeps_the_file (Fixture       *fixture,
                                              gconstpointer  user_data)
{
  g_autoptr(PbTrustStore) again = NULL;
  g_auto(GStrv) on_disk = NULL;

  pb_trust_store_add (fixture->store, "a.example", 995, fixture->server);
  save_fixture_store (fixture);

  other_process_pins (fixture, "b.example", fixture->server2);
  pb_trust_store_add (fixture->store, "b.example", 995, fixture->server);
  g_assert_true (pb_trust_store_remove (fixture->store, "b.example", 995, NULL));
  save_fixture_store (fixture);

  again = reload (fixture);
  on_disk = pb_trust_store_list_keys (again);
  g_assert_cmpstrv (on_disk, ((const char *[]) { "a.example:995", "b.example:995", NULL }));
  g_assert_true (pb_trust_store_is_pinned (again, "b.example", 995, fixture->server2));
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "b.example", 995, fixture->server2));
}

/* A store that read the file and is its only writer writes exactly what it
 * holds, removals included; one that never read it knows of no pin there to
 * remove, and adds its own to the file's. */
static void
test_store_save_writes_what_it_holds (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  g_autoptr(PbTrustStore) fresh = pb_trust_store_new (fixture->path);
  g_autoptr(PbTrustStore) again = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;
  g_auto(GStrv) on_disk = NULL;

  g_assert_true (pb_trust_store_load (fixture->store, &error));
  g_assert_no_error (error);
  for (guint round = 0; round < 3; round++)
    {
      g_autofree char *host = g_strdup_printf ("round%u.example", round);
      g_autofree char *key = pb_trust_key (host, 995);

      if (round > 0)
        {
          g_autofree char *previous = g_strdup_printf ("round%u.example", round - 1);

          g_assert_true (pb_trust_store_remove (fixture->store, previous, 995, NULL));
        }
      pb_trust_store_add (fixture->store, host, 995, fixture->server);
      pb_trust_store_add (fixture->store, "every.example", 995,
                          round % 2 ? fixture->server2 : fixture->server);
      save_fixture_store (fixture);

      g_clear_object (&again);
      g_clear_pointer (&keys, g_strfreev);
      g_clear_pointer (&on_disk, g_strfreev);
      again = reload (fixture);
      keys = pb_trust_store_list_keys (fixture->store);
      on_disk = pb_trust_store_list_keys (again);
      g_assert_cmpstrv (on_disk, ((const char *[]) { "every.example:995", key, NULL }));
      g_assert_cmpstrv (keys, (const char * const *) on_disk);
      g_assert_true (pb_trust_store_is_pinned (again, "every.example", 995,
                                               round % 2 ? fixture->server2 : fixture->server));
    }

  pb_trust_store_add (fresh, "fresh.example", 995, fixture->server2);
  g_assert_true (pb_trust_store_save (fresh, &error));
  g_assert_no_error (error);
  g_clear_object (&again);
  g_clear_pointer (&on_disk, g_strfreev);
  again = reload (fixture);
  on_disk = pb_trust_store_list_keys (again);
  g_assert_cmpstrv (on_disk, ((const char *[]) { "every.example:995", "fresh.example:995",
                                                 "round2.example:995", NULL }));
  g_clear_pointer (&keys, g_strfreev);
  keys = pb_trust_store_list_keys (fresh);
  g_assert_cmpstrv (keys, (const char * const *) on_disk);
}

/* A file gone corrupt since the last read is set aside, not written over, and
 * the pins this store knew are saved in its place with the change. */
static void
test_store_save_over_corrupt (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autoptr(PbTrustStore) again = NULL;
  g_auto(GStrv) on_disk = NULL;

  pb_trust_store_add (fixture->store, "old.example", 995, fixture->server);
  save_fixture_store (fixture);
  write_file (fixture->path, "[broken\n");

  pb_trust_store_add (fixture->store, "new.example", 995, fixture->server);
  save_fixture_store (fixture);
  g_assert_cmpuint (count_set_aside (dir), ==, 1);

  again = reload (fixture);
  on_disk = pb_trust_store_list_keys (again);
  g_assert_cmpstrv (on_disk, ((const char *[]) { "new.example:995", "old.example:995", NULL }));
}

typedef struct
{
  PbTrustStore *store;
  const char *host;
  guint16 port;
  gboolean want_pinned;
  guint changed;
} PinWait;

static void
on_store_changed (PbTrustStore *store,
                  gpointer      user_data)
{
  PinWait *wait = user_data;

  wait->changed++;
}

/* Iterates the main context until the store does (or does not) pin
 * @host:@port, for at most two seconds: the time the applet may take. */
static void
wait_for_pin (PinWait *wait)
{
  gint64 deadline = g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND;

  while ((pb_trust_store_get_fingerprint (wait->store, wait->host, wait->port) != NULL)
         != wait->want_pinned)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
}

/* Lets pending file events and a reload in flight finish. */
static void
settle (void)
{
  gint64 until = g_get_monotonic_time () + 300 * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
}

static void
test_store_watch_follows_the_file (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  PinWait wait = { fixture->store, "shared.example", 995, FALSE, 0 };
  g_auto(GStrv) keys = NULL;

  g_signal_connect (fixture->store, "changed", G_CALLBACK (on_store_changed), &wait);
  /* The config directory need not exist yet. */
  g_assert_true (pb_trust_store_watch (fixture->store, &error));
  g_assert_no_error (error);
  g_assert_true (pb_trust_store_load (fixture->store, &error));

  wait.want_pinned = TRUE;
  other_process_pins (fixture, "shared.example", fixture->server);
  wait_for_pin (&wait);
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "shared.example", 995,
                                           fixture->server));
  settle ();
  g_assert_cmpuint (wait.changed, ==, 1);

  /* An unsaved change of this store stays over what another process wrote. */
  pb_trust_store_add (fixture->store, "unsaved.example", 995, fixture->server2);
  wait.want_pinned = FALSE;
  other_process_pins (fixture, "shared.example", NULL);
  wait_for_pin (&wait);
  settle ();
  g_assert_cmpuint (wait.changed, ==, 2);
  keys = pb_trust_store_list_keys (fixture->store);
  g_assert_cmpstrv (keys, ((const char *[]) { "unsaved.example:995", NULL }));

  /* Its own save is read back too, and changes nothing. */
  save_fixture_store (fixture);
  settle ();
  g_assert_cmpuint (wait.changed, ==, 2);

  /* Deleting the file forgets every pin. */
  g_assert_cmpint (g_unlink (fixture->path), ==, 0);
  wait.host = "unsaved.example";
  wait_for_pin (&wait);
  settle ();
}

/* A corrupt file never takes the pins away from the running applet: it is set
 * aside and what was trusted is written back. */
static void
test_store_watch_keeps_pins_over_corrupt (Fixture       *fixture,
                                          gconstpointer  user_data)
{
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(PbTrustStore) again = NULL;
  g_autofree char *broken = NULL;
  gint64 deadline;

  pb_trust_store_add (fixture->store, "kept.example", 995, fixture->server);
  save_fixture_store (fixture);
  g_assert_true (pb_trust_store_watch (fixture->store, &error));
  g_assert_no_error (error);

  broken = g_strconcat (fixture->path, ".new", NULL);
  write_file (broken, "this is [not a key file\n");
  g_assert_cmpint (g_rename (broken, fixture->path), ==, 0);

  deadline = g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND;
  while (count_set_aside (dir) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  settle ();

  g_assert_true (pb_trust_store_is_pinned (fixture->store, "kept.example", 995,
                                           fixture->server));
  again = reload (fixture);
  g_assert_true (pb_trust_store_is_pinned (again, "kept.example", 995, fixture->server));
  g_assert_cmpuint (count_set_aside (dir), ==, 1);
}

/* What pb_monitor_reload() asks: reading the file again, a corrupt one is set
 * aside and the pins held before stay, written back; one that can't be read
 * changes nothing and is not written over. Only load() starts from nothing. */
static void
test_store_reload_keeps_pins (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autoptr(PbTrustStore) again = NULL;
  g_autoptr(GError) error = NULL;
  PinWait wait = { fixture->store, NULL, 0, FALSE, 0 };

  g_signal_connect (fixture->store, "changed", G_CALLBACK (on_store_changed), &wait);
  pb_trust_store_add (fixture->store, "kept.example", 995, fixture->server);
  save_fixture_store (fixture);

  other_process_pins (fixture, "added.example", fixture->server2);
  g_assert_true (pb_trust_store_reload (fixture->store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (wait.changed, ==, 1);
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "added.example", 995,
                                           fixture->server2));

  write_file (fixture->path, "[broken\n");
  g_assert_false (pb_trust_store_reload (fixture->store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT);
  g_clear_error (&error);
  g_assert_cmpuint (count_set_aside (dir), ==, 1);
  g_assert_cmpuint (wait.changed, ==, 1);
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "kept.example", 995, fixture->server));
  again = reload (fixture);
  g_assert_true (pb_trust_store_is_pinned (again, "kept.example", 995, fixture->server));
  g_assert_true (pb_trust_store_is_pinned (again, "added.example", 995, fixture->server2));

  /* Not a file: out of reach, not corrupt. */
  g_assert_cmpint (g_unlink (fixture->path), ==, 0);
  g_assert_cmpint (g_mkdir (fixture->path, 0700), ==, 0);
  g_assert_false (pb_trust_store_reload (fixture->store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO);
  g_clear_error (&error);
  g_assert_true (pb_trust_store_is_pinned (fixture->store, "kept.example", 995, fixture->server));
  g_assert_false (pb_trust_store_save (fixture->store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO);
  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (g_rmdir (fixture->path), ==, 0);
}

/* The applet's path end to end: a store loaded and followed as
 * pb_application_startup() does, used by the real checker, and the real
 * `popbell --forget-trust` run beside it. The next check no longer trusts the
 * certificate, and the password does not go out. */
static void
test_forget_trust_reaches_a_running_check (Fixture       *fixture,
                                           gconstpointer  user_data)
{
  static const PbTestStep script[] = {
    { PB_STEP_SEND, "+OK POP3 ready" },
    { PB_STEP_EXPECT, "CAPA" }, { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "USER" },
    { PB_STEP_SEND, "." },
    { PB_STEP_EXPECT, "USER alice" }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT_PREFIX, "PASS " }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 0 0" },
    { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "." },
    { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_END },
  };
  g_autoptr(GTlsCertificate) pem = pb_test_load_certificate ("server.pem");
  g_autoptr(PbTestServer) server = pb_test_server_new (pem, TRUE, script);
  guint16 port = pb_test_server_get_port (server);
  g_autofree char *folder = g_path_get_dirname (fixture->path);
  g_autofree char *config = g_path_get_dirname (folder);
  g_autofree char *forget = g_strdup_printf ("--forget-trust=localhost:%u", port);
  const char *popbell = g_getenv ("PB_POPBELL");
  const char *argv[] = { popbell, forget, NULL };
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(PbAccount) account = pb_account_new ("pinned");
  g_autoptr(PbCheckResult) before = NULL;
  g_autoptr(PbCheckResult) after = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  PinWait wait = { fixture->store, "localhost", port, FALSE, 0 };
  PbCheckOptions options = { 0 };
  guint commands_before;
  GPtrArray *commands;
  int status;

  g_assert_nonnull (popbell);
  /* Without the test CA the certificate is from an unknown issuer: only the pin
   * lets the check through. */
  pb_account_set_host (account, "localhost");
  pb_account_set_port (account, port);
  pb_account_set_security (account, PB_SECURITY_TLS);
  pb_account_set_user (account, "alice");
  pb_trust_store_add (fixture->store, "localhost", port, pem);
  save_fixture_store (fixture);
  g_assert_true (pb_trust_store_watch (fixture->store, &error));
  g_assert_true (pb_trust_store_load (fixture->store, &error));
  g_assert_no_error (error);

  options.pins = fixture->store;
  options.state_dir = fixture->dir;
  options.password = PASSWORD;
  options.timeout = 20;
  pb_checker_check_async (account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 60);
  before = pb_checker_check_finish (async);
  g_clear_object (&async);
  g_assert_no_error (before->error);
  g_assert_cmpint (before->trust, ==, PB_TRUST_PINNED);

  envp = g_environ_setenv (envp, "XDG_CONFIG_HOME", config, TRUE);
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "localhost"));

  wait_for_pin (&wait);

  commands_before = pb_test_server_get_commands (server)->len;
  pb_checker_check_async (account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 60);
  after = pb_checker_check_finish (async);
  g_assert_error (after->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_cmpint (after->trust, ==, PB_TRUST_REJECTED);
  commands = pb_test_server_get_commands (server);
  for (guint i = commands_before; i < commands->len; i++)
    g_assert_false (g_str_has_prefix (g_ptr_array_index (commands, i), "PASS"));

  /* And the applet's next save does not bring the pin back. */
  pb_trust_store_add (fixture->store, "other.example", 995, fixture->server2);
  save_fixture_store (fixture);
  {
    g_autoptr(PbTrustStore) again = reload (fixture);

    g_assert_null (pb_trust_store_get_fingerprint (again, "localhost", port));
  }
  settle ();
}

/* ---- The decision ------------------------------------------------------ */

static void
test_decide (Fixture       *fixture,
             gconstpointer  user_data)
{
  PbTrustStore *pins = fixture->store;
  GTlsCertificate *server = fixture->server;

  pb_trust_store_add (pins, "localhost", 995, server);

  /* Verified: no pin needed, with or without a store. */
  g_assert_cmpint (pb_trust_decide (NULL, "localhost", 995, server, 0), ==, PB_TRUST_SYSTEM);
  g_assert_cmpint (pb_trust_decide (pins, "other.example", 995, fixture->server2, 0), ==,
                   PB_TRUST_SYSTEM);

  /* Not verified: only a pin of exactly this certificate on this host:port. */
  g_assert_cmpint (pb_trust_decide (pins, "localhost", 995, server,
                                    G_TLS_CERTIFICATE_UNKNOWN_CA), ==, PB_TRUST_PINNED);
  g_assert_cmpint (pb_trust_decide (pins, "localhost", 995, server,
                                    G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_BAD_IDENTITY),
                   ==, PB_TRUST_PINNED);
  g_assert_cmpint (pb_trust_decide (NULL, "localhost", 995, server,
                                    G_TLS_CERTIFICATE_UNKNOWN_CA), ==, PB_TRUST_REJECTED);
  g_assert_cmpint (pb_trust_decide (pins, "localhost", 110, server,
                                    G_TLS_CERTIFICATE_UNKNOWN_CA), ==, PB_TRUST_REJECTED);
  g_assert_cmpint (pb_trust_decide (pins, "127.0.0.1", 995, server,
                                    G_TLS_CERTIFICATE_UNKNOWN_CA), ==, PB_TRUST_REJECTED);
  g_assert_cmpint (pb_trust_decide (pins, "localhost", 995, fixture->server2,
                                    G_TLS_CERTIFICATE_UNKNOWN_CA), ==, PB_TRUST_REJECTED);

  /* Revoked: never, pinned or not. */
  g_assert_cmpint (pb_trust_decide (pins, "localhost", 995, server,
                                    G_TLS_CERTIFICATE_REVOKED), ==, PB_TRUST_REJECTED);
  g_assert_cmpint (pb_trust_decide (pins, "localhost", 995, server,
                                    G_TLS_CERTIFICATE_REVOKED | G_TLS_CERTIFICATE_UNKNOWN_CA),
                   ==, PB_TRUST_REJECTED);
}

/* The whole path the POP3 client takes: verify, then decide with the pins. */
static void
test_decide_after_verify (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GTlsCertificate) self_signed = pb_test_load_certificate ("self-signed.crt");
  GTlsCertificateFlags flags = verify ("self-signed.crt", "localhost", NULL);

  g_assert_cmpint (pb_trust_decide (fixture->store, "localhost", 995, self_signed, flags), ==,
                   PB_TRUST_REJECTED);
  pb_trust_store_add (fixture->store, "localhost", 995, self_signed);
  g_assert_cmpint (pb_trust_decide (fixture->store, "localhost", 995, self_signed, flags), ==,
                   PB_TRUST_PINNED);

  flags = verify ("server.crt", "localhost", "ca.crt");
  g_assert_cmpint (pb_trust_decide (fixture->store, "localhost", 995, fixture->server, flags), ==,
                   PB_TRUST_SYSTEM);
}

/* A pin, or a caller's word that nothing is wrong, never makes a weak
 * certificate acceptable; a CN-only name is pinnable like any wrong name. */
static void
test_decide_weak_is_never_pinned (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  const char *weak[] = { "rsa1024.crt", "sha1.crt", "self-signed-rsa1024.crt",
                         "weak-intermediate.crt" };
  g_autoptr(GTlsCertificate) cn_only = pb_test_load_certificate ("cn-only.crt");
  GTlsCertificateFlags flags;

  for (guint i = 0; i < G_N_ELEMENTS (weak); i++)
    {
      g_autoptr(GTlsCertificate) cert = pb_test_load_certificate (weak[i]);

      flags = verify (weak[i], "localhost", "ca.crt");
      pb_trust_store_add (fixture->store, "localhost", 995, cert);
      g_assert_true (pb_trust_store_is_pinned (fixture->store, "localhost", 995, cert));
      g_assert_false (pb_certificate_problems_allow_pin (flags));
      g_assert_cmpint (pb_trust_decide (fixture->store, "localhost", 995, cert, flags), ==,
                       PB_TRUST_REJECTED);
      g_assert_cmpint (pb_trust_decide (fixture->store, "localhost", 995, cert,
                                        G_TLS_CERTIFICATE_UNKNOWN_CA), ==, PB_TRUST_REJECTED);
      g_assert_cmpint (pb_trust_decide (NULL, "localhost", 995, cert, 0), ==, PB_TRUST_REJECTED);
    }

  g_assert_cmpint (pb_trust_decide (fixture->store, "localhost", 995, fixture->server,
                                    G_TLS_CERTIFICATE_INSECURE), ==, PB_TRUST_REJECTED);

  flags = verify ("cn-only.crt", "localhost", "ca.crt");
  g_assert_true (pb_certificate_problems_allow_pin (flags));
  g_assert_cmpint (pb_trust_decide (fixture->store, "localhost", 995, cn_only, flags), ==,
                   PB_TRUST_REJECTED);
  pb_trust_store_add (fixture->store, "localhost", 995, cn_only);
  g_assert_cmpint (pb_trust_decide (fixture->store, "localhost", 995, cn_only, flags), ==,
                   PB_TRUST_PINNED);
}

/* The whole check, as the applet and popbell --check run it, against a
 * server presenting @cert_name (its .pem) with the test CA trusted and, when
 * @pin, the certificate pinned too: it must stop before any login. */
static void
assert_password_never_sent (const char *cert_name,
                            gboolean    pin)
{
  static const PbTestStep script[] = {
    { PB_STEP_SEND, "+OK POP3 ready" },
    { PB_STEP_END },
  };
  g_autofree char *pem_name = g_strconcat (cert_name, ".pem", NULL);
  g_autofree char *crt_name = g_strconcat (cert_name, ".crt", NULL);
  g_autoptr(GTlsCertificate) pem = pb_test_load_certificate (pem_name);
  g_autoptr(GTlsCertificate) crt = pb_test_load_certificate (crt_name);
  g_autoptr(PbTestServer) server = pb_test_server_new (pem, TRUE, script);
  g_autofree char *dir = pb_test_mkdtemp ("never-sent");
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbAccount) account = pb_account_new ("weak");
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(PbCheckResult) result = NULL;
  g_autoptr(GBytes) received = NULL;
  PbCheckOptions options = { 0 };
  GPtrArray *commands;
  gsize len;
  const char *data;

  g_test_message ("%s, %s", cert_name, pin ? "pinned" : "not pinned");
  pb_account_set_host (account, "localhost");
  pb_account_set_port (account, pb_test_server_get_port (server));
  pb_account_set_security (account, PB_SECURITY_TLS);
  pb_account_set_user (account, "alice");
  pb_account_set_ca_file (account, ca);
  if (pin)
    pb_trust_store_add (pins, "localhost", pb_test_server_get_port (server), crt);

  options.pins = pins;
  options.state_dir = dir;
  options.password = PASSWORD;
  options.timeout = 20;
  pb_checker_check_async (account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 60);
  result = pb_checker_check_finish (async);

  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_cmpint (result->trust, ==, PB_TRUST_REJECTED);
  commands = pb_test_server_get_commands (server);
  for (guint i = 0; i < commands->len; i++)
    {
      const char *command = g_ptr_array_index (commands, i);

      g_assert_false (g_str_has_prefix (command, "USER") || g_str_has_prefix (command, "PASS") ||
                      g_str_has_prefix (command, "AUTH") || g_str_has_prefix (command, "APOP"));
    }
  received = pb_test_server_dup_received (server);
  data = g_bytes_get_data (received, &len);
  g_assert_true (len == 0 || g_strstr_len (data, len, PASSWORD) == NULL);
  g_assert_true (len == 0 || g_strstr_len (data, len, "alice") == NULL);

  pb_test_rm_rf (dir);
}

/* (ec192 is not among them: GnuTLS serves no handshake with a P-192 key, so
 * no test server can present it; /pb/tls/verify/weak-is-insecure covers it.) */
static void
test_check_never_logs_in (void)
{
  /* A name only in the CN: the wrong name, refused unless pinned. */
  assert_password_never_sent ("cn-only", FALSE);
  /* Weak: refused, pinned or not. */
  assert_password_never_sent ("rsa1024", FALSE);
  assert_password_never_sent ("rsa1024", TRUE);
  assert_password_never_sent ("sha1", FALSE);
  assert_password_never_sent ("sha1", TRUE);
  assert_password_never_sent ("self-signed-rsa1024", TRUE);
  assert_password_never_sent ("weak-intermediate", TRUE);
}

int
main (int argc, char **argv)
{
  /* The sentences show local dates; make them the certificates' UTC ones. */
  g_setenv ("TZ", "UTC", TRUE);
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/tls/fingerprint/matches-openssl", test_fingerprint_matches_openssl);
  g_test_add_func ("/pb/tls/fingerprint/ignores-private-key", test_fingerprint_ignores_private_key);
  g_test_add_func ("/pb/tls/fingerprint/format", test_fingerprint_format);
  g_test_add_func ("/pb/tls/fingerprint/normalize", test_fingerprint_normalize);
  g_test_add_func ("/pb/tls/info/server-names-and-dates", test_info_server);
  g_test_add_func ("/pb/tls/info/fixed-dates-and-names", test_info_fixed_dates);

  g_test_add_func ("/pb/tls/verify/ca-file-accepts-server", test_verify_with_ca_file);
  g_test_add_func ("/pb/tls/verify/unknown-ca-without-ca-file", test_verify_without_ca_file);
  g_test_add_func ("/pb/tls/verify/wrong-host-is-bad-identity", test_verify_wrong_host);
  g_test_add_func ("/pb/tls/verify/dates-are-checked", test_verify_dates);
  g_test_add_func ("/pb/tls/verify/untrusted-issuer-is-unknown-ca", test_verify_unknown_ca);
  g_test_add_func ("/pb/tls/verify/common-name-is-not-a-name",
                   test_verify_common_name_is_not_a_name);
  g_test_add_func ("/pb/tls/verify/wildcards-are-one-label", test_names_wildcards);
  g_test_add_func ("/pb/tls/verify/weak-is-insecure", test_verify_weak_is_insecure);
  g_test_add_func ("/pb/tls/verify/anchor-self-signature-is-not-weak",
                   test_verify_anchor_self_signature_is_not_weak);
  g_test_add_func ("/pb/tls/verify/missing-ca-file-is-an-error", test_verify_missing_ca_file);
  g_test_add_func ("/pb/tls/verify/cancelled", test_verify_cancelled);

  g_test_add_func ("/pb/tls/problems/names", test_problem_names);
  g_test_add_func ("/pb/tls/problems/say-the-dates", test_describe_dates);
  g_test_add_func ("/pb/tls/problems/say-the-names", test_describe_names);
  g_test_add_func ("/pb/tls/problems/say-self-signed", test_describe_self_signed);
  g_test_add_func ("/pb/tls/problems/say-common-name-only", test_describe_common_name_only);
  g_test_add_func ("/pb/tls/problems/say-the-weakness", test_describe_weaknesses);
  g_test_add_func ("/pb/tls/problems/one-sentence-per-bit", test_describe_every_bit);

  g_test_add_func ("/pb/tls/trust/key", test_trust_key);
  g_test_add_func ("/pb/tls/trust/store/create-destroy", test_store_create_destroy);
  g_test_add ("/pb/tls/trust/store/missing-file-is-empty", Fixture, NULL,
              fixture_setup, test_store_missing_file_is_empty, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/round-trip", Fixture, NULL,
              fixture_setup, test_store_round_trip, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/pin-is-per-host-and-port", Fixture, NULL,
              fixture_setup, test_store_pin_is_per_host_and_port, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/add-replaces", Fixture, NULL,
              fixture_setup, test_store_add_replaces, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/remove-and-list", Fixture, NULL,
              fixture_setup, test_store_remove_and_list, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/corrupt-is-set-aside", Fixture, NULL,
              fixture_setup, test_store_corrupt_is_set_aside, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/tampered-groups-ignored", Fixture, NULL,
              fixture_setup, test_store_tampered_groups_ignored, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/load-replaces-memory", Fixture, NULL,
              fixture_setup, test_store_load_replaces_memory, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/save-is-private", Fixture, NULL,
              fixture_setup, test_store_save_keeps_mode, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/save-merges-the-file", Fixture, NULL,
              fixture_setup, test_store_save_merges_the_file, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/save-applies-own-removals", Fixture, NULL,
              fixture_setup, test_store_save_applies_own_removals, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/save-of-an-undone-change-keeps-the-file", Fixture, NULL,
              fixture_setup, test_store_save_undone_change_keeps_the_file, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/save-writes-what-it-holds", Fixture, NULL,
              fixture_setup, test_store_save_writes_what_it_holds, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/save-over-corrupt-keeps-pins", Fixture, NULL,
              fixture_setup, test_store_save_over_corrupt, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/watch-follows-the-file", Fixture, NULL,
              fixture_setup, test_store_watch_follows_the_file, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/watch-keeps-pins-over-corrupt", Fixture, NULL,
              fixture_setup, test_store_watch_keeps_pins_over_corrupt, fixture_teardown);
  g_test_add ("/pb/tls/trust/store/reload-keeps-pins-over-corrupt-or-unreadable", Fixture, NULL,
              fixture_setup, test_store_reload_keeps_pins, fixture_teardown);
  g_test_add ("/pb/tls/trust/forget-trust-reaches-a-running-check", Fixture, NULL,
              fixture_setup, test_forget_trust_reaches_a_running_check, fixture_teardown);

  g_test_add ("/pb/tls/decide/every-branch", Fixture, NULL,
              fixture_setup, test_decide, fixture_teardown);
  g_test_add ("/pb/tls/decide/after-verify", Fixture, NULL,
              fixture_setup, test_decide_after_verify, fixture_teardown);
  g_test_add ("/pb/tls/decide/weak-is-never-pinned", Fixture, NULL,
              fixture_setup, test_decide_weak_is_never_pinned, fixture_teardown);
  g_test_add_func ("/pb/tls/check/weak-or-cn-only-never-gets-the-password",
                   test_check_never_logs_in);

  return g_test_run ();
}
