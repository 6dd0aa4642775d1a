/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `meson install --destdir` of this build: every file a desktop needs is
 * installed where it belongs, and the installed files validate. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "pb-test-util.h"

static char *destdir;

static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL)
    g_error ("%s is not set (tests/meson.build sets it)", name);
  return value;
}

/* $DESTDIR + the installed path of @file in the directory $@dir_variable. */
static char *
installed (const char *dir_variable,
           const char *file)
{
  return g_build_filename (destdir, env (dir_variable), file, NULL);
}

static void
assert_installed_file (const char *path)
{
  GStatBuf st;

  g_test_message ("%s", path);
  if (g_stat (path, &st) != 0)
    g_error ("%s was not installed", path);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_size, >, 0);
}

static void
assert_installed_program (const char *path)
{
  assert_installed_file (path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE));
}

/* Runs @argv, which must succeed; FALSE (the test skipped) when its program
 * isn't installed. */
static gboolean
run (const char *const *argv,
     char             **output)
{
  g_autofree char *program = g_find_program_in_path (argv[0]);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (program == NULL)
    {
      g_autofree char *message = g_strdup_printf ("%s is not installed", argv[0]);

      g_test_skip (message);
      return FALSE;
    }

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed:\n%s%s", argv[0], out, err);
  g_test_message ("%s: %s%s", argv[0], out, err);
  if (output != NULL)
    *output = g_steal_pointer (&out);
  return TRUE;
}

static void
install_once (void)
{
  g_autofree char *builddir = g_test_build_filename (G_TEST_BUILT, "..", NULL);
  const char *argv[] = { "meson", "install", "--no-rebuild", "--quiet", "-C", builddir,
                         "--destdir", NULL, NULL };

  if (destdir != NULL)
    return;
  destdir = pb_test_mkdtemp ("destdir");
  argv[7] = destdir;
  /* The test is skipped when meson is missing; then every check below is. */
  if (!run (argv, NULL))
    g_clear_pointer (&destdir, g_free);
}

static void
test_installs_the_programs (void)
{
  g_autofree char *popbell = NULL;
  g_autofree char *applet = NULL;
  g_autofree char *version = NULL;

  install_once ();
  if (destdir == NULL)
    return;

  popbell = installed ("PB_BINDIR", "popbell");
  applet = g_build_filename (destdir, POPBELL_APPLET_PATH, NULL);
  assert_installed_program (popbell);
  assert_installed_program (applet);

  {
    const char *argv[] = { popbell, "--version", NULL };

    run (argv, &version);
    g_assert_cmpstr (version, ==, "popbell " PACKAGE_VERSION "\n");
  }
}

static void
test_installs_the_desktop_file (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *name_ja = NULL;

  install_once ();
  if (destdir == NULL)
    return;

  path = installed ("PB_DATADIR", "applications/" APP_ID ".desktop");
  assert_installed_file (path);

  g_key_file_load_from_file (file, path, G_KEY_FILE_KEEP_TRANSLATIONS, &error);
  g_assert_no_error (error);
  exec = g_key_file_get_string (file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC,
                                &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exec, ==, "popbell");
  name_ja = g_key_file_get_locale_string (file, G_KEY_FILE_DESKTOP_GROUP, "GenericName", "ja",
                                          &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name_ja, ==, "メール通知");

  {
    const char *argv[] = { "desktop-file-validate", path, NULL };

    run (argv, NULL);
  }
}

static void
test_installs_the_metainfo (void)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  static const char *const screenshots[] = {
    "mail-window.png", "wizard.png", "trust-dialog.png", "preferences.png",
  };

  install_once ();
  if (destdir == NULL)
    return;

  path = installed ("PB_DATADIR", "metainfo/" APP_ID ".metainfo.xml");
  assert_installed_file (path);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (screenshots); i++)
    {
      g_autofree char *url = g_strconcat ("<image>https://raw.githubusercontent.com/popbell/"
                                          "popbell/main/data/screenshots/", screenshots[i],
                                          "</image>", NULL);
      g_assert_nonnull (strstr (contents, url));
    }
  g_assert_nonnull (strstr (contents, "<release version=\"" PACKAGE_VERSION "\""));
  g_assert_nonnull (strstr (contents, "<caption xml:lang=\"ja\">"));
  g_assert_nonnull (strstr (contents, "<binary>popbell</binary>"));

  {
    const char *argv[] = { "appstreamcli", "validate", "--no-net", path, NULL };

    run (argv, NULL);
  }
}

static void
test_installs_the_schema (void)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;

  install_once ();
  if (destdir == NULL)
    return;

  path = installed ("PB_DATADIR", "glib-2.0/schemas/" APP_ID ".gschema.xml");
  assert_installed_file (path);
  dir = g_path_get_dirname (path);

  {
    const char *argv[] = { "glib-compile-schemas", "--strict", "--dry-run", dir, NULL };

    run (argv, NULL);
  }
}

static void
test_installs_the_dbus_service (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;
  g_auto(GStrv) words = NULL;
  g_autofree char *program = NULL;

  install_once ();
  if (destdir == NULL)
    return;

  path = installed ("PB_DATADIR", "dbus-1/services/" APP_ID ".service");
  assert_installed_file (path);

  g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  exec = g_key_file_get_string (file, "D-BUS Service", "Exec", &error);
  g_assert_no_error (error);
  words = g_strsplit (exec, " ", -1);
  /* It starts a program that was installed. */
  program = g_build_filename (destdir, words[0], NULL);
  assert_installed_program (program);
}

/* Other programs read the applet's interface from there (gdbus-codegen, D-Feet). */
static void
test_installs_the_dbus_interface (void)
{
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GError) error = NULL;

  install_once ();
  if (destdir == NULL)
    return;

  path = installed ("PB_DATADIR", "dbus-1/interfaces/" APP_ID "1.xml");
  assert_installed_file (path);
  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_dbus_node_info_lookup_interface (node, APP_ID "1"));
}

static void
test_installs_the_icons (void)
{
  static const char *const icons[] = {
    "hicolor/scalable/apps/" APP_ID ".svg",
    "hicolor/symbolic/apps/popbell-no-mail-symbolic.svg",
    "hicolor/symbolic/apps/popbell-new-mail-symbolic.svg",
    "hicolor/symbolic/apps/popbell-error-symbolic.svg",
    "hicolor/symbolic/apps/popbell-offline-symbolic.svg",
  };

  install_once ();
  if (destdir == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (icons); i++)
    {
      g_autofree char *name = g_build_filename ("icons", icons[i], NULL);
      g_autofree char *path = installed ("PB_DATADIR", name);

      assert_installed_file (path);
    }
}

static void
test_installs_the_translations (void)
{
  g_autofree char *mo = NULL;

  install_once ();
  if (destdir == NULL)
    return;

  mo = g_build_filename (destdir, LOCALEDIR, "ja", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  assert_installed_file (mo);
}

static void
test_installs_the_manual_page (void)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) options = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRegex) option = g_regex_new ("^  --([a-z-]+)", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *popbell = NULL;
  g_autofree char *help = NULL;
  const char *application_options;

  install_once ();
  if (destdir == NULL)
    return;

  /* The options as the program itself lists them. */
  popbell = installed ("PB_BINDIR", "popbell");
  {
    const char *argv[] = { popbell, "--help", NULL };

    run (argv, &help);
  }
  application_options = strstr (help, "Application Options:");
  g_assert_nonnull (application_options);
  g_regex_match (option, application_options, 0, &match);
  while (g_match_info_matches (match))
    {
      g_ptr_array_add (options, g_match_info_fetch (match, 1));
      g_match_info_next (match, NULL);
    }
  g_assert_cmpuint (options->len, >, 20);

  path = installed ("PB_MANDIR", "man1/popbell.1");
  assert_installed_file (path);
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (g_str_has_prefix (contents, ".\\\" SPDX-License-Identifier"));
  g_assert_nonnull (strstr (contents, ".TH POPBELL 1"));
  g_assert_nonnull (strstr (contents, "Popbell " PACKAGE_VERSION));
  g_assert_null (strstr (contents, "@VERSION@"));
  /* Each option of the command line has its own paragraph. */
  for (guint i = 0; i < options->len; i++)
    {
      const char *name = g_ptr_array_index (options, i);
      g_auto(GStrv) parts = g_strsplit (name, "-", -1);
      g_autofree char *escaped = g_strjoinv ("\\-", parts);
      g_autofree char *plain = g_strdup_printf (".TP\n.B \\-\\-%s\n", escaped);
      g_autofree char *with_argument = g_strdup_printf (".TP\n.BI \\-\\-%s= ", escaped);

      if (strstr (contents, plain) == NULL && strstr (contents, with_argument) == NULL)
        g_error ("The manual page does not describe --%s", name);
    }

  {
    const char *argv[] = { "groff", "-man", "-ww", "-z", path, NULL };

    run (argv, NULL);
  }
}

int
main (int    argc,
      char **argv)
{
  int status;

  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/install/programs-are-installed", test_installs_the_programs);
  g_test_add_func ("/pb/install/desktop-file-validates", test_installs_the_desktop_file);
  g_test_add_func ("/pb/install/metainfo-validates", test_installs_the_metainfo);
  g_test_add_func ("/pb/install/schema-compiles-strictly", test_installs_the_schema);
  g_test_add_func ("/pb/install/dbus-service-starts-the-applet", test_installs_the_dbus_service);
  g_test_add_func ("/pb/install/dbus-interface", test_installs_the_dbus_interface);
  g_test_add_func ("/pb/install/icons-are-installed", test_installs_the_icons);
  g_test_add_func ("/pb/install/japanese-catalogue-is-installed", test_installs_the_translations);
  g_test_add_func ("/pb/install/manual-page-has-every-option", test_installs_the_manual_page);

  status = g_test_run ();
  g_free (destdir);
  return status;
}
