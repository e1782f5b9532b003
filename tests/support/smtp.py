"""A local SMTP server that accepts every message and keeps it, with the credentials used.

Alertmanager's e-mail receiver speaks SMTP; this server stands in for the mail relay on
``127.0.0.1`` (plain SMTP, ``AUTH PLAIN``/``LOGIN`` offered, no STARTTLS: Go's SMTP client
sends a password without TLS only to localhost, which this is)::

    with smtp_server() as relay:
        ...  # smtp_smarthost: relay.address, smtp_require_tls: false
        mail = relay.wait_for(lambda m: "[FIRING" in m.message["Subject"])

It implements just enough of RFC 5321 for a well-behaved client (EHLO/HELO, AUTH, MAIL, RCPT,
DATA with dot-unstuffing, RSET, NOOP, QUIT).
"""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

__all__ = ["Mail", "SmtpServer", "smtp_server"]


@dataclass(frozen=True)
class Mail:
    """One accepted message: the envelope, the ``AUTH`` credentials and the parsed message."""

    sender: str
    recipients: tuple[str, ...]
    username: str | None
    password: str | None
    message: EmailMessage

    def text(self) -> str:
        """The ``text/plain`` part (or the whole body of a single-part message)."""
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content())


class SmtpServer:
    """Accepts every message; see :func:`smtp_server`."""

    def __init__(self) -> None:
        self._mails: list[Mail] = []
        self._changed = threading.Condition()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, as ``smtp_smarthost`` wants it."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def mails(self) -> list[Mail]:
        with self._changed:
            return list(self._mails)

    def wait_for(self, predicate: Callable[[Mail], bool], what: str, timeout: float = 60.0) -> Mail:
        """The first message (old or new) that satisfies ``predicate``; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for mail in self._mails:
                    if predicate(mail):
                        return mail
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [m.message["Subject"] for m in self._mails]
                    raise AssertionError(f"timed out waiting for {what}; received: {subjects}")
                self._changed.wait(remaining)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _accept(self, mail: Mail) -> None:
        with self._changed:
            self._mails.append(mail)
            self._changed.notify_all()

    def _handler_class(self) -> type[socketserver.StreamRequestHandler]:
        server = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def read_line(self) -> str | None:
                raw = self.rfile.readline(65536)
                return None if not raw else raw.decode("utf-8", "replace").rstrip("\r\n")

            def handle(self) -> None:
                sender, recipients = "", []
                username: str | None = None
                password: str | None = None
                self.reply("220 localhost test SMTP ready")
                while (line := self.read_line()) is not None:
                    verb, _, argument = line.partition(" ")
                    verb = verb.upper()
                    if verb == "EHLO":
                        self.reply("250-localhost")
                        self.reply("250-AUTH PLAIN LOGIN")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 localhost")
                    elif verb == "AUTH":
                        credentials = self.authenticate(argument)
                        if credentials is None:
                            self.reply("501 malformed AUTH")
                            continue
                        username, password = credentials
                        self.reply("235 2.7.0 Authentication successful")
                    elif verb == "MAIL":
                        sender, recipients = argument.partition(":")[2].strip(" <>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(argument.partition(":")[2].strip(" <>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        message = self.read_data()
                        server._accept(Mail(sender, tuple(recipients), username, password, message))
                        self.reply("250 OK queued")
                    elif verb in {"RSET", "NOOP"}:
                        sender, recipients = ("", []) if verb == "RSET" else (sender, recipients)
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

            def authenticate(self, argument: str) -> tuple[str, str] | None:
                mechanism, _, initial = argument.partition(" ")
                if mechanism.upper() == "PLAIN":
                    if not initial:
                        self.reply("334 ")
                        initial = self.read_line() or ""
                    parts = base64.b64decode(initial).decode().split("\0")
                    return (parts[1], parts[2]) if len(parts) == 3 else None
                if mechanism.upper() == "LOGIN":
                    self.reply("334 VXNlcm5hbWU6")  # "Username:"
                    user = base64.b64decode(self.read_line() or "").decode()
                    self.reply("334 UGFzc3dvcmQ6")  # "Password:"
                    return user, base64.b64decode(self.read_line() or "").decode()
                return None

            def read_data(self) -> EmailMessage:
                lines: list[bytes] = []
                while True:
                    raw = self.rfile.readline(1 << 20)
                    if not raw or raw.rstrip(b"\r\n") == b".":
                        break
                    lines.append(raw[1:] if raw.startswith(b"..") else raw)
                parsed = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                assert isinstance(parsed, EmailMessage)
                return parsed

        return Session


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """A started :class:`SmtpServer` on ``127.0.0.1``, shut down when the block ends."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
