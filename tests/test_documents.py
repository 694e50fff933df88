"""Loading files: headers, page furniture, every supported format, and bad input reported by name."""

import json
from itertools import islice

from conftest import write

from indexer.documents import load_corpus


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
    write(tmp_path, "bad-date.md", "---\ntitle: Bad date\ndate: the day after tomorrow-ish\n---\nText.\n")
    write(tmp_path, "records.jsonl", '{"_id": "r1", "title": "R1", "text": "One."}\nnot json\n{"title": "no id"}\n')
    write(tmp_path, "broken.json", "{not json")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00garbage")
    documents, problems = load_corpus(tmp_path)
    assert sorted(document.doc_id for document in documents) == ["good", "r1"]
    reported = " ".join(str(problem) for problem in problems)
    for location in (
        "broken-header.md",
        "bad-date.md",
        "records.jsonl line 2",
        "records.jsonl line 3",
        "broken.json",
        "binary.txt",
    ):
        assert location in reported
