"""Turn a ``RenderedEmail`` into a MIME message: the only place that knows RFC 5322/2045/8058.

The message is multipart/alternative (plain text first, then the inlined HTML, so clients that
can show HTML pick the last part). Each body gets the transfer encoding that makes it smallest
while staying valid: ``8bit`` when every line fits under SMTP's 998-octet limit (after safely
re-wrapping long HTML lines), else quoted-printable or base64, whichever is shorter. For a
bilingual edition this matters: quoted-printable triples every Chinese character and base64 adds
37 %, while 8bit keeps them at their UTF-8 size, which is what keeps a day under Gmail's clipping
threshold (see ``email.max_bytes``).

Every value that ends up in a header (subject, names, addresses) is checked for CR/LF first:
a line break there would let a crafted value add headers of its own (header injection).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, getaddresses
from urllib.parse import quote

from newsletter.config import UnsubscribeConfig
from newsletter.errors import DeliveryError
from newsletter.model import RenderedEmail

# SMTP output: CRLF line ends, headers folded at 78 columns, non-ASCII headers RFC 2047-encoded.
SMTP_POLICY = email_policy.SMTP

# RFC 5321 4.5.3.1.6: a line is at most 1000 octets including CRLF.
MAX_LINE_OCTETS = 998
# Long HTML lines are re-wrapped to this, well inside the limit.
WRAP_OCTETS = 900

PREVIEW_TO = "undisclosed-recipients:;"

_LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


class HeaderInjectionError(DeliveryError, ValueError):
    """A header value that contains a line break (or another control character)."""


class InvalidAddressError(DeliveryError, ValueError):
    """An email address that cannot be used."""


@dataclass(frozen=True)
class Mailbox:
    """One address, e.g. ``Lab News <news@example.org>``: what From, To and Reply-To hold."""

    addr_spec: str  # local@domain, the envelope address
    display_name: str = ""

    @property
    def domain(self) -> str:
        return self.addr_spec.rpartition("@")[2]

    @property
    def key(self) -> str:
        """Identity for de-duplication and the ledger.

        Strictly only the domain is case-insensitive, but every real mail system treats
        ``Alice@`` and ``alice@`` as one mailbox, and a list holding both wants one copy.
        """
        return self.addr_spec.lower()

    def as_address(self) -> Address:
        local, _, domain = self.addr_spec.rpartition("@")
        return Address(display_name=self.display_name, username=local, domain=domain)

    def __str__(self) -> str:
        return str(self.as_address())


def reject_line_breaks(value: str, what: str) -> str:
    """Return ``value`` unchanged, or raise HeaderInjectionError if it would break a header."""
    match = _LINE_BREAK.search(value)
    if match:
        raise HeaderInjectionError(
            f"{what}: contains a line break ({match.group()!r}) at character {match.start() + 1}; "
            f"header values must be one line (got {value!r})"
        )
    if any(ord(char) < 32 and char != "\t" or ord(char) == 127 for char in value):
        raise HeaderInjectionError(f"{what}: contains a control character (got {value!r})")
    return value


def _check_addr_spec(addr_spec: str, what: str, written: str) -> None:
    local, at, domain = addr_spec.rpartition("@")
    problem = None
    if not at or not local or not domain:
        problem = "expected local@domain"
    elif not addr_spec.isascii():
        problem = "non-ASCII addresses need SMTPUTF8, which is not supported; use the ASCII form"
    elif len(addr_spec) > 254:
        problem = "longer than 254 characters"
    elif (
        not _LOCAL_PART.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
    ):
        problem = f"invalid local part {local!r}"
    elif domain != "localhost" and "." not in domain:
        problem = f"domain {domain!r} has no dot"
    elif not all(_DOMAIN_LABEL.match(label) for label in domain.split(".")):
        problem = f"invalid domain {domain!r}"
    if problem:
        raise InvalidAddressError(f"{what}: {written!r} is not a usable email address ({problem})")


def parse_mailbox(value: str, what: str) -> Mailbox:
    """Parse one address (``a@b.org`` or ``Name <a@b.org>``); ``what`` names it in errors."""
    reject_line_breaks(value, what)
    text = value.strip()
    if not text:
        raise InvalidAddressError(f"{what}: empty address")
    pairs = getaddresses([text])
    if len(pairs) != 1 or not pairs[0][1]:
        raise InvalidAddressError(
            f"{what}: expected one address like 'Name <a@b.org>' (got {value!r})"
        )
    name, addr_spec = pairs[0]
    if "<" in text and not text.rstrip().endswith(">"):
        raise InvalidAddressError(f"{what}: text after the closing '>' (got {value!r})")
    _check_addr_spec(addr_spec, what, text)
    return Mailbox(addr_spec=addr_spec, display_name=name.strip())


def unsubscribe_url(unsubscribe: UnsubscribeConfig | None, recipient: Mailbox | None) -> str | None:
    """The recipient's own one-click URL, or None (also for a per-recipient URL in a preview)."""
    if unsubscribe is None or not unsubscribe.url:
        return None
    if "{email}" in unsubscribe.url:
        if recipient is None:
            return None
        return unsubscribe.url.replace("{email}", quote(recipient.addr_spec, safe="@"))
    return unsubscribe.url


def _list_unsubscribe(
    unsubscribe: UnsubscribeConfig | None, recipient: Mailbox | None
) -> tuple[str | None, bool]:
    """The List-Unsubscribe value and whether one-click (RFC 8058) applies."""
    if unsubscribe is None:
        return None, False
    targets = []
    url = unsubscribe_url(unsubscribe, recipient)
    if url:
        reject_line_breaks(url, "delivery.unsubscribe.url")
        if not re.match(r"^https?://", url):
            raise DeliveryError(f"delivery.unsubscribe.url: expected an http(s) URL (got {url!r})")
        targets.append(f"<{url}>")
    if unsubscribe.mailto:
        mailbox = parse_mailbox(unsubscribe.mailto, "delivery.unsubscribe.mailto")
        targets.append(f"<mailto:{mailbox.addr_spec}?subject=unsubscribe>")
    return (", ".join(targets) if targets else None), url is not None


# -- transfer encodings ---------------------------------------------------------------------

_TAG_OR_COMMENT = re.compile(r"<!--.*?-->|<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.DOTALL)
_PRESERVE_OPEN = re.compile(r"<(pre|textarea|script|style)\b", re.IGNORECASE)


def _pieces(line: str) -> list[tuple[str, str]]:
    """Split an HTML line into (text, break_after) pieces.

    ``break_after`` is "space" when the piece is followed by a space that may become a newline,
    "insert" when a newline may be inserted after the piece, or "" when nothing may change.
    Both are invisible in HTML: a space in text is whitespace either way, and a tag may have
    whitespace right before its closing '>'. Inside <pre>, <textarea>,
    <script> and <style> (a CSS string such as 'PingFang SC' must stay on one line) whitespace
    matters, so nothing there is touched; nor inside quoted attribute values
    (URLs) or comments.
    """
    pieces: list[tuple[str, str]] = []
    position = 0
    preserve_until: str | None = None  # inside <pre>, <textarea>, <script> or <style>

    def add_text(text: str) -> str:
        """Add the words of ``text``; return its last word, which is glued to what follows."""
        if preserve_until is not None:
            pieces.append((text, ""))
            return ""
        words = text.split(" ")
        pieces.extend((word, "space") for word in words[:-1])
        return words[-1]

    for match in _TAG_OR_COMMENT.finditer(line):
        last = add_text(line[position : match.start()])
        tag = match.group()
        position = match.end()
        if tag.startswith("<!--") or preserve_until is not None:
            pieces.append((last + tag, ""))
            if preserve_until is not None and tag.lower().startswith(f"</{preserve_until}"):
                preserve_until = None
            continue
        # Right before the closing '>' (or '/>') a newline is plain whitespace.
        cut = len(tag) - (2 if tag.endswith("/>") else 1)
        pieces.append((last + tag[:cut], "insert"))
        pieces.append((tag[cut:], ""))
        opened = _PRESERVE_OPEN.match(tag)
        if opened:
            preserve_until = opened.group(1).lower()
    pieces.append((add_text(line[position:]), ""))
    return pieces


def wrap_html_line(line: str, width: int = WRAP_OCTETS) -> str:
    """Re-wrap one HTML line into lines of at most ``width`` UTF-8 octets where it is safe.

    A line with no safe break point in a long stretch keeps that stretch long; the caller then
    falls back to quoted-printable or base64.
    """
    # Glue pieces that may not be separated into units that end at a break opportunity.
    units: list[tuple[str, str]] = []
    glued = ""
    for text, brk in _pieces(line):
        glued += text
        if brk:
            units.append((glued, brk))
            glued = ""
    units.append((glued, ""))
    out: list[str] = []
    current = ""
    owed = ""  # separator owed between ``current`` and the next unit: "space" or "insert"
    for text, brk in units:
        joiner = " " if owed == "space" else ""
        if current and len((current + joiner + text).encode("utf-8")) > width:
            out.append(current)
            current = text  # the break replaces the space, or is inserted
        else:
            current += joiner + text
        owed = brk
    out.append(current)
    return "\n".join(out)


def fits_8bit(body: str) -> bool:
    return all(len(line.encode("utf-8")) <= MAX_LINE_OCTETS - 1 for line in body.splitlines())


def wrap_html(html: str) -> str:
    """Re-wrap only the lines that are too long for 8bit."""
    lines = html.split("\n")
    return "\n".join(
        wrap_html_line(line) if len(line.encode("utf-8")) >= MAX_LINE_OCTETS else line
        for line in lines
    )


def _body_part(body: str, subtype: str, cte: str) -> MIMEPart:
    part = MIMEPart(policy=SMTP_POLICY)
    part.set_content(body, subtype=subtype, charset="utf-8", cte=cte)
    return part


def encoded_body_part(body: str, subtype: str, *, allow_8bit: bool = True) -> MIMEPart:
    """The smallest valid encoding of ``body`` as a text/<subtype> part."""
    if not body.endswith("\n"):
        body += "\n"
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    candidates: list[MIMEPart] = []
    body_8bit = wrap_html(body) if subtype == "html" and not fits_8bit(body) else body
    if fits_8bit(body_8bit):
        if body_8bit.isascii():
            candidates.append(_body_part(body_8bit, subtype, "7bit"))
        elif allow_8bit:
            candidates.append(_body_part(body_8bit, subtype, "8bit"))
    if not candidates:
        candidates.append(_body_part(body, subtype, "quoted-printable"))
        candidates.append(_body_part(body, subtype, "base64"))
    return min(candidates, key=lambda part: len(part.as_bytes(policy=SMTP_POLICY)))


# -- the message ----------------------------------------------------------------------------


def compose_message(
    email: RenderedEmail,
    *,
    sender: str | Mailbox,
    recipient: str | Mailbox | None,
    reply_to: str | Mailbox | None = None,
    unsubscribe: UnsubscribeConfig | None = None,
    message_id_domain: str | None = None,
    now: datetime | None = None,
    allow_8bit: bool = True,
) -> EmailMessage:
    """Build the message for one recipient, or the preview (``recipient=None``).

    Raises HeaderInjectionError / InvalidAddressError (both DeliveryError) for a subject, name
    or address that is unsafe in a header, before anything is built.
    """
    subject = reject_line_breaks(email.subject, "subject")
    from_box = sender if isinstance(sender, Mailbox) else parse_mailbox(sender, "delivery.from")
    to_box = (
        recipient
        if recipient is None or isinstance(recipient, Mailbox)
        else parse_mailbox(recipient, "recipient")
    )
    reply_box = (
        reply_to
        if reply_to is None or isinstance(reply_to, Mailbox)
        else parse_mailbox(reply_to, "delivery.reply_to")
    )
    list_unsubscribe, one_click = _list_unsubscribe(unsubscribe, to_box)
    domain = message_id_domain or from_box.domain
    reject_line_breaks(domain, "message id domain")

    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = from_box.as_address()
    msg["To"] = to_box.as_address() if to_box is not None else PREVIEW_TO
    if reply_box is not None:
        msg["Reply-To"] = reply_box.as_address()
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    # Short enough to stay on one header line; random enough to be unique (64 bits per day).
    msg["Message-ID"] = f"<{email.date}.{secrets.token_hex(8)}@{domain}>"
    msg["MIME-Version"] = "1.0"
    if list_unsubscribe:
        msg["List-Unsubscribe"] = list_unsubscribe
        if one_click:
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.make_alternative()
    msg.attach(encoded_body_part(email.text, "plain", allow_8bit=allow_8bit))
    msg.attach(encoded_body_part(email.html, "html", allow_8bit=allow_8bit))
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """The message exactly as it goes over SMTP (CRLF line ends): for .eml files and sizes."""
    return msg.as_bytes(policy=SMTP_POLICY)


def uses_8bit(msg: EmailMessage) -> bool:
    """True when some part is 8bit, so the server must accept BODY=8BITMIME."""
    return any(part.get("Content-Transfer-Encoding", "").lower() == "8bit" for part in msg.walk())
