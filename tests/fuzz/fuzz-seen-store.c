/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The state file loader (<account>.state). A file it accepts must save and
 * load again to the same state; a file it rejects is set aside and leaves an
 * uninitialized store. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-error.h"
#include "pb-seen-store.h"

static gboolean
same_message (const PbMessage *a,
              const PbMessage *b)
{
  return g_strcmp0 (a->uidl, b->uidl) == 0 &&
         g_strcmp0 (a->from, b->from) == 0 &&
         g_strcmp0 (a->from_name, b->from_name) == 0 &&
         g_strcmp0 (a->from_address, b->from_address) == 0 &&
         g_strcmp0 (a->subject, b->subject) == 0 &&
         g_strcmp0 (a->message_id, b->message_id) == 0 &&
         (a->date == NULL ? b->date == NULL : b->date != NULL && g_date_time_equal (a->date,
                                                                                     b->date));
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  pb_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *path = pb_fuzz_write_file ("fuzz.state", data, size);
  g_autoptr(PbSeenStore) store = pb_seen_store_new (path);
  g_autoptr(PbSeenStore) again = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *messages, *messages_again;
  gint64 total;
  gint64 peeked;

  /* The header read: never more than the file says, whatever it holds. */
  peeked = pb_seen_store_peek_last_check (path);

  if (!pb_seen_store_load (store, &error))
    {
      pb_fuzz_check (g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT),
                     "a bad state file is not reported as corrupt");
      pb_fuzz_check (!pb_seen_store_is_initialized (store) &&
                     pb_seen_store_get_n_seen (store) == 0 &&
                     pb_seen_store_get_unacknowledged (store)->len == 0,
                     "a rejected file left state behind");
      pb_fuzz_check (!g_file_test (path, G_FILE_TEST_EXISTS), "a corrupt file was not set aside");
      pb_fuzz_clean_tmpdir ();
      return 0;
    }

  pb_fuzz_check (peeked == 0 || peeked == pb_seen_store_get_last_check (store),
                 "the header read another last-check than the file holds");

  /* Saving writes only what changed: make it a recorded check. */
  total = pb_seen_store_get_last_total (store);
  pb_seen_store_record_unchanged (store, total >= 0 && total < G_MAXUINT ? (guint) total + 1 : 1);
  g_clear_error (&error);
  pb_fuzz_check (pb_seen_store_save (store, &error), "an accepted state does not save");

  again = pb_seen_store_new (path);
  pb_fuzz_check (pb_seen_store_load (again, &error), "a saved state does not load");
  pb_fuzz_check (pb_seen_store_is_initialized (again), "initialized lost");
  pb_fuzz_check (pb_seen_store_get_last_total (again) == pb_seen_store_get_last_total (store),
                 "last-total changed");
  pb_fuzz_check (pb_seen_store_get_last_check (again) == pb_seen_store_get_last_check (store),
                 "last-check changed");
  pb_fuzz_check (pb_seen_store_peek_last_check (path) == pb_seen_store_get_last_check (store),
                 "a saved file's header does not give its last-check");
  pb_fuzz_check (pb_seen_store_get_n_seen (again) == pb_seen_store_get_n_seen (store),
                 "the number of seen UIDLs changed");

  messages = pb_seen_store_get_unacknowledged (store);
  messages_again = pb_seen_store_get_unacknowledged (again);
  pb_fuzz_check (messages->len == messages_again->len, "unacknowledged messages lost");
  for (guint i = 0; i < messages->len; i++)
    {
      const PbMessage *message = g_ptr_array_index (messages, i);

      pb_fuzz_check (same_message (message, g_ptr_array_index (messages_again, i)),
                     "a message changed on the way through the file");
      if (message->uidl != NULL)
        pb_fuzz_check (g_utf8_validate (message->uidl, -1, NULL), "a UIDL that is not text");
    }

  pb_fuzz_clean_tmpdir ();
  return 0;
}
