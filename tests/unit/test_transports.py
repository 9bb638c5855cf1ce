"""Which transport (which proxy) CosClient sends a request through."""

from __future__ import annotations

import httpx
import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.transports import ProxyTransports, bypasses_proxy, environment_proxies


@pytest.mark.parametrize(
    ("host", "no_proxy", "bypassed"),
    [
        ("a.example.com", "example.com", True),
        ("a.example.com", ".example.com", True),
        ("example.com", ".example.com", True),
        ("badexample.com", "example.com", False),
        ("127.0.0.1", "localhost, 127.0.0.1", True),
        ("127.0.0.1", "127.0.0.1:9000", True),
        ("cos.ap-guangzhou.myqcloud.com", "*", True),
        ("cos.ap-guangzhou.myqcloud.com", "", False),
        ("::1", "[::1]", True),
    ],
)
def test_no_proxy_matching(host: str, no_proxy: str, bypassed: bool) -> None:
    assert bypasses_proxy(host, no_proxy) is bypassed


def test_one_transport_per_proxy_made_on_first_use_and_closed_together() -> None:
    made: list[str | None] = []
    closed: list[httpx.BaseTransport] = []

    class Pool(httpx.HTTPTransport):
        def close(self) -> None:
            closed.append(self)
            super().close()

    def factory(proxy: str | None) -> httpx.BaseTransport:
        made.append(proxy)
        return Pool()

    transports = ProxyTransports(
        factory,
        proxies={"https": "proxy.corp:3128", "http": "http://web-proxy:8080", "no": ".internal"},
    )
    cos = transports.for_url(httpx.URL("https://b-1250000000.cos.ap-guangzhou.myqcloud.com/k"))
    again = transports.for_url(httpx.URL("https://c-1250000000.cos.ap-guangzhou.myqcloud.com/k"))
    plain = transports.for_url(httpx.URL("http://b-1250000000.cos.ap-guangzhou.myqcloud.com/k"))
    inside = transports.for_url(httpx.URL("https://cos.internal/k"))
    assert cos is again and plain is not cos and inside not in (cos, plain)
    # A proxy without a scheme is an HTTP proxy, as curl reads it.
    assert made == ["http://proxy.corp:3128", "http://web-proxy:8080", None]
    transports.close()
    assert sorted(map(id, closed)) == sorted(map(id, (cos, plain, inside)))


def test_a_given_transport_serves_every_url() -> None:
    given = httpx.MockTransport(lambda request: httpx.Response(204))
    transports = ProxyTransports(lambda proxy: pytest.fail("no transport should be made"), fixed=given)
    transport = transports.for_url(httpx.URL("https://a.example/k"))
    assert transport is given and transports.for_url(httpx.URL("http://b.example/k")) is given
    assert transport.handle_request(httpx.Request("GET", "https://a.example/k")).status_code == 204
    assert transports.proxy_for("https", "a.example") is None


def test_environment_proxies_read_lower_case_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://upper:1")
    monkeypatch.setenv("https_proxy", "http://lower:2")
    monkeypatch.setenv("NO_PROXY", "example.com")
    proxies = environment_proxies()
    assert proxies["https"] == "http://lower:2" and proxies["no"] == "example.com"


def test_a_cookie_the_server_sets_is_never_sent_back() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/", "Content-Length": "0"})

    endpoint = Endpoint.custom("http://cos.test")
    with CosClient(
        Credentials("AKIDtest", "secret"), endpoint, transport=httpx.MockTransport(answer)
    ) as client:
        for _ in range(2):
            client.head_object("b-1250000000", "k")
    assert len(sent) == 2 and "cookie" not in sent[1].headers
