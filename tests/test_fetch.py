import socket

import pytest

from faultserver import FaultServer, gzip_bomb, redirect, reset, send, stall, stream, trickle
from wirewatch.fetch import download, make_session
from wirewatch.settings import Settings

SETTINGS = Settings(connect_timeout=2, read_timeout=1, total_timeout=3, max_redirects=3)
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
    }
    with FaultServer(routes) as srv:
        yield srv


def get(server, path, **kw):
    return download(make_session(SETTINGS), server.url(path), settings=SETTINGS, max_bytes=LIMIT, **kw)


def test_success_keeps_body_and_headers(server):
    got = get(server, "/ok")
    assert got.ok and got.body == b"<html>hello</html>"
    assert got.headers["etag"] == '"v1"' and got.content_type == "text/html"


@pytest.mark.parametrize(("path", "error", "transient"), [
    ("/404", "HTTP 404", False),
    ("/410", "HTTP 410", False),
    ("/500", "HTTP 500", True),
    ("/429", "HTTP 429", True),
    ("/big-declared", "too large: Content-Length 2000000 exceeds the 1000000-byte limit", False),
    ("/big-streamed", "too large: body exceeds the 1000000-byte limit", False),
    ("/bomb", "too large: body exceeds the 1000000-byte limit", False),
    ("/trickle", "timeout: download took longer than 3s", True),
    ("/stall", "timeout: no response within 1s", True),
    ("/loop-a", "too many redirects (more than 3)", False),
])
def test_failures_are_reported_not_raised(server, path, error, transient):
    got = get(server, path)
    assert not got.ok
    assert got.error == error
    assert got.transient is transient


def test_connection_reset_is_transient(server):
    got = get(server, "/reset")
    assert got.error.startswith(("connection error", "connection broken")) and got.transient


def test_connection_refused():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    got = download(make_session(SETTINGS), f"http://127.0.0.1:{port}/", settings=SETTINGS, max_bytes=LIMIT)
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
