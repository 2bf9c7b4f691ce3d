"""Import IPNs from files (form bodies, query strings or URLs, JSON lines, text dumps).

Importing is idempotent: a notification already stored (same content, whatever the file's
format or the signature's line wrapping) is left as it is, so a file can be imported any number
of times. A bad record is reported with its file and line and does not stop the others; the
file itself is never changed, so nothing is lost.

The URL the notifications were posted to is part of what was signed. A record that carries it
(a query-string line that is a whole URL, a JSON envelope with ``endpoint_url``) uses its own;
the others use ``endpoint_url`` given by the caller, or stay Not checked until re-checked with
one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fpsdesk.ipn.files import Format, ParsedRecord, decode_text, iter_records
from fpsdesk.ipn.verify import IpnVerifier
from fpsdesk.records.ipn import FailReason, IpnParseError, IpnVerdict, Verdict
from fpsdesk.store.ipns import IpnStore, NewIpn

BATCH = 1000
# Given for a notification already stored with a settled verdict; it never replaces that
# verdict (a weaker one never does), it only saves a certificate fetch.
_ALREADY_STORED = Verdict.not_checked(FailReason.VERIFICATION_OFF, "already stored")
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(slots=True)
class ImportReport:
    """What one import did: counts, and every record that could not be read."""

    files: int = 0
    records: int = 0
    added: int = 0
    already_stored: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Importer:
    """Reads files into an :class:`IpnStore`, verifying each new notification on the way."""

    def __init__(
        self,
        store: IpnStore,
        verifier: IpnVerifier,
        *,
        endpoint_url: str | None = None,
        http_method: str = "POST",
        fmt: Format | None = None,
    ) -> None:
        self.store = store
        self.verifier = verifier
        self.endpoint_url = endpoint_url
        self.http_method = http_method
        self.fmt = fmt

    def import_paths(self, paths: list[Path], report: ImportReport | None = None) -> ImportReport:
        report = report or ImportReport()
        for path in paths:
            name = str(path)
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    report.problems.append(
                        ImportProblem(name, None, f"larger than {MAX_FILE_BYTES} bytes; split it")
                    )
                    continue
                data = path.read_bytes()
            except OSError as exc:
                report.problems.append(ImportProblem(name, None, exc.strerror or str(exc)))
                continue
            self.import_bytes(data, name=name, report=report)
        return report

    def import_bytes(
        self, data: bytes, *, name: str, report: ImportReport | None = None
    ) -> ImportReport:
        report = report or ImportReport()
        report.files += 1
        try:
            text = decode_text(data)
        except IpnParseError as exc:
            report.problems.append(ImportProblem(name, None, str(exc)))
            return report
        found = 0
        batch: list[NewIpn] = []
        for record in iter_records(text, self.fmt):
            found += 1
            if record.error is not None or record.ipn is None:
                report.problems.append(ImportProblem(name, record.line, str(record.error)))
                continue
            batch.append(self._new(record, name))
            if len(batch) >= BATCH:
                self._flush(batch, report)
                batch = []
        self._flush(batch, report)
        if found == 0:
            report.problems.append(ImportProblem(name, None, "no IPN found in this file"))
        return report

    def _new(self, record: ParsedRecord, name: str) -> NewIpn:
        ipn = record.ipn
        assert ipn is not None
        endpoint = record.endpoint_url or self.endpoint_url
        method = record.http_method or self.http_method
        known = self.store.get_by_hash(ipn.content_hash)
        if known is not None and known.verdict is not IpnVerdict.NOT_CHECKED:
            verdict = _ALREADY_STORED
        else:
            verdict = self.verifier.verify(ipn, endpoint, method)
        return NewIpn(
            ipn,
            verdict,
            source=f"import {name}:{record.line}",
            endpoint_url=endpoint,
            http_method=method,
        )

    def _flush(self, batch: list[NewIpn], report: ImportReport) -> None:
        if not batch:
            return
        results = self.store.add_many(batch, delivery=False)
        for result in results:
            report.records += 1
            if result.new:
                report.added += 1
            else:
                report.already_stored += 1
            key = result.verdict.label
            report.verdicts[key] = report.verdicts.get(key, 0) + 1
