/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Accessible names that GTK 4.8 gets wrong by itself, set from what the
 * widgets show, so that no second (and untranslated) copy of a label is
 * needed:
 *
 * - a button, check button or expander whose label has a mnemonic is named
 *   by its label with the underline and then by its text again ("_Cancel
 *   Cancel"); it is named by the label as shown ("Cancel"), also after the
 *   label changes;
 * - the toggle button inside a GtkDropDown, which takes the focus, is named
 *   by its type ("GtkToggleButton"); it is labelled by the dropdown's
 *   mnemonic label, as the dropdown is;
 * - the peek icon of a GtkPasswordEntry, named by its type ("GtkImage"), is
 *   named by its tooltip ("Show Text", "Hide Text").
 *
 * pb_accessible_fix_names () does this for every such widget under @root
 * (@root included); windows call it after gtk_widget_init_template () and
 * for the widgets they make later. */
void pb_accessible_fix_names (GtkWidget *root);

/* A label that shows a value ("O=Example, CN=pop.example.com") beside the
 * label that says what it is (@key: "Subject"). GTK 4.8 names a label that
 * is labelled by another by both texts ("O=Example… Subject"); this names
 * @value by @key alone, now and after each change of @value's text. Its
 * text is read as its value. */
void pb_accessible_name_value (GtkLabel *value,
                               GtkLabel *key);

G_END_DECLS
