"""``fpsdesk --sandbox``: the embedded FPS sandbox and an IPN receiver, in this process.

Both listen on loopback only. The sandbox keeps its state in the user data dir, so demo
transactions cancelled yesterday are still cancelled today; "Reset sandbox" starts afresh. The
sandbox posts its IPNs to the in-process receiver, which stores them in fpsdesk's history
database, so a cancel in the GUI shows its Cancelled IPN arriving live.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from fpsdesk.paths import data_dir, ensure

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("ipn receiver: %s", format % args)


class SandboxRuntime:
    """Owns the in-process sandbox server and IPN receiver; ``stop()`` ends both."""

    def __init__(
        self,
        state_dir: Path | None = None,
        history_path: Path | None = None,
        on_ipn: Callable[[], None] | None = None,
    ) -> None:
        self.state_dir = state_dir or ensure(data_dir())
        self.history_path = history_path
        self._on_ipn = on_ipn
        self.server: Any = None
        self._receiver: WSGIServer | None = None
        self._receiver_thread: threading.Thread | None = None
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
        self._start_receiver()
        from fpsdesk.sandbox import SandboxServer

        ipn_urls = [self.receiver_url] if self.receiver_url else []
        self.server = SandboxServer(
            data_path=self.sandbox_path, demo=True, ipn_urls=ipn_urls
        ).start()
        log.info("local sandbox at %s, IPNs to %s", self.server.url, self.receiver_url or "-")
        return self

    def _start_receiver(self) -> None:
        try:
            app = self._receiver_app()
        except Exception:
            log.exception("the IPN receiver could not be set up; IPNs will not arrive live")
            return
        if app is None:
            return
        server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
        self._receiver = server
        port = server.server_address[1]
        self.receiver_url = f"http://127.0.0.1:{port}/ipn"
        thread = threading.Thread(target=server.serve_forever, name="fpsdesk-ipn-receiver",
                                  kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
        self._receiver_thread = thread

    def _receiver_app(self) -> Any:
        try:
            receiver = importlib.import_module("fpsdesk.ipn.receiver")
        except ImportError:
            log.info("no IPN receiver in this build")
            return None
        factory = getattr(receiver, "make_app", None) or getattr(receiver, "create_app", None)
        if factory is None:
            log.warning("fpsdesk.ipn.receiver has no make_app; IPNs will not arrive live")
            return None
        kwargs: dict[str, Any] = {}
        if self.history_path is not None:
            kwargs["db_path"] = self.history_path
        if self._on_ipn is not None:
            kwargs["on_stored"] = lambda *_a, **_k: self._notify()
        return factory(**kwargs)

    def _notify(self) -> None:
        if self._on_ipn is not None:
            try:
                self._on_ipn()
            except Exception:
                log.debug("IPN listener failed", exc_info=True)

    def reset(self) -> None:
        """Drop every sandbox transaction and load fresh demo data."""
        self.server.reset()

    def stop(self) -> None:
        if self.server is not None:
            try:
                self.server.stop()
            except Exception:
                log.debug("stopping the sandbox failed", exc_info=True)
            self.server = None
        if self._receiver is not None:
            self._receiver.shutdown()
            self._receiver.server_close()
            self._receiver = None
        if self._receiver_thread is not None:
            self._receiver_thread.join(timeout=5)
            self._receiver_thread = None
