/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-account-wizard"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "app/core/pb-checker.h"
#include "app/core/pb-error.h"
#include "app/core/pb-goa.h"
#include "app/core/pb-oauth2-provider.h"
#include "app/core/pb-oauth2-sign-in.h"
#include "app/core/pb-oauth2-tokens.h"
#include "app/core/pb-pop3-client.h"
#include "app/core/pb-secret-store.h"
#include "app/core/pb-settings.h"
#include "app/shell/pb-autostart.h"
#include "app/shell/pb-describe.h"
#include "pb-accessible.h"
#include "pb-account-wizard.h"
#include "pb-trust-dialog.h"

#define ID_MAX_BASE 56   /* leaves room for "-NNN" within the 64 an ID may have */

typedef enum
{
  PROBLEM_SEARCH,      /* the search failed: "Try Again" searches again */
  PROBLEM_UNSAFE,      /* only plaintext: nothing to try again */
  PROBLEM_TEST,        /* the live test failed: "Try Again" tests again */
  PROBLEM_SIGN_IN,     /* the server refused the sign-in: "Try Again" signs in again */
} ProblemKind;

/* What the sign-in page's main button does. */
typedef enum
{
  SIGN_IN_OWN,             /* Popbell's own sign-in, in the browser */
  SIGN_IN_ONLINE_ACCOUNTS, /* GNOME Online Accounts has the account and signs in */
  SIGN_IN_CHECK_AGAIN,     /* no client ID: look again (the account may have been added to
                            * Online Accounts meanwhile) */
  SIGN_IN_NONE,            /* nothing to press: the text says what else works */
} SignInMode;

struct _PbAccountWizard
{
  GtkWindow            parent_instance;

  PbMonitor           *monitor;

  /* The search options, and the strings and objects they point to. */
  PbAutoconfigOptions  options;
  char                *autoconfig_url;
  char                *wellknown_url;
  char                *ispdb_url;
  char                *probe_ca_file;
  GTlsDatabase        *http_tls_database;
  GResolver           *resolver;

  /* The step under way (search, test or saving); cancelled by closing and
   * by going back. */
  GCancellable        *cancellable;
  PbServerCandidate   *candidate;        /* the server found or entered */
  gboolean             manual;           /* ... entered on the manual page */
  ProblemKind          problem;
  PbAutoconfigSource   last_source;
  GtkWidget           *last_step;        /* the progress line under way */

  /* A certificate the user trusted in the review, for exactly this server;
   * pinned in trust.ini only when the account is saved. */
  GTlsCertificate     *trusted_certificate;
  char                *trusted_host;
  guint16              trusted_port;

  /* An OAuth2 sign-in instead of a password. */
  PbOAuth2Provider    *sign_in_provider;
  SignInMode           sign_in_mode;
  PbOAuth2Tokens      *sign_in_tokens;   /* what the sign-in gave (no refresh token when
                                          * Online Accounts signs in) */
  gboolean             signing_in;       /* waiting for the browser */
  GStrv                sign_in_ids;      /* the sign-in dropdown's providers; "" first: a
                                          * password */

  PbCheckResult       *facts;            /* of the test that succeeded */
  PbPop3Listing       *baseline;         /* what that test found on the server */
  gboolean             saving;

  GtkWidget           *back_button;
  GtkWidget           *cancel_button;
  GtkWidget           *primary_button;
  GtkStack            *stack;
  GtkEditable         *name_entry;
  GtkEditable         *address_entry;
  GtkEditable         *password_entry;
  GtkWidget           *manual_button;
  GtkSpinner          *finding_spinner;
  GtkLabel            *finding_address;
  GtkWidget           *finding_steps;
  GtkLabel            *confirm_host;
  GtkLabel            *confirm_text;
  GtkLabel            *confirm_failures;
  GtkWidget           *confirm_manual_button;
  GtkLabel            *manual_note;
  GtkEditable         *host_entry;
  GtkDropDown         *security_dropdown;
  GtkSpinButton       *port_spin;
  GtkEditable         *user_entry;
  GtkEditable         *manual_password_entry;
  GtkLabel            *address_sign_in_hint;
  GtkWidget           *sign_in_label;
  GtkDropDown         *sign_in_dropdown;
  GtkLabel            *sign_in_title;
  GtkLabel            *sign_in_text;
  GtkWidget           *sign_in_waiting;
  GtkSpinner          *sign_in_spinner;
  GtkLabel            *sign_in_problem;
  GtkLinkButton       *sign_in_help_link;
  GtkWidget           *sign_in_password_button;
  GtkSpinner          *checking_spinner;
  GtkLabel            *checking_detail;
  GtkLabel            *password_message;
  GtkWidget           *app_password_box;
  GtkLabel            *app_password_label;
  GtkLinkButton       *app_password_link;
  GtkEditable         *retry_password_entry;
  GtkWidget           *trust_box;
  GtkImage            *problem_icon;
  GtkLabel            *problem_title;
  GtkLabel            *problem_text;
  GtkWidget           *problem_manual_button;
  GtkWidget           *problem_retry_button;
  GtkLabel            *done_text;
  GtkLabel            *summary_name;
  GtkLabel            *summary_address;
  GtkLabel            *summary_user;
  GtkLabel            *summary_server;
  GtkLabel            *summary_protection;
  GtkLabel            *summary_name_label;
  GtkLabel            *summary_address_label;
  GtkLabel            *summary_user_label;
  GtkLabel            *summary_server_label;
  GtkLabel            *summary_protection_label;
  GtkLabel            *done_problem;
  GtkCheckButton      *autostart_check;  /* the first run's "Start Popbell when I log in" */
  GtkCheckButton      *webmail_check;    /* the provider's webmail instead of a mail client */
  GSettings           *settings;
};

G_DEFINE_FINAL_TYPE (PbAccountWizard, pb_account_wizard, GTK_TYPE_WINDOW)

/* ---- Small helpers --------------------------------------------------------- */

static char *
entry_text (GtkEditable *editable)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (editable)));
}

static const char *
password (PbAccountWizard *self)
{
  return gtk_editable_get_text (self->password_entry);
}

/* The one rule of the core for names (pb-account.h). */
static gboolean
is_host_name (const char *text)
{
  g_autofree char *ascii = pb_host_name_normalize (text, NULL);

  return ascii != NULL;
}

static gboolean
is_user_name (const char *text)
{
  return pb_user_name_check (text, NULL);
}

static gboolean
is_address (const char *text)
{
  g_autofree char *domain = NULL;

  if (!is_user_name (text) || strchr (text, ' ') != NULL)
    return FALSE;
  domain = pb_autoconfig_get_domain (text);
  return domain != NULL;
}

static PbSecurity
selected_security (PbAccountWizard *self)
{
  return gtk_drop_down_get_selected (self->security_dropdown) == 1 ? PB_SECURITY_STARTTLS
                                                                    : PB_SECURITY_TLS;
}

static const char *
security_name (PbSecurity security)
{
  return security == PB_SECURITY_STARTTLS ? "STARTTLS" : "TLS";
}

/* The built-in provider entry of the typed address, when an OAuth2 provider
 * signs in to its server; NULL otherwise. */
static PbServerCandidate *
address_sign_in_provider (PbAccountWizard *self)
{
  g_autofree char *address = entry_text (self->address_entry);
  PbServerCandidate *entry;

  if (!is_address (address))
    return NULL;
  entry = pb_autoconfig_lookup_provider (address);
  if (entry != NULL && entry->oauth2_provider == NULL)
    g_clear_pointer (&entry, pb_server_candidate_free);
  return entry;
}

/* The provider the manual page's dropdown chose, or NULL for a password. */
static const char *
manual_sign_in_provider (PbAccountWizard *self)
{
  guint selected = gtk_drop_down_get_selected (self->sign_in_dropdown);

  if (self->sign_in_ids == NULL || selected == 0 || selected == GTK_INVALID_LIST_POSITION ||
      selected >= g_strv_length (self->sign_in_ids))
    return NULL;
  return self->sign_in_ids[selected];
}

/* Under the password: where the provider signs in instead. */
static void
update_sign_in_hint (PbAccountWizard *self)
{
  g_autoptr(PbServerCandidate) entry = address_sign_in_provider (self);
  g_autoptr(PbOAuth2Provider) provider = NULL;
  g_autofree char *hint = NULL;
  const char *name;

  if (entry != NULL)
    provider = pb_oauth2_provider_lookup (entry->oauth2_provider, NULL);
  if (provider == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->address_sign_in_hint), FALSE);
      return;
    }
  name = entry->provider_name != NULL ? entry->provider_name : provider->name;
  if (entry->oauth2_only)
    /* Translators: a provider ("Outlook.com"), then who signs in ("Microsoft"). */
    hint = g_strdup_printf (_("%s takes no password: you sign in with %s in the next step."),
                            name, provider->name);
  else
    /* Translators: who signs in ("Google"). */
    hint = g_strdup_printf (_("Leave the password empty to sign in with %s in the next step, or "
                              "type an app password."), provider->name);
  gtk_label_set_text (self->address_sign_in_hint, hint);
  gtk_widget_set_visible (GTK_WIDGET (self->address_sign_in_hint), TRUE);
}

/* A new step: whatever ran before is cancelled and its results ignored. */
static GCancellable *
restart_cancellable (PbAccountWizard *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  return self->cancellable;
}

static void
cancel_step (PbAccountWizard *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

/* The header bar follows the page: Back where there is somewhere to go back
 * to, the main button with the page's label and only when it can act. */
static void
update_buttons (PbAccountWizard *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);
  const char *label = NULL;
  gboolean enabled = FALSE;

  if (g_strcmp0 (page, "address") == 0)
    {
      g_autofree char *address = entry_text (self->address_entry);

      label = _("C_ontinue");
      enabled = is_address (address) && *password (self) != '\0';
      /* A provider that signs in with OAuth2 needs no password here. */
      if (!enabled && is_address (address))
        {
          g_autoptr(PbServerCandidate) entry = address_sign_in_provider (self);

          enabled = entry != NULL;
        }
    }
  else if (g_strcmp0 (page, "manual") == 0)
    {
      g_autofree char *host = entry_text (self->host_entry);
      g_autofree char *user = entry_text (self->user_entry);
      gboolean oauth2 = manual_sign_in_provider (self) != NULL;

      label = _("C_ontinue");
      enabled = is_host_name (host) && is_user_name (user) &&
                (*password (self) != '\0' || oauth2);
      gtk_widget_set_sensitive (GTK_WIDGET (self->manual_password_entry), !oauth2);
    }
  else if (g_strcmp0 (page, "sign-in") == 0)
    {
      if (self->sign_in_mode == SIGN_IN_OWN)
        {
          /* Translators: the page's title says with whom ("Sign In with
           * Google"); the header bar has no room to say it again. */
          label = _("_Sign In…");
        }
      else if (self->sign_in_mode == SIGN_IN_ONLINE_ACCOUNTS)
        label = _("C_ontinue");
      else if (self->sign_in_mode == SIGN_IN_CHECK_AGAIN)
        label = _("_Check Again");
      enabled = !self->signing_in;
    }
  else if (g_strcmp0 (page, "password") == 0)
    {
      label = _("_Try Again");
      enabled = *password (self) != '\0';
    }
  else if (g_strcmp0 (page, "confirm") == 0)
    {
      label = _("_Use This Server");
      enabled = TRUE;
    }
  else if (g_strcmp0 (page, "done") == 0)
    {
      label = _("_Done");
      enabled = !self->saving;
    }

  if (label != NULL)
    gtk_button_set_label (GTK_BUTTON (self->primary_button), label);
  gtk_widget_set_visible (self->primary_button, label != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.next", label != NULL && enabled);
  gtk_widget_set_visible (self->back_button, g_strcmp0 (page, "address") != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.back", !self->saving);
}

static void
show_page (PbAccountWizard *self,
           const char      *name,
           GtkWidget       *focus)
{
  GtkWidget *page = gtk_stack_get_child_by_name (self->stack, name);

  g_assert (page != NULL);
  /* Unfocused first: GTK 4.8 leaves the cursor of an entry blinking (and
   * warning) when it is hidden under it. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_stack_set_visible_child (self->stack, page);
  gtk_spinner_set_spinning (self->finding_spinner, g_str_equal (name, "finding"));
  gtk_spinner_set_spinning (self->checking_spinner, g_str_equal (name, "checking"));
  update_buttons (self);
  if (focus != NULL)
    gtk_widget_grab_focus (focus);
  else if (gtk_widget_get_visible (self->primary_button))
    gtk_widget_grab_focus (self->primary_button);
}

static void
show_problem (PbAccountWizard *self,
              ProblemKind      kind,
              const char      *icon,
              const char      *title,
              const char      *text)
{
  self->problem = kind;
  gtk_image_set_from_icon_name (self->problem_icon, icon);
  gtk_label_set_text (self->problem_title, title);
  gtk_label_set_text (self->problem_text, text);
  gtk_widget_set_visible (self->problem_retry_button, kind != PROBLEM_UNSAFE);
  show_page (self, "problem", kind == PROBLEM_UNSAFE ? self->problem_manual_button
                                                     : self->problem_retry_button);
}

/* ---- 3. The live test ------------------------------------------------------ */

static void start_test (PbAccountWizard *self);

/* The provider's webmail instead of a mail client: offered when the provider
 * has one, and chosen already when there is no mail client to open. */
static void
show_webmail_choice (PbAccountWizard *self)
{
  const PbServerCandidate *c = self->candidate;
  g_autofree char *label = NULL;
  g_autofree char *command = NULL;
  g_autoptr(GAppInfo) mailer = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->webmail_check), c != NULL && c->webmail != NULL);
  if (c == NULL || c->webmail == NULL)
    return;

  /* Translators: %s is a provider such as "Gmail" or "BIGLOBE". */
  label = g_strdup_printf (_("Open %s in the _web browser instead of a mail client"),
                           c->provider_name != NULL ? c->provider_name : c->host);
  gtk_check_button_set_label (self->webmail_check, label);
  command = g_settings_get_string (self->settings, PB_SETTINGS_MAIL_CLIENT);
  mailer = g_app_info_get_default_for_uri_scheme ("mailto");
  gtk_check_button_set_active (self->webmail_check, *g_strstrip (command) == '\0' && mailer == NULL);
}

/* A line of the summary is its caption and its value, in a box of their own. */
static void
show_row (GtkWidget *value,
          gboolean   visible)
{
  gtk_widget_set_visible (gtk_widget_get_parent (value), visible);
}

static void
show_summary (PbAccountWizard *self)
{
  g_autofree char *name = entry_text (self->name_entry);
  g_autofree char *address = entry_text (self->address_entry);
  g_autofree char *server = NULL;
  g_autofree char *protection = NULL;
  g_autofree char *text = NULL;
  const PbServerCandidate *c = self->candidate;
  guint interval = pb_server_candidate_clamp_interval (c, PB_DEFAULT_INTERVAL_MINUTES);
  const char *shown_name = *name != '\0' ? name : *address != '\0' ? address : c->user;

  gtk_label_set_text (self->summary_name, shown_name);
  gtk_label_set_text (self->summary_address, address);
  show_row (GTK_WIDGET (self->summary_address), *address != '\0');
  gtk_label_set_text (self->summary_user, c->user);
  show_row (GTK_WIDGET (self->summary_user),
            g_strcmp0 (c->user, address) != 0 && g_strcmp0 (c->user, shown_name) != 0);

  /* Translators: the server, its port and how the connection is encrypted:
   * "pop.example.com:995 (TLS)". */
  server = g_strdup_printf (_("%s:%u (%s)"), c->host, c->port, security_name (c->security));
  gtk_label_set_text (self->summary_server, server);

  protection = pb_describe_protection (self->facts, NULL);
  gtk_label_set_text (self->summary_protection, protection != NULL ? protection : "");
  show_row (GTK_WIDGET (self->summary_protection), protection != NULL);

  if (self->sign_in_tokens != NULL)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The connection and the sign-in work. Popbell will "
                                         "check this mailbox every minute and tell you when new "
                                         "mail arrives.",
                                         "The connection and the sign-in work. Popbell will "
                                         "check this mailbox every %u minutes and tell you when "
                                         "new mail arrives.", interval),
                            interval);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The connection and the password work. Popbell will "
                                         "check this mailbox every minute and tell you when new "
                                         "mail arrives.",
                                         "The connection and the password work. Popbell will "
                                         "check this mailbox every %u minutes and tell you when "
                                         "new mail arrives.", interval),
                            interval);
  if (interval > PB_DEFAULT_INTERVAL_MINUTES)
    {
      g_autofree char *why = NULL;
      char *joined;

      /* Translators: %s is a provider such as "WEB.DE", %u a number of minutes. */
      why = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%s refuses checks more often than every minute, so "
                                          "Popbell checks no more often than that.",
                                          "%s refuses checks more often than every %u minutes, "
                                          "so Popbell checks no more often than that.",
                                          interval),
                             c->provider_name != NULL ? c->provider_name : c->host, interval);
      joined = g_strconcat (text, " ", why, NULL);
      g_free (text);
      text = joined;
    }
  gtk_label_set_text (self->done_text, text);
  gtk_widget_set_visible (GTK_WIDGET (self->done_problem), FALSE);
  /* Asked once, when the first account is set up; the preferences have it after. */
  gtk_check_button_set_active (self->autostart_check,
                               g_settings_get_boolean (self->settings,
                                                       PB_SETTINGS_START_AT_LOGIN));
  gtk_widget_set_visible (GTK_WIDGET (self->autostart_check),
                          !pb_autostart_was_chosen (self->settings));
  show_webmail_choice (self);
  show_page (self, "done", NULL);
}

/* A provider known to want an app password for POP3 says so after a refused
 * login, whichever way its server was found. */
static PbServerCandidate *
app_password_provider (PbAccountWizard *self)
{
  g_autofree char *address = entry_text (self->address_entry);
  PbServerCandidate *provider;

  if (self->candidate->needs_app_password)
    return pb_server_candidate_copy (self->candidate);
  if (!is_address (address))
    return NULL;
  provider = pb_autoconfig_lookup_provider (address);
  if (provider != NULL && !provider->needs_app_password)
    g_clear_pointer (&provider, pb_server_candidate_free);
  return provider;
}

static void
show_auth_failed (PbAccountWizard *self,
                  const GError    *error)
{
  g_autoptr(PbServerCandidate) provider = app_password_provider (self);

  /* The server's words, as plain text: never markup. */
  gtk_label_set_text (self->password_message, error->message);
  gtk_widget_set_visible (self->app_password_box, provider != NULL);
  if (provider != NULL)
    {
      g_autofree char *note = NULL;
      const char *name = provider->provider_name ? provider->provider_name : provider->host;

      /* Translators: %s is a provider such as "Gmail". */
      note = g_strdup_printf (_("%s needs an app password for POP3: a separate password made "
                                "for mail programs in your account’s security settings. Your "
                                "usual password does not work here."), name);
      gtk_label_set_text (self->app_password_label, note);
      gtk_widget_set_visible (GTK_WIDGET (self->app_password_link), provider->help_url != NULL);
      if (provider->help_url != NULL)
        gtk_link_button_set_uri (self->app_password_link, provider->help_url);
    }
  show_page (self, "password", GTK_WIDGET (self->retry_password_entry));
  gtk_editable_select_region (self->retry_password_entry, 0, -1);
}

static void
on_trust_decided (PbTrustDialog *dialog,
                  gboolean       trusted,
                  gpointer       user_data)
{
  PbAccountWizard *self = user_data;

  if (!trusted)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (_("Popbell connects to %s only when its certificate is verified "
                                "or you trust it. Ask your provider which certificate its "
                                "server uses, or set up another server."),
                              pb_trust_dialog_get_host (dialog));
      show_problem (self, PROBLEM_TEST, "security-low-symbolic",
                    _("Certificate Not Trusted"), text);
      return;
    }

  g_set_object (&self->trusted_certificate, pb_trust_dialog_get_certificate (dialog));
  g_free (self->trusted_host);
  self->trusted_host = g_strdup (pb_trust_dialog_get_host (dialog));
  self->trusted_port = pb_trust_dialog_get_port (dialog);
  start_test (self);
}

static void
show_trust (PbAccountWizard *self,
            PbPop3Client    *client)
{
  PbTrustStore *pins = pb_monitor_get_trust_store (self->monitor);
  const char *host = pb_pop3_client_get_host (client);
  guint16 port = pb_pop3_client_get_port (client);
  GTlsCertificate *certificate = pb_pop3_client_get_peer_certificate (client);
  g_autoptr(GTlsCertificate) pinned = pb_trust_store_get_certificate (pins, host, port);
  GtkWidget *child;
  PbTrustDialog *dialog;

  /* The certificate asked about before may still hold the focus (its "Don't
   * Trust"): GTK 4.8 keeps pointing at a focused widget removed under it,
   * and a later focus change asks whether the freed widget is an ancestor. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  while ((child = gtk_widget_get_first_child (self->trust_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->trust_box), child);

  dialog = pb_trust_dialog_new (host, port, certificate,
                                pb_pop3_client_get_certificate_errors (client),
                                pinned, pinned ? pb_trust_store_get_pinned_at (pins, host, port)
                                               : NULL);
  gtk_widget_set_vexpand (GTK_WIDGET (dialog), TRUE);
  g_signal_connect_object (dialog, "decided", G_CALLBACK (on_trust_decided), self, 0);
  gtk_box_append (GTK_BOX (self->trust_box), GTK_WIDGET (dialog));
  /* Its safe choice, "Don't Trust", takes the focus: Enter must not trust. */
  show_page (self, "trust", GTK_WIDGET (dialog));
}

/* What the test found, in the form the descriptions of pb-describe.h read:
 * the checker's own record of a connection. */
static PbCheckResult *
collect_facts (PbPop3Client *client)
{
  PbCheckResult *facts = g_new0 (PbCheckResult, 1);

  pb_check_result_set_connection (facts, client);
  return facts;
}

typedef struct
{
  PbAccountWizard *self;
  GCancellable    *cancellable;
} Step;

static Step *
step_new (PbAccountWizard *self)
{
  Step *step = g_new0 (Step, 1);

  step->self = g_object_ref (self);
  step->cancellable = g_object_ref (self->cancellable);
  return step;
}

static void
step_free (Step *step)
{
  g_object_unref (step->self);
  g_object_unref (step->cancellable);
  g_free (step);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Step, step_free)

/* FALSE when the step was cancelled (closed, or left with Back): its result
 * must not touch the wizard any more. */
static gboolean
step_is_current (Step *step)
{
  return !g_cancellable_is_cancelled (step->cancellable) && step->self->stack != NULL;
}

static void
test_failed (PbAccountWizard *self,
             const GError    *error)
{
  g_debug ("Test of %s:%u failed: %s", self->candidate->host, self->candidate->port,
           error->message);
  show_problem (self, PROBLEM_TEST, "network-error-symbolic",
                _("Could Not Connect"), error->message);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  PbPop3Client *client = PB_POP3_CLIENT (source);
  PbAccountWizard *self = step->self;
  g_autoptr(PbPop3Listing) listing = NULL;
  g_autoptr(GError) error = NULL;

  listing = pb_pop3_client_login_finish (client, result, &error);
  if (!step_is_current (step))
    return;

  if (listing == NULL)
    {
      if (self->sign_in_tokens != NULL &&
          (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED) ||
           g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_TOKEN_REJECTED)))
        {
          g_autofree char *text = NULL;

          /* Translators: the server's refusal, then the user name. */
          text = g_strdup_printf (_("%s Sign in with the account of %s."), error->message,
                                  self->candidate->user);
          show_problem (self, PROBLEM_SIGN_IN, "dialog-password-symbolic",
                        _("The Server Refused the Sign-In"), text);
        }
      else if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_AUTH_FAILED))
        show_auth_failed (self, error);
      else
        test_failed (self, error);
      return;
    }

  g_clear_pointer (&self->facts, pb_check_result_free);
  self->facts = collect_facts (client);
  /* What is on the server now is what the account has seen: mail that comes
   * after it is added is new, however late its first check runs. */
  g_clear_pointer (&self->baseline, pb_pop3_listing_free);
  self->baseline = g_steal_pointer (&listing);
  pb_pop3_client_quit (client);
  show_summary (self);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Step *step = user_data;
  PbPop3Client *client = PB_POP3_CLIENT (source);
  PbAccountWizard *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;

  if (!pb_pop3_client_connect_finish (client, result, &error) || !step_is_current (step))
    {
      if (step_is_current (step))
        {
          if (g_error_matches (error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE) &&
              pb_pop3_client_get_peer_certificate (client) != NULL)
            show_trust (self, client);
          else
            test_failed (self, error);
        }
      step_free (step);
      return;
    }

  /* The server is named again here: this is where the password goes.
   * Translators: the server ("pop.example.com"), then the user name. */
  detail = g_strdup_printf (_("Logging in to %s as %s…"), self->candidate->host,
                            self->candidate->user);
  gtk_label_set_text (self->checking_detail, detail);
  if (self->sign_in_tokens != NULL)
    pb_pop3_client_login_bearer_async (client, self->candidate->user,
                                       self->sign_in_tokens->access_token, step->cancellable,
                                       on_logged_in, step);
  else
    pb_pop3_client_login_async (client, self->candidate->user, password (self),
                                step->cancellable, on_logged_in, step);
}

/* Pins for the test only: the one trust.ini has for this server, and the
 * certificate the user trusted in this wizard. Nothing of it is saved. */
static PbTrustStore *
test_pins (PbAccountWizard *self)
{
  PbTrustStore *saved = pb_monitor_get_trust_store (self->monitor);
  const char *host = self->candidate->host;
  guint16 port = self->candidate->port;
  g_autoptr(GTlsCertificate) pinned = pb_trust_store_get_certificate (saved, host, port);
  g_autofree char *dir = g_build_filename (g_get_user_runtime_dir (), "popbell-wizard", NULL);
  g_autofree char *path = g_build_filename (dir, "unsaved-trust.ini", NULL);
  PbTrustStore *pins = pb_trust_store_new (path);

  if (pinned != NULL)
    pb_trust_store_add (pins, host, port, pinned);
  if (self->trusted_certificate != NULL && self->trusted_port == port &&
      g_ascii_strcasecmp (self->trusted_host, host) == 0)
    pb_trust_store_add (pins, host, port, self->trusted_certificate);
  return pins;
}

static void
start_test (PbAccountWizard *self)
{
  g_autoptr(PbPop3Client) client = NULL;
  g_autoptr(PbTrustStore) pins = NULL;
  g_autoptr(PbAccount) probe = NULL;
  g_autofree char *detail = NULL;
  const PbServerCandidate *c = self->candidate;

  g_assert (c != NULL);
  /* Every way here checks first: a password never goes where it must be refused. */
  g_return_if_fail ((!c->oauth2_only || self->sign_in_tokens != NULL) && c->user != NULL);
  restart_cancellable (self);

  /* Translators: the server, its port and the encryption: "Connecting to
   * pop.example.com:995 (TLS)…". */
  detail = g_strdup_printf (_("Connecting to %s:%u (%s)…"), c->host, c->port,
                            security_name (c->security));
  gtk_label_set_text (self->checking_detail, detail);
  show_page (self, "checking", NULL);

  pins = test_pins (self);
  /* The connection as every check of the account will make it. */
  probe = pb_account_new ("wizard-test");
  pb_account_set_host (probe, c->host);
  pb_account_set_port (probe, c->port);
  pb_account_set_security (probe, c->security);
  pb_account_set_user (probe, c->user);
  pb_account_set_ca_file (probe, self->probe_ca_file);
  client = pb_checker_client_new (probe, pins, PB_ACCOUNT_WIZARD_TEST_TIMEOUT);
  g_debug ("Testing %s:%u (%s) as %s", c->host, c->port, security_name (c->security), c->user);
  pb_pop3_client_connect_async (client, self->cancellable, on_connected, step_new (self));
}

/* ---- 2. Finding the server ------------------------------------------------- */

static void
add_step_line (PbAccountWizard *self,
               const char      *text)
{
  GtkWidget *row = g_object_new (GTK_TYPE_BOX, "spacing", 8,
                                 "accessible-role", GTK_ACCESSIBLE_ROLE_LIST_ITEM, NULL);
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *label = gtk_label_new (text);

  /* The line before is over: its source had nothing. */
  if (self->last_step != NULL)
    {
      gtk_spinner_stop (GTK_SPINNER (gtk_widget_get_first_child (self->last_step)));
      gtk_widget_add_css_class (self->last_step, "dim-label");
    }

  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("In progress"), -1);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 44);
  gtk_box_append (GTK_BOX (row), spinner);
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (self->finding_steps), row);
  self->last_step = row;
}

static void
on_progress (PbAutoconfigSource  source,
             const char         *detail,
             gpointer            user_data)
{
  Step *step = user_data;
  PbAccountWizard *self = step->self;
  g_autofree char *address = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *text = NULL;

  if (!step_is_current (step))
    return;

  address = entry_text (self->address_entry);
  domain = pb_autoconfig_get_domain (address);

  /* One line per source; probing says which server it tries. */
  if (self->last_step != NULL && source == self->last_source &&
      source != PB_AUTOCONFIG_SOURCE_PROBE && source != PB_AUTOCONFIG_SOURCE_MX)
    return;
  self->last_source = source;

  switch (source)
    {
    case PB_AUTOCONFIG_SOURCE_PROVIDER_LIST:
      text = g_strdup (_("Looking in Popbell’s list of providers"));
      break;
    case PB_AUTOCONFIG_SOURCE_AUTOCONFIG:
      /* Translators: %s is a mail domain such as "example.com". */
      text = g_strdup_printf (_("Asking %s for its settings"), domain ? domain : detail);
      break;
    case PB_AUTOCONFIG_SOURCE_ISPDB:
      text = g_strdup (_("Asking the Thunderbird ISPDB"));
      break;
    case PB_AUTOCONFIG_SOURCE_SRV:
      text = g_strdup (_("Looking up DNS service records"));
      break;
    case PB_AUTOCONFIG_SOURCE_PROBE:
    case PB_AUTOCONFIG_SOURCE_MX:
      /* Translators: %s is a server such as "pop.example.com". */
      text = g_strdup_printf (_("Trying %s…"), detail ? detail : domain);
      break;
    case PB_AUTOCONFIG_SOURCE_MANUAL:
    default:
      return;
    }
  add_step_line (self, text);
}

/* The HTTPS sources that failed, one line each under a heading; NULL when none did. */
static char *
failures_text (const char * const *failures)
{
  g_autoptr(GString) text = NULL;

  if (failures == NULL || failures[0] == NULL)
    return NULL;

  text = g_string_new (_("A secure source of settings failed:"));
  for (guint i = 0; failures[i] != NULL; i++)
    {
      g_string_append (text, "\n");
      g_string_append (text, failures[i]);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The server came from a source anyone on the network could forge: nothing is
 * sent to it until the user, who sees its name and why it is asked, says so. */
static void
show_confirm (PbAccountWizard *self,
              const char      *failures)
{
  const PbServerCandidate *c = self->candidate;
  g_autofree char *server = NULL;

  /* Translators: the server, its port and the encryption: "pop.example.net:995 (TLS)". */
  server = g_strdup_printf (_("%s:%u (%s)"), c->host, c->port, security_name (c->security));
  gtk_label_set_text (self->confirm_host, server);
  gtk_label_set_text (self->confirm_text, c->confirm_text != NULL ? c->confirm_text : "");
  gtk_label_set_text (self->confirm_failures, failures != NULL ? failures : "");
  gtk_widget_set_visible (GTK_WIDGET (self->confirm_failures), failures != NULL);
  g_debug ("Asking before logging in to %s:%u", c->host, c->port);
  show_page (self, "confirm", NULL);
}

/* The provider takes only an OAuth2 sign-in: a password is certain to be refused, so
 * none is sent, and the user is told what to do instead. */
static void
show_oauth2_only (PbAccountWizard         *self,
                  const PbServerCandidate *c)
{
  const char *name = c->provider_name != NULL ? c->provider_name : c->host;
  g_autofree char *text = NULL;

  g_debug ("%s takes only OAuth2, with no provider known: no password login", c->host);
  /* Translators: %s is a provider such as "Example Mail", twice. */
  text = g_strdup_printf (_("%s lets mail programs in only after an OAuth2 sign-in on its own "
                            "web page, and Popbell knows no provider to sign in with there (an "
                            "entry of ~/.config/popbell/oauth2.ini can add one). Your password "
                            "or an app password would be refused, so Popbell won’t send it. "
                            "Have %s forward your mail to a mailbox that takes a password, or "
                            "use a mail program that can sign in with OAuth2."), name, name);
  show_problem (self, PROBLEM_UNSAFE, "dialog-password-symbolic",
                _("This Provider Needs an OAuth2 Sign-In"), text);
}

/* ---- The sign-in (OAuth2) ------------------------------------------------------ */

static void
set_signing_in (PbAccountWizard *self,
                gboolean         signing_in)
{
  self->signing_in = signing_in;
  gtk_widget_set_visible (self->sign_in_waiting, signing_in);
  gtk_spinner_set_spinning (self->sign_in_spinner, signing_in);
  update_buttons (self);
}

static void
show_sign_in_problem (PbAccountWizard *self,
                      const char      *text)
{
  gtk_label_set_text (self->sign_in_problem, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_problem), text != NULL);
}

static void
on_goa_lookup (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  PbAccountWizard *self = step->self;
  PbGoaAvailability availability = pb_goa_lookup_finish (result, NULL);
  g_autofree char *text = NULL;

  if (!step_is_current (step) || availability != PB_GOA_AVAILABLE)
    return;

  /* Translators: %s is an address. */
  text = g_strdup_printf (_("Your Google account %s is in GNOME Online Accounts: Popbell signs "
                            "in through it, and asks nothing more."), self->candidate->user);
  gtk_label_set_text (self->sign_in_text, text);
  gtk_widget_set_visible (self->sign_in_password_button, FALSE);
  self->sign_in_mode = SIGN_IN_ONLINE_ACCOUNTS;
  update_buttons (self);
}

/* The provider @provider_id signs in to the candidate's server: the page
 * that does it, with what works instead when this copy of Popbell can't. */
static void
show_sign_in (PbAccountWizard *self,
              const char      *provider_id)
{
  const PbServerCandidate *c = self->candidate;
  const char *name = c->provider_name != NULL ? c->provider_name : c->host;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;
  PbOAuth2Provider *provider;

  restart_cancellable (self);
  g_clear_pointer (&self->sign_in_tokens, pb_oauth2_tokens_free);
  g_clear_pointer (&self->sign_in_provider, pb_oauth2_provider_free);
  provider = self->sign_in_provider = pb_oauth2_provider_lookup (provider_id, &error);
  if (provider == NULL)
    {
      show_problem (self, PROBLEM_UNSAFE, "dialog-password-symbolic",
                    _("This Provider Needs an OAuth2 Sign-In"), error->message);
      return;
    }

  /* Translators: %s is a provider such as "Google". */
  title = g_strdup_printf (_("Sign In with %s"), provider->name);
  gtk_label_set_text (self->sign_in_title, title);
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_help_link), provider->help_url != NULL);
  if (provider->help_url != NULL)
    gtk_link_button_set_uri (self->sign_in_help_link, provider->help_url);
  gtk_widget_set_visible (self->sign_in_password_button, FALSE);
  show_sign_in_problem (self, NULL);

  if (pb_oauth2_provider_has_client (provider) && provider->authorization_endpoint != NULL)
    {
      /* Translators: a provider ("Outlook.com"), then who signs in ("Microsoft"), twice. */
      text = g_strdup_printf (_("%s lets Popbell check your mail after you sign in with %s on "
                                "its own page, in your browser. Your password goes only to %s, "
                                "never to Popbell."), name, provider->name, provider->name);
      self->sign_in_mode = SIGN_IN_OWN;
    }
  else if (provider->online_accounts)
    {
      /* Never a dead end: Online Accounts, or an app password. */
      text = g_strdup_printf (_("This copy of Popbell has no client ID for signing in with %s "
                                "itself. Add your Google account in Settings → Online Accounts "
                                "and check again: Popbell then signs in through it. Or use an "
                                "app password instead."), provider->name);
      gtk_widget_set_visible (self->sign_in_password_button, !c->oauth2_only);
      self->sign_in_mode = SIGN_IN_CHECK_AGAIN;
    }
  else
    {
      text = g_strdup_printf (_("This copy of Popbell has no client ID for signing in with %s, "
                                "and %s takes no password for POP3. You can give Popbell a "
                                "client ID of your own (client-id= in the [%s] group of "
                                "~/.config/popbell/oauth2.ini); the link below says what else "
                                "%s offers."), provider->name, name, provider->id, name);
      self->sign_in_mode = SIGN_IN_NONE;
    }
  gtk_label_set_text (self->sign_in_text, text);
  set_signing_in (self, FALSE);
  show_page (self, "sign-in", NULL);

  if (provider->online_accounts && c->user != NULL)
    pb_goa_lookup_async (c->user, self->cancellable, on_goa_lookup, step_new (self));
}

static void
on_sign_in_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  PbAccountWizard *self = step->self;
  g_autoptr(GError) error = NULL;
  PbOAuth2Tokens *tokens;

  tokens = pb_oauth2_browser_sign_in_finish (result, &error);
  if (!step_is_current (step))
    {
      pb_oauth2_tokens_free (tokens);
      return;
    }
  set_signing_in (self, FALSE);
  if (tokens == NULL || tokens->refresh_token == NULL)
    {
      show_sign_in_problem (self, error != NULL ? error->message
                                                : _("The provider gave no refresh token, so "
                                                    "Popbell could not stay signed in."));
      pb_oauth2_tokens_free (tokens);
      return;
    }
  self->sign_in_tokens = tokens;
  start_test (self);
}

static void
on_goa_token (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  PbAccountWizard *self = step->self;
  g_autoptr(GError) error = NULL;
  gint64 expires_in = 0;
  char *token;

  token = pb_goa_get_access_token_finish (result, &expires_in, &error);
  if (!step_is_current (step))
    {
      pb_oauth2_token_free (token);
      return;
    }
  set_signing_in (self, FALSE);
  if (token == NULL)
    {
      show_sign_in_problem (self, error->message);
      return;
    }
  self->sign_in_tokens = g_new0 (PbOAuth2Tokens, 1);
  self->sign_in_tokens->access_token = token;
  self->sign_in_tokens->expires_in = expires_in;
  start_test (self);
}

static void
open_url (const char *url,
          gpointer    user_data)
{
  PbAccountWizard *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pb_oauth2_open_in_browser (url, &error))
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (_("No browser opened the sign-in page (%s). Open this address in "
                                "a browser on this computer: %s"), error->message, url);
      show_sign_in_problem (self, text);
    }
}

static void
start_sign_in (PbAccountWizard *self)
{
  g_clear_pointer (&self->sign_in_tokens, pb_oauth2_tokens_free);
  switch (self->sign_in_mode)
    {
    case SIGN_IN_OWN:
      restart_cancellable (self);
      show_sign_in_problem (self, NULL);
      set_signing_in (self, TRUE);
      pb_oauth2_browser_sign_in_async (self->sign_in_provider, self->candidate->user, 0,
                                       open_url, self, self->cancellable, on_sign_in_done,
                                       step_new (self));
      break;
    case SIGN_IN_ONLINE_ACCOUNTS:
      restart_cancellable (self);
      set_signing_in (self, TRUE);
      pb_goa_get_access_token_async (self->candidate->user, self->cancellable, on_goa_token,
                                     step_new (self));
      break;
    case SIGN_IN_CHECK_AGAIN:
      {
        g_autofree char *id = g_strdup (self->sign_in_provider->id);

        show_sign_in (self, id);
      }
      break;
    case SIGN_IN_NONE:
    default:
      break;
    }
}

/* Instead of a sign-in, a password the provider made for mail programs. */
static void
app_password_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  PbAccountWizard *self = PB_ACCOUNT_WIZARD (widget);

  cancel_step (self);
  if (self->manual)
    {
      gtk_drop_down_set_selected (self->sign_in_dropdown, 0);
      show_page (self, "manual", GTK_WIDGET (self->manual_password_entry));
    }
  else
    show_page (self, "address", GTK_WIDGET (self->password_entry));
}

static void
show_no_pop3 (PbAccountWizard *self,
              const char      *address)
{
  g_autoptr(PbServerCandidate) entry = pb_autoconfig_lookup_entry (address, NULL);
  g_autofree char *text = NULL;

  /* Translators: %s is a provider such as "iCloud Mail". */
  text = g_strdup_printf (_("%s offers no POP3: mail programs reach it over IMAP only, so "
                            "Popbell can’t check this mailbox. If the provider can forward "
                            "your mail, forward it to a mailbox with POP3."),
                          entry != NULL && entry->provider_name != NULL ? entry->provider_name
                                                                        : address);
  show_problem (self, PROBLEM_UNSAFE, "mail-unread-symbolic", _("No POP3 at This Provider"),
                text);
}

static void manual_activated (GtkWidget *widget, const char *action_name, GVariant *parameter);

static void
on_found (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  PbAccountWizard *self = step->self;
  g_autoptr(PbServerCandidate) candidate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *text = NULL;
  g_autofree char *failures = NULL;

  candidate = pb_autoconfig_find_finish (result, &error);
  if (!step_is_current (step))
    return;

  failures = failures_text (pb_autoconfig_find_get_failures (result));
  self->last_step = NULL;
  if (candidate != NULL)
    {
      g_debug ("Found %s:%u (%s) from source %d", candidate->host, candidate->port,
               security_name (candidate->security), candidate->source);
      g_clear_pointer (&self->candidate, pb_server_candidate_free);
      self->candidate = g_steal_pointer (&candidate);
      /* Signed in rather than a password: where the server takes only that,
       * or where no password was typed for a provider that signs in. */
      if (self->candidate->oauth2_provider != NULL && self->candidate->user != NULL &&
          (self->candidate->oauth2_only || *password (self) == '\0'))
        show_sign_in (self, self->candidate->oauth2_provider);
      else if (self->candidate->oauth2_only)
        show_oauth2_only (self, self->candidate);
      else if (self->candidate->ask_user)
        manual_activated (GTK_WIDGET (self), NULL, NULL);
      else if (self->candidate->confirm != PB_AUTOCONFIG_CONFIRM_NONE)
        show_confirm (self, failures);
      else
        start_test (self);
      return;
    }

  address = entry_text (self->address_entry);
  domain = pb_autoconfig_get_domain (address);
  g_debug ("No server for %s: %s", domain, error->message);

  if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NO_POP3))
    {
      show_no_pop3 (self, address);
    }
  else if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_ONLY_PLAINTEXT))
    {
      /* Translators: %s is a mail domain such as "example.com". */
      text = g_strdup_printf (_("The mail server of %s only offers unencrypted connections, "
                                "where your password and your mail could be read by anyone on "
                                "the way. Popbell won’t set up such a server. Ask your provider "
                                "for POP3 over TLS."), domain);
      show_problem (self, PROBLEM_UNSAFE, "security-low-symbolic", _("This Server Is Not Safe"),
                    text);
    }
  else if (g_error_matches (error, PB_AUTOCONFIG_ERROR, PB_AUTOCONFIG_ERROR_NOT_FOUND))
    {
      /* Translators: %s is a mail domain such as "example.com". */
      text = g_strdup_printf (_("Popbell could not find a POP3 server for %s. Your provider’s "
                                "help pages give its settings: you can enter them yourself."),
                              domain);
      if (failures != NULL)
        {
          char *joined = g_strconcat (text, "\n\n", failures, NULL);

          g_free (text);
          text = joined;
        }
      show_problem (self, PROBLEM_SEARCH, "edit-find-symbolic", _("No Mail Server Found"), text);
    }
  else
    {
      show_problem (self, PROBLEM_SEARCH, "network-error-symbolic", _("Could Not Search"),
                    error->message);
    }
}

static void
start_finding (PbAccountWizard *self)
{
  g_autofree char *address = entry_text (self->address_entry);
  GtkWidget *child;
  Step *step;

  restart_cancellable (self);
  self->manual = FALSE;
  self->last_step = NULL;
  g_clear_pointer (&self->candidate, pb_server_candidate_free);
  while ((child = gtk_widget_get_first_child (self->finding_steps)) != NULL)
    gtk_box_remove (GTK_BOX (self->finding_steps), child);
  gtk_label_set_text (self->finding_address, address);
  show_page (self, "finding", NULL);

  /* The progress shares the step of the search: it is not called after on_found. */
  step = step_new (self);
  pb_autoconfig_find_async (address, &self->options, on_progress, step, self->cancellable,
                            on_found, step);
}

/* ---- The manual page --------------------------------------------------------- */

/* Follows the security with the port while the port is still a default one. */
static void
on_security_changed (PbAccountWizard *self)
{
  PbSecurity security = selected_security (self);
  PbSecurity other = security == PB_SECURITY_TLS ? PB_SECURITY_STARTTLS : PB_SECURITY_TLS;

  if (gtk_spin_button_get_value_as_int (self->port_spin) == pb_security_default_port (other))
    gtk_spin_button_set_value (self->port_spin, pb_security_default_port (security));
}

static void
manual_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  PbAccountWizard *self = PB_ACCOUNT_WIZARD (widget);
  g_autofree char *address = entry_text (self->address_entry);
  g_autofree char *host = entry_text (self->host_entry);
  g_autofree char *user = entry_text (self->user_entry);

  cancel_step (self);
  gtk_widget_set_visible (GTK_WIDGET (self->manual_note), FALSE);
  /* What is known so far is the best start. */
  if (self->candidate != NULL && self->candidate->ask_user)
    {
      const char *name = self->candidate->provider_name != NULL ? self->candidate->provider_name
                                                                : self->candidate->host;
      g_autofree char *note = NULL;

      gtk_editable_set_text (self->host_entry, self->candidate->host);
      gtk_drop_down_set_selected (self->security_dropdown,
                                  self->candidate->security == PB_SECURITY_STARTTLS ? 1 : 0);
      gtk_spin_button_set_value (self->port_spin, self->candidate->port);
      /* Translators: %s is a provider such as "ASAHI-NET". */
      note = g_strdup_printf (_("The server of %s is filled in. Its user name is not part of "
                                "your address: type the user name %s gave you."), name, name);
      gtk_label_set_text (self->manual_note, note);
      gtk_widget_set_visible (GTK_WIDGET (self->manual_note), TRUE);
      show_page (self, "manual", GTK_WIDGET (self->user_entry));
      return;
    }
  if (self->candidate != NULL && *host == '\0')
    {
      gtk_editable_set_text (self->host_entry, self->candidate->host);
      gtk_drop_down_set_selected (self->security_dropdown,
                                  self->candidate->security == PB_SECURITY_STARTTLS ? 1 : 0);
      gtk_spin_button_set_value (self->port_spin, self->candidate->port);
      if (*user == '\0' && self->candidate->user != NULL)
        gtk_editable_set_text (self->user_entry, self->candidate->user);
    }
  else if (*user == '\0')
    {
      gtk_editable_set_text (self->user_entry, address);
    }
  show_page (self, "manual", GTK_WIDGET (self->host_entry));
}

static void
start_manual_test (PbAccountWizard *self)
{
  g_autofree char *host = entry_text (self->host_entry);
  g_autofree char *user = entry_text (self->user_entry);
  g_autoptr(PbServerCandidate) provider = pb_autoconfig_lookup_provider_by_host (host);
  PbServerCandidate *c = g_new0 (PbServerCandidate, 1);

  /* A provider's server typed by hand keeps what is known about the provider. */
  if (provider != NULL)
    {
      c->provider_name = g_strdup (provider->provider_name);
      c->help_url = g_strdup (provider->help_url);
      c->needs_app_password = provider->needs_app_password;
      c->oauth2_only = provider->oauth2_only;
      c->oauth2_provider = g_strdup (provider->oauth2_provider);
      c->min_interval = provider->min_interval;
    }
  /* The one chosen by hand counts over the provider list's. */
  if (manual_sign_in_provider (self) != NULL)
    {
      g_free (c->oauth2_provider);
      c->oauth2_provider = g_strdup (manual_sign_in_provider (self));
    }
  c->host = g_steal_pointer (&host);
  c->port = (guint16) gtk_spin_button_get_value_as_int (self->port_spin);
  c->security = selected_security (self);
  c->user = g_steal_pointer (&user);
  c->source = PB_AUTOCONFIG_SOURCE_MANUAL;
  g_clear_pointer (&self->candidate, pb_server_candidate_free);
  self->candidate = c;
  self->manual = TRUE;
  g_clear_pointer (&self->sign_in_tokens, pb_oauth2_tokens_free);
  if (c->oauth2_provider != NULL && (c->oauth2_only || manual_sign_in_provider (self) != NULL))
    show_sign_in (self, c->oauth2_provider);
  else if (c->oauth2_only)
    show_oauth2_only (self, c);
  else
    start_test (self);
}

/* ---- 4. Saving --------------------------------------------------------------- */

static void
save_failed (PbAccountWizard *self,
             const char      *message)
{
  self->saving = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->stack), TRUE);
  gtk_label_set_text (self->done_problem, message);
  gtk_widget_set_visible (GTK_WIDGET (self->done_problem), TRUE);
  update_buttons (self);
}

static void
tell_session_only (GtkApplication *application)
{
  GtkWidget *dialog;

  dialog = gtk_message_dialog_new (NULL, 0, GTK_MESSAGE_WARNING, GTK_BUTTONS_CLOSE, "%s",
                                   _("The password is kept for this session only"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
    _("No keyring (Secret Service) is running, so the password could not be stored. "
      "The account was added; Popbell keeps its password in memory until it quits, "
      "never on disk, and will ask for it again next time."));
  gtk_window_set_title (GTK_WINDOW (dialog), "Popbell");
  gtk_window_set_application (GTK_WINDOW (dialog), application);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  Step           *step;
  PbAccount      *account;
  PbOAuth2Tokens *tokens;    /* a copy of the sign-in's, or NULL */
} Save;

static void
save_free (Save *save)
{
  step_free (save->step);
  g_object_unref (save->account);
  pb_oauth2_tokens_free (save->tokens);
  g_free (save);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Save, save_free)

/* The account is in accounts.ini with its password (or one for this
 * session), its pin and its baseline, all or nothing. */
static void
on_account_added (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Save) save = user_data;
  PbAccountAdmin *admin = PB_ACCOUNT_ADMIN (source);
  PbAccountWizard *self = save->step->self;
  const char *id = pb_account_get_id (save->account);
  g_autoptr(GError) error = NULL;
  gboolean session_only = FALSE;
  GtkApplication *application;

  if (!pb_account_admin_add_finish (admin, result, &session_only, &error))
    {
      if (step_is_current (save->step))
        save_failed (self, error->message);
      return;
    }

  g_debug ("Added account %s", id);
  /* Added even if the wizard was closed meanwhile: the monitor takes it. */
  if (self->monitor != NULL)
    {
      pb_trust_store_reload (pb_monitor_get_trust_store (self->monitor), NULL);
      pb_monitor_adopt_account (self->monitor, save->account);
      /* The access token of the sign-in is good now: the first check uses it. */
      if (save->tokens != NULL)
        pb_oauth2_remember_access_token (save->account, save->tokens);
      if (session_only && step_is_current (save->step))
        pb_monitor_set_session_password (self->monitor, id, password (self));
      pb_monitor_check_now (self->monitor, id);
    }
  if (!step_is_current (save->step))
    return;

  application = gtk_window_get_application (GTK_WINDOW (self));
  if (session_only)
    tell_session_only (application);
  self->saving = FALSE;
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
start_saving (PbAccountWizard *self)
{
  g_autofree char *name = entry_text (self->name_entry);
  g_autofree char *address = entry_text (self->address_entry);
  g_autofree char *id = NULL;
  const PbServerCandidate *c = self->candidate;
  PbAccountAddition addition = { 0 };
  PbAccount *account;
  Save *save;

  if (self->saving || c == NULL)
    return;

  if (gtk_widget_get_visible (GTK_WIDGET (self->autostart_check)))
    pb_autostart_choose (self->settings, gtk_check_button_get_active (self->autostart_check));

  /* accounts.ini may have changed since it was loaded (the command line). */
  pb_monitor_reload (self->monitor);
  id = pb_account_wizard_make_id (pb_monitor_get_account_store (self->monitor), name,
                                  *address != '\0' ? address : c->user);

  account = pb_account_new (id);
  pb_account_set_host (account, c->host);
  pb_account_set_port (account, c->port);
  pb_account_set_security (account, c->security);
  pb_account_set_user (account, c->user);
  pb_account_set_display_name (account, *name != '\0' ? name : *address != '\0' ? address
                                                                                : c->user);
  pb_account_set_interval (account, pb_server_candidate_clamp_interval (
                                      c, PB_DEFAULT_INTERVAL_MINUTES));
  if (self->probe_ca_file != NULL)
    pb_account_set_ca_file (account, self->probe_ca_file);
  if (c->webmail != NULL && gtk_check_button_get_active (self->webmail_check))
    pb_account_set_webmail (account, c->webmail);
  if (self->sign_in_tokens != NULL)
    pb_account_set_oauth2_provider (account, self->sign_in_provider->id);

  self->saving = TRUE;
  restart_cancellable (self);
  gtk_widget_set_visible (GTK_WIDGET (self->done_problem), FALSE);
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->stack), FALSE);
  update_buttons (self);

  save = g_new0 (Save, 1);
  save->step = step_new (self);
  save->account = account;

  addition.account = account;
  if (self->sign_in_tokens != NULL)
    {
      /* Without a refresh token, Online Accounts signs in: nothing to store. */
      addition.refresh_token = self->sign_in_tokens->refresh_token;
      save->tokens = g_new0 (PbOAuth2Tokens, 1);
      save->tokens->access_token = g_strdup (self->sign_in_tokens->access_token);
      save->tokens->expires_in = self->sign_in_tokens->expires_in;
    }
  else
    {
      addition.password = password (self);
      addition.allow_session_only = TRUE;
    }
  /* The certificate the user trusted in the review, for exactly this server. */
  if (self->trusted_certificate != NULL && self->trusted_port == c->port &&
      g_ascii_strcasecmp (self->trusted_host, c->host) == 0)
    addition.certificate = self->trusted_certificate;
  /* What the login test found is what the account has seen. */
  addition.baseline = self->baseline;
  /* Not cancelled when the wizard closes: a half-added account is what the
   * transaction avoids, so it runs to its end. */
  pb_account_admin_add_async (pb_monitor_get_admin (self->monitor), &addition, NULL,
                              on_account_added, save);
}

/* ---- Actions ------------------------------------------------------------------ */

static void
next_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PbAccountWizard *self = PB_ACCOUNT_WIZARD (widget);
  const char *page = gtk_stack_get_visible_child_name (self->stack);

  if (g_strcmp0 (page, "address") == 0)
    start_finding (self);
  else if (g_strcmp0 (page, "manual") == 0)
    start_manual_test (self);
  else if (g_strcmp0 (page, "password") == 0)
    start_test (self);
  else if (g_strcmp0 (page, "confirm") == 0)
    start_test (self);
  else if (g_strcmp0 (page, "sign-in") == 0)
    start_sign_in (self);
  else if (g_strcmp0 (page, "done") == 0)
    start_saving (self);
}

static void
back_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PbAccountWizard *self = PB_ACCOUNT_WIZARD (widget);
  const char *page = gtk_stack_get_visible_child_name (self->stack);

  if (self->saving)
    return;
  cancel_step (self);
  g_clear_pointer (&self->sign_in_tokens, pb_oauth2_tokens_free);
  self->signing_in = FALSE;
  if (self->manual && g_strcmp0 (page, "manual") != 0)
    show_page (self, "manual", GTK_WIDGET (self->host_entry));
  else
    show_page (self, "address", GTK_WIDGET (self->address_entry));
}

static void
retry_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  PbAccountWizard *self = PB_ACCOUNT_WIZARD (widget);

  if (self->problem == PROBLEM_SIGN_IN && self->sign_in_provider != NULL)
    {
      g_autofree char *id = g_strdup (self->sign_in_provider->id);

      show_sign_in (self, id);
    }
  else if (self->problem == PROBLEM_TEST && self->candidate != NULL)
    start_test (self);
  else if (self->problem == PROBLEM_SEARCH)
    start_finding (self);
}

/* ---- GObject -------------------------------------------------------------------- */

static gboolean
pb_account_wizard_close_request (GtkWindow *window)
{
  PbAccountWizard *self = PB_ACCOUNT_WIZARD (window);

  /* Closing cancels whatever runs; nothing is saved. */
  cancel_step (self);
  return GTK_WINDOW_CLASS (pb_account_wizard_parent_class)->close_request (window);
}

static void
clear_options (PbAccountWizard *self)
{
  g_clear_pointer (&self->autoconfig_url, g_free);
  g_clear_pointer (&self->wellknown_url, g_free);
  g_clear_pointer (&self->ispdb_url, g_free);
  g_clear_pointer (&self->probe_ca_file, g_free);
  g_clear_pointer (&self->baseline, pb_pop3_listing_free);
  g_clear_object (&self->http_tls_database);
  g_clear_object (&self->resolver);
  memset (&self->options, 0, sizeof self->options);
}

static void
pb_account_wizard_dispose (GObject *object)
{
  PbAccountWizard *self = PB_ACCOUNT_WIZARD (object);

  cancel_step (self);
  self->last_step = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_ACCOUNT_WIZARD);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->candidate, pb_server_candidate_free);
  g_clear_pointer (&self->facts, pb_check_result_free);
  g_clear_object (&self->trusted_certificate);
  g_clear_pointer (&self->trusted_host, g_free);
  g_clear_pointer (&self->sign_in_provider, pb_oauth2_provider_free);
  g_clear_pointer (&self->sign_in_tokens, pb_oauth2_tokens_free);
  g_clear_pointer (&self->sign_in_ids, g_strfreev);
  clear_options (self);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pb_account_wizard_parent_class)->dispose (object);
}

static void
pb_account_wizard_class_init (PbAccountWizardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = pb_account_wizard_dispose;
  window_class->close_request = pb_account_wizard_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/pb-account-wizard.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PbAccountWizard, name)
  BIND (back_button);
  BIND (cancel_button);
  BIND (primary_button);
  BIND (stack);
  BIND (name_entry);
  BIND (address_entry);
  BIND (password_entry);
  BIND (manual_button);
  BIND (finding_spinner);
  BIND (finding_address);
  BIND (finding_steps);
  BIND (confirm_host);
  BIND (confirm_text);
  BIND (confirm_failures);
  BIND (confirm_manual_button);
  BIND (manual_note);
  BIND (host_entry);
  BIND (security_dropdown);
  BIND (port_spin);
  BIND (user_entry);
  BIND (manual_password_entry);
  BIND (address_sign_in_hint);
  BIND (sign_in_label);
  BIND (sign_in_dropdown);
  BIND (sign_in_title);
  BIND (sign_in_text);
  BIND (sign_in_waiting);
  BIND (sign_in_spinner);
  BIND (sign_in_problem);
  BIND (sign_in_help_link);
  BIND (sign_in_password_button);
  BIND (checking_spinner);
  BIND (checking_detail);
  BIND (password_message);
  BIND (app_password_box);
  BIND (app_password_label);
  BIND (app_password_link);
  BIND (retry_password_entry);
  BIND (trust_box);
  BIND (problem_icon);
  BIND (problem_title);
  BIND (problem_text);
  BIND (problem_manual_button);
  BIND (problem_retry_button);
  BIND (done_text);
  BIND (summary_name);
  BIND (summary_address);
  BIND (summary_user);
  BIND (summary_server);
  BIND (summary_protection);
  BIND (summary_name_label);
  BIND (summary_address_label);
  BIND (summary_user_label);
  BIND (summary_server_label);
  BIND (summary_protection_label);
  BIND (done_problem);
  BIND (autostart_check);
  BIND (webmail_check);
#undef BIND

  gtk_widget_class_install_action (widget_class, "wizard.next", NULL, next_activated);
  gtk_widget_class_install_action (widget_class, "wizard.back", NULL, back_activated);
  gtk_widget_class_install_action (widget_class, "wizard.manual", NULL, manual_activated);
  gtk_widget_class_install_action (widget_class, "wizard.retry", NULL, retry_activated);
  gtk_widget_class_install_action (widget_class, "wizard.app-password", NULL,
                                   app_password_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

/* A password, or one of the providers that sign in (built in, oauth2.ini). */
static void
fill_sign_in_dropdown (PbAccountWizard *self)
{
  g_auto(GStrv) ids = pb_oauth2_provider_list ();
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  GtkStringList *names = gtk_string_list_new (NULL);

  gtk_string_list_append (names, _("A password"));
  g_strv_builder_add (kept, "");
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(PbOAuth2Provider) provider = pb_oauth2_provider_lookup (ids[i], NULL);

      if (provider == NULL)
        continue;
      gtk_string_list_append (names, provider->name);
      g_strv_builder_add (kept, ids[i]);
    }
  g_clear_pointer (&self->sign_in_ids, g_strfreev);
  self->sign_in_ids = g_strv_builder_end (kept);
  gtk_drop_down_set_model (self->sign_in_dropdown, G_LIST_MODEL (names));
  g_object_unref (names);
  gtk_drop_down_set_selected (self->sign_in_dropdown, 0);
}

static void
pb_account_wizard_init (PbAccountWizard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (PB_SETTINGS_SCHEMA);
  pb_accessible_fix_names (GTK_WIDGET (self));
  pb_accessible_name_value (self->summary_name, self->summary_name_label);
  pb_accessible_name_value (self->summary_address, self->summary_address_label);
  pb_accessible_name_value (self->summary_user, self->summary_user_label);
  pb_accessible_name_value (self->summary_server, self->summary_server_label);
  pb_accessible_name_value (self->summary_protection, self->summary_protection_label);

  /* One password, typed on whichever page asks for it. */
  g_object_bind_property (self->password_entry, "text", self->manual_password_entry, "text",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->password_entry, "text", self->retry_password_entry, "text",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);

  g_signal_connect_swapped (self->security_dropdown, "notify::selected",
                            G_CALLBACK (on_security_changed), self);
  g_signal_connect_swapped (self->address_entry, "changed", G_CALLBACK (update_buttons), self);
  g_signal_connect_swapped (self->address_entry, "changed", G_CALLBACK (update_sign_in_hint),
                            self);
  g_signal_connect_swapped (self->sign_in_dropdown, "notify::selected",
                            G_CALLBACK (update_buttons), self);
  fill_sign_in_dropdown (self);
  g_signal_connect_swapped (self->password_entry, "changed", G_CALLBACK (update_buttons), self);
  g_signal_connect_swapped (self->host_entry, "changed", G_CALLBACK (update_buttons), self);
  g_signal_connect_swapped (self->user_entry, "changed", G_CALLBACK (update_buttons), self);

  show_page (self, "address", GTK_WIDGET (self->name_entry));
}

PbAccountWizard *
pb_account_wizard_new (GtkApplication *application,
                       PbMonitor      *monitor)
{
  PbAccountWizard *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);

  self = g_object_new (PB_TYPE_ACCOUNT_WIZARD, "application", application, NULL);
  self->monitor = g_object_ref (monitor);
  return self;
}

void
pb_account_wizard_set_autoconfig_options (PbAccountWizard           *self,
                                          const PbAutoconfigOptions *options)
{
  g_return_if_fail (PB_IS_ACCOUNT_WIZARD (self));

  clear_options (self);
  if (options == NULL)
    return;

  self->options = *options;
  self->options.autoconfig_url = self->autoconfig_url = g_strdup (options->autoconfig_url);
  self->options.wellknown_url = self->wellknown_url = g_strdup (options->wellknown_url);
  self->options.ispdb_url = self->ispdb_url = g_strdup (options->ispdb_url);
  self->options.probe_ca_file = self->probe_ca_file = g_strdup (options->probe_ca_file);
  if (options->http_tls_database != NULL)
    self->options.http_tls_database = self->http_tls_database =
      g_object_ref (options->http_tls_database);
  if (options->resolver != NULL)
    self->options.resolver = self->resolver = g_object_ref (options->resolver);
}

const char *
pb_account_wizard_get_page (PbAccountWizard *self)
{
  g_return_val_if_fail (PB_IS_ACCOUNT_WIZARD (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

char *
pb_account_wizard_make_id (PbAccountStore *store,
                           const char     *name,
                           const char     *address)
{
  g_autoptr(GString) base = g_string_new (NULL);
  g_autofree char *domain = NULL;
  const char *from = NULL;
  char *id;

  g_return_val_if_fail (PB_IS_ACCOUNT_STORE (store), NULL);

  if (name != NULL && *name != '\0')
    from = name;
  else if (address != NULL && (domain = pb_autoconfig_get_domain (address)) != NULL)
    from = domain;
  else
    from = address;

  for (const char *p = from; p != NULL && *p != '\0' && base->len < ID_MAX_BASE; p++)
    {
      char c = *p;

      if (g_ascii_isalnum (c) || c == '_')
        g_string_append_c (base, g_ascii_tolower (c));
      else if (base->len > 0 && base->str[base->len - 1] != '-')
        g_string_append_c (base, '-');
    }
  while (base->len > 0 && base->str[base->len - 1] == '-')
    g_string_truncate (base, base->len - 1);
  if (base->len == 0)
    g_string_assign (base, "account");

  id = g_strdup (base->str);
  for (guint n = 2; pb_account_store_lookup (store, id) != NULL; n++)
    {
      g_free (id);
      id = g_strdup_printf ("%s-%u", base->str, n);
    }
  g_assert (pb_account_id_is_valid (id));
  return id;
}
