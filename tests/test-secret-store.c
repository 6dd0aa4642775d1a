/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <libsecret/secret.h>

#include "pb-error.h"
#include "pb-secret-store.h"
#include "pb-secret-watch.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"

#define TIMEOUT_S 20

typedef struct
{
  PbTestKeyring *keyring;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  fixture->keyring = pb_test_keyring_new ();
}

static void
fixture_setup_no_service (Fixture       *fixture,
                          gconstpointer  user_data)
{
  fixture->keyring = pb_test_keyring_new_no_service ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_clear_pointer (&fixture->keyring, pb_test_keyring_free);
}

static PbAccount *
account_new (const char *id,
             const char *user,
             const char *host,
             guint16     port)
{
  PbAccount *account = pb_account_new (id);

  pb_account_set_user (account, user);
  pb_account_set_host (account, host);
  pb_account_set_port (account, port);
  return account;
}

static void
store (PbAccount  *account,
       const char *password)
{
  g_autoptr(GError) error = NULL;
  gboolean stored;

  stored = pb_secret_store_sync (account, password, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (stored);
}

static void
assert_password (const char *account_id,
                 const char *expected)
{
  g_autoptr(GError) error = NULL;
  char *password;

  password = pb_secret_lookup_sync (account_id, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, expected);
  pb_secret_free (password);
}

static void
assert_lookup_error (const char *account_id,
                     gboolean    unlock,
                     int         code)
{
  g_autoptr(GError) error = NULL;
  char *password;

  password = pb_secret_lookup_sync (account_id, unlock, NULL, &error);
  g_assert_error (error, PB_SECRET_ERROR, code);
  g_assert_null (password);
}

static guint
count_items (Fixture    *fixture,
             const char *account_id)
{
  GList *items = pb_test_keyring_find_items (fixture->keyring, account_id);
  guint n = g_list_length (items);

  g_list_free_full (items, g_object_unref);
  return n;
}

static void
test_schema (void)
{
  const SecretSchema *schema = pb_secret_get_schema ();
  static const struct
  {
    const char                *name;
    SecretSchemaAttributeType  type;
  } expected[] = {
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "port", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
  };

  g_assert_cmpstr (schema->name, ==, "io.github.popbell.Popbell.Account");
  g_assert_cmpint (schema->flags, ==, SECRET_SCHEMA_NONE);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpstr (schema->attributes[i].name, ==, expected[i].name);
      g_assert_cmpint (schema->attributes[i].type, ==, expected[i].type);
    }
  g_assert_null (schema->attributes[G_N_ELEMENTS (expected)].name);
}

static void
test_store_then_lookup (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *label = NULL;
  GList *items;

  store (account, "s3cret pass");
  assert_password ("work", "s3cret pass");

  /* What other programs (Seahorse, secret-tool) see. */
  items = pb_test_keyring_find_items (fixture->keyring, "work");
  g_assert_cmpuint (g_list_length (items), ==, 1);
  attributes = secret_item_get_attributes (items->data);
  label = secret_item_get_label (items->data);
  value = secret_item_get_secret (items->data);
  g_list_free_full (items, g_object_unref);

  g_assert_cmpstr (g_hash_table_lookup (attributes, "xdg:schema"), ==,
                   "io.github.popbell.Popbell.Account");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "account"), ==, "work");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "user"), ==, "alice");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "server"), ==, "mail.example.com");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "port"), ==, "995");
  g_assert_cmpstr (label, ==, "Popbell: alice@mail.example.com");
  g_assert_nonnull (value);
  g_assert_cmpstr (secret_value_get_text (value), ==, "s3cret pass");
  g_assert_cmpstr (secret_value_get_content_type (value), ==, "text/plain");
}

static void
test_store_default_port (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = account_new ("home", "bob", "pop.example.org", 0);
  g_autoptr(GHashTable) attributes = NULL;
  GList *items;

  pb_account_set_security (account, PB_SECURITY_STARTTLS);
  store (account, "pw");

  items = pb_test_keyring_find_items (fixture->keyring, "home");
  g_assert_cmpuint (g_list_length (items), ==, 1);
  attributes = secret_item_get_attributes (items->data);
  g_list_free_full (items, g_object_unref);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "port"), ==, "110");
}

static void
test_store_replaces (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);

  store (account, "first");
  store (account, "second");

  assert_password ("work", "second");
  g_assert_cmpuint (count_items (fixture, "work"), ==, 1);
}

static void
test_store_after_edit_leaves_no_stale_item (Fixture       *fixture,
                                            gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);
  g_autoptr(GHashTable) attributes = NULL;
  GList *items;

  store (account, "old password");
  pb_account_set_host (account, "pop.example.net");
  pb_account_set_user (account, "alice2");
  pb_account_set_port (account, 1995);
  store (account, "new password");

  assert_password ("work", "new password");
  items = pb_test_keyring_find_items (fixture->keyring, "work");
  g_assert_cmpuint (g_list_length (items), ==, 1);
  attributes = secret_item_get_attributes (items->data);
  g_list_free_full (items, g_object_unref);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "user"), ==, "alice2");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "server"), ==, "pop.example.net");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "port"), ==, "1995");
}

static void
test_lookup_missing_is_not_found (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  assert_lookup_error ("nobody", FALSE, PB_SECRET_ERROR_NOT_FOUND);
  assert_lookup_error ("nobody", TRUE, PB_SECRET_ERROR_NOT_FOUND);
}

static void
test_lookup_finds_by_account_alone (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(SecretValue) value = secret_value_new ("from elsewhere", -1, "text/plain");
  g_autoptr(GError) error = NULL;
  gboolean stored;

  /* An item whose user, server and port differ from whatever the account
   * says now (e.g. written before an edit by an older version). */
  attributes = secret_attributes_build (pb_secret_get_schema (), "account", "work",
                                        "user", "someone", "server", "old.example.com",
                                        "port", 1, NULL);
  stored = secret_service_store_sync (NULL, pb_secret_get_schema (), attributes,
                                      SECRET_COLLECTION_DEFAULT, "Old item", value, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (stored);

  assert_password ("work", "from elsewhere");
}

static void
test_delete_removes_password (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);
  g_autoptr(GError) error = NULL;
  gboolean deleted;

  store (account, "s3cret");
  deleted = pb_secret_delete_sync ("work", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (deleted);

  assert_lookup_error ("work", FALSE, PB_SECRET_ERROR_NOT_FOUND);
  g_assert_cmpuint (count_items (fixture, "work"), ==, 0);
}

static void
test_delete_nothing_is_ok (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean deleted;

  deleted = pb_secret_delete_sync ("never-stored", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (deleted);
}

static void
test_accounts_are_separate (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(PbAccount) work = account_new ("work", "alice", "mail.example.com", 995);
  g_autoptr(PbAccount) home = account_new ("home", "alice", "mail.example.com", 995);
  g_autoptr(GError) error = NULL;

  /* Same user and server: only the account ID tells them apart. */
  store (work, "work password");
  store (home, "home password");
  assert_password ("work", "work password");
  assert_password ("home", "home password");
  g_assert_cmpuint (count_items (fixture, "work"), ==, 1);
  g_assert_cmpuint (count_items (fixture, "home"), ==, 1);

  g_assert_true (pb_secret_delete_sync ("work", NULL, &error));
  g_assert_no_error (error);
  assert_lookup_error ("work", FALSE, PB_SECRET_ERROR_NOT_FOUND);
  assert_password ("home", "home password");
}

static void
test_utf8_round_trip (Fixture       *fixture,
                      gconstpointer  user_data)
{
  static const char password[] = "パスワード：秘密の鍵🔑 ü ß";
  g_autoptr(PbAccount) account = account_new ("jp", "山田", "メール.example.jp", 995);
  g_autofree char *label = NULL;
  GList *items;

  store (account, password);
  assert_password ("jp", password);

  items = pb_test_keyring_find_items (fixture->keyring, "jp");
  g_assert_cmpuint (g_list_length (items), ==, 1);
  label = secret_item_get_label (items->data);
  g_list_free_full (items, g_object_unref);
  g_assert_cmpstr (label, ==, "Popbell: 山田@メール.example.jp");
}

static void
store_then_lock (Fixture    *fixture,
                 const char *password)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);

  store (account, password);
  pb_test_keyring_lock (fixture->keyring);
}

static void
test_locked_is_not_not_found (Fixture       *fixture,
                              gconstpointer  user_data)
{
  static const char password[] = "locked away";
  g_autoptr(GError) error = NULL;
  char *found;

  store_then_lock (fixture, password);

  found = pb_secret_lookup_sync ("work", FALSE, NULL, &error);
  g_assert_error (error, PB_SECRET_ERROR, PB_SECRET_ERROR_LOCKED);
  g_assert_null (found);
  g_assert_null (strstr (error->message, password));

  /* No item at all is still "not found" while the collection is locked. */
  assert_lookup_error ("other", FALSE, PB_SECRET_ERROR_NOT_FOUND);
}

static void
test_locked_failed_unlock_is_locked (Fixture       *fixture,
                                     gconstpointer  user_data)
{
  store_then_lock (fixture, "locked away");

  /* The daemon can't show its prompt (no prompter on the private bus), as
   * when the user dismisses it. */
  assert_lookup_error ("work", TRUE, PB_SECRET_ERROR_LOCKED);
}

static void
test_locked_store_and_delete_fail (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);
  g_autoptr(GError) store_error = NULL;
  g_autoptr(GError) delete_error = NULL;

  store_then_lock (fixture, "locked away");

  g_assert_false (pb_secret_store_sync (account, "new", NULL, &store_error));
  g_assert_error (store_error, PB_SECRET_ERROR, PB_SECRET_ERROR_LOCKED);

  /* Not "deleted" while the password stays. */
  g_assert_false (pb_secret_delete_sync ("work", NULL, &delete_error));
  g_assert_error (delete_error, PB_SECRET_ERROR, PB_SECRET_ERROR_LOCKED);
  g_assert_cmpuint (count_items (fixture, "work"), ==, 1);
}

static void
test_async_round_trip (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(GAsyncResult) deleted = NULL;
  g_autoptr(GAsyncResult) missing = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  pb_secret_store_async (account, "async pass", NULL, pb_test_store_result, &stored);
  pb_test_wait_result (&stored, TIMEOUT_S);
  g_assert_true (pb_secret_store_finish (stored, &error));
  g_assert_no_error (error);

  pb_secret_lookup_async ("work", FALSE, NULL, pb_test_store_result, &found);
  pb_test_wait_result (&found, TIMEOUT_S);
  password = pb_secret_lookup_finish (found, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "async pass");
  pb_secret_free (password);

  pb_secret_delete_async ("work", NULL, pb_test_store_result, &deleted);
  pb_test_wait_result (&deleted, TIMEOUT_S);
  g_assert_true (pb_secret_delete_finish (deleted, &error));
  g_assert_no_error (error);

  pb_secret_lookup_async ("work", FALSE, NULL, pb_test_store_result, &missing);
  pb_test_wait_result (&missing, TIMEOUT_S);
  password = pb_secret_lookup_finish (missing, &error);
  g_assert_error (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND);
  g_assert_null (password);
}

static void
test_lookup_cancelled (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  store (account, "pw");
  g_cancellable_cancel (cancellable);

  pb_secret_lookup_async ("work", FALSE, cancellable, pb_test_store_result, &result);
  pb_test_wait_result (&result, TIMEOUT_S);
  password = pb_secret_lookup_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (password);
}

static void
assert_no_service (const GError *error)
{
  g_assert_error (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE);
  g_assert_nonnull (strstr (error->message, "No keyring service (Secret Service) is running"));
}

static void
check_no_service (void)
{
  g_autoptr(PbAccount) account = account_new ("work", "alice", "mail.example.com", 995);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) lookup_error = NULL;
  g_autoptr(GError) store_error = NULL;
  g_autoptr(GError) delete_error = NULL;
  g_autoptr(GError) async_error = NULL;
  char *password;

  password = pb_secret_lookup_sync ("work", FALSE, NULL, &lookup_error);
  assert_no_service (lookup_error);
  g_assert_null (password);

  g_assert_false (pb_secret_store_sync (account, "pw", NULL, &store_error));
  assert_no_service (store_error);
  g_assert_null (strstr (store_error->message, "pw"));

  g_assert_false (pb_secret_delete_sync ("work", NULL, &delete_error));
  assert_no_service (delete_error);

  pb_secret_lookup_async ("work", TRUE, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, TIMEOUT_S);
  password = pb_secret_lookup_finish (result, &async_error);
  assert_no_service (async_error);
  g_assert_null (password);
}

static void
test_no_service (Fixture       *fixture,
                 gconstpointer  user_data)
{
  check_no_service ();
}

static void
test_no_session_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *address = g_strdup_printf ("unix:path=%s/no-such-bus",
                                                  pb_test_get_tmpdir ());

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
      g_unsetenv ("DISPLAY");
      check_no_service ();
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static GLogWriterOutput
record_log (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  GString *log = user_data;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].length < 0)
        g_string_append_printf (log, "%s=%s\n", fields[i].key, (const char *) fields[i].value);
      else
        g_string_append_len (log, fields[i].value, fields[i].length);
    }
  return G_LOG_WRITER_HANDLED;
}

static void
test_logs_never_hold_the_password (void)
{
  static const char password[] = "never-in-any-log-7c1e";
  g_autoptr(PbTestKeyring) keyring = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(GString) log = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  /* A writer can be set once per process, hence the subprocess. */
  log = g_string_new (NULL);
  g_log_set_writer_func (record_log, log, NULL);
  g_log_set_debug_enabled (TRUE);

  keyring = pb_test_keyring_new ();
  account = account_new ("work", "alice", "mail.example.com", 995);
  store (account, password);
  store (account, password);
  pb_account_set_host (account, "other.example.com");
  store (account, password);
  assert_password ("work", password);
  pb_test_keyring_lock (keyring);
  assert_lookup_error ("work", FALSE, PB_SECRET_ERROR_LOCKED);
  assert_lookup_error ("work", TRUE, PB_SECRET_ERROR_LOCKED);
  g_clear_pointer (&keyring, pb_test_keyring_free);

  /* The debug output is there, and the password isn't in it. */
  g_assert_nonnull (strstr (log->str, "popbell-secret"));
  g_assert_null (strstr (log->str, password));
}

/* ---- The watch ------------------------------------------------------------ */

static void
on_watch_changed (PbSecretWatch *watch,
                  guint         *count)
{
  (*count)++;
}

/* Runs the main loop until ::changed came @count times in all, for 10 s at most. */
static void
wait_for_changed (guint *changed,
                  guint  count)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (*changed < count)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The watch did not tell within 10 s (%u of %u)", *changed, count);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Lets D-Bus signals and idles that are on their way arrive. */
static void
settle (void)
{
  gint64 until = g_get_monotonic_time () + 300 * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
test_watch_create_destroy (Fixture       *fixture,
                           gconstpointer  data)
{
  PbSecretWatch *watch = pb_secret_watch_new ();
  guint changed = 0;

  g_signal_connect (watch, "changed", G_CALLBACK (on_watch_changed), &changed);
  wait_for_changed (&changed, 1);
  g_assert_true (pb_secret_watch_has_service (watch));
  g_assert_finalize_object (watch);
}

static void
test_watch_tells_an_unlock (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(PbAccount) account = account_new ("home", "alice", "mail.example.com", 995);
  PbSecretWatch *watch = pb_secret_watch_new ();
  guint changed = 0;

  g_signal_connect (watch, "changed", G_CALLBACK (on_watch_changed), &changed);
  wait_for_changed (&changed, 1);
  store (account, "unlocked later");
  pb_test_keyring_lock (fixture->keyring);
  assert_lookup_error ("home", FALSE, PB_SECRET_ERROR_LOCKED);
  settle ();

  /* The unlock, done by someone else, is told once however many signals
   * it takes; then the password can be read. */
  changed = 0;
  pb_test_keyring_unlock (fixture->keyring);
  wait_for_changed (&changed, 1);
  settle ();
  g_assert_cmpuint (changed, ==, 1);
  assert_password ("home", "unlocked later");

  g_assert_finalize_object (watch);
}

static void
test_watch_tells_a_service_that_comes (Fixture       *fixture,
                                       gconstpointer  data)
{
  PbSecretWatch *watch = pb_secret_watch_new ();
  guint changed = 0;

  g_signal_connect (watch, "changed", G_CALLBACK (on_watch_changed), &changed);
  assert_lookup_error ("home", FALSE, PB_SECRET_ERROR_NO_SERVICE);
  settle ();
  g_assert_false (pb_secret_watch_has_service (watch));
  g_assert_cmpuint (changed, ==, 0);

  pb_test_keyring_start_daemon (fixture->keyring);
  wait_for_changed (&changed, 1);
  g_assert_true (pb_secret_watch_has_service (watch));
  /* The service found afresh, not the failure remembered. */
  assert_lookup_error ("home", FALSE, PB_SECRET_ERROR_NOT_FOUND);

  g_assert_finalize_object (watch);
}

static void
test_free_null (void)
{
  pb_secret_free (NULL);
}

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/secret/schema/has-four-attributes", test_schema);
  g_test_add_func ("/pb/secret/free/accepts-null", test_free_null);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/pb/secret/store/then-lookup-returns-it", test_store_then_lookup);
  ADD ("/pb/secret/store/unset-port-is-the-default", test_store_default_port);
  ADD ("/pb/secret/store/again-replaces-the-item", test_store_replaces);
  ADD ("/pb/secret/store/after-edit-leaves-no-stale-item",
       test_store_after_edit_leaves_no_stale_item);
  ADD ("/pb/secret/lookup/missing-is-not-found", test_lookup_missing_is_not_found);
  ADD ("/pb/secret/lookup/finds-by-account-alone", test_lookup_finds_by_account_alone);
  ADD ("/pb/secret/lookup/locked-is-locked-not-not-found", test_locked_is_not_not_found);
  ADD ("/pb/secret/lookup/locked-with-failed-unlock-is-locked",
       test_locked_failed_unlock_is_locked);
  ADD ("/pb/secret/locked/store-and-delete-report-locked", test_locked_store_and_delete_fail);
  ADD ("/pb/secret/lookup/cancelled-is-cancelled", test_lookup_cancelled);
  ADD ("/pb/secret/delete/removes-the-password", test_delete_removes_password);
  ADD ("/pb/secret/delete/nothing-is-ok", test_delete_nothing_is_ok);
  ADD ("/pb/secret/accounts/do-not-see-each-other", test_accounts_are_separate);
  ADD ("/pb/secret/utf8/round-trips", test_utf8_round_trip);
  ADD ("/pb/secret/async/store-lookup-delete", test_async_round_trip);
  ADD ("/pb/secret/watch/create-destroy", test_watch_create_destroy);
  ADD ("/pb/secret/watch/tells-an-unlock-by-another-program-once", test_watch_tells_an_unlock);
#undef ADD
  g_test_add ("/pb/secret/watch/tells-a-service-that-comes-later", Fixture, NULL,
              fixture_setup_no_service, test_watch_tells_a_service_that_comes, fixture_teardown);

  g_test_add ("/pb/secret/no-service/is-reported-clearly", Fixture, NULL,
              fixture_setup_no_service, test_no_service, fixture_teardown);
  g_test_add_func ("/pb/secret/no-session-bus/is-no-service", test_no_session_bus);
  g_test_add_func ("/pb/secret/logs/never-hold-the-password", test_logs_never_hold_the_password);

  return g_test_run ();
}
