/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-describe"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-actions.h"
#include "app/core/pb-error.h"
#include "app/core/pb-text.h"
#include "pb-describe.h"

#define MINUTE 60
#define HOUR   (60 * MINUTE)

/* The desktop's choice between a 12- and a 24-hour clock, when GNOME's
 * settings are installed; 24 hours otherwise. */
static gboolean
use_12_hour_clock (void)
{
  static GSettings *interface = NULL;
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
      g_autoptr(GSettingsSchema) schema = NULL;

      if (source != NULL)
        schema = g_settings_schema_source_lookup (source, "org.gnome.desktop.interface", TRUE);
      if (schema != NULL && g_settings_schema_has_key (schema, "clock-format"))
        interface = g_settings_new ("org.gnome.desktop.interface");
      g_once_init_leave (&once, 1);
    }

  if (interface == NULL)
    return FALSE;

  {
    g_autofree char *format = g_settings_get_string (interface, "clock-format");
    return g_strcmp0 (format, "12h") == 0;
  }
}

/* Calendar days from @earlier to @later in local time: 0 the same day, 1 the next. */
static gint
days_between (GDateTime *earlier,
              GDateTime *later)
{
  g_autoptr(GDateTime) a = g_date_time_to_local (earlier);
  g_autoptr(GDateTime) b = g_date_time_to_local (later);
  GDate da, db;
  gint y, m, d;

  g_date_time_get_ymd (a, &y, &m, &d);
  g_date_clear (&da, 1);
  g_date_set_dmy (&da, d, m, y);
  g_date_time_get_ymd (b, &y, &m, &d);
  g_date_clear (&db, 1);
  g_date_set_dmy (&db, d, m, y);

  return g_date_days_between (&da, &db);
}

static GDateTime *
local_from_unix (gint64 unix_time)
{
  GDateTime *time = g_date_time_new_from_unix_local (unix_time);

  /* Out of GDateTime's range: only a broken file could say so. */
  return time != NULL ? time : g_date_time_new_from_unix_local (0);
}

char *
pb_describe_time_of_day (GDateTime *time)
{
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  local = g_date_time_to_local (time);
  if (use_12_hour_clock ())
    /* Translators: a time of day on a 12-hour clock, see g_date_time_format(). */
    return g_date_time_format (local, _("%-l:%M %p"));
  /* Translators: a time of day on a 24-hour clock, see g_date_time_format(). */
  return g_date_time_format (local, _("%H:%M"));
}

char *
pb_describe_date (GDateTime *date)
{
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (date != NULL, NULL);

  local = g_date_time_to_local (date);
  /* Translators: a full date, see g_date_time_format(); e.g. "%Y年%-m月%-d日". */
  return g_date_time_format (local, _("%-d %B %Y"));
}

char *
pb_describe_message_date (GDateTime *date,
                          GDateTime *now)
{
  g_autoptr(GDateTime) local = NULL;
  gint days;

  g_return_val_if_fail (date != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  local = g_date_time_to_local (date);
  days = days_between (date, now);

  if (days == 0)
    return pb_describe_time_of_day (date);
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days > 1 && days < 7)
    /* The weekday's name, which the C library already has in every language. */
    return g_date_time_format (local, "%A");
  if (g_date_time_get_year (local) == g_date_time_get_year (now))
    /* Translators: a date this year in a list of messages, see g_date_time_format(). */
    return g_date_time_format (local, _("%-d %b"));
  /* Translators: a date of another year in a list of messages, see g_date_time_format(). */
  return g_date_time_format (local, _("%-d %b %Y"));
}

char *
pb_describe_time_ago (gint64 then,
                      gint64 now)
{
  g_autoptr(GDateTime) then_time = NULL;
  g_autoptr(GDateTime) now_time = NULL;
  g_autofree char *text = NULL;
  gint64 ago = now - then;
  gint days;

  /* A clock set back a little reads as now, not as the future. */
  if (ago < MINUTE)
    return g_strdup (_("just now"));
  if (ago < HOUR)
    {
      guint minutes = ago / MINUTE;
      /* Translators: completes "Checked %s". */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute ago", "%u minutes ago",
                                           minutes),
                              minutes);
    }

  then_time = local_from_unix (then);
  now_time = local_from_unix (now);
  days = days_between (then_time, now_time);

  if (days == 0)
    {
      text = pb_describe_time_of_day (then_time);
      /* Translators: completes "Checked %s"; %s is a time of day. */
      return g_strdup_printf (_("today at %s"), text);
    }
  if (days == 1)
    {
      text = pb_describe_time_of_day (then_time);
      /* Translators: completes "Checked %s"; %s is a time of day. */
      return g_strdup_printf (_("yesterday at %s"), text);
    }
  text = pb_describe_date (then_time);
  /* Translators: completes "Checked %s"; %s is a date such as "3 March 2026". */
  return g_strdup_printf (_("on %s"), text);
}

char *
pb_describe_next_check (gint64 next,
                        gint64 now)
{
  g_autoptr(GDateTime) next_time = NULL;
  g_autoptr(GDateTime) now_time = NULL;
  g_autofree char *text = NULL;
  gint days;

  if (next - now < MINUTE)
    return g_strdup (_("next check in a moment"));

  next_time = local_from_unix (next);
  now_time = local_from_unix (now);
  days = days_between (now_time, next_time);

  if (days == 0)
    {
      text = pb_describe_time_of_day (next_time);
      /* Translators: %s is a time of day. */
      return g_strdup_printf (_("next check at %s"), text);
    }
  if (days == 1)
    {
      text = pb_describe_time_of_day (next_time);
      /* Translators: %s is a time of day. */
      return g_strdup_printf (_("next check tomorrow at %s"), text);
    }
  text = pb_describe_date (next_time);
  /* Translators: %s is a date such as "3 March 2026". */
  return g_strdup_printf (_("next check on %s"), text);
}

char *
pb_describe_join (const char *first,
                  const char *second)
{
  g_return_val_if_fail (first != NULL, NULL);

  if (second == NULL)
    return g_strdup (first);
  /* Translators: two parts of one status line, e.g. "Checked 2 minutes ago · next check at
   * 10:35". */
  return g_strdup_printf (_("%s · %s"), first, second);
}

static const char *
tls_version_name (GTlsProtocolVersion version)
{
  /* Names of standards, the same in every language. */
  switch (version)
    {
    case G_TLS_PROTOCOL_VERSION_TLS_1_0:
      return "TLS 1.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_1:
      return "TLS 1.1";
    case G_TLS_PROTOCOL_VERSION_TLS_1_2:
      return "TLS 1.2";
    case G_TLS_PROTOCOL_VERSION_TLS_1_3:
      return "TLS 1.3";
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    case G_TLS_PROTOCOL_VERSION_SSL_3_0:
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0:
    case G_TLS_PROTOCOL_VERSION_DTLS_1_2:
    default:
      return NULL;
    }
}

char *
pb_describe_protection (PbCheckResult *result,
                        PbTrustStore  *pins)
{
  const char *version;
  g_autofree char *encrypted = NULL;
  g_autofree char *trust = NULL;

  g_return_val_if_fail (pins == NULL || PB_IS_TRUST_STORE (pins), NULL);

  if (result == NULL || result->error != NULL)
    return NULL;

  version = tls_version_name (result->tls_version);
  if (version != NULL)
    /* Translators: how the connection to the server was protected; %s is "TLS 1.3". */
    encrypted = g_strdup_printf (_("Encrypted (%s)"), version);
  else
    encrypted = g_strdup (_("Encrypted"));

  switch (result->trust)
    {
    case PB_TRUST_SYSTEM:
      trust = g_strdup (_("certificate verified"));
      break;

    case PB_TRUST_PINNED:
      {
        GDateTime *pinned_at = NULL;

        if (pins != NULL && result->host != NULL)
          pinned_at = pb_trust_store_get_pinned_at (pins, result->host, result->port);
        if (pinned_at != NULL)
          {
            g_autofree char *date = pb_describe_date (pinned_at);
            /* Translators: %s is a date such as "3 March 2026". */
            trust = g_strdup_printf (_("certificate you trusted on %s"), date);
          }
        else
          {
            trust = g_strdup (_("certificate you trusted"));
          }
      }
      break;

    case PB_TRUST_REJECTED:
    default:
      /* A check never succeeds with a rejected certificate. */
      break;
    }

  return pb_describe_join (encrypted, trust);
}

char *
pb_describe_expiry_warning (GTlsCertificate *certificate,
                            GDateTime       *now)
{
  g_autoptr(GDateTime) not_after = NULL;
  g_autofree char *date = NULL;
  GTimeSpan left;
  guint days;

  g_return_val_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (now != NULL, NULL);

  if (certificate == NULL)
    return NULL;
  not_after = g_tls_certificate_get_not_valid_after (certificate);
  if (not_after == NULL)
    return NULL;

  left = g_date_time_difference (not_after, now);
  if (left > PB_DESCRIBE_EXPIRY_WARNING_DAYS * G_TIME_SPAN_DAY)
    return NULL;

  date = pb_describe_date (not_after);
  if (left <= 0)
    /* Translators: %s is a date such as "3 March 2026". */
    return g_strdup_printf (_("The server's certificate expired on %s."), date);

  days = left / G_TIME_SPAN_DAY;
  if (days == 0)
    /* Translators: %s is a date such as "3 March 2026". */
    return g_strdup_printf (_("The server's certificate expires within a day (on %s)."), date);
  /* Translators: %u is a number of days, %s a date such as "3 March 2026". */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The server's certificate expires in %u day (on %s).",
                                       "The server's certificate expires in %u days (on %s).",
                                       days),
                          days, date);
}

static char *
describe_checked (gint64 last_success,
                  gint64 now)
{
  g_autofree char *ago = NULL;

  if (last_success <= 0)
    return g_strdup (_("Not checked yet"));

  ago = pb_describe_time_ago (last_success, now);
  /* Translators: %s is "just now", "5 minutes ago", "today at 10:02", "on 3 March 2026"… */
  return g_strdup_printf (_("Checked %s"), ago);
}

char *
pb_describe_sender (const PbMessage *message,
                    guint            max_chars)
{
  g_autofree char *clean = NULL;

  g_return_val_if_fail (message != NULL, NULL);

  clean = pb_text_clean (pb_message_get_sender (message), -1, max_chars);
  if (*clean == '\0')
    return g_strdup (_("Unknown sender"));
  return g_steal_pointer (&clean);
}

char *
pb_describe_subject (const PbMessage *message,
                     guint            max_chars)
{
  g_autofree char *clean = NULL;

  g_return_val_if_fail (message != NULL, NULL);

  clean = pb_text_clean (message->subject, -1, max_chars);
  if (*clean == '\0')
    return g_strdup (_("(no subject)"));
  return g_steal_pointer (&clean);
}

char *
pb_describe_message_line (const PbMessage *message,
                          guint            max_chars)
{
  g_autofree char *sender = pb_describe_sender (message, max_chars);
  g_autofree char *subject = pb_describe_subject (message, max_chars);
  g_autofree char *line = NULL;

  /* Translators: one line per new message: its sender, then its subject. */
  line = g_strdup_printf (_("%s — %s"), sender, subject);
  return max_chars > 0 ? pb_text_clean (line, -1, max_chars) : g_steal_pointer (&line);
}

char *
pb_describe_state_full (PbAccountState  state,
                        const GError   *error,
                        gint64          last_success,
                        gint64          next_check,
                        gint64          now)
{
  g_autofree char *first = NULL;
  g_autofree char *next = NULL;

  switch (state)
    {
    case PB_ACCOUNT_STATE_CHECKING:
      return g_strdup (_("Checking…"));

    case PB_ACCOUNT_STATE_OFFLINE:
      return g_strdup (_("Offline — Popbell checks when the network is back"));

    case PB_ACCOUNT_STATE_DISABLED:
      return g_strdup (_("Checks are turned off for this account"));

    case PB_ACCOUNT_STATE_NEEDS_TRUST:
      return g_strdup (_("The server's identity can't be verified"));

    case PB_ACCOUNT_STATE_NEEDS_PASSWORD:
      if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED))
        return g_strdup (_("The server didn't accept the password"));
      return g_strdup (_("No password is stored for this account"));

    case PB_ACCOUNT_STATE_KEYRING_LOCKED:
      return g_strdup (_("The keyring is locked, so the password can't be read"));

    case PB_ACCOUNT_STATE_NO_KEYRING:
      return g_strdup (_("No keyring is available to keep the password"));

    case PB_ACCOUNT_STATE_NEEDS_SIGN_IN:
      if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_NO_AUTH_MECHANISM))
        return g_strdup (_("This server takes only a sign-in with its provider, not a password"));
      return g_strdup (_("Popbell must be signed in again to check this account"));

    case PB_ACCOUNT_STATE_FAILING:
      if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_MAILBOX_IN_USE))
        first = g_strdup (_("The mailbox is in use by another program"));
      else if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_LOGIN_DELAY))
        first = g_strdup (_("The server asked to wait before the next login"));
      else if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_TEMPORARY))
        first = g_strdup (_("The server has a temporary problem"));
      else if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_PERMANENT))
        first = g_strdup (_("The server reported a problem with the mailbox"));
      else
        first = g_strdup (_("The last check failed"));
      break;

    case PB_ACCOUNT_STATE_IDLE:
    case PB_ACCOUNT_STATE_OK:
    default:
      first = describe_checked (last_success, now);
      break;
    }

  if (next_check > 0)
    next = pb_describe_next_check (next_check, now);
  return pb_describe_join (first, next);
}

char *
pb_describe_state (PbMonitor  *monitor,
                   const char *account_id,
                   gint64      now)
{
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);

  {
    g_autofree char *state = NULL;
    PbAccount *account = pb_account_store_lookup (pb_monitor_get_account_store (monitor),
                                                  account_id);
    guint delay = pb_monitor_get_login_delay (monitor, account_id);
    guint interval = account != NULL ? pb_account_get_interval (account) : 0;
    guint delay_minutes = (delay + 59) / 60;

    PbAccountState account_state = pb_monitor_get_state (monitor, account_id);

    /* An account that signs in keeps a sign-in in the keyring, not a password. */
    if (account != NULL && pb_account_get_oauth2_provider (account) != NULL &&
        account_state == PB_ACCOUNT_STATE_KEYRING_LOCKED)
      state = g_strdup (_("The keyring is locked, so the sign-in can't be read"));
    else if (account != NULL && pb_account_get_oauth2_provider (account) != NULL &&
             account_state == PB_ACCOUNT_STATE_NO_KEYRING)
      state = g_strdup (_("No keyring is available to keep the sign-in"));
    else
      state = pb_describe_state_full (account_state,
                                      pb_monitor_get_error (monitor, account_id),
                                      pb_monitor_get_last_success_time (monitor, account_id),
                                      pb_monitor_get_next_check_time (monitor, account_id),
                                      now);
    /* The interval grew to what the server allows: say why. */
    if (account != NULL && delay_minutes > interval)
      {
        g_autofree char *why =
          g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "The server allows a login only every %u minute, "
                                        "so Popbell checks this account that often.",
                                        "The server allows a login only every %u minutes, "
                                        "so Popbell checks this account that often.",
                                        delay_minutes),
                           delay_minutes);

        return pb_describe_join (state, why);
      }
    return g_steal_pointer (&state);
  }
}

gboolean
pb_describe_fix (PbAccountState  state,
                 const char    **label,
                 const char    **action_name)
{
  const char *text = NULL;
  const char *action = NULL;

  switch (state)
    {
    case PB_ACCOUNT_STATE_NEEDS_TRUST:
      text = _("Review Certificate…");
      action = PB_ACTION_REVIEW_CERTIFICATE;
      break;

    case PB_ACCOUNT_STATE_NEEDS_PASSWORD:
    case PB_ACCOUNT_STATE_KEYRING_LOCKED:
    case PB_ACCOUNT_STATE_NO_KEYRING:
      text = _("Enter Password…");
      action = PB_ACTION_ENTER_PASSWORD;
      break;

    case PB_ACCOUNT_STATE_FAILING:
      text = _("Try Again");
      action = PB_ACTION_CHECK_NOW;
      break;

    case PB_ACCOUNT_STATE_NEEDS_SIGN_IN:
      text = _("Sign In Again…");
      action = PB_ACTION_SIGN_IN;
      break;

    case PB_ACCOUNT_STATE_IDLE:
    case PB_ACCOUNT_STATE_CHECKING:
    case PB_ACCOUNT_STATE_OK:
    case PB_ACCOUNT_STATE_OFFLINE:
    case PB_ACCOUNT_STATE_DISABLED:
    default:
      break;
    }

  if (label != NULL)
    *label = text;
  if (action_name != NULL)
    *action_name = action;
  return action != NULL;
}

gboolean
pb_describe_fix_is_sign_in (PbAccount      *account,
                            PbAccountState  state)
{
  if (state == PB_ACCOUNT_STATE_NEEDS_SIGN_IN)
    return TRUE;
  return account != NULL && pb_account_get_oauth2_provider (account) != NULL &&
         (state == PB_ACCOUNT_STATE_NEEDS_PASSWORD ||
          state == PB_ACCOUNT_STATE_KEYRING_LOCKED ||
          state == PB_ACCOUNT_STATE_NO_KEYRING);
}

gboolean
pb_describe_account_fix (PbAccount       *account,
                         PbAccountState   state,
                         const char     **label,
                         const char     **action_name)
{
  g_return_val_if_fail (account == NULL || PB_IS_ACCOUNT (account), FALSE);

  if (state != PB_ACCOUNT_STATE_NEEDS_SIGN_IN && pb_describe_fix_is_sign_in (account, state))
    {
      if (label != NULL)
        *label = _("Sign In…");
      if (action_name != NULL)
        *action_name = PB_ACTION_SIGN_IN;
      return TRUE;
    }
  return pb_describe_fix (state, label, action_name);
}

char *
pb_describe_new_count (guint count)
{
  if (count == 0)
    return g_strdup (_("No new mail"));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new message", "%u new messages", count),
                          count);
}
