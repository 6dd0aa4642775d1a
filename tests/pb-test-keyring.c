/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <libsecret/secret.h>

#include "pb-secret-store.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"

#define SECRETS_NAME      "org.freedesktop.secrets"
#define SECRETS_PATH      "/org/freedesktop/secrets"
#define READY_TIMEOUT_US  (10 * G_USEC_PER_SEC)
#define EXIT_TIMEOUT_US   (5 * G_USEC_PER_SEC)
#define POLL_INTERVAL_US  (20 * 1000)
#define UNLOCK_PASSWORD   "popbell-test-keyring"

struct _PbTestKeyring
{
  GTestDBus   *bus;
  GSubprocess *daemon;
  char        *dir;
  char        *runtime_dir; /* this process's XDG_RUNTIME_DIR, which GTestDBus unsets */
};

static gboolean keyring_is_up;

static void
restore_runtime_dir (PbTestKeyring *self)
{
  if (self->runtime_dir != NULL)
    g_setenv ("XDG_RUNTIME_DIR", self->runtime_dir, TRUE);
}

/* GTestDBus spawns dbus-daemon with G_SPAWN_LEAVE_DESCRIPTORS_OPEN, and
 * (GLib 2.74) the pipe to its watcher process, which kills the bus when the
 * test dies, has no FD_CLOEXEC. The second bus of a process would inherit
 * that pipe and keep the watcher from ever noticing a crashed test: bus and
 * watcher would outlive it and hold its stdout open. */
static void
set_cloexec_on_inherited_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      guint64 fd;

      if (g_ascii_string_to_unsigned (name, 10, 3, G_MAXINT, &fd, NULL))
        {
          int flags = fcntl ((int) fd, F_GETFD);

          if (flags != -1 && (flags & FD_CLOEXEC) == 0)
            fcntl ((int) fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
}

static PbTestKeyring *
keyring_new_bus (const char *service_dir)
{
  PbTestKeyring *self = g_new0 (PbTestKeyring, 1);

  g_assert_false (keyring_is_up);
  keyring_is_up = TRUE;

  self->dir = pb_test_mkdtemp ("keyring");
  self->runtime_dir = g_strdup (g_getenv ("XDG_RUNTIME_DIR"));

  set_cloexec_on_inherited_fds ();
  self->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  if (service_dir != NULL)
    g_test_dbus_add_service_dir (self->bus, service_dir);
  g_test_dbus_up (self->bus);
  restore_runtime_dir (self);

  return self;
}

PbTestKeyring *
pb_test_keyring_new_no_service (void)
{
  return keyring_new_bus (NULL);
}

static void
child_setup (gpointer user_data)
{
  /* Don't outlive a test that crashes: the daemon would keep its
   * files open in a folder nobody removes. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static char **
daemon_environment (PbTestKeyring *self)
{
  static const char *const unset[] = {
    "DISPLAY", "WAYLAND_DISPLAY", "SSH_AUTH_SOCK", "GNOME_KEYRING_CONTROL",
    "DBUS_STARTER_ADDRESS", "DBUS_STARTER_BUS_TYPE", "DBUS_SYSTEM_BUS_ADDRESS",
    /* The daemon warns about things it then handles (e.g. "asked to register
     * item …, but it's already registered" on a replace): the tests'
     * fatal-warnings would make it abort. */
    "G_DEBUG", "G_MESSAGES_DEBUG",
  };
  static const char *const subdirs[][2] = {
    { "XDG_DATA_HOME", "data" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_RUNTIME_DIR", "runtime" },
  };
  char **env = g_get_environ ();

  for (guint i = 0; i < G_N_ELEMENTS (unset); i++)
    env = g_environ_unsetenv (env, unset[i]);

  env = g_environ_setenv (env, "HOME", self->dir, TRUE);
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS",
                          g_test_dbus_get_bus_address (self->bus), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (self->dir, subdirs[i][1], NULL);

      g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
      env = g_environ_setenv (env, subdirs[i][0], path, TRUE);
    }

  return env;
}

/* NULL until the daemon answers, else the default collection's object path. */
static char *
read_default_collection (GDBusConnection *connection)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GVariant) alias = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree char *path = NULL;
  gboolean has_owner = FALSE;

  owned = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", SECRETS_NAME), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (owned != NULL)
    g_variant_get (owned, "(b)", &has_owner);
  if (!has_owner)
    return NULL;

  alias = g_dbus_connection_call_sync (connection, SECRETS_NAME, SECRETS_PATH,
                                       "org.freedesktop.Secret.Service", "ReadAlias",
                                       g_variant_new ("(s)", "default"), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL);
  if (alias == NULL)
    return NULL;
  g_variant_get (alias, "(o)", &path);
  if (g_str_equal (path, "/"))
    return NULL;

  locked = g_dbus_connection_call_sync (connection, SECRETS_NAME, path,
                                        "org.freedesktop.DBus.Properties", "Get",
                                        g_variant_new ("(ss)", "org.freedesktop.Secret.Collection",
                                                       "Locked"),
                                        G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                        -1, NULL, NULL);
  if (locked == NULL)
    return NULL;
  g_variant_get (locked, "(v)", &value);
  if (g_variant_get_boolean (value))
    return NULL;

  return g_steal_pointer (&path);
}

static void
wait_until_ready (PbTestKeyring *self)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *collection = NULL;
  gint64 deadline = g_get_monotonic_time () + READY_TIMEOUT_US;

  /* A connection of our own, so that waiting doesn't create the session bus
   * singleton that libsecret will use. */
  connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (self->bus),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);

  while ((collection = read_default_collection (connection)) == NULL)
    {
      if (g_subprocess_get_identifier (self->daemon) == NULL)
        g_error ("gnome-keyring-daemon exited before it was ready");
      if (g_get_monotonic_time () > deadline)
        g_error ("gnome-keyring-daemon did not offer an unlocked default collection in time");
      g_usleep (POLL_INTERVAL_US);
    }
  g_debug ("Test keyring ready: %s", collection);

  g_dbus_connection_close_sync (connection, NULL, NULL);
}

void
pb_test_keyring_start_daemon (PbTestKeyring *self)
{
  static const char unlock_password[] = UNLOCK_PASSWORD;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = NULL;
  GSubprocessFlags flags;
  GOutputStream *input;

  g_assert_null (self->daemon);

  flags = G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE;
  if (!g_test_verbose ())
    flags |= G_SUBPROCESS_FLAGS_STDERR_SILENCE;
  launcher = g_subprocess_launcher_new (flags);
  env = daemon_environment (self);
  g_subprocess_launcher_set_environ (launcher, env);
  g_subprocess_launcher_set_cwd (launcher, self->dir);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  self->daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon",
                                              "--foreground", "--unlock",
                                              "--components=secrets", NULL);
  g_assert_no_error (error);

  /* --unlock reads the login keyring's password from stdin up to EOF. */
  input = g_subprocess_get_stdin_pipe (self->daemon);
  g_output_stream_write_all (input, unlock_password, strlen (unlock_password), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, &error);
  g_assert_no_error (error);

  wait_until_ready (self);
}

PbTestKeyring *
pb_test_keyring_new (void)
{
  return pb_test_keyring_new_with_services (NULL);
}

PbTestKeyring *
pb_test_keyring_new_with_services (const char *service_dir)
{
  PbTestKeyring *self = keyring_new_bus (service_dir);

  pb_test_keyring_start_daemon (self);
  return self;
}

static void
stop_daemon (PbTestKeyring *self)
{
  gint64 deadline = g_get_monotonic_time () + EXIT_TIMEOUT_US;

  g_subprocess_send_signal (self->daemon, SIGTERM);
  while (g_subprocess_get_identifier (self->daemon) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (POLL_INTERVAL_US);

  g_subprocess_force_exit (self->daemon);
  g_subprocess_wait (self->daemon, NULL, NULL);
  g_clear_object (&self->daemon);
}

void
pb_test_keyring_stop_daemon (PbTestKeyring *self)
{
  g_assert_nonnull (self->daemon);

  /* libsecret's cached service would talk to a name nobody owns. */
  secret_service_disconnect ();
  stop_daemon (self);
}

void
pb_test_keyring_free (PbTestKeyring *self)
{
  if (self == NULL)
    return;

  /* Drop libsecret's cached service, or g_test_dbus_down () waits in vain
   * for the bus connection it holds. */
  secret_service_disconnect ();

  if (self->daemon != NULL)
    stop_daemon (self);

  g_test_dbus_down (self->bus);
  g_clear_object (&self->bus);
  restore_runtime_dir (self);

  if (g_getenv ("PB_TEST_KEEP_TMP") == NULL)
    pb_test_rm_rf (self->dir);

  g_free (self->runtime_dir);
  g_free (self->dir);
  g_free (self);
  keyring_is_up = FALSE;
}

const char *
pb_test_keyring_get_bus_address (PbTestKeyring *self)
{
  return g_test_dbus_get_bus_address (self->bus);
}

const char *
pb_test_keyring_get_dir (PbTestKeyring *self)
{
  return self->dir;
}

void
pb_test_keyring_lock (PbTestKeyring *self)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GError) error = NULL;
  GList *objects;
  int count;

  g_assert_nonnull (self->daemon);

  service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, &error);
  g_assert_no_error (error);
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (collection);

  objects = g_list_append (NULL, collection);
  count = secret_service_lock_sync (service, objects, NULL, NULL, &error);
  g_list_free (objects);
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 1);

  /* Ask the daemon rather than trust the proxy's cached property. */
  reply = g_dbus_proxy_call_sync (G_DBUS_PROXY (collection), "org.freedesktop.DBus.Properties.Get",
                                  g_variant_new ("(ss)", "org.freedesktop.Secret.Collection",
                                                 "Locked"),
                                  G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &locked);
  g_assert_true (g_variant_get_boolean (locked));
}

GList *
pb_test_keyring_find_items (PbTestKeyring *self,
                            const char    *account_id)
{
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GError) error = NULL;
  GList *items;

  g_assert_nonnull (self->daemon);

  attributes = secret_attributes_build (pb_secret_get_schema (), "account", account_id, NULL);
  items = secret_service_search_sync (NULL, pb_secret_get_schema (), attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS,
                                      NULL, &error);
  g_assert_no_error (error);

  return items;
}

/* What the session does at login (pam_gnome_keyring, or the user typing the
 * password in GNOME's own prompt): gnome-keyring's private call, with the
 * password sent in a "plain" transfer session. A connection of its own, so
 * that nothing of the code under test sees it. */
void
pb_test_keyring_unlock (PbTestKeyring *self)
{
  static const char password[] = UNLOCK_PASSWORD;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) opened = NULL;
  g_autoptr(GVariant) alias = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *session = NULL;
  g_autofree char *collection = NULL;
  GVariant *secret;

  g_assert_nonnull (self->daemon);

  connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (self->bus),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);

  opened = g_dbus_connection_call_sync (connection, SECRETS_NAME, SECRETS_PATH,
                                        "org.freedesktop.Secret.Service", "OpenSession",
                                        g_variant_new ("(sv)", "plain", g_variant_new_string ("")),
                                        G_VARIANT_TYPE ("(vo)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                        -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (opened, "(vo)", NULL, &session);

  alias = g_dbus_connection_call_sync (connection, SECRETS_NAME, SECRETS_PATH,
                                       "org.freedesktop.Secret.Service", "ReadAlias",
                                       g_variant_new ("(s)", "default"), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (alias, "(o)", &collection);
  g_assert_cmpstr (collection, !=, "/");

  secret = g_variant_new ("(o@ay@ays)", session,
                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, password,
                                                     strlen (password), 1),
                          "text/plain");
  reply = g_dbus_connection_call_sync (connection, SECRETS_NAME, SECRETS_PATH,
                                       "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                                       "UnlockWithMasterPassword",
                                       g_variant_new ("(o@(oayays))", collection, secret),
                                       NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
  g_assert_no_error (error);

  g_dbus_connection_close_sync (connection, NULL, NULL);
}
