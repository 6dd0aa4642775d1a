/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The libFuzzer entry points, declared for -Werror=missing-prototypes. */
int  LLVMFuzzerInitialize   (int            *argc,
                             char         ***argv);
int  LLVMFuzzerTestOneInput (const guint8   *data,
                             size_t          size);

/* Makes warnings and criticals abort (the core must not log them for any input)
 * and silences debug output. Call from LLVMFuzzerInitialize. */
void         pb_fuzz_init            (void);
/* A private temporary folder for this process, removed at exit. */
const char  *pb_fuzz_get_tmpdir      (void);
/* Writes @data to @name inside the temporary folder, returns the path. */
char        *pb_fuzz_write_file      (const char   *name,
                                      const guint8 *data,
                                      gsize         size);
/* Empties the temporary folder (loaders set corrupt files aside there). */
void         pb_fuzz_clean_tmpdir    (void);
/* Aborts with @what when @condition is false: an invariant the fuzzer broke. */
#define pb_fuzz_check(condition, what) \
  G_STMT_START { if (G_UNLIKELY (!(condition))) pb_fuzz_fail (G_STRLOC, what); } G_STMT_END
G_NORETURN void pb_fuzz_fail         (const char   *where,
                                      const char   *what);

/* TRUE when @text is valid UTF-8 without control characters. */
gboolean     pb_fuzz_is_clean_text   (const char   *text);

G_END_DECLS
