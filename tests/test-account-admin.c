/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "pb-account-admin.h"
#include "pb-account-store.h"
#include "pb-error.h"
#include "pb-monitor.h"
#include "pb-secret-store.h"
#include "pb-seen-store.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"
#include "pb-tls-trust.h"

#define PASSWORD "admin-test-password"

typedef struct
{
  PbTestKeyring  *keyring;
  char           *dir;
  char           *accounts_path;
  char           *trust_path;
  char           *state_dir;
  PbAccountAdmin *admin;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->keyring = pb_test_keyring_new ();
  fixture->dir = pb_test_mkdtemp ("admin");
  fixture->accounts_path = g_build_filename (fixture->dir, "config", "accounts.ini", NULL);
  fixture->trust_path = g_build_filename (fixture->dir, "config", "trust.ini", NULL);
  fixture->state_dir = g_build_filename (fixture->dir, "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->state_dir, 0700), ==, 0);
  fixture->admin = pb_account_admin_new (fixture->accounts_path, fixture->trust_path,
                                         fixture->state_dir);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->admin);
  pb_test_rm_rf (fixture->dir);
  g_free (fixture->accounts_path);
  g_free (fixture->trust_path);
  g_free (fixture->state_dir);
  g_free (fixture->dir);
  pb_test_keyring_free (fixture->keyring);
}

static PbAccount *
make_account (const char *id,
              const char *host,
              const char *user)
{
  PbAccount *account = pb_account_new (id);

  pb_account_set_host (account, host);
  pb_account_set_user (account, user);
  return account;
}

static PbAccountStore *
load_accounts (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  PbAccountStore *store = pb_account_store_new (fixture->accounts_path);

  pb_account_store_load (store, &error);
  g_assert_no_error (error);
  return store;
}

static PbTrustStore *
load_pins (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  PbTrustStore *pins = pb_trust_store_new (fixture->trust_path);

  pb_trust_store_load (pins, &error);
  g_assert_no_error (error);
  return pins;
}

static char *
state_path (Fixture    *fixture,
            const char *id)
{
  return pb_account_admin_state_path (fixture->admin, id);
}

static PbSeenStore *
load_state (Fixture    *fixture,
            const char *id)
{
  g_autofree char *path = state_path (fixture, id);
  g_autoptr(GError) error = NULL;
  PbSeenStore *seen = pb_seen_store_new (path);

  pb_seen_store_load (seen, &error);
  g_assert_no_error (error);
  return seen;
}

/* Unread mail found by an earlier check, as the monitor writes it. */
static void
write_state_with_unread (Fixture    *fixture,
                         const char *id)
{
  g_autofree char *path = state_path (fixture, id);
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  const char *headers = "From: a@example.com\r\nSubject: old\r\n\r\n";
  const char *uidls[] = { "old-1", "old-2" };
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (messages, pb_message_new_from_headers ("old-2", headers, strlen (headers)));
  pb_seen_store_record_check (seen, uidls, 2, 2, messages);
  pb_seen_store_save (seen, &error);
  g_assert_no_error (error);
}

static char *
stored_password (const char *id)
{
  g_autoptr(GError) error = NULL;
  char *secret = pb_secret_lookup_sync (id, FALSE, NULL, &error);
  char *password;

  if (g_error_matches (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NOT_FOUND))
    return NULL;
  g_assert_no_error (error);
  /* Secrets live in non-pageable memory, freed their own way. */
  password = g_strdup (secret);
  pb_secret_free (secret);
  return password;
}

/* What a login test found: @n messages named u1…un. */
typedef struct
{
  PbPop3Listing  listing;
  PbPop3Entry   *entries;
  char         **uidls;
} Listing;

static void
listing_init (Listing    *listing,
              guint       n,
              const char *prefix)
{
  memset (listing, 0, sizeof *listing);
  listing->listing.count = n;
  listing->listing.entries = g_ptr_array_new ();
  listing->entries = g_new0 (PbPop3Entry, n);
  listing->uidls = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      listing->uidls[i] = g_strdup_printf ("%s%u", prefix, i + 1);
      listing->entries[i].msgnum = i + 1;
      listing->entries[i].uidl = listing->uidls[i];
      g_ptr_array_add (listing->listing.entries, &listing->entries[i]);
    }
}

static void
listing_clear (Listing *listing)
{
  g_ptr_array_unref (listing->listing.entries);
  g_free (listing->entries);
  g_strfreev (listing->uidls);
}

/* ---- The one rule for names ------------------------------------------------ */

static void
test_names (void)
{
  struct { const char *text; const char *ascii; } hosts[] = {
    { "pop.example.com", "pop.example.com" },
    { "POP.Example.COM.", "pop.example.com" },
    { "例え.jp", "xn--r8jz45g.jp" },
    { "127.0.0.1", "127.0.0.1" },
    { "::1", "::1" },
    { "mail_1.example.org", "mail_1.example.org" },
    { "localhost", "localhost" },
  };
  const char *bad_hosts[] = {
    "", "pop example.com", " pop.example.com", "pop.example.com/x", "me@pop.example.com",
    "<b>pop</b>&amp;.example.com", "pop..example.com", ".example.com", "pop.example.com:995",
    "pop\x01.example.com", "pop\xe2\x80\x8b.example.com", "pop.exa\nmple.com", "\xff\xfe",
    /* An IPv6 zone, and one that holds colons (found by fuzz-srv). */
    "fe80::1%eth0", "::C%:6",
  };
  const char *users[] = { "me@example.com", "山田", "user+tag", "DOMAIN\\user" };
  const char *bad_users[] = { "", "me @example.com", "me\t", "a\x7f", "\xe3\x80\x80yamada",
                              "a\r\nQUIT" };
  g_autofree char *long_label = g_strnfill (64, 'a');
  g_autofree char *long_host = NULL;
  g_autofree char *long_user = g_strnfill (PB_MAX_USER_NAME + 1, 'u');
  g_autofree char *longest_user = g_strnfill (PB_MAX_USER_NAME, 'u');

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *ascii = pb_host_name_normalize (hosts[i].text, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (ascii, ==, hosts[i].ascii);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_hosts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *ascii = pb_host_name_normalize (bad_hosts[i], &error);

      g_assert_null (ascii);
      g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
    }
  {
    g_autofree char *host = g_strconcat (long_label, ".example.com", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_null (pb_host_name_normalize (host, &error));
    g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
  }
  {
    g_autoptr(GString) host = g_string_new (NULL);
    g_autoptr(GError) error = NULL;

    while (host->len < 254)
      g_string_append (host, "abcdefg.");
    g_string_append (host, "com");
    long_host = g_string_free (g_steal_pointer (&host), FALSE);
    g_assert_null (pb_host_name_normalize (long_host, &error));
    g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
  }

  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    g_assert_true (pb_user_name_check (users[i], NULL));
  g_assert_true (pb_user_name_check (longest_user, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad_users); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (pb_user_name_check (bad_users[i], &error));
      g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
    }
  g_assert_false (pb_user_name_check (long_user, NULL));
}

/* pb_account_copy and pb_account_equal know every setting: one added to
 * PbAccount and forgotten there would be lost by every edit. */
static void
test_copy_and_equal_know_every_setting (void)
{
  g_autoptr(PbAccount) plain = make_account ("home", "pop.example.com", "me");
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (plain), &n);

  g_assert_cmpuint (n, >=, 10);
  for (guint i = 0; i < n; i++)
    {
      GParamSpec *spec = specs[i];
      g_autoptr(PbAccount) changed = NULL;
      g_autoptr(PbAccount) copy = NULL;
      g_auto(GValue) before = G_VALUE_INIT;
      g_auto(GValue) value = G_VALUE_INIT;
      g_auto(GValue) copied = G_VALUE_INIT;

      if (!(spec->flags & G_PARAM_WRITABLE) || (spec->flags & G_PARAM_CONSTRUCT_ONLY))
        continue;

      changed = pb_account_copy (plain, NULL);
      g_value_init (&before, spec->value_type);
      g_object_get_property (G_OBJECT (plain), spec->name, &before);
      g_value_init (&value, spec->value_type);
      if (G_IS_PARAM_SPEC_STRING (spec))
        g_value_set_string (&value, g_str_equal (spec->name, "host") ? "other.example.com"
                                    : g_str_equal (spec->name, "oauth2-provider") ? "google"
                                    : g_str_equal (spec->name, "sound") ? "bell"
                                    : g_str_equal (spec->name, "ca-file") ? "/etc/ssl/other.pem"
                                    : g_str_equal (spec->name, "webmail") ? "https://mail.example.com/"
                                    : "changed");
      else if (G_IS_PARAM_SPEC_BOOLEAN (spec))
        g_value_set_boolean (&value, !g_value_get_boolean (&before));
      else if (G_IS_PARAM_SPEC_UINT (spec))
        {
          /* Another value within the setting's range (security: 0 or 1). */
          GParamSpecUInt *range = G_PARAM_SPEC_UINT (spec);
          guint other = MIN (range->maximum, 77u);

          if (other == g_value_get_uint (&before))
            other = other > range->minimum ? other - 1 : other + 1;
          g_value_set_uint (&value, other);
        }
      else if (G_IS_PARAM_SPEC_ENUM (spec))
        g_value_set_enum (&value, g_value_get_enum (&before) == 0 ? 1 : 0);
      else
        g_error ("A setting of a type this test does not know: %s", spec->name);
      g_object_set_property (G_OBJECT (changed), spec->name, &value);
      g_test_message ("setting %s", spec->name);
      g_assert_false (pb_account_equal (plain, changed));

      copy = pb_account_copy (changed, NULL);
      g_assert_true (pb_account_equal (copy, changed));
      g_value_init (&copied, spec->value_type);
      g_object_get_property (G_OBJECT (copy), spec->name, &copied);
      g_assert_cmpint (g_param_values_cmp (spec, &copied, &value), ==, 0);
    }
}

/* The store takes the same rule: a file with a bad host keeps that account out. */
static void
test_store_refuses_bad_names (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (fixture->accounts_path);
  g_autoptr(PbAccount) account = make_account ("odd", "<b>pop</b>.example.com", "me");
  g_autoptr(GError) error = NULL;

  g_assert_false (pb_account_store_add (store, account, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
}

/* ---- Add --------------------------------------------------------------------- */

static void
test_add_everything (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(PbAccount) account = make_account ("home", "localhost", "alice");
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(PbSeenStore) seen = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  PbAccountAddition addition = { 0 };
  gboolean session_only = TRUE;
  Listing listing;

  pb_account_set_port (account, 1995);
  listing_init (&listing, 3, "u");
  addition.account = account;
  addition.password = PASSWORD;
  addition.certificate = certificate;
  addition.baseline = &listing.listing;
  g_assert_true (pb_account_admin_add (fixture->admin, &addition, &session_only, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (session_only);
  listing_clear (&listing);

  store = load_accounts (fixture);
  g_assert_nonnull (pb_account_store_lookup (store, "home"));
  g_assert_cmpuint (pb_account_get_port (pb_account_store_lookup (store, "home")), ==, 1995);

  password = stored_password ("home");
  g_assert_cmpstr (password, ==, PASSWORD);

  pins = load_pins (fixture);
  g_assert_true (pb_trust_store_is_pinned (pins, "localhost", 1995, certificate));

  /* The baseline: what was there counts as seen, with the boundary for the
   * next cheap check. */
  seen = load_state (fixture, "home");
  g_assert_true (pb_seen_store_is_initialized (seen));
  g_assert_true (pb_seen_store_contains (seen, "u1"));
  g_assert_true (pb_seen_store_contains (seen, "u3"));
  g_assert_cmpstr (pb_seen_store_get_last_uidl (seen), ==, "u3");
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (seen)->len, ==, 0);
  /* A look at the mailbox, not a check: "not checked yet" until the first. */
  g_assert_cmpint (pb_seen_store_get_last_check (seen), ==, 0);
}

/* A taken ID changes nothing: not the account, not its password. */
static void
test_add_existing_changes_nothing (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(PbAccount) first = make_account ("home", "localhost", "alice");
  g_autoptr(PbAccount) second = make_account ("home", "pop.example.com", "bob");
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  PbAccountAddition addition = { 0 };

  addition.account = first;
  addition.password = PASSWORD;
  g_assert_true (pb_account_admin_add (fixture->admin, &addition, NULL, NULL, &error));
  g_assert_no_error (error);

  addition.account = second;
  addition.password = "another";
  g_assert_false (pb_account_admin_add (fixture->admin, &addition, NULL, NULL, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_EXISTS);

  store = load_accounts (fixture);
  g_assert_cmpstr (pb_account_get_host (pb_account_store_lookup (store, "home")), ==,
                   "localhost");
  password = stored_password ("home");
  g_assert_cmpstr (password, ==, PASSWORD);
}

/* A step that fails undoes the ones before: here the pin can't be written
 * (trust.ini is a folder), so the password goes from the keyring again and
 * the state file that was there comes back. */
static void
test_add_rolls_back (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(PbAccount) account = make_account ("home", "localhost", "alice");
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(PbSeenStore) seen = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  g_autofree char *config = g_path_get_dirname (fixture->trust_path);
  PbAccountAddition addition = { 0 };
  Listing listing;

  g_assert_cmpint (g_mkdir_with_parents (fixture->trust_path, 0700), ==, 0);
  write_state_with_unread (fixture, "home");

  listing_init (&listing, 2, "new");
  addition.account = account;
  addition.password = PASSWORD;
  addition.certificate = certificate;
  addition.baseline = &listing.listing;
  g_assert_false (pb_account_admin_add (fixture->admin, &addition, NULL, NULL, &error));
  g_assert_nonnull (error);
  listing_clear (&listing);

  store = load_accounts (fixture);
  g_assert_null (pb_account_store_lookup (store, "home"));
  password = stored_password ("home");
  g_assert_null (password);
  seen = load_state (fixture, "home");
  g_assert_true (pb_seen_store_contains (seen, "old-1"));
  g_assert_false (pb_seen_store_contains (seen, "new1"));
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (seen)->len, ==, 1);
}

/* A weak certificate is refused before anything is written. */
static void
test_add_weak_certificate_refused (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(PbAccount) account = make_account ("home", "localhost", "alice");
  g_autoptr(GTlsCertificate) weak = pb_test_load_certificate ("rsa1024.pem");
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  PbAccountAddition addition = { 0 };

  addition.account = account;
  addition.password = PASSWORD;
  addition.certificate = weak;
  g_assert_false (pb_account_admin_add (fixture->admin, &addition, NULL, NULL, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
  g_assert_false (g_file_test (fixture->accounts_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (fixture->trust_path, G_FILE_TEST_EXISTS));
  password = stored_password ("home");
  g_assert_null (password);
}

static void
test_add_without_keyring (void)
{
  g_autoptr(PbTestKeyring) keyring = pb_test_keyring_new_no_service ();
  g_autofree char *dir = pb_test_mkdtemp ("admin-no-keyring");
  g_autofree char *accounts = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *trust = g_build_filename (dir, "trust.ini", NULL);
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (accounts, trust, dir);
  g_autoptr(PbAccount) account = make_account ("home", "localhost", "alice");
  g_autoptr(GError) error = NULL;
  PbAccountAddition addition = { 0 };
  gboolean session_only = FALSE;

  addition.account = account;
  addition.password = PASSWORD;
  /* The command line: nothing is added. */
  g_assert_false (pb_account_admin_add (admin, &addition, &session_only, NULL, &error));
  g_assert_error (error, PB_SECRET_ERROR, PB_SECRET_ERROR_NO_SERVICE);
  g_assert_false (g_file_test (accounts, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* The wizard: added, the password kept for the session by the caller. */
  addition.allow_session_only = TRUE;
  g_assert_true (pb_account_admin_add (admin, &addition, &session_only, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (session_only);
  g_assert_true (g_file_test (accounts, G_FILE_TEST_EXISTS));
  pb_test_rm_rf (dir);
}

/* ---- Edit ---------------------------------------------------------------------- */

static void
add_plain (Fixture    *fixture,
           const char *id,
           const char *host,
           guint16     port)
{
  g_autoptr(PbAccount) account = make_account (id, host, "alice");
  g_autoptr(GError) error = NULL;
  PbAccountAddition addition = { 0 };

  pb_account_set_port (account, port);
  addition.account = account;
  addition.password = PASSWORD;
  g_assert_true (pb_account_admin_add (fixture->admin, &addition, NULL, NULL, &error));
  g_assert_no_error (error);
}

static PbAccount *
copy_from_file (Fixture    *fixture,
                const char *id)
{
  g_autoptr(PbAccountStore) store = load_accounts (fixture);

  g_assert_nonnull (pb_account_store_lookup (store, id));
  return pb_account_copy (pb_account_store_lookup (store, id), NULL);
}

static void
test_edit_keeps_or_restarts_the_baseline (Fixture       *fixture,
                                          gconstpointer  data)
{
  g_autoptr(PbAccount) edited = NULL;
  g_autoptr(PbSeenStore) seen = NULL;
  g_autoptr(PbAccountStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = state_path (fixture, "home");
  g_autofree char *password = NULL;
  Listing listing;

  add_plain (fixture, "home", "localhost", 1995);
  write_state_with_unread (fixture, "home");

  /* The same mailbox: the interval, the name and the security change nothing
   * of what was seen. */
  edited = copy_from_file (fixture, "home");
  pb_account_set_interval (edited, 15);
  pb_account_set_display_name (edited, "Home");
  g_assert_true (pb_account_admin_edit (fixture->admin, edited, NULL, &error));
  g_assert_no_error (error);
  seen = load_state (fixture, "home");
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (seen)->len, ==, 1);
  g_clear_object (&seen);
  g_clear_object (&edited);

  /* Another user: another mailbox, whose first check takes the baseline. */
  edited = copy_from_file (fixture, "home");
  pb_account_set_user (edited, "bob");
  g_assert_true (pb_account_admin_edit (fixture->admin, edited, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_clear_object (&edited);

  /* Another host with a login test: what it found is the baseline. */
  write_state_with_unread (fixture, "home");
  edited = copy_from_file (fixture, "home");
  pb_account_set_host (edited, "127.0.0.1");
  listing_init (&listing, 2, "there");
  g_assert_true (pb_account_admin_edit (fixture->admin, edited, &listing.listing, &error));
  g_assert_no_error (error);
  listing_clear (&listing);
  seen = load_state (fixture, "home");
  g_assert_true (pb_seen_store_contains (seen, "there2"));
  g_assert_false (pb_seen_store_contains (seen, "old-1"));
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (seen)->len, ==, 0);

  store = load_accounts (fixture);
  g_assert_cmpstr (pb_account_get_host (pb_account_store_lookup (store, "home")), ==, "127.0.0.1");
  g_assert_cmpuint (pb_account_get_interval (pb_account_store_lookup (store, "home")), ==, 15);
  /* The password stays with the account. */
  password = stored_password ("home");
  g_assert_cmpstr (password, ==, PASSWORD);
}

static void
test_edit_refuses_bad_settings (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(PbAccount) edited = NULL;
  g_autoptr(PbAccount) unknown = make_account ("nobody", "localhost", "alice");
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *state = state_path (fixture, "home");

  add_plain (fixture, "home", "localhost", 1995);
  write_state_with_unread (fixture, "home");
  g_assert_true (g_file_get_contents (fixture->accounts_path, &before, NULL, NULL));

  edited = copy_from_file (fixture, "home");
  pb_account_set_host (edited, "pop example.com");
  g_assert_false (pb_account_admin_edit (fixture->admin, edited, NULL, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (fixture->accounts_path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);
  /* The state of the old mailbox is back in its place. */
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));

  g_assert_false (pb_account_admin_edit (fixture->admin, unknown, NULL, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (pb_account_admin_set_interval (fixture->admin, "home", 0, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (pb_account_admin_set_enabled (fixture->admin, "home", FALSE, &error));
  g_assert_no_error (error);
  {
    g_autoptr(PbAccountStore) store = load_accounts (fixture);
    g_assert_false (pb_account_get_enabled (pb_account_store_lookup (store, "home")));
  }
}

/* ---- Remove ------------------------------------------------------------------------ */

static void
test_remove_cleans_up (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(PbAccount) removed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *home_state = state_path (fixture, "home");
  g_autofree char *work_state = state_path (fixture, "work");

  add_plain (fixture, "home", "localhost", 1995);
  add_plain (fixture, "work", "localhost", 1995);
  write_state_with_unread (fixture, "home");
  write_state_with_unread (fixture, "work");
  g_assert_true (pb_account_admin_trust (fixture->admin, "localhost", 1995, certificate, FALSE,
                                         NULL, &error));
  g_assert_no_error (error);

  /* The pin stays while "work" uses that server. */
  g_assert_true (pb_account_admin_remove (fixture->admin, "home", &removed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pb_account_get_host (removed), ==, "localhost");
  g_assert_false (g_file_test (home_state, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (work_state, G_FILE_TEST_EXISTS));
  {
    g_autofree char *gone = stored_password ("home");
    g_assert_null (gone);
  }
  {
    g_autofree char *work_password = stored_password ("work");
    g_autoptr(PbTrustStore) pins = load_pins (fixture);

    g_assert_cmpstr (work_password, ==, PASSWORD);
    g_assert_true (pb_trust_store_is_pinned (pins, "localhost", 1995, certificate));
  }

  g_assert_true (pb_account_admin_remove (fixture->admin, "work", NULL, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(PbTrustStore) pins = load_pins (fixture);
    g_autoptr(PbAccountStore) store = load_accounts (fixture);

    g_assert_null (pb_trust_store_get_fingerprint (pins, "localhost", 1995));
    g_assert_cmpuint (pb_account_store_get_accounts (store)->len, ==, 0);
  }

  g_assert_false (pb_account_admin_remove (fixture->admin, "work", NULL, NULL, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND);
}

/* ---- Trust ------------------------------------------------------------------------- */

static void
test_trust_and_forget (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GTlsCertificate) first = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(GTlsCertificate) second = pb_test_load_certificate ("server.pem");
  g_autoptr(GTlsCertificate) weak = pb_test_load_certificate ("self-signed-rsa1024.pem");
  g_autoptr(GError) error = NULL;
  g_autofree char *previous = NULL;
  g_autofree char *first_hex = pb_certificate_get_sha256 (first);

  g_assert_true (pb_account_admin_trust (fixture->admin, "localhost", 995, first, FALSE,
                                         &previous, &error));
  g_assert_no_error (error);
  g_assert_null (previous);

  /* Again: nothing to replace. */
  g_assert_true (pb_account_admin_trust (fixture->admin, "localhost", 995, first, FALSE,
                                         &previous, &error));
  g_assert_null (previous);

  /* Another certificate only on request. */
  g_assert_false (pb_account_admin_trust (fixture->admin, "localhost", 995, second, FALSE,
                                          &previous, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (pb_account_admin_trust (fixture->admin, "localhost", 995, second, TRUE,
                                         &previous, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (previous, ==, first_hex);

  /* Never a weak one. */
  g_assert_false (pb_account_admin_trust (fixture->admin, "localhost", 996, weak, TRUE, NULL,
                                          &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (pb_account_admin_forget (fixture->admin, "localhost", 995, &error));
  g_assert_no_error (error);
  g_assert_false (pb_account_admin_forget (fixture->admin, "localhost", 995, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_NOT_FOUND);
}

/* ---- From a window: in a thread ------------------------------------------------------- */

static void
test_async (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(PbAccount) account = make_account ("home", "localhost", "alice");
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GAsyncResult) removed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  PbAccountAddition addition = { 0 };
  gboolean session_only = TRUE;

  addition.account = account;
  addition.password = PASSWORD;
  pb_account_admin_add_async (fixture->admin, &addition, NULL, pb_test_store_result, &added);
  /* The caller's account may change meanwhile: the transaction has its copy. */
  pb_account_set_host (account, "changed.example.com");
  pb_test_wait_result (&added, 20);
  g_assert_true (pb_account_admin_add_finish (fixture->admin, added, &session_only, &error));
  g_assert_no_error (error);
  g_assert_false (session_only);
  {
    g_autoptr(PbAccountStore) store = load_accounts (fixture);
    g_assert_cmpstr (pb_account_get_host (pb_account_store_lookup (store, "home")), ==,
                     "localhost");
  }

  pb_account_admin_set_password_async (fixture->admin, "home", "new-password", NULL,
                                       pb_test_store_result, &stored);
  pb_test_wait_result (&stored, 20);
  g_assert_true (pb_account_admin_set_password_finish (fixture->admin, stored, &error));
  g_assert_no_error (error);
  password = stored_password ("home");
  g_assert_cmpstr (password, ==, "new-password");

  pb_account_admin_remove_async (fixture->admin, "home", NULL, pb_test_store_result, &removed);
  pb_test_wait_result (&removed, 20);
  g_assert_true (pb_account_admin_remove_finish (fixture->admin, removed, &error));
  g_assert_no_error (error);
  g_clear_pointer (&password, g_free);
  password = stored_password ("home");
  g_assert_null (password);
}

/* ---- The running applet follows ------------------------------------------------------- */

typedef gboolean (*Condition) (PbMonitor *monitor);

static void
wait_until (PbMonitor *monitor,
            Condition  condition)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!condition (monitor))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
}

static gboolean
has_home (PbMonitor *monitor)
{
  return pb_monitor_lookup_account (monitor, "home") != NULL;
}

static gboolean
has_no_home (PbMonitor *monitor)
{
  return pb_monitor_lookup_account (monitor, "home") == NULL;
}

static gboolean
home_has_moved (PbMonitor *monitor)
{
  PbAccount *account = pb_monitor_lookup_account (monitor, "home");

  return account != NULL && g_strcmp0 (pb_account_get_host (account), "127.0.0.1") == 0;
}

static gboolean
home_disabled (PbMonitor *monitor)
{
  return pb_monitor_get_state (monitor, "home") == PB_ACCOUNT_STATE_DISABLED;
}

/* What another process (popbell --add-account, --edit-account,
 * --remove-account) does to the files, the monitor takes in by itself. */
static void
test_monitor_follows_the_files (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (fixture->accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (fixture->trust_path);
  g_autoptr(PbMonitor) monitor = NULL;
  g_autoptr(PbAccount) edited = NULL;
  g_autoptr(GError) error = NULL;

  monitor = pb_monitor_new (accounts, pins, NULL, fixture->state_dir);
  pb_monitor_start (monitor);
  g_assert_null (pb_monitor_lookup_account (monitor, "home"));

  /* Added, with unread mail an earlier check left. Disabled, so that no
   * check of this unreachable server gets in the way. */
  write_state_with_unread (fixture, "other");
  {
    g_autoptr(PbAccount) account = make_account ("home", "localhost", "alice");
    PbAccountAddition addition = { 0 };

    pb_account_set_port (account, 1995);
    pb_account_set_enabled (account, FALSE);
    addition.account = account;
    addition.password = PASSWORD;
    g_assert_true (pb_account_admin_add (fixture->admin, &addition, NULL, NULL, &error));
    g_assert_no_error (error);
  }
  wait_until (monitor, has_home);
  g_assert_cmpint (pb_monitor_get_state (monitor, "home"), ==, PB_ACCOUNT_STATE_DISABLED);

  /* Its state is read when the account appears: have it appear again. */
  write_state_with_unread (fixture, "home");
  pb_monitor_forget_account (monitor, "home");
  pb_monitor_reload (monitor);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (monitor, "home"), ==, 1);

  /* Moved to another server: nothing of the old mailbox stays. */
  edited = copy_from_file (fixture, "home");
  pb_account_set_host (edited, "127.0.0.1");
  g_assert_true (pb_account_admin_edit (fixture->admin, edited, NULL, &error));
  g_assert_no_error (error);
  wait_until (monitor, home_has_moved);
  g_assert_cmpuint (pb_monitor_count_unacknowledged (monitor, "home"), ==, 0);
  g_assert_cmpint (pb_monitor_get_last_success_time (monitor, "home"), ==, 0);

  /* Enabled and disabled again. */
  g_assert_true (pb_account_admin_set_enabled (fixture->admin, "home", TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (pb_account_admin_set_enabled (fixture->admin, "home", FALSE, &error));
  wait_until (monitor, home_disabled);

  /* A file caught broken keeps the accounts the applet has. */
  g_assert_true (g_file_set_contents (fixture->accounts_path, "[home\nhost=", -1, NULL));
  pb_monitor_reload (monitor);
  g_assert_nonnull (pb_monitor_lookup_account (monitor, "home"));

  /* Removed. */
  {
    g_autoptr(PbAccount) account = make_account ("home", "127.0.0.1", "alice");
    PbAccountAddition addition = { 0 };

    /* The broken file was set aside; the account is written again first. */
    pb_account_set_port (account, 1995);
    pb_account_set_enabled (account, FALSE);
    addition.account = account;
    addition.password = PASSWORD;
    g_assert_true (pb_account_admin_add (fixture->admin, &addition, NULL, NULL, &error));
    g_assert_no_error (error);
  }
  wait_until (monitor, has_home);
  g_assert_true (pb_account_admin_remove (fixture->admin, "home", NULL, NULL, &error));
  g_assert_no_error (error);
  wait_until (monitor, has_no_home);
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

#define add(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/pb/account-admin/names", test_names);
  g_test_add_func ("/pb/account-admin/copy-and-equal-know-every-setting",
                   test_copy_and_equal_know_every_setting);
  add ("/pb/account-admin/store-refuses-bad-names", test_store_refuses_bad_names);
  add ("/pb/account-admin/add/everything", test_add_everything);
  add ("/pb/account-admin/add/existing-changes-nothing", test_add_existing_changes_nothing);
  add ("/pb/account-admin/add/rolls-back", test_add_rolls_back);
  add ("/pb/account-admin/add/weak-certificate-refused", test_add_weak_certificate_refused);
  g_test_add_func ("/pb/account-admin/add/without-keyring", test_add_without_keyring);
  add ("/pb/account-admin/edit/baseline", test_edit_keeps_or_restarts_the_baseline);
  add ("/pb/account-admin/edit/refuses-bad-settings", test_edit_refuses_bad_settings);
  add ("/pb/account-admin/remove/cleans-up", test_remove_cleans_up);
  add ("/pb/account-admin/trust-and-forget", test_trust_and_forget);
  add ("/pb/account-admin/async", test_async);
  add ("/pb/account-admin/monitor-follows-the-files", test_monitor_follows_the_files);

  return g_test_run ();
}
