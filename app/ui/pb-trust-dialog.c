/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "popbell-trust"

#include "config.h"

#include <glib/gi18n.h>

#include "app/core/pb-account-admin.h"
#include "app/core/pb-error.h"
#include "app/core/pb-text.h"
#include "app/shell/pb-describe.h"
#include "pb-accessible.h"
#include "pb-trust-dialog.h"

/* Subjects, issuers and names come from the server: a hostile one can make
 * them any length. Beyond this the label ellipsizes; the tooltip has it all. */
#define VALUE_MAX_WIDTH_CHARS 44
/* And however long they are, each is cut here, before it reaches a label. */
#define MAX_NAME_CHARS 200
/* A problem sentence holds a name or two of the certificate's. */
#define MAX_SENTENCE_CHARS 500

/* Fingerprint groups per line: 4 lines of 8 fit beside each other. */
#define GROUPS_PER_LINE 8

struct _PbTrustDialog
{
  GtkWidget             parent_instance;

  char                 *host;
  guint16               port;
  GTlsCertificate      *certificate;
  GTlsCertificateFlags  errors;
  GTlsCertificate      *pinned;
  GDateTime            *pinned_at;
  PbTrustStore         *pins;
  gboolean              decided;

  GtkLabel             *heading;
  GtkWidget            *changed_box;
  GtkLabel             *changed_label;
  GtkLabel             *old_fingerprint;
  GtkLabel             *new_fingerprint;
  GtkLabel             *old_fingerprint_title;
  GtkLabel             *new_fingerprint_title;
  GtkBox               *problems_box;
  GtkToggleButton      *details_button;
  GtkImage             *details_arrow;
  GtkLabel             *explanation;
  GtkGrid              *details_grid;
  GtkLabel             *error_label;
  GtkWidget            *reject_button;
  GtkWidget            *accept_button;
};

G_DEFINE_FINAL_TYPE (PbTrustDialog, pb_trust_dialog, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_DECIDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char style[] =
  ".pb-trust-changed {"
  "  background-color: alpha(@error_color, 0.1);"
  "  border: 1px solid alpha(@error_color, 0.6);"
  "  border-radius: 8px;"
  "  padding: 12px;"
  "}"
  ".pb-trust-changed > label:first-child {"
  "  color: @error_color;"
  "  font-weight: bold;"
  "}"
  /* "Certificate Details" looks like the expander it acts as. */
  "button.pb-trust-details, button.pb-trust-details:hover, button.pb-trust-details:checked {"
  "  background: none;"
  "  box-shadow: none;"
  "  padding: 2px 4px;"
  "  min-height: 0;"
  "}";

static void
ensure_style (GtkWidget *widget)
{
  GdkDisplay *display = gtk_widget_get_display (widget);
  g_autoptr(GtkCssProvider) provider = NULL;

  if (display == NULL || g_object_get_data (G_OBJECT (display), "pb-trust-style") != NULL)
    return;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, style, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data_full (G_OBJECT (display), "pb-trust-style", g_steal_pointer (&provider),
                          g_object_unref);
}

/* "AA:BB:…" in lines of GROUPS_PER_LINE groups, easier to compare by eye. */
static char *
group_fingerprint (const char *hex)
{
  char *text = pb_fingerprint_format (hex);

  for (gsize i = 0; text[i] != '\0'; i++)
    if ((i + 1) % (GROUPS_PER_LINE * 3) == 0 && text[i] == ':')
      text[i] = '\n';
  return text;
}

static char *
certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autofree char *hex = pb_certificate_get_sha256 (certificate);

  return group_fingerprint (hex);
}

static char *
describe_optional_date (GDateTime *date)
{
  return date != NULL ? pb_describe_date (date) : g_strdup (_("Not stated"));
}

/* Plain text only: the value may be anything the certificate says. */
static GtkWidget *
value_label (const char *text,
             gboolean    monospace)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_hexpand (label, TRUE);
  if (monospace)
    gtk_widget_add_css_class (label, "monospace");
  else
    {
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (label), VALUE_MAX_WIDTH_CHARS);
      gtk_label_set_width_chars (GTK_LABEL (label), 20);
      gtk_widget_set_tooltip_text (label, text);
    }
  return label;
}

static void
add_detail (PbTrustDialog *self,
            int            row,
            const char    *key,
            const char    *value,
            gboolean       monospace)
{
  GtkWidget *key_label = gtk_label_new (key);
  GtkWidget *value_widget = value_label (value, monospace);

  gtk_label_set_xalign (GTK_LABEL (key_label), 1);
  gtk_widget_set_valign (key_label, GTK_ALIGN_START);
  gtk_widget_add_css_class (key_label, "dim-label");
  gtk_grid_attach (self->details_grid, key_label, 0, row, 1, 1);
  gtk_grid_attach (self->details_grid, value_widget, 1, row, 1, 1);
  pb_accessible_name_value (GTK_LABEL (value_widget), GTK_LABEL (key_label));
}

static void
add_problem (PbTrustDialog *self,
             const char    *sentence)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  /* Drawn, not read: each problem is a sentence of its own. */
  GtkWidget *bullet = g_object_new (GTK_TYPE_LABEL, "label", "•",
                                    "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION, NULL);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_valign (bullet, GTK_ALIGN_START);
  gtk_label_set_text (GTK_LABEL (label), sentence);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 58);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), bullet);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (self->problems_box, box);
}

static void
fill (PbTrustDialog *self)
{
  g_autoptr(PbCertificateInfo) info = pb_certificate_info_new (self->certificate);
  g_auto(GStrv) problems = pb_certificate_describe_problems (self->errors, self->certificate,
                                                             self->host);
  g_autofree char *key = pb_trust_key (self->host, self->port);
  /* A setup wizard may have the host from a DNS answer or an autoconfig file. */
  g_autofree char *host = pb_text_clean (self->host, -1, MAX_NAME_CHARS);
  g_autofree char *heading = NULL;
  g_autofree char *explanation = NULL;
  g_autofree char *from = describe_optional_date (info->not_before);
  g_autofree char *until = describe_optional_date (info->not_after);
  g_autofree char *fingerprint = group_fingerprint (info->sha256);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) all_names = NULL;
  g_autofree char *joined_names = NULL;
  g_autofree char *names_text = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *issuer = NULL;
  int row = 0;

  if (self->pinned != NULL)
    {
      g_autofree char *old_fingerprint = certificate_fingerprint (self->pinned);
      g_autofree char *changed = NULL;

      heading = g_strdup_printf (_("The certificate of %s has changed"), host);
      if (self->pinned_at != NULL)
        {
          g_autofree char *date = pb_describe_date (self->pinned_at);
          changed = g_strdup_printf (_("The certificate of this server has changed since you "
                                       "trusted it on %s. This can happen when the server "
                                       "renews its certificate, but it can also mean someone "
                                       "is intercepting the connection."), date);
        }
      else
        changed = g_strdup (_("The certificate of this server has changed since you trusted "
                              "it. This can happen when the server renews its certificate, but "
                              "it can also mean someone is intercepting the connection."));
      gtk_label_set_text (self->changed_label, changed);
      gtk_label_set_text (self->old_fingerprint, old_fingerprint);
      gtk_label_set_text (self->new_fingerprint, fingerprint);
      gtk_widget_set_visible (self->changed_box, TRUE);
    }
  else
    heading = g_strdup_printf (_("Can’t verify the identity of %s"), host);
  gtk_label_set_text (self->heading, heading);

  for (guint i = 0; problems[i] != NULL; i++)
    {
      /* The sentences quote the certificate's names: keep each readable. */
      g_autofree char *sentence = pb_text_clean (problems[i], -1, MAX_SENTENCE_CHARS);

      add_problem (self, sentence);
    }

  if (self->errors & G_TLS_CERTIFICATE_REVOKED)
    explanation = g_strdup (_("A revoked certificate can’t be trusted. Popbell won’t connect to "
                              "this server until it presents a valid certificate; your "
                              "provider can tell you more."));
  else if (!pb_trust_dialog_get_can_trust (self))
    explanation = g_strdup (_("A certificate this weak can’t be trusted: anyone could forge "
                              "one like it. Popbell won’t connect to this server until it "
                              "presents a stronger certificate; your provider can tell you "
                              "more."));
  else if (self->pinned != NULL)
    explanation = g_strdup_printf (_("If you trust the new certificate, Popbell will accept "
                                     "exactly this certificate for %s instead of the old one. "
                                     "Trust it only if you know your server’s certificate was "
                                     "replaced, for example because your provider published "
                                     "the new fingerprint."), key);
  else
    explanation = g_strdup_printf (_("If you trust it, Popbell will accept exactly this "
                                     "certificate for %s and warn you if it ever changes. Trust "
                                     "it only if you know it is your server’s certificate, for "
                                     "example because your provider published its "
                                     "fingerprint."), key);
  gtk_label_set_text (self->explanation, explanation);

  g_strv_builder_addv (names, (const char **) info->dns_names);
  g_strv_builder_addv (names, (const char **) info->ip_addresses);
  all_names = g_strv_builder_end (names);
  joined_names = g_strjoinv (", ", all_names);
  names_text = all_names[0] != NULL ? pb_text_clean (joined_names, -1, MAX_NAME_CHARS)
                                    : g_strdup (_("None"));
  subject = pb_text_clean (info->subject, -1, MAX_NAME_CHARS);
  issuer = pb_text_clean (info->issuer, -1, MAX_NAME_CHARS);

  add_detail (self, row++, _("Subject"), subject, FALSE);
  add_detail (self, row++, _("Issuer"), issuer, FALSE);
  add_detail (self, row++, _("Valid from"), from, FALSE);
  add_detail (self, row++, _("Valid until"), until, FALSE);
  add_detail (self, row++, _("Names"), names_text, FALSE);
  add_detail (self, row++, _("SHA-256 fingerprint"), fingerprint, TRUE);

  gtk_widget_set_visible (self->accept_button, pb_trust_dialog_get_can_trust (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "trust.accept",
                                 pb_trust_dialog_get_can_trust (self));
}

/* ---- Deciding --------------------------------------------------------------- */

static void
decide (PbTrustDialog *self,
        gboolean       trusted)
{
  self->decided = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "trust.accept", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "trust.reject", FALSE);
  g_signal_emit (self, signals[SIGNAL_DECIDED], 0, trusted);
}

static void
on_reject (GtkWidget  *widget,
           const char *action_name,
           GVariant   *parameter)
{
  PbTrustDialog *self = PB_TRUST_DIALOG (widget);

  if (!self->decided)
    decide (self, FALSE);
}

static gboolean
store_pin (PbTrustDialog  *self,
           GError        **error)
{
  /* Only trust.ini is touched: the store's own file. */
  g_autoptr(PbAccountAdmin) admin = pb_account_admin_new (NULL,
                                                          pb_trust_store_get_path (self->pins),
                                                          NULL);

  /* The user saw the old and the new certificate: replacing is the choice. */
  if (!pb_account_admin_trust (admin, self->host, self->port, self->certificate, TRUE, NULL,
                               error))
    return FALSE;
  /* The next check trusts it at once, not only once the store's watch fires. */
  pb_trust_store_reload (self->pins, NULL);
  return TRUE;
}

static void
on_accept (GtkWidget  *widget,
           const char *action_name,
           GVariant   *parameter)
{
  PbTrustDialog *self = PB_TRUST_DIALOG (widget);
  g_autoptr(GError) error = NULL;

  if (self->decided || !pb_trust_dialog_get_can_trust (self))
    return;

  if (self->pins != NULL && !store_pin (self, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the trusted certificate: %s"),
                                                  error->message);
      g_debug ("%s", error->message);
      gtk_label_set_text (self->error_label, message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }
  decide (self, TRUE);
}

/* ---- GObject ---------------------------------------------------------------- */

static void
pb_trust_dialog_map (GtkWidget *widget)
{
  PbTrustDialog *self = PB_TRUST_DIALOG (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  GTK_WIDGET_CLASS (pb_trust_dialog_parent_class)->map (widget);

  /* Not trusting is what Enter and Escape do; trusting takes a deliberate choice. */
  if (GTK_IS_WINDOW (root))
    gtk_window_set_default_widget (GTK_WINDOW (root), self->reject_button);
  gtk_widget_grab_focus (self->reject_button);
}

/* Given the focus (by a window or page that shows it), the dialog hands it to
 * its safe choice. */
static gboolean
pb_trust_dialog_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (PB_TRUST_DIALOG (widget)->reject_button);
}

static void
pb_trust_dialog_dispose (GObject *object)
{
  PbTrustDialog *self = PB_TRUST_DIALOG (object);
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_TRUST_DIALOG);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->certificate);
  g_clear_object (&self->pinned);
  g_clear_object (&self->pins);
  g_clear_pointer (&self->pinned_at, g_date_time_unref);

  G_OBJECT_CLASS (pb_trust_dialog_parent_class)->dispose (object);
}

static void
pb_trust_dialog_finalize (GObject *object)
{
  PbTrustDialog *self = PB_TRUST_DIALOG (object);

  g_free (self->host);

  G_OBJECT_CLASS (pb_trust_dialog_parent_class)->finalize (object);
}

static void
pb_trust_dialog_class_init (PbTrustDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_trust_dialog_dispose;
  object_class->finalize = pb_trust_dialog_finalize;
  widget_class->map = pb_trust_dialog_map;
  widget_class->grab_focus = pb_trust_dialog_grab_focus;

  signals[SIGNAL_DECIDED] = g_signal_new ("decided", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/pb-trust-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, heading);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, changed_box);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, changed_label);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, old_fingerprint);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, new_fingerprint);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, old_fingerprint_title);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, new_fingerprint_title);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, problems_box);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, explanation);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, details_grid);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, details_button);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, details_arrow);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, reject_button);
  gtk_widget_class_bind_template_child (widget_class, PbTrustDialog, accept_button);

  gtk_widget_class_install_action (widget_class, "trust.reject", NULL, on_reject);
  gtk_widget_class_install_action (widget_class, "trust.accept", NULL, on_accept);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "trust.reject", NULL);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

/* As an expander shows it, and tells it. */
static void
on_details_toggled (PbTrustDialog *self)
{
  gboolean open = gtk_toggle_button_get_active (self->details_button);

  gtk_image_set_from_icon_name (self->details_arrow, open ? "pan-down-symbolic"
                                                          : "pan-end-symbolic");
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->details_button),
                               GTK_ACCESSIBLE_STATE_EXPANDED, open, -1);
}

static void
pb_trust_dialog_init (PbTrustDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pb_accessible_fix_names (GTK_WIDGET (self));
  pb_accessible_name_value (self->old_fingerprint, self->old_fingerprint_title);
  pb_accessible_name_value (self->new_fingerprint, self->new_fingerprint_title);
  g_signal_connect_swapped (self->details_button, "notify::active",
                            G_CALLBACK (on_details_toggled), self);
  ensure_style (GTK_WIDGET (self));
}

PbTrustDialog *
pb_trust_dialog_new (const char           *host,
                     guint16               port,
                     GTlsCertificate      *certificate,
                     GTlsCertificateFlags  errors,
                     GTlsCertificate      *pinned,
                     GDateTime            *pinned_at)
{
  PbTrustDialog *self;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (pinned == NULL || G_IS_TLS_CERTIFICATE (pinned), NULL);

  self = g_object_new (PB_TYPE_TRUST_DIALOG, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->certificate = g_object_ref (certificate);
  self->errors = errors;
  if (pinned != NULL && !g_tls_certificate_is_same (pinned, certificate))
    {
      self->pinned = g_object_ref (pinned);
      self->pinned_at = pinned_at ? g_date_time_ref (pinned_at) : NULL;
    }
  fill (self);
  return self;
}

void
pb_trust_dialog_set_trust_store (PbTrustDialog *self,
                                 PbTrustStore  *pins)
{
  g_return_if_fail (PB_IS_TRUST_DIALOG (self));
  g_return_if_fail (pins == NULL || PB_IS_TRUST_STORE (pins));

  g_set_object (&self->pins, pins);
}

const char *
pb_trust_dialog_get_host (PbTrustDialog *self)
{
  g_return_val_if_fail (PB_IS_TRUST_DIALOG (self), NULL);

  return self->host;
}

guint16
pb_trust_dialog_get_port (PbTrustDialog *self)
{
  g_return_val_if_fail (PB_IS_TRUST_DIALOG (self), 0);

  return self->port;
}

GTlsCertificate *
pb_trust_dialog_get_certificate (PbTrustDialog *self)
{
  g_return_val_if_fail (PB_IS_TRUST_DIALOG (self), NULL);

  return self->certificate;
}

gboolean
pb_trust_dialog_get_can_trust (PbTrustDialog *self)
{
  g_return_val_if_fail (PB_IS_TRUST_DIALOG (self), FALSE);

  /* Weak or revoked: no decision of the user's makes it safe. */
  return pb_certificate_problems_allow_pin (self->errors) &&
         !pb_certificate_is_weak (self->certificate);
}

/* ---- In a window of its own ------------------------------------------------------ */

typedef struct
{
  GtkWindow             *window;   /* unowned: the data lives as long as it */
  PbTrustDialogCallback  callback;
  gpointer               user_data;
  gboolean               done;
} Presented;

static void
on_presented_decided (PbTrustDialog *dialog,
                      gboolean       trusted,
                      gpointer       user_data)
{
  Presented *presented = user_data;

  presented->done = TRUE;
  if (presented->callback != NULL)
    presented->callback (trusted, presented->user_data);
  gtk_window_destroy (presented->window);
}

static gboolean
on_presented_close_request (GtkWindow *window,
                            gpointer   user_data)
{
  Presented *presented = user_data;

  /* Closing the window is not trusting. */
  if (presented->done)
    return FALSE;
  gtk_widget_activate_action (gtk_window_get_child (window), "trust.reject", NULL);
  return TRUE;
}

GtkWindow *
pb_trust_dialog_present (GtkWindow             *parent,
                         GtkApplication        *application,
                         PbTrustStore          *pins,
                         const char            *host,
                         guint16                port,
                         GTlsCertificate       *certificate,
                         GTlsCertificateFlags   errors,
                         PbTrustDialogCallback  callback,
                         gpointer               user_data)
{
  g_autoptr(GTlsCertificate) pinned = NULL;
  GDateTime *pinned_at = NULL;
  PbTrustDialog *dialog;
  Presented *presented;
  GtkWindow *window;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (pins == NULL || PB_IS_TRUST_STORE (pins), NULL);
  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  if (pins != NULL)
    {
      pinned = pb_trust_store_get_certificate (pins, host, port);
      pinned_at = pb_trust_store_get_pinned_at (pins, host, port);
    }
  dialog = pb_trust_dialog_new (host, port, certificate, errors, pinned, pinned_at);
  pb_trust_dialog_set_trust_store (dialog, pins);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (window, _("Review Certificate"));
  gtk_window_set_resizable (window, FALSE);
  gtk_window_set_icon_name (window, APP_ID);
  if (application != NULL)
    gtk_window_set_application (window, application);
  if (parent != NULL)
    {
      gtk_window_set_transient_for (window, parent);
      gtk_window_set_modal (window, TRUE);
      gtk_window_set_destroy_with_parent (window, TRUE);
    }
  gtk_window_set_child (window, GTK_WIDGET (dialog));

  presented = g_new0 (Presented, 1);
  presented->window = window;
  presented->callback = callback;
  presented->user_data = user_data;
  g_object_set_data_full (G_OBJECT (window), "pb-trust-presented", presented, g_free);
  g_signal_connect (dialog, "decided", G_CALLBACK (on_presented_decided), presented);
  g_signal_connect (window, "close-request", G_CALLBACK (on_presented_close_request), presented);

  gtk_window_present (window);
  return window;
}

/* ---- Reviewing an account's certificate ---------------------------------------- */

typedef struct
{
  PbMonitor *monitor;
  char      *account_id;
} Review;

static void
review_free (Review *review)
{
  g_object_unref (review->monitor);
  g_free (review->account_id);
  g_free (review);
}

static void
on_reviewed (gboolean trusted,
             gpointer user_data)
{
  Review *review = user_data;

  /* The pin is saved: the user should see the outcome now, not in a while. */
  if (trusted)
    pb_monitor_resume (review->monitor, review->account_id);
}

GtkWindow *
pb_trust_dialog_review_account (GtkWindow      *parent,
                                GtkApplication *application,
                                PbMonitor      *monitor,
                                const char     *account_id)
{
  PbCheckResult *result;
  GtkWindow *window;
  Review *review;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PB_IS_MONITOR (monitor), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);

  if (application != NULL)
    for (GList *l = gtk_application_get_windows (application); l != NULL; l = l->next)
      if (g_strcmp0 (g_object_get_data (l->data, "pb-trust-account"), account_id) == 0)
        {
          gtk_window_present (l->data);
          return l->data;
        }

  result = pb_monitor_get_last_result (monitor, account_id);
  if (result == NULL || result->certificate == NULL || result->host == NULL ||
      !g_error_matches (result->error, PB_POP3_ERROR, PB_POP3_ERROR_UNTRUSTED_CERTIFICATE))
    {
      GtkWidget *message;

      message = gtk_message_dialog_new (parent, parent ? GTK_DIALOG_DESTROY_WITH_PARENT : 0,
                                        GTK_MESSAGE_INFO, GTK_BUTTONS_CLOSE, "%s",
                                        _("There is no certificate to review"));
      gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (message), "%s",
                                                _("The last check of this account did not "
                                                  "stop at its server’s certificate."));
      gtk_window_set_title (GTK_WINDOW (message), "Popbell");
      if (application != NULL)
        gtk_window_set_application (GTK_WINDOW (message), application);
      g_signal_connect (message, "response", G_CALLBACK (gtk_window_destroy), NULL);
      gtk_window_present (GTK_WINDOW (message));
      return GTK_WINDOW (message);
    }

  review = g_new0 (Review, 1);
  review->monitor = g_object_ref (monitor);
  review->account_id = g_strdup (account_id);

  window = pb_trust_dialog_present (parent, application, pb_monitor_get_trust_store (monitor),
                                    result->host, result->port, result->certificate,
                                    result->certificate_errors, on_reviewed, review);
  g_object_set_data_full (G_OBJECT (window), "pb-trust-review", review,
                          (GDestroyNotify) review_free);
  g_object_set_data_full (G_OBJECT (window), "pb-trust-account", g_strdup (account_id), g_free);
  return window;
}
