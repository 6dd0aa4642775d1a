/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* g_test_init, the C.UTF-8 locale, and a private home for this process:
 * HOME, XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_DATA_HOME, XDG_CACHE_HOME and
 * XDG_RUNTIME_DIR point into a new temporary folder, removed at exit. */
void         pb_test_init          (int    *argc,
                                    char ***argv);
/* The private temporary folder of this test process. */
const char  *pb_test_get_tmpdir    (void);
/* A new empty folder inside it. */
char        *pb_test_mkdtemp       (const char *prefix);
/* Removes a tree (no symlinks followed). */
void         pb_test_rm_rf         (const char *path);
/* $PB_TEST_CERTS/@name (the generated test certificates). */
char        *pb_test_cert_path     (const char *name);
GTlsCertificate *pb_test_load_certificate (const char *name); /* aborts on failure */

/* Iterates the default main context until *@done is TRUE or @seconds pass
 * (then the test fails). */
void         pb_test_wait_for      (gboolean   *done,
                                    guint       seconds);
/* For async tests: stores the GAsyncResult into *(GAsyncResult **) user_data. */
void         pb_test_store_result  (GObject      *source,
                                    GAsyncResult *result,
                                    gpointer      user_data);
/* Iterates until *@result is set or @seconds pass. */
void         pb_test_wait_result   (GAsyncResult **result,
                                    guint          seconds);

/* A free TCP port on 127.0.0.1 (bound then released). */
guint16      pb_test_free_port     (void);

G_END_DECLS
