"""The territory a licensing or partnership deal covers, as the release states it.

A place counts only where the release ties it to the deal: as the scope of a deal noun
("exclusive worldwide license", "ex-U.S. partner", "Japan partnership"), after a preposition in
a sentence whose nearest cue before it is a deal word ("commercialize … in Greater China"), or
after an exclusion ("outside the United States" → ``ex-US``). A company "based in Shanghai" or a
drug "approved in Japan" is not a territory.

>>> deal_territories("Acme grants Beta exclusive rights in Greater China and worldwide rights excluding Japan")
['Greater China', 'ex-Japan']
"""

import functools
import re

from search.places import excluded_name, excluded_places, listed_places, places

# The deal is stated in the headline and first paragraph; later paragraphs of a long release
# name the countries of trials, approvals and offices, which are not the deal's territory.
TERRITORY_CHARACTERS = 1500

WORLDWIDE = "Worldwide"
GREATER_CHINA_PARTS = ("China", "Hong Kong", "Macau", "Taiwan")

# Nouns a place may qualify to give a deal's scope: "U.S. commercialization agreement"; plural
# "markets" only, as "Nasdaq Global Market" is where shares trade.
_DEAL_NOUNS = (
    r"licen[cs](?:e[sd]?|ing)|sub-?licen\w*|rights|commerciali[sz]ation|distribution|distributors?|co-promot\w*"
    r"|marketing|markets|go-to-market|partnerships?|partners?|collaborations?|agreements?|alliances?|deals?"
    r"|expansion|lizenz\w*"
)
# Up to three words may stand between a place and its deal noun ("global, commercial license",
# "U.S. Development and Commercial Rights"), but not a verb or article that starts a new phrase
# ("based in Shanghai, China, today announced a license").
_QUALIFIER = (
    r"(?!(?:today|announc\w*|sign\w*|enter\w*|has|have|had|will|is|are|was|were|to|with|a|an|the|its|their"
    r"|for|from|by|on|at|in|into|which|that|who)\b)[\w&-]+"
)
# Words whose nearest presence before a place makes it the deal's territory, or not.
_DEAL_CUES = (
    r"licen[cs]\w*|lizenz\w*|rights|commerciali[sz]\w*|distribut\w*|co-promot\w*|partner\w*|collaborat\w*"
    r"|agreement|alliance|deal|option|territor\w*|market(?:s|ed|ing)?|sell|expan\w*|acquir\w*|network"
)
_OTHER_CUES = (
    r"based|headquarter\w*|located|offices?|approv\w*|authori[sz]\w*|trials?|stud(?:y|ies)|patients|sites?"
    r"|listed|traded|incorporated|reimburs\w*|subsidiar\w*|founded|universit\w*|institut\w*|hospitals?"
    r"|compan(?:y|ies)|applications?|filing|(?:re)?submission"  # a "Biologics License Application to US FDA"
)
_CUE = re.compile(rf"\b(?:(?P<deal>{_DEAL_CUES})|(?P<other>{_OTHER_CUES}))\b", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"(?<![A-Z])[.!?;]\s+(?=\W*[A-Z])|\s+(?://|–|—|-)\s+|\n")


def deal_territories(text: str) -> list[str]:
    """The territories a deal announcement gives, canonical names in order of first mention."""
    found: list[str] = []
    for sentence in _SENTENCE_BREAK.split(text[:TERRITORY_CHARACTERS]):
        found += _sentence_territories(sentence)
    found = list(dict.fromkeys(found))
    if any(name.startswith("ex-") for name in found):  # "worldwide, excluding Japan" is ex-Japan
        found = [name for name in found if name != WORLDWIDE]
    return _gather_greater_china(found)


def _sentence_territories(sentence: str) -> list[str]:
    patterns = _patterns()
    mentions: list[tuple[int, list[str]]] = []
    exclusions = list(patterns["excluded"].finditer(sentence))
    for match in exclusions:
        mentions.append((match.start(), [excluded_name(name) for name in places(match["places"])]))
    taken = [match.span() for match in exclusions]
    for kind in ("scope", "located", "adverb"):
        for match in patterns[kind].finditer(sentence):
            overlaps = any(start < match.end() and match.start() < end for start, end in taken)
            if overlaps or (kind != "scope" and not _tied_to_deal(sentence, match.start())):
                continue
            taken.append(match.span())
            names = places(match["places"])
            # "for global protein production": after a bare preposition "global" is no territory.
            mentions.append((match.start(), [name for name in names if kind != "located" or name != WORLDWIDE]))
    return [name for _, names in sorted(mentions) for name in names]


def _tied_to_deal(sentence: str, position: int) -> bool:
    """Whether the nearest cue word before ``position`` speaks of the deal (or, with none before,
    whether the sentence names a deal at all)."""
    before = list(_CUE.finditer(sentence[:position]))
    if before:
        return bool(before[-1]["deal"])
    return any(match["deal"] for match in _CUE.finditer(sentence))


def _gather_greater_china(names: list[str]) -> list[str]:
    """China, Hong Kong, Macau and Taiwan named together are Greater China, in China's place."""
    if not all(part in names for part in GREATER_CHINA_PARTS):
        return names
    first = min(names.index(part) for part in GREATER_CHINA_PARTS)
    rest = [name for name in names if name not in GREATER_CHINA_PARTS and name != "Greater China"]
    return list(dict.fromkeys([*rest[:first], "Greater China", *rest[first:]]))


@functools.lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    """The four ways a release ties places to its deal (exclusion: ``search.places``)."""
    listed = listed_places()
    scope = rf"{listed}(?:\s*,?\s+{_QUALIFIER}){{0,3}}?\s*,?\s+(?:{_DEAL_NOUNS})\b"
    located = (
        r"\b(?:in|for|within|across|throughout|covering|into|to)\s+(?:the\s+)?"
        r"(?:(?:licensed\s+)?(?:territor(?:y|ies)|markets?|regions?|countries)\s+of\s+(?:the\s+)?)?" + listed
    )
    # "to develop and commercialize it worldwide": the adverb closing a clause.
    # "for patients worldwide" and "for markets worldwide" describe a company, not a deal.
    adverb = (
        r"(?<!patients )(?<!markets )\b(?P<places>worldwide|globally)\b"
        r"(?=\s*(?:[.,;:)]|$)|\s+(?:and|by|with|through|under|for)\b)"
    )
    patterns = {"scope": scope, "located": located, "adverb": adverb}
    compiled = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in patterns.items()}
    return compiled | {"excluded": excluded_places()}
