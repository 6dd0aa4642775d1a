/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>

#include "pb-test-xvfb.h"

struct _PbTestXvfb
{
  GPid  pid;
  char *display;
};

static void
child_setup (gpointer user_data)
{
  /* Never outlive a crashed test. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

PbTestXvfb *
pb_test_xvfb_new (void)
{
  g_autofree char *xvfb = g_find_program_in_path ("Xvfb");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) number = g_string_new (NULL);
  PbTestXvfb *self;
  int pipe_fds[2];
  g_autofree char *fd_arg = NULL;
  gint64 deadline;

  if (xvfb == NULL)
    return NULL;

  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  fd_arg = g_strdup_printf ("%d", pipe_fds[1]);

  {
    const char *argv[] = { xvfb, "-displayfd", fd_arg, "-screen", "0", "1280x1024x24",
                           "-nolisten", "tcp", "-noreset", NULL };
    GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                        G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_LEAVE_DESCRIPTORS_OPEN;
    self = g_new0 (PbTestXvfb, 1);
    g_spawn_async (NULL, (char **) argv, NULL, flags, child_setup, NULL, &self->pid, &error);
    g_assert_no_error (error);
  }
  close (pipe_fds[1]);

  /* Xvfb writes its display number and a newline once it accepts clients. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;)
    {
      char c;
      ssize_t n = read (pipe_fds[0], &c, 1);

      if (n == 1 && c == '\n')
        break;
      if (n == 1)
        {
          g_string_append_c (number, c);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      g_error ("Xvfb did not start");
    }
  close (pipe_fds[0]);
  if (g_get_monotonic_time () > deadline || number->len == 0)
    g_error ("Xvfb did not start within 10 s");

  self->display = g_strdup_printf (":%s", number->str);
  g_setenv ("DISPLAY", self->display, TRUE);
  g_unsetenv ("WAYLAND_DISPLAY");
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  return self;
}

const char *
pb_test_xvfb_get_display (PbTestXvfb *self)
{
  return self->display;
}

void
pb_test_xvfb_free (PbTestXvfb *self)
{
  if (self == NULL)
    return;

  kill (self->pid, SIGTERM);
  waitpid (self->pid, NULL, 0);
  g_spawn_close_pid (self->pid);
  g_free (self->display);
  g_free (self);
}
