"""Plots for the insight pages and the meeting packs: matplotlib drawn as inline SVG, one path for the
browser and the PDF. Pure (no Django): callers pass every text already translated and apply disclosure
control before they pass numbers.

Every function returns a :class:`Plot` whose ``svg`` is one ``<svg>`` element that scales to its
container (``width="100%"``, ``viewBox`` kept, no fixed height), carries ``role="img"`` with its own
``<title>`` and ``<desc>``, keeps text as text (searchable, small) and is byte-for-byte deterministic.
Element ids are prefixed with a per-plot id so several plots can share a page.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")  # no display; set before anything imports pyplot

from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.typing import RcKeyType

# DKFDS primary blue first, then Okabe-Ito (colour-blind safe) for further series.
PRIMARY = "#0059b3"
SERIES = (PRIMARY, "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#f0e442")
# Ordered belief levels, lowest to highest: a diverging red-to-blue palette (ColorBrewer RdBu, colour-blind
# safe) with a neutral grey middle, so "maybe" reads as neither side. Categories beyond the scale (such as
# "don't know") are light greys.
BELIEF = ("#b2182b", "#ef8a62", "#b3b3b3", "#67a9cf", "#2166ac")
EXTRA = ("#e3e3e3", "#f0f0f0", "#d0d0d0")
INK = "#1a1a1a"
MUTED = "#4d4d4d"
REFERENCE = "#767676"

_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text
    "svg.hashsalt": "jobtro",  # deterministic ids for clip paths and markers
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#8c8c8c",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.grid": False,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.8,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "xtick.color": "#8c8c8c",
    "ytick.color": "#8c8c8c",
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "text.color": INK,
    "lines.linewidth": 2.0,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
}
_METADATA: dict[str, Any] = {"Date": None, "Creator": None, "Format": None, "Type": None}
# rcParams are process-global: render one figure at a time so concurrent requests cannot mix styles.
_LOCK = threading.Lock()
_WIDTH = 6.4  # inches; about 460 pt, close to the text width of an A4 page


@dataclass(frozen=True)
class Plot:
    svg: str  # one inline <svg> element: width="100%", viewBox, role="img", <title>/<desc> of its own
    title: str
    alt: str  # the text alternative: 1-3 sentences stating the main numbers


@dataclass(frozen=True)
class Band:
    """One line with a 95 % band."""

    label: str
    x: Sequence[float]  # for trajectories: positions 0..k-1 and pass x_labels
    y: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]
    n: Sequence[int] | None = None


@dataclass(frozen=True)
class ForestRow:
    label: str
    estimate: float
    low: float
    high: float
    note: str = ""  # e.g. "n = 1.234"


# --- the plots ------------------------------------------------------------------------------------


def belief_distribution(
    categories: Sequence[str],
    waves: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    title: str,
    alt: str,
    decimal: str = ",",
) -> Plot:
    """100 % stacked bars, one per wave (first wave on top). ``categories`` run from the lowest belief to
    the highest; the first five get the diverging belief palette, any further ones (e.g. "don't know")
    light grey. ``counts[w][c]`` is the number of answers in wave ``w`` and category ``c``."""
    if len(counts) != len(waves) or any(len(row) != len(categories) for row in counts):
        raise ValueError("counts must have one row per wave and one column per category")
    if not waves or not categories:
        raise ValueError("belief_distribution needs at least one wave and one category")
    colours = _ordered_colours(len(categories))

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for w, row in enumerate(counts):
            total = sum(row)
            left = 0.0
            for c, count in enumerate(row):
                share = count / total if total else 0.0
                bar = ax.barh(w, share, left=left, height=0.62, color=colours[c], edgecolor="white", linewidth=0.8)
                bar.patches[0].set_gid(f"bar-{w}-{c}")
                if share >= 0.07:
                    ax.text(
                        left + share / 2,
                        w,
                        _percent(share, decimal),
                        ha="center",
                        va="center",
                        fontsize=9,
                        color=_text_on(colours[c]),
                    )
                left += share
            ax.annotate(
                f"n = {total}",
                xy=(1, w),
                xycoords=("axes fraction", "data"),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
                color=MUTED,
            )
        ax.set_yticks(range(len(waves)), list(waves))
        ax.set_ylim(len(waves) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _percent(v, decimal)))
        ax.xaxis.grid(True)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        handles = [Patch(facecolor=colours[c], edgecolor="white", label=label) for c, label in enumerate(categories)]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(categories), 3))

    height = 1.6 + 0.42 * len(waves) + 0.28 * math.ceil(len(categories) / 3)
    return _render(title, alt, draw, (_WIDTH, height))


def km_curves(
    curves: Sequence[Band],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    alt: str,
    steps: bool = True,
    percent: bool = True,
    ordered: bool = False,
    decimal: str = ",",
) -> Plot:
    """Step curves with their 95 % bands (cumulative share in job or education over time). With
    ``ordered`` the curves are belief levels, lowest first, and get the belief palette. ``n`` (if
    given) is the number at risk; its first value goes into the legend."""
    if not curves:
        raise ValueError("km_curves needs at least one curve")
    colours = _ordered_colours(len(curves)) if ordered else _series_colours(len(curves))

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for i, band in enumerate(curves):
            _check_band(band)
            label = band.label if not band.n else f"{band.label} (n = {band.n[0]})"
            where: Literal["post"] | None = "post" if steps else None
            if steps:
                (line,) = ax.step(band.x, band.y, where="post", color=colours[i], label=label, linewidth=1.8)
            else:
                (line,) = ax.plot(band.x, band.y, color=colours[i], label=label, linewidth=1.8)
            line.set_gid(f"line-{i}")
            fill = ax.fill_between(band.x, band.low, band.high, step=where, color=colours[i], alpha=0.15, lw=0)
            fill.set_gid(f"band-{i}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        if percent:
            ax.set_ylim(top=min(1.0, max(_finite_max(b.high for b in curves), 0.05) * 1.08))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _percent(v, decimal)))
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, decimal)))
        ax.set_xlim(left=0)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, decimal)))
        ax.yaxis.grid(True)
        _legend_below(fig, len(curves))

    return _render(title, alt, draw, (_WIDTH, 4.0 + _legend_rows(len(curves)) * 0.25))


def forest(
    rows: Sequence[ForestRow],
    *,
    title: str,
    xlabel: str,
    alt: str,
    reference: float = 1.0,
    log: bool = True,
    decimal: str = ",",
) -> Plot:
    """Estimates with their 95 % CIs, one row each (first on top), a dashed line at ``reference`` and the
    numbers written out on the right. A row whose estimate is not finite (could not be estimated) shows
    only its note."""
    if not rows:
        raise ValueError("forest needs at least one row")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        values = [reference]
        for i, row in enumerate(rows):
            text = row.note
            if _finite(row.estimate, row.low, row.high) and (not log or min(row.estimate, row.low) > 0):
                values += [row.low, row.high]
                (ci,) = ax.plot([row.low, row.high], [i, i], color=PRIMARY, linewidth=2, solid_capstyle="butt")
                ci.set_gid(f"ci-{i}")
                (point,) = ax.plot([row.estimate], [i], marker="s", markersize=7, color=PRIMARY, linestyle="none")
                point.set_gid(f"point-{i}")
                numbers = (
                    f"{_number(row.estimate, decimal, 2)} "
                    f"({_number(row.low, decimal, 2)}\u2013{_number(row.high, decimal, 2)})"
                )
                text = f"{numbers}   {row.note}" if row.note else numbers
            ax.annotate(
                text or "\u2013",
                xy=(1, i),
                xycoords=("axes fraction", "data"),
                xytext=(10, 0),
                textcoords="offset points",
                va="center",
                fontsize=9.5,
                color=INK,
            )
        ax.axvline(reference, color=REFERENCE, linestyle=(0, (4, 3)), linewidth=1).set_gid("reference")
        lo, hi = min(values), max(values)
        if log:
            ax.set_xscale("log")
            lo, hi = lo / 1.15, hi * 1.15
            ticks = _log_ticks(lo, hi, reference)
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_minor_locator(NullLocator())
        else:
            pad = (hi - lo) * 0.08 or 0.5
            lo, hi = lo - pad, hi + pad
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, decimal)))
        ax.set_yticks(range(len(rows)), [r.label for r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.xaxis.grid(True)
        ax.set_xlabel(xlabel)

    return _render(title, alt, draw, (_WIDTH * 0.8, 1.3 + 0.42 * len(rows)))


def trajectories(
    series: Sequence[Band],
    *,
    x_labels: Sequence[str],
    title: str,
    xlabel: str,
    ylabel: str,
    alt: str,
    ordered: bool = False,
    decimal: str = ",",
) -> Plot:
    """Lines with 95 % bands over the waves (``x`` are positions 0..k-1, ``x_labels`` their names). With
    one series its n per wave goes under the wave's label; with several, the legend gives each one's n."""
    if not series:
        raise ValueError("trajectories needs at least one series")
    colours = _ordered_colours(len(series)) if ordered else _series_colours(len(series))

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for i, band in enumerate(series):
            _check_band(band)
            label = band.label
            if band.n and len(series) > 1:
                label = f"{band.label} (n = {_range(band.n)})"
            fill = ax.fill_between(band.x, band.low, band.high, color=colours[i], alpha=0.14, lw=0)
            fill.set_gid(f"band-{i}")
            (line,) = ax.plot(band.x, band.y, marker="o", markersize=5, color=colours[i], label=label)
            line.set_gid(f"line-{i}")
        labels = list(x_labels)
        only = series[0]
        if len(series) == 1 and only.n and len(only.n) == len(only.x):
            by_x = {round(x): n for x, n in zip(only.x, only.n, strict=True)}
            labels = [f"{lab}\nn = {by_x[k]}" if k in by_x else lab for k, lab in enumerate(labels)]
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlim(-0.3, len(labels) - 0.7)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, decimal)))
        ax.yaxis.grid(True)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if len(series) > 1:
            _legend_below(fig, len(series))

    legend = _legend_rows(len(series)) * 0.25 if len(series) > 1 else 0.0
    return _render(title, alt, draw, (_WIDTH, 3.8 + legend))


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    low: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    title: str,
    ylabel: str,
    alt: str,
    percent: bool = False,
    notes: Sequence[str] | None = None,
    decimal: str = ",",
) -> Plot:
    """Horizontal bars, one per label (first on top), with 95 % CIs when ``low``/``high`` are given and the
    value written beside each bar. ``ylabel`` names the value axis. With ``percent`` the values are shares
    (0..1). A value that is not finite (e.g. hidden by disclosure control) draws no bar and shows its
    ``notes`` entry instead; a note beside a finite value follows the number (e.g. "n = 120")."""
    if len(values) != len(labels) or (low is not None and len(low) != len(labels)):
        raise ValueError("labels, values and low/high must have the same length")
    if (high is not None and len(high) != len(labels)) or (notes is not None and len(notes) != len(labels)):
        raise ValueError("labels, values and high/notes must have the same length")
    if (low is None) != (high is None):
        raise ValueError("give both low and high, or neither")
    if not labels:
        raise ValueError("bars needs at least one bar")

    def fmt(v: float) -> str:
        return _percent(v, decimal) if percent else _number(v, decimal, 2)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        tops = [0.0]
        for i, value in enumerate(values):
            note = notes[i] if notes else ""
            if not _finite(value):
                ax.annotate(note or "\u2013", xy=(0, i), xytext=(4, 0), textcoords="offset points", va="center")
                continue
            bar = ax.barh(i, value, height=0.62, color=PRIMARY)
            bar.patches[0].set_gid(f"bar-{i}")
            end = value
            if low is not None and high is not None and _finite(low[i], high[i]):
                ci = ax.errorbar(
                    value,
                    i,
                    xerr=[
                        [max(0.0, value - low[i])],
                        [max(0.0, high[i] - value)],
                    ],  # rounding can put a bound a hair inside
                    fmt="none",
                    ecolor=INK,
                    elinewidth=1.2,
                    capsize=4,
                )
                ci.lines[2][0].set_gid(f"ci-{i}")
                end = max(end, high[i])
            tops.append(end)
            text = f"{fmt(value)}   {note}" if note else fmt(value)
            ax.annotate(text, xy=(end, i), xytext=(5, 0), textcoords="offset points", va="center", fontsize=9.5)
        ax.set_yticks(range(len(labels)), list(labels))
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.xaxis.grid(True)
        top = max(tops)
        if percent:
            ax.set_xlim(0, max(1.0, top))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _percent(v, decimal)))
        else:
            ax.set_xlim(0, top * 1.12 if top > 0 else 1)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, decimal)))
        ax.set_xlabel(ylabel)

    return _render(title, alt, draw, (_WIDTH, 1.3 + 0.42 * len(labels)))


def calibration_curve(
    predicted: Sequence[float],
    observed: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    labels: Sequence[str],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    alt: str,
    decimal: str = ",",
) -> Plot:
    """Observed against predicted share (both 0..1), one point per group with its 95 % CI, each point
    labelled, and the diagonal of perfect calibration (dashed)."""
    k = len(predicted)
    if not (len(observed) == len(low) == len(high) == len(labels) == k) or k == 0:
        raise ValueError("predicted, observed, low, high and labels must have the same, non-zero length")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        (diagonal,) = ax.plot([0, 1], [0, 1], color=REFERENCE, linestyle=(0, (4, 3)), linewidth=1)
        diagonal.set_gid("diagonal")
        for i in range(k):
            if not _finite(predicted[i], observed[i]):
                continue
            if _finite(low[i], high[i]):
                (ci,) = ax.plot([predicted[i]] * 2, [low[i], high[i]], color=PRIMARY, linewidth=1.6)
                ci.set_gid(f"ci-{i}")
            (point,) = ax.plot([predicted[i]], [observed[i]], marker="o", markersize=7, color=PRIMARY, linestyle="none")
            point.set_gid(f"point-{i}")
            ax.annotate(
                labels[i],
                xy=(predicted[i], observed[i]),
                xytext=(7, -3),
                textcoords="offset points",
                fontsize=9.5,
                color=INK,
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(lambda v, _: _percent(v, decimal)))
        ax.grid(True)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)

    return _render(title, alt, draw, (_WIDTH * 0.72, _WIDTH * 0.72))


# --- drawing helpers ------------------------------------------------------------------------------

_LOG_TICKS = (0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0)


def _log_ticks(lo: float, hi: float, reference: float) -> list[float]:
    """Round ticks within (lo, hi) on a log axis, never closer than about a fifth of the axis to each other (so
    their labels do not run together), working outwards from the reference."""
    gap = 0.18 * math.log(hi / lo)
    inside = [t for t in _LOG_TICKS if lo <= t <= hi]
    ticks = [reference] if lo <= reference <= hi else []
    for side in ([t for t in inside if t > reference], [t for t in reversed(inside) if t < reference]):
        last = reference
        for t in side:
            if abs(math.log(t / last)) >= gap:
                ticks.append(t)
                last = t
    return sorted(ticks) or inside[:1] or [reference]


def _ordered_colours(k: int) -> list[str]:
    """The belief palette for ordered levels: five levels use it as is, fewer sample it from both ends,
    more than five add light greys (categories outside the scale, such as "don't know")."""
    if k >= len(BELIEF):
        return list(BELIEF) + [EXTRA[i % len(EXTRA)] for i in range(k - len(BELIEF))]
    if k == 1:
        return [BELIEF[-1]]
    return [BELIEF[round(i * (len(BELIEF) - 1) / (k - 1))] for i in range(k)]


def _series_colours(k: int) -> list[str]:
    return [SERIES[i % len(SERIES)] for i in range(k)]


def _text_on(colour: str) -> str:
    """Dark or white text, whichever reads better on the fill (relative luminance, WCAG)."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "white" if luminance < 0.28 else INK


def _legend_rows(k: int) -> int:
    return math.ceil(k / 3)


def _legend_below(fig: Figure, k: int) -> None:
    fig.legend(loc="outside lower center", ncols=min(k, 3))


def _check_band(band: Band) -> None:
    k = len(band.x)
    if not (len(band.y) == len(band.low) == len(band.high) == k) or (band.n is not None and len(band.n) != k):
        raise ValueError(f"band {band.label!r}: x, y, low, high (and n) must have the same length")


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _finite_max(groups: Any) -> float:
    found = [v for group in groups for v in group if _finite(v)]
    return max(found) if found else 1.0


def _range(ns: Sequence[int]) -> str:
    lo, hi = min(ns), max(ns)
    return str(lo) if lo == hi else f"{lo}\u2013{hi}"


def _number(value: float, decimal: str, digits: int | None = None) -> str:
    text = f"{value:.{digits}f}" if digits is not None else f"{value:.6g}"
    return text.replace("-", "\u2212").replace(".", decimal)


def _percent(share: float, decimal: str) -> str:
    pct = share * 100
    text = f"{pct:.0f}" if abs(pct - round(pct)) < 1e-9 or abs(pct) >= 10 or pct == 0 else f"{pct:.1f}"
    return f"{text.replace('.', decimal)} %"


# --- SVG output -----------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_ID = re.compile(r'\bid="([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_HREF = re.compile(r'xlink:href="#([^"]+)"')
_ROOT = re.compile(r"<svg\b([^>]*)>")
_VIEWBOX = re.compile(r'viewBox="([^"]+)"')


def _render(title: str, alt: str, draw: Callable[[Figure], None], size: tuple[float, float]) -> Plot:
    with _LOCK, matplotlib.rc_context(_RC):
        # A bare Figure, not pyplot: nothing is registered globally, so nothing needs closing or leaks.
        fig = Figure(figsize=size, layout="constrained")
        fig.suptitle(title, x=0.0, ha="left", fontsize=11, fontweight="bold")
        draw(fig)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.08, metadata=_METADATA)
    return Plot(svg=_finish(buffer.getvalue(), title, alt), title=title, alt=alt)


def _finish(raw: str, title: str, alt: str) -> str:
    """matplotlib's SVG document -> one inline element: no declaration or DOCTYPE, ids unique to this
    plot, scalable, labelled for screen readers."""
    svg = raw[raw.index("<svg") :].strip()
    pid = "plot-" + hashlib.sha256("\0".join((title, alt, svg)).encode()).hexdigest()[:12]

    def prefix_ids(tag: re.Match[str]) -> str:
        text = _ID.sub(lambda m: f'id="{pid}-{m.group(1)}"', tag.group(0))
        text = _URL.sub(lambda m: f"url(#{pid}-{m.group(1)})", text)
        return _HREF.sub(lambda m: f'xlink:href="#{pid}-{m.group(1)}"', text)

    root = _ROOT.match(svg)
    if root is None:  # pragma: no cover - matplotlib always writes one
        raise RuntimeError("matplotlib wrote no <svg> element")
    viewbox = _VIEWBOX.search(root.group(1))
    if viewbox is None:  # pragma: no cover
        raise RuntimeError("matplotlib wrote no viewBox")
    # Never wider than drawn: 10 pt text stays 10 pt on paper (about 13 px on screen), and every plot in a
    # pack has the same text size; narrower containers (a phone) scale it down.
    width = float(viewbox.group(1).split()[2])
    body = _TAG.sub(prefix_ids, svg[root.end() :])
    # matplotlib's one style rule (`*{stroke-linejoin: ...}`) would apply to the whole HTML page: scope it.
    body = body.replace('<style type="text/css">*{', f'<style type="text/css">#{pid} *{{', 1)
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'id="{pid}" width="100%" viewBox="{viewbox.group(1)}" preserveAspectRatio="xMidYMid meet" '
        f'style="max-width: {round(width)}pt; height: auto" '
        f'role="img" aria-labelledby="{pid}-title {pid}-desc">'
    )
    labels = f'<title id="{pid}-title">{escape(title)}</title><desc id="{pid}-desc">{escape(alt)}</desc>'
    return f"{opening}{labels}{body}"
