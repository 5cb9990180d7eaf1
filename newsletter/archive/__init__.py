"""The archive stage: a static web site of every edition, with an Atom feed and search.

    update_site(config, dates=None, *, full=False) -> SiteReport   # render <site_dir>
    make_server(site_dir, port=0) -> ThreadingHTTPServer           # preview on 127.0.0.1

The site is rendered only from ``<out>/<date>/edition.json``; see ``site.py`` for what an
incremental update re-renders.
"""

from __future__ import annotations

from newsletter.archive.serve import make_server
from newsletter.archive.site import SiteReport, site_size, update_site

__all__ = ["SiteReport", "make_server", "site_size", "update_site"]
