/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "pb-monitor.h"
#include "pb-seen-store.h"
#include "pb-test-sni-host.h"
#include "pb-test-util.h"
#include "pb-test-xvfb.h"
#include "pb-tray.h"

/* The tray against a real panel from Debian: xfce4-panel 4.18, whose systray
 * plugin is a StatusNotifierWatcher and host, on Xvfb and a private bus. */

#define XFCONFD          "/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd"
#define WATCHER_NAME     "org.kde.StatusNotifierWatcher"
#define TIMEOUT_S        30
#define PANEL_HEIGHT     48
/* Pixels of the panel strip that must change when an icon is drawn or
 * replaced: a 16 px symbolic icon scaled into the panel has hundreds. */
#define MIN_CHANGED      40

/* One panel at the top of the screen holding only the systray plugin, in
 * the form xfce4-panel 4.18 keeps its xfconf channel; %s: more of the
 * panel's properties (its background). */
static const char panel_config[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<channel name=\"xfce4-panel\" version=\"1.0\">\n"
  "  <property name=\"configver\" type=\"int\" value=\"2\"/>\n"
  "  <property name=\"panels\" type=\"array\">\n"
  "    <value type=\"int\" value=\"1\"/>\n"
  "    <property name=\"panel-1\" type=\"empty\">\n"
  "      <property name=\"position\" type=\"string\" value=\"p=6;x=0;y=0\"/>\n"
  "      <property name=\"length\" type=\"uint\" value=\"100\"/>\n"
  "      <property name=\"position-locked\" type=\"bool\" value=\"true\"/>\n"
  "      <property name=\"size\" type=\"uint\" value=\"48\"/>\n"
  "      <property name=\"icon-size\" type=\"uint\" value=\"32\"/>\n"
  "%s"
  "      <property name=\"plugin-ids\" type=\"array\">\n"
  "        <value type=\"int\" value=\"1\"/>\n"
  "      </property>\n"
  "    </property>\n"
  "  </property>\n"
  "  <property name=\"plugins\" type=\"empty\">\n"
  "    <property name=\"plugin-1\" type=\"string\" value=\"systray\">\n"
  "      <property name=\"square-icons\" type=\"bool\" value=\"true\"/>\n"
  "      <property name=\"icon-size\" type=\"int\" value=\"32\"/>\n"
  "    </property>\n"
  "  </property>\n"
  "</channel>\n";

/* The panels the icon is shown on: the theme's light one, and a dark one. */
typedef struct
{
  const char *name;         /* of the screenshots */
  const char *properties;   /* for panel_config */
} Panel;

static const Panel light_panel = { "tray-panel", "" };
static const Panel dark_panel = {
  "tray-panel-dark",
  "      <property name=\"background-style\" type=\"uint\" value=\"1\"/>\n"
  "      <property name=\"background-rgba\" type=\"array\">\n"
  "        <value type=\"double\" value=\"0.12\"/>\n"
  "        <value type=\"double\" value=\"0.12\"/>\n"
  "        <value type=\"double\" value=\"0.13\"/>\n"
  "        <value type=\"double\" value=\"1\"/>\n"
  "      </property>\n",
};

typedef struct
{
  PbTestXvfb      *xvfb;
  GTestDBus       *bus;
  char            *runtime_dir;
  char            *dir;
  GSubprocess     *xfconfd;
  GSubprocess     *panel;
  GDBusConnection *connection;
} Desktop;

/* See tests/pb-test-keyring.c: a second GTestDBus must not inherit the
 * first one's watcher pipe. */
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

static void
child_setup (gpointer user_data)
{
  /* Never outlive a test that crashes. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocess *
spawn (Desktop            *desktop,
       const char * const *argv)
{
  static const char *const unset[] = {
    "WAYLAND_DISPLAY", "SESSION_MANAGER", "DBUS_STARTER_ADDRESS", "DBUS_STARTER_BUS_TYPE",
    /* The panel warns about things it then handles; fatal-warnings is ours. */
    "G_DEBUG", "G_MESSAGES_DEBUG",
  };
  static const char *const subdirs[][2] = {
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
  };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *base = g_path_get_basename (argv[0]);
  g_autofree char *log_name = g_strconcat (base, ".log", NULL);
  g_autofree char *log = g_build_filename (desktop->dir, log_name, NULL);
  GSubprocess *process;

  for (guint i = 0; i < G_N_ELEMENTS (unset); i++)
    env = g_environ_unsetenv (env, unset[i]);
  env = g_environ_setenv (env, "HOME", desktop->dir, TRUE);
  env = g_environ_setenv (env, "NO_AT_BRIDGE", "1", TRUE);
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS",
                          g_test_dbus_get_bus_address (desktop->bus), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (desktop->dir, subdirs[i][1], NULL);

      env = g_environ_setenv (env, subdirs[i][0], path, TRUE);
    }

  /* What they say goes to a log, shown when they fail. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_set_environ (launcher, env);
  g_subprocess_launcher_set_cwd (launcher, desktop->dir);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static char *
read_log (Desktop    *desktop,
          const char *program)
{
  g_autofree char *base = g_path_get_basename (program);
  g_autofree char *log_name = g_strconcat (base, ".log", NULL);
  g_autofree char *log = g_build_filename (desktop->dir, log_name, NULL);
  char *text = NULL;

  if (!g_file_get_contents (log, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static void
wait_for_name (Desktop     *desktop,
               GSubprocess *owner,
               const char  *program,
               const char  *name)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  while (!name_has_owner (desktop->connection, name))
    {
      if (g_subprocess_get_identifier (owner) == NULL)
        {
          g_autofree char *log = read_log (desktop, program);

          g_subprocess_wait (owner, NULL, NULL);
          g_error ("%s exited (status %d) before it took %s:\n%s", program,
                   g_subprocess_get_status (owner), name, log);
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *log = read_log (desktop, program);

          g_error ("%s did not take %s in time:\n%s", program, name, log);
        }
      g_usleep (50 * 1000);
    }
}

static void
stop (GSubprocess **process)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  if (*process == NULL)
    return;

  g_subprocess_send_signal (*process, SIGTERM);
  while (g_subprocess_get_identifier (*process) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_subprocess_force_exit (*process);
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

static void
desktop_start (Desktop     *desktop,
               const Panel *panel)
{
  g_autofree char *channel_dir = NULL;
  g_autofree char *channel = NULL;
  g_autofree char *config = g_strdup_printf (panel_config, panel->properties);
  g_autofree char *display = NULL;
  g_autoptr(GError) error = NULL;
  const char *xfconfd_argv[] = { XFCONFD, NULL };
  const char *panel_argv[] = { "xfce4-panel", "--disable-wm-check", NULL };

  desktop->dir = pb_test_mkdtemp ("panel");
  channel_dir = g_build_filename (desktop->dir, "config", "xfce4", "xfconf",
                                  "xfce-perchannel-xml", NULL);
  g_assert_cmpint (g_mkdir_with_parents (channel_dir, 0700), ==, 0);
  channel = g_build_filename (channel_dir, "xfce4-panel.xml", NULL);
  g_file_set_contents (channel, config, -1, &error);
  g_assert_no_error (error);

  desktop->runtime_dir = g_strdup (g_getenv ("XDG_RUNTIME_DIR"));
  display = g_strdup (g_getenv ("DISPLAY"));
  set_cloexec_on_inherited_fds ();
  desktop->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (desktop->bus);
  /* GTestDBus unsets both, against D-Bus autolaunch; the panel needs the X server. */
  g_setenv ("XDG_RUNTIME_DIR", desktop->runtime_dir, TRUE);
  g_setenv ("DISPLAY", display, TRUE);

  desktop->connection =
    g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (desktop->bus),
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);
  g_assert_no_error (error);

  /* The panel reads its configuration through xfconfd, which a session
   * would start by D-Bus activation; this bus has no service files. */
  desktop->xfconfd = spawn (desktop, xfconfd_argv);
  wait_for_name (desktop, desktop->xfconfd, XFCONFD, "org.xfce.Xfconf");

  desktop->panel = spawn (desktop, panel_argv);
  wait_for_name (desktop, desktop->panel, "xfce4-panel", WATCHER_NAME);
}

static void
desktop_stop (Desktop *desktop)
{
  stop (&desktop->panel);
  stop (&desktop->xfconfd);

  g_dbus_connection_close_sync (desktop->connection, NULL, NULL);
  g_clear_object (&desktop->connection);
  pb_test_sni_flush ();
  g_test_dbus_down (desktop->bus);
  g_clear_object (&desktop->bus);
  g_setenv ("XDG_RUNTIME_DIR", desktop->runtime_dir, TRUE);

  pb_test_rm_rf (desktop->dir);
  g_free (desktop->dir);
  g_free (desktop->runtime_dir);
}

/* ---- Screenshots ---------------------------------------------------------- */

static void
iterate_for (guint milliseconds)
{
  gint64 until = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < until)
    {
      pb_test_sni_flush ();
      g_usleep (10 * 1000);
    }
}

static char *
screenshot (const char *name)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_BUILT, "screenshots", NULL);
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr(GSubprocess) import = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  import = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                             "import", "-window", "root", path, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (import, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("Screenshot: %s", path);
  return g_steal_pointer (&path);
}

/* Pixels that differ in the panel strip at the top of the screen. */
static guint
count_changed (const char *path_a,
               const char *path_b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) a = gdk_pixbuf_new_from_file (path_a, &error);
  g_autoptr(GdkPixbuf) b = NULL;
  guint changed = 0;
  int width;
  int channels;

  g_assert_no_error (error);
  b = gdk_pixbuf_new_from_file (path_b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (a), ==, gdk_pixbuf_get_width (b));
  g_assert_cmpint (gdk_pixbuf_get_n_channels (a), ==, gdk_pixbuf_get_n_channels (b));

  width = gdk_pixbuf_get_width (a);
  channels = gdk_pixbuf_get_n_channels (a);
  for (int y = 0; y < PANEL_HEIGHT; y++)
    {
      const guint8 *row_a = gdk_pixbuf_read_pixels (a) + y * gdk_pixbuf_get_rowstride (a);
      const guint8 *row_b = gdk_pixbuf_read_pixels (b) + y * gdk_pixbuf_get_rowstride (b);

      for (int x = 0; x < width; x++)
        if (memcmp (row_a + x * channels, row_b + x * channels, MIN (channels, 3)) != 0)
          changed++;
    }
  return changed;
}

/* The panel draws a moment after it learns of a change: shoot until the
 * strip differs from @reference by an icon's worth of pixels. */
static char *
screenshot_when_changed (const char *name,
                         const char *reference)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *path = NULL;
      guint changed;

      /* The tray answers the panel's questions meanwhile. */
      iterate_for (300);
      path = screenshot (name);
      changed = count_changed (reference, path);
      g_test_message ("%s: %u pixels of the panel changed", name, changed);
      if (changed >= MIN_CHANGED)
        return g_steal_pointer (&path);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
}


/* Pixels of the badge's red in the panel strip of a screenshot. */
static guint
count_badge_red (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) shot = gdk_pixbuf_new_from_file (path, &error);
  int channels;
  guint red = 0;

  g_assert_no_error (error);
  channels = gdk_pixbuf_get_n_channels (shot);
  for (int y = 0; y < PANEL_HEIGHT; y++)
    {
      const guint8 *row = gdk_pixbuf_read_pixels (shot) + y * gdk_pixbuf_get_rowstride (shot);

      for (int x = 0; x < gdk_pixbuf_get_width (shot); x++)
        {
          const guint8 *p = row + x * channels;

          if (p[0] > 0xa0 && p[1] < 0x50 && p[2] < 0x60)
            red++;
        }
    }
  return red;
}

/* IconPixmap as a host reads it: with a connection of its own, as the
 * panel has (the tray answers from this process's main loop). */
static guint
count_pixmap_red (Desktop    *desktop,
                  const char *unique_name)
{
  g_autoptr(PbTestSniHost) host = pb_test_sni_host_new (g_test_dbus_get_bus_address (desktop->bus),
                                                        unique_name, "/StatusNotifierItem");
  g_autoptr(GVariant) properties = pb_test_sni_host_get_all (host);
  g_autoptr(GVariant) pixmap = g_variant_lookup_value (properties, "IconPixmap",
                                                       G_VARIANT_TYPE ("a(iiay)"));
  guint red = 0;

  g_assert_nonnull (pixmap);
  for (gsize i = 0; i < g_variant_n_children (pixmap); i++)
    {
      g_autoptr(GVariant) bytes = NULL;
      const guint8 *argb;
      gsize length;
      int width, height;

      g_variant_get_child (pixmap, i, "(ii@ay)", &width, &height, &bytes);
      argb = g_variant_get_fixed_array (bytes, &length, 1);
      g_assert_cmpuint (length, ==, (gsize) width * height * 4);
      for (gsize p = 0; p < length; p += 4)
        if (argb[p] == 0xff && argb[p + 1] > 0xa0 && argb[p + 2] < 0x50 && argb[p + 3] < 0x60)
          red++;
    }
  return red;
}

/* The top left corner of the panel, where the icon is, doubled (nearest
 * neighbour, so that each pixel stays what the panel drew), for the README:
 * data/screenshots/tray-badge.png comes from here. */
static void
save_badge_crop (const char *path,
                 const char *name)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *crop = g_build_filename (dir, file, NULL);
  g_autoptr(GSubprocess) convert = NULL;
  g_autoptr(GError) error = NULL;

  convert = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "convert", path, "-crop",
                              "96x48+0+0", "+repage", "-filter", "point", "-resize", "200%",
                              crop, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (convert, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("Screenshot: %s", crop);
}

/* ---- The test -------------------------------------------------------------- */

static gboolean
watcher_lists (Desktop    *desktop,
               const char *unique_name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree const char **items = NULL;

  reply = g_dbus_connection_call_sync (desktop->connection, WATCHER_NAME, "/StatusNotifierWatcher",
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", WATCHER_NAME,
                                                      "RegisteredStatusNotifierItems"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       NULL);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(v)", &value);
  items = g_variant_get_strv (value, NULL);
  for (guint i = 0; items[i] != NULL; i++)
    if (g_str_has_prefix (items[i], unique_name))
      return TRUE;
  return FALSE;
}

static void
test_panel_shows_the_icon (gconstpointer data)
{
  const Panel *panel_kind = data;
  g_autofree char *empty_name = g_strconcat (panel_kind->name, "-empty", NULL);
  g_autofree char *new_mail_name = g_strconcat (panel_kind->name, "-new-mail", NULL);
  /* "tray-badge", "tray-badge-dark" */
  g_autofree char *badge_name = g_strconcat ("tray-badge",
                                             panel_kind->name + strlen ("tray-panel"), NULL);
  g_autoptr(PbTestXvfb) xvfb = NULL;
  g_autofree char *panel = g_find_program_in_path ("xfce4-panel");
  g_autofree char *icons = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *no_mail = NULL;
  g_autofree char *new_mail = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *accounts_path = NULL;
  g_autofree char *trust_path = NULL;
  g_autoptr(PbAccountStore) accounts = NULL;
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(PbScheduler) scheduler = NULL;
  g_autoptr(GSimpleActionGroup) actions = g_simple_action_group_new ();
  g_autoptr(GError) error = NULL;
  PbMonitor *monitor;
  PbTray *tray;
  Desktop desktop = { 0 };
  const char *unique_name;
  gint64 deadline;

  if (panel == NULL)
    {
      g_test_skip ("xfce4-panel is not installed");
      return;
    }
  xvfb = pb_test_xvfb_new ();
  if (xvfb == NULL)
    {
      g_test_skip ("Xvfb is not installed");
      return;
    }

  desktop_start (&desktop, panel_kind);
  empty = screenshot (empty_name);

  /* No account yet: the no-mail icon. */
  state_dir = pb_test_mkdtemp ("state");
  accounts_path = g_build_filename (state_dir, "accounts.ini", NULL);
  trust_path = g_build_filename (state_dir, "trust.ini", NULL);
  accounts = pb_account_store_new (accounts_path);
  pins = pb_trust_store_new (trust_path);
  scheduler = pb_scheduler_new (NULL, NULL, FALSE);
  monitor = pb_monitor_new (accounts, pins, scheduler, state_dir);
  pb_monitor_start (monitor);

  icons = g_test_build_filename (G_TEST_DIST, "..", "data", "icons", NULL);
  tray = pb_tray_new (desktop.connection, monitor, G_ACTION_GROUP (actions), icons);
  unique_name = g_dbus_connection_get_unique_name (desktop.connection);

  deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  while (!pb_tray_get_registered (tray) || !watcher_lists (&desktop, unique_name))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      iterate_for (50);
    }

  no_mail = screenshot_when_changed (panel_kind->name, empty);

  /* Mail arrives for an account (from its state file, as at start; the
   * account is disabled, so nothing tries to reach a server). */
  {
    g_autofree char *state = g_build_filename (state_dir, "home.state", NULL);
    g_autoptr(PbSeenStore) seen = pb_seen_store_new (state);
    g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
    g_autoptr(PbAccount) account = pb_account_new ("home");
    static const char headers[] = "From: Ann <ann@example.org>\r\nSubject: Lunch\r\n\r\n";
    const char *uidls[] = { "a1" };

    g_ptr_array_add (messages, pb_message_new_from_headers ("a1", headers, strlen (headers)));
    pb_seen_store_record_check (seen, uidls, 1, 1, messages);
    pb_seen_store_save (seen, &error);
    g_assert_no_error (error);

    pb_account_set_host (account, "localhost");
    pb_account_set_user (account, "alice");
    pb_account_set_enabled (account, FALSE);
    pb_account_store_add (accounts, account, &error);
    g_assert_no_error (error);
    pb_account_store_save (accounts, &error);
    g_assert_no_error (error);
    pb_monitor_reload (monitor);
    g_assert_cmpuint (pb_monitor_count_unacknowledged (monitor, NULL), ==, 1);
  }

  new_mail = screenshot_when_changed (new_mail_name, no_mail);

  /* The count is drawn into the icon: the panel read the pixels and shows
   * the red badge (nothing red before). */
  g_assert_cmpuint (count_pixmap_red (&desktop, unique_name), >, 100);
  g_assert_cmpuint (count_badge_red (no_mail), ==, 0);
  g_assert_cmpuint (count_badge_red (new_mail), >, 10);
  save_badge_crop (new_mail, badge_name);

  g_assert_finalize_object (tray);
  g_assert_finalize_object (monitor);
  desktop_stop (&desktop);
  pb_test_rm_rf (state_dir);
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_data_func ("/pb/tray/panel/xfce4-panel-shows-the-icon", &light_panel,
                        test_panel_shows_the_icon);
  g_test_add_data_func ("/pb/tray/panel/dark-xfce4-panel-shows-the-badge", &dark_panel,
                        test_panel_shows_the_icon);

  return g_test_run ();
}
