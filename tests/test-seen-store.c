/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "pb-error.h"
#include "pb-seen-store.h"
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
  fixture->dir = pb_test_mkdtemp ("state");
  fixture->path = g_build_filename (fixture->dir, "work.state", NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  pb_test_rm_rf (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static PbSeenStore *
load_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  PbSeenStore *store = pb_seen_store_new (path);

  g_assert_true (pb_seen_store_load (store, &error));
  g_assert_no_error (error);
  return store;
}

static void
save_store (PbSeenStore *store)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_seen_store_save (store, &error));
  g_assert_no_error (error);
}

static PbMessage *
new_message (const char *uidl,
             const char *subject)
{
  PbMessage *message = pb_message_new ();

  message->uidl = g_strdup (uidl);
  message->subject = g_strdup (subject);
  return message;
}

static GPtrArray *
new_messages (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
}

static void
record (PbSeenStore *store,
        const char  *uidls,
        GPtrArray   *messages)
{
  g_auto(GStrv) list = g_strsplit (uidls, " ", -1);
  guint n = g_strv_length (list);

  if (uidls[0] == '\0')
    n = 0;
  pb_seen_store_record_check (store, (const char * const *) list, n, n, messages);
}

/* The UIDLs of the unacknowledged messages, space separated, in order. */
static char *
unacknowledged_uidls (PbSeenStore *store)
{
  GPtrArray *list = pb_seen_store_get_unacknowledged (store);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    {
      const PbMessage *message = g_ptr_array_index (list, i);

      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, message->uidl != NULL ? message->uidl : "(null)");
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
stat_file (const char *path,
           GStatBuf   *st)
{
  g_assert_cmpint (g_stat (path, st), ==, 0);
}

static void
test_create_destroy (Fixture       *fixture,
                     gconstpointer  data)
{
  PbSeenStore *store = pb_seen_store_new (fixture->path);
  g_autoptr(GPtrArray) messages = new_messages ();

  g_ptr_array_add (messages, new_message ("a", "Hello"));
  record (store, "a b", messages);
  g_assert_cmpstr (pb_seen_store_get_path (store), ==, fixture->path);

  g_assert_finalize_object (store);
}

static void
test_path_for_account (void)
{
  g_autofree char *path = pb_seen_store_path_for_account ("work.2");
  g_autofree char *expected = g_build_filename (g_get_user_state_dir (), "popbell",
                                                "work.2.state", NULL);

  g_assert_cmpstr (path, ==, expected);
}

static void
test_missing_file_uninitialized (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);

  g_assert_false (pb_seen_store_is_initialized (store));
  g_assert_cmpuint (pb_seen_store_get_n_seen (store), ==, 0);
  g_assert_false (pb_seen_store_contains (store, "a"));
  g_assert_cmpint (pb_seen_store_get_last_total (store), ==, -1);
  g_assert_cmpint (pb_seen_store_get_last_check (store), ==, 0);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (store)->len, ==, 0);

  /* Nothing happened, so nothing is written. */
  save_store (store);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_record_and_contains (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  const char *uidls[] = {
    "1a2b", "whqtswO00WBw418f9t5JxYwZ", "~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}",
  };
  GStatBuf st;

  pb_seen_store_record_check (store, uidls, G_N_ELEMENTS (uidls), 7, NULL);

  g_assert_true (pb_seen_store_is_initialized (store));
  g_assert_cmpuint (pb_seen_store_get_n_seen (store), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (uidls); i++)
    g_assert_true (pb_seen_store_contains (store, uidls[i]));
  g_assert_false (pb_seen_store_contains (store, "1a2c"));
  g_assert_cmpint (pb_seen_store_get_last_total (store), ==, 7);
  g_assert_cmpint (pb_seen_store_get_last_check (store), >=, before);
  g_assert_cmpint (pb_seen_store_get_last_check (store), <=, g_get_real_time () / G_USEC_PER_SEC);

  save_store (store);
  stat_file (fixture->path, &st);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  loaded = load_store (fixture->path);
  g_assert_true (pb_seen_store_is_initialized (loaded));
  g_assert_cmpuint (pb_seen_store_get_n_seen (loaded), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (uidls); i++)
    g_assert_true (pb_seen_store_contains (loaded, uidls[i]));
  g_assert_cmpint (pb_seen_store_get_last_total (loaded), ==, 7);
  g_assert_cmpint (pb_seen_store_get_last_check (loaded), ==,
                   pb_seen_store_get_last_check (store));
}

static void
test_empty_mailbox_is_initialized (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  const char *none[] = { NULL };

  pb_seen_store_record_check (store, none, 0, 0, NULL);
  g_assert_true (pb_seen_store_is_initialized (store));
  save_store (store);

  loaded = load_store (fixture->path);
  g_assert_true (pb_seen_store_is_initialized (loaded));
  g_assert_cmpuint (pb_seen_store_get_n_seen (loaded), ==, 0);
  g_assert_cmpint (pb_seen_store_get_last_total (loaded), ==, 0);
}

static void
test_vanished_uidls_pruned (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  g_autoptr(GPtrArray) first = new_messages ();
  g_autoptr(GPtrArray) second = new_messages ();
  g_autofree char *list = NULL;

  g_ptr_array_add (first, new_message ("b", "Bee"));
  g_ptr_array_add (first, new_message ("c", "Sea"));
  record (store, "a b c", first);
  list = unacknowledged_uidls (store);
  g_assert_cmpstr (list, ==, "b c");
  g_clear_pointer (&list, g_free);

  /* "a" and "c" were deleted on the server, "d" arrived. */
  g_ptr_array_add (second, new_message ("d", "Dee"));
  record (store, "b d", second);

  g_assert_cmpuint (pb_seen_store_get_n_seen (store), ==, 2);
  g_assert_false (pb_seen_store_contains (store, "a"));
  g_assert_true (pb_seen_store_contains (store, "b"));
  g_assert_false (pb_seen_store_contains (store, "c"));
  g_assert_true (pb_seen_store_contains (store, "d"));
  list = unacknowledged_uidls (store);
  g_assert_cmpstr (list, ==, "b d");
  g_clear_pointer (&list, g_free);

  save_store (store);
  loaded = load_store (fixture->path);
  g_assert_cmpuint (pb_seen_store_get_n_seen (loaded), ==, 2);
  g_assert_false (pb_seen_store_contains (loaded, "a"));
  list = unacknowledged_uidls (loaded);
  g_assert_cmpstr (list, ==, "b d");
}

static void
test_unacknowledged_no_duplicates (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(GPtrArray) first = new_messages ();
  g_autoptr(GPtrArray) second = new_messages ();
  g_autofree char *list = NULL;
  const PbMessage *kept;

  g_ptr_array_add (first, new_message ("a", "First"));
  g_ptr_array_add (first, new_message ("a", "Same UIDL in the same check"));
  record (store, "a b", first);

  g_ptr_array_add (second, new_message ("b", "Bee"));
  g_ptr_array_add (second, new_message ("a", "Reported again"));
  record (store, "a b", second);

  list = unacknowledged_uidls (store);
  g_assert_cmpstr (list, ==, "a b");
  kept = g_ptr_array_index (pb_seen_store_get_unacknowledged (store), 0);
  g_assert_cmpstr (kept->subject, ==, "First");
}

static void
test_server_without_uidl (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  g_autoptr(GPtrArray) first = new_messages ();
  g_autoptr(GPtrArray) second = new_messages ();
  g_autofree char *list = NULL;

  g_ptr_array_add (first, new_message ("a", "Kept"));
  record (store, "a b", first);

  /* No UIDL this time: the seen set stays, nothing is pruned, the count moves. */
  g_ptr_array_add (second, new_message (NULL, "Counted"));
  pb_seen_store_record_check (store, NULL, 0, 5, second);

  g_assert_cmpuint (pb_seen_store_get_n_seen (store), ==, 2);
  g_assert_true (pb_seen_store_contains (store, "b"));
  g_assert_cmpint (pb_seen_store_get_last_total (store), ==, 5);
  list = unacknowledged_uidls (store);
  g_assert_cmpstr (list, ==, "a (null)");
  g_clear_pointer (&list, g_free);

  save_store (store);
  loaded = load_store (fixture->path);
  list = unacknowledged_uidls (loaded);
  g_assert_cmpstr (list, ==, "a (null)");
  g_assert_cmpint (pb_seen_store_get_last_total (loaded), ==, 5);
}

static void
test_invalid_server_uidls_ignored (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  g_autofree char *too_long = g_strnfill (71, 'x');
  g_autofree char *longest = g_strnfill (70, 'x');
  const char *uidls[] = { "good", "with space", "", "tab\there", "caf\xc3\xa9", too_long, longest };

  pb_seen_store_record_check (store, uidls, G_N_ELEMENTS (uidls), 7, NULL);
  g_assert_cmpuint (pb_seen_store_get_n_seen (store), ==, 2);
  g_assert_true (pb_seen_store_contains (store, "good"));
  g_assert_true (pb_seen_store_contains (store, longest));

  /* What is kept can always be read back. */
  save_store (store);
  loaded = load_store (fixture->path);
  g_assert_cmpuint (pb_seen_store_get_n_seen (loaded), ==, 2);
}

static void
assert_messages_equal (const PbMessage *a,
                       const PbMessage *b)
{
  g_assert_cmpstr (a->uidl, ==, b->uidl);
  g_assert_cmpstr (a->from, ==, b->from);
  g_assert_cmpstr (a->from_name, ==, b->from_name);
  g_assert_cmpstr (a->from_address, ==, b->from_address);
  g_assert_cmpstr (a->subject, ==, b->subject);
  g_assert_cmpstr (a->message_id, ==, b->message_id);
  if (a->date == NULL || b->date == NULL)
    {
      g_assert_null (a->date);
      g_assert_null (b->date);
    }
  else
    {
      g_assert_true (g_date_time_equal (a->date, b->date));
      g_assert_cmpint (g_date_time_get_utc_offset (a->date), ==,
                       g_date_time_get_utc_offset (b->date));
    }
}

static void
test_unacknowledged_round_trip (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autoptr(GTimeZone) tokyo = g_time_zone_new_offset (9 * 3600);
  g_autoptr(GTimeZone) west = g_time_zone_new_offset (-(3 * 3600 + 30 * 60));
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  PbMessage *message;
  GPtrArray *list;

  message = new_message ("m1", "会議の件\nseen evil\n[group]\nkey=value\\n \\ \"quoted\"\ttab\r"
                         "end");
  message->from = g_strdup ("山田 太郎 <taro@example.jp>");
  message->from_name = g_strdup ("山田 太郎");
  message->from_address = g_strdup ("taro@example.jp");
  message->date = g_date_time_new (tokyo, 2024, 3, 15, 9, 30, 5);
  message->message_id = g_strdup ("20240315.abc=def@example.jp");
  g_ptr_array_add (messages, message);

  /* Empty and absent are different things. */
  message = new_message ("m2", "");
  message->from = g_strdup ("bob@example.com");
  message->from_address = g_strdup ("bob@example.com");
  message->date = g_date_time_new (west, 1999, 12, 31, 23, 59, 59.25);
  g_ptr_array_add (messages, message);

  message = new_message ("m3", NULL);
  g_ptr_array_add (messages, message);

  message = new_message ("m4", "\x01\x7f\\0\\\\\\");
  message->from_name = g_strdup ("Ünïcödé 😀 = [x]");
  g_ptr_array_add (messages, message);

  record (store, "m1 m2 m3 m4", messages);
  save_store (store);

  /* Whatever the subject holds, one message stays one line. */
  g_file_get_contents (fixture->path, &contents, NULL, NULL);
  g_assert_nonnull (contents);
  g_assert_true (g_utf8_validate (contents, -1, NULL));
  g_assert_nonnull (strstr (contents, "会議の件"));
  lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4 + 4 + 4 + 1 + 1);

  loaded = load_store (fixture->path);
  list = pb_seen_store_get_unacknowledged (loaded);
  g_assert_cmpuint (list->len, ==, messages->len);
  for (guint i = 0; i < messages->len; i++)
    assert_messages_equal (g_ptr_array_index (messages, i), g_ptr_array_index (list, i));

  message = g_ptr_array_index (list, 1);
  g_assert_cmpstr (message->subject, ==, "");
  g_assert_null (message->from_name);
  message = g_ptr_array_index (list, 2);
  g_assert_null (message->subject);
  g_assert_null (message->date);
}

static void
test_acknowledge_all (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();

  g_ptr_array_add (messages, new_message ("a", "One"));
  g_ptr_array_add (messages, new_message ("b", "Two"));
  record (store, "a b", messages);
  save_store (store);

  loaded = load_store (fixture->path);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (loaded)->len, ==, 2);
  pb_seen_store_acknowledge_all (loaded);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (loaded)->len, ==, 0);
  save_store (loaded);
  g_clear_object (&loaded);

  loaded = load_store (fixture->path);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (loaded)->len, ==, 0);
  g_assert_true (pb_seen_store_contains (loaded, "a"));
  g_assert_true (pb_seen_store_contains (loaded, "b"));
}

static void
test_unchanged_not_rewritten (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  g_autoptr(GPtrArray) messages = new_messages ();
  GStatBuf before, after;

  g_ptr_array_add (messages, new_message ("a", "One"));
  record (store, "a", messages);
  save_store (store);
  stat_file (fixture->path, &before);

  /* The atomic write renames a new file into place, so a rewrite shows as a
   * new inode even within the same second. */
  save_store (store);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);

  loaded = load_store (fixture->path);
  save_store (loaded);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);
  g_assert_cmpint (before.st_mtime, ==, after.st_mtime);

  pb_seen_store_acknowledge_all (loaded);
  save_store (loaded);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, !=, after.st_ino);
  before = after;

  /* Acknowledging an empty list changes nothing. */
  pb_seen_store_acknowledge_all (loaded);
  save_store (loaded);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);

  /* A check that found the same mailbox is not worth rewriting the file
   * (which may hold 100,000 UIDLs); the time of the check waits for the next
   * change, or an hour. */
  record (loaded, "a", NULL);
  save_store (loaded);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);
  g_assert_cmpint (pb_seen_store_get_last_check (loaded), >, 0);

  /* A different mailbox is. */
  record (loaded, "b", NULL);
  save_store (loaded);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, !=, after.st_ino);
}

static void
test_creates_state_folder (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("state");
  g_autofree char *path = g_build_filename (dir, "popbell", "deeper", "work.state", NULL);
  g_autoptr(PbSeenStore) store = pb_seen_store_new (path);
  g_autoptr(PbSeenStore) loaded = NULL;
  g_autofree char *parent = g_path_get_dirname (path);
  GStatBuf st;

  record (store, "a", NULL);
  save_store (store);
  stat_file (path, &st);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  stat_file (parent, &st);
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);

  loaded = load_store (path);
  g_assert_true (pb_seen_store_contains (loaded, "a"));
  pb_test_rm_rf (dir);
}

static void
test_write_failure (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->path, "below.state", NULL);
  g_autoptr(PbSeenStore) store = pb_seen_store_new (path);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (fixture->path, "", 0, NULL));
  record (store, "a", NULL);
  g_assert_false (pb_seen_store_save (store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_IO);
  g_clear_error (&error);

  /* Still dirty: a later save tries again. */
  g_assert_cmpint (g_unlink (fixture->path), ==, 0);
  save_store (store);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

typedef struct
{
  const char *name;
  const char *contents;
  gssize      len;
} CorruptCase;

static const char nul_byte[] = "popbell-state 1\ninitialized 1\nseen a\0b\nend\n";

static const CorruptCase corrupt_cases[] = {
  { "empty", "", -1 },
  { "no-header", "initialized 1\nend\n", -1 },
  { "other-magic", "popbell-trust 1\nend\n", -1 },
  { "future-version", "popbell-state 2\ninitialized 1\nend\n", -1 },
  { "version-not-a-number", "popbell-state one\nend\n", -1 },
  { "truncated", "popbell-state 1\ninitialized 1\nlast-total 2\nseen a\nseen b", -1 },
  { "no-end-line", "popbell-state 1\ninitialized 1\nseen a\n", -1 },
  { "text-after-end", "popbell-state 1\ninitialized 1\nend\nseen a\n", -1 },
  { "uidl-with-space", "popbell-state 1\ninitialized 1\nseen a b\nend\n", -1 },
  { "uidl-empty", "popbell-state 1\ninitialized 1\nseen \nend\n", -1 },
  { "uidl-control", "popbell-state 1\ninitialized 1\nseen a\x01\nend\n", -1 },
  { "uidl-8bit", "popbell-state 1\ninitialized 1\nseen caf\xc3\xa9\nend\n", -1 },
  { "uidl-too-long",
    "popbell-state 1\ninitialized 1\n"
    "seen 12345678901234567890123456789012345678901234567890123456789012345678901\nend\n", -1 },
  { "crlf-lines", "popbell-state 1\r\ninitialized 1\r\nend\r\n", -1 },
  { "nul-byte", nul_byte, sizeof nul_byte - 1 },
  { "unknown-line", "popbell-state 1\ninitialized 1\nbogus 1\nend\n", -1 },
  { "bad-initialized", "popbell-state 1\ninitialized yes\nend\n", -1 },
  { "bad-last-total", "popbell-state 1\nlast-total -2\nend\n", -1 },
  { "bad-last-check", "popbell-state 1\nlast-check 12x\nend\n", -1 },
  { "repeated-last-check", "popbell-state 1\nlast-check 3\nlast-check 1706\nend\n", -1 },
  { "repeated-initialized", "popbell-state 1\ninitialized 1\ninitialized 0\nend\n", -1 },
  { "message-trailing-backslash", "popbell-state 1\nmessage uidl=a\tsubject=x\\\nend\n", -1 },
  { "message-unknown-escape", "popbell-state 1\nmessage subject=\\q\nend\n", -1 },
  { "message-nul-escape", "popbell-state 1\nmessage subject=a\\000b\nend\n", -1 },
  { "message-invalid-utf8", "popbell-state 1\nmessage subject=\\377\\376\nend\n", -1 },
  { "message-unknown-field", "popbell-state 1\nmessage uidl=a\tpassword=x\nend\n", -1 },
  { "message-repeated-field", "popbell-state 1\nmessage uidl=a\tuidl=b\nend\n", -1 },
  { "message-no-equals", "popbell-state 1\nmessage uidl\nend\n", -1 },
  { "message-bad-uidl", "popbell-state 1\nmessage uidl=a\\tb\nend\n", -1 },
  { "message-bad-date", "popbell-state 1\nmessage uidl=a\tdate=yesterday\nend\n", -1 },
  { "message-repeated-uidl", "popbell-state 1\nmessage uidl=a\nmessage uidl=a\nend\n", -1 },
};

static void
test_corrupt (gconstpointer data)
{
  const CorruptCase *corrupt = data;
  g_autofree char *dir = pb_test_mkdtemp ("corrupt");
  g_autofree char *path = g_build_filename (dir, "work.state", NULL);
  g_autoptr(PbSeenStore) store = pb_seen_store_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *kept = NULL;
  gsize kept_len = 0;
  gsize len = corrupt->len >= 0 ? (gsize) corrupt->len : strlen (corrupt->contents);
  const char *name;

  g_assert_true (g_file_set_contents (path, corrupt->contents, (gssize) len, NULL));

  g_assert_false (pb_seen_store_load (store, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path));

  /* Nothing of the bad file is believed: the next check starts over. */
  g_assert_false (pb_seen_store_is_initialized (store));
  g_assert_cmpuint (pb_seen_store_get_n_seen (store), ==, 0);
  g_assert_cmpuint (pb_seen_store_get_unacknowledged (store)->len, ==, 0);
  g_assert_cmpint (pb_seen_store_get_last_total (store), ==, -1);

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_assert_null (aside);
      g_assert_true (g_str_has_prefix (name, "work.state.corrupt-"));
      aside = g_build_filename (dir, name, NULL);
    }
  g_assert_nonnull (aside);
  g_assert_nonnull (strstr (error->message, aside));
  g_assert_true (g_file_get_contents (aside, &kept, &kept_len, NULL));
  g_assert_cmpmem (kept, kept_len, corrupt->contents, len);

  pb_test_rm_rf (dir);
}

static void
test_truncated_save (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = pb_seen_store_new (fixture->path);
  g_autoptr(GPtrArray) messages = new_messages ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_ptr_array_add (messages, new_message ("b", "Subject"));
  record (store, "a b c d e f", messages);
  save_store (store);

  /* A real file cut short anywhere, as after a full disk with a naive writer. */
  g_assert_true (g_file_get_contents (fixture->path, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (fixture->path, contents, (gssize) (len - 5), NULL));

  g_assert_false (pb_seen_store_load (loaded, &error));
  g_assert_error (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT);
  g_assert_false (pb_seen_store_is_initialized (loaded));
}

static void
test_hundred_thousand_uidls (Fixture       *fixture,
                             gconstpointer  data)
{
  const guint n = 100000;
  g_autoptr(PbSeenStore) store = load_store (fixture->path);
  g_autoptr(PbSeenStore) loaded = pb_seen_store_new (fixture->path);
  g_autoptr(GPtrArray) uidls = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gint64 start, saved, done;
  GStatBuf st;

  /* The shape of real UIDLs: Dovecot's "%08Xu%08Xv" and similar. */
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (uidls, g_strdup_printf ("%08X%08X.host%u", i * 2654435761u, i, i % 7));

  pb_seen_store_record_check (store, (const char * const *) uidls->pdata, n, n, NULL);
  g_assert_cmpuint (pb_seen_store_get_n_seen (store), ==, n);

  start = g_get_monotonic_time ();
  g_assert_true (pb_seen_store_save (store, &error));
  g_assert_no_error (error);
  saved = g_get_monotonic_time ();
  g_assert_true (pb_seen_store_load (loaded, &error));
  g_assert_no_error (error);
  done = g_get_monotonic_time ();

  stat_file (fixture->path, &st);
  g_test_message ("%u UIDLs (%" G_GINT64_FORMAT " bytes): save %.1f ms, load %.1f ms, "
                  "together %.1f ms",
                  n, (gint64) st.st_size, (saved - start) / 1000.0, (done - saved) / 1000.0,
                  (done - start) / 1000.0);

  g_assert_cmpuint (pb_seen_store_get_n_seen (loaded), ==, n);
  for (guint i = 0; i < n; i += 997)
    g_assert_true (pb_seen_store_contains (loaded, g_ptr_array_index (uidls, i)));
  g_assert_true (pb_seen_store_contains (loaded, g_ptr_array_index (uidls, n - 1)));
  g_assert_cmpint (pb_seen_store_get_last_total (loaded), ==, n);

  /* Generous for a loaded shared machine; it catches anything quadratic. */
  g_assert_cmpint (done - start, <, 2 * G_USEC_PER_SEC);
}

static void
test_record_unchanged (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(PbSeenStore) store = pb_seen_store_new (fixture->path);
  g_autoptr(PbSeenStore) loaded = NULL;
  GStatBuf before, after;

  /* From nothing, it still makes the store initialized. */
  pb_seen_store_record_unchanged (store, 0);
  g_assert_true (pb_seen_store_is_initialized (store));
  save_store (store);
  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

  record (store, "a b", NULL);
  save_store (store);
  stat_file (fixture->path, &before);

  /* The same mailbox: the time of the check moves, the file stays. */
  pb_seen_store_record_unchanged (store, 2);
  g_assert_cmpint (pb_seen_store_get_last_check (store), >, 0);
  save_store (store);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);
  g_assert_true (pb_seen_store_contains (store, "a"));
  g_assert_true (pb_seen_store_contains (store, "b"));

  /* A different total is worth writing. */
  pb_seen_store_record_unchanged (store, 3);
  save_store (store);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, !=, after.st_ino);

  loaded = load_store (fixture->path);
  g_assert_cmpint (pb_seen_store_get_last_total (loaded), ==, 3);
  g_assert_cmpuint (pb_seen_store_get_n_seen (loaded), ==, 2);
}

/* A state file written by hand, checked @ago seconds ago, with @n_seen UIDLs. */
static void
write_state (const char *path,
             gint64      ago,
             guint       n_seen)
{
  g_autoptr(GString) text = g_string_new ("popbell-state 1\ninitialized 1\n");
  g_autoptr(GError) error = NULL;

  g_string_append_printf (text, "last-total %u\nlast-check %" G_GINT64_FORMAT "\n", n_seen,
                          g_get_real_time () / G_USEC_PER_SEC - ago);
  for (guint i = 0; i < n_seen; i++)
    g_string_append_printf (text, "seen uidl-%u\n", i);
  g_string_append (text, "end\n");
  g_file_set_contents (path, text->str, -1, &error);
  g_assert_no_error (error);
}

static void
test_time_of_unchanged_check_saved_hourly (Fixture       *fixture,
                                           gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(PbSeenStore) recent = NULL;
  g_autoptr(PbSeenStore) old = NULL;
  GStatBuf before, after;

  /* Checked a minute ago: another check that finds the same mailbox leaves
   * the file (which can hold 100,000 UIDLs) as it is. */
  write_state (fixture->path, 60, 3);
  stat_file (fixture->path, &before);
  recent = load_store (fixture->path);
  pb_seen_store_record_unchanged (recent, 3);
  save_store (recent);
  stat_file (fixture->path, &after);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);
  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), <=, now - 60);

  /* Checked two hours ago: now the time is worth the rewrite, so that what
   * other processes read of it is at most an hour old. */
  write_state (fixture->path, 2 * 60 * 60, 3);
  old = load_store (fixture->path);
  pb_seen_store_record_unchanged (old, 3);
  save_store (old);
  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), >=, now);
  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), ==,
                   pb_seen_store_get_last_check (old));
}

static void
test_peek_reads_the_header_alone (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(PbSeenStore) store = NULL;

  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), ==, 0);

  /* 100,000 UIDLs after the header are never read. */
  write_state (fixture->path, 30, 100000);
  store = load_store (fixture->path);
  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), ==,
                   pb_seen_store_get_last_check (store));
  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), ==, now - 30);

  /* Not a state file, or a last-check after the UIDLs (no writer puts it
   * there): nothing, and the file stays where it is. */
  g_file_set_contents (fixture->path, "last-check 5\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), ==, 0);
  g_file_set_contents (fixture->path, "popbell-state 1\nseen a\nlast-check 5\nend\n", -1,
                       &error);
  g_assert_no_error (error);
  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), ==, 0);
  g_file_set_contents (fixture->path, "popbell-state 1\nlast-check 77\ngarbage\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pb_seen_store_peek_last_check (fixture->path), ==, 77);
  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

#define ADD_FIXTURE_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  pb_test_init (&argc, &argv);

  ADD_FIXTURE_TEST ("/pb/seen-store/create-destroy", test_create_destroy);
  g_test_add_func ("/pb/seen-store/path-is-in-xdg-state", test_path_for_account);
  ADD_FIXTURE_TEST ("/pb/seen-store/missing-file-is-uninitialized",
                    test_missing_file_uninitialized);
  ADD_FIXTURE_TEST ("/pb/seen-store/record-then-contains", test_record_and_contains);
  ADD_FIXTURE_TEST ("/pb/seen-store/unchanged-mailbox-keeps-the-file", test_record_unchanged);
  ADD_FIXTURE_TEST ("/pb/seen-store/empty-mailbox-is-initialized",
                    test_empty_mailbox_is_initialized);
  ADD_FIXTURE_TEST ("/pb/seen-store/vanished-uidls-are-pruned", test_vanished_uidls_pruned);
  ADD_FIXTURE_TEST ("/pb/seen-store/unacknowledged-has-no-duplicates",
                    test_unacknowledged_no_duplicates);
  ADD_FIXTURE_TEST ("/pb/seen-store/server-without-uidl-keeps-seen-set",
                    test_server_without_uidl);
  ADD_FIXTURE_TEST ("/pb/seen-store/invalid-server-uidls-are-ignored",
                    test_invalid_server_uidls_ignored);
  ADD_FIXTURE_TEST ("/pb/seen-store/unacknowledged-round-trips-exactly",
                    test_unacknowledged_round_trip);
  ADD_FIXTURE_TEST ("/pb/seen-store/acknowledge-all-clears-the-list", test_acknowledge_all);
  ADD_FIXTURE_TEST ("/pb/seen-store/unchanged-store-is-not-rewritten",
                    test_unchanged_not_rewritten);
  ADD_FIXTURE_TEST ("/pb/seen-store/time-of-an-unchanged-check-is-saved-hourly",
                    test_time_of_unchanged_check_saved_hourly);
  ADD_FIXTURE_TEST ("/pb/seen-store/peek-reads-the-header-alone", test_peek_reads_the_header_alone);
  g_test_add_func ("/pb/seen-store/save-creates-state-folder", test_creates_state_folder);
  ADD_FIXTURE_TEST ("/pb/seen-store/write-failure-is-io-error", test_write_failure);
  ADD_FIXTURE_TEST ("/pb/seen-store/truncated-file-is-set-aside", test_truncated_save);

  for (guint i = 0; i < G_N_ELEMENTS (corrupt_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pb/seen-store/corrupt/%s-is-set-aside",
                                               corrupt_cases[i].name);

      g_test_add_data_func (path, &corrupt_cases[i], test_corrupt);
    }

  ADD_FIXTURE_TEST ("/pb/seen-store/hundred-thousand-uidls-round-trip",
                    test_hundred_thousand_uidls);

  return g_test_run ();
}
