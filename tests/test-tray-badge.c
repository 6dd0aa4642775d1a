/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The count drawn on the tray icon (IconPixmap): sizes, the byte order of
 * the StatusNotifierItem specification, and colours that read on light and
 * dark panels. */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "pb-test-util.h"
#include "pb-tray-badge.h"

static const int sizes[] = PB_TRAY_BADGE_SIZES;

static char *
icon_path (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".svg", NULL);

  return g_test_build_filename (G_TEST_DIST, "..", "data", "icons", "hicolor", "symbolic", "apps",
                                file, NULL);
}

typedef struct
{
  int           width;
  int           height;
  const guint8 *argb;   /* borrowed from the variant */
} Image;

static Image
image_at (GVariant *pixmap,
          guint     index)
{
  g_autoptr(GVariant) bytes = NULL;
  Image image;
  gsize length;

  g_variant_get_child (pixmap, index, "(ii@ay)", &image.width, &image.height, &bytes);
  image.argb = g_variant_get_fixed_array (bytes, &length, 1);
  g_assert_cmpuint (length, ==, (gsize) image.width * image.height * 4);
  return image;
}

/* How many pixels of @image (opaque enough to be seen) are close to r, g, b. */
static guint
count_colour (Image image,
              int   x0,
              int   y0,
              int   x1,
              int   y1,
              guint r,
              guint g,
              guint b)
{
  guint n = 0;

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        const guint8 *p = image.argb + ((gsize) y * image.width + x) * 4;

        if (p[0] >= 0xc0 && ABS ((int) p[1] - (int) r) < 40 && ABS ((int) p[2] - (int) g) < 40 &&
            ABS ((int) p[3] - (int) b) < 40)
          n++;
      }
  return n;
}

/* The image as a PNG beside the test's other output, to look at. */
static void
save (Image       image,
      const char *name)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, image.width,
                                                image.height);
  g_autofree char *dir = g_test_build_filename (G_TEST_BUILT, "screenshots", NULL);
  g_autofree char *file = g_strdup_printf ("%s-%d.png", name, image.width);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < image.height; y++)
    for (int x = 0; x < image.width; x++)
      {
        const guint8 *p = image.argb + ((gsize) y * image.width + x) * 4;
        guint8 *q = pixels + y * rowstride + x * 4;

        q[0] = p[1];
        q[1] = p[2];
        q[2] = p[3];
        q[3] = p[0];
      }
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
}

static void
test_label (void)
{
  const struct { guint count; const char *label; } cases[] = {
    { 1, "1" }, { 9, "9" }, { 42, "42" }, { 99, "99" }, { 100, "99+" }, { 12345, "99+" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *label = pb_tray_badge_label (cases[i].count);

      g_assert_cmpstr (label, ==, cases[i].label);
    }
}

static void
test_every_size (void)
{
  g_autofree char *path = icon_path ("popbell-new-mail-symbolic");
  g_autoptr(GVariant) pixmap = g_variant_ref_sink (pb_tray_badge_render (path, 3));

  g_assert_cmpstr (g_variant_get_type_string (pixmap), ==, "a(iiay)");
  g_assert_cmpuint (g_variant_n_children (pixmap), ==, G_N_ELEMENTS (sizes));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Image image = image_at (pixmap, i);

      g_assert_cmpint (image.width, ==, sizes[i]);
      g_assert_cmpint (image.height, ==, sizes[i]);
    }
}

/* A, R, G, B in that order (network byte order), not premultiplied: the
 * badge's red is 0xc01c28 with A first, whatever the machine's endianness. */
static void
test_network_byte_order (void)
{
  g_autofree char *path = icon_path ("popbell-new-mail-symbolic");
  g_autoptr(GVariant) pixmap = g_variant_ref_sink (pb_tray_badge_render (path, 5));

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Image image = image_at (pixmap, i);
      int size = image.width;
      /* The badge's left half, inside its white rim, above the digit's
       * middle: red. */
      const guint8 *p = image.argb + ((gsize) (size / 8 + 2) * size + size - size * 7 / 16) * 4;

      g_test_message ("%d px: %02x %02x %02x %02x", size, p[0], p[1], p[2], p[3]);
      g_assert_cmpuint (p[0], ==, 0xff);
      g_assert_cmpuint (p[1], >, 0xa0);
      g_assert_cmpuint (p[2], <, 0x50);
      g_assert_cmpuint (p[3], <, 0x60);
    }
}

/* The badge: red with white digits, a white rim to part it from a red or
 * dark panel; the icon: its dark shape inside a light outline. Each of the
 * four colours is there at every size, so the icon reads on white and on
 * black. */
static void
test_readable_on_light_and_dark (void)
{
  g_autofree char *path = icon_path ("popbell-new-mail-symbolic");
  g_autoptr(GVariant) pixmap = g_variant_ref_sink (pb_tray_badge_render (path, 7));

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Image image = image_at (pixmap, i);
      int size = image.width;
      guint red = count_colour (image, size / 2, 0, size, size / 2, 0xc0, 0x1c, 0x28);
      guint white_in_badge = count_colour (image, size / 2, 0, size, size / 2, 0xff, 0xff, 0xff);
      guint dark = count_colour (image, 0, size / 2, size, size, 0x2e, 0x34, 0x36);
      guint light = count_colour (image, 0, size / 2, size, size, 0xff, 0xff, 0xff);

      g_test_message ("%d px: %u red, %u white in the badge; %u dark, %u light below", size, red,
                      white_in_badge, dark, light);
      save (image, "tray-badge-7");
      g_assert_cmpuint (red, >=, (guint) (size * size / 40));
      g_assert_cmpuint (white_in_badge, >=, (guint) (size * size / 60));
      g_assert_cmpuint (dark, >=, (guint) (size * size / 20));
      g_assert_cmpuint (light, >=, (guint) (size * size / 20));
    }
}

/* Without a count: no red anywhere, the icon alone. */
static void
test_no_count_no_badge (void)
{
  g_autofree char *path = icon_path ("popbell-no-mail-symbolic");
  g_autoptr(GVariant) pixmap = g_variant_ref_sink (pb_tray_badge_render (path, 0));

  g_assert_cmpuint (g_variant_n_children (pixmap), ==, G_N_ELEMENTS (sizes));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Image image = image_at (pixmap, i);

      g_assert_cmpuint (count_colour (image, 0, 0, image.width, image.height, 0xc0, 0x1c, 0x28),
                        ==, 0);
      g_assert_cmpuint (count_colour (image, 0, 0, image.width, image.height, 0x2e, 0x34, 0x36),
                        >, 0);
    }
}

/* "99+" fits: the badge grows to the left, up to the whole width. */
static void
test_large_count_fits (void)
{
  g_autofree char *path = icon_path ("popbell-new-mail-symbolic");
  g_autoptr(GVariant) pixmap = g_variant_ref_sink (pb_tray_badge_render (path, 1000));

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Image image = image_at (pixmap, i);
      int size = image.width;

      save (image, "tray-badge-99plus");
      /* Wider than a digit's round badge: at least half the icon. */
      g_assert_cmpuint (count_colour (image, 0, 0, size / 2, size / 2, 0xc0, 0x1c, 0x28), >, 0);
      /* White digits inside it. */
      g_assert_cmpuint (count_colour (image, 0, 0, size, size / 2, 0xff, 0xff, 0xff), >,
                        (guint) (size * size / 60));
    }
}

static void
test_missing_icon_gives_no_pixels (void)
{
  g_autoptr(GVariant) pixmap = g_variant_ref_sink (pb_tray_badge_render ("/nonexistent.svg", 2));

  g_assert_cmpuint (g_variant_n_children (pixmap), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  g_test_add_func ("/pb/tray-badge/label/caps-at-99", test_label);
  g_test_add_func ("/pb/tray-badge/render/every-size", test_every_size);
  g_test_add_func ("/pb/tray-badge/render/network-byte-order", test_network_byte_order);
  g_test_add_func ("/pb/tray-badge/render/readable-on-light-and-dark",
                   test_readable_on_light_and_dark);
  g_test_add_func ("/pb/tray-badge/render/no-count-no-badge", test_no_count_no_badge);
  g_test_add_func ("/pb/tray-badge/render/99-plus-fits", test_large_count_fits);
  g_test_add_func ("/pb/tray-badge/render/missing-icon-gives-no-pixels",
                   test_missing_icon_gives_no_pixels);

  return g_test_run ();
}
