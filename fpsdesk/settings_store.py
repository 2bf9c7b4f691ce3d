"""The settings file on disk: ``SettingsStore`` reads it, and changes it under a lock.

What is in it (profiles, their validation, the JSON format) is fpsdesk/settings.py; this module
is how it is kept: read only if it is a regular file (never blocking on a FIFO or a device),
replaced atomically and owner-only, and a broken one moved aside rather than overwritten.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from fpsdesk import paths
from fpsdesk.fps.errors import clause
from fpsdesk.settings import (
    MAX_SETTINGS_BYTES,
    SETTINGS_FILE_NAME,
    NewerFormat,
    Profile,
    ProfileExists,
    ProfileNotFound,
    Settings,
    SettingsError,
    SettingsFileBroken,
    parse_settings,
    serialize_settings,
)

log = logging.getLogger(__name__)

try:  # POSIX: serialise read-modify-write between the app and the command line.
    import fcntl

    def lock_exclusive(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

except ImportError:  # pragma: no cover - Windows: last writer wins, each write still atomic

    def lock_exclusive(fd: int) -> None:
        return None


class NotRegular(OSError):
    """The settings path is a FIFO, a device, a directory or a socket, not a file."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def read_regular_file(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``path``, which must be a regular file (after symlinks).

    Opened non-blocking and checked with fstat before any read: opening a FIFO for reading
    otherwise waits for a writer forever (``fpsdesk profile list`` and ``status`` hung), and a
    device could stream endlessly. Checking the descriptor, not the name, leaves no window for
    the name to be swapped in between.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(file_kind(mode))
        chunks: list[bytes] = []
        remaining = limit
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once, owner-only (0600), durable on return."""
    paths.ensure(path.parent)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp_name, 0o600)  # mkstemp already does; explicit for platforms that do not
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


class SettingsStore:
    """Reads and writes the settings file. Each change re-reads the file under a lock first,
    so the app and the command line changing profiles at the same time lose nothing."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else paths.config_dir() / SETTINGS_FILE_NAME

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> Settings:
        """The saved settings (empty if there is no file yet).

        Raises SettingsFileBroken when the file cannot be used: it is then moved aside (and
        the message says where), so the next ``load`` starts empty and nothing is lost. A
        file from a newer fpsdesk is left in place, and every write refuses to touch it.
        """
        try:
            raw = read_regular_file(self.path, MAX_SETTINGS_BYTES + 1)
        except FileNotFoundError:
            return Settings()
        except NotRegular as exc:
            raise SettingsFileBroken(
                f"The settings file {self.path} is not a regular file (it is {exc.kind}); "
                "fpsdesk reads its settings only from a regular file and left it unchanged. "
                "Remove or rename it.",
                None,
            ) from None
        except OSError as exc:
            raise SettingsFileBroken(
                f"The settings file {self.path} cannot be read ({exc.strerror or exc}). "
                "Check its permissions.",
                None,
            ) from exc
        try:
            return parse_settings(raw)
        except NewerFormat as exc:
            raise SettingsFileBroken(
                f"The settings file {self.path} was written by a newer version of fpsdesk "
                f"(format {exc.version}); this version leaves it unchanged. Update fpsdesk.",
                None,
            ) from exc
        except SettingsError as exc:
            moved = self._move_aside()
            if moved is None:
                raise SettingsFileBroken(
                    f"The settings file {self.path} cannot be used ({exc}), and it could not "
                    "be moved aside; it was left unchanged.",
                    None,
                ) from exc
            log.warning("settings file unreadable (%s); moved to %s", exc, moved)
            raise SettingsFileBroken(
                f"The settings file could not be used ({clause(str(exc))}). It was kept as "
                f"{moved}; fpsdesk starts with no saved profiles. Re-add them, or repair and "
                "rename that file.",
                moved,
            ) from exc

    def _move_aside(self) -> Path | None:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        for n in range(100):
            suffix = f".broken-{stamp}" + (f"-{n}" if n else "")
            target = self.path.with_name(self.path.name + suffix)
            if target.exists():
                continue
            try:
                os.rename(self.path, target)
            except OSError:
                return None
            return target
        return None

    def profiles(self) -> list[Profile]:
        return list(self.load().profiles)

    def get(self, name: str) -> Profile:
        settings = self.load()
        found = settings.find(name)
        if found is None:
            raise ProfileNotFound(name, settings.names())
        return found

    def current(self) -> Profile | None:
        """The current profile (or the first saved one); None when no profile is saved."""
        return self.load().current_profile()

    # -- changing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        paths.ensure(self.path.parent)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            lock_exclusive(fd)
            yield
        finally:
            os.close(fd)

    def _write(self, settings: Settings) -> None:
        write_atomic(self.path, serialize_settings(settings))

    def add(
        self, profile: Profile, *, replace_existing: bool = False, make_current: bool = False
    ) -> Profile | None:
        """Save ``profile``; returns the profile it replaced, if any.

        Without ``replace_existing`` an existing name raises ProfileExists, so a typo in a
        script never overwrites another profile.
        """
        with self._locked():
            settings = self.load()
            old = settings.find(profile.name)
            if old is not None and not replace_existing:
                raise ProfileExists(
                    f"A profile named {profile.name!r} already exists. Remove it first, or "
                    "replace it explicitly."
                )
            if old is None:
                profiles = (*settings.profiles, profile)
            else:
                profiles = tuple(
                    profile if p.name == profile.name else p for p in settings.profiles
                )
            current = (
                profile.name if make_current or settings.current is None else (settings.current)
            )
            self._write(replace(settings, profiles=profiles, current=current))
            return old

    def save(self, profile: Profile, *, make_current: bool = False) -> Profile | None:
        """Add or replace (the settings dialog's Save)."""
        return self.add(profile, replace_existing=True, make_current=make_current)

    def remove(self, name: str) -> Profile:
        """Delete the profile ``name`` (not its secret: ``CredentialStore.remove_profile``)."""
        with self._locked():
            settings = self.load()
            found = settings.find(name)
            if found is None:
                raise ProfileNotFound(name, settings.names())
            profiles = tuple(p for p in settings.profiles if p.name != found.name)
            current = settings.current
            if current == found.name:
                current = profiles[0].name if profiles else None
            self._write(replace(settings, profiles=profiles, current=current))
            return found

    def set_current(self, name: str) -> Profile:
        with self._locked():
            settings = self.load()
            found = settings.find(name)
            if found is None:
                raise ProfileNotFound(name, settings.names())
            self._write(replace(settings, current=found.name))
            return found
