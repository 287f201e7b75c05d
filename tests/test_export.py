"""web/export.py (and its routes in web/items.py): CSV, RIS and JSON exports of a search's
results (up to EXPORT_MAX) and of a record with its related items."""

from __future__ import annotations

import csv
import io
import re

import pytest
from werkzeug.http import parse_options_header

from search.engine import SearchEngine
from search.models import SearchRequest
from web import create_app
from web.export import (
    COLUMNS,
    EXPORT_MAX,
    Entry,
    attachment,
    cell,
    page_range,
    search_entries,
    to_csv,
)

RIS_LINE = re.compile(r"^[A-Z][A-Z0-9]  - (.*)$")
MELANOMA_TRIALS = ["NCT00002845", "NCT00003222", "NCT00002786", "NCT00006022"]


def ris_records(text: str) -> list[list[tuple[str, str]]]:
    """Parse RIS strictly: CRLF lines, `XX  - value`, TY first and ER last in each record."""
    assert "\n" not in text.replace("\r\n", "")
    records: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] | None = None
    for line in text.split("\r\n"):
        if not line:
            assert current is None, "a blank line inside a record"
            continue
        m = RIS_LINE.match(line)
        assert m, f"not a RIS line: {line!r}"
        tag, value = line[:2], m.group(1)
        if tag == "TY":
            assert current is None, "TY before the previous record's ER"
            current = []
        assert current is not None, f"{tag} outside a record"
        current.append((tag, value))
        if tag == "ER":
            assert line == "ER  - "
            records.append(current)
            current = None
    assert current is None, "the last record has no ER"
    return records


def tags(record: list[tuple[str, str]], tag: str) -> list[str]:
    return [v for t, v in record if t == tag]


def download(client, url: str, mimetype: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return response


# -- search exports ----------------------------------------------------------------------------
def test_search_ris_is_well_formed_one_record_per_hit(client):
    hits = client.get("/api/search?q=melanoma&type=trial&size=100").get_json()["hits"]
    response = download(
        client, "/export/search.ris?q=melanoma&type=trial", "application/x-research-info-systems"
    )
    assert response.headers["Content-Disposition"] == 'attachment; filename="search.ris"'
    records = ris_records(response.get_data(as_text=True))
    assert len(records) == len(hits) == 4
    assert [tags(r, "AN")[0] for r in records] == [h["id"] for h in hits]
    [first] = [r for r in records if tags(r, "AN") == ["NCT00002845"]]
    assert first[0] == ("TY", "DBASE")
    assert tags(first, "TI") == ["Interleukin-2 in Treating Patients With Metastatic Melanoma"]
    assert tags(first, "UR") == [  # the source's page, then this site's (absolute)
        "https://clinicaltrials.gov/study/NCT00002845",
        "http://localhost/trial/NCT00002845",
    ]
    assert tags(first, "DB") == ["ClinicalTrials.gov"]
    assert tags(first, "PY") == ["1995"]


def test_article_ris_fields(client):
    response = download(
        client, "/export/search.ris?q=34091420&limit=1", "application/x-research-info-systems"
    )
    [record] = ris_records(response.get_data(as_text=True))
    assert record[0] == ("TY", "JOUR")
    assert tags(record, "AU")[:3] == ["Gogas, Helen", "Dummer, Reinhard", "Ascierto, Paolo A"]
    assert tags(record, "JO") == ["European journal of cancer (Oxford, England : 1990)"]
    assert tags(record, "JA") == ["Eur J Cancer"]
    assert tags(record, "PY") == ["2021"] and tags(record, "DA") == ["2021/06/03"]
    assert tags(record, "UR") == [
        "https://pubmed.ncbi.nlm.nih.gov/34091420/",
        "http://localhost/article/34091420",
    ]
    assert tags(record, "AB")[0].startswith("In COLUMBUS, treatment with encorafenib")


def test_search_csv_has_the_columns_and_the_hits_in_order(client):
    hits = client.get("/api/search?q=melanoma&size=100").get_json()
    response = download(client, "/export/search.csv?q=melanoma", "text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == COLUMNS
    assert [r["id"] for r in rows] == [h["id"] for h in hits["hits"]]
    assert len(rows) == hits["total"]
    trial = next(r for r in rows if r["id"] == "NCT00006022")
    assert trial["conditions"] == "Kidney Cancer; Melanoma (Skin)"
    assert trial["interventions"] == "aldesleukin; bryostatin 1"
    assert (trial["relation"], trial["status"], trial["url"]) == (
        "hit",
        "COMPLETED",
        "http://localhost/trial/NCT00006022",
    )


def test_search_json_says_total_exported_and_maximum(client):
    response = download(
        client, "/export/search.json?q=melanoma&type=trial&limit=4", "application/json"
    )
    data = response.get_json()
    assert (data["total"], data["exported"], data["max"]) == (4, 4, EXPORT_MAX)
    assert data["query"] == {"q": "melanoma", "type": "trial"}
    hits = client.get("/api/search?q=melanoma&type=trial&size=4").get_json()["hits"]
    assert [r["record"]["nct_id"] for r in data["records"]] == [h["id"] for h in hits]
    assert set(MELANOMA_TRIALS) >= {h["id"] for h in hits}


def test_export_pages_through_the_results(index_dir):
    engine = SearchEngine(index_dir)
    req = SearchRequest(q="", size=10)
    total, entries = search_entries(engine, req, limit=EXPORT_MAX, page_size=10)
    assert total == len(entries) == 77  # every fixture record, in 8 pages of 10
    assert len({e.record["type"] + str(e.url) for e in entries}) == 77
    total, entries = search_entries(engine, req, limit=25, page_size=10)
    assert (total, len(entries)) == (77, 25)


@pytest.mark.parametrize("limit", ["0", str(EXPORT_MAX + 1), "all"])
def test_export_limit_is_bounded(client, limit):
    response = client.get(f"/export/search.csv?q=melanoma&limit={limit}")
    assert response.status_code == 400
    assert f"limit must be a whole number from 1 to {EXPORT_MAX:,}".replace(",", "") in (
        response.get_data(as_text=True).replace(",", "")
    )


def test_export_refuses_what_search_refuses(client):
    assert client.get("/export/search.csv?q=melanoma&bogus=1").status_code == 400
    assert client.get("/export/search.csv?q=ab*").status_code == 400  # too short a prefix
    assert client.get("/export/search.csv?q=year:abc").status_code == 200  # words (issue 17)
    assert client.get("/export/search.xml?q=melanoma").status_code == 404


# -- record exports ----------------------------------------------------------------------------
def test_record_ris_holds_the_record_then_its_related_items(client):
    related = client.get("/api/records/NCT00003117/related").get_json()
    response = download(
        client, "/export/record/NCT00003117.ris", "application/x-research-info-systems"
    )
    records = ris_records(response.get_data(as_text=True))
    expected = [i["id"] for k in ("trials", "articles", "mesh") for i in related[k]]
    assert [tags(r, "AN")[0] for r in records] == ["NCT00003117", *expected]
    kinds = {"trials": "DBASE", "articles": "JOUR", "mesh": "DICT"}
    assert [r[0][1] for r in records] == ["DBASE"] + [
        kinds[k] for k in ("trials", "articles", "mesh") for _ in related[k]
    ]
    assert tags(records[0], "N1") == []
    first_article = 1 + len(related["trials"])
    assert tags(records[first_article], "N1") == [
        "Related article: names NCT00003117 in its abstract"
    ]
    assert tags(records[-1], "TI") == ["Lung Neoplasms"]
    assert tags(records[-1], "UR") == [
        "https://meshb.nlm.nih.gov/record/ui?ui=D008175",
        "http://localhost/mesh/D008175",
    ]


def test_record_csv_and_json(client):
    response = download(client, "/export/record/32951293.csv", "text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (rows[0]["relation"], rows[0]["id"], rows[0]["reason"]) == ("record", "32951293", "")
    assert (rows[1]["relation"], rows[1]["id"]) == ("trial", "NCT00003117")
    assert rows[1]["reason"] == "this article names NCT00003117 in its abstract"
    assert rows[0]["journal"] == "The oncologist"
    data = download(client, "/export/record/32951293.json", "application/json").get_json()
    assert data["id"] == "32951293"
    assert data["records"][0]["record"]["pmid"] == "32951293"
    assert [r["relation"] for r in data["records"]][:2] == ["record", "trial"]
    assert data["totals"]["trials"] == len([r for r in rows if r["relation"] == "trial"])


def test_exports_link_to_the_configured_base_url(index_dir):
    """BASE_URL (a proxy's public address) wins over the address the request came to; the
    JSON export keeps its site-relative `url`."""
    config = {"INDEX_DIR": str(index_dir), "TESTING": True, "BASE_URL": "https://t.example/"}
    client = create_app(config).test_client()
    response = download(client, "/export/record/32951293.csv", "text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["url"] for r in rows[:2]] == [
        "https://t.example/article/32951293",
        "https://t.example/trial/NCT00003117",
    ]
    ris = client.get("/export/search.ris?q=NCT00002845&limit=1").get_data(as_text=True)
    assert "UR  - https://t.example/trial/NCT00002845\r\n" in ris
    data = client.get("/export/record/32951293.json").get_json()
    assert data["records"][0]["url"] == "/article/32951293"


def test_record_export_of_an_unknown_id_is_404(client):
    assert client.get("/export/record/NCT99999999.ris").status_code == 404


def test_head_on_an_export_answers_without_building_it(index_dir):
    """HEAD did the whole export (4.8 s). Here every search overruns its deadline (a
    microsecond): GET ends with a 503, HEAD answers with the download's headers."""
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True, "REQUEST_TIMEOUT": 1e-6})
    client = app.test_client()
    assert client.get("/export/search.csv?q=melanoma").status_code == 503
    head = client.head("/export/search.csv?q=melanoma")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert head.headers["Content-Disposition"] == 'attachment; filename="search.csv"'
    assert "Content-Length" not in head.headers  # unknown without building the body
    for refused in ("q=ab*", "q=melanoma&mode=doctor", "q=melanoma&sort=x", "limit=0"):
        assert client.head(f"/export/search.ris?{refused}").status_code == 400, refused
    record = client.head("/export/record/NCT00003117.ris")
    assert record.status_code == 200 and record.data == b""
    assert record.headers["Content-Disposition"] == 'attachment; filename="NCT00003117.ris"'
    assert client.head("/export/record/NCT99999999.ris").status_code == 404


@pytest.mark.parametrize(
    "name, filename",
    [
        ("NCT00003117.ris", "NCT00003117.ris"),
        ("NCT\"; filename*=UTF-8''evil.exe; x=\".csv", "NCT_filename_UTF-8_evil.exe_x_.csv"),
        ("../../etc/passwd.csv", "etc_passwd.csv"),
        ("a\r\nSet-Cookie: x=1.json", "a_Set-Cookie_x_1.json"),
        ('"""', "export"),
    ],
)
def test_download_names_cannot_add_header_parameters(name, filename):
    """An id holding `"` injected into Content-Disposition (issue 15)."""
    value = attachment(name)
    assert parse_options_header(value) == ("attachment", {"filename": filename})
    assert value == f'attachment; filename="{filename}"'


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://example.invalid","x")', "@SUM(A1:A9)", "+1", "-2+3", "\t=1", "\r=1"],
)
def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(index_dir, value):
    """OWASP's CSV injection: a cell starting with = + - @ tab or CR is read as a formula."""
    assert cell(value) == "'" + value
    trial = SearchEngine(index_dir).get("NCT00006022")  # a real record, its title replaced
    text = to_csv([Entry({**trial, "brief_title": value}, "hit")])
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["title"] == "'" + value
    assert row["conditions"] == "Kidney Cancer; Melanoma (Skin)"  # other cells unchanged


@pytest.mark.parametrize("value", ["", "melanoma", "'=x", " =1", "5-FU", "IL-2"])
def test_csv_cells_that_are_not_formulas_are_unchanged(value):
    assert cell(value) == value


def test_search_export_url_keeps_the_search_but_not_the_paging(app):
    from flask import render_template_string

    url = "/search?q=melanoma&type=trial&type=article&page=2&size=20&sort=newest"
    with app.test_request_context(url):
        rendered = render_template_string("{{ search_export_url('ris') }}")
    assert (
        rendered == "/export/search.ris?q=melanoma&amp;type=trial&amp;type=article&amp;sort=newest"
    )
    with app.test_request_context("/search"):
        assert render_template_string("{{ search_export_url('csv') }}") == "/export/search.csv"


def test_results_page_links_to_its_exports(client):
    html = client.get("/search?q=melanoma&type=trial").get_data(as_text=True)
    for fmt in ("csv", "ris", "json"):
        assert f"/export/search.{fmt}?q=melanoma&amp;type=trial" in html


@pytest.mark.parametrize(
    "pages, start_end",
    [
        ("5305-5315", ("5305", "5315")),
        ("133-9", ("133", "139")),  # MEDLINE's shortened end page written out
        ("e1234", ("e1234", "")),
        ("12-5, 30", ("12", "15")),
        ("", ("", "")),
    ],
)
def test_page_range(pages, start_end):
    assert page_range(pages) == start_end


# -- chosen records -----------------------------------------------------------------------------
def test_chosen_records_export_exactly_those_in_their_order(client):
    chosen = ["D008545", "NCT00002845", "426555"]
    query = "&".join(f"id={i}" for i in [*chosen, "NCT00002845"])  # twice: once
    text = download(client, f"/export/records.csv?{query}", "text/csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["id"], r["type"], r["url"]) for r in rows] == [
        ("D008545", "mesh", "http://localhost/mesh/D008545"),
        ("NCT00002845", "trial", "http://localhost/trial/NCT00002845"),
        ("426555", "article", "http://localhost/article/426555"),
    ]
    ris = download(client, f"/export/records.ris?{query}", "application/x-research-info-systems")
    records = ris_records(ris.get_data(as_text=True))
    assert [tags(r, "AN") for r in records] == [[i] for i in chosen]
    assert [tags(r, "TY") for r in records] == [["DICT"], ["DBASE"], ["JOUR"]]
    assert "X-Export-Missing" not in ris.headers


def test_chosen_ids_no_record_has_are_skipped_and_named(client):
    response = client.get("/export/records.json?id=NCT00002845&id=NCT99999999&id=1")
    assert response.status_code == 200
    assert response.headers["X-Export-Missing"] == "NCT99999999 1"
    data = response.get_json()
    assert (data["ids"], data["exported"], data["missing"]) == (
        ["NCT00002845", "NCT99999999", "1"], 1, ["NCT99999999", "1"])  # fmt: skip
    assert [r["record"]["nct_id"] for r in data["records"]] == ["NCT00002845"]
    gone = client.get("/export/records.csv?id=NCT99999999")
    assert gone.status_code == 404
    assert "None of the 1 chosen records is in the index any more" in gone.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("", "Tick one or more records to export (the boxes next to the results)."),
        ("id=+", "Tick one or more records to export (the boxes next to the results)."),
        ("&".join(f"id={n}" for n in range(101)),
         "Export at most 100 chosen records at once; this asks for 101."),
        ("id=NCT00002845%22%3E", "is not a record id (an NCT number, a PMID or a MeSH UI)."),
        ("id=" + "1" * 21, "is not a record id"),
        ("id=NCT00002845&q=melanoma", "Unknown parameter 'q': name the records with id."),
    ],
)  # fmt: skip
def test_chosen_exports_refuse_with_a_sentence(client, query, sentence):
    response = client.get(f"/export/records.json?{query}")
    assert response.status_code == 400
    assert sentence in response.get_json()["error"]
    assert client.get(f"/export/records.csv?{query}").status_code == 400


def test_every_record_of_a_full_page_can_be_chosen(client):
    ids = client.get("/api/search?size=100").get_json()["hits"]
    query = "&".join(f"id={h['id']}" for h in ids)
    assert len(ids) == 77
    data = client.get(f"/export/records.json?{query}").get_json()
    assert data["exported"] == 77 and data["missing"] == []


def test_results_page_has_a_box_per_hit_and_the_chosen_export_form(client):
    import lxml.html

    doc = lxml.html.fromstring(client.get("/search?q=melanoma&size=5").get_data(as_text=True))
    hits = doc.xpath("//ol[@class='hits']/li")
    boxes = doc.xpath("//ol[@class='hits']/li/input[@type='checkbox']")
    assert len(boxes) == len(hits) == 5
    assert all(b.get("name") == "id" and b.get("form") == "chosen" for b in boxes)
    ids = [li.xpath("string(.//h2/a/@href)").rsplit("/", 1)[-1] for li in hits]
    assert [b.get("value") for b in boxes] == ids
    for box in boxes:  # each box has its label
        assert doc.xpath(f"//label[@for='{box.get('id')}']/text()") == [
            f"Choose {box.get('value')} for export"
        ]
    form = doc.xpath("//form[@id='chosen']")[0]
    assert (form.get("method"), form.get("action")) == ("get", "/export/records.csv")
    buttons = form.xpath(".//button[@type='submit']")
    assert [b.text for b in buttons] == ["CSV", "RIS"]
    assert buttons[1].get("formaction") == "/export/records.ris"
    assert not form.xpath(".//input")  # the form sends the ticked ids, nothing else
