/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Text from servers, mail or certificates made fit to show on one line, in
 * any face (notification, tray menu, windows, terminal): at most @length bytes
 * of @text are read (-1: up to its NUL); invalid or truncated UTF-8 becomes
 * U+FFFD; control characters and line or paragraph separators become spaces;
 * format characters (Unicode category Cf: bidirectional embeddings, overrides
 * and isolates, U+200E/U+200F/U+061C marks, zero-width characters) are
 * removed; the ends are trimmed. With @max_chars > 0, a longer result is cut
 * to @max_chars characters, the last being "…". NULL gives "". Never markup:
 * a caller that builds markup still escapes the result. */
char *pb_text_clean (const char *text,
                     gssize      length,
                     guint       max_chars);

G_END_DECLS
