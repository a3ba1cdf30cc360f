"""`mirror serve` behind a balancer: the guest's address comes from X-Forwarded-For when the request
comes from an address in MIRROR_FORWARDED_ALLOW_IPS, so the per-address offer limit counts guests,
not the balancer; from anyone else the header is ignored (a guest cannot pick its own address)."""
from __future__ import annotations

import httpx
import pytest

from tests.hardening import ServeProcess

NOT_AN_OFFER = b"{}"  # past the per-address limit, refused as malformed: a cheap way to spend a token


def offer_statuses(url: str, forwarded_for: list[str]) -> list[int]:
    with httpx.Client() as client:
        return [client.post(url + "/offer", content=NOT_AN_OFFER, timeout=5,
                            headers={"Content-Type": "application/json", "X-Forwarded-For": address}).status_code
                for address in forwarded_for]


@pytest.mark.parametrize("trusted, expected", [
    ("127.0.0.1", [400, 400, 429]),  # the balancer on this machine: two guests, one token each
    ("10.9.9.9", [400, 429, 429]),  # not our balancer: everyone is 127.0.0.1, the header ignored
])
def test_x_forwarded_for_names_the_guest_only_from_a_trusted_balancer(trusted, expected):
    with ServeProcess(offer_burst=1, offer_rate_per_s=0.01, forwarded_allow_ips=trusted) as server:
        assert offer_statuses(server.url, ["192.0.2.1", "192.0.2.2", "192.0.2.1"]) == expected
