"""Which verifier a profile gets: its trusted certificate host and its verification mode.

A profile names one FPS (production, the FPS sandbox, a local sandbox or a custom endpoint), so
it trusts certificates from that FPS's host only. Without a profile (a receiver serving any
merchant account), both Amazon hosts are trusted. ``ipn_verification`` of the profile picks local
certificate checks or the VerifySignature action; a caller may override it per call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from fpsdesk.ipn.verify import CertificateCache, IpnVerifier, RemoteVerifier, TrustPolicy
from fpsdesk.records.ipn import VerifyMode

if TYPE_CHECKING:
    from fpsdesk.settings import Profile


class PolicyError(ValueError):
    """The requested verification cannot be set up (a plain sentence for the user)."""


def verifier_for(
    profile: Profile | None = None,
    *,
    remote: Callable[[], RemoteVerifier] | None = None,
    mode: VerifyMode | None = None,
    extra_hosts: Iterable[str] = (),
    certificates: CertificateCache | None = None,
) -> IpnVerifier:
    """An IpnVerifier for ``profile`` (or for both Amazon hosts when there is none).

    ``remote`` makes the client for FPS's VerifySignature action, called only when remote
    verification is chosen (fpsdesk.desk.connection builds it; the IPN package builds none).
    """
    trust = TrustPolicy.for_endpoint(profile.endpoint) if profile else TrustPolicy.amazon()
    trust = trust.with_hosts(extra_hosts)
    chosen: VerifyMode = mode or (profile.ipn_verification if profile else "local")
    if chosen != "remote":
        return IpnVerifier(trust, mode=chosen, certificates=certificates)
    if profile is None or remote is None:
        raise PolicyError(
            "Remote verification asks FPS's VerifySignature action, so it needs a profile "
            "(--profile NAME) with its secret key in the keychain."
        )
    return IpnVerifier(trust, mode="remote", certificates=certificates, remote=remote())
