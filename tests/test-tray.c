/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>

#include "pb-actions.h"
#include "pb-monitor.h"
#include "pb-seen-store.h"
#include "pb-test-server.h"
#include "pb-test-sni-host.h"
#include "pb-test-util.h"
#include "pb-tray.h"

#define TIMEOUT_S   20
#define ITEM_PATH   "/StatusNotifierItem"
#define ICON_THEME  "/usr/share/popbell/icons"

/* ---- A clock that only runs what is due now --------------------------------
 * The scheduler's own timers (first checks "soon", back-off) never fire, so
 * a check happens exactly when the test asks for it (pb_monitor_check_now). */

#define TEST_TYPE_CLOCK (test_clock_get_type ())
G_DECLARE_FINAL_TYPE (TestClock, test_clock, TEST, CLOCK, PbClock)

struct _TestClock
{
  PbClock parent_instance;
  guint   next_held;
};

G_DEFINE_FINAL_TYPE (TestClock, test_clock, PB_TYPE_CLOCK)

#define HELD_IDS_FROM (G_MAXUINT / 2)

static guint
test_clock_add_timeout (PbClock     *clock,
                        guint64      delay_ms,
                        GSourceFunc  func,
                        gpointer     data)
{
  TestClock *self = TEST_CLOCK (clock);

  if (delay_ms == 0)
    return PB_CLOCK_CLASS (test_clock_parent_class)->add_timeout (clock, delay_ms, func, data);
  return HELD_IDS_FROM + self->next_held++;
}

static void
test_clock_remove_timeout (PbClock *clock,
                           guint    id)
{
  if (id < HELD_IDS_FROM)
    PB_CLOCK_CLASS (test_clock_parent_class)->remove_timeout (clock, id);
}

static void
test_clock_class_init (TestClockClass *klass)
{
  PbClockClass *clock_class = PB_CLOCK_CLASS (klass);

  clock_class->add_timeout = test_clock_add_timeout;
  clock_class->remove_timeout = test_clock_remove_timeout;
}

static void
test_clock_init (TestClock *self)
{
}

/* ---- A network monitor the test switches --------------------------------- */

#define TEST_TYPE_NETWORK (test_network_get_type ())
G_DECLARE_FINAL_TYPE (TestNetwork, test_network, TEST, NETWORK, GObject)

struct _TestNetwork
{
  GObject  parent_instance;
  gboolean available;
};

enum
{
  NETWORK_PROP_0,
  NETWORK_PROP_AVAILABLE,
  NETWORK_PROP_METERED,
  NETWORK_PROP_CONNECTIVITY,
};

static void test_network_monitor_init (GNetworkMonitorInterface *iface);
static void test_network_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestNetwork, test_network, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, test_network_initable_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR,
                                                      test_network_monitor_init))

static gboolean
test_network_initable_initialize (GInitable     *initable,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  return TRUE;
}

static void
test_network_initable_init (GInitableIface *iface)
{
  iface->init = test_network_initable_initialize;
}

static void
test_network_monitor_init (GNetworkMonitorInterface *iface)
{
}

static void
test_network_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TestNetwork *self = TEST_NETWORK (object);

  switch (prop_id)
    {
    case NETWORK_PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case NETWORK_PROP_METERED:
      g_value_set_boolean (value, FALSE);
      break;
    case NETWORK_PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL
                                               : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_network_class_init (TestNetworkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_network_get_property;
  g_object_class_override_property (object_class, NETWORK_PROP_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, NETWORK_PROP_METERED, "network-metered");
  g_object_class_override_property (object_class, NETWORK_PROP_CONNECTIVITY, "connectivity");
}

static void
test_network_init (TestNetwork *self)
{
  self->available = TRUE;
}

static void
test_network_set_available (TestNetwork *self,
                            gboolean     available)
{
  self->available = available;
  g_object_notify (G_OBJECT (self), "network-available");
  g_signal_emit_by_name (self, "network-changed", available);
}

/* ---- Fixture ---------------------------------------------------------------- */

typedef struct
{
  GTestDBus          *bus;
  char               *runtime_dir;
  GDBusConnection    *connection;    /* the tray's */
  PbTestSniWatcher   *watcher;
  PbTestSniHost      *host;

  char               *dir;
  char               *state_dir;
  PbAccountStore     *accounts;
  PbTrustStore       *pins;
  TestNetwork        *network;
  PbScheduler        *scheduler;
  PbMonitor          *monitor;
  PbTestServer       *server;

  GSimpleActionGroup *actions;
  GPtrArray          *activations;   /* "name" or "name 'target'" */
  PbTray             *tray;
} Fixture;

/* GTestDBus spawns dbus-daemon with G_SPAWN_LEAVE_DESCRIPTORS_OPEN and (GLib
 * 2.74) leaves the pipe to the previous bus's watcher process without
 * FD_CLOEXEC: a second bus would keep the first one's watcher alive. */
static void
set_cloexec_on_inherited_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      guint64 fd;

      if (g_ascii_string_to_unsigned (name, 10, 3, G_MAXINT, &fd, NULL))
        {
          int flags = fcntl ((int) fd, F_GETFD);

          if (flags != -1 && (flags & FD_CLOEXEC) == 0)
            fcntl ((int) fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
}

static void
on_action (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  Fixture *fixture = user_data;
  const char *name = g_action_get_name (G_ACTION (action));

  if (parameter != NULL)
    g_ptr_array_add (fixture->activations,
                     g_strdup_printf ("%s '%s'", name, g_variant_get_string (parameter, NULL)));
  else
    g_ptr_array_add (fixture->activations, g_strdup (name));
}

static void
add_actions (Fixture *fixture)
{
  static const char *const with_account[] = {
    PB_ACTION_CHECK_NOW, PB_ACTION_MARK_READ, PB_ACTION_REVIEW_CERTIFICATE,
    PB_ACTION_ENTER_PASSWORD, PB_ACTION_OPEN_MAIL,
  };
  static const char *const plain[] = {
    PB_ACTION_SHOW_WINDOW, PB_ACTION_OPEN_MAIL_CLIENT, PB_ACTION_PREFERENCES,
    PB_ACTION_ADD_ACCOUNT, PB_ACTION_QUIT,
  };

  fixture->actions = g_simple_action_group_new ();
  fixture->activations = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (with_account); i++)
    {
      g_autoptr(GSimpleAction) action = g_simple_action_new (with_account[i], G_VARIANT_TYPE_STRING);

      g_signal_connect (action, "activate", G_CALLBACK (on_action), fixture);
      g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (action));
    }
  for (guint i = 0; i < G_N_ELEMENTS (plain); i++)
    {
      g_autoptr(GSimpleAction) action = g_simple_action_new (plain[i], NULL);

      g_signal_connect (action, "activate", G_CALLBACK (on_action), fixture);
      g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (action));
    }
}

static char *
take_activations (Fixture *fixture)
{
  g_autofree char *joined = NULL;

  g_ptr_array_add (fixture->activations, NULL);
  joined = g_strjoinv ("|", (char **) fixture->activations->pdata);
  g_ptr_array_set_size (fixture->activations, 0);
  return g_steal_pointer (&joined);
}

static void
add_account (Fixture    *fixture,
             const char *id,
             const char *name,
             guint16     port)
{
  g_autoptr(PbAccount) account = pb_account_new (id);
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(GError) error = NULL;

  pb_account_set_display_name (account, name);
  pb_account_set_host (account, "localhost");
  pb_account_set_port (account, port);
  pb_account_set_user (account, "alice");
  pb_account_set_ca_file (account, ca);
  pb_account_store_add (fixture->accounts, account, &error);
  g_assert_no_error (error);
}

static PbMessage *
make_message (const char *uidl,
              const char *from,
              const char *subject,
              guint       minute)
{
  g_autofree char *headers = g_strdup_printf ("From: %s\r\nSubject: %s\r\n"
                                              "Date: Mon, 01 Jan 2024 10:%02u:00 +0000\r\n\r\n",
                                              from, subject, minute);

  return pb_message_new_from_headers (uidl, headers, strlen (headers));
}

/* Unacknowledged mail that the monitor finds in the state file at start. */
static void
write_state (Fixture    *fixture,
             const char *account_id,
             GPtrArray  *messages)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.state", fixture->state_dir, account_id);
  g_autoptr(PbSeenStore) store = pb_seen_store_new (path);
  g_autoptr(GPtrArray) uidls = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (uidls, (gpointer) "old");
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    g_ptr_array_add (uidls, ((PbMessage *) g_ptr_array_index (messages, i))->uidl);

  pb_seen_store_record_check (store, (const char *const *) uidls->pdata, uidls->len, uidls->len,
                              messages);
  pb_seen_store_save (store, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *accounts = NULL;
  g_autofree char *trust = NULL;

  fixture->runtime_dir = g_strdup (g_getenv ("XDG_RUNTIME_DIR"));
  set_cloexec_on_inherited_fds ();
  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  /* GTestDBus unsets it; the rest of the test process wants its own. */
  g_setenv ("XDG_RUNTIME_DIR", fixture->runtime_dir, TRUE);

  fixture->connection =
    g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (fixture->bus),
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, NULL);
  g_assert_nonnull (fixture->connection);

  fixture->dir = pb_test_mkdtemp ("tray");
  fixture->state_dir = g_build_filename (fixture->dir, "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->state_dir, 0700), ==, 0);
  accounts = g_build_filename (fixture->dir, "accounts.ini", NULL);
  trust = g_build_filename (fixture->dir, "trust.ini", NULL);
  fixture->accounts = pb_account_store_new (accounts);
  fixture->pins = pb_trust_store_new (trust);

  add_actions (fixture);
}

/* The monitor, after the test put accounts and state in place. */
static void
start_monitor (Fixture *fixture)
{
  g_autoptr(PbClock) clock = g_object_new (TEST_TYPE_CLOCK, NULL);

  fixture->network = g_object_new (TEST_TYPE_NETWORK, NULL);
  fixture->scheduler = pb_scheduler_new (clock, G_NETWORK_MONITOR (fixture->network), FALSE);
  fixture->monitor = pb_monitor_new (fixture->accounts, fixture->pins, fixture->scheduler,
                                     fixture->state_dir);
  pb_monitor_start (fixture->monitor);
}

static void
start_tray (Fixture *fixture)
{
  if (fixture->monitor == NULL)
    start_monitor (fixture);
  fixture->tray = pb_tray_new (fixture->connection, fixture->monitor,
                               G_ACTION_GROUP (fixture->actions), ICON_THEME);
  fixture->host = pb_test_sni_host_new (g_test_dbus_get_bus_address (fixture->bus),
                                        g_dbus_connection_get_unique_name (fixture->connection),
                                        ITEM_PATH);
}

static void
start_watcher (Fixture *fixture)
{
  fixture->watcher = pb_test_sni_watcher_new (g_test_dbus_get_bus_address (fixture->bus));
}

static gboolean
any_checking (Fixture *fixture)
{
  GPtrArray *accounts = pb_monitor_get_accounts (fixture->monitor);

  for (guint i = 0; i < accounts->len; i++)
    if (pb_monitor_get_state (fixture->monitor,
                              pb_account_get_id (g_ptr_array_index (accounts, i))) ==
        PB_ACCOUNT_STATE_CHECKING)
      return TRUE;
  return FALSE;
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  if (fixture->tray != NULL)
    g_assert_finalize_object (fixture->tray);
  g_clear_pointer (&fixture->host, pb_test_sni_host_free);
  g_clear_pointer (&fixture->watcher, pb_test_sni_watcher_free);

  /* A check in flight holds the monitor: the server hangs up to end it. */
  g_clear_pointer (&fixture->server, pb_test_server_free);
  if (fixture->monitor != NULL)
    {
      gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

      while (any_checking (fixture))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_main_context_iteration (NULL, TRUE);
        }
      pb_test_sni_flush ();
      g_assert_finalize_object (fixture->monitor);
    }
  g_clear_object (&fixture->scheduler);
  g_clear_object (&fixture->network);
  g_clear_object (&fixture->accounts);
  g_clear_object (&fixture->pins);
  g_clear_object (&fixture->actions);
  g_clear_pointer (&fixture->activations, g_ptr_array_unref);

  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_clear_object (&fixture->connection);
  pb_test_sni_flush ();
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
  g_setenv ("XDG_RUNTIME_DIR", fixture->runtime_dir, TRUE);

  pb_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->state_dir);
  g_free (fixture->runtime_dir);
}

static void
on_registered_changed (GObject    *object,
                       GParamSpec *pspec,
                       gpointer    user_data)
{
  gboolean *changed = user_data;

  *changed = TRUE;
}

static void
wait_registered (Fixture  *fixture,
                 gboolean  registered)
{
  gboolean changed = FALSE;
  gulong id;

  if (pb_tray_get_registered (fixture->tray) == registered)
    return;
  id = g_signal_connect (fixture->tray, "notify::registered", G_CALLBACK (on_registered_changed),
                         &changed);
  while (pb_tray_get_registered (fixture->tray) != registered)
    {
      changed = FALSE;
      pb_test_wait_for (&changed, TIMEOUT_S);
    }
  g_signal_handler_disconnect (fixture->tray, id);
}

static char *
tray_item_name (Fixture *fixture)
{
  return g_strconcat (g_dbus_connection_get_unique_name (fixture->connection), ITEM_PATH, NULL);
}

/* ---- Checks through a scripted server -------------------------------------- */

#define LOGIN \
  { PB_STEP_SEND, "+OK ready" }, \
  { PB_STEP_EXPECT, "CAPA" }, \
  { PB_STEP_SEND, "+OK" }, \
  { PB_STEP_SEND, "USER" }, \
  { PB_STEP_SEND, "." }, \
  { PB_STEP_EXPECT, "USER alice" }, \
  { PB_STEP_SEND, "+OK" }, \
  { PB_STEP_EXPECT, "PASS secret" }

static const PbTestStep new_mail_script[] = {
  LOGIN,
  { PB_STEP_SEND, "+OK logged in" },
  { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 2 200" },
  { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "1 old" },
  { PB_STEP_SEND, "2 fresh" }, { PB_STEP_SEND, "." },
  { PB_STEP_EXPECT, "TOP 2 0" },
  { PB_STEP_SEND, "+OK" },
  { PB_STEP_SEND, "From: Ann <ann@example.org>" },
  { PB_STEP_SEND, "Subject: Lunch" },
  { PB_STEP_SEND, "" },
  { PB_STEP_SEND, "." },
  { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
  { PB_STEP_END },
};

static const PbTestStep refused_script[] = {
  LOGIN,
  { PB_STEP_SEND, "-ERR [AUTH] invalid password" },
  { PB_STEP_END },
};

static const PbTestStep stalled_script[] = {
  { PB_STEP_STALL },
  { PB_STEP_END },
};

static guint16
start_server (Fixture          *fixture,
              const char       *certificate,
              const PbTestStep *steps)
{
  g_autoptr(GTlsCertificate) cert = pb_test_load_certificate (certificate);

  g_clear_pointer (&fixture->server, pb_test_server_free);
  fixture->server = pb_test_server_new (cert, TRUE, steps);
  return pb_test_server_get_port (fixture->server);
}

static void
set_port (Fixture    *fixture,
          const char *account_id,
          guint16     port)
{
  pb_account_set_port (pb_account_store_lookup (fixture->accounts, account_id), port);
}

/* Starts a check and waits until it runs. */
static void
check_now (Fixture    *fixture,
           const char *account_id)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  pb_monitor_check_now (fixture->monitor, account_id);
  while (pb_monitor_get_state (fixture->monitor, account_id) != PB_ACCOUNT_STATE_CHECKING)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* The same with a password typed for the session: no keyring needed. */
static void
run_check (Fixture    *fixture,
           const char *account_id)
{
  pb_monitor_set_session_password (fixture->monitor, account_id, "secret");
  check_now (fixture, account_id);
}

static void
wait_check (Fixture    *fixture,
            const char *account_id)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  while (pb_monitor_get_state (fixture->monitor, account_id) == PB_ACCOUNT_STATE_CHECKING)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* Two accounts: "home" (checked against the scripted server) and "lab", whose
 * name needs escaping both as markup and as a menu label. */
static void
setup_accounts (Fixture *fixture)
{
  add_account (fixture, "home", "Home", 1);
  add_account (fixture, "lab", "R&D_Lab", 1);
  /* Both were checked before (an earlier session). */
  write_state (fixture, "home", NULL);
  write_state (fixture, "lab", NULL);
}

/* ---- Properties --------------------------------------------------------- */

static void
assert_string_property (GVariant   *properties,
                        const char *name,
                        const char *expected)
{
  const char *value = NULL;

  g_assert_true (g_variant_lookup (properties, name, "&s", &value));
  g_assert_cmpstr (value, ==, expected);
}

static void
assert_tool_tip (GVariant   *properties,
                 const char *icon,
                 const char *body)
{
  g_autoptr(GVariant) tool_tip = g_variant_lookup_value (properties, "ToolTip",
                                                         G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_autoptr(GVariant) pixmaps = NULL;
  const char *tip_icon;
  const char *title;
  const char *text;

  g_assert_nonnull (tool_tip);
  g_variant_get (tool_tip, "(&s@a(iiay)&s&s)", &tip_icon, &pixmaps, &title, &text);
  g_assert_cmpstr (tip_icon, ==, icon);
  g_assert_cmpuint (g_variant_n_children (pixmaps), ==, 0);
  g_assert_cmpstr (title, ==, "Popbell");
  g_assert_cmpstr (text, ==, body);
}

/* Every property, with what changes per state passed in. */
static void
assert_item (Fixture    *fixture,
             const char *status,
             const char *icon,
             const char *tool_tip_body)
{
  g_autoptr(GVariant) properties = pb_test_sni_host_get_all (fixture->host);
  g_autoptr(GVariant) pixmap = NULL;
  gboolean is_menu = TRUE;
  gint32 window_id = -1;
  const char *menu = NULL;

  assert_string_property (properties, "Category", "ApplicationStatus");
  assert_string_property (properties, "Id", "popbell");
  assert_string_property (properties, "Title", "Popbell");
  assert_string_property (properties, "Status", status);
  assert_string_property (properties, "IconName", icon);
  assert_string_property (properties, "AttentionIconName", icon);
  assert_string_property (properties, "IconThemePath", ICON_THEME);
  assert_string_property (properties, "OverlayIconName", "");
  assert_string_property (properties, "AttentionMovieName", "");
  assert_tool_tip (properties, icon, tool_tip_body);
  g_assert_true (g_variant_lookup (properties, "ItemIsMenu", "b", &is_menu));
  g_assert_false (is_menu);
  g_assert_true (g_variant_lookup (properties, "WindowId", "i", &window_id));
  g_assert_cmpint (window_id, ==, 0);
  g_assert_true (g_variant_lookup (properties, "Menu", "&o", &menu));
  g_assert_cmpstr (menu, ==, "/StatusNotifierItem/Menu");
  for (guint i = 0; i < 3; i++)
    {
      const char *names[] = { "IconPixmap", "OverlayIconPixmap", "AttentionIconPixmap" };

      pixmap = g_variant_lookup_value (properties, names[i], G_VARIANT_TYPE ("a(iiay)"));
      g_assert_nonnull (pixmap);
      g_assert_cmpuint (g_variant_n_children (pixmap), ==, 0);
      g_clear_pointer (&pixmap, g_variant_unref);
    }
  g_assert_cmpuint (g_variant_n_children (properties), ==, 16);
}

/* ---- Menu ---------------------------------------------------------------- */

static GVariant *
get_layout (Fixture *fixture,
            guint   *revision)
{
  const char *no_names[] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariant *layout;

  reply = pb_test_sni_host_call (fixture->host, TRUE, "GetLayout",
                                 g_variant_new ("(ii^as)", 0, -1, no_names), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u@(ia{sv}av))", revision, &layout);
  return layout;
}

/* One line per entry: "ID label", "ID label (disabled)" or "ID ---". */
static char *
describe_menu (Fixture *fixture,
               guint   *revision)
{
  g_autoptr(GVariant) layout = get_layout (fixture, revision);
  g_autoptr(GVariant) root_properties = NULL;
  g_autoptr(GVariant) children = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  const char *display = NULL;
  gint32 root_id;

  g_variant_get (layout, "(i@a{sv}@av)", &root_id, &root_properties, &children);
  g_assert_cmpint (root_id, ==, 0);
  g_assert_true (g_variant_lookup (root_properties, "children-display", "&s", &display));
  g_assert_cmpstr (display, ==, "submenu");

  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) child = g_variant_get_variant (boxed);
      g_autoptr(GVariant) properties = NULL;
      g_autoptr(GVariant) grandchildren = NULL;
      const char *type = NULL;
      const char *label = NULL;
      gboolean enabled = TRUE;
      gint32 id;

      g_variant_get (child, "(i@a{sv}@av)", &id, &properties, &grandchildren);
      g_assert_cmpuint (g_variant_n_children (grandchildren), ==, 0);

      if (g_variant_lookup (properties, "type", "&s", &type))
        {
          g_assert_cmpstr (type, ==, "separator");
          g_assert_cmpuint (g_variant_n_children (properties), ==, 1);
          g_string_append_printf (text, "%d ---\n", id);
          continue;
        }

      g_assert_true (g_variant_lookup (properties, "label", "&s", &label));
      g_assert_true (g_variant_lookup (properties, "enabled", "b", &enabled));
      g_assert_cmpuint (g_variant_n_children (properties), ==, 2);
      g_string_append_printf (text, "%d %s%s\n", id, label, enabled ? "" : " (disabled)");
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
click (Fixture *fixture,
       gint32   id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = pb_test_sni_host_call (fixture->host, TRUE, "Event",
                                 g_variant_new ("(isvu)", id, "clicked",
                                                g_variant_new_int32 (0), 0),
                                 &error);
  g_assert_no_error (error);
}

/* As xfce4-panel 4.18 sends them. */
static void
click_group (Fixture *fixture,
             gint32   id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) errors = NULL;
  GVariantBuilder events;

  g_variant_builder_init (&events, G_VARIANT_TYPE ("a(isvu)"));
  g_variant_builder_add (&events, "(isvu)", id, "clicked", g_variant_new_string (""), 0);
  reply = pb_test_sni_host_call (fixture->host, TRUE, "EventGroup",
                                 g_variant_new ("(a(isvu))", &events), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(ai)");
  errors = g_variant_get_child_value (reply, 0);
  g_assert_cmpuint (g_variant_n_children (errors), ==, 0);
}

/* ---- Tests: registration ------------------------------------------------- */

static void
test_create_destroy (Fixture       *fixture,
                     gconstpointer  user_data)
{
  PbTray *tray;

  start_monitor (fixture);
  tray = pb_tray_new (fixture->connection, fixture->monitor, G_ACTION_GROUP (fixture->actions),
                      NULL);
  g_assert_true (PB_IS_TRAY (tray));
  g_assert_cmpstr (pb_tray_get_object_path (tray), ==, ITEM_PATH);
  g_assert_finalize_object (tray);
}

static void
test_registers_with_watcher (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *name = NULL;

  start_watcher (fixture);
  start_tray (fixture);
  wait_registered (fixture, TRUE);

  name = tray_item_name (fixture);
  items = pb_test_sni_watcher_get_items (fixture->watcher);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (items, 0), ==, name);
  g_assert_cmpuint (pb_test_sni_watcher_get_n_registrations (fixture->watcher), ==, 1);
}

static void
test_registers_when_watcher_appears (Fixture       *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr(GPtrArray) items = NULL;

  start_tray (fixture);
  pb_test_sni_host_sync (fixture->host);
  g_assert_false (pb_tray_get_registered (fixture->tray));

  start_watcher (fixture);
  wait_registered (fixture, TRUE);
  items = pb_test_sni_watcher_get_items (fixture->watcher);
  g_assert_cmpuint (items->len, ==, 1);
}

static void
test_reregisters_after_watcher_restarts (Fixture       *fixture,
                                         gconstpointer  user_data)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *name = NULL;

  start_watcher (fixture);
  start_tray (fixture);
  wait_registered (fixture, TRUE);

  /* The panel exits… */
  g_clear_pointer (&fixture->watcher, pb_test_sni_watcher_free);
  wait_registered (fixture, FALSE);

  /* …and comes back: a new watcher that knows nothing of the item. */
  start_watcher (fixture);
  wait_registered (fixture, TRUE);

  name = tray_item_name (fixture);
  items = pb_test_sni_watcher_get_items (fixture->watcher);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (items, 0), ==, name);
  g_assert_cmpuint (pb_test_sni_watcher_get_n_registrations (fixture->watcher), ==, 1);
}

static void
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* GNOME without the AppIndicator extension: nothing to register with, no
 * warning (they are fatal here), and the item still answers. */
static void
test_without_watcher_stays_quiet (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  gboolean done = FALSE;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *activations = NULL;

  setup_accounts (fixture);
  start_tray (fixture);
  /* Time for a registration that would go wrong to show. */
  g_timeout_add_once (300, set_true, &done);
  pb_test_wait_for (&done, TIMEOUT_S);
  pb_test_sni_host_sync (fixture->host);

  g_assert_false (pb_tray_get_registered (fixture->tray));
  assert_item (fixture, "Active", "popbell-no-mail-symbolic",
               "Home: no new mail\nR&amp;D_Lab: no new mail");

  reply = pb_test_sni_host_call (fixture->host, FALSE, "Activate", g_variant_new ("(ii)", 0, 0),
                                 &error);
  g_assert_no_error (error);
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, PB_ACTION_SHOW_WINDOW);
}

/* ---- Tests: properties in each state --------------------------------------- */

static void
test_properties_no_mail (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GVariant) menu = NULL;
  const char *text_direction = NULL;
  const char *status = NULL;
  const char **theme_path = NULL;
  guint32 version = 0;

  setup_accounts (fixture);
  start_tray (fixture);
  assert_item (fixture, "Active", "popbell-no-mail-symbolic",
               "Home: no new mail\nR&amp;D_Lab: no new mail");

  menu = pb_test_sni_host_get_menu_all (fixture->host);
  g_assert_true (g_variant_lookup (menu, "Version", "u", &version));
  g_assert_cmpuint (version, ==, 3);
  g_assert_true (g_variant_lookup (menu, "TextDirection", "&s", &text_direction));
  g_assert_cmpstr (text_direction, ==, "ltr");
  g_assert_true (g_variant_lookup (menu, "Status", "&s", &status));
  g_assert_cmpstr (status, ==, "normal");
  g_assert_true (g_variant_lookup (menu, "IconThemePath", "^a&s", &theme_path));
  g_assert_cmpuint (g_strv_length ((char **) theme_path), ==, 1);
  g_assert_cmpstr (theme_path[0], ==, ICON_THEME);
  g_free (theme_path);
}

static void
test_properties_no_accounts (Fixture       *fixture,
                             gconstpointer  user_data)
{
  start_tray (fixture);
  assert_item (fixture, "Active", "popbell-no-mail-symbolic", "No accounts");
}

static void
test_properties_new_mail (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);

  setup_accounts (fixture);
  g_ptr_array_add (messages, make_message ("m1", "Ann <ann@example.org>", "One", 1));
  g_ptr_array_add (messages, make_message ("m2", "Bob <bob@example.org>", "Two", 2));
  write_state (fixture, "home", messages);

  start_tray (fixture);
  assert_item (fixture, "NeedsAttention", "popbell-new-mail-symbolic",
               "Home: 2 new\nR&amp;D_Lab: no new mail");
}

static void
test_properties_error (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);

  setup_accounts (fixture);
  g_ptr_array_add (messages, make_message ("m1", "Ann <ann@example.org>", "One", 1));
  write_state (fixture, "lab", messages);
  set_port (fixture, "home", start_server (fixture, "server.pem", refused_script));
  start_tray (fixture);

  run_check (fixture, "home");
  wait_check (fixture, "home");
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "home"), ==,
                   PB_ACCOUNT_STATE_NEEDS_PASSWORD);

  /* The account that needs the user wins over new mail elsewhere. */
  assert_item (fixture, "NeedsAttention", "popbell-error-symbolic",
               "Home: password needed\nR&amp;D_Lab: 1 new");
}

static void
test_properties_untrusted (Fixture       *fixture,
                           gconstpointer  user_data)
{
  setup_accounts (fixture);
  set_port (fixture, "lab", start_server (fixture, "unknown-ca.pem", stalled_script));
  start_tray (fixture);

  run_check (fixture, "lab");
  wait_check (fixture, "lab");
  g_assert_cmpint (pb_monitor_get_state (fixture->monitor, "lab"), ==,
                   PB_ACCOUNT_STATE_NEEDS_TRUST);
  assert_item (fixture, "NeedsAttention", "popbell-error-symbolic",
               "Home: no new mail\nR&amp;D_Lab: certificate not trusted");
}

static void
test_properties_offline (Fixture       *fixture,
                         gconstpointer  user_data)
{
  setup_accounts (fixture);
  start_tray (fixture);

  test_network_set_available (fixture->network, FALSE);
  assert_item (fixture, "Active", "popbell-offline-symbolic",
               "Home: offline\nR&amp;D_Lab: offline");

  test_network_set_available (fixture->network, TRUE);
  assert_item (fixture, "Active", "popbell-no-mail-symbolic",
               "Home: no new mail\nR&amp;D_Lab: no new mail");
}

/* A check keeps the icon; only the tooltip says so. */
static void
test_properties_checking (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *signals = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GVariant) layout = NULL;
  guint revision = 0;

  setup_accounts (fixture);
  set_port (fixture, "lab", start_server (fixture, "unknown-ca.pem", stalled_script));
  start_tray (fixture);
  run_check (fixture, "lab");
  wait_check (fixture, "lab");
  assert_item (fixture, "NeedsAttention", "popbell-error-symbolic",
               "Home: no new mail\nR&amp;D_Lab: certificate not trusted");

  /* Checked again (the user asked), against a server that doesn't answer yet. */
  set_port (fixture, "lab", start_server (fixture, "server.pem", stalled_script));
  g_free (pb_test_sni_host_take_signals (fixture->host));
  check_now (fixture, "lab");
  pb_test_sni_host_sync (fixture->host);
  signals = pb_test_sni_host_take_signals (fixture->host);
  /* The menu has no certificate to review while the check runs. */
  layout = get_layout (fixture, &revision);
  expected = g_strdup_printf ("NewToolTip|LayoutUpdated (%u, 0)", revision);
  g_assert_cmpstr (signals, ==, expected);
  assert_item (fixture, "NeedsAttention", "popbell-error-symbolic",
               "Home: no new mail\nR&amp;D_Lab: checking…");
}

/* ---- Tests: signals ----------------------------------------------------------- */

static void
test_signals_on_state_change (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *signals = NULL;
  g_autoptr(GVariant) layout = NULL;
  guint revision = 0;
  guint revision_after = 0;

  setup_accounts (fixture);
  write_state (fixture, "home", NULL);
  set_port (fixture, "home", start_server (fixture, "server.pem", new_mail_script));
  start_tray (fixture);
  layout = get_layout (fixture, &revision);

  /* Nothing changed: nothing is said. */
  g_signal_emit_by_name (fixture->monitor, "account-changed", "home");
  g_signal_emit_by_name (fixture->monitor, "account-changed", "lab");
  pb_test_sni_host_sync (fixture->host);
  signals = pb_test_sni_host_take_signals (fixture->host);
  g_assert_cmpstr (signals, ==, "");

  /* A check starts: the tooltip says so, the icon and menu stay. */
  run_check (fixture, "home");
  pb_test_sni_host_sync (fixture->host);
  g_clear_pointer (&signals, g_free);
  signals = pb_test_sni_host_take_signals (fixture->host);
  g_assert_cmpstr (signals, ==, "NewToolTip");

  /* It finds new mail: icon, status, tooltip and menu all change. */
  wait_check (fixture, "home");
  g_assert_null (pb_test_server_get_failure (fixture->server));
  g_assert_cmpuint (pb_monitor_count_unacknowledged (fixture->monitor, "home"), ==, 1);
  pb_test_sni_host_sync (fixture->host);
  g_clear_pointer (&signals, g_free);
  signals = pb_test_sni_host_take_signals (fixture->host);
  g_clear_pointer (&layout, g_variant_unref);
  layout = get_layout (fixture, &revision_after);
  g_assert_cmpuint (revision_after, >, revision);
  {
    g_autofree char *expected = g_strdup_printf ("NewIcon|NewAttentionIcon|NewStatus ('NeedsAttention',)"
                                                 "|NewToolTip|LayoutUpdated (%u, 0)",
                                                 revision_after);

    g_assert_cmpstr (signals, ==, expected);
  }
  assert_item (fixture, "NeedsAttention", "popbell-new-mail-symbolic",
               "Home: 1 new\nR&amp;D_Lab: no new mail");

  /* Marked as read: back to the no-mail icon, and the menu says so. */
  pb_monitor_acknowledge (fixture->monitor, NULL);
  pb_test_sni_host_sync (fixture->host);
  g_clear_pointer (&signals, g_free);
  signals = pb_test_sni_host_take_signals (fixture->host);
  {
    g_autofree char *expected = g_strdup_printf ("NewIcon|NewAttentionIcon|NewStatus ('Active',)"
                                                 "|NewToolTip|LayoutUpdated (%u, 0)",
                                                 revision_after + 1);

    g_assert_cmpstr (signals, ==, expected);
  }

  /* Again nothing new: silence. */
  pb_monitor_acknowledge (fixture->monitor, NULL);
  g_signal_emit_by_name (fixture->monitor, "account-changed", "home");
  pb_test_sni_host_sync (fixture->host);
  g_clear_pointer (&signals, g_free);
  signals = pb_test_sni_host_take_signals (fixture->host);
  g_assert_cmpstr (signals, ==, "");
}

static void
test_signals_offline (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *signals = NULL;

  setup_accounts (fixture);
  start_tray (fixture);

  test_network_set_available (fixture->network, FALSE);
  pb_test_sni_host_sync (fixture->host);
  signals = pb_test_sni_host_take_signals (fixture->host);
  /* Status stays Active: only the icon and the tooltip change. */
  g_assert_cmpstr (signals, ==, "NewIcon|NewAttentionIcon|NewToolTip");
}

/* Before an account's first check, "no new mail" would be a guess. */
static void
test_not_checked_yet (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *menu = NULL;
  guint revision = 0;

  add_account (fixture, "home", "Home", 1);
  add_account (fixture, "lab", "R&D_Lab", 1);
  write_state (fixture, "lab", NULL);
  start_tray (fixture);
  assert_item (fixture, "Active", "popbell-no-mail-symbolic",
               "Home: not checked yet\nR&amp;D_Lab: no new mail");

  menu = describe_menu (fixture, &revision);
  g_assert_nonnull (strstr (menu, "3 No new mail (disabled)\n"));
}

static void
test_none_checked_yet (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *menu = NULL;
  guint revision = 0;

  add_account (fixture, "home", "Home", 1);
  start_tray (fixture);
  assert_item (fixture, "Active", "popbell-no-mail-symbolic", "Home: not checked yet");

  menu = describe_menu (fixture, &revision);
  g_assert_nonnull (strstr (menu, "3 Not checked yet (disabled)\n"));
}

/* ---- Tests: menu ------------------------------------------------------------ */

static void
test_menu_layout_no_mail (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *menu = NULL;
  guint revision = 0;

  setup_accounts (fixture);
  start_tray (fixture);

  menu = describe_menu (fixture, &revision);
  g_assert_cmpstr (menu, ==,
                   "12 Show new mail\n"
                   "1 Check now\n"
                   "2 ---\n"
                   "3 No new mail (disabled)\n"
                   "5 ---\n"
                   "6 Mark all as read (disabled)\n"
                   "7 Open mail client\n"
                   "9 ---\n"
                   "10 Accounts and preferences…\n"
                   "11 Quit\n");
  g_assert_cmpuint (revision, >, 0);
}

static void
test_menu_layout_messages (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GPtrArray) home = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  g_autoptr(GPtrArray) lab = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  g_autofree char *menu = NULL;
  g_autofree char *after = NULL;
  g_autofree char *signals = NULL;
  guint revision = 0;
  guint revision_after = 0;

  setup_accounts (fixture);
  /* Minutes give the order across accounts: newest first. */
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *uidl = g_strdup_printf ("h%u", i);
      g_autofree char *from = g_strdup_printf ("Sender %u <s%u@example.org>", i, i);
      g_autofree char *subject = g_strdup_printf ("Subject %u", i);

      g_ptr_array_add (home, make_message (uidl, from, subject, 2 * i));
    }
  g_ptr_array_add (lab, make_message ("l1", "snake_case <sc@example.org>", "under_score", 3));
  g_ptr_array_add (lab, make_message ("l2", "long@example.org",
                                      "A subject far too long to show whole in a menu of a tray "
                                      "icon, really", 5));
  g_ptr_array_add (lab, make_message ("l3", "Late <late@example.org>", "Newest", 30));
  g_ptr_array_add (lab, make_message ("l4", "Early <early@example.org>", "Oldest", 0));
  write_state (fixture, "home", home);
  write_state (fixture, "lab", lab);
  start_tray (fixture);

  menu = describe_menu (fixture, &revision);
  g_assert_cmpstr (menu, ==,
                   "12 Show new mail\n"
                   "1 Check now\n"
                   "2 ---\n"
                   "100 Late — Newest\n"
                   "101 Sender 7 — Subject 7\n"
                   "102 Sender 6 — Subject 6\n"
                   "103 Sender 5 — Subject 5\n"
                   "104 Sender 4 — Subject 4\n"
                   "105 Sender 3 — Subject 3\n"
                   "106 long@example.org — A subject far too long to show whole in…\n"
                   "107 Sender 2 — Subject 2\n"
                   "108 snake__case — under__score\n"
                   "109 Sender 1 — Subject 1\n"
                   "4 2 more…\n"
                   "5 ---\n"
                   "6 Mark all as read\n"
                   "7 Open mail client\n"
                   "9 ---\n"
                   "10 Accounts and preferences…\n"
                   "11 Quit\n");

  /* Nothing changed: AboutToShow asks for no update and the revision stays. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = NULL;
    gboolean need_update = TRUE;

    reply = pb_test_sni_host_call (fixture->host, TRUE, "AboutToShow", g_variant_new ("(i)", 0),
                                   &error);
    g_assert_no_error (error);
    g_variant_get (reply, "(b)", &need_update);
    g_assert_false (need_update);
  }

  /* Reading one account's mail changes the layout. */
  g_free (pb_test_sni_host_take_signals (fixture->host));
  pb_monitor_acknowledge (fixture->monitor, "home");
  pb_test_sni_host_sync (fixture->host);
  signals = pb_test_sni_host_take_signals (fixture->host);
  after = describe_menu (fixture, &revision_after);
  g_assert_cmpuint (revision_after, ==, revision + 1);
  {
    /* The other account still has new mail: only the tooltip and the menu change. */
    g_autofree char *expected = g_strdup_printf ("NewToolTip|LayoutUpdated (%u, 0)",
                                                 revision_after);

    g_assert_cmpstr (signals, ==, expected);
  }
  g_assert_cmpstr (after, ==,
                   "12 Show new mail\n"
                   "1 Check now\n"
                   "2 ---\n"
                   "100 Late — Newest\n"
                   "101 long@example.org — A subject far too long to show whole in…\n"
                   "102 snake__case — under__score\n"
                   "103 Early — Oldest\n"
                   "5 ---\n"
                   "6 Mark all as read\n"
                   "7 Open mail client\n"
                   "9 ---\n"
                   "10 Accounts and preferences…\n"
                   "11 Quit\n");
}

static void
test_menu_accounts_needing_attention (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  g_autofree char *menu = NULL;
  g_autofree char *activations = NULL;
  guint revision = 0;

  setup_accounts (fixture);
  start_tray (fixture);

  set_port (fixture, "lab", start_server (fixture, "unknown-ca.pem", stalled_script));
  run_check (fixture, "lab");
  wait_check (fixture, "lab");
  set_port (fixture, "home", start_server (fixture, "server.pem", refused_script));
  run_check (fixture, "home");
  wait_check (fixture, "home");

  menu = describe_menu (fixture, &revision);
  g_assert_cmpstr (menu, ==,
                   "12 Show new mail\n"
                   "1 Check now\n"
                   "2 ---\n"
                   "3 No new mail (disabled)\n"
                   "5 ---\n"
                   "6 Mark all as read (disabled)\n"
                   "7 Open mail client\n"
                   "8 ---\n"
                   "1001 Enter password for Home…\n"
                   "1000 Review certificate for R&D__Lab…\n"
                   "9 ---\n"
                   "10 Accounts and preferences…\n"
                   "11 Quit\n");

  click (fixture, 1001);
  click_group (fixture, 1000);
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, "enter-password 'home'|review-certificate 'lab'");
}

static void
test_menu_events_run_actions (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  g_autofree char *activations = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  static const gint32 ids[] = { 12, 1, 100, 6, 7, 10, 11 };
  /* A message opens its account's mail (its webmail, when it has one). */
  static const char expected[] = "show-window|check-now ''|open-mail 'home'|mark-read ''|"
                                 "open-mail-client|preferences|quit";

  setup_accounts (fixture);
  g_ptr_array_add (messages, make_message ("m1", "Ann <ann@example.org>", "One", 1));
  write_state (fixture, "home", messages);
  start_tray (fixture);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    click (fixture, ids[i]);
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, expected);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    click_group (fixture, ids[i]);
  g_clear_pointer (&activations, g_free);
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, expected);

  /* Separators, hovering and the root do nothing. */
  click (fixture, 2);
  click (fixture, 0);
  reply = pb_test_sni_host_call (fixture->host, TRUE, "Event",
                                 g_variant_new ("(isvu)", 1, "hovered", g_variant_new_int32 (0), 0),
                                 &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_pointer (&activations, g_free);
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, "");

  /* An entry that no longer exists is an error, not a wrong action. */
  reply = pb_test_sni_host_call (fixture->host, TRUE, "Event",
                                 g_variant_new ("(isvu)", 105, "clicked", g_variant_new_int32 (0),
                                                0),
                                 &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_assert_null (reply);
  g_clear_error (&error);

  /* EventGroup tells which IDs were unknown and runs the others. */
  {
    GVariantBuilder events;
    g_autoptr(GVariant) errors = NULL;
    gint32 bad = 0;

    g_variant_builder_init (&events, G_VARIANT_TYPE ("a(isvu)"));
    g_variant_builder_add (&events, "(isvu)", 105, "clicked", g_variant_new_int32 (0), 0);
    g_variant_builder_add (&events, "(isvu)", 7, "clicked", g_variant_new_int32 (0), 0);
    reply = pb_test_sni_host_call (fixture->host, TRUE, "EventGroup",
                                   g_variant_new ("(a(isvu))", &events), &error);
    g_assert_no_error (error);
    errors = g_variant_get_child_value (reply, 0);
    g_assert_cmpuint (g_variant_n_children (errors), ==, 1);
    g_variant_get_child (errors, 0, "i", &bad);
    g_assert_cmpint (bad, ==, 105);
  }
  g_clear_pointer (&activations, g_free);
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, "open-mail-client");
}

static void
test_menu_disabled_entries_do_nothing (Fixture       *fixture,
                                       gconstpointer  user_data)
{
  g_autofree char *activations = NULL;

  setup_accounts (fixture);
  start_tray (fixture);
  click (fixture, 6);  /* Mark all as read, with nothing to mark */
  click (fixture, 3);  /* No new mail */
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, "");
}

static void
test_menu_properties (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) groups = NULL;
  const char *label_only[] = { "label", NULL };
  const gint32 ids[] = { 1, 11, 4242 };

  setup_accounts (fixture);
  start_tray (fixture);

  reply = pb_test_sni_host_call (fixture->host, TRUE, "GetProperty",
                                 g_variant_new ("(is)", 11, "label"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "Quit");
  g_clear_pointer (&reply, g_variant_unref);

  reply = pb_test_sni_host_call (fixture->host, TRUE, "GetProperty",
                                 g_variant_new ("(is)", 11, "icon-data"), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  reply = pb_test_sni_host_call (fixture->host, TRUE, "GetGroupProperties",
                                 g_variant_new ("(@ai^as)",
                                                g_variant_new_fixed_array (G_VARIANT_TYPE_INT32,
                                                                           ids, G_N_ELEMENTS (ids),
                                                                           sizeof (gint32)),
                                                label_only),
                                 &error);
  g_assert_no_error (error);
  groups = g_variant_get_child_value (reply, 0);
  {
    g_autofree char *printed = g_variant_print (groups, FALSE);

    g_assert_cmpstr (printed, ==, "[(1, {'label': <'Check now'>}), (11, {'label': <'Quit'>})]");
  }
  g_clear_pointer (&reply, g_variant_unref);

  /* A subtree: one entry, no children. */
  reply = pb_test_sni_host_call (fixture->host, TRUE, "GetLayout",
                                 g_variant_new ("(ii^as)", 7, -1, label_only), &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) layout = g_variant_get_child_value (reply, 1);
    g_autofree char *printed = g_variant_print (layout, FALSE);

    g_assert_cmpstr (printed, ==, "(7, {'label': <'Open mail client'>}, [])");
  }
  g_clear_pointer (&reply, g_variant_unref);

  /* Depth 0: the root alone. */
  reply = pb_test_sni_host_call (fixture->host, TRUE, "GetLayout",
                                 g_variant_new ("(ii^as)", 0, 0, label_only), &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) layout = g_variant_get_child_value (reply, 1);
    g_autofree char *printed = g_variant_print (layout, FALSE);

    g_assert_cmpstr (printed, ==, "(0, {}, [])");
  }
  g_clear_pointer (&reply, g_variant_unref);

  reply = pb_test_sni_host_call (fixture->host, TRUE, "GetLayout",
                                 g_variant_new ("(ii^as)", 4242, -1, label_only), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
}

/* ---- Tests: clicks on the icon ------------------------------------------------ */

static void
test_activate_shows_window (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *activations = NULL;

  start_watcher (fixture);
  start_tray (fixture);
  reply = pb_test_sni_host_call (fixture->host, FALSE, "Activate", g_variant_new ("(ii)", 10, 20),
                                 &error);
  g_assert_no_error (error);
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, "show-window");
}

static void
test_secondary_activate_checks_now (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *activations = NULL;

  start_watcher (fixture);
  start_tray (fixture);
  reply = pb_test_sni_host_call (fixture->host, FALSE, "SecondaryActivate",
                                 g_variant_new ("(ii)", 10, 20), &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  /* Scrolling and the context menu (the host draws Menu) run nothing. */
  reply = pb_test_sni_host_call (fixture->host, FALSE, "Scroll",
                                 g_variant_new ("(is)", 1, "vertical"), &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = pb_test_sni_host_call (fixture->host, FALSE, "ContextMenu",
                                 g_variant_new ("(ii)", 10, 20), &error);
  g_assert_no_error (error);
  activations = take_activations (fixture);
  g_assert_cmpstr (activations, ==, "check-now ''");
}

static void
add (const char *path,
     void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown);
}


/* ---- The count on the icon (IconPixmap) ------------------------------------ */

/* Popbell's own icons, from the source tree, so that there are pixels. */
static void
start_tray_with_icons (Fixture *fixture)
{
  g_autofree char *icons = g_test_build_filename (G_TEST_DIST, "..", "data", "icons", NULL);

  if (fixture->monitor == NULL)
    start_monitor (fixture);
  fixture->tray = pb_tray_new (fixture->connection, fixture->monitor,
                               G_ACTION_GROUP (fixture->actions), icons);
  fixture->host = pb_test_sni_host_new (g_test_dbus_get_bus_address (fixture->bus),
                                        g_dbus_connection_get_unique_name (fixture->connection),
                                        ITEM_PATH);
}

/* Red pixels (the badge's) in the 24 px image of IconPixmap, which must hold
 * 16, 22, 24, 32 and 48 px squares of ARGB32 in network byte order. */
static guint
count_red_in_pixmap (GVariant *properties,
                     const char *name)
{
  g_autoptr(GVariant) pixmap = g_variant_lookup_value (properties, name,
                                                       G_VARIANT_TYPE ("a(iiay)"));
  const int sizes[] = { 16, 22, 24, 32, 48 };
  guint red = 0;

  g_assert_nonnull (pixmap);
  g_assert_cmpuint (g_variant_n_children (pixmap), ==, G_N_ELEMENTS (sizes));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GVariant) bytes = NULL;
      const guint8 *argb;
      gsize length;
      int width, height;

      g_variant_get_child (pixmap, i, "(ii@ay)", &width, &height, &bytes);
      g_assert_cmpint (width, ==, sizes[i]);
      g_assert_cmpint (height, ==, sizes[i]);
      argb = g_variant_get_fixed_array (bytes, &length, 1);
      g_assert_cmpuint (length, ==, (gsize) width * height * 4);
      if (width != 24)
        continue;
      for (gsize p = 0; p < length; p += 4)
        if (argb[p] == 0xff && argb[p + 1] > 0xa0 && argb[p + 2] < 0x50 && argb[p + 3] < 0x60)
          red++;
    }
  return red;
}

static void
test_pixmap_count_drawn_and_hidden (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_message_free);
  g_autoptr(GVariant) properties = NULL;
  g_autofree char *signals = NULL;
  const char *name = NULL;

  setup_accounts (fixture);
  g_ptr_array_add (messages, make_message ("m1", "Ann <ann@example.org>", "One", 1));
  g_ptr_array_add (messages, make_message ("m2", "Bob <bob@example.org>", "Two", 2));
  write_state (fixture, "home", messages);
  start_tray_with_icons (fixture);
  g_assert_true (pb_tray_get_show_count (fixture->tray));

  /* The count is in the pixels, and there is no name that hosts would draw
   * instead of them. */
  properties = pb_test_sni_host_get_all (fixture->host);
  g_assert_cmpuint (count_red_in_pixmap (properties, "IconPixmap"), >, 20);
  g_assert_cmpuint (count_red_in_pixmap (properties, "AttentionIconPixmap"), >, 20);
  g_assert_true (g_variant_lookup (properties, "IconName", "&s", &name));
  g_assert_cmpstr (name, ==, "");
  g_assert_true (g_variant_lookup (properties, "AttentionIconName", "&s", &name));
  g_assert_cmpstr (name, ==, "");
  g_clear_pointer (&properties, g_variant_unref);

  /* The preference off: the named icon again, and pixels without a badge. */
  g_free (pb_test_sni_host_take_signals (fixture->host));
  pb_tray_set_show_count (fixture->tray, FALSE);
  pb_test_sni_host_sync (fixture->host);
  signals = pb_test_sni_host_take_signals (fixture->host);
  g_assert_nonnull (strstr (signals, "NewIcon"));
  properties = pb_test_sni_host_get_all (fixture->host);
  g_assert_cmpuint (count_red_in_pixmap (properties, "IconPixmap"), ==, 0);
  g_assert_true (g_variant_lookup (properties, "IconName", "&s", &name));
  g_assert_cmpstr (name, ==, "popbell-new-mail-symbolic");
  g_clear_pointer (&properties, g_variant_unref);

  /* On again, then read: no count to draw, the named icon. */
  pb_tray_set_show_count (fixture->tray, TRUE);
  pb_monitor_acknowledge (fixture->monitor, NULL);
  properties = pb_test_sni_host_get_all (fixture->host);
  g_assert_cmpuint (count_red_in_pixmap (properties, "IconPixmap"), ==, 0);
  g_assert_true (g_variant_lookup (properties, "IconName", "&s", &name));
  g_assert_cmpstr (name, ==, "popbell-no-mail-symbolic");
}

int
main (int    argc,
      char **argv)
{
  pb_test_init (&argc, &argv);

  add ("/pb/tray/create-destroy", test_create_destroy);
  add ("/pb/tray/registration/with-a-watcher", test_registers_with_watcher);
  add ("/pb/tray/registration/when-the-watcher-appears", test_registers_when_watcher_appears);
  add ("/pb/tray/registration/again-after-the-watcher-restarts",
       test_reregisters_after_watcher_restarts);
  add ("/pb/tray/registration/without-a-watcher-stays-quiet", test_without_watcher_stays_quiet);
  add ("/pb/tray/properties/no-mail", test_properties_no_mail);
  add ("/pb/tray/properties/not-checked-yet", test_not_checked_yet);
  add ("/pb/tray/properties/none-checked-yet", test_none_checked_yet);
  add ("/pb/tray/properties/no-accounts", test_properties_no_accounts);
  add ("/pb/tray/properties/new-mail", test_properties_new_mail);
  add ("/pb/tray/properties/password-needed", test_properties_error);
  add ("/pb/tray/properties/untrusted-certificate", test_properties_untrusted);
  add ("/pb/tray/properties/offline", test_properties_offline);
  add ("/pb/tray/properties/checking-keeps-the-icon", test_properties_checking);
  add ("/pb/tray/signals/on-state-change-only", test_signals_on_state_change);
  add ("/pb/tray/signals/offline", test_signals_offline);
  add ("/pb/tray/menu/layout-without-mail", test_menu_layout_no_mail);
  add ("/pb/tray/menu/layout-with-messages", test_menu_layout_messages);
  add ("/pb/tray/menu/accounts-needing-attention", test_menu_accounts_needing_attention);
  add ("/pb/tray/menu/events-run-actions", test_menu_events_run_actions);
  add ("/pb/tray/menu/disabled-entries-do-nothing", test_menu_disabled_entries_do_nothing);
  add ("/pb/tray/menu/properties", test_menu_properties);
  add ("/pb/tray/activate/shows-the-window", test_activate_shows_window);
  add ("/pb/tray/activate/secondary-checks-now", test_secondary_activate_checks_now);
  add ("/pb/tray/pixmap/count-drawn-and-hidden", test_pixmap_count_drawn_and_hidden);

  return g_test_run ();
}
