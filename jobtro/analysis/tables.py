"""Reading an analysis' input table (CSV or Parquet) into polars, with one clear line when it fails."""

from __future__ import annotations

from pathlib import Path

import polars as pl


class TableError(ValueError):
    """The file cannot be read as a table; the message names the file and why, in one line."""


def _separator(path: Path) -> str:
    """Comma, unless the header line has semicolons or tabs and no commas (Danish Excel writes ';')."""
    with path.open("rb") as handle:
        header = handle.readline()
    if b"," not in header:
        if b";" in header:
            return ";"
        if b"\t" in header:
            return "\t"
    return ","


def read_table(name: str | Path) -> pl.DataFrame:
    """Read a CSV file (comma, semicolon or tab separated; ``NA`` and empty fields are missing) or a
    Parquet file (by its ``.parquet`` suffix).

    Raises
    ------
    TableError
        The file does not exist, cannot be read, is empty or is not a table.
    """
    path = Path(name)
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(
                path, separator=_separator(path), infer_schema_length=None, null_values=["NA"], try_parse_dates=False
            )
    except OSError as exc:
        raise TableError(f"{path}: {exc.strerror or type(exc).__name__}") from None
    except pl.exceptions.NoDataError:
        raise TableError(f"{path}: the file is empty") from None
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TableError(
            f"{path}: cannot be read as a {'Parquet' if path.suffix == '.parquet' else 'CSV'} table ({first})"
        ) from None
    if frame.height == 0:
        raise TableError(f"{path}: the table has no rows")
    return frame
