"""fpsdesk: look up and cancel Amazon FPS (API 2008-09-17) transactions, with an FPS sandbox."""

__version__ = "0.1.0"
