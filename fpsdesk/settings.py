"""Saved profiles: name, endpoint and access key ID, in a JSON file in the platform config dir.

The secret key is never here: it lives in the system keychain (``fpsdesk.credentials``). The
file is written atomically (a temporary file in the same directory, fsync, ``os.replace``) with
owner-only permissions, so a crash or a full disk never leaves half a file, and another user on
the machine cannot read which endpoints and key IDs we use.

A file we cannot read (broken JSON, a foreign shape, a hand edit gone wrong) is never silently
overwritten: it is moved aside to ``settings.json.broken-<timestamp>`` and the caller gets a
``SettingsFileBroken`` error that says where it went. A file from a newer fpsdesk is left
alone entirely and not written to. The file handling itself is fpsdesk/settings_store.py;
this module is what the file holds and how it is validated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fpsdesk.fps.endpoints import validate_endpoint
from fpsdesk.fps.exceptions import FpsClientError
from fpsdesk.records.reasons import DEFAULT_REASON_CODES, InvalidReasonCode, ReasonCode

SETTINGS_FILE_NAME = "settings.json"
FORMAT_VERSION = 1
MAX_NAME_LENGTH = 64
MAX_ACCESS_KEY_ID_LENGTH = 128
# A settings file is a few kB; anything much bigger is not ours and is not read into memory.
MAX_SETTINGS_BYTES = 1_000_000

IpnVerification = Literal["local", "remote"]
IPN_VERIFICATION_MODES: tuple[str, ...] = ("local", "remote")


class SettingsError(Exception):
    """Base of the settings errors; ``str(error)`` is a message fit for a user."""


class InvalidProfile(SettingsError, ValueError):
    """A profile field was refused (name, endpoint, access key ID, mode, CA bundle)."""


class ProfileNotFound(SettingsError, LookupError):
    """No saved profile has that name."""

    def __init__(self, name: str, known: list[str]) -> None:
        hint = f" Saved profiles: {', '.join(known)}." if known else " No profiles are saved yet."
        super().__init__(f"There is no profile named {name!r}.{hint}")
        self.name = name


class ProfileExists(SettingsError):
    """``add`` of a name that is already saved (replacing must be explicit)."""


class SettingsFileBroken(SettingsError):
    """The settings file could not be read; it was moved aside (``moved_to``) or left alone."""

    def __init__(self, message: str, moved_to: Path | None) -> None:
        super().__init__(message)
        self.moved_to = moved_to


def validate_name(name: str) -> str:
    """Return the trimmed profile name or raise InvalidProfile with a plain reason.

    Names are shown in menus and used as the keychain account, so they must be short and
    printable: no control characters, no bidirectional overrides, no line breaks.
    """
    if not isinstance(name, str):
        raise InvalidProfile("A profile name must be text.")
    candidate = name.strip()
    if not candidate:
        raise InvalidProfile("Enter a profile name.")
    if len(candidate) > MAX_NAME_LENGTH:
        raise InvalidProfile(
            f"A profile name has at most {MAX_NAME_LENGTH} characters; this one has "
            f"{len(candidate)}."
        )
    bad = next((ch for ch in candidate if not ch.isprintable()), None)
    if bad is not None:
        raise InvalidProfile(
            f"A profile name cannot contain control or formatting characters "
            f"(found U+{ord(bad):04X})."
        )
    return candidate


def validate_access_key_id(value: str) -> str:
    """Return the trimmed access key ID: printable ASCII without spaces, 1–128 characters."""
    if not isinstance(value, str):
        raise InvalidProfile("An access key ID must be text.")
    candidate = value.strip()
    if not candidate:
        raise InvalidProfile("Enter the access key ID.")
    if len(candidate) > MAX_ACCESS_KEY_ID_LENGTH:
        raise InvalidProfile(
            f"An access key ID has at most {MAX_ACCESS_KEY_ID_LENGTH} characters; this one has "
            f"{len(candidate)}."
        )
    if not all("!" <= ch <= "~" for ch in candidate):
        raise InvalidProfile(
            "An access key ID uses only letters, digits and punctuation, without spaces."
        )
    return candidate


def _validate_endpoint(url: str) -> str:
    if not isinstance(url, str):
        raise InvalidProfile("An endpoint must be a URL.")
    try:
        return validate_endpoint(url)
    except (FpsClientError, ValueError) as exc:
        raise InvalidProfile(str(exc) or "That endpoint URL is not allowed.") from exc


def _validate_ca_bundle(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidProfile("A CA bundle must be the path of a PEM file.")
    if any(not ch.isprintable() for ch in value):
        raise InvalidProfile("A CA bundle path cannot contain control characters.")
    return value.strip()


LOCAL_HISTORY = "local"


def validate_history(value: str | None) -> str:
    """``local`` (the file on this machine) or ``postgresql://user@host[:port]/db`` (a team's
    shared history). The URL never holds the password: that lives in the keychain."""
    from urllib.parse import urlsplit

    if value is None or not str(value).strip() or str(value).strip() == LOCAL_HISTORY:
        return LOCAL_HISTORY
    text = str(value).strip()
    if any(not ch.isprintable() or ch.isspace() for ch in text):
        raise InvalidProfile("A history location cannot contain spaces or control characters.")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise InvalidProfile(f"The history location is not a valid URL ({exc}).") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise InvalidProfile(
            "A history location is 'local' or postgresql://user@host:port/database."
        )
    if parts.password is not None:
        raise InvalidProfile(
            "Leave the password out of the history URL: fpsdesk keeps it in the system "
            "keychain (it asks for it), never in a file."
        )
    if not parts.username or not parts.hostname or parts.path.strip("/") == "":
        raise InvalidProfile(
            "A shared history URL names the user, the host and the database: "
            "postgresql://user@host:5432/fpsdesk."
        )
    return text


MAX_REASON_CODES = 30


def validate_reason_codes(codes: tuple[ReasonCode, ...]) -> tuple[ReasonCode, ...]:
    """A profile's list: 1 to MAX_REASON_CODES entries, each code once."""
    codes = tuple(codes)
    if not 1 <= len(codes) <= MAX_REASON_CODES:
        raise InvalidProfile(f"A profile has 1 to {MAX_REASON_CODES} reason codes.")
    seen: set[str] = set()
    for entry in codes:
        if entry.code in seen:
            raise InvalidProfile(f"The reason code {entry.code!r} is listed twice.")
        seen.add(entry.code)
    return codes


def parse_reason_codes(text: str) -> tuple[ReasonCode, ...]:
    """One ``code: Label`` a line (the Settings dialog's and the command line's form)."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, sep, label = line.partition(":")
        try:
            entries.append(ReasonCode(code, label if sep else code.replace("-", " ").capitalize()))
        except InvalidReasonCode as exc:
            raise InvalidProfile(f"Reason codes, line {number}: {exc}") from None
    return validate_reason_codes(tuple(entries))


def format_reason_codes(codes: tuple[ReasonCode, ...]) -> str:
    return "\n".join(f"{c.code}: {c.label}" for c in codes)


def _reason_codes_from_json(data: object) -> tuple[ReasonCode, ...]:
    if data is None:
        return DEFAULT_REASON_CODES
    if not isinstance(data, list) or not all(
        isinstance(e, dict) and isinstance(e.get("code"), str) and isinstance(e.get("label"), str)
        for e in data
    ):
        raise InvalidProfile("A profile's reason codes are not a list of codes and labels.")
    try:
        return tuple(ReasonCode(e["code"], e["label"]) for e in data)
    except InvalidReasonCode as exc:
        raise InvalidProfile(str(exc)) from None


DISPLAY_NAME_MAX = 64


def validate_display_name(value: str | None) -> str | None:
    """An agent's display name: printable, at most DISPLAY_NAME_MAX characters; blank: None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > DISPLAY_NAME_MAX:
        raise InvalidProfile(
            f"A display name is at most {DISPLAY_NAME_MAX} characters ({len(text)} given)."
        )
    if any(not ch.isprintable() for ch in text):
        raise InvalidProfile("A display name cannot contain control characters.")
    return text


def _display_name_from_json(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidProfile("A profile's display name is not text.")
    return value


@dataclass(frozen=True)
class Profile:
    """One FPS account a support agent works with. Construction validates every field.

    ``ipn_verification``: "local" checks IPN signatures with the pinned certificate,
    "remote" asks the endpoint's VerifySignature action (spec §6).
    ``ca_bundle``: a PEM file of extra trusted CAs for a private endpoint; None = system CAs.
    ``history``: where the history is: ``local`` (this machine's file) or a team's shared
    ``postgresql://user@host:port/db`` (fpsdesk/store/location.py).
    ``reason_codes``: what a Cancel's confirmation offers (fpsdesk/records/reasons.py).
    ``display_name``: the agent's name recorded on every action done with this profile (and
    shown to the team); None: the OS user name.
    """

    name: str
    endpoint: str
    access_key_id: str
    ipn_verification: IpnVerification = "local"
    ca_bundle: str | None = None
    history: str = LOCAL_HISTORY
    reason_codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES
    display_name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", validate_name(self.name))
        object.__setattr__(self, "endpoint", _validate_endpoint(self.endpoint))
        object.__setattr__(self, "access_key_id", validate_access_key_id(self.access_key_id))
        if self.ipn_verification not in IPN_VERIFICATION_MODES:
            raise InvalidProfile(
                f"IPN verification is 'local' or 'remote', not {self.ipn_verification!r}."
            )
        object.__setattr__(self, "ca_bundle", _validate_ca_bundle(self.ca_bundle))
        object.__setattr__(self, "history", validate_history(self.history))
        object.__setattr__(self, "reason_codes", validate_reason_codes(self.reason_codes))
        object.__setattr__(self, "display_name", validate_display_name(self.display_name))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "endpoint": self.endpoint,
            "access_key_id": self.access_key_id,
            "ipn_verification": self.ipn_verification,
            "ca_bundle": self.ca_bundle,
        }
        if self.history != LOCAL_HISTORY:  # a local profile's entry stays as it always was
            data["history"] = self.history
        if self.display_name is not None:
            data["display_name"] = self.display_name
        if self.reason_codes != DEFAULT_REASON_CODES:  # the defaults follow new releases
            data["reason_codes"] = [{"code": c.code, "label": c.label} for c in self.reason_codes]
        return data

    @classmethod
    def from_json(cls, data: object) -> Profile:
        """Build from a decoded JSON object; InvalidProfile for any wrong shape or value."""
        if not isinstance(data, dict):
            raise InvalidProfile("A profile entry is not an object.")
        known = {"name", "endpoint", "access_key_id", "ipn_verification", "ca_bundle", "history"}
        known.update(("reason_codes", "display_name"))
        missing = {"name", "endpoint", "access_key_id"} - data.keys()
        if missing:
            raise InvalidProfile(f"A profile entry lacks {', '.join(sorted(missing))}.")
        unknown = set(data) - known
        if unknown:
            # A field we do not know would be dropped on the next write: refuse instead.
            raise InvalidProfile(
                f"A profile entry has unknown fields: {', '.join(sorted(unknown))}."
            )
        mode = data.get("ipn_verification", "local")
        ca_bundle = data.get("ca_bundle")
        if ca_bundle is not None and not isinstance(ca_bundle, str):
            raise InvalidProfile("A profile's CA bundle is not a path.")
        if mode not in IPN_VERIFICATION_MODES:
            raise InvalidProfile(f"IPN verification is 'local' or 'remote', not {mode!r}.")
        history = data.get("history", LOCAL_HISTORY)
        if not isinstance(history, str):
            raise InvalidProfile("A profile's history location is not text.")
        return cls(
            name=data["name"],
            endpoint=data["endpoint"],
            access_key_id=data["access_key_id"],
            ipn_verification=mode,
            ca_bundle=ca_bundle,
            history=history,
            reason_codes=_reason_codes_from_json(data.get("reason_codes")),
            display_name=_display_name_from_json(data.get("display_name")),
        )


@dataclass(frozen=True)
class Settings:
    """Everything in the settings file: the profiles in saved order and the current one."""

    profiles: tuple[Profile, ...] = ()
    current: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def names(self) -> list[str]:
        return [p.name for p in self.profiles]

    def find(self, name: str) -> Profile | None:
        wanted = name.strip()
        return next((p for p in self.profiles if p.name == wanted), None)

    def current_profile(self) -> Profile | None:
        """The current profile, else the first saved one, else None."""
        if self.current is not None:
            found = self.find(self.current)
            if found is not None:
                return found
        return self.profiles[0] if self.profiles else None


def parse_settings(raw: bytes) -> Settings:
    """Decode the settings file; raise SettingsError (never anything else) on a bad file."""
    if len(raw) > MAX_SETTINGS_BYTES:
        raise SettingsError(f"the file is larger than {MAX_SETTINGS_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SettingsError(f"it is not valid JSON ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise SettingsError("it is not a JSON object")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SettingsError("it has no format version")
    if version > FORMAT_VERSION:
        raise NewerFormat(version)
    if version < 1:
        raise SettingsError(f"format version {version} is unknown")
    entries = data.get("profiles", [])
    if not isinstance(entries, list):
        raise SettingsError("'profiles' is not a list")
    profiles: list[Profile] = []
    for index, entry in enumerate(entries, start=1):
        try:
            profile = Profile.from_json(entry)
        except InvalidProfile as exc:
            raise SettingsError(f"profile #{index}: {exc}") from exc
        if any(p.name == profile.name for p in profiles):
            raise SettingsError(f"profile name {profile.name!r} appears twice")
        profiles.append(profile)
    current = data.get("current")
    if current is not None and not isinstance(current, str):
        raise SettingsError("'current' is not a profile name")
    extra = {k: v for k, v in data.items() if k not in {"version", "profiles", "current"}}
    return Settings(tuple(profiles), current, extra)


class NewerFormat(SettingsError):
    def __init__(self, version: int) -> None:
        super().__init__(f"it was written by a newer fpsdesk (format {version})")
        self.version = version


def serialize_settings(settings: Settings) -> bytes:
    data: dict[str, Any] = dict(settings.extra)
    data.update(
        {
            "version": FORMAT_VERSION,
            "current": settings.current,
            "profiles": [p.to_json() for p in settings.profiles],
        }
    )
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
