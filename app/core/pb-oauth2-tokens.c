/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-oauth2"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-error.h"
#include "pb-goa.h"
#include "pb-oauth2-tokens.h"
#include "pb-secret-store.h"

/* When the provider does not say how long a token lasts (RFC 6749 §5.1
 * recommends it does): an hour, what Google and Microsoft give. */
#define DEFAULT_LIFETIME 3600

typedef struct
{
  char   *provider;
  char   *user;
  char   *token;       /* wiped */
  gint64  expires_at;  /* real time, µs: a suspended laptop's monotonic clock stands still */
} Entry;

static GHashTable *cache; /* account ID → Entry* */

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    {
      explicit_bzero (secret, strlen (secret));
      g_free (secret);
    }
}

void
pb_oauth2_token_free (char *token)
{
  wipe_free (token);
}

static void
entry_free (Entry *entry)
{
  g_free (entry->provider);
  g_free (entry->user);
  wipe_free (entry->token);
  g_free (entry);
}

static GHashTable *
get_cache (void)
{
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
  return cache;
}

static void
remember (PbAccount  *account,
          const char *token,
          gint64      expires_in)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->provider = g_strdup (pb_account_get_oauth2_provider (account));
  entry->user = g_strdup (pb_account_get_user (account));
  entry->token = g_strdup (token);
  entry->expires_at = g_get_real_time () +
                      (expires_in > 0 ? expires_in : DEFAULT_LIFETIME) * G_USEC_PER_SEC;
  g_hash_table_replace (get_cache (), g_strdup (pb_account_get_id (account)), entry);
}

/* The token in memory while it is good for more than the margin; the account
 * must still be the one it was for (provider and user). */
static const char *
recall (PbAccount *account)
{
  Entry *entry = g_hash_table_lookup (get_cache (), pb_account_get_id (account));

  if (entry == NULL)
    return NULL;
  if (g_strcmp0 (entry->provider, pb_account_get_oauth2_provider (account)) != 0 ||
      g_strcmp0 (entry->user, pb_account_get_user (account)) != 0 ||
      entry->expires_at - g_get_real_time () <= PB_OAUTH2_REFRESH_MARGIN * G_USEC_PER_SEC)
    {
      g_hash_table_remove (cache, pb_account_get_id (account));
      return NULL;
    }
  return entry->token;
}

void
pb_oauth2_remember_access_token (PbAccount            *account,
                                 const PbOAuth2Tokens *tokens)
{
  g_return_if_fail (PB_IS_ACCOUNT (account));
  g_return_if_fail (pb_account_get_oauth2_provider (account) != NULL);
  g_return_if_fail (tokens != NULL && tokens->access_token != NULL);

  remember (account, tokens->access_token, tokens->expires_in);
}

void
pb_oauth2_forget_access_token (const char *account_id)
{
  if (cache == NULL)
    return;
  if (account_id == NULL)
    g_hash_table_remove_all (cache);
  else
    g_hash_table_remove (cache, account_id);
}

/* ---- Sign-ins for the session (no keyring) --------------------------------- */

static GHashTable *session_sign_ins; /* account ID → Entry* (its token: the refresh token) */

void
pb_oauth2_keep_session_sign_in (PbAccount  *account,
                                const char *refresh_token)
{
  Entry *entry;

  g_return_if_fail (PB_IS_ACCOUNT (account));
  g_return_if_fail (pb_account_get_oauth2_provider (account) != NULL);
  g_return_if_fail (refresh_token != NULL);

  if (session_sign_ins == NULL)
    session_sign_ins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) entry_free);
  entry = g_new0 (Entry, 1);
  entry->provider = g_strdup (pb_account_get_oauth2_provider (account));
  entry->user = g_strdup (pb_account_get_user (account));
  entry->token = g_strdup (refresh_token);
  g_hash_table_replace (session_sign_ins, g_strdup (pb_account_get_id (account)), entry);
}

void
pb_oauth2_forget_session_sign_in (const char *account_id)
{
  if (session_sign_ins == NULL)
    return;
  if (account_id == NULL)
    g_hash_table_remove_all (session_sign_ins);
  else
    g_hash_table_remove (session_sign_ins, account_id);
}

/* The session's refresh token of @account, while it is for the same provider and user. */
static const char *
session_sign_in (PbAccount *account)
{
  Entry *entry = session_sign_ins != NULL
                   ? g_hash_table_lookup (session_sign_ins, pb_account_get_id (account))
                   : NULL;

  if (entry == NULL)
    return NULL;
  if (g_strcmp0 (entry->provider, pb_account_get_oauth2_provider (account)) != 0 ||
      g_strcmp0 (entry->user, pb_account_get_user (account)) != 0)
    {
      g_hash_table_remove (session_sign_ins, pb_account_get_id (account));
      return NULL;
    }
  return entry->token;
}

/* ---- Getting an access token --------------------------------------------- */

typedef struct
{
  PbAccount        *account;
  PbOAuth2Provider *provider;
  PbOAuth2TokenFlags flags;
  char             *refresh_token;   /* from the keyring or the session: pb_secret_free */
  gboolean          session;         /* the session's sign-in, not the keyring's */
  PbOAuth2Tokens   *tokens;
} GetData;

static void
get_data_free (GetData *data)
{
  g_clear_object (&data->account);
  pb_oauth2_provider_free (data->provider);
  if (data->refresh_token != NULL && data->session)
    wipe_free (data->refresh_token);
  else if (data->refresh_token != NULL)
    pb_secret_free (data->refresh_token);
  pb_oauth2_tokens_free (data->tokens);
  g_free (data);
}

static void
return_token (GTask      *task,
              const char *token,
              gboolean    cached)
{
  g_object_set_data (G_OBJECT (task), "cached", GINT_TO_POINTER (cached));
  g_task_return_pointer (task, g_strdup (token), (GDestroyNotify) wipe_free);
}

static void
on_rotated_stored (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GetData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The old refresh token may be dead already: the next check will say
   * "sign in again" if so. The access token is good either way. */
  if (!pb_secret_store_token_finish (result, &error))
    g_warning ("The new sign-in of “%s” could not be saved: %s",
               pb_account_get_id (data->account), error->message);
  return_token (task, data->tokens->access_token, FALSE);
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GetData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->tokens = pb_oauth2_refresh_finish (result, &error);
  if (data->tokens == NULL)
    {
      if (g_error_matches (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN))
        {
          g_debug ("%s refused the sign-in of “%s”", data->provider->name,
                   pb_account_get_id (data->account));
          if (data->session)
            pb_oauth2_forget_session_sign_in (pb_account_get_id (data->account));
        }
      g_task_return_error (task, error);
      return;
    }

  g_debug ("New access token for “%s”, good for %" G_GINT64_FORMAT " s",
           pb_account_get_id (data->account), data->tokens->expires_in);
  remember (data->account, data->tokens->access_token, data->tokens->expires_in);

  if (data->tokens->refresh_token != NULL &&
      strcmp (data->tokens->refresh_token, data->refresh_token) != 0 && data->session)
    pb_oauth2_keep_session_sign_in (data->account, data->tokens->refresh_token);
  else if (data->tokens->refresh_token != NULL &&
           strcmp (data->tokens->refresh_token, data->refresh_token) != 0)
    {
      /* Not cancellable: a new refresh token must not be lost halfway. */
      pb_secret_store_token_async (data->account, data->provider->id,
                                   data->tokens->refresh_token, NULL,
                                   on_rotated_stored, g_steal_pointer (&task));
      return;
    }
  return_token (task, data->tokens->access_token, FALSE);
}

static void
on_refresh_token (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GetData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  data->refresh_token = pb_secret_lookup_token_finish (result, &error);
  if (data->refresh_token == NULL)
    {
      if (g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND))
        {
          g_clear_error (&error);
          /* Translators: %s is a provider such as Google or Microsoft. */
          error = g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN,
                               _("Popbell is not signed in with %s for this account; sign in "
                                 "to check it."), data->provider->name);
        }
      g_task_return_error (task, error);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  pb_oauth2_refresh_async (data->provider, data->refresh_token, cancellable,
                           on_refreshed, g_steal_pointer (&task));
}

static void get_own_token (GTask *task);

static void
on_goa_token (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GetData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gint64 expires_in = 0;
  char *token;

  token = pb_goa_get_access_token_finish (result, &expires_in, &error);
  if (token == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      get_own_token (g_steal_pointer (&task));
      return;
    }
  if (token == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("Access token for “%s” from Online Accounts", pb_account_get_id (data->account));
  remember (data->account, token, expires_in);
  return_token (task, token, FALSE);
  pb_oauth2_token_free (token);
}

void
pb_oauth2_get_access_token_async (PbAccount           *account,
                                  PbOAuth2TokenFlags   flags,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GetData *data;
  GError *error = NULL;

  g_return_if_fail (PB_IS_ACCOUNT (account));
  g_return_if_fail (pb_account_get_oauth2_provider (account) != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_oauth2_get_access_token_async);
  data = g_new0 (GetData, 1);
  data->account = g_object_ref (account);
  data->flags = flags;
  g_task_set_task_data (task, data, (GDestroyNotify) get_data_free);

  if (flags & PB_OAUTH2_TOKEN_FRESH)
    pb_oauth2_forget_access_token (pb_account_get_id (account));
  else if (recall (account) != NULL)
    {
      return_token (task, recall (account), TRUE);
      return;
    }

  data->provider = pb_oauth2_provider_lookup (pb_account_get_oauth2_provider (account), &error);
  if (data->provider == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* GNOME Online Accounts first, where the user has this Google account. */
  if (data->provider->online_accounts)
    {
      pb_goa_get_access_token_async (pb_account_get_user (account), cancellable, on_goa_token,
                                     g_steal_pointer (&task));
      return;
    }
  get_own_token (g_steal_pointer (&task));
}

/* Popbell's own sign-in, from the keyring. Takes @task. */
static void
get_own_token (GTask *task)
{
  GetData *data = g_task_get_task_data (task);
  PbAccount *account = data->account;
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (data->provider->client_id == NULL)
    {
      g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NO_CLIENT_ID,
                               _("This copy of Popbell has no client ID for signing in with "
                                 "%s."), data->provider->name);
      g_object_unref (task);
      return;
    }

  /* Signed in for this session only (no keyring): that sign-in, not the keyring's. */
  if (session_sign_in (account) != NULL)
    {
      data->refresh_token = g_strdup (session_sign_in (account));
      data->session = TRUE;
      pb_oauth2_refresh_async (data->provider, data->refresh_token, cancellable,
                               on_refreshed, task);
      return;
    }

  pb_secret_lookup_token_async (pb_account_get_id (account),
                                (data->flags & PB_OAUTH2_TOKEN_UNLOCK) != 0, cancellable,
                                on_refresh_token, task);
}

char *
pb_oauth2_get_access_token_finish (GAsyncResult  *result,
                                   gboolean      *cached,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        pb_oauth2_get_access_token_async, NULL);

  if (cached != NULL)
    *cached = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (result), "cached"));
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Saving a sign-in ------------------------------------------------------- */

typedef struct
{
  PbAccount *account;
  char      *access_token;
  gint64     expires_in;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->account);
  wipe_free (data->access_token);
  g_free (data);
}

static void
on_sign_in_stored (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaveData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!pb_secret_store_token_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  remember (data->account, data->access_token, data->expires_in);
  g_task_return_boolean (task, TRUE);
}

void
pb_oauth2_save_sign_in_async (PbAccount            *account,
                              const PbOAuth2Tokens *tokens,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  SaveData *data;

  g_return_if_fail (PB_IS_ACCOUNT (account));
  g_return_if_fail (pb_account_get_oauth2_provider (account) != NULL);
  g_return_if_fail (tokens != NULL && tokens->access_token != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_oauth2_save_sign_in_async);

  if (tokens->refresh_token == NULL)
    {
      g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_PROTOCOL,
                               _("The provider gave no refresh token, so Popbell could not "
                                 "stay signed in."));
      return;
    }

  data = g_new0 (SaveData, 1);
  data->account = g_object_ref (account);
  data->access_token = g_strdup (tokens->access_token);
  data->expires_in = tokens->expires_in;
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);

  pb_secret_store_token_async (account, pb_account_get_oauth2_provider (account),
                               tokens->refresh_token, cancellable, on_sign_in_stored,
                               g_steal_pointer (&task));
}

gboolean
pb_oauth2_save_sign_in_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_oauth2_save_sign_in_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
