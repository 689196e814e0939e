"""HTTP downloads with the limits every fetch needs: address checks, timeouts, size cap, redirects.

One function, `download`, serves both feeds and article pages. It never raises for network
trouble: the outcome (status, or a readable error and its `kind`) is part of the returned `Download`.

Downloads go through an `HttpClient`: urllib3's connection pools and a cookie jar, what a
requests.Session gives, without requests' per-request layers (merging settings, preparing the
request, hooks), which cost more CPU than reading a 300 KB page (bench/fetch_client.py).

Redirects are followed here, hop by hop, so that every hop's address is checked (a public URL must
not redirect into the private network) and so that callers learn whether the whole chain was
permanent (301/308: a feed's stored URL should move) or not.
"""

from __future__ import annotations

import http.cookiejar
import ipaddress
import logging
import re
import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3

from wirewatch.settings import Settings

LOGGER = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
PERMANENT_REDIRECTS = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}

# Failure kinds. Hard ones say something about the URL itself; soft ones about the moment.
HARD_KINDS = {"dns", "refused", "invalid_url", "redirects", "http_client", "gone", "not_a_feed", "parse",
              "too_large"}
SOFT_KINDS = {"timeout", "connection", "http_server", "rate_limited"}


@dataclass(frozen=True, kw_only=True)
class Download:
    url: str
    final_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    # Set when no usable response was received (timeout, reset, too large, HTTP error…).
    error: str | None = None
    # What kind of failure (see HARD_KINDS / SOFT_KINDS); None on success.
    kind: str | None = None
    # True for errors worth retrying soon (timeouts, 5xx, 429, connection trouble).
    transient: bool = False
    # The final URL when every redirect on the way was permanent (301/308), else None.
    moved_permanently_to: str | None = None
    # Bytes received on the wire (compressed), for the fetch log.
    wire_bytes: int = 0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def is_transient_status(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


def status_kind(status: int) -> str:
    if status == 410:
        return "gone"
    if status == 429:
        return "rate_limited"
    return "http_server" if status >= 500 or status in (408, 425) else "http_client"


class HttpClient:
    """Connection pools (kept alive per host, shared by threads) and the cookies servers set, sent
    back on later hops and requests to them (consent and paywall redirects need it). Environment
    proxies are ignored: they must not reroute the pipeline's traffic."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # urllib3 decodes br when the brotli package is installed (it is pinned in requirements).
        self.headers = {"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate, br",
                        "Accept": "*/*", "Connection": "keep-alive"}
        self.cookies = http.cookiejar.CookieJar()
        self._timeout = urllib3.Timeout(connect=settings.connect_timeout, read=settings.read_timeout)
        self._pools = urllib3.PoolManager(num_pools=64, maxsize=64, retries=False, ca_certs=certifi.where())

    def get(self, url: str, headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
        """Send a GET and return the response with its body unread; raises urllib3's errors."""
        request_headers = {**self.headers, **headers} if headers else dict(self.headers)
        if len(self.cookies):
            cookie_request = urllib.request.Request(url)
            self.cookies.add_cookie_header(cookie_request)
            if cookie_request.has_header("Cookie"):
                request_headers["Cookie"] = cookie_request.get_header("Cookie")
        response = self._pools.urlopen("GET", url, headers=request_headers, redirect=False, retries=False,
                                       timeout=self._timeout, preload_content=False, decode_content=True)
        if "set-cookie" in response.headers:
            self.cookies.extract_cookies(_CookieHeaders(response.headers), urllib.request.Request(url))
        return response

    def close(self) -> None:
        self._pools.clear()


class _CookieHeaders:
    """A response's headers as http.cookiejar reads them (`info().get_all`)."""

    def __init__(self, headers: urllib3.HTTPHeaderDict):
        self._headers = headers

    def info(self) -> _CookieHeaders:
        return self

    def get_all(self, name: str, default: list[str] | None = None) -> list[str] | None:
        return self._headers.getlist(name) or default


class AddressRefused(Exception):
    """The URL is not one wirewatch may fetch (scheme, or an address in a private network)."""


@lru_cache(maxsize=64)
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in allowed)


def check_address(url: str, settings: Settings) -> None:
    """Refuse non-http(s) URLs and hosts that resolve to private, loopback, link-local, reserved or
    multicast addresses (cloud metadata endpoints among them), unless `allowed_networks` lists them.
    Raises AddressRefused, or socket.gaierror when the name does not resolve."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(f"refused: only http and https URLs are fetched, not {parts.scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise AddressRefused("refused: the URL has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_ignored, sockaddr in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if address.is_global:
            continue
        if any(address in network for network in _networks(settings.allowed_networks)):
            continue
        raise AddressRefused(f"refused: {parts.hostname} resolves to {address}, a non-public address "
                             "(allow it with WIREWATCH_ALLOWED_NETWORKS)")


def download(
    client: HttpClient,
    url: str,
    *,
    settings: Settings,
    max_bytes: int,
    headers: dict[str, str] | None = None,
) -> Download:
    """GET `url`, reading at most `max_bytes` (decoded) within the configured timeouts."""
    started = time.monotonic()
    current = url
    permanent = True
    seen = {url}

    def failed(error: str, kind: str, *, transient: bool = False, status: int | None = None,
               response_headers: dict[str, str] | None = None, body: bytes = b"") -> Download:
        return Download(url=url, final_url=current, status=status, error=error, kind=kind, transient=transient,
                        headers=response_headers or {}, body=body, elapsed=time.monotonic() - started)

    for _hop in range(settings.max_redirects + 1):
        try:
            check_address(current, settings)
        except AddressRefused as exc:
            return failed(str(exc), "refused")
        except (socket.gaierror, UnicodeError) as exc:
            return failed(f"DNS: cannot resolve {urlsplit(current).hostname} ({_root_cause(exc)})", "dns")
        except ValueError as exc:  # urlsplit's port out of range, a bracketed host that is no address
            return failed(f"invalid URL: {exc}", "invalid_url")
        try:
            response = client.get(current, headers)
        # urllib3's NewConnectionError is a ConnectTimeoutError too: it goes first.
        except urllib3.exceptions.NewConnectionError as exc:
            return failed(f"connection error: {_root_cause(exc)}", "connection", transient=True)
        except urllib3.exceptions.ConnectTimeoutError:
            return failed("timeout: no connection within %gs" % settings.connect_timeout, "timeout", transient=True)
        except urllib3.exceptions.ReadTimeoutError:
            return failed("timeout: no response within %gs" % settings.read_timeout, "timeout", transient=True)
        except (urllib3.exceptions.LocationValueError, urllib3.exceptions.URLSchemeUnknown) as exc:
            return failed(f"invalid URL: {exc}", "invalid_url")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return failed(f"connection error: {_root_cause(exc)}", "connection", transient=True)

        if response.status in REDIRECTS and response.headers.get("location"):
            response.close()
            response.release_conn()
            permanent = permanent and response.status in PERMANENT_REDIRECTS
            target = urljoin(current, response.headers["location"])
            if target in seen:
                return failed(f"redirect loop at {target}", "redirects")
            seen.add(target)
            current = target
            continue
        return _read(response, url=url, final_url=current, started=started, settings=settings,
                     max_bytes=max_bytes, moved_to=current if permanent and current != url else None)
    return failed(f"too many redirects (more than {settings.max_redirects})", "redirects")


def _read(response: urllib3.BaseHTTPResponse, *, url: str, final_url: str, started: float, settings: Settings,
          max_bytes: int, moved_to: str | None) -> Download:
    """Read a response body within the size and time limits."""
    with _finished(response):
        status = response.status
        response_headers = {k.lower(): v for k, v in response.headers.items()}

        def failed(error: str, kind: str, transient: bool) -> Download:
            return Download(url=url, final_url=final_url, status=status, headers=response_headers, error=error,
                            kind=kind, transient=transient, elapsed=time.monotonic() - started,
                            moved_permanently_to=moved_to)

        declared = response_headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            return failed(f"too large: Content-Length {int(declared)} exceeds the {max_bytes}-byte limit",
                          "too_large", False)
        chunks: list[bytes] = []
        size = 0
        deadline = started + settings.total_timeout
        # read1 returns what one receive brought (decoded, at most CHUNK_BYTES of output, so the cap
        # also bounds gzip/br bombs), so a server sending a byte a second meets the deadline check
        # below at every byte; each receive keeps the read timeout. No thread per download.
        read = response.read1
        try:
            while chunk := read(CHUNK_BYTES, decode_content=True):
                size += len(chunk)
                if size > max_bytes:
                    return failed(f"too large: body exceeds the {max_bytes}-byte limit", "too_large", False)
                if time.monotonic() > deadline:
                    return failed(f"timeout: download took longer than {settings.total_timeout:g}s", "timeout", True)
                chunks.append(chunk)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return failed(f"connection broken while reading: {_root_cause(exc)}", "connection", True)
        wire_bytes = response.tell()

    body = b"".join(chunks)
    error = kind = None
    if not 200 <= status < 300 and status != 304:
        error, kind = f"HTTP {status}", status_kind(status)
    return Download(url=url, final_url=final_url, status=status, headers=response_headers, body=body,
                    elapsed=time.monotonic() - started, error=error, kind=kind,
                    transient=error is not None and is_transient_status(status),
                    moved_permanently_to=moved_to, wire_bytes=wire_bytes)


@contextmanager
def _finished(response: urllib3.BaseHTTPResponse) -> Iterator[None]:
    """Hand the connection back to its pool: kept alive when the body was read to its end, closed
    when it was left half-read (too large, too slow, broken)."""
    try:
        yield
    finally:
        if not response.isclosed():
            response.close()
        response.release_conn()


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
