"""Hostile and oversized input: each bad document is reported by name and the rest are indexed.

Deep nesting, YAML aliases, script links, endless bodies and repeated ids are written into
``tmp_path`` here, so each test shows the input it guards against.
"""

import json

import pytest
from conftest import write

from clinsearch import main
from indexer.documents import read_corpus
from indexer.limits import DEFAULT_MAX_DOCUMENT_CHARS, MAX_NESTING
from search.errors import ClinsearchError
from search.pipeline import Searcher

# A 9 × 9 × 9 × 9 × 9 expansion in about 400 bytes: 59,049 copies of "lol" once aliases are followed.
ALIAS_BOMB = (
    "---\ntitle: Aliases\n"
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "---\nA body.\n"
)
UNPARSABLY_DEEP = "[" * 100_000  # deeper than Python's json or PyYAML can recurse


def record(doc_id: str, **fields) -> str:
    return json.dumps({"id": doc_id, "title": f"Title of {doc_id}", "text": f"Text of {doc_id}.", **fields})


def nested(levels: int):
    """A value of ``levels`` lists, one inside the other."""
    value = []
    for _ in range(levels - 1):
        value = [value]
    return value


def reasons(corpus) -> dict[str, str]:
    return {problem.location: problem.reason for problem in corpus.problems}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "JaVaScRiPt:alert(document.domain)",
        " \tjavascript:alert(1)",
        "java\tscript:alert(1)",  # a browser drops the tab and runs it
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//elsewhere.example/page",  # no scheme of its own: not a link we can vouch for
    ],
)
def test_a_link_that_is_not_http_or_https_is_left_out_and_reported(tmp_path, url):
    write(tmp_path, "story.md", f"---\ntitle: A story\nurl: {json.dumps(url)}\n---\nA body.\n")
    write(tmp_path, "records.jsonl", record("r1", url=url) + "\n")
    corpus = read_corpus(tmp_path)
    assert corpus.problems == []
    assert {document.doc_id: document.url for document in corpus.documents} == {"story": "", "r1": ""}
    assert list(corpus.report.dropped_urls) == [("records.jsonl line 1", url.strip()), ("story.md", url.strip())]
    assert "Links left out, as only http and https ones are kept: 2" in "\n".join(corpus.report.lines())


def test_http_and_https_links_in_any_case_are_kept(tmp_path):
    lines = [record("plain", url="http://example.org/a"), record("upper", url=" HTTPS://EXAMPLE.ORG/B ")]
    write(tmp_path, "records.jsonl", "\n".join(lines) + "\n")
    corpus = read_corpus(tmp_path)
    assert [document.url for document in corpus.documents] == ["http://example.org/a", "HTTPS://EXAMPLE.ORG/B"]
    assert corpus.report.dropped_urls == []


def test_json_nested_too_deeply_is_reported_by_file_and_line_and_the_rest_are_read(tmp_path):
    write(tmp_path, "deep.json", UNPARSABLY_DEEP)
    write(tmp_path, "fine.json", json.dumps([json.loads(record("a1")), {"id": "a2", "text": "x", "tree": nested(40)}]))
    lines = [
        record("j1"),
        UNPARSABLY_DEEP,
        record("j3", tree=nested(MAX_NESTING - 1)),  # the record object and its lists: just within the limit
        record("j4", tree=nested(MAX_NESTING)),  # one level more
    ]
    write(tmp_path, "lines.jsonl", "\n".join(lines) + "\n")
    corpus = read_corpus(tmp_path)
    assert sorted(document.doc_id for document in corpus.documents) == ["a1", "j1", "j3"]
    too_deep = f"is nested more than {MAX_NESTING} levels deep; skipped"
    assert reasons(corpus) == {
        "deep.json": too_deep,
        "fine.json item 2": too_deep,
        "lines.jsonl line 2": too_deep,
        "lines.jsonl line 4": too_deep,
    }


def test_a_header_with_yaml_aliases_is_refused_by_name_and_the_rest_are_read(tmp_path):
    write(tmp_path, "aliases.md", ALIAS_BOMB)
    write(tmp_path, "anchor-only.md", "---\ntitle: Anchored\ndrugs: &drugs [AC-1]\n---\nA body.\n")
    corpus = read_corpus(tmp_path)
    assert [(document.doc_id, document.metadata) for document in corpus.documents] == [
        ("anchor-only", {"drugs": ["AC-1"]})
    ]
    assert reasons(corpus) == {
        "aliases.md": "its header repeats a value by YAML alias (line 4), which is not read; skipped"
    }


@pytest.mark.parametrize(
    "name, text",
    [
        ("yaml.md", f"---\ntitle: Deep\ntree: {UNPARSABLY_DEEP}\n---\nA body.\n"),
        ("yaml-within-reach.md", f"---\ntitle: Deep\ntree: {json.dumps(nested(MAX_NESTING))}\n---\nA body.\n"),
        ("json-header.md", f'{{\n"title": "Deep", "tree": {UNPARSABLY_DEEP}\n}}\nA body.\n'),
    ],
)
def test_a_header_nested_too_deeply_is_reported_by_name(tmp_path, name, text):
    write(tmp_path, name, text)
    write(tmp_path, "fine.md", "---\ntitle: Fine\n---\nA body.\n")
    corpus = read_corpus(tmp_path)
    assert [document.doc_id for document in corpus.documents] == ["fine"]
    assert reasons(corpus) == {name: f"its header is nested more than {MAX_NESTING} levels deep; skipped"}


def test_a_body_over_the_default_limit_is_cut_at_a_word_and_reported_with_its_length(tmp_path):
    sentence = "Acme dosed the first patient in its phase 2 trial of AC-1. "
    body = sentence * (DEFAULT_MAX_DOCUMENT_CHARS // len(sentence) + 10)
    write(tmp_path, "long.txt", "A long release\n" + body)
    write(tmp_path, "short.txt", "A short release\n" + sentence)
    corpus = read_corpus(tmp_path)
    long, short = corpus.documents
    assert DEFAULT_MAX_DOCUMENT_CHARS - len(" patient") <= len(long.body) <= DEFAULT_MAX_DOCUMENT_CHARS
    assert body.startswith(long.body) and body[len(long.body)] == " "  # no word cut in two
    assert short.body == sentence.strip()
    assert list(corpus.report.cut_bodies) == [("long.txt", len(body.strip()))]
    assert (
        f"Bodies cut to their first {DEFAULT_MAX_DOCUMENT_CHARS:,} characters (CLINSEARCH_MAX_DOCUMENT_CHARS), "
        f"the rest not indexed: 1, as long.txt ({len(body.strip()):,} characters)."
    ) in corpus.report.lines()


def test_the_body_limit_is_set_by_the_environment_and_a_bad_value_is_refused(tmp_path, monkeypatch):
    write(tmp_path, "records.jsonl", record("r1", text="word " * 100) + "\n")
    monkeypatch.setenv("CLINSEARCH_MAX_DOCUMENT_CHARS", "52")
    [document] = read_corpus(tmp_path).documents
    assert document.body == ("word " * 10).strip()
    for bad in ("0", "-5", "2MB"):
        monkeypatch.setenv("CLINSEARCH_MAX_DOCUMENT_CHARS", bad)
        with pytest.raises(ClinsearchError, match=f"CLINSEARCH_MAX_DOCUMENT_CHARS='{bad}' is not a whole number"):
            read_corpus(tmp_path)


def test_a_repeated_id_in_json_lines_names_both_lines(tmp_path):
    write(tmp_path, "records.jsonl", "\n".join([record("r1"), record("r2"), record("r1", title="Again")]) + "\n")
    corpus = read_corpus(tmp_path)
    assert [document.title for document in corpus.documents] == ["Title of r1", "Title of r2"]
    assert reasons(corpus) == {
        "records.jsonl line 3": "duplicate document id 'r1' (first at records.jsonl line 1); skipped"
    }


def test_reindex_of_a_folder_of_bad_documents_indexes_the_good_ones_and_names_each_bad_one(
    runner, tmp_path, monkeypatch
):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "good-approval.md", "---\ntitle: Acme wins approval for AC-1\n---\nRegulators approved AC-1.\n")
    write(corpus, "good-trial.jsonl", record("good-trial", url="https://example.org/trial") + "\n")
    write(corpus, "deep.json", UNPARSABLY_DEEP)
    write(corpus, "deep-line.jsonl", record("line-1") + "\n" + UNPARSABLY_DEEP + "\n" + record("line-1") + "\n")
    write(corpus, "aliases.md", ALIAS_BOMB)
    write(corpus, "script-link.md", "---\ntitle: Script link\nurl: javascript:alert(document.domain)\n---\nText.\n")
    write(corpus, "long.txt", "A long release\n" + "Acme enrolled another patient. " * 400)
    monkeypatch.setenv("CLINSEARCH_MAX_DOCUMENT_CHARS", "2000")
    result = runner.invoke(main, ["reindex", "--corpus", str(corpus), "--index", str(index), "--quiet"])
    assert result.exit_code == 0, result.output
    for skipped in (
        "skipped deep.json: is nested more than",
        "skipped deep-line.jsonl line 2: is nested more than",
        "skipped deep-line.jsonl line 3: duplicate document id 'line-1' (first at deep-line.jsonl line 1)",
        "skipped aliases.md: its header repeats a value by YAML alias",
        "4 file(s) or record(s) skipped",
        "Links left out, as only http and https ones are kept: 1, as 'javascript:alert(document.domain)' "
        "(script-link.md).",
        "the rest not indexed: 1, as long.txt (12,399 characters).",
    ):
        assert skipped in result.output
    searcher = Searcher(index)
    assert searcher.manifest["documents"] == 5
    assert searcher.document("good-approval")["title"] == "Acme wins approval for AC-1"
    assert searcher.document("good-trial")["url"] == "https://example.org/trial"
    assert searcher.document("script-link")["url"] == ""
    assert len(searcher.document("long")["body"]) <= 2000
