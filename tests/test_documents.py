"""Loading files: headers, page furniture, every supported format, fields under other names, and
bad input reported by name."""

import csv
import datetime
import gzip
import json
import re
from collections import Counter
from itertools import islice

import pytest
from conftest import CORPUS, write

from clinsearch import main
from indexer.documents import load_corpus, read_corpus

RELEASES = "data/globenewswire-biotech/releases.csv"
TRIALS = "data/clinicaltrials/ctgov-subset.jsonl.gz"
RELEASE_NUMBER = re.compile(r"/news-release/\d{4}/\d\d/\d\d/(\d+)/")


def test_seed_pages_lose_their_furniture_and_keep_their_facts(shared_dir):
    documents, problems = load_corpus(shared_dir / "seeds")
    assert problems == []
    assert len(documents) == 3  # the seeds' README.md is not a document
    text = {document.doc_id: document.title + "\n" + document.body for document in documents}
    for body in text.values():
        for furniture in ("Scroll to Top", "Shopping Cart", "valid Email", "sent to you every two weeks", "Disclaimer"):
            assert furniture not in body
    innocare = next(document for document in documents if "Zoleretinib" in document.title)
    assert "89.1%" in innocare.body and innocare.date == "2025-12-15" and innocare.source == "drugdu"


def test_markdown_header_fields_become_document_fields(tmp_path):
    write(
        tmp_path,
        "story.md",
        "---\ntitle: A title\ndate: 2024-05-01\ncompany: Acme\nsource: Acme\n"
        "url: https://example.org/a\nevent: approval\ndrugs: [AC-1]\n---\nAcme won approval for AC-1.\n",
    )
    [document], problems = load_corpus(tmp_path)
    assert problems == []
    assert (document.doc_id, document.title, document.date, document.company, document.url) == (
        "story",
        "A title",
        "2024-05-01",
        "Acme",
        "https://example.org/a",
    )
    assert document.metadata == {"event": "approval", "drugs": ["AC-1"]}


def test_html_pages_keep_the_article_and_drop_cookie_banners_and_forms(tmp_path):
    write(
        tmp_path,
        "page.html",
        """<html><head><title>Acme doses first patient</title>
        <meta property="article:published_time" content="2024-03-02T08:00:00Z">
        <link rel="canonical" href="https://example.org/news/1"></head>
        <body><nav>Home | News</nav><div class="cookie-banner">We use cookies to improve your experience.</div>
        <article><h1>Acme doses first patient in AC-7 trial</h1><p>Acme dosed the first patient.</p>
        <form>Sign up for our newsletter <input name=email></form></article>
        <footer>Scroll to Top</footer><script>var x = 1;</script></body></html>""",
    )
    [document], _ = load_corpus(tmp_path)
    assert document.title == "Acme doses first patient"
    assert document.date == "2024-03-02" and document.url == "https://example.org/news/1"
    assert document.body == "Acme dosed the first patient."


def test_beir_corpus_lines_keep_their_ids(tmp_path, shared_dir):
    lines = list(islice((shared_dir / "data/beir/scifact/corpus.jsonl").open(encoding="utf-8"), 5))
    write(tmp_path, "corpus.jsonl", "".join(lines))
    documents, problems = load_corpus(tmp_path)
    assert problems == []
    assert [document.doc_id for document in documents] == [json.loads(line)["_id"] for line in lines]
    assert all(document.title and document.body for document in documents)


def test_bad_files_and_records_are_reported_by_name_and_the_rest_is_loaded(tmp_path):
    write(tmp_path, "good.md", "---\ntitle: Good\n---\nA readable story.\n")
    write(tmp_path, "broken-header.md", "---\ntitle: Bad: colon: here\n---\nText.\n")
    write(tmp_path, "records.jsonl", '{"_id": "r1", "title": "R1", "text": "One."}\nnot json\n{"title": "no id"}\n')
    write(tmp_path, "broken.json", "{not json")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00garbage")
    documents, problems = load_corpus(tmp_path)
    assert sorted(document.doc_id for document in documents) == ["good", "r1"]
    reported = " ".join(str(problem) for problem in problems)
    for location in (
        "broken-header.md",
        "records.jsonl line 2",
        "records.jsonl line 3",
        "broken.json",
        "binary.txt",
    ):
        assert location in reported


def release_rows(shared_dir) -> list[dict]:
    with (shared_dir / RELEASES).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_our_own_header_format_needs_no_field_report():
    assert read_corpus(CORPUS).report.lines() == []


def test_nested_metadata_gives_the_globenewswire_releases_their_header_fields(globenewswire_dataset, shared_dir):
    rows = release_rows(shared_dir)
    by_url = {row["link"]: row for row in rows}
    corpus = read_corpus(globenewswire_dataset / "corpus.jsonl")
    assert corpus.problems == []
    assert len(corpus.documents) == len({RELEASE_NUMBER.search(row["link"]).group(1) for row in rows})
    for document in corpus.documents:
        row = by_url[document.url]
        assert (document.date, document.company, document.source) == (
            row["published_eastern"][:10],
            row["ticker"],
            "GlobeNewswire",
        )
        assert document.metadata.get("language", "") == row["language"]
        assert document.metadata["topic"] == row["topic"]
    report = corpus.report
    assert (report.read_as, report.missing) == (Counter(), Counter())
    assert report.unmapped == Counter({"topic": len(corpus.documents)})


def test_the_releases_csv_read_directly_gives_the_same_documents(globenewswire_dataset, shared_dir):
    rows = release_rows(shared_dir)
    corpus = read_corpus(shared_dir / RELEASES)
    assert corpus.problems == []
    assert [document.doc_id for document in corpus.documents] == [row["link"] for row in rows]
    nested = {document.url: document for document in load_corpus(globenewswire_dataset / "corpus.jsonl")[0]}
    compared = 0
    for document in corpus.documents:
        if document.url in nested:
            twin = nested.pop(document.url)
            assert (document.title, document.date, document.company) == (twin.title, twin.date, twin.company)
            assert document.body.split() == twin.body.split()
            compared += 1
    assert nested == {} and compared > 4000
    report = corpus.report
    assert report.read_as[("company", "ticker")] == report.read_as[("date", "published_eastern")] == len(rows)
    assert report.read_as[("body", "summary")] == sum(1 for row in rows if row["summary"].strip())
    assert report.missing == Counter({"source": len(rows)})
    assert report.unmapped == Counter(topic=len(rows), keywords=sum(1 for row in rows if row["keywords"]))
    text = "\n".join(report.lines())
    assert f"company ← ticker for {len(rows):,} documents: tickers, no company names" in text
    assert f"source in {len(rows):,} of {len(rows):,} documents" in text


def test_a_csv_row_repeating_a_url_or_without_text_is_reported_by_its_line(tmp_path, shared_dir):
    rows = release_rows(shared_dir)
    plain = next(row for row in rows if "\n" not in row["summary"])
    spanning = next(row for row in rows if "\n" in row["summary"])  # a quoted summary over several lines
    empty = dict(plain, title="", summary="", link="https://example.org/empty")
    with (tmp_path / "releases.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(plain), lineterminator="\n")
        writer.writeheader()
        writer.writerows([plain, spanning, plain, empty])
    first_line_of_third_row = 3 + spanning["summary"].count("\n") + 1
    documents, problems = load_corpus(tmp_path)
    assert [document.url for document in documents] == [plain["link"], spanning["link"]]
    assert [problem.location for problem in problems] == [
        f"releases.csv line {first_line_of_third_row}",
        f"releases.csv line {first_line_of_third_row + 1}",
    ]
    assert "duplicate document id" in problems[0].reason and "releases.csv line 2" in problems[0].reason
    assert "no text" in problems[1].reason


def test_the_clinicaltrials_subset_is_read_gzipped_with_the_registry_dates(shared_dir):
    with gzip.open(shared_dir / TRIALS, "rt", encoding="utf-8") as lines:
        records = {record["_id"]: record for record in map(json.loads, lines)}
    corpus = read_corpus(shared_dir / TRIALS)
    assert corpus.problems == [] and len(corpus.documents) == len(records)
    for document in corpus.documents:
        registry = records[document.doc_id]["metadata"]
        written = datetime.datetime.strptime(registry["date"], "%B %d, %Y").date().isoformat()
        assert (document.date, document.company, document.url) == (written, registry["sponsor"], registry["url"])
    assert next(document for document in corpus.documents if document.doc_id == "NCT00000102").date == "1999-11-03"
    assert corpus.report.read_as == Counter({("company", "sponsor"): len(records)})
    assert corpus.report.unmapped == Counter({"status": len(records)})


@pytest.mark.parametrize(
    "name, written, day",
    [
        ("date", "November 2, 1999", "1999-11-02"),
        ("pubDate", "Tue, 03 Dec 2024 10:00:00 GMT", "2024-12-03"),
        ("published_eastern", "2020-03-30 04:17:00-0400", "2020-03-30"),
        ("published_at", "2024-12-03T23:30:00-05:00", "2024-12-03"),  # the day as written, not the UTC one
        ("datePublished", "2024-05-01", "2024-05-01"),
        ("pub_date", "Dec. 3, 2024 10:00 ET", "2024-12-03"),
    ],
)
def test_dates_as_releases_and_registries_write_them_become_iso_days(tmp_path, name, written, day):
    record = {"_id": "r1", "title": "A title", "text": "A body.", "metadata": {name: written}}
    write(tmp_path, "records.jsonl", json.dumps(record) + "\n")
    [document], problems = load_corpus(tmp_path)
    assert (document.date, problems) == (day, [])


def test_top_level_fields_win_and_other_names_map_to_ours(tmp_path):
    record = {
        "_id": "a1",
        "title": "Acme licenses AC-1",
        "summary": "Acme licensed AC-1 to Beta.",
        "company": "Acme Inc.",
        "metadata": {"title": "Another title", "ticker": "ACME", "lang": "de", "link": "https://example.org/a1"},
    }
    write(tmp_path, "records.json", json.dumps([record]))
    corpus = read_corpus(tmp_path)
    [document] = corpus.documents
    assert (document.title, document.body, document.company, document.url) == (
        "Acme licenses AC-1",
        "Acme licensed AC-1 to Beta.",
        "Acme Inc.",
        "https://example.org/a1",
    )
    assert document.metadata == {"ticker": "ACME", "language": "de"}
    assert corpus.report.read_as == Counter({("url", "link"): 1, ("language", "lang"): 1, ("body", "summary"): 1})
    assert corpus.report.unmapped == Counter({"ticker": 1})


def test_an_unreadable_date_leaves_the_document_undated_and_is_reported(tmp_path):
    write(tmp_path, "fine.md", "---\ntitle: Fine\ndate: 2024-03-05\n---\nText.\n")
    write(tmp_path, "month.md", "---\ntitle: Month only\ndate: March 2024\n---\nText.\n")
    write(tmp_path, "soon.md", "---\ntitle: Soon\ndate: the day after tomorrow-ish\n---\nText.\n")
    corpus = read_corpus(tmp_path)
    assert corpus.problems == []
    assert {document.doc_id: document.date for document in corpus.documents} == {
        "fine": "2024-03-05",
        "month": "",
        "soon": "",
    }
    assert corpus.report.missing["date"] == 2
    assert corpus.report.unreadable_dates == [("month.md", "March 2024"), ("soon.md", "the day after tomorrow-ish")]
    assert "'March 2024' (month.md)" in "\n".join(corpus.report.lines())


def test_reindex_prints_the_field_report_once(runner, tmp_path, shared_dir):
    rows = release_rows(shared_dir)[:3]
    with (tmp_path / "releases.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(
        main, ["reindex", "--corpus", str(tmp_path / "releases.csv"), "--index", str(tmp_path / "ix"), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("company ← ticker for 3 documents") == 1
    assert "source in 3 of 3 documents" in result.output
