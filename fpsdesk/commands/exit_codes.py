"""The exit codes of every ``fpsdesk`` command, for scripts that branch on them.

Here, beside the commands that return them, so that no command module imports cli.py (which
loads the command modules).
"""

from __future__ import annotations


class ExitCode:
    OK = 0
    FAILURE = 1
    USAGE = 2
    FPS_ERROR = 3
    OUTCOME_UNKNOWN = 4
    NETWORK = 5
    NOT_RECORDED = 6  # the history could not be written, so nothing was sent
    NOT_CANCELLABLE = 7  # not Reserved or Pending (checked before sending, or proved after)
    EARLIER_UNRESOLVED = 8  # an earlier cancel may still take effect: not sent without --again
    BEING_CANCELLED = 9  # another desk is sending (or just sent) a Cancel of it: not sent
