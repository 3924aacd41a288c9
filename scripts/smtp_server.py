"""A real SMTP server for tests (aiosmtpd), run by scripts/smtp-server: three listeners on 127.0.0.1 that all write
each message they accept into one folder, as NAME.eml (the bytes after DATA, dot-stuffing undone) and, written just
before it, NAME.json (the envelope, and whether TLS and AUTH were used).

- plain:    no STARTTLS; AUTH PLAIN and LOGIN offered without TLS (loopback only), never required
- starttls: STARTTLS offered (not required), with the certificate given; AUTH LOGIN only, after STARTTLS
- smtps:    TLS from the first byte (implicit TLS), with the same certificate; AUTH PLAIN and LOGIN

Recipients choose the reply to RCPT: anything@transient.invalid gets 451 (transient), anything@rejected.invalid gets 550
(permanent), anything@slow.invalid gets no reply for a minute (a timeout). The one account is carebox / carebox-test.

    python3 smtp_server.py FOLDER CERT.pem KEY.pem   # writes FOLDER/ports (JSON) once all three listen
"""

import itertools
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = b"carebox"
PASSWORD = b"carebox-test"


class Recorder:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2].lower()
        if domain == "transient.invalid":
            return "451 4.3.0 Try again later"
        if domain == "rejected.invalid":
            return "550 5.1.1 No such mailbox"
        if domain == "slow.invalid":
            import asyncio

            await asyncio.sleep(60)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            name = "%d-%06d" % (time.time_ns(), next(self.counter))
        envelope_record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            # After STARTTLS, or on the implicit-TLS listener.
            "tls": session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            "authenticated": bool(session.authenticated),
        }
        # The .eml appears last and whole (rename), so a reader never sees half a message.
        with open(os.path.join(self.folder, name + ".json.tmp"), "w") as f:
            json.dump(envelope_record, f)
        os.replace(os.path.join(self.folder, name + ".json.tmp"), os.path.join(self.folder, name + ".json"))
        with open(os.path.join(self.folder, name + ".eml.tmp"), "wb") as f:
            f.write(envelope.original_content)
        os.replace(os.path.join(self.folder, name + ".eml.tmp"), os.path.join(self.folder, name + ".eml"))
        return "250 2.0.0 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER and auth_data.password == PASSWORD
    # handled=False: aiosmtpd answers 535 itself (handled=True would leave the client waiting).
    return AuthResult(success=ok, handled=False)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    folder, cert, key = sys.argv[1:4]
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    handler = Recorder(folder)
    common = dict(hostname="127.0.0.1", authenticator=authenticator, auth_required=False)
    controllers = {
        "plain": Controller(handler, port=free_port(), auth_require_tls=False, **common),
        "starttls": Controller(
            handler, port=free_port(), tls_context=tls, auth_exclude_mechanism=["PLAIN"], **common
        ),
        # aiosmtpd does not count implicit TLS as TLS for AUTH: it is, so AUTH is offered here too.
        "smtps": Controller(handler, port=free_port(), ssl_context=tls, auth_require_tls=False, **common),
    }
    for controller in controllers.values():
        controller.start()
    ports = {name: controller.port for name, controller in controllers.items()}
    with open(os.path.join(folder, "ports.tmp"), "w") as f:
        json.dump(ports, f)
    os.replace(os.path.join(folder, "ports.tmp"), os.path.join(folder, "ports"))

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    while not stopped.wait(1):
        pass
    for controller in controllers.values():
        controller.stop()


if __name__ == "__main__":
    main()
