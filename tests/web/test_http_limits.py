"""The HTTP side against strangers: only the mirror's own page (or a listed origin) may start a
session, and only with JSON; offers per address are limited; unfinished requests are cut off;
media binds where HTTP binds; a LAN address needs HTTPS; operator routes need the admin token.
Raw HTTP (httpx, sockets) against real servers on loopback — `mirror serve` itself where what is
tested is how it runs."""
from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import socket
import ssl
import subprocess
import sys
import time

import httpx
import pytest

from mirror.rtc.loopback import host_addresses
from tests.hardening import LOOPBACK, ServeProcess, make_offer, post_offer, settings_from_env
from tests.live_server import LiveServer

TOLERANCE_S = 6.0


@pytest.fixture(scope="module")
def offer_sdp() -> str:
    async def make() -> str:
        pc, _ = await make_offer()
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


@pytest.fixture(scope="module")
def server():
    with LiveServer(settings_from_env(offer_burst=100, connect_timeout_s=2, reap_interval_s=0.2,
                                      allowed_origins="https://kiosk.example")) as live:
        yield live


def offer(server, sdp: str, **headers) -> httpx.Response:
    headers = {"content-type": "application/json", **headers}
    return httpx.post(server.url + "/offer", content=json.dumps({"sdp": sdp, "type": "offer"}), headers=headers,
                      timeout=30)


def test_a_text_plain_offer_is_refused(server, offer_sdp):
    # What a cross-site <form> or a "simple" fetch can send without a CORS preflight.
    response = offer(server, offer_sdp, **{"content-type": "text/plain"})
    assert response.status_code == 415
    assert not server.sessions


def test_a_page_of_another_site_cannot_start_a_session(server, offer_sdp):
    response = offer(server, offer_sdp, origin="https://evil.example")
    assert response.status_code == 403
    assert offer(server, offer_sdp, origin="null").status_code == 403
    assert not server.sessions


@pytest.mark.parametrize("origin", [None, "own", "https://kiosk.example"])
def test_the_mirrors_own_page_a_listed_origin_and_non_browsers_may(server, offer_sdp, origin):
    headers = {} if origin is None else {"origin": server.url if origin == "own" else origin}
    assert offer(server, offer_sdp, **headers).status_code == 200


def test_dns_rebinding_is_refused(server, offer_sdp):
    # evil.example made to resolve to 127.0.0.1: same "origin" as the Host, but not a loopback name.
    port = server.settings.port
    response = offer(server, offer_sdp, host=f"evil.example:{port}", origin=f"http://evil.example:{port}")
    assert response.status_code == 403


def test_offers_per_address_are_limited(offer_sdp):
    with LiveServer(settings_from_env(offer_burst=3, offer_rate_per_s=0.2)) as server:
        statuses = [offer(server, "v=0 not sdp").status_code for _ in range(5)]
        assert statuses == [400, 400, 400, 429, 429]
        refused = offer(server, offer_sdp)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_operator_routes_need_the_admin_token():
    with LiveServer(settings_from_env()) as server:
        off = httpx.get(server.url + "/sessions", headers={"authorization": "Bearer anything"}, timeout=5)
        assert off.status_code == 403 and "MIRROR_ADMIN_TOKEN" in off.json()["error"]
    with LiveServer(settings_from_env(admin_token="s3cret-token")) as server:
        get = lambda auth: httpx.get(server.url + "/sessions", headers=auth, timeout=5)
        assert get({}).status_code == 401
        assert get({"authorization": "Bearer wrong"}).status_code == 401
        ok = get({"authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json()["cap"] == server.settings.max_sessions


# ---- `mirror serve` itself ----
def open_socket(port: int) -> socket.socket:
    s = socket.create_connection((LOOPBACK, port), timeout=5)
    s.settimeout(0.05)
    return s


def closed_by_server(s: socket.socket) -> bool:
    try:
        return s.recv(4096) == b""
    except socket.timeout:
        return False
    except ConnectionError:
        return True


@pytest.mark.slow
def test_unfinished_requests_are_cut_off():
    with ServeProcess(http_header_timeout_s=1, http_body_timeout_s=1) as server:
        started = time.monotonic()
        held = [open_socket(server.port) for _ in range(30)]
        for s in held:  # a request line and half the headers, then nothing
            s.sendall(b"POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        body = open_socket(server.port)  # complete headers, a body that never arrives
        body.sendall(b"POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"sdp\": ")
        body.settimeout(1 + TOLERANCE_S)
        assert body.recv(4096).startswith(b"HTTP/1.1 408")
        deadline = time.monotonic() + 1 + TOLERANCE_S
        while held and time.monotonic() < deadline:
            held = [s for s in held if not closed_by_server(s)]
        print(f"\n30 half-sent requests cut off within {time.monotonic() - started:.1f} s")
        assert held == []
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200


@pytest.mark.slow
async def test_media_binds_where_http_binds():
    with ServeProcess() as server:  # HTTP on 127.0.0.1, no MIRROR_ICE_ADDRESSES
        with host_addresses([LOOPBACK]):
            pc, _ = await make_offer()
        try:
            answer = (await post_offer(server.url, pc.localDescription.sdp)).json()["sdp"]
        finally:
            await pc.close()
        candidates = [line.split()[4] for line in answer.splitlines() if line.startswith("a=candidate:")]
        assert candidates and set(candidates) == {LOOPBACK}
        udp = [c.laddr.ip for c in server.proc.net_connections(kind="udp")]
        assert udp and set(udp) == {LOOPBACK}


def test_a_lan_address_without_a_certificate_refuses_to_start():
    run = subprocess.run([sys.executable, "-m", "tools.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
                         capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 2
    (line,) = [l for l in run.stderr.splitlines() if "refusing" in l]
    assert "--ssl-certfile" in line and "--ssl-keyfile" in line


def self_signed(directory) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mirror test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(certfile), str(keyfile)


@pytest.mark.slow
def test_given_a_certificate_it_serves_https(tmp_path):
    certfile, keyfile = self_signed(tmp_path)
    server = ServeProcess(ssl_certfile=certfile, ssl_keyfile=keyfile)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.process.poll() is None, server.tail()
            try:
                response = httpx.get(f"https://{LOOPBACK}:{server.port}/healthz", timeout=2,
                                     verify=ssl.create_default_context(cafile=certfile))
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, server.tail()
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["ok"]
    finally:
        server.stop()
