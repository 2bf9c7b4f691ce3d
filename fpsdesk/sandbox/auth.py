"""Checks a request's AWS Signature Version 2 the way FPS did (spec §2).

Choices where the spec says [GUESS]:
- The signature is recomputed with the Host header as received (lower-cased) and, if that does
  not match, with the port removed, so SDK-style clients that sign without the port work.
- ``Timestamp`` must be within 15 minutes of the server clock; ``Expires`` (accepted instead of
  ``Timestamp``, never together) must lie in the future.
- Only SignatureVersion 2 is accepted, with HmacSHA256 or HmacSHA1.
- VerifySignature may come unsigned (no AWSAccessKeyId and no Signature); if either is present
  the request must be fully signed.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fpsdesk.fps.signing import SIGNATURE_METHODS, hmac_signature, string_to_sign
from fpsdesk.sandbox.errors import SandboxError
from fpsdesk.sandbox.timefmt import parse_iso

COMMON_PARAMS = frozenset(
    {
        "Action",
        "AWSAccessKeyId",
        "Signature",
        "SignatureVersion",
        "SignatureMethod",
        "Timestamp",
        "Expires",
        "Version",
    }
)
VERSION_2008 = "2008-09-17"
VERSION_2010 = "2010-08-28"
SUPPORTED_VERSIONS = (VERSION_2008, VERSION_2010)
EXPIRY_WINDOW_MS = 15 * 60 * 1000
UNSIGNED_ACTIONS = frozenset({"VerifySignature"})


def _missing(name: str) -> SandboxError:
    return SandboxError("InvalidParams", f"Missing required parameter: {name}.")


def host_candidates(host_header: str) -> list[str]:
    """The Host as received, then without its port (spec §2 [GUESS])."""
    host = host_header.strip().lower()
    candidates = [host]
    if host.startswith("["):
        end = host.find("]")
        if end != -1 and host[end + 1 :].startswith(":"):
            candidates.append(host[: end + 1])
    elif host.count(":") == 1:
        candidates.append(host.split(":", 1)[0])
    return candidates


def check_version(params: Mapping[str, str]) -> str:
    version = params.get("Version")
    if version is None:
        raise _missing("Version")
    if version not in SUPPORTED_VERSIONS:
        raise SandboxError(
            "InvalidRequest",
            f"Version {version} is not supported by this service; use {VERSION_2008}.",
        )
    return version


def authenticate(
    params: Mapping[str, str],
    *,
    method: str,
    host_header: str,
    path: str,
    credentials: Mapping[str, str],
    now_ms: int,
) -> str | None:
    """Return the caller's access key (None for an unsigned VerifySignature), or raise."""
    action = params.get("Action")
    if (
        action in UNSIGNED_ACTIONS
        and "Signature" not in params
        and ("AWSAccessKeyId" not in params)
    ):
        return None
    for name in ("AWSAccessKeyId", "Signature", "SignatureVersion", "SignatureMethod"):
        if name not in params:
            raise _missing(name)
    if params["SignatureVersion"] != "2":
        raise SandboxError(
            "InvalidParams",
            f"SignatureVersion {params['SignatureVersion']} is not supported; use 2.",
        )
    signature_method = params["SignatureMethod"]
    if signature_method not in SIGNATURE_METHODS:
        raise SandboxError(
            "InvalidParams",
            f"SignatureMethod {signature_method} is not supported; use HmacSHA256 or HmacSHA1.",
        )
    has_timestamp, has_expires = "Timestamp" in params, "Expires" in params
    if has_timestamp and has_expires:
        raise SandboxError(
            "InvalidRequest", "Specify either Timestamp or Expires in the request, not both."
        )
    if not has_timestamp and not has_expires:
        raise _missing("Timestamp")
    time_param = "Timestamp" if has_timestamp else "Expires"
    try:
        stamp = parse_iso(params[time_param])
    except ValueError:
        raise SandboxError(
            "InvalidParameterValue",
            f"Value ({params[time_param]}) for parameter {time_param} is invalid. "
            "Must be in ISO8601 format.",
        ) from None
    access_key = params["AWSAccessKeyId"]
    secret = credentials.get(access_key)
    if secret is None:
        raise SandboxError(
            "InvalidClientTokenId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    provided = params["Signature"].encode("utf-8")
    for host in host_candidates(host_header):
        text = string_to_sign(method, host, path, params)
        expected = hmac_signature(secret, text, signature_method).encode("ascii")
        if hmac.compare_digest(expected, provided):
            break
    else:
        raise SandboxError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details.",
        )
    if has_timestamp and abs(now_ms - stamp) > EXPIRY_WINDOW_MS:
        raise SandboxError(
            "RequestExpired", f"Request has expired. Timestamp date is {params['Timestamp']}"
        )
    if has_expires and stamp < now_ms:
        raise SandboxError(
            "RequestExpired", f"Request has expired. Expires date is {params['Expires']}"
        )
    return access_key
