/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pb-dovecot.h"
#include "pb-test-util.h"

#define START_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define STOP_TIMEOUT_US (3 * G_USEC_PER_SEC)

struct _PbDovecot
{
  PbDovecotFlags flags;
  char *introspection_url;  /* NULL: no OAuth2 */
  char *oauth2_mechanisms;
  char *dir;
  char *instance_name;
  char *conf_path;
  char *log_path;
  char *output_path;    /* Dovecot's stdout and stderr: errors before its log is open */
  char *passwd_prefix;
  char *home_dir;
  GSubprocess *process;
  guint16 pop3_port;
  guint16 pop3s_port;
  uid_t mail_uid;
  gid_t mail_gid;
  gid_t dovecot_gid;
  gint64 last_stamp_us; /* Maildir names sort in delivery order */
  guint sequence;
};

static char *
find_dovecot (void)
{
  char *path = g_find_program_in_path ("dovecot");

  if (path == NULL && g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE))
    path = g_strdup ("/usr/sbin/dovecot");
  return path;
}

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* Written under a temporary name, given its owner and mode, then renamed, so
 * Dovecot never reads a half-written or wrongly owned file. */
static gboolean
write_file_atomic (const char  *path,
                   const char  *contents,
                   gsize        length,
                   mode_t       mode,
                   uid_t        uid,
                   gid_t        gid,
                   GError     **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  gsize done = 0;
  int fd;

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return set_errno_error (error, errno, "Cannot create", tmp);

  while (done < length)
    {
      gssize n = write (fd, contents + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (fd);
          g_unlink (tmp);
          return set_errno_error (error, saved_errno, "Cannot write", tmp);
        }
      done += n;
    }

  if (fchown (fd, uid, gid) < 0 || fchmod (fd, mode) < 0 || close (fd) < 0)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      return set_errno_error (error, saved_errno, "Cannot finish", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      return set_errno_error (error, saved_errno, "Cannot rename to", path);
    }
  return TRUE;
}

static gboolean
make_dir (const char  *path,
          mode_t       mode,
          uid_t        uid,
          gid_t        gid,
          GError     **error)
{
  if (g_mkdir (path, mode) < 0 && errno != EEXIST)
    return set_errno_error (error, errno, "Cannot create", path);
  /* chmod as well: the umask must not take away the search bit Dovecot's users need */
  if (chown (path, uid, gid) < 0 || chmod (path, mode) < 0)
    return set_errno_error (error, errno, "Cannot set the owner of", path);
  return TRUE;
}

static char *
read_file_or_empty (const char *path)
{
  char *contents = NULL;

  if (path == NULL || !g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

char *
pb_dovecot_get_log (PbDovecot *self)
{
  g_autofree char *log = NULL;
  g_autofree char *output = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  log = read_file_or_empty (self->log_path);
  output = read_file_or_empty (self->output_path);
  if (*output == '\0')
    return g_steal_pointer (&log);
  return g_strconcat (log, "--- dovecot's own output ---\n", output, NULL);
}

static gboolean
write_config (PbDovecot  *self,
              GError    **error)
{
  g_autofree char *template_path = NULL;
  g_autofree char *template = NULL;
  gboolean self_signed = (self->flags & PB_DOVECOT_FLAGS_SELF_SIGNED) != 0;
  g_autofree char *cert = pb_test_cert_path (self_signed ? "self-signed.crt" : "server.crt");
  g_autofree char *key = pb_test_cert_path (self_signed ? "self-signed.key" : "server.key");
  g_autofree char *base_dir = g_build_filename (self->dir, "run", NULL);
  g_autofree char *state_dir = g_build_filename (self->dir, "state", NULL);
  g_autofree char *mail_uid = g_strdup_printf ("%u", (guint) self->mail_uid);
  g_autofree char *mail_gid = g_strdup_printf ("%u", (guint) self->mail_gid);
  g_autofree char *pop3_port = g_strdup_printf ("%u", self->pop3_port);
  g_autofree char *pop3s_port = g_strdup_printf ("%u", self->pop3s_port);
  g_autoptr(GString) config = NULL;
  const char *mechanisms = (self->flags & PB_DOVECOT_FLAGS_SASL_LOGIN_ONLY) ? "login" : "plain login";
  g_autofree char *all_mechanisms = NULL;
  g_autofree char *oauth2_passdb = g_strdup ("");
  const char *values[][2] = {
    { "@INSTANCE_NAME@", self->instance_name },
    { "@BASE_DIR@", base_dir },
    { "@STATE_DIR@", state_dir },
    { "@LOG_PATH@", self->log_path },
    { "@MAIL_UID@", mail_uid },
    { "@MAIL_GID@", mail_gid },
    { "@SSL_CERT@", cert },
    { "@SSL_KEY@", key },
    { "@AUTH_MECHANISMS@", NULL },
    { "@OAUTH2_PASSDB@", NULL },
    { "@PASSWD_PREFIX@", self->passwd_prefix },
    { "@HOME_DIR@", self->home_dir },
    { "@POP3_PORT@", pop3_port },
    { "@POP3S_PORT@", pop3s_port },
    { "@POP3_LOCK_SESSION@", (self->flags & PB_DOVECOT_FLAGS_LOCK_SESSION) ? "yes" : "no" },
  };

  if (self->introspection_url != NULL)
    {
      g_autofree char *ext_path = g_build_filename (self->dir, "dovecot-oauth2.conf.ext", NULL);
      g_autofree char *ca = pb_test_cert_path ("ca.crt");
      g_autofree char *ext = NULL;

      /* "post": the token goes in the body (token=…), as RFC 7662 has it. */
      ext = g_strdup_printf ("introspection_mode = post\n"
                             "introspection_url = %s\n"
                             "username_attribute = username\n"
                             "active_attribute = active\n"
                             "active_value = true\n"
                             "tls_ca_cert_file = %s\n"
                             "timeout_msecs = 10000\n",
                             self->introspection_url, ca);
      if (!g_file_set_contents (ext_path, ext, -1, error))
        return FALSE;
      g_free (oauth2_passdb);
      oauth2_passdb = g_strdup_printf ("passdb {\n"
                                       "  driver = oauth2\n"
                                       "  mechanisms = %s\n"
                                       "  args = %s\n"
                                       "}", self->oauth2_mechanisms, ext_path);
      all_mechanisms = g_strconcat (mechanisms, " ", self->oauth2_mechanisms, NULL);
    }
  else
    all_mechanisms = g_strdup (mechanisms);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      if (strcmp (values[i][0], "@AUTH_MECHANISMS@") == 0)
        values[i][1] = all_mechanisms;
      else if (strcmp (values[i][0], "@OAUTH2_PASSDB@") == 0)
        values[i][1] = oauth2_passdb;
    }

  template_path = g_test_build_filename (G_TEST_DIST, "dovecot", "dovecot.conf.in", NULL);
  if (!g_file_get_contents (template_path, &template, NULL, error))
    return FALSE;

  config = g_string_new (template);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    g_string_replace (config, values[i][0], values[i][1], 0);

  if (g_regex_match_simple ("@[A-Z0-9_]+@", config->str, 0, 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s has a placeholder this code does not fill in", template_path);
      return FALSE;
    }

  return g_file_set_contents (self->conf_path, config->str, config->len, error);
}

static void
child_setup (gpointer user_data)
{
  /* A test that aborts must not leave a Dovecot listening behind it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
process_exited (PbDovecot *self)
{
  /* GSubprocess reaps the child in GLib's worker thread; no main loop needed. */
  return g_subprocess_get_identifier (self->process) == NULL;
}

/* PIDs of processes titled "dovecot-<instance name>/...": this instance's
 * children, which Dovecot renames so; the unique instance name keeps other
 * Dovecots out. */
static GArray *
find_leftovers (PbDovecot *self)
{
  g_autofree char *prefix = g_strconcat ("dovecot-", self->instance_name, "/", NULL);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "cmdline", NULL);
      if (g_file_get_contents (path, &cmdline, NULL, NULL) && g_str_has_prefix (cmdline, prefix))
        {
          GPid pid = atoi (name);

          g_array_append_val (pids, pid);
        }
    }
  return pids;
}

static void
stop_process (PbDovecot *self)
{
  gint64 deadline;

  if (self->process == NULL)
    return;

  if (!process_exited (self))
    g_subprocess_send_signal (self->process, SIGTERM);

  deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;
  while (!process_exited (self) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);

  if (!process_exited (self))
    {
      /* Seen when a login process was still starting: it waits for the
       * config process, which is gone, and the master waits for it. */
      g_debug ("Dovecot did not stop within %d s; killing it",
               (int) (STOP_TIMEOUT_US / G_USEC_PER_SEC));
      g_subprocess_force_exit (self->process);
      g_subprocess_wait (self->process, NULL, NULL);
    }
  g_clear_object (&self->process);

  /* Without their master, children exit on their own, but not at once. */
  deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;
  for (;;)
    {
      g_autoptr(GArray) pids = find_leftovers (self);

      if (pids->len == 0)
        break;
      if (g_get_monotonic_time () > deadline)
        {
          g_debug ("%u Dovecot processes are still running", pids->len);
          break;
        }
      for (guint i = 0; i < pids->len; i++)
        kill (g_array_index (pids, GPid, i), SIGKILL);
      g_usleep (10 * 1000);
    }
}

/* TRUE once the port answers with a POP3 greeting, over TLS when @database
 * is set: then Dovecot's login and auth processes are up. A connection closed
 * before that would leave a login process starting, and Dovecot cannot stop
 * cleanly while one is. */
static gboolean
port_greets (guint16       port,
             GTlsDatabase *database)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  GIOStream *stream;
  char buffer[4] = { 0 };
  gsize got = 0;

  g_socket_client_set_timeout (client, 2);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, NULL);
  if (connection == NULL)
    return FALSE;
  stream = G_IO_STREAM (connection);

  if (database != NULL)
    {
      tls = g_tls_client_connection_new (stream, G_SOCKET_CONNECTABLE (address), NULL);
      if (tls == NULL)
        return FALSE;
      g_tls_connection_set_database (G_TLS_CONNECTION (tls), database);
      if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL))
        return FALSE;
      stream = tls;
    }

  if (!g_input_stream_read_all (g_io_stream_get_input_stream (stream), buffer, 3, &got, NULL, NULL))
    return FALSE;
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), "QUIT\r\n", 6, NULL, NULL, NULL);
  return got == 3 && memcmp (buffer, "+OK", 3) == 0;
}

typedef enum
{
  START_OK,
  START_FAILED,
  START_PORT_TAKEN,
} StartResult;

static StartResult
start_once (PbDovecot   *self,
            const char  *dovecot,
            GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  /* A self-signed certificate is its own anchor. */
  g_autofree char *ca = pb_test_cert_path ((self->flags & PB_DOVECOT_FLAGS_SELF_SIGNED)
                                           ? "self-signed.crt" : "ca.crt");
  g_autofree char *log = NULL;
  gint64 deadline;

  database = g_tls_file_database_new (ca, error);
  if (database == NULL)
    return START_FAILED;

  self->pop3_port = pb_test_free_port ();
  do
    self->pop3s_port = pb_test_free_port ();
  while (self->pop3s_port == self->pop3_port);

  if (!write_config (self, error))
    return START_FAILED;

  /* Empty again, so a retry's log does not show the first attempt's failure. */
  if (!g_file_set_contents (self->log_path, "", 0, error) ||
      !g_file_set_contents (self->output_path, "", 0, error))
    return START_FAILED;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_cwd (launcher, self->dir);
  g_subprocess_launcher_set_stdout_file_path (launcher, self->output_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, self->output_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawn (launcher, error, dovecot, "-F", "-c",
                                               self->conf_path, NULL);
  if (self->process == NULL)
    return START_FAILED;

  deadline = g_get_monotonic_time () + START_TIMEOUT_US;
  while (g_get_monotonic_time () < deadline && !process_exited (self))
    {
      if (port_greets (self->pop3_port, NULL) && port_greets (self->pop3s_port, database))
        {
          g_debug ("Dovecot %s ready on ports %u (pop3) and %u (pop3s)",
                   self->instance_name, self->pop3_port, self->pop3s_port);
          return START_OK;
        }
      g_usleep (20 * 1000);
    }

  stop_process (self);
  log = pb_dovecot_get_log (self);
  if (strstr (log, "Address already in use") != NULL)
    {
      g_debug ("Dovecot could not bind its ports; trying others");
      return START_PORT_TAKEN;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "Dovecot did not answer on 127.0.0.1 ports %u and %u within %d s. Its log:\n%s",
               self->pop3_port, self->pop3s_port, (int) (START_TIMEOUT_US / G_USEC_PER_SEC), log);
  return START_FAILED;
}

static gboolean
lookup_users (PbDovecot  *self,
              GError    **error)
{
  const struct passwd *mail_user = getpwnam ("nobody");
  const struct group *mail_group = getgrnam ("nogroup");
  const struct group *dovecot_group = getgrnam ("dovecot");

  if (mail_user == NULL || getpwnam ("dovecot") == NULL || getpwnam ("dovenull") == NULL ||
      dovecot_group == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The users nobody, dovecot and dovenull and the group dovecot must exist");
      return FALSE;
    }
  self->mail_uid = mail_user->pw_uid;
  self->mail_gid = mail_group != NULL ? mail_group->gr_gid : mail_user->pw_gid;
  self->dovecot_gid = dovecot_group->gr_gid;
  return TRUE;
}

/* One password file per user: Dovecot looks at a passwd-file at most once a
 * second, so a user added to a shared file within that second would be
 * unknown; a new file is always read. */
static gboolean
write_user (PbDovecot   *self,
            const char  *user,
            const char  *password,
            GError     **error)
{
  g_autofree char *path = g_strdup_printf ("%s.TLS/%s", self->passwd_prefix, user);
  g_autofree char *line = g_strdup_printf ("%s:{PLAIN}%s\n", user, password);

  return write_file_atomic (path, line, strlen (line), 0640, 0, self->dovecot_gid, error);
}

static gboolean
prepare_dir (PbDovecot  *self,
             GError    **error)
{
  const char *user_dirs[] = { ".TLS", ".secured", "." };
  g_autofree char *run_dir = g_build_filename (self->dir, "run", NULL);
  g_autofree char *state_dir = g_build_filename (self->dir, "state", NULL);

  /* Dovecot's unprivileged processes (dovecot, dovenull, nobody) must pass
   * through the test's private folder and this one to reach their sockets and
   * the Maildirs; they still cannot list them. */
  if (chmod (pb_test_get_tmpdir (), 0711) < 0)
    return set_errno_error (error, errno, "Cannot open up", pb_test_get_tmpdir ());
  if (!make_dir (self->dir, 0711, 0, 0, error) ||
      !make_dir (run_dir, 0755, 0, 0, error) ||
      !make_dir (state_dir, 0755, 0, 0, error) ||
      !make_dir (self->home_dir, 0711, 0, 0, error))
    return FALSE;

  /* Only TLS connections find users: the other folders stay empty. */
  for (guint i = 0; i < G_N_ELEMENTS (user_dirs); i++)
    {
      g_autofree char *path = g_strconcat (self->passwd_prefix, user_dirs[i], NULL);

      if (!make_dir (path, 0750, 0, self->dovecot_gid, error))
        return FALSE;
    }
  return TRUE;
}

static PbDovecot *
dovecot_new (const char      *introspection_url,
             const char      *oauth2_mechanisms,
             PbDovecotFlags   flags,
             GError         **error)
{
  g_autoptr(PbDovecot) self = NULL;
  g_autofree char *dovecot = find_dovecot ();
  g_autofree char *base = NULL;
  StartResult result;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (dovecot == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "dovecot is not installed (Debian: dovecot-core, dovecot-pop3d)");
      return NULL;
    }

  self = g_new0 (PbDovecot, 1);
  self->flags = flags;
  self->introspection_url = g_strdup (introspection_url);
  self->oauth2_mechanisms = g_strdup (oauth2_mechanisms);
  if (!lookup_users (self, error))
    return NULL;

  self->dir = pb_test_mkdtemp ("dovecot");
  base = g_path_get_basename (self->dir);
  /* Unique, so the processes of this instance can be told apart by their titles. */
  self->instance_name = g_strconcat ("popbell-", base, NULL);
  self->conf_path = g_build_filename (self->dir, "dovecot.conf", NULL);
  self->log_path = g_build_filename (self->dir, "dovecot.log", NULL);
  self->output_path = g_build_filename (self->dir, "dovecot.out", NULL);
  self->passwd_prefix = g_build_filename (self->dir, "users", NULL);
  self->home_dir = g_build_filename (self->dir, "home", NULL);

  if (!prepare_dir (self, error))
    return NULL;

  result = start_once (self, dovecot, error);
  if (result == START_PORT_TAKEN)
    result = start_once (self, dovecot, error);
  if (result == START_PORT_TAKEN)
    {
      g_autofree char *log = pb_dovecot_get_log (self);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   "Dovecot found its ports taken twice. Its log:\n%s", log);
      return NULL;
    }
  if (result != START_OK)
    return NULL;

  return g_steal_pointer (&self);
}

PbDovecot *
pb_dovecot_new_full (PbDovecotFlags   flags,
                     GError         **error)
{
  return dovecot_new (NULL, NULL, flags, error);
}

PbDovecot *
pb_dovecot_new_oauth2 (const char      *introspection_url,
                       const char      *mechanisms,
                       PbDovecotFlags   flags,
                       GError         **error)
{
  g_return_val_if_fail (introspection_url != NULL, NULL);
  g_return_val_if_fail (mechanisms != NULL && *mechanisms != '\0', NULL);
  return dovecot_new (introspection_url, mechanisms, flags, error);
}

PbDovecot *
pb_dovecot_new (GError **error)
{
  return pb_dovecot_new_full (PB_DOVECOT_FLAGS_NONE, error);
}

void
pb_dovecot_free (PbDovecot *self)
{
  if (self == NULL)
    return;

  stop_process (self);
  if (self->dir != NULL && g_getenv ("PB_TEST_KEEP_TMP") == NULL)
    pb_test_rm_rf (self->dir);

  g_free (self->introspection_url);
  g_free (self->oauth2_mechanisms);
  g_free (self->dir);
  g_free (self->instance_name);
  g_free (self->conf_path);
  g_free (self->log_path);
  g_free (self->output_path);
  g_free (self->passwd_prefix);
  g_free (self->home_dir);
  g_free (self);
}

guint16
pb_dovecot_get_pop3s_port (PbDovecot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->pop3s_port;
}

guint16
pb_dovecot_get_pop3_port (PbDovecot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->pop3_port;
}

const char *
pb_dovecot_get_dir (PbDovecot *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->dir;
}

const char *
pb_dovecot_get_instance_name (PbDovecot *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->instance_name;
}

char *
pb_dovecot_get_maildir (PbDovecot  *self,
                        const char *user)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  return g_build_filename (self->home_dir, user, "Maildir", NULL);
}

static gboolean
valid_field (const char *value,
             gboolean    is_user)
{
  if (*value == '\0' || strpbrk (value, ":\r\n") != NULL)
    return FALSE;
  if (is_user)
    return strchr (value, '/') == NULL && strcmp (value, ".") != 0 && strcmp (value, "..") != 0;
  return TRUE;
}

gboolean
pb_dovecot_add_user (PbDovecot   *self,
                     const char  *user,
                     const char  *password,
                     GError     **error)
{
  const char *subdirs[] = { "cur", "new", "tmp" };
  g_autofree char *home = NULL;
  g_autofree char *maildir = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!valid_field (user, TRUE) || !valid_field (password, FALSE))
    {
      /* The values themselves stay out of the message: one is a password. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "A Dovecot user name or password is empty or contains ':', '/' "
                           "or a line break");
      return FALSE;
    }

  home = g_build_filename (self->home_dir, user, NULL);
  maildir = g_build_filename (home, "Maildir", NULL);
  if (!make_dir (home, 0700, self->mail_uid, self->mail_gid, error) ||
      !make_dir (maildir, 0700, self->mail_uid, self->mail_gid, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (maildir, subdirs[i], NULL);

      if (!make_dir (path, 0700, self->mail_uid, self->mail_gid, error))
        return FALSE;
    }

  return write_user (self, user, password, error);
}

/* State for writing many messages into one Maildir with few allocations. */
typedef struct
{
  PbDovecot *self;
  int tmp_fd;           /* directory fds, so paths stay short */
  int new_fd;
  GString *name;
  GString *final_name;
} Delivery;

static void
delivery_clear (Delivery *delivery)
{
  if (delivery->tmp_fd >= 0)
    close (delivery->tmp_fd);
  if (delivery->new_fd >= 0)
    close (delivery->new_fd);
  if (delivery->name != NULL)
    g_string_free (delivery->name, TRUE);
  if (delivery->final_name != NULL)
    g_string_free (delivery->final_name, TRUE);
}

static gboolean
delivery_init (Delivery    *delivery,
               PbDovecot   *self,
               const char  *user,
               GError     **error)
{
  g_autofree char *maildir = pb_dovecot_get_maildir (self, user);
  g_autofree char *tmp = g_build_filename (maildir, "tmp", NULL);
  g_autofree char *new = g_build_filename (maildir, "new", NULL);

  delivery->self = self;
  delivery->name = g_string_sized_new (80);
  delivery->final_name = g_string_sized_new (100);
  delivery->tmp_fd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  delivery->new_fd = open (new, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (delivery->tmp_fd < 0 || delivery->new_fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No Maildir at %s: was pb_dovecot_add_user called for this user?", maildir);
      return FALSE;
    }
  return TRUE;
}

static gboolean
delivery_write (Delivery    *delivery,
                const char  *message,
                gsize        length,
                GError     **error)
{
  PbDovecot *self = delivery->self;
  gint64 stamp = MAX (g_get_real_time (), self->last_stamp_us + 1);
  gsize crlf_size = length;
  const char *p = message;
  const char *end = message + length;
  gsize done = 0;
  int fd;

  /* Dovecot sends a bare LF as CRLF; W= is that size, which POP3 reports. */
  while ((p = memchr (p, '\n', end - p)) != NULL)
    {
      if (p == message || p[-1] != '\r')
        crlf_size++;
      p++;
    }

  self->last_stamp_us = stamp;
  g_string_printf (delivery->name, "%" G_GINT64_FORMAT ".M%06dP%dQ%u.popbell-test",
                   stamp / G_USEC_PER_SEC, (int) (stamp % G_USEC_PER_SEC), (int) getpid (),
                   ++self->sequence);
  g_string_printf (delivery->final_name, "%s,S=%" G_GSIZE_FORMAT ",W=%" G_GSIZE_FORMAT,
                   delivery->name->str, length, crlf_size);

  fd = openat (delivery->tmp_fd, delivery->name->str,
               O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return set_errno_error (error, errno, "Cannot create the message", delivery->name->str);
  while (done < length)
    {
      gssize n = write (fd, message + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      done += n;
    }
  if (done < length || fchown (fd, self->mail_uid, self->mail_gid) < 0 || close (fd) < 0)
    {
      int saved_errno = errno;

      unlinkat (delivery->tmp_fd, delivery->name->str, 0);
      return set_errno_error (error, saved_errno, "Cannot write the message", delivery->name->str);
    }

  if (renameat (delivery->tmp_fd, delivery->name->str,
                delivery->new_fd, delivery->final_name->str) < 0)
    {
      int saved_errno = errno;

      unlinkat (delivery->tmp_fd, delivery->name->str, 0);
      return set_errno_error (error, saved_errno, "Cannot deliver the message",
                              delivery->final_name->str);
    }
  return TRUE;
}

gboolean
pb_dovecot_deliver (PbDovecot   *self,
                    const char  *user,
                    const char  *message,
                    gsize        length,
                    GError     **error)
{
  Delivery delivery = { .tmp_fd = -1, .new_fd = -1 };
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (message != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ok = delivery_init (&delivery, self, user, error) &&
       delivery_write (&delivery, message, length, error);
  delivery_clear (&delivery);
  return ok;
}

static void
default_generator (guint     index,
                   GString  *message,
                   gpointer  user_data)
{
  g_string_append_printf (message,
                          "From: Sender %u <sender%u@example.com>\n"
                          "To: user@localhost\n"
                          "Subject: Message %u\n"
                          "Date: Mon, 3 Jun 2024 10:00:00 +0000\n"
                          "Message-ID: <%u.popbell-test@localhost>\n"
                          "\n"
                          "Body of message %u.\n",
                          index % 97, index % 97, index, index, index);
}

gboolean
pb_dovecot_deliver_many (PbDovecot           *self,
                         const char          *user,
                         guint                n,
                         PbDovecotGenerator   generator,
                         gpointer             user_data,
                         GError             **error)
{
  Delivery delivery = { .tmp_fd = -1, .new_fd = -1 };
  g_autoptr(GString) message = g_string_sized_new (1024);
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (generator == NULL)
    generator = default_generator;

  ok = delivery_init (&delivery, self, user, error);
  for (guint i = 0; ok && i < n; i++)
    {
      g_string_truncate (message, 0);
      generator (i, message, user_data);
      ok = delivery_write (&delivery, message->str, message->len, error);
    }
  delivery_clear (&delivery);
  return ok;
}
