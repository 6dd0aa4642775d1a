/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-goa"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-error.h"
#include "pb-goa.h"
#include "pb-oauth2-tokens.h"
#include "pb-sasl.h"

#define GOA_NAME      "org.gnome.OnlineAccounts"
#define GOA_PATH      "/org/gnome/OnlineAccounts"
#define ACCOUNT_IFACE "org.gnome.OnlineAccounts.Account"
#define OAUTH2_IFACE  "org.gnome.OnlineAccounts.OAuth2Based"
#define MAIL_IFACE    "org.gnome.OnlineAccounts.Mail"
/* Online Accounts may ask Google for a new token before it answers. */
#define CALL_TIMEOUT_MS (30 * 1000)

/* ---- Finding the account --------------------------------------------------- */

typedef void (*LookupNext) (GTask *task);

typedef struct
{
  char              *address;
  LookupNext         next;         /* what follows the lookup, or NULL: it is the result */
  GDBusConnection   *bus;
  PbGoaAvailability  availability;
  char              *path;
  gint64             expires_in;
} Lookup;

static void
lookup_free (Lookup *lookup)
{
  g_free (lookup->address);
  g_clear_object (&lookup->bus);
  g_free (lookup->path);
  g_free (lookup);
}

static gboolean
same_address (const char *a,
              const char *b)
{
  g_autofree char *fa = NULL;
  g_autofree char *fb = NULL;

  if (a == NULL || b == NULL || !g_utf8_validate (a, -1, NULL) || !g_utf8_validate (b, -1, NULL))
    return FALSE;
  fa = g_utf8_casefold (a, -1);
  fb = g_utf8_casefold (b, -1);
  return strcmp (fa, fb) == 0;
}

/* A string or boolean property of an interface's a{sv}, or the default. */
static const char *
lookup_string (GVariant   *properties,
               const char *name)
{
  const char *value = NULL;

  if (properties != NULL && g_variant_lookup (properties, name, "&s", &value))
    return value;
  return NULL;
}

static gboolean
lookup_boolean (GVariant   *properties,
                const char *name)
{
  gboolean value = FALSE;

  if (properties != NULL)
    g_variant_lookup (properties, name, "b", &value);
  return value;
}

/* Reads GetManagedObjects's answer into @lookup. */
static void
choose_account (Lookup   *lookup,
                GVariant *objects)
{
  GVariantIter iter;
  const char *path;
  GVariant *interfaces;

  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_loop (&iter, "{&o@a{sa{sv}}}", &path, &interfaces))
    {
      g_autoptr(GVariant) account = g_variant_lookup_value (interfaces, ACCOUNT_IFACE,
                                                            G_VARIANT_TYPE_VARDICT);
      g_autoptr(GVariant) mail = g_variant_lookup_value (interfaces, MAIL_IFACE,
                                                         G_VARIANT_TYPE_VARDICT);
      g_autoptr(GVariant) oauth2 = g_variant_lookup_value (interfaces, OAUTH2_IFACE,
                                                           G_VARIANT_TYPE_VARDICT);
      const char *address = lookup_string (mail, "EmailAddress");

      /* Google only: the Microsoft 365 provider's tokens are for Microsoft
       * Graph, and POP3 refuses them. */
      if (account == NULL || oauth2 == NULL ||
          g_strcmp0 (lookup_string (account, "ProviderType"), "google") != 0)
        continue;
      if (address == NULL || *address == '\0')
        address = lookup_string (account, "PresentationIdentity");
      if (!same_address (address, lookup->address))
        continue;

      if (lookup_boolean (account, "MailDisabled"))
        {
          g_debug ("Online Accounts has %s with Mail switched off", lookup->address);
          if (lookup->availability == PB_GOA_NONE)
            lookup->availability = PB_GOA_MAIL_DISABLED;
          continue;
        }
      g_debug ("Online Accounts has %s: %s", lookup->address, path);
      lookup->availability = PB_GOA_AVAILABLE;
      g_free (lookup->path);
      lookup->path = g_strdup (path);
      return;
    }
}

/* Takes @task. */
static void
lookup_done (GTask *task)
{
  Lookup *lookup = g_task_get_task_data (task);

  if (lookup->next != NULL)
    {
      lookup->next (task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_managed_objects (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Lookup *lookup = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      /* Most desktops have no Online Accounts: nothing to say. */
      g_debug ("No Online Accounts: %s", error->message);
      lookup_done (g_steal_pointer (&task));
      return;
    }
  objects = g_variant_get_child_value (reply, 0);
  choose_account (lookup, objects);
  lookup_done (g_steal_pointer (&task));
}

static void
on_bus (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Lookup *lookup = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  lookup->bus = g_bus_get_finish (result, &error);
  if (lookup->bus == NULL)
    {
      g_debug ("No session bus for Online Accounts: %s", error->message);
      lookup_done (g_steal_pointer (&task));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  g_dbus_connection_call (lookup->bus, GOA_NAME, GOA_PATH, "org.freedesktop.DBus.ObjectManager",
                          "GetManagedObjects", NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                          G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, cancellable,
                          on_managed_objects, g_steal_pointer (&task));
}

static void
lookup_start (const char          *address,
              gpointer             source_tag,
              LookupNext           next,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Lookup *lookup = g_new0 (Lookup, 1);

  g_task_set_source_tag (task, source_tag);
  lookup->address = g_strdup (address);
  lookup->next = next;
  g_task_set_task_data (task, lookup, (GDestroyNotify) lookup_free);
  g_bus_get (G_BUS_TYPE_SESSION, cancellable, on_bus, task);
}

void
pb_goa_lookup_async (const char          *address,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_return_if_fail (address != NULL);

  lookup_start (address, pb_goa_lookup_async, NULL, cancellable, callback, user_data);
}

PbGoaAvailability
pb_goa_lookup_finish (GAsyncResult  *result,
                      char         **account_path)
{
  Lookup *lookup;

  g_return_val_if_fail (g_task_is_valid (result, NULL), PB_GOA_NONE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_goa_lookup_async,
                        PB_GOA_NONE);

  lookup = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    return PB_GOA_NONE;
  if (account_path != NULL)
    *account_path = g_strdup (lookup->path);
  return lookup->availability;
}

/* ---- Getting a token --------------------------------------------------------- */

static GError *
renew_error (Lookup *lookup,
             GError *cause)
{
  g_debug ("Online Accounts can't renew %s: %s", lookup->address, cause->message);
  return g_error_new (PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_NEEDS_SIGN_IN,
                      _("GNOME Online Accounts can no longer sign in to the Google account %s. "
                        "Sign in again in Settings → Online Accounts."), lookup->address);
}

static void
on_access_token (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Lookup *lookup = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *token = NULL;
  gint32 expires_in = 0;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, renew_error (lookup, error));
      return;
    }
  /* The token's copies in D-Bus messages are out of reach; ours is wiped. */
  g_variant_get (reply, "(&si)", &token, &expires_in);
  if (!pb_sasl_token_is_valid (token))
    {
      g_task_return_new_error (task, PB_OAUTH2_ERROR, PB_OAUTH2_ERROR_PROTOCOL,
                               _("GNOME Online Accounts gave a token that is not a bearer "
                                 "token."));
      return;
    }
  lookup->expires_in = expires_in;
  g_task_return_pointer (task, g_strdup (token), (GDestroyNotify) pb_oauth2_token_free);
}

static void
on_credentials (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Lookup *lookup = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, renew_error (lookup, error));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  g_dbus_connection_call (lookup->bus, GOA_NAME, lookup->path, OAUTH2_IFACE, "GetAccessToken",
                          NULL, G_VARIANT_TYPE ("(si)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
                          cancellable, on_access_token, g_steal_pointer (&task));
}

/* Takes @task. */
static void
token_after_lookup (GTask *task)
{
  Lookup *lookup = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (lookup->availability != PB_GOA_AVAILABLE)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               "Online Accounts has no usable Google account for %s",
                               lookup->address);
      g_object_unref (task);
      return;
    }
  /* EnsureCredentials first: it tells expired credentials from a token. */
  g_dbus_connection_call (lookup->bus, GOA_NAME, lookup->path, ACCOUNT_IFACE,
                          "EnsureCredentials", NULL, G_VARIANT_TYPE ("(i)"),
                          G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, cancellable, on_credentials,
                          task);
}

void
pb_goa_get_access_token_async (const char          *address,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (address != NULL);

  lookup_start (address, pb_goa_get_access_token_async, token_after_lookup, cancellable,
                callback, user_data);
}

char *
pb_goa_get_access_token_finish (GAsyncResult  *result,
                                gint64        *expires_in,
                                GError       **error)
{
  Lookup *lookup;
  char *token;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_goa_get_access_token_async,
                        NULL);

  lookup = g_task_get_task_data (G_TASK (result));
  token = g_task_propagate_pointer (G_TASK (result), error);
  if (expires_in != NULL)
    *expires_in = token != NULL ? lookup->expires_in : 0;
  return token;
}
