/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-seen-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pb-account.h"
#include "pb-error.h"
#include "pb-files.h"
#include "pb-seen-store.h"

/* Messages without a UIDL kept as not yet acknowledged, at most: as many as
 * one check previews (PB_CHECK_MAX_PREVIEWS). */
#define MAX_UNACKNOWLEDGED_WITHOUT_UIDL 50

/* The state file is line based so that a mailbox of 100,000 messages loads and
 * saves in a few milliseconds, and so that it can be read with `less`:
 *
 *   popbell-state 1
 *   initialized 1
 *   last-total 42
 *   last-check 1700000000
 *   seen <uidl>                        (one line per UIDL on the server)
 *   message uidl=<v>\tsubject=<v>…     (one line per unacknowledged message)
 *   end
 *
 * A UIDL is 1-70 printable ASCII characters without spaces (RFC 1939), so it
 * needs no escaping. Message fields come from untrusted mail: each value is
 * escaped with g_strescape(), which turns every control character (tab and
 * newline included) and the backslash into escapes; UTF-8 is left readable.
 * A field that is absent is NULL; present but empty is "". The closing "end"
 * line tells a complete file from a truncated one. */

#define STATE_MAGIC     "popbell-state"
#define STATE_VERSION   1
#define UIDL_MAX_LENGTH 70

/* The time of a check that changed nothing is worth a rewrite of the file
 * (which can hold 100,000 UIDLs) only this often: what other processes read
 * of it (popbell --list-accounts, a --check after the applet) is at most
 * this old. */
#define LAST_CHECK_SAVE_INTERVAL (60 * 60)

/* The header lines come first and fit in this much. */
#define HEADER_PEEK_BYTES 4096

struct _PbSeenStore
{
  GObject     parent_instance;

  char       *path;

  gboolean    initialized;
  gint64      last_total;     /* -1 unknown */
  gint64      last_check;     /* unix time, 0 never */
  gint64      saved_last_check; /* last_check as the file has it */
  char       *last_uidl;      /* UIDL of the last message at the last check, or NULL */
  gint64      last_listing;   /* unix time of the last full UIDL listing, 0 never */
  GHashTable *seen;           /* char* UIDL set, keys in seen_storage */
  GStringChunk *seen_storage; /* one block per 16 KiB of UIDLs, not one per UIDL */
  GPtrArray  *unacknowledged; /* PbMessage*, oldest first */

  /* Whether memory differs from the file, so that an idle save does no I/O. */
  gboolean    dirty;
  /* Why the file could not be read, while it is still there unread: saving would
   * replace what the user has seen with an empty state. */
  char       *unreadable;
};

enum
{
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PbSeenStore, pb_seen_store, G_TYPE_OBJECT)

typedef enum
{
  FIELD_UIDL,
  FIELD_FROM,
  FIELD_FROM_NAME,
  FIELD_FROM_ADDRESS,
  FIELD_SUBJECT,
  FIELD_DATE,
  FIELD_MESSAGE_ID,
  N_FIELDS
} Field;

static const char *const field_names[N_FIELDS] = {
  [FIELD_UIDL] = "uidl",
  [FIELD_FROM] = "from",
  [FIELD_FROM_NAME] = "from-name",
  [FIELD_FROM_ADDRESS] = "from-address",
  [FIELD_SUBJECT] = "subject",
  [FIELD_DATE] = "date",
  [FIELD_MESSAGE_ID] = "message-id",
};

static gboolean
uidl_is_valid_len (const char *uidl,
                   gsize       len)
{
  if (len < 1 || len > UIDL_MAX_LENGTH)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) uidl[i];

      if (c < 0x21 || c > 0x7e)
        return FALSE;
    }

  return TRUE;
}

static gboolean
uidl_is_valid (const char *uidl)
{
  return uidl != NULL && uidl_is_valid_len (uidl, strnlen (uidl, UIDL_MAX_LENGTH + 1));
}

/* UIDLs are often counters in hex ("%08X%08X" in Dovecot): g_str_hash gives
 * them neighbouring values, and the table's probing then degrades into long
 * chains of strcmp. A final avalanche step (MurmurHash3's fmix32) spreads
 * them; it made a check of 100,000 messages spend 10x less time hashing. */
static guint
uidl_hash (gconstpointer key)
{
  guint32 h = g_str_hash (key);

  h ^= h >> 16;
  h *= 0x85ebca6bU;
  h ^= h >> 13;
  h *= 0xc2b2ae35U;
  h ^= h >> 16;
  return h;
}

static GHashTable *
new_uidl_set (void)
{
  return g_hash_table_new (uidl_hash, g_str_equal);
}

static GPtrArray *
new_message_list (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
}

/* The inverse of g_strescape(), but returning NULL on malformed input where
 * g_strcompress() would warn or silently produce something else: a trailing
 * backslash, an unknown escape, or an octal escape for NUL or above 0xFF. */
static char *
unescape (const char *text,
          gsize       len)
{
  g_autoptr(GString) out = g_string_sized_new (len);
  const char *end = text + len;

  for (const char *p = text; p < end; p++)
    {
      if (*p != '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }

      if (++p == end)
        return NULL;

      switch (*p)
        {
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'v': g_string_append_c (out, '\v'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '"': g_string_append_c (out, '"'); break;
        case '0': case '1': case '2': case '3':
        case '4': case '5': case '6': case '7':
          {
            guint value = 0;
            guint digits = 0;

            while (digits < 3 && p < end && *p >= '0' && *p <= '7')
              {
                value = value * 8 + (guint) (*p - '0');
                digits++;
                p++;
              }
            p--;

            if (value == 0 || value > 0xff)
              return NULL;
            g_string_append_c (out, (char) value);
          }
          break;
        default:
          return NULL;
        }
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
append_field (GString    *out,
              gboolean   *first,
              Field       field,
              const char *value)
{
  char exceptions[129];
  g_autofree char *escaped = NULL;

  if (value == NULL)
    return;

  /* Bytes of UTF-8 sequences stay as they are, so that the file stays legible. */
  for (guint i = 0; i < 128; i++)
    exceptions[i] = (char) (0x80 + i);
  exceptions[128] = '\0';

  escaped = g_strescape (value, exceptions);
  if (!*first)
    g_string_append_c (out, '\t');
  *first = FALSE;
  g_string_append (out, field_names[field]);
  g_string_append_c (out, '=');
  g_string_append (out, escaped);
}

static void
append_message (GString         *out,
                const PbMessage *message)
{
  gboolean first = TRUE;

  g_string_append (out, "message ");
  append_field (out, &first, FIELD_UIDL, message->uidl);
  append_field (out, &first, FIELD_FROM, message->from);
  append_field (out, &first, FIELD_FROM_NAME, message->from_name);
  append_field (out, &first, FIELD_FROM_ADDRESS, message->from_address);
  append_field (out, &first, FIELD_SUBJECT, message->subject);
  if (message->date != NULL)
    {
      g_autofree char *date = g_date_time_format_iso8601 (message->date);

      append_field (out, &first, FIELD_DATE, date);
    }
  append_field (out, &first, FIELD_MESSAGE_ID, message->message_id);
  g_string_append_c (out, '\n');
}

/* Parses the part of a "message" line after the keyword. */
static PbMessage *
parse_message (const char *text,
               gsize       len)
{
  g_autoptr(PbMessage) message = pb_message_new ();
  const char *end = text + len;
  const char *p = text;
  gboolean seen_fields[N_FIELDS] = { FALSE, };

  while (p < end)
    {
      const char *field_end = memchr (p, '\t', (gsize) (end - p));
      const char *equals;
      g_autofree char *value = NULL;
      Field field = N_FIELDS;

      if (field_end == NULL)
        field_end = end;

      equals = memchr (p, '=', (gsize) (field_end - p));
      if (equals == NULL)
        return NULL;

      for (guint i = 0; i < N_FIELDS; i++)
        {
          if ((gsize) (equals - p) == strlen (field_names[i]) &&
              memcmp (p, field_names[i], (gsize) (equals - p)) == 0)
            {
              field = (Field) i;
              break;
            }
        }
      if (field == N_FIELDS || seen_fields[field])
        return NULL;
      seen_fields[field] = TRUE;

      value = unescape (equals + 1, (gsize) (field_end - equals - 1));
      if (value == NULL || !g_utf8_validate (value, -1, NULL))
        return NULL;

      switch (field)
        {
        case FIELD_UIDL:
          if (!uidl_is_valid (value))
            return NULL;
          message->uidl = g_steal_pointer (&value);
          break;
        case FIELD_FROM:
          message->from = g_steal_pointer (&value);
          break;
        case FIELD_FROM_NAME:
          message->from_name = g_steal_pointer (&value);
          break;
        case FIELD_FROM_ADDRESS:
          message->from_address = g_steal_pointer (&value);
          break;
        case FIELD_SUBJECT:
          message->subject = g_steal_pointer (&value);
          break;
        case FIELD_DATE:
          message->date = g_date_time_new_from_iso8601 (value, NULL);
          if (message->date == NULL)
            return NULL;
          break;
        case FIELD_MESSAGE_ID:
          message->message_id = g_steal_pointer (&value);
          break;
        case N_FIELDS:
        default:
          g_assert_not_reached ();
        }

      p = field_end + 1;
    }

  return g_steal_pointer (&message);
}

static gboolean
parse_int64 (const char *text,
             gsize       len,
             gint64      min,
             gint64     *out)
{
  g_autofree char *copy = g_strndup (text, len);

  return g_ascii_string_to_signed (copy, 10, min, G_MAXINT64, out, NULL);
}

static gboolean
keyword_is (const char *line,
            gsize       len,
            const char *keyword,
            gsize       keyword_len)
{
  return len > keyword_len && line[keyword_len] == ' ' && memcmp (line, keyword, keyword_len) == 0;
}

#define KEYWORD_IS(line, len, keyword) keyword_is (line, len, keyword, sizeof keyword - 1)

static gboolean
header_once (guint      *seen,
             guint       bit,
             const char *keyword,
             char      **reason)
{
  if (*seen & bit)
    {
      *reason = g_strdup_printf ("a second %s line", keyword);
      return FALSE;
    }
  *seen |= bit;
  return TRUE;
}

/* Fills @self from @data (NUL-terminated, @len bytes). On failure @self is
 * left partly filled and *@reason says what was wrong. */
static gboolean
parse_state (PbSeenStore  *self,
             const char   *data,
             gsize         len,
             char        **reason)
{
  static const char header[] = STATE_MAGIC " ";
  g_autoptr(GHashTable) unacknowledged_uidls = g_hash_table_new (g_str_hash, g_str_equal);
  const char *end = data + len;
  const char *p = data;
  gboolean ended = FALSE;
  guint line_number = 0;
  /* Each header line at most once: no writer repeats one, and a reader of
   * the header alone (pb_seen_store_peek_last_check) takes the first. */
  guint header_seen = 0;

  if (strlen (data) != len)
    {
      *reason = g_strdup ("a NUL byte");
      return FALSE;
    }

  while (p < end)
    {
      const char *newline = memchr (p, '\n', (gsize) (end - p));
      const char *line = p;
      gsize line_len;

      line_number++;
      if (newline == NULL)
        {
          *reason = g_strdup_printf ("line %u is not terminated", line_number);
          return FALSE;
        }
      line_len = (gsize) (newline - line);
      p = newline + 1;

      if (ended)
        {
          *reason = g_strdup ("text after the end line");
          return FALSE;
        }

      if (line_number == 1)
        {
          gint64 version;

          if (line_len <= sizeof header - 1 || memcmp (line, header, sizeof header - 1) != 0 ||
              !parse_int64 (line + sizeof header - 1, line_len - (sizeof header - 1), 0,
                            &version))
            {
              *reason = g_strdup ("no header");
              return FALSE;
            }
          if (version != STATE_VERSION)
            {
              *reason = g_strdup_printf ("unsupported version %" G_GINT64_FORMAT, version);
              return FALSE;
            }
          continue;
        }

      /* The most frequent line first. */
      if (KEYWORD_IS (line, line_len, "seen"))
        {
          const char *uidl = line + 5;
          gsize uidl_len = line_len - 5;

          if (!uidl_is_valid_len (uidl, uidl_len))
            {
              *reason = g_strdup_printf ("invalid UIDL on line %u", line_number);
              return FALSE;
            }
          g_hash_table_add (self->seen,
                            g_string_chunk_insert_len (self->seen_storage, uidl, uidl_len));
        }
      else if (KEYWORD_IS (line, line_len, "message"))
        {
          PbMessage *message = parse_message (line + 8, line_len - 8);

          if (message == NULL)
            {
              *reason = g_strdup_printf ("invalid message on line %u", line_number);
              return FALSE;
            }
          if (message->uidl != NULL)
            {
              if (g_hash_table_contains (unacknowledged_uidls, message->uidl))
                {
                  pb_message_free (message);
                  *reason = g_strdup_printf ("repeated message on line %u", line_number);
                  return FALSE;
                }
              g_hash_table_add (unacknowledged_uidls, message->uidl);
            }
          g_ptr_array_add (self->unacknowledged, message);
        }
      else if (KEYWORD_IS (line, line_len, "initialized"))
        {
          gint64 value;

          if (!header_once (&header_seen, 1, "initialized", reason))
            return FALSE;
          if (!parse_int64 (line + 12, line_len - 12, 0, &value) || value > 1)
            {
              *reason = g_strdup ("invalid initialized flag");
              return FALSE;
            }
          self->initialized = value != 0;
        }
      else if (KEYWORD_IS (line, line_len, "last-total"))
        {
          if (!header_once (&header_seen, 2, "last-total", reason))
            return FALSE;
          if (!parse_int64 (line + 11, line_len - 11, -1, &self->last_total))
            {
              *reason = g_strdup ("invalid last-total");
              return FALSE;
            }
        }
      else if (KEYWORD_IS (line, line_len, "last-uidl"))
        {
          g_autofree char *uidl = g_strndup (line + 10, line_len - 10);

          if (!header_once (&header_seen, 4, "last-uidl", reason))
            return FALSE;
          if (!uidl_is_valid (uidl))
            {
              *reason = g_strdup ("invalid last-uidl");
              return FALSE;
            }
          g_free (self->last_uidl);
          self->last_uidl = g_steal_pointer (&uidl);
        }
      else if (KEYWORD_IS (line, line_len, "last-listing"))
        {
          if (!header_once (&header_seen, 8, "last-listing", reason))
            return FALSE;
          if (!parse_int64 (line + 13, line_len - 13, 0, &self->last_listing))
            {
              *reason = g_strdup ("invalid last-listing");
              return FALSE;
            }
        }
      else if (KEYWORD_IS (line, line_len, "last-check"))
        {
          if (!header_once (&header_seen, 16, "last-check", reason))
            return FALSE;
          if (!parse_int64 (line + 11, line_len - 11, 0, &self->last_check))
            {
              *reason = g_strdup ("invalid last-check");
              return FALSE;
            }
        }
      else if (line_len == 3 && memcmp (line, "end", 3) == 0)
        {
          ended = TRUE;
        }
      else
        {
          *reason = g_strdup_printf ("unknown line %u", line_number);
          return FALSE;
        }
    }

  if (!ended)
    {
      *reason = g_strdup (line_number == 0 ? "an empty file" : "no end line (truncated)");
      return FALSE;
    }

  return TRUE;
}

static void
reset (PbSeenStore *self)
{
  self->initialized = FALSE;
  self->last_total = -1;
  self->last_check = 0;
  self->saved_last_check = 0;
  g_clear_pointer (&self->last_uidl, g_free);
  self->last_listing = 0;
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_clear_pointer (&self->seen_storage, g_string_chunk_free);
  self->seen = new_uidl_set ();
  self->seen_storage = g_string_chunk_new (16 * 1024);
  g_clear_pointer (&self->unacknowledged, g_ptr_array_unref);
  self->unacknowledged = new_message_list ();
  self->dirty = FALSE;
}

static void
pb_seen_store_finalize (GObject *object)
{
  PbSeenStore *self = PB_SEEN_STORE (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->unreadable, g_free);
  g_clear_pointer (&self->last_uidl, g_free);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_clear_pointer (&self->seen_storage, g_string_chunk_free);
  g_clear_pointer (&self->unacknowledged, g_ptr_array_unref);

  G_OBJECT_CLASS (pb_seen_store_parent_class)->finalize (object);
}

static void
pb_seen_store_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PbSeenStore *self = PB_SEEN_STORE (object);

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
pb_seen_store_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  PbSeenStore *self = PB_SEEN_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_seen_store_class_init (PbSeenStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pb_seen_store_finalize;
  object_class->get_property = pb_seen_store_get_property;
  object_class->set_property = pb_seen_store_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pb_seen_store_init (PbSeenStore *self)
{
  reset (self);
}

PbSeenStore *
pb_seen_store_new (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (PB_TYPE_SEEN_STORE, "path", path, NULL);
}

char *
pb_seen_store_path_for_account (const char *account_id)
{
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;

  /* The ID becomes a file name: a '/' or ".." in it must never get this far. */
  g_return_val_if_fail (pb_account_id_is_valid (account_id), NULL);

  dir = pb_files_state_dir ();
  name = g_strconcat (account_id, ".state", NULL);
  return g_build_filename (dir, name, NULL);
}

const char *
pb_seen_store_get_path (PbSeenStore *self)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), NULL);

  return self->path;
}

gboolean
pb_seen_store_load (PbSeenStore  *self,
                    GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *aside = NULL;
  gsize len = 0;

  g_return_val_if_fail (PB_IS_SEEN_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  reset (self);
  g_clear_pointer (&self->unreadable, g_free);

  if (!pb_files_read (self->path, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_debug ("No state at %s yet", self->path);
          return TRUE;
        }

      /* Not corrupt, only out of reach (EACCES, EIO, not a file): it stays where it is. */
      self->unreadable = g_strdup (local_error->message);
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO,
                   _("Could not read the state file: %s"), local_error->message);
      return FALSE;
    }

  if (parse_state (self, contents, len, &reason))
    {
      self->saved_last_check = self->last_check;
      g_debug ("Loaded %u UIDLs and %u unacknowledged messages from %s",
               g_hash_table_size (self->seen), self->unacknowledged->len, self->path);
      return TRUE;
    }

  /* Half a state is worse than none: an uninitialized store takes the mailbox
   * as seen at the next check instead of announcing every message in it. */
  reset (self);
  g_debug ("The state file %s is corrupt: %s", self->path, reason);

  aside = pb_files_set_aside (self->path, error);
  if (aside == NULL)
    {
      self->unreadable = g_strdup (reason);
      return FALSE;
    }

  g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT,
               _("The state file %s was unreadable and has been moved to %s"),
               self->path, aside);
  return FALSE;
}

gboolean
pb_seen_store_save (PbSeenStore  *self,
                    GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GString) out = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (PB_IS_SEEN_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!self->dirty)
    return TRUE;

  if (self->unreadable != NULL)
    {
      pb_files_set_unreadable_error (error, self->path, self->unreadable);
      return FALSE;
    }

  /* Room for typical UIDLs (up to about 30 characters) without regrowing. */
  out = g_string_sized_new (128 + g_hash_table_size (self->seen) * 40);
  g_string_append_printf (out,
                          STATE_MAGIC " %d\n"
                          "initialized %d\n"
                          "last-total %" G_GINT64_FORMAT "\n"
                          "last-check %" G_GINT64_FORMAT "\n",
                          STATE_VERSION, self->initialized ? 1 : 0,
                          self->last_total, self->last_check);
  if (self->last_uidl != NULL)
    g_string_append_printf (out, "last-uidl %s\n", self->last_uidl);
  if (self->last_listing > 0)
    g_string_append_printf (out, "last-listing %" G_GINT64_FORMAT "\n", self->last_listing);

  g_hash_table_iter_init (&iter, self->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_string_append_len (out, "seen ", 5);
      g_string_append (out, key);
      g_string_append_c (out, '\n');
    }

  for (guint i = 0; i < self->unacknowledged->len; i++)
    append_message (out, g_ptr_array_index (self->unacknowledged, i));

  g_string_append (out, "end\n");

  if (!pb_files_write_atomic (self->path, out->str, (gssize) out->len, 0600, &local_error))
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO,
                   _("Could not save the state file: %s"), local_error->message);
      return FALSE;
    }

  self->dirty = FALSE;
  self->saved_last_check = self->last_check;
  return TRUE;
}

gboolean
pb_seen_store_is_initialized (PbSeenStore *self)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), FALSE);

  return self->initialized;
}

gboolean
pb_seen_store_contains (PbSeenStore *self,
                        const char  *uidl)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), FALSE);
  g_return_val_if_fail (uidl != NULL, FALSE);

  return g_hash_table_contains (self->seen, uidl);
}

guint
pb_seen_store_get_n_seen (PbSeenStore *self)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), 0);

  return g_hash_table_size (self->seen);
}

gint64
pb_seen_store_get_last_total (PbSeenStore *self)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), -1);

  return self->last_total;
}

gint64
pb_seen_store_get_last_check (PbSeenStore *self)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), 0);

  return self->last_check;
}

gint64
pb_seen_store_peek_last_check (const char *path)
{
  static const char header[] = STATE_MAGIC " " G_STRINGIFY (STATE_VERSION) "\n";
  char buffer[HEADER_PEEK_BYTES + 1];
  gsize len = 0;
  const char *line;
  int fd;

  g_return_val_if_fail (path != NULL, 0);

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  while (len < HEADER_PEEK_BYTES)
    {
      gssize n = read (fd, buffer + len, HEADER_PEEK_BYTES - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (gsize) n;
    }
  g_close (fd, NULL);
  buffer[len] = '\0';
  if (strncmp (buffer, header, sizeof header - 1) != 0)
    return 0;

  /* Only the header lines, which come before the first "seen" line. */
  for (line = buffer; line != NULL && *line != '\0';)
    {
      const char *end = strchr (line, '\n');
      gint64 value;

      if (end == NULL)
        break;
      if (KEYWORD_IS (line, (gsize) (end - line), "last-check"))
        return parse_int64 (line + 11, (gsize) (end - line) - 11, 0, &value) ? value : 0;
      if (KEYWORD_IS (line, (gsize) (end - line), "seen") ||
          KEYWORD_IS (line, (gsize) (end - line), "message"))
        break;
      line = end + 1;
    }
  return 0;
}

/* TRUE when @uidls (ignoring invalid ones, which are never stored) are
 * exactly the members of @set. */
static gboolean
same_uidls (GHashTable         *set,
            const char * const *uidls,
            guint               n_uidls)
{
  guint n_valid = 0;

  for (guint i = 0; i < n_uidls; i++)
    {
      if (!uidl_is_valid (uidls[i]))
        continue;
      if (!g_hash_table_contains (set, uidls[i]))
        return FALSE;
      n_valid++;
    }

  /* A duplicate UIDL from the server would make the counts differ; then the
   * set is rebuilt, which is always right. */
  return n_valid == g_hash_table_size (set);
}

/* Adds copies of @new_messages (may be NULL) to the unacknowledged list,
 * each UIDL once. */
static void
add_unacknowledged (PbSeenStore *self,
                    GPtrArray   *new_messages)
{
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < self->unacknowledged->len; i++)
    {
      PbMessage *message = g_ptr_array_index (self->unacknowledged, i);

      if (message->uidl != NULL)
        g_hash_table_add (listed, message->uidl);
    }

  for (guint i = 0; new_messages != NULL && i < new_messages->len; i++)
    {
      const PbMessage *message = g_ptr_array_index (new_messages, i);
      PbMessage *copy;

      g_return_if_fail (message != NULL);

      if (message->uidl != NULL && !uidl_is_valid (message->uidl))
        {
          g_debug ("Ignoring a new message with an invalid UIDL");
          continue;
        }
      if (message->uidl != NULL && g_hash_table_contains (listed, message->uidl))
        continue;

      copy = pb_message_copy (message);
      g_ptr_array_add (self->unacknowledged, copy);
      if (copy->uidl != NULL)
        g_hash_table_add (listed, copy->uidl);
    }
}

/* Sets the time of a check to now; a rewrite for it alone comes at most
 * every LAST_CHECK_SAVE_INTERVAL. */
static void
set_checked_now (PbSeenStore *self)
{
  self->last_check = g_get_real_time () / G_USEC_PER_SEC;
  if (self->last_check - self->saved_last_check >= LAST_CHECK_SAVE_INTERVAL)
    self->dirty = TRUE;
}

void
pb_seen_store_record_check (PbSeenStore        *self,
                            const char * const *server_uidls,
                            guint               n_uidls,
                            guint               total,
                            GPtrArray          *new_messages)
{
  guint n_unacknowledged;
  gboolean changed = FALSE;

  g_return_if_fail (PB_IS_SEEN_STORE (self));
  g_return_if_fail (server_uidls != NULL || n_uidls == 0);

  n_unacknowledged = self->unacknowledged->len;

  /* Usually nothing changed: then the set is kept as it is, and the file
   * (which can hold 100,000 UIDLs) is not rewritten. */
  if (server_uidls != NULL && !same_uidls (self->seen, server_uidls, n_uidls))
    {
      g_autoptr(GHashTable) seen = new_uidl_set ();
      GStringChunk *storage = g_string_chunk_new (16 * 1024);

      for (guint i = 0; i < n_uidls; i++)
        {
          /* A UIDL that could not be written back would make the file unreadable. */
          if (!uidl_is_valid (server_uidls[i]))
            {
              g_debug ("Ignoring an invalid UIDL from the server");
              continue;
            }
          g_hash_table_add (seen, g_string_chunk_insert (storage, server_uidls[i]));
        }

      g_clear_pointer (&self->seen, g_hash_table_unref);
      self->seen = g_steal_pointer (&seen);
      g_clear_pointer (&self->seen_storage, g_string_chunk_free);
      self->seen_storage = storage;
      changed = TRUE;
    }

  add_unacknowledged (self, new_messages);

  /* Without UIDLs nothing says which messages are gone. A mailbox that
   * shrank lost some of them, maybe all: those from earlier checks go. And
   * never more of them than the mailbox holds, nor than one check lists, so
   * they can't pile up check after check. */
  if (server_uidls == NULL)
    {
      guint keep = MIN (total, MAX_UNACKNOWLEDGED_WITHOUT_UIDL);
      guint without = 0;

      if (self->initialized && self->last_total >= 0 && total < (guint64) self->last_total)
        for (guint i = n_unacknowledged; i > 0; i--)
          {
            PbMessage *message = g_ptr_array_index (self->unacknowledged, i - 1);

            if (message->uidl == NULL)
              g_ptr_array_remove_index (self->unacknowledged, i - 1);
          }

      for (guint i = self->unacknowledged->len; i > 0; i--)
        {
          PbMessage *message = g_ptr_array_index (self->unacknowledged, i - 1);

          if (message->uidl == NULL && ++without > keep)
            g_ptr_array_remove_index (self->unacknowledged, i - 1);
        }
    }
  else
    {
      for (guint i = self->unacknowledged->len; i > 0; i--)
        {
          PbMessage *message = g_ptr_array_index (self->unacknowledged, i - 1);

          if (message->uidl != NULL && !g_hash_table_contains (self->seen, message->uidl))
            g_ptr_array_remove_index (self->unacknowledged, i - 1);
        }
    }

  if (self->unacknowledged->len != n_unacknowledged || self->last_total != (gint64) total ||
      !self->initialized)
    changed = TRUE;

  self->last_total = total;
  self->initialized = TRUE;
  set_checked_now (self);
  if (changed)
    self->dirty = TRUE;
}

void
pb_seen_store_record_baseline (PbSeenStore        *self,
                               const char * const *server_uidls,
                               guint               n_uidls,
                               guint               total)
{
  g_return_if_fail (PB_IS_SEEN_STORE (self));

  pb_seen_store_record_check (self, server_uidls, n_uidls, total, NULL);
  /* A look at the mailbox, not a check of the account. */
  self->last_check = 0;
  self->dirty = TRUE;
}

void
pb_seen_store_record_unchanged (PbSeenStore *self,
                                guint        total)
{
  g_return_if_fail (PB_IS_SEEN_STORE (self));

  if (self->last_total != (gint64) total || !self->initialized)
    self->dirty = TRUE;
  self->last_total = total;
  self->initialized = TRUE;
  set_checked_now (self);
}

void
pb_seen_store_record_appended (PbSeenStore        *self,
                               const char * const *new_uidls,
                               guint               n_uidls,
                               guint               total,
                               GPtrArray          *new_messages)
{
  g_return_if_fail (PB_IS_SEEN_STORE (self));
  g_return_if_fail (new_uidls != NULL || n_uidls == 0);

  for (guint i = 0; i < n_uidls; i++)
    {
      if (!uidl_is_valid (new_uidls[i]))
        {
          g_debug ("Ignoring an invalid UIDL from the server");
          continue;
        }
      if (!g_hash_table_contains (self->seen, new_uidls[i]))
        g_hash_table_add (self->seen, g_string_chunk_insert (self->seen_storage, new_uidls[i]));
    }
  add_unacknowledged (self, new_messages);

  self->last_total = total;
  self->initialized = TRUE;
  set_checked_now (self);
  self->dirty = TRUE;
}

const char *
pb_seen_store_get_last_uidl (PbSeenStore *self)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), NULL);
  return self->last_uidl;
}

gint64
pb_seen_store_get_last_listing (PbSeenStore *self)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), 0);
  return self->last_listing;
}

void
pb_seen_store_set_boundary (PbSeenStore *self,
                            const char  *last_uidl,
                            gboolean     full_listing)
{
  g_return_if_fail (PB_IS_SEEN_STORE (self));

  if (last_uidl != NULL && !uidl_is_valid (last_uidl))
    last_uidl = NULL;
  if (g_strcmp0 (last_uidl, self->last_uidl) != 0)
    {
      g_free (self->last_uidl);
      self->last_uidl = g_strdup (last_uidl);
      self->dirty = TRUE;
    }
  if (full_listing)
    {
      self->last_listing = g_get_real_time () / G_USEC_PER_SEC;
      self->dirty = TRUE;
    }
}

GPtrArray *
pb_seen_store_get_unacknowledged (PbSeenStore *self)
{
  g_return_val_if_fail (PB_IS_SEEN_STORE (self), NULL);

  return self->unacknowledged;
}

void
pb_seen_store_acknowledge_all (PbSeenStore *self)
{
  g_return_if_fail (PB_IS_SEEN_STORE (self));

  if (self->unacknowledged->len == 0)
    return;

  g_ptr_array_set_size (self->unacknowledged, 0);
  self->dirty = TRUE;
}
