/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pb-dovecot.h"
#include "pb-real-server.h"
#include "pb-test-util.h"

const char *const pb_real_server_names[] = { "dovecot", "courier", "cyrus", "mailutils", NULL };

struct _PbRealServer
{
  char      *name;
  PbDovecot *dovecot;   /* Dovecot, or NULL for a scripted one */
  char      *script;    /* tests/servers/NAME/server */
  char      *dir;
  guint16    pop3s_port;
  guint16    pop3_port;
};

/* Runs the server script with @args after the subcommand; its output and
 * errors go into @error when it fails. */
static gboolean
run_script (PbRealServer  *self,
            const char    *subcommand,
            const char    *input,
            const char   **args,
            GError       **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;

  g_ptr_array_add (argv, self->script);
  g_ptr_array_add (argv, (gpointer) subcommand);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (flags | (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE
                                                               : G_SUBPROCESS_FLAGS_NONE));
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, error);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, error))
    return FALSE;
  if (g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0)
    return TRUE;

  g_set_error (error, G_IO_ERROR,
               g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 77
                 ? G_IO_ERROR_NOT_FOUND : G_IO_ERROR_FAILED,
               "%s %s failed:\n%s%s", self->name, subcommand, out ? out : "", err ? err : "");
  return FALSE;
}

/* Every pid the instance wrote down, and their process groups. */
static void
kill_recorded (PbRealServer *self,
               int           sig)
{
  g_autofree char *path = g_build_filename (self->dir, "pids", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 pid;

      if (g_ascii_string_to_unsigned (g_strstrip (lines[i]), 10, 2, G_MAXINT, &pid, NULL))
        {
          kill (-(pid_t) pid, sig);
          kill ((pid_t) pid, sig);
        }
    }
}

PbRealServer *
pb_real_server_new (const char  *name,
                    GError     **error)
{
  g_autoptr(PbRealServer) self = g_new0 (PbRealServer, 1);
  g_autofree char *cert = pb_test_cert_path ("self-signed.crt");
  g_autofree char *key = pb_test_cert_path ("self-signed.key");
  g_autofree char *pop3s = NULL;
  g_autofree char *pop3 = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  self->name = g_strdup (name);

  if (g_str_equal (name, "dovecot"))
    {
      self->dovecot = pb_dovecot_new_full (PB_DOVECOT_FLAGS_SELF_SIGNED |
                                           PB_DOVECOT_FLAGS_LOCK_SESSION, error);
      if (self->dovecot == NULL)
        return NULL;
      self->pop3s_port = pb_dovecot_get_pop3s_port (self->dovecot);
      self->pop3_port = pb_dovecot_get_pop3_port (self->dovecot);
      return g_steal_pointer (&self);
    }

  self->script = g_test_build_filename (G_TEST_DIST, "servers", name, "server", NULL);
  if (!g_file_test (self->script, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no server called %s", name);
      return NULL;
    }
  if (!run_script (self, "check", NULL, NULL, error))
    return NULL;

  /* The servers' unprivileged users must reach the instance's folder. */
  if (chmod (pb_test_get_tmpdir (), 0711) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "chmod: %s",
                   g_strerror (errno));
      return NULL;
    }
  self->dir = pb_test_mkdtemp (name);
  if (chmod (self->dir, 0755) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "chmod: %s",
                   g_strerror (errno));
      return NULL;
    }

  /* Free ports can be taken by someone else before the server binds them:
   * try again with others. */
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      const char *args[6];

      g_clear_error (&local_error);
      self->pop3s_port = pb_test_free_port ();
      do
        self->pop3_port = pb_test_free_port ();
      while (self->pop3_port == self->pop3s_port);
      g_free (pop3s);
      g_free (pop3);
      pop3s = g_strdup_printf ("%u", self->pop3s_port);
      pop3 = g_strdup_printf ("%u", self->pop3_port);
      args[0] = self->dir;
      args[1] = pop3s;
      args[2] = pop3;
      args[3] = cert;
      args[4] = key;
      args[5] = NULL;
      if (run_script (self, "start", NULL, args, &local_error))
        return g_steal_pointer (&self);

      g_test_message ("%s did not start: %s", name, local_error->message);
      {
        const char *stop_args[] = { self->dir, NULL };

        run_script (self, "stop", NULL, stop_args, NULL);
        kill_recorded (self, SIGKILL);
      }
    }

  g_propagate_error (error, local_error);
  return NULL;
}

void
pb_real_server_free (PbRealServer *self)
{
  if (self == NULL)
    return;

  if (self->dovecot != NULL)
    pb_dovecot_free (self->dovecot);
  if (self->dir != NULL)
    {
      const char *args[] = { self->dir, NULL };
      g_autoptr(GError) error = NULL;

      if (self->script != NULL && !run_script (self, "stop", NULL, args, &error))
        g_test_message ("%s", error->message);
      kill_recorded (self, SIGKILL);
      pb_test_rm_rf (self->dir);
    }
  g_free (self->dir);
  g_free (self->script);
  g_free (self->name);
  g_free (self);
}

const char *
pb_real_server_get_name (PbRealServer *self)
{
  return self->name;
}

guint16
pb_real_server_get_pop3s_port (PbRealServer *self)
{
  return self->pop3s_port;
}

guint16
pb_real_server_get_pop3_port (PbRealServer *self)
{
  return self->pop3_port;
}

gboolean
pb_real_server_locks_maildrop (PbRealServer *self)
{
  /* Courier and Cyrus let a second session in while one is open. */
  return g_str_equal (self->name, "dovecot") || g_str_equal (self->name, "mailutils");
}

gboolean
pb_real_server_add_user (PbRealServer  *self,
                         const char    *user,
                         const char    *password,
                         GError       **error)
{
  const char *args[] = { self->dir, user, password, NULL };

  if (self->dovecot != NULL)
    return pb_dovecot_add_user (self->dovecot, user, password, error);
  return run_script (self, "add-user", NULL, args, error);
}

gboolean
pb_real_server_deliver (PbRealServer  *self,
                        const char    *user,
                        const char    *message,
                        GError       **error)
{
  const char *args[] = { self->dir, user, NULL };

  if (self->dovecot != NULL)
    return pb_dovecot_deliver (self->dovecot, user, message, strlen (message), error);
  return run_script (self, "deliver", message, args, error);
}

char *
pb_real_server_get_log (PbRealServer *self)
{
  const char *args[] = { self->dir, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;

  if (self->dovecot != NULL)
    return pb_dovecot_get_log (self->dovecot);

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                              NULL, self->script, "log", args[0], NULL);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, NULL))
    return g_strdup ("");
  return g_steal_pointer (&out);
}
