"""Danish CPR numbers: parsing, validation and the facts a number carries (birth date, sex).

Rules (DOMAIN.md): format DDMMYY-SSSS, hyphen optional; the century follows from the 7th digit and YY;
a modulus-11 failure is only a *warning* because numbers issued since 1 October 2007 may fail it and
are fully valid. A bad format or an impossible date is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
# ASCII digits only: ``\d`` would also accept e.g. Arabic-Indic or full-width digits, which int() reads,
# so "٠١٠١٩٠١٢٣٤" would parse and ``CPR.number`` would not be the canonical 10 ASCII digits.
_PATTERN = re.compile(r"([0-9]{6})-?([0-9]{4})")


class CPRError(ValueError):
    """The text is not a CPR number.

    Parameters
    ----------
    code : str
        Stable key for programs and translations: ``"format"``, ``"date"`` or ``"century"``.
    reason : str
        Short English reason, safe to show and to log.
    value : str
        The rejected input. Kept as an attribute for the caller (e.g. to redisplay a form field) but
        deliberately left out of the message: exception messages end up in logs and error reports,
        and a rejected value is often a real CPR number with a typo (DOMAIN.md: CPR is sensitive).
    """

    def __init__(self, code: str, reason: str, value: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class CPR:
    """A parsed CPR number.

    Attributes
    ----------
    number : str
        The canonical 10 ASCII digits without hyphen. Left out of ``repr()`` so that a CPR object in a
        traceback, log line or debugger dump does not reveal the number.
    birth_date : datetime.date
        The birth date, with the century from the 7th digit.
    female : bool
        True when the last digit is even.
    modulus11_ok : bool
        Whether the number passes the modulus-11 check (a failure is only a warning).
    """

    number: str = field(repr=False)
    birth_date: date
    female: bool
    modulus11_ok: bool

    @property
    def formatted(self) -> str:
        """The number as DDMMYY-SSSS."""
        return f"{self.number[:6]}-{self.number[6:]}"

    @property
    def sex(self) -> str:
        """``"F"`` or ``"M"``, from the last digit."""
        return "F" if self.female else "M"

    @property
    def warnings(self) -> tuple[str, ...]:
        """Non-fatal findings: ``("modulus11",)`` when the modulus-11 check fails, else ``()``."""
        # Not an error: CPR numbers issued since 1 October 2007 may legitimately fail modulus 11.
        return () if self.modulus11_ok else ("modulus11",)


def century(seventh_digit: int, yy: int) -> int | None:
    """The century (1800, 1900 or 2000) for the 7th digit and two-digit year, or None if impossible.

    Raises
    ------
    ValueError
        If ``seventh_digit`` is not 0-9 or ``yy`` not 0-99.
    """
    if not 0 <= seventh_digit <= 9 or not 0 <= yy <= 99:
        raise ValueError("digit out of range")
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    # 5-8
    if yy <= 36:
        return 2000
    if yy <= 57:
        return None
    return 1800


def modulus11_ok(number: str) -> bool:
    """Whether the 10 digits pass the modulus-11 check (weights 4,3,2,7,6,5,4,3,2,1).

    Raises
    ------
    ValueError
        If ``number`` is not exactly 10 digits.
    """
    return sum(int(d) * w for d, w in zip(number, _WEIGHTS, strict=True)) % 11 == 0


def parse(value: str) -> CPR:
    """Parse a CPR number (DDMMYY-SSSS or DDMMYYSSSS; surrounding whitespace ignored).

    Raises
    ------
    CPRError
        With ``code`` ``"format"``, ``"century"`` or ``"date"``. A modulus-11 failure is not an error;
        it shows in :attr:`CPR.warnings`.
    """
    text = value.strip() if isinstance(value, str) else ""
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise CPRError("format", "not a CPR number (expected DDMMYY-SSSS, 10 digits)", str(value))
    number = match.group(1) + match.group(2)
    dd, mm, yy = int(number[0:2]), int(number[2:4]), int(number[4:6])
    base = century(int(number[6]), yy)
    if base is None:
        raise CPRError("century", "the 7th digit does not fit the birth year", str(value))
    try:
        born = date(base + yy, mm, dd)
    except ValueError:
        raise CPRError("date", "the first six digits are not a date", str(value)) from None
    return CPR(number=number, birth_date=born, female=int(number[9]) % 2 == 0, modulus11_ok=modulus11_ok(number))


def is_valid(value: str) -> bool:
    """Whether :func:`parse` accepts ``value`` (modulus-11 warnings do not count against it)."""
    try:
        parse(value)
    except CPRError:
        return False
    return True


def seventh_digits_for(year: int) -> tuple[int, ...]:
    """The 7th digits that put a birth in ``year`` (the inverse of the century table)."""
    yy = year % 100
    return tuple(d for d in range(10) if century(d, yy) == year - yy)


def build(birth_date: date, female: bool, serial: int, modulus11: bool = True) -> str:
    """A syntactically valid CPR number for a birth date and sex (for simulation and tests).

    Parameters
    ----------
    birth_date : datetime.date
        The birth date; 1858-01-01 to 2036-12-31 (the range the century table can express).
    female : bool
        Sex; the last digit is even for female, odd for male.
    serial : int
        Picks among the numbers available for that date and sex, deterministically.
    modulus11 : bool, default True
        When true the number satisfies the modulus-11 check (as every number issued before
        October 2007 does); when false it fails it (as some issued since do).

    Returns
    -------
    str
        10 digits without hyphen.

    Raises
    ------
    ValueError
        If the date cannot be expressed (before 1858 or after 2036).
    """
    digits = seventh_digits_for(birth_date.year)
    if not digits:
        raise ValueError(f"no CPR century digit for {birth_date.year}")
    prefix = f"{birth_date.day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"
    # The weighted sum is computed once for the fixed digits and extended arithmetically, rather than
    # re-checking whole candidate strings: the simulator builds 300,000 numbers.
    prefix_sum = sum(int(d) * w for d, w in zip(prefix, _WEIGHTS, strict=False))
    parities = range(0 if female else 1, 10, 2)
    # Digits 7-10: the century digit, two free digits, and the sex digit (even = female).
    pool = len(digits) * 100
    for step in range(pool):
        k = (serial + step) % pool
        seventh, middle = digits[k // 100], k % 100
        partial = prefix_sum + 4 * seventh + 3 * (middle // 10) + 2 * (middle % 10)
        for last in parities:
            if ((partial + last) % 11 == 0) == modulus11:
                return f"{prefix}{seventh}{middle:02d}{last}"
    raise ValueError(f"no CPR number available for {birth_date} (female={female})")
