/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Flatpak manifest (build-aux/io.github.popbell.Popbell.json) can't be
 * built here (its runtime and sources come from the network), so what can go
 * wrong in it is checked instead: that it is JSON, that its app ID and command
 * are Popbell's, that the sandbox has exactly the holes Popbell needs (and
 * none into the user's files), and that it builds this checkout with meson. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "pb-test-util.h"

static JsonObject *manifest;

static JsonObject *
load_manifest (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "build-aux",
                                            APP_ID ".json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  return json_node_get_string (node);
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_node_get_array (node);
}

static void
test_app_id_and_runtime (void)
{
  g_assert_cmpstr (member_string (manifest, "id"), ==, "io.github.popbell.Popbell");
  g_assert_cmpstr (member_string (manifest, "id"), ==, APP_ID);
  /* GTK 4 and libsecret, libnotify, libsoup 3 and glib-networking come with it. */
  g_assert_cmpstr (member_string (manifest, "runtime"), ==, "org.gnome.Platform");
  g_assert_cmpstr (member_string (manifest, "sdk"), ==, "org.gnome.Sdk");
  g_assert_cmpstr (member_string (manifest, "runtime-version"), !=, "");
}

/* The command is a program meson installs into bindir. */
static void
test_command_is_installed (void)
{
  const char *command = member_string (manifest, "command");
  const char *installed_path = g_getenv ("PB_INTRO_INSTALLED");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *bin = g_build_filename (g_getenv ("PB_BINDIR"), command, NULL);
  g_autoptr(GList) targets = NULL;
  JsonObject *installed;
  gboolean found = FALSE;

  g_assert_null (strchr (command, '/'));
  g_assert_nonnull (installed_path);
  json_parser_load_from_file (parser, installed_path, &error);
  g_assert_no_error (error);
  installed = json_node_get_object (json_parser_get_root (parser));
  targets = json_object_get_values (installed);
  for (GList *l = targets; l != NULL; l = l->next)
    if (g_strcmp0 (json_node_get_string (l->data), bin) == 0)
      found = TRUE;
  if (!found)
    g_error ("meson installs no %s", bin);
}

static gboolean
has_arg (JsonArray  *args,
         const char *arg)
{
  for (guint i = 0; i < json_array_get_length (args); i++)
    if (g_strcmp0 (json_array_get_string_element (args, i), arg) == 0)
      return TRUE;
  return FALSE;
}

static void
test_permissions (void)
{
  JsonArray *args = member_array (manifest, "finish-args");
  const char *needed[] = {
    "--share=network",                          /* POP3, autoconfiguration */
    "--socket=wayland",                         /* Wayland sessions */
    "--socket=fallback-x11",                    /* X11 only where there is no Wayland */
    "--talk-name=org.freedesktop.Notifications",
    "--talk-name=org.freedesktop.secrets",      /* the keyring */
    "--talk-name=org.kde.StatusNotifierWatcher", /* the tray */
    "--system-talk-name=org.freedesktop.login1", /* checks after a suspend */
  };

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    if (!has_arg (args, needed[i]))
      g_error ("finish-args lacks %s", needed[i]);

  for (guint i = 0; i < json_array_get_length (args); i++)
    {
      const char *arg = json_array_get_string_element (args, i);

      g_assert_nonnull (arg);
      /* None into the user's files or the host, no plain X11 beside Wayland,
       * no whole bus. */
      g_assert_false (g_str_has_prefix (arg, "--filesystem="));
      g_assert_cmpstr (arg, !=, "--socket=x11");
      g_assert_cmpstr (arg, !=, "--socket=session-bus");
      g_assert_cmpstr (arg, !=, "--socket=system-bus");
      g_assert_cmpstr (arg, !=, "--device=all");
      g_assert_false (g_str_has_prefix (arg, "--own-name="));
      g_assert_false (has_arg (args, "--talk-name=org.freedesktop.Flatpak"));
      /* Each once. */
      for (guint j = i + 1; j < json_array_get_length (args); j++)
        g_assert_cmpstr (arg, !=, json_array_get_string_element (args, j));
    }
}

/* The last module is this checkout, built with meson. */
static void
test_builds_popbell_with_meson (void)
{
  JsonArray *modules = member_array (manifest, "modules");
  JsonObject *popbell;
  JsonArray *sources;
  JsonObject *source;
  g_autofree char *dir = NULL;
  g_autofree char *meson_build = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (json_array_get_length (modules), >, 0);
  for (guint i = 0; i < json_array_get_length (modules); i++)
    {
      JsonObject *module = json_array_get_object_element (modules, i);

      g_assert_nonnull (module);
      member_string (module, "name");
      member_string (module, "buildsystem");
      /* Archives are pinned by their checksum. */
      sources = member_array (module, "sources");
      for (guint j = 0; j < json_array_get_length (sources); j++)
        {
          source = json_array_get_object_element (sources, j);
          if (g_str_equal (member_string (source, "type"), "archive"))
            {
              g_assert_true (g_str_has_prefix (member_string (source, "url"), "https://"));
              g_assert_cmpuint (strlen (member_string (source, "sha256")), ==, 64);
            }
        }
    }

  popbell = json_array_get_object_element (modules, json_array_get_length (modules) - 1);
  g_assert_cmpstr (member_string (popbell, "name"), ==, "popbell");
  g_assert_cmpstr (member_string (popbell, "buildsystem"), ==, "meson");
  sources = member_array (popbell, "sources");
  g_assert_cmpuint (json_array_get_length (sources), ==, 1);
  source = json_array_get_object_element (sources, 0);
  g_assert_cmpstr (member_string (source, "type"), ==, "dir");

  /* The path is relative to the manifest's folder and names this project. */
  dir = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "build-aux",
                          member_string (source, "path"), NULL);
  meson_build = g_build_filename (dir, "meson.build", NULL);
  g_file_get_contents (meson_build, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (contents, "project('popbell'") ||
                 strstr (contents, "\nproject('popbell'") != NULL);
}

int
main (int    argc,
      char **argv)
{
  int status;

  pb_test_init (&argc, &argv);
  manifest = load_manifest ();

  g_test_add_func ("/pb/flatpak/app-id-and-runtime", test_app_id_and_runtime);
  g_test_add_func ("/pb/flatpak/command-is-installed", test_command_is_installed);
  g_test_add_func ("/pb/flatpak/permissions", test_permissions);
  g_test_add_func ("/pb/flatpak/builds-popbell-with-meson", test_builds_popbell_with_meson);

  status = g_test_run ();
  json_object_unref (manifest);
  return status;
}
