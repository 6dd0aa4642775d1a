/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-tray"

#include "config.h"

#include <math.h>
#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <pango/pangocairo.h>

#include "pb-tray-badge.h"

#define MAX_SHOWN 99

/* The shape's colour in Popbell's symbolic icons, and what surrounds it. */
#define GLYPH_R 0x2e
#define GLYPH_G 0x34
#define GLYPH_B 0x36
/* GNOME's red 4 and white: a contrast of 5.9:1 between them. */
#define BADGE_R 0xc0
#define BADGE_G 0x1c
#define BADGE_B 0x28

char *
pb_tray_badge_label (guint count)
{
  if (count > MAX_SHOWN)
    return g_strdup_printf ("%u+", MAX_SHOWN);
  return g_strdup_printf ("%u", count);
}

/* The icon's coverage (its alpha) as a cairo mask. */
static cairo_surface_t *
alpha_mask (GdkPixbuf *pixbuf)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  cairo_surface_t *mask = cairo_image_surface_create (CAIRO_FORMAT_A8, width, height);
  guint8 *data = cairo_image_surface_get_data (mask);
  int stride = cairo_image_surface_get_stride (mask);

  cairo_surface_flush (mask);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      data[y * stride + x] = gdk_pixbuf_get_has_alpha (pixbuf)
                             ? pixels[y * rowstride + x * channels + 3] : 0xff;
  cairo_surface_mark_dirty (mask);
  return mask;
}

static void
draw_icon (cairo_t         *cr,
           cairo_surface_t *mask,
           int              size)
{
  /* A light outline one pixel wide (two from 32 px): the mask painted
   * around the shape before the shape itself. */
  int width = size >= 32 ? 2 : 1;

  cairo_set_source_rgba (cr, 1, 1, 1, 0.9);
  for (int dx = -width; dx <= width; dx++)
    for (int dy = -width; dy <= width; dy++)
      if (dx != 0 || dy != 0)
        cairo_mask_surface (cr, mask, dx, dy);

  cairo_set_source_rgb (cr, GLYPH_R / 255.0, GLYPH_G / 255.0, GLYPH_B / 255.0);
  cairo_mask_surface (cr, mask, 0, 0);
}

static void
rounded_rectangle (cairo_t *cr,
                   double   x,
                   double   y,
                   double   width,
                   double   height)
{
  double radius = height / 2;

  cairo_new_sub_path (cr);
  cairo_arc (cr, x + width - radius, y + radius, radius, -G_PI / 2, G_PI / 2);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI / 2, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* A pill in the top right corner, as wide as the label needs, never wider
 * than the icon. */
static void
draw_badge (cairo_t    *cr,
            int         size,
            const char *label)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_from_string ("Sans Bold");
  double height = MAX (9.0, round (size * 0.56));
  double border = size >= 32 ? 1.5 : 1.0;
  double width;
  PangoRectangle ink;

  pango_font_description_set_absolute_size (font, (height - 2 * border) * 0.9 * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_text (layout, label, -1);
  pango_layout_get_pixel_extents (layout, &ink, NULL);

  width = MIN ((double) size, MAX (height, ink.width + height * 0.5));

  rounded_rectangle (cr, size - width, 0, width, height);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_fill (cr);
  rounded_rectangle (cr, size - width + border, border, width - 2 * border, height - 2 * border);
  cairo_set_source_rgb (cr, BADGE_R / 255.0, BADGE_G / 255.0, BADGE_B / 255.0);
  cairo_fill (cr);

  /* Centred on its ink, not its logical box: digits have no descenders. */
  cairo_move_to (cr, size - width / 2 - ink.x - ink.width / 2.0,
                 height / 2 - ink.y - ink.height / 2.0);
  cairo_set_source_rgb (cr, 1, 1, 1);
  pango_cairo_show_layout (cr, layout);
}

/* Cairo's native-endian premultiplied ARGB to the specification's bytes. */
static GVariant *
image_variant (cairo_surface_t *surface)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data;
  guint8 *bytes = g_malloc ((gsize) width * height * 4);

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 pixel = *(const guint32 *) (data + y * stride + x * 4);
        guint8 a = pixel >> 24;
        guint8 *out = bytes + ((gsize) y * width + x) * 4;

        out[0] = a;
        for (int c = 0; c < 3; c++)
          {
            guint channel = (pixel >> (16 - 8 * c)) & 0xff;

            out[1 + c] = a == 0 ? 0 : (guint8) MIN (255u, (channel * 255 + a / 2) / a);
          }
      }

  return g_variant_new ("(ii@ay)", width, height,
                        g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, bytes,
                                                 (gsize) width * height * 4, TRUE, g_free,
                                                 bytes));
}

GVariant *
pb_tray_badge_render (const char *svg_path,
                      guint       count)
{
  static const int sizes[] = PB_TRAY_BADGE_SIZES;
  g_autofree char *label = count > 0 ? pb_tray_badge_label (count) : NULL;
  GVariantBuilder builder;

  g_return_val_if_fail (svg_path != NULL, NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(iiay)"));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int size = sizes[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file_at_size (svg_path, size, size,
                                                                       &error);
      cairo_surface_t *mask;
      cairo_surface_t *surface;
      cairo_t *cr;

      if (pixbuf == NULL)
        {
          g_debug ("No pixels for the tray icon: %s", error->message);
          g_variant_builder_clear (&builder);
          return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
        }

      mask = alpha_mask (pixbuf);
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, size, size);
      cr = cairo_create (surface);
      /* Centred, should the SVG not be square. */
      cairo_translate (cr, (size - gdk_pixbuf_get_width (pixbuf)) / 2,
                       (size - gdk_pixbuf_get_height (pixbuf)) / 2);
      draw_icon (cr, mask, size);
      cairo_identity_matrix (cr);
      if (label != NULL)
        draw_badge (cr, size, label);
      cairo_destroy (cr);

      g_variant_builder_add_value (&builder, image_variant (surface));
      cairo_surface_destroy (surface);
      cairo_surface_destroy (mask);
    }
  return g_variant_builder_end (&builder);
}
