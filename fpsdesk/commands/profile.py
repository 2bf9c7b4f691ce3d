"""``fpsdesk profile add|list|remove``: the same profiles as the app's settings dialog.

The secret key is never a command-line argument (it would land in shell history and in the
process list): it comes from a hidden prompt on a terminal, or from stdin when stdin is not a
terminal, so scripts can pipe it from a secrets manager.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from fpsdesk.commands.exit_codes import ExitCode
from fpsdesk.credentials import (
    CredentialError,
    CredentialStore,
    InvalidSecret,
    KeychainUnavailable,
    SecretMissing,
    backend_name,
    validate_secret,
)
from fpsdesk.fps.endpoints import environment_of
from fpsdesk.fps.errors import clause
from fpsdesk.settings import (
    InvalidProfile,
    Profile,
    ProfileExists,
    ProfileNotFound,
    SettingsError,
    SettingsFileBroken,
)
from fpsdesk.settings_store import SettingsStore

MAX_STDIN_SECRET = 4096


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "profile",
        help="manage saved profiles (endpoint, access key ID; secret key in the keychain)",
        description="Manage saved profiles. The secret key is stored in the system keychain.",
    )
    sub = parser.add_subparsers(dest="profile_command", metavar="ACTION", required=True)

    add = sub.add_parser(
        "add",
        help="save a profile; the secret key is read from a hidden prompt or stdin",
        description="Save a profile. The secret key is read from a hidden prompt, or from "
        "stdin when stdin is not a terminal (e.g. `pass fps/key | fpsdesk profile add ...`). "
        "It is never accepted as an argument.",
    )
    add.add_argument("name", help="profile name (up to 64 printable characters)")
    add.add_argument("--endpoint", required=True, help="FPS endpoint URL (https://...)")
    add.add_argument("--access-key-id", required=True, help="the AWS access key ID")
    add.add_argument(
        "--ipn-verification",
        choices=("local", "remote"),
        default="local",
        help="check IPN signatures locally (default) or with the endpoint's VerifySignature",
    )
    add.add_argument("--ca-bundle", help="PEM file of extra CAs trusted for this endpoint")
    add.add_argument(
        "--display-name",
        help="the name recorded as the agent of every action done with this profile "
        "(default: the OS user)",
    )
    add.add_argument("--replace", action="store_true", help="replace a profile of that name")
    add.add_argument("--current", action="store_true", help="make it the current profile")
    add.set_defaults(func=cmd_add)

    history = sub.add_parser(
        "history",
        help="where a profile's history is: local, or a team's shared PostgreSQL",
        description="Point a profile at its history: 'local' (this machine's file, the "
        "default) or postgresql://user@host:port/database, shared by a team. The database "
        "password is read like the secret key (hidden prompt, or stdin) and kept in the "
        "keychain; the connection is tried (and the schema created) before anything is saved. "
        "A host other than this machine is reached with TLS, verifying its certificate "
        "(sslmode=verify-full); add ?sslrootcert=/path/ca.pem for a private CA.",
    )
    history.add_argument("name", help="the profile")
    history.add_argument("location", help="local, or postgresql://user@host:port/database")
    history.set_defaults(func=cmd_history)

    lst = sub.add_parser("list", help="list saved profiles")
    lst.set_defaults(func=cmd_list)

    remove = sub.add_parser("remove", help="delete a profile and its secret key")
    remove.add_argument("name")
    remove.set_defaults(func=cmd_remove)

    reasons = sub.add_parser(
        "reason-codes",
        help="show or change the reason codes a profile's cancels offer",
        description="Print the profile's reason codes, one 'code: Label' a line; with --set, "
        "replace them with a file of such lines ('-' reads stdin); with --defaults, go back to "
        "the list fpsdesk ships. Codes already recorded with cancels are never rewritten.",
    )
    reasons.add_argument("name")
    choice = reasons.add_mutually_exclusive_group()
    choice.add_argument("--set", metavar="FILE", help="the new list, one 'code: Label' a line")
    choice.add_argument("--defaults", action="store_true", help="the list fpsdesk ships")
    reasons.set_defaults(func=cmd_reason_codes)


def _err(message: str) -> None:
    print(f"fpsdesk: {message}", file=sys.stderr)  # noqa: T201


def _read_secret(name: str, prompt: str | None = None) -> str:
    """Hidden prompt on a terminal; otherwise the first line of stdin."""
    if sys.stdin is None:
        raise InvalidSecret("No secret key given: stdin is closed.")
    if sys.stdin.isatty():
        try:
            return getpass.getpass(prompt or f"Secret key for profile {name!r} (input hidden): ")
        except EOFError:
            raise InvalidSecret("No secret key given.") from None
    data = sys.stdin.read(MAX_STDIN_SECRET + 1)
    if len(data) > MAX_STDIN_SECRET:
        raise InvalidSecret("The secret key on stdin is far too long; pipe just the key.")
    lines = data.splitlines()
    if len(lines) > 1 and any(line.strip() for line in lines[1:]):
        raise InvalidSecret("Pipe only the secret key on stdin, on one line.")
    return lines[0] if lines else ""


def _load_settings_for_change(settings: SettingsStore) -> bool:
    """Report (and get past) a broken settings file; False if it must stay untouched."""
    try:
        settings.load()
    except SettingsFileBroken as exc:
        _err(str(exc))
        return exc.moved_to is not None
    return True


def cmd_add(args: argparse.Namespace) -> int:
    settings = SettingsStore()
    creds = CredentialStore()
    try:
        profile = Profile(
            name=args.name,
            endpoint=args.endpoint,
            access_key_id=args.access_key_id,
            ipn_verification=args.ipn_verification,
            ca_bundle=args.ca_bundle,
            display_name=args.display_name,
        )
    except InvalidProfile as exc:
        _err(str(exc))
        return ExitCode.USAGE
    if not _load_settings_for_change(settings):
        return ExitCode.FAILURE
    existing = settings.load().find(profile.name)
    if existing is not None and not args.replace:
        _err(
            f"A profile named {profile.name!r} already exists. Use --replace to overwrite it, "
            "or `fpsdesk profile remove` it first."
        )
        return ExitCode.USAGE
    try:
        secret = validate_secret(_read_secret(profile.name))
    except InvalidSecret as exc:
        _err(str(exc))
        return ExitCode.USAGE
    except KeyboardInterrupt:
        _err("Cancelled; nothing was saved.")
        return 130

    # Keep the secret being replaced, so a failed settings write can put it back.
    previous_secret: str | None = None
    if existing is not None:
        try:
            previous_secret = creds.get_secret(profile.name)
        except SecretMissing:
            previous_secret = None
        except CredentialError as exc:
            _err(f"{exc} Nothing was saved.")
            return ExitCode.FAILURE
    try:
        creds.set_secret(profile.name, secret)
    except CredentialError as exc:
        if isinstance(exc, KeychainUnavailable):
            _err(
                "No system keychain is available, so the secret key cannot be saved and the "
                "profile was not added. fpsdesk never stores secret keys in files. Install "
                "and start a keychain (GNOME Keyring or KWallet on Linux), or use the desktop "
                "app, which can keep the key for one session only."
            )
        else:
            _err(f"{exc} Nothing was saved.")
        return ExitCode.FAILURE
    try:
        settings.add(profile, replace_existing=args.replace, make_current=args.current)
    except (SettingsError, OSError) as exc:
        _rollback_secret(creds, profile.name, previous_secret)
        reason = exc if isinstance(exc, SettingsError) else (exc.strerror or exc)
        _err(f"The profile could not be saved ({reason}); nothing was changed.")
        return ExitCode.USAGE if isinstance(exc, ProfileExists) else ExitCode.FAILURE
    verb = "Replaced" if existing is not None else "Saved"
    print(  # noqa: T201
        f"{verb} profile {profile.name!r} ({environment_of(profile.endpoint)}: "
        f"{profile.endpoint}). Secret key stored in: {backend_name()}."
    )
    return ExitCode.OK


def cmd_history(args: argparse.Namespace) -> int:
    """Set a profile's history location; the password goes to the keychain, tried first."""
    from dataclasses import replace

    from fpsdesk.settings import LOCAL_HISTORY, validate_history
    from fpsdesk.store.db import database_errors, open_database
    from fpsdesk.store.location import history_account, store_history_password

    settings = SettingsStore()
    try:
        profile = settings.get(args.name)
        location = validate_history(args.location)
    except (InvalidProfile, ProfileNotFound) as exc:
        _err(str(exc))
        return ExitCode.USAGE
    except SettingsError as exc:
        _err(str(exc))
        return ExitCode.FAILURE
    if location != LOCAL_HISTORY:
        account = history_account(location)
        try:
            password = validate_secret(
                _read_secret(account, f"Password of the history {account} (input hidden): ")
            )
        except InvalidSecret as exc:
            _err(str(exc).replace("secret key", "password"))
            return ExitCode.USAGE
        except KeyboardInterrupt:
            _err("Cancelled; nothing was saved.")
            return 130
        try:
            open_database(location, password=password).close()
        except database_errors(OSError) as exc:
            _err(f"{exc} Nothing was saved.")
            return ExitCode.FAILURE
        try:
            store_history_password(location, password)
        except CredentialError as exc:
            _err(f"{exc} The password cannot be kept, so nothing was saved.")
            return ExitCode.FAILURE
    try:
        settings.save(replace(profile, history=location))
    except (SettingsError, OSError) as exc:
        _err(f"The profile could not be saved ({exc}); nothing was changed.")
        return ExitCode.FAILURE
    where = "this machine's history file" if location == LOCAL_HISTORY else location
    print(f"Profile {profile.name!r} now keeps its history in {where}.")  # noqa: T201
    return ExitCode.OK


def _rollback_secret(creds: CredentialStore, name: str, previous: str | None) -> None:
    try:
        if previous is None:
            creds.delete_secret(name)
        else:
            creds.set_secret(name, previous)
    except CredentialError as exc:
        _err(f"Also could not restore the keychain entry for {name!r}: {exc}")


def _secret_state(creds: CredentialStore, name: str) -> str:
    try:
        return "stored" if creds.has_secret(name) else "MISSING"
    except KeychainUnavailable:
        return "no keychain"
    except CredentialError:
        return "keychain locked"


def cmd_list(args: argparse.Namespace) -> int:
    settings = SettingsStore()
    try:
        loaded = settings.load()
    except SettingsFileBroken as exc:
        _err(str(exc))
        return ExitCode.FAILURE
    if not loaded.profiles:
        print(  # noqa: T201
            "No profiles saved. Add one with: fpsdesk profile add NAME --endpoint URL "
            "--access-key-id KEY"
        )
        return ExitCode.OK
    creds = CredentialStore()
    current = loaded.current_profile()
    rows = [("", "NAME", "ENVIRONMENT", "ENDPOINT", "ACCESS KEY ID", "SECRET KEY")]
    for p in loaded.profiles:
        rows.append(
            (
                "*" if current is not None and p.name == current.name else "",
                p.name,
                environment_of(p.endpoint),
                p.endpoint,
                p.access_key_id,
                _secret_state(creds, p.name),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())  # noqa: T201
    print(f"\n* = current profile. Keychain: {backend_name()}")  # noqa: T201
    return ExitCode.OK


def cmd_remove(args: argparse.Namespace) -> int:
    settings = SettingsStore()
    creds = CredentialStore()
    try:
        result = creds.remove_profile(settings, args.name)
    except ProfileNotFound as exc:
        _err(str(exc))
        return ExitCode.USAGE
    except SettingsFileBroken as exc:
        _err(str(exc))
        return ExitCode.FAILURE
    except CredentialError as exc:
        _err(f"{exc} The profile was not removed.")
        return ExitCode.FAILURE
    except (SettingsError, OSError) as exc:
        _err(f"The profile could not be removed ({clause(str(exc))}).")
        return ExitCode.FAILURE
    note = {
        True: "its secret key was deleted from the keychain",
        False: "no secret key was stored for it",
        None: "no keychain is available, so no secret key was stored for it",
    }[result.secret_deleted]
    print(f"Removed profile {result.profile.name!r}; {note}.")  # noqa: T201
    return ExitCode.OK


def cmd_reason_codes(args: argparse.Namespace) -> int:
    """Show, replace or reset a profile's reason codes (the secret is not needed)."""
    from dataclasses import replace
    from pathlib import Path

    from fpsdesk.records.reasons import DEFAULT_REASON_CODES
    from fpsdesk.settings import SettingsError, format_reason_codes, parse_reason_codes

    settings = SettingsStore()
    text = None
    if args.set is not None:
        try:
            text = sys.stdin.read() if args.set == "-" else Path(args.set).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _err(f"Cannot read {args.set}: {exc}")
            return ExitCode.USAGE
    try:
        profile = settings.get(args.name)
        if text is not None or args.defaults:
            codes = DEFAULT_REASON_CODES if text is None else parse_reason_codes(text)
            profile = replace(profile, reason_codes=codes)
            settings.save(profile)
    except (InvalidProfile, ProfileNotFound) as exc:
        _err(str(exc))
        return ExitCode.USAGE
    except (SettingsError, OSError) as exc:
        _err(f"The settings could not be changed: {exc}")
        return ExitCode.FAILURE
    print(format_reason_codes(profile.reason_codes))  # noqa: T201
    return ExitCode.OK
