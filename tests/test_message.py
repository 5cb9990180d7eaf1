"""The MIME message: structure, headers, transfer encodings, header-injection checks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from html.parser import HTMLParser

import pytest

from newsletter.config import UnsubscribeConfig
from newsletter.errors import DeliveryError
from newsletter.message import (
    HeaderInjectionError,
    InvalidAddressError,
    compose_message,
    encoded_body_part,
    message_bytes,
    parse_mailbox,
    wrap_html_line,
)
from newsletter.model import RenderedEmail

SUBJECT = "arXiv 每日速递 · 2026-02-09 · 61 篇论文"


def rendered(
    html: str = "<html><body><p>你好, world</p></body></html>",
    text: str = "你好, world\n",
    subject: str = SUBJECT,
) -> RenderedEmail:
    return RenderedEmail(date="2026-02-09", subject=subject, html=html, text=text, paper_count=61)


def parse(data: bytes):
    return message_from_bytes(data, policy=email_policy.default)


def test_structure_headers_and_both_parts():
    msg = compose_message(
        rendered(),
        sender="Lab 新闻 <news@example.org>",
        recipient="Bob <bob+x@example.com>",
        reply_to="editor@example.org",
        unsubscribe=UnsubscribeConfig(
            url="https://example.org/u?e={email}", mailto="unsub@example.org"
        ),
        now=datetime(2026, 2, 9, 1, 0, tzinfo=UTC),
    )
    data = message_bytes(msg)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert data.isascii() is False  # 8bit bodies keep Chinese as UTF-8
    header_block = data.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii(), "headers must be RFC 2047-encoded ASCII"
    parsed = parse(data)
    assert parsed["Subject"] == SUBJECT
    assert parsed["From"].addresses[0].display_name == "Lab 新闻"
    assert parsed["To"].addresses[0].addr_spec == "bob+x@example.com"
    assert parsed["Reply-To"] == "editor@example.org"
    assert parsed["Date"].datetime == datetime(2026, 2, 9, 1, 0, tzinfo=UTC)
    assert re.fullmatch(r"<2026-02-09\.[0-9a-f]{16}@example\.org>", parsed["Message-ID"])
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["List-Unsubscribe"] == (
        "<https://example.org/u?e=bob%2Bx@example.com>, <mailto:unsub@example.org?subject=unsubscribe>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().replace("\r\n", "\n") == "你好, world\n"
    assert "<p>你好, world</p>" in parts[1].get_content()
    assert all(p["MIME-Version"] is None for p in parts)


def test_one_click_header_only_with_a_url():
    mailto_only = compose_message(
        rendered(),
        sender="news@example.org",
        recipient="a@example.org",
        unsubscribe=UnsubscribeConfig(mailto="unsub@example.org"),
    )
    assert mailto_only["List-Unsubscribe"] == "<mailto:unsub@example.org?subject=unsubscribe>"
    assert mailto_only["List-Unsubscribe-Post"] is None
    nothing = compose_message(rendered(), sender="news@example.org", recipient="a@example.org")
    assert nothing["List-Unsubscribe"] is None and nothing["List-Unsubscribe-Post"] is None


def test_preview_is_undisclosed_and_has_no_personal_link():
    msg = compose_message(
        rendered(),
        sender="news@example.org",
        recipient=None,
        unsubscribe=UnsubscribeConfig(url="https://x.org/u?e={email}", mailto="u@x.org"),
    )
    parsed = parse(message_bytes(msg))
    assert parsed["To"] == "undisclosed-recipients:;"
    assert (
        "{email}" not in parsed["List-Unsubscribe"] and "https://" not in parsed["List-Unsubscribe"]
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Daily\r\nBcc: victim@example.org"),
        ("subject", "Daily\nX-Evil: 1"),
        ("sender", "News <news@example.org>\r\nBcc: victim@example.org"),
        ("sender", "News\n <news@example.org>"),
        ("recipient", "a@example.org\r\nBcc: victim@example.org"),
        ("reply_to", "r@example.org\nX: y"),
    ],
)
def test_header_injection_is_refused(field, value):
    kwargs = {"sender": "news@example.org", "recipient": "a@example.org"}
    email = rendered()
    if field == "subject":
        email = rendered(subject=value)
    else:
        kwargs[field] = value
    with pytest.raises(HeaderInjectionError, match="line break"):
        compose_message(email, **kwargs)


@pytest.mark.parametrize(
    "value",
    [
        "not-an-address",
        "a@b",
        "a@@b.org",
        "Name <a@b.org> trailing",
        "a..b@example.org",
        "用户@example.org",
        "",
    ],
)
def test_invalid_addresses_name_the_problem(value):
    with pytest.raises(InvalidAddressError, match="delivery.to"):
        parse_mailbox(value, "delivery.to")


def test_unsubscribe_url_must_be_http():
    with pytest.raises(DeliveryError, match="unsubscribe.url"):
        compose_message(
            rendered(),
            sender="n@example.org",
            recipient="a@example.org",
            unsubscribe=UnsubscribeConfig(url="javascript:alert(1)"),
        )


# -- transfer encodings ---------------------------------------------------------------------


class _Text(HTMLParser):
    """Collects tags, attributes and whitespace-normalised text: what a browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[object] = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        self.items.append(("data", data))

    def normalised(self, pre_sensitive: bool = True) -> list[object]:
        out: list[object] = []
        text = ""
        for item in self.items:
            if item[0] == "data":
                text += item[2 - 1]  # type: ignore[index]
                continue
            if text:
                out.append(" ".join(text.split()))
                text = ""
            out.append(item)
        if text:
            out.append(" ".join(text.split()))
        return [x for x in out if x != ""]


def _seen(html: str) -> list[object]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.normalised()


def test_long_html_lines_are_rewrapped_without_changing_what_is_shown():
    cell = '<td style="color: #333; font-family: Arial, \'PingFang SC\', sans-serif"><a href="https://arxiv.org/abs/2602.06122?a=1&amp;b=2">一个 很长的 标题 with words</a></td>'
    line = "<table><tr>" + cell * 60 + "</tr></table><pre>  keep   this\tas is  </pre><br/>"
    wrapped = wrap_html_line(line)
    assert max(len(x.encode()) for x in wrapped.split("\n")) <= 900
    assert _seen(wrapped) == _seen(line)
    assert "<pre>  keep   this\tas is  </pre>" in wrapped
    assert 'href="https://arxiv.org/abs/2602.06122?a=1&amp;b=2"' in wrapped


def test_cjk_html_goes_8bit_and_is_smaller_than_qp_or_base64():
    html = (
        "<html><body>"
        + "<p>这是中文摘要，一个很长的段落。 English too.</p>" * 600
        + "</body></html>"
    )
    part = encoded_body_part(html, "html")
    assert part["Content-Transfer-Encoding"] == "8bit"
    data = part.as_bytes(policy=email_policy.SMTP)
    assert max(len(line) for line in data.split(b"\r\n")) < 998
    assert _seen(part.get_content()) == _seen(html)
    for cte in ("quoted-printable", "base64"):
        other = encoded_body_part(html, "html", allow_8bit=False)
        assert len(other.as_bytes(policy=email_policy.SMTP)) > len(data) * 1.3, cte


def test_unbreakable_long_lines_fall_back_to_the_smaller_of_qp_and_base64():
    mostly_ascii = "<pre>" + "x" * 3000 + "é</pre>"
    assert (
        encoded_body_part(mostly_ascii, "html")["Content-Transfer-Encoding"] == "quoted-printable"
    )
    mostly_cjk = "<pre>" + "中" * 2000 + "</pre>"
    assert encoded_body_part(mostly_cjk, "html")["Content-Transfer-Encoding"] == "base64"
    plain_ascii = "hello\n"
    assert encoded_body_part(plain_ascii, "plain")["Content-Transfer-Encoding"] == "7bit"


def test_without_8bitmime_nothing_is_8bit():
    msg = compose_message(
        rendered(), sender="n@example.org", recipient="a@example.org", allow_8bit=False
    )
    data = message_bytes(msg)
    assert data.isascii()
    assert [p["Content-Transfer-Encoding"] for p in msg.iter_parts()] in (
        ["base64", "base64"],
        ["quoted-printable", "base64"],
        ["base64", "quoted-printable"],
        ["quoted-printable", "quoted-printable"],
    )
    assert parse(data).get_body(("plain",)).get_content().replace("\r\n", "\n") == "你好, world\n"


def test_style_blocks_and_comments_are_never_broken():
    css = "".join(
        f".c{i} {{ font-family: 'Helvetica Neue', 'PingFang SC', sans-serif; }} " for i in range(30)
    )
    line = f"<style>{css}</style><!--[if mso]><table><tr><td>{'x ' * 500}</td></tr></table><![endif]-->"
    wrapped = wrap_html_line(line + "<p>" + "word " * 400 + "</p>")
    assert f">{css}</style>" in wrapped  # the CSS itself is untouched
    assert "<!--[if mso]>" in wrapped and ("x " * 500) in wrapped
    assert max(len(x) for x in wrapped.split("\n")[-3:]) <= 900  # the text after them is wrapped
