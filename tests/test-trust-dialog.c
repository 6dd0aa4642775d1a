/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The certificate trust dialog, in this process, on a private X server:
 * certificates verified for real, a real monitor checking a scripted server,
 * and the test pressing the dialog's buttons and keys as a user would. */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pb-actions.h"
#include "pb-describe.h"
#include "pb-error.h"
#include "pb-test-network.h"
#include "pb-test-server.h"
#include "pb-test-gtk.h"
#include "pb-test-util.h"
#include "pb-test-xvfb.h"
#include "pb-trust-dialog.h"

#define PASSWORD "secret"

static PbTestXvfb *xvfb;
static GtkApplication *app;

typedef struct
{
  char         *config_dir;
  char         *trust_path;
  PbTrustStore *pins;
  GtkWindow    *window;
  gboolean      decided;
  gboolean      trusted;
} Fixture;

/* ---- Widgets -------------------------------------------------------------- */

/* "Certificate Details", which opens the details. */
static gboolean
is_expander (GtkWidget  *widget,
             const char *unused)
{
  return GTK_IS_TOGGLE_BUTTON (widget) && g_str_equal (gtk_widget_get_name (widget), "details-button");
}

/* A label showing exactly @text, on screen. */
static GtkWidget *
shown_label (GtkWindow  *window,
             const char *text)
{
  GtkWidget *label = pb_test_gtk_find_widget (GTK_WIDGET (window), pb_test_gtk_label_has_text, text);

  return label != NULL && gtk_widget_get_mapped (label) ? label : NULL;
}

static GtkWidget *
shown_button (GtkWindow  *window,
              const char *label)
{
  GtkWidget *button = pb_test_gtk_find_widget (GTK_WIDGET (window), pb_test_gtk_button_has_label, label);

  return button != NULL && gtk_widget_get_mapped (button) ? button : NULL;
}

/* The value beside @key in the details grid. */
static GtkLabel *
detail (GtkWindow  *window,
        const char *key)
{
  GtkWidget *key_label = pb_test_gtk_find_widget (GTK_WIDGET (window), pb_test_gtk_label_has_text, key);
  GtkWidget *grid;
  int column, row;

  g_assert_nonnull (key_label);
  grid = gtk_widget_get_parent (key_label);
  gtk_grid_query_child (GTK_GRID (grid), key_label, &column, &row, NULL, NULL);
  return GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), column + 1, row));
}

static void
activate (GtkWidget *widget)
{
  g_assert_true (gtk_widget_activate (widget));
  pb_test_gtk_settle (300);
}

/* What pressing @keyval does: the shortcuts of the focused widget and of its
 * ancestors, innermost first, as GTK's bubbling finds them. */
static gboolean
press_key (GtkWindow *window,
           guint      keyval)
{
  for (GtkWidget *widget = gtk_window_get_focus (window);
       widget != NULL;
       widget = gtk_widget_get_parent (widget))
    {
      g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

          if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
            continue;
          for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
            {
              g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
              GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

              if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
                  gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
                  gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == 0 &&
                  gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                                GTK_SHORTCUT_ACTION_EXCLUSIVE, widget,
                                                gtk_shortcut_get_arguments (shortcut)))
                {
                  pb_test_gtk_settle (100);
                  return TRUE;
                }
            }
        }
    }
  return FALSE;
}

/* ---- Certificates ------------------------------------------------------------ */

/* What verification really says of @name for @host (with the test CA when @with_ca). */
static GTlsCertificateFlags
verify (GTlsCertificate *certificate,
        const char      *host,
        gboolean         with_ca)
{
  g_autofree char *ca = with_ca ? pb_test_cert_path ("ca.crt") : NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags flags;

  pb_tls_verify_async (certificate, host, 995, ca, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 10);
  flags = pb_tls_verify_finish (result, &error);
  g_assert_no_error (error);
  return flags;
}

static char *
fingerprint_of (GTlsCertificate *certificate)
{
  g_autofree char *hex = pb_certificate_get_sha256 (certificate);

  return pb_fingerprint_format (hex);
}

/* A fingerprint label reads like the fingerprint, in lines of 8 groups. */
static void
assert_fingerprint (GtkLabel        *label,
                    GTlsCertificate *certificate)
{
  g_autofree char *expected = fingerprint_of (certificate);
  g_autofree char *shown = g_strdup (gtk_label_get_text (label));
  g_auto(GStrv) lines = g_strsplit (shown, "\n", -1);

  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_strdelimit (shown, "\n", ':');
  g_assert_cmpstr (shown, ==, expected);
  g_assert_true (gtk_label_get_selectable (label));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (label), "monospace"));
}

/* ---- Fixture ------------------------------------------------------------------ */

static void
on_decided (gboolean trusted,
            gpointer user_data)
{
  Fixture *fixture = user_data;

  g_assert_false (fixture->decided);
  fixture->decided = TRUE;
  fixture->trusted = trusted;
}

static GtkWindow *
present (Fixture              *fixture,
         const char           *host,
         guint16               port,
         GTlsCertificate      *certificate,
         GTlsCertificateFlags  errors)
{
  fixture->window = pb_trust_dialog_present (NULL, app, fixture->pins, host, port, certificate,
                                             errors, on_decided, fixture);
  g_object_add_weak_pointer (G_OBJECT (fixture->window), (gpointer *) &fixture->window);
  pb_test_gtk_wait_mapped (GTK_WIDGET (fixture->window));
  return fixture->window;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->config_dir = pb_test_mkdtemp ("config");
  fixture->trust_path = g_build_filename (fixture->config_dir, "trust.ini", NULL);
  fixture->pins = pb_trust_store_new (fixture->trust_path);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->window != NULL)
    {
      gtk_window_destroy (fixture->window);
      pb_test_gtk_settle (20);
      g_assert_null (fixture->window);
    }
  g_clear_object (&fixture->pins);
  pb_test_rm_rf (fixture->config_dir);
  g_free (fixture->config_dir);
  g_free (fixture->trust_path);
}

static gboolean
need_display (void)
{
  if (xvfb == NULL)
    {
      g_test_skip ("Xvfb is not installed");
      return FALSE;
    }
  return TRUE;
}

/* trust.ini as the next start of Popbell reads it. */
static PbTrustStore *
reload_pins (Fixture *fixture)
{
  PbTrustStore *pins = pb_trust_store_new (fixture->trust_path);
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_trust_store_load (pins, &error));
  g_assert_no_error (error);
  return pins;
}

/* ---- Tests -------------------------------------------------------------------- */

static void
test_create_destroy (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  PbTrustDialog *dialog;
  GtkWindow *window;

  if (!need_display ())
    return;

  certificate = pb_test_load_certificate ("self-signed.pem");
  dialog = g_object_ref_sink (pb_trust_dialog_new ("localhost", 995, certificate,
                                                   G_TLS_CERTIFICATE_UNKNOWN_CA, NULL, NULL));
  g_assert_cmpstr (pb_trust_dialog_get_host (dialog), ==, "localhost");
  g_assert_cmpuint (pb_trust_dialog_get_port (dialog), ==, 995);
  g_assert_true (pb_trust_dialog_get_certificate (dialog) == certificate);
  g_assert_true (pb_trust_dialog_get_can_trust (dialog));
  g_assert_finalize_object (dialog);

  window = g_object_ref (present (fixture, "localhost", 995, certificate,
                                  G_TLS_CERTIFICATE_UNKNOWN_CA));
  gtk_window_destroy (window);
  g_assert_finalize_object (window);
}

typedef struct
{
  const char           *cert;
  const char           *host;
  gboolean              with_ca;
  GTlsCertificateFlags  flags;
  const char           *sentence;  /* the start of the sentence that explains it */
} ProblemCase;

static void
test_explains_each_problem (Fixture       *fixture,
                            gconstpointer  data)
{
  const ProblemCase cases[] = {
    { "expired.pem", "localhost", TRUE, G_TLS_CERTIFICATE_EXPIRED,
      "The certificate expired on " },
    { "not-yet-valid.pem", "localhost", TRUE, G_TLS_CERTIFICATE_NOT_ACTIVATED,
      "The certificate is valid only from " },
    { "wrong-host.pem", "localhost", TRUE, G_TLS_CERTIFICATE_BAD_IDENTITY,
      "The certificate is for other.example.com, not for localhost." },
    { "self-signed.pem", "localhost", FALSE, G_TLS_CERTIFICATE_UNKNOWN_CA,
      "The certificate is self-signed: no authority your system trusts vouches for it." },
    { "unknown-ca.pem", "localhost", TRUE, G_TLS_CERTIFICATE_UNKNOWN_CA,
      "The certificate is not signed by an authority your system trusts; it may be "
      "self-signed." },
  };

  if (!need_display ())
    return;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate (cases[i].cert);
      g_autoptr(PbCertificateInfo) info = pb_certificate_info_new (certificate);
      GTlsCertificateFlags flags = verify (certificate, cases[i].host, cases[i].with_ca);
      g_auto(GStrv) problems = pb_certificate_describe_problems (flags, certificate,
                                                                 cases[i].host);
      g_autofree char *from = pb_describe_date (info->not_before);
      g_autofree char *until = pb_describe_date (info->not_after);
      GtkWindow *window;
      GtkWidget *button;

      g_test_message ("%s", cases[i].cert);
      g_assert_cmpint (flags, ==, cases[i].flags);
      g_assert_cmpuint (g_strv_length (problems), ==, 1);
      g_assert_true (g_str_has_prefix (problems[0], cases[i].sentence));

      window = present (fixture, cases[i].host, 995, certificate, flags);
      g_assert_nonnull (shown_label (window, "Can’t verify the identity of localhost"));
      g_assert_nonnull (shown_label (window, problems[0]));
      g_assert_nonnull (shown_label (window, "If you trust it, Popbell will accept exactly this "
                                             "certificate for localhost:995 and warn you if it "
                                             "ever changes. Trust it only if you know it is "
                                             "your server’s certificate, for example because "
                                             "your provider published its fingerprint."));
      /* Nothing of the changed-certificate variant. */
      g_assert_null (shown_label (window, "Trusted before"));

      /* The details, once the user opens them. */
      activate (pb_test_gtk_find_widget (GTK_WIDGET (window), is_expander, NULL));
      g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (pb_test_gtk_find_widget (
        GTK_WIDGET (window), is_expander, NULL))));
      g_assert_cmpstr (gtk_label_get_text (detail (window, "Subject")), ==, info->subject);
      g_assert_cmpstr (gtk_label_get_text (detail (window, "Issuer")), ==, info->issuer);
      g_assert_cmpstr (gtk_label_get_text (detail (window, "Valid from")), ==, from);
      g_assert_cmpstr (gtk_label_get_text (detail (window, "Valid until")), ==, until);
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (detail (window, "Subject"))));
      assert_fingerprint (detail (window, "SHA-256 fingerprint"), certificate);
      if (g_str_equal (cases[i].cert, "wrong-host.pem"))
        g_assert_cmpstr (gtk_label_get_text (detail (window, "Names")), ==, "other.example.com");

      /* Not trusting is the default, and where the keyboard starts. */
      button = shown_button (window, "_Don’t Trust");
      g_assert_nonnull (button);
      g_assert_true (gtk_window_get_default_widget (window) == button);
      g_assert_true (gtk_window_get_focus (window) == button);
      button = shown_button (window, "_Trust This Certificate");
      g_assert_nonnull (button);
      g_assert_true (gtk_widget_has_css_class (button, "destructive-action"));

      gtk_window_close (window);
      pb_test_gtk_settle (20);
      g_assert_null (fixture->window);
      /* Closed without a choice: not trusted. */
      g_assert_true (fixture->decided);
      g_assert_false (fixture->trusted);
      fixture->decided = FALSE;
    }
}

static void
test_escape_does_not_trust (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(PbTrustStore) saved = NULL;
  g_auto(GStrv) keys = NULL;
  GtkWindow *window;

  if (!need_display ())
    return;

  certificate = pb_test_load_certificate ("self-signed.pem");
  window = present (fixture, "localhost", 995, certificate, G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_true (press_key (window, GDK_KEY_Escape));

  g_assert_true (fixture->decided);
  g_assert_false (fixture->trusted);
  g_assert_null (fixture->window);
  g_assert_false (pb_trust_store_is_pinned (fixture->pins, "localhost", 995, certificate));
  g_assert_false (g_file_test (fixture->trust_path, G_FILE_TEST_EXISTS));

  /* "Don't Trust" does the same. */
  fixture->decided = FALSE;
  window = present (fixture, "localhost", 995, certificate, G_TLS_CERTIFICATE_UNKNOWN_CA);
  activate (shown_button (window, "_Don’t Trust"));
  g_assert_true (fixture->decided);
  g_assert_false (fixture->trusted);
  g_assert_null (fixture->window);
  saved = reload_pins (fixture);
  keys = pb_trust_store_list_keys (saved);
  g_assert_null (keys[0]);
}

static void
test_changed_certificate_shows_both_fingerprints (Fixture       *fixture,
                                                  gconstpointer  data)
{
  g_autoptr(GTlsCertificate) old_certificate = NULL;
  g_autoptr(GTlsCertificate) new_certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbTrustStore) saved = NULL;
  g_autofree char *date = NULL;
  g_autofree char *warning = NULL;
  GTlsCertificateFlags flags;
  GtkWindow *window;
  GtkWidget *label;

  if (!need_display ())
    return;

  old_certificate = pb_test_load_certificate ("server2.pem");
  new_certificate = pb_test_load_certificate ("self-signed.pem");
  pb_trust_store_add (fixture->pins, "localhost", 995, old_certificate);
  g_assert_true (pb_trust_store_save (fixture->pins, &error));
  g_assert_no_error (error);
  date = pb_describe_date (pb_trust_store_get_pinned_at (fixture->pins, "localhost", 995));

  flags = verify (new_certificate, "localhost", TRUE);
  window = present (fixture, "localhost", 995, new_certificate, flags);

  g_assert_nonnull (shown_label (window, "The certificate of localhost has changed"));
  warning = g_strdup_printf ("The certificate of this server has changed since you trusted it "
                             "on %s. This can happen when the server renews its certificate, "
                             "but it can also mean someone is intercepting the connection.",
                             date);
  label = shown_label (window, warning);
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_has_css_class (gtk_widget_get_parent (label), "pb-trust-changed"));

  /* Old and new side by side, before any details are opened. */
  g_assert_nonnull (shown_label (window, "Trusted before"));
  g_assert_nonnull (shown_label (window, "Presented now"));
  {
    g_autofree char *old_text = fingerprint_of (old_certificate);
    g_autofree char *new_text = fingerprint_of (new_certificate);
    GtkWidget *grid = gtk_widget_get_parent (shown_label (window, "Trusted before"));
    GtkLabel *old_label = GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 0, 1));
    GtkLabel *new_label = GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 1, 1));
    graphene_point_t old_at, new_at;

    g_assert_cmpstr (old_text, !=, new_text);
    assert_fingerprint (old_label, old_certificate);
    assert_fingerprint (new_label, new_certificate);
    g_assert_true (gtk_widget_compute_point (GTK_WIDGET (old_label), GTK_WIDGET (window),
                                             &GRAPHENE_POINT_INIT (0, 0), &old_at));
    g_assert_true (gtk_widget_compute_point (GTK_WIDGET (new_label), GTK_WIDGET (window),
                                             &GRAPHENE_POINT_INIT (0, 0), &new_at));
    g_assert_cmpfloat (old_at.y, ==, new_at.y);
    g_assert_cmpfloat (old_at.x + gtk_widget_get_width (GTK_WIDGET (old_label)), <=, new_at.x);
  }

  /* Trusting the new one replaces the old pin. */
  activate (shown_button (window, "_Trust This Certificate"));
  g_assert_true (fixture->decided);
  g_assert_true (fixture->trusted);
  saved = reload_pins (fixture);
  g_assert_true (pb_trust_store_is_pinned (saved, "localhost", 995, new_certificate));
  g_assert_false (pb_trust_store_is_pinned (saved, "localhost", 995, old_certificate));
}

static void
test_revoked_cannot_be_trusted (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  GTlsCertificateFlags flags = G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_REVOKED;
  g_auto(GStrv) problems = NULL;
  PbTrustDialog *dialog;
  GtkWindow *window;

  if (!need_display ())
    return;

  certificate = pb_test_load_certificate ("unknown-ca.pem");
  problems = pb_certificate_describe_problems (flags, certificate, "localhost");
  g_assert_cmpuint (g_strv_length (problems), ==, 2);

  window = present (fixture, "localhost", 995, certificate, flags);
  dialog = PB_TRUST_DIALOG (gtk_window_get_child (window));
  g_assert_false (pb_trust_dialog_get_can_trust (dialog));
  for (guint i = 0; problems[i] != NULL; i++)
    g_assert_nonnull (shown_label (window, problems[i]));
  g_assert_nonnull (shown_label (window, "The certificate has been revoked by the authority "
                                         "that issued it, so it must not be trusted."));
  g_assert_null (shown_button (window, "_Trust This Certificate"));
  g_assert_nonnull (shown_button (window, "_Don’t Trust"));

  /* Not even through the action. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "trust.accept", NULL);
  pb_test_gtk_settle (50);
  g_assert_false (fixture->decided);
  g_assert_false (pb_trust_store_is_pinned (fixture->pins, "localhost", 995, certificate));
  g_assert_false (g_file_test (fixture->trust_path, G_FILE_TEST_EXISTS));
}

/* A certificate whose subject is about 2,000 characters of a hostile
 * server's choosing, markup included. */
static GTlsCertificate *
make_long_subject_certificate (const char  *dir,
                               char       **subject_part)
{
  g_autoptr(GString) subject = g_string_new ("/CN=localhost");
  g_autofree char *key = g_build_filename (dir, "long.key", NULL);
  g_autofree char *crt = g_build_filename (dir, "long.crt", NULL);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;
  int status = 0;

  for (guint i = 0; i < 32; i++)
    g_string_append_printf (subject, "/OU=<b>unit %02u<\\/b> &amp; %s", i,
                            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  {
    const char *argv[] = {
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-nodes", "-keyout", key, "-out", crt, "-days", "30", "-subj", subject->str, NULL
    };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                                 G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                                 G_SPAWN_STDERR_TO_DEV_NULL,
                                 NULL, NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, &error));
    g_assert_no_error (error);
  }
  certificate = g_tls_certificate_new_from_file (crt, &error);
  g_assert_no_error (error);
  *subject_part = g_strdup ("unit 31\\</b\\> &amp");
  return certificate;
}

static void
test_long_subject_is_ellipsized (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(PbCertificateInfo) info = NULL;
  g_autofree char *part = NULL;
  GtkWindow *window;
  GtkLabel *subject;

  if (!need_display ())
    return;

  certificate = make_long_subject_certificate (fixture->config_dir, &part);
  info = pb_certificate_info_new (certificate);
  g_assert_cmpuint (strlen (info->subject), >=, 2000);
  g_assert_nonnull (strstr (info->subject, part));

  window = present (fixture, "localhost", 995, certificate, G_TLS_CERTIFICATE_UNKNOWN_CA);
  activate (pb_test_gtk_find_widget (GTK_WIDGET (window), is_expander, NULL));
  subject = detail (window, "Subject");

  /* Its first 199 characters and "…", as text (never markup), in one
   * ellipsized line of bounded width. */
  g_assert_cmpuint (g_utf8_strlen (gtk_label_get_text (subject), -1), ==, 200);
  g_assert_true (g_str_has_suffix (gtk_label_get_text (subject), "…"));
  g_assert_true (strncmp (gtk_label_get_text (subject), info->subject, 150) == 0);
  g_assert_false (gtk_label_get_use_markup (subject));
  g_assert_cmpint (gtk_label_get_ellipsize (subject), ==, PANGO_ELLIPSIZE_END);
  g_assert_true (pango_layout_is_ellipsized (gtk_label_get_layout (subject)));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (subject)), <, 500);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <, 800);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (window)), <, 900);
  /* The same in the tooltip, as plain text too. */
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (subject)), ==,
                   gtk_label_get_text (subject));
}

/* Weak keys and signatures: explained, and no way to trust them. */
static void
test_weak_cannot_be_trusted (Fixture       *fixture,
                             gconstpointer  data)
{
  const struct
  {
    const char *name;
    gboolean with_ca;
    const char *sentence;
  } cases[] = {
    { "rsa1024.pem", TRUE, "The certificate uses a weak 1024-bit RSA key, which can be broken." },
    { "sha1.pem", TRUE, "The certificate is signed with SHA-1, which can be forged." },
    { "self-signed-rsa1024.pem", FALSE,
      "The certificate uses a weak 1024-bit RSA key, which can be broken." },
  };

  if (!need_display ())
    return;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate (cases[i].name);
      GTlsCertificateFlags flags = verify (certificate, "localhost", cases[i].with_ca);
      PbTrustDialog *dialog;
      GtkWindow *window;

      g_test_message ("%s", cases[i].name);
      g_assert_cmpuint (flags & G_TLS_CERTIFICATE_INSECURE, !=, 0);
      window = present (fixture, "localhost", 995, certificate, flags);
      dialog = PB_TRUST_DIALOG (gtk_window_get_child (window));
      g_assert_false (pb_trust_dialog_get_can_trust (dialog));
      g_assert_nonnull (shown_label (window, cases[i].sentence));
      g_assert_null (shown_button (window, "_Trust This Certificate"));
      g_assert_nonnull (shown_button (window, "_Don’t Trust"));

      gtk_widget_activate_action (GTK_WIDGET (dialog), "trust.accept", NULL);
      pb_test_gtk_settle (50);
      g_assert_false (fixture->decided);
      g_assert_false (g_file_test (fixture->trust_path, G_FILE_TEST_EXISTS));
      gtk_window_destroy (window);
      pb_test_gtk_settle (50);
      /* Closing it is a "no"; the next case starts undecided. */
      fixture->decided = FALSE;
    }
}

/* A name only in the CN is a wrong name: said plainly, and pinnable. */
static void
test_common_name_only_can_be_trusted (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  GTlsCertificateFlags flags;
  PbTrustDialog *dialog;
  GtkWindow *window;

  if (!need_display ())
    return;

  certificate = pb_test_load_certificate ("cn-only.pem");
  flags = verify (certificate, "localhost", TRUE);
  g_assert_cmpuint (flags, ==, G_TLS_CERTIFICATE_BAD_IDENTITY);
  window = present (fixture, "localhost", 995, certificate, flags);
  dialog = PB_TRUST_DIALOG (gtk_window_get_child (window));
  g_assert_true (pb_trust_dialog_get_can_trust (dialog));
  g_assert_nonnull (shown_label (window, "The certificate gives a server name (localhost) only "
                                         "in an outdated field that is no longer accepted, so "
                                         "it is not valid for localhost."));
  g_assert_nonnull (shown_button (window, "_Trust This Certificate"));
}

/* ---- Trusting an account's certificate, for real ------------------------------ */

static const PbTestStep login_script[] = {
  { PB_STEP_SEND, "+OK ready" },
  { PB_STEP_EXPECT, "CAPA" },
  { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "USER" }, { PB_STEP_SEND, "." },
  { PB_STEP_EXPECT, "USER alice" }, { PB_STEP_SEND, "+OK" },
  { PB_STEP_EXPECT, "PASS " PASSWORD }, { PB_STEP_SEND, "+OK logged in" },
  { PB_STEP_EXPECT, "STAT" }, { PB_STEP_SEND, "+OK 1 100" },
  { PB_STEP_EXPECT, "UIDL" }, { PB_STEP_SEND, "+OK" }, { PB_STEP_SEND, "1 a" },
  { PB_STEP_SEND, "." },
  { PB_STEP_EXPECT, "QUIT" }, { PB_STEP_SEND, "+OK" },
  { PB_STEP_END },
};

static void
on_review_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  PbMonitor *monitor = user_data;

  /* As the application does. */
  pb_trust_dialog_review_account (NULL, app, monitor, g_variant_get_string (parameter, NULL));
}

static void
wait_for_state (PbMonitor      *monitor,
                const char     *id,
                PbAccountState  state)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (pb_monitor_get_state (monitor, id) != state)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static GtkWindow *
find_review (void)
{
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (PB_IS_TRUST_DIALOG (gtk_window_get_child (l->data)))
      return l->data;
  return NULL;
}

static void
test_trusting_pins_exactly_host_and_port_and_checks_again (Fixture       *fixture,
                                                           gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(PbTestServer) server = NULL;
  g_autoptr(PbAccountStore) accounts = NULL;
  g_autoptr(PbAccount) account = NULL;
  g_autoptr(PbTestNetwork) network = NULL;
  g_autoptr(PbScheduler) scheduler = NULL;
  g_autoptr(PbMonitor) monitor = NULL;
  g_autoptr(GSimpleAction) action = NULL;
  g_autoptr(PbTrustStore) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *accounts_path = g_build_filename (fixture->config_dir, "accounts.ini", NULL);
  g_autofree char *state_dir = pb_test_mkdtemp ("state");
  g_autofree char *key = NULL;
  g_auto(GStrv) keys = NULL;
  GtkWindow *window;
  guint16 port;

  if (!need_display ())
    return;

  /* Signed by the test CA, which this account does not know. */
  certificate = pb_test_load_certificate ("server.pem");
  server = pb_test_server_new (certificate, TRUE, login_script);
  port = pb_test_server_get_port (server);
  accounts = pb_account_store_new (accounts_path);
  account = pb_account_new ("work");
  pb_account_set_host (account, "localhost");
  pb_account_set_port (account, port);
  pb_account_set_user (account, "alice");
  g_assert_true (pb_account_store_add (accounts, account, &error));
  g_assert_no_error (error);

  network = pb_test_network_new (TRUE);
  scheduler = pb_scheduler_new (NULL, G_NETWORK_MONITOR (network), FALSE);
  monitor = pb_monitor_new (accounts, fixture->pins, scheduler, state_dir);
  pb_monitor_start (monitor);
  pb_monitor_set_session_password (monitor, "work", PASSWORD);
  wait_for_state (monitor, "work", PB_ACCOUNT_STATE_NEEDS_TRUST);

  action = g_simple_action_new (PB_ACTION_REVIEW_CERTIFICATE, G_VARIANT_TYPE_STRING);
  g_signal_connect (action, "activate", G_CALLBACK (on_review_action), monitor);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (action));
  g_action_group_activate_action (G_ACTION_GROUP (app), PB_ACTION_REVIEW_CERTIFICATE,
                                  g_variant_new_string ("work"));
  window = find_review ();
  g_assert_nonnull (window);
  pb_test_gtk_wait_mapped (GTK_WIDGET (window));
  g_assert_nonnull (shown_label (window, "The certificate is not signed by an authority your "
                                         "system trusts; it may be self-signed."));

  /* Asking again shows the same review, not a second one. */
  g_action_group_activate_action (G_ACTION_GROUP (app), PB_ACTION_REVIEW_CERTIFICATE,
                                  g_variant_new_string ("work"));
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (app)), ==, 1);

  activate (shown_button (window, "_Trust This Certificate"));
  g_assert_null (find_review ());

  /* Checked again at once, and this time it goes through. */
  wait_for_state (monitor, "work", PB_ACCOUNT_STATE_OK);
  g_assert_cmpuint (pb_test_server_get_n_connections (server), ==, 2);

  /* On disk, for exactly this host and port. */
  saved = reload_pins (fixture);
  keys = pb_trust_store_list_keys (saved);
  key = pb_trust_key ("localhost", port);
  g_assert_cmpuint (g_strv_length (keys), ==, 1);
  g_assert_cmpstr (keys[0], ==, key);
  g_assert_true (pb_trust_store_is_pinned (saved, "localhost", port, certificate));
  g_assert_false (pb_trust_store_is_pinned (saved, "localhost", port + 1, certificate));
  g_assert_false (pb_trust_store_is_pinned (saved, "127.0.0.1", port, certificate));

  g_action_map_remove_action (G_ACTION_MAP (app), PB_ACTION_REVIEW_CERTIFICATE);
  pb_test_rm_rf (state_dir);
}

static void
test_nothing_to_review (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *accounts_path = g_build_filename (fixture->config_dir, "accounts.ini", NULL);
  g_autoptr(PbAccountStore) accounts = pb_account_store_new (accounts_path);
  g_autoptr(PbAccount) account = pb_account_new ("home");
  g_autoptr(PbMonitor) monitor = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  if (!need_display ())
    return;

  pb_account_set_host (account, "localhost");
  pb_account_set_user (account, "alice");
  pb_account_set_enabled (account, FALSE);
  g_assert_true (pb_account_store_add (accounts, account, &error));
  g_assert_no_error (error);
  monitor = pb_monitor_new (accounts, fixture->pins, NULL, NULL);
  pb_monitor_start (monitor);

  window = pb_trust_dialog_review_account (NULL, app, monitor, "home");
  g_assert_true (GTK_IS_MESSAGE_DIALOG (window));
  g_assert_null (find_review ());
  gtk_window_destroy (window);
}

/* ---- Screenshots ------------------------------------------------------------------ */

static void
take_screenshots (Fixture    *fixture,
                  const char *suffix)
{
  g_autoptr(GTlsCertificate) certificate = pb_test_load_certificate ("self-signed.pem");
  g_autoptr(GTlsCertificate) old_certificate = pb_test_load_certificate ("server2.pem");
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags flags = verify (certificate, "pop.example.com", FALSE);
  g_autofree char *first = g_strdup_printf ("trust-dialog%s.png", suffix);
  g_autofree char *changed = g_strdup_printf ("trust-dialog-changed%s.png", suffix);
  GtkWindow *window;

  g_assert_cmpint (flags, ==, G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_BAD_IDENTITY);

  window = present (fixture, "pop.example.com", 995, certificate, flags);
  activate (pb_test_gtk_find_widget (GTK_WIDGET (window), is_expander, NULL));
  pb_test_gtk_settle (300);
  pb_test_gtk_save_screenshot (GTK_WIDGET (window), first);
  gtk_window_destroy (window);
  pb_test_gtk_settle (50);

  pb_trust_store_add (fixture->pins, "pop.example.com", 995, old_certificate);
  window = present (fixture, "pop.example.com", 995, certificate, flags);
  pb_test_gtk_settle (300);
  pb_test_gtk_save_screenshot (GTK_WIDGET (window), changed);
  gtk_window_destroy (window);
  pb_test_gtk_settle (50);
}

static void
test_screenshots (Fixture       *fixture,
                  gconstpointer  data)
{
  if (!need_display ())
    return;
  take_screenshots (fixture, "");
}

/* The same in Japanese: in a child process, whose GTK starts in that locale. */
static void
test_screenshots_japanese (Fixture       *fixture,
                           gconstpointer  data)
{
  if (!need_display ())
    return;
  if (pb_test_gtk_in_japanese ())
    {
      g_assert_cmpstr (_("Certificate _Details"), !=, "Certificate _Details");
      take_screenshots (fixture, "-ja");
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  pb_test_init (&argc, &argv);

  xvfb = pb_test_xvfb_new ();
  if (xvfb != NULL)
    {
      /* No session bus (and no autolaunched one): the application stays
       * in this process. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/popbell-test-bus", TRUE);
      app = gtk_application_new ("io.github.popbell.Popbell.TrustDialogTest",
                                 G_APPLICATION_NON_UNIQUE);
      g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
      g_assert_no_error (error);
    }

#define ADD(path, func) \
  g_test_add ("/pb/trust-dialog/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("create-destroy", test_create_destroy);
  ADD ("explains-each-problem", test_explains_each_problem);
  ADD ("escape-does-not-trust", test_escape_does_not_trust);
  ADD ("changed-certificate-shows-both-fingerprints",
       test_changed_certificate_shows_both_fingerprints);
  ADD ("revoked-cannot-be-trusted", test_revoked_cannot_be_trusted);
  ADD ("long-subject-is-ellipsized", test_long_subject_is_ellipsized);
  ADD ("weak-cannot-be-trusted", test_weak_cannot_be_trusted);
  ADD ("common-name-only-can-be-trusted", test_common_name_only_can_be_trusted);
  ADD ("trusting-pins-exactly-host-and-port-and-checks-again",
       test_trusting_pins_exactly_host_and_port_and_checks_again);
  ADD ("nothing-to-review", test_nothing_to_review);
  ADD ("screenshots", test_screenshots);
  ADD ("screenshots/japanese", test_screenshots_japanese);
#undef ADD

  status = g_test_run ();

  g_clear_object (&app);
  g_clear_pointer (&xvfb, pb_test_xvfb_free);
  return status;
}
