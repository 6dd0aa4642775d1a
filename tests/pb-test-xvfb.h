/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A private X server for tests that show windows: Xvfb on a free display
 * number, chosen by the server itself (-displayfd). While it runs, DISPLAY
 * points at it and WAYLAND_DISPLAY is unset, so GTK (and children) use it;
 * GSK_RENDERER=cairo keeps rendering steady for screenshots. */
typedef struct _PbTestXvfb PbTestXvfb;

/* Aborts the test when Xvfb does not come up within 10 s; returns NULL (and
 * the caller skips) when Xvfb is not installed. */
PbTestXvfb *pb_test_xvfb_new         (void);
const char *pb_test_xvfb_get_display (PbTestXvfb *self);
void        pb_test_xvfb_free        (PbTestXvfb *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestXvfb, pb_test_xvfb_free)

G_END_DECLS
