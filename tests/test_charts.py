"""Charts (issue 5 point 5): coverage heatmaps and budget bars as PNG and SVG, Swedish labels,
the numbers of the analyses, deterministic output."""

from __future__ import annotations

import doctest
import io
import re
import xml.etree.ElementTree as ET

import pytest

from uvts.graph.analyses import find_table, run_all
from uvts.visualisations import charts
from uvts.visualisations.charts import CHARTS, chart_data, chart_figure, chart_png, chart_svg, write_charts

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def results(store):
    return run_all(store, seed=0, names=("coverage",))


@pytest.fixture(scope="module")
def svgs(results):
    return {name: chart_svg(name, results) for name in CHARTS}


@pytest.fixture(scope="module")
def pngs(results):
    return {name: chart_png(name, results, dpi=60) for name in CHARTS}


def svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == SVG_NS + "svg"
    return ["".join(t.itertext()).strip() for t in root.iter(SVG_NS + "text")]


def test_doctests():
    assert doctest.testmod(charts).failed == 0


@pytest.mark.parametrize("name", CHARTS)
def test_png_is_a_valid_picture_that_is_not_empty(pngs, name):
    from PIL import Image

    data = pngs[name]
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes every chunk: fails on a truncated or corrupt file
    assert image.format == "PNG"
    w, h = image.size
    assert w > 200 and h > 150
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 20  # drawn, not a blank canvas
    assert image.info.get("Software") == "Samverkanskartan (uvts)"


@pytest.mark.parametrize("name", CHARTS)
def test_svg_is_valid_xml_whose_labels_are_swedish_text(svgs, name):
    texts = svg_texts(svgs[name])
    assert charts.CHART_TITLES[name] in texts
    assert b"<path" in svgs[name]
    assert not re.search(rb"<dc:date>", svgs[name]), "no date in the metadata"


def test_heatmap_labels_are_in_the_svg(svgs):
    level = svg_texts(svgs["tackning-riskfaktor-niva"])
    for label in ("Universell", "Selektiv", "Indikerad", "Ingen nivå", "Preventionsnivå", "Riskfaktor",
                  "Psykisk ohälsa", "Antal insatser"):
        assert label in level, label
    joined = " ".join(level)
    assert "Sårbara familjeförhållanden" in joined
    dept = " ".join(svg_texts(svgs["tackning-riskfaktor-forvaltning"]))
    for label in ("Förvaltning", "Stöd och omsorg", "Förskolan", "Säkerhet", "Teknik och fastighet"):
        assert label in dept, label


@pytest.mark.parametrize("name, table", [("tackning-riskfaktor-niva", "risk_factor_by_level"),
                                         ("tackning-riskfaktor-forvaltning", "risk_factor_by_department")])
def test_heatmap_values_equal_the_analysis_matrix(results, svgs, name, table):
    import numpy as np

    t = find_table(results["coverage"], table)
    expected = [[c["value"] for c in row] for row in t["cells"]]
    assert any(v for row in expected for v in row)
    data = chart_data(name, results)
    assert data["values"] == expected
    assert data["rows"] == [r["label"] for r in t["rows"]]
    assert data["columns"] == [c["label"] for c in t["columns"]]
    # what is drawn: the image's pixels come from this array ...
    fig = chart_figure(name, results)
    drawn = fig.axes[0].images[0].get_array()
    assert np.array_equal(np.asarray(drawn), np.array(expected, dtype=float))
    # ... and each cell is annotated with its number, row by row, in the SVG
    root = ET.fromstring(svgs[name])
    numbers = [t.text for t in root.iter(SVG_NS + "text") if t.text and re.fullmatch(r"\d+", t.text.strip())]
    cells = [str(v) for row in expected for v in row]
    # the annotations come first among the plain numbers (axis ticks of the colour bar follow)
    assert numbers[: len(cells)] == cells


def test_budget_by_department_is_each_departments_addition(results, store):
    rows = store.select("""PREFIX uvts: <https://w3id.org/uvts/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?label ?budget WHERE { ?d a uvts:Department ; rdfs:label ?label ; uvts:budgetAddition ?budget }""")
    expected = {r["label"]: float(r["budget"]) for r in rows.values()}
    data = chart_data("budget-per-forvaltning", results)
    got = dict(zip(data["labels"], data["series"][0]["values"]))
    assert got == pytest.approx(expected)
    assert data["series"][0]["values"] == sorted(data["series"][0]["values"], reverse=True)
    fig = chart_figure("budget-per-forvaltning", results)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == pytest.approx([v / 1e6 for v in data["series"][0]["values"]])


def test_budget_by_risk_factor_equals_the_analysis_table(results):
    t = find_table(results["coverage"], "budget_by_risk_factor")
    data = chart_data("budget-per-riskfaktor", results)
    by_label = {r["label"]: r for r in t["rows"]}
    assert [s["label"] for s in data["series"]] == ["Lika delning", "Budgetposter"]
    for k, label in enumerate(data["labels"]):
        assert data["series"][0]["values"][k] == by_label[label]["equal_split"]
        assert data["series"][1]["values"][k] == by_label[label]["budget_items"]
    assert len(data["labels"]) >= 7
    texts = " ".join(svg_texts(chart_svg("budget-per-riskfaktor", results)))
    assert "Miljoner kronor" in texts and "Lika delning" in texts and "mnkr" in texts
    # Swedish decimal comma in the value labels
    assert re.search(r"\d+,\d mnkr", texts)


def test_output_is_deterministic(results, svgs, pngs):
    for name in CHARTS:
        assert chart_svg(name, results) == svgs[name]
        assert chart_png(name, results, dpi=60) == pngs[name]


def test_drawing_leaves_matplotlibs_global_settings_alone(results):
    import matplotlib

    before = dict(matplotlib.rcParams)
    chart_svg("tackning-riskfaktor-niva", results)
    assert matplotlib.rcParams["svg.hashsalt"] == before["svg.hashsalt"]
    assert matplotlib.rcParams["svg.fonttype"] == before["svg.fonttype"]


def test_unknown_chart_and_missing_analysis_are_clear_errors(results):
    with pytest.raises(KeyError, match="okänt diagram"):
        chart_data("cirkeldiagram", results)
    with pytest.raises(KeyError, match="täckningsanalysen"):
        chart_data("tackning-riskfaktor-niva", {"gaps": {}})


def test_write_charts_writes_png_and_svg(results, tmp_path):
    paths = write_charts(results, tmp_path / "diagram", names=("budget-per-forvaltning",))
    assert sorted(p.name for p in paths) == ["budget-per-forvaltning.png", "budget-per-forvaltning.svg"]
    assert paths[0].read_bytes().startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError, match="bildformat"):
        write_charts(results, tmp_path, formats=("gif",))


def test_charts_command(tmp_path, capsys):
    from uvts.api.cli import main

    out = tmp_path / "diagram"
    code = main(["charts", "--out", str(out), "--store", "memory", "--format", "svg"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.svg" for n in CHARTS)
    assert "Täckning: riskfaktor × förvaltning" in svg_texts((out / "tackning-riskfaktor-forvaltning.svg").read_bytes())
    assert main(["charts", "--out", str(out), "--store", "memory", "--plan", "Ingenstans"]) == 1
    assert "okänd plan" in capsys.readouterr().err
