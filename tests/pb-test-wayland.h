/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A private Wayland compositor for tests that show windows: Weston 10 with
 * its headless backend (pixman rendering, one 1024×768 output, the desktop
 * shell without panel or animations), listening on a socket of its own in
 * $XDG_RUNTIME_DIR. While it
 * runs, WAYLAND_DISPLAY points at it, DISPLAY is unset and GDK_BACKEND is
 * "wayland", so GTK (and children) use it; GSK_RENDERER=cairo as under Xvfb.
 *
 * Weston 10 offers xdg_wm_base but neither wl_seat (the headless backend has
 * no input devices), xdg_activation_v1 nor gtk_shell1: windows cannot be
 * driven by input here, and the compositor focuses each new window itself.
 * It runs with --debug, which enables its screenshooter protocol. */
typedef struct _PbTestWayland PbTestWayland;

/* Aborts the test when weston is missing (build-aux/packages.txt lists it)
 * or does not accept clients within 10 s. */
PbTestWayland *pb_test_wayland_new         (void);
/* The socket name (WAYLAND_DISPLAY). */
const char    *pb_test_wayland_get_display (PbTestWayland *self);
/* Weston's log so far. */
char          *pb_test_wayland_get_log     (PbTestWayland *self);
/* The whole output as the compositor shows it (weston-screenshooter), saved
 * as a PNG at @path. */
void           pb_test_wayland_screenshot  (PbTestWayland *self,
                                            const char    *path);
void           pb_test_wayland_free        (PbTestWayland *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestWayland, pb_test_wayland_free)

G_END_DECLS
