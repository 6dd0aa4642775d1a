/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The accounts.ini loader. Every account it accepts is usable (valid ID,
 * host, user, one-line text), and saving then loading again gives the same
 * accounts back. */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "pb-account-store.h"
#include "pb-error.h"

static gboolean
is_one_line (const char *text)
{
  return text == NULL || (g_utf8_validate (text, -1, NULL) && strpbrk (text, "\r\n") == NULL);
}

static void
check_account (PbAccount *account)
{
  pb_fuzz_check (pb_account_id_is_valid (pb_account_get_id (account)), "an invalid ID");
  pb_fuzz_check (pb_account_get_host (account) != NULL && *pb_account_get_host (account) != '\0',
                 "an account without host");
  pb_fuzz_check (pb_account_get_user (account) != NULL && *pb_account_get_user (account) != '\0',
                 "an account without user");
  pb_fuzz_check (is_one_line (pb_account_get_display_name (account)) &&
                 is_one_line (pb_account_get_host (account)) &&
                 is_one_line (pb_account_get_user (account)) &&
                 is_one_line (pb_account_get_ca_file (account)), "a value with a line break");
  pb_fuzz_check (pb_account_get_port (account) > 0, "port 0");
  pb_fuzz_check (pb_account_get_interval (account) >= 1, "an interval below one minute");
}

/* pb-account-store.c never writes a password back, whatever the file held. */
static void
check_no_secret_keys (const char *path)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_auto(GStrv) groups = NULL;

  pb_fuzz_check (g_key_file_load_from_file (key_file, path, G_KEY_FILE_KEEP_TRANSLATIONS, NULL),
                 "a saved file GKeyFile cannot read");
  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (key_file, groups[i], NULL, NULL);

      for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
        {
          g_autofree char *base = g_strdup (keys[j]);

          if (strchr (base, '[') != NULL)
            *strchr (base, '[') = '\0';
          g_strstrip (base);
          pb_fuzz_check (g_ascii_strcasecmp (base, "password") != 0 &&
                         g_ascii_strcasecmp (base, "pass") != 0 &&
                         g_ascii_strcasecmp (base, "secret") != 0,
                         "a password written back to accounts.ini");
        }
    }
}

static gboolean
same_account (PbAccount *a,
              PbAccount *b)
{
  return g_strcmp0 (pb_account_get_id (a), pb_account_get_id (b)) == 0 &&
         g_strcmp0 (pb_account_get_display_name (a), pb_account_get_display_name (b)) == 0 &&
         g_strcmp0 (pb_account_get_host (a), pb_account_get_host (b)) == 0 &&
         pb_account_get_port (a) == pb_account_get_port (b) &&
         pb_account_get_security (a) == pb_account_get_security (b) &&
         g_strcmp0 (pb_account_get_user (a), pb_account_get_user (b)) == 0 &&
         pb_account_get_enabled (a) == pb_account_get_enabled (b) &&
         pb_account_get_interval (a) == pb_account_get_interval (b) &&
         g_strcmp0 (pb_account_get_ca_file (a), pb_account_get_ca_file (b)) == 0;
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
  g_autofree char *path = pb_fuzz_write_file ("accounts.ini", data, size);
  g_autoptr(PbAccountStore) store = pb_account_store_new (path);
  g_autoptr(PbAccountStore) again = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *accounts;

  if (!pb_account_store_load (store, &error))
    {
      pb_fuzz_check (g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT),
                     "a bad account file is not reported as corrupt");
      pb_fuzz_check (pb_account_store_get_accounts (store)->len == 0,
                     "a rejected file left accounts behind");
      pb_fuzz_check (!g_file_test (path, G_FILE_TEST_EXISTS), "a corrupt file was not set aside");
      pb_fuzz_clean_tmpdir ();
      return 0;
    }

  accounts = pb_account_store_get_accounts (store);
  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);

      check_account (account);
      pb_fuzz_check (pb_account_store_lookup (store, pb_account_get_id (account)) == account,
                     "an account that lookup does not find");
    }

  pb_fuzz_check (pb_account_store_save (store, &error), "accepted accounts do not save");
  check_no_secret_keys (path);
  again = pb_account_store_new (path);
  pb_fuzz_check (pb_account_store_load (again, &error), "saved accounts do not load");
  /* Every account comes back as it was. A group skipped for a value GKeyFile
   * writes back in another form (a CR before a NUL byte or before "\r\n")
   * may come back valid: the skipped group is kept raw, as the file had it. */
  for (guint i = 0; i < accounts->len; i++)
    {
      PbAccount *account = g_ptr_array_index (accounts, i);
      PbAccount *account_again = pb_account_store_lookup (again, pb_account_get_id (account));

      pb_fuzz_check (account_again != NULL, "an account lost on the way through the file");
      pb_fuzz_check (same_account (account, account_again),
                     "an account changed on the way through the file");
    }

  pb_fuzz_clean_tmpdir ();
  return 0;
}
