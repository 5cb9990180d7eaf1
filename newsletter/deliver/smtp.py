"""The SMTP backend: stdlib ``smtplib``, the only network I/O of the delivery stage.

``security`` is ``ssl`` (implicit TLS, port 465), ``starttls`` (port 587) or ``none`` (port 25,
for a relay on localhost). TLS certificates are verified against the system store (set
``SSL_CERT_FILE`` for a private CA). The password never appears in logs or errors.
"""

from __future__ import annotations

import logging
import smtplib
import ssl

from newsletter.config import SMTPConfig
from newsletter.deliver.base import (
    Backend,
    FatalSendError,
    OutgoingMessage,
    PermanentSendError,
    TemporarySendError,
)

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


def _reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def classify_reply(
    code: int, reply: bytes | str, what: str
) -> TemporarySendError | PermanentSendError:
    """4xx is temporary, 5xx (and anything odd) permanent; 421 also means the server hung up."""
    message = f"{what}: {code} {_reply_text(reply)}"
    if 400 <= code < 500:
        return TemporarySendError(message, code, connection_lost=code == 421)
    return PermanentSendError(message, code)


class SMTPBackend(Backend):
    name = "smtp"

    def __init__(
        self,
        config: SMTPConfig,
        password: str | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.config = config
        self._password = password
        self._ssl_context = ssl_context
        self._local_hostname = local_hostname
        self._client: smtplib.SMTP | None = None

    @property
    def port(self) -> int:
        return self.config.port or DEFAULT_PORTS[self.config.security]

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.port} ({self.config.security})"

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def open(self) -> None:
        self.close()
        cfg = self.config
        try:
            if cfg.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host,
                    self.port,
                    local_hostname=self._local_hostname,
                    timeout=cfg.timeout_s,
                    context=self._context(),
                )
            else:
                client = smtplib.SMTP(
                    cfg.host, self.port, local_hostname=self._local_hostname, timeout=cfg.timeout_s
                )
            try:
                client.ehlo()
                if cfg.security == "starttls":
                    if not client.has_extn("starttls"):
                        raise FatalSendError(f"{self.where}: the server does not offer STARTTLS")
                    client.starttls(context=self._context())
                    client.ehlo()
                if cfg.username:
                    client.login(cfg.username, self._password or "")
            except BaseException:
                _quietly_close(client)
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise FatalSendError(
                f"{self.where}: login as {cfg.username!r} refused ({exc.smtp_code} "
                f"{_reply_text(exc.smtp_error)}); check NEWSLETTER_SMTP_PASSWORD",
                exc.smtp_code,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise FatalSendError(f"{self.where}: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise FatalSendError(
                f"{self.where}: TLS certificate not trusted ({exc.verify_message})"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise classify_reply(
                exc.smtp_code, exc.smtp_error, f"{self.where}: connecting"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            # Refused, unreachable, timed out, TLS handshake failed, server hung up: try later.
            raise TemporarySendError(
                f"{self.where}: cannot connect ({exc.__class__.__name__}: {exc})",
                connection_lost=True,
            ) from None
        self._client = client
        log.debug("connected to %s", self.where)

    @property
    def is_open(self) -> bool:
        return self._client is not None and getattr(self._client, "sock", None) is not None

    @property
    def accepts_8bit(self) -> bool:
        return self._client is not None and self._client.has_extn("8bitmime")

    def send(self, message: OutgoingMessage) -> None:
        if not self.is_open:
            self.open()
        client = self._client
        assert client is not None
        options: list[str] = []
        if message.needs_8bit:
            if not client.has_extn("8bitmime"):
                raise FatalSendError(
                    f"{self.where}: the server does not accept 8bit messages (8BITMIME)"
                )
            options.append("BODY=8BITMIME")
        try:
            refused = client.sendmail(
                message.envelope_from, [message.recipient], message.data, options
            )
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(message.recipient, (550, b"recipient refused"))
            raise classify_reply(code, reply, f"RCPT TO <{message.recipient}>") from None
        except smtplib.SMTPSenderRefused as exc:
            error = classify_reply(
                exc.smtp_code, exc.smtp_error, f"MAIL FROM <{message.envelope_from}>"
            )
            if isinstance(error, PermanentSendError):
                raise FatalSendError(str(error), exc.smtp_code) from None
            raise error from None
        except smtplib.SMTPDataError as exc:
            raise classify_reply(exc.smtp_code, exc.smtp_error, "DATA") from None
        except smtplib.SMTPResponseException as exc:
            raise classify_reply(exc.smtp_code, exc.smtp_error, "SMTP") from None
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise TemporarySendError(
                f"{self.where}: connection lost ({exc.__class__.__name__}: {exc})",
                connection_lost=True,
            ) from None
        finally:
            if self._client is not None and getattr(self._client, "sock", None) is None:
                # smtplib closes the socket itself after a 421.
                self._client = None
        if refused:
            code, reply = refused.get(message.recipient, (550, b"refused"))
            raise classify_reply(code, reply, f"RCPT TO <{message.recipient}>")

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _quietly_close(client)


def _quietly_close(client: smtplib.SMTP) -> None:
    try:
        if getattr(client, "sock", None) is not None:
            client.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        client.close()
