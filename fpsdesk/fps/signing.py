"""AWS Signature Version 2 as FPS uses it (spec §2), and the string to sign of IPNs (spec §6).

Everything here is pure: no clock, no network. The client and the sandbox both build on it, so a
change here changes what goes on the wire and what the sandbox accepts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

SignatureMethod = Literal["HmacSHA256", "HmacSHA1"]
SIGNATURE_METHODS: tuple[SignatureMethod, ...] = ("HmacSHA256", "HmacSHA1")
_DIGESTS = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}
_DEFAULT_PORTS = {"http": 80, "https": 443}

Params = Mapping[str, str] | Iterable[tuple[str, str]]


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
# Every other ASCII character as its %XX escape, for str.translate.
_ASCII_ESCAPES = {
    code: f"%{code:02X}" for code in range(128) if not _UNRESERVED.fullmatch(chr(code))
}


def percent_encode(value: str) -> str:
    """RFC 3986 encoding of the UTF-8 bytes: only ``A-Z a-z 0-9 - _ . ~`` stay literal."""
    if _UNRESERVED.fullmatch(value):  # most names and values: nothing to encode
        return value
    if value.isascii():  # a Timestamp, a Signature: one C-level pass instead of a byte loop
        return value.translate(_ASCII_ESCAPES)
    return quote(value.encode("utf-8"), safe="-_.~")


def _pairs(params: Params) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        return [(str(k), str(v)) for k, v in params.items()]
    return [(str(k), str(v)) for k, v in params]


def canonical_query(params: Params, *, exclude: str = "Signature") -> str:
    """Sorted ``name=value`` pairs joined by ``&``; the pair named ``exclude`` is left out.

    Names sort in byte order of their UTF-8 encoding (case-sensitive), and ``=`` stays even when
    the value is empty.
    """
    pairs = [(k, v) for k, v in _pairs(params) if k != exclude]
    pairs.sort(key=lambda kv: (kv[0].encode("utf-8"), kv[1].encode("utf-8")))
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)


def canonical_path(path: str) -> str:
    """The URL-encoded absolute path; ``/`` when empty, and ``/`` itself never encoded."""
    if not path:
        return "/"
    return quote(unquote(path).encode("utf-8"), safe="/-_.~")


def host_for_signing(url: str) -> str:
    """Lower-cased host of ``url``, with ``:port`` only when the port is not the scheme default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def string_to_sign(method: str, host: str, path: str, params: Params) -> str:
    """The four LF-joined parts of spec §2, with no trailing newline."""
    return "\n".join([method.upper(), host.lower(), canonical_path(path), canonical_query(params)])


def hmac_signature(secret_key: str, text: str, signature_method: SignatureMethod) -> str:
    """Base64 HMAC of ``text`` keyed with the UTF-8 bytes of ``secret_key``."""
    try:
        digest = _DIGESTS[signature_method]
    except KeyError:
        raise ValueError(f"unsupported SignatureMethod {signature_method!r}") from None
    mac = hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"), digest).digest()
    return base64.b64encode(mac).decode("ascii")


def _with_common_parameters(
    params: Mapping[str, str], access_key_id: str, timestamp: str, signature_method: str
) -> dict[str, str]:
    signed = dict(params)
    signed.pop("Signature", None)
    signed.update(
        {
            "AWSAccessKeyId": access_key_id,
            "SignatureVersion": "2",
            "SignatureMethod": signature_method,
            "Timestamp": timestamp,
        }
    )
    return signed


def sign_request(
    params: Mapping[str, str],
    *,
    method: str,
    url: str,
    access_key_id: str,
    secret_key: str,
    timestamp: str,
    signature_method: SignatureMethod = "HmacSHA256",
) -> dict[str, str]:
    """Return ``params`` plus the SigV2 common parameters and ``Signature``.

    ``timestamp`` is passed in (not read from a clock) so signing stays deterministic and
    testable; the client formats it as UTC with milliseconds.
    """
    signed = _with_common_parameters(params, access_key_id, timestamp, signature_method)
    path = urlsplit(url).path
    text = string_to_sign(method, host_for_signing(url), path, signed)
    signed["Signature"] = hmac_signature(secret_key, text, signature_method)
    return signed


class QuerySigner:
    """Signs requests for one endpoint, key and method into their wire form.

    What :func:`sign_request` does, as the encoded ``name=value&…`` string that goes on the wire
    (a POST body or a GET query), with what never changes between requests (the host and path,
    the common parameters, the HMAC key) prepared once: a client signs every request it sends.
    """

    def __init__(
        self,
        *,
        method: str,
        url: str,
        access_key_id: str,
        secret_key: str,
        signature_method: SignatureMethod = "HmacSHA256",
    ) -> None:
        try:
            digest = _DIGESTS[signature_method]
        except KeyError:
            raise ValueError(f"unsupported SignatureMethod {signature_method!r}") from None
        self._prefix = "\n".join(
            [method.upper(), host_for_signing(url), canonical_path(urlsplit(url).path), ""]
        )
        self._common = [
            _sortable(name, value)
            for name, value in (
                ("AWSAccessKeyId", access_key_id),
                ("SignatureVersion", "2"),
                ("SignatureMethod", signature_method),
            )
        ]
        self._mac = hmac.new(secret_key.encode("utf-8"), digestmod=digest)

    def sign(self, params: Mapping[str, str], timestamp: str) -> str:
        """``params`` plus the common parameters, ``Timestamp`` and ``Signature``, encoded."""
        pairs = [_sortable(k, v) for k, v in params.items() if k not in _SIGNER_SETS]
        pairs += self._common
        pairs.append(_sortable("Timestamp", timestamp))
        pairs.sort()
        query = "&".join(pair[2] for pair in pairs)
        mac = self._mac.copy()
        mac.update((self._prefix + query).encode("utf-8"))
        signature = base64.b64encode(mac.digest()).decode("ascii")
        return f"{query}&Signature={percent_encode(signature)}"


# Parameters the signer sets itself (a caller's own value is replaced, as in sign_request).
_SIGNER_SETS = frozenset(
    {"AWSAccessKeyId", "SignatureVersion", "SignatureMethod", "Timestamp", "Signature"}
)


def _sortable(name: str, value: str) -> tuple[bytes, bytes, str]:
    """(name bytes, value bytes, ``name=value`` encoded): sorts as the canonical query does."""
    return (
        name.encode("utf-8"),
        value.encode("utf-8"),
        f"{percent_encode(name)}={percent_encode(value)}",
    )


def ipn_string_to_sign(http_method: str, endpoint_url: str, params: Params) -> str:
    """The string an IPN or return-URL signature covers (spec §6, step 2).

    Every received parameter except ``signature`` (compared case-insensitively) is included,
    ``certificateUrl``, ``signatureMethod`` and ``signatureVersion`` among them.
    """
    parts = urlsplit(endpoint_url)
    pairs = [(k, v) for k, v in _pairs(params) if k.lower() != "signature"]
    pairs.sort(key=lambda kv: (kv[0].encode("utf-8"), kv[1].encode("utf-8")))
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)
    return "\n".join(
        [http_method.upper(), host_for_signing(endpoint_url), canonical_path(parts.path), query]
    )
