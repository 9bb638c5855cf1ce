"""A plain-HTTP client skips loading the CA bundle, but never accepts a certificate."""

from __future__ import annotations

import ssl

import pytest

from cosdesk.cos.client import _tls_verify_for
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.transports import environment_proxies


def test_plain_http_endpoint_gets_an_empty_context_that_still_verifies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    context = _tls_verify_for(Endpoint.custom("http://127.0.0.1:9000"), True, environment_proxies())
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == []  # trusts nothing: any certificate is refused


def test_https_proxies_and_explicit_choices_keep_the_callers_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _tls_verify_for(Endpoint.cos("ap-guangzhou"), True, environment_proxies()) is True
    assert _tls_verify_for(Endpoint.custom("http://127.0.0.1:9000"), False, environment_proxies()) is False
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert _tls_verify_for(Endpoint.custom("http://127.0.0.1:9000"), True, environment_proxies()) is True
