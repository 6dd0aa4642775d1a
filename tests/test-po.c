/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The translations: every file with translatable strings is in
 * po/POTFILES.in, every language is complete, and a Japanese desktop user
 * reads Japanese. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>

#include "pb-test-util.h"

/* The same patterns as build-aux/update-po. */
#define TRANSLATABLE_PATTERN \
  "(^|[^A-Za-z0-9_])(N?C?_|g_dngettext|ngettext)\\s*\\(|translatable=\"yes\""

static char *
top_path (const char *relative)
{
  return g_test_build_filename (G_TEST_DIST, "..", relative, NULL);
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* The lines of a po/ list file, without comments and blank lines. */
static GPtrArray *
read_list (const char *name)
{
  g_autofree char *path = top_path (name);
  g_autofree char *contents = read_text (path);
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  GPtrArray *entries = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *hash = strchr (lines[i], '#');

      if (hash != NULL)
        *hash = '\0';
      g_strstrip (lines[i]);
      if (*lines[i] != '\0')
        g_ptr_array_add (entries, g_strdup (lines[i]));
    }
  return entries;
}

static gboolean
list_contains (GPtrArray  *list,
               const char *entry)
{
  return g_ptr_array_find_with_equal_func (list, entry, g_str_equal, NULL);
}

/* Source files (relative to the top of the tree) under @dir with strings. */
static void
collect_translatable (GRegex     *pattern,
                      const char *relative,
                      GPtrArray  *found)
{
  g_autofree char *path = top_path (relative);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  dir = g_dir_open (path, 0, &error);
  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (relative, name, NULL);
      g_autofree char *child_path = top_path (child);
      g_autofree char *contents = NULL;

      if (g_file_test (child_path, G_FILE_TEST_IS_DIR))
        {
          collect_translatable (pattern, child, found);
          continue;
        }
      if (!g_str_has_suffix (name, ".c") && !g_str_has_suffix (name, ".h") &&
          !g_str_has_suffix (name, ".ui"))
        continue;

      contents = read_text (child_path);
      if (g_regex_match (pattern, contents, 0, NULL))
        g_ptr_array_add (found, g_steal_pointer (&child));
    }
}

static void
test_potfiles_lists_every_file_with_strings (void)
{
  g_autoptr(GPtrArray) potfiles = read_list ("po/POTFILES.in");
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRegex) pattern = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) missing = g_string_new (NULL);
  static const char *const data_files[] = {
    "data/" APP_ID ".desktop.in",
    "data/" APP_ID ".metainfo.xml.in",
    "data/" APP_ID ".gschema.xml",
  };

  pattern = g_regex_new (TRANSLATABLE_PATTERN, G_REGEX_MULTILINE, 0, &error);
  g_assert_no_error (error);
  collect_translatable (pattern, "app", found);
  for (guint i = 0; i < G_N_ELEMENTS (data_files); i++)
    g_ptr_array_add (found, g_strdup (data_files[i]));

  /* Not a tautology: the files under app/ are found by content. */
  g_assert_cmpuint (found->len, >, G_N_ELEMENTS (data_files) + 10);

  for (guint i = 0; i < found->len; i++)
    if (!list_contains (potfiles, g_ptr_array_index (found, i)))
      g_string_append_printf (missing, " %s", (char *) g_ptr_array_index (found, i));
  if (missing->len > 0)
    g_error ("Not in po/POTFILES.in (run build-aux/update-po):%s", missing->str);
}

static void
test_potfiles_lists_only_files_that_exist (void)
{
  g_autoptr(GPtrArray) potfiles = read_list ("po/POTFILES.in");

  g_assert_cmpuint (potfiles->len, >, 0);
  for (guint i = 0; i < potfiles->len; i++)
    {
      g_autofree char *path = top_path (g_ptr_array_index (potfiles, i));

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_error ("po/POTFILES.in lists %s, which does not exist",
                 (char *) g_ptr_array_index (potfiles, i));
    }
}

/* ---- The catalogues ------------------------------------------------------ */

typedef struct
{
  guint entries;
  guint untranslated;
  guint fuzzy;
  gboolean header_plural_forms;
} PoFacts;

/* Reads a .po file as msgmerge writes it (entries separated by blank lines):
 * an entry is fuzzy when its flags say so, untranslated when one of its
 * msgstr is empty. The header (empty msgid) and obsolete entries don't count. */
static void
read_po (const char *path,
         PoFacts    *facts)
{
  g_autofree char *contents = read_text (path);
  g_auto(GStrv) blocks = NULL;

  memset (facts, 0, sizeof *facts);
  g_strdelimit (contents, "\r", '\n');
  blocks = g_strsplit (contents, "\n\n", -1);

  for (guint i = 0; blocks[i] != NULL; i++)
    {
      g_auto(GStrv) lines = g_strsplit (blocks[i], "\n", -1);
      g_autoptr(GString) msgid = NULL;
      g_autoptr(GString) msgstr = NULL;
      GString *current = NULL;
      gboolean fuzzy = FALSE, empty = FALSE, seen_msgstr = FALSE;

      for (guint j = 0; lines[j] != NULL; j++)
        {
          const char *line = lines[j];
          const char *quote = strchr (line, '"');

          /* The value of the field before, if any, is complete. */
          if (!g_str_has_prefix (line, "\"") && current == msgstr && msgstr != NULL)
            {
              empty |= msgstr->len == 0;
              current = NULL;
            }

          if (g_str_has_prefix (line, "#,") && strstr (line, "fuzzy") != NULL)
            fuzzy = TRUE;
          else if (g_str_has_prefix (line, "msgid ") && quote != NULL)
            {
              msgid = g_string_new_len (quote + 1, strlen (quote) - 2);
              current = msgid;
            }
          else if (g_str_has_prefix (line, "msgid_plural") || g_str_has_prefix (line, "msgctxt"))
            current = NULL;
          else if (g_str_has_prefix (line, "msgstr") && quote != NULL)
            {
              if (msgstr != NULL)
                g_string_free (msgstr, TRUE);
              msgstr = g_string_new_len (quote + 1, strlen (quote) - 2);
              current = msgstr;
              seen_msgstr = TRUE;
            }
          else if (g_str_has_prefix (line, "\"") && current != NULL)
            g_string_append_len (current, line + 1, strlen (line) - 2);
        }
      if (current == msgstr && msgstr != NULL)
        empty |= msgstr->len == 0;

      if (msgid == NULL || !seen_msgstr)
        continue;   /* comments only, or obsolete entries (#~) */
      if (msgid->len == 0)
        {
          facts->header_plural_forms = strstr (msgstr->str, "Plural-Forms: nplurals=") != NULL;
          continue;
        }
      facts->entries++;
      if (empty)
        facts->untranslated++;
      else if (fuzzy)
        facts->fuzzy++;
    }
}

static void
run_msgfmt (const char  *po,
            char       **statistics)
{
  g_autofree char *msgfmt = g_find_program_in_path ("msgfmt");
  const char *argv[] = { "msgfmt", "--check", "--statistics", "-o", "/dev/null", po, NULL };
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_nonnull (msgfmt);
  /* Its statistics are themselves translated. */
  envp = g_environ_setenv (envp, "LC_ALL", "C", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, statistics,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("msgfmt --check %s failed:\n%s", po, *statistics);
}

static void
test_languages_are_complete (void)
{
  g_autoptr(GPtrArray) languages = read_list ("po/LINGUAS");

  g_assert_true (list_contains (languages, "ja"));

  for (guint i = 0; i < languages->len; i++)
    {
      const char *language = g_ptr_array_index (languages, i);
      g_autofree char *name = g_strconcat ("po/", language, ".po", NULL);
      g_autofree char *po = top_path (name);
      g_autofree char *statistics = NULL;
      g_autoptr(GRegex) complete = g_regex_new ("^[0-9]+ translated messages?\\.\\s*$", 0, 0,
                                                NULL);
      PoFacts facts;

      g_test_message ("%s", po);
      run_msgfmt (po, &statistics);
      if (!g_regex_match (complete, statistics, 0, NULL))
        g_error ("%s is not complete (run build-aux/update-po): %s", name, statistics);

      /* And without msgfmt's word for it. */
      read_po (po, &facts);
      g_assert_true (facts.header_plural_forms);
      g_assert_cmpuint (facts.entries, >, 100);
      g_assert_cmpuint (facts.untranslated, ==, 0);
      g_assert_cmpuint (facts.fuzzy, ==, 0);
    }
}

static void
test_read_po_finds_gaps (void)
{
  g_autofree char *path = g_build_filename (pb_test_get_tmpdir (), "gaps.po", NULL);
  g_autoptr(GError) error = NULL;
  PoFacts facts;
  const char *text =
    "msgid \"\"\n"
    "msgstr \"\"\n"
    "\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
    "\"Plural-Forms: nplurals=1; plural=0;\\n\"\n"
    "\n"
    "#: a.c:1\n"
    "msgid \"Done\"\n"
    "msgstr \"完了\"\n"
    "\n"
    "#: a.c:2\n"
    "#, fuzzy, c-format\n"
    "msgid \"%s left\"\n"
    "msgstr \"残り %s\"\n"
    "\n"
    "#: a.c:3\n"
    "msgid \"Open\"\n"
    "msgstr \"\"\n"
    "\n"
    "#: a.c:4\n"
    "msgid \"%u file\"\n"
    "msgid_plural \"%u files\"\n"
    "msgstr[0] \"\"\n"
    "\n"
    "#: a.c:5\n"
    "msgid \"\"\n"
    "\"Long \"\n"
    "\"text\"\n"
    "msgstr \"\"\n"
    "\"長い\"\n"
    "\"文章\"\n";

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  read_po (path, &facts);
  g_assert_true (facts.header_plural_forms);
  g_assert_cmpuint (facts.entries, ==, 5);
  g_assert_cmpuint (facts.fuzzy, ==, 1);
  g_assert_cmpuint (facts.untranslated, ==, 2);
}

static void
test_catalogue_is_built (void)
{
  g_autofree char *mo = g_test_build_filename (G_TEST_BUILT, "..", "po", "ja", "LC_MESSAGES",
                                               GETTEXT_PACKAGE ".mo", NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (mo, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 1000);
}

/* ---- Japanese, end to end ------------------------------------------------- */

static gboolean
japanese_locale_exists (void)
{
  locale_t locale = newlocale (LC_ALL_MASK, "ja_JP.UTF-8", (locale_t) 0);

  if (locale == (locale_t) 0)
    return FALSE;
  freelocale (locale);
  return TRUE;
}

/* Runs the popbell command in Japanese with the catalogue of this build. */
static char *
run_popbell_in_japanese (const char *option,
                         int        *exit_status)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *locale_dir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  const char *binary = g_getenv ("PB_POPBELL");
  char *out = NULL;

  g_assert_nonnull (binary);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "ja_JP.UTF-8", TRUE);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "ja", TRUE);
  g_subprocess_launcher_setenv (launcher, "POPBELL_LOCALEDIR", locale_dir, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, binary, option, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  *exit_status = g_subprocess_get_exit_status (process);
  g_test_message ("popbell %s:\n%s", option, out);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  return out;
}

static void
test_command_line_help_is_japanese (void)
{
  g_autofree char *out = NULL;
  int status;

  if (!japanese_locale_exists ())
    {
      g_test_skip ("The ja_JP.UTF-8 locale is not generated (locale-gen)");
      return;
    }

  out = run_popbell_in_japanese ("--help", &status);
  g_assert_cmpint (status, ==, 0);
  /* The summary and the options, from popbell.mo. */
  g_assert_nonnull (strstr (out, "新しいメールが届くとお知らせします"));
  g_assert_nonnull (strstr (out, "設定済みのアカウントを一度だけ確認し"));
  g_assert_nonnull (strstr (out, "--add-account または --edit-account と共に: POP3 サーバー"));
  g_assert_null (strstr (out, "Check the configured accounts"));
}

static void
test_command_line_lists_japanese_names (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "popbell", NULL);
  g_autofree char *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status;
  const char *accounts =
    "[home]\n"
    "name=自宅のメール\n"
    "host=pop.example.jp\n"
    "port=995\n"
    "security=tls\n"
    "user=山田\n"
    "enabled=true\n"
    "interval=15\n";

  if (!japanese_locale_exists ())
    {
      g_test_skip ("The ja_JP.UTF-8 locale is not generated (locale-gen)");
      return;
    }

  out = run_popbell_in_japanese ("--list-accounts", &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "アカウントが設定されていません。\n");
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, accounts, -1, &error);
  g_assert_no_error (error);

  out = run_popbell_in_japanese ("--list-accounts", &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "home\t自宅のメール\t山田@pop.example.jp:995\ttls\t有効\t15 分ごと\t未確認\n");
  g_unlink (path);
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/po/potfiles/lists-every-file-with-strings",
                   test_potfiles_lists_every_file_with_strings);
  g_test_add_func ("/pb/po/potfiles/lists-only-files-that-exist",
                   test_potfiles_lists_only_files_that_exist);
  g_test_add_func ("/pb/po/check/finds-untranslated-and-fuzzy-entries", test_read_po_finds_gaps);
  g_test_add_func ("/pb/po/languages/are-complete", test_languages_are_complete);
  g_test_add_func ("/pb/po/ja/catalogue-is-built", test_catalogue_is_built);
  g_test_add_func ("/pb/po/ja/command-line-help-is-japanese", test_command_line_help_is_japanese);
  g_test_add_func ("/pb/po/ja/command-line-lists-japanese-names",
                   test_command_line_lists_japanese_names);

  return g_test_run ();
}
