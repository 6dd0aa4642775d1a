/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-account"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-account.h"
#include "pb-error.h"

struct _PbAccount
{
  GObject     parent_instance;

  char       *id;
  char       *display_name; /* NULL: the ID is shown */
  char       *host;         /* trimmed and lowercased, NULL when unset */
  guint16     port;         /* 0: the default port of the security */
  PbSecurity  security;
  char       *user;
  gboolean    enabled;
  guint       interval;
  char       *ca_file;
  char       *oauth2_provider; /* NULL: signs in with a password */
  gboolean    notify_new_mail;
  char       *sound;        /* a sound theme name, or PB_ACCOUNT_SOUND_NONE */
  gboolean    notify_problems;
  char       *webmail;      /* https:// address opened instead of the mail client, or NULL */
};

enum
{
  PROP_0,
  PROP_ID,
  PROP_DISPLAY_NAME,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_USER,
  PROP_ENABLED,
  PROP_INTERVAL,
  PROP_CA_FILE,
  PROP_OAUTH2_PROVIDER,
  PROP_NOTIFY_NEW_MAIL,
  PROP_SOUND,
  PROP_NOTIFY_PROBLEMS,
  PROP_WEBMAIL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PbAccount, pb_account, G_TYPE_OBJECT)

const char *
pb_security_to_string (PbSecurity security)
{
  switch (security)
    {
    case PB_SECURITY_TLS:
      return "tls";
    case PB_SECURITY_STARTTLS:
      return "starttls";
    default:
      g_return_val_if_reached ("tls");
    }
}

gboolean
pb_security_from_string (const char *text,
                         PbSecurity *out)
{
  PbSecurity security;

  if (text == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (text, "tls") == 0)
    security = PB_SECURITY_TLS;
  else if (g_ascii_strcasecmp (text, "starttls") == 0)
    security = PB_SECURITY_STARTTLS;
  else
    return FALSE;

  if (out != NULL)
    *out = security;
  return TRUE;
}

guint16
pb_security_default_port (PbSecurity security)
{
  switch (security)
    {
    case PB_SECURITY_TLS:
      return 995;
    case PB_SECURITY_STARTTLS:
      return 110;
    default:
      g_return_val_if_reached (995);
    }
}

gboolean
pb_account_id_is_valid (const char *id)
{
  gsize len;

  if (id == NULL || id[0] == '\0' || id[0] == '.')
    return FALSE;

  len = strlen (id);
  if (len > 64)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = id[i];

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
        return FALSE;
    }

  return TRUE;
}

char *
pb_host_name_normalize (const char  *text,
                        GError     **error)
{
  g_autofree char *ascii = NULL;
  gsize len;
  guint label_len = 0;

  if (text == NULL || *text == '\0')
    {
      g_set_error_literal (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                           _("The server name is empty."));
      return NULL;
    }
  if (strlen (text) > 1024 || !g_utf8_validate (text, -1, NULL))
    goto invalid;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c) || c == '/' || c == '@' ||
          c == 0x200B || c == 0xFEFF)
        goto invalid;
    }

  /* GLib takes "fe80::1%<anything>" for an IPv6 address with a zone, but a
   * zone names an interface of this machine, not a server, and whatever
   * follows the '%' (colons included) would reach the trust key and the
   * dialogs. */
  if (strchr (text, '%') != NULL)
    goto invalid;
  /* An IPv6 address has colons; nothing else may. */
  if (g_hostname_is_ip_address (text))
    return g_ascii_strdown (text, -1);
  if (strchr (text, ':') != NULL)
    goto invalid;

  ascii = g_hostname_to_ascii (text);
  if (ascii == NULL)
    goto invalid;
  len = strlen (ascii);
  if (len > 0 && ascii[len - 1] == '.')
    ascii[--len] = '\0';
  if (len == 0 || len > 253)
    goto invalid;

  for (const char *p = ascii; ; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          if (label_len == 0 || label_len > 63)
            goto invalid;
          if (*p == '\0')
            break;
          label_len = 0;
        }
      else if (g_ascii_isalnum (*p) || *p == '-' || *p == '_')
        label_len++;
      else
        goto invalid;
    }
  return g_ascii_strdown (ascii, -1);

invalid:
  g_set_error_literal (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                       _("The server name is not valid: use a name such as pop.example.com, "
                         "or an IP address, without spaces."));
  return NULL;
}

gboolean
pb_user_name_check (const char  *text,
                    GError     **error)
{
  if (text == NULL || *text == '\0')
    {
      g_set_error_literal (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
                           _("The user name is empty."));
      return FALSE;
    }
  if (strlen (text) > PB_MAX_USER_NAME || !g_utf8_validate (text, -1, NULL))
    goto invalid;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c) || c == 0x200B || c == 0xFEFF)
        goto invalid;
    }
  return TRUE;

invalid:
  g_set_error (error, PB_STORE_ERROR, PB_STORE_ERROR_INVALID,
               _("The user name is not valid: at most %d characters, without spaces or "
                 "control characters."), PB_MAX_USER_NAME);
  return FALSE;
}

/* Empty strings mean "unset", so that a cleared entry field and a missing key agree. */
static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (value != NULL && value[0] == '\0')
    value = NULL;

  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static char *
normalize_host (const char *host)
{
  g_autofree char *trimmed = NULL;

  if (host == NULL)
    return NULL;

  trimmed = g_strstrip (g_strdup (host));
  if (trimmed[0] == '\0')
    return NULL;

  /* Internationalized names may arrive in Unicode; ASCII folding alone would
   * leave them mixed-case. */
  if (g_utf8_validate (trimmed, -1, NULL))
    return g_utf8_strdown (trimmed, -1);

  return g_ascii_strdown (trimmed, -1);
}

static void
pb_account_finalize (GObject *object)
{
  PbAccount *self = PB_ACCOUNT (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->oauth2_provider, g_free);
  g_clear_pointer (&self->sound, g_free);
  g_clear_pointer (&self->webmail, g_free);

  G_OBJECT_CLASS (pb_account_parent_class)->finalize (object);
}

static void
pb_account_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PbAccount *self = PB_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, pb_account_get_display_name (self));
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      /* The stored value, so that 0 (follow the security) survives a round trip. */
      g_value_set_uint (value, self->port);
      break;
    case PROP_SECURITY:
      g_value_set_uint (value, self->security);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_OAUTH2_PROVIDER:
      g_value_set_string (value, self->oauth2_provider);
      break;
    case PROP_NOTIFY_NEW_MAIL:
      g_value_set_boolean (value, self->notify_new_mail);
      break;
    case PROP_SOUND:
      g_value_set_string (value, self->sound);
      break;
    case PROP_NOTIFY_PROBLEMS:
      g_value_set_boolean (value, self->notify_problems);
      break;
    case PROP_WEBMAIL:
      g_value_set_string (value, self->webmail);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_account_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PbAccount *self = PB_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_DISPLAY_NAME:
      pb_account_set_display_name (self, g_value_get_string (value));
      break;
    case PROP_HOST:
      pb_account_set_host (self, g_value_get_string (value));
      break;
    case PROP_PORT:
      pb_account_set_port (self, (guint16) g_value_get_uint (value));
      break;
    case PROP_SECURITY:
      pb_account_set_security (self, (PbSecurity) g_value_get_uint (value));
      break;
    case PROP_USER:
      pb_account_set_user (self, g_value_get_string (value));
      break;
    case PROP_ENABLED:
      pb_account_set_enabled (self, g_value_get_boolean (value));
      break;
    case PROP_INTERVAL:
      pb_account_set_interval (self, g_value_get_uint (value));
      break;
    case PROP_CA_FILE:
      pb_account_set_ca_file (self, g_value_get_string (value));
      break;
    case PROP_OAUTH2_PROVIDER:
      pb_account_set_oauth2_provider (self, g_value_get_string (value));
      break;
    case PROP_NOTIFY_NEW_MAIL:
      pb_account_set_notify_new_mail (self, g_value_get_boolean (value));
      break;
    case PROP_SOUND:
      pb_account_set_sound (self, g_value_get_string (value));
      break;
    case PROP_NOTIFY_PROBLEMS:
      pb_account_set_notify_problems (self, g_value_get_boolean (value));
      break;
    case PROP_WEBMAIL:
      pb_account_set_webmail (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_account_class_init (PbAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = pb_account_finalize;
  object_class->get_property = pb_account_get_property;
  object_class->set_property = pb_account_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL, flags);
  /* 0 means the default port of the security. */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, flags);
  /* A PbSecurity value. */
  properties[PROP_SECURITY] =
    g_param_spec_uint ("security", NULL, NULL,
                       PB_SECURITY_TLS, PB_SECURITY_STARTTLS, PB_SECURITY_TLS, flags);
  properties[PROP_USER] =
    g_param_spec_string ("user", NULL, NULL, NULL, flags);
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, TRUE, flags);
  /* Out-of-range values are clamped to PB_MIN/MAX_INTERVAL_MINUTES rather than refused. */
  properties[PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL, 0, G_MAXUINT, PB_DEFAULT_INTERVAL_MINUTES, flags);
  properties[PROP_CA_FILE] =
    g_param_spec_string ("ca-file", NULL, NULL, NULL, flags);
  /* The OAuth2 provider to sign in with instead of a password, or NULL. */
  properties[PROP_OAUTH2_PROVIDER] =
    g_param_spec_string ("oauth2-provider", NULL, NULL, NULL, flags);
  properties[PROP_NOTIFY_NEW_MAIL] =
    g_param_spec_boolean ("notify-new-mail", NULL, NULL, TRUE, flags);
  properties[PROP_SOUND] =
    g_param_spec_string ("sound", NULL, NULL, PB_ACCOUNT_SOUND_DEFAULT, flags);
  properties[PROP_NOTIFY_PROBLEMS] =
    g_param_spec_boolean ("notify-problems", NULL, NULL, TRUE, flags);
  properties[PROP_WEBMAIL] =
    g_param_spec_string ("webmail", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pb_account_init (PbAccount *self)
{
  self->security = PB_SECURITY_TLS;
  self->enabled = TRUE;
  self->interval = PB_DEFAULT_INTERVAL_MINUTES;
  self->notify_new_mail = TRUE;
  self->sound = g_strdup (PB_ACCOUNT_SOUND_DEFAULT);
  self->notify_problems = TRUE;
}

PbAccount *
pb_account_new (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_object_new (PB_TYPE_ACCOUNT, "id", id, NULL);
}

const char *
pb_account_get_id (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), NULL);

  return self->id;
}

const char *
pb_account_get_display_name (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), NULL);

  return self->display_name != NULL ? self->display_name : self->id;
}

void
pb_account_set_display_name (PbAccount  *self,
                             const char *name)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  if (replace_string (&self->display_name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
}

const char *
pb_account_get_host (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), NULL);

  return self->host;
}

void
pb_account_set_host (PbAccount  *self,
                     const char *host)
{
  g_autofree char *normalized = NULL;

  g_return_if_fail (PB_IS_ACCOUNT (self));

  normalized = normalize_host (host);
  if (g_strcmp0 (normalized, self->host) == 0)
    return;

  g_free (self->host);
  self->host = g_steal_pointer (&normalized);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOST]);
}

guint16
pb_account_get_port (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), 0);

  return self->port != 0 ? self->port : pb_security_default_port (self->security);
}

void
pb_account_set_port (PbAccount *self,
                     guint16    port)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  if (self->port == port)
    return;

  self->port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

PbSecurity
pb_account_get_security (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), PB_SECURITY_TLS);

  return self->security;
}

void
pb_account_set_security (PbAccount  *self,
                         PbSecurity  security)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));
  g_return_if_fail (security == PB_SECURITY_TLS || security == PB_SECURITY_STARTTLS);

  if (self->security == security)
    return;

  self->security = security;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECURITY]);
}

const char *
pb_account_get_user (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), NULL);

  return self->user;
}

void
pb_account_set_user (PbAccount  *self,
                     const char *user)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  if (replace_string (&self->user, user))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
}

gboolean
pb_account_get_enabled (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), FALSE);

  return self->enabled;
}

void
pb_account_set_enabled (PbAccount *self,
                        gboolean   enabled)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;

  self->enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

guint
pb_account_get_interval (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), PB_DEFAULT_INTERVAL_MINUTES);

  return self->interval;
}

void
pb_account_set_interval (PbAccount *self,
                         guint      minutes)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  /* The upper bound keeps minutes * 60 within a guint of seconds for the timers. */
  minutes = CLAMP (minutes, PB_MIN_INTERVAL_MINUTES, PB_MAX_INTERVAL_MINUTES);
  if (self->interval == minutes)
    return;

  self->interval = minutes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL]);
}

const char *
pb_account_get_ca_file (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), NULL);

  return self->ca_file;
}

void
pb_account_set_ca_file (PbAccount  *self,
                        const char *path)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  if (replace_string (&self->ca_file, path))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CA_FILE]);
}

gboolean
pb_account_get_notify_new_mail (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), TRUE);

  return self->notify_new_mail;
}

void
pb_account_set_notify_new_mail (PbAccount *self,
                                gboolean   notify)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  notify = !!notify;
  if (self->notify_new_mail == notify)
    return;
  self->notify_new_mail = notify;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTIFY_NEW_MAIL]);
}

gboolean
pb_account_sound_is_valid (const char *sound)
{
  if (sound == NULL || *sound == '\0' || strlen (sound) > 64)
    return FALSE;
  /* Sound theme names: lower-case words joined by '-'. */
  for (const char *p = sound; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

const char *
pb_account_get_sound (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), PB_ACCOUNT_SOUND_NONE);

  return self->sound;
}

void
pb_account_set_sound (PbAccount  *self,
                      const char *sound)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  if (sound == NULL)
    sound = PB_ACCOUNT_SOUND_DEFAULT;
  g_return_if_fail (pb_account_sound_is_valid (sound));
  if (replace_string (&self->sound, sound))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOUND]);
}

gboolean
pb_account_get_notify_problems (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), TRUE);

  return self->notify_problems;
}

void
pb_account_set_notify_problems (PbAccount *self,
                                gboolean   notify)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  notify = !!notify;
  if (self->notify_problems == notify)
    return;
  self->notify_problems = notify;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTIFY_PROBLEMS]);
}

gboolean
pb_account_webmail_is_valid (const char *address)
{
  g_autoptr(GUri) uri = NULL;

  if (address == NULL || strlen (address) > 2048)
    return FALSE;
  uri = g_uri_parse (address, G_URI_FLAGS_NONE, NULL);
  /* A web address for a browser: nothing a handler would run (file:, a
   * program's own scheme), and no password in it. */
  return uri != NULL && g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' &&
         g_uri_get_userinfo (uri) == NULL;
}

const char *
pb_account_get_webmail (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), NULL);

  return self->webmail;
}

void
pb_account_set_webmail (PbAccount  *self,
                        const char *address)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));
  g_return_if_fail (address == NULL || pb_account_webmail_is_valid (address));

  if (replace_string (&self->webmail, address))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WEBMAIL]);
}

PbAccount *
pb_account_copy (PbAccount  *account,
                 const char *id)
{
  PbAccount *copy;

  g_return_val_if_fail (PB_IS_ACCOUNT (account), NULL);

  copy = pb_account_new (id != NULL ? id : account->id);
  copy->display_name = g_strdup (account->display_name);
  copy->host = g_strdup (account->host);
  copy->port = account->port;
  copy->security = account->security;
  copy->user = g_strdup (account->user);
  copy->enabled = account->enabled;
  copy->interval = account->interval;
  copy->ca_file = g_strdup (account->ca_file);
  copy->oauth2_provider = g_strdup (account->oauth2_provider);
  copy->notify_new_mail = account->notify_new_mail;
  g_free (copy->sound);
  copy->sound = g_strdup (account->sound);
  copy->notify_problems = account->notify_problems;
  copy->webmail = g_strdup (account->webmail);
  return copy;
}

gboolean
pb_account_equal (PbAccount *a,
                  PbAccount *b)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (a) && PB_IS_ACCOUNT (b), FALSE);

  return g_strcmp0 (a->id, b->id) == 0 &&
         g_strcmp0 (a->display_name, b->display_name) == 0 &&
         g_strcmp0 (a->host, b->host) == 0 &&
         pb_account_get_port (a) == pb_account_get_port (b) &&
         a->security == b->security &&
         g_strcmp0 (a->user, b->user) == 0 &&
         a->enabled == b->enabled &&
         a->interval == b->interval &&
         g_strcmp0 (a->ca_file, b->ca_file) == 0 &&
         g_strcmp0 (a->oauth2_provider, b->oauth2_provider) == 0 &&
         a->notify_new_mail == b->notify_new_mail &&
         g_strcmp0 (a->sound, b->sound) == 0 &&
         a->notify_problems == b->notify_problems &&
         g_strcmp0 (a->webmail, b->webmail) == 0;
}

gboolean
pb_account_same_mailbox (PbAccount *a,
                         PbAccount *b)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (a) && PB_IS_ACCOUNT (b), FALSE);

  return g_strcmp0 (a->host, b->host) == 0 &&
         pb_account_get_port (a) == pb_account_get_port (b) &&
         g_strcmp0 (a->user, b->user) == 0;
}

gboolean
pb_oauth2_provider_id_is_valid (const char *id)
{
  /* The same rule as account IDs: it names a group of oauth2.ini. */
  return pb_account_id_is_valid (id);
}

const char *
pb_account_get_oauth2_provider (PbAccount *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT (self), NULL);

  return self->oauth2_provider;
}

void
pb_account_set_oauth2_provider (PbAccount  *self,
                                const char *provider)
{
  g_return_if_fail (PB_IS_ACCOUNT (self));

  if (replace_string (&self->oauth2_provider, provider))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OAUTH2_PROVIDER]);
}
