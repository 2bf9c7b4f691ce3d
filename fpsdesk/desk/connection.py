"""The one place an FpsClient is built, from a profile or from an endpoint and keys.

The app's worker, the command line and remote IPN verification all go through
``build_client``, so timeouts, retries and the CA bundle follow one rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from fpsdesk.fps.client import MAX_RETRIES, FpsClient
from fpsdesk.fps.endpoints import environment_key, environment_of, validate_endpoint
from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.records.reasons import DEFAULT_REASON_CODES, ReasonCode

if TYPE_CHECKING:
    from fpsdesk.settings import Profile

ENV_ACCESS_KEY = "AWS_ACCESS_KEY_ID"
ENV_SECRET_KEY = "AWS_SECRET_ACCESS_KEY"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0


class ConnectionProblem(ValueError):
    """The connection cannot be set up (a plain sentence for the user; nothing was sent)."""


@dataclass(frozen=True)
class Connection:
    """Where and as whom to talk to FPS. The secret never appears in a repr."""

    endpoint: str
    access_key_id: str
    secret_key: str = field(repr=False)
    ca_bundle: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    profile_name: str = ""
    source: str = ""  # "profile NAME" or "--endpoint", for messages
    reason_codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES  # the profile's, else defaults
    agent_name: str | None = None  # the profile's display name: recorded as who acted

    @property
    def environment(self) -> str:
        return environment_of(self.endpoint)

    @property
    def environment_key(self) -> str:
        return environment_key(self.endpoint)


def build_client(connection: Connection, *, max_retries: int | None = None) -> FpsClient:
    """An FpsClient for ``connection`` (reads retried ``max_retries`` times, default FPS's)."""
    return FpsClient(
        connection.endpoint,
        connection.access_key_id,
        connection.secret_key,
        timeout=(connection.connect_timeout, connection.read_timeout),
        ca_bundle=connection.ca_bundle,
        max_retries=MAX_RETRIES if max_retries is None else max_retries,
    )


def from_endpoint(
    endpoint: str,
    *,
    ca_bundle: str | None = None,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> Connection:
    """An endpoint with the keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."""
    try:
        url = validate_endpoint(endpoint)
    except InvalidInput as exc:
        raise ConnectionProblem(str(exc)) from None
    access_key = os.environ.get(ENV_ACCESS_KEY, "").strip()
    secret = os.environ.get(ENV_SECRET_KEY, "").strip()
    missing = [
        name
        for name, value in ((ENV_ACCESS_KEY, access_key), (ENV_SECRET_KEY, secret))
        if not value
    ]
    if missing:
        raise ConnectionProblem(
            f"--endpoint needs the credentials in the environment: set "
            f"{' and '.join(missing)} (or use --profile NAME)."
        )
    return Connection(
        url,
        access_key,
        secret,
        ca_bundle,
        min(DEFAULT_CONNECT_TIMEOUT, read_timeout),
        read_timeout,
        source="--endpoint",
    )


def for_profile(profile: Profile, secret: str) -> Connection:
    """A saved profile whose secret the caller has already read from the keychain."""
    return Connection(
        profile.endpoint,
        profile.access_key_id,
        secret,
        profile.ca_bundle,
        profile_name=profile.name,
        source=f"profile {profile.name}",
        reason_codes=profile.reason_codes,
        agent_name=profile.display_name,
    )


def from_profile(
    name: str | None,
    *,
    ca_bundle: str | None = None,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> Connection:
    """A saved profile (the current one when ``name`` is None), its secret from the keychain."""
    from fpsdesk.credentials import CredentialError, resolve_profile  # lazy: keyring

    try:
        profile, secret = resolve_profile(name)
    except CredentialError as exc:
        message = str(exc).rstrip()
        if not name:
            message = (
                f"{message.rstrip('.')}. Or give --endpoint URL with {ENV_ACCESS_KEY} and "
                f"{ENV_SECRET_KEY} set."
            )
        raise ConnectionProblem(message) from None
    return replace(
        for_profile(profile, secret),
        ca_bundle=ca_bundle or profile.ca_bundle,
        connect_timeout=min(DEFAULT_CONNECT_TIMEOUT, read_timeout),
        read_timeout=read_timeout,
    )
