"""``application`` for any WSGI server: ``gunicorn 'fpsdesk.ipn.wsgi:application'``.

Configured from the environment, since WSGI servers pass no arguments:

- ``FPSDESK_IPN_DB``: the history: a file or a team's ``postgresql://`` URL (its password from
  the keychain, else libpq's ``PGPASSWORD``); default: the configured history;
- ``FPSDESK_IPN_ENDPOINT_URL``: the public URL FPS posts to (default: rebuilt per request);
- ``FPSDESK_IPN_TRUST``: comma-separated certificate hosts (default: both Amazon FPS hosts);
- ``FPSDESK_IPN_VERIFY``: ``local`` (default) or ``off``.

Writes are durable before the 200 under any server; with several worker processes each has its
own connection, and SQLite (or, for PostgreSQL, one advisory lock) serialises the writers.
"""

from __future__ import annotations

import os

from fpsdesk.ipn.receiver import IpnReceiver, make_app
from fpsdesk.records.ipn import VerifyMode


def from_environment(environ: dict[str, str] | None = None) -> IpnReceiver:
    env = os.environ if environ is None else environ
    mode_text = env.get("FPSDESK_IPN_VERIFY", "local").strip().lower() or "local"
    if mode_text not in ("local", "off"):
        raise ValueError(
            f"FPSDESK_IPN_VERIFY is 'local' or 'off', not {mode_text!r} (remote verification "
            "needs a profile: use `fpsdesk ipn serve --profile NAME`)"
        )
    mode: VerifyMode = "off" if mode_text == "off" else "local"
    hosts = [h for h in env.get("FPSDESK_IPN_TRUST", "").split(",") if h.strip()]
    return make_app(
        db_path=env.get("FPSDESK_IPN_DB") or None,
        trusted_hosts=hosts,
        endpoint_url=env.get("FPSDESK_IPN_ENDPOINT_URL") or None,
        mode=mode,
    )


application = from_environment()
