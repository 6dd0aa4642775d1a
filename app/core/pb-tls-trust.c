/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-tls"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "pb-error.h"
#include "pb-files.h"
#include "pb-text.h"
#include "pb-tls-trust.h"

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

/* ---- Pins -------------------------------------------------------------- */

char *
pb_trust_key (const char *host,
              guint16     port)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (host != NULL, NULL);

  lower = g_ascii_strdown (host, -1);
  if (strchr (lower, ':') != NULL && lower[0] != '[')
    return g_strdup_printf ("[%s]:%u", lower, port);
  return g_strdup_printf ("%s:%u", lower, port);
}

/* GKeyFile group names cannot hold '[' or ']', so trust.ini writes an IPv6
 * key without its brackets ("::1:995"); the port follows the last colon. */
static char *
key_to_group (const char *key)
{
  g_autoptr(GString) group = g_string_new (key);

  g_string_replace (group, "[", "", 0);
  g_string_replace (group, "]", "", 0);
  return g_string_free (g_steal_pointer (&group), FALSE);
}

/* The key a trust.ini group stands for, in the form pb_trust_key() gives, so
 * a hand-edited "Mail.Example.COM:995" still pins what is looked up. */
static char *
group_to_key (const char *group)
{
  const char *colon = strrchr (group, ':');
  g_autofree char *host = NULL;
  guint64 port;

  if (colon == NULL || colon == group)
    return NULL;
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT16, &port, NULL))
    return NULL;

  host = g_strndup (group, colon - group);
  if (strchr (host, ':') != NULL && !g_hostname_is_ip_address (host))
    return NULL;

  return pb_trust_key (host, (guint16) port);
}

typedef struct
{
  char *sha256;
  char *pem;
  GDateTime *pinned_at;
} Pin;

static void
pin_free (Pin *pin)
{
  g_free (pin->sha256);
  g_free (pin->pem);
  g_clear_pointer (&pin->pinned_at, g_date_time_unref);
  g_free (pin);
}

static Pin *
pin_copy (const Pin *pin)
{
  Pin *copy = g_new0 (Pin, 1);

  copy->sha256 = g_strdup (pin->sha256);
  copy->pem = g_strdup (pin->pem);
  copy->pinned_at = pin->pinned_at ? g_date_time_ref (pin->pinned_at) : NULL;
  return copy;
}

static GHashTable *
pins_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) pin_free);
}

static GHashTable *
pins_copy (GHashTable *pins)
{
  GHashTable *copy = pins_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, pins);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), pin_copy (value));
  return copy;
}

/* Same keys, same certificates: whether a reload changed what is trusted. */
static gboolean
pins_equal (GHashTable *a,
            GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Pin *other = g_hash_table_lookup (b, key);

      if (other == NULL || strcmp (other->sha256, ((Pin *) value)->sha256) != 0)
        return FALSE;
    }
  return TRUE;
}

/* Whether two entries for one key (NULL: no pin) are the same pin. The time
 * counts too: add() of the certificate already pinned is still a change. */
static gboolean
pin_same (const Pin *a,
          const Pin *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (strcmp (a->sha256, b->sha256) != 0)
    return FALSE;
  if (a->pinned_at == NULL || b->pinned_at == NULL)
    return a->pinned_at == b->pinned_at;
  return g_date_time_equal (a->pinned_at, b->pinned_at);
}

/* A three-way merge: @base is the file as this store last read or wrote it,
 * @ours what the store holds now, @theirs the file now. Each key this store
 * changed since @base (added, replaced, removed) takes its value from @ours,
 * every other key from @theirs. A store that read the file and is its only
 * writer so gets exactly what it holds; a pin another process removed is
 * never written back, and one it added is kept. */
static GHashTable *
pins_merge (GHashTable *base,
            GHashTable *ours,
            GHashTable *theirs)
{
  GHashTable *tables[] = { base, ours, theirs };
  GHashTable *merged = pins_new ();

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, tables[i]);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          Pin *mine = g_hash_table_lookup (ours, key);
          /* Left as this store last read it: the file has the say. */
          Pin *chosen = pin_same (mine, g_hash_table_lookup (base, key))
                        ? g_hash_table_lookup (theirs, key) : mine;

          if (chosen != NULL && !g_hash_table_contains (merged, key))
            g_hash_table_insert (merged, g_strdup (key), pin_copy (chosen));
        }
    }
  return merged;
}

struct _PbTrustStore
{
  GObject parent_instance;

  char *path;
  GHashTable *pins; /* "host:port" → Pin */
  /* The file as this store last read or wrote it ("host:port" → Pin; empty
   * before the first load). What add() and remove() changed is the difference
   * from it: saving and reloading merge only that with the file's current
   * pins (pins_merge), never the whole of memory, so a pin another process
   * forgot is not written back. */
  GHashTable *base;
  /* Why the file could not be read, while it is still there unread: saving would
   * drop every pin the user made. */
  char *unreadable;

  /* Following the file (pb_trust_store_watch). */
  GFileMonitor *monitor;
  guint reload_source;
  gboolean reloading;
  /* Bumped whenever memory is set from the file or the file from memory, so that
   * a reload read before that is not applied over it. */
  guint64 generation;
};

G_DEFINE_FINAL_TYPE (PbTrustStore, pb_trust_store, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
pb_trust_store_constructed (GObject *object)
{
  PbTrustStore *self = PB_TRUST_STORE (object);

  G_OBJECT_CLASS (pb_trust_store_parent_class)->constructed (object);

  if (self->path == NULL)
    {
      g_autofree char *dir = pb_files_config_dir ();
      self->path = g_build_filename (dir, "trust.ini", NULL);
    }
}

static void
pb_trust_store_dispose (GObject *object)
{
  PbTrustStore *self = PB_TRUST_STORE (object);

  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  g_clear_handle_id (&self->reload_source, g_source_remove);

  G_OBJECT_CLASS (pb_trust_store_parent_class)->dispose (object);
}

static void
pb_trust_store_finalize (GObject *object)
{
  PbTrustStore *self = PB_TRUST_STORE (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->unreadable, g_free);
  g_clear_pointer (&self->pins, g_hash_table_unref);
  g_clear_pointer (&self->base, g_hash_table_unref);

  G_OBJECT_CLASS (pb_trust_store_parent_class)->finalize (object);
}

static void
pb_trust_store_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PbTrustStore *self = PB_TRUST_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_trust_store_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PbTrustStore *self = PB_TRUST_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_trust_store_class_init (PbTrustStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pb_trust_store_constructed;
  object_class->dispose = pb_trust_store_dispose;
  object_class->finalize = pb_trust_store_finalize;
  object_class->get_property = pb_trust_store_get_property;
  object_class->set_property = pb_trust_store_set_property;

  /* The trust.ini file; NULL at construction means the one in the config dir. */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The pins changed because another process changed trust.ini (see
   * pb_trust_store_watch and pb_trust_store_reload). */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pb_trust_store_init (PbTrustStore *self)
{
  self->pins = pins_new ();
  self->base = pins_new ();
}

PbTrustStore *
pb_trust_store_new (const char *path)
{
  return g_object_new (PB_TYPE_TRUST_STORE, "path", path, NULL);
}

/* A pin from the file counts only when its PEM is a certificate whose
 * fingerprint is the one recorded: a half-edited group pins nothing. */
static Pin *
pin_from_group (GKeyFile   *keyfile,
                const char *group)
{
  g_autofree char *sha_text = g_key_file_get_string (keyfile, group, "sha256", NULL);
  g_autofree char *pem = g_key_file_get_string (keyfile, group, "pem", NULL);
  g_autofree char *pinned_at = g_key_file_get_string (keyfile, group, "pinned-at", NULL);
  g_autofree char *sha256 = NULL;
  g_autofree char *actual = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  Pin *pin;

  if (sha_text == NULL || pem == NULL)
    {
      g_debug ("Ignoring the pin [%s]: sha256 or pem missing", group);
      return NULL;
    }

  sha256 = pb_fingerprint_normalize (sha_text);
  if (sha256 == NULL)
    {
      g_debug ("Ignoring the pin [%s]: the sha256 value is not a fingerprint", group);
      return NULL;
    }

  certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
  if (certificate == NULL)
    {
      g_debug ("Ignoring the pin [%s]: %s", group, error->message);
      return NULL;
    }

  actual = pb_certificate_get_sha256 (certificate);
  if (g_strcmp0 (actual, sha256) != 0)
    {
      g_debug ("Ignoring the pin [%s]: its certificate does not match its fingerprint", group);
      return NULL;
    }

  pin = g_new0 (Pin, 1);
  pin->sha256 = g_steal_pointer (&sha256);
  pin->pem = g_steal_pointer (&pem);
  if (pinned_at != NULL)
    pin->pinned_at = g_date_time_new_from_iso8601 (pinned_at, NULL);
  return pin;
}

typedef enum
{
  READ_OK,          /* the file's pins (none when it is missing) */
  READ_UNREADABLE,  /* still there, unread: @reason says why */
  READ_SET_ASIDE,   /* corrupt, renamed out of the way */
} ReadOutcome;

/* Reads @path into a new "host:port" → Pin table. Touches no store, so a
 * thread may run it. A corrupt file is set aside here, never written over. */
static ReadOutcome
read_pins (const char  *path,
           GHashTable **pins_out,
           char       **reason,
           GError     **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GHashTable) pins = pins_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) groups = NULL;
  gsize len;

  *pins_out = NULL;
  *reason = NULL;

  if (!pb_files_read (path, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          *pins_out = g_steal_pointer (&pins);
          return READ_OK;
        }
      /* Not corrupt, only out of reach (EACCES, EIO, not a file): it stays where it is. */
      *reason = g_strdup (local_error->message);
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO,
                   _("Could not read the trusted certificates: %s"), local_error->message);
      return READ_UNREADABLE;
    }

  if (!g_key_file_load_from_data (keyfile, contents, len, G_KEY_FILE_NONE, &local_error))
    {
      g_autoptr(GError) aside_error = NULL;
      g_autofree char *aside = pb_files_set_aside (path, &aside_error);

      if (aside == NULL)
        {
          *reason = g_strdup (aside_error->message);
          g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT,
                       _("The trusted certificates in %s are unreadable (%s), and the file "
                         "could not be moved aside: %s"),
                       path, local_error->message, aside_error->message);
          return READ_UNREADABLE;
        }
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT,
                   _("The trusted certificates in %s were unreadable (%s); the file was "
                     "moved to %s and no certificate is trusted now"),
                   path, local_error->message, aside);
      return READ_SET_ASIDE;
    }

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *key = group_to_key (groups[i]);
      Pin *pin;

      if (key == NULL)
        {
          g_debug ("Ignoring the pin [%s]: not a host:port", groups[i]);
          continue;
        }
      pin = pin_from_group (keyfile, groups[i]);
      if (pin != NULL)
        g_hash_table_replace (pins, g_steal_pointer (&key), pin);
    }

  g_debug ("Read %u pins from %s", g_hash_table_size (pins), path);
  *pins_out = g_steal_pointer (&pins);
  return READ_OK;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char **
sorted_keys (GHashTable *pins)
{
  char **keys;
  guint n;

  keys = (char **) g_hash_table_get_keys_as_array (pins, &n);
  for (guint i = 0; i < n; i++)
    keys[i] = g_strdup (keys[i]);
  qsort (keys, n, sizeof (char *), compare_strings);
  return keys;
}

static gboolean
write_pins (const char  *path,
            GHashTable  *pins,
            GError     **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_auto(GStrv) keys = sorted_keys (pins);
  g_autofree char *data = NULL;
  gsize len;

  for (guint i = 0; keys[i] != NULL; i++)
    {
      Pin *pin = g_hash_table_lookup (pins, keys[i]);
      g_autofree char *group = key_to_group (keys[i]);

      g_key_file_set_string (keyfile, group, "sha256", pin->sha256);
      g_key_file_set_string (keyfile, group, "pem", pin->pem);
      if (pin->pinned_at != NULL)
        {
          g_autofree char *when = g_date_time_format_iso8601 (pin->pinned_at);
          g_key_file_set_string (keyfile, group, "pinned-at", when);
        }
    }

  data = g_key_file_to_data (keyfile, &len, NULL);
  if (!pb_files_write_atomic (path, data, len, 0600, error))
    {
      g_prefix_error (error, _("Could not save the trusted certificates: "));
      return FALSE;
    }
  return TRUE;
}

/* Takes in what read_pins() found after this store was loaded: the file's
 * pins, with what this store changed since it last read or wrote the file on
 * top. A corrupt file (set aside by then) changes nothing in memory: the pins
 * the file held before are written back in its place, or the file, now
 * missing, would read as "no pins" and popbell's other commands would disagree
 * with the store. An unreadable file changes nothing and keeps saves refused.
 * Returns whether what is trusted changed. */
static gboolean
take_in (PbTrustStore *self,
         ReadOutcome   outcome,
         GHashTable   *theirs,
         char         *reason)
{
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GError) error = NULL;

  switch (outcome)
    {
    case READ_OK:
      self->generation++;
      g_clear_pointer (&self->unreadable, g_free);
      before = g_steal_pointer (&self->pins);
      self->pins = pins_merge (self->base, before, theirs);
      g_clear_pointer (&self->base, g_hash_table_unref);
      self->base = pins_copy (theirs);
      g_free (reason);
      return !pins_equal (before, self->pins);

    case READ_UNREADABLE:
      g_free (self->unreadable);
      self->unreadable = reason;
      return FALSE;

    case READ_SET_ASIDE:
      self->generation++;
      g_free (reason);
      if (g_hash_table_size (self->base) > 0 && !write_pins (self->path, self->base, &error))
        g_debug ("%s", error->message);
      return FALSE;

    default:
      g_assert_not_reached ();
    }
}

gboolean
pb_trust_store_load (PbTrustStore  *self,
                     GError       **error)
{
  GHashTable *pins = NULL;
  ReadOutcome outcome;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->generation++;
  g_clear_pointer (&self->unreadable, g_free);
  g_clear_pointer (&self->pins, g_hash_table_unref);
  g_clear_pointer (&self->base, g_hash_table_unref);

  outcome = read_pins (self->path, &pins, &self->unreadable, error);
  self->pins = pins != NULL ? pins : pins_new ();
  self->base = pins_copy (self->pins);
  if (outcome != READ_OK)
    return FALSE;

  g_debug ("Loaded %u pins from %s", g_hash_table_size (self->pins), self->path);
  return TRUE;
}

gboolean
pb_trust_store_reload (PbTrustStore  *self,
                       GError       **error)
{
  g_autoptr(GHashTable) theirs = NULL;
  char *reason = NULL;
  ReadOutcome outcome;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  outcome = read_pins (self->path, &theirs, &reason, error);
  if (take_in (self, outcome, theirs, reason))
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return outcome == READ_OK;
}

gboolean
pb_trust_store_save (PbTrustStore  *self,
                     GError       **error)
{
  g_autoptr(GHashTable) theirs = NULL;
  g_autoptr(GHashTable) merged = NULL;
  g_autoptr(GError) read_error = NULL;
  g_autofree char *reason = NULL;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Read the file again first: another process (popbell --trust, --forget-trust)
   * may have changed it since, and only what this store changed goes on top. */
  switch (read_pins (self->path, &theirs, &reason, &read_error))
    {
    case READ_OK:
      g_clear_pointer (&self->unreadable, g_free);
      break;
    case READ_UNREADABLE:
      g_free (self->unreadable);
      self->unreadable = g_steal_pointer (&reason);
      pb_files_set_unreadable_error (error, self->path, self->unreadable);
      return FALSE;
    case READ_SET_ASIDE:
      /* The corrupt file is kept aside; what this store last read is the best
       * account left of the user's pins. */
      g_debug ("%s", read_error->message);
      theirs = pins_copy (self->base);
      break;
    default:
      g_assert_not_reached ();
    }

  merged = pins_merge (self->base, self->pins, theirs);
  if (!write_pins (self->path, merged, error))
    return FALSE;

  self->generation++;
  g_clear_pointer (&self->pins, g_hash_table_unref);
  self->pins = g_steal_pointer (&merged);
  g_clear_pointer (&self->base, g_hash_table_unref);
  self->base = pins_copy (self->pins);
  return TRUE;
}

static Pin *
lookup_pin (PbTrustStore *self,
            const char   *host,
            guint16       port)
{
  g_autofree char *key = pb_trust_key (host, port);

  return g_hash_table_lookup (self->pins, key);
}

gboolean
pb_trust_store_is_pinned (PbTrustStore    *self,
                          const char      *host,
                          guint16          port,
                          GTlsCertificate *certificate)
{
  g_autofree char *sha256 = NULL;
  Pin *pin;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), FALSE);

  pin = lookup_pin (self, host, port);
  if (pin == NULL)
    return FALSE;

  sha256 = pb_certificate_get_sha256 (certificate);
  return sha256 != NULL && strcmp (sha256, pin->sha256) == 0;
}

const char *
pb_trust_store_get_fingerprint (PbTrustStore *self,
                                const char   *host,
                                guint16       port)
{
  Pin *pin;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  pin = lookup_pin (self, host, port);
  return pin != NULL ? pin->sha256 : NULL;
}

GTlsCertificate *
pb_trust_store_get_certificate (PbTrustStore *self,
                                const char   *host,
                                guint16       port)
{
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;
  Pin *pin;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  pin = lookup_pin (self, host, port);
  if (pin == NULL)
    return NULL;

  /* The PEM parsed when the pin was loaded or added, so this does not fail. */
  certificate = g_tls_certificate_new_from_pem (pin->pem, -1, &error);
  if (certificate == NULL)
    g_debug ("The pinned certificate for %s:%u does not parse: %s", host, port, error->message);
  return certificate;
}

GDateTime *
pb_trust_store_get_pinned_at (PbTrustStore *self,
                              const char   *host,
                              guint16       port)
{
  Pin *pin;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  pin = lookup_pin (self, host, port);
  return pin != NULL ? pin->pinned_at : NULL;
}

void
pb_trust_store_add (PbTrustStore    *self,
                    const char      *host,
                    guint16          port,
                    GTlsCertificate *certificate)
{
  Pin *pin;

  g_return_if_fail (PB_IS_TRUST_STORE (self));
  g_return_if_fail (host != NULL);
  g_return_if_fail (G_IS_TLS_CERTIFICATE (certificate));

  pin = g_new0 (Pin, 1);
  pin->sha256 = pb_certificate_get_sha256 (certificate);
  /* Only this certificate, never a private key or the rest of the chain. */
  g_object_get (certificate, "certificate-pem", &pin->pem, NULL);
  pin->pinned_at = g_date_time_new_now_utc ();

  g_hash_table_replace (self->pins, pb_trust_key (host, port), pin);
}

gboolean
pb_trust_store_remove (PbTrustStore  *self,
                       const char    *host,
                       guint16        port,
                       GError       **error)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  key = pb_trust_key (host, port);
  if (!g_hash_table_remove (self->pins, key))
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND,
                   _("No certificate is trusted for %s"), key);
      return FALSE;
    }
  return TRUE;
}

char **
pb_trust_store_list_keys (PbTrustStore *self)
{
  g_return_val_if_fail (PB_IS_TRUST_STORE (self), NULL);

  return sorted_keys (self->pins);
}

/* ---- Following trust.ini ------------------------------------------------ */

/* Atomic writes come as a burst of events (temporary created, written,
 * renamed over trust.ini): one reload for the burst. */
#define RELOAD_DELAY_MS 50

typedef struct
{
  guint64 generation;
  ReadOutcome outcome;
  GHashTable *pins;
  char *reason;
  GError *error;
} Reload;

static void
reload_free (Reload *reload)
{
  g_clear_pointer (&reload->pins, g_hash_table_unref);
  g_free (reload->reason);
  g_clear_error (&reload->error);
  g_free (reload);
}

static void schedule_reload (PbTrustStore *self);

/* In a thread: a slow disk or a file grown huge must not stall the applet. */
static void
reload_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Reload *reload = task_data;
  const char *path = g_object_get_data (G_OBJECT (task), "path");

  reload->outcome = read_pins (path, &reload->pins, &reload->reason, &reload->error);
  g_task_return_boolean (task, TRUE);
}

static void
on_reloaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  PbTrustStore *self = PB_TRUST_STORE (source);
  Reload *reload = g_task_get_task_data (G_TASK (result));

  self->reloading = FALSE;
  if (self->monitor == NULL)
    return;

  /* Memory was set from the file, or the file from memory, after this read began:
   * what it read may be older than both. Read again. */
  if (reload->generation != self->generation)
    {
      schedule_reload (self);
      return;
    }

  if (reload->error != NULL)
    g_debug ("%s", reload->error->message);
  if (take_in (self, reload->outcome, reload->pins, g_steal_pointer (&reload->reason)))
    {
      g_debug ("%s changed: %u pins now", self->path, g_hash_table_size (self->pins));
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
    }
}

static gboolean
start_reload (gpointer user_data)
{
  PbTrustStore *self = user_data;
  g_autoptr(GTask) task = NULL;
  Reload *reload;

  self->reload_source = 0;
  if (self->reloading)
    {
      /* One read at a time; the running one's result is dropped and read again. */
      self->generation++;
      return G_SOURCE_REMOVE;
    }

  reload = g_new0 (Reload, 1);
  reload->generation = self->generation;
  task = g_task_new (self, NULL, on_reloaded, NULL);
  g_task_set_source_tag (task, start_reload);
  g_task_set_task_data (task, reload, (GDestroyNotify) reload_free);
  g_object_set_data_full (G_OBJECT (task), "path", g_strdup (self->path), g_free);
  self->reloading = TRUE;
  g_task_run_in_thread (task, reload_thread);
  return G_SOURCE_REMOVE;
}

static void
schedule_reload (PbTrustStore *self)
{
  if (self->reload_source == 0)
    self->reload_source = g_timeout_add (RELOAD_DELAY_MS, start_reload, self);
}

static void
on_directory_changed (GFileMonitor      *monitor,
                      GFile             *file,
                      GFile             *other_file,
                      GFileMonitorEvent  event,
                      gpointer           user_data)
{
  PbTrustStore *self = user_data;
  g_autofree char *name = g_path_get_basename (self->path);
  g_autofree char *file_name = file ? g_file_get_basename (file) : NULL;
  g_autofree char *other_name = other_file ? g_file_get_basename (other_file) : NULL;

  /* A rename of the temporary over trust.ini names it as the other file. */
  if (g_strcmp0 (file_name, name) == 0 || g_strcmp0 (other_name, name) == 0)
    schedule_reload (self);
}

const char *
pb_trust_store_get_path (PbTrustStore *self)
{
  g_return_val_if_fail (PB_IS_TRUST_STORE (self), NULL);

  return self->path;
}

gboolean
pb_trust_store_watch (PbTrustStore  *self,
                      GError       **error)
{
  g_autofree char *dir = NULL;
  g_autoptr(GFile) directory = NULL;

  g_return_val_if_fail (PB_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->monitor != NULL)
    return TRUE;

  /* The directory, not the file: an atomic write replaces the file's inode,
   * which a monitor on the file itself would stop seeing. It is made here
   * (as the first save would) so that the first pin another process makes
   * is seen too. */
  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  directory = g_file_new_for_path (dir);
  self->monitor = g_file_monitor_directory (directory, G_FILE_MONITOR_WATCH_MOVES, NULL, error);
  if (self->monitor == NULL)
    return FALSE;
  g_signal_connect (self->monitor, "changed", G_CALLBACK (on_directory_changed), self);
  return TRUE;
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
