/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pb-test-gtk.h"
#include "pb-test-xvfb.h"

static PbTestXvfb *xvfb;

gboolean
pb_test_gtk_init (void)
{
  g_assert_null (xvfb);
  xvfb = pb_test_xvfb_new ();
  if (xvfb == NULL)
    return FALSE;
  gtk_init ();
  return TRUE;
}

void
pb_test_gtk_shutdown (void)
{
  g_clear_pointer (&xvfb, pb_test_xvfb_free);
}

gboolean
pb_test_gtk_need_display (void)
{
  if (xvfb != NULL)
    return TRUE;
  g_test_fail_printf ("Xvfb is not installed (build-aux/setup installs it)");
  return FALSE;
}

gboolean
pb_test_gtk_has_display (void)
{
  return xvfb != NULL;
}

const char *
pb_test_gtk_get_display (void)
{
  g_assert_nonnull (xvfb);
  return pb_test_xvfb_get_display (xvfb);
}

static gboolean
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
pb_test_gtk_settle (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_true, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

void
pb_test_gtk_wait_mapped (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!gtk_widget_get_mapped (widget))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      pb_test_gtk_settle (20);
    }
  pb_test_gtk_settle (150);
}

GtkWidget *
pb_test_gtk_find_widget (GtkWidget         *root,
                         PbTestWidgetMatch  match,
                         const char        *text)
{
  if (match (root, text))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = pb_test_gtk_find_widget (child, match, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

gboolean
pb_test_gtk_label_has_text (GtkWidget  *widget,
                            const char *text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

gboolean
pb_test_gtk_button_has_label (GtkWidget  *widget,
                              const char *text)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), text) == 0;
}

GtkWidget *
pb_test_gtk_shown_label (GtkWidget  *root,
                         const char *text)
{
  GtkWidget *label = pb_test_gtk_find_widget (root, pb_test_gtk_label_has_text, text);

  return label != NULL && gtk_widget_get_mapped (label) ? label : NULL;
}

void
pb_test_gtk_activate (GtkWidget *widget)
{
  g_assert_true (gtk_widget_activate (widget));
  pb_test_gtk_settle (400);
}

void
pb_test_gtk_save_screenshot (GtkWidget  *widget,
                             const char *file_name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autofree char *dir = g_build_filename (g_test_get_dir (G_TEST_BUILT), "screenshots", NULL);
  g_autofree char *path = g_build_filename (dir, file_name, NULL);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
}

gboolean
pb_test_gtk_in_japanese (void)
{
  g_autofree char *locale_dir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *mo = g_build_filename (locale_dir, "ja", "LC_MESSAGES", GETTEXT_PACKAGE ".mo",
                                          NULL);
  g_autofree char *previous = g_strdup (setlocale (LC_ALL, NULL));
  gboolean have_locale;

  if (g_test_subprocess ())
    {
      bindtextdomain (GETTEXT_PACKAGE, locale_dir);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      textdomain (GETTEXT_PACKAGE);
      return TRUE;
    }

  have_locale = setlocale (LC_ALL, "ja_JP.UTF-8") != NULL;
  setlocale (LC_ALL, previous);
  if (!g_file_test (mo, G_FILE_TEST_EXISTS) || !have_locale)
    {
      g_test_skip (!have_locale ? "The ja_JP.UTF-8 locale is not available"
                                : "The build has no Japanese translation");
      return FALSE;
    }

  g_setenv ("LANGUAGE", "ja", TRUE);
  g_setenv ("LC_ALL", "ja_JP.UTF-8", TRUE);
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_unsetenv ("LANGUAGE");
  g_test_trap_assert_passed ();
  return FALSE;
}

void
pb_test_gtk_wait_unmapped (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (gtk_widget_get_mapped (widget))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      pb_test_gtk_settle (20);
    }
  pb_test_gtk_settle (100);
}

static GtkWidget *
find_actionable (GtkWidget  *root,
                 const char *action_name,
                 const char *target)
{
  if (GTK_IS_ACTIONABLE (root) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action_name) == 0)
    {
      GVariant *value = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (root));

      if (target == NULL ? value == NULL
                         : value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) &&
                           g_str_equal (g_variant_get_string (value, NULL), target))
        return root;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action_name, target);
      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
pb_test_gtk_shown_actionable (GtkWidget  *root,
                              const char *action_name,
                              const char *target)
{
  GtkWidget *widget = find_actionable (root, action_name, target);

  return widget != NULL && gtk_widget_get_mapped (widget) ? widget : NULL;
}
