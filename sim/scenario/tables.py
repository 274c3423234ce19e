"""Data tables (CSV) as planners save them: UTF-8 with or without a byte-order mark, or GB18030
(what Chinese Excel writes). Anything else, a binary file, a huge field, a missing or repeated
column, a row too many or a repeated key is refused in one line naming the file."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

from sim.errors import ScenarioError

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_BYTES = 50_000_000
MAX_FIELD = 100_000  # characters in one cell
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # never in a text table; common in binary files


def file_digest(path: str | Path) -> str:
    """Hash of a file's bytes, so a resumed job can tell whether a data file changed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def decode(path: Path) -> str:
    """The text of a CSV file in the first encoding that reads it whole."""
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError(path, "file", f"a CSV file of at most {MAX_BYTES:,} bytes")
    data = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if CONTROL.search(text):
            break
        return text
    raise ScenarioError(path, "file", "a text CSV file in UTF-8 (with or without BOM) or GB18030")


def read_csv(path: str | Path, columns: tuple[str, ...], *, unique: str | None = None,
             max_rows: int = 100_000) -> list[dict[str, str]]:
    """Rows as {column: stripped text}; `columns` must all be in the header, `unique` names a
    column whose values may not repeat."""
    path = Path(path)
    reader = csv.reader(io.StringIO(decode(path), newline=""))
    previous = csv.field_size_limit(MAX_FIELD)
    try:
        header = [h.strip() for h in next(reader, [])]
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise ScenarioError(path, f"column {repeated[0]}", "named once in the header (it appears twice)")
        missing = [c for c in columns if c not in header]
        if missing:
            raise ScenarioError(path, f"column {missing[0]}", "present in the header: " + ",".join(columns))
        rows: list[dict] = []
        seen: dict[str, int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) == max_rows:
                raise ScenarioError(path, "rows", f"at most {max_rows:,} rows")
            if len(cells) > len(header):
                raise ScenarioError(path, f"row {line}", f"at most {len(header)} cells, as in the header; "
                                                          f"got {len(cells)}")
            row = {h: c.strip() for h, c in zip(header, cells)} | dict.fromkeys(header[len(cells):], "")
            if unique is not None:
                if row[unique] in seen:
                    raise ScenarioError(path, f"row {line}, column {unique}",
                                        f"a value no other row has ({row[unique]!r} is in row {seen[row[unique]]} too)")
                seen[row[unique]] = line
            rows.append(row)
    except csv.Error as exc:
        raise ScenarioError(path, f"row {reader.line_num}", f"valid CSV, cells of at most {MAX_FIELD:,} "
                                                            f"characters ({exc})") from None
    finally:
        csv.field_size_limit(previous)
    return rows
