/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The "Sign in again" dialog under Xvfb, driven as a user does: its button
 * opens the provider's page with the desktop's https:// handler (the scripted
 * browser tests/oauth2/browser.py), the tests' identity provider redirects to
 * Popbell, and the account, refused before, is checked again against a
 * Dovecot that takes the provider's tokens; the sign-in lands in a real
 * keyring. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "pb-dovecot.h"
#include "pb-error.h"
#include "pb-monitor.h"
#include "pb-oauth2-tokens.h"
#include "pb-secret-store.h"
#include "pb-sign-in-dialog.h"
#include "pb-test-goa.h"
#include "pb-test-gtk.h"
#include "pb-test-idp.h"
#include "pb-test-keyring.h"
#include "pb-test-util.h"

#define USER "alice@example.org"

/* The fixture's data for a session without a keyring (provider "test"). */
static const char no_keyring[] = "no-keyring";

typedef struct
{
  PbTestKeyring  *keyring;
  PbTestIdp      *idp;
  PbDovecot      *dovecot;
  char           *dir;
  char           *browser_log;
  PbAccountStore *accounts;
  PbTrustStore   *pins;
  PbMonitor      *monitor;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *accounts_path = NULL;
  g_autofree char *pins_path = NULL;
  g_autofree char *ca = pb_test_cert_path ("ca.crt");
  g_autoptr(PbAccount) account = pb_account_new ("mail");

  fixture->keyring = data == no_keyring ? pb_test_keyring_new_no_service ()
                                        : pb_test_keyring_new ();
  if (data == no_keyring)
    data = NULL;
  fixture->idp = pb_test_idp_new (NULL);
  url = pb_test_idp_url (fixture->idp, "/introspect");
  fixture->dovecot = pb_dovecot_new_oauth2 (url, "xoauth2", PB_DOVECOT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  pb_dovecot_add_user (fixture->dovecot, USER, "unused-password", &error);
  g_assert_no_error (error);
  pb_test_idp_write_provider (fixture->idp, "test", "mail offline_access");
  fixture->browser_log = g_build_filename (pb_test_get_tmpdir (), "browser.log", NULL);
  g_unlink (fixture->browser_log);
  pb_test_browser_install (fixture->browser_log, FALSE);

  fixture->dir = pb_test_mkdtemp ("sign-in");
  accounts_path = g_build_filename (fixture->dir, "accounts.ini", NULL);
  pins_path = g_build_filename (fixture->dir, "trust.ini", NULL);
  fixture->accounts = pb_account_store_new (accounts_path);
  fixture->pins = pb_trust_store_new (pins_path);
  pb_account_set_display_name (account, "Mail");
  pb_account_set_host (account, "127.0.0.1");
  pb_account_set_port (account, pb_dovecot_get_pop3s_port (fixture->dovecot));
  pb_account_set_user (account, USER);
  pb_account_set_ca_file (account, ca);
  pb_account_set_oauth2_provider (account, data != NULL ? data : "test");
  g_assert_true (pb_account_store_add (fixture->accounts, account, &error));
  g_assert_true (pb_account_store_save (fixture->accounts, &error));
  fixture->monitor = pb_monitor_new (fixture->accounts, fixture->pins, NULL, fixture->dir);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->monitor);
  g_clear_object (&fixture->accounts);
  g_clear_object (&fixture->pins);
  pb_oauth2_forget_access_token (NULL);
  pb_oauth2_forget_session_sign_in (NULL);
  g_clear_pointer (&fixture->dovecot, pb_dovecot_free);
  g_clear_pointer (&fixture->idp, pb_test_idp_free);
  g_clear_pointer (&fixture->keyring, pb_test_keyring_free);
  pb_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->browser_log);
}

static void
wait_state (Fixture        *fixture,
            PbAccountState  state)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (pb_monitor_get_state (fixture->monitor, "mail") != state)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The account did not reach state %d (it is in %d)", state,
                 pb_monitor_get_state (fixture->monitor, "mail"));
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Never signed in: "needs sign-in"; the dialog signs in, the account works. */
static void
test_signs_in (Fixture       *fixture,
               gconstpointer  data)
{
  GtkWindow *dialog;
  GtkWidget *button;
  g_autofree char *page = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;

  if (!pb_test_gtk_need_display ())
    return;

  pb_monitor_start (fixture->monitor);
  pb_monitor_check_now (fixture->monitor, "mail");
  wait_state (fixture, PB_ACCOUNT_STATE_NEEDS_SIGN_IN);

  dialog = GTK_WINDOW (pb_sign_in_dialog_new (NULL, fixture->monitor, "mail"));
  /* It closes itself: kept alive here to see it go. */
  g_object_ref (dialog);
  gtk_window_present (dialog);
  pb_test_gtk_wait_mapped (GTK_WIDGET (dialog));
  g_assert_nonnull (pb_test_gtk_shown_label (GTK_WIDGET (dialog), "Sign in to check Mail"));
  pb_test_gtk_save_screenshot (GTK_WIDGET (dialog), "sign-in-dialog.png");
  button = pb_test_gtk_shown_actionable (GTK_WIDGET (dialog), "sign-in.start", NULL);
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "_Sign In with Test Provider…");
  pb_test_gtk_activate (button);

  /* The browser goes there and back; the dialog closes itself. */
  page = pb_test_browser_wait_page (fixture->browser_log, 30);
  g_assert_nonnull (strstr (page, "Signed in to Popbell"));
  pb_test_gtk_wait_unmapped (GTK_WIDGET (dialog));
  g_object_unref (dialog);
  wait_state (fixture, PB_ACCOUNT_STATE_OK);

  /* The access token of the sign-in did the check: no refresh. */
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "authorization_code"), ==, 1);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 0);
  pb_secret_lookup_token_async ("mail", FALSE, NULL, pb_test_store_result, &result);
  pb_test_wait_result (&result, 20);
  stored = pb_secret_lookup_token_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (stored, "rt-"));
  pb_secret_free (g_steal_pointer (&stored));
}

static gboolean
label_contains (GtkWidget  *widget,
                const char *text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_visible (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL;
}

/* No keyring: the sign-in is kept for the session (the dialog says so), the
 * account works, and its next access token is made from that sign-in. */
static void
test_signs_in_for_the_session (Fixture       *fixture,
                               gconstpointer  data)
{
  GtkWindow *dialog;
  GtkWidget *button;
  g_autofree char *page = NULL;

  if (!pb_test_gtk_need_display ())
    return;

  pb_monitor_start (fixture->monitor);
  pb_monitor_check_now (fixture->monitor, "mail");
  wait_state (fixture, PB_ACCOUNT_STATE_NO_KEYRING);

  dialog = GTK_WINDOW (pb_sign_in_dialog_new (NULL, fixture->monitor, "mail"));
  g_object_ref (dialog);
  gtk_window_present (dialog);
  pb_test_gtk_wait_mapped (GTK_WIDGET (dialog));
  g_assert_nonnull (pb_test_gtk_find_widget (GTK_WIDGET (dialog),
                                             label_contains,
                                             "lasts only until Popbell quits"));
  button = pb_test_gtk_shown_actionable (GTK_WIDGET (dialog), "sign-in.start", NULL);
  g_assert_nonnull (button);
  pb_test_gtk_activate (button);

  page = pb_test_browser_wait_page (fixture->browser_log, 30);
  g_assert_nonnull (strstr (page, "Signed in to Popbell"));
  pb_test_gtk_wait_unmapped (GTK_WIDGET (dialog));
  g_object_unref (dialog);
  wait_state (fixture, PB_ACCOUNT_STATE_OK);
  g_assert_cmpint (pb_test_idp_count_grants (fixture->idp, "refresh_token"), ==, 0);

  /* The next check's token comes from the session's sign-in. */
  pb_oauth2_forget_access_token ("mail");
  pb_monitor_check_now (fixture->monitor, "mail");
  {
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

    while (pb_test_idp_count_grants (fixture->idp, "refresh_token") < 1)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
  }
  wait_state (fixture, PB_ACCOUNT_STATE_OK);
}

/* Google without a client ID and without Online Accounts: said plainly, with
 * what works instead; never a dead end. */
static void
test_no_client_id (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "popbell", "oauth2.ini",
                                            NULL);
  GtkWindow *dialog;
  GtkWidget *button;

  if (!pb_test_gtk_need_display ())
    return;

  g_assert_true (g_file_set_contents (path, "[google]\nclient-id=\n", -1, NULL));
  dialog = GTK_WINDOW (pb_sign_in_dialog_new (NULL, fixture->monitor, "mail"));
  gtk_window_present (dialog);
  pb_test_gtk_wait_mapped (GTK_WIDGET (dialog));
  pb_test_gtk_settle (200);
  g_assert_nonnull (pb_test_gtk_shown_label (GTK_WIDGET (dialog),
    "This copy of Popbell has no client ID for signing in with Google itself. Add your "
    "Google account in Settings → Online Accounts: Popbell then signs in through it. Or use "
    "an app password instead, as the link below explains."));
  button = pb_test_gtk_shown_actionable (GTK_WIDGET (dialog), "sign-in.start", NULL);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "_Check Now");
  gtk_window_destroy (dialog);
}

/* Online Accounts has the Google account: it signs in, and the dialog says so. */
static void
test_online_accounts (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(PbTestGoa) goa = NULL;
  GtkWindow *dialog;
  GtkWidget *button;
  gint64 deadline;

  if (!pb_test_gtk_need_display ())
    return;

  goa = pb_test_goa_new ("{\"accounts\": [{\"id\": \"account_1\", \"provider\": \"google\", "
                         "\"email\": \"" USER "\", \"token\": \"ya29.x\"}]}");
  dialog = GTK_WINDOW (pb_sign_in_dialog_new (NULL, fixture->monitor, "mail"));
  gtk_window_present (dialog);
  pb_test_gtk_wait_mapped (GTK_WIDGET (dialog));
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (pb_test_gtk_shown_label (GTK_WIDGET (dialog),
           "Your Google account " USER " is in GNOME Online Accounts, which signs in for "
           "Popbell. If Online Accounts says the account needs attention, sign in again there, "
           "then check again.") == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The dialog did not tell of Online Accounts");
      pb_test_gtk_settle (50);
    }
  button = pb_test_gtk_shown_actionable (GTK_WIDGET (dialog), "sign-in.start", NULL);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "_Check Now");
  gtk_window_destroy (dialog);
}

int
main (int    argc,
      char **argv)
{
  int status;

  pb_test_init (&argc, &argv);
  pb_test_gtk_init ();

  g_test_add ("/pb/sign-in-dialog/signs-in-in-the-browser-and-checks", Fixture, NULL,
              fixture_setup, test_signs_in, fixture_teardown);
  g_test_add ("/pb/sign-in-dialog/without-keyring-signs-in-for-the-session", Fixture,
              no_keyring, fixture_setup, test_signs_in_for_the_session, fixture_teardown);
  g_test_add ("/pb/sign-in-dialog/no-client-id-says-what-works", Fixture, "google",
              fixture_setup, test_no_client_id, fixture_teardown);
  g_test_add ("/pb/sign-in-dialog/online-accounts-signs-in", Fixture, "google",
              fixture_setup, test_online_accounts, fixture_teardown);

  status = g_test_run ();
  pb_test_gtk_shutdown ();
  return status;
}
