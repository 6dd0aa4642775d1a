/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-monitor"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pb-account-admin.h"
#include "pb-error.h"
#include "pb-files.h"
#include "pb-monitor.h"
#include "pb-oauth2-provider.h"
#include "pb-oauth2-tokens.h"
#include "pb-secret-watch.h"
#include "pb-seen-store.h"

/* Consecutive failures before the user is told (once). */
#define FAILURES_BEFORE_ATTENTION 3

/* Started at login, the applet races the session: the keyring is unlocked,
 * the Secret Service registered and the network connected a moment later.
 * For this long after the start a locked or missing keyring, or an
 * unreachable network, is waited for quietly; the user is asked only if it
 * lasts longer. */
#define LOGIN_GRACE_US (60 * G_USEC_PER_SEC)

/* How soon after accounts.ini changed it is read again. */
#define ACCOUNTS_RELOAD_DELAY_MS 200

typedef struct
{
  PbMonitor      *monitor;        /* unowned */
  char           *id;
  PbAccount      *account;
  PbSeenStore    *seen;
  PbAccountState  state;          /* what the last check said, CHECKING while one runs */
  PbAccountState  reported;       /* the last state ::attention was emitted for, or IDLE */
  PbCheckResult  *last_success;
  PbCheckResult  *last_failure;   /* cleared by a success */
  gint64          last_success_time;
  guint           failures;
  gboolean        unlock_tried;   /* the keyring's unlock prompt was shown once */
  gboolean        unlock_next;    /* the next check may prompt */
  gboolean        user_asked;     /* the user asked for a check: no waiting for the session */
  char           *session_password;
  GCancellable   *cancellable;    /* of the running check */
  guint           login_delay;    /* seconds, from the server's CAPA LOGIN-DELAY */
} Entry;

/* The account's interval, or longer when the server allows logins less
 * often (RFC 2449 LOGIN-DELAY): never log in more often than it allows. */
static guint
effective_interval (Entry *entry)
{
  guint minutes = pb_account_get_interval (entry->account);
  guint delay_minutes = (entry->login_delay + 59) / 60;

  /* One minute more than the delay: the scheduler spreads checks by a few
   * seconds either way, and the server counts from the last login. */
  if (delay_minutes >= minutes)
    return delay_minutes + 1;
  return minutes;
}

struct _PbMonitor
{
  GObject         parent_instance;

  PbAccountStore *accounts;
  PbTrustStore   *pins;
  PbScheduler    *scheduler;
  char           *state_dir;
  GHashTable     *entries;        /* id → Entry* */
  gboolean        started;
  PbClock        *clock;          /* the scheduler's */
  gint64          started_at;     /* monotonic µs */
  guint           grace_timeout;  /* the end of the login grace, while an account waits */
  PbSecretWatch  *secret_watch;
  PbAccountAdmin *admin;          /* for the same files */
  GFileMonitor   *accounts_watch; /* accounts.ini's directory */
  guint           reload_source;  /* a reload soon after the file changed */
};

G_DEFINE_FINAL_TYPE (PbMonitor, pb_monitor, G_TYPE_OBJECT)

enum
{
  SIGNAL_ACCOUNT_CHANGED,
  SIGNAL_NEW_MAIL,
  SIGNAL_ATTENTION,
  SIGNAL_ACKNOWLEDGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
wipe_password (char **password)
{
  if (*password == NULL)
    return;
  explicit_bzero (*password, strlen (*password));
  g_clear_pointer (password, g_free);
}

static void
entry_free (Entry *entry)
{
  if (entry->cancellable != NULL)
    g_cancellable_cancel (entry->cancellable);
  g_clear_object (&entry->cancellable);
  g_free (entry->id);
  g_clear_object (&entry->account);
  g_clear_object (&entry->seen);
  g_clear_pointer (&entry->last_success, pb_check_result_free);
  g_clear_pointer (&entry->last_failure, pb_check_result_free);
  wipe_password (&entry->session_password);
  g_free (entry);
}

static Entry *
lookup_entry (PbMonitor  *self,
              const char *account_id)
{
  if (account_id == NULL)
    return NULL;
  return g_hash_table_lookup (self->entries, account_id);
}

static void
emit_changed (PbMonitor *self,
              Entry     *entry)
{
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_CHANGED], 0, entry->id);
}

/* ---- Checks ------------------------------------------------------------- */

typedef struct
{
  PbMonitor *monitor;
  char      *id;
} CheckContext;

static void
check_context_free (CheckContext *context)
{
  g_object_unref (context->monitor);
  g_free (context->id);
  g_free (context);
}

static void run_check (PbMonitor *self,
                       Entry     *entry);
static void wait_for_session (PbMonitor *self);
static void stop_waiting_if_done (PbMonitor *self);

/* Still inside the first minute, when the session may not be ready yet. */
static gboolean
in_login_grace (PbMonitor *self)
{
  return self->started &&
         pb_clock_get_monotonic (self->clock) - self->started_at < LOGIN_GRACE_US;
}

/* Errors that say the network is not up (yet), not that the server said no:
 * no name resolution, no route, nothing answering, or no answer in time. */
static gboolean
is_network_error (const GError *error)
{
  return g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_CONNECT) ||
         g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_TIMEOUT);
}

static gboolean
state_needs_user (PbAccountState state)
{
  return state == PB_ACCOUNT_STATE_NEEDS_PASSWORD || state == PB_ACCOUNT_STATE_NEEDS_TRUST ||
         state == PB_ACCOUNT_STATE_KEYRING_LOCKED || state == PB_ACCOUNT_STATE_NO_KEYRING ||
         state == PB_ACCOUNT_STATE_NEEDS_SIGN_IN;
}

static gboolean
account_has_sign_in_provider (PbAccount *account)
{
  g_autofree char *provider = pb_oauth2_provider_for_account (account);

  return provider != NULL;
}

/* What a failed check means for the account, and whether to retry alone. */
static PbAccountState
classify_error (Entry        *entry,
                const GError *error)
{
  gboolean oauth2 = pb_account_get_oauth2_provider (entry->account) != NULL;

  /* Signing in again is what mends these: a refused or missing sign-in, a
   * token the server refuses even fresh, and a password that an OAuth2-only
   * server was never sent. Stopped until then: no request storm. */
  if (g_error_matches (error, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN) ||
      (oauth2 && (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED) ||
                  g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED))) ||
      (!oauth2 && g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_NO_AUTH_MECHANISM) &&
       account_has_sign_in_provider (entry->account)))
    return PB_ACCOUNT_STATE_NEEDS_SIGN_IN;
  if (g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_LOCKED))
    return PB_ACCOUNT_STATE_KEYRING_LOCKED;
  if (g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND))
    return PB_ACCOUNT_STATE_NEEDS_PASSWORD;
  if (g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE))
    return PB_ACCOUNT_STATE_NO_KEYRING;
  if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED))
    return PB_ACCOUNT_STATE_NEEDS_PASSWORD;
  if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE))
    return PB_ACCOUNT_STATE_NEEDS_TRUST;
  return PB_ACCOUNT_STATE_FAILING;
}

static void
on_checked (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  CheckContext *context = user_data;
  PbMonitor *self = context->monitor;
  PbCheckResult *result = pb_checker_check_finish (res);
  Entry *entry = lookup_entry (self, context->id);
  PbOutcome outcome;

  /* The account was removed, or the monitor is going away. */
  if (entry == NULL || g_error_matches (result->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      pb_check_result_free (result);
      if (entry != NULL)
        {
          g_clear_object (&entry->cancellable);
          entry->state = PB_ACCOUNT_STATE_IDLE;
          pb_scheduler_report (self->scheduler, entry->id, PB_OUTCOME_FAILED);
          emit_changed (self, entry);
        }
      check_context_free (context);
      return;
    }

  g_clear_object (&entry->cancellable);

  /* What the server said of itself counts from now on, whatever the outcome. */
  if (result->login_delay != entry->login_delay && result->host != NULL &&
      (result->error == NULL || result->round_trips > 0))
    {
      entry->login_delay = result->login_delay;
      if (pb_account_get_enabled (entry->account))
        pb_scheduler_set_interval (self->scheduler, entry->id, effective_interval (entry));
    }

  if (result->error == NULL)
    {
      entry->state = PB_ACCOUNT_STATE_OK;
      entry->reported = PB_ACCOUNT_STATE_IDLE;
      entry->failures = 0;
      entry->unlock_tried = FALSE;
      entry->user_asked = FALSE;
      entry->last_success_time = g_get_real_time () / G_USEC_PER_SEC;
      g_clear_pointer (&entry->last_failure, pb_check_result_free);
      g_clear_pointer (&entry->last_success, pb_check_result_free);
      entry->last_success = result;
      outcome = PB_OUTCOME_OK;

      g_debug ("%s: %u new, %u on the server%s", entry->id, result->new_count, result->total,
               result->first_check ? " (first check)" : "");
      if (!result->first_check && result->new_count > 0)
        g_signal_emit (self, signals[SIGNAL_NEW_MAIL], 0, entry->id, result->messages,
                       result->new_count);
    }
  else
    {
      PbAccountState state = classify_error (entry, result->error);
      gboolean waiting = in_login_grace (self) && !entry->user_asked;

      g_debug ("%s: check failed: %s", entry->id, result->error->message);

      /* During login the session unlocks the keyring or starts the Secret
       * Service by itself: wait for that (the secret watch tells) rather
       * than prompt or tell the user now. */
      if (waiting && (state == PB_ACCOUNT_STATE_KEYRING_LOCKED ||
                      state == PB_ACCOUNT_STATE_NO_KEYRING))
        {
          g_debug ("%s: waiting for the session's keyring", entry->id);
          entry->state = state;
          g_clear_pointer (&entry->last_failure, pb_check_result_free);
          entry->last_failure = result;
          wait_for_session (self);
          pb_scheduler_report (self->scheduler, entry->id, PB_OUTCOME_NEEDS_USER);
          emit_changed (self, entry);
          check_context_free (context);
          return;
        }

      /* A network still coming up: try again soon, and don't count it
       * (whoever asked, three failures are needed to tell anyway). */
      if (in_login_grace (self) && state == PB_ACCOUNT_STATE_FAILING &&
          is_network_error (result->error))
        {
          g_debug ("%s: waiting for the network", entry->id);
          entry->state = PB_ACCOUNT_STATE_FAILING;
          g_clear_pointer (&entry->last_failure, pb_check_result_free);
          entry->last_failure = result;
          pb_scheduler_report (self->scheduler, entry->id, PB_OUTCOME_FAILED);
          pb_scheduler_resume (self->scheduler, entry->id);
          emit_changed (self, entry);
          check_context_free (context);
          return;
        }

      /* One unlock prompt through libsecret; if it is dismissed the account
       * waits for the user. */
      if (state == PB_ACCOUNT_STATE_KEYRING_LOCKED && !entry->unlock_tried)
        {
          entry->unlock_tried = TRUE;
          entry->unlock_next = TRUE;
          pb_check_result_free (result);
          check_context_free (context);
          run_check (self, entry);
          return;
        }

      /* A password typed for the session that the server refused is of no use. */
      if (state == PB_ACCOUNT_STATE_NEEDS_PASSWORD)
        wipe_password (&entry->session_password);

      entry->state = state;
      g_clear_pointer (&entry->last_failure, pb_check_result_free);
      entry->last_failure = result;

      if (state == PB_ACCOUNT_STATE_FAILING)
        {
          entry->failures++;
          outcome = PB_OUTCOME_FAILED;
          if (entry->failures == FAILURES_BEFORE_ATTENTION)
            {
              entry->reported = state;
              g_signal_emit (self, signals[SIGNAL_ATTENTION], 0, entry->id, state, result->error);
            }
        }
      else
        {
          outcome = PB_OUTCOME_NEEDS_USER;
          if (entry->reported != state)
            {
              entry->reported = state;
              g_signal_emit (self, signals[SIGNAL_ATTENTION], 0, entry->id, state, result->error);
            }
        }
    }

  pb_scheduler_report (self->scheduler, entry->id, outcome);
  stop_waiting_if_done (self);
  emit_changed (self, entry);
  check_context_free (context);
}

static void
run_check (PbMonitor *self,
           Entry     *entry)
{
  PbCheckOptions options = { 0 };
  CheckContext *context;

  options.pins = self->pins;
  options.seen = entry->seen;
  options.state_dir = self->state_dir;
  options.password = entry->session_password;
  options.unlock_keyring = entry->unlock_next;
  entry->unlock_next = FALSE;

  g_clear_object (&entry->cancellable);
  entry->cancellable = g_cancellable_new ();
  entry->state = PB_ACCOUNT_STATE_CHECKING;
  emit_changed (self, entry);

  context = g_new0 (CheckContext, 1);
  context->monitor = g_object_ref (self);
  context->id = g_strdup (entry->id);
  pb_checker_check_async (entry->account, &options, entry->cancellable, on_checked, context);
}

static void
on_scheduler_check (PbScheduler *scheduler,
                    const char  *account_id,
                    gpointer     user_data)
{
  PbMonitor *self = user_data;
  Entry *entry = lookup_entry (self, account_id);

  if (entry == NULL || entry->cancellable != NULL)
    {
      /* Not ours, or already running: nothing will report otherwise. */
      if (entry == NULL)
        pb_scheduler_report (scheduler, account_id, PB_OUTCOME_OK);
      return;
    }

  run_check (self, entry);
}

static void
on_scheduler_changed (PbScheduler *scheduler,
                      const char  *account_id,
                      gpointer     user_data)
{
  PbMonitor *self = user_data;
  Entry *entry = lookup_entry (self, account_id);

  if (entry != NULL)
    emit_changed (self, entry);
}

static void
on_online_changed (PbScheduler *scheduler,
                   gboolean     online,
                   gpointer     user_data)
{
  PbMonitor *self = user_data;
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    emit_changed (self, entry);
}

/* Accounts that wait for the keyring without the user having been told. */
static gboolean
waits_quietly (Entry *entry)
{
  return (entry->state == PB_ACCOUNT_STATE_KEYRING_LOCKED ||
          entry->state == PB_ACCOUNT_STATE_NO_KEYRING) && entry->reported != entry->state;
}

static void
recheck_waiting (PbMonitor *self,
                 gboolean   quiet_only)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (entry->cancellable != NULL)
        continue;
      if (quiet_only ? waits_quietly (entry)
                     : (entry->state == PB_ACCOUNT_STATE_KEYRING_LOCKED ||
                        entry->state == PB_ACCOUNT_STATE_NO_KEYRING))
        g_ptr_array_add (ids, g_strdup (entry->id));
    }

  /* Not pb_monitor_check_now (): a keyring still locked must not prompt
   * again, nor tell the user twice. */
  for (guint i = 0; i < ids->len; i++)
    pb_scheduler_check_now (self->scheduler, g_ptr_array_index (ids, i));
}

static gboolean
on_login_grace_over (gpointer user_data)
{
  PbMonitor *self = user_data;

  self->grace_timeout = 0;
  /* The session did not unlock the keyring in time: now the one prompt, or
   * the notification, is due. */
  g_debug ("The login grace is over");
  recheck_waiting (self, TRUE);
  return G_SOURCE_REMOVE;
}

/* Armed only when an account waits, so that a monitor with nothing to wait
 * for has no timer of its own. */
static void
wait_for_session (PbMonitor *self)
{
  gint64 left;

  if (self->grace_timeout != 0)
    return;
  left = self->started_at + LOGIN_GRACE_US - pb_clock_get_monotonic (self->clock);
  self->grace_timeout = pb_clock_add_timeout (self->clock, MAX (left, 0) / 1000 + 1,
                                              on_login_grace_over, self);
}

/* The race resolved within the minute: no timer left for it. */
static void
stop_waiting_if_done (PbMonitor *self)
{
  GHashTableIter iter;
  Entry *entry;

  if (self->grace_timeout == 0)
    return;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (waits_quietly (entry))
      return;

  pb_clock_remove_timeout (self->clock, self->grace_timeout);
  self->grace_timeout = 0;
}

static void
on_secret_changed (PbSecretWatch *watch,
                   gpointer       user_data)
{
  PbMonitor *self = user_data;

  /* A keyring unlocked or a Secret Service that came: the passwords may be
   * there now, with nothing to do for the user. */
  recheck_waiting (self, FALSE);
}

/* ---- Accounts ------------------------------------------------------------ */

static Entry *
add_entry (PbMonitor *self,
           PbAccount *account)
{
  Entry *entry = g_new0 (Entry, 1);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  entry->monitor = self;
  entry->id = g_strdup (pb_account_get_id (account));
  entry->account = g_object_ref (account);
  entry->state = pb_account_get_enabled (account) ? PB_ACCOUNT_STATE_IDLE : PB_ACCOUNT_STATE_DISABLED;

  path = g_strdup_printf ("%s/%s.state", self->state_dir, entry->id);
  entry->seen = pb_seen_store_new (path);
  /* A corrupt file has been set aside: the next check takes the mailbox as seen. */
  if (!pb_seen_store_load (entry->seen, &error))
    g_debug ("%s", error->message);

  g_hash_table_insert (self->entries, entry->id, entry);

  if (pb_account_get_enabled (account))
    pb_scheduler_add_account (self->scheduler, entry->id, effective_interval (entry));

  return entry;
}

static void
remove_entry (PbMonitor  *self,
              const char *account_id)
{
  pb_scheduler_remove_account (self->scheduler, account_id);
  g_hash_table_remove (self->entries, account_id);
}

/* Another host, port or user is another mailbox: nothing the old one had
 * seen, or left unread, or said of itself counts for it. Its state file
 * (the baseline pb_account_admin_edit() wrote, or none) is read again, and
 * a check still running for the old mailbox is dropped before it can
 * write over it. */
static void
reset_mailbox (PbMonitor *self,
               Entry     *entry)
{
  g_autofree char *path = g_strdup (pb_seen_store_get_path (entry->seen));
  g_autoptr(GError) error = NULL;

  if (entry->cancellable != NULL)
    g_cancellable_cancel (entry->cancellable);
  g_clear_object (&entry->seen);
  entry->seen = pb_seen_store_new (path);
  if (!pb_seen_store_load (entry->seen, &error))
    g_debug ("%s", error->message);

  g_clear_pointer (&entry->last_success, pb_check_result_free);
  g_clear_pointer (&entry->last_failure, pb_check_result_free);
  entry->last_success_time = 0;
  entry->failures = 0;
  entry->login_delay = 0;
  if (entry->state != PB_ACCOUNT_STATE_DISABLED)
    entry->state = PB_ACCOUNT_STATE_IDLE;
  /* The mail window and the notification drop what was listed. */
  g_signal_emit (self, signals[SIGNAL_ACKNOWLEDGED], 0, entry->id);
}

/* The settings that change how the account is reached. */
static gboolean
same_connection (PbAccount *a,
                 PbAccount *b)
{
  return g_strcmp0 (pb_account_get_host (a), pb_account_get_host (b)) == 0 &&
         pb_account_get_port (a) == pb_account_get_port (b) &&
         pb_account_get_security (a) == pb_account_get_security (b) &&
         g_strcmp0 (pb_account_get_user (a), pb_account_get_user (b)) == 0 &&
         g_strcmp0 (pb_account_get_ca_file (a), pb_account_get_ca_file (b)) == 0;
}

static void
adopt_accounts (PbMonitor *self)
{
  GPtrArray *accounts = pb_account_store_get_accounts (self->accounts);
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *id;

  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      Entry *entry = lookup_entry (self, pb_account_get_id (account));

      g_hash_table_add (present, (gpointer) pb_account_get_id (account));

      if (entry == NULL)
        {
          g_debug ("%s: added", pb_account_get_id (account));
          entry = add_entry (self, account);
          emit_changed (self, entry);
          continue;
        }
      if (entry->account == account)
        continue;

      if (pb_account_equal (entry->account, account))
        {
          g_set_object (&entry->account, account);
          continue;
        }

      {
        gboolean was_enabled = pb_account_get_enabled (entry->account);
        gboolean enabled = pb_account_get_enabled (account);
        gboolean reconnect = !same_connection (entry->account, account);
        gboolean new_mailbox = !pb_account_same_mailbox (entry->account, account);

        g_debug ("%s: changed%s", entry->id, new_mailbox ? " to another mailbox" : "");
        g_set_object (&entry->account, account);
        if (new_mailbox)
          reset_mailbox (self, entry);

        if (was_enabled && !enabled)
          {
            if (entry->cancellable != NULL)
              g_cancellable_cancel (entry->cancellable);
            pb_scheduler_remove_account (self->scheduler, entry->id);
            entry->state = PB_ACCOUNT_STATE_DISABLED;
          }
        else if (!was_enabled && enabled)
          {
            entry->state = PB_ACCOUNT_STATE_IDLE;
            pb_scheduler_add_account (self->scheduler, entry->id, effective_interval (entry));
          }
        else if (enabled)
          {
            if (reconnect)
              entry->login_delay = 0;
            pb_scheduler_set_interval (self->scheduler, entry->id, effective_interval (entry));
            /* Another server or user deserves a fresh look, whatever stopped it. */
            if (reconnect)
              {
                entry->reported = PB_ACCOUNT_STATE_IDLE;
                entry->unlock_tried = FALSE;
                wipe_password (&entry->session_password);
                pb_scheduler_resume (self->scheduler, entry->id);
              }
          }
        emit_changed (self, entry);
      }
    }

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
    if (!g_hash_table_contains (present, id))
      g_ptr_array_add (gone, g_strdup (id));

  for (guint i = 0; i < gone->len; i++)
    {
      const char *gone_id = g_ptr_array_index (gone, i);

      g_debug ("%s: removed", gone_id);
      /* Its tokens in memory go with it: an account added again under
       * this ID signs in afresh. */
      pb_oauth2_forget_access_token (gone_id);
      pb_oauth2_forget_session_sign_in (gone_id);
      remove_entry (self, gone_id);
      g_signal_emit (self, signals[SIGNAL_ACCOUNT_CHANGED], 0, gone_id);
    }
}

/* ---- GObject ------------------------------------------------------------- */

static void
pb_monitor_dispose (GObject *object)
{
  PbMonitor *self = PB_MONITOR (object);

  if (self->scheduler != NULL)
    g_signal_handlers_disconnect_by_data (self->scheduler, self);
  if (self->grace_timeout != 0)
    pb_clock_remove_timeout (self->clock, self->grace_timeout);
  self->grace_timeout = 0;
  g_clear_handle_id (&self->reload_source, g_source_remove);
  if (self->accounts_watch != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->accounts_watch, self);
      g_file_monitor_cancel (self->accounts_watch);
    }
  g_clear_object (&self->accounts_watch);
  g_clear_object (&self->admin);
  if (self->secret_watch != NULL)
    g_signal_handlers_disconnect_by_data (self->secret_watch, self);
  g_clear_object (&self->secret_watch);
  g_clear_object (&self->clock);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_object (&self->scheduler);
  g_clear_object (&self->accounts);
  g_clear_object (&self->pins);

  G_OBJECT_CLASS (pb_monitor_parent_class)->dispose (object);
}

static void
pb_monitor_finalize (GObject *object)
{
  PbMonitor *self = PB_MONITOR (object);

  g_free (self->state_dir);

  G_OBJECT_CLASS (pb_monitor_parent_class)->finalize (object);
}

static void
pb_monitor_class_init (PbMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pb_monitor_dispose;
  object_class->finalize = pb_monitor_finalize;

  signals[SIGNAL_ACCOUNT_CHANGED] =
    g_signal_new ("account-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_NEW_MAIL] =
    g_signal_new ("new-mail", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_PTR_ARRAY, G_TYPE_UINT);
  signals[SIGNAL_ATTENTION] =
    g_signal_new ("attention", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_INT, G_TYPE_ERROR);
  signals[SIGNAL_ACKNOWLEDGED] =
    g_signal_new ("acknowledged", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
pb_monitor_init (PbMonitor *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) entry_free);
}

PbMonitor *
pb_monitor_new (PbAccountStore *accounts,
                PbTrustStore   *pins,
                PbScheduler    *scheduler,
                const char     *state_dir)
{
  PbMonitor *self;

  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (accounts), NULL);
  g_return_val_if_fail (PB_IS_TRUST_STORE (pins), NULL);
  g_return_val_if_fail (scheduler == NULL || PB_IS_SCHEDULER (scheduler), NULL);

  self = g_object_new (PB_TYPE_MONITOR, NULL);
  self->accounts = g_object_ref (accounts);
  self->pins = g_object_ref (pins);
  self->scheduler = scheduler ? g_object_ref (scheduler) : pb_scheduler_new (NULL, NULL, TRUE);
  self->state_dir = state_dir ? g_strdup (state_dir) : pb_files_state_dir ();
  self->admin = pb_account_admin_new (pb_account_store_get_path (accounts),
                                      pb_trust_store_get_path (pins), self->state_dir);

  g_signal_connect (self->scheduler, "check", G_CALLBACK (on_scheduler_check), self);
  g_signal_connect (self->scheduler, "schedule-changed", G_CALLBACK (on_scheduler_changed), self);
  g_signal_connect (self->scheduler, "online-changed", G_CALLBACK (on_online_changed), self);
  g_object_get (self->scheduler, "clock", &self->clock, NULL);

  return self;
}

static gboolean
on_reload_due (gpointer user_data)
{
  PbMonitor *self = user_data;

  self->reload_source = 0;
  pb_monitor_reload (self);
  return G_SOURCE_REMOVE;
}

static void
on_accounts_dir_changed (GFileMonitor      *monitor,
                         GFile             *file,
                         GFile             *other,
                         GFileMonitorEvent  event,
                         gpointer           user_data)
{
  PbMonitor *self = user_data;
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *other_name = other != NULL ? g_file_get_basename (other) : NULL;
  g_autofree char *wanted = g_path_get_basename (pb_account_store_get_path (self->accounts));

  /* The stores write a temporary file and rename it over accounts.ini. */
  if (g_strcmp0 (name, wanted) != 0 && g_strcmp0 (other_name, wanted) != 0)
    return;
  if (event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT && event != G_FILE_MONITOR_EVENT_CREATED &&
      event != G_FILE_MONITOR_EVENT_DELETED && event != G_FILE_MONITOR_EVENT_RENAMED &&
      event != G_FILE_MONITOR_EVENT_MOVED_IN && event != G_FILE_MONITOR_EVENT_MOVED_OUT &&
      event != G_FILE_MONITOR_EVENT_CHANGED)
    return;

  /* A burst of events (an editor's save) gives one reload. */
  if (self->reload_source == 0)
    self->reload_source = g_timeout_add (ACCOUNTS_RELOAD_DELAY_MS, on_reload_due, self);
}

/* The command line (popbell --add-account, --edit-account, --remove-account)
 * and the user's editor change accounts.ini while the applet runs: follow
 * the file. The files are the truth every face shares; with the applet
 * closed the commands work the same. */
static void
watch_accounts (PbMonitor *self)
{
  g_autoptr(GFile) file = g_file_new_for_path (pb_account_store_get_path (self->accounts));
  g_autoptr(GFile) directory = g_file_get_parent (file);
  g_autoptr(GError) error = NULL;

  g_autofree char *path = g_file_get_path (directory);

  /* The directory may not exist yet when there is no account at all. */
  g_mkdir_with_parents (path, 0700);
  self->accounts_watch = g_file_monitor_directory (directory, G_FILE_MONITOR_WATCH_MOVES, NULL,
                                                   &error);
  if (self->accounts_watch == NULL)
    {
      g_debug ("Not following %s: %s", pb_account_store_get_path (self->accounts),
               error->message);
      return;
    }
  g_signal_connect (self->accounts_watch, "changed", G_CALLBACK (on_accounts_dir_changed), self);
}

void
pb_monitor_start (PbMonitor *self)
{
  g_return_if_fail (PB_IS_MONITOR (self));

  if (self->started)
    return;
  self->started = TRUE;
  self->started_at = pb_clock_get_monotonic (self->clock);
  self->secret_watch = pb_secret_watch_new ();
  g_signal_connect (self->secret_watch, "changed", G_CALLBACK (on_secret_changed), self);
  watch_accounts (self);
  adopt_accounts (self);
}

PbAccountStore *
pb_monitor_get_account_store (PbMonitor *self)
{
  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);
  return self->accounts;
}

PbTrustStore *
pb_monitor_get_trust_store (PbMonitor *self)
{
  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);
  return self->pins;
}

PbAccountAdmin *
pb_monitor_get_admin (PbMonitor *self)
{
  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);
  return self->admin;
}

PbScheduler *
pb_monitor_get_scheduler (PbMonitor *self)
{
  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);
  return self->scheduler;
}

GPtrArray *
pb_monitor_get_accounts (PbMonitor *self)
{
  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);
  return pb_account_store_get_accounts (self->accounts);
}

PbAccount *
pb_monitor_lookup_account (PbMonitor  *self,
                           const char *account_id)
{
  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);
  return pb_account_store_lookup (self->accounts, account_id);
}

PbAccountState
pb_monitor_get_state (PbMonitor  *self,
                      const char *account_id)
{
  Entry *entry;

  g_return_val_if_fail (PB_IS_MONITOR (self), PB_ACCOUNT_STATE_IDLE);

  entry = lookup_entry (self, account_id);
  if (entry == NULL)
    return PB_ACCOUNT_STATE_IDLE;

  /* Offline says more than the last outcome, unless the user must act anyway. */
  if (!pb_scheduler_get_online (self->scheduler) &&
      entry->state != PB_ACCOUNT_STATE_DISABLED && !state_needs_user (entry->state))
    return PB_ACCOUNT_STATE_OFFLINE;

  return entry->state;
}

const GError *
pb_monitor_get_error (PbMonitor  *self,
                      const char *account_id)
{
  Entry *entry;

  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);

  entry = lookup_entry (self, account_id);
  if (entry == NULL || entry->last_failure == NULL)
    return NULL;
  return entry->last_failure->error;
}

PbCheckResult *
pb_monitor_get_last_result (PbMonitor  *self,
                            const char *account_id)
{
  Entry *entry;

  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);

  entry = lookup_entry (self, account_id);
  if (entry == NULL)
    return NULL;
  return entry->last_failure ? entry->last_failure : entry->last_success;
}

PbCheckResult *
pb_monitor_get_last_success (PbMonitor  *self,
                             const char *account_id)
{
  Entry *entry;

  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);

  entry = lookup_entry (self, account_id);
  return entry ? entry->last_success : NULL;
}

gint64
pb_monitor_get_last_success_time (PbMonitor  *self,
                                  const char *account_id)
{
  Entry *entry;

  g_return_val_if_fail (PB_IS_MONITOR (self), 0);

  entry = lookup_entry (self, account_id);
  if (entry == NULL)
    return 0;
  if (entry->last_success_time != 0)
    return entry->last_success_time;
  return pb_seen_store_get_last_check (entry->seen);
}

guint
pb_monitor_get_login_delay (PbMonitor  *self,
                            const char *account_id)
{
  Entry *entry;

  g_return_val_if_fail (PB_IS_MONITOR (self), 0);
  entry = lookup_entry (self, account_id);
  return entry != NULL ? entry->login_delay : 0;
}

gint64
pb_monitor_get_next_check_time (PbMonitor  *self,
                                const char *account_id)
{
  g_return_val_if_fail (PB_IS_MONITOR (self), 0);

  if (lookup_entry (self, account_id) == NULL)
    return 0;
  return pb_scheduler_get_next_check (self->scheduler, account_id) / G_USEC_PER_SEC;
}

GPtrArray *
pb_monitor_get_unacknowledged (PbMonitor  *self,
                               const char *account_id)
{
  Entry *entry;

  g_return_val_if_fail (PB_IS_MONITOR (self), NULL);

  entry = lookup_entry (self, account_id);
  return entry ? pb_seen_store_get_unacknowledged (entry->seen) : NULL;
}

guint
pb_monitor_count_unacknowledged (PbMonitor  *self,
                                 const char *account_id)
{
  GHashTableIter iter;
  Entry *entry;
  guint count = 0;

  g_return_val_if_fail (PB_IS_MONITOR (self), 0);

  if (account_id != NULL)
    {
      entry = lookup_entry (self, account_id);
      return entry ? pb_seen_store_get_unacknowledged (entry->seen)->len : 0;
    }

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    count += pb_seen_store_get_unacknowledged (entry->seen)->len;
  return count;
}

void
pb_monitor_check_now (PbMonitor  *self,
                      const char *account_id)
{
  g_return_if_fail (PB_IS_MONITOR (self));

  if (account_id != NULL)
    {
      Entry *entry = lookup_entry (self, account_id);
      if (entry == NULL)
        return;
      entry->reported = PB_ACCOUNT_STATE_IDLE;
      entry->unlock_tried = FALSE;
      entry->user_asked = TRUE;
    }
  else
    {
      GHashTableIter iter;
      Entry *entry;

      /* Asked for by the user too: not held back by the login grace. */
      g_hash_table_iter_init (&iter, self->entries);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
        entry->user_asked = TRUE;
    }
  pb_scheduler_check_now (self->scheduler, account_id);
}

static void
acknowledge_entry (PbMonitor *self,
                   Entry     *entry)
{
  g_autoptr(GError) error = NULL;

  if (pb_seen_store_get_unacknowledged (entry->seen)->len > 0)
    {
      pb_seen_store_acknowledge_all (entry->seen);
      /* Kept in memory either way; the next successful save writes it. */
      if (!pb_seen_store_save (entry->seen, &error))
        g_debug ("Could not save %s: %s", entry->id, error->message);
    }

  /* Told even when nothing was left: a window still listing mail it took
   * earlier learns that the user marked it as read. */

  g_signal_emit (self, signals[SIGNAL_ACKNOWLEDGED], 0, entry->id);
  emit_changed (self, entry);
}

void
pb_monitor_acknowledge (PbMonitor  *self,
                        const char *account_id)
{
  GHashTableIter iter;
  Entry *entry;

  g_return_if_fail (PB_IS_MONITOR (self));

  if (account_id != NULL)
    {
      entry = lookup_entry (self, account_id);
      if (entry != NULL)
        acknowledge_entry (self, entry);
      return;
    }

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    acknowledge_entry (self, entry);
}

void
pb_monitor_set_session_password (PbMonitor  *self,
                                 const char *account_id,
                                 const char *password)
{
  Entry *entry;

  g_return_if_fail (PB_IS_MONITOR (self));
  g_return_if_fail (password != NULL);

  entry = lookup_entry (self, account_id);
  if (entry == NULL)
    return;

  wipe_password (&entry->session_password);
  entry->session_password = g_strdup (password);
  pb_monitor_resume (self, account_id);
}

void
pb_monitor_resume (PbMonitor  *self,
                   const char *account_id)
{
  Entry *entry;

  g_return_if_fail (PB_IS_MONITOR (self));

  entry = lookup_entry (self, account_id);
  if (entry == NULL)
    return;

  entry->reported = PB_ACCOUNT_STATE_IDLE;
  entry->unlock_tried = FALSE;
  entry->user_asked = TRUE;
  entry->failures = 0;
  if (state_needs_user (entry->state))
    entry->state = PB_ACCOUNT_STATE_IDLE;
  /* The user just fixed something: show the outcome now, not in a while. */
  pb_scheduler_check_now (self->scheduler, account_id);
  emit_changed (self, entry);
}

void
pb_monitor_reload (PbMonitor *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (PB_IS_MONITOR (self));

  /* Not load(): a file caught half-written by another editor, or corrupt,
   * must not take the accounts away from the running applet. */
  if (!pb_account_store_reload (self->accounts, &error))
    {
      g_debug ("%s", error->message);
      g_clear_error (&error);
    }
  /* Not load(): a corrupt trust.ini must not take every pin away, as the
   * store's own watch does not let it. */
  if (!pb_trust_store_reload (self->pins, &error))
    g_debug ("%s", error->message);

  if (self->started)
    adopt_accounts (self);
}

void
pb_monitor_adopt_account (PbMonitor *self,
                          PbAccount *account)
{
  g_autoptr(GError) error = NULL;
  const char *id;

  g_return_if_fail (PB_IS_MONITOR (self));
  g_return_if_fail (PB_IS_ACCOUNT (account));

  id = pb_account_get_id (account);
  if (pb_account_store_lookup (self->accounts, id) != NULL)
    pb_account_store_replace (self->accounts, account, &error);
  else
    pb_account_store_add (self->accounts, account, &error);
  if (error != NULL)
    {
      g_debug ("Not adopting %s: %s", id, error->message);
      return;
    }
  if (self->started)
    adopt_accounts (self);
}

void
pb_monitor_forget_account (PbMonitor  *self,
                           const char *account_id)
{
  g_return_if_fail (PB_IS_MONITOR (self));
  g_return_if_fail (account_id != NULL);

  if (!pb_account_store_remove (self->accounts, account_id, NULL))
    return;
  if (self->started)
    adopt_accounts (self);
}
