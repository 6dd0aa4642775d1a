/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "pb-test-util.h"
#include "pb-test-wayland.h"

struct _PbTestWayland
{
  GPid  pid;
  char *socket_name;
  char *log_path;
};

static void
child_setup (gpointer user_data)
{
  /* Never outlive a crashed test. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
accepts_clients (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean connected;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (strlen (path), <, sizeof address.sun_path);
  strcpy (address.sun_path, path);
  connected = connect (fd, (struct sockaddr *) &address, sizeof address) == 0;
  close (fd);
  return connected;
}

PbTestWayland *
pb_test_wayland_new (void)
{
  g_autofree char *weston = g_find_program_in_path ("weston");
  g_autofree char *socket_arg = NULL;
  g_autofree char *log_arg = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config_arg = NULL;
  g_autoptr(GError) error = NULL;
  const char *runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  PbTestWayland *self;
  gint64 deadline;

  if (weston == NULL)
    g_error ("weston is not installed (build-aux/packages.txt lists it)");
  g_assert_nonnull (runtime_dir);

  self = g_new0 (PbTestWayland, 1);
  self->socket_name = g_strdup_printf ("popbell-test-%d", (int) getpid ());
  self->log_path = g_build_filename (pb_test_get_tmpdir (), "weston.log", NULL);
  socket_arg = g_strconcat ("--socket=", self->socket_name, NULL);
  log_arg = g_strconcat ("--log=", self->log_path, NULL);
  socket_path = g_build_filename (runtime_dir, self->socket_name, NULL);
  config_path = g_build_filename (pb_test_get_tmpdir (), "weston.ini", NULL);
  config_arg = g_strconcat ("--config=", config_path, NULL);
  /* No animations (a screenshot would catch a window fading in), no panel
   * (its clock would change the picture), a plain background. */
  g_file_set_contents (config_path,
                       "[core]\n"
                       "idle-time=0\n"
                       "[shell]\n"
                       "animation=none\n"
                       "close-animation=none\n"
                       "startup-animation=none\n"
                       "focus-animation=none\n"
                       "panel-position=none\n"
                       "background-image=\n"
                       "background-color=0xff3c5a78\n",
                       -1, &error);
  g_assert_no_error (error);

  {
    const char *argv[] = { weston, "--backend=headless-backend.so", "--use-pixman",
                           "--width=1024", "--height=768", config_arg, "--debug", socket_arg,
                           log_arg, NULL };
    GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                        G_SPAWN_STDERR_TO_DEV_NULL;
    /* Weston itself is no client of another compositor or X server. */
    g_auto(GStrv) envp = g_get_environ ();

    envp = g_environ_unsetenv (envp, "WAYLAND_DISPLAY");
    envp = g_environ_unsetenv (envp, "DISPLAY");
    g_spawn_async (NULL, (char **) argv, envp, flags, child_setup, NULL, &self->pid, &error);
    g_assert_no_error (error);
  }

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!g_file_test (socket_path, G_FILE_TEST_EXISTS) || !accepts_clients (socket_path))
    {
      if (g_get_monotonic_time () > deadline || waitpid (self->pid, NULL, WNOHANG) != 0)
        {
          g_autofree char *log = pb_test_wayland_get_log (self);

          g_error ("weston did not start within 10 s:\n%s", log);
        }
      g_usleep (20 * 1000);
    }

  g_setenv ("WAYLAND_DISPLAY", self->socket_name, TRUE);
  g_unsetenv ("DISPLAY");
  g_setenv ("GDK_BACKEND", "wayland", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  return self;
}

const char *
pb_test_wayland_get_display (PbTestWayland *self)
{
  return self->socket_name;
}

char *
pb_test_wayland_get_log (PbTestWayland *self)
{
  char *log = NULL;

  if (!g_file_get_contents (self->log_path, &log, NULL, NULL))
    log = g_strdup ("");
  return log;
}

void
pb_test_wayland_screenshot (PbTestWayland *self,
                            const char    *path)
{
  g_autofree char *dir = pb_test_mkdtemp ("screenshot");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  g_autofree char *parent = g_path_get_dirname (path);
  const char *argv[] = { "weston-screenshooter", NULL };
  const char *name;
  int status = 0;

  /* It writes wayland-screenshot-DATE.png into the current folder. */
  g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("weston-screenshooter failed: %s%s", out, err);

  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  name = g_dir_read_name (listing);
  g_assert_nonnull (name);
  g_assert_true (g_str_has_suffix (name, ".png"));
  {
    g_autofree char *shot = g_build_filename (dir, name, NULL);

    g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
    g_assert_cmpint (g_rename (shot, path), ==, 0);
  }
  g_test_message ("Screenshot: %s", path);
  g_clear_pointer (&listing, g_dir_close);
  g_rmdir (dir);
}

void
pb_test_wayland_free (PbTestWayland *self)
{
  if (self == NULL)
    return;

  kill (self->pid, SIGTERM);
  waitpid (self->pid, NULL, 0);
  g_spawn_close_pid (self->pid);
  g_free (self->socket_name);
  g_free (self->log_path);
  g_free (self);
}
