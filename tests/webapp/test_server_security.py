"""The running app refuses what a hostile web page could send: a WebSocket
handshake whose Host is a foreign (DNS-rebinding) name, or whose Origin is a
foreign site. Real `streamlit run` on a free port, raw HTTP handshakes."""
from __future__ import annotations

import base64
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

from browser_support import streamlit_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # the app starts without a model here: nothing in these checks needs one
    with streamlit_server(tmp_path_factory.mktemp("srv"), Path(os.devnull)) as app:
        yield app


def _handshake(url: str, host: str, origin: str | None) -> int:
    """Status code of a WebSocket upgrade request to the app's stream."""
    u = urlparse(url)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET /_stcore/stream HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: streamlit"]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status = s.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status.split()[1])


def test_local_handshake_is_accepted(server):
    port = urlparse(server.url).port
    assert _handshake(server.url, f"localhost:{port}", f"http://localhost:{port}") == 101


def test_dns_rebinding_host_is_refused(server):
    port = urlparse(server.url).port
    # the attacker's page: same origin as its (rebound) domain, so CORS alone would let it in
    assert _handshake(server.url, f"rebind.attacker.example:{port}", f"http://rebind.attacker.example:{port}") != 101


def test_foreign_origin_is_refused(server):
    port = urlparse(server.url).port
    assert _handshake(server.url, f"localhost:{port}", "http://attacker.example") != 101
