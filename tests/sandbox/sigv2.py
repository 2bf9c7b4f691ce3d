"""An independent AWS SigV2 signer for the tests: written from spec §2, sharing no code with
``fpsdesk.fps.signing``, so a bug common to fpsdesk's signer and the sandbox's check cannot hide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def rfc3986(text: str) -> str:
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def canonical(params: Mapping[str, str]) -> str:
    names = sorted((n for n in params if n != "Signature"), key=lambda n: n.encode("utf-8"))
    return "&".join(rfc3986(n) + "=" + rfc3986(params[n]) for n in names)


def signature(
    secret: str,
    method: str,
    host: str,
    path: str,
    params: Mapping[str, str],
    algorithm: str = "HmacSHA256",
) -> str:
    text = f"{method}\n{host.lower()}\n{path or '/'}\n{canonical(params)}"
    digest = hashlib.sha256 if algorithm == "HmacSHA256" else hashlib.sha1
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), digest).digest()).decode()


def now_stamp(offset_seconds: float = 0) -> str:
    moment = datetime.fromtimestamp(datetime.now(UTC).timestamp() + offset_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def signed_params(
    action: str,
    extra: Mapping[str, str],
    *,
    access_key: str,
    secret: str,
    method: str,
    host: str,
    algorithm: str = "HmacSHA256",
    timestamp: str | None = None,
    version: str = "2008-09-17",
) -> dict[str, str]:
    params = {
        "Action": action,
        "AWSAccessKeyId": access_key,
        "SignatureMethod": algorithm,
        "SignatureVersion": "2",
        "Timestamp": timestamp or now_stamp(),
        "Version": version,
        **extra,
    }
    params["Signature"] = signature(secret, method, host, "/", params, algorithm)
    return params


def encode(params: Mapping[str, str]) -> str:
    return "&".join(rfc3986(k) + "=" + rfc3986(v) for k, v in params.items())


def send_raw(
    url: str, method: str, query_or_body: str, host_header: str | None = None
) -> tuple[int, str, str]:
    """Send one request with exactly this query (GET) or form body (POST) and Host header."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        headers = {"Host": host_header or parts.netloc}
        if method == "GET":
            conn.request("GET", "/?" + query_or_body, headers=headers)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
            conn.request("POST", "/", body=query_or_body.encode("utf-8"), headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read().decode()
    finally:
        conn.close()
