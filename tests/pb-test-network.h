/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GNetworkMonitor whose network the test switches on and off. */
#define PB_TYPE_TEST_NETWORK (pb_test_network_get_type ())
G_DECLARE_FINAL_TYPE (PbTestNetwork, pb_test_network, PB, TEST_NETWORK, GObject)

PbTestNetwork *pb_test_network_new           (gboolean       available);

/* Notifies ::network-available and emits ::network-changed, when it changes. */
void           pb_test_network_set_available (PbTestNetwork *self,
                                              gboolean       available);
/* Emits ::network-changed with the same availability, as a monitor does when
 * a VPN comes up or another Wi-Fi network is joined. */
void           pb_test_network_changed       (PbTestNetwork *self);

G_END_DECLS
