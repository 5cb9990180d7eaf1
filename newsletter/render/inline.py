"""CSS inlining for the email (premailer), kept out of the start-up path: it imports lxml
and cssutils, which cost ~150 ms."""

from __future__ import annotations

import logging


def inline_css(html: str) -> str:
    from premailer import Premailer

    return Premailer(
        html,
        # Media queries and dark-mode rules cannot be inlined: keep them in <style>.
        keep_style_tags=False,
        strip_important=False,
        remove_classes=False,  # the @media rules select on these classes
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
        allow_network=False,
        allow_loading_external_files=False,
        method="html",
    ).transform(pretty_print=False)
