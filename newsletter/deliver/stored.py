"""Read back a day's built email edition from ``<out>/<date>/``, so ``send`` needs no rebuild."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

from newsletter.errors import DeliveryError
from newsletter.model import RenderedEmail

REQUIRED = ("email.html", "email.txt", "email.eml", "edition.json")


def is_built(edition_dir: Path) -> bool:
    return all((Path(edition_dir) / name).is_file() for name in REQUIRED)


def load_built_email(edition_dir: Path, date: str) -> RenderedEmail:
    """The RenderedEmail that ``build`` wrote: HTML and text as built, subject from email.eml."""
    from newsletter.edition_json import load_edition

    folder = Path(edition_dir)
    try:
        html = (folder / "email.html").read_text(encoding="utf-8")
        text = (folder / "email.txt").read_text(encoding="utf-8")
        preview = message_from_bytes(
            (folder / "email.eml").read_bytes(), policy=email_policy.default
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise DeliveryError(
            f"{folder}: cannot read the built edition ({exc}); rebuild it"
        ) from None
    subject = str(preview.get("Subject", "")).strip()
    if not subject:
        raise DeliveryError(f"{folder / 'email.eml'}: no Subject header; rebuild the edition")
    edition = load_edition(folder / "edition.json")
    if edition.date != date:
        raise DeliveryError(f"{folder / 'edition.json'}: holds {edition.date}, expected {date}")
    return RenderedEmail(
        date=date,
        subject=subject,
        html=html,
        text=text,
        paper_count=edition.paper_count,
        language=edition.language,
    )
