"""The ``httpx.Client`` a CosClient sends its requests through: one per proxy.

For a plain connection (no proxy, the usual case) that is one client with one
connection pool, shared by every thread. Each client is handed its transport
ready made (our limits and TLS settings) and does no proxy lookup of its own;
the rules below pick the client for a URL, proxies taken from the environment
as curl reads them. CosClient builds each ``httpx.Request`` whole and hands it to
``Client.send``, so nothing is merged into it per request (ARCHITECTURE.md,
"Sending a request through httpx").
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Mapping

import httpx

# Makes the client for one proxy (None: a direct connection).
ClientFactory = Callable[[str | None], httpx.Client]


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


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing: COS sets no cookies, and CosClient sends none."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Skipped: httpx would wrap every answer and its request in urllib's
        classes for the standard library's jar (~0.1 ms of CPU per request)."""


class CookielessClient(httpx.Client):
    """An ``httpx.Client`` without a cookie jar; otherwise httpx's client as it is."""

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("a CookielessClient keeps no cookies")


def _with_scheme(proxy: str) -> str:
    # "proxy:3128" means an HTTP proxy, as curl reads it.
    return proxy if "://" in proxy else "http://" + proxy


class ProxyClients:
    """Picks the client for a URL: the one over the given transport (tests), else
    one per proxy, made on first use and closed together. Thread-safe."""

    def __init__(
        self,
        factory: ClientFactory,
        *,
        fixed: httpx.BaseTransport | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        self._factory = factory
        self._fixed = fixed
        self._proxies = dict(proxies or {})
        self._lock = threading.Lock()
        self._by_proxy: dict[str | None, httpx.Client] = {}
        self._by_origin: dict[tuple[str, str], httpx.Client] = {}

    def proxy_for(self, scheme: str, host: str) -> str | None:
        if self._fixed is not None or bypasses_proxy(host, self._proxies.get("no", "")):
            return None
        proxy = self._proxies.get(scheme) or self._proxies.get("all")
        return _with_scheme(proxy) if proxy else None

    def for_url(self, url: httpx.URL) -> httpx.Client:
        origin = (url.scheme, url.host)
        client = self._by_origin.get(origin)
        if client is not None:
            return client
        with self._lock:
            # The given transport stands for every proxy: one client over it.
            proxy = None if self._fixed is not None else self.proxy_for(*origin)
            client = self._by_proxy.get(proxy)
            if client is None:
                client = self._by_proxy[proxy] = self._make(proxy)
            self._by_origin[origin] = client
            return client

    def _make(self, proxy: str | None) -> httpx.Client:
        if self._fixed is None:
            return self._factory(proxy)
        return CookielessClient(transport=self._fixed, trust_env=False)

    def close(self) -> None:
        with self._lock:
            owned = list(self._by_proxy.values())
            self._by_proxy.clear()
            self._by_origin.clear()
        for client in owned:
            client.close()
        if self._fixed is not None:
            self._fixed.close()
