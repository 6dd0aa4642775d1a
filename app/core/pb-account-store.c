/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-account-store"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-account-store.h"
#include "pb-error.h"
#include "pb-files.h"

#define KEY_NAME     "name"
#define KEY_HOST     "host"
#define KEY_PORT     "port"
#define KEY_SECURITY "security"
#define KEY_USER     "user"
#define KEY_ENABLED  "enabled"
#define KEY_INTERVAL "interval"
#define KEY_CA_FILE  "ca-file"
#define KEY_OAUTH2_PROVIDER "oauth2-provider"
#define KEY_NOTIFY_NEW_MAIL "notify-new-mail"
#define KEY_SOUND           "sound"
#define KEY_NOTIFY_PROBLEMS "notify-problems"
#define KEY_WEBMAIL         "webmail"

struct _PbAccountStore
{
  GObject    parent_instance;

  char      *path;
  /* The file as loaded, so that saving keeps comments, unknown keys and the
   * groups that could not be read as accounts. */
  GKeyFile  *key_file;
  GPtrArray *accounts; /* PbAccount*, in file order */
  /* Why the file could not be read, while it is still there unread: saving
   * would replace the user's accounts with the few (or none) in memory. */
  char      *unreadable;
};

enum
{
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PbAccountStore, pb_account_store, G_TYPE_OBJECT)

/* A password must never live in this file. Should someone put one there by
 * hand, it is neither used nor written back. */
static gboolean
is_secret_key (const char *key)
{
  static const char *const names[] = { "password", "pass", "secret" };
  g_autofree char *base = g_strdup (key);
  char *locale = strchr (base, '[');

  if (locale != NULL)
    *locale = '\0';
  g_strstrip (base);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (g_ascii_strcasecmp (base, names[i]) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
drop_secret_keys (GKeyFile *key_file)
{
  g_auto(GStrv) groups = g_key_file_get_groups (key_file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (key_file, groups[i], NULL, NULL);

      for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
        {
          if (is_secret_key (keys[j]))
            {
              g_debug ("Ignoring the key “%s” of [%s]: passwords belong in the keyring",
                       keys[j], groups[i]);
              g_key_file_remove_key (key_file, groups[i], keys[j], NULL);
            }
        }
    }
}

/* GKeyFile reads the last copy of a repeated key but removes only that copy,
 * so an earlier one would come back with the next save: a CA file or port
 * the user overrode, or a password. Replaces *@key_file, if it repeats a key,
 * by one holding each key once with the value that counts, comments kept
 * (GKeyFile gives the file's top comment as the first group's). */
static void
drop_repeated_keys (GKeyFile **key_file)
{
  g_autoptr(GKeyFile) unique = NULL;
  g_auto(GStrv) groups = g_key_file_get_groups (*key_file, NULL);
  gboolean repeated = FALSE;

  for (guint i = 0; groups[i] != NULL && !repeated; i++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (*key_file, groups[i], NULL, NULL);
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint j = 0; keys != NULL && keys[j] != NULL && !repeated; j++)
        repeated = !g_hash_table_add (seen, keys[j]);
    }
  if (!repeated)
    return;

  unique = g_key_file_new ();
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (*key_file, groups[i], NULL, NULL);
      g_autofree char *group_comment = g_key_file_get_comment (*key_file, groups[i], NULL, NULL);

      for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
        {
          g_autofree char *value = g_key_file_get_value (*key_file, groups[i], keys[j], NULL);
          g_autofree char *comment = NULL;

          if (value == NULL || g_key_file_has_key (unique, groups[i], keys[j], NULL))
            continue;
          g_key_file_set_value (unique, groups[i], keys[j], value);
          comment = g_key_file_get_comment (*key_file, groups[i], keys[j], NULL);
          if (comment != NULL)
            g_key_file_set_comment (unique, groups[i], keys[j], comment, NULL);
        }
      if (group_comment != NULL && g_key_file_has_group (unique, groups[i]))
        g_key_file_set_comment (unique, groups[i], NULL, group_comment, NULL);
    }

  g_key_file_unref (*key_file);
  *key_file = g_steal_pointer (&unique);
}

static gboolean
text_is_acceptable (const char *text)
{
  return text == NULL || (g_utf8_validate (text, -1, NULL) && strpbrk (text, "\r\n") == NULL);
}

static gboolean
validate_account (PbAccount  *account,
                  GError    **error)
{
  const char *id = pb_account_get_id (account);
  const char *host = pb_account_get_host (account);
  const char *user = pb_account_get_user (account);
  const char *texts[] = {
    pb_account_get_display_name (account),
    host,
    user,
    pb_account_get_ca_file (account),
  };

  if (!pb_account_id_is_valid (id))
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                   _("“%s” is not a valid account ID"), id != NULL ? id : "");
      return FALSE;
    }

  if (host == NULL || host[0] == '\0')
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                   _("The account “%s” has no server name"), id);
      return FALSE;
    }

  if (user == NULL || user[0] == '\0')
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                   _("The account “%s” has no user name"), id);
      return FALSE;
    }

  {
    g_autofree char *ascii = pb_host_name_normalize (host, error);

    if (ascii == NULL || !pb_user_name_check (user, error))
      {
        g_prefix_error (error, _("The account “%s”: "), id);
        return FALSE;
      }
  }

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      if (!text_is_acceptable (texts[i]))
        {
          g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                       _("The account “%s” contains a line break or invalid text"), id);
          return FALSE;
        }
    }

  if (pb_account_get_oauth2_provider (account) != NULL &&
      !pb_oauth2_provider_id_is_valid (pb_account_get_oauth2_provider (account)))
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                   _("“%s” is not a valid OAuth2 provider name"),
                   pb_account_get_oauth2_provider (account));
      return FALSE;
    }

  return TRUE;
}

/* Reads an optional string key. Returns FALSE if present but unusable. */
static gboolean
read_optional_string (GKeyFile    *key_file,
                      const char  *group,
                      const char  *key,
                      char       **out)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = NULL;

  *out = NULL;
  if (!g_key_file_has_key (key_file, group, key, NULL))
    return TRUE;

  value = g_key_file_get_string (key_file, group, key, &local_error);
  if (value == NULL)
    {
      g_debug ("[%s] %s: %s", group, key, local_error->message);
      return FALSE;
    }

  if (!text_is_acceptable (value))
    {
      g_debug ("[%s] %s contains a line break", group, key);
      return FALSE;
    }

  *out = g_steal_pointer (&value);
  return TRUE;
}

static gboolean
read_optional_unsigned (GKeyFile   *key_file,
                        const char *group,
                        const char *key,
                        guint64     max,
                        gboolean   *present,
                        guint64    *out)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;

  *present = FALSE;
  if (!read_optional_string (key_file, group, key, &text))
    return FALSE;
  if (text == NULL)
    return TRUE;

  g_strstrip (text);
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, out, &local_error))
    {
      g_debug ("[%s] %s: %s", group, key, local_error->message);
      return FALSE;
    }

  *present = TRUE;
  return TRUE;
}

/* "true"/"1" or "false"/"0", as people write them by hand; FALSE for anything else. */
static gboolean
parse_boolean (char     *text,
               gboolean *out)
{
  g_strstrip (text);
  if (g_ascii_strcasecmp (text, "true") == 0 || g_str_equal (text, "1"))
    *out = TRUE;
  else if (g_ascii_strcasecmp (text, "false") == 0 || g_str_equal (text, "0"))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* NULL (with a g_debug saying why) for a group that is not a usable account. */
static PbAccount *
account_from_group (GKeyFile   *key_file,
                    const char *group)
{
  g_autoptr(PbAccount) account = NULL;
  g_autofree char *name = NULL;
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *security_text = NULL;
  g_autofree char *enabled_text = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *oauth2_provider = NULL;
  g_autofree char *notify_new_mail_text = NULL;
  g_autofree char *sound = NULL;
  g_autofree char *notify_problems_text = NULL;
  g_autofree char *webmail = NULL;
  gboolean notify_new_mail = TRUE, notify_problems = TRUE;
  PbSecurity security = PB_SECURITY_TLS;
  gboolean has_port, has_interval;
  guint64 port = 0, interval = PB_DEFAULT_INTERVAL_MINUTES;

  if (!pb_account_id_is_valid (group))
    {
      g_debug ("Skipping [%s]: not a valid account ID", group);
      return NULL;
    }

  if (!read_optional_string (key_file, group, KEY_NAME, &name) ||
      !read_optional_string (key_file, group, KEY_HOST, &host) ||
      !read_optional_string (key_file, group, KEY_USER, &user) ||
      !read_optional_string (key_file, group, KEY_SECURITY, &security_text) ||
      !read_optional_string (key_file, group, KEY_ENABLED, &enabled_text) ||
      !read_optional_string (key_file, group, KEY_CA_FILE, &ca_file) ||
      !read_optional_string (key_file, group, KEY_OAUTH2_PROVIDER, &oauth2_provider) ||
      !read_optional_string (key_file, group, KEY_NOTIFY_NEW_MAIL, &notify_new_mail_text) ||
      !read_optional_string (key_file, group, KEY_SOUND, &sound) ||
      !read_optional_string (key_file, group, KEY_NOTIFY_PROBLEMS, &notify_problems_text) ||
      !read_optional_string (key_file, group, KEY_WEBMAIL, &webmail) ||
      !read_optional_unsigned (key_file, group, KEY_PORT, G_MAXUINT16, &has_port, &port) ||
      !read_optional_unsigned (key_file, group, KEY_INTERVAL, G_MAXUINT, &has_interval,
                               &interval))
    {
      g_debug ("Skipping [%s]: a value is unreadable", group);
      return NULL;
    }

  if (host != NULL)
    g_strstrip (host);
  if (host == NULL || host[0] == '\0' || user == NULL || user[0] == '\0')
    {
      g_debug ("Skipping [%s]: no host or no user", group);
      return NULL;
    }

  if (security_text != NULL &&
      !pb_security_from_string (g_strstrip (security_text), &security))
    {
      g_debug ("Skipping [%s]: unknown security “%s”", group, security_text);
      return NULL;
    }

  if (oauth2_provider != NULL && !pb_oauth2_provider_id_is_valid (g_strstrip (oauth2_provider)))
    {
      g_debug ("Skipping [%s]: “%s” is not a provider name", group, oauth2_provider);
      return NULL;
    }
  if ((notify_new_mail_text != NULL && !parse_boolean (notify_new_mail_text, &notify_new_mail)) ||
      (notify_problems_text != NULL && !parse_boolean (notify_problems_text, &notify_problems)))
    {
      g_debug ("Skipping [%s]: a notification setting is neither true nor false", group);
      return NULL;
    }
  if (sound != NULL && !pb_account_sound_is_valid (g_strstrip (sound)))
    {
      g_debug ("Skipping [%s]: “%s” is not a sound name", group, sound);
      return NULL;
    }
  if (webmail != NULL && *g_strstrip (webmail) != '\0' && !pb_account_webmail_is_valid (webmail))
    {
      g_debug ("Skipping [%s]: the webmail address is not an https:// address", group);
      return NULL;
    }

  account = pb_account_new (group);

  if (enabled_text != NULL)
    {
      gboolean enabled;

      if (!parse_boolean (enabled_text, &enabled))
        {
          g_debug ("Skipping [%s]: enabled is neither true nor false", group);
          return NULL;
        }
      pb_account_set_enabled (account, enabled);
    }

  pb_account_set_display_name (account, name);
  pb_account_set_host (account, host);
  pb_account_set_user (account, user);
  pb_account_set_security (account, security);
  pb_account_set_port (account, (guint16) port);
  pb_account_set_interval (account, (guint) interval);
  pb_account_set_ca_file (account, ca_file);
  pb_account_set_oauth2_provider (account, oauth2_provider);
  pb_account_set_notify_new_mail (account, notify_new_mail);
  pb_account_set_sound (account, sound);
  pb_account_set_notify_problems (account, notify_problems);
  pb_account_set_webmail (account, webmail != NULL && *webmail != '\0' ? webmail : NULL);

  return g_steal_pointer (&account);
}

static void
write_account (GKeyFile  *key_file,
               PbAccount *account)
{
  const char *id = pb_account_get_id (account);
  const char *name = pb_account_get_display_name (account);
  const char *ca_file = pb_account_get_ca_file (account);
  guint port = 0;

  /* The display name falls back to the ID; writing that fallback would pin it. */
  if (g_strcmp0 (name, id) != 0)
    g_key_file_set_string (key_file, id, KEY_NAME, name);
  else
    g_key_file_remove_key (key_file, id, KEY_NAME, NULL);

  g_key_file_set_string (key_file, id, KEY_HOST, pb_account_get_host (account));

  /* An unset port follows the security, so it is not written as a number. */
  g_object_get (account, "port", &port, NULL);
  if (port != 0)
    g_key_file_set_integer (key_file, id, KEY_PORT, (int) port);
  else
    g_key_file_remove_key (key_file, id, KEY_PORT, NULL);

  g_key_file_set_string (key_file, id, KEY_SECURITY,
                         pb_security_to_string (pb_account_get_security (account)));
  g_key_file_set_string (key_file, id, KEY_USER, pb_account_get_user (account));
  g_key_file_set_boolean (key_file, id, KEY_ENABLED, pb_account_get_enabled (account));
  g_key_file_set_uint64 (key_file, id, KEY_INTERVAL, pb_account_get_interval (account));

  if (ca_file != NULL)
    g_key_file_set_string (key_file, id, KEY_CA_FILE, ca_file);
  else
    g_key_file_remove_key (key_file, id, KEY_CA_FILE, NULL);

  if (pb_account_get_oauth2_provider (account) != NULL)
    g_key_file_set_string (key_file, id, KEY_OAUTH2_PROVIDER,
                           pb_account_get_oauth2_provider (account));
  else
    g_key_file_remove_key (key_file, id, KEY_OAUTH2_PROVIDER, NULL);
  /* Written only when they differ from the defaults, which may change. */
  if (!pb_account_get_notify_new_mail (account))
    g_key_file_set_boolean (key_file, id, KEY_NOTIFY_NEW_MAIL, FALSE);
  else
    g_key_file_remove_key (key_file, id, KEY_NOTIFY_NEW_MAIL, NULL);
  if (g_strcmp0 (pb_account_get_sound (account), PB_ACCOUNT_SOUND_DEFAULT) != 0)
    g_key_file_set_string (key_file, id, KEY_SOUND, pb_account_get_sound (account));
  else
    g_key_file_remove_key (key_file, id, KEY_SOUND, NULL);
  if (!pb_account_get_notify_problems (account))
    g_key_file_set_boolean (key_file, id, KEY_NOTIFY_PROBLEMS, FALSE);
  else
    g_key_file_remove_key (key_file, id, KEY_NOTIFY_PROBLEMS, NULL);
  if (pb_account_get_webmail (account) != NULL)
    g_key_file_set_string (key_file, id, KEY_WEBMAIL, pb_account_get_webmail (account));
  else
    g_key_file_remove_key (key_file, id, KEY_WEBMAIL, NULL);
}

static void
pb_account_store_constructed (GObject *object)
{
  PbAccountStore *self = PB_ACCOUNT_STORE (object);

  G_OBJECT_CLASS (pb_account_store_parent_class)->constructed (object);

  if (self->path == NULL)
    {
      g_autofree char *dir = pb_files_config_dir ();

      self->path = g_build_filename (dir, "accounts.ini", NULL);
    }
}

static void
pb_account_store_dispose (GObject *object)
{
  PbAccountStore *self = PB_ACCOUNT_STORE (object);

  if (self->accounts != NULL)
    g_ptr_array_set_size (self->accounts, 0);

  G_OBJECT_CLASS (pb_account_store_parent_class)->dispose (object);
}

static void
pb_account_store_finalize (GObject *object)
{
  PbAccountStore *self = PB_ACCOUNT_STORE (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->unreadable, g_free);
  g_clear_pointer (&self->key_file, g_key_file_unref);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);

  G_OBJECT_CLASS (pb_account_store_parent_class)->finalize (object);
}

static void
pb_account_store_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PbAccountStore *self = PB_ACCOUNT_STORE (object);

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
pb_account_store_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  PbAccountStore *self = PB_ACCOUNT_STORE (object);

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
pb_account_store_class_init (PbAccountStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pb_account_store_constructed;
  object_class->dispose = pb_account_store_dispose;
  object_class->finalize = pb_account_store_finalize;
  object_class->get_property = pb_account_store_get_property;
  object_class->set_property = pb_account_store_set_property;

  /* NULL at construction means $XDG_CONFIG_HOME/popbell/accounts.ini. */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pb_account_store_init (PbAccountStore *self)
{
  self->key_file = g_key_file_new ();
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
}

PbAccountStore *
pb_account_store_new (const char *path)
{
  return g_object_new (PB_TYPE_ACCOUNT_STORE, "path", path, NULL);
}

const char *
pb_account_store_get_path (PbAccountStore *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), NULL);

  return self->path;
}

gboolean
pb_account_store_load (PbAccountStore  *self,
                       GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *contents = NULL;
  g_auto(GStrv) groups = NULL;
  gsize len = 0;

  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_ptr_array_set_size (self->accounts, 0);
  g_clear_pointer (&self->key_file, g_key_file_unref);
  self->key_file = g_key_file_new ();

  g_clear_pointer (&self->unreadable, g_free);

  if (!pb_files_read (self->path, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_debug ("No account file at %s", self->path);
          return TRUE;
        }

      /* Not corrupt, only out of reach (EACCES, EIO, not a file): it stays where it is. */
      self->unreadable = g_strdup (local_error->message);
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO,
                   _("Could not read the account file: %s"), local_error->message);
      return FALSE;
    }

  if (!g_key_file_load_from_data (key_file, contents, len,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &local_error))
    {
      g_autoptr(GError) aside_error = NULL;
      g_autofree char *aside = NULL;

      g_debug ("Cannot parse %s: %s", self->path, local_error->message);
      aside = pb_files_set_aside (self->path, &aside_error);
      if (aside == NULL)
        {
          self->unreadable = g_strdup (aside_error->message);
          g_propagate_error (error, g_steal_pointer (&aside_error));
          return FALSE;
        }

      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT,
                   _("The account file %s was unreadable and has been moved to %s"),
                   self->path, aside);
      return FALSE;
    }

  drop_repeated_keys (&key_file);
  drop_secret_keys (key_file);

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      PbAccount *account;

      if (pb_account_store_lookup (self, groups[i]) != NULL)
        continue;

      account = account_from_group (key_file, groups[i]);
      if (account != NULL)
        g_ptr_array_add (self->accounts, account);
    }

  g_key_file_unref (self->key_file);
  self->key_file = g_steal_pointer (&key_file);

  g_debug ("Loaded %u accounts from %s", self->accounts->len, self->path);
  return TRUE;
}

gboolean
pb_account_store_save (PbAccountStore  *self,
                       GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->unreadable != NULL)
    {
      pb_files_set_unreadable_error (error, self->path, self->unreadable);
      return FALSE;
    }

  for (guint i = 0; i < self->accounts->len; i++)
    write_account (self->key_file, g_ptr_array_index (self->accounts, i));

  data = g_key_file_to_data (self->key_file, &len, NULL);

  if (!pb_files_write_atomic (self->path, data, len, 0600, &local_error))
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO,
                   _("Could not save the accounts: %s"), local_error->message);
      return FALSE;
    }

  g_debug ("Saved %u accounts to %s", self->accounts->len, self->path);
  return TRUE;
}

GPtrArray *
pb_account_store_get_accounts (PbAccountStore *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), NULL);

  return self->accounts;
}

PbAccount *
pb_account_store_lookup (PbAccountStore *self,
                         const char     *id)
{
  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (self->accounts, i);

      if (g_str_equal (pb_account_get_id (account), id))
        return account;
    }

  return NULL;
}

gboolean
pb_account_store_add (PbAccountStore  *self,
                      PbAccount       *account,
                      GError         **error)
{
  const char *id;

  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (PB_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!validate_account (account, error))
    return FALSE;

  id = pb_account_get_id (account);
  if (pb_account_store_lookup (self, id) != NULL)
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_EXISTS,
                   _("An account named “%s” exists already"), id);
      return FALSE;
    }

  /* A group that failed to load under this ID is replaced, not merged: its
   * leftover keys would otherwise leak into the new account. */
  g_key_file_remove_group (self->key_file, id, NULL);

  g_ptr_array_add (self->accounts, g_object_ref (account));
  return TRUE;
}

gboolean
pb_account_store_remove (PbAccountStore  *self,
                         const char      *id,
                         GError         **error)
{
  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < self->accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (self->accounts, i);

      if (g_str_equal (pb_account_get_id (account), id))
        {
          g_key_file_remove_group (self->key_file, id, NULL);
          g_ptr_array_remove_index (self->accounts, i);
          return TRUE;
        }
    }

  g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND,
               _("There is no account named “%s”"), id);
  return FALSE;
}

gboolean
pb_account_store_replace (PbAccountStore  *self,
                          PbAccount       *account,
                          GError         **error)
{
  const char *id;

  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (PB_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!validate_account (account, error))
    return FALSE;

  id = pb_account_get_id (account);
  for (guint i = 0; i < self->accounts->len; i++)
    {
      PbAccount *old = g_ptr_array_index (self->accounts, i);

      if (g_str_equal (pb_account_get_id (old), id))
        {
          /* The group stays: keys this version doesn't know are kept. */
          if (old != account)
            {
              g_ptr_array_index (self->accounts, i) = g_object_ref (account);
              g_object_unref (old);
            }
          return TRUE;
        }
    }

  g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND,
               _("There is no account named “%s”"), id);
  return FALSE;
}

gboolean
pb_account_store_reload (PbAccountStore  *self,
                         GError         **error)
{
  g_autoptr(PbAccountStore) fresh = NULL;

  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fresh = pb_account_store_new (self->path);
  if (!pb_account_store_load (fresh, error))
    return FALSE;

  /* Unchanged accounts keep their objects: whoever holds one sees no change. */
  for (guint i = 0; i < fresh->accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (fresh->accounts, i);
      PbAccount *old = pb_account_store_lookup (self, pb_account_get_id (account));

      if (old != NULL && pb_account_equal (old, account))
        {
          g_ptr_array_index (fresh->accounts, i) = g_object_ref (old);
          g_object_unref (account);
        }
    }

  /* Swapped, not shared: the fresh store empties its array when it goes. */
  {
    GPtrArray *accounts = self->accounts;
    GKeyFile *key_file = self->key_file;

    self->accounts = fresh->accounts;
    self->key_file = fresh->key_file;
    fresh->accounts = accounts;
    fresh->key_file = key_file;
  }
  g_clear_pointer (&self->unreadable, g_free);
  return TRUE;
}
