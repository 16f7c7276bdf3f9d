"""A step progress bar for long command-line jobs (imports, spells). Pure: no Django.

On a terminal the bar redraws one line in place; when the output is a file or a pipe (a cron job's
log) it writes one line per step, so the log shows how long each step took.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

WIDTH = 24


class Output(Protocol):
    def write(self, text: str, /) -> object: ...
    def flush(self) -> object: ...


class StepBar:
    """Call the instance with a step's name as the step starts; :meth:`done` when everything is.

    ``out`` is a plain stream (a management command passes ``self.stderr._out``: Django's wrapper would
    end every write with a newline, which breaks redrawing the line in place)."""

    def __init__(self, steps: Sequence[str], out: Output, *, title: str = "") -> None:
        self.steps = list(steps)
        self.out = out
        self.title = title
        self.started = time.perf_counter()
        self.step_started = self.started
        self.current: str | None = None
        self.tty = bool(getattr(out, "isatty", lambda: False)())

    def __call__(self, step: str) -> None:
        self._finish_step()
        self.current = step
        self.step_started = time.perf_counter()
        if self.tty:
            self._draw(step)

    def _position(self, step: str) -> int:
        return self.steps.index(step) if step in self.steps else len(self.steps) - 1

    def _draw(self, step: str) -> None:
        filled = WIDTH * self._position(step) // max(1, len(self.steps))
        bar = "#" * filled + "-" * (WIDTH - filled)
        elapsed = time.perf_counter() - self.started
        self.out.write(f"\r{self.title} [{bar}] {step:<12} {elapsed:6.1f} s")
        self.out.flush()

    def _finish_step(self) -> None:
        if self.current is not None and not self.tty:
            took = time.perf_counter() - self.step_started
            number = self._position(self.current) + 1
            self.out.write(f"{self.title} [{number}/{len(self.steps)}] {self.current}: {took:.1f} s\n")
            self.out.flush()

    def done(self) -> float:
        """End the bar; returns the total seconds."""
        self._finish_step()
        self.current = None
        total = time.perf_counter() - self.started
        if self.tty:
            self.out.write(f"\r{self.title} [{'#' * WIDTH}] {'':<12} {total:6.1f} s\n")
            self.out.flush()
        return total
