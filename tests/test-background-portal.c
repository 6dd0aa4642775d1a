/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Background portal as Popbell asks it inside Flatpak, against a portal
 * written for the test on a private bus: what is asked, and each answer. */
#include "config.h"

#include <string.h>

#include "pb-background-portal.h"
#include "pb-test-util.h"

#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"

static const char portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Background'>"
  "    <method name='RequestBackground'>"
  "      <arg type='s' name='parent_window' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct
{
  GTestDBus       *bus;
  GDBusConnection *portal;      /* the portal's connection, owning its name */
  GDBusConnection *client;      /* Popbell's */
  guint            registration;
  GVariant        *options;     /* what the last request asked */
  guint32          response;    /* what the portal answers: 0 given, 1 dismissed */
} Fixture;

static void
on_method_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *path,
                const char            *interface,
                const char            *method,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  Fixture *fixture = user_data;
  g_autofree char *sender_part = g_strdup (sender + 1);
  g_autofree char *handle = NULL;
  const char *token = "t";
  gboolean autostart = FALSE;
  GVariantBuilder results;

  g_clear_pointer (&fixture->options, g_variant_unref);
  g_variant_get (parameters, "(&s@a{sv})", NULL, &fixture->options);
  g_variant_lookup (fixture->options, "handle_token", "&s", &token);
  g_variant_lookup (fixture->options, "autostart", "b", &autostart);

  /* As xdg-desktop-portal makes it: the sender's name without ':', '.' as '_'. */
  g_strdelimit (sender_part, ".", '_');
  handle = g_strdup_printf (PORTAL_PATH "/request/%s/%s", sender_part, token);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", handle));

  g_variant_builder_init (&results, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&results, "{sv}", "background", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&results, "{sv}", "autostart", g_variant_new_boolean (autostart));
  g_dbus_connection_emit_signal (connection, sender, handle, "org.freedesktop.portal.Request",
                                 "Response",
                                 g_variant_new ("(u@a{sv})", fixture->response,
                                                g_variant_builder_end (&results)),
                                 NULL);
}

static const GDBusInterfaceVTable vtable = { on_method_call, NULL, NULL };

static GDBusConnection *
connect_to (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection =
    g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (fixture->bus),
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->client = connect_to (fixture);
}

/* The portal on the bus, owning its name (waited for). */
static void
start_portal (Fixture *fixture)
{
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (portal_xml, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  fixture->portal = connect_to (fixture);
  fixture->registration = g_dbus_connection_register_object (fixture->portal, PORTAL_PATH,
                                                             node->interfaces[0], &vtable,
                                                             fixture, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (fixture->portal, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName", g_variant_new ("(su)", PORTAL_NAME, 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->portal != NULL)
    {
      g_dbus_connection_unregister_object (fixture->portal, fixture->registration);
      g_dbus_connection_close_sync (fixture->portal, NULL, NULL);
      g_clear_object (&fixture->portal);
    }
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_clear_object (&fixture->client);
  g_clear_pointer (&fixture->options, g_variant_unref);
  /* Let the connections' last callbacks run before the bus goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
}

static gboolean
request (Fixture   *fixture,
         gboolean   autostart,
         gboolean  *background,
         gboolean  *autostart_granted,
         GError   **error)
{
  const char *argv[] = { "popbell", NULL };
  g_autoptr(GAsyncResult) result = NULL;

  pb_background_portal_request_async (fixture->client, autostart, argv, NULL,
                                      pb_test_store_result, &result);
  pb_test_wait_result (&result, 10);
  return pb_background_portal_request_finish (result, background, autostart_granted, error);
}

static void
test_asks_for_autostart (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree const char **commandline = NULL;
  gboolean background = FALSE, autostart = FALSE, asked = FALSE, activatable = TRUE;
  const char *reason = NULL;

  start_portal (fixture);
  g_assert_true (request (fixture, TRUE, &background, &autostart, &error));
  g_assert_no_error (error);
  g_assert_true (background);
  g_assert_true (autostart);

  /* What the user is shown, and what is started at login. */
  g_assert_true (g_variant_lookup (fixture->options, "reason", "&s", &reason));
  g_assert_nonnull (strstr (reason, "background"));
  g_assert_true (g_variant_lookup (fixture->options, "autostart", "b", &asked));
  g_assert_true (asked);
  g_assert_true (g_variant_lookup (fixture->options, "commandline", "^a&s", &commandline));
  g_assert_cmpstr (commandline[0], ==, "popbell");
  g_assert_null (commandline[1]);
  g_assert_true (g_variant_lookup (fixture->options, "dbus-activatable", "b", &activatable));
  g_assert_false (activatable);

  /* Not starting at login: asked as such. */
  g_assert_true (request (fixture, FALSE, &background, &autostart, &error));
  g_assert_false (autostart);
  g_assert_true (g_variant_lookup (fixture->options, "autostart", "b", &asked));
  g_assert_false (asked);
}

static void
test_dismissed_is_cancelled (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  start_portal (fixture);
  fixture->response = 1;
  g_assert_false (request (fixture, TRUE, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_without_a_portal (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (request (fixture, TRUE, NULL, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN);
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  /* No sandbox here: the applet writes its autostart entry itself. */
  g_assert_false (pb_background_portal_is_needed ());

  g_test_add ("/pb/background-portal/asks-for-autostart", Fixture, NULL, fixture_setup,
              test_asks_for_autostart, fixture_teardown);
  g_test_add ("/pb/background-portal/dismissed-is-cancelled", Fixture, NULL, fixture_setup,
              test_dismissed_is_cancelled, fixture_teardown);
  g_test_add ("/pb/background-portal/without-a-portal-fails", Fixture, NULL, fixture_setup,
              test_without_a_portal, fixture_teardown);

  return g_test_run ();
}
