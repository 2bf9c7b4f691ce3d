"""fpsdesk's own FPS 2008-09-17 sandbox: the embedded default and the server tests talk to."""

from __future__ import annotations

from fpsdesk.sandbox.ipn import RetryPolicy
from fpsdesk.sandbox.server import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer

__all__ = ["DEFAULT_ACCESS_KEY", "DEFAULT_SECRET_KEY", "RetryPolicy", "SandboxServer"]
