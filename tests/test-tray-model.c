/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "pb-actions.h"
#include "pb-message.h"
#include "pb-seen-store.h"
#include "pb-test-clock.h"
#include "pb-test-network.h"
#include "pb-test-util.h"
#include "pb-tray-model.h"

/* What the tray shows, read straight from the model: no bus, no host. */

typedef struct
{
  char           *dir;
  char           *state_dir;
  PbAccountStore *accounts;
  PbTrustStore   *pins;
  PbMonitor      *monitor;
} Fixture;

static void
add_account (Fixture    *fixture,
             const char *id,
             const char *name)
{
  g_autoptr(PbAccount) account = pb_account_new (id);
  g_autoptr(GError) error = NULL;

  pb_account_set_display_name (account, name);
  pb_account_set_host (account, "localhost");
  pb_account_set_port (account, 1);
  pb_account_set_user (account, "alice");
  pb_account_store_add (fixture->accounts, account, &error);
  g_assert_no_error (error);
}

/* Unread mail from an earlier session (or none): the account was checked. */
static void
write_state (Fixture    *fixture,
             const char *id,
             const char *subject)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.state", fixture->state_dir, id);
  g_autoptr(PbSeenStore) seen = pb_seen_store_new (path);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  g_autoptr(GError) error = NULL;
  const char *uidls[] = { "old", "new" };

  if (subject != NULL)
    {
      g_autofree char *headers = g_strdup_printf ("From: Ada_L <ada@example.org>\r\n"
                                                  "Subject: %s\r\n\r\n", subject);
      g_ptr_array_add (messages, pb_message_new_from_headers ("new", headers, strlen (headers)));
    }
  pb_seen_store_record_check (seen, uidls, subject != NULL ? 2 : 1, subject != NULL ? 2 : 1,
                              messages);
  pb_seen_store_save (seen, &error);
  g_assert_no_error (error);
}

static void
start (Fixture *fixture)
{
  /* Nothing runs: the test clock fires no check unless told to. */
  g_autoptr(PbTestClock) clock = pb_test_clock_new ();
  g_autoptr(PbTestNetwork) network = pb_test_network_new (TRUE);
  g_autoptr(PbScheduler) scheduler = pb_scheduler_new (PB_CLOCK (clock),
                                                       G_NETWORK_MONITOR (network), FALSE);

  fixture->monitor = pb_monitor_new (fixture->accounts, fixture->pins, scheduler,
                                     fixture->state_dir);
  pb_monitor_start (fixture->monitor);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *accounts = NULL;
  g_autofree char *trust = NULL;

  fixture->dir = pb_test_mkdtemp ("tray-model");
  fixture->state_dir = g_build_filename (fixture->dir, "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->state_dir, 0700), ==, 0);
  accounts = g_build_filename (fixture->dir, "accounts.ini", NULL);
  trust = g_build_filename (fixture->dir, "trust.ini", NULL);
  fixture->accounts = pb_account_store_new (accounts);
  fixture->pins = pb_trust_store_new (trust);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->monitor);
  g_clear_object (&fixture->accounts);
  g_clear_object (&fixture->pins);
  pb_test_rm_rf (fixture->dir);
  g_free (fixture->state_dir);
  g_free (fixture->dir);
}

/* "id label [action(target)]" per item, separators as "---". */
static char *
describe (GPtrArray *items)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < items->len; i++)
    {
      const PbMenuItem *item = g_ptr_array_index (items, i);

      if (item->separator)
        {
          g_string_append_printf (out, "%d ---\n", item->id);
          continue;
        }
      g_string_append_printf (out, "%d %s%s", item->id, item->label,
                              item->enabled ? "" : " (disabled)");
      if (item->action != NULL)
        g_string_append_printf (out, " [%s(%s)]", item->action,
                                item->target != NULL ? item->target : "");
      g_string_append_c (out, '\n');
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_new_mail (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(PbTrayModel) model = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GVariant) tool_tip = NULL;
  g_autofree char *menu = NULL;
  const char *icon, *title, *body;
  PbStatus look;

  add_account (fixture, "home", "Home");
  add_account (fixture, "lab", "R&D_Lab");
  write_state (fixture, "home", "Hello_world");
  write_state (fixture, "lab", NULL);
  start (fixture);
  model = pb_tray_model_new (fixture->monitor);

  look = pb_tray_model_get_look (model, PB_STATUS_NO_MAIL);
  g_assert_cmpint (look, ==, PB_STATUS_NEW_MAIL);
  g_assert_cmpstr (pb_tray_model_icon_name (look), ==, "popbell-new-mail-symbolic");
  g_assert_cmpstr (pb_tray_model_status (look), ==, "NeedsAttention");

  tool_tip = g_variant_ref_sink (pb_tray_model_build_tool_tip (model, look));
  g_variant_get (tool_tip, "(&s@a(iiay)&s&s)", &icon, NULL, &title, &body);
  g_assert_cmpstr (icon, ==, "popbell-new-mail-symbolic");
  g_assert_cmpstr (title, ==, "Popbell");
  g_assert_cmpstr (body, ==, "Home: 1 new\nR&amp;D_Lab: no new mail");

  /* Labels are plain text: the exporter, not the model, keeps '_' from
   * becoming a mnemonic. */
  items = pb_tray_model_build_menu (model);
  menu = describe (items);
  g_assert_cmpstr (menu, ==,
                   "12 Show new mail [" PB_ACTION_SHOW_WINDOW "()]\n"
                   "1 Check now [" PB_ACTION_CHECK_NOW "()]\n"
                   "2 ---\n"
                   "100 Ada_L — Hello_world [" PB_ACTION_OPEN_MAIL "(home)]\n"
                   "5 ---\n"
                   "6 Mark all as read [" PB_ACTION_MARK_READ "()]\n"
                   "7 Open mail client [" PB_ACTION_OPEN_MAIL_CLIENT "()]\n"
                   "9 ---\n"
                   "10 Accounts and preferences… [" PB_ACTION_PREFERENCES "()]\n"
                   "11 Quit [" PB_ACTION_QUIT "()]\n");
}

/* Before any check: no look of "no mail", and the menu says so. */
static void
test_not_checked_yet (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(PbTrayModel) model = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *menu = NULL;

  add_account (fixture, "home", "Home");
  start (fixture);
  model = pb_tray_model_new (fixture->monitor);
  items = pb_tray_model_build_menu (model);
  menu = describe (items);
  g_assert_nonnull (strstr (menu, "3 Not checked yet (disabled)\n"));
  g_assert_nonnull (strstr (menu, "6 Mark all as read (disabled)"));
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add ("/pb/tray-model/new-mail", Fixture, NULL, fixture_setup, test_new_mail,
              fixture_teardown);
  g_test_add ("/pb/tray-model/not-checked-yet", Fixture, NULL, fixture_setup,
              test_not_checked_yet, fixture_teardown);
  return g_test_run ();
}
