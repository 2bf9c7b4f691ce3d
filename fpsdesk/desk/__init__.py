"""The application layer: fpsdesk's business processes, shared by the app and the CLI.

No Qt here. The desktop app's worker thread and the ``fpsdesk`` commands call the same code:

- ``connection``: the one place an FpsClient is built from a profile or an endpoint;
- ``cancel``: the cancel lifecycle (fresh status read, record before send, send once,
  classify the answer);
- ``settle``: what a later status read, a Verified IPN or the passing of time proves about a
  Cancel whose outcome is not known yet, and which rows a process may settle at all;
- ``owner``: which process owns an action while its answer is awaited.
"""
