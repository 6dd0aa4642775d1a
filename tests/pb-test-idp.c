/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "pb-test-idp.h"
#include "pb-test-util.h"

struct _PbTestIdp
{
  GSubprocess  *process;
  guint16       port;
  SoupSession  *session;
  char         *dir;
};

static void
on_ready_line (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  char **line = user_data;
  g_autoptr(GError) error = NULL;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                      &error);
  if (*line == NULL)
    *line = g_strdup (error != NULL ? error->message : "(end of output)");
}

PbTestIdp *
pb_test_idp_new (const char *config_json)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "oauth2", "idp.py", NULL);
  g_autofree char *cert = pb_test_cert_path ("server.crt");
  g_autofree char *key = pb_test_cert_path ("server.key");
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autofree char *config_path = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  PbTestIdp *idp = g_new0 (PbTestIdp, 1);
  guint64 port = 0;
  gint64 deadline;

  idp->dir = pb_test_mkdtemp ("idp");
  g_ptr_array_add (argv, "python3");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, "--cert");
  g_ptr_array_add (argv, cert);
  g_ptr_array_add (argv, "--key");
  g_ptr_array_add (argv, key);
  if (config_json != NULL)
    {
      config_path = g_build_filename (idp->dir, "config.json", NULL);
      g_assert_true (g_file_set_contents (config_path, config_json, -1, NULL));
      g_ptr_array_add (argv, "--config");
      g_ptr_array_add (argv, config_path);
    }
  g_ptr_array_add (argv, NULL);

  /* Its stderr (one line per request) goes into the test's log. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  idp->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                               &error);
  g_assert_no_error (error);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (idp->process));
  g_data_input_stream_read_line_async (output, G_PRIORITY_DEFAULT, NULL, on_ready_line, &line);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (line == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  if (line == NULL || !g_str_has_prefix (line, "READY ") ||
      !g_ascii_string_to_unsigned (line + 6, 10, 1, 65535, &port, NULL))
    g_error ("The identity provider did not start: %s", line != NULL ? line : "(no answer)");
  idp->port = (guint16) port;

  database = g_tls_file_database_new (ca, &error);
  g_assert_no_error (error);
  idp->session = soup_session_new_with_options ("tls-database", database, "timeout", 10, NULL);
  g_test_message ("Identity provider on https://127.0.0.1:%u", idp->port);
  return idp;
}

void
pb_test_idp_free (PbTestIdp *idp)
{
  if (idp == NULL)
    return;

  /* Closing its stdin ends it; a kill if it takes long. */
  g_output_stream_close (g_subprocess_get_stdin_pipe (idp->process), NULL, NULL);
  for (guint i = 0; i < 300 && g_subprocess_get_identifier (idp->process) != NULL; i++)
    g_usleep (10 * 1000);
  if (g_subprocess_get_identifier (idp->process) != NULL)
    g_subprocess_force_exit (idp->process);
  g_subprocess_wait (idp->process, NULL, NULL);
  g_clear_object (&idp->process);
  g_clear_object (&idp->session);
  pb_test_rm_rf (idp->dir);
  g_free (idp->dir);
  g_free (idp);
}

guint16
pb_test_idp_get_port (PbTestIdp *idp)
{
  return idp->port;
}

char *
pb_test_idp_url (PbTestIdp  *idp,
                 const char *path)
{
  return g_strdup_printf ("https://127.0.0.1:%u%s", idp->port, path);
}

void
pb_test_idp_write_provider (PbTestIdp  *idp,
                            const char *name,
                            const char *scope)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "popbell", NULL);
  g_autofree char *path = g_build_filename (dir, "oauth2.ini", NULL);
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autofree char *contents = NULL;

  contents = g_strdup_printf ("[%s]\n"
                              "name=Test Provider\n"
                              "authorization-endpoint=https://127.0.0.1:%u/authorize\n"
                              "token-endpoint=https://127.0.0.1:%u/token\n"
                              "device-authorization-endpoint=https://127.0.0.1:%u/device\n"
                              "client-id=popbell-test\n"
                              "scope=%s\n"
                              "ca-file=%s\n",
                              name, idp->port, idp->port, idp->port, scope, ca);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

/* One request; the answer's body, and its status in *@status. */
static GBytes *
request (PbTestIdp  *idp,
         const char *method,
         const char *url,
         const char *json,
         guint      *status)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  GBytes *body;

  g_assert_nonnull (message);
  if (json != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  body = soup_session_send_and_read (idp->session, message, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (message);
  return body;
}

static void
admin_post (PbTestIdp  *idp,
            const char *path,
            const char *json)
{
  g_autofree char *url = pb_test_idp_url (idp, path);
  g_autoptr(GBytes) body = NULL;
  guint status = 0;

  body = request (idp, "POST", url, json != NULL ? json : "{}", &status);
  g_assert_cmpuint (status, ==, 200);
}

void
pb_test_idp_configure (PbTestIdp  *idp,
                       const char *json)
{
  admin_post (idp, "/admin/config", json);
}

void
pb_test_idp_revoke_refresh (PbTestIdp *idp)
{
  admin_post (idp, "/admin/revoke", NULL);
}

void
pb_test_idp_expire_access (PbTestIdp *idp)
{
  admin_post (idp, "/admin/expire", NULL);
}

static JsonObject *
request_object (PbTestIdp  *idp,
                const char *method,
                const char *path,
                const char *json)
{
  g_autofree char *url = pb_test_idp_url (idp, path);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint status = 0;
  gsize len;
  const char *data;

  body = request (idp, method, url, json, &status);
  g_assert_cmpuint (status, ==, 200);
  data = g_bytes_get_data (body, &len);
  json_parser_load_from_data (parser, data, len, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

JsonObject *
pb_test_idp_get_stats (PbTestIdp *idp)
{
  return request_object (idp, "GET", "/admin/stats", NULL);
}

JsonObject *
pb_test_idp_issue (PbTestIdp  *idp,
                   const char *user)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user");
  json_builder_add_string_value (builder, user);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  return request_object (idp, "POST", "/admin/issue", json);
}

gint64
pb_test_idp_count_grants (PbTestIdp  *idp,
                          const char *grant)
{
  g_autoptr(JsonObject) stats = pb_test_idp_get_stats (idp);
  JsonObject *tokens = json_object_get_object_member (stats, "token");

  return json_object_get_int_member_with_default (tokens, grant, 0);
}

guint
pb_test_idp_get (PbTestIdp  *idp,
                 const char *url)
{
  g_autoptr(GBytes) body = NULL;
  guint status = 0;

  body = request (idp, "GET", url, NULL, &status);
  return status;
}

char *
pb_test_idp_authorize (PbTestIdp  *idp,
                       const char *url)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  const char *location;

  g_assert_nonnull (message);
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  body = soup_session_send_and_read (idp->session, message, NULL, &error);
  g_assert_no_error (error);
  location = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                           "Location");
  if (soup_message_get_status (message) != 302 || location == NULL)
    {
      g_test_message ("The provider answered the authorization with HTTP %u: %.*s",
                      soup_message_get_status (message),
                      (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
      return NULL;
    }
  return g_strdup (location);
}

static char *
browser_script (void)
{
  return g_test_build_filename (G_TEST_DIST, "oauth2", "browser.py", NULL);
}

void
pb_test_browser_open (const char *url,
                      const char *log_path,
                      gboolean    forge_first)
{
  g_autofree char *script = browser_script ();
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "python3", script, "--ca", ca,
                              "--log", log_path, forge_first ? "--forge-first" : "--",
                              url, NULL);
  g_assert_no_error (error);
}

void
pb_test_browser_install (const char *log_path,
                         gboolean    forge_first)
{
  g_autofree char *script = browser_script ();
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autofree char *apps = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *desktop_path = g_build_filename (apps, "pb-test-browser.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);
  g_autofree char *desktop = NULL;

  desktop = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Test Browser\n"
                             "Exec=python3 %s --ca %s --log %s%s %%u\n"
                             "MimeType=x-scheme-handler/https;x-scheme-handler/http;\n"
                             "NoDisplay=true\n",
                             script, ca, log_path, forge_first ? " --forge-first" : "");
  g_assert_cmpint (g_mkdir_with_parents (apps, 0700), ==, 0);
  g_assert_true (g_file_set_contents (desktop_path, desktop, -1, NULL));
  g_assert_true (g_file_set_contents (mimeapps,
                                      "[Default Applications]\n"
                                      "x-scheme-handler/https=pb-test-browser.desktop\n"
                                      "x-scheme-handler/http=pb-test-browser.desktop\n", -1,
                                      NULL));
}

char *
pb_test_browser_wait_page (const char *log_path,
                           guint       seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *log = NULL;
      const char *page;

      if (g_file_get_contents (log_path, &log, NULL, NULL) &&
          (page = strstr (log, "{\"page\": ")) != NULL)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          const char *end = strchr (page, '\n');

          g_assert_true (json_parser_load_from_data (parser, page,
                                                     end != NULL ? end - page : -1, NULL));
          return g_strdup (json_object_get_string_member (
                             json_node_get_object (json_parser_get_root (parser)), "page"));
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("The browser showed no page within %u s", seconds);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
}
