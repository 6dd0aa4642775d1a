#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the seed corpora in tests/fuzz/corpus/<harness>/ (committed; run
again only to change them). POP3 transcripts as Dovecot and other servers
answer, Japanese and 8-bit headers, valid state, account and trust files.

    tests/fuzz/make-seeds.py            (needs openssl for the trust.ini seeds)
"""

import base64
import hashlib
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(harness, name, data):
    folder = os.path.join(CORPUS, harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def crlf(text):
    return text.replace("\n", "\r\n")


# ---- POP3 ------------------------------------------------------------------

GREETING = "+OK Dovecot (Debian) ready.\n"
CAPA = ("+OK\nCAPA\nTOP\nUIDL\nRESP-CODES\nPIPELINING\nAUTH-RESP-CODE\nSTLS\n"
        "USER\nSASL PLAIN\n.\n")
UIDL = "+OK\n1 000000014f2e8c61\n2 000000024f2e8c61\n3 UID3-1700000000\n.\n"
TOP_ASCII = ("+OK\nReturn-Path: <alice@example.org>\nFrom: Alice <alice@example.org>\n"
             "To: bob@example.com\nSubject: Lunch on Friday?\n"
             "Date: Mon, 4 Mar 2024 10:15:00 +0100\nMessage-ID: <abc@example.org>\n"
             "..hidden line that starts with a dot\n\n.\n")
TOP_JAPANESE = ("+OK\nFrom: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\n"
                "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\n"
                " =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=\n"
                "Date: Tue, 5 Mar 2024 09:00:00 +0900\n\n.\n")


def reader_seed(mask, max_line, max_body, cut, transcript):
    """8 control bytes (see fuzz-pop3-reader.c) and the server's bytes."""
    control = struct.pack("<IBBH", mask, max_line, max_body, cut)
    if isinstance(transcript, str):
        transcript = transcript.encode("utf-8")
    return control + transcript


def pop3_seeds():
    # Greeting, CAPA, STLS, CAPA again, AUTH, STAT, UIDL, TOP, TOP, -ERR, QUIT.
    session = (GREETING + CAPA + "+OK Begin TLS negotiation now.\n" + CAPA +
               "+OK Logged in.\n" + "+OK 3 4213\n" + UIDL + TOP_ASCII + TOP_JAPANESE +
               "-ERR [IN-USE] Mailbox is locked\n" + "+OK Logging out.\n")
    # Multi-line: CAPA (1, 3), UIDL (6), TOP (7, 8), and the -ERR (9) is read as one.
    mask = (1 << 1) | (1 << 3) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9)
    write("pop3-reader", "dovecot-session", reader_seed(mask, 0xff, 0xff, 7, crlf(session)))
    write("pop3-reader", "bare-lf-session", reader_seed(mask, 0xff, 0xff, 300, session))
    write("pop3-reader", "small-caps",
          reader_seed(0b10, 40, 20, 1, crlf(GREETING + UIDL + "+OK 1 2\n")))
    write("pop3-reader", "err-to-multiline",
          reader_seed(0xffffffff, 0xff, 0xff, 3,
                      crlf("-ERR [AUTH] Authentication failed.\n-ERR unknown command\n")))
    write("pop3-reader", "garbage-status",
          reader_seed(0, 0xff, 0xff, 5, crlf("+OK ready\n* OK IMAP4rev1 ready\n")))
    write("pop3-reader", "latin1-status",
          reader_seed(0, 0xff, 0xff, 9, b"+OK Gr\xfc\xdfe\r\n-ERR \xff\xfe\r\n"))

    # Bodies after "+OK" (first byte: line cap; 0xff means the default).
    write("pop3-multiline", "uidl", b"\xff" + crlf(UIDL.split("\n", 1)[1]).encode())
    write("pop3-multiline", "top-dot-stuffed", b"\xff" + crlf(TOP_ASCII.split("\n", 1)[1]).encode())
    write("pop3-multiline", "top-japanese",
          b"\xff" + crlf(TOP_JAPANESE.split("\n", 1)[1]).encode())
    write("pop3-multiline", "empty", b"\xff.\r\n")
    write("pop3-multiline", "lf-only", b"\xff..\n...\n.x\n.\n")
    write("pop3-multiline", "small-cap", b"\x04" + crlf("short\n" + "x" * 40 + "\n.\n").encode())
    write("pop3-multiline", "unterminated", b"\xff" + crlf("1 a\n2 b\n").encode())
    # NUL bytes in a body become spaces (a sender's bytes, not a protocol fault).
    write("pop3-multiline", "nul-bytes", b"\xff\x00rom: x\r\n.\x00\r\n..\x00\r\nSubject: a\x00b\r\n.\r\n")

    write("pop3-parse", "capa", CAPA.replace("+OK\n", "").replace(".\n", ""))
    write("pop3-parse", "capa-mixed-case", "top\nUidl\nSASL  GSSAPI\tplain\nIMPLEMENTATION x\n")
    write("pop3-parse", "stat", "3 4213\n0 0\n4294967295 18446744073709551615\n2 100 extra\n")
    write("pop3-parse", "uidl-lines",
          "1 000000014f2e8c61\n2   spaced  \n42 " + "u" * 70 + "\n0 zero\n7 \x7fbad\n")


# ---- Headers -----------------------------------------------------------------

def message_seeds():
    write("message", "ascii", crlf(TOP_ASCII.split("\n", 1)[1].replace("..", ".")[:-3]))
    write("message", "iso-2022-jp-words", crlf(TOP_JAPANESE.split("\n", 1)[1][:-3]))
    subject = "件名のテスト"
    write("message", "raw-shift-jis",
          b"From: " + "山田 太郎".encode("cp932") + b" <taro@example.jp>\r\nSubject: " +
          subject.encode("cp932") + b"\r\n\r\n")
    write("message", "raw-euc-jp",
          b"From: " + "鈴木".encode("euc_jp") + b" <suzuki@example.jp>\nSubject: " +
          subject.encode("euc_jp") + b"\n\n")
    write("message", "raw-iso-2022-jp",
          b"Subject: " + subject.encode("iso2022_jp") + b"\r\nFrom: a@example.jp\r\n\r\n")
    write("message", "raw-utf8",
          "From: Zoë Ünal <zoe@example.de>\nSubject: Grüße – 日本語\u2028next\n\n")
    write("message", "q-words-latin1",
          "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>\n"
          "Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\n"
          "  =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\n\n")
    write("message", "group-and-folding",
          "From: Undisclosed recipients:;\nSubject: folded\n\tover\n  three lines\n"
          "Message-ID:\n <folded@example.org>\nDate: not a date\n\n")
    write("message", "unknown-charset",
          "From: =?x-unknown?B?" + base64.b64encode(b"\xa4\xb3\xa4\xf3").decode() +
          "?= <u@example.org>\nSubject: =?utf-8?q?=E6=97=A5=E6=9C=AC?=\n\n")
    write("message", "no-headers", "this is not a header line\n\nbody\n")


# ---- Stores --------------------------------------------------------------------

def store_seeds():
    write("seen-store", "new", "popbell-state 1\ninitialized 0\nlast-total -1\nlast-check 0\nend\n")
    write("seen-store", "typical",
          "popbell-state 1\ninitialized 1\nlast-total 3\nlast-check 1709543700\n"
          "seen 000000014f2e8c61\nseen 000000024f2e8c61\nseen UID3-1700000000\n"
          "message uidl=UID3-1700000000\tfrom=Alice <alice@example.org>\t"
          "from-name=Alice\tfrom-address=alice@example.org\tsubject=Lunch on Friday?\t"
          "date=2024-03-04T10:15:00+01\tmessage-id=abc@example.org\n"
          "message uidl=000000024f2e8c61\tfrom=山田 太郎 <taro@example.jp>\t"
          "subject=件名\\tのテスト\\\\\\n\\001\n"
          "message subject=\n"
          "end\n")
    write("seen-store", "truncated", "popbell-state 1\ninitialized 1\nseen a\nseen b\n")

    write("account-store", "two-accounts",
          "# Popbell accounts\n[work]\nname=Work mail\nhost=pop.example.com\nport=995\n"
          "security=tls\nuser=alice\nenabled=true\ninterval=5\nx-unknown=kept\n\n"
          "[home]\nhost=  mail.example.org  \nsecurity=starttls\nuser=alice@example.org\n"
          "enabled=false\nca-file=/etc/ssl/certs/home-ca.pem\n\n"
          "[bad id/..]\nhost=h\nuser=u\n\n[nouser]\nhost=h\n")
    write("account-store", "japanese",
          "[jp]\nname=仕事のメール\nname[ja]=仕事\nhost=pop.example.jp\nuser=山田\n"
          "interval=60\nport=110\nsecurity=starttls\n")
    write("account-store", "broken", "[work\nhost=x\n")
    # A later copy of a key wins; a save must not bring the earlier one back.
    write("account-store", "repeated-keys",
          "# top\n\n# group\n[work]\nhost=h\nuser=u\nca-file=/etc/old-ca.pem\nport=110\n"
          "password=hunter2\n# key comment\nca-file=\nport=0\npassword=hunter3\nname=work\n")
    # GKeyFile keeps one CR of "\r\r\n" in the value: the group is skipped.
    write("account-store", "cr-before-line-end", "[work]\nhost=h\nuser=u\nca-file=/etc\r\r\n")

    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "key.pem")
        crt = os.path.join(tmp, "crt.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "3650", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"],
                       check=True, capture_output=True,
                       env=dict(os.environ, OPENSSL_CONF="/dev/null"))
        with open(crt, encoding="ascii") as f:
            pem = f.read()
    der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    sha = hashlib.sha256(der).hexdigest()
    pem_value = pem.replace("\n", "\\n")
    colons = ":".join(sha[i:i + 2] for i in range(0, 64, 2)).upper()
    write("trust-store", "pins",
          f"[127.0.0.1:995]\nsha256={sha}\npem={pem_value}\npinned-at=2024-03-04T10:15:00Z\n\n"
          f"[::1:995]\nsha256={colons}\npem={pem_value}\n\n"
          f"[Mail.Example.COM:110]\nsha256={sha}\npem={pem_value}\n\n"
          f"[wrong-fingerprint:995]\nsha256={'0' * 64}\npem={pem_value}\n\n"
          f"[no-port]\nsha256={sha}\npem={pem_value}\n")
    write("trust-store", "empty", "")
    write("trust-store", "broken", "[127.0.0.1:995\nsha256=\n")
    # GLib 2.74 sets a GError twice on this value (see fuzz-util.c).
    write("trust-store", "invalid-escape", "[127.0.0.1:995]\nsha256=\\q\\\npem=x\n")


# ---- Autoconfig documents ------------------------------------------------------

AUTOCONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <displayName>Example Mail</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <documentation url="https://example.org/help/pop">
      <descr lang="en">POP settings</descr>
    </documentation>
  </emailProvider>
</clientConfig>
"""


def autoconfig_seeds():
    write("autoconfig", "pop3-ssl", b"\x00" + AUTOCONFIG.encode())
    write("autoconfig", "pop3-starttls-japanese",
          b"\x01" + AUTOCONFIG.replace("SSL</socketType>\n      <username>%EMAILLOCALPART%",
                                       "STARTTLS</socketType>\n      <username>%EMAILLOCALPART%")
          .replace("995", "110").replace("Example Mail", "例のメール").encode())
    write("autoconfig", "plain-only",
          b"\x00" + AUTOCONFIG.replace("SSL</socketType>\n      <username>%EMAILLOCALPART%",
                                       "plain</socketType>\n      <username>%EMAILLOCALPART%")
          .encode())
    write("autoconfig", "not-xml", b"\x02<html><body>Not found</body></html>")
    # GMarkup quotes a bad end tag's bytes in its error message: not UTF-8.
    write("autoconfig", "invalid-utf8-tag",
          b"\x00" + AUTOCONFIG.encode().replace(b"</leaveMessagesOnServer>",
                                                b"</leave\xb3essagesOnServer>"))


def srv_record(name, port, priority=0, weight=0):
    if isinstance(name, str):
        name = name.encode("utf-8")
    return struct.pack(">HHHB", priority, weight, port, len(name)) + name


def srv_seeds():
    # The first byte picks the address (low bits; 0 is alice@example.org) and
    # the security (bit 7: STARTTLS), then the records.
    write("srv", "in-domain", b"\x00" + srv_record("pop.example.org", 995))
    write("srv", "not-offered", b"\x00" + srv_record(".", 0))
    write("srv", "by-priority",
          b"\x80" + srv_record("backup.example.org", 110, 20, 0)
          + srv_record("Mail.Example.ORG.", 110, 10, 5))
    write("srv", "outside-domain", b"\x00" + srv_record("pop.mail-host.example.net", 995))
    write("srv", "lookalike", b"\x00" + srv_record("evilexample.org", 995)
          + srv_record("example.org.evil.net", 995, 1))
    write("srv", "provider", b"\x00" + srv_record("pop.gmail.com", 995))
    write("srv", "idn-japanese", b"\x01" + srv_record("メール.例え.jp", 995))
    write("srv", "bad-names", b"\x00" + srv_record("bad host!", 995)
          + srv_record("a\x00b.example.org", 995) + srv_record("\xff\xfe", 995)
          + srv_record("x" * 255, 995) + srv_record("127.0.0.1", 995, 5))
    write("srv", "port-zero-and-weights",
          b"\x00" + srv_record("a.example.org", 0) + srv_record("b.example.org", 995, 0, 65535)
          + srv_record("c.example.org", 995, 0, 1))
    # The same records read as MX answers: a hosting service's server among them.
    write("srv", "mx-hosting", b"\x00" + srv_record("mx.example.org", 110, 5)
          + srv_record("SV1234.XSERVER.JP.", 995, 10) + srv_record("sv.xserver.jp", 995, 1))


def text_seeds():
    # The first byte is the character limit (0: none), the rest the text.
    write("text", "plain", b"\x00Meeting at 10")
    write("text", "japanese-cut", b"\x04" + "会議の件について".encode())
    write("text", "bidi-override", b"\x00" + "\u202emoc.elpmaxe@yap\u202c".encode())
    write("text", "isolates-and-marks",
          b"\x28" + "a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg\u061ch".encode())
    write("text", "controls", b"\x00\tline\r\nnext\x1b[31m\x7f\xc2\x85end  ")
    write("text", "truncated-utf8", b"\x00ab\xe4\xbc")
    write("text", "invalid-utf8", b"\x10x\xffy\xc0\x80z\xed\xa0\x80\xf4\x90\x80\x80")
    write("text", "embedded-nul", b"\x00a\x00b")
    write("text", "long", b"\xc8" + b"x" * 1000)
    write("text", "zero-width-and-tags",
          b"\x00" + "pay\u200bpal\u200d\u2060\ufeff\u00ad\U000e0041".encode())


def b64json(text):
    return base64.b64encode(text.encode()).decode()


def sasl_seeds():
    # Byte 0 bit 0 clear: a server's error challenge (the text after "+ ").
    write("sasl", "google-error", "\x00" + b64json(
        '{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}'))
    write("sasl", "rfc7628-error", "\x00" + b64json(
        '{"status":"invalid_token","scope":"example_scope",'
        '"openid-configuration":"https://example.com/.well-known/openid-configuration"}'))
    write("sasl", "not-an-object", "\x00" + b64json('["invalid_token"]'))
    write("sasl", "escapes", "\x00" + b64json(
        '{"status":"inv\\u0000alid\\n\\u001b[31m","scope":"\\ud83d\\ude00 \\u202e"}'))
    write("sasl", "deep", "\x00" + b64json('{"status":' + "[" * 200 + "]" * 200 + "}"))
    write("sasl", "not-base64", "\x00{\"status\":\"401\"}")
    # Bit 0 set: a user name, a NUL, a token.
    write("sasl", "message", b"\x01taro@example.jp\x00ya29.a0AfH6SMB-token_~+/==")
    write("sasl", "saslname", b"\x01a,b=c@example.jp\x00tok3n")
    write("sasl", "separator-in-token", b"\x01user\x00tok\x01en")


def oauth2_providers_seeds():
    write("oauth2-providers", "own-client-id",
          "[google]\nclient-id=1234.apps.googleusercontent.com\n"
          "[microsoft]\nclient-id=00000000-0000-0000-0000-000000000000\n")
    write("oauth2-providers", "own-provider",
          "[example]\nname=Example Mail\nname[ja]=例のメール\n"
          "authorization-endpoint=https://id.example.org/authorize?tenant=contoso\n"
          "token-endpoint=https://id.example.org:8443/token\n"
          "device-authorization-endpoint=https://id.example.org/device\n"
          "client-id=popbell\nscope=mail offline_access\n"
          "authorization-parameters=prompt=select_account&access_type=offline\n"
          "device-grant=false\nca-file=/etc/ssl/example-ca.pem\n")
    write("oauth2-providers", "refused",
          "[plain]\ntoken-endpoint=http://id.example.org/token\nscope=mail\n"
          "authorization-endpoint=https://id.example.org/authorize\n"
          "[fragment]\ntoken-endpoint=https://id.example.org/token\nscope=mail\n"
          "authorization-endpoint=https://id.example.org/authorize#x\nclient-id=a\n"
          "[second-state]\ntoken-endpoint=https://id.example.org/token\nscope=mail\n"
          "authorization-endpoint=https://id.example.org/authorize?state=1\nclient-id=a\n"
          "authorization-parameters=redirect_uri=https%3A%2F%2Fevil.example&scope=x\n"
          "[userinfo]\ntoken-endpoint=https://me:pw@id.example.org/token\nscope=mail\n"
          "device-authorization-endpoint=https://id.example.org/device\n"
          "[relative]\ntoken-endpoint=https://id.example.org/token\nscope=mail\n"
          "device-authorization-endpoint=https://id.example.org/device\nca-file=ca.pem\n"
          "[empty]\nscope=\ntoken-endpoint=\n")


if __name__ == "__main__":
    sasl_seeds()
    oauth2_providers_seeds()
    autoconfig_seeds()
    srv_seeds()
    text_seeds()
    pop3_seeds()
    message_seeds()
    store_seeds()
