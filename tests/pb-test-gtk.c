/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-test-gtk.h"

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
