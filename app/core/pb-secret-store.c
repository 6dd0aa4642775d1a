/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-secret"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
/* For the D-Bus path calls (secret-paths.h), stable in practice since 0.7. */
#define SECRET_API_SUBJECT_TO_CHANGE
#include <libsecret/secret.h>

#include "pb-error.h"
#include "pb-secret-store.h"

/* Every operation first finds the account's items with SearchItems
 * (locked ones included) instead of using secret_password_lookup (): with
 * gnome-keyring, a lookup in a locked collection looks exactly like "no
 * item", and the user would be told to enter a password that is in fact
 * stored.
 *
 * The _sync variants get the (cached) SecretService in the caller's thread
 * default context, as libsecret's own _sync calls do, then run the async
 * steps in a private main context. */

static const SecretSchema account_schema = {
  "io.github.popbell.Popbell.Account",
  SECRET_SCHEMA_NONE,
  {
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "port", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
    { NULL, 0 },
  },
};

/* OAuth2 sign-ins: the refresh token of an account, apart from passwords so
 * that neither is ever taken for the other. */
static const SecretSchema oauth2_schema = {
  "io.github.popbell.Popbell.OAuth2",
  SECRET_SCHEMA_NONE,
  {
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

typedef struct _Op Op;
typedef void (*OpStep) (GTask *task);

struct _Op
{
  const SecretSchema *schema; /* account_schema or oauth2_schema */
  SecretService *service;
  OpStep         step;        /* what to do once the service is there */
  char          *account_id;
  GHashTable    *search;      /* { account } */
  GHashTable    *attributes;  /* store: all four */
  char          *label;       /* store */
  SecretValue   *value;       /* store; in non-pageable memory */
  gboolean       unlock;      /* lookup */
  guint          deleting;    /* deletions in flight */
  GError        *delete_error;
};

static void
op_free (gpointer data)
{
  Op *op = data;

  g_clear_object (&op->service);
  g_clear_pointer (&op->account_id, g_free);
  g_clear_pointer (&op->search, g_hash_table_unref);
  g_clear_pointer (&op->attributes, g_hash_table_unref);
  g_clear_pointer (&op->label, g_free);
  g_clear_pointer (&op->value, secret_value_unref);
  g_clear_error (&op->delete_error);
  g_free (op);
}

const void *
pb_secret_get_schema (void)
{
  return &account_schema;
}

const void *
pb_secret_get_token_schema (void)
{
  return &oauth2_schema;
}

static gboolean
op_is_token (Op *op)
{
  return op->schema == &oauth2_schema;
}

static GError *
locked_error (gboolean    token,
              const char *account_id)
{
  if (token)
    return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_LOCKED,
                        _("The keyring that holds the sign-in of “%s” is locked"), account_id);
  return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_LOCKED,
                      _("The keyring that holds the password of “%s” is locked"), account_id);
}

static GError *
not_found_error (Op *op)
{
  if (op_is_token (op))
    return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND,
                        _("No sign-in is stored for “%s”"), op->account_id);
  return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND,
                      _("No password is stored for “%s”"), op->account_id);
}

static GError *
unreadable_error (Op *op)
{
  if (op_is_token (op))
    return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_FAILED,
                        _("The sign-in of “%s” could not be read from the keyring"),
                        op->account_id);
  return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_FAILED,
                      _("The password of “%s” could not be read from the keyring"),
                      op->account_id);
}

static GError *
not_text_error (Op *op)
{
  return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_FAILED,
                      _("The keyring item of “%s” does not hold a text password"),
                      op->account_id);
}

/* The copy returned by lookup comes from libsecret's secure allocator
 * (secret_value_unref_to_password); secret_password_free () overwrites it
 * with zeros before giving it back to that allocator. */
void
pb_secret_free (char *password)
{
  secret_password_free (password);
}

static gboolean
is_no_service_error (const GError *error,
                     gboolean      connecting)
{
  if (error->domain == G_DBUS_ERROR)
    {
      switch (error->code)
        {
        case G_DBUS_ERROR_SERVICE_UNKNOWN:
        case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
        case G_DBUS_ERROR_NO_SERVER:
        case G_DBUS_ERROR_DISCONNECTED:
        case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
        case G_DBUS_ERROR_SPAWN_FORK_FAILED:
        case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
        case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
        case G_DBUS_ERROR_SPAWN_FAILED:
        case G_DBUS_ERROR_SPAWN_SETUP_FAILED:
        case G_DBUS_ERROR_SPAWN_CONFIG_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
        case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
        case G_DBUS_ERROR_SPAWN_FILE_INVALID:
        case G_DBUS_ERROR_SPAWN_NO_MEMORY:
          return TRUE;
        default:
          return FALSE;
        }
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return TRUE;

  /* While getting the service, an I/O error means the session bus itself
   * is missing or unreachable (no address, a stale socket, no X11 to
   * autolaunch one). */
  return connecting && error->domain == G_IO_ERROR;
}

/* Takes @error; returns a PB_SECRET_ERROR (or the cancellation as is). */
static GError *
translate_error (GError     *error,
                 gboolean    connecting,
                 gboolean    token,
                 const char *account_id)
{
  g_autoptr(GError) original = error;
  g_autofree char *detail = NULL;

  if (g_error_matches (original, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_steal_pointer (&original);

  if (g_dbus_error_is_remote_error (original))
    g_dbus_error_strip_remote_error (original);
  detail = g_strdup (original->message);
  g_debug ("Keyring operation for “%s” failed: %s (%s %d)", account_id, detail,
           g_quark_to_string (original->domain), original->code);

  if (is_no_service_error (original, connecting))
    {
      /* A service started later must be found afresh, with a new session. */
      secret_service_disconnect ();
      return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE,
                          _("No keyring service (Secret Service) is running, so passwords can’t "
                            "be read or saved. Start GNOME Keyring, KWallet or KeePassXC "
                            "(with its Secret Service integration enabled)."));
    }

  if (g_error_matches (original, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    return locked_error (token, account_id);

  return g_error_new (PB_SECRET_ERROR, PB_SECRET_ERROR_FAILED,
                      _("The keyring service failed: %s"), detail);
}

static void
op_return_error (GTask    *task,
                 GError   *error,
                 gboolean  connecting)
{
  Op *op = g_task_get_task_data (task);

  g_task_return_error (task, translate_error (error, connecting, op_is_token (op),
                                              op->account_id));
}

static void
on_service_ready (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;

  op->service = secret_service_get_finish (result, &error);
  if (op->service == NULL)
    {
      op_return_error (task, error, TRUE);
      return;
    }

  op->step (g_steal_pointer (&task));
}

/* Takes @task. @service is the one a _sync caller already has, or NULL. */
static void
op_run (GTask         *task,
        SecretService *service,
        OpStep         step)
{
  Op *op = g_task_get_task_data (task);

  op->step = step;
  if (service != NULL)
    {
      op->service = g_object_ref (service);
      step (task);
      return;
    }

  secret_service_get (SECRET_SERVICE_OPEN_SESSION, g_task_get_cancellable (task),
                      on_service_ready, task);
}

static GTask *
op_task_new (const SecretSchema  *schema,
             const char          *account_id,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Op *op = g_new0 (Op, 1);

  g_task_set_source_tag (task, source_tag);
  op->schema = schema;
  op->account_id = g_strdup (account_id);
  op->search = secret_attributes_build (schema, "account", account_id, NULL);
  g_task_set_task_data (task, op, op_free);

  return task;
}

/* The step run on the items of the account, in the callback of a search. */
static GList *
op_search_finish (GTask        *task,
                  GAsyncResult *result)
{
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  GList *items;

  items = secret_service_search_finish (op->service, result, &error);
  if (error != NULL)
    {
      op_return_error (task, error, FALSE);
      return NULL;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      g_list_free_full (items, g_object_unref);
      return NULL;
    }

  return items;
}

static void
op_search (GTask               *task,
           SecretSearchFlags    flags,
           GAsyncReadyCallback  callback)
{
  Op *op = g_task_get_task_data (task);

  secret_service_search (op->service, op->schema, op->search, flags,
                         g_task_get_cancellable (task), callback, task);
}

/* Lookup */

static void
on_lookup_searched (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(SecretValue) value = NULL;
  SecretItem *best = NULL;
  gboolean locked = FALSE;
  gboolean found;
  GList *items;
  char *password;
  gsize length;

  items = op_search_finish (task, result);
  if (g_task_had_error (task))
    return;

  /* Only items of unlocked collections got their secret; there should be
   * one, but prefer the newest if another program added more. */
  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretItem *item = l->data;
      g_autoptr(SecretValue) secret = secret_item_get_secret (item);

      if (secret == NULL)
        {
          locked |= secret_item_get_locked (item);
          continue;
        }
      if (best == NULL || secret_item_get_modified (item) > secret_item_get_modified (best))
        best = item;
    }

  found = items != NULL;
  if (best != NULL)
    value = secret_item_get_secret (best);
  g_list_free_full (items, g_object_unref);

  if (value == NULL && locked)
    {
      g_debug ("The secret of “%s” is in a locked collection", op->account_id);
      g_task_return_error (task, locked_error (op_is_token (op), op->account_id));
      return;
    }
  if (value == NULL && found)
    {
      g_task_return_error (task, unreadable_error (op));
      return;
    }
  if (value == NULL)
    {
      g_task_return_error (task, not_found_error (op));
      return;
    }

  /* A password must be UTF-8 text without NUL: anything else was not
   * written by Popbell, and can't be sent as one. */
  if (secret_value_get_text (value) == NULL)
    {
      g_task_return_error (task, not_text_error (op));
      return;
    }
  password = secret_value_unref_to_password (g_steal_pointer (&value), &length);
  if (strlen (password) != length)
    {
      pb_secret_free (password);
      g_task_return_error (task, not_text_error (op));
      return;
    }

  g_task_return_pointer (task, password, (GDestroyNotify) pb_secret_free);
}

static void
lookup_full (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  SecretSearchFlags flags = SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS;

  /* With SECRET_SEARCH_UNLOCK libsecret prompts; a dismissed prompt just
   * leaves the items locked, which the result tells. */
  if (op->unlock)
    flags |= SECRET_SEARCH_UNLOCK;
  op_search (task, flags, on_lookup_searched);
}

static void
return_password (GTask       *task,
                 SecretValue *value)
{
  Op *op = g_task_get_task_data (task);
  char *password;
  gsize length;

  /* A password must be UTF-8 text without NUL: anything else was not
   * written by Popbell, and can't be sent as one. */
  if (secret_value_get_text (value) == NULL)
    {
      secret_value_unref (value);
      g_task_return_error (task, not_text_error (op));
      return;
    }
  password = secret_value_unref_to_password (value, &length);
  if (strlen (password) != length)
    {
      pb_secret_free (password);
      g_task_return_error (task, not_text_error (op));
      return;
    }

  g_task_return_pointer (task, password, (GDestroyNotify) pb_secret_free);
}

static void
on_fast_secret (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  SecretValue *value;

  value = secret_service_get_secret_for_dbus_path_finish (op->service, result, &error);
  if (value == NULL)
    {
      if (error != NULL)
        {
          op_return_error (task, error, FALSE);
          return;
        }
      /* Locked or gone meanwhile: the full search tells which. */
      lookup_full (g_steal_pointer (&task));
      return;
    }

  return_password (task, value);
}

static void
on_fast_searched (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_auto(GStrv) unlocked = NULL;
  g_auto(GStrv) locked = NULL;
  GError *error = NULL;
  GCancellable *cancellable;

  if (!secret_service_search_for_dbus_paths_finish (op->service, result, &unlocked, &locked,
                                                    &error))
    {
      op_return_error (task, error, FALSE);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  if (unlocked != NULL && unlocked[0] != NULL && unlocked[1] == NULL)
    {
      cancellable = g_task_get_cancellable (task);
      secret_service_get_secret_for_dbus_path (op->service, unlocked[0], cancellable,
                                               on_fast_secret, g_steal_pointer (&task));
      return;
    }

  if ((unlocked == NULL || unlocked[0] == NULL) && (locked == NULL || locked[0] == NULL))
    {
      g_task_return_error (task, not_found_error (op));
      return;
    }

  if ((unlocked == NULL || unlocked[0] == NULL) && !op->unlock)
    {
      g_debug ("The secret of “%s” is in a locked collection", op->account_id);
      g_task_return_error (task, locked_error (op_is_token (op), op->account_id));
      return;
    }

  /* Several items, or locked ones to unlock: the full search decides. */
  lookup_full (g_steal_pointer (&task));
}

/* The common case, one item in an unlocked collection, takes two calls to
 * the Secret Service by D-Bus path; the full search creates a proxy (and a
 * round trip) per item and is kept for the rest. */
static void
lookup_step (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  secret_service_search_for_dbus_paths (op->service, op->schema, op->search,
                                        g_task_get_cancellable (task), on_fast_searched, task);
}

static void
lookup_start (SecretService       *service,
              const SecretSchema  *schema,
              const char          *account_id,
              gboolean             unlock,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = op_task_new (schema, account_id,
                             schema == &oauth2_schema ? (gpointer) pb_secret_lookup_token_async
                                                      : (gpointer) pb_secret_lookup_async,
                             cancellable, callback, user_data);
  Op *op = g_task_get_task_data (task);

  op->unlock = unlock;
  op_run (task, service, lookup_step);
}

void
pb_secret_lookup_async (const char          *account_id,
                        gboolean             unlock,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (account_id != NULL && *account_id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  lookup_start (NULL, &account_schema, account_id, unlock, cancellable, callback, user_data);
}

char *
pb_secret_lookup_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_secret_lookup_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Deleting items, for delete and for store */

static void on_delete_done (GObject *source, GAsyncResult *result, gpointer user_data);

static gboolean
attributes_match (GHashTable *have,
                  GHashTable *want)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, want);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_strcmp0 (g_hash_table_lookup (have, key), value) != 0)
        return FALSE;
    }
  return TRUE;
}

/* Deletes @items, but keeps the first one whose attributes are exactly
 * op->attributes when that is set (store replaces its secret in place).
 * Calls op->step once all deletions are done. Takes @task. */
static void
delete_items (GTask *task,
              GList *items)
{
  Op *op = g_task_get_task_data (task);
  gboolean kept = FALSE;

  g_assert (op->deleting == 0);

  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretItem *item = l->data;

      if (op->attributes != NULL && !kept)
        {
          g_autoptr(GHashTable) have = secret_item_get_attributes (item);

          if (attributes_match (have, op->attributes))
            {
              kept = TRUE;
              continue;
            }
        }

      g_debug ("Deleting keyring item %s of “%s”",
               g_dbus_proxy_get_object_path (G_DBUS_PROXY (item)), op->account_id);
      op->deleting++;
      secret_item_delete (item, g_task_get_cancellable (task), on_delete_done,
                          g_object_ref (task));
    }

  if (op->deleting == 0)
    op->step (task);
  else
    g_object_unref (task);
}

static void
on_delete_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;

  if (!secret_item_delete_finish (SECRET_ITEM (source), result, &error))
    {
      if (op->delete_error == NULL)
        op->delete_error = error;
      else
        g_error_free (error);
    }

  g_assert (op->deleting > 0);
  if (--op->deleting > 0)
    return;

  if (op->delete_error != NULL)
    op_return_error (task, g_steal_pointer (&op->delete_error), FALSE);
  else if (!g_task_return_error_if_cancelled (task))
    op->step (g_steal_pointer (&task));
}

static void
on_searched_for_deletion (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GTask *task = user_data;
  GList *items;

  items = op_search_finish (task, result);
  if (g_task_had_error (task))
    {
      g_object_unref (task);
      return;
    }
  delete_items (task, items);
  g_list_free_full (items, g_object_unref);
}

/* Finds the items of op->account_id (locked ones too: deleting those fails
 * with "locked" rather than reporting success while the secret stays),
 * deletes them as delete_items does, then runs @then. Takes @task. */
static void
search_and_delete (GTask  *task,
                   OpStep  then)
{
  Op *op = g_task_get_task_data (task);

  op->step = then;
  op_search (task, SECRET_SEARCH_ALL, on_searched_for_deletion);
}

/* Store */

static void
on_store_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_service_store_finish (SECRET_SERVICE (source), result, &error))
    {
      op_return_error (task, error, FALSE);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
store_write_step (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  /* CreateItem with "replace" overwrites the item kept by delete_items (). */
  secret_service_store (op->service, op->schema, op->attributes, SECRET_COLLECTION_DEFAULT,
                        op->label, op->value, g_task_get_cancellable (task), on_store_done, task);
}

static void
store_step (GTask *task)
{
  /* Items of this account with another user, server or port go first, so
   * that an edited account leaves no stale password behind. */
  search_and_delete (task, store_write_step);
}

static void
store_start (SecretService       *service,
             PbAccount           *account,
             const char          *password,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  const char *id = pb_account_get_id (account);
  const char *user = pb_account_get_user (account);
  const char *host = pb_account_get_host (account);
  GTask *task = op_task_new (&account_schema, id, pb_secret_store_async, cancellable, callback,
                             user_data);
  Op *op = g_task_get_task_data (task);

  op->attributes = secret_attributes_build (&account_schema,
                                            "account", id,
                                            "user", user != NULL ? user : "",
                                            "server", host != NULL ? host : "",
                                            "port", (int) pb_account_get_port (account),
                                            NULL);
  if (user != NULL && *user != '\0' && host != NULL && *host != '\0')
    op->label = g_strdup_printf (_("Popbell: %s@%s"), user, host);
  else
    op->label = g_strdup_printf (_("Popbell: %s"), pb_account_get_display_name (account));
  op->value = secret_value_new (password, -1, "text/plain");

  op_run (task, service, store_step);
}

void
pb_secret_store_async (PbAccount           *account,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (PB_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL && g_utf8_validate (password, -1, NULL));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  store_start (NULL, account, password, cancellable, callback, user_data);
}

gboolean
pb_secret_store_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_secret_store_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* OAuth2 sign-ins */

void
pb_secret_lookup_token_async (const char          *account_id,
                              gboolean             unlock,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (account_id != NULL && *account_id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  lookup_start (NULL, &oauth2_schema, account_id, unlock, cancellable, callback, user_data);
}

char *
pb_secret_lookup_token_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_secret_lookup_token_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
token_store_start (SecretService       *service,
                   PbAccount           *account,
                   const char          *provider,
                   const char          *refresh_token,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  const char *id;
  const char *user;
  GTask *task;
  Op *op;

  id = pb_account_get_id (account);
  user = pb_account_get_user (account);
  task = op_task_new (&oauth2_schema, id, pb_secret_store_token_async, cancellable, callback,
                      user_data);
  op = g_task_get_task_data (task);
  op->attributes = secret_attributes_build (&oauth2_schema,
                                            "account", id,
                                            "provider", provider,
                                            "user", user != NULL ? user : "",
                                            NULL);
  /* Translators: the label of a keyring item: a user name and a provider (Google…). */
  op->label = g_strdup_printf (_("Popbell sign-in: %s (%s)"),
                               user != NULL ? user : pb_account_get_display_name (account),
                               provider);
  op->value = secret_value_new (refresh_token, -1, "text/plain");
  op_run (task, service, store_step);
}

void
pb_secret_store_token_async (PbAccount           *account,
                             const char          *provider,
                             const char          *refresh_token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (PB_IS_ACCOUNT (account));
  g_return_if_fail (provider != NULL);
  g_return_if_fail (refresh_token != NULL && g_utf8_validate (refresh_token, -1, NULL));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  token_store_start (NULL, account, provider, refresh_token, cancellable, callback, user_data);
}

gboolean
pb_secret_store_token_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_secret_store_token_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
token_delete_done (GTask *task)
{
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
token_delete_step (GTask *task)
{
  search_and_delete (task, token_delete_done);
}

void
pb_secret_delete_token_async (const char          *account_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (account_id != NULL && *account_id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = op_task_new (&oauth2_schema, account_id, pb_secret_delete_token_async, cancellable,
                      callback, user_data);
  op_run (task, NULL, token_delete_step);
}

gboolean
pb_secret_delete_token_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_secret_delete_token_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Delete */

static void delete_step (GTask *task);

/* The passwords are gone; then the sign-ins go too. */
static void
delete_done_step (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  if (op->schema == &account_schema)
    {
      op->schema = &oauth2_schema;
      g_hash_table_unref (op->search);
      op->search = secret_attributes_build (&oauth2_schema, "account", op->account_id, NULL);
      delete_step (task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
delete_step (GTask *task)
{
  search_and_delete (task, delete_done_step);
}

static void
delete_start (SecretService       *service,
              const char          *account_id,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = op_task_new (&account_schema, account_id, pb_secret_delete_async, cancellable,
                             callback, user_data);

  op_run (task, service, delete_step);
}

void
pb_secret_delete_async (const char          *account_id,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (account_id != NULL && *account_id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  delete_start (NULL, account_id, cancellable, callback, user_data);
}

gboolean
pb_secret_delete_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_secret_delete_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sync variants */

typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} SyncCall;

static SecretService *
sync_get_service (const char    *account_id,
                  GCancellable  *cancellable,
                  GError       **error)
{
  GError *local_error = NULL;
  SecretService *service;

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, cancellable, &local_error);
  if (service == NULL)
    g_propagate_error (error, translate_error (local_error, TRUE, FALSE, account_id));

  return service;
}

static void
sync_call_begin (SyncCall *call)
{
  call->context = g_main_context_new ();
  call->result = NULL;
  g_main_context_push_thread_default (call->context);
}

static void
on_sync_call_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  SyncCall *call = user_data;

  call->result = g_object_ref (result);
}

static GAsyncResult *
sync_call_wait (SyncCall *call)
{
  while (call->result == NULL)
    g_main_context_iteration (call->context, TRUE);
  return call->result;
}

static void
sync_call_end (SyncCall *call)
{
  g_clear_object (&call->result);
  /* Let the proxies freed with the result tidy up in the context they
   * were made in, before that context goes away. */
  while (g_main_context_iteration (call->context, FALSE))
    ;
  g_main_context_pop_thread_default (call->context);
  g_main_context_unref (call->context);
}

char *
pb_secret_lookup_sync (const char    *account_id,
                       gboolean       unlock,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  SyncCall call;
  char *password;

  g_return_val_if_fail (account_id != NULL && *account_id != '\0', NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  service = sync_get_service (account_id, cancellable, error);
  if (service == NULL)
    return NULL;

  sync_call_begin (&call);
  lookup_start (service, &account_schema, account_id, unlock, cancellable, on_sync_call_done,
                &call);
  password = pb_secret_lookup_finish (sync_call_wait (&call), error);
  sync_call_end (&call);

  return password;
}

gboolean
pb_secret_store_sync (PbAccount     *account,
                      const char    *password,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  SyncCall call;
  gboolean stored;

  g_return_val_if_fail (PB_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (password != NULL && g_utf8_validate (password, -1, NULL), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  service = sync_get_service (pb_account_get_id (account), cancellable, error);
  if (service == NULL)
    return FALSE;

  sync_call_begin (&call);
  store_start (service, account, password, cancellable, on_sync_call_done, &call);
  stored = pb_secret_store_finish (sync_call_wait (&call), error);
  sync_call_end (&call);

  return stored;
}

gboolean
pb_secret_delete_sync (const char    *account_id,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  SyncCall call;
  gboolean deleted;

  g_return_val_if_fail (account_id != NULL && *account_id != '\0', FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  service = sync_get_service (account_id, cancellable, error);
  if (service == NULL)
    return FALSE;

  sync_call_begin (&call);
  delete_start (service, account_id, cancellable, on_sync_call_done, &call);
  deleted = pb_secret_delete_finish (sync_call_wait (&call), error);
  sync_call_end (&call);

  return deleted;
}

gboolean
pb_secret_store_token_sync (PbAccount     *account,
                            const char    *provider,
                            const char    *refresh_token,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  SyncCall call;
  gboolean stored;

  g_return_val_if_fail (PB_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (provider != NULL, FALSE);
  g_return_val_if_fail (refresh_token != NULL && g_utf8_validate (refresh_token, -1, NULL), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  service = sync_get_service (pb_account_get_id (account), cancellable, error);
  if (service == NULL)
    return FALSE;

  sync_call_begin (&call);
  token_store_start (service, account, provider, refresh_token, cancellable, on_sync_call_done,
                     &call);
  stored = pb_secret_store_token_finish (sync_call_wait (&call), error);
  sync_call_end (&call);

  return stored;
}
