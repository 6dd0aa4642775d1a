/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The tray icon as pixels, for StatusNotifierItem's IconPixmap: SNI hosts
 * don't draw overlay icons reliably, so the count is drawn into the icon.
 * No widgets: cairo, pango and GdkPixbuf's SVG loader. */

/* The sizes drawn, in pixels: what panels ask for at 1x and 2x. */
#define PB_TRAY_BADGE_SIZES { 16, 22, 24, 32, 48 }

/* "7", "42", "99+" beyond 99. */
char     *pb_tray_badge_label  (guint       count);

/* An a(iiay) of the symbolic icon in @svg_path at each size, with a light
 * outline around its dark shape so that it reads on dark panels as on light
 * ones, and, when @count > 0, a red badge with the count in white in its top
 * right corner (red and white read on both too). Each image is width,
 * height and ARGB32 pixels in network byte order (A, R, G, B bytes, not
 * premultiplied), as the StatusNotifierItem specification says. An empty
 * array when the icon can't be loaded (the host then uses IconName).
 * (transfer floating) */
GVariant *pb_tray_badge_render (const char *svg_path,
                                guint       count);

G_END_DECLS
