"""HTTP downloads with the limits every fetch needs: timeouts, size cap, bounded redirects.

One function, `download`, serves both feeds and article pages. It never raises for network
trouble: the outcome (status or a readable error) is part of the returned `Download`.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

import requests

from wirewatch.settings import Settings

LOGGER = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class Download:
    url: str
    final_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    # Set when no complete response was received (timeout, reset, too large…).
    error: str | None = None
    # True for errors worth retrying later (timeouts, 5xx, 429, connection trouble).
    transient: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def is_transient_status(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


def make_session(settings: Settings) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = settings.user_agent
    session.headers["Accept-Encoding"] = "gzip, deflate"
    session.max_redirects = settings.max_redirects
    # Environment proxies must not reroute the pipeline's traffic.
    session.trust_env = False
    return session


def download(
    session: requests.Session,
    url: str,
    *,
    settings: Settings,
    max_bytes: int,
    headers: dict[str, str] | None = None,
) -> Download:
    """GET `url`, reading at most `max_bytes` (decoded) within the configured timeouts."""
    started = time.monotonic()

    def failed(error: str, *, transient: bool, status: int | None = None, final_url: str = url) -> Download:
        return Download(url=url, final_url=final_url, status=status, error=error, transient=transient,
                        elapsed=time.monotonic() - started)

    try:
        response = session.get(url, headers=headers or {}, stream=True,
                               timeout=(settings.connect_timeout, settings.read_timeout))
    except requests.exceptions.ConnectTimeout:
        return failed("timeout: no connection within %gs" % settings.connect_timeout, transient=True)
    except requests.exceptions.ReadTimeout:
        return failed("timeout: no response within %gs" % settings.read_timeout, transient=True)
    except requests.exceptions.TooManyRedirects:
        return failed(f"too many redirects (more than {settings.max_redirects})", transient=False)
    except requests.exceptions.InvalidURL as exc:
        return failed(f"invalid URL: {exc}", transient=False)
    except requests.exceptions.ConnectionError as exc:
        return failed(f"connection error: {_root_cause(exc)}", transient=True)
    except requests.exceptions.RequestException as exc:
        return failed(f"request failed: {_root_cause(exc)}", transient=False)

    with response:
        status = response.status_code
        response_headers = {k.lower(): v for k, v in response.headers.items()}
        declared = response_headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            return failed(f"too large: Content-Length {int(declared)} exceeds the {max_bytes}-byte limit",
                          transient=False, status=status, final_url=response.url)
        chunks: list[bytes] = []
        size = 0
        try:
            # iter_content decompresses, so the cap also bounds gzip bombs.
            for chunk in response.iter_content(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    return failed(f"too large: body exceeds the {max_bytes}-byte limit",
                                  transient=False, status=status, final_url=response.url)
                if time.monotonic() - started > settings.total_timeout:
                    return failed(f"timeout: download took longer than {settings.total_timeout:g}s",
                                  transient=True, status=status, final_url=response.url)
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            return failed(f"connection broken while reading: {_root_cause(exc)}", transient=True,
                          status=status, final_url=response.url)

    result = Download(url=url, final_url=response.url, status=status, headers=response_headers,
                      body=b"".join(chunks), elapsed=time.monotonic() - started)
    if not 200 <= status < 300 and status != 304:
        return Download(url=url, final_url=result.final_url, status=status, headers=response_headers,
                        body=result.body, elapsed=result.elapsed, error=f"HTTP {status}",
                        transient=is_transient_status(status))
    return result


def _root_cause(exc: BaseException) -> str:
    """The innermost reason: 'Connection refused' rather than urllib3's chain of wrappers."""
    reason: BaseException = exc
    while True:
        inner = getattr(reason, "reason", None)
        if inner is None and reason.args and isinstance(reason.args[0], BaseException):
            inner = reason.args[0]
        if not isinstance(inner, BaseException) or inner is reason:
            break
        reason = inner
    text = str(reason)
    errno_message = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    return errno_message.group(1).strip() if errno_message else (text or type(reason).__name__)
