"""What the app opens for a profile: which history, and the connection with its keychain secret.

No Qt here, and nothing imported until asked: the settings, the keychain and the store load
just after the window's first paint (AppController.start).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fpsdesk.desk.replies import ConnectionConfig
    from fpsdesk.settings import Profile
    from fpsdesk.store.history_location import HistoryLocation

log = logging.getLogger(__name__)


def history_profile(name: str | None) -> Profile | None:
    """The profile whose history the app opens: ``name``'s, else the current one (None: none
    saved, or unreadable)."""
    from fpsdesk.settings import SettingsError
    from fpsdesk.settings_store import SettingsStore

    try:
        store = SettingsStore()
        return store.load().find(name) if name else store.current()
    except (SettingsError, OSError) as exc:
        log.warning("settings unreadable, using the local history: %s", exc)
        return None


def history_location(profile: Profile | None) -> HistoryLocation:
    """Where ``profile`` keeps its history; a shared one with its reachability watched."""
    from fpsdesk.store.history_location import profile_history

    location = profile_history(profile)
    if not location.shared:
        return location
    from dataclasses import replace

    from fpsdesk.store.postgres import Reachability

    return replace(location, reach=Reachability())


def profile_config(name: str | None) -> tuple[ConnectionConfig | None, str, bool]:
    """(config, problem, any profiles saved): the secret is read here, on the GUI thread."""
    from fpsdesk.credentials import CredentialError, resolve_profile
    from fpsdesk.settings import SettingsError
    from fpsdesk.settings_store import SettingsStore

    try:
        have = bool(SettingsStore().profiles())
    except SettingsError as exc:
        return None, str(exc), True
    if not have and name is None:
        return None, "", False
    try:
        profile, secret = resolve_profile(name)
    except CredentialError as exc:
        return None, str(exc), True
    return (
        connection_config(
            profile.endpoint,
            profile.access_key_id,
            secret,
            profile.name,
            profile.ca_bundle,
            profile.reason_codes,
        ),
        "",
        True,
    )


def connection_config(
    endpoint: str,
    key: str,
    secret: str,
    name: str,
    ca_bundle: str | None = None,
    reason_codes: Any = None,
) -> ConnectionConfig:
    from fpsdesk.desk.replies import ConnectionConfig
    from fpsdesk.fps.endpoints import environment_of

    return ConnectionConfig(
        endpoint=endpoint,
        access_key_id=key,
        secret_key=secret,
        environment=environment_of(endpoint),
        profile_name=name,
        ca_bundle=ca_bundle,
        **({"reason_codes": reason_codes} if reason_codes else {}),
    )


def keychain_backend_name() -> str:
    from fpsdesk import credentials  # keyring is imported when About asks, not at start-up

    return credentials.backend_name()
