/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "pb-account-store.h"
#include "pb-error.h"
#include "pb-test-util.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->dir = pb_test_mkdtemp ("accounts");
  fixture->path = g_build_filename (fixture->dir, "accounts.ini", NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  pb_test_rm_rf (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static PbAccountStore *
load_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  PbAccountStore *store = pb_account_store_new (path);

  g_assert_true (pb_account_store_load (store, &error));
  g_assert_no_error (error);
  return store;
}

static PbAccount *
new_valid_account (const char *id)
{
  PbAccount *account = pb_account_new (id);

  pb_account_set_host (account, "pop.example.com");
  pb_account_set_user (account, "alice");
  return account;
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_account_create_destroy (void)
{
  PbAccount *account = pb_account_new ("work");

  g_assert_cmpstr (pb_account_get_id (account), ==, "work");
  g_assert_finalize_object (account);
}

static void
test_account_defaults (void)
{
  g_autoptr(PbAccount) account = pb_account_new ("work");
  guint port = 1;

  g_assert_cmpstr (pb_account_get_display_name (account), ==, "work");
  g_assert_null (pb_account_get_host (account));
  g_assert_null (pb_account_get_user (account));
  g_assert_null (pb_account_get_ca_file (account));
  g_assert_true (pb_account_get_enabled (account));
  g_assert_cmpuint (pb_account_get_interval (account), ==, PB_DEFAULT_INTERVAL_MINUTES);
  g_assert_cmpint (pb_account_get_security (account), ==, PB_SECURITY_TLS);
  g_assert_cmpuint (pb_account_get_port (account), ==, 995);

  /* An unset port follows the security; the property keeps saying "unset". */
  pb_account_set_security (account, PB_SECURITY_STARTTLS);
  g_assert_cmpuint (pb_account_get_port (account), ==, 110);
  g_object_get (account, "port", &port, NULL);
  g_assert_cmpuint (port, ==, 0);

  pb_account_set_port (account, 1995);
  g_assert_cmpuint (pb_account_get_port (account), ==, 1995);
  pb_account_set_port (account, 0);
  g_assert_cmpuint (pb_account_get_port (account), ==, 110);

  /* Clearing the display name brings the ID back. */
  pb_account_set_display_name (account, "Work mail");
  g_assert_cmpstr (pb_account_get_display_name (account), ==, "Work mail");
  pb_account_set_display_name (account, "");
  g_assert_cmpstr (pb_account_get_display_name (account), ==, "work");
}

static void
test_account_host_normalized (void)
{
  g_autoptr(PbAccount) account = pb_account_new ("work");
  g_autofree char *host = NULL;

  pb_account_set_host (account, "  Pop.Example.COM \t");
  g_assert_cmpstr (pb_account_get_host (account), ==, "pop.example.com");

  g_object_set (account, "host", "MAIL.Example.org", NULL);
  g_object_get (account, "host", &host, NULL);
  g_assert_cmpstr (host, ==, "mail.example.org");

  pb_account_set_host (account, "   ");
  g_assert_null (pb_account_get_host (account));
}

static void
test_account_interval_clamped (void)
{
  g_autoptr(PbAccount) account = pb_account_new ("work");

  pb_account_set_interval (account, 0);
  g_assert_cmpuint (pb_account_get_interval (account), ==, PB_MIN_INTERVAL_MINUTES);
  pb_account_set_interval (account, 30);
  g_assert_cmpuint (pb_account_get_interval (account), ==, 30);
  pb_account_set_interval (account, G_MAXUINT);
  g_assert_cmpuint (pb_account_get_interval (account), ==, PB_MAX_INTERVAL_MINUTES);
  g_object_set (account, "interval", 0, NULL);
  g_assert_cmpuint (pb_account_get_interval (account), ==, PB_MIN_INTERVAL_MINUTES);
}

static void
test_account_notify_on_change_only (void)
{
  g_autoptr(PbAccount) account = pb_account_new ("work");
  guint host_notified = 0, enabled_notified = 0, any_notified = 0;

  g_signal_connect (account, "notify::host", G_CALLBACK (count_notify), &host_notified);
  g_signal_connect (account, "notify::enabled", G_CALLBACK (count_notify), &enabled_notified);
  g_signal_connect (account, "notify", G_CALLBACK (count_notify), &any_notified);

  pb_account_set_host (account, "pop.example.com");
  g_assert_cmpuint (host_notified, ==, 1);
  pb_account_set_host (account, "POP.example.com ");
  g_assert_cmpuint (host_notified, ==, 1);
  g_object_set (account, "host", "pop.example.com", NULL);
  g_assert_cmpuint (host_notified, ==, 1);

  pb_account_set_enabled (account, TRUE);
  g_assert_cmpuint (enabled_notified, ==, 0);
  pb_account_set_enabled (account, FALSE);
  g_assert_cmpuint (enabled_notified, ==, 1);

  pb_account_set_interval (account, PB_DEFAULT_INTERVAL_MINUTES);
  pb_account_set_security (account, PB_SECURITY_TLS);
  pb_account_set_port (account, 0);
  pb_account_set_user (account, NULL);
  pb_account_set_ca_file (account, "");
  g_assert_cmpuint (any_notified, ==, 2);
}

static void
test_account_security_strings (void)
{
  const char *refused[] = { "", "plain", "none", "ssl", "tls ", "start-tls", "pop3" };
  PbSecurity security = PB_SECURITY_TLS;

  g_assert_cmpstr (pb_security_to_string (PB_SECURITY_TLS), ==, "tls");
  g_assert_cmpstr (pb_security_to_string (PB_SECURITY_STARTTLS), ==, "starttls");

  g_assert_true (pb_security_from_string ("StartTLS", &security));
  g_assert_cmpint (security, ==, PB_SECURITY_STARTTLS);
  g_assert_true (pb_security_from_string ("TLS", &security));
  g_assert_cmpint (security, ==, PB_SECURITY_TLS);
  g_assert_true (pb_security_from_string ("starttls", &security));
  g_assert_cmpint (security, ==, PB_SECURITY_STARTTLS);

  g_assert_false (pb_security_from_string (NULL, &security));
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      security = PB_SECURITY_STARTTLS;
      g_assert_false (pb_security_from_string (refused[i], &security));
      g_assert_cmpint (security, ==, PB_SECURITY_STARTTLS);
    }

  g_assert_cmpuint (pb_security_default_port (PB_SECURITY_TLS), ==, 995);
  g_assert_cmpuint (pb_security_default_port (PB_SECURITY_STARTTLS), ==, 110);
}

static void
test_account_id_validation (void)
{
  const char *valid[] = { "a", "work", "Work.2", "my_acct-1", "a.", "0", "a..b" };
  const char *invalid[] = {
    "", ".hidden", "..", "a/b", "../x", "a b", "a\nb", "caf\xc3\xa9", "a[b]", "a=b", "a;b",
  };
  g_autofree char *longest = g_strnfill (64, 'x');
  g_autofree char *too_long = g_strnfill (65, 'x');

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (pb_account_id_is_valid (valid[i]));
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (pb_account_id_is_valid (invalid[i]));

  g_assert_false (pb_account_id_is_valid (NULL));
  g_assert_true (pb_account_id_is_valid (longest));
  g_assert_false (pb_account_id_is_valid (too_long));
}

static void
test_store_create_destroy (Fixture       *fixture,
                           gconstpointer  data)
{
  PbAccountStore *store = pb_account_store_new (fixture->path);
  PbAccount *account = new_valid_account ("work");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (pb_account_store_get_path (store), ==, fixture->path);
  g_assert_true (pb_account_store_add (store, account, &error));
  g_assert_no_error (error);

  g_assert_finalize_object (store);
  g_assert_finalize_object (account);
}

static void
test_store_default_path (void)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (NULL);
  g_autofree char *expected = g_build_filename (g_get_user_config_dir (), "popbell",
                                                "accounts.ini", NULL);

  g_assert_cmpstr (pb_account_store_get_path (store), ==, expected);
}

static void
test_store_missing_file (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = load_store (fixture->path);

  g_assert_cmpuint (pb_account_store_get_accounts (store)->len, ==, 0);
  g_assert_null (pb_account_store_lookup (store, "work"));
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_store_round_trip (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(PbAccountStore) loaded = NULL;
  g_autoptr(PbAccount) work = pb_account_new ("work");
  g_autoptr(PbAccount) home = new_valid_account ("home");
  g_autoptr(GError) error = NULL;
  GPtrArray *accounts;
  PbAccount *account;
  guint port = 1;

  pb_account_set_display_name (work, "Work — 仕事 = [main] \\ ;");
  pb_account_set_host (work, "Mail.Example.COM");
  pb_account_set_port (work, 1995);
  pb_account_set_security (work, PB_SECURITY_STARTTLS);
  pb_account_set_user (work, "alice@example.com");
  pb_account_set_enabled (work, FALSE);
  pb_account_set_interval (work, 17);
  pb_account_set_ca_file (work, "/etc/ssl/private ca/ca;1.crt");

  pb_account_set_security (home, PB_SECURITY_STARTTLS);

  g_assert_true (pb_account_store_add (store, work, &error));
  g_assert_no_error (error);
  g_assert_true (pb_account_store_add (store, home, &error));
  g_assert_no_error (error);
  g_assert_true (pb_account_store_lookup (store, "work") == work);
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  loaded = load_store (fixture->path);
  accounts = pb_account_store_get_accounts (loaded);
  g_assert_cmpuint (accounts->len, ==, 2);

  /* File order is kept. */
  account = g_ptr_array_index (accounts, 0);
  g_assert_true (account == pb_account_store_lookup (loaded, "work"));
  g_assert_cmpstr (pb_account_get_id (account), ==, "work");
  g_assert_cmpstr (pb_account_get_display_name (account), ==, "Work — 仕事 = [main] \\ ;");
  g_assert_cmpstr (pb_account_get_host (account), ==, "mail.example.com");
  g_assert_cmpuint (pb_account_get_port (account), ==, 1995);
  g_assert_cmpint (pb_account_get_security (account), ==, PB_SECURITY_STARTTLS);
  g_assert_cmpstr (pb_account_get_user (account), ==, "alice@example.com");
  g_assert_false (pb_account_get_enabled (account));
  g_assert_cmpuint (pb_account_get_interval (account), ==, 17);
  g_assert_cmpstr (pb_account_get_ca_file (account), ==, "/etc/ssl/private ca/ca;1.crt");

  /* Defaults come back as defaults: no name, and a port that still follows
   * the security. */
  account = g_ptr_array_index (accounts, 1);
  g_assert_cmpstr (pb_account_get_id (account), ==, "home");
  g_assert_cmpstr (pb_account_get_display_name (account), ==, "home");
  g_assert_cmpstr (pb_account_get_host (account), ==, "pop.example.com");
  g_assert_cmpstr (pb_account_get_user (account), ==, "alice");
  g_assert_true (pb_account_get_enabled (account));
  g_assert_cmpuint (pb_account_get_interval (account), ==, PB_DEFAULT_INTERVAL_MINUTES);
  g_assert_null (pb_account_get_ca_file (account));
  g_assert_cmpuint (pb_account_get_port (account), ==, 110);
  g_object_get (account, "port", &port, NULL);
  g_assert_cmpuint (port, ==, 0);
}

static void
test_store_reads_hand_written_file (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = NULL;
  PbAccount *account;

  write_file (fixture->path,
              "[minimal]\n"
              "host = pop.example.net\n"
              "user = bob\n"
              "\n"
              "[spelled]\n"
              "host=POP.EXAMPLE.NET  \n"
              "user=carol\n"
              "security=STARTTLS\n"
              "enabled=false\n"
              "interval=0\n"
              "port=0\n");

  store = load_store (fixture->path);
  g_assert_cmpuint (pb_account_store_get_accounts (store)->len, ==, 2);

  account = pb_account_store_lookup (store, "minimal");
  g_assert_nonnull (account);
  g_assert_cmpint (pb_account_get_security (account), ==, PB_SECURITY_TLS);
  g_assert_cmpuint (pb_account_get_port (account), ==, 995);
  g_assert_true (pb_account_get_enabled (account));
  g_assert_cmpuint (pb_account_get_interval (account), ==, PB_DEFAULT_INTERVAL_MINUTES);

  account = pb_account_store_lookup (store, "spelled");
  g_assert_nonnull (account);
  g_assert_cmpstr (pb_account_get_host (account), ==, "pop.example.net");
  g_assert_cmpint (pb_account_get_security (account), ==, PB_SECURITY_STARTTLS);
  g_assert_cmpuint (pb_account_get_port (account), ==, 110);
  g_assert_false (pb_account_get_enabled (account));
  g_assert_cmpuint (pb_account_get_interval (account), ==, PB_MIN_INTERVAL_MINUTES);
}

/* The notification settings: written only when they differ from the
 * defaults, read back as written, and a wrong value skips the account as
 * any other wrong value does. */
static void
test_store_notification_settings (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(PbAccountStore) again = NULL;
  g_autoptr(PbAccount) quiet = pb_account_new ("quiet");
  g_autoptr(PbAccount) plain = pb_account_new ("plain");
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *plain_group = NULL;
  PbAccount *account;

  g_assert_true (pb_account_get_notify_new_mail (plain));
  g_assert_cmpstr (pb_account_get_sound (plain), ==, PB_ACCOUNT_SOUND_DEFAULT);
  g_assert_true (pb_account_get_notify_problems (plain));

  for (guint i = 0; i < 2; i++)
    {
      PbAccount *each = i == 0 ? quiet : plain;

      pb_account_set_host (each, "pop.example.org");
      pb_account_set_user (each, "me");
    }
  pb_account_set_notify_new_mail (quiet, FALSE);
  pb_account_set_sound (quiet, PB_ACCOUNT_SOUND_NONE);
  pb_account_set_notify_problems (quiet, FALSE);
  pb_account_store_add (store, quiet, &error);
  g_assert_no_error (error);
  pb_account_store_add (store, plain, &error);
  g_assert_no_error (error);
  pb_account_store_save (store, &error);
  g_assert_no_error (error);

  contents = read_file (fixture->path);
  g_assert_nonnull (strstr (contents, "notify-new-mail=false\n"));
  g_assert_nonnull (strstr (contents, "sound=none\n"));
  g_assert_nonnull (strstr (contents, "notify-problems=false\n"));
  plain_group = g_strdup (strstr (contents, "[plain]"));
  g_assert_nonnull (plain_group);
  g_assert_null (strstr (plain_group, "notify-"));
  g_assert_null (strstr (plain_group, "sound"));

  again = load_store (fixture->path);
  account = pb_account_store_lookup (again, "quiet");
  g_assert_true (pb_account_equal (account, quiet));
  g_assert_false (pb_account_get_notify_new_mail (account));
  g_assert_cmpstr (pb_account_get_sound (account), ==, PB_ACCOUNT_SOUND_NONE);
  g_assert_false (pb_account_get_notify_problems (account));
  g_assert_true (pb_account_equal (pb_account_store_lookup (again, "plain"), plain));
  g_clear_object (&again);

  write_file (fixture->path,
              "[loud]\nhost=a.example\nuser=u\nsound=message-new-instant\nnotify-new-mail=1\n"
              "[bad-sound]\nhost=a.example\nuser=u\nsound=../../x.oga\n"
              "[bad-switch]\nhost=a.example\nuser=u\nnotify-problems=maybe\n");
  again = load_store (fixture->path);
  account = pb_account_store_lookup (again, "loud");
  g_assert_nonnull (account);
  g_assert_cmpstr (pb_account_get_sound (account), ==, "message-new-instant");
  g_assert_true (pb_account_get_notify_new_mail (account));
  g_assert_null (pb_account_store_lookup (again, "bad-sound"));
  g_assert_null (pb_account_store_lookup (again, "bad-switch"));
}

static void
test_store_webmail (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(PbAccountStore) again = NULL;
  g_autoptr(PbAccount) account = pb_account_new ("web");
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (pb_account_webmail_is_valid ("https://mail.google.com/"));
  g_assert_false (pb_account_webmail_is_valid ("http://mail.example.com/"));
  g_assert_false (pb_account_webmail_is_valid ("file:///etc/passwd"));
  g_assert_false (pb_account_webmail_is_valid ("javascript:alert(1)"));
  g_assert_false (pb_account_webmail_is_valid ("https://me:secret@mail.example.com/"));
  g_assert_false (pb_account_webmail_is_valid ("https://"));
  g_assert_null (pb_account_get_webmail (account));

  pb_account_set_host (account, "pop.gmail.com");
  pb_account_set_user (account, "me@gmail.com");
  pb_account_set_webmail (account, "https://mail.google.com/");
  pb_account_store_add (store, account, &error);
  g_assert_no_error (error);
  pb_account_store_save (store, &error);
  g_assert_no_error (error);
  contents = read_file (fixture->path);
  g_assert_nonnull (strstr (contents, "webmail=https://mail.google.com/\n"));

  again = load_store (fixture->path);
  g_assert_true (pb_account_equal (pb_account_store_lookup (again, "web"), account));
  g_clear_object (&again);

  write_file (fixture->path, "[plain]\nhost=a.example\nuser=u\nwebmail=http://a.example/\n");
  again = load_store (fixture->path);
  g_assert_null (pb_account_store_lookup (again, "plain"));
}

static void
test_store_add_duplicate (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(PbAccount) first = new_valid_account ("work");
  g_autoptr(PbAccount) second = new_valid_account ("work");
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_account_store_add (store, first, &error));
  g_assert_no_error (error);
  g_assert_false (pb_account_store_add (store, second, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_EXISTS);
  g_assert_cmpuint (pb_account_store_get_accounts (store)->len, ==, 1);
  g_assert_true (pb_account_store_lookup (store, "work") == first);
}

static void
assert_add_invalid (PbAccountStore *store,
                    PbAccount      *account)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (pb_account_store_add (store, account, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
  g_assert_cmpuint (pb_account_store_get_accounts (store)->len, ==, 0);
}

static void
test_store_add_invalid (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(PbAccount) bad_id = new_valid_account ("../work");
  g_autoptr(PbAccount) no_host = pb_account_new ("work");
  g_autoptr(PbAccount) no_user = pb_account_new ("work");
  g_autoptr(PbAccount) account = NULL;

  assert_add_invalid (store, bad_id);

  pb_account_set_user (no_host, "alice");
  assert_add_invalid (store, no_host);

  pb_account_set_host (no_user, "pop.example.com");
  assert_add_invalid (store, no_user);

  account = new_valid_account ("work");
  pb_account_set_user (account, "alice\r\nDELE 1");
  assert_add_invalid (store, account);
  g_clear_object (&account);

  account = new_valid_account ("work");
  pb_account_set_host (account, "pop.example.com\nevil");
  assert_add_invalid (store, account);
  g_clear_object (&account);

  account = new_valid_account ("work");
  pb_account_set_display_name (account, "Work\n[other]");
  assert_add_invalid (store, account);
  g_clear_object (&account);

  account = new_valid_account ("work");
  pb_account_set_ca_file (account, "/tmp/ca\r.crt");
  assert_add_invalid (store, account);
  g_clear_object (&account);

  account = new_valid_account ("work");
  pb_account_set_user (account, "al\xffice");
  assert_add_invalid (store, account);
}

static void
test_store_remove (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(PbAccountStore) loaded = NULL;
  g_autoptr(PbAccount) work = new_valid_account ("work");
  g_autoptr(PbAccount) home = new_valid_account ("home");
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (pb_account_store_add (store, work, NULL));
  g_assert_true (pb_account_store_add (store, home, NULL));
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  g_assert_false (pb_account_store_remove (store, "office", &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (pb_account_store_remove (store, "work", &error));
  g_assert_no_error (error);
  g_assert_null (pb_account_store_lookup (store, "work"));
  g_assert_cmpuint (pb_account_store_get_accounts (store)->len, ==, 1);

  g_assert_false (pb_account_store_remove (store, "work", &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  contents = read_file (fixture->path);
  g_assert_null (strstr (contents, "[work]"));
  g_assert_nonnull (strstr (contents, "[home]"));

  loaded = load_store (fixture->path);
  g_assert_null (pb_account_store_lookup (loaded, "work"));
  g_assert_nonnull (pb_account_store_lookup (loaded, "home"));
}

static void
test_store_keeps_comments (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccount) added = new_valid_account ("added");
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *translated = NULL;

  write_file (fixture->path,
              "# My mail accounts\n"
              "\n"
              "[work]\n"
              "# the office server\n"
              "host=pop.example.com\n"
              "user=alice\n"
              "future-option=42\n"
              "name[de]=Arbeit\n"
              "\n"
              "[broken]\n"
              "# no user here\n"
              "host=pop.example.org\n");

  store = load_store (fixture->path);
  g_assert_cmpuint (pb_account_store_get_accounts (store)->len, ==, 1);
  pb_account_set_interval (pb_account_store_lookup (store, "work"), 12);
  g_assert_true (pb_account_store_add (store, added, &error));
  g_assert_no_error (error);
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  contents = read_file (fixture->path);
  g_assert_nonnull (strstr (contents, "# My mail accounts\n"));
  g_assert_nonnull (strstr (contents, "# the office server\n"));
  g_assert_nonnull (strstr (contents, "# no user here\n"));

  g_key_file_load_from_data (key_file, contents, -1, G_KEY_FILE_KEEP_TRANSLATIONS, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_key_file_get_integer (key_file, "work", "future-option", NULL), ==, 42);
  g_assert_cmpint (g_key_file_get_integer (key_file, "work", "interval", NULL), ==, 12);
  translated = g_key_file_get_value (key_file, "work", "name[de]", NULL);
  g_assert_cmpstr (translated, ==, "Arbeit");
  /* A group that is not a usable account is the user's data, not ours to drop. */
  g_assert_true (g_key_file_has_group (key_file, "broken"));
  g_assert_true (g_key_file_has_group (key_file, "added"));
}

static void
test_store_ignores_password (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccountStore) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  write_file (fixture->path,
              "[work]\n"
              "host=pop.example.com\n"
              "user=alice\n"
              "password=hunter2-one\n"
              "Pass=hunter2-two\n"
              "secret[en]=hunter2-three\n"
              "passwords=not-a-secret-key\n");

  store = load_store (fixture->path);
  g_assert_nonnull (pb_account_store_lookup (store, "work"));
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  contents = read_file (fixture->path);
  g_assert_null (strstr (contents, "hunter2"));
  g_assert_null (strstr (contents, "password="));
  g_assert_nonnull (strstr (contents, "passwords=not-a-secret-key"));

  loaded = load_store (fixture->path);
  g_assert_cmpstr (pb_account_get_user (pb_account_store_lookup (loaded, "work")), ==, "alice");
}

static void
test_store_corrupt_file (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *contents = NULL;
  const char *name;
  const char *garbage = "this is not [a key file\n\x01\x02 = =\n";

  write_file (fixture->path, garbage);

  g_assert_false (pb_account_store_load (store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_assert_cmpuint (pb_account_store_get_accounts (store)->len, ==, 0);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

  dir = g_dir_open (fixture->dir, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_assert_null (aside);
      g_assert_true (g_str_has_prefix (name, "accounts.ini.corrupt-"));
      aside = g_build_filename (fixture->dir, name, NULL);
    }
  g_assert_nonnull (aside);
  g_assert_nonnull (strstr (error->message, aside));

  /* The original bytes are kept for the user to look at. */
  contents = read_file (aside);
  g_assert_cmpstr (contents, ==, garbage);
}

static void
test_store_invalid_group_skipped (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = NULL;
  GPtrArray *accounts;

  write_file (fixture->path,
              "[no-host]\nuser=alice\n"
              "[no-user]\nhost=pop.example.com\n"
              "[empty-host]\nhost=  \nuser=alice\n"
              "[plaintext]\nhost=pop.example.com\nuser=alice\nsecurity=plain\n"
              "[port-too-big]\nhost=pop.example.com\nuser=alice\nport=65536\n"
              "[port-negative]\nhost=pop.example.com\nuser=alice\nport=-1\n"
              "[port-text]\nhost=pop.example.com\nuser=alice\nport=pop3s\n"
              "[interval-text]\nhost=pop.example.com\nuser=alice\ninterval=often\n"
              "[enabled-maybe]\nhost=pop.example.com\nuser=alice\nenabled=maybe\n"
              "[newline-user]\nhost=pop.example.com\nuser=alice\\nDELE 1\n"
              "[bad id]\nhost=pop.example.com\nuser=alice\n"
              "[.hidden]\nhost=pop.example.com\nuser=alice\n"
              "[good]\nhost=pop.example.com\nuser=alice\nport=65535\n");

  store = load_store (fixture->path);
  accounts = pb_account_store_get_accounts (store);
  g_assert_cmpuint (accounts->len, ==, 1);
  g_assert_cmpstr (pb_account_get_id (g_ptr_array_index (accounts, 0)), ==, "good");
  g_assert_cmpuint (pb_account_get_port (g_ptr_array_index (accounts, 0)), ==, 65535);
}

static void
test_store_add_replaces_unusable_group (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbAccountStore) loaded = NULL;
  g_autoptr(PbAccount) account = new_valid_account ("work");
  g_autoptr(GError) error = NULL;

  write_file (fixture->path, "[work]\nhost=pop.example.com\nca-file=/stale.crt\nport=x\n");

  store = load_store (fixture->path);
  g_assert_null (pb_account_store_lookup (store, "work"));
  g_assert_true (pb_account_store_add (store, account, &error));
  g_assert_no_error (error);
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  loaded = load_store (fixture->path);
  g_assert_nonnull (pb_account_store_lookup (loaded, "work"));
  g_assert_null (pb_account_get_ca_file (pb_account_store_lookup (loaded, "work")));
}

static void
test_store_file_mode (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(PbAccount) account = new_valid_account ("work");
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  /* A file that someone left readable to everyone is tightened on save. */
  write_file (fixture->path, "");
  g_assert_cmpint (g_chmod (fixture->path, 0644), ==, 0);

  g_assert_true (pb_account_store_load (store, &error));
  g_assert_no_error (error);
  g_assert_true (pb_account_store_add (store, account, &error));
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

static void
test_store_creates_folder (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("accounts");
  g_autofree char *path = g_build_filename (dir, "popbell", "accounts.ini", NULL);
  g_autoptr(PbAccountStore) store = pb_account_store_new (path);
  g_autoptr(PbAccountStore) loaded = NULL;
  g_autoptr(PbAccount) account = new_valid_account ("work");
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_account_store_add (store, account, &error));
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  loaded = load_store (path);
  g_assert_nonnull (pb_account_store_lookup (loaded, "work"));
  pb_test_rm_rf (dir);
}

static void
test_store_atomic_no_temp_files (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("account%u", i);
      g_autoptr(PbAccount) account = new_valid_account (id);

      g_assert_true (pb_account_store_add (store, account, &error));
      g_assert_no_error (error);
      g_assert_true (pb_account_store_save (store, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
    }

  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_IS_REGULAR));
}

static void
test_store_write_failure (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "accounts.ini", "below", NULL);
  g_autoptr(PbAccountStore) store = pb_account_store_new (path);
  g_autoptr(PbAccount) account = new_valid_account ("work");
  g_autoptr(GError) error = NULL;

  /* A regular file where the folder should be: the write must fail cleanly. */
  write_file (fixture->path, "");
  g_assert_true (pb_account_store_add (store, account, NULL));
  g_assert_false (pb_account_store_save (store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO);
}

/* oauth2-provider names the provider an account signs in with; a name that
 * could not be an oauth2.ini group skips the account rather than guess. */
static void
test_store_oauth2_provider (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->path);
  g_autoptr(PbAccountStore) loaded = NULL;
  g_autoptr(PbAccountStore) hand = NULL;
  g_autoptr(PbAccount) account = new_valid_account ("gmail");
  g_autoptr(PbAccount) bad = new_valid_account ("bad");
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *provider = NULL;

  g_assert_null (pb_account_get_oauth2_provider (account));
  pb_account_set_oauth2_provider (account, "google");
  g_assert_true (pb_account_store_add (store, account, &error));
  pb_account_set_oauth2_provider (bad, "../evil");
  g_assert_false (pb_account_store_add (store, bad, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (pb_account_store_save (store, &error));
  g_assert_no_error (error);

  g_assert_true (g_key_file_load_from_file (keyfile, fixture->path, G_KEY_FILE_NONE, NULL));
  provider = g_key_file_get_string (keyfile, "gmail", "oauth2-provider", NULL);
  g_assert_cmpstr (provider, ==, "google");

  loaded = load_store (fixture->path);
  g_assert_cmpstr (pb_account_get_oauth2_provider (pb_account_store_lookup (loaded, "gmail")),
                   ==, "google");

  /* Written by hand: a space around the name is fine, a path is not. */
  write_file (fixture->path, "[a]\nhost=h\nuser=u\noauth2-provider= microsoft \n"
                             "[b]\nhost=h\nuser=u\noauth2-provider=a/b\n"
                             "[c]\nhost=h\nuser=u\n");
  hand = load_store (fixture->path);
  g_assert_cmpstr (pb_account_get_oauth2_provider (pb_account_store_lookup (hand, "a")), ==,
                   "microsoft");
  g_assert_null (pb_account_store_lookup (hand, "b"));
  g_assert_null (pb_account_get_oauth2_provider (pb_account_store_lookup (hand, "c")));
}

#define ADD_FIXTURE_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/account/create-destroy", test_account_create_destroy);
  g_test_add_func ("/pb/account/defaults", test_account_defaults);
  g_test_add_func ("/pb/account/host-is-trimmed-and-lowercased", test_account_host_normalized);
  g_test_add_func ("/pb/account/interval-is-clamped", test_account_interval_clamped);
  g_test_add_func ("/pb/account/notifies-only-on-change", test_account_notify_on_change_only);
  g_test_add_func ("/pb/account/security-has-no-plaintext", test_account_security_strings);
  g_test_add_func ("/pb/account/id-validation", test_account_id_validation);

  ADD_FIXTURE_TEST ("/pb/account-store/create-destroy", test_store_create_destroy);
  g_test_add_func ("/pb/account-store/default-path-is-xdg-config",
                   test_store_default_path);
  ADD_FIXTURE_TEST ("/pb/account-store/missing-file-is-empty", test_store_missing_file);
  ADD_FIXTURE_TEST ("/pb/account-store/round-trip-keeps-all-fields", test_store_round_trip);
  ADD_FIXTURE_TEST ("/pb/account-store/notification-settings", test_store_notification_settings);
  ADD_FIXTURE_TEST ("/pb/account-store/webmail-is-an-https-address", test_store_webmail);
  ADD_FIXTURE_TEST ("/pb/account-store/reads-hand-written-file",
                    test_store_reads_hand_written_file);
  ADD_FIXTURE_TEST ("/pb/account-store/add-duplicate-exists", test_store_add_duplicate);
  ADD_FIXTURE_TEST ("/pb/account-store/add-invalid-is-refused", test_store_add_invalid);
  ADD_FIXTURE_TEST ("/pb/account-store/remove-unknown-not-found", test_store_remove);
  ADD_FIXTURE_TEST ("/pb/account-store/save-keeps-comments-and-unknown-keys",
                    test_store_keeps_comments);
  ADD_FIXTURE_TEST ("/pb/account-store/password-key-ignored-and-dropped",
                    test_store_ignores_password);
  ADD_FIXTURE_TEST ("/pb/account-store/corrupt-file-set-aside", test_store_corrupt_file);
  ADD_FIXTURE_TEST ("/pb/account-store/invalid-group-skipped",
                    test_store_invalid_group_skipped);
  ADD_FIXTURE_TEST ("/pb/account-store/add-replaces-unusable-group",
                    test_store_add_replaces_unusable_group);
  ADD_FIXTURE_TEST ("/pb/account-store/file-mode-0600", test_store_file_mode);
  g_test_add_func ("/pb/account-store/save-creates-folder", test_store_creates_folder);
  ADD_FIXTURE_TEST ("/pb/account-store/atomic-write-leaves-no-temp-files",
                    test_store_atomic_no_temp_files);
  ADD_FIXTURE_TEST ("/pb/account-store/write-failure-is-io-error", test_store_write_failure);
  ADD_FIXTURE_TEST ("/pb/account-store/oauth2-provider", test_store_oauth2_provider);

  return g_test_run ();
}
