"""Preview the site on 127.0.0.1 with the standard library's HTTP server.

Only the loopback address is ever bound: this is a preview for the person building the site,
not a web server to expose.
"""

from __future__ import annotations

import functools
import logging
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from newsletter.errors import NewsletterError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        log.debug("%s - %s", self.address_string(), format % args)


def make_server(site_dir: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server for ``site_dir`` on 127.0.0.1 (``port=0``: any free port); not started."""
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").is_file():
        raise NewsletterError(f"{site_dir}: no site here yet; run `newsletter archive` first")
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise NewsletterError(f"cannot listen on {HOST}:{port} ({exc.strerror or exc})") from exc
    server.daemon_threads = True
    return server
