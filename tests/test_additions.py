"""Adding documents to an index without reading its corpus (``reindex --add``): the real
GlobeNewswire releases indexed without a few of them, those few then added, answer every judged
query as a reindex of the whole corpus does, with the near-duplicate groups of an index built
from nothing, in one index and in three shards; a shard the additions do not reach is linked,
not rewritten."""

import json
import os
import shutil

import pytest
from conftest import ROOT

from indexer.additions import add_documents
from indexer.build import reindex, shard_of
from indexer.changes import MAX_SEGMENTS
from search.embedded.index_format import open_generation
from search.errors import ClinsearchError
from search.pipeline import Searcher

pytestmark = pytest.mark.slow  # indexes the GlobeNewswire releases
JUDGED = ROOT / "bench" / "judged" / "globenewswire" / "queries.jsonl"
SHARDS = 3  # as conftest's sharded_globenewswire_index
UNTOUCHED_SHARD = 2


def judged_queries() -> list[str]:
    return [json.loads(line)["text"] for line in JUDGED.open(encoding="utf-8") if line.strip()]


def held_out_ids(searcher: Searcher) -> list[str]:
    """Releases to leave out and add back: the first version of one near-duplicate group (so the
    group is renamed while it is missing), a later version of another, and three releases on
    their own; none routed to ``UNTOUCHED_SHARD`` of three, nor any member of their groups."""
    table = searcher.current().table
    groups: dict[str, list[str]] = {}
    for doc_id in table.doc_ids:
        groups.setdefault(table.group_of[doc_id], []).append(doc_id)
    away = [
        sorted(members)
        for members in groups.values()
        if all(shard_of(doc_id, SHARDS) != UNTOUCHED_SHARD for doc_id in members)
    ]
    pairs = [members for members in away if len(members) >= 2]
    alone = [members[0] for members in away if len(members) == 1]
    first, later = pairs[0], pairs[1]
    return [table.group_of[first[0]], next(m for m in later if m != table.group_of[later[0]]), *alone[:3]]


def without_then_added(dataset, index, held: list[str], tmp_path) -> tuple[Searcher, Searcher, object, object]:
    """A copy of ``index`` reindexed without the ``held`` releases; then two copies of that: one
    given them by ``--add``, one reindexed from the whole corpus. Both embed the held releases'
    passages afresh, alike, so their vectors are equal (the model's last bits depend on the
    batch, so the index built from nothing may differ from both in a cosine's last digits)."""
    lines = (dataset / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if json.loads(line)["_id"] not in held]
    (tmp_path / "without.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    (tmp_path / "held.jsonl").write_text(
        "\n".join(sorted(set(lines) - set(kept), key=lines.index)) + "\n", encoding="utf-8"
    )
    without, added, reindexed = tmp_path / "without", tmp_path / "added", tmp_path / "reindexed"
    shutil.copytree(index, without, copy_function=os.link)
    reindex(tmp_path / "without.jsonl", without, show_progress=False)
    before = open_generation(without)
    for copy in (added, reindexed):
        shutil.copytree(without, copy, copy_function=os.link)
    report = add_documents(tmp_path / "held.jsonl", added, show_progress=False)
    reindex(dataset / "corpus.jsonl", reindexed, show_progress=False)
    return Searcher(added), Searcher(reindexed), before, report


def assert_answers_alike(added: Searcher, reindexed: Searcher, whole: Searcher) -> None:
    assert added.current().table.group_of == reindexed.current().table.group_of == whole.current().table.group_of
    fingerprints = {searcher.current().manifest["corpus_fingerprint"] for searcher in (added, reindexed, whole)}
    assert len(fingerprints) == 1
    for query in judged_queries():
        for mode in ("hybrid", "keyword"):
            ours, theirs = added.search(query, mode=mode), reindexed.search(query, mode=mode)
            assert ours["total"] == theirs["total"], (query, mode)
            assert [hit["doc_id"] for hit in ours["hits"]] == [hit["doc_id"] for hit in theirs["hits"]], (query, mode)


def test_added_releases_answer_as_if_indexed_with_all_the_others(
    globenewswire_dataset, globenewswire_index, globenewswire, tmp_path
):
    held = held_out_ids(globenewswire)
    added, reindexed, before, report = without_then_added(globenewswire_dataset, globenewswire_index, held, tmp_path)
    whole_groups = globenewswire.current().table.group_of
    renamed = [doc_id for doc_id, group in whole_groups.items() if group == held[0] and doc_id != held[0]]
    assert renamed, "the held-out first version has later versions in the index"
    assert (report.changed, report.incremental, report.documents) == (len(held), True, len(whole_groups))
    assert_answers_alike(added, reindexed, globenewswire)
    assert all(added.current().table.group_of[doc_id] == held[0] for doc_id in renamed)  # named after it again


def test_additions_to_shards_rewrite_only_the_shards_they_reach(
    globenewswire_dataset, sharded_globenewswire_index, globenewswire, tmp_path
):
    held = held_out_ids(globenewswire)
    added, reindexed, before, report = without_then_added(
        globenewswire_dataset, sharded_globenewswire_index, held, tmp_path
    )
    assert report.shards == SHARDS
    assert_answers_alike(added, reindexed, Searcher(sharded_globenewswire_index))
    untouched = before.shards[UNTOUCHED_SHARD].path
    now = added.current().shard.shards[UNTOUCHED_SHARD]
    linked = [path for path in untouched.rglob("*") if path.is_file()]
    assert linked and all(
        (now.generation.path / path.relative_to(untouched)).stat().st_ino == path.stat().st_ino for path in linked
    )


def test_adding_a_changed_release_replaces_it_and_an_unchanged_one_changes_nothing(
    globenewswire_dataset, globenewswire_index, tmp_path
):
    directory = tmp_path / "index"
    shutil.copytree(globenewswire_index, directory, copy_function=os.link)
    searcher = Searcher(directory)
    first = json.loads((globenewswire_dataset / "corpus.jsonl").open(encoding="utf-8").readline())
    (tmp_path / "same.jsonl").write_text(json.dumps(first) + "\n", encoding="utf-8")
    current = open_generation(directory).name
    report = add_documents(tmp_path / "same.jsonl", directory, show_progress=False)
    assert (report.changed, report.generation) == (0, current)

    first["text"] += " The zorbivalent cohort enrolled its last patient."
    (tmp_path / "changed.jsonl").write_text(json.dumps(first) + "\n", encoding="utf-8")
    report = add_documents(tmp_path / "changed.jsonl", directory, show_progress=False)
    assert (report.changed, report.documents) == (1, searcher.current().manifest["documents"])
    assert [hit["doc_id"] for hit in searcher.search("zorbivalent", mode="keyword")["hits"]] == [first["_id"]]
    assert "zorbivalent" in searcher.document(first["_id"])["body"]


def test_adding_to_a_folder_without_an_index_says_what_to_do_first(globenewswire_dataset, tmp_path):
    with pytest.raises(ClinsearchError, match="no index to add to; build one first"):
        add_documents(globenewswire_dataset / "corpus.jsonl", tmp_path / "empty", show_progress=False)


def release(doc_id: str, date: str, text: str) -> str:
    return json.dumps({"_id": doc_id, "title": f"Acme news {doc_id}", "text": text, "date": date, "company": "Acme"})


READOUT = " ".join(f"Acme reported that cohort {n} of the AC-1 trial met its primary endpoint." for n in range(12))
FILING = " ".join(f"Acme filed module {n} of the AC-2 marketing application with the agency." for n in range(12))


def test_a_replaced_first_version_that_now_retells_other_news_leaves_its_old_group_named_anew(tmp_path):
    """R and B are one news item (named after R, the earlier); R replaced by a retelling of Q:
    R joins Q's group, and B, alone now, is its own group, as an index built from nothing has it."""
    before = [release("Q", "2026-03-01", FILING), release("R", "2026-01-01", READOUT)]
    before.append(release("B", "2026-01-02", READOUT + " Details follow."))
    replacement = release("R", "2026-03-01", FILING + " Correction.")
    (tmp_path / "before.jsonl").write_text("\n".join(before) + "\n", encoding="utf-8")
    (tmp_path / "replacement.jsonl").write_text(replacement + "\n", encoding="utf-8")
    (tmp_path / "after.jsonl").write_text("\n".join([before[0], replacement, before[2]]) + "\n", encoding="utf-8")
    reindex(tmp_path / "before.jsonl", tmp_path / "added", show_progress=False)
    assert Searcher(tmp_path / "added").current().table.group_of == {"Q": "Q", "R": "R", "B": "R"}
    add_documents(tmp_path / "replacement.jsonl", tmp_path / "added", show_progress=False)
    reindex(tmp_path / "after.jsonl", tmp_path / "built", show_progress=False)
    built = Searcher(tmp_path / "built").current().table.group_of
    assert built == {"Q": "Q", "R": "Q", "B": "B"}
    assert Searcher(tmp_path / "added").current().table.group_of == built


def test_additions_that_pile_up_segments_advise_a_reindex_from_the_corpus(tmp_path):
    (tmp_path / "first.jsonl").write_text(release("A0", "2026-01-01", READOUT) + "\n", encoding="utf-8")
    reindex(tmp_path / "first.jsonl", tmp_path / "index", show_progress=False)
    advice = []
    for number in range(1, MAX_SEGMENTS + 1):
        added = tmp_path / f"added-{number}.jsonl"
        added.write_text(
            release(f"A{number}", f"2026-02-{number:02d}", f"{FILING} Part {number}.") + "\n", encoding="utf-8"
        )
        advice.append(add_documents(added, tmp_path / "index", show_progress=False).advice)
    assert advice[0] == "" and "a reindex from the corpus (--corpus) compacts it" in advice[-1]
