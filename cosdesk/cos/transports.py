"""The httpx transport a CosClient sends its requests through: one per proxy.

For a plain connection (no proxy, the usual case) that is one
``httpx.HTTPTransport`` with one connection pool, shared by every thread. The
rules below pick the transport for a URL, proxies taken from the environment as
curl reads them. CosClient builds each ``httpx.Request`` whole and hands it to
the transport's ``handle_request``: nothing an ``httpx.Client`` adds (cookies,
auth flows, redirects, merged defaults) applies to a COS request (ARCHITECTURE.md,
"Sending a request through httpx").
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Mapping

import httpx

# Makes the transport for one proxy (None: a direct connection).
TransportFactory = Callable[[str | None], httpx.BaseTransport]


def environment_proxies() -> dict[str, str]:
    """``{"http": url, "https": url, "all": url, "no": hosts}`` from the
    ``*_PROXY`` variables (lower case wins), as httpx reads them."""
    return urllib.request.getproxies_environment()


def bypasses_proxy(host: str, no_proxy: str) -> bool:
    """Whether ``host`` matches NO_PROXY: ``*``, a host name, or a domain that
    ``host`` is in (``example.com`` and ``.example.com`` both cover
    ``a.example.com``)."""
    host = host.lower().strip("[]")
    for entry in no_proxy.split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.split(":", 1)[0] if entry.count(":") == 1 else entry.strip("[]")
        domain = entry.lstrip(".")
        if host == domain or host.endswith("." + domain):
            return True
    return False


def _with_scheme(proxy: str) -> str:
    # "proxy:3128" means an HTTP proxy, as curl reads it.
    return proxy if "://" in proxy else "http://" + proxy


class ProxyTransports:
    """Picks the transport for a URL: the given one (tests), else one per proxy,
    made on first use and closed together. Thread-safe."""

    def __init__(
        self,
        factory: TransportFactory,
        *,
        fixed: httpx.BaseTransport | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        self._factory = factory
        self._fixed = fixed
        self._proxies = dict(proxies or {})
        self._lock = threading.Lock()
        self._by_proxy: dict[str | None, httpx.BaseTransport] = {}
        self._by_origin: dict[tuple[str, str], httpx.BaseTransport] = {}

    def proxy_for(self, scheme: str, host: str) -> str | None:
        if self._fixed is not None or bypasses_proxy(host, self._proxies.get("no", "")):
            return None
        proxy = self._proxies.get(scheme) or self._proxies.get("all")
        return _with_scheme(proxy) if proxy else None

    def for_url(self, url: httpx.URL) -> httpx.BaseTransport:
        origin = (url.scheme, url.host)
        transport = self._by_origin.get(origin)
        if transport is not None:
            return transport
        with self._lock:
            if self._fixed is not None:
                transport = self._fixed
            else:
                proxy = self.proxy_for(*origin)
                transport = self._by_proxy.get(proxy)
                if transport is None:
                    transport = self._by_proxy[proxy] = self._factory(proxy)
            self._by_origin[origin] = transport
            return transport

    def close(self) -> None:
        with self._lock:
            owned = list(self._by_proxy.values())
            self._by_proxy.clear()
            self._by_origin.clear()
        for transport in owned:
            transport.close()
        if self._fixed is not None:
            self._fixed.close()
