"""Reading and writing the import/export files of `saring sources` and `saring hoaxes`.

Files come from spreadsheets and other teams' exports: a BOM, stray blank lines and
different column orders are normal, so columns are read by header name, and every bad row
is reported with its line number before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


class ImportFileError(Exception):
    """The file cannot be imported; `problems` lists every bad line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of an import file, with the line it came from."""

    line: int
    fields: dict[str, str]


def read_rows(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> list[Row]:
    """Read CSV (by header) or JSON Lines (by key) rows; `.jsonl`/`.ndjson` means JSON Lines.

    Raises:
        ImportFileError: unreadable file, missing columns, or bad lines (all listed).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError([f"{path}: cannot read: {exc}"]) from None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        rows, problems = _jsonl_rows(path, text, required, optional)
    else:
        rows, problems = _csv_rows(path, text, required, optional)
    if problems:
        raise ImportFileError(problems)
    return rows


def _csv_rows(
    path: Path, text: str, required: Sequence[str], optional: Sequence[str]
) -> tuple[list[Row], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        return [], [f"{path}:1: missing column(s) {', '.join(missing)} (have: {', '.join(header)})"]
    reader.fieldnames = header
    rows: list[Row] = []
    problems: list[str] = []
    for record in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in record.items() if k in (*required, *optional)}
        if not any(values.values()):
            continue
        empty = [c for c in required if not values.get(c)]
        if empty:
            problems.append(f"{path}:{line}: empty {', '.join(empty)}")
        rows.append(Row(line, values))
    return rows, problems


def _jsonl_rows(
    path: Path, text: str, required: Sequence[str], optional: Sequence[str]
) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    problems: list[str] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{line}: not JSON: {exc.msg}")
            continue
        if not isinstance(record, dict):
            problems.append(f"{path}:{line}: expected a JSON object")
            continue
        values = {k: str(record[k]).strip() for k in (*required, *optional) if record.get(k)}
        empty = [c for c in required if not values.get(c)]
        if empty:
            problems.append(f"{path}:{line}: empty {', '.join(empty)}")
        rows.append(Row(line, values))
    return rows, problems


def write_csv(header: Sequence[str], rows: Iterator[Sequence[str]] | list[Sequence[str]]) -> str:
    """CSV text with a header, as a spreadsheet opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
