/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Small helpers for tests that drive GTK widgets the way a user would. */

/* The display for this test program's windows: a private Xvfb
 * (pb-test-xvfb.h), started once, then gtk_init(). FALSE when Xvfb could
 * not be started. pb_test_gtk_shutdown() stops it at the end of main(). */
gboolean    pb_test_gtk_init          (void);
void        pb_test_gtk_shutdown      (void);
/* At the start of a test that shows windows: FALSE, with the test failed
 * (not skipped: build-aux/setup installs Xvfb), when there is no display. */
gboolean    pb_test_gtk_need_display  (void);
/* TRUE when pb_test_gtk_init() started a display (for fixtures). */
gboolean    pb_test_gtk_has_display   (void);
/* The X display name, for child processes. */
const char *pb_test_gtk_get_display   (void);

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

/* Iterates until @widget is no longer mapped (fails the test after 10 s). */
void        pb_test_gtk_wait_unmapped (GtkWidget *widget);
/* The first GtkActionable under @root for @action_name with the string
 * target @target (NULL: no target), or NULL when none is mapped. */
GtkWidget  *pb_test_gtk_shown_actionable (GtkWidget  *root,
                                       const char *action_name,
                                       const char *target);
/* A label showing exactly @text under @root, or NULL when none is mapped. */
GtkWidget  *pb_test_gtk_shown_label   (GtkWidget  *root,
                                       const char *text);
/* As the keyboard does (Space or Enter): the widget acts, and shows itself
 * pressed for a moment before. */
void        pb_test_gtk_activate      (GtkWidget  *widget);
/* Renders @widget into tests/screenshots/@file_name (PNG) in the build folder. */
void        pb_test_gtk_save_screenshot (GtkWidget  *widget,
                                       const char *file_name);
/* Runs the current test again in a child process whose GTK starts in
 * Japanese (LANGUAGE=ja, LC_ALL=ja_JP.UTF-8, the build's translation bound)
 * and returns TRUE in that child, which then does the Japanese part. In
 * the test itself: waits for the child, asserts that it passed, and
 * returns FALSE; skips when the build has no translation or the system no
 * ja_JP.UTF-8 locale (build-aux/setup generates it). */
gboolean    pb_test_gtk_in_japanese   (void);

G_END_DECLS
