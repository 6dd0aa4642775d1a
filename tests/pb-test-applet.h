/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-test-keyring.h"

G_BEGIN_DECLS

/* The real popbell-applet binary ($PB_POPBELL_APPLET) end to end: a private
 * session bus with a real keyring (pb-test-keyring.h) and python3-dbusmock's
 * notification server (with actions) on it, a home of its own for the applet
 * and the popbell commands run beside it, and the applet's log (its stderr,
 * with G_MESSAGES_DEBUG=all) printed when something fails. */

typedef struct
{
  PbTestKeyring   *keyring;
  GDBusConnection *connection;    /* the test's own, to the private bus */
  GSubprocess     *notifications;
  GSubprocess     *applet;        /* NULL while it is not running */
  char            *log_path;      /* the log of the latest start */
  char            *home;          /* HOME, with config/, state/, data/, cache/ */
  char            *display;
  gboolean         activatable;   /* the bus starts the applet (below) */
} PbTestApplet;

#define PB_TEST_APPLET_WAIT_SECONDS 30

/* Everything but the applet itself, which pb_test_applet_start runs with
 * DISPLAY=@display. */
PbTestApplet *pb_test_applet_new          (const char   *display);
/* The same, but nothing starts the applet except the bus, when something
 * calls it (D-Bus activation, as a desktop's launcher does for an
 * application with DBusActivatable=true): a service file for APP_ID runs
 * the build's applet with --gapplication-service, as the installed
 * io.github.popbell.Popbell.service does, with the applet's home, DISPLAY
 * and G_MESSAGES_DEBUG=all in the bus's activation environment and its
 * output in log_path. pb_test_applet_stop stops it like one it started. */
PbTestApplet *pb_test_applet_new_activatable (const char *display);
/* Quits the applet if it still runs (popbell --quit), then stops the rest. */
void          pb_test_applet_free         (PbTestApplet *self);

/* Starts popbell-applet and waits until it owns its bus name. */
void          pb_test_applet_start        (PbTestApplet *self);
/* popbell --quit, then waits for a clean exit. */
void          pb_test_applet_stop         (PbTestApplet *self);

/* Sets HOME and the XDG folders of the applet on @launcher. */
void          pb_test_applet_set_home     (PbTestApplet        *self,
                                           GSubprocessLauncher *launcher);
/* Runs $PB_POPBELL with the arguments up to NULL in the applet's home;
 * @input goes to its standard input, its standard output into *@out (if
 * not NULL). Returns its exit status. Asserts that no output holds the
 * test password PB_TEST_APPLET_PASSWORD. */
#define PB_TEST_APPLET_PASSWORD "s3cret-canary-Passw0rd"
int           pb_test_applet_run_popbell  (PbTestApplet *self,
                                           const char   *input,
                                           char        **out,
                                           const char   *first,
                                           ...) G_GNUC_NULL_TERMINATED;

gboolean      pb_test_applet_name_has_owner (PbTestApplet *self,
                                             const char   *name);

typedef gboolean (*PbTestCondition) (gpointer data);
/* Iterates the main context until @condition holds; after
 * PB_TEST_APPLET_WAIT_SECONDS prints the applet's log and fails, saying
 * "Timed out waiting until @what". */
void          pb_test_applet_wait_until   (PbTestApplet    *self,
                                           PbTestCondition  condition,
                                           gpointer         data,
                                           const char      *what);
void          pb_test_applet_print_log    (PbTestApplet *self);
gboolean      pb_test_applet_log_mentions (PbTestApplet *self,
                                           const char   *text);

/* A method of the mock notification server's org.freedesktop.DBus.Mock. */
GVariant     *pb_test_applet_call_mock    (PbTestApplet *self,
                                           const char   *method,
                                           GVariant     *parameters,
                                           const char   *reply_type);
/* The Notify calls so far, oldest first: (susssasa{sv}i) tuples. */
GPtrArray    *pb_test_applet_get_notify_calls (PbTestApplet *self);
/* The notification's ID as the mock server gave it to call @index. */
guint32       pb_test_applet_notification_id (GPtrArray *calls,
                                              guint      index);
/* As if the user clicked @action of notification @id. */
void          pb_test_applet_invoke_action (PbTestApplet *self,
                                            guint32       id,
                                            const char   *action);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbTestApplet, pb_test_applet_free)

G_END_DECLS
