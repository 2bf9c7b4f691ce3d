"""``fpsdesk --sandbox``: the embedded FPS sandbox and an IPN receiver, in this process.

Both listen on loopback only. The sandbox keeps its state in the user data dir, so demo
transactions cancelled yesterday are still cancelled today; "Reset sandbox" starts afresh. The
sandbox posts its IPNs to the in-process receiver, which stores them in fpsdesk's history
database, so a cancel in the GUI shows its Cancelled IPN arriving live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fpsdesk.paths import data_dir, ensure

log = logging.getLogger(__name__)


class SandboxRuntime:
    """Owns the in-process sandbox server and IPN receiver; ``stop()`` ends both."""

    def __init__(
        self,
        state_dir: Path | None = None,
        history_path: Path | None = None,
        on_ipn: Callable[[], None] | None = None,
    ) -> None:
        self.state_dir = state_dir or ensure(data_dir())
        self.history_path = history_path  # None: fpsdesk's default history file
        self._on_ipn = on_ipn
        self.server: Any = None
        self._receiver: Any = None
        self._receiver_app: Any = None
        self._receiver_db: Any = None
        self.receiver_url = ""

    @property
    def sandbox_path(self) -> Path:
        return self.state_dir / "sandbox.sqlite3"

    @property
    def url(self) -> str:
        return str(self.server.url)

    @property
    def credentials(self) -> tuple[str, str]:
        from fpsdesk import sandbox

        return sandbox.DEFAULT_ACCESS_KEY, sandbox.DEFAULT_SECRET_KEY

    def start(self) -> SandboxRuntime:
        from fpsdesk.sandbox import SandboxServer

        self._start_receiver()
        # No IPN URL yet: the demo seed's notifications must not reach the receiver before it
        # trusts this sandbox's certificate host, which is known only once the sandbox listens.
        self.server = SandboxServer(data_path=self.sandbox_path, demo=True).start()
        if self._receiver_app is not None:
            from fpsdesk.ipn.verify import IpnVerifier, TrustPolicy

            self._receiver_app.verifier = IpnVerifier(TrustPolicy.for_endpoint(self.url))
            self.server.set_ipn_urls([self.receiver_url])
            if self._history_has_no_ipns():
                # First start on this history: deliver the demo's notifications once. Later
                # starts would only add duplicate deliveries of the same IPNs.
                self.server.replay_ipns()
        log.info("local sandbox at %s, IPNs to %s", self.server.url, self.receiver_url or "-")
        return self

    def _history_has_no_ipns(self) -> bool:
        from fpsdesk.store.ipns import IpnStore

        return IpnStore(self._receiver_db).count() == 0

    def _start_receiver(self) -> None:
        """The IPN receiver on loopback, storing into fpsdesk's history database."""
        try:
            from fpsdesk.ipn.receiver import IpnReceiver, ReceiverServer
            from fpsdesk.ipn.verify import IpnVerifier, TrustPolicy
            from fpsdesk.store.db import open_database
            from fpsdesk.store.ipns import IpnStore

            self._receiver_db = open_database(self.history_path)
            app = IpnReceiver(
                IpnStore(self._receiver_db),
                # Replaced by a verifier for the sandbox's own host once it listens; until
                # then nothing can post (the sandbox is not running yet).
                IpnVerifier(TrustPolicy.amazon()),
                on_stored=self._notify,
            )
            self._receiver = ReceiverServer(app).start()
        except Exception:
            log.exception("the IPN receiver could not start; IPNs will not arrive live")
            self._receiver = None
            return
        self._receiver_app = app
        self.receiver_url = f"{self._receiver.url}ipn"

    def _notify(self, *_record: Any) -> None:
        """Runs on the receiver's thread: only signal, never touch widgets here."""
        if self._on_ipn is not None:
            try:
                self._on_ipn()
            except Exception:
                log.debug("IPN listener failed", exc_info=True)

    def fresh_demo(self, kind: str) -> str:
        """A new demo transaction of ``kind`` ("Reserved" or "Pending"); returns its ID."""
        from fpsdesk.sandbox import demo

        return str(self.server.create_transaction(**demo.fresh_fields(kind)))

    def reset(self) -> None:
        """Drop every sandbox transaction and load fresh demo data."""
        self.server.reset(demo=True)

    def stop(self) -> None:
        if self.server is not None:
            try:
                self.server.stop()
            except Exception:
                log.debug("stopping the sandbox failed", exc_info=True)
            self.server = None
        if self._receiver is not None:
            self._receiver.stop()
            self._receiver = None
        if self._receiver_db is not None:
            self._receiver_db.close()
            self._receiver_db = None
