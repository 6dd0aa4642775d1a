/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-accessible.h"

/* "_Save" → "Save", "snake__case" → "snake_case". */
static char *
without_mnemonic (const char *label)
{
  GString *text = g_string_new (NULL);

  for (const char *p = label; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          if (p[1] == '_')
            {
              g_string_append_c (text, '_');
              p++;
            }
          continue;
        }
      g_string_append_c (text, *p);
    }
  return g_string_free (text, FALSE);
}

static const char *
shown_label (GtkWidget *widget,
             gboolean  *use_underline)
{
  if (GTK_IS_BUTTON (widget))
    {
      *use_underline = gtk_button_get_use_underline (GTK_BUTTON (widget));
      return gtk_button_get_label (GTK_BUTTON (widget));
    }
  if (GTK_IS_CHECK_BUTTON (widget))
    {
      *use_underline = gtk_check_button_get_use_underline (GTK_CHECK_BUTTON (widget));
      return gtk_check_button_get_label (GTK_CHECK_BUTTON (widget));
    }
  if (GTK_IS_EXPANDER (widget))
    {
      *use_underline = gtk_expander_get_use_underline (GTK_EXPANDER (widget));
      return gtk_expander_get_label (GTK_EXPANDER (widget));
    }
  *use_underline = FALSE;
  return NULL;
}

static void
name_from_label (GtkWidget *widget)
{
  gboolean use_underline = FALSE;
  const char *label = shown_label (widget, &use_underline);
  g_autofree char *text = NULL;

  if (label == NULL || !use_underline)
    return;
  text = without_mnemonic (label);
  /* One name only: the label as shown, not the mnemonic label it is also
   * labelled by. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  -1);
}

static void
on_label_changed (GObject    *widget,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  name_from_label (GTK_WIDGET (widget));
}

static void
label_dropdown_button (GtkWidget *dropdown)
{
  GtkWidget *button = gtk_widget_get_first_child (dropdown);
  GList *labels;

  if (!GTK_IS_TOGGLE_BUTTON (button))
    return;
  labels = gtk_widget_list_mnemonic_labels (dropdown);
  if (labels != NULL)
    gtk_accessible_update_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                    labels->data, NULL, -1);
  g_list_free (labels);
}

static void
name_from_tooltip (GtkWidget *image)
{
  const char *tooltip = gtk_widget_get_tooltip_text (image);

  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip != NULL ? tooltip : "", -1);
}

/* The peek icon of a GtkPasswordEntry says what it does in its tooltip
 * only ("Show Text", "Hide Text"). */
static void
name_password_icons (GtkWidget *entry)
{
  for (GtkWidget *child = gtk_widget_get_first_child (entry);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_IMAGE (child))
      {
        name_from_tooltip (child);
        g_signal_connect (child, "notify::tooltip-text", G_CALLBACK (name_from_tooltip), NULL);
      }
}

void
pb_accessible_fix_names (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_BUTTON (root) || GTK_IS_CHECK_BUTTON (root) || GTK_IS_EXPANDER (root))
    {
      name_from_label (root);
      if (g_object_get_data (G_OBJECT (root), "pb-accessible-follows") == NULL)
        {
          g_signal_connect (root, "notify::label", G_CALLBACK (on_label_changed), NULL);
          g_signal_connect (root, "notify::use-underline", G_CALLBACK (on_label_changed), NULL);
          g_object_set_data (G_OBJECT (root), "pb-accessible-follows", GINT_TO_POINTER (1));
        }
    }
  if (GTK_IS_DROP_DOWN (root))
    label_dropdown_button (root);
  if (GTK_IS_PASSWORD_ENTRY (root) && g_object_get_data (G_OBJECT (root), "pb-accessible-follows") == NULL)
    {
      name_password_icons (root);
      g_object_set_data (G_OBJECT (root), "pb-accessible-follows", GINT_TO_POINTER (1));
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    pb_accessible_fix_names (child);
}

static void
apply_key_name (GtkLabel *value)
{
  GtkLabel *key = g_object_get_data (G_OBJECT (value), "pb-accessible-key");

  gtk_accessible_reset_relation (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_label_get_text (key), -1);
}

void
pb_accessible_name_value (GtkLabel *value,
                          GtkLabel *key)
{
  g_return_if_fail (GTK_IS_LABEL (value));
  g_return_if_fail (GTK_IS_LABEL (key));

  if (g_object_get_data (G_OBJECT (value), "pb-accessible-key") == NULL)
    g_signal_connect (value, "notify::label", G_CALLBACK (apply_key_name), NULL);
  /* The key lives in the same window, as long as the value. */
  g_object_set_data (G_OBJECT (value), "pb-accessible-key", key);
  apply_key_name (value);
}
