/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "app/core/pb-status.h"
#include "pb-cli-private.h"

#define OBJECT_PATH     "/io/github/popbell/Popbell"
#define INTERFACE       "io.github.popbell.Popbell1"
#define CALL_TIMEOUT_MS 10000

typedef struct
{
  GDBusConnection *connection;
  GMainLoop       *loop;
  gboolean         json;
  gboolean         seen;       /* the applet ran since the start */
  PbStatus         status;     /* the last one printed */
  char            *line;       /* the last line printed */
} Watch;

static void
print_line (Watch    *watch,
            guint     count,
            PbStatus  status,
            const char *tooltip)
{
  g_autofree char *text = count > 0 ? g_strdup_printf ("%u", count) : g_strdup ("");
  g_autofree char *line = NULL;

  if (watch->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, text);
      json_builder_set_member_name (builder, "alt");
      json_builder_add_string_value (builder, pb_status_to_string (status));
      json_builder_set_member_name (builder, "tooltip");
      json_builder_add_string_value (builder, tooltip);
      json_builder_set_member_name (builder, "class");
      json_builder_add_string_value (builder, pb_status_to_string (status));
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, count);
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      line = json_generator_to_data (generator, NULL);
    }
  else
    /* Never an empty line: i3blocks 1.4 takes one for the end of the pipe. */
    line = g_strdup_printf ("%u", count);

  watch->status = status;
  /* A check that changes nothing shown (its time, "checking…" in between
   * when the bar shows no tooltip) is not worth a line. */
  if (g_strcmp0 (line, watch->line) == 0)
    return;
  g_free (watch->line);
  watch->line = g_steal_pointer (&line);
  /* Bars read a pipe: every line at once, not when a buffer fills. */
  printf ("%s\n", watch->line);
  fflush (stdout);
}

static void
print_not_running (Watch *watch)
{
  print_line (watch, 0, PB_STATUS_OFFLINE, _("Popbell is not running."));
}

/* Asks the applet for its accounts and prints what they add up to. */
static void
refresh (Watch *watch)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GArray) accounts = g_array_new (FALSE, FALSE, sizeof (PbStatusAccount));
  g_autoptr(GError) error = NULL;
  g_autofree char *tooltip = NULL;
  guint count = 0;

  reply = g_dbus_connection_call_sync (watch->connection, APP_ID, OBJECT_PATH, INTERFACE,
                                       "GetAccounts", NULL, G_VARIANT_TYPE ("(aa{sv})"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                                       &error);
  /* Gone in between: the name watch tells. */
  if (reply == NULL)
    {
      g_debug ("GetAccounts: %s", error->message);
      return;
    }

  list = g_variant_get_child_value (reply, 0);
  for (gsize i = 0; i < g_variant_n_children (list); i++)
    {
      g_autoptr(GVariant) dict = g_variant_get_child_value (list, i);
      PbStatusAccount account = { NULL, PB_ACCOUNT_STATE_IDLE, 0, FALSE };
      const char *state = NULL;
      gint64 last_check = 0;

      if (!g_variant_lookup (dict, "name", "&s", &account.name))
        g_variant_lookup (dict, "id", "&s", &account.name);
      if (account.name == NULL)
        account.name = "";
      if (g_variant_lookup (dict, "state", "&s", &state))
        pb_account_state_from_string (state, &account.state);
      g_variant_lookup (dict, "unread", "u", &account.unread);
      g_variant_lookup (dict, "last-check", "x", &last_check);
      account.checked = last_check != 0;
      count += account.unread;
      g_array_append_val (accounts, account);
    }

  /* The strings borrowed from @list live as long as it does. */
  tooltip = pb_status_describe ((PbStatusAccount *) accounts->data, accounts->len);
  print_line (watch, count,
              pb_status_summarize ((PbStatusAccount *) accounts->data, accounts->len,
                                   watch->status),
              tooltip);
}

static void
on_changed (GDBusConnection *connection,
            const char      *sender,
            const char      *path,
            const char      *interface,
            const char      *signal,
            GVariant        *parameters,
            gpointer         user_data)
{
  refresh (user_data);
}

static void
on_applet_appeared (GDBusConnection *connection,
                    const char      *name,
                    const char      *owner,
                    gpointer         user_data)
{
  Watch *watch = user_data;

  g_debug ("The applet is %s", owner);
  watch->seen = TRUE;
  refresh (watch);
}

static void
on_applet_vanished (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  Watch *watch = user_data;

  print_not_running (watch);
  if (watch->seen)
    g_main_loop_quit (watch->loop);
}

int
pb_cli_run_watch (gboolean json)
{
  Watch watch = { .json = json, .status = PB_STATUS_NO_MAIL };
  g_autoptr(GError) error = NULL;
  guint subscription;
  guint name_watch;

  watch.connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (watch.connection == NULL)
    {
      pb_cli_print_error ("%s", error->message);
      return 1;
    }
  watch.loop = g_main_loop_new (NULL, FALSE);

  /* Subscribed before the name is watched: no change falls between the
   * first answer and the first signal. */
  subscription = g_dbus_connection_signal_subscribe (watch.connection, APP_ID, INTERFACE,
                                                     "Changed", OBJECT_PATH, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_changed,
                                                     &watch, NULL);
  name_watch = g_bus_watch_name_on_connection (watch.connection, APP_ID,
                                               G_BUS_NAME_WATCHER_FLAGS_NONE, on_applet_appeared,
                                               on_applet_vanished, &watch, NULL);
  g_main_loop_run (watch.loop);

  g_bus_unwatch_name (name_watch);
  g_dbus_connection_signal_unsubscribe (watch.connection, subscription);
  g_main_loop_unref (watch.loop);
  g_object_unref (watch.connection);
  g_free (watch.line);
  return 0;
}
