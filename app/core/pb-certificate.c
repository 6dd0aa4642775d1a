/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-certificate"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "pb-certificate.h"
#include "pb-error.h"
#include "pb-text.h"

#define SHA256_HEX_LEN 64
/* A certificate may carry hundreds of names; a sentence for people shows a few. */
#define MAX_NAMES_IN_SENTENCE 5
/* A certificate's name quoted in a sentence: long enough for any real one. */
#define MAX_NAME_CHARS 200

/* ---- Facts about one certificate ------------------------------------- */

char *
pb_certificate_get_sha256 (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  /* GChecksum gives lowercase hex. */
  return g_strdup (g_checksum_get_string (checksum));
}

char *
pb_fingerprint_format (const char *hex)
{
  GString *out;

  g_return_val_if_fail (hex != NULL, NULL);

  out = g_string_sized_new (strlen (hex) * 3 / 2 + 1);
  for (const char *p = hex; *p != '\0'; p++)
    {
      if (p != hex && (p - hex) % 2 == 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_toupper (*p));
    }
  return g_string_free (out, FALSE);
}

char *
pb_fingerprint_normalize (const char *text)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  out = g_string_sized_new (SHA256_HEX_LEN);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ':' || g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isxdigit (*p) || out->len >= SHA256_HEX_LEN)
        return NULL;
      g_string_append_c (out, g_ascii_tolower (*p));
    }

  if (out->len != SHA256_HEX_LEN)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* g_strv_builder_take() is GLib 2.80. */
static void
strv_builder_take (GStrvBuilder *builder,
                   char         *text)
{
  g_strv_builder_add (builder, text);
  g_free (text);
}

static char **
dns_names_to_strv (GPtrArray *names)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (names->pdata[i], &len);
      g_autofree char *copy = g_strndup (data, len);

      /* Names are untrusted bytes from the peer: keep them valid UTF-8. */
      strv_builder_take (builder, g_utf8_make_valid (copy, -1));
    }
  return g_strv_builder_end (builder);
}

static char **
addresses_to_strv (GPtrArray *addresses)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    strv_builder_take (builder, g_inet_address_to_string (addresses->pdata[i]));
  return g_strv_builder_end (builder);
}

static char *
make_valid_or_null (char *text)
{
  g_autofree char *owned = text;

  return owned != NULL ? g_utf8_make_valid (owned, -1) : NULL;
}

PbCertificateInfo *
pb_certificate_info_new (GTlsCertificate *certificate)
{
  PbCertificateInfo *info;
  g_autoptr(GPtrArray) dns_names = NULL;
  g_autoptr(GPtrArray) ip_addresses = NULL;
  char *subject = NULL;
  char *issuer = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  info = g_new0 (PbCertificateInfo, 1);
  g_object_get (certificate,
                "subject-name", &subject,
                "issuer-name", &issuer,
                "not-valid-before", &info->not_before,
                "not-valid-after", &info->not_after,
                "dns-names", &dns_names,
                "ip-addresses", &ip_addresses,
                NULL);
  info->subject = make_valid_or_null (subject);
  info->issuer = make_valid_or_null (issuer);
  info->dns_names = dns_names_to_strv (dns_names);
  info->ip_addresses = addresses_to_strv (ip_addresses);
  info->sha256 = pb_certificate_get_sha256 (certificate);
  return info;
}

void
pb_certificate_info_free (PbCertificateInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->subject);
  g_free (info->issuer);
  g_clear_pointer (&info->not_before, g_date_time_unref);
  g_clear_pointer (&info->not_after, g_date_time_unref);
  g_strfreev (info->dns_names);
  g_strfreev (info->ip_addresses);
  g_free (info->sha256);
  g_free (info);
}

/* ---- What GnuTLS reads in a certificate -------------------------------- */

/* GIO shows neither key sizes nor signature algorithms, and its host name
 * check (GnuTLS's) still falls back to the subject's common name; GnuTLS
 * itself reads both, so the DER is never parsed here by hand. */

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_subject_alt_names_t, gnutls_subject_alt_names_deinit, NULL)

/* A presented chain longer than this is not a real one; stop reading there. */
#define MAX_CHAIN_DEPTH 16
/* RFC 5280 allows one; a few more are read rather than trusting the count. */
#define MAX_SAN_EXTENSIONS 4
#define MIN_RSA_DSA_BITS 2048
#define MIN_EC_BITS 256

static gnutls_x509_crt_t
import_certificate (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum;

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL || gnutls_x509_crt_init (&crt) < 0)
    return NULL;

  datum.data = der->data;
  datum.size = der->len;
  if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER) < 0)
    {
      gnutls_x509_crt_deinit (crt);
      return NULL;
    }
  return crt;
}

/* Lower case, without one trailing dot: "Mail.Example.COM." and
 * "mail.example.com" are one name. NULL when @name can't be a DNS name. */
static char *
normalize_dns_name (const char *name,
                    gsize       len)
{
  g_autofree char *copy = NULL;

  if (len > 0 && name[len - 1] == '.')
    len--;
  if (len == 0 || memchr (name, '\0', len) != NULL)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if ((guchar) name[i] >= 0x80)
      return NULL;

  copy = g_strndup (name, len);
  return g_ascii_strdown (copy, -1);
}

/* RFC 6125 §6.4.3, strictly: a "*" only as the whole left-most label, for
 * exactly one label of @host, and never over a public suffix alone ("*.com"). */
static gboolean
dns_name_matches (const char *pattern,
                  const char *host)
{
  const char *host_rest;

  if (strcmp (pattern, host) == 0)
    return TRUE;
  if (!g_str_has_prefix (pattern, "*.") || strchr (pattern + 2, '.') == NULL ||
      strchr (pattern + 2, '*') != NULL)
    return FALSE;

  host_rest = strchr (host, '.');
  return host_rest != NULL && host_rest != host && strcmp (host_rest + 1, pattern + 2) == 0;
}

/* Calls @func for each subjectAltName entry, in every SAN extension. */
static gboolean
any_alt_name (gnutls_x509_crt_t   crt,
              gboolean          (*func) (unsigned              type,
                                         const gnutls_datum_t *value,
                                         gconstpointer         user_data),
              gconstpointer       user_data)
{
  for (unsigned idx = 0; idx < MAX_SAN_EXTENSIONS; idx++)
    {
      g_auto(gnutls_subject_alt_names_t) sans = NULL;
      gnutls_datum_t ext = { NULL, 0 };
      unsigned critical;
      int ret;

      if (gnutls_x509_crt_get_extension_by_oid2 (crt, GNUTLS_X509EXT_OID_SAN, idx, &ext,
                                                 &critical) < 0)
        return FALSE;
      if (gnutls_subject_alt_names_init (&sans) < 0)
        {
          gnutls_free (ext.data);
          return FALSE;
        }
      ret = gnutls_x509_ext_import_subject_alt_names (&ext, sans, 0);
      gnutls_free (ext.data);
      if (ret < 0)
        continue;

      for (unsigned i = 0;; i++)
        {
          gnutls_datum_t value;
          unsigned type;

          if (gnutls_subject_alt_names_get (sans, i, &type, &value, NULL) < 0)
            break;
          if (func (type, &value, user_data))
            return TRUE;
        }
    }
  return FALSE;
}

typedef struct
{
  const char *dns_name; /* normalized, or NULL for an address */
  GInetAddress *address;
} HostName;

static gboolean
alt_name_is_host (unsigned              type,
                  const gnutls_datum_t *value,
                  gconstpointer         user_data)
{
  const HostName *host = user_data;

  if (host->address != NULL)
    return type == GNUTLS_SAN_IPADDRESS &&
           value->size == g_inet_address_get_native_size (host->address) &&
           memcmp (value->data, g_inet_address_to_bytes (host->address), value->size) == 0;

  if (type == GNUTLS_SAN_DNSNAME)
    {
      g_autofree char *pattern = normalize_dns_name ((const char *) value->data, value->size);

      return pattern != NULL && dns_name_matches (pattern, host->dns_name);
    }
  return FALSE;
}

gboolean
pb_certificate_names_host (GTlsCertificate *certificate,
                           const char      *host)
{
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autofree char *bare = NULL;
  g_autofree char *ascii = NULL;
  g_autofree char *dns_name = NULL;
  HostName wanted = { NULL, NULL };

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  crt = import_certificate (certificate);
  if (crt == NULL)
    return FALSE;

  bare = host[0] == '[' && g_str_has_suffix (host, "]")
           ? g_strndup (host + 1, strlen (host) - 2) : g_strdup (host);
  address = g_inet_address_new_from_string (bare);
  if (address != NULL)
    {
      wanted.address = address;
    }
  else
    {
      /* A Unicode host name is compared in the A-label form certificates hold. */
      ascii = g_hostname_to_ascii (bare);
      if (ascii == NULL)
        return FALSE;
      dns_name = normalize_dns_name (ascii, strlen (ascii));
      if (dns_name == NULL)
        return FALSE;
      wanted.dns_name = dns_name;
    }

  /* Only subjectAltName counts (RFC 6125 §6.4.4): the subject's common name
   * is never looked at, whatever else the certificate holds. */
  return any_alt_name (crt, alt_name_is_host, &wanted);
}

static gboolean
alt_name_is_server_name (unsigned              type,
                         const gnutls_datum_t *value,
                         gconstpointer         user_data)
{
  return type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_IPADDRESS;
}

/* The subject's common name of a certificate that names no server in its
 * subjectAltName, as untrusted text; NULL otherwise. */
static char *
common_name_only (GTlsCertificate *certificate)
{
  g_auto(gnutls_x509_crt_t) crt = import_certificate (certificate);
  char buffer[256];
  size_t size = sizeof buffer;

  if (crt == NULL || any_alt_name (crt, alt_name_is_server_name, NULL))
    return NULL;
  if (gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buffer, &size) < 0)
    return NULL;
  return pb_text_clean (buffer, size, MAX_NAME_CHARS);
}

/* An authority's name for a sentence: its common name, else its whole subject. */
static char *
holder_name (gnutls_x509_crt_t  crt,
             GTlsCertificate   *certificate)
{
  g_autofree char *subject = NULL;
  char buffer[256];
  size_t size = sizeof buffer;

  if (crt != NULL &&
      gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buffer, &size) >= 0 &&
      size > 0)
    return pb_text_clean (buffer, size, MAX_NAME_CHARS);

  g_object_get (certificate, "subject-name", &subject, NULL);
  return pb_text_clean (subject, -1, MAX_NAME_CHARS);
}

/* TRUE when @crt carries a signature that its own key made: a trust anchor.
 * Matching names are not enough, since whoever forges a certificate through
 * a weak signature chooses its names too. */
static gboolean
is_self_signed (gnutls_x509_crt_t crt)
{
  /* Only the signature is in question here: everything else is waived. */
  const unsigned flags = GNUTLS_VERIFY_DO_NOT_ALLOW_SAME | GNUTLS_VERIFY_DISABLE_CA_SIGN |
                         GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 | GNUTLS_VERIFY_ALLOW_SIGN_RSA_MD5 |
                         GNUTLS_VERIFY_ALLOW_SIGN_RSA_MD2 | GNUTLS_VERIFY_ALLOW_BROKEN |
                         GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                         GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
                         GNUTLS_VERIFY_ALLOW_ANY_X509_V1_CA_CRT;
  unsigned status = 0;

  if (!gnutls_x509_crt_check_issuer (crt, crt))
    return FALSE;
  if (gnutls_x509_crt_verify (crt, &crt, 1, flags, &status) < 0)
    return FALSE;
  return (status & (GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_FOUND)) == 0;
}

typedef enum
{
  WEAK_KEY,
  WEAK_SIGNATURE,
  UNREADABLE,
} WeaknessKind;

typedef struct
{
  WeaknessKind kind;
  guint depth;          /* 0: the server's own certificate */
  const char *algorithm; /* "RSA", "SHA-1", … */
  guint bits;
  char *holder;         /* an issuer's subject, cleaned; NULL at depth 0 */
} Weakness;

static void
weakness_clear (Weakness *weakness)
{
  g_free (weakness->holder);
}

static const char *
weak_key_algorithm (gnutls_x509_crt_t crt,
                    guint            *bits)
{
  unsigned key_bits = 0;
  int algorithm = gnutls_x509_crt_get_pk_algorithm (crt, &key_bits);

  *bits = key_bits;
  switch (algorithm)
    {
    case GNUTLS_PK_RSA:
    case GNUTLS_PK_RSA_PSS:
      return key_bits < MIN_RSA_DSA_BITS ? "RSA" : NULL;
    case GNUTLS_PK_DSA:
      return key_bits < MIN_RSA_DSA_BITS ? "DSA" : NULL;
    case GNUTLS_PK_ECDSA:
      return key_bits < MIN_EC_BITS ? "EC" : NULL;
    default:
      /* Ed25519 and Ed448 have no weak sizes; anything else GnuTLS can't
       * verify, so it fails verification on its own. */
      return NULL;
    }
}

static const char *
weak_signature_algorithm (gnutls_x509_crt_t crt)
{
  int sign = gnutls_x509_crt_get_signature_algorithm (crt);

  if (sign < 0)
    return NULL;
  switch (gnutls_sign_get_hash_algorithm (sign))
    {
    case GNUTLS_DIG_MD2:
      return "MD2";
    case GNUTLS_DIG_MD5:
      return "MD5";
    case GNUTLS_DIG_SHA1:
      return "SHA-1";
    default:
      return NULL;
    }
}

/* Every weak key and signature in @certificate and the chain the server
 * presented with it (GTlsCertificate:issuer). A self-signed certificate at
 * the end of the chain is a trust anchor: its signature over itself proves
 * nothing either way, so only its key counts. */
static GArray *
find_weaknesses (GTlsCertificate *certificate)
{
  GArray *found = g_array_new (FALSE, TRUE, sizeof (Weakness));
  g_autoptr(GTlsCertificate) current = g_object_ref (certificate);

  g_array_set_clear_func (found, (GDestroyNotify) weakness_clear);

  for (guint depth = 0; current != NULL && depth < MAX_CHAIN_DEPTH; depth++)
    {
      g_auto(gnutls_x509_crt_t) crt = import_certificate (current);
      GTlsCertificate *issuer = g_tls_certificate_get_issuer (current);
      Weakness weakness = { 0, depth, NULL, 0, NULL };
      guint bits;

      if (depth > 0)
        weakness.holder = holder_name (crt, current);

      if (crt == NULL)
        {
          weakness.kind = UNREADABLE;
          g_array_append_val (found, weakness);
          break;
        }

      weakness.algorithm = weak_key_algorithm (crt, &bits);
      if (weakness.algorithm != NULL)
        {
          Weakness copy = weakness;

          copy.kind = WEAK_KEY;
          copy.bits = bits;
          copy.holder = g_strdup (weakness.holder);
          g_array_append_val (found, copy);
        }

      weakness.algorithm = weak_signature_algorithm (crt);
      if (weakness.algorithm != NULL &&
          !(issuer == NULL && is_self_signed (crt)))
        {
          weakness.kind = WEAK_SIGNATURE;
          g_array_append_val (found, weakness);
        }
      else
        {
          g_free (weakness.holder);
        }

      g_set_object (&current, issuer);
    }
  return found;
}

gboolean
pb_certificate_is_weak (GTlsCertificate *certificate)
{
  g_autoptr(GArray) found = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), TRUE);

  found = find_weaknesses (certificate);
  return found->len > 0;
}

static char *
describe_weakness (const Weakness *weakness)
{
  switch (weakness->kind)
    {
    case WEAK_KEY:
      if (weakness->depth == 0)
        /* Translators: e.g. "a weak 1024-bit RSA key"; RSA, DSA or EC. */
        return g_strdup_printf (_("The certificate uses a weak %u-bit %s key, which can be "
                                  "broken."), weakness->bits, weakness->algorithm);
      /* Translators: the first %s is the issuing authority's name. */
      return g_strdup_printf (_("The authority that issued it (%s) uses a weak %u-bit %s key, "
                                "which can be broken."),
                              weakness->holder, weakness->bits, weakness->algorithm);
    case WEAK_SIGNATURE:
      if (weakness->depth == 0)
        /* Translators: %s is SHA-1, MD5 or MD2. */
        return g_strdup_printf (_("The certificate is signed with %s, which can be forged."),
                                weakness->algorithm);
      return g_strdup_printf (_("The certificate of the authority that issued it (%s) is signed "
                                "with %s, which can be forged."),
                              weakness->holder, weakness->algorithm);
    case UNREADABLE:
    default:
      return g_strdup (_("The certificate could not be read to check its strength."));
    }
}

char **
pb_certificate_describe_weaknesses (GTlsCertificate *certificate)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GArray) found = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  found = find_weaknesses (certificate);
  for (guint i = 0; i < found->len; i++)
    strv_builder_take (builder, describe_weakness (&g_array_index (found, Weakness, i)));
  return g_strv_builder_end (builder);
}

char **
pb_certificate_weakness_names (GTlsCertificate *certificate)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GArray) found = NULL;
  gboolean key = FALSE, signature = FALSE, unreadable = FALSE;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  found = find_weaknesses (certificate);
  for (guint i = 0; i < found->len; i++)
    {
      WeaknessKind kind = g_array_index (found, Weakness, i).kind;

      key |= kind == WEAK_KEY;
      signature |= kind == WEAK_SIGNATURE;
      unreadable |= kind == UNREADABLE;
    }
  if (key)
    g_strv_builder_add (builder, "weak-key");
  if (signature)
    g_strv_builder_add (builder, "weak-signature");
  if (unreadable)
    g_strv_builder_add (builder, "unreadable");
  return g_strv_builder_end (builder);
}

gboolean
pb_certificate_problems_allow_pin (GTlsCertificateFlags errors)
{
  /* A revocation is the issuer's word that the key is compromised; a weak key
   * or signature can be forged by anyone: no user decision makes either safe. */
  return !(errors & (G_TLS_CERTIFICATE_REVOKED | G_TLS_CERTIFICATE_INSECURE));
}

static char *
format_date (GDateTime *date)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (date);

  /* Translators: a certificate's validity date, see g_date_time_format(). */
  return g_date_time_format (local, _("%-d %B %Y"));
}

static char *
describe_names (const PbCertificateInfo *info)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint total = g_strv_length (info->dns_names) + g_strv_length (info->ip_addresses);
  g_autofree char *joined = NULL;
  g_autofree char *list = NULL;

  for (guint i = 0; info->dns_names[i] != NULL && names->len < MAX_NAMES_IN_SENTENCE; i++)
    g_ptr_array_add (names, info->dns_names[i]);
  for (guint i = 0; info->ip_addresses[i] != NULL && names->len < MAX_NAMES_IN_SENTENCE; i++)
    g_ptr_array_add (names, info->ip_addresses[i]);

  if (names->len == 0)
    return NULL;

  g_ptr_array_add (names, NULL);
  joined = g_strjoinv (", ", (char **) names->pdata);
  list = pb_text_clean (joined, -1, MAX_NAME_CHARS);
  if (total > MAX_NAMES_IN_SENTENCE)
    /* Translators: a list of names, then how many more there are. */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s and %u other name",
                                         "%s and %u other names",
                                         total - MAX_NAMES_IN_SENTENCE),
                            list, total - MAX_NAMES_IN_SENTENCE);
  return g_steal_pointer (&list);
}

char **
pb_certificate_describe_problems (GTlsCertificateFlags  errors,
                                  GTlsCertificate      *certificate,
                                  const char           *host)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(PbCertificateInfo) info = NULL;

  g_return_val_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate), NULL);

  /* The sentences are plain text that quote the certificate's own (untrusted)
   * names: a caller that puts them into markup must escape them. */
  if (certificate != NULL)
    info = pb_certificate_info_new (certificate);

  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    {
      if (info != NULL && info->subject != NULL && g_strcmp0 (info->subject, info->issuer) == 0)
        g_strv_builder_add (builder, _("The certificate is self-signed: no authority your "
                                       "system trusts vouches for it."));
      else
        g_strv_builder_add (builder, _("The certificate is not signed by an authority your "
                                       "system trusts; it may be self-signed."));
    }

  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    {
      g_autofree char *names = info != NULL ? describe_names (info) : NULL;
      g_autofree char *common_name = NULL;

      if (names == NULL && certificate != NULL)
        common_name = common_name_only (certificate);

      if (common_name != NULL && host != NULL)
        /* Translators: the first %s is a name from the certificate, the second the server's. */
        strv_builder_take (builder,
                           g_strdup_printf (_("The certificate gives a server name (%s) only "
                                              "in an outdated field that is no longer "
                                              "accepted, so it is not valid for %s."),
                                            common_name, host));
      else if (names != NULL && host != NULL)
        strv_builder_take (builder,
                           g_strdup_printf (_("The certificate is for %s, not for %s."),
                                            names, host));
      else if (host != NULL)
        strv_builder_take (builder,
                           g_strdup_printf (_("The certificate is not for %s."), host));
      else
        g_strv_builder_add (builder, _("The certificate is not for this server's name."));
    }

  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    {
      if (info != NULL && info->not_before != NULL)
        {
          g_autofree char *date = format_date (info->not_before);
          strv_builder_take (builder,
                             g_strdup_printf (_("The certificate is valid only from %s."),
                                              date));
        }
      else
        g_strv_builder_add (builder, _("The certificate is not valid yet."));
    }

  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    {
      if (info != NULL && info->not_after != NULL)
        {
          g_autofree char *date = format_date (info->not_after);
          strv_builder_take (builder,
                             g_strdup_printf (_("The certificate expired on %s."), date));
        }
      else
        g_strv_builder_add (builder, _("The certificate has expired."));
    }

  if (errors & G_TLS_CERTIFICATE_REVOKED)
    g_strv_builder_add (builder, _("The certificate has been revoked by the authority that "
                                   "issued it, so it must not be trusted."));

  if (errors & G_TLS_CERTIFICATE_INSECURE)
    {
      g_auto(GStrv) weaknesses = certificate != NULL
                                   ? pb_certificate_describe_weaknesses (certificate) : NULL;

      if (weaknesses != NULL && weaknesses[0] != NULL)
        for (guint i = 0; weaknesses[i] != NULL; i++)
          g_strv_builder_add (builder, weaknesses[i]);
      else
        g_strv_builder_add (builder, _("The certificate uses a cryptographic algorithm that is "
                                       "too weak to be safe."));
    }

  if (errors & G_TLS_CERTIFICATE_GENERIC_ERROR)
    g_strv_builder_add (builder, _("The certificate could not be checked."));

  return g_strv_builder_end (builder);
}

char **
pb_certificate_problem_names (GTlsCertificateFlags errors)
{
  static const struct
  {
    GTlsCertificateFlags flag;
    const char *name;
  } names[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "unknown-ca" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "bad-identity" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not-activated" },
    { G_TLS_CERTIFICATE_EXPIRED, "expired" },
    { G_TLS_CERTIFICATE_REVOKED, "revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "insecure" },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "generic-error" },
  };
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (errors & names[i].flag)
      g_strv_builder_add (builder, names[i].name);
  return g_strv_builder_end (builder);
}

