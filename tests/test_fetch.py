import socket

import brotli
import pytest
from faultserver import FaultServer, gzip_bomb, redirect, reset, send, stall, stream, trickle

from wirewatch.fetch.client import AddressRefused, HttpClient, check_address, download
from wirewatch.settings import Settings

SETTINGS = Settings(connect_timeout=2, read_timeout=1, total_timeout=3, max_redirects=3,
                    allowed_networks=("127.0.0.0/8", "::1"))
LIMIT = 1_000_000


@pytest.fixture(scope="module")
def server():
    routes = {
        "/ok": send(200, b"<html>hello</html>", headers={"ETag": '"v1"'}),
        "/404": send(404, b"gone"),
        "/410": send(410, b"gone for good"),
        "/500": send(500, b"oops"),
        "/429": send(429, b"slow down", headers={"Retry-After": "120"}),
        "/big-declared": send(200, b"x" * 2_000_000),
        "/big-streamed": stream(3_000_000, chunk=64 * 1024),
        "/bomb": gzip_bomb(50_000_000),
        "/trickle": trickle(0.5, total=20),
        "/stall": stall(3),
        "/reset": reset,
        "/loop-a": redirect("/loop-b"),
        "/loop-b": redirect("/loop-a"),
        "/moved": redirect("/ok", 301),
        "/moved-twice": redirect("/moved", 308),
        "/temporarily": redirect("/moved", 302),
        "/chain-1": redirect("/chain-2"), "/chain-2": redirect("/chain-3"), "/chain-3": redirect("/chain-4"),
        "/chain-4": redirect("/chain-5"), "/chain-5": redirect("/ok"),
        "/brotli": send(200, brotli.compress(b"<rss>compressed</rss>"), headers={"Content-Encoding": "br"}),
    }
    with FaultServer(routes) as srv:
        yield srv


def get(server, path, **kw):
    return download(HttpClient(SETTINGS), server.url(path), settings=SETTINGS, max_bytes=LIMIT, **kw)


def test_success_keeps_body_and_headers(server):
    got = get(server, "/ok")
    assert got.ok and got.body == b"<html>hello</html>"
    assert got.headers["etag"] == '"v1"' and got.content_type == "text/html"


@pytest.mark.parametrize(("path", "error", "kind", "transient"), [
    ("/404", "HTTP 404", "http_client", False),
    ("/410", "HTTP 410", "gone", False),
    ("/500", "HTTP 500", "http_server", True),
    ("/429", "HTTP 429", "rate_limited", True),
    ("/big-declared", "too large: Content-Length 2000000 exceeds the 1000000-byte limit", "too_large", False),
    ("/big-streamed", "too large: body exceeds the 1000000-byte limit", "too_large", False),
    ("/bomb", "too large: body exceeds the 1000000-byte limit", "too_large", False),
    ("/trickle", "timeout: download took longer than 3s", "timeout", True),
    ("/stall", "timeout: no response within 1s", "timeout", True),
    ("/chain-1", "too many redirects (more than 3)", "redirects", False),
])
def test_failures_are_reported_not_raised(server, path, error, kind, transient):
    got = get(server, path)
    assert not got.ok
    assert got.error == error
    assert got.kind == kind
    assert got.transient is transient


def test_redirect_loop_is_named(server):
    got = get(server, "/loop-a")
    assert got.error == f"redirect loop at {server.url('/loop-a')}" and got.kind == "redirects"


def test_only_permanent_redirect_chains_move_a_url(server):
    assert get(server, "/moved-twice").moved_permanently_to == server.url("/ok")
    temporary = get(server, "/temporarily")
    assert temporary.ok and temporary.final_url == server.url("/ok")
    assert temporary.moved_permanently_to is None
    assert get(server, "/ok").moved_permanently_to is None


def test_brotli_bodies_are_decoded(server):
    got = get(server, "/brotli")
    assert got.ok and got.body == b"<rss>compressed</rss>"


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1/feed", "resolves to 127.0.0.1, a non-public address"),
    ("http://localhost/feed", "a non-public address"),
    ("http://169.254.169.254/latest/meta-data/", "resolves to 169.254.169.254"),
    ("http://10.1.2.3/", "resolves to 10.1.2.3"),
    ("http://[::1]/", "resolves to ::1"),
    ("http://192.168.0.10:8080/rss", "resolves to 192.168.0.10"),
    ("ftp://127.0.0.1/feed.xml", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
])
def test_private_and_non_http_addresses_are_refused_by_default(url, reason):
    with pytest.raises(AddressRefused, match=reason):
        check_address(url, Settings())


def test_refusal_is_a_recorded_outcome_and_the_allow_list_opens_loopback(server):
    hits_before = len(server.hits)
    refused = download(HttpClient(Settings()), server.url("/ok"), settings=Settings(), max_bytes=LIMIT)
    assert refused.kind == "refused" and "WIREWATCH_ALLOWED_NETWORKS" in refused.error
    assert len(server.hits) == hits_before, "a refused URL must not be requested at all"
    assert get(server, "/ok").ok


def test_redirect_into_a_private_network_is_refused(server):
    server.routes["/to-metadata"] = redirect("http://169.254.169.254/latest/meta-data/")
    got = get(server, "/to-metadata")
    assert got.kind == "refused" and "169.254.169.254" in got.error


def test_unresolvable_host_is_a_dns_failure():
    # An empty label fails in the resolver library itself: no query leaves the machine.
    got = download(HttpClient(SETTINGS), "http://bad..host/feed", settings=SETTINGS, max_bytes=LIMIT)
    assert got.kind == "dns" and got.error.startswith("DNS: cannot resolve bad..host")


def test_connection_reset_is_transient(server):
    got = get(server, "/reset")
    assert got.error.startswith(("connection error", "connection broken")) and got.transient


def test_connection_refused():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    got = download(HttpClient(SETTINGS), f"http://127.0.0.1:{port}/", settings=SETTINGS, max_bytes=LIMIT)
    assert got.error == "connection error: Connection refused" and got.transient


def test_redirect_is_followed_and_final_url_kept(server):
    got = get(server, "/moved")
    assert got.ok and got.final_url == server.url("/ok")


def test_user_agent_and_conditional_headers_are_sent(server):
    seen = {}

    def capture(req):
        seen.update(req.headers)
        send(304)(req)

    server.routes["/cond"] = capture
    got = get(server, "/cond", headers={"If-None-Match": '"v1"'})
    assert got.status == 304 and got.error is None
    assert seen["User-Agent"] == SETTINGS.user_agent and seen["If-None-Match"] == '"v1"'


def test_cookies_a_server_sets_are_sent_back_on_the_next_hop_and_request(server):
    seen = []

    def consent(req):  # a consent wall: set a cookie, send the reader back to the page
        req.send_response(302)
        req.send_header("Set-Cookie", "consent=yes; Path=/")
        req.send_header("Location", "/walled")
        req.send_header("Content-Length", "0")
        req.end_headers()

    def walled(req):
        seen.append(req.headers.get("Cookie"))
        send(200 if req.headers.get("Cookie") == "consent=yes" else 403, b"story")(req)

    server.routes.update({"/consent": consent, "/walled": walled})
    client = HttpClient(SETTINGS)
    first = download(client, server.url("/consent"), settings=SETTINGS, max_bytes=LIMIT)
    again = download(client, server.url("/walled"), settings=SETTINGS, max_bytes=LIMIT)
    assert first.ok and again.ok and seen == ["consent=yes", "consent=yes"]
    assert get(server, "/walled").status == 403, "a new client starts without cookies"


def test_an_out_of_range_port_is_an_invalid_url():
    got = download(HttpClient(SETTINGS), "http://127.0.0.1:99999/", settings=SETTINGS, max_bytes=LIMIT)
    assert got.kind == "invalid_url" and "port" in got.error.lower()
