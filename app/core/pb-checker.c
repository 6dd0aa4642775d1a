/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-checker"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-autoconfig.h"
#include "pb-checker.h"
#include "pb-error.h"
#include "pb-files.h"
#include "pb-oauth2-tokens.h"
#include "pb-pop3-client.h"
#include "pb-secret-store.h"
#include "pb-seen-store.h"

void
pb_check_result_free (PbCheckResult *result)
{
  if (result == NULL)
    return;

  g_free (result->account_id);
  g_clear_error (&result->error);
  g_clear_pointer (&result->messages, g_ptr_array_unref);
  g_free (result->host);
  g_clear_object (&result->certificate);
  g_free (result->ciphersuite);
  g_free (result->notice);
  g_free (result);
}

typedef struct
{
  PbAccount     *account;
  PbTrustStore  *pins;
  char          *state_dir;
  char          *password;      /* or the access token, when bearer */
  gboolean       password_is_secret; /* from the keyring: pb_secret_free */
  gboolean       bearer;        /* sign in with an OAuth2 access token */
  gboolean       token_cached;  /* it came from memory, not fresh from the provider */
  gboolean       token_retried; /* the server refused one, and a fresh one was got */
  gboolean       unlock_keyring;
  guint          timeout;

  PbPop3Client  *client;
  PbSeenStore   *seen;
  PbPop3Listing *listing;
  GPtrArray     *new_entries;    /* PbPop3Entry* (transfer none, owned by listing) */
  guint          claimed_new;    /* without UIDL: new messages by the count alone */
  PbCheckResult *result;
  gint64         started;

  /* Until login: the keyring lookup, the connection and the state, side by side. */
  guint          pending;
  GError        *start_error;
  GCancellable  *start_cancellable;
  GCancellable  *outer_cancellable;
  gulong         cancel_handler;

  /* Each wait for the server has its timeout; a server that drips a byte
   * at a time would still hold the check for ever, so the whole check has
   * a deadline too. */
  guint          deadline;       /* seconds */
  guint          deadline_id;
  gboolean       deadline_passed;
} CheckData;

static void
clear_password (CheckData *data)
{
  if (data->password == NULL)
    return;
  if (data->password_is_secret)
    pb_secret_free (g_steal_pointer (&data->password));
  else
    {
      explicit_bzero (data->password, strlen (data->password));
      g_clear_pointer (&data->password, g_free);
    }
}

static void
check_data_free (CheckData *data)
{
  g_clear_handle_id (&data->deadline_id, g_source_remove);
  if (data->cancel_handler != 0)
    g_cancellable_disconnect (data->outer_cancellable, data->cancel_handler);
  g_clear_object (&data->outer_cancellable);
  g_clear_object (&data->start_cancellable);
  g_clear_error (&data->start_error);
  g_clear_object (&data->account);
  g_clear_object (&data->pins);
  g_free (data->state_dir);
  clear_password (data);
  if (data->client != NULL)
    pb_pop3_client_quit (data->client);
  g_clear_object (&data->client);
  g_clear_object (&data->seen);
  g_clear_pointer (&data->listing, pb_pop3_listing_free);
  g_clear_pointer (&data->new_entries, g_ptr_array_unref);
  g_clear_pointer (&data->result, pb_check_result_free);
  g_free (data);
}

PbPop3Client *
pb_checker_client_new (PbAccount    *account,
                       PbTrustStore *pins,
                       guint         timeout)
{
  PbPop3Client *client;

  g_return_val_if_fail (PB_IS_ACCOUNT (account), NULL);

  client = pb_pop3_client_new (pb_account_get_host (account), pb_account_get_port (account),
                               pb_account_get_security (account));
  pb_pop3_client_set_timeout (client, timeout ? timeout : PB_POP3_DEFAULT_TIMEOUT);
  pb_pop3_client_set_trust_store (client, pins);
  pb_pop3_client_set_ca_file (client, pb_account_get_ca_file (account));
  return client;
}

void
pb_check_result_set_connection (PbCheckResult *result,
                                PbPop3Client  *client)
{
  g_return_if_fail (result != NULL && PB_IS_POP3_CLIENT (client));

  g_free (result->host);
  result->host = g_strdup (pb_pop3_client_get_host (client));
  result->port = pb_pop3_client_get_port (client);

  g_clear_object (&result->certificate);
  if (pb_pop3_client_get_peer_certificate (client) != NULL)
    result->certificate = g_object_ref (pb_pop3_client_get_peer_certificate (client));
  result->certificate_errors = pb_pop3_client_get_certificate_errors (client);
  result->trust = pb_pop3_client_get_trust_verdict (client);
  result->tls_version = pb_pop3_client_get_tls_version (client);
  g_free (result->ciphersuite);
  result->ciphersuite = g_strdup (pb_pop3_client_get_ciphersuite (client));
  result->commands_sent = pb_pop3_client_get_commands_sent (client);
  result->round_trips = pb_pop3_client_get_round_trips (client);
  result->bytes_received = pb_pop3_client_get_bytes_received (client);
  result->login_delay = pb_pop3_client_get_login_delay (client);
}

/* The client knows what the connection looked like, whether it failed or not. */
static void
collect_connection_facts (CheckData *data)
{
  if (data->client != NULL)
    pb_check_result_set_connection (data->result, data->client);
}

static void
finish (GTask  *task,
        GError *error)
{
  CheckData *data = g_task_get_task_data (task);
  PbCheckResult *result = data->result;

  collect_connection_facts (data);
  if (data->client != NULL)
    pb_pop3_client_quit (data->client);
  g_clear_handle_id (&data->deadline_id, g_source_remove);

  if (data->deadline_passed && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&error);
      error = g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_TIMEOUT,
                           _("%s did not finish the check within %u seconds; it is too slow "
                             "or stalling."),
                           result->host, data->deadline);
    }

  if (error != NULL)
    {
      g_debug ("Check of %s failed: %s", result->account_id, error->message);
      /* After a failure the next check reads the whole listing. Only in
       * memory: a failed check writes nothing (the applet keeps its stores
       * between checks; a one-shot --check has the daily whole listing). */
      if (data->seen != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        pb_seen_store_set_boundary (data->seen, NULL, FALSE);
      result->error = error;
      /* A failed check reports nothing new. */
      result->new_count = 0;
      g_ptr_array_set_size (result->messages, 0);
    }

  /* The applet never checks more often than the server allows; say so. */
  if (error == NULL && result->notice == NULL &&
      result->login_delay > 60 * pb_account_get_interval (data->account))
    {
      guint minutes = (result->login_delay + 59) / 60;

      result->notice = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                     "%s allows a login only every %u minute; "
                                                     "Popbell checks this account no more "
                                                     "often than that.",
                                                     "%s allows a login only every %u minutes; "
                                                     "Popbell checks this account no more "
                                                     "often than that.", minutes),
                                        result->host, minutes);
    }

  result->duration_us = g_get_monotonic_time () - data->started;
  data->result = NULL;
  g_task_return_pointer (task, result, (GDestroyNotify) pb_check_result_free);
  g_object_unref (task);
}

/* The UIDL of the mailbox's last message, for the next check's hint. */
static void
record_boundary (CheckData *data)
{
  PbPop3Listing *listing = data->listing;
  const char *last = NULL;

  if (listing->kind == PB_POP3_LISTING_UNCHANGED)
    return;
  if (listing->entries != NULL && listing->entries->len > 0)
    {
      PbPop3Entry *entry = g_ptr_array_index (listing->entries, listing->entries->len - 1);

      /* Only when the numbering is the plain one the hint relies on. */
      if (entry->msgnum == listing->count)
        last = entry->uidl;
    }
  pb_seen_store_set_boundary (data->seen, last,
                              listing->kind == PB_POP3_LISTING_FULL && listing->entries != NULL);
}

static void
record_and_finish (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  PbCheckResult *result = data->result;
  g_autoptr(GPtrArray) uidls = NULL;
  g_autoptr(GError) error = NULL;

  /* find_new_messages looked up every UIDL: nothing new and as many as were
   * seen means the same mailbox. */
  if (data->listing->kind == PB_POP3_LISTING_UNCHANGED)
    pb_seen_store_record_unchanged (data->seen, result->total);
  else if (data->listing->kind == PB_POP3_LISTING_APPENDED)
    {
      g_autoptr(GPtrArray) appended = g_ptr_array_sized_new (data->listing->entries->len);

      for (guint i = 0; i < data->listing->entries->len; i++)
        g_ptr_array_add (appended, ((PbPop3Entry *) data->listing->entries->pdata[i])->uidl);
      pb_seen_store_record_appended (data->seen, (const char * const *) appended->pdata,
                                     appended->len, result->total, result->messages);
    }
  else if (data->listing->entries != NULL && !result->first_check && result->new_count == 0 &&
      data->listing->entries->len == pb_seen_store_get_n_seen (data->seen))
    pb_seen_store_record_unchanged (data->seen, result->total);
  else if (data->listing->entries != NULL)
    {
      uidls = g_ptr_array_sized_new (data->listing->entries->len + 1);
      for (guint i = 0; i < data->listing->entries->len; i++)
        {
          PbPop3Entry *entry = g_ptr_array_index (data->listing->entries, i);
          if (entry->uidl != NULL)
            g_ptr_array_add (uidls, entry->uidl);
        }
    }

  /* An empty array has no pdata, but an empty mailbox is not one without
   * UIDL: what was seen is gone and must be forgotten. */
  if (uidls != NULL)
    g_ptr_array_add (uidls, NULL);

  if (uidls != NULL || data->listing->entries == NULL)
    pb_seen_store_record_check (data->seen,
                                uidls ? (const char * const *) uidls->pdata : NULL,
                                uidls ? uidls->len - 1 : 0,
                                result->total,
                                result->messages);

  record_boundary (data);

  if (!pb_seen_store_save (data->seen, &error))
    {
      g_prefix_error (&error, _("Could not save what was seen: "));
      finish (task, g_steal_pointer (&error));
      return;
    }

  finish (task, NULL);
}

static void
on_top (GObject      *source,
        GAsyncResult *res,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  PbCheckResult *result = data->result;
  g_autoptr(GPtrArray) headers = NULL;
  g_autoptr(GError) error = NULL;
  guint first;

  headers = pb_pop3_client_top_finish (data->client, res, &error);
  if (headers == NULL)
    {
      if (!g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_SERVER))
        {
          finish (g_steal_pointer (&task), g_steal_pointer (&error));
          return;
        }
      /* The server has no TOP: the count is still right, only previews are missing. */
      g_debug ("No previews for %s: %s", result->account_id, error->message);
      result->limits |= PB_CHECK_LIMIT_NO_TOP;
      pb_pop3_client_quit (data->client);
      record_and_finish (g_steal_pointer (&task));
      return;
    }

  pb_pop3_client_quit (data->client);

  /* Previews were fetched for the newest entries only, which are the last
   * ones of result->messages. */
  g_assert (headers->len <= result->messages->len);
  first = result->messages->len - headers->len;
  for (guint i = 0; i < headers->len; i++)
    {
      GBytes *block = g_ptr_array_index (headers, i);
      PbMessage *old = g_ptr_array_index (result->messages, first + i);
      gsize len = 0;
      const char *bytes = g_bytes_get_data (block, &len);
      PbMessage *message;

      if (len == 0)
        continue; /* deleted meanwhile */

      message = pb_message_new_from_headers (old->uidl, bytes, len);
      result->messages->pdata[first + i] = message;
      pb_message_free (old);
    }

  record_and_finish (g_steal_pointer (&task));
}

/* Where the mailbox ended last time, so that an unchanged mailbox costs
 * two short answers instead of its whole listing. The whole listing is
 * still read now and then (PB_CHECK_FULL_LISTING_EVERY), and after any
 * failed check (the boundary is forgotten then), so that a server that
 * breaks the numbering rule is caught. */
static void
set_listing_hint (CheckData *data)
{
  PbSeenStore *seen = data->seen;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 last_listing = pb_seen_store_get_last_listing (seen);

  if (!pb_seen_store_is_initialized (seen) || pb_seen_store_get_last_uidl (seen) == NULL ||
      pb_seen_store_get_last_total (seen) <= 0 || last_listing > now ||
      now - last_listing >= PB_CHECK_FULL_LISTING_EVERY)
    return;

  pb_pop3_client_set_listing_hint (data->client, (guint) pb_seen_store_get_last_total (seen),
                                   pb_seen_store_get_last_uidl (seen));
}

static void
find_new_messages (CheckData *data)
{
  PbCheckResult *result = data->result;
  PbPop3Listing *listing = data->listing;

  result->total = listing->count;
  data->new_entries = g_ptr_array_new ();

  if (listing->entries == NULL)
    {
      gint64 last_total = pb_seen_store_get_last_total (data->seen);

      /* Without UIDL the only evidence is the message count; a grown mailbox
       * most likely got its new mail at the end. */
      result->limits |= PB_CHECK_LIMIT_NO_UIDL;
      if (!pb_seen_store_is_initialized (data->seen) || last_total < 0)
        result->first_check = TRUE;
      else if (listing->count > (guint64) last_total)
        {
          /* The count is the server's claim ("+OK 4294967295 0" costs it
           * nothing): it is reported, but only the messages that get a
           * preview become entries, so the work stays bounded. */
          guint new_count = listing->count - (guint) last_total;
          guint first = listing->count - MIN (new_count, PB_CHECK_MAX_PREVIEWS) + 1;

          g_ptr_array_set_free_func (data->new_entries, g_free);
          for (guint n = first; n >= first && n <= listing->count; n++)
            {
              PbPop3Entry *entry = g_new0 (PbPop3Entry, 1);
              entry->msgnum = n;
              g_ptr_array_add (data->new_entries, entry);
            }
          if (new_count > data->new_entries->len)
            result->limits |= PB_CHECK_LIMIT_TRUNCATED;
          data->claimed_new = new_count;
        }
    }
  else if (!pb_seen_store_is_initialized (data->seen))
    {
      /* The first check of an account takes what is there as seen. */
      result->first_check = TRUE;
    }
  else
    {
      g_autoptr(GHashTable) fresh = NULL;

      for (guint i = 0; i < listing->entries->len; i++)
        {
          PbPop3Entry *entry = g_ptr_array_index (listing->entries, i);

          if (entry->uidl == NULL || pb_seen_store_contains (data->seen, entry->uidl))
            continue;

          /* A UIDL is unique (RFC 1939); a server that lists one twice
           * still has one new message under it, announced once. */
          if (fresh == NULL)
            fresh = g_hash_table_new (g_str_hash, g_str_equal);
          if (g_hash_table_add (fresh, entry->uidl))
            g_ptr_array_add (data->new_entries, entry);
        }
    }

  result->new_count = MAX (data->new_entries->len, data->claimed_new);
  for (guint i = 0; i < data->new_entries->len; i++)
    {
      PbPop3Entry *entry = g_ptr_array_index (data->new_entries, i);
      PbMessage *message = pb_message_new ();

      message->uidl = g_strdup (entry->uidl);
      g_ptr_array_add (result->messages, message);
    }
}

static void retry_with_fresh_token (GTask *task);

static void
on_login (GObject      *source,
          GAsyncResult *res,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  PbCheckResult *result = data->result;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) msgnums = NULL;
  GCancellable *cancellable;
  guint n_previews, first;

  data->listing = pb_pop3_client_login_finish (data->client, res, &error);
  clear_password (data);
  if (data->listing == NULL)
    {
      /* A token from memory may have been revoked or cut short by the
       * provider: one fresh token, one more try. */
      if (data->bearer && data->token_cached && !data->token_retried &&
          (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED) ||
           g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED)))
        {
          g_debug ("%s refused the access token of %s from memory; getting a fresh one",
                   result->host, result->account_id);
          retry_with_fresh_token (g_steal_pointer (&task));
          return;
        }
      finish (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  result->listing = data->listing->kind;
  find_new_messages (data);

  if (result->new_count == 0)
    {
      pb_pop3_client_quit (data->client);
      record_and_finish (g_steal_pointer (&task));
      return;
    }

  /* Previews for the newest few; the count stays complete. */
  n_previews = MIN (data->new_entries->len, PB_CHECK_MAX_PREVIEWS);
  if (n_previews < result->new_count)
    result->limits |= PB_CHECK_LIMIT_TRUNCATED;
  first = data->new_entries->len - n_previews;

  /* Messages without previews are not listed one by one. */
  if (first > 0)
    g_ptr_array_remove_range (result->messages, 0, first);

  msgnums = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_previews);
  for (guint i = first; i < data->new_entries->len; i++)
    {
      PbPop3Entry *entry = g_ptr_array_index (data->new_entries, i);
      g_array_append_val (msgnums, entry->msgnum);
    }

  cancellable = g_task_get_cancellable (task);
  pb_pop3_client_top_async (data->client, (const guint *) msgnums->data, msgnums->len,
                            cancellable, on_top, g_steal_pointer (&task));
}

/* A provider that takes only an OAuth2 sign-in refuses any password for certain (an
 * account set up by hand, or before the provider changed): none is sent. */
static GError *
oauth2_only_error (PbAccount *account)
{
  g_autoptr(PbServerCandidate) provider = NULL;

  provider = pb_autoconfig_lookup_provider_by_host (pb_account_get_host (account));
  if (provider == NULL || !provider->oauth2_only)
    return NULL;
  if (provider->oauth2_provider != NULL)
    /* Translators: %s is a provider such as "Outlook.com". */
    return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_NO_AUTH_MECHANISM,
                        _("%s takes only an OAuth2 sign-in, so your password was not sent. "
                          "Sign in instead to check this account."),
                        provider->provider_name != NULL ? provider->provider_name
                                                        : pb_account_get_host (account));
  /* Translators: %s is a provider such as "Outlook.com". */
  return g_error_new (PB_POP3_ERROR, PB_POP3_ERROR_NO_AUTH_MECHANISM,
                      _("%s takes only an OAuth2 sign-in, and Popbell knows no provider to sign "
                        "in with there, so your password was not sent. Have the provider "
                        "forward your mail to a mailbox that takes a password."),
                      provider->provider_name != NULL ? provider->provider_name
                                                      : pb_account_get_host (account));
}

/* The keyring lookup, the connection and the loading of the state run side
 * by side (each costs about as much as the others); logging in waits for all
 * of them. Takes @task. */
static void
start_half_done (GTask  *task,
                 GError *error)
{
  CheckData *data = g_task_get_task_data (task);
  GError *oauth2_error;
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_assert (data->pending > 0);
  data->pending--;

  if (error != NULL)
    {
      /* The first failure is the one to report; it stops the other half,
       * whose cancellation is then no news. */
      if (data->start_error == NULL)
        {
          data->start_error = error;
          g_cancellable_cancel (data->start_cancellable);
        }
      else
        g_error_free (error);
    }

  if (data->pending > 0)
    {
      g_object_unref (task);
      return;
    }

  if (data->start_error != NULL)
    {
      finish (task, g_steal_pointer (&data->start_error));
      return;
    }

  set_listing_hint (data);
  if (data->bearer)
    {
      pb_pop3_client_login_bearer_async (data->client,
                                         pb_account_get_user (data->account),
                                         data->password,
                                         cancellable,
                                         on_login, task);
      return;
    }

  oauth2_error = oauth2_only_error (data->account);
  if (oauth2_error != NULL)
    {
      finish (task, oauth2_error);
      return;
    }

  pb_pop3_client_login_async (data->client,
                              pb_account_get_user (data->account),
                              data->password,
                              cancellable,
                              on_login, task);
}

static void
on_connect (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  pb_pop3_client_connect_finish (data->client, res, &error);
  start_half_done (task, error);
}

static void
start_connect (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);

  data->client = pb_checker_client_new (data->account, data->pins, data->timeout);

  data->pending++;
  pb_pop3_client_connect_async (data->client, data->start_cancellable,
                                on_connect, g_object_ref (task));
}

static void
on_password (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->password = pb_secret_lookup_finish (res, &error);
  data->password_is_secret = TRUE;

  /* After an unlock prompt, which may have taken long, the connection starts
   * only now, so that the server does not give up waiting for us. */
  if (data->password != NULL && data->client == NULL)
    start_connect (task);

  start_half_done (task, error);
}

static void
on_access_token (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->password = pb_oauth2_get_access_token_finish (res, &data->token_cached, &error);
  data->password_is_secret = FALSE;
  data->bearer = TRUE;

  /* After an unlock prompt, as for a password: connect only now. */
  if (data->password != NULL && data->client == NULL)
    start_connect (task);

  start_half_done (task, error);
}

static void
start_token (GTask              *task,
             PbOAuth2TokenFlags  flags)
{
  CheckData *data = g_task_get_task_data (task);

  if (data->unlock_keyring)
    flags |= PB_OAUTH2_TOKEN_UNLOCK;
  data->pending++;
  pb_oauth2_get_access_token_async (data->account, flags, data->start_cancellable,
                                    on_access_token, g_object_ref (task));
}

/* Takes @task. */
static void
retry_with_fresh_token (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);

  data->token_retried = TRUE;
  pb_pop3_client_quit (data->client);
  g_clear_object (&data->client);
  g_clear_pointer (&data->listing, pb_pop3_listing_free);
  start_token (task, PB_OAUTH2_TOKEN_FRESH);
  start_connect (task);
  g_object_unref (task);
}

static void
start_lookup (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);

  data->pending++;
  pb_secret_lookup_async (pb_account_get_id (data->account), data->unlock_keyring,
                          data->start_cancellable, on_password, g_object_ref (task));
}

static void
load_state_thread (GTask        *thread_task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GError *error = NULL;

  if (pb_seen_store_load (PB_SEEN_STORE (task_data), &error))
    g_task_return_boolean (thread_task, TRUE);
  else
    g_task_return_error (thread_task, error);
}

static void
on_state_loaded (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (res), &error) &&
      g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT))
    {
      /* Set aside; this check then counts as the first (no flood of old mail). */
      data->result->notice = g_strdup (error->message);
      g_clear_error (&error);
    }

  start_half_done (task, error);
}

static void
start_state_load (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GTask) thread_task = NULL;

  data->pending++;
  thread_task = g_task_new (NULL, NULL, on_state_loaded, g_object_ref (task));
  g_task_set_source_tag (thread_task, start_state_load);
  g_task_set_task_data (thread_task, g_object_ref (data->seen), g_object_unref);
  g_task_run_in_thread (thread_task, load_state_thread);
}

static gboolean
on_deadline (gpointer user_data)
{
  CheckData *data = user_data;

  data->deadline_id = 0;
  data->deadline_passed = TRUE;
  g_debug ("Check of %s: deadline passed", data->result ? data->result->account_id : "?");
  /* Both end the step under way with G_IO_ERROR_CANCELLED. */
  g_cancellable_cancel (data->start_cancellable);
  if (data->client != NULL)
    pb_pop3_client_quit (data->client);
  return G_SOURCE_REMOVE;
}

static void
forward_cancel (GCancellable *cancellable,
                gpointer      inner)
{
  g_cancellable_cancel (inner);
}

void
pb_checker_check_async (PbAccount            *account,
                        const PbCheckOptions *options,
                        GCancellable         *cancellable,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data)
{
  static const PbCheckOptions defaults = { 0 };
  GTask *task;
  CheckData *data;
  PbCheckResult *result;
  g_autofree char *state_path = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (PB_IS_ACCOUNT (account));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (options == NULL)
    options = &defaults;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_checker_check_async);
  /* The result carries a cancellation like any other error. */
  g_task_set_check_cancellable (task, FALSE);

  data = g_new0 (CheckData, 1);
  data->account = g_object_ref (account);
  data->pins = options->pins ? g_object_ref (options->pins) : NULL;
  data->state_dir = options->state_dir ? g_strdup (options->state_dir) : pb_files_state_dir ();
  data->unlock_keyring = options->unlock_keyring;
  data->timeout = options->timeout ? options->timeout : PB_POP3_DEFAULT_TIMEOUT;
  data->started = g_get_monotonic_time ();
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);

  result = g_new0 (PbCheckResult, 1);
  result->account_id = g_strdup (pb_account_get_id (account));
  result->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  result->host = g_strdup (pb_account_get_host (account));
  result->port = pb_account_get_port (account);
  result->trust = PB_TRUST_REJECTED;
  data->result = result;

  if (options->seen != NULL)
    data->seen = g_object_ref (options->seen);
  else
    {
      state_path = g_strdup_printf ("%s/%s.state", data->state_dir, pb_account_get_id (account));
      data->seen = pb_seen_store_new (state_path);
    }

  data->start_cancellable = g_cancellable_new ();
  data->deadline = options->deadline ? options->deadline
                                     : PB_CHECK_DEADLINE_FACTOR * data->timeout;
  data->deadline_id = g_timeout_add_seconds (data->deadline, on_deadline, data);
  data->outer_cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  if (cancellable != NULL)
    data->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel),
                                                  data->start_cancellable, NULL);

  /* The state (up to 100,000 UIDLs) loads in a thread while we connect;
   * a caller that keeps the store (the applet) has it loaded already. */
  if (options->seen == NULL)
    start_state_load (task);

  if (options->access_token != NULL)
    {
      data->password = g_strdup (options->access_token);
      data->bearer = TRUE;
      start_connect (task);
    }
  else if (options->password != NULL)
    {
      data->password = g_strdup (options->password);
      start_connect (task);
    }
  else if (pb_account_get_oauth2_provider (account) != NULL)
    {
      /* The token may take the keyring's prompt, then the provider: as with a
       * password, connect once it is there. */
      start_token (task, PB_OAUTH2_TOKEN_NONE);
      if (!options->unlock_keyring)
        start_connect (task);
    }
  else if (options->unlock_keyring)
    start_lookup (task); /* may prompt: connect once the password is there */
  else
    {
      start_lookup (task);
      start_connect (task);
    }

  g_object_unref (task);
}

PbCheckResult *
pb_checker_check_finish (GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_checker_check_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), NULL);
}

/* ---- The login test ------------------------------------------------------- */

typedef struct
{
  PbAccount     *account;
  PbPop3Client  *client;
  PbCheckResult *result;
  PbPop3Listing *listing;
  char          *password;
} LoginTest;

static void
login_test_free (LoginTest *test)
{
  g_clear_object (&test->account);
  g_clear_object (&test->client);
  g_clear_pointer (&test->result, pb_check_result_free);
  g_clear_pointer (&test->listing, pb_pop3_listing_free);
  if (test->password != NULL)
    explicit_bzero (test->password, strlen (test->password));
  g_free (test->password);
  g_free (test);
}

static void
login_test_return (GTask  *task,
                   GError *error)
{
  LoginTest *test = g_task_get_task_data (task);

  pb_check_result_set_connection (test->result, test->client);
  test->result->error = error;
  if (error == NULL && test->listing != NULL)
    test->result->total = test->listing->count;
  pb_pop3_client_quit (test->client);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_login_test_logged_in (GObject      *source,
                         GAsyncResult *res,
                         gpointer      user_data)
{
  GTask *task = user_data;
  LoginTest *test = g_task_get_task_data (task);
  GError *error = NULL;

  test->listing = pb_pop3_client_login_finish (test->client, res, &error);
  login_test_return (task, error);
}

static void
on_login_test_connected (GObject      *source,
                         GAsyncResult *res,
                         gpointer      user_data)
{
  GTask *task = user_data;
  LoginTest *test = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!pb_pop3_client_connect_finish (test->client, res, &error))
    {
      login_test_return (task, error);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  if (pb_account_get_oauth2_provider (test->account) != NULL)
    pb_pop3_client_login_bearer_async (test->client, pb_account_get_user (test->account),
                                       test->password, cancellable, on_login_test_logged_in,
                                       task);
  else
    pb_pop3_client_login_async (test->client, pb_account_get_user (test->account),
                                test->password, cancellable, on_login_test_logged_in, task);
}

void
pb_checker_login_test_async (PbAccount           *account,
                             const char          *password,
                             PbTrustStore        *pins,
                             guint                timeout,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  LoginTest *test;

  g_return_if_fail (PB_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);

  test = g_new0 (LoginTest, 1);
  test->account = g_object_ref (account);
  test->client = pb_checker_client_new (account, pins, timeout);
  test->password = g_strdup (password);
  test->result = g_new0 (PbCheckResult, 1);
  test->result->account_id = g_strdup (pb_account_get_id (account));
  test->result->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  test->result->trust = PB_TRUST_REJECTED;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_checker_login_test_async);
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, test, (GDestroyNotify) login_test_free);
  pb_pop3_client_connect_async (test->client, cancellable, on_login_test_connected, task);
}

PbCheckResult *
pb_checker_login_test_finish (GAsyncResult   *result,
                              PbPop3Listing **listing)
{
  LoginTest *test;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_checker_login_test_async,
                        NULL);

  test = g_task_get_task_data (G_TASK (result));
  if (listing != NULL)
    *listing = g_steal_pointer (&test->listing);
  return g_steal_pointer (&test->result);
}
