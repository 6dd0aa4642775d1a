#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scripted web browser for Popbell's sign-in tests.

    browser.py [--ca FILE] [--log FILE] [--forge-first] URL

Does what a user's browser does with the authorization address: asks for
it, follows the identity provider's redirect to Popbell's listener on
127.0.0.1, and "shows" the page it gets. The tests install it as the
desktop's handler for https:// (a .desktop file and mimeapps.list in the
test's XDG folders), so g_app_info_launch_default_for_uri opens it, or run
it directly.

--forge-first: before the real redirect, ask the listener for another page
(/favicon.ico, as browsers do) and for the redirect with a forged state;
both must be refused without ending the sign-in.

The log (JSON, one object per line) has each request: {"url", "status"},
then {"page": the last body}.
"""

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ca")
    parser.add_argument("--log")
    parser.add_argument("--forge-first", action="store_true")
    parser.add_argument("url")
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=args.ca)
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         NoRedirect())
    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stderr

    def fetch(url):
        try:
            with opener.open(url, timeout=30) as answer:
                status, headers, body = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        log.write(json.dumps({"url": url, "status": status}) + "\n")
        log.flush()
        return status, headers, body.decode("utf-8", "replace")

    url = args.url
    for _ in range(5):
        status, headers, body = fetch(url)
        if status not in (301, 302, 303, 307, 308):
            break
        url = urllib.parse.urljoin(url, headers["Location"])
        if args.forge_first and urllib.parse.urlsplit(url).hostname == "127.0.0.1":
            parts = urllib.parse.urlsplit(url)
            query = dict(urllib.parse.parse_qsl(parts.query))
            query["state"] = "forged"
            fetch(urllib.parse.urlunsplit(parts._replace(path="/favicon.ico")))
            fetch(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))))
    log.write(json.dumps({"page": body}) + "\n")
    log.flush()


if __name__ == "__main__":
    main()
