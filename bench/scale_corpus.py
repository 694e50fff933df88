"""Write a synthetic corpus of a chosen passage count, by replicating and perturbing real public data.

Indexing time and query latency have to be measured at about 200,000 passages, and no real
corpus that big exists here. This reads the public data sets in ``../shared/data`` (GlobeNewswire
releases, SciFact abstracts, BIRCO trial descriptions; see the README there) and the project's own
``corpus/``, and writes their records again and again into one BEIR-layout ``corpus.jsonl`` until
the passages, as ``indexer.chunking`` cuts them, reach the target:

    python bench/scale_corpus.py /tmp/scale-200k/corpus.jsonl [--chunks 200000] [--seed 7] [--data DIR]

Copy 0 of every record is the original under its own id, so the data sets' qrels still apply.
Copy n ≥ 1 is changed, so that a keyword index does not see n identical postings and an
unrealistically small vocabulary: new drug codes, a made-up company (the same one for all of an
issuer's records within a copy), a date moved by up to three years, figures changed by up to 10%,
the sentences after the first shuffled and now and then one dropped or repeated, id ``<id>-r<n>``
and url ``<url>#r<n>``. Each copy spreads the data sets evenly, so any prefix of the file is a
realistic mix. The data are only read; nothing of them is written into the repository.
"""

import argparse
import datetime
import gzip
import json
import random
import re
import string
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# bench/ is on sys.path when this runs as a script: releases are read exactly as globenewswire.py reads them.
from globenewswire import release_records

from indexer.chunking import chunk_body
from indexer.cleaning import strip_furniture_lines
from indexer.documents import Document, load_corpus
from search.entities import code_key, drug_codes
from search.sentences import sentence_spans

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MAX_SHIFT_DAYS = 3 * 365
FIGURE_CHANGE = 0.10
SENTENCE_EDIT_CHANCE = 0.10
TITLE_WORDS = 12

# Words that end a company's own name ("Monte Rosa Therapeutics, Inc." is "Monte Rosa"): the name
# is what is swapped in the text, so "Monte Rosa Announces" changes along with the dateline.
COMPANY_SUFFIXES = {
    "ag", "b.v", "bio", "bioscience", "biosciences", "biologics", "biopharma", "biopharmaceuticals", "bioservices",
    "biosystems", "biotech", "biotechnologies", "biotechnology", "biotherapeutics", "co", "company", "corp",
    "corporation", "diagnostics", "eu", "europe", "gene", "gmbh", "group", "health", "healthcare", "holding",
    "holdings", "immunotherapeutics", "inc", "international", "labs", "laboratories", "life", "limited", "llc", "ltd",
    "medicine", "medicines", "n.v", "nv", "oncology", "pharma", "pharmaceutical", "pharmaceuticals", "plc", "s.a",
    "sa", "sciences", "se", "technologies", "therapeutics", "therapies", "uk", "vaccines",
}  # fmt: skip
# Header values of the project's corpus that name no company; they stay as they are.
NO_COMPANY = {"", "not stated in record"}
# The issuer named in a release's dateline: "(GLOBE NEWSWIRE) -- Humacyte, Inc. (Nasdaq: HUMA) ...".
CAPITALISED_WORDS = r"[A-Z0-9][\w.&'’®™-]*(?: [A-Z0-9][\w.&'’®™-]*)*"
DATELINE_NAME = re.compile(rf"(?:GLOBE NEWSWIRE\)|NewMediaWire)\s*[-–]+\s*(?:via \w+\s*[-–]+\s*)?({CAPITALISED_WORDS})")
SYLLABLES = ("ar", "bel", "cor", "dan", "el", "fen", "gal", "hel", "is", "jun", "kor", "lum", "mer")
SYLLABLES += ("nov", "or", "pra", "quin", "ros", "sol", "tav", "ul", "ven", "xan", "yor", "zel")
ENDINGS = ("a", "is", "ix", "gen", "ora", "yne", "eon", "ica", "ara", "on")

MONTH = "January|February|March|April|May|June|July|August|September|October|November|December"
PEOPLE = "patients|participants|subjects|people|individuals|adults|children|women|men|infants|volunteers"
# What every copy changes, whatever the record: full dates, percentages and head counts.
GENERIC_PATTERN = (
    rf"(?P<date>\b(?:(?:{MONTH})\s+\d{{1,2}},\s+\d{{4}}|\d{{1,2}}\s+(?:{MONTH})\s+\d{{4}})\b)"
    r"|(?P<percent>(?<![\w.,])\d+(?:\.\d+)?(?=\s?(?:%|percent\b)))"
    rf"|(?P<count>(?<![\w.,])(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?=\s+(?:{PEOPLE})\b)|(?<=\bn = )\d+|(?<=\bn=)\d+)"
)
DATE_FORMATS = ("%B %d, %Y", "%d %B %Y")


@dataclass(frozen=True)
class Company:
    name: str
    ticker: str


@dataclass
class Original:
    """A source record, with what its copies need found once: its sentences, codes and company."""

    dataset: str
    record: dict
    paragraphs: list[list[str]]
    pattern: re.Pattern
    company_key: str = ""
    ticker: str = ""
    passages: int = field(init=False)

    def __post_init__(self):
        self.passages = passage_count(self.record["text"])


def passage_count(text: str) -> int:
    """Passages the indexer will cut from a record's text (the loader strips furniture lines first)."""
    return len(chunk_body(strip_furniture_lines(text))) or 1  # a title-only record is one passage


def company_core(name: str) -> str:
    """A company's own name, without its legal form and trade words ("Intellia Therapeutics" → "Intellia")."""
    words = []
    for word in name.split():
        if word.lower().strip(".,®™") in COMPANY_SUFFIXES:
            break
        words.append(word)
    return " ".join(words).strip(".,®™ ")


def release_company_names(releases: list[dict]) -> dict[str, str]:
    """Each ticker's company name as its headlines write it: the dateline's name or a headline's first
    word, whichever more of its headlines contain, if at least half do (partners' releases do not)."""
    names: dict[str, str] = {}
    by_ticker: dict[str, list[dict]] = {}
    for release in releases:
        by_ticker.setdefault(release["company"], []).append(release)
    for ticker, ticker_releases in by_ticker.items():
        titles = [release["title"] for release in ticker_releases]
        candidates = {title.split()[0].strip(",®™") for title in titles}
        candidates |= {company_core(m.group(1)) for r in ticker_releases if (m := DATELINE_NAME.search(r["text"]))}
        best = max(sorted(candidates - {""}), key=lambda name: sum(name in title for title in titles))
        if sum(best in title for title in titles) >= len(titles) / 2:
            names[ticker] = best
    return names


def read_jsonl(path: Path) -> list[dict]:
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def unique_ids(records: list[dict]) -> Iterator[tuple[str, dict]]:
    """Each record with an id of its own: MedQuAD gives 16,407 answers 12,133 ids (a question
    asked of several sources), and the reader keeps only the first document of an id. A later
    one gets ``~2``, ``~3`` … after its id."""
    seen: Counter = Counter()
    for record in records:
        seen[record["_id"]] += 1
        yield (record["_id"] if seen[record["_id"]] == 1 else f"{record['_id']}~{seen[record['_id']]}"), record


def registry_record(record: dict) -> dict:
    """A ClinicalTrials.gov study with its header at the top and its date as a day (the registry
    writes "November 2, 1999", now and then "November 1999")."""
    header = dict(record["metadata"])
    header["company"] = header.pop("sponsor", "")
    header["date"] = registry_day(header.get("date", ""))
    return {key: value for key, value in record.items() if key != "metadata"} | header


def registry_day(written: str) -> str:
    for form in ("%B %d, %Y", "%B %Y"):
        try:
            return datetime.datetime.strptime(written, form).date().isoformat()
        except ValueError:
            pass
    return ""


def titled(record: dict) -> dict:
    """A record with a title: BIRCO's trials have none, so they get their first twelve words, much as
    the loader titles a long header-less text."""
    if record["title"]:
        return record
    words = record["text"].split()
    return {**record, "title": " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")}


def document_record(document: Document) -> dict:
    """A document of the project's corpus as a JSON Lines record, its header fields kept."""
    header = {"date": document.date, "company": document.company, "source": document.source, "url": document.url}
    return {"_id": document.doc_id, "title": document.title, "text": document.body, **header, **document.metadata}


def own_company_name(document: Document) -> str:
    return "" if document.company.lower() in NO_COMPANY else company_core(document.company)


def string_values(record: dict) -> Iterator[str]:
    for value in record.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (item for item in value if isinstance(item, str))


def record_pattern(record: dict, company_name: str, ticker: str) -> re.Pattern:
    """One pattern for everything a copy of ``record`` changes; its codes are found once, here."""
    alternatives = []
    if company_name:
        alternatives.append(rf"(?P<company>(?<!\w){re.escape(company_name)}(?!\w))")
    if ticker:
        alternatives.append(rf"(?P<ticker>(?:(?<=: )|(?<=:)){re.escape(ticker)}(?!\w))")
    codes = drug_codes("\n".join(string_values(record)))
    if codes:
        alternatives.append(rf"(?P<code>(?<![\w.-])(?:{'|'.join(code_spellings(code) for code in codes)})(?![\w-]))")
    return re.compile("|".join([*alternatives, GENERIC_PATTERN]))


def code_spellings(code: str) -> str:
    """A pattern for ``code`` with or without its hyphen (ICP-723, ICP723), as the recogniser folds them."""
    if "-" in code:
        return re.escape(code).replace(r"\-", "-?")
    return re.sub(r"(?<=[A-Za-z])(?=\d)", "-?", re.escape(code), count=1)


def paragraph_sentences(text: str) -> list[list[str]]:
    paragraphs = [paragraph for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip()]
    return [[paragraph[start:end] for start, end in sentence_spans(paragraph)] for paragraph in paragraphs]


def original(dataset: str, record: dict, company_name: str = "", ticker: str = "") -> Original:
    return Original(
        dataset=dataset,
        record=record,
        paragraphs=paragraph_sentences(record["text"]),
        pattern=record_pattern(record, company_name, ticker),
        company_key=company_name.lower() or ticker,
        ticker=ticker,
    )


def flat_release(record: dict) -> dict:
    """A release as bench/globenewswire.py writes it (its header under ``metadata``) with the
    header at the top, as the copies are made from, and the day of its date."""
    header = record["metadata"]
    return {key: value for key, value in record.items() if key != "metadata"} | header | {"date": header["date"][:10]}


def read_originals(data: Path) -> dict[str, list[Original]]:
    """The records of every data set, by data set."""
    releases = [flat_release(record) for record in release_records(data / "globenewswire-biotech" / "releases.csv")]
    names = release_company_names(releases)
    documents, _ = load_corpus(ROOT / "corpus")
    return {
        "globenewswire": [
            original("globenewswire", release, names.get(release["company"], ""), release["company"])
            for release in releases
        ],
        "scifact": [
            original("scifact", {**record, "source": "SciFact"})
            for record in read_jsonl(data / "beir" / "scifact" / "corpus.jsonl")
        ],
        "birco": [
            original("birco", {**titled(record), "source": "ClinicalTrials.gov (BIRCO)"})
            for record in read_jsonl(data / "birco-clinical-trial" / "corpus.jsonl")
        ],
        "clinicaltrials": [
            original("clinicaltrials", registry_record(record))
            for record in read_jsonl(data / "clinicaltrials" / "ctgov-subset.jsonl.gz")
        ],
        "medquad": [
            original("medquad", {"_id": doc_id, "title": record["title"], "text": record["text"]})
            for doc_id, record in unique_ids(read_jsonl(data / "medquad" / "medquad.jsonl.gz"))
        ],
        "corpus": [original("corpus", document_record(document), own_company_name(document)) for document in documents],
    }


def interleaved(datasets: dict[str, list[Original]]) -> list[Original]:
    """All records, each data set spread evenly through the list, so every prefix holds them in proportion."""
    placed = [
        ((index + 0.5) / len(records), rank, original)
        for rank, records in enumerate(datasets.values())
        for index, original in enumerate(records)
    ]
    return [original for _, _, original in sorted(placed, key=lambda item: item[:2])]


def company_pool(size: int, seed: int) -> list[Company]:
    """``size`` made-up companies with distinct names and tickers."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < size:
        names.add((rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(ENDINGS)).capitalize())
    tickers: set[str] = set()
    while len(tickers) < size:
        tickers.add("".join(rng.choices(string.ascii_uppercase, k=4)))
    return [Company(name, ticker) for name, ticker in zip(sorted(names), sorted(tickers), strict=True)]


def new_code(rng: random.Random) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(2, 4)))
    return f"{letters}-{rng.randint(100, 9999)}"


def shifted_date(text: str, shift: datetime.timedelta) -> str:
    """A date written out in words, moved by ``shift`` and written the same way."""
    spaced = " ".join(text.split())
    for form in DATE_FORMATS:
        try:
            day = datetime.datetime.strptime(spaced, form).date() + shift
        except ValueError:
            continue
        return f"{day:%B} {day.day}, {day.year}" if form.startswith("%B") else f"{day.day} {day:%B} {day.year}"
    return text  # not a real day (such as 30 February): left alone


def changed_percent(text: str, rng: random.Random) -> str:
    value = float(text)
    changed = value * (1 + rng.uniform(-FIGURE_CHANGE, FIGURE_CHANGE))
    decimals = len(text.partition(".")[2])
    # A share of a whole stays one; a rise of 150% may grow.
    return f"{min(changed, 100.0) if value <= 100 else changed:.{decimals}f}"


def changed_count(text: str, rng: random.Random) -> str:
    changed = max(1, round(int(text.replace(",", "")) * (1 + rng.uniform(-FIGURE_CHANGE, FIGURE_CHANGE))))
    return f"{changed:,}" if "," in text else str(changed)


class CopyRewriter:
    """Rewrites the strings of one copy of one record: the same code always becomes the same new code."""

    def __init__(self, original: Original, rng: random.Random, company: Company | None):
        self.pattern, self.rng, self.company = original.pattern, rng, company
        self.shift = datetime.timedelta(days=rng.randint(-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS))
        self.codes: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return self.pattern.sub(self._replace, text)

    def _replace(self, match: re.Match) -> str:
        text, kind = match.group(), match.lastgroup
        if kind == "company":
            return self.company.name
        if kind == "ticker":
            return self.company.ticker
        if kind == "code":
            if code_key(text) not in self.codes:
                self.codes[code_key(text)] = new_code(self.rng)
            return self.codes[code_key(text)]
        if kind == "date":
            return shifted_date(text, self.shift)
        if kind == "percent":
            return changed_percent(text, self.rng)
        return changed_count(text, self.rng)

    def date(self, iso: str) -> str:
        return (datetime.date.fromisoformat(iso) + self.shift).isoformat() if iso else ""


def edited(sentences: list[str], rng: random.Random) -> list[str]:
    """``sentences`` shuffled, and now and then one of them dropped or said twice."""
    sentences = rng.sample(sentences, len(sentences))
    if len(sentences) >= 2 and rng.random() < SENTENCE_EDIT_CHANCE:
        index = rng.randrange(len(sentences))
        if rng.random() < 0.5:
            del sentences[index]
        else:
            sentences.insert(rng.randrange(len(sentences) + 1), sentences[index])
    return sentences


def reordered_body(paragraphs: list[list[str]], rng: random.Random) -> str:
    """The body with the first sentence kept first (it says what the news is) and the rest shuffled:
    sentences within their paragraph, and the paragraphs after the first."""
    if not paragraphs:
        return ""
    first, *others = paragraphs
    head = first[:1] + edited(first[1:], rng)
    rest = [edited(paragraph, rng) for paragraph in rng.sample(others, len(others))]
    return "\n\n".join(" ".join(paragraph) for paragraph in [head, *rest] if paragraph)


def perturbed(original: Original, copy: int, rng: random.Random, company: Company | None) -> dict:
    """Copy number ``copy`` (≥ 1) of a record."""
    rewrite = CopyRewriter(original, rng, company)
    record = original.record
    changed = {
        "_id": f"{record['_id']}-r{copy}",
        "title": rewrite(record["title"]),
        "text": rewrite(reordered_body(original.paragraphs, rng)),
    }
    if record.get("date"):
        changed["date"] = rewrite.date(record["date"])
    if record.get("url"):
        changed["url"] = f"{record['url']}#r{copy}"
    if company and original.ticker:
        changed["company"] = company.ticker
    # The other header fields (company names, sources, drug lists) are rewritten like the text.
    for key, value in record.items():
        if key not in changed:
            changed[key] = rewritten_value(key, value, copy, rewrite)
    return changed


def rewritten_value(key: str, value, copy: int, rewrite: CopyRewriter):
    """A header value of a copy: names and codes changed; a pointer to a sibling release points to
    that release's copy of the same number."""
    if key == "same_news_as" and isinstance(value, str):
        return f"{value}-r{copy}"
    if isinstance(value, str):
        return rewrite(value)
    if isinstance(value, list):
        return [rewrite(item) if isinstance(item, str) else item for item in value]
    return value


def copies(originals: list[Original], pool: list[Company], seed: int) -> Iterator[tuple[Original, dict]]:
    """Every record's copy 0 (the original), then every record's copy 1, and so on without end."""
    yield from ((original, original.record) for original in originals)
    keys = sorted({original.company_key for original in originals if original.company_key})
    copy = 1
    while True:
        rng = random.Random(seed + copy)
        # Within one copy each issuer becomes one made-up company, so per-company facets stay realistic.
        companies = dict(zip(keys, rng.sample(pool, len(keys)), strict=True))
        for original in originals:
            yield original, perturbed(original, copy, rng, companies.get(original.company_key))
        copy += 1


def write_corpus(out: Path, originals: list[Original], target: int, seed: int) -> tuple[Counter, Counter, int]:
    """Write records until their passages reach ``target``; the records and passages per data set, and words."""
    records, passages, words = Counter(), Counter(), 0
    pool = company_pool(4 * len({original.company_key for original in originals}), seed)
    with out.open("w", encoding="utf-8") as handle:
        for original, record in copies(originals, pool, seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            records[original.dataset] += 1
            # Copy 0 was counted when read; a changed copy must be counted again.
            changed = record is not original.record
            passages[original.dataset] += passage_count(record["text"]) if changed else original.passages
            words += len(record["title"].split()) + len(record["text"].split())
            if passages.total() >= target:
                return records, passages, words


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("out", type=Path, help="the corpus.jsonl to write (its folder is created)")
    arguments.add_argument("--chunks", type=int, default=200_000, help="passages to reach")
    arguments.add_argument("--seed", type=int, default=7)
    arguments.add_argument("--data", type=Path, default=DATA, help="the public data sets folder")
    options = arguments.parse_args()
    started = time.perf_counter()
    datasets = read_originals(options.data)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    records, passages, words = write_corpus(options.out, interleaved(datasets), options.chunks, options.seed)
    seconds = time.perf_counter() - started
    size = options.out.stat().st_size / 1e6
    print(f"Wrote {records.total():,} records, {passages.total():,} passages, {words:,} words, {size:.1f} MB")
    print(f"to {options.out} in {seconds:.1f} s")
    for name, originals in datasets.items():
        print(
            f"  {name:<14} {len(originals):>6,} originals  {records[name]:>8,} records  {passages[name]:>8,} passages"
        )


if __name__ == "__main__":
    main()
