/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The panel side of a tray icon, for tests on a private bus: a
 * StatusNotifierWatcher that records what registers with it, and a host that
 * reads an item's properties, records its signals and calls its methods.
 * Each has a connection of its own, as a real panel would. Everything runs on
 * the thread-default main context: calls wait by iterating it, so an item in
 * the same process keeps answering. */

typedef struct _PbTestSniWatcher PbTestSniWatcher;

/* Owns org.kde.StatusNotifierWatcher on the bus at @address (aborts if it
 * can't within a few seconds). */
PbTestSniWatcher *pb_test_sni_watcher_new            (const char       *address);
/* Closes its connection: the name goes away as when a panel exits. */
void              pb_test_sni_watcher_free           (PbTestSniWatcher *self);
/* Items registered and still on the bus, as "<bus name><object path>". */
GPtrArray        *pb_test_sni_watcher_get_items      (PbTestSniWatcher *self);
/* Every RegisterStatusNotifierItem call, including repeated ones. */
guint             pb_test_sni_watcher_get_n_registrations (PbTestSniWatcher *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestSniWatcher, pb_test_sni_watcher_free)

typedef struct _PbTestSniHost PbTestSniHost;

PbTestSniHost *pb_test_sni_host_new           (const char    *address,
                                               const char    *bus_name,
                                               const char    *item_path);
void           pb_test_sni_host_free          (PbTestSniHost *self);

/* org.freedesktop.DBus.Properties.GetAll on the item (a{sv}) and its menu's
 * object path (from the Menu property). */
GVariant      *pb_test_sni_host_get_all       (PbTestSniHost *self);
GVariant      *pb_test_sni_host_get_menu_all  (PbTestSniHost *self);
const char    *pb_test_sni_host_get_menu_path (PbTestSniHost *self);

/* Calls @method of the item (@on_menu FALSE: org.kde.StatusNotifierItem) or
 * of its menu (TRUE: com.canonical.dbusmenu) and waits for the reply. */
GVariant      *pb_test_sni_host_call          (PbTestSniHost *self,
                                               gboolean       on_menu,
                                               const char    *method,
                                               GVariant      *parameters,
                                               GError       **error);

/* A round trip to the item: every signal it sent before has arrived. */
void           pb_test_sni_host_sync          (PbTestSniHost *self);
/* Signals from the item's connection, in order: "Member" for signals
 * without arguments, else "Member <printed arguments>". */
GPtrArray     *pb_test_sni_host_get_signals   (PbTestSniHost *self);
/* The signals joined with "|", then forgotten. */
char          *pb_test_sni_host_take_signals  (PbTestSniHost *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestSniHost, pb_test_sni_host_free)

/* Iterates the thread-default context until nothing is pending. */
void           pb_test_sni_flush              (void);

G_END_DECLS
