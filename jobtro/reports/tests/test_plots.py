"""The plots module (jobtro.reports.plots): every plot is one valid, labelled, scalable SVG element whose
marks match the data, hostile text stays text, and the output is deterministic."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from django.template import Context, Engine

from jobtro.reports import plots
from jobtro.reports.plots import Band, ForestRow, Plot

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & Co'
CATEGORIES = ["No, surely not", "No, probably not", "Maybe", "Yes, probably", "Yes, surely", "Don't know"]


def _band(label: str, k: int, shift: float = 0.0, n: list[int] | None = None) -> Band:
    y = [0.1 * i + shift for i in range(k)]
    return Band(label, list(range(k)), y, [v - 0.05 for v in y], [v + 0.05 for v in y], n)


def make_belief(title: str = "Belief per wave", alt: str = "Most answers are maybe.") -> Plot:
    counts = [[3, 10, 20, 12, 4, 1], [2, 11, 22, 15, 6, 0], [0, 0, 0, 0, 0, 0]]
    return plots.belief_distribution(CATEGORIES, ["Wave 1", "Wave 2", "Wave 3"], counts, title=title, alt=alt)


def make_km(title: str = "Job or education", alt: str = "Higher belief, more jobs.") -> Plot:
    curves = [_band(f"Belief {b}", 6, shift=0.02 * b, n=[100 - b] * 6) for b in range(1, 6)]
    return plots.km_curves(curves, title=title, xlabel="Weeks", ylabel="Share", alt=alt, ordered=True)


def make_forest(title: str = "Hazard ratios", alt: str = "One step more belief: HR 1.33.") -> Plot:
    rows = [
        ForestRow("Specific belief", 1.33, 1.12, 1.58, "n = 1234"),
        ForestRow("General belief", 1.32, 0.95, 1.80),
        ForestRow("Change of caseworker", 0.78, 0.62, 0.98),
        ForestRow("Too few events", math.nan, math.nan, math.nan, "too few events"),
    ]
    return plots.forest(rows, title=title, xlabel="Hazard ratio", alt=alt)


def make_trajectories(title: str = "Belief over waves", alt: str = "Belief rose a little.") -> Plot:
    series = [_band("Town A", 4, 3.0, [120, 110, 115, 100]), _band("Town B", 4, 2.8, [80, 70, 75, 60])]
    labels = ["W1", "W2", "W3", "W4"]
    return plots.trajectories(series, x_labels=labels, title=title, xlabel="Wave", ylabel="Mean", alt=alt)


def make_bars(title: str = "Response rate", alt: str = "Between 64 and 91 %.") -> Plot:
    nan = math.nan
    return plots.bars(
        ["Town A", "Town B", "Town C", "Town D"],
        [0.82, 0.64, nan, 0.91],
        low=[0.78, 0.58, nan, 0.85],
        high=[0.86, 0.70, nan, 0.95],
        notes=["n = 340", "n = 210", "too few to show", "n = 40"],
        title=title,
        ylabel="Response rate",
        alt=alt,
        percent=True,
    )


def make_calibration(title: str = "Calibration", alt: str = "Close to the diagonal.") -> Plot:
    return plots.calibration_curve(
        [0.1, 0.2, 0.35, 0.5, 0.7],
        [0.15, 0.22, 0.3, 0.55, 0.6],
        [0.08, 0.15, 0.22, 0.45, 0.48],
        [0.22, 0.3, 0.38, 0.65, 0.72],
        ["1", "2", "3", "4", "5"],
        title=title,
        xlabel="Expected",
        ylabel="Observed",
        alt=alt,
    )


MAKERS: dict[str, Callable[..., Plot]] = {
    "belief_distribution": make_belief,
    "km_curves": make_km,
    "forest": make_forest,
    "trajectories": make_trajectories,
    "bars": make_bars,
    "calibration_curve": make_calibration,
}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output under test, not untrusted input


def _ids(root: ET.Element, kind: str) -> list[str]:
    """The ids of the marks of one kind (e.g. "bar", "line") the module tagged in the drawing."""
    pattern = re.compile(rf"^plot-[0-9a-f]+-{kind}-[0-9-]+$")
    return [el.attrib["id"] for el in root.iter() if pattern.match(el.attrib.get("id", ""))]


@pytest.mark.parametrize("name", MAKERS)
def test_it_returns_one_labelled_scalable_svg_element(name: str) -> None:
    plot = MAKERS[name](title="The title", alt="The main numbers.")
    assert plot.svg.startswith("<svg ")
    assert "<?xml" not in plot.svg and "<!DOCTYPE" not in plot.svg
    root = parse(plot.svg)
    assert root.tag == f"{SVG}svg"
    assert root.attrib["width"] == "100%"
    assert "height" not in root.attrib
    assert len(root.attrib["viewBox"].split()) == 4
    assert root.attrib["role"] == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert title.text == "The title" and desc.text == "The main numbers."
    assert root.attrib["aria-labelledby"].split() == [title.attrib["id"], desc.attrib["id"]]
    assert (plot.title, plot.alt) == ("The title", "The main numbers.")
    # Text stays text (searchable in the PDF, small): no glyphs drawn as paths.
    assert any(el.tag == f"{SVG}text" for el in root.iter())


@pytest.mark.parametrize("name", MAKERS)
def test_it_escapes_hostile_text(name: str) -> None:
    plot = MAKERS[name](title=HOSTILE, alt=HOSTILE)
    root = parse(plot.svg)  # would fail on a raw "&" or an unbalanced tag
    assert "<script" not in plot.svg
    assert not any(el.tag.endswith("script") for el in root.iter())
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == HOSTILE


def test_it_escapes_hostile_labels_in_the_drawing() -> None:
    plot = plots.bars([HOSTILE, "B"], [0.5, 0.7], title="t", ylabel="y", alt="a", percent=True)
    root = parse(plot.svg)
    assert "<script" not in plot.svg
    assert any(HOSTILE in (el.text or "") for el in root.iter(f"{SVG}text"))


@pytest.mark.parametrize("name", MAKERS)
def test_it_is_deterministic(name: str) -> None:
    assert MAKERS[name]().svg == MAKERS[name]().svg


def test_ids_are_unique_within_and_across_plots() -> None:
    svgs = [make() for make in MAKERS.values()]
    ids = [el.attrib["id"] for p in svgs for el in parse(p.svg).iter() if "id" in el.attrib]
    assert len(ids) == len(set(ids))
    for p in svgs:  # every internal reference points at an id of the same plot
        own = {el.attrib["id"] for el in parse(p.svg).iter() if "id" in el.attrib}
        refs = re.findall(r'url\(#([^)]+)\)|xlink:href="#([^"]+)"', p.svg)
        assert refs and all((a or b) in own for a, b in refs)


def test_belief_distribution_draws_one_segment_per_wave_and_category() -> None:
    root = parse(make_belief().svg)
    assert len(_ids(root, "bar")) == 3 * len(CATEGORIES)
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert "n = 50" in texts and "n = 56" in texts and "n = 0" in texts
    assert "40 %" in texts  # 20 of 50 say maybe in wave 1


def test_belief_distribution_rejects_a_ragged_table() -> None:
    with pytest.raises(ValueError):
        plots.belief_distribution(["a", "b"], ["w1"], [[1, 2, 3]], title="t", alt="a")


def test_km_curves_draw_one_line_and_band_per_curve() -> None:
    root = parse(make_km().svg)
    assert len(_ids(root, "line")) == 5 and len(_ids(root, "band")) == 5
    assert "Belief 1 (n = 99)" in [el.text for el in root.iter(f"{SVG}text")]


def test_forest_draws_a_point_for_each_estimable_row() -> None:
    root = parse(make_forest().svg)
    assert len(_ids(root, "point")) == 3 and len(_ids(root, "ci")) == 3
    texts = [el.text or "" for el in root.iter(f"{SVG}text")]
    assert "1,33 (1,12\u20131,58)   n = 1234" in texts  # the numbers written out, Danish decimal comma
    assert "too few events" in texts


def test_forest_writes_a_decimal_point_when_asked() -> None:
    plot = plots.forest([ForestRow("x", 1.5, 1.2, 1.9)], title="t", xlabel="HR", alt="a", decimal=".")
    assert "1.50 (1.20\u20131.90)" in plot.svg


def test_trajectories_draw_one_line_per_series() -> None:
    root = parse(make_trajectories().svg)
    assert len(_ids(root, "line")) == 2 and len(_ids(root, "band")) == 2
    assert "Town A (n = 100\u2013120)" in [el.text for el in root.iter(f"{SVG}text")]


def test_bars_draw_a_bar_for_each_shown_value_and_the_note_for_a_hidden_one() -> None:
    root = parse(make_bars().svg)
    assert len(_ids(root, "bar")) == 3 and len(_ids(root, "ci")) == 3
    texts = [el.text or "" for el in root.iter(f"{SVG}text")]
    assert "too few to show" in texts and "82 %   n = 340" in texts


def test_bars_tolerate_a_bound_a_rounding_error_inside_the_value() -> None:
    # A Wilson interval for 10 of 10 can end a hair below 1.0.
    plot = plots.bars(["a"], [1.0], low=[0.72], high=[1.0 - 1e-12], title="t", ylabel="y", alt="a", percent=True)
    assert len(_ids(parse(plot.svg), "bar")) == 1


def test_calibration_draws_each_point_with_its_interval() -> None:
    root = parse(make_calibration().svg)
    assert len(_ids(root, "point")) == 5 and len(_ids(root, "ci")) == 5


def test_it_leaves_no_figure_open() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for make in MAKERS.values():
        make()
    assert plt.get_fignums() == before


def test_the_snippet_renders_the_svg_and_the_text_alternative() -> None:
    plot = make_bars(alt="Response 82 % <b>")
    # A bare engine: the snippet needs no tag library, so the test does not depend on the project's.
    engine = Engine(dirs=[str(Path(plots.__file__).resolve().parents[1] / "templates")])
    html = engine.get_template("reports/_plot.html").render(Context({"plot": plot}))
    assert html.strip().startswith('<figure class="jobtro-plot"><svg ')
    assert "<figcaption>Response 82 % &lt;b&gt;</figcaption>" in html


def test_forest_ticks_do_not_crowd_a_narrow_log_axis() -> None:
    ticks = plots._log_ticks(0.3, 3.9, 1.0)
    assert 1.0 in ticks and ticks == sorted(ticks)
    gaps = [math.log(b / a) for a, b in itertools.pairwise(ticks)]
    assert min(gaps) >= 0.18 * math.log(3.9 / 0.3)
    assert 0.5 in ticks and 2.0 in ticks and 0.75 not in ticks
