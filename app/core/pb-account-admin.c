/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-admin"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pb-account-admin.h"
#include "pb-account-store.h"
#include "pb-error.h"
#include "pb-files.h"
#include "pb-secret-store.h"
#include "pb-seen-store.h"
#include "pb-tls-trust.h"

struct _PbAccountAdmin
{
  GObject  parent_instance;

  /* Immutable after construction: the worker threads read them. */
  char    *accounts_path;
  char    *trust_path;
  char    *state_dir;
};

G_DEFINE_FINAL_TYPE (PbAccountAdmin, pb_account_admin, G_TYPE_OBJECT)

static void
pb_account_admin_finalize (GObject *object)
{
  PbAccountAdmin *self = PB_ACCOUNT_ADMIN (object);

  g_free (self->accounts_path);
  g_free (self->trust_path);
  g_free (self->state_dir);
  G_OBJECT_CLASS (pb_account_admin_parent_class)->finalize (object);
}

static void
pb_account_admin_class_init (PbAccountAdminClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pb_account_admin_finalize;
}

static void
pb_account_admin_init (PbAccountAdmin *self)
{
}

PbAccountAdmin *
pb_account_admin_new (const char *accounts_path,
                      const char *trust_path,
                      const char *state_dir)
{
  PbAccountAdmin *self = g_object_new (PB_TYPE_ACCOUNT_ADMIN, NULL);
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (accounts_path);

  /* The stores know their default paths; only the state directory is ours. */
  self->accounts_path = g_strdup (pb_account_store_get_path (accounts));
  self->trust_path = trust_path != NULL ? g_strdup (trust_path) : NULL;
  self->state_dir = state_dir != NULL ? g_strdup (state_dir) : pb_files_state_dir ();
  return self;
}

char *
pb_account_admin_state_path (PbAccountAdmin *self,
                             const char     *account_id)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), NULL);
  /* The ID becomes a file name: a '/' or ".." in it must never get this far. */
  g_return_val_if_fail (pb_account_id_is_valid (account_id), NULL);

  name = g_strconcat (account_id, ".state", NULL);
  return g_build_filename (self->state_dir, name, NULL);
}

static PbAccountStore *
load_accounts (PbAccountAdmin  *self,
               GError         **error)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (self->accounts_path);

  if (!pb_account_store_load (store, error))
    return NULL;
  return g_steal_pointer (&store);
}

/* accounts.ini read afresh, and the account @account_id in it (transfer
 * none: *@store holds it), or NULL with PB_STORE_ERROR_NOT_FOUND. */
static PbAccount *
load_account (PbAccountAdmin  *self,
              const char      *account_id,
              PbAccountStore **store,
              GError         **error)
{
  PbAccount *account;

  *store = load_accounts (self, error);
  if (*store == NULL)
    return NULL;
  account = pb_account_store_lookup (*store, account_id);
  if (account == NULL)
    g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND,
                 _("There is no account “%s”."), account_id);
  return account;
}

static PbTrustStore *
load_pins (PbAccountAdmin  *self,
           GError         **error)
{
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (self->trust_path);

  if (!pb_trust_store_load (pins, error))
    return NULL;
  return g_steal_pointer (&pins);
}

/* ---- Baselines ---------------------------------------------------------- */

/* What a state file needs of a listing, in a form that can travel to a thread. */
typedef struct
{
  GPtrArray *uidls;    /* char*, NULL-terminated; NULL for a server without UIDL */
  guint      count;
  char      *last;     /* the UIDL of message number count, or NULL */
} Baseline;

static void
baseline_free (Baseline *baseline)
{
  if (baseline == NULL)
    return;
  g_clear_pointer (&baseline->uidls, g_ptr_array_unref);
  g_free (baseline->last);
  g_free (baseline);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Baseline, baseline_free)

static Baseline *
baseline_new (const PbPop3Listing *listing)
{
  Baseline *baseline;

  if (listing == NULL)
    return NULL;

  baseline = g_new0 (Baseline, 1);
  baseline->count = listing->count;
  if (listing->entries != NULL)
    {
      baseline->uidls = g_ptr_array_new_full (listing->entries->len + 1, g_free);
      for (guint i = 0; i < listing->entries->len; i++)
        {
          PbPop3Entry *entry = g_ptr_array_index (listing->entries, i);

          g_ptr_array_add (baseline->uidls, g_strdup (entry->uidl));
          if (entry->msgnum == listing->count)
            {
              g_free (baseline->last);
              baseline->last = g_strdup (entry->uidl);
            }
        }
      g_ptr_array_add (baseline->uidls, NULL);
    }
  return baseline;
}

static gboolean
write_baseline (const char      *path,
                const Baseline  *baseline,
                GError         **error)
{
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  GPtrArray *uidls = baseline->uidls;

  pb_seen_store_record_baseline (seen, uidls ? (const char * const *) uidls->pdata : NULL,
                                 uidls ? uidls->len - 1 : 0, baseline->count);
  pb_seen_store_set_boundary (seen, baseline->last, uidls != NULL);
  return pb_seen_store_save (seen, error);
}

/* A state file moved out of the way, to come back if the transaction fails. */
typedef struct
{
  char     *path;
  char     *aside;   /* where it is meanwhile, NULL when there was none */
} StateBackup;

static gboolean
state_backup (StateBackup  *backup,
              const char   *path,
              GError      **error)
{
  g_autofree char *aside = g_strconcat (path, ".popbell-old", NULL);
  int saved_errno;

  if (g_rename (path, aside) == 0)
    {
      backup->path = g_strdup (path);
      backup->aside = g_steal_pointer (&aside);
      return TRUE;
    }

  saved_errno = errno;
  if (saved_errno == ENOENT)
    {
      backup->path = g_strdup (path);
      return TRUE;
    }
  g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO, _("Could not move %s: %s"), path,
               g_strerror (saved_errno));
  return FALSE;
}

/* @commit: the transaction went through, the old state is gone for good. */
static void
state_backup_end (StateBackup *backup,
                  gboolean     commit)
{
  if (backup->aside != NULL)
    {
      if (commit)
        g_unlink (backup->aside);
      else if (g_rename (backup->aside, backup->path) != 0)
        g_warning ("Could not put %s back: %s", backup->path, g_strerror (errno));
    }
  g_clear_pointer (&backup->path, g_free);
  g_clear_pointer (&backup->aside, g_free);
}

/* ---- Pins --------------------------------------------------------------- */

typedef struct
{
  char            *host;
  guint16          port;
  GTlsCertificate *previous;   /* pinned before, or NULL */
  gboolean         changed;
} PinUndo;

static void
pin_undo_clear (PinUndo *undo)
{
  g_clear_pointer (&undo->host, g_free);
  g_clear_object (&undo->previous);
}

/* Puts back what trust.ini held before. */
static void
pin_undo (PbAccountAdmin *self,
          PinUndo        *undo)
{
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(GError) error = NULL;

  if (!undo->changed)
    return;
  pins = load_pins (self, &error);
  if (pins == NULL)
    {
      g_warning ("Could not undo the pin of %s:%u: %s", undo->host, undo->port, error->message);
      return;
    }
  if (undo->previous != NULL)
    pb_trust_store_add (pins, undo->host, undo->port, undo->previous);
  else
    pb_trust_store_remove (pins, undo->host, undo->port, NULL);
  if (!pb_trust_store_save (pins, &error))
    g_warning ("Could not undo the pin of %s:%u: %s", undo->host, undo->port, error->message);
}

static gboolean
refuse_weak (const char      *host,
             guint16          port,
             GTlsCertificate *certificate,
             GError         **error)
{
  g_auto(GStrv) weaknesses = NULL;
  g_autofree char *why = NULL;

  if (!pb_certificate_is_weak (certificate))
    return TRUE;

  weaknesses = pb_certificate_describe_weaknesses (certificate);
  why = g_strjoinv (" ", weaknesses);
  g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
               _("The certificate of %s:%u can't be trusted: %s"), host, port, why);
  return FALSE;
}

static gboolean
pin_certificate (PbAccountAdmin   *self,
                 const char       *host,
                 guint16           port,
                 GTlsCertificate  *certificate,
                 gboolean          replace,
                 PinUndo          *undo,
                 GError          **error)
{
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(GTlsCertificate) previous = NULL;
  g_autofree char *key = pb_trust_key (host, port);

  if (!refuse_weak (host, port, certificate, error))
    return FALSE;
  pins = load_pins (self, error);
  if (pins == NULL)
    return FALSE;

  undo->host = g_strdup (host);
  undo->port = port;
  if (pb_trust_store_is_pinned (pins, host, port, certificate))
    return TRUE;

  previous = pb_trust_store_get_certificate (pins, host, port);
  /* Replacing a pin is what an attacker in the middle would want: only on request. */
  if (previous != NULL && !replace)
    {
      g_autofree char *shown = pb_fingerprint_format (pb_trust_store_get_fingerprint (pins, host,
                                                                                     port));
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_EXISTS,
                   _("Another certificate is already trusted for %s:\n  %s"), key, shown);
      return FALSE;
    }

  pb_trust_store_add (pins, host, port, certificate);
  if (!pb_trust_store_save (pins, error))
    return FALSE;
  undo->previous = g_steal_pointer (&previous);
  undo->changed = TRUE;
  return TRUE;
}

static gboolean
pin_used_by (PbAccountStore *store,
             const char     *host,
             guint16         port)
{
  GPtrArray *accounts = pb_account_store_get_accounts (store);

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);

      if (g_ascii_strcasecmp (pb_account_get_host (account), host) == 0 &&
          pb_account_get_port (account) == port)
        return TRUE;
    }
  return FALSE;
}

/* ---- Add ---------------------------------------------------------------- */

static gboolean
add_run (PbAccountAdmin  *self,
         PbAccount       *account,
         const char      *password,
         const char      *refresh_token,
         gboolean         allow_session_only,
         GTlsCertificate *certificate,
         const Baseline  *baseline,
         gboolean        *session_only,
         GCancellable    *cancellable,
         GError         **error)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *state = NULL;
  const char *id = pb_account_get_id (account);
  StateBackup backup = { 0 };
  PinUndo pin = { 0 };
  gboolean stored = FALSE;

  if (session_only != NULL)
    *session_only = FALSE;

  store = load_accounts (self, error);
  if (store == NULL)
    return FALSE;
  /* Validates the settings too; nothing is written yet. */
  if (!pb_account_store_add (store, account, error))
    return FALSE;
  if (certificate != NULL &&
      !refuse_weak (pb_account_get_host (account), pb_account_get_port (account), certificate,
                    error))
    return FALSE;

  /* 1. The password: the step that can take long (an unlock prompt). */
  if (password != NULL)
    {
      stored = pb_secret_store_sync (account, password, cancellable, &local_error);
      if (!stored)
        {
          if (!allow_session_only ||
              !g_error_matches (local_error, PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE))
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                          _("Could not store the password in the keyring: "));
              return FALSE;
            }
          if (session_only != NULL)
            *session_only = TRUE;
          g_clear_error (&local_error);
        }
    }
  /* An OAuth2 sign-in has no session-only form: it would be lost with the
   * process that got it. */
  else if (refresh_token != NULL)
    {
      g_return_val_if_fail (pb_account_get_oauth2_provider (account) != NULL, FALSE);
      stored = pb_secret_store_token_sync (account, pb_account_get_oauth2_provider (account),
                                           refresh_token, cancellable, &local_error);
      if (!stored)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      _("Could not store the sign-in in the keyring: "));
          return FALSE;
        }
    }

  /* 2. The baseline. A state file left by an earlier account of that ID
   * says nothing about this one. */
  state = pb_account_admin_state_path (self, id);
  if (!state_backup (&backup, state, error))
    goto undo;
  if (baseline != NULL && !write_baseline (state, baseline, error))
    goto undo;

  /* 3. The pin the user chose while setting the account up. */
  if (certificate != NULL &&
      !pin_certificate (self, pb_account_get_host (account), pb_account_get_port (account),
                        certificate, TRUE, &pin, error))
    goto undo;

  /* 4. The account itself, last: the applet adopts it when the file changes. */
  if (!pb_account_store_save (store, error))
    goto undo;

  state_backup_end (&backup, TRUE);
  pin_undo_clear (&pin);
  g_debug ("Added account %s", id);
  return TRUE;

undo:
  pin_undo (self, &pin);
  pin_undo_clear (&pin);
  if (backup.path != NULL)
    g_unlink (state);
  state_backup_end (&backup, FALSE);
  if (stored && !pb_secret_delete_sync (id, NULL, &local_error))
    g_warning ("Could not delete the password of %s again: %s", id, local_error->message);
  return FALSE;
}

/* ---- Work in a thread ------------------------------------------------------ */

/* The _async forms run the blocking ones in a worker thread, each with a
 * copy of its arguments in one Job: the caller's strings and objects may
 * change or go while the thread works. */
typedef enum
{
  JOB_ADD,
  JOB_SET_PASSWORD,
  JOB_SET_SIGN_IN,
  JOB_REMOVE,
} JobKind;

typedef struct
{
  JobKind          kind;
  char            *account_id;
  PbAccount       *account;
  char            *password;       /* wiped when freed */
  char            *provider;
  char            *refresh_token;  /* wiped when freed */
  gboolean         allow_session_only;
  GTlsCertificate *certificate;
  Baseline        *baseline;
  gboolean         session_only;   /* out */
} Job;

static void
free_secret (char *secret)
{
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

static void
job_free (Job *job)
{
  g_free (job->account_id);
  g_clear_object (&job->account);
  free_secret (job->password);
  g_free (job->provider);
  free_secret (job->refresh_token);
  g_clear_object (&job->certificate);
  baseline_free (job->baseline);
  g_free (job);
}

static Job *
job_new (JobKind     kind,
         const char *account_id)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->account_id = g_strdup (account_id);
  return job;
}

static void
job_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  PbAccountAdmin *self = source;
  Job *job = task_data;
  GError *error = NULL;
  gboolean ok = FALSE;

  switch (job->kind)
    {
    case JOB_ADD:
      ok = add_run (self, job->account, job->password, job->refresh_token,
                    job->allow_session_only, job->certificate, job->baseline,
                    &job->session_only, cancellable, &error);
      break;
    case JOB_SET_PASSWORD:
      ok = pb_account_admin_set_password (self, job->account_id, job->password, cancellable,
                                          &error);
      break;
    case JOB_SET_SIGN_IN:
      ok = pb_account_admin_set_sign_in (self, job->account_id, job->provider,
                                         job->refresh_token, cancellable, &error);
      break;
    case JOB_REMOVE:
      ok = pb_account_admin_remove (self, job->account_id, NULL, cancellable, &error);
      break;
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Takes @job. @tag is the _async function, for its _finish to check. */
static void
job_start (PbAccountAdmin      *self,
           Job                 *job,
           gpointer             tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, job_thread);
}

static gboolean
job_finish (PbAccountAdmin  *self,
            GAsyncResult    *result,
            gpointer         tag,
            Job            **job,
            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tag, FALSE);

  if (job != NULL)
    *job = g_task_get_task_data (G_TASK (result));
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
pb_account_admin_add (PbAccountAdmin          *self,
                      const PbAccountAddition *addition,
                      gboolean                *session_only,
                      GCancellable            *cancellable,
                      GError                 **error)
{
  g_autoptr(Baseline) baseline = NULL;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (addition != NULL && PB_IS_ACCOUNT (addition->account), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  baseline = baseline_new (addition->baseline);
  return add_run (self, addition->account, addition->password, addition->refresh_token,
                  addition->allow_session_only,
                  addition->certificate, baseline, session_only, cancellable, error);
}

void
pb_account_admin_add_async (PbAccountAdmin          *self,
                            const PbAccountAddition *addition,
                            GCancellable            *cancellable,
                            GAsyncReadyCallback      callback,
                            gpointer                 user_data)
{
  Job *job;

  g_return_if_fail (PB_IS_ACCOUNT_ADMIN (self));
  g_return_if_fail (addition != NULL && PB_IS_ACCOUNT (addition->account));

  job = job_new (JOB_ADD, NULL);
  job->account = pb_account_copy (addition->account, NULL);
  job->password = g_strdup (addition->password);
  job->refresh_token = g_strdup (addition->refresh_token);
  job->allow_session_only = addition->allow_session_only;
  job->certificate = addition->certificate ? g_object_ref (addition->certificate) : NULL;
  job->baseline = baseline_new (addition->baseline);
  job_start (self, job, pb_account_admin_add_async, cancellable, callback, user_data);
}

gboolean
pb_account_admin_add_finish (PbAccountAdmin  *self,
                             GAsyncResult    *result,
                             gboolean        *session_only,
                             GError         **error)
{
  Job *job = NULL;
  gboolean ok = job_finish (self, result, pb_account_admin_add_async, &job, error);

  if (session_only != NULL)
    *session_only = job != NULL && job->session_only;
  return ok;
}

/* ---- Edit --------------------------------------------------------------- */

PbAccount *
pb_account_admin_dup_account (PbAccountAdmin  *self,
                              const char      *account_id,
                              GError         **error)
{
  g_autoptr(PbAccountStore) store = NULL;
  PbAccount *account;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  store = load_accounts (self, error);
  if (store == NULL)
    return NULL;
  account = pb_account_store_lookup (store, account_id);
  if (account == NULL)
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND,
                   _("The account “%s” no longer exists."), account_id);
      return NULL;
    }
  return pb_account_copy (account, NULL);
}

gboolean
pb_account_admin_edit (PbAccountAdmin       *self,
                       PbAccount            *edited,
                       const PbPop3Listing  *listing,
                       GError              **error)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) copy = NULL;
  g_autoptr(Baseline) baseline = NULL;
  g_autofree char *state = NULL;
  StateBackup backup = { 0 };
  PbAccount *old;
  const char *id;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (PB_IS_ACCOUNT (edited), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  id = pb_account_get_id (edited);
  old = load_account (self, id, &store, error);
  if (old == NULL)
    return FALSE;
  if (pb_account_equal (old, edited))
    return TRUE;

  /* Another mailbox starts from its own baseline. */
  if (!pb_account_same_mailbox (old, edited))
    {
      state = pb_account_admin_state_path (self, id);
      if (!state_backup (&backup, state, error))
        return FALSE;
      baseline = baseline_new (listing);
      if (baseline != NULL && !write_baseline (state, baseline, error))
        goto undo;
    }

  copy = pb_account_copy (edited, NULL);
  if (!pb_account_store_replace (store, copy, error) || !pb_account_store_save (store, error))
    goto undo;

  if (backup.path != NULL)
    state_backup_end (&backup, TRUE);
  g_debug ("Edited account %s", id);
  return TRUE;

undo:
  if (backup.path != NULL)
    {
      g_unlink (state);
      state_backup_end (&backup, FALSE);
    }
  return FALSE;
}

static gboolean
change_one (PbAccountAdmin  *self,
            const char      *account_id,
            gboolean         set_enabled,
            gboolean         enabled,
            guint            minutes,
            GError         **error)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) edited = NULL;
  PbAccount *account = load_account (self, account_id, &store, error);

  if (account == NULL)
    return FALSE;

  edited = pb_account_copy (account, NULL);
  if (set_enabled)
    pb_account_set_enabled (edited, enabled);
  else
    pb_account_set_interval (edited, minutes);
  if (pb_account_equal (account, edited))
    return TRUE;
  if (!pb_account_store_replace (store, edited, error))
    return FALSE;
  return pb_account_store_save (store, error);
}

gboolean
pb_account_admin_set_enabled (PbAccountAdmin  *self,
                              const char      *account_id,
                              gboolean         enabled,
                              GError         **error)
{
  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (account_id != NULL, FALSE);

  return change_one (self, account_id, TRUE, enabled, 0, error);
}

gboolean
pb_account_admin_set_interval (PbAccountAdmin  *self,
                               const char      *account_id,
                               guint            minutes,
                               GError         **error)
{
  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (account_id != NULL, FALSE);

  if (minutes < PB_MIN_INTERVAL_MINUTES || minutes > PB_MAX_INTERVAL_MINUTES)
    {
      g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                   _("The interval must be between %d minute and %d minutes."),
                   PB_MIN_INTERVAL_MINUTES, PB_MAX_INTERVAL_MINUTES);
      return FALSE;
    }
  return change_one (self, account_id, FALSE, FALSE, minutes, error);
}

/* ---- Password ----------------------------------------------------------- */

gboolean
pb_account_admin_set_password (PbAccountAdmin  *self,
                               const char      *account_id,
                               const char      *password,
                               GCancellable    *cancellable,
                               GError         **error)
{
  g_autoptr(PbAccountStore) store = NULL;
  PbAccount *account;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (account_id != NULL && password != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  account = load_account (self, account_id, &store, error);
  if (account == NULL)
    return FALSE;
  if (!pb_secret_store_sync (account, password, cancellable, error))
    {
      g_prefix_error (error, _("Could not store the password in the keyring: "));
      return FALSE;
    }
  return TRUE;
}

void
pb_account_admin_set_password_async (PbAccountAdmin      *self,
                                     const char          *account_id,
                                     const char          *password,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Job *job;

  g_return_if_fail (PB_IS_ACCOUNT_ADMIN (self));
  g_return_if_fail (account_id != NULL && password != NULL);

  job = job_new (JOB_SET_PASSWORD, account_id);
  job->password = g_strdup (password);
  job_start (self, job, pb_account_admin_set_password_async, cancellable, callback, user_data);
}

gboolean
pb_account_admin_set_password_finish (PbAccountAdmin  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  return job_finish (self, result, pb_account_admin_set_password_async, NULL, error);
}

/* ---- OAuth2 sign-in -------------------------------------------------------- */

gboolean
pb_account_admin_set_sign_in (PbAccountAdmin  *self,
                              const char      *account_id,
                              const char      *provider,
                              const char      *refresh_token,
                              GCancellable    *cancellable,
                              GError         **error)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) signed_in = NULL;
  PbAccount *account;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (account_id != NULL && provider != NULL && refresh_token != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  account = load_account (self, account_id, &store, error);
  if (account == NULL)
    return FALSE;

  signed_in = pb_account_copy (account, NULL);
  pb_account_set_oauth2_provider (signed_in, provider);
  if (!pb_secret_store_token_sync (signed_in, provider, refresh_token, cancellable, error))
    {
      g_prefix_error (error, _("Could not store the sign-in in the keyring: "));
      return FALSE;
    }

  /* Last, as always: the applet follows accounts.ini. */
  if (g_strcmp0 (pb_account_get_oauth2_provider (account), provider) != 0)
    {
      pb_account_set_oauth2_provider (account, provider);
      if (!pb_account_store_save (store, error))
        return FALSE;
    }
  return TRUE;
}

void
pb_account_admin_set_sign_in_async (PbAccountAdmin      *self,
                                    const char          *account_id,
                                    const char          *provider,
                                    const char          *refresh_token,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Job *job;

  g_return_if_fail (PB_IS_ACCOUNT_ADMIN (self));
  g_return_if_fail (account_id != NULL && provider != NULL && refresh_token != NULL);

  job = job_new (JOB_SET_SIGN_IN, account_id);
  job->provider = g_strdup (provider);
  job->refresh_token = g_strdup (refresh_token);
  job_start (self, job, pb_account_admin_set_sign_in_async, cancellable, callback, user_data);
}

gboolean
pb_account_admin_set_sign_in_finish (PbAccountAdmin  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  return job_finish (self, result, pb_account_admin_set_sign_in_async, NULL, error);
}

/* ---- Remove ------------------------------------------------------------- */

gboolean
pb_account_admin_remove (PbAccountAdmin  *self,
                         const char      *account_id,
                         PbAccount      **removed,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(GError) secret_error = NULL;
  g_autoptr(GError) pin_error = NULL;
  g_autofree char *state = NULL;
  StateBackup backup = { 0 };
  const char *host;
  guint16 port;
  gboolean drop_pin;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (account_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (load_account (self, account_id, &store, error) == NULL)
    return FALSE;
  account = g_object_ref (pb_account_store_lookup (store, account_id));
  host = pb_account_get_host (account);
  port = pb_account_get_port (account);

  /* Everything that can fail on the files first, undone if accounts.ini
   * can't be written. */
  state = pb_account_admin_state_path (self, account_id);
  if (!state_backup (&backup, state, error))
    return FALSE;

  pb_account_store_remove (store, account_id, NULL);
  /* The pin belongs to the server; it stays while another account uses it. */
  drop_pin = !pin_used_by (store, host, port);
  if (drop_pin)
    {
      pins = load_pins (self, error);
      if (pins == NULL)
        goto undo;
      drop_pin = pb_trust_store_remove (pins, host, port, NULL);
    }

  if (!pb_account_store_save (store, error))
    goto undo;
  state_backup_end (&backup, TRUE);

  if (removed != NULL)
    *removed = g_object_ref (account);

  /* From here on the account is gone; what can't be cleaned up is said. */
  if (drop_pin && !pb_trust_store_save (pins, &pin_error))
    g_prefix_error (&pin_error, _("The account was removed, but its trusted certificate was "
                                  "not: "));

  /* Without a Secret Service nothing was ever stored there. */
  if (!pb_secret_delete_sync (account_id, cancellable, &secret_error) &&
      !g_error_matches (secret_error, PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE))
    {
      g_set_error (error, PB_SECRET_ERROR, secret_error->code,
                   _("The account was removed, but its password could not be deleted from "
                     "the keyring: %s"), secret_error->message);
      return FALSE;
    }
  if (pin_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&pin_error));
      return FALSE;
    }

  g_debug ("Removed account %s", account_id);
  return TRUE;

undo:
  state_backup_end (&backup, FALSE);
  return FALSE;
}

void
pb_account_admin_remove_async (PbAccountAdmin      *self,
                               const char          *account_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (PB_IS_ACCOUNT_ADMIN (self));
  g_return_if_fail (account_id != NULL);

  job_start (self, job_new (JOB_REMOVE, account_id), pb_account_admin_remove_async,
             cancellable, callback, user_data);
}

gboolean
pb_account_admin_remove_finish (PbAccountAdmin  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return job_finish (self, result, pb_account_admin_remove_async, NULL, error);
}

/* ---- Trust -------------------------------------------------------------- */

gboolean
pb_account_admin_trust (PbAccountAdmin   *self,
                        const char       *host,
                        guint16           port,
                        GTlsCertificate  *certificate,
                        gboolean          replace,
                        char            **previous,
                        GError          **error)
{
  PinUndo undo = { 0 };
  gboolean ok;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (host != NULL && G_IS_TLS_CERTIFICATE (certificate), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (previous != NULL)
    *previous = NULL;
  ok = pin_certificate (self, host, port, certificate, replace, &undo, error);
  if (ok && previous != NULL && undo.previous != NULL)
    *previous = pb_certificate_get_sha256 (undo.previous);
  pin_undo_clear (&undo);
  return ok;
}

gboolean
pb_account_admin_forget (PbAccountAdmin  *self,
                         const char      *host,
                         guint16          port,
                         GError         **error)
{
  g_autoptr(PbTrustStore) pins = NULL;

  g_return_val_if_fail (PB_IS_ACCOUNT_ADMIN (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  pins = load_pins (self, error);
  if (pins == NULL)
    return FALSE;
  if (!pb_trust_store_remove (pins, host, port, error))
    return FALSE;
  return pb_trust_store_save (pins, error);
}
