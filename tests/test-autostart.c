/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <string.h>
#include <glib/gstdio.h>

#include "pb-autostart.h"
#include "pb-mail-client.h"
#include "pb-settings.h"
#include "pb-test-util.h"

#define TIMEOUT_S 10

/* Settings of their own for each test, in memory. */
static GSettings *
settings_new (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettingsSchema) schema = NULL;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            PB_SETTINGS_SCHEMA, FALSE);
  g_assert_nonnull (schema);
  return g_settings_new_full (schema, backend, NULL);
}

static gboolean
file_exists (const char *path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
on_poll (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates until @path exists or @present is FALSE and it doesn't. */
static void
wait_for_file (const char *path,
               gboolean    present)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  guint poll = g_timeout_add (20, on_poll, NULL);

  while (file_exists (path) != present)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not %s in time", path, present ? "appear" : "go away");
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (poll);
}

static void
validate_desktop_file (const char *path)
{
  const char *argv[] = { "desktop-file-validate", path, NULL };
  g_autofree char *program = g_find_program_in_path (argv[0]);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (program == NULL)
    {
      g_test_message ("desktop-file-validate is not installed: not validated");
      return;
    }

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("desktop-file-validate %s failed:\n%s%s", path, out, err);
}

static void
assert_entry_key (GKeyFile   *entry,
                  const char *key,
                  const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, key, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, expected);
}

static void
test_autostart_path (void)
{
  g_autofree char *path = pb_autostart_get_path ();
  g_autofree char *expected = g_build_filename (g_getenv ("XDG_CONFIG_HOME"), "autostart",
                                                APP_ID ".desktop", NULL);

  g_assert_cmpstr (path, ==, expected);
}

static void
test_autostart_enable_writes_a_valid_entry (void)
{
  g_autofree char *path = pb_autostart_get_path ();
  g_autoptr(GKeyFile) entry = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (file_exists (path));
  g_assert_true (pb_autostart_apply (TRUE, "/opt/popbell/bin/popbell", &error));
  g_assert_no_error (error);

  validate_desktop_file (path);
  g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  assert_entry_key (entry, G_KEY_FILE_DESKTOP_KEY_TYPE, "Application");
  assert_entry_key (entry, G_KEY_FILE_DESKTOP_KEY_NAME, "Popbell");
  assert_entry_key (entry, G_KEY_FILE_DESKTOP_KEY_EXEC, "/opt/popbell/bin/popbell");
  assert_entry_key (entry, G_KEY_FILE_DESKTOP_KEY_ICON, APP_ID);
  assert_entry_key (entry, G_KEY_FILE_DESKTOP_KEY_HIDDEN, "false");
  assert_entry_key (entry, "X-GNOME-Autostart-enabled", "true");

  /* Again: rewritten in place, not an error. */
  g_assert_true (pb_autostart_apply (TRUE, "popbell", &error));
  g_assert_no_error (error);
  g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  assert_entry_key (entry, G_KEY_FILE_DESKTOP_KEY_EXEC, "popbell");

  g_assert_true (pb_autostart_apply (FALSE, NULL, &error));
  g_assert_no_error (error);
}

static void
test_autostart_disable_removes_the_entry (void)
{
  g_autofree char *path = pb_autostart_get_path ();
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_autostart_apply (TRUE, "popbell", &error));
  g_assert_no_error (error);
  g_assert_true (file_exists (path));

  g_assert_true (pb_autostart_apply (FALSE, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (file_exists (path));

  /* Nothing to remove is fine. */
  g_assert_true (pb_autostart_apply (FALSE, NULL, &error));
  g_assert_no_error (error);
}

static void
test_autostart_follows_the_setting (void)
{
  g_autofree char *path = pb_autostart_get_path ();
  g_autoptr(GSettings) settings = settings_new ();
  g_autoptr(GKeyFile) entry = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  gulong handler;

  /* On by default, but not written before the user has seen the choice. */
  handler = pb_autostart_follow (settings, "popbell --from-login");
  g_assert_cmpuint (handler, !=, 0);
  g_assert_false (file_exists (path));
  g_assert_false (pb_autostart_was_chosen (settings));

  /* The wizard's "Start Popbell when I log in", left checked. */
  pb_autostart_choose (settings, TRUE);
  g_assert_true (pb_autostart_was_chosen (settings));
  wait_for_file (path, TRUE);
  g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  assert_entry_key (entry, G_KEY_FILE_DESKTOP_KEY_EXEC, "popbell --from-login");

  g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN, FALSE);
  wait_for_file (path, FALSE);

  g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN, TRUE);
  wait_for_file (path, TRUE);

  /* Not followed any more. */
  g_signal_handler_disconnect (settings, handler);
  g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN, FALSE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_true (file_exists (path));

  g_assert_true (pb_autostart_apply (FALSE, NULL, &error));
  g_assert_no_error (error);
}

static void
test_autostart_follow_off_removes_a_stale_entry (void)
{
  g_autofree char *path = pb_autostart_get_path ();
  g_autoptr(GSettings) settings = settings_new ();
  g_autoptr(GError) error = NULL;
  gulong handler;

  g_assert_true (pb_autostart_apply (TRUE, "popbell", &error));
  g_assert_no_error (error);

  g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN, FALSE);
  handler = pb_autostart_follow (settings, "popbell");
  g_assert_false (file_exists (path));
  g_signal_handler_disconnect (settings, handler);
}

/* The preference changed before any wizard asked: that is the choice too. */
static void
test_autostart_preference_is_a_choice (void)
{
  g_autofree char *path = pb_autostart_get_path ();
  g_autoptr(GSettings) settings = settings_new ();
  g_autoptr(GError) error = NULL;
  gulong handler;

  handler = pb_autostart_follow (settings, "popbell");
  g_assert_false (file_exists (path));
  g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN, FALSE);
  g_settings_set_boolean (settings, PB_SETTINGS_START_AT_LOGIN, TRUE);
  wait_for_file (path, TRUE);
  g_assert_true (pb_autostart_was_chosen (settings));

  /* Unchecked in the wizard: nothing written. */
  g_settings_reset (settings, PB_SETTINGS_START_AT_LOGIN_ASKED);
  g_assert_true (pb_autostart_apply (FALSE, NULL, &error));
  g_assert_no_error (error);
  pb_autostart_choose (settings, FALSE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (file_exists (path));
  g_signal_handler_disconnect (settings, handler);
}

/* ---- The mail client ------------------------------------------------------ */

static void
test_mail_client_custom_command_runs (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("mail-client");
  g_autofree char *marker = g_build_filename (dir, "opened 100%", NULL);
  g_autofree char *quoted = g_shell_quote (marker);
  g_autofree char *command = g_strdup_printf ("touch %s", quoted);
  g_autoptr(GSettings) settings = settings_new ();
  g_autoptr(GError) error = NULL;

  /* A '%' in the command is meant literally. */
  g_settings_set_string (settings, PB_SETTINGS_MAIL_CLIENT, command);
  g_assert_true (pb_mail_client_open (settings, NULL, &error));
  g_assert_no_error (error);
  wait_for_file (marker, TRUE);
}

static void
test_mail_client_bad_command_fails (void)
{
  g_autoptr(GSettings) settings = settings_new ();
  g_autoptr(GError) error = NULL;

  g_settings_set_string (settings, PB_SETTINGS_MAIL_CLIENT, "mailer 'unfinished");
  g_assert_false (pb_mail_client_open (settings, NULL, &error));
  g_assert_error (error, G_SHELL_ERROR, G_SHELL_ERROR_BAD_QUOTING);
  g_assert_nonnull (strstr (error->message, "mail client command"));
}

static void
test_mail_client_none_is_a_clear_error (void)
{
  g_autoptr(GSettings) settings = settings_new ();
  g_autoptr(GError) error = NULL;

  /* main () left no applications in sight; blanks are no command. */
  g_settings_set_string (settings, PB_SETTINGS_MAIL_CLIENT, "  ");
  g_assert_false (pb_mail_client_open (settings, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "No mail client"));
  g_clear_error (&error);

  g_assert_false (pb_mail_client_open (NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* An account with webmail opens it in the browser (the handler of https://),
 * with its address; one without opens the mail client. */
static void
test_mail_client_webmail_opens_the_browser (void)
{
  g_autofree char *marker = NULL;
  g_autofree char *desktop_path = NULL;
  g_autofree char *mimeapps_path = NULL;
  g_autofree char *desktop = NULL;
  g_autofree char *opened = NULL;
  g_autoptr(PbAccount) account = pb_account_new ("web");
  g_autoptr(GError) error = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  marker = g_build_filename (pb_test_get_tmpdir (), "browser-opened", NULL);
  desktop_path = g_build_filename (g_get_user_data_dir (), "applications",
                                   "pb-test-browser.desktop", NULL);
  mimeapps_path = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);
  desktop = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Test Browser\n"
                             "Exec=sh -c 'echo \"$1\" > %s' sh %%u\n"
                             "MimeType=x-scheme-handler/https;\n", marker);
  write_file (desktop_path, desktop);
  write_file (mimeapps_path, "[Default Applications]\n"
                             "x-scheme-handler/https=pb-test-browser.desktop\n");

  pb_account_set_webmail (account, "https://mail.google.com/");
  g_assert_true (pb_mail_client_open_for (NULL, account, NULL, &error));
  g_assert_no_error (error);
  wait_for_file (marker, TRUE);
  /* The file is written a moment after it appears. */
  for (guint i = 0; i < 100 && (opened == NULL || *opened == '\0'); i++)
    {
      g_clear_pointer (&opened, g_free);
      g_usleep (20 * 1000);
      g_file_get_contents (marker, &opened, NULL, NULL);
    }
  g_assert_cmpstr (opened, ==, "https://mail.google.com/\n");
}

static void
test_mail_client_default_handler_runs (void)
{
  g_autofree char *marker = NULL;
  g_autofree char *desktop_path = NULL;
  g_autofree char *mimeapps_path = NULL;
  g_autofree char *desktop = NULL;
  g_autoptr(GError) error = NULL;

  /* A process of its own: GIO reads the installed applications once. */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  marker = g_build_filename (pb_test_get_tmpdir (), "mailer-opened", NULL);
  desktop_path = g_build_filename (g_get_user_data_dir (), "applications",
                                   "pb-test-mailer.desktop", NULL);
  mimeapps_path = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);
  desktop = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Test Mailer\n"
                             "Exec=touch %s %%u\nMimeType=x-scheme-handler/mailto;\n", marker);
  write_file (desktop_path, desktop);
  write_file (mimeapps_path, "[Default Applications]\n"
                             "x-scheme-handler/mailto=pb-test-mailer.desktop\n");

  /* No address goes to it: %u expands to nothing. */
  g_assert_true (pb_mail_client_open (NULL, NULL, &error));
  g_assert_no_error (error);
  wait_for_file (marker, TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *no_apps = NULL;

  pb_test_init (&argc, &argv);

  /* Only applications the tests install, never the system's mail client. */
  no_apps = g_build_filename (pb_test_get_tmpdir (), "no-apps", NULL);
  g_assert_cmpint (g_mkdir_with_parents (no_apps, 0700), ==, 0);
  g_setenv ("XDG_DATA_DIRS", no_apps, TRUE);

  g_test_add_func ("/pb/autostart/path-is-in-xdg-config", test_autostart_path);
  g_test_add_func ("/pb/autostart/enable-writes-a-valid-entry",
                   test_autostart_enable_writes_a_valid_entry);
  g_test_add_func ("/pb/autostart/disable-removes-the-entry",
                   test_autostart_disable_removes_the_entry);
  g_test_add_func ("/pb/autostart/follows-the-setting", test_autostart_follows_the_setting);
  g_test_add_func ("/pb/autostart/follow-off-removes-a-stale-entry",
                   test_autostart_follow_off_removes_a_stale_entry);
  g_test_add_func ("/pb/autostart/preference-change-is-a-choice",
                   test_autostart_preference_is_a_choice);
  g_test_add_func ("/pb/mail-client/custom-command-runs", test_mail_client_custom_command_runs);
  g_test_add_func ("/pb/mail-client/bad-command-fails", test_mail_client_bad_command_fails);
  g_test_add_func ("/pb/mail-client/none-is-a-clear-error",
                   test_mail_client_none_is_a_clear_error);
  g_test_add_func ("/pb/mail-client/webmail-opens-the-browser",
                   test_mail_client_webmail_opens_the_browser);
  g_test_add_func ("/pb/mail-client/default-handler-runs",
                   test_mail_client_default_handler_runs);

  return g_test_run ();
}
