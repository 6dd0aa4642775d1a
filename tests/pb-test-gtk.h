/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Small helpers for tests that drive GTK widgets the way a user would. */

/* Iterates the main context for @ms milliseconds (lets GTK lay out and draw). */
void        pb_test_gtk_settle        (guint ms);
/* Iterates until @widget is mapped (fails the test after 10 s), then settles. */
void        pb_test_gtk_wait_mapped   (GtkWidget *widget);

typedef gboolean (*PbTestWidgetMatch) (GtkWidget  *widget,
                                       const char *text);

/* The first widget under @root (depth first, @root included) that @match accepts. */
GtkWidget  *pb_test_gtk_find_widget   (GtkWidget         *root,
                                       PbTestWidgetMatch  match,
                                       const char        *text);
/* Matches: a GtkLabel showing exactly @text; a GtkButton labelled exactly @text. */
gboolean    pb_test_gtk_label_has_text   (GtkWidget  *widget,
                                          const char *text);
gboolean    pb_test_gtk_button_has_label (GtkWidget  *widget,
                                          const char *text);

G_END_DECLS
