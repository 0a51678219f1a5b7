"""Paths from the page stay inside the served folders; uploads are size-limited; video has range requests."""

from __future__ import annotations

import http.client
import json
import os

import pytest

from timechat_core.ui.paths import Refused, Roots
from timechat_core.ui.routes import safe_upload_name
from timechat_core.ui.server import create_app


@pytest.fixture
def outside(tmp_path):
    """A folder outside the data folder with a 'secret' video, and data/ holding a symlink to it."""
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.mp4").write_bytes(b"secret video bytes")
    (secret / "secret.json").write_text('{"annotations": []}')
    data = tmp_path / "data"
    data.mkdir()
    (data / "ok.mp4").write_bytes(b"0123456789" * 100)
    os.symlink(secret / "secret.mp4", data / "link.mp4")
    os.symlink(secret, data / "linked_dir")
    return data


def request(port, method, target, body=None, headers=None):
    """A raw HTTP request: the target is sent as written (no client-side `..` normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, target, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


@pytest.mark.parametrize("ref", ["data/../outside/secret.mp4", "data/../../etc/passwd", "data//etc/passwd",
                                 "/etc/passwd", "data/link.mp4", "data/linked_dir/secret.mp4", "data/a\\..\\b",
                                 "data/~root", "data/ok.mp4\x00"])
def test_resolve_refuses_escapes(outside, ref):
    roots = Roots({"data": outside})
    with pytest.raises(Refused) as e:
        roots.resolve(ref)
    assert e.value.status in (403, 404)


def test_resolve_and_walk_keep_inside(outside):
    roots = Roots({"data": outside})
    assert roots.resolve("data/ok.mp4") == (outside / "ok.mp4").resolve()
    assert roots.walk((".mp4",)) == ["data/ok.mp4"]  # the symlinks out are not listed
    with pytest.raises(Refused) as e:
        roots.resolve("nope/ok.mp4")
    assert e.value.status == 404


ESCAPES = [
    "/media/../../etc/passwd",
    "/media/data/../../outside/secret.mp4",
    "/media/data/%2e%2e/outside/secret.mp4",
    "/media/data/%2E%2E%2Foutside%2Fsecret.mp4",
    "/media/data/..%2f..%2fetc%2fpasswd",
    "/media//etc/passwd",
    "/media/data//etc/passwd",
    "/media/data/%2Fetc%2Fpasswd",
    "/media/data/link.mp4",
    "/media/data/linked_dir/secret.mp4",
    "/api/ground-truth?video=data/../outside/secret.mp4",
    "/api/ground-truth?video=data%2F%2e%2e%2Foutside%2Fsecret.mp4",
    "/api/ground-truth?video=/etc/passwd",
    "/api/results?pred=data/linked_dir/secret.json",
    "/api/results?pred=data/../outside/secret.json",
    "/static/..%2f..%2fserver.py",
]


def test_path_escape_requests_are_refused(outside, uploads, serve_app):
    port = serve_app(create_app(outside, uploads)).port
    for target in ESCAPES:
        status, _, body = request(port, "GET", target)
        assert status in (403, 404), (target, status)
        assert b"secret" not in body and b"root:" not in body, target
    status, _, body = request(port, "GET", "/media/data/ok.mp4")
    assert status == 200 and body == b"0123456789" * 100
    status, _, _ = request(port, "GET", "/api/info", headers={"Host": "evil.example:80"})
    assert status == 400  # DNS rebinding: only loopback Host headers on a loopback server


def test_video_range_requests(outside, uploads, serve_app):
    port = serve_app(create_app(outside, uploads)).port
    status, headers, body = request(port, "GET", "/media/data/ok.mp4", headers={"Range": "bytes=10-19"})
    assert status == 206 and body == b"0123456789"
    assert headers["content-range"] == "bytes 10-19/1000" and headers["accept-ranges"] == "bytes"
    _, headers, _ = request(port, "GET", "/")
    assert "default-src 'self'" in headers["content-security-policy"]


def test_uploads_are_named_safely_and_size_limited(outside, uploads, serve_app):
    port = serve_app(create_app(outside, uploads, max_upload_bytes=1000)).port
    status, _, body = request(port, "POST", "/api/upload?name=..%2F..%2Fevil%20name.mp4", body=b"x" * 1000)
    assert status == 200
    ref = json.loads(body)["ref"]
    assert ref.startswith("uploads/") and ref.endswith("-evil_name.mp4")
    assert [p.name for p in uploads.iterdir()] == [ref.split("/")[1]]
    assert request(port, "GET", "/media/" + ref)[2] == b"x" * 1000
    status, _, _ = request(port, "POST", "/api/upload?name=big.mp4", body=b"x" * 1001)
    assert status == 413
    # no Content-Length: the streamed body is counted and cut at the limit
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/api/upload?name=big2.mp4", body=iter([b"x" * 600, b"x" * 600]),
                 encode_chunked=True)
    assert conn.getresponse().status == 413
    conn.close()
    assert request(port, "POST", "/api/upload?name=notes.txt", body=b"x")[0] == 400
    assert len(list(uploads.iterdir())) == 1  # nothing left of the refused ones


@pytest.mark.parametrize("name", ["a.mp4", "../x.mkv", "C:\\\\v\\\\clip.webm"])
def test_safe_upload_name(name):
    out = safe_upload_name(name)
    assert "/" not in out and "\\" not in out and not out.startswith(".")
