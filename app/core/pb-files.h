/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $XDG_CONFIG_HOME/popbell and $XDG_STATE_HOME/popbell (not created). */
char     *pb_files_config_dir (void);
char     *pb_files_state_dir (void);

/* Reads the whole of @path (NUL-terminated). A missing file fails with
 * G_FILE_ERROR_NOENT; anything else that stops the read (EACCES, EIO, a directory
 * or a FIFO in its place) with another G_FILE_ERROR code and a message naming the
 * file. Never blocks on a FIFO. */
gboolean  pb_files_read (const char  *path,
                         char       **contents,
                         gsize       *length,
                         GError     **error);

/* Writes @len bytes atomically: a temporary file "@path.XXXXXX.popbell-tmp" beside
 * @path, fsync, rename. Creates the parent directory (0700) and the file with @mode.
 * Refuses to replace anything but a regular file. Old temporaries of @path (that
 * exact pattern only) are removed first. */
gboolean  pb_files_write_atomic (const char  *path,
                                 const char  *contents,
                                 gssize       len,
                                 int          mode,
                                 GError     **error);

/* The error a store's save gives while a file it could not read (@reason) is still at
 * @path: writing would replace what the user has there with what little was loaded. */
void      pb_files_set_unreadable_error (GError     **error,
                                         const char  *path,
                                         const char  *reason);

/* Renames a corrupt @path to "@path.corrupt-YYYYMMDD-HHMMSS[-N]" so that it is
 * never overwritten, and returns the new path (NULL with @error on failure). */
char     *pb_files_set_aside (const char  *path,
                              GError     **error);

G_END_DECLS
