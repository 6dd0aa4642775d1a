/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-autoconfig"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pb-account.h"
#include "pb-autoconfig-private.h"
#include "pb-error.h"

/* ---- Autoconfig documents (Thunderbird's clientConfig v1.1) --------------- */

typedef enum
{
  EL_OTHER,
  EL_CLIENT_CONFIG,
  EL_PROVIDER,
  EL_DISPLAY_NAME,
  EL_INCOMING,
  EL_AUTHENTICATION,  /* one of an incoming server's ways to log in */
  /* the values of an incoming server, in the order of RawServer.values */
  EL_HOSTNAME,
  EL_PORT,
  EL_SOCKET_TYPE,
  EL_USERNAME,
} Element;

#define N_SERVER_VALUES (EL_USERNAME - EL_HOSTNAME + 1)

typedef struct
{
  char *values[N_SERVER_VALUES]; /* trimmed text, the first of each kind */
  gboolean oauth2;               /* <authentication>OAuth2</authentication> */
  gboolean other_authentication; /* a password, or anything but OAuth2 */
} RawServer;

static void
raw_server_free (RawServer *server)
{
  for (guint i = 0; i < N_SERVER_VALUES; i++)
    g_free (server->values[i]);
  g_free (server);
}

typedef struct
{
  Element    stack[MAX_DEPTH];
  guint      depth;
  RawServer *current;      /* inside <incomingServer type="pop3"> */
  GString   *text;
  GPtrArray *servers;      /* RawServer*, the POP3 ones in document order */
  char      *display_name;
  char      *help_url;
} ParseState;

static void
parse_state_clear (ParseState *state)
{
  g_clear_pointer (&state->current, raw_server_free);
  g_string_free (state->text, TRUE);
  g_ptr_array_unref (state->servers);
  g_free (state->display_name);
  g_free (state->help_url);
}

static const char *
lookup_attribute (const char **names,
                  const char **values,
                  const char  *wanted)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      if (strcmp (names[i], wanted) == 0)
        return values[i];
    }
  return NULL;
}

static gboolean
is_web_url (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (text == NULL || strlen (text) > MAX_TEXT || pb_autoconfig_has_control_chars (text))
    return FALSE;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return g_ascii_strcasecmp (scheme, "https") == 0 || g_ascii_strcasecmp (scheme, "http") == 0;
}

static Element
classify (Element     parent,
          guint       depth,
          const char *name)
{
  static const char *const server_values[N_SERVER_VALUES] = {
    "hostname", "port", "socketType", "username",
  };

  if (depth == 0)
    return strcmp (name, "clientConfig") == 0 ? EL_CLIENT_CONFIG : EL_OTHER;

  switch (parent)
    {
    case EL_CLIENT_CONFIG:
      if (strcmp (name, "emailProvider") == 0)
        return EL_PROVIDER;
      break;
    case EL_PROVIDER:
      if (strcmp (name, "displayName") == 0)
        return EL_DISPLAY_NAME;
      if (strcmp (name, "incomingServer") == 0)
        return EL_INCOMING;
      break;
    case EL_INCOMING:
      if (strcmp (name, "authentication") == 0)
        return EL_AUTHENTICATION;
      for (guint i = 0; i < N_SERVER_VALUES; i++)
        {
          if (strcmp (name, server_values[i]) == 0)
            return EL_HOSTNAME + i;
        }
      break;
    default:
      break;
    }
  return EL_OTHER;
}

static void
on_start_element (GMarkupParseContext  *context,
                  const char           *name,
                  const char          **attribute_names,
                  const char          **attribute_values,
                  gpointer              user_data,
                  GError              **error)
{
  ParseState *state = user_data;
  Element parent = state->depth > 0 ? state->stack[state->depth - 1] : EL_OTHER;
  Element element;

  if (state->depth == MAX_DEPTH)
    {
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,
                   _("The configuration document is nested too deeply."));
      return;
    }

  element = classify (parent, state->depth, name);
  if (state->depth == 0 && element != EL_CLIENT_CONFIG)
    {
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,
                   _("This is not a mail configuration document."));
      return;
    }

  if (parent == EL_PROVIDER && strcmp (name, "documentation") == 0 && state->help_url == NULL)
    {
      const char *url = lookup_attribute (attribute_names, attribute_values, "url");

      if (is_web_url (url))
        state->help_url = g_strdup (url);
    }

  if (element == EL_INCOMING)
    {
      const char *type = lookup_attribute (attribute_names, attribute_values, "type");

      g_clear_pointer (&state->current, raw_server_free);
      if (g_strcmp0 (type, "pop3") == 0)
        state->current = g_new0 (RawServer, 1);
    }

  g_string_truncate (state->text, 0);
  state->stack[state->depth++] = element;
}

static gboolean
collects_text (ParseState *state)
{
  Element element;

  if (state->depth == 0)
    return FALSE;
  element = state->stack[state->depth - 1];
  return element == EL_DISPLAY_NAME ||
         ((element >= EL_HOSTNAME || element == EL_AUTHENTICATION) && state->current != NULL);
}

static void
on_text (GMarkupParseContext  *context,
         const char           *text,
         gsize                 text_len,
         gpointer              user_data,
         GError              **error)
{
  ParseState *state = user_data;

  if (!collects_text (state))
    return;

  if (state->text->len + text_len > MAX_TEXT)
    {
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,
                   _("The configuration document has a value that is too long."));
      return;
    }
  g_string_append_len (state->text, text, text_len);
}

static void
on_end_element (GMarkupParseContext  *context,
                const char           *name,
                gpointer              user_data,
                GError              **error)
{
  ParseState *state = user_data;
  gboolean collected = collects_text (state);
  Element element;

  g_assert (state->depth > 0);
  element = state->stack[--state->depth];

  if (collected && element == EL_AUTHENTICATION)
    {
      g_autofree char *method = g_strstrip (g_strdup (state->text->str));

      if (g_ascii_strcasecmp (method, "OAuth2") == 0)
        state->current->oauth2 = TRUE;
      else if (*method != '\0')
        state->current->other_authentication = TRUE;
    }
  else if (collected)
    {
      char **slot = element == EL_DISPLAY_NAME ? &state->display_name
                                               : &state->current->values[element - EL_HOSTNAME];

      if (*slot == NULL)
        *slot = g_strstrip (g_strdup (state->text->str));
    }
  else if (element == EL_INCOMING && state->current != NULL)
    {
      g_ptr_array_add (state->servers, g_steal_pointer (&state->current));
    }

  g_string_truncate (state->text, 0);
}

/* The first POP3 server over TLS with usable values, else why there is none. */
static PbServerCandidate *
choose_server (ParseState     *state,
               const Address  *address,
               GError        **error)
{
  gboolean plaintext = FALSE;

  for (guint i = 0; i < state->servers->len; i++)
    {
      RawServer *raw = g_ptr_array_index (state->servers, i);
      const char *socket_type = raw->values[EL_SOCKET_TYPE - EL_HOSTNAME];
      const char *port_text = raw->values[EL_PORT - EL_HOSTNAME];
      const char *form = raw->values[EL_USERNAME - EL_HOSTNAME];
      g_autofree char *host_text = NULL;
      g_autofree char *host = NULL;
      g_autofree char *user = NULL;
      PbServerCandidate *candidate;
      gboolean plain = FALSE;
      PbSecurity security = PB_SECURITY_TLS;
      guint64 port;

      if (raw->values[0] == NULL || socket_type == NULL)
        continue;
      if (g_ascii_strcasecmp (socket_type, "SSL") == 0)
        security = PB_SECURITY_TLS;
      else if (g_ascii_strcasecmp (socket_type, "STARTTLS") == 0)
        security = PB_SECURITY_STARTTLS;
      else if (g_ascii_strcasecmp (socket_type, "plain") == 0)
        plain = TRUE;
      else
        continue;

      /* Hosting providers write mail.%EMAILDOMAIN%. */
      host_text = pb_autoconfig_apply_placeholders (raw->values[0], address);
      host = pb_autoconfig_normalize_host (host_text);
      if (host == NULL)
        {
          g_debug ("Skipping a POP3 server with an unusable host name");
          continue;
        }

      if (port_text == NULL || *port_text == '\0')
        port = plain ? 110 : pb_security_default_port (security);
      else if (!g_ascii_string_to_unsigned (port_text, 10, 1, G_MAXUINT16, &port, NULL))
        continue;

      if (plain)
        {
          plaintext = TRUE;
          continue;
        }

      user = pb_autoconfig_apply_placeholders (form != NULL && *form != '\0' ? form : "%EMAILADDRESS%",
                                 address);
      if (pb_autoconfig_has_control_chars (user))
        continue;

      candidate = pb_autoconfig_candidate_new (host, port, security, user, PB_AUTOCONFIG_SOURCE_AUTOCONFIG);
      if (state->display_name != NULL && *state->display_name != '\0' &&
          !pb_autoconfig_has_control_chars (state->display_name))
        candidate->provider_name = g_strdup (state->display_name);
      candidate->help_url = g_strdup (state->help_url);
      /* Only OAuth2 listed: a password would be refused. Who signs in to the
       * server is known only for the built-in providers' servers (a document
       * can't bring a client ID). */
      candidate->oauth2_only = raw->oauth2 && !raw->other_authentication;
      if (raw->oauth2)
        {
          g_autoptr(PbServerCandidate) known = pb_autoconfig_lookup_provider_by_host (host);

          if (known != NULL)
            candidate->oauth2_provider = g_strdup (known->oauth2_provider);
        }
      return candidate;
    }

  if (plaintext)
    g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT,
                 _("%s offers POP3 only without encryption. "
                   "Popbell won't send your password unprotected."), address->domain);
  else
    g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND,
                 _("The configuration for %s has no POP3 server with TLS."), address->domain);
  return NULL;
}

PbServerCandidate *
pb_autoconfig_parse_builtin_document (const char     *xml,
                gsize           len,
                const Address  *address,
                GError        **error)
{
  static const GMarkupParser parser = {
    on_start_element, on_end_element, on_text, NULL, NULL,
  };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  ParseState state = { { 0, }, };
  PbServerCandidate *candidate = NULL;

  if (len > PB_AUTOCONFIG_MAX_DOCUMENT)
    {
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,
                   _("The configuration document is too large."));
      return NULL;
    }

  state.text = g_string_new (NULL);
  state.servers = g_ptr_array_new_with_free_func ((GDestroyNotify) raw_server_free);

  /* GMarkup knows only the five predefined entities and never reads a DTD,
   * so a document cannot make it expand or fetch anything. */
  context = g_markup_parse_context_new (&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &state, NULL);
  if (!g_markup_parse_context_parse (context, xml, len, &local_error) ||
      !g_markup_parse_context_end_parse (context, &local_error))
    {
      if (local_error->domain == PB_AUTOCONFIG_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        {
          /* GMarkup quotes the document's bytes (a tag name) as they are. */
          g_autofree char *reason = g_utf8_make_valid (local_error->message, -1);

          g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,
                       _("The configuration document is not valid XML: %s"), reason);
        }
    }
  else if (state.depth == 0 && state.stack[0] != EL_CLIENT_CONFIG)
    {
      /* nothing but a prolog or comments */
      g_set_error (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_INVALID_DOCUMENT,
                   _("This is not a mail configuration document."));
    }
  else
    {
      candidate = choose_server (&state, address, error);
    }

  parse_state_clear (&state);
  return candidate;
}

PbServerCandidate *
pb_autoconfig_parse_document (const char  *xml,
                              gssize       len,
                              const char  *address,
                              GError     **error)
{
  g_auto(Address) parsed = { NULL, };

  g_return_val_if_fail (xml != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!pb_autoconfig_parse_address (address, &parsed))
    {
      pb_autoconfig_set_invalid_address (error, address);
      return NULL;
    }
  if (xml == NULL)
    xml = "";
  return pb_autoconfig_parse_builtin_document (xml, len < 0 ? strlen (xml) : (gsize) len, &parsed, error);
}
