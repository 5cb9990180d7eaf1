"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives and injects faults.

    with SMTPTestServer() as server:
        server.fail("RCPT", 451)                # the next RCPT TO gets a 451
        server.fail("DATA", None, drop=True)    # the next DATA: connection cut, nothing kept
        server.reject("bob@example.org", 550)   # every RCPT TO bob gets a 550
        ... send to 127.0.0.1:server.port ...
        server.messages                         # [Received(mail_from, rcpt_tos, data, options)]

Optional STARTTLS / implicit TLS (``tls="starttls" | "ssl"`` with a cert and key file) and
login (``users={"name": "password"}``).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    mail_options: tuple[str, ...] = ()

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=email_policy.default)  # type: ignore[return-value]


@dataclass
class Fault:
    stage: str  # "MAIL", "RCPT" or "DATA"
    code: int | None = None  # reply code, e.g. 421, 451, 550
    drop: bool = False  # cut the connection instead of replying
    recipient: str | None = None  # only for this recipient
    times: int = 1  # how many commands it hits


@dataclass
class Log:
    """Every command the faults looked at, for asserting on retries."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (stage, recipient, outcome)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: SMTPTestServer) -> None:
        self.server = server

    def _fault(self, stage: str, recipient: str) -> Fault | None:
        with self.server.lock:
            for fault in self.server.faults:
                if (
                    fault.stage == stage
                    and fault.times > 0
                    and fault.recipient in (None, recipient)
                ):
                    fault.times -= 1
                    return fault
        return None

    def _apply(self, smtp, stage: str, recipient: str) -> str | None:  # noqa: ANN001
        fault = self._fault(stage, recipient)
        if fault is None:
            return None
        self.server.log.entries.append(
            (stage, recipient, "drop" if fault.drop else str(fault.code))
        )
        if fault.drop:
            smtp.transport.abort()
            return "421 connection dropped"  # never arrives: the connection is gone
        return f"{fault.code} {'4.3.0 try again later' if fault.code < 500 else '5.0.0 refused'}"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001
        with self.server.lock:
            self.server.sessions += 1  # one per connection (and again after STARTTLS)
        session.host_name = hostname  # aiosmtpd leaves this to a handler that hooks EHLO
        if not self.server.offer_8bitmime:
            responses = [line for line in responses if "8BITMIME" not in line]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: ANN001
        reply = self._apply(server, "MAIL", address)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        rejected = self.server.rejected.get(address.lower())
        if rejected:
            self.server.log.entries.append(("RCPT", address, str(rejected)))
            return f"{rejected} 5.1.1 <{address}>: mailbox unavailable"
        reply = self._apply(server, "RCPT", address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        recipient = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        reply = self._apply(server, "DATA", recipient)
        if reply:
            return reply
        delay = self.server.data_delay_s
        if delay:
            import asyncio

            await asyncio.sleep(delay)
        with self.server.lock:
            self.server.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=envelope.original_content,
                    mail_options=tuple(envelope.mail_options),
                )
            )
        self.server.log.entries.append(("DATA", recipient, "250"))
        return "250 Message accepted"


class SMTPTestServer:
    def __init__(
        self,
        *,
        tls: str = "none",
        certfile: Path | None = None,
        keyfile: Path | None = None,
        users: Mapping[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.messages: list[Received] = []
        self.faults: list[Fault] = []
        self.rejected: dict[str, int] = {}
        self.log = Log()
        self.lock = threading.Lock()
        self.data_delay_s = 0.0
        self.sessions = 0
        self.offer_8bitmime = True
        self.users = dict(users or {})
        kwargs: dict = {}
        if tls != "none":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(certfile), str(keyfile))
            if tls == "ssl":
                kwargs["ssl_context"] = context
            else:
                kwargs["tls_context"] = context
                kwargs["require_starttls"] = True
        if self.users:
            kwargs["authenticator"] = self._authenticate
            # aiosmtpd only counts STARTTLS as TLS; implicit TLS is encrypted from the start.
            kwargs["auth_require_tls"] = tls == "starttls"
        else:
            kwargs["auth_require_tls"] = False
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535

    def fail(
        self,
        stage: str,
        code: int | None = None,
        *,
        drop: bool = False,
        recipient: str | None = None,
        times: int = 1,
    ) -> None:
        with self.lock:
            self.faults.append(Fault(stage, code, drop, recipient, times))

    def reject(self, address: str, code: int = 550) -> None:
        self.rejected[address.lower()] = code

    def delivered_to(self) -> list[str]:
        """Every recipient of every accepted message, in order (duplicates show up twice)."""
        with self.lock:
            return [rcpt for message in self.messages for rcpt in message.rcpt_tos]

    def __enter__(self) -> SMTPTestServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()
