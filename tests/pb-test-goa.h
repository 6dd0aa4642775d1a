/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* GNOME Online Accounts on this test's session bus (DBUS_SESSION_BUS_ADDRESS,
 * e.g. a PbTestKeyring's private bus), served by python3-dbusmock with the
 * template tests/oauth2/goa.py. @parameters_json: the template's parameters,
 * {"accounts": [{"id", "provider", "email", "token", "mail_disabled",
 * "expired"}, …]}. Aborts the test when it is not on the bus within 10 s. */
typedef struct _PbTestGoa PbTestGoa;

PbTestGoa *pb_test_goa_new          (const char *parameters_json);
void       pb_test_goa_free         (PbTestGoa  *goa);
/* The account's credentials expire (or are renewed): AttentionNeeded, and
 * EnsureCredentials and GetAccessToken refused. */
void       pb_test_goa_set_expired  (PbTestGoa  *goa,
                                     const char *account_id,
                                     gboolean    expired);
/* How often @method was called on the account's object. */
guint      pb_test_goa_count_calls  (PbTestGoa  *goa,
                                     const char *account_id,
                                     const char *method);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestGoa, pb_test_goa_free)

G_END_DECLS
