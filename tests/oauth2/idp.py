#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""An OAuth 2.0 identity provider for Popbell's tests, over HTTPS on 127.0.0.1.

    idp.py --cert CERT --key KEY [--port N] [--config FILE]

Prints "READY <port>" on stdout once it listens, then serves until its
standard input closes (the test holding the pipe went away) or it is killed.

Endpoints, as a real provider has them:
  GET  /authorize     authorization code with PKCE (RFC 7636, S256 only); the
                      user signs in at once (no login page): config "user", or
                      login_hint. A loopback redirect URI (RFC 8252 §7.3) only.
  POST /token         grant_type authorization_code (code_verifier checked),
                      refresh_token, and the device code (RFC 8628).
  POST /device        device authorization (RFC 8628 §3.1, 3.2)
  GET  /device        the verification page: ?user_code=… approves that code
                      for config "user" (what the user does in a browser)
  POST /introspect    token introspection (RFC 7662), for Dovecot's oauth2 passdb
Test controls:
  POST /admin/config  merges a JSON object into the configuration
  POST /admin/issue   tokens for {"user": …} without any sign-in (as /token answers)
  POST /admin/revoke  every refresh token is revoked (refresh: invalid_grant)
  POST /admin/expire  every access token is inactive (introspection: false)
  GET  /admin/stats   what was asked: counts per endpoint and grant, and the
                      last authorization request's parameters

The configuration (JSON, defaults below) names clients, the user, lifetimes,
token prefixes (a test's canary), and how the device flow behaves.
"""

import argparse
import base64
import hashlib
import http.server
import json
import re
import secrets
import ssl
import sys
import threading
import time
import urllib.parse

DEFAULTS = {
    "clients": {"popbell-test": {}},
    "user": "alice@example.org",
    "scope": "mail offline_access",
    "access_lifetime": 3600,
    "access_prefix": "at-",
    "refresh_prefix": "rt-",
    "rotate_refresh": True,
    "deny": False,                # /authorize answers error=access_denied
    "device_interval": 1,         # seconds between polls the client is told
    "device_expires_in": 600,
    "device_slow_down": 0,        # this many polls answered slow_down first
    "device_deny": False,         # the user refuses at the verification page
    "token_error": None,          # every /token answer is this error (e.g. temporarily_unavailable)
}

VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class State:
    def __init__(self, config):
        self.lock = threading.Lock()
        self.config = dict(DEFAULTS)
        self.config.update(config)
        self.codes = {}       # code -> {client_id, redirect_uri, challenge, scope, user, expires}
        self.access = {}      # token -> {user, scope, client_id, expires}
        self.refresh = {}     # token -> {user, scope, client_id}
        self.devices = {}     # device_code -> {user_code, client_id, scope, expires, user, denied, polls}
        self.stats = {"authorize": 0, "token": {}, "device": 0, "verify": 0, "introspect": 0,
                      "introspect_active": 0, "last_authorize": None, "last_token": None}

    def new_token(self, prefix):
        return prefix + secrets.token_urlsafe(24)

    def issue(self, user, scope, client_id, with_refresh=True):
        cfg = self.config
        access = self.new_token(cfg["access_prefix"])
        self.access[access] = {"user": user, "scope": scope, "client_id": client_id,
                               "expires": time.time() + cfg["access_lifetime"]}
        answer = {"access_token": access, "token_type": "Bearer",
                  "expires_in": cfg["access_lifetime"], "scope": scope}
        if with_refresh:
            refresh = self.new_token(cfg["refresh_prefix"])
            self.refresh[refresh] = {"user": user, "scope": scope, "client_id": client_id}
            answer["refresh_token"] = refresh
        return answer


def s256(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def loopback_redirect(uri):
    parts = urllib.parse.urlsplit(uri)
    return (parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.port is not None
            and not parts.username and not parts.password and not parts.fragment)


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "PopbellTestIdP/1"
    protocol_version = "HTTP/1.1"

    def setup(self):
        # The handshake runs in this request's thread, not in the accepting one.
        self.request.settimeout(30)
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        sys.stderr.write("idp: " + (fmt % args) + "\n")

    @property
    def state(self):
        return self.server.state

    # ---- answers -------------------------------------------------------------

    def send(self, status, body, content_type="application/json", headers=()):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, obj):
        self.send(status, json.dumps(obj))

    def oauth_error(self, error, description, status=400):
        self.send_json(status, {"error": error, "error_description": description})

    def redirect(self, uri, params):
        sep = "&" if urllib.parse.urlsplit(uri).query else "?"
        self.send(302, b"", "text/plain",
                  [("Location", uri + sep + urllib.parse.urlencode(params))])

    def read_form(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype == "application/json":
            return json.loads(body or "{}")
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        if any(len(v) > 1 for v in form.values()):
            return None   # a parameter given twice is invalid (RFC 6749 §3.1)
        return {k: v[0] for k, v in form.items()}

    # ---- routing -------------------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        with self.state.lock:
            if url.path == "/authorize":
                return self.authorize(query)
            if url.path == "/device":
                return self.verify_device(query)
            if url.path == "/admin/stats":
                return self.send_json(200, self.state.stats)
        self.send(404, "not found\n", "text/plain")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        form = self.read_form()
        if form is None:
            return self.oauth_error("invalid_request", "a parameter was given twice")
        with self.state.lock:
            if url.path == "/token":
                return self.token(form)
            if url.path == "/device":
                return self.device(form)
            if url.path == "/introspect":
                return self.introspect(form)
            if url.path == "/admin/config":
                self.state.config.update(form)
                return self.send_json(200, self.state.config)
            if url.path == "/admin/issue":
                return self.send_json(200, self.state.issue(
                    form.get("user", self.state.config["user"]),
                    form.get("scope", self.state.config["scope"]), "popbell-test"))
            if url.path == "/admin/revoke":
                self.state.refresh.clear()
                return self.send_json(200, {})
            if url.path == "/admin/expire":
                for entry in self.state.access.values():
                    entry["expires"] = 0
                return self.send_json(200, {})
        self.send(404, "not found\n", "text/plain")

    # ---- authorization code --------------------------------------------------

    def authorize(self, q):
        st = self.state
        cfg = st.config
        st.stats["authorize"] += 1
        st.stats["last_authorize"] = q
        redirect_uri = q.get("redirect_uri", "")
        if q.get("client_id") not in cfg["clients"]:
            return self.send(400, "unknown client\n", "text/plain")
        # Never redirect to a URI that is not a loopback one: say so here.
        if not loopback_redirect(redirect_uri):
            return self.send(400, "the redirect URI must be http://127.0.0.1:PORT/…\n",
                             "text/plain")
        back = {"state": q["state"]} if "state" in q else {}
        if q.get("response_type") != "code":
            return self.redirect(redirect_uri, dict(back, error="unsupported_response_type"))
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return self.redirect(redirect_uri, dict(back, error="invalid_request",
                                                    error_description="PKCE S256 is required"))
        if cfg["deny"]:
            return self.redirect(redirect_uri, dict(back, error="access_denied",
                                                    error_description="The user said no."))
        code = secrets.token_urlsafe(16)
        st.codes[code] = {"client_id": q["client_id"], "redirect_uri": redirect_uri,
                          "challenge": q["code_challenge"],
                          "scope": q.get("scope", cfg["scope"]),
                          "user": q.get("login_hint") or cfg["user"],
                          "expires": time.time() + 600}
        return self.redirect(redirect_uri, dict(back, code=code))

    # ---- token ---------------------------------------------------------------

    def token(self, f):
        st = self.state
        cfg = st.config
        grant = f.get("grant_type", "")
        st.stats["token"][grant] = st.stats["token"].get(grant, 0) + 1
        st.stats["last_token"] = {k: v for k, v in f.items()
                                  if k not in ("code", "code_verifier", "refresh_token",
                                               "device_code")}
        if cfg["token_error"]:
            return self.oauth_error(cfg["token_error"], "as configured", 503
                                    if cfg["token_error"] == "temporarily_unavailable" else 400)
        if f.get("client_id") not in cfg["clients"]:
            return self.oauth_error("invalid_client", "unknown client", 401)

        if grant == "authorization_code":
            entry = st.codes.pop(f.get("code", ""), None)
            if entry is None or entry["expires"] < time.time():
                return self.oauth_error("invalid_grant", "unknown or used code")
            if entry["client_id"] != f["client_id"] or entry["redirect_uri"] != f.get("redirect_uri"):
                return self.oauth_error("invalid_grant", "another client or redirect URI")
            verifier = f.get("code_verifier", "")
            if not VERIFIER.match(verifier) or s256(verifier) != entry["challenge"]:
                return self.oauth_error("invalid_grant", "the PKCE verifier does not match")
            return self.send_json(200, st.issue(entry["user"], entry["scope"], f["client_id"]))

        if grant == "refresh_token":
            old = f.get("refresh_token", "")
            entry = st.refresh.get(old)
            if entry is None or entry["client_id"] != f["client_id"]:
                return self.oauth_error("invalid_grant", "The refresh token was revoked.")
            answer = st.issue(entry["user"], entry["scope"], f["client_id"],
                              with_refresh=cfg["rotate_refresh"])
            if cfg["rotate_refresh"]:
                del st.refresh[old]
            return self.send_json(200, answer)

        if grant == DEVICE_GRANT:
            code = f.get("device_code", "")
            entry = st.devices.get(code)
            if entry is None or entry["client_id"] != f["client_id"]:
                return self.oauth_error("invalid_grant", "unknown device code")
            entry["polls"] += 1
            if entry["expires"] < time.time():
                return self.oauth_error("expired_token", "The code expired.")
            if entry["slow_down"] > 0:
                entry["slow_down"] -= 1
                return self.oauth_error("slow_down", "Not so fast.")
            if entry["denied"]:
                return self.oauth_error("access_denied", "The user said no.")
            if entry["user"] is None:
                return self.oauth_error("authorization_pending", "Waiting for the user.")
            del st.devices[code]
            return self.send_json(200, st.issue(entry["user"], entry["scope"], f["client_id"]))

        return self.oauth_error("unsupported_grant_type", grant)

    # ---- device authorization --------------------------------------------------

    def device(self, f):
        st = self.state
        cfg = st.config
        st.stats["device"] += 1
        if f.get("client_id") not in cfg["clients"]:
            return self.oauth_error("invalid_client", "unknown client", 401)
        device_code = secrets.token_urlsafe(24)
        user_code = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
        st.devices[device_code] = {"user_code": user_code, "client_id": f["client_id"],
                                   "scope": f.get("scope", cfg["scope"]),
                                   "expires": time.time() + cfg["device_expires_in"],
                                   "user": None, "denied": False, "polls": 0,
                                   "slow_down": cfg["device_slow_down"]}
        base = "https://127.0.0.1:%d" % self.server.server_port
        return self.send_json(200, {
            "device_code": device_code, "user_code": user_code,
            "verification_uri": base + "/device",
            "verification_uri_complete": base + "/device?user_code=" + user_code,
            "expires_in": cfg["device_expires_in"], "interval": cfg["device_interval"]})

    def verify_device(self, q):
        st = self.state
        st.stats["verify"] += 1
        for entry in st.devices.values():
            if entry["user_code"] == q.get("user_code"):
                if st.config["device_deny"]:
                    entry["denied"] = True
                else:
                    entry["user"] = st.config["user"]
                return self.send(200, "<p>You can go back to your device.</p>\n", "text/html")
        return self.send(404, "<p>No such code.</p>\n", "text/html")

    # ---- introspection -------------------------------------------------------

    def introspect(self, f):
        st = self.state
        st.stats["introspect"] += 1
        entry = st.access.get(f.get("token", ""))
        if entry is None or entry["expires"] < time.time():
            return self.send_json(200, {"active": False})
        st.stats["introspect_active"] += 1
        return self.send_json(200, {"active": True, "username": entry["user"],
                                    "scope": entry["scope"], "client_id": entry["client_id"],
                                    "token_type": "Bearer", "exp": int(entry["expires"])})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config")
    args = parser.parse_args()

    config = {}
    if args.config:
        with open(args.config, encoding="utf-8") as f:
            config = json.load(f)

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(config)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)

    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY %d" % server.server_port, flush=True)
    # The test holds our stdin: when it goes, so do we.
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
