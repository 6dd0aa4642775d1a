/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include "pb-test-goa.h"
#include "pb-test-util.h"

#define GOA_NAME "org.gnome.OnlineAccounts"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"

struct _PbTestGoa
{
  GSubprocess     *process;
  GDBusConnection *bus;
};

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
name_has_owner (GDBusConnection *bus)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", GOA_NAME), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

PbTestGoa *
pb_test_goa_new (const char *parameters_json)
{
  g_autofree char *template = g_test_build_filename (G_TEST_DIST, "oauth2", "goa.py", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  const char *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  PbTestGoa *goa = g_new0 (PbTestGoa, 1);
  gint64 deadline;

  g_assert_nonnull (address);
  goa->bus = g_dbus_connection_new_for_address_sync (address,
                                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                     NULL, NULL, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (g_test_verbose () ? G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                                          : G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                            G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  /* The system's python3, which has python3-dbusmock, not one on PATH. */
  goa->process = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", "-m",
                                              "dbusmock", "--session", "--template", template,
                                              "--parameters",
                                              parameters_json != NULL ? parameters_json : "{}",
                                              NULL);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!name_has_owner (goa->bus))
    {
      if (g_subprocess_get_identifier (goa->process) == NULL)
        g_error ("The mock Online Accounts exited before it was ready");
      if (g_get_monotonic_time () > deadline)
        g_error ("The mock Online Accounts was not ready in time");
      g_usleep (20 * 1000);
    }
  return goa;
}

void
pb_test_goa_free (PbTestGoa *goa)
{
  if (goa == NULL)
    return;

  g_subprocess_send_signal (goa->process, SIGTERM);
  g_subprocess_wait (goa->process, NULL, NULL);
  g_clear_object (&goa->process);
  g_dbus_connection_close_sync (goa->bus, NULL, NULL);
  g_clear_object (&goa->bus);
  g_free (goa);
}

static char *
account_path (const char *account_id)
{
  return g_strdup_printf ("/org/gnome/OnlineAccounts/Accounts/%s", account_id);
}

void
pb_test_goa_set_expired (PbTestGoa  *goa,
                         const char *account_id,
                         gboolean    expired)
{
  g_autofree char *path = account_path (account_id);
  g_autoptr(GVariantBuilder) props = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_variant_builder_add (props, "{sv}", "AttentionNeeded", g_variant_new_boolean (expired));
  reply = g_dbus_connection_call_sync (goa->bus, GOA_NAME, path, MOCK_IFACE, "UpdateProperties",
                                       g_variant_new ("(sa{sv})",
                                                      "org.gnome.OnlineAccounts.Account", props),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

guint
pb_test_goa_count_calls (PbTestGoa  *goa,
                         const char *account_id,
                         const char *method)
{
  g_autofree char *path = account_path (account_id);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) calls = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (goa->bus, GOA_NAME, path, MOCK_IFACE, "GetMethodCalls",
                                       g_variant_new ("(s)", method), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  calls = g_variant_get_child_value (reply, 0);
  return (guint) g_variant_n_children (calls);
}
