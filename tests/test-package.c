/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Debian package: build-aux/package-deb builds it from this checkout and
 * lintian passes it; dpkg installs it into a scratch root, whose dependencies
 * are those of this machine; the installed popbell then checks a private
 * Dovecot with a real keyring, in English and in Japanese; dpkg removes it
 * without a trace. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "pb-dovecot.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"

#define PASSWORD "pkg-canary-Passw0rd"

static char *outdir;
static char *deb;
static char *root;
static char *build_log;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
need_program (const char *program,
              const char *package)
{
  g_autofree char *path = g_find_program_in_path (program);

  if (path == NULL)
    g_error ("%s is not installed (build-aux/packages.txt lists %s)", program, package);
}

/* Runs @argv with @envp changes ("NAME=value", or "NAME" to unset) and
 * standard input from the file @input (NULL: none). */
static void
run_full (Run               *run,
          const char *const *argv,
          const char *const *envp,
          const char        *input)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (guint i = 0; envp != NULL && envp[i] != NULL; i++)
    {
      const char *equals = strchr (envp[i], '=');

      if (equals == NULL)
        g_subprocess_launcher_unsetenv (launcher, envp[i]);
      else
        {
          g_autofree char *name = g_strndup (envp[i], equals - envp[i]);

          g_subprocess_launcher_setenv (launcher, name, equals + 1, TRUE);
        }
    }
  if (input != NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, input);

  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("%s → %d\nstdout:\n%s\nstderr:\n%s", argv[0], run->status, run->out, run->err);
}

/* Runs @argv, which must succeed; returns its standard output. */
static char *
run_ok (const char *const *argv)
{
  g_auto(Run) run = { 0 };

  run_full (&run, argv, NULL, NULL);
  if (run.status != 0)
    g_error ("%s failed (%d):\n%s%s", argv[0], run.status, run.out, run.err);
  return g_steal_pointer (&run.out);
}

static void
build_once (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "..", "build-aux",
                                                   "package-deb", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { script, NULL, NULL };

  if (build_log != NULL)
    return;

  need_program ("dpkg-buildpackage", "dpkg-dev");
  need_program ("dh", "debhelper");
  need_program ("lintian", "lintian");

  outdir = pb_test_mkdtemp ("debs");
  argv[1] = outdir;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  /* The package is built as a user would build it, not in this test's
   * environment (fatal warnings, a schema folder of the build tree). */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "GSETTINGS_SCHEMA_DIR");
  g_subprocess_launcher_unsetenv (launcher, "GSETTINGS_BACKEND");
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &build_log, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("build-aux/package-deb failed:\n%s", build_log);

  /* popbell_VERSION_ARCH.deb, beside its -dbgsym package. */
  {
    g_autoptr(GDir) dir = g_dir_open (outdir, 0, &error);
    const char *name;

    g_assert_no_error (error);
    while ((name = g_dir_read_name (dir)) != NULL)
      if (g_str_has_prefix (name, "popbell_" PACKAGE_VERSION "_") && g_str_has_suffix (name, ".deb"))
        {
          g_assert_null (deb);
          deb = g_build_filename (outdir, name, NULL);
        }
    g_assert_nonnull (deb);
  }
}

static void
test_builds_and_lintian_is_clean (void)
{
  g_auto(GStrv) lines = NULL;
  guint lintian_lines = 0;

  build_once ();

  lines = g_strsplit (build_log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* What lintian said: E, W, I, P, X and O (overridden) lines. */
      if (strlen (lines[i]) > 3 && strchr ("EWIPXO", lines[i][0]) && lines[i][1] == ':' &&
          lines[i][2] == ' ')
        {
          g_test_message ("lintian: %s", lines[i]);
          lintian_lines++;
          if (lines[i][0] == 'E' || lines[i][0] == 'W')
            g_error ("lintian: %s", lines[i]);
        }
    }
  g_test_message ("lintian said %u things", lintian_lines);
  g_assert_nonnull (strstr (build_log, "lintian found no errors and no unexplained warnings"));
  /* The explained warning is still there, and explained. */
  g_assert_nonnull (strstr (build_log, "O: popbell: no-manual-page [usr/libexec/popbell-applet]"));
}

/* One field of the package's control file. */
static char *
control_field (const char *name)
{
  const char *argv[] = { "dpkg-deb", "--field", deb, name, NULL };
  char *value = run_ok (argv);

  return g_strchomp (value);
}

static void
test_control_fields (void)
{
  g_autofree char *version = NULL;
  g_autofree char *maintainer = NULL;
  g_autofree char *depends = NULL;
  g_autofree char *recommends = NULL;

  build_once ();

  version = control_field ("Version");
  g_assert_cmpstr (version, ==, PACKAGE_VERSION);
  maintainer = control_field ("Maintainer");
  g_assert_cmpstr (maintainer, ==, "Popbell developers <popbell@users.noreply.github.com>");

  /* From the shared libraries, plus GIO's TLS backend. */
  depends = control_field ("Depends");
  g_assert_true (g_str_has_prefix (depends, "glib-networking, "));
  g_assert_nonnull (strstr (depends, "libgtk-4-1 (>= 4.8)"));
  g_assert_nonnull (strstr (depends, "libsecret-1-0"));
  g_assert_nonnull (strstr (depends, "libgmime-3.0-0"));
  g_assert_nonnull (strstr (depends, "libnotify4"));

  recommends = control_field ("Recommends");
  g_assert_true (g_str_has_prefix (recommends, "gnome-keyring | "));
}

/* dpkg --root: a database holding this machine's package states (so that
 * Depends are checked against what is really here) and no files of theirs. */
static void
install_once (void)
{
  g_autofree char *info = NULL;
  g_autofree char *status = NULL;
  g_autofree char *states = NULL;
  g_autoptr(GError) error = NULL;
  const char *query[] = { "dpkg-query", "--show", "--showformat=${binary:Package}\\n", NULL };
  g_auto(GStrv) packages = NULL;
  int exit_status = 0;

  build_once ();
  if (root != NULL)
    return;

  root = pb_test_mkdtemp ("root");
  info = g_build_filename (root, "var", "lib", "dpkg", "info", NULL);
  g_assert_cmpint (g_mkdir_with_parents (info, 0755), ==, 0);
  {
    g_autofree char *updates = g_build_filename (root, "var", "lib", "dpkg", "updates", NULL);

    g_assert_cmpint (g_mkdir_with_parents (updates, 0755), ==, 0);
  }
  g_file_get_contents ("/var/lib/dpkg/status", &states, NULL, &error);
  g_assert_no_error (error);
  status = g_build_filename (root, "var", "lib", "dpkg", "status", NULL);
  g_file_set_contents (status, states, -1, &error);
  g_assert_no_error (error);

  /* Not through run_ok: its log would list every package of the machine. */
  g_free (states);
  states = NULL;
  g_spawn_sync (NULL, (char **) query, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &states, NULL,
                &exit_status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (exit_status, NULL));
  packages = g_strsplit (states, "\n", -1);
  for (guint i = 0; packages[i] != NULL; i++)
    if (*packages[i] != '\0')
      {
        g_autofree char *name = g_strconcat (packages[i], ".list", NULL);
        g_autofree char *list = g_build_filename (info, name, NULL);

        g_file_set_contents (list, "", 0, &error);
        g_assert_no_error (error);
      }

  {
    g_autofree char *root_option = g_strconcat ("--root=", root, NULL);
    const char *argv[] = { "dpkg", root_option, "--log=/dev/null", "--install", deb, NULL };
    g_autofree char *out = run_ok (argv);

    g_assert_nonnull (strstr (out, "Setting up popbell (" PACKAGE_VERSION ")"));
  }
}

static void
test_installs_every_file (void)
{
  static const char *const files[] = {
    "/usr/bin/popbell",
    "/usr/libexec/popbell-applet",
    "/usr/share/applications/" APP_ID ".desktop",
    "/usr/share/metainfo/" APP_ID ".metainfo.xml",
    "/usr/share/glib-2.0/schemas/" APP_ID ".gschema.xml",
    "/usr/share/dbus-1/services/" APP_ID ".service",
    "/usr/share/icons/hicolor/scalable/apps/" APP_ID ".svg",
    "/usr/share/icons/hicolor/symbolic/apps/popbell-new-mail-symbolic.svg",
    "/usr/share/man/man1/popbell.1.gz",
    "/usr/share/locale/ja/LC_MESSAGES/popbell.mo",
    "/usr/share/doc/popbell/copyright",
  };
  g_autofree char *service = NULL;
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *schemas = NULL;

  install_once ();

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (root, files[i], NULL);

      g_test_message ("%s", files[i]);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }

  /* The applet where the D-Bus service and the popbell command look for it. */
  g_assert_cmpstr (POPBELL_APPLET_PATH, !=, "");
  service = g_build_filename (root, files[5], NULL);
  g_key_file_load_from_file (keyfile, service, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  exec = g_key_file_get_string (keyfile, "D-BUS Service", "Exec", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exec, ==, "/usr/libexec/popbell-applet --gapplication-service");

  /* What libglib2.0-0's trigger does on a real system. */
  schemas = g_build_filename (root, "usr", "share", "glib-2.0", "schemas", NULL);
  {
    const char *argv[] = { "glib-compile-schemas", "--strict", schemas, NULL };

    g_free (run_ok (argv));
  }
}

static void
test_installed_popbell_checks_dovecot (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PbDovecot) dovecot = NULL;
  g_autoptr(PbTestKeyring) keyring = NULL;
  g_autofree char *popbell = NULL;
  g_autofree char *home = NULL;
  g_autofree char *config = NULL;
  g_autofree char *state = NULL;
  g_autofree char *schemas = NULL;
  g_autofree char *locale = NULL;
  g_autofree char *input = NULL;
  g_autofree char *port = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *env_home = NULL, *env_config = NULL, *env_state = NULL, *env_schemas = NULL;
  g_autofree char *env_locale = NULL;
  static const char message[] = "From: Hanako <hanako@example.jp>\r\nSubject: Hello\r\n\r\nbody\r\n";

  install_once ();
  need_program ("dovecot", "dovecot-core");

  keyring = pb_test_keyring_new ();
  dovecot = pb_dovecot_new (&error);
  g_assert_no_error (error);
  pb_dovecot_add_user (dovecot, "packaged", PASSWORD, &error);
  g_assert_no_error (error);
  pb_dovecot_deliver (dovecot, "packaged", "Subject: old\r\n\r\nold\r\n", 22, &error);
  g_assert_no_error (error);

  popbell = g_build_filename (root, "usr", "bin", "popbell", NULL);
  home = pb_test_mkdtemp ("home");
  config = g_build_filename (home, "config", NULL);
  state = g_build_filename (home, "state", NULL);
  schemas = g_build_filename (root, "usr", "share", "glib-2.0", "schemas", NULL);
  locale = g_build_filename (root, "usr", "share", "locale", NULL);
  env_home = g_strconcat ("HOME=", home, NULL);
  env_config = g_strconcat ("XDG_CONFIG_HOME=", config, NULL);
  env_state = g_strconcat ("XDG_STATE_HOME=", state, NULL);
  env_schemas = g_strconcat ("GSETTINGS_SCHEMA_DIR=", schemas, NULL);
  env_locale = g_strconcat ("POPBELL_LOCALEDIR=", locale, NULL);
  {
    /* Only what a user's session has: the installed schema, no test hooks. */
    const char *envp[] = { env_home, env_config, env_state, env_schemas, "LC_ALL=C.UTF-8",
                           "G_DEBUG", "POPBELL_APPLET", "PB_POPBELL", NULL };
    g_auto(Run) version = { 0 };
    g_auto(Run) add = { 0 };
    g_auto(Run) first = { 0 };
    g_auto(Run) second = { 0 };
    const char *version_argv[] = { popbell, "--version", NULL };
    const char *check_argv[] = { popbell, "--check", NULL };

    run_full (&version, version_argv, envp, NULL);
    g_assert_cmpint (version.status, ==, 0);
    g_assert_cmpstr (version.out, ==, "popbell " PACKAGE_VERSION "\n");

    input = g_build_filename (pb_test_get_tmpdir (), "password", NULL);
    g_file_set_contents (input, PASSWORD "\n", -1, &error);
    g_assert_no_error (error);
    port = g_strdup_printf ("--port=%u", pb_dovecot_get_pop3s_port (dovecot));
    {
      g_autofree char *ca_path = pb_test_cert_path ("ca.crt");
      const char *add_argv[] = { popbell, "--add-account=packaged", "--host=localhost",
                                 "--user=packaged", port, "--name=Packaged", NULL, NULL };

      ca = g_strconcat ("--ca-file=", ca_path, NULL);
      add_argv[6] = ca;
      run_full (&add, add_argv, envp, input);
      g_unlink (input);
      g_assert_cmpint (add.status, ==, 0);
    }

    run_full (&first, check_argv, envp, NULL);
    g_assert_cmpint (first.status, ==, 0);
    g_assert_nonnull (strstr (first.out, "0 new, 1 on the server"));

    pb_dovecot_deliver (dovecot, "packaged", message, strlen (message), &error);
    g_assert_no_error (error);
    run_full (&second, check_argv, envp, NULL);
    g_assert_cmpint (second.status, ==, 0);
    g_assert_nonnull (strstr (second.out, "1 new, 2 on the server"));
    g_assert_nonnull (strstr (second.out, "Hello"));
  }
  {
    /* The installed Japanese catalogue. */
    const char *envp[] = { env_home, env_config, env_state, env_schemas, env_locale,
                           "LC_ALL=ja_JP.UTF-8", "LANGUAGE=ja", "G_DEBUG", "POPBELL_APPLET",
                           NULL };
    const char *check_argv[] = { popbell, "--check", NULL };
    g_auto(Run) japanese = { 0 };

    run_full (&japanese, check_argv, envp, NULL);
    g_assert_cmpint (japanese.status, ==, 0);
    g_assert_nonnull (strstr (japanese.out, "新着 0 件、サーバー上に 2 件"));
  }
}

static void
test_removes_without_a_trace (void)
{
  g_autofree char *root_option = NULL;
  g_autofree char *out = NULL;
  g_autofree char *usr = NULL;

  install_once ();
  root_option = g_strconcat ("--root=", root, NULL);
  {
    const char *argv[] = { "dpkg", root_option, "--log=/dev/null", "--purge", "popbell", NULL };

    out = run_ok (argv);
  }
  g_assert_nonnull (strstr (out, "Removing popbell (" PACKAGE_VERSION ")"));

  /* The compiled schema is not the package's: on a real system the trigger
   * compiles it again. Nothing else may stay. */
  usr = g_build_filename (root, "usr", NULL);
  {
    const char *argv[] = { "find", usr, "-type", "f", "!", "-name", "gschemas.compiled", NULL };
    g_autofree char *left = run_ok (argv);

    g_assert_cmpstr (left, ==, "");
  }
}

int
main (int    argc,
      char **argv)
{
  int status;

  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/package/builds-and-lintian-is-clean", test_builds_and_lintian_is_clean);
  g_test_add_func ("/pb/package/control-fields", test_control_fields);
  g_test_add_func ("/pb/package/installs-every-file", test_installs_every_file);
  g_test_add_func ("/pb/package/installed-popbell-checks-dovecot",
                   test_installed_popbell_checks_dovecot);
  g_test_add_func ("/pb/package/removes-without-a-trace", test_removes_without_a_trace);

  status = g_test_run ();
  g_free (outdir);
  g_free (deb);
  g_free (root);
  g_free (build_log);
  return status;
}
