/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Popbell in a Wayland session: a headless Weston (pb-test-wayland.h). The
 * windows and dialogs in this process with GDK's Wayland backend, and the
 * real popbell-applet end to end: it starts, opens the wizard, the mail
 * window, the preferences and, from a notification, the trust dialog, and
 * passes on the activation tokens it is given; then it quits. Screenshots
 * of what the compositor shows go to tests/screenshots/wayland-*.png. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <gdk/wayland/gdkwayland.h>

#include "pb-account-wizard.h"
#include "pb-dovecot.h"
#include "pb-mail-window.h"
#include "pb-password-dialog.h"
#include "pb-preferences-window.h"
#include "pb-settings.h"
#include "pb-test-gtk.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"
#include "pb-test-wayland.h"
#include "pb-tls-trust.h"
#include "pb-trust-dialog.h"

#define PASSWORD "s3cret-canary-Passw0rd"
#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"
#define WAIT_SECONDS 30

static PbTestWayland *wayland;

static char *
screenshot_path (const char *name)
{
  g_autofree char *file = g_strdup_printf ("wayland-%s.png", name);

  return g_build_filename (g_test_get_dir (G_TEST_BUILT), "screenshots", file, NULL);
}

/* What the compositor shows now, as pixels. */
static GBytes *
screen_now (void)
{
  g_autofree char *path = g_build_filename (pb_test_get_tmpdir (), "screen.png", NULL);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  gsize stride, size;
  guchar *pixels;

  pb_test_wayland_screenshot (wayland, path);
  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  stride = gdk_texture_get_width (texture) * 4;
  size = stride * gdk_texture_get_height (texture);
  pixels = g_malloc (size);
  gdk_texture_download (texture, pixels, stride);
  return g_bytes_new_take (pixels, size);
}

/* Waits until the screen is no longer what it was (@before): the window
 * that was asked for has been drawn, not only made. Then keeps a picture. */
static void
take_screenshot_after (const char *name,
                       GBytes     *before)
{
  g_autofree char *path = screenshot_path (name);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GBytes) now = screen_now ();

      if (!g_bytes_equal (now, before))
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("The screen did not change within 10 s for %s", name);
      g_usleep (100 * 1000);
    }
  /* Drawn once; a frame later it is complete. */
  g_usleep (200 * 1000);
  pb_test_wayland_screenshot (wayland, path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

/* ---- In this process ------------------------------------------------------- */

static void
test_display_is_wayland (void)
{
  GdkDisplay *display = gdk_display_get_default ();

  g_assert_nonnull (display);
  g_assert_true (GDK_IS_WAYLAND_DISPLAY (display));
  g_assert_cmpstr (gdk_display_get_name (display), ==, pb_test_wayland_get_display (wayland));
}

static PbMonitor *
new_monitor (void)
{
  g_autofree char *dir = pb_test_mkdtemp ("monitor");
  g_autofree char *accounts_path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *pins_path = g_build_filename (dir, "trust.ini", NULL);
  g_autofree char *state_dir = g_build_filename (dir, "state", NULL);
  g_autoptr(PbAccountStore) store = pb_account_store_new (accounts_path);
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (pins_path);
  g_autoptr(PbScheduler) scheduler = pb_scheduler_new (NULL, NULL, FALSE);

  return pb_monitor_new (store, pins, scheduler, state_dir);
}

static void
on_trust_decided (gboolean trusted,
                  gpointer user_data)
{
}

/* Shown, mapped on a Wayland toplevel, photographed, closed and gone. */
static void
open_and_close (GtkWindow  *window,
                const char *name)
{
  g_autoptr(GBytes) before = screen_now ();
  GdkSurface *surface;

  g_object_ref (window);
  gtk_window_present (window);
  pb_test_gtk_wait_mapped (GTK_WIDGET (window));

  surface = gtk_native_get_surface (GTK_NATIVE (window));
  g_assert_true (GDK_IS_WAYLAND_TOPLEVEL (surface));
  g_assert_cmpint (gdk_surface_get_width (surface), >, 100);
  take_screenshot_after (name, before);

  gtk_window_destroy (window);
  pb_test_gtk_settle (50);
  g_assert_finalize_object (window);
}

static void
test_windows_open_and_close (void)
{
  g_autoptr(GSettings) settings = g_settings_new (PB_SETTINGS_SCHEMA);
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(PbTrustStore) pins = NULL;
  g_autofree char *pins_path = g_build_filename (pb_test_get_tmpdir (), "pins.ini", NULL);
  PbMonitor *monitor = new_monitor ();

  open_and_close (GTK_WINDOW (pb_account_wizard_new (NULL, monitor)), "wizard");
  open_and_close (GTK_WINDOW (pb_preferences_window_new (NULL, monitor, settings)),
                  "preferences");
  open_and_close (GTK_WINDOW (pb_password_dialog_new (NULL, monitor, "home")),
                  "password-dialog");
  open_and_close (GTK_WINDOW (pb_mail_window_new (NULL, monitor)), "mail-window");

  pins = pb_trust_store_new (pins_path);
  open_and_close (pb_trust_dialog_present (NULL, NULL, pins, "localhost", 995, certificate,
                                           G_TLS_CERTIFICATE_UNKNOWN_CA, on_trust_decided, NULL),
                  "trust-dialog");

  g_assert_finalize_object (monitor);
}

/* ---- The real applet ---------------------------------------------------------- */

typedef struct
{
  PbTestKeyring   *keyring;
  PbDovecot       *dovecot;
  GDBusConnection *connection;  /* ours, to the private bus */
  GSubprocess     *notifications;
  GSubprocess     *applet;
  char            *log_path;
  char            *home;
} Applet;

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
set_home (Applet              *applet,
          GSubprocessLauncher *launcher)
{
  const char *dirs[][2] = {
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
  };

  g_subprocess_launcher_setenv (launcher, "HOME", applet->home, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (applet->home, dirs[i][1], NULL);
      g_subprocess_launcher_setenv (launcher, dirs[i][0], path, TRUE);
    }
  /* GTestDBus unset these when it brought the bus up. */
  g_subprocess_launcher_setenv (launcher, "WAYLAND_DISPLAY",
                                pb_test_wayland_get_display (wayland), TRUE);
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "wayland", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
}

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

static char *
applet_log (Applet *applet)
{
  char *log = NULL;

  if (!g_file_get_contents (applet->log_path, &log, NULL, NULL))
    log = g_strdup ("");
  return log;
}

typedef gboolean (*Condition) (Applet     *applet,
                               const char *text);

static void
wait_until (Condition   condition,
            Applet     *applet,
            const char *text,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!condition (applet, text))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *log = applet_log (applet);
          g_autofree char *weston = pb_test_wayland_get_log (wayland);

          g_test_message ("The applet's log (the end):\n%s",
                          strlen (log) > 20000 ? log + strlen (log) - 20000 : log);
          g_test_message ("Weston's log:\n%s", weston);
          g_error ("Timed out waiting until %s", what);
        }
      if (applet->applet != NULL && g_subprocess_get_identifier (applet->applet) == NULL)
        {
          g_autofree char *log = applet_log (applet);

          g_error ("The applet exited:\n%s", log);
        }
      g_usleep (50 * 1000);
    }
}

static gboolean
log_mentions (Applet     *applet,
              const char *text)
{
  g_autofree char *log = applet_log (applet);

  return strstr (log, text) != NULL;
}

static gboolean
applet_owns_its_name (Applet     *applet,
                      const char *text)
{
  return name_has_owner (applet->connection, APP_ID);
}

/* The applet's Wayland requests are in its log (WAYLAND_DEBUG=client): a
 * toplevel titled @title was made, by the compositor's own protocol. */
static void
wait_for_toplevel (Applet     *applet,
                   const char *title)
{
  g_autofree char *set_title = g_strdup_printf (".set_title(\"%s\")", title);
  g_autofree char *what = g_strdup_printf ("the applet made a Wayland toplevel “%s”", title);

  wait_until (log_mentions, applet, set_title, what);
  g_assert_true (log_mentions (applet, "xdg_toplevel@"));
}

static void
start_notifications (Applet *applet)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  const char *argv[] = { "/usr/bin/python3", "-m", "dbusmock", "--session",
                         "--template", "notification_daemon",
                         "--parameters", "{\"capabilities\": \"body body-markup actions\"}", NULL };

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  applet->notifications = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  while (!name_has_owner (applet->connection, NOTIFICATIONS_NAME))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The mock notification server did not start");
      g_usleep (20 * 1000);
    }
}

static GVariant *
call_mock (Applet     *applet,
           const char *method,
           GVariant   *parameters,
           const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (applet->connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                                       MOCK_IFACE, method, parameters,
                                       reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

/* The ID the mock server gave the newest notification whose actions include
 * @action (0: none yet). Its IDs count up from 1 for each new notification. */
static guint32
find_notification (Applet     *applet,
                   const char *action)
{
  g_autoptr(GVariant) reply = call_mock (applet, "GetMethodCalls",
                                         g_variant_new ("(s)", "Notify"), "(a(tav))");
  g_autoptr(GVariantIter) calls = NULL;
  GVariantIter *args;
  guint32 next = 1, found = 0;

  g_variant_get (reply, "(a(tav))", &calls);
  while (g_variant_iter_next (calls, "(tav)", NULL, &args))
    {
      g_autoptr(GVariant) replaces = NULL;
      g_autoptr(GVariant) actions = NULL;
      GVariant *item;
      guint32 id;

      for (guint i = 0; g_variant_iter_next (args, "v", &item); i++)
        {
          if (i == 1)
            replaces = item;
          else if (i == 5)
            actions = item;
          else
            g_variant_unref (item);
        }
      g_variant_iter_free (args);
      id = g_variant_get_uint32 (replaces);
      if (id == 0)
        id = next++;
      {
        g_autofree const char **strv = g_variant_get_strv (actions, NULL);

        if (g_strv_contains (strv, action))
          found = id;
      }
    }
  return found;
}

static gboolean
notification_offers (Applet     *applet,
                     const char *action)
{
  return find_notification (applet, action) != 0;
}

/* The server's signals for a click: the token first, as the specification
 * (1.2) says, then the action. */
static void
click (Applet     *applet,
       guint32     id,
       const char *action,
       const char *token)
{
  GVariant *token_args[] = { g_variant_new_variant (g_variant_new_uint32 (id)),
                             g_variant_new_variant (g_variant_new_string (token)) };
  GVariant *action_args[] = { g_variant_new_variant (g_variant_new_uint32 (id)),
                              g_variant_new_variant (g_variant_new_string (action)) };

  g_variant_unref (call_mock (applet, "EmitSignal",
                              g_variant_new ("(sss@av)", NOTIFICATIONS_NAME, "ActivationToken",
                                             "us", g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                                                        token_args, 2)),
                              NULL));
  g_variant_unref (call_mock (applet, "EmitSignal",
                              g_variant_new ("(sss@av)", NOTIFICATIONS_NAME, "ActionInvoked",
                                             "us", g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                                                        action_args, 2)),
                              NULL));
}

/* Runs popbell with @token (may be NULL) as the launcher's activation token. */
static int
run_popbell (Applet     *applet,
             const char *token,
             const char *input,
             const char *first,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("PB_POPBELL"));
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "POPBELL_APPLET", g_getenv ("PB_POPBELL_APPLET"), TRUE);
  set_home (applet, launcher);
  if (token != NULL)
    g_subprocess_launcher_setenv (launcher, "XDG_ACTIVATION_TOKEN", token, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_test_message ("popbell %s → %d\n%s%s", first, g_subprocess_get_exit_status (process), out, err);
  return g_subprocess_get_exit_status (process);
}

static void
start_applet (Applet *applet)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("PB_POPBELL_APPLET"), NULL };

  g_free (applet->log_path);
  applet->log_path = g_strdup_printf ("%s/applet-wayland-%" G_GINT64_FORMAT ".log",
                                      pb_test_get_tmpdir (), g_get_monotonic_time ());
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, applet->log_path);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "popbell-app", TRUE);
  g_subprocess_launcher_setenv (launcher, "WAYLAND_DEBUG", "client", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  set_home (applet, launcher);
  applet->applet = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  wait_until (applet_owns_its_name, applet, NULL, "the applet owns its name");
}

/* Quit: every window closes and the applet exits cleanly, having said
 * nothing of GDK's or GTK's. */
static void
stop_applet (Applet *applet)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (run_popbell (applet, NULL, NULL, "--quit", NULL), ==, 0);
  g_subprocess_wait (applet->applet, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (applet->applet));
  g_assert_cmpint (g_subprocess_get_exit_status (applet->applet), ==, 0);
  g_assert_false (log_mentions (applet, "Gdk-WARNING"));
  g_assert_false (log_mentions (applet, "Gtk-WARNING"));
  g_assert_false (log_mentions (applet, "CRITICAL"));
  g_clear_object (&applet->applet);
}

static void
test_applet_end_to_end (void)
{
  Applet applet = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  g_autoptr(GBytes) empty = NULL;
  g_autoptr(GBytes) two_windows = NULL;
  guint32 id;

  applet.home = pb_test_mkdtemp ("home");
  applet.keyring = pb_test_keyring_new ();
  applet.connection =
    g_dbus_connection_new_for_address_sync (pb_test_keyring_get_bus_address (applet.keyring),
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);
  g_assert_no_error (error);
  start_notifications (&applet);

  /* First start, no account: the wizard opens on its own. */
  empty = screen_now ();
  start_applet (&applet);
  wait_for_toplevel (&applet, "Add Mail Account");
  take_screenshot_after ("applet-wizard", empty);

  /* From a launcher with a token: the mail window, and the token reached
   * the applet in the request's platform data. */
  g_assert_cmpint (run_popbell (&applet, "launcher-token-1", NULL, "--show", NULL), ==, 0);
  wait_for_toplevel (&applet, "New Mail");
  wait_until (log_mentions, &applet, "Activation token from the request: launcher-token-1",
              "the launcher's token reached the applet");
  /* Drawn, before the next one comes. */
  g_usleep (300 * 1000);
  two_windows = screen_now ();
  g_assert_cmpint (run_popbell (&applet, NULL, NULL, "--preferences", NULL), ==, 0);
  wait_for_toplevel (&applet, "Preferences");
  take_screenshot_after ("applet-preferences", two_windows);

  stop_applet (&applet);

  /* A server whose certificate nobody vouches for (any more): the applet,
   * started again, finds it untrusted, and the notification's "Review certificate…"
   * opens the trust dialog, with the server's token. */
  applet.dovecot = pb_dovecot_new_full (PB_DOVECOT_FLAGS_SELF_SIGNED, &error);
  g_assert_no_error (error);
  pb_dovecot_add_user (applet.dovecot, "wayland", PASSWORD, &error);
  g_assert_no_error (error);
  port = g_strdup_printf ("--port=%u", pb_dovecot_get_pop3s_port (applet.dovecot));
  /* Added while its certificate was trusted, then no longer trusted. */
  {
    g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
    g_autofree char *sha256 = pb_certificate_get_sha256 (certificate);
    g_autofree char *fingerprint = g_strconcat ("--fingerprint=", sha256, NULL);
    g_autofree char *server = g_strdup_printf ("localhost:%u",
                                               pb_dovecot_get_pop3s_port (applet.dovecot));
    g_autofree char *trust = g_strconcat ("--trust=", server, NULL);
    g_autofree char *forget = g_strconcat ("--forget-trust=", server, NULL);

    g_assert_cmpint (run_popbell (&applet, NULL, NULL, trust, fingerprint, NULL), ==, 0);
    g_assert_cmpint (run_popbell (&applet, NULL, PASSWORD "\n", "--add-account=home",
                                  "--host=localhost", "--user=wayland", port, "--name=Home",
                                  NULL), ==, 0);
    g_assert_cmpint (run_popbell (&applet, NULL, NULL, forget, NULL), ==, 0);
  }
  start_applet (&applet);
  wait_until (notification_offers, &applet, "review-certificate",
              "a notification offers to review the certificate");
  id = find_notification (&applet, "review-certificate");
  /* No window yet: the applet started in the background. */
  {
    g_autoptr(GBytes) now = screen_now ();

    g_assert_true (g_bytes_equal (now, empty));
  }
  click (&applet, id, "review-certificate", "notification-token-1");
  wait_until (log_mentions, &applet,
              "Activation token from the notification server: notification-token-1",
              "the notification's token reached the applet");
  wait_for_toplevel (&applet, "Review Certificate");
  take_screenshot_after ("applet-trust-dialog", empty);

  stop_applet (&applet);

  g_subprocess_send_signal (applet.notifications, SIGTERM);
  g_subprocess_wait (applet.notifications, NULL, NULL);
  g_clear_object (&applet.notifications);
  g_dbus_connection_close_sync (applet.connection, NULL, NULL);
  g_clear_object (&applet.connection);
  g_clear_pointer (&applet.dovecot, pb_dovecot_free);
  g_clear_pointer (&applet.keyring, pb_test_keyring_free);
  g_free (applet.log_path);
  g_free (applet.home);
}

int
main (int    argc,
      char **argv)
{
  int status;

  pb_test_init (&argc, &argv);
  wayland = pb_test_wayland_new ();
  gtk_init ();

  g_test_add_func ("/pb/wayland/display/is-wayland", test_display_is_wayland);
  g_test_add_func ("/pb/wayland/windows/open-map-and-close", test_windows_open_and_close);
  g_test_add_func ("/pb/wayland/applet/windows-tokens-and-quit", test_applet_end_to_end);

  status = g_test_run ();
  g_clear_pointer (&wayland, pb_test_wayland_free);
  return status;
}
