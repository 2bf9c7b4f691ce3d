"""VerifySignature (spec §3.8): is this IPN or return-URL signature one of ours?

The string to sign is rebuilt from ``UrlEndPoint`` and the decoded ``HttpParameters``; since the
HTTP method is not a parameter, a signature valid for either POST or GET is accepted. ``+`` in
HttpParameters is read as a space (some SDK samples encode spaces that way).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus, urlsplit

from fpsdesk.fps.signing import ipn_string_to_sign
from fpsdesk.sandbox.errors import SandboxError
from fpsdesk.sandbox.xmlwriter import Node

if TYPE_CHECKING:
    from fpsdesk.sandbox.engine import Engine

PARAMS = frozenset({"UrlEndPoint", "HttpParameters"})


def parse_http_parameters(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def verify_signature(engine: Engine, params: Mapping[str, str]) -> list[Node]:
    endpoint = params.get("UrlEndPoint")
    if not endpoint:
        raise SandboxError("InvalidParams", "Missing required parameter: UrlEndPoint.")
    try:
        parts = urlsplit(endpoint)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        usable = False
    if not usable:
        shown = endpoint if len(endpoint) <= 200 else endpoint[:199] + "…"
        raise SandboxError(
            "InvalidParams", f"UrlEndPoint has to be an absolute URL. Specified value: {shown}"
        )
    raw = params.get("HttpParameters")
    if raw is None:
        raise SandboxError("InvalidParams", "Missing required parameter: HttpParameters.")
    pairs = parse_http_parameters(raw)
    received = dict(pairs)
    if "certificateUrl" not in received:
        raise SandboxError("InvalidParams", "certificateUrl is missing in 'HttpParameters'.")
    signature = next((v for k, v in pairs if k.lower() == "signature"), None)
    ok = (
        signature is not None
        and received.get("signatureVersion") == "2"
        and received.get("signatureMethod") == "RSA-SHA1"
        and any(
            engine.identity.verify(ipn_string_to_sign(method, endpoint, pairs), signature)
            for method in ("POST", "GET")
        )
    )
    return [("VerificationStatus", "Success" if ok else "Failure")]
