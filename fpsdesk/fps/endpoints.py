"""Which FPS endpoints fpsdesk will talk to, and what to call them in the UI.

Checked before any request is built: a typo in a profile must never send signed requests over
plain http across a network, to a ``file://`` URL, or with a password embedded in the URL.
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from fpsdesk.fps.exceptions import InvalidInput

PRODUCTION_ENDPOINT = "https://fps.amazonaws.com/"
SANDBOX_ENDPOINT = "https://fps.sandbox.amazonaws.com/"

Environment = Literal["Production", "Sandbox", "Local sandbox", "Custom"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (also IPv4-mapped ::ffff:127.x)."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def validate_endpoint(url: str) -> str:
    """Return ``url`` normalized (lower-case scheme and host, path ``/`` when empty).

    Raises InvalidInput with a sentence a support agent can act on. https is required; plain
    http is allowed only to a loopback host (the local sandbox), because the request carries the
    access key and a replayable signature.
    """
    text = url.strip()
    if not text:
        raise InvalidInput("Enter the FPS endpoint URL, e.g. https://fps.sandbox.amazonaws.com/.")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise InvalidInput("The endpoint URL must not contain spaces or control characters.")
    if "://" not in text:
        raise InvalidInput(f"The endpoint URL {text!r} has no scheme; it must start with https://.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"The endpoint URL {text!r} is not a valid URL ({exc}).") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidInput(
            f"The endpoint URL must use https:// (got {scheme or 'no'} scheme: {scheme}://)."
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidInput(
            "The endpoint URL must not contain a user name or password; "
            "FPS credentials belong in the profile, not the URL."
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidInput(f"The endpoint URL {text!r} has no host name.")
    if parts.query or text.endswith("?"):
        raise InvalidInput("The endpoint URL must not have a query string (the part after '?').")
    if parts.fragment or "#" in text:
        raise InvalidInput("The endpoint URL must not have a fragment (the part after '#').")
    if scheme == "http" and not is_loopback_host(host):
        raise InvalidInput(
            f"Plain http:// is allowed only to this computer (localhost, 127.0.0.1, ::1); "
            f"use https:// for {host}."
        )
    if port == 0:
        raise InvalidInput("The endpoint URL has port 0, which is not a usable port.")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, "", ""))


def environment_of(url: str) -> Environment:
    """Name the environment for the UI's badge; never raises (unknown or bad → "Custom")."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return "Custom"
    if host == "fps.amazonaws.com":
        return "Production"
    if host == "fps.sandbox.amazonaws.com":
        return "Sandbox"
    if host and is_loopback_host(host):
        return "Local sandbox"
    return "Custom"


LOCAL_SANDBOX_KEY = "local-sandbox"


def environment_key(url: str) -> str:
    """Which FPS a history row belongs to, stable across a local sandbox's changing port.

    A local sandbox listens on whatever port it got (``--port 0``), so every loopback endpoint
    is the one environment ``local-sandbox``; any other endpoint is its scheme, host and port.
    Rows are settled against the connection with the same key, never against another FPS.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    if host and is_loopback_host(host):
        return LOCAL_SANDBOX_KEY
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"
