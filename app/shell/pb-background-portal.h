/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Inside Flatpak the autostart folder is not Popbell's to write: the
 * Background portal (org.freedesktop.portal.Background) asks the user to let
 * it run in the background, and starts it at login when asked to. */

/* TRUE inside a Flatpak sandbox (/.flatpak-info exists). */
gboolean pb_background_portal_is_needed     (void);

/* RequestBackground with @autostart and @commandline (what to run at login),
 * on @connection (the session bus). Completes when the portal answers: the
 * user's choice, or at once when permission was given before. */
void     pb_background_portal_request_async  (GDBusConnection     *connection,
                                              gboolean             autostart,
                                              const char * const  *commandline,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* FALSE with an error when the portal is missing or failed, or G_IO_ERROR_CANCELLED
 * when the user dismissed it; else what was granted, in @background and @autostart. */
gboolean pb_background_portal_request_finish (GAsyncResult        *result,
                                              gboolean            *background,
                                              gboolean            *autostart,
                                              GError             **error);

G_END_DECLS
