"""The 98 Danish municipalities as shipped with jobtro (codes as the registers write them).

Pure: used by the organisation app's data migration and by the simulator, which must not need Django.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class MunicipalityRecord:
    code: str  # 4 digits, zero-padded ("0101")
    name: str
    region_code: str
    region: str


@cache
def all_municipalities() -> tuple[MunicipalityRecord, ...]:
    """Every municipality in the shipped list, in the list's order."""
    text = resources.files("jobtro.lib").joinpath("data/kommuner.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        MunicipalityRecord(
            code=row["kommunekode"], name=row["navn"], region_code=row["regionskode"], region=row["region"]
        )
        for row in rows
    )


def by_code() -> dict[str, MunicipalityRecord]:
    return {m.code: m for m in all_municipalities()}


def normalise_code(value: str | int) -> str:
    """Accept '101', 101 or '0101' and return the register form '0101'.

    Raises ValueError naming the value when it is not a known municipality code.
    """
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        raise ValueError(f"not a municipality code: {value!r} (expected up to 4 digits)")
    code = text.zfill(4)
    if code not in by_code():
        raise ValueError(f"unknown municipality code: {value!r}")
    return code
