"""The search as a job: the searcher on a job thread of its own (fpsdesk/ui/jobs.py).

It runs ``Searcher`` (fpsdesk/desk/search.py) on the job's own client and history connection
and reports ``SearchUpdate`` values, the matches found since the last report and a copy of
where the search stands, at most as often as the job host lets it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fpsdesk.desk.search import Found, SearchProgress, SearchQuery
    from fpsdesk.ui.jobs import JobContext


@dataclass(frozen=True)
class SearchUpdate:
    """Matches found since the last report, and where the search stands (a copy)."""

    matches: tuple[Found, ...]
    progress: SearchProgress


def search_work(query: SearchQuery, refresh: bool) -> Any:
    """The job: the searcher on its own client and history connection, reporting batches."""

    def work(ctx: JobContext) -> SearchUpdate:
        from fpsdesk.desk.search import Searcher
        from fpsdesk.store.activity import ActivityCache

        cache = ActivityCache(ctx.database())
        searcher = Searcher(ctx.client(), cache, emails_from_ipns=cache.transactions_with_email)
        pending: list[Found] = []

        def on_matches(batch: list[Found]) -> None:
            pending.extend(batch)

        def on_progress(progress: SearchProgress) -> None:
            if ctx.due():
                ctx.report(SearchUpdate(tuple(pending), dataclasses.replace(progress)))
                pending.clear()

        result = searcher.search(
            query, refresh=refresh, on_matches=on_matches, on_progress=on_progress, stop=ctx.stop
        )
        return SearchUpdate(tuple(pending), dataclasses.replace(result.progress))

    return work
