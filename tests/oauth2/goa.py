# SPDX-License-Identifier: GPL-3.0-or-later
'''GNOME Online Accounts, as a python3-dbusmock template, for Popbell's tests.

    python3 -m dbusmock --session --template tests/oauth2/goa.py \
        --parameters '{"accounts": [...]}'

Serves org.gnome.OnlineAccounts at /org/gnome/OnlineAccounts (an
ObjectManager) with one object per account, as goa-daemon does:
org.gnome.OnlineAccounts.Account (ProviderType, ProviderName,
PresentationIdentity, Identity, MailDisabled, AttentionNeeded,
EnsureCredentials), org.gnome.OnlineAccounts.OAuth2Based (GetAccessToken)
and org.gnome.OnlineAccounts.Mail (EmailAddress).

Each account of the "accounts" parameter: {"id", "provider" ("google",
"ms_graph", …), "email", "token", "mail_disabled", "expired"}. An expired
account (AttentionNeeded true; tests switch it with the Mock interface's
UpdateProperties) refuses EnsureCredentials and GetAccessToken with
org.gnome.OnlineAccounts.Error.NotAuthorized, as goa-daemon does when the
user must sign in again.
'''

import dbus

from dbusmock import mockobject

BUS_NAME = 'org.gnome.OnlineAccounts'
MAIN_OBJ = '/org/gnome/OnlineAccounts'
SYSTEM_BUS = False
IS_OBJECT_MANAGER = True

ACCOUNT_IFACE = 'org.gnome.OnlineAccounts.Account'
OAUTH2_IFACE = 'org.gnome.OnlineAccounts.OAuth2Based'
MAIL_IFACE = 'org.gnome.OnlineAccounts.Mail'

NAMES = {'google': 'Google', 'ms_graph': 'Microsoft 365', 'windows_live': 'Microsoft'}

REFUSE = ('if self.props["' + ACCOUNT_IFACE + '"]["AttentionNeeded"]:\n'
          '    raise dbus.exceptions.DBusException("Credentials have expired",\n'
          '        name="org.gnome.OnlineAccounts.Error.NotAuthorized")\n')


def load(mock, parameters):
    for account in parameters.get('accounts', []):
        path = MAIN_OBJ + '/Accounts/' + account['id']
        provider = account.get('provider', 'google')
        mock.AddObject(path, ACCOUNT_IFACE, {
            'Id': dbus.String(account['id']),
            'ProviderType': dbus.String(provider),
            'ProviderName': dbus.String(NAMES.get(provider, provider)),
            'PresentationIdentity': dbus.String(account['email']),
            'Identity': dbus.String(account['email']),
            'MailDisabled': dbus.Boolean(account.get('mail_disabled', False)),
            'AttentionNeeded': dbus.Boolean(account.get('expired', False)),
            'IsLocked': dbus.Boolean(False),
        }, [
            ('EnsureCredentials', '', 'i', REFUSE + 'ret = 3600'),
        ])
        target = mockobject.objects[path]
        target.AddProperties(OAUTH2_IFACE, {
            'ClientId': dbus.String('goa-client'),
            'ClientSecret': dbus.String(''),
        })
        target.AddMethods(OAUTH2_IFACE, [
            ('GetAccessToken', '', 'si',
             REFUSE + 'ret = (%r, 3600)' % account.get('token', 'goa-token')),
        ])
        target.AddProperties(MAIL_IFACE, {
            'EmailAddress': dbus.String(account['email']),
            'ImapHost': dbus.String('imap.gmail.com'),
        })

