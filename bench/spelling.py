"""Spelling correctors side by side on the GlobeNewswire releases: accuracy, false suggestions, time, memory.

    python bench/spelling.py [--releases PATH] [--scale CORPUS.jsonl] [--json out.json]

The vocabulary is the releases' titles and summaries as ``search.spelling`` counts them; a small
Whoosh index of the same texts, analysed as the product does, says which words the index knows
and serves Whoosh's own corrector. Every candidate follows the same rules (``search.spelling``):
words of 5+ letters, one edit under 9 letters and two from 9, same first letter. Test words:

- ``MISSPELLINGS``: typos of drug names, company names, indications and trial words that occur in
  the releases; right when the correction is the intended word;
- ``RARE``: correctly spelled words held by 1–3 releases; any correction of one is false (asked
  of the corrector directly: in the product ``is_known`` keeps them from it altogether);
- ``ABSENT``: real drug, target and company names that the releases never mention and that
  are not typos of anything in them; any correction is false.

``--scale`` adds the cost at scale: counting the words of a large corpus (what deriving the
vocabulary when a generation opens would cost), reading the vocabulary file, and building each
candidate over it.
"""

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from globenewswire import RELEASES, release_records
from measure import percentiles, record, table
from whoosh import fields
from whoosh import index as whoosh_index
from whoosh.spelling import ListCorrector

from search.analysis import domain_analyzer
from search.spelling import Speller, allowed_edits, count_words

MISSPELLINGS = {
    # drug names (INNs and a few brands)
    "pembrolizumb": "pembrolizumab", "nivolumb": "nivolumab", "adalimuab": "adalimumab",
    "bevacizimab": "bevacizumab", "lecanamab": "lecanemab", "semaglitude": "semaglutide",
    "toclizumab": "tocilizumab", "aflibercet": "aflibercept", "daratumamab": "daratumumab",
    "epcoritimab": "epcoritamab", "denosumb": "denosumab", "trastuzamab": "trastuzumab",
    "ustekinimab": "ustekinumab", "atezolizumb": "atezolizumab", "ubilituximab": "ublituximab",
    "golimunab": "golimumab", "ipilumumab": "ipilimumab", "cemiplinab": "cemiplimab",
    "mirdametnib": "mirdametinib", "nirogacstat": "nirogacestat", "lifleucel": "lifileucel",
    "vedolizumb": "vedolizumab", "tofacitnib": "tofacitinib", "briquilumab": "briquilimab",
    "zuranalone": "zuranolone", "tebentafsup": "tebentafusp",
    # company names
    "theraputics": "therapeutics", "bioscineces": "biosciences", "pharmaceutcals": "pharmaceuticals",
    "immunotheraputics": "immunotherapeutics", "regenron": "regeneron", "novratis": "novartis",
    "astrazenca": "astrazeneca", "squib": "squibb", "phizer": "pfizer", "takeada": "takeda",
    "merk": "merck",
    # indications
    "pancratic": "pancreatic", "thalasemia": "thalassemia", "leukaemia": "leukemia",
    "lymhoma": "lymphoma", "myleoma": "myeloma", "carcenoma": "carcinoma",
    "schizofrenia": "schizophrenia", "alzhiemer": "alzheimer", "parkison": "parkinson",
    "psorasis": "psoriasis", "dermatits": "dermatitis", "gliobastoma": "glioblastoma",
    "melonoma": "melanoma", "amyotropic": "amyotrophic", "duchene": "duchenne",
    "distrophy": "dystrophy", "steatohepatits": "steatohepatitis", "hypertention": "hypertension",
    "osteoperosis": "osteoporosis", "rhuematoid": "rheumatoid", "cardiomyopaty": "cardiomyopathy",
    "hepatocelular": "hepatocellular",
    # trial words
    "metastic": "metastatic", "efficasy": "efficacy", "tolerabilty": "tolerability",
    "immunogenecity": "immunogenicity", "monoclonial": "monoclonal", "placibo": "placebo",
    "oligonucelotide": "oligonucleotide",
}  # fmt: skip
RARE = [
    "nivolumab", "ipilimumab", "cetuximab", "trastuzumab", "romosozumab", "teriparatide", "aducanumab",
    "crenezumab", "enfortumab", "omalizumab", "tofacitinib", "rosnilimab", "semorinemab", "lanraplenib",
    "roxadustat", "filgotinib", "tisotumab", "myasthenia", "gravis", "crohn", "urothelial", "hepatocellular",
    "nephritis", "zuranolone", "tebentafusp",
]  # fmt: skip
ABSENT = [
    "tarlatamab", "zolbetuximab", "teplizumab", "donanemab", "mavacamten", "resmetirom", "inclisiran",
    "nemolizumab", "claudin", "menin", "tigit", "protac", "ferroptosis", "endometriosis", "hemophilia",
    "neuroblastoma", "huntington", "moderna", "alnylam", "sarepta", "amgen", "heterozygous", "CLDN18.2",
]  # fmt: skip


class SymSpellCandidate:
    """symspellpy, as ``search.spelling.Speller`` uses it."""

    name = "symspellpy 6 (search.spelling)"

    def __init__(self, counts: dict[str, int], keyword_index):
        self.speller = Speller(counts)
        self.speller.correction("build")  # the index of deletions is built on first use

    def correct(self, word: str) -> str | None:
        return self.speller.correction(word)


class WhooshListCandidate:
    """Whoosh's ``ListCorrector`` over the same surface words: Levenshtein automata walked over
    the sorted list; it ranks by distance, then alphabetically (it takes no counts)."""

    name = "whoosh ListCorrector (surface words)"

    def __init__(self, counts: dict[str, int], keyword_index):
        self.corrector = ListCorrector(sorted(counts))

    def correct(self, word: str) -> str | None:
        if not allowed_edits(word):
            return None
        lowered = word.lower()
        found = self.corrector.suggest(lowered, limit=1, maxdist=allowed_edits(word), prefix=1)
        return found[0] if found and found[0] != lowered else None


class WhooshIndexCandidate:
    """``searcher.corrector("text")``: Whoosh's corrector over the keyword index's own terms.
    Those are stems, so the query word is stemmed first and the suggested stem is shown as the
    commonest vocabulary word with that stem. Whoosh ranks its suggestions by frequency alone."""

    name = "whoosh searcher.corrector (index stems)"

    def __init__(self, counts: dict[str, int], keyword_index):
        self.analyzer = domain_analyzer()
        self.searcher = keyword_index.searcher()
        self.corrector = self.searcher.corrector("text")
        self.surface: dict[str, str] = {}
        for word, _count in sorted(counts.items(), key=lambda item: -item[1]):
            for token in self.analyzer(word):
                self.surface.setdefault(token.text, word)

    def correct(self, word: str) -> str | None:
        stems = [token.text for token in self.analyzer(word)]
        if len(stems) != 1 or not allowed_edits(word):
            return None
        found = self.corrector.suggest(stems[0], limit=1, maxdist=allowed_edits(word), prefix=1)
        surface = self.surface.get(found[0]) if found else None
        return surface if surface != word.lower() else None


CANDIDATES = [SymSpellCandidate, WhooshListCandidate, WhooshIndexCandidate]


def keyword_index_of(texts: list[str], directory: Path):
    """A Whoosh index of ``texts`` with the product's analyzer: the same terms as its ``text`` field."""
    keyword_index = whoosh_index.create_in(str(directory), fields.Schema(text=fields.TEXT(analyzer=domain_analyzer())))
    with keyword_index.writer(limitmb=256) as writer:
        for text in texts:
            writer.add_document(text=text)
    return keyword_index


def known_words(keyword_index, words: list[str]) -> set[str]:
    """The ``words`` whose every analysed term the index holds: those it would match."""
    analyzer = domain_analyzer()
    with keyword_index.reader() as reader:
        return {
            word
            for word in words
            if (terms := [token.text for token in analyzer(word)]) and all(("text", t) in reader for t in terms)
        }


def built(candidate_class, counts: dict, keyword_index):
    """The candidate, its build time in seconds and the memory it holds in MB (measured on a
    second build: tracing allocations slows building down several times)."""
    started = time.perf_counter()
    candidate = candidate_class(counts, keyword_index)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    again = candidate_class(counts, keyword_index)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del again
    return candidate, seconds, held / 1e6


def score(candidate) -> dict:
    """Accuracy on the misspellings, false suggestions on the rare and absent words, time per word."""
    times, right, wrong = [], [], []
    answers = {}
    for word in [*MISSPELLINGS, *RARE, *ABSENT]:
        started = time.perf_counter()
        answers[word] = candidate.correct(word)
        times.append((time.perf_counter() - started) * 1000)
    for typo, intended in MISSPELLINGS.items():
        (right if answers[typo] == intended else wrong).append(f"{typo}→{answers[typo]}")
    return {
        "right": len(right),
        "wrong": [item for item in wrong if not item.endswith("→None")],
        "missed": [item.split("→")[0] for item in wrong if item.endswith("→None")],
        "false_rare": [f"{word}→{answers[word]}" for word in RARE if answers[word]],
        "false_absent": [f"{word}→{answers[word]}" for word in ABSENT if answers[word]],
        "ms": percentiles(times),
    }


def check_test_words(counts: dict, keyword_index) -> None:
    """Stop if a test word is not what its list claims (a typo the index already matches, a rare
    word that is not there, an absent word that is)."""
    known = known_words(keyword_index, [*MISSPELLINGS, *RARE, *ABSENT])
    problems = [f"typo {word} is matched by the index" for word in MISSPELLINGS if word in known]
    problems += [f"{word} is not in the releases" for word in MISSPELLINGS.values() if word not in counts]
    problems += [
        f"rare {word} is held by {counts.get(word, 0)} releases" for word in RARE if not 1 <= counts.get(word, 0) <= 3
    ]
    problems += [f"absent {word} is matched by the index" for word in ABSENT if word in known]
    if problems:
        sys.exit("Test words out of date:\n  " + "\n  ".join(problems))


def scale_costs(corpus: Path) -> dict:
    """What the vocabulary of a large corpus costs: counting it, reading it, each candidate's build."""
    records = [json.loads(line) for line in corpus.open(encoding="utf-8")]
    started = time.perf_counter()
    counts = count_words(f"{r.get('title') or ''}\n{r.get('text') or ''}" for r in records)
    counting = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "vocabulary.json"
        path.write_text(json.dumps(counts, ensure_ascii=False))
        started = time.perf_counter()
        json.loads(path.read_text(encoding="utf-8"))
        reading = time.perf_counter() - started
        size = path.stat().st_size
    costs = {"documents": len(records), "words": len(counts), "count_s": round(counting, 2)}
    costs |= {"file_mb": round(size / 1e6, 2), "read_s": round(reading, 3), "build": {}}
    for candidate_class in CANDIDATES[:2]:  # the index corrector builds nothing but its stem map
        _candidate, seconds, megabytes = built(candidate_class, counts, None)
        costs["build"][candidate_class.name] = {"s": round(seconds, 2), "mb": round(megabytes, 1)}
    return costs


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--releases", type=Path, default=RELEASES)
    arguments.add_argument("--scale", type=Path, help="a large corpus.jsonl (bench/scale_corpus.py) to cost")
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    texts = [f"{r['title']}\n{r['text']}" for r in release_records(options.releases)]
    counts = count_words(texts)
    results = {"releases": len(texts), "vocabulary": len(counts), "candidates": {}}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        keyword_index = keyword_index_of(texts, Path(scratch))
        check_test_words(counts, keyword_index)
        for candidate_class in CANDIDATES:
            candidate, seconds, megabytes = built(candidate_class, counts, keyword_index)
            scores = score(candidate)
            results["candidates"][candidate_class.name] = {**scores, "build_s": seconds, "build_mb": megabytes}
            rows.append(
                [
                    candidate_class.name,
                    f"{scores['right']}/{len(MISSPELLINGS)}",
                    len(scores["wrong"]),
                    f"{len(scores['false_rare'])}/{len(RARE)}",
                    f"{len(scores['false_absent'])}/{len(ABSENT)}",
                    f"{scores['ms']['p50']} / {scores['ms']['p95']}",
                    f"{seconds:.2f} s, {megabytes:.1f} MB",
                ]
            )
    print(f"{len(texts)} releases, {len(counts)} words\n")
    header = ["corrector", "typos corrected", "wrong", "rare words changed", "absent words changed"]
    print(table([*header, "ms/word p50 / p95", "build"], rows))
    for name, scores in results["candidates"].items():
        print(f"\n{name}\n  wrong: {', '.join(scores['wrong']) or '-'}\n  missed: {', '.join(scores['missed']) or '-'}")
        print(f"  rare changed: {', '.join(scores['false_rare']) or '-'}")
        print(f"  absent changed: {', '.join(scores['false_absent']) or '-'}")
    if options.scale:
        results["scale"] = costs = scale_costs(options.scale)
        print(f"\n{options.scale}: {costs['documents']} documents, {costs['words']} words")
        print(
            f"  counting them: {costs['count_s']} s; vocabulary file {costs['file_mb']} MB, read in {costs['read_s']} s"
        )
        for name, cost in costs["build"].items():
            print(f"  {name}: built in {cost['s']} s, holds {cost['mb']} MB")
    record(options.json, "spelling", results)


if __name__ == "__main__":
    main()
