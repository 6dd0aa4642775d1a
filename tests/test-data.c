/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pb-settings.h"
#include "pb-test-util.h"

static const char *const symbolic_icons[] = {
  "popbell-no-mail-symbolic",
  "popbell-new-mail-symbolic",
  "popbell-error-symbolic",
  "popbell-offline-symbolic",
};

static char *
source_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "..", "data", name, NULL);
}

static char *
built_path (const char *name)
{
  return g_test_build_filename (G_TEST_BUILT, "..", "data", name, NULL);
}

/* Runs a validator; FALSE (and the test skipped) when it isn't installed. */
static gboolean
run_tool (const char *const *argv)
{
  g_autofree char *program = g_find_program_in_path (argv[0]);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (program == NULL)
    {
      g_autofree char *message = g_strdup_printf ("%s is not installed", argv[0]);

      g_test_skip (message);
      return FALSE;
    }

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed:\n%s%s", argv[0], out, err);
  g_test_message ("%s: %s%s", argv[0], out, err);
  return TRUE;
}

static GKeyFile *
load_key_file (const char *path)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_key_file_load_from_file (file, path, G_KEY_FILE_KEEP_TRANSLATIONS, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&file);
}

static void
test_desktop_file_validates (void)
{
  g_autofree char *path = built_path (APP_ID ".desktop");
  const char *argv[] = { "desktop-file-validate", path, NULL };

  run_tool (argv);
}

static void
assert_key (GKeyFile   *file,
            const char *key,
            const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = g_key_file_get_string (file, G_KEY_FILE_DESKTOP_GROUP, key, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, expected);
}

static void
test_desktop_file_launches_popbell (void)
{
  g_autofree char *path = built_path (APP_ID ".desktop");
  g_autoptr(GKeyFile) file = load_key_file (path);
  g_autofree char *name_ja = NULL;
  g_autofree char *comment_ja = NULL;

  assert_key (file, G_KEY_FILE_DESKTOP_KEY_NAME, "Popbell");
  assert_key (file, G_KEY_FILE_DESKTOP_KEY_EXEC, "popbell");
  assert_key (file, G_KEY_FILE_DESKTOP_KEY_ICON, APP_ID);
  assert_key (file, G_KEY_FILE_DESKTOP_KEY_STARTUP_NOTIFY, "false");
  assert_key (file, "X-GNOME-UsesNotifications", "true");
  assert_key (file, "DBusActivatable", "true");

  /* Translated, not just copied. */
  name_ja = g_key_file_get_locale_string (file, G_KEY_FILE_DESKTOP_GROUP, "GenericName", "ja", NULL);
  comment_ja = g_key_file_get_locale_string (file, G_KEY_FILE_DESKTOP_GROUP, "Comment", "ja", NULL);
  g_assert_nonnull (name_ja);
  g_assert_cmpstr (name_ja, !=, "Mail Notifier");
  g_assert_nonnull (comment_ja);
  g_assert_true (g_utf8_validate (comment_ja, -1, NULL));
  g_assert_cmpuint (strlen (comment_ja), >, g_utf8_strlen (comment_ja, -1));
}

static void
test_metainfo_validates (void)
{
  g_autofree char *path = built_path (APP_ID ".metainfo.xml");
  const char *argv[] = { "appstreamcli", "validate", "--no-net", path, NULL };
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "<id>" APP_ID "</id>"));
  g_assert_nonnull (strstr (contents, "<launchable type=\"desktop-id\">" APP_ID ".desktop</launchable>"));
  g_assert_nonnull (strstr (contents, "<release version=\"" PACKAGE_VERSION "\""));

  run_tool (argv);
}

static void
test_schema_compiles_strictly (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "..", "data", NULL);
  const char *argv[] = { "glib-compile-schemas", "--strict", "--dry-run", dir, NULL };

  run_tool (argv);
}

static void
assert_schema_key (GSettingsSchema *schema,
                   const char      *name,
                   const char      *type,
                   const char      *default_value)
{
  g_autoptr(GSettingsSchemaKey) key = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree char *text = NULL;

  g_assert_true (g_settings_schema_has_key (schema, name));
  key = g_settings_schema_get_key (schema, name);
  g_assert_cmpstr ((const char *) g_settings_schema_key_get_value_type (key), ==, type);
  value = g_settings_schema_key_get_default_value (key);
  text = g_variant_print (value, FALSE);
  g_assert_cmpstr (text, ==, default_value);
  g_assert_nonnull (g_settings_schema_key_get_summary (key));
  g_assert_nonnull (g_settings_schema_key_get_description (key));
}

static void
test_schema_has_the_settings_keys (void)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  /* GSETTINGS_SCHEMA_DIR points at the build's compiled schemas. */
  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            PB_SETTINGS_SCHEMA, FALSE);
  g_assert_nonnull (schema);
  g_assert_cmpstr (g_settings_schema_get_path (schema), ==, "/io/github/popbell/Popbell/");

  assert_schema_key (schema, PB_SETTINGS_NOTIFY_NEW_MAIL, "b", "true");
  assert_schema_key (schema, PB_SETTINGS_NOTIFY_ERRORS, "b", "true");
  assert_schema_key (schema, PB_SETTINGS_PRIVACY, "b", "false");
  assert_schema_key (schema, PB_SETTINGS_MAIL_CLIENT, "s", "''");
  assert_schema_key (schema, PB_SETTINGS_START_AT_LOGIN, "b", "true");
  assert_schema_key (schema, PB_SETTINGS_SHOW_COUNT, "b", "true");
  assert_schema_key (schema, PB_SETTINGS_START_AT_LOGIN_ASKED, "b", "false");

  keys = g_settings_schema_list_keys (schema);
  g_assert_cmpuint (g_strv_length (keys), ==, 7);
}

static void
test_service_activates_the_applet (void)
{
  g_autofree char *path = built_path (APP_ID ".service");
  g_autoptr(GKeyFile) file = load_key_file (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *exec = NULL;

  name = g_key_file_get_string (file, "D-BUS Service", "Name", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, APP_ID);

  exec = g_key_file_get_string (file, "D-BUS Service", "Exec", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exec, ==, POPBELL_APPLET_PATH " --gapplication-service");
  g_assert_true (g_path_is_absolute (exec));
}

/* ---- Icons --------------------------------------------------------------- */

typedef struct
{
  guint     depth;
  char     *root;
  char     *width;
  char     *height;
  gboolean  has_view_box;
  GPtrArray *colours;      /* every fill and stroke value, "none" left out */
  guint     n_text;
} SvgFacts;

static void
svg_start (GMarkupParseContext  *context,
           const char           *element,
           const char          **names,
           const char          **values,
           gpointer              user_data,
           GError              **error)
{
  SvgFacts *facts = user_data;

  if (facts->depth++ == 0)
    {
      facts->root = g_strdup (element);
      for (guint i = 0; names[i] != NULL; i++)
        {
          if (g_str_equal (names[i], "width"))
            facts->width = g_strdup (values[i]);
          else if (g_str_equal (names[i], "height"))
            facts->height = g_strdup (values[i]);
          else if (g_str_equal (names[i], "viewBox"))
            facts->has_view_box = TRUE;
        }
    }

  if (g_str_equal (element, "text"))
    facts->n_text++;

  for (guint i = 0; names[i] != NULL; i++)
    if ((g_str_equal (names[i], "fill") || g_str_equal (names[i], "stroke")) &&
        !g_str_equal (values[i], "none"))
      g_ptr_array_add (facts->colours, g_strdup (values[i]));
}

static void
svg_end (GMarkupParseContext  *context,
         const char           *element,
         gpointer              user_data,
         GError              **error)
{
  SvgFacts *facts = user_data;

  facts->depth--;
}

static void
svg_facts_clear (SvgFacts *facts)
{
  g_free (facts->root);
  g_free (facts->width);
  g_free (facts->height);
  g_ptr_array_unref (facts->colours);
}

static void
parse_svg (const char *path,
           SvgFacts   *facts)
{
  static const GMarkupParser parser = { svg_start, svg_end, NULL, NULL, NULL };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);

  memset (facts, 0, sizeof *facts);
  facts->colours = g_ptr_array_new_with_free_func (g_free);
  context = g_markup_parse_context_new (&parser, G_MARKUP_PREFIX_ERROR_POSITION, facts, NULL);
  g_markup_parse_context_parse (context, contents, length, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (facts->depth, ==, 0);
}

static void
test_icons_application (void)
{
  g_autofree char *path = source_path ("icons/hicolor/scalable/apps/" APP_ID ".svg");
  SvgFacts facts;

  parse_svg (path, &facts);
  g_assert_cmpstr (facts.root, ==, "svg");
  g_assert_true (facts.has_view_box);
  g_assert_cmpuint (facts.n_text, ==, 0);
  g_assert_cmpuint (facts.colours->len, >, 1);
  svg_facts_clear (&facts);
}

static void
test_icons_symbolic (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (symbolic_icons); i++)
    {
      g_autofree char *name = g_strconcat ("icons/hicolor/symbolic/apps/", symbolic_icons[i],
                                           ".svg", NULL);
      g_autofree char *path = source_path (name);
      SvgFacts facts;

      g_test_message ("%s", path);
      parse_svg (path, &facts);
      g_assert_cmpstr (facts.root, ==, "svg");
      g_assert_cmpstr (facts.width, ==, "16");
      g_assert_cmpstr (facts.height, ==, "16");
      g_assert_cmpuint (facts.n_text, ==, 0);
      /* One colour, which the toolkit replaces with the theme's. */
      g_assert_cmpuint (facts.colours->len, >, 0);
      for (guint j = 0; j < facts.colours->len; j++)
        g_assert_cmpstr (g_ptr_array_index (facts.colours, j), ==, "#2e3436");
      svg_facts_clear (&facts);
    }
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/data/desktop-file/validates", test_desktop_file_validates);
  g_test_add_func ("/pb/data/desktop-file/launches-popbell", test_desktop_file_launches_popbell);
  g_test_add_func ("/pb/data/metainfo/validates", test_metainfo_validates);
  g_test_add_func ("/pb/data/schema/compiles-strictly", test_schema_compiles_strictly);
  g_test_add_func ("/pb/data/schema/has-the-settings-keys", test_schema_has_the_settings_keys);
  g_test_add_func ("/pb/data/service/activates-the-applet", test_service_activates_the_applet);
  g_test_add_func ("/pb/data/icons/application-parses", test_icons_application);
  g_test_add_func ("/pb/data/icons/symbolic-are-16px-one-colour", test_icons_symbolic);

  return g_test_run ();
}
