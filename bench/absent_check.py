"""Check that each query of ``bench/judged/absent/queries.jsonl`` names a thing no GlobeNewswire release mentions.

    .venv/bin/python bench/absent_check.py [--queries PATH] [--releases PATH]

For every query the names of its ``entity`` are gathered: the entity itself, its other names
that we know (``OTHER_NAMES``: code ↔ INN ↔ brand, gene symbol ↔ protein name), and the names
clinsearch would expand them to (the groups of ``search/aliases.txt``, the target and
indication lexicons, and the name ↔ code pairs the indexer mines from these very releases).
A release (every row of the CSV, translations included) mentions the entity if its title +
summary holds one of those names either

* as characters, ignoring case, Greek spelling (α = alpha) and the separators `` -._/'``
  anywhere inside the name (``CLDN18.2`` = ``CLDN 18.2`` = ``cldn-18-2``), not preceded by a
  letter or digit other than the ``x`` of a bispecific (``CD3xDLL3``), not followed by one; or
* as a run of terms of the product's own analyzer (``search.analysis.domain_analyzer``), so
  what the keyword index would match (stems, joined codes) counts too.

Each query is printed ABSENT or PRESENT with the matches found. ``present_words`` are checked
the same way, the other way round: each must occur (as analyzer terms). The exit status is 1
if an entity is present or a listed present word is not, else 0.
"""

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

from indexer.aliases import mine_aliases
from search.aliases import AliasTable, read_alias_file
from search.analysis import GREEK_LETTERS, domain_analyzer
from search.entities import VOCABULARY_DIR, read_lexicon

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "bench" / "judged" / "absent" / "queries.jsonl"
RELEASES = ROOT.parent / "shared" / "data" / "globenewswire-biotech" / "releases.csv"

# Other names of each entity, from public naming facts (codes, INNs, brands, gene and protein
# names); anything listed here must be absent too.
OTHER_NAMES = {
    "CLDN18.2": ["claudin 18.2", "claudin18.2", "CLDN18", "claudin 18", "claudin 18 isoform 2"],
    "DLL3": ["delta-like ligand 3", "delta-like 3", "delta-like protein 3"],
    "GPC3": ["glypican 3", "glypican-3"],
    "mesothelin": ["MSLN"],
    "TIGIT": ["T cell immunoreceptor with Ig and ITIM domains"],
    "CLDN6": ["claudin 6", "claudin-6"],
    "FcRn": ["neonatal Fc receptor", "FCGRT"],
    "TSLP": ["thymic stromal lymphopoietin"],
    "GUCY2C": ["guanylyl cyclase C", "guanylate cyclase C", "guanylate cyclase 2C"],
    "STEAP1": ["six-transmembrane epithelial antigen of the prostate 1"],
    "PRMT5": ["protein arginine methyltransferase 5"],
    "TYK2": ["tyrosine kinase 2"],
    "LRRK2": ["leucine-rich repeat kinase 2"],
    "PCSK9": ["proprotein convertase subtilisin/kexin type 9"],
    "IBI343": [],
    "AZD0901": ["CMG901"],
    "MK-2870": ["SKB264", "sacituzumab tirumotecan", "sac-TMT"],
    "ABBV-400": ["telisotuzumab adizutecan", "Temab-A"],
    "RMC-6236": ["daraxonrasib"],
    "GDC-6036": ["divarasib", "RG6330"],
    "BNT327": ["PM8002"],
    "BIIB122": ["DNL151"],
    "ARV-471": ["vepdegestrant"],
    "VK2735": [],
    "TAK-279": ["zasocitinib", "NDI-034858"],
    "LY3437943": ["retatrutide"],
    "zolbetuximab": ["Vyloy", "IMAB362", "claudiximab"],
    "datopotamab deruxtecan": ["datopotamab", "Dato-DXd", "DS-1062", "Datroway"],
    "ivonescimab": ["AK112", "SMT112"],
    "efgartigimod": ["Vyvgart", "ARGX-113"],
    "tirzepatide": ["Mounjaro", "Zepbound", "LY3298176"],
    "donanemab": ["Kisunla", "LY3002813"],
    "resmetirom": ["Rezdiffra", "MGL-3196"],
    "glofitamab": ["Columvi", "RG6026", "RO7082859"],
    "iptacopan": ["Fabhalta", "LNP023"],
    "givinostat": ["Duvyzat", "ITF2357"],
    "lenacapavir": ["Sunlenca", "Yeztugo", "GS-6207"],
    "Carvykti": ["ciltacabtagene autoleucel", "ciltacabtagene", "cilta-cel", "JNJ-4528", "JNJ-68284528", "LCAR-B38M"],
    "Soliris": ["eculizumab", "Bkemv", "Epysqli", "ABP 959", "SB12"],
    "Trodelvy": ["sacituzumab govitecan", "sacituzumab", "IMMU-132"],
    "Elevidys": ["delandistrogene moxeparvovec", "delandistrogene", "SRP-9001"],
    "Dupixent": ["dupilumab"],
    "Tecvayli": ["teclistamab", "JNJ-64007957"],
    "Hemgenix": ["etranacogene dezaparvovec", "etranacogene", "AMT-061", "CSL222"],
    "TROPION-Lung01": ["TROPION"],
    "DESTINY-Breast06": ["DESTINY-Breast"],
    "Daiichi Sankyo": ["Daiichi"],
    "Kelun-Biotech": ["Kelun"],
}

SEPARATORS = "-._/'’ \t"
_FOLD_GREEK = str.maketrans(GREEK_LETTERS)
_ANALYZER = domain_analyzer()


def fold(text: str) -> str:
    """Lower case with Greek letters spelled out, as the analyzer spells them."""
    return text.lower().translate(_FOLD_GREEK)


def spelling_pattern(name: str) -> re.Pattern:
    """A pattern for ``name`` in folded text with any separators inside it, as a whole word."""
    characters = [character for character in fold(name) if character not in SEPARATORS]
    inner = f"[{re.escape(SEPARATORS)}]*".join(re.escape(character) for character in characters)
    return re.compile(rf"(?<![a-wyz0-9]){inner}(?![a-z0-9])")


def read_releases(path: Path) -> list[dict]:
    """Every row of the CSV, translations that share a release number with their original included."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [{"_id": str(number), **row} for number, row in enumerate(csv.DictReader(handle))]


def terms(text: str) -> tuple[str, ...]:
    """What the keyword index makes of ``text`` (``"TROP-2 ADCs"`` → ``("trop2", "adc")``)."""
    return tuple(token.text for token in _ANALYZER(text))


def alias_table(releases: list[dict]) -> AliasTable:
    """The groups clinsearch expands with (alias file, mined pairs) plus the entity lexicons."""
    documents = [SimpleNamespace(doc_id=r["_id"], title=r["title"], body=r["summary"]) for r in releases]
    groups = read_alias_file() + [entry["names"] for entry in mine_aliases(documents)]
    for lexicon in ("targets.txt", "indications.txt"):
        groups += [members for members, _ in read_lexicon(VOCABULARY_DIR / lexicon) if len(members) > 1]
    return AliasTable(groups, _ANALYZER)


class Corpus:
    """The releases' searchable text (title + summary), raw for patterns and as analyzer terms."""

    def __init__(self, releases: list[dict]):
        self.texts = [" ".join(f"{r['title']} {r['summary']}".split()) for r in releases]
        self.folded = [fold(text) for text in self.texts]
        self.terms = [terms(text) for text in self.texts]
        self.by_term = defaultdict(set)
        for number, document_terms in enumerate(self.terms):
            for term in document_terms:
                self.by_term[term].add(number)

    def term_matches(self, name: str) -> list[int]:
        """Releases holding the analyzer terms of ``name`` as one run."""
        wanted = terms(name)
        if not wanted:
            return []
        candidates = set.intersection(*(self.by_term.get(term, set()) for term in wanted))
        return sorted(
            number
            for number in candidates
            if any(self.terms[number][i : i + len(wanted)] == wanted for i in range(len(self.terms[number])))
        )

    def matches(self, name: str) -> list[str]:
        """Short quotations of every mention of ``name``, by spelling or by analyzer terms."""
        pattern = spelling_pattern(name)
        found = []
        for text in self.folded:
            for match in pattern.finditer(text):
                found.append(f"…{text[max(0, match.start() - 30) : match.end() + 30]}…")
        for number in self.term_matches(name):
            if not pattern.search(self.folded[number]):
                found.append(f"[terms] {self.texts[number][:90]}…")
        return found


def names_of(entity: str, aliases: AliasTable) -> list[str]:
    """The entity, its known other names, and what clinsearch expands them to: everything for
    the entity as typed; for another name only groups that name wholly belongs to (the "Fc" of
    "neonatal Fc receptor" would drag in unrelated groups)."""
    names = [entity, *OTHER_NAMES.get(entity, [])]
    names += [expansion.text for expansion in aliases.expansions(entity)]
    for name in OTHER_NAMES.get(entity, []):
        whole = " ".join(terms(name))
        names += [expansion.text for expansion in aliases.expansions(name) if expansion.matched == whole]
    return list(dict.fromkeys(names))


def check(query: dict, corpus: Corpus, aliases: AliasTable) -> bool:
    """Print the query's verdict and evidence; True when it is as the file says."""
    evidence = {name: corpus.matches(name) for name in names_of(query["entity"], aliases)}
    present = {name: found for name, found in evidence.items() if found}
    missing_words = [word for word in query["present_words"] if not corpus.term_matches(word)]
    print(f"{query['_id']}  {'PRESENT' if present else 'ABSENT '}  {query['text']!r}  (entity {query['entity']!r})")
    print(f"      names checked: {', '.join(evidence)}")
    for name, found in present.items():
        print(f"      {name}: {len(found)} mention(s), e.g. {found[0]!r}")
    if missing_words:
        print(f"      listed as present but not found: {missing_words}")
    listed = set(terms(query["entity"])).union(*(terms(word) for word in query["present_words"]))
    # Terms of one or two characters ("b" of "haemophilia B", "er" of "ER+") are not worth listing.
    unlisted = [t for t in terms(query["text"]) if len(t) > 2 and t not in listed and corpus.by_term.get(t)]
    if unlisted:
        print(f"      note: other query terms found in the corpus: {unlisted}")
    return not present and not missing_words


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--queries", type=Path, default=QUERIES)
    arguments.add_argument("--releases", type=Path, default=RELEASES)
    options = arguments.parse_args()
    releases = read_releases(options.releases)
    corpus, aliases = Corpus(releases), alias_table(releases)
    queries = [json.loads(line) for line in options.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    failed = [query["_id"] for query in queries if not check(query, corpus, aliases)]
    # An entity found, or a listed present word not found: fix the query file (see its README).
    print(f"\n{len(queries)} queries, {len(releases)} releases, {len(failed)} failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
