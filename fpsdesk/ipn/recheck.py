"""Re-check stored IPNs: settle the Not checked ones (offline at the time, endpoint unknown),
or re-verify chosen ones after a trust or certificate change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fpsdesk.ipn.parse import from_pairs
from fpsdesk.ipn.verify import IpnVerifier
from fpsdesk.records.ipn import IpnParseError, IpnVerdict
from fpsdesk.store.ipns import IpnFilter, IpnRecord, IpnStore


@dataclass(slots=True)
class RecheckReport:
    checked: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    changed: int = 0


def not_checked(store: IpnStore) -> list[IpnRecord]:
    return list(store.iter_all(IpnFilter(verdict=IpnVerdict.NOT_CHECKED)))


def recheck(
    store: IpnStore,
    verifier: IpnVerifier,
    records: Iterable[IpnRecord],
    *,
    endpoint_url: str | None = None,
) -> RecheckReport:
    """Verify each record again and store the new verdict, whatever it is.

    The stored receiving URL is used; ``endpoint_url`` fills in for records that have none.
    """
    report = RecheckReport()
    for record in records:
        try:
            ipn = from_pairs(record.params)
        except IpnParseError:  # pragma: no cover - stored params were parsed once already
            continue
        endpoint = record.endpoint_url or endpoint_url
        verdict = verifier.verify(ipn, endpoint, record.http_method)
        store.set_verdict(record.id, verdict, endpoint_url=endpoint)
        report.checked += 1
        report.changed += verdict.status is not record.verdict
        key = verdict.status.label
        report.verdicts[key] = report.verdicts.get(key, 0) + 1
    return report
