/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "app/core/pb-error.h"
#include "app/core/pb-text.h"
#include "pb-cli-private.h"

/* ---- Small helpers ------------------------------------------------------ */

/* Text from servers and certificates may hold terminal escapes, bidirectional
 * controls and broken UTF-8: one line of plain characters, the cleaner every
 * face shares. */
char *
pb_cli_safe_text (const char *text)
{
  return pb_text_clean (text, -1, 0);
}

void
pb_cli_print_error (const char *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;
  g_autofree char *safe = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  safe = pb_cli_safe_text (message);
  g_printerr ("popbell: %s\n", safe);
}

char *
pb_cli_format_date (GDateTime *date)
{
  g_autoptr(GDateTime) local = NULL;

  if (date == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (date);
  /* Translators: a date and time in the terminal, see g_date_time_format(). */
  return g_date_time_format (local, _("%Y-%m-%d %H:%M"));
}

char *
pb_cli_format_iso8601 (GDateTime *date)
{
  return date ? g_date_time_format_iso8601 (date) : NULL;
}

gboolean
pb_cli_parse_host_port (const char  *text,
                 char       **host,
                 guint16     *port)
{
  const char *colon;
  g_autofree char *h = NULL;
  guint64 p = 0;

  if (text == NULL || *text == '\0')
    return FALSE;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');
      if (end == NULL || end[1] != ':')
        return FALSE;
      h = g_strndup (text + 1, end - text - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL)
        return FALSE;
      h = g_strndup (text, colon - text);
    }

  if (*h == '\0' || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL))
    return FALSE;

  *host = g_steal_pointer (&h);
  *port = (guint16) p;
  return TRUE;
}

/* Reads a password from standard input when it is not a terminal (one line),
 * else prompts on the terminal without echo. NULL with @error on failure. */
char *
pb_cli_read_password (const char  *prompt,
               GError     **error)
{
  char buffer[PB_CLI_MAX_PASSWORD + 2];
  gboolean interactive = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  gboolean restored = TRUE;
  size_t len;
  char *result;

  if (interactive)
    {
      g_printerr ("%s", prompt);
      if (tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          quiet = saved;
          quiet.c_lflag &= ~(ECHO);
          quiet.c_lflag |= ECHONL;
          restored = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) != 0;
        }
    }

  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    buffer[0] = '\0';

  if (interactive && !restored)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);

  len = strlen (buffer);
  if (len > PB_CLI_MAX_PASSWORD)
    {
      explicit_bzero (buffer, sizeof buffer);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The password is too long."));
      return NULL;
    }
  while (len > 0 && (buffer[len - 1] == '\n' || buffer[len - 1] == '\r'))
    buffer[--len] = '\0';

  if (len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           interactive ? _("No password was entered.")
                                       : _("No password was given on standard input."));
      return NULL;
    }

  result = g_strndup (buffer, len);
  explicit_bzero (buffer, sizeof buffer);
  return result;
}

void
pb_cli_free_password (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

PbAccountStore *
pb_cli_load_accounts (void)
{
  g_autoptr(PbAccountStore) store = pb_account_store_new (NULL);
  g_autoptr(GError) error = NULL;

  if (!pb_account_store_load (store, &error))
    {
      pb_cli_print_error ("%s", error->message);
      /* A corrupt file has been set aside: the store is empty but usable. */
      if (!g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT))
        return NULL;
    }
  return g_steal_pointer (&store);
}

PbTrustStore *
pb_cli_load_pins (void)
{
  g_autoptr(PbTrustStore) pins = pb_trust_store_new (NULL);
  g_autoptr(GError) error = NULL;

  if (!pb_trust_store_load (pins, &error))
    {
      pb_cli_print_error ("%s", error->message);
      if (!g_error_matches (error, PB_STORE_ERROR, PB_STORE_ERROR_CORRUPT))
        return NULL;
    }
  return g_steal_pointer (&pins);
}

void
pb_cli_wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

void
pb_cli_store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

void
pb_cli_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}
