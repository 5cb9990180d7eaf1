"""HTTP(S) fetch of a digest with a timeout and retries (stdlib urllib: no extra dependency).

Retried: 5xx answers, refused/reset connections and timeouts, which are usually transient on
raw.githubusercontent.com. Not retried: 404 (the day is not published yet: ``DigestNotFound``,
so a scheduler can try again later) and other 4xx answers (``FetchError``).
"""

from __future__ import annotations

import time

from newsletter import __version__
from newsletter.errors import DigestNotFound, FetchError

# Pause before retry n is _BACKOFF_S * 2**(n-1): short, a daily job can afford a few seconds.
_BACKOFF_S = 0.5
_USER_AGENT = f"newsletter/{__version__} (+arXiv digest reader)"


def fetch_bytes(url: str, *, timeout_s: float, retries: int) -> bytes:
    """The body of ``url``; raises ``DigestNotFound`` on 404/410, ``FetchError`` otherwise."""
    # Imported here: urllib pulls in http.client and ssl, which a build from a local folder
    # (and ``newsletter --help``) should not pay for.
    import http.client
    import urllib.error
    import urllib.request

    attempts = max(0, retries) + 1
    problem = "no attempt made"
    for attempt in range(attempts):
        if attempt:
            time.sleep(_BACKOFF_S * 2 ** (attempt - 1))
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code in (404, 410):
                raise DigestNotFound(
                    url, f"HTTP {error.code}: no digest published at this address (yet)"
                ) from None
            problem = f"HTTP {error.code} {error.reason}"
            if error.code < 500:
                raise FetchError(url, f"{problem}; expected 200 with the digest") from None
        except TimeoutError:
            problem = f"timed out after {timeout_s:g} s"
        except urllib.error.URLError as error:
            reason = error.reason
            is_timeout = isinstance(reason, TimeoutError)
            problem = (
                f"timed out after {timeout_s:g} s" if is_timeout else f"unreachable ({reason})"
            )
        except (ConnectionError, http.client.HTTPException) as error:
            problem = f"connection failed ({type(error).__name__}: {error})"
    raise FetchError(url, f"{problem} (after {attempts} attempts)")
