/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-trust-store"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-certificate.h"
#include "pb-error.h"
#include "pb-files.h"
#include "pb-trust-store.h"


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

