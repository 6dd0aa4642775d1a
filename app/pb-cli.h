/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The one-shot command line: registers its options on @app and handles them
 * in GApplication::handle-local-options (returning an exit status), so that
 * none of them starts the desktop applet. */
void pb_cli_add_options (GApplication *app);

G_END_DECLS
