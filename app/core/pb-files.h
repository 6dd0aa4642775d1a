/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $XDG_CONFIG_HOME/popbell and $XDG_STATE_HOME/popbell (not created). */
char     *pb_files_config_dir (void);
char     *pb_files_state_dir (void);

/* Writes @len bytes atomically: a temporary file beside @path, fsync, rename.
 * Creates the parent directory (0700) and the file with @mode. */
gboolean  pb_files_write_atomic (const char  *path,
                                 const char  *contents,
                                 gssize       len,
                                 int          mode,
                                 GError     **error);

/* Renames a corrupt @path to "@path.corrupt-YYYYMMDD-HHMMSS[-N]" so that it is
 * never overwritten, and returns the new path (NULL with @error on failure). */
char     *pb_files_set_aside (const char  *path,
                              GError     **error);

G_END_DECLS
