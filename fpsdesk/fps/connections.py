"""Where a request goes.

A loopback host is always reached directly; others go through the environment's proxy
(HTTPS_PROXY, NO_PROXY, as requests reads them): an HTTP proxy, tunnelled with CONNECT for https.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import requests.utils

from fpsdesk.fps.endpoints import is_loopback_host
from fpsdesk.fps.exceptions import NetworkError
from fpsdesk.fps.wire import host_header


@dataclass(frozen=True, slots=True)
class Route:
    """How to reach one origin: directly, or through an HTTP proxy (CONNECT for https)."""

    scheme: str
    host: str
    port: int
    netloc: str
    host_header: str  # the Host header's value
    proxy: tuple[str, int] | None = None
    proxy_headers: Mapping[str, str] | None = None


def route_for(url: str, *, environment_proxy: bool) -> Route:
    """How to reach ``url``: directly, or through the environment's HTTP proxy; raises
    NetworkError for a URL or a proxy setting that cannot be used (nothing is sent)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise NetworkError(f"the request could not be sent ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise NetworkError(f"the request could not be sent ({url[:80]!r} is not an http URL)")
    host = parts.hostname
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    try:
        header = host_header(host, port, default_port)
    except UnicodeError:
        raise NetworkError(
            f"the request could not be sent (the host name {host[:80]!r} cannot be encoded)"
        ) from None
    route = Route(scheme, host, port, parts.netloc, header)
    if not environment_proxy or is_loopback_host(host):
        return route
    proxy = _environment_proxy_for(url)
    if proxy is None:
        return route
    proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    try:
        proxy_port = proxy_parts.port or 80
    except ValueError:
        proxy_port = 0
    if proxy_parts.scheme.lower() != "http" or not proxy_parts.hostname or not proxy_port:
        raise NetworkError(
            f"the environment's proxy for {host} is not an http://host:port proxy "
            f"({proxy_parts.scheme or 'no scheme'}), which fpsdesk cannot use; set "
            "HTTPS_PROXY to an HTTP proxy or add the host to NO_PROXY. Nothing was sent"
        )
    auth: dict[str, str] = {}
    if proxy_parts.username:
        token = f"{unquote(proxy_parts.username)}:{unquote(proxy_parts.password or '')}"
        auth["Proxy-Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
    return Route(
        route.scheme,
        route.host,
        route.port,
        route.netloc,
        route.host_header,
        (proxy_parts.hostname, proxy_port),
        auth or None,
    )


def default_ca_bundle(use_environment: bool) -> str:
    """The CA bundle requests would use: REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (unless the host
    is reached directly, like a loopback sandbox), else certifi's."""
    if use_environment:
        named = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if named:
            return named
    return requests.utils.DEFAULT_CA_BUNDLE_PATH


def _environment_proxy_for(url: str) -> str | None:
    """The proxy the environment sets for ``url`` (NO_PROXY honoured), as requests finds it."""
    proxies = requests.utils.get_environ_proxies(url)
    return requests.utils.select_proxy(url, proxies) if proxies else None
