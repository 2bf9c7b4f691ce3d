"""Secret keys in the operating system's keychain, and nowhere else.

One keychain entry per profile: service ``fpsdesk``, account = the profile name, password = the
secret key. The profile's other fields live in the settings file (``fpsdesk.settings``).

Rules this module keeps:

- Only a keychain that ``keyring`` itself recommends is used (priority ≥ 1: Secret Service,
  macOS Keychain, Windows Credential Locker). A plain-text or "null" backend is treated as no
  keychain at all: we never write a secret to a file, not even as a fallback.
- No keychain → ``KeychainUnavailable``; the user may then keep the secret for this session
  only, in memory (``SessionSecrets``), and must enter it again next time.
- A locked or unresponsive keychain → ``KeychainLocked`` ("Unlock your keychain and retry");
  the next call re-detects the backend, so unlocking (or starting the keychain daemon) and
  pressing Retry works without restarting the app.
- Deleting a profile deletes its secret.

Threading: keychain calls may show an OS prompt and block, so the GUI reads the secret on the
GUI thread, at a clear user moment (opening a profile, pressing Look up the first time, Save in
the settings dialog), and hands the string to the worker that signs requests. Workers never
call the keychain.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from dataclasses import dataclass

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.core
import keyring.errors

from fpsdesk import logsetup
from fpsdesk.settings import Profile, ProfileNotFound, SettingsError
from fpsdesk.settings_store import SettingsStore

# Imported explicitly (and guarded: each only works on its own platform) so that PyInstaller's
# import analysis bundles the backends; keyring itself finds them through entry points, which a
# frozen app does not have.
# Each only on its own platform: elsewhere it is useless, and the macOS one costs ~30 ms of
# start-up on Linux looking for a system library. PyInstaller's analysis still sees all three
# (it does not evaluate the conditions), and the spec names them in hiddenimports too.
if sys.platform == "darwin":
    with contextlib.suppress(ImportError, OSError, AttributeError):
        import keyring.backends.macOS
elif sys.platform == "win32":
    with contextlib.suppress(ImportError, OSError, AttributeError):
        import keyring.backends.Windows
else:
    with contextlib.suppress(ImportError, OSError, AttributeError):
        import keyring.backends.SecretService

try:  # "no Secret Service on this bus" is a missing keychain, not a locked one
    from secretstorage.exceptions import SecretServiceNotAvailableException

    _SECRETSTORAGE_UNAVAILABLE: tuple[type[BaseException], ...] = (
        SecretServiceNotAvailableException,
    )
except ImportError:  # pragma: no cover - not on Linux
    _SECRETSTORAGE_UNAVAILABLE = ()

log = logging.getLogger(__name__)

SERVICE_NAME = "fpsdesk"
MAX_SECRET_LENGTH = 1024

_FRIENDLY_BACKENDS = {
    "keyring.backends.SecretService": "Secret Service (GNOME Keyring, KWallet)",
    "keyring.backends.libsecret": "Secret Service via libsecret",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Locker",
}


class CredentialError(Exception):
    """Base of the credential errors; ``str(error)`` is a message fit for a user."""


class KeychainUnavailable(CredentialError):
    """There is no usable keychain. The secret may be kept for this session only."""

    session_only_possible = True

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "No system keychain is available, so fpsdesk cannot save the secret key. "
            "You can keep it for this session only (it is forgotten when fpsdesk closes), "
            "or install and start a keychain (GNOME Keyring or KWallet on Linux) and retry."
            + (f" ({detail})" if detail else "")
        )
        self.detail = detail


class KeychainLocked(CredentialError):
    """The keychain is locked, refused access, or is not responding."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Your keychain is locked or not responding. Unlock your keychain and retry."
            + (f" ({detail})" if detail else "")
        )
        self.detail = detail


class SecretMissing(CredentialError):
    """The profile exists but the keychain holds no secret key for it."""

    def __init__(self, profile_name: str) -> None:
        super().__init__(
            f"No secret key is stored for profile {profile_name!r}. Enter it again in "
            "Settings, or run: fpsdesk profile add NAME --replace ..."
        )
        self.profile_name = profile_name


class InvalidSecret(CredentialError, ValueError):
    """The secret key text was refused before it went anywhere."""


class ProfileUnavailable(CredentialError):
    """``resolve_profile`` could not find or read the profile (a settings problem)."""


def validate_secret(secret: str) -> str:
    """Trim a trailing line break (stdin, paste) and check the rest; never echo the value."""
    if not isinstance(secret, str):
        raise InvalidSecret("The secret key must be text.")
    candidate = secret.rstrip("\r\n")
    if not candidate.strip():
        raise InvalidSecret("Enter the secret key.")
    if len(candidate) > MAX_SECRET_LENGTH:
        raise InvalidSecret(f"A secret key has at most {MAX_SECRET_LENGTH} characters.")
    if candidate != candidate.strip() or any(
        ch.isspace() or not ch.isprintable() for ch in candidate
    ):
        raise InvalidSecret(
            "The secret key contains spaces, line breaks or control characters; paste just the key."
        )
    return candidate


class SessionSecrets:
    """Secrets kept in memory for this process only, when the user chose that over a keychain.

    Process-wide by default (``SessionSecrets.shared()``) so the settings dialog and the
    lookups see the same choice; nothing here is ever written anywhere.
    """

    _shared: SessionSecrets | None = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> SessionSecrets:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def put(self, profile_name: str, secret: str) -> None:
        with self._lock:
            self._secrets[profile_name] = secret

    def get(self, profile_name: str) -> str | None:
        with self._lock:
            return self._secrets.get(profile_name)

    def discard(self, profile_name: str) -> None:
        with self._lock:
            self._secrets.pop(profile_name, None)

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()

    def __contains__(self, profile_name: object) -> bool:
        with self._lock:
            return profile_name in self._secrets

    def __repr__(self) -> str:  # never the values
        with self._lock:
            return f"SessionSecrets(profiles={sorted(self._secrets)!r})"


def _is_usable(backend: keyring.backend.KeyringBackend | None) -> bool:
    """A real keychain: not fail/null, not a plain-text file backend."""
    if backend is None:
        return False
    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return False
    try:
        priority = float(type(backend).priority)
    except Exception:  # noqa: BLE001 - a backend's viability probe may raise anything
        return True  # viable when chosen; a failing call will say what is wrong
    # keyring "recommends" priority >= 1; keyrings.alt's plain-text and encrypted-file
    # backends sit below that, and are exactly the fallback we refuse.
    return priority >= 1


def _resolve(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend | None:
    """The one backend we talk to. keyring's chainer (chosen when several keychains exist)
    also reads from and falls back to every backend with priority > 0, plain-text files
    included; we use only its first, highest-priority backend, and only if it is usable."""
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        chained = list(backend.backends)
        return _resolve(chained[0]) if chained else None
    return backend


def backend_name() -> str:
    """A human name for the keychain in use, for the About dialog and ``profile list``."""
    try:
        backend = _resolve(keyring.get_keyring())
    except Exception:  # noqa: BLE001 - detection itself failed: report, do not crash About
        return "none (no keychain found)"
    if not _is_usable(backend):
        return "none (no keychain found)"
    module = type(backend).__module__
    for prefix, friendly in _FRIENDLY_BACKENDS.items():
        if module == prefix or module.startswith(prefix + "."):
            return friendly
    name = getattr(backend, "name", None)
    return str(name) if name else type(backend).__name__


class CredentialStore:
    """The keychain entries of fpsdesk profiles, with errors a user can act on.

    Every call goes through ``keyring.get_keyring()``, so the backend set by the platform (or
    by a test with ``keyring.set_keyring``) is the one used. After a locked or unavailable
    keychain the next call runs keyring's backend detection again before trying.
    """

    def __init__(
        self,
        session: SessionSecrets | None = None,
        service: str = SERVICE_NAME,
    ) -> None:
        self.session = session if session is not None else SessionSecrets.shared()
        self.service = service
        self._redetect = False
        self._lock = threading.Lock()

    # -- backend handling -------------------------------------------------------------------

    def redetect(self) -> None:
        """Run keyring's backend detection again (after an unlock, or a keychain started).

        keyring caches the list of viable backends for the life of the process
        (``keyring.backend.get_all_keyring`` is ``@once``), so a keychain daemon started after
        the app would never be found; the cache is cleared first.
        """
        reset = getattr(keyring.backend.get_all_keyring, "reset", None)
        if callable(reset):
            with contextlib.suppress(KeyError, AttributeError):
                reset()
        try:
            keyring.core.init_backend()
        except Exception as exc:
            log.debug("keyring backend detection failed: %s", type(exc).__name__)
            raise KeychainUnavailable(type(exc).__name__) from exc
        self._redetect = False

    def _backend(self) -> keyring.backend.KeyringBackend:
        with self._lock:
            if self._redetect:
                self.redetect()
        try:
            backend = _resolve(keyring.get_keyring())
        except Exception as exc:
            self._redetect = True
            raise KeychainUnavailable(type(exc).__name__) from exc
        if backend is None or not _is_usable(backend):
            self._redetect = True
            raise KeychainUnavailable()
        return backend

    def _translate(self, exc: BaseException) -> CredentialError:
        """Map a keyring/secretstorage/D-Bus error to ours, and re-detect next time."""
        self._redetect = True
        detail = type(exc).__name__
        log.debug("keychain error: %s", detail)
        if isinstance(exc, (keyring.errors.NoKeyringError, *_SECRETSTORAGE_UNAVAILABLE)):
            return KeychainUnavailable(detail)
        # KeyringLocked, InitError, secretstorage's LockedException / PromptDismissed, D-Bus
        # error replies, and anything else a backend raises mid-call: the keychain is there but
        # refused or did not answer. Unlocking (or restarting it) and retrying is the remedy.
        return KeychainLocked(detail)

    # -- secrets ----------------------------------------------------------------------------

    def get_secret(self, profile_name: str) -> str:
        """The profile's secret key: a session-only secret if the user chose one, else the
        keychain's. Raises SecretMissing, KeychainLocked or KeychainUnavailable."""
        in_session = self.session.get(profile_name)
        if in_session is not None:
            return in_session
        backend = self._backend()
        try:
            secret = backend.get_password(self.service, profile_name)
        except Exception as exc:  # noqa: BLE001 - backends raise many types; all are mapped
            raise self._translate(exc) from None
        if secret is None:
            raise SecretMissing(profile_name)
        logsetup.register_secret(secret)
        return str(secret)

    def has_secret(self, profile_name: str) -> bool:
        """True if a secret is stored (or kept for this session); keychain errors propagate."""
        try:
            self.get_secret(profile_name)
        except SecretMissing:
            return False
        return True

    def set_secret(self, profile_name: str, secret: str) -> None:
        """Store the secret key in the keychain (never anywhere else).

        On KeychainUnavailable the caller may offer ``keep_for_session`` instead.
        """
        secret = validate_secret(secret)
        logsetup.register_secret(secret)
        backend = self._backend()
        try:
            backend.set_password(self.service, profile_name, secret)
        except Exception as exc:  # noqa: BLE001 - backends raise many types; all are mapped
            raise self._translate(exc) from None
        # A secret now in the keychain replaces any session-only copy.
        self.session.discard(profile_name)

    def keep_for_session(self, profile_name: str, secret: str) -> None:
        """The user's explicit choice when there is no keychain: memory only, this session."""
        secret = validate_secret(secret)
        logsetup.register_secret(secret)
        self.session.put(profile_name, secret)

    def delete_secret(self, profile_name: str) -> bool:
        """Remove the profile's secret from the keychain and the session; True if one existed.

        A missing entry is not an error (deleting twice is fine); a locked keychain is.
        """
        had_session = profile_name in self.session
        self.session.discard(profile_name)
        backend = self._backend()
        try:
            existing = backend.get_password(self.service, profile_name)
            if existing is None:
                return had_session
            backend.delete_password(self.service, profile_name)
        except keyring.errors.PasswordDeleteError:
            return had_session
        except Exception as exc:  # noqa: BLE001 - backends raise many types; all are mapped
            raise self._translate(exc) from None
        return True

    # -- profiles (settings + secret together) ----------------------------------------------

    def remove_profile(self, settings: SettingsStore, name: str) -> RemovedProfile:
        """Delete a profile and its secret.

        The secret goes first: if the keychain is locked, nothing is removed, so the user can
        unlock and retry without leaving an orphaned secret behind. With no keychain at all
        there is no secret to orphan (``secret_deleted`` is then None).
        """
        profile = settings.get(name)
        deleted: bool | None
        try:
            deleted = self.delete_secret(profile.name)
        except KeychainUnavailable:
            deleted = None
        return RemovedProfile(settings.remove(profile.name), deleted)


@dataclass(frozen=True)
class RemovedProfile:
    profile: Profile
    secret_deleted: bool | None  # None: no keychain was available (nothing could be stored)


def resolve_profile(
    name: str | None = None,
    *,
    settings: SettingsStore | None = None,
    credentials: CredentialStore | None = None,
) -> tuple[Profile, str]:
    """The named profile (or the current one, when ``name`` is None) and its secret key.

    Used by ``fpsdesk status/cancel --profile NAME``. Raises only CredentialError subclasses:
    ProfileUnavailable (no such profile, unreadable settings), SecretMissing, KeychainLocked,
    KeychainUnavailable; each message tells the user what to do.
    """
    store = settings if settings is not None else SettingsStore()
    creds = credentials if credentials is not None else CredentialStore()
    try:
        if name is None:
            profile = store.current()
            if profile is None:
                raise ProfileUnavailable(
                    "No profile is saved yet. Add one with: fpsdesk profile add NAME "
                    "--endpoint URL --access-key-id KEY"
                )
        else:
            profile = store.get(name)
    except ProfileNotFound as exc:
        raise ProfileUnavailable(str(exc)) from None
    except SettingsError as exc:
        raise ProfileUnavailable(str(exc)) from None
    return profile, creds.get_secret(profile.name)
