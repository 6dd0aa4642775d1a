/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The checker against a real, private Dovecot: what a user meets. */
#include "config.h"

#include <glib/gstdio.h>

#include "pb-checker.h"
#include "pb-dovecot.h"
#include "pb-error.h"
#include "pb-seen-store.h"
#include "pb-test-server.h"
#include "pb-test-util.h"

#define PASSWORD "correct horse battery"

static PbDovecot *dovecot;

typedef struct
{
  char         *user;
  char         *state_dir;
  PbAccount    *account;
  PbTrustStore *pins;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  static guint counter;
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autofree char *pins_dir = NULL;
  g_autofree char *pins_path = NULL;
  PbSecurity security = GPOINTER_TO_INT (data);

  if (dovecot == NULL)
    return;

  fixture->user = g_strdup_printf ("user%u", ++counter);
  pb_dovecot_add_user (dovecot, fixture->user, PASSWORD, &error);
  g_assert_no_error (error);

  fixture->state_dir = pb_test_mkdtemp ("state");
  pins_dir = pb_test_mkdtemp ("config");
  pins_path = g_build_filename (pins_dir, "trust.ini", NULL);
  fixture->pins = pb_trust_store_new (pins_path);

  fixture->account = pb_account_new (fixture->user);
  pb_account_set_host (fixture->account, "localhost");
  pb_account_set_user (fixture->account, fixture->user);
  pb_account_set_security (fixture->account, security);
  pb_account_set_port (fixture->account,
                       security == PB_SECURITY_TLS ? pb_dovecot_get_pop3s_port (dovecot)
                                                   : pb_dovecot_get_pop3_port (dovecot));
  pb_account_set_ca_file (fixture->account, ca);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_free (fixture->user);
  g_free (fixture->state_dir);
  g_clear_object (&fixture->account);
  g_clear_object (&fixture->pins);
}

static gboolean
need_dovecot (void)
{
  if (dovecot == NULL)
    {
      g_test_skip ("Dovecot is not installed");
      return FALSE;
    }
  return TRUE;
}

static PbCheckResult *
check_with (Fixture    *fixture,
            const char *password)
{
  g_autoptr(GAsyncResult) async = NULL;
  PbCheckOptions options = { 0 };

  options.pins = fixture->pins;
  options.state_dir = fixture->state_dir;
  options.password = password;
  options.timeout = 20;

  pb_checker_check_async (fixture->account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 60);
  return pb_checker_check_finish (async);
}

static PbCheckResult *
check (Fixture *fixture)
{
  PbCheckResult *result = check_with (fixture, PASSWORD);

  if (result->error != NULL)
    {
      g_autofree char *log = pb_dovecot_get_log (dovecot);
      g_test_message ("Dovecot log:\n%s", log);
    }
  return result;
}

static void
deliver (Fixture    *fixture,
         const char *message)
{
  g_autoptr(GError) error = NULL;

  pb_dovecot_deliver (dovecot, fixture->user, message, strlen (message), &error);
  g_assert_no_error (error);
}

static void
deliver_plain (Fixture    *fixture,
               const char *subject)
{
  g_autofree char *message =
    g_strdup_printf ("From: Sender <sender@example.org>\r\n"
                     "To: %s@localhost\r\n"
                     "Subject: %s\r\n"
                     "Date: Sat, 28 Nov 2026 10:00:00 +0900\r\n"
                     "Message-ID: <%s@example.org>\r\n"
                     "\r\n"
                     "Body.\r\n", fixture->user, subject, subject);
  deliver (fixture, message);
}

/* "=?ISO-2022-JP?B?...?=" for 会議の件 and 山田 太郎, as Japanese mailers send them. */
static const char japanese_message[] =
  "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.jp>\r\n"
  "Subject: =?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?=\r\n"
  "Date: Sat, 28 Nov 2026 10:02:00 +0900\r\n"
  "Message-ID: <kaigi@example.jp>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
  "\r\n"
  "\x1b$B$3$s$K$A$O\x1b(B\r\n";

static void
test_first_check_takes_mail_as_seen (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) second = NULL;

  if (!need_dovecot ())
    return;

  deliver_plain (fixture, "old-1");
  deliver_plain (fixture, "old-2");
  deliver_plain (fixture, "old-3");

  first = check (fixture);
  g_assert_no_error (first->error);
  g_assert_true (first->first_check);
  g_assert_cmpuint (first->total, ==, 3);
  g_assert_cmpuint (first->new_count, ==, 0);
  g_assert_cmpuint (first->messages->len, ==, 0);
  g_assert_true (first->trust == PB_TRUST_SYSTEM);
  g_assert_cmpint (first->tls_version, >=, G_TLS_PROTOCOL_VERSION_TLS_1_2);

  second = check (fixture);
  g_assert_no_error (second->error);
  g_assert_false (second->first_check);
  g_assert_cmpuint (second->total, ==, 3);
  g_assert_cmpuint (second->new_count, ==, 0);
}

static void
test_new_mail_reported_exactly_once (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) second = NULL;
  g_autoptr(PbCheckResult) third = NULL;
  PbMessage *message;

  if (!need_dovecot ())
    return;

  deliver_plain (fixture, "old");
  first = check (fixture);
  g_assert_no_error (first->error);

  deliver_plain (fixture, "hello");
  deliver (fixture, japanese_message);

  second = check (fixture);
  g_assert_no_error (second->error);
  g_assert_false (second->first_check);
  g_assert_cmpuint (second->total, ==, 3);
  g_assert_cmpuint (second->new_count, ==, 2);
  g_assert_cmpuint (second->messages->len, ==, 2);

  message = g_ptr_array_index (second->messages, 0);
  g_assert_cmpstr (message->subject, ==, "hello");
  g_assert_cmpstr (message->from_address, ==, "sender@example.org");
  g_assert_nonnull (message->uidl);

  message = g_ptr_array_index (second->messages, 1);
  g_assert_cmpstr (message->subject, ==, "会議の件");
  g_assert_cmpstr (message->from_name, ==, "山田 太郎");
  g_assert_cmpstr (message->from_address, ==, "taro@example.jp");
  g_assert_cmpstr (message->message_id, ==, "kaigi@example.jp");
  g_assert_nonnull (message->date);
  g_assert_cmpint (g_date_time_to_unix (message->date), ==, 1795827720);

  third = check (fixture);
  g_assert_no_error (third->error);
  g_assert_cmpuint (third->new_count, ==, 0);
  g_assert_cmpuint (third->total, ==, 3);
}

static PbCheckResult *
check_seen (Fixture     *fixture,
            PbSeenStore *seen,
            const char  *password)
{
  g_autoptr(GAsyncResult) async = NULL;
  PbCheckOptions options = { 0 };

  options.pins = fixture->pins;
  options.seen = seen;
  options.state_dir = fixture->state_dir;
  options.password = password;
  options.timeout = 20;
  pb_checker_check_async (fixture->account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 60);
  return pb_checker_check_finish (async);
}

/* A check lists only what can have changed: the whole listing on the first
 * check, then the messages after the last one seen, then two short answers
 * when nothing changed; after a failure, and a day after the last whole
 * listing, everything again. */
static void
test_listing_only_what_changed (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(PbCheckResult) result = NULL;
  g_autofree char *state_path = NULL;
  g_autofree char *state = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autofree char *old_state = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbSeenStore) seen = NULL;

  if (!need_dovecot ())
    return;

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *subject = g_strdup_printf ("old%u", i);
      deliver_plain (fixture, subject);
    }

  result = check (fixture);
  g_assert_no_error (result->error);
  g_assert_cmpint (result->listing, ==, PB_POP3_LISTING_FULL);
  g_clear_pointer (&result, pb_check_result_free);

  deliver_plain (fixture, "fresh");
  result = check (fixture);
  g_assert_no_error (result->error);
  g_assert_cmpint (result->listing, ==, PB_POP3_LISTING_APPENDED);
  g_assert_cmpuint (result->new_count, ==, 1);
  g_assert_cmpstr (((PbMessage *) g_ptr_array_index (result->messages, 0))->subject, ==, "fresh");
  g_clear_pointer (&result, pb_check_result_free);

  result = check (fixture);
  g_assert_no_error (result->error);
  g_assert_cmpint (result->listing, ==, PB_POP3_LISTING_UNCHANGED);
  g_assert_cmpuint (result->new_count, ==, 0);
  g_assert_cmpuint (result->total, ==, 31);
  g_assert_cmpuint (result->bytes_received, <, 1024);
  g_clear_pointer (&result, pb_check_result_free);

  /* A failed check: the next one lists everything. The applet keeps the
   * state between checks, as here. */
  state_path = g_strdup_printf ("%s/%s.state", fixture->state_dir, fixture->user);
  seen = pb_seen_store_new (state_path);
  pb_seen_store_load (seen, &error);
  g_assert_no_error (error);
  result = check_seen (fixture, seen, "wrong password");
  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_clear_pointer (&result, pb_check_result_free);
  result = check_seen (fixture, seen, PASSWORD);
  g_assert_no_error (result->error);
  g_assert_cmpint (result->listing, ==, PB_POP3_LISTING_FULL);
  g_assert_cmpuint (result->new_count, ==, 0);
  g_clear_pointer (&result, pb_check_result_free);
  result = check_seen (fixture, seen, PASSWORD);
  g_assert_cmpint (result->listing, ==, PB_POP3_LISTING_UNCHANGED);
  g_clear_pointer (&result, pb_check_result_free);

  /* The last whole listing a day ago: everything again. */
  g_file_get_contents (state_path, &old_state, NULL, &error);
  g_assert_no_error (error);
  regex = g_regex_new ("^last-listing [0-9]+$", G_REGEX_MULTILINE, 0, NULL);
  g_assert_true (g_regex_match (regex, old_state, 0, NULL));
  state = g_regex_replace (regex, old_state, -1, 0, "last-listing 1000", 0, NULL);
  g_file_set_contents (state_path, state, -1, &error);
  g_assert_no_error (error);
  result = check (fixture);
  g_assert_no_error (result->error);
  g_assert_cmpint (result->listing, ==, PB_POP3_LISTING_FULL);
}

static void
test_unacknowledged_mail_is_remembered (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) second = NULL;
  g_autoptr(PbSeenStore) seen = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GPtrArray *unread;

  if (!need_dovecot ())
    return;

  first = check (fixture);
  g_assert_no_error (first->error);
  g_assert_cmpuint (first->total, ==, 0);

  deliver (fixture, japanese_message);
  second = check (fixture);
  g_assert_no_error (second->error);
  g_assert_cmpuint (second->new_count, ==, 1);

  path = g_strdup_printf ("%s/%s.state", fixture->state_dir, fixture->user);
  seen = pb_seen_store_new (path);
  pb_seen_store_load (seen, &error);
  g_assert_no_error (error);
  unread = pb_seen_store_get_unacknowledged (seen);
  g_assert_cmpuint (unread->len, ==, 1);
  g_assert_cmpstr (((PbMessage *) g_ptr_array_index (unread, 0))->subject, ==, "会議の件");
}

static void
test_wrong_password_keeps_state (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) failed = NULL;
  g_autoptr(PbCheckResult) later = NULL;
  g_autofree char *path = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  if (!need_dovecot ())
    return;

  deliver_plain (fixture, "old");
  first = check (fixture);
  g_assert_no_error (first->error);

  path = g_strdup_printf ("%s/%s.state", fixture->state_dir, fixture->user);
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));

  deliver_plain (fixture, "new");
  failed = check_with (fixture, "wrong password");
  g_assert_error (failed->error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (failed->error->message, "[AUTH]"));
  g_assert_null (strstr (failed->error->message, "wrong password"));
  g_assert_cmpstr (pb_error_kind (failed->error), ==, "auth");
  g_assert_cmpuint (failed->new_count, ==, 0);

  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);

  /* The mail that arrived meanwhile is still new for the next good check. */
  later = check (fixture);
  g_assert_no_error (later->error);
  g_assert_cmpuint (later->new_count, ==, 1);
}

static void
test_unknown_certificate_then_pinned (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(PbCheckResult) refused = NULL;
  g_autoptr(PbCheckResult) pinned = NULL;
  g_autofree char *state = NULL;

  if (!need_dovecot ())
    return;

  /* Without the test CA, the server's certificate is from an unknown issuer. */
  pb_account_set_ca_file (fixture->account, NULL);
  refused = check (fixture);
  g_assert_error (refused->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_cmpstr (pb_error_kind (refused->error), ==, "certificate");
  g_assert_nonnull (refused->certificate);
  g_assert_true (refused->certificate_errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_true (refused->trust == PB_TRUST_REJECTED);
  /* Nothing was sent after the handshake: no state was written either. */
  state = g_strdup_printf ("%s/%s.state", fixture->state_dir, fixture->user);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));

  pb_trust_store_add (fixture->pins, "localhost", pb_account_get_port (fixture->account),
                      refused->certificate);
  pinned = check (fixture);
  g_assert_no_error (pinned->error);
  g_assert_true (pinned->trust == PB_TRUST_PINNED);
}

static void
test_pin_is_for_one_port_only (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(PbCheckResult) refused = NULL;
  g_autoptr(PbCheckResult) other = NULL;
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.pem");

  if (!need_dovecot ())
    return;

  pb_account_set_ca_file (fixture->account, NULL);
  /* The right certificate, pinned for another port of the same host. */
  pb_trust_store_add (fixture->pins, "localhost", pb_account_get_port (fixture->account) + 1, cert);
  other = check (fixture);
  g_assert_error (other->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);

  /* And for another host name on the same port. */
  pb_trust_store_add (fixture->pins, "127.0.0.1", pb_account_get_port (fixture->account), cert);
  refused = check (fixture);
  g_assert_error (refused->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE);
}

static void
test_deleted_mail_is_forgotten (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) second = NULL;
  g_autoptr(PbSeenStore) seen = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *maildir = NULL;
  g_autofree char *state = NULL;
  g_autofree char *cur = NULL;
  GDir *dir;
  const char *name;
  guint removed = 0;

  if (!need_dovecot ())
    return;

  deliver_plain (fixture, "a");
  deliver_plain (fixture, "b");
  first = check (fixture);
  g_assert_no_error (first->error);
  g_assert_cmpuint (first->total, ==, 2);

  /* Another client deletes one message (Dovecot moved them to cur/). */
  maildir = pb_dovecot_get_maildir (dovecot, fixture->user);
  cur = g_build_filename (maildir, "cur", NULL);
  dir = g_dir_open (cur, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL && removed == 0)
    {
      g_autofree char *file = g_build_filename (cur, name, NULL);
      g_assert_cmpint (g_unlink (file), ==, 0);
      removed++;
    }
  g_dir_close (dir);
  g_assert_cmpuint (removed, ==, 1);

  deliver_plain (fixture, "c");
  second = check (fixture);
  g_assert_no_error (second->error);
  g_assert_cmpuint (second->total, ==, 2);
  g_assert_cmpuint (second->new_count, ==, 1);
  g_assert_cmpstr (((PbMessage *) g_ptr_array_index (second->messages, 0))->subject, ==, "c");

  state = g_strdup_printf ("%s/%s.state", fixture->state_dir, fixture->user);
  seen = pb_seen_store_new (state);
  pb_seen_store_load (seen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pb_seen_store_get_n_seen (seen), ==, 2);
}

static void
test_round_trips_are_few (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PbCheckResult) first = NULL;
  g_autoptr(PbCheckResult) idle = NULL;
  g_autoptr(PbCheckResult) busy = NULL;
  guint extra;

  if (!need_dovecot ())
    return;

  first = check (fixture);
  g_assert_no_error (first->error);

  idle = check (fixture);
  g_assert_no_error (idle->error);
  g_test_message ("no new mail: %u commands, %u round trips", idle->commands_sent, idle->round_trips);
  /* STLS costs its own exchanges before TLS: greeting, CAPA and STLS. */
  extra = GPOINTER_TO_INT (data) == PB_SECURITY_STARTTLS ? 3 : 0;
  /* greeting, CAPA, AUTH + STAT + UIDL pipelined */
  g_assert_cmpuint (idle->round_trips, <=, 4 + extra);

  for (guint i = 0; i < 5; i++)
    deliver_plain (fixture, "batch");
  busy = check (fixture);
  g_assert_no_error (busy->error);
  g_assert_cmpuint (busy->new_count, ==, 5);
  g_test_message ("5 new: %u commands, %u round trips", busy->commands_sent, busy->round_trips);
  g_assert_cmpuint (busy->round_trips, <=, 5 + extra);
}

static void
test_cancelled_check_keeps_state (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(PbCheckResult) result = NULL;
  g_autofree char *state = NULL;
  PbCheckOptions options = { 0 };

  if (!need_dovecot ())
    return;

  options.state_dir = fixture->state_dir;
  options.password = PASSWORD;
  g_cancellable_cancel (cancellable);
  pb_checker_check_async (fixture->account, &options, cancellable, pb_test_store_result, &async);
  pb_test_wait_result (&async, 30);
  result = pb_checker_check_finish (async);
  g_assert_error (result->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  state = g_strdup_printf ("%s/%s.state", fixture->state_dir, fixture->user);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
}

/* ---- Servers without UIDL or TOP (scripted: Dovecot has both) ----------- */

static PbCheckResult *
check_scripted (PbAccount        *account,
                const char       *state_dir,
                const PbTestStep *steps)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.pem");
  g_autoptr(PbTestServer) server = pb_test_server_new (cert, TRUE, steps);
  g_autoptr(GAsyncResult) async = NULL;
  PbCheckOptions options = { 0 };

  pb_account_set_port (account, pb_test_server_get_port (server));
  options.state_dir = state_dir;
  options.password = "secret";
  options.timeout = 10;
  pb_checker_check_async (account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 30);
  g_assert_null (pb_test_server_get_failure (server));
  return pb_checker_check_finish (async);
}

static PbAccount *
scripted_account (void)
{
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  PbAccount *account = pb_account_new ("scripted");

  pb_account_set_host (account, "localhost");
  pb_account_set_user (account, "alice");
  pb_account_set_ca_file (account, ca);
  return account;
}

#define LOGIN_USER_PASS \
  { PB_STEP_SEND, "+OK ready" }, \
  { PB_STEP_EXPECT, "CAPA" }, \
  { PB_STEP_SEND, "+OK" }, \
  { PB_STEP_SEND, "USER" }, \
  { PB_STEP_SEND, "." }, \
  { PB_STEP_EXPECT, "USER alice" }, \
  { PB_STEP_SEND, "+OK" }, \
  { PB_STEP_EXPECT, "PASS secret" }, \
  { PB_STEP_SEND, "+OK logged in" }

static void
test_no_uidl_counts_by_total (void)
{
  static const PbTestStep first[] = {
    LOGIN_USER_PASS,
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 2 200" },
    { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "-ERR no such command" },
    { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_END },
  };
  static const PbTestStep second[] = {
    LOGIN_USER_PASS,
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 3 300" },
    { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "-ERR no such command" },
    { PB_STEP_EXPECT, "TOP 3 0" },
    { PB_STEP_SEND, "+OK" },
    { PB_STEP_SEND, "From: Third <third@example.org>" },
    { PB_STEP_SEND, "Subject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=" },
    { PB_STEP_SEND, "" },
    { PB_STEP_SEND, "." },
    { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_END },
  };
  g_autoptr(PbAccount) account = scripted_account ();
  g_autofree char *state_dir = pb_test_mkdtemp ("state");
  g_autoptr(PbCheckResult) one = NULL;
  g_autoptr(PbCheckResult) two = NULL;
  PbMessage *message;

  one = check_scripted (account, state_dir, first);
  g_assert_no_error (one->error);
  g_assert_true (one->first_check);
  g_assert_cmpuint (one->total, ==, 2);
  g_assert_true (one->limits & PB_CHECK_LIMIT_NO_UIDL);

  two = check_scripted (account, state_dir, second);
  g_assert_no_error (two->error);
  g_assert_false (two->first_check);
  g_assert_cmpuint (two->total, ==, 3);
  g_assert_cmpuint (two->new_count, ==, 1);
  g_assert_true (two->limits & PB_CHECK_LIMIT_NO_UIDL);
  g_assert_cmpuint (two->messages->len, ==, 1);
  message = g_ptr_array_index (two->messages, 0);
  g_assert_null (message->uidl);
  g_assert_cmpstr (message->subject, ==, "こんにちは");
  g_assert_cmpstr (message->from_name, ==, "Third");
}

/* Without UIDL, many new messages: the count is complete, the previews are
 * the newest few, and messages without a UIDL don't pile up as
 * unacknowledged check after check; a shrink drops them. (A hostile claim
 * of four billion is in test-hostile, under memory and time limits.) */
static void
test_no_uidl_many_new (void)
{
  static const PbTestStep first[] = {
    LOGIN_USER_PASS,
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 2 200" },
    { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "-ERR no such command" },
    { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_END },
  };
  static const PbTestStep shrunk[] = {
    LOGIN_USER_PASS,
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 1 100" },
    { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "-ERR no such command" },
    { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_END },
  };
  const PbTestStep login[] = { LOGIN_USER_PASS };
  g_autoptr(GArray) huge = g_array_new (FALSE, TRUE, sizeof (PbTestStep));
  g_autoptr(PbAccount) account = scripted_account ();
  g_autofree char *state_dir = pb_test_mkdtemp ("state");
  g_autofree char *state_path = g_build_filename (state_dir, "scripted.state", NULL);
  g_autoptr(PbCheckResult) one = NULL;
  g_autoptr(PbCheckResult) two = NULL;
  g_autoptr(PbCheckResult) three = NULL;
  g_autoptr(PbCheckResult) four = NULL;
  g_autoptr(PbSeenStore) seen = NULL;
  g_autoptr(GError) error = NULL;
  PbTestStep step = { 0 };
  gint64 started;

  g_array_append_vals (huge, login, G_N_ELEMENTS (login));
#define ADD(kind_, text_) \
  G_STMT_START { step.kind = (kind_); step.text = (text_); g_array_append_val (huge, step); } \
  G_STMT_END
  ADD (PB_STEP_EXPECT, "STAT");
  ADD (PB_STEP_SEND, "+OK 1002 0");
  ADD (PB_STEP_EXPECT, "UIDL");
  ADD (PB_STEP_SEND, "-ERR no such command");
  for (guint i = 0; i < PB_CHECK_MAX_PREVIEWS; i++)
    {
      ADD (PB_STEP_EXPECT_PREFIX, "TOP ");
      ADD (PB_STEP_SEND, "-ERR no such message");
    }
  ADD (PB_STEP_EXPECT, "QUIT");
  ADD (PB_STEP_SEND, "+OK");
  ADD (PB_STEP_END, NULL);
#undef ADD

  one = check_scripted (account, state_dir, first);
  g_assert_no_error (one->error);

  started = g_get_monotonic_time ();
  two = check_scripted (account, state_dir, (const PbTestStep *) huge->data);
  g_assert_no_error (two->error);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (two->total, ==, 1002);
  g_assert_cmpuint (two->new_count, ==, 1000);
  g_assert_cmpuint (two->messages->len, ==, PB_CHECK_MAX_PREVIEWS);
  g_assert_true (two->limits & PB_CHECK_LIMIT_TRUNCATED);

  /* Again, from the start: as many as were listed once, not twice as many. */
  three = check_scripted (account, state_dir, (const PbTestStep *) huge->data);
  g_assert_no_error (three->error);
  g_assert_cmpuint (three->new_count, ==, 0);
  seen = pb_seen_store_new (state_path);
  pb_seen_store_load (seen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (seen)->len, ==, PB_CHECK_MAX_PREVIEWS);
  g_clear_object (&seen);

  /* The mailbox shrank: the mail client took them, they are gone. */
  four = check_scripted (account, state_dir, shrunk);
  g_assert_no_error (four->error);
  seen = pb_seen_store_new (state_path);
  pb_seen_store_load (seen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (seen)->len, ==, 0);
}

static void
test_no_top_still_counts (void)
{
  static const PbTestStep first[] = {
    LOGIN_USER_PASS,
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 1 100" },
    { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "1 aaa" },
    { PB_STEP_SEND, "." },
    { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_END },
  };
  static const PbTestStep second[] = {
    LOGIN_USER_PASS,
    { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 3 300" },
    { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "1 aaa" },
    { PB_STEP_SEND, "2 bbb" }, { PB_STEP_SEND, "3 ccc" }, { PB_STEP_SEND, "." },
    { PB_STEP_EXPECT, "TOP 2 0" }, { PB_STEP_SEND, "-ERR unknown command" },
    { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
    { PB_STEP_END },
  };
  g_autoptr(PbAccount) account = scripted_account ();
  g_autofree char *state_dir = pb_test_mkdtemp ("state");
  g_autoptr(PbCheckResult) one = NULL;
  g_autoptr(PbCheckResult) two = NULL;

  one = check_scripted (account, state_dir, first);
  g_assert_no_error (one->error);
  g_assert_true (one->first_check);

  two = check_scripted (account, state_dir, second);
  g_assert_no_error (two->error);
  g_assert_cmpuint (two->new_count, ==, 2);
  g_assert_true (two->limits & PB_CHECK_LIMIT_NO_TOP);
  g_assert_false (two->limits & PB_CHECK_LIMIT_NO_UIDL);
  g_assert_cmpuint (two->messages->len, ==, 2);
  g_assert_cmpstr (((PbMessage *) g_ptr_array_index (two->messages, 0))->uidl, ==, "bbb");
  g_assert_null (((PbMessage *) g_ptr_array_index (two->messages, 0))->subject);
}

/* Every byte comes before the per-wait timeout, but the greeting takes
 * seconds: the whole check's deadline ends it. */
static void
test_slow_drip_hits_the_deadline (void)
{
  static const PbTestStep steps[] = {
    { PB_STEP_SEND_RAW, "+" }, { PB_STEP_PAUSE, NULL, 400 },
    { PB_STEP_SEND_RAW, "O" }, { PB_STEP_PAUSE, NULL, 400 },
    { PB_STEP_SEND_RAW, "K" }, { PB_STEP_PAUSE, NULL, 400 },
    { PB_STEP_SEND_RAW, " " }, { PB_STEP_PAUSE, NULL, 400 },
    { PB_STEP_SEND_RAW, "h" }, { PB_STEP_PAUSE, NULL, 400 },
    { PB_STEP_SEND_RAW, "i" }, { PB_STEP_PAUSE, NULL, 400 },
    { PB_STEP_SEND_RAW, "\r" }, { PB_STEP_PAUSE, NULL, 400 },
    { PB_STEP_SEND_RAW, "\n" },
    { PB_STEP_STALL },
  };
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate ("server.pem");
  g_autoptr(PbTestServer) server = pb_test_server_new (cert, TRUE, steps);
  g_autoptr(PbAccount) account = scripted_account ();
  g_autofree char *state_dir = pb_test_mkdtemp ("state");
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(PbCheckResult) result = NULL;
  PbCheckOptions options = { 0 };
  gint64 started = g_get_monotonic_time ();

  pb_account_set_port (account, pb_test_server_get_port (server));
  options.state_dir = state_dir;
  options.password = "secret";
  options.timeout = 1;
  options.deadline = 2;
  pb_checker_check_async (account, &options, NULL, pb_test_store_result, &async);
  pb_test_wait_result (&async, 30);
  result = pb_checker_check_finish (async);

  g_assert_error (result->error, PB_POP3_ERROR, PB_POP3_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (result->error->message, "within 2 seconds"));
  g_assert_cmpint (g_get_monotonic_time () - started, <, 3 * G_USEC_PER_SEC);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  static const struct
  {
    const char *name;
    PbSecurity  security;
  } modes[] = {
    { "tls", PB_SECURITY_TLS },
    { "starttls", PB_SECURITY_STARTTLS },
  };
  int status;

  pb_test_init (&argc, &argv);

  dovecot = pb_dovecot_new (&error);
  if (dovecot == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_error ("Could not start Dovecot: %s", error->message);
      g_clear_error (&error);
    }

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      gconstpointer mode = GINT_TO_POINTER (modes[i].security);
#define ADD(path, func) \
      do { \
        g_autofree char *p = g_strdup_printf ("/pb/checker/dovecot/%s/%s", modes[i].name, path); \
        g_test_add (p, Fixture, mode, fixture_setup, func, fixture_teardown); \
      } while (0)
      ADD ("first-check-takes-mail-as-seen", test_first_check_takes_mail_as_seen);
      ADD ("new-mail-reported-exactly-once", test_new_mail_reported_exactly_once);
      ADD ("round-trips-are-few", test_round_trips_are_few);
      ADD ("listing-only-what-changed", test_listing_only_what_changed);
      ADD ("unknown-certificate-then-pinned", test_unknown_certificate_then_pinned);
#undef ADD
    }

  g_test_add ("/pb/checker/dovecot/unacknowledged-mail-is-remembered", Fixture,
              GINT_TO_POINTER (PB_SECURITY_TLS), fixture_setup,
              test_unacknowledged_mail_is_remembered, fixture_teardown);
  g_test_add ("/pb/checker/dovecot/wrong-password-keeps-state", Fixture,
              GINT_TO_POINTER (PB_SECURITY_TLS), fixture_setup,
              test_wrong_password_keeps_state, fixture_teardown);
  g_test_add ("/pb/checker/dovecot/pin-is-for-one-host-and-port", Fixture,
              GINT_TO_POINTER (PB_SECURITY_TLS), fixture_setup,
              test_pin_is_for_one_port_only, fixture_teardown);
  g_test_add ("/pb/checker/dovecot/deleted-mail-is-forgotten", Fixture,
              GINT_TO_POINTER (PB_SECURITY_TLS), fixture_setup,
              test_deleted_mail_is_forgotten, fixture_teardown);
  g_test_add ("/pb/checker/dovecot/cancelled-check-keeps-state", Fixture,
              GINT_TO_POINTER (PB_SECURITY_TLS), fixture_setup,
              test_cancelled_check_keeps_state, fixture_teardown);

  g_test_add_func ("/pb/checker/scripted/no-uidl-counts-by-total", test_no_uidl_counts_by_total);
  g_test_add_func ("/pb/checker/scripted/no-uidl-many-new-previews-the-newest",
                   test_no_uidl_many_new);
  g_test_add_func ("/pb/checker/scripted/no-top-still-counts", test_no_top_still_counts);
  g_test_add_func ("/pb/checker/scripted/slow-drip-hits-the-deadline",
                   test_slow_drip_hits_the_deadline);

  status = g_test_run ();
  g_clear_pointer (&dovecot, pb_dovecot_free);
  return status;
}
