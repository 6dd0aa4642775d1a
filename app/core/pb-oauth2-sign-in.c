/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-oauth2"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "pb-error.h"
#include "pb-oauth2-sign-in.h"
#include "pb-text.h"

typedef struct
{
  PbOAuth2Provider *provider;
  SoupServer       *server;
  char             *redirect_uri;
  char             *state;
  char             *verifier;      /* wiped */
  char             *code;          /* wiped */
  GError           *error;         /* what the provider's redirect said instead of a code */
  GSource          *timer;
  guint             timeout;       /* seconds */
  GCancellable     *cancellable;
  gulong            cancel_id;
  gboolean          answered;      /* the one redirect came, or it is over */
} SignIn;

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    {
      explicit_bzero (secret, strlen (secret));
      g_free (secret);
    }
}

static void
stop_listening (SignIn *sign_in)
{
  if (sign_in->timer != NULL)
    {
      g_source_destroy (sign_in->timer);
      g_clear_pointer (&sign_in->timer, g_source_unref);
    }
  if (sign_in->server != NULL)
    {
      soup_server_disconnect (sign_in->server);
      g_clear_object (&sign_in->server);
    }
}

static void
sign_in_free (SignIn *sign_in)
{
  if (sign_in->cancel_id != 0)
    g_cancellable_disconnect (sign_in->cancellable, sign_in->cancel_id);
  g_clear_object (&sign_in->cancellable);
  stop_listening (sign_in);
  pb_oauth2_provider_free (sign_in->provider);
  g_free (sign_in->redirect_uri);
  g_free (sign_in->state);
  wipe_free (sign_in->verifier);
  wipe_free (sign_in->code);
  g_clear_error (&sign_in->error);
  g_free (sign_in);
}

/* The page the browser shows. Only our own translated words, escaped. */
static void
respond_page (SoupServerMessage *message,
              guint              status,
              const char        *title,
              const char        *text)
{
  g_autofree char *html = NULL;
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *escaped_text = g_markup_escape_text (text, -1);
  /* Translators: the language of the page shown in the browser after a sign-in (a BCP 47 tag). */
  const char *lang = C_("html lang", "en");

  html = g_strdup_printf ("<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                          "<meta name=\"viewport\" content=\"width=device-width\">"
                          "<title>%s</title>"
                          "<style>body{font-family:sans-serif;max-width:36em;margin:4em auto;"
                          "padding:0 1em;line-height:1.5}</style></head>"
                          "<body><h1>%s</h1><p>%s</p></body></html>\n",
                          lang, escaped_title, escaped_title, escaped_text);
  soup_server_message_set_status (message, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                "Cache-Control", "no-store");
  soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                "Connection", "close");
  soup_server_message_set_response (message, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    html, strlen (html));
}

static void on_code_exchanged (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);

/* The page is on its way: nothing more is listened for; then the code goes
 * to the token endpoint. */
static gboolean
on_answered (gpointer user_data)
{
  GTask *task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  stop_listening (sign_in);
  if (sign_in->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&sign_in->error));
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  pb_oauth2_exchange_code_async (sign_in->provider, sign_in->code, sign_in->verifier,
                                 sign_in->redirect_uri, cancellable, on_code_exchanged, task);
  return G_SOURCE_REMOVE;
}

static void
on_message_finished (SoupServerMessage *message,
                     gpointer           user_data)
{
  GSource *idle = g_idle_source_new ();

  /* Not from inside libsoup's handler: the server is disconnected there. */
  g_source_set_callback (idle, on_answered, user_data, NULL);
  g_source_set_static_name (idle, "[popbell] sign-in redirect answered");
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

static GError *
redirect_error (SignIn     *sign_in,
                const char *code)
{
  if (g_strcmp0 (code, "access_denied") == 0)
    return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_DENIED,
                        _("The sign-in with %s was refused."), sign_in->provider->name);
  {
    g_autofree char *clean = pb_text_clean (code, -1, 60);

    return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_SERVER,
                        _("%s refused the request (%s)."), sign_in->provider->name, clean);
  }
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  GTask *task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  const char *state = query != NULL ? g_hash_table_lookup (query, "state") : NULL;
  const char *code = query != NULL ? g_hash_table_lookup (query, "code") : NULL;
  const char *error = query != NULL ? g_hash_table_lookup (query, "error") : NULL;

  /* Only the one redirect, with this run's state, counts: a request of
   * another page (the browser's favicon), or one that another program made
   * up, changes nothing. */
  if (sign_in->answered || strcmp (path, "/") != 0 ||
      soup_server_message_get_method (message) != SOUP_METHOD_GET ||
      state == NULL || strcmp (state, sign_in->state) != 0 || (code == NULL && error == NULL))
    {
      g_debug ("Sign-in listener: a request that is not the redirect (%s)", path);
      respond_page (message, SOUP_STATUS_BAD_REQUEST, _("Popbell"),
                    _("This address is Popbell’s, for one sign-in, and this is not it."));
      return;
    }

  sign_in->answered = TRUE;
  if (code != NULL && error == NULL)
    {
      sign_in->code = g_strdup (code);
      respond_page (message, SOUP_STATUS_OK, _("Signed in to Popbell"),
                    _("Popbell can check your mail now. You can close this tab."));
    }
  else
    {
      sign_in->error = redirect_error (sign_in, error);
      respond_page (message, SOUP_STATUS_OK, _("Not signed in"),
                    _("The sign-in did not finish, so Popbell can’t check this mailbox. You "
                      "can close this tab and try again in Popbell."));
    }
  g_signal_connect (message, "finished", G_CALLBACK (on_message_finished), task);
}

static void
on_code_exchanged (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  PbOAuth2Tokens *tokens;

  tokens = pb_oauth2_exchange_code_finish (result, &error);
  if (tokens == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, tokens, (GDestroyNotify) pb_oauth2_tokens_free);
}

static gboolean
on_timeout (gpointer user_data)
{
  GTask *task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);

  g_clear_pointer (&sign_in->timer, g_source_unref);
  if (sign_in->answered)
    return G_SOURCE_REMOVE;
  sign_in->answered = TRUE;
  stop_listening (sign_in);
  {
    guint minutes = MAX (1, (sign_in->timeout + 59) / 60);

    g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_EXPIRED,
                             g_dngettext (GETTEXT_PACKAGE,
                                          "The sign-in was not finished within %u minute.",
                                          "The sign-in was not finished within %u minutes.",
                                          minutes), minutes);
  }
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled_idle (gpointer user_data)
{
  GTask *task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);

  if (!sign_in->answered)
    {
      sign_in->answered = TRUE;
      stop_listening (sign_in);
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

/* Inside g_cancellable_cancel (): the work is done from an idle. */
static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  GSource *idle = g_idle_source_new ();

  g_source_set_callback (idle, on_cancelled_idle, g_object_ref (user_data), g_object_unref);
  g_source_set_static_name (idle, "[popbell] sign-in cancelled");
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

void
pb_oauth2_browser_sign_in_async (const PbOAuth2Provider *provider,
                                 const char             *login_hint,
                                 guint                   timeout,
                                 PbOAuth2OpenUrl         open_url,
                                 gpointer                open_url_data,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  GTask *task;
  SignIn *sign_in;
  g_autofree char *challenge = NULL;
  g_autofree char *url = NULL;
  GError *error = NULL;
  GSList *uris;
  guint port = 0;

  g_return_if_fail (provider != NULL);
  g_return_if_fail (open_url != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pb_oauth2_browser_sign_in_async);
  sign_in = g_new0 (SignIn, 1);
  sign_in->provider = pb_oauth2_provider_copy (provider);
  g_task_set_task_data (task, sign_in, (GDestroyNotify) sign_in_free);

  if (provider->client_id == NULL)
    {
      g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NO_CLIENT_ID,
                               _("This copy of Popbell has no client ID for signing in with "
                                 "%s."), provider->name);
      g_object_unref (task);
      return;
    }
  if (provider->authorization_endpoint == NULL)
    {
      g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_INVALID_PROVIDER,
                               _("%s offers no sign-in in a browser."), provider->name);
      g_object_unref (task);
      return;
    }

  /* 127.0.0.1, not "localhost", which a resolver might send elsewhere (RFC 8252 §8.3). */
  sign_in->server = soup_server_new ("server-header", "Popbell", NULL);
  if (!soup_server_listen_local (sign_in->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_prefix_error (&error, _("Popbell could not listen for the sign-in: "));
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  uris = soup_server_get_uris (sign_in->server);
  if (uris != NULL)
    port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  soup_server_add_handler (sign_in->server, NULL, on_request, task, NULL);

  sign_in->redirect_uri = g_strdup_printf ("http://127.0.0.1:%u/", port);
  sign_in->state = pb_oauth2_random_state ();
  sign_in->verifier = pb_oauth2_pkce_verifier ();
  challenge = pb_oauth2_pkce_challenge (sign_in->verifier);
  url = pb_oauth2_authorization_url (provider, sign_in->redirect_uri, sign_in->state, challenge,
                                     login_hint);

  sign_in->timeout = timeout > 0 ? timeout : PB_OAUTH2_SIGN_IN_TIMEOUT;
  sign_in->timer = g_timeout_source_new_seconds (sign_in->timeout);
  g_source_set_callback (sign_in->timer, on_timeout, task, NULL);
  g_source_set_static_name (sign_in->timer, "[popbell] sign-in timeout");
  g_source_attach (sign_in->timer, g_main_context_get_thread_default ());
  if (cancellable != NULL)
    {
      sign_in->cancellable = g_object_ref (cancellable);
      sign_in->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), task,
                                                  NULL);
    }

  g_debug ("Waiting for the sign-in redirect on %s", sign_in->redirect_uri);
  open_url (url, open_url_data);
}

PbOAuth2Tokens *
pb_oauth2_browser_sign_in_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        pb_oauth2_browser_sign_in_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
pb_oauth2_open_in_browser (const char  *url,
                           GError     **error)
{
  g_return_val_if_fail (url != NULL, FALSE);

  return g_app_info_launch_default_for_uri (url, NULL, error);
}
