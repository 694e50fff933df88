"""What a query asks to have happened, and where: the event, the designation kind, the
regulator (a region names its own) and the territory of a deal.

An analyst who types ``orphan drug designation Duchenne`` or ``approval Japan`` wants the
releases announcing that event, not every release about Duchenne or Japan. The indexer tagged
each release with the event its headline announces (``indexer.entities``), the designations it
grants, the regulators it names and a deal's territories; the query is read here into the same
terms, so that a document can be matched on them (``search.understanding``).

>>> asked("China IND bispecific")
(Asked(kind='event', values=('ind_clearance',)), Asked(kind='regulators', values=('NMPA',)))
>>> asked("Greater China rights ADC")
(Asked(kind='event', values=('licensing',)), Asked(kind='territories', values=('Greater China', 'China')))
>>> asked("ex-US commercialization partner")
(Asked(kind='event', values=('licensing',)), Asked(kind='territories', values=('ex-US',)))
>>> asked("EU orphan designation Duchenne")
(Asked(kind='designations', values=('orphan',)), Asked(kind='regulators', values=('EMA',)))
"""

import re
from dataclasses import dataclass

from search.places import excluded_name, excluded_places, places

# The kinds of designation, by the words that name them (in queries and in releases).
DESIGNATION_PATTERNS = {
    "orphan": r"orphan|orphelin",
    "fast_track": r"fast[- ]track",
    "breakthrough": r"breakthrough (?:therapy|device)",
    "prime": r"\bprime\b(?! minister| edit\w*| medicine\b)|priority medicines",
    "rmat": r"\brmat\b|regenerative medicine advanced therapy",
    "priority_review": r"priority review(?! voucher)",
    "rare_pediatric": r"rare pediatric|rare paediatric",
}

# A query says less than a release: "breakthrough" alone asks for a Breakthrough Therapy
# designation, where a release's "breakthrough" may be a scientific one.
_QUERY_DESIGNATIONS = {
    kind: re.compile(pattern, re.IGNORECASE)
    for kind, pattern in {**DESIGNATION_PATTERNS, "breakthrough": r"breakthrough(?! infection)|\bbtd\b"}.items()
}

# The events a query can ask for, by its words, in priority order: the first event found is the
# one asked ("IND approval" asks for an IND clearance, not an approval; "NDA approval" for an
# approval, not a filing). Each event accepts the document events listed. Words that are also
# medicine are fenced off: heart failure, MET exon 14, acquired resistance, transplant rejection,
# creatinine clearance, IND-enabling studies, a rights offering.
_EVENT_CUES: list[tuple[str, str, tuple[str, ...]]] = [
    ("clinical_hold", r"clinical hold|\bhold\b", ("clinical_hold",)),
    (
        "crl",
        r"complete response letter|\bcrls?\b|negative (?:chmp )?opinion|refus\w*"
        r"|(?<!transplant )(?<!mediated )(?<!graft )\breject(?:s|ed|ion)?\b(?! of (?:the )?(?:graft|transplant))",
        ("crl",),
    ),
    (
        "ind_clearance",
        r"\b(?:ind|inds|cta|ctas|ctn|clinical trial (?:application|authori[sz]ation)|investigational new drug)\b(?!-)",
        ("ind_clearance",),
    ),
    (
        "approval",  # an application named with its decision
        r"\b(?:s?nda|s?bla|maa|application)\b.{0,30}\b(?:approv|authori[sz]|opinion)"
        r"|\b(?:approv\w*|authori[sz]\w*)\b.{0,30}\b(?:s?nda|s?bla|maa)\b",
        ("approval",),
    ),
    (
        "filing",
        r"\b(?:nda|bla|maa|snda|sbla|filing|filed|submission|submitted|pdufa|resubmi\w*)\b"
        r"|(?:application|filing)s? accept\w*|accept\w* (?:for|of) (?:review|filing)",
        ("filing",),
    ),
    (
        "designation",
        "|".join(regex.pattern for regex in _QUERY_DESIGNATIONS.values()) + r"|designation",
        ("designation",),
    ),
    ("launch", r"\blaunch\w*|commercial availability|now available", ("launch", "approval")),
    (
        "approval",
        r"approv\w*|marketing authori[sz]ation|authori[sz]ed|\bchmp\b|positive opinion|\bce mark"
        r"|(?<!creatinine )(?<!renal )(?<!viral )(?<!hbsag )(?<!hepatic )\bclearance|\bcleared",
        ("approval",),
    ),
    ("enrolment_complete", r"enrol?l?ment|enrol?led|recruitment|last patient", ("enrolment_complete",)),
    (
        "first_patient_dosed",
        r"first (?:patient|participant|subject)s?|\bdos(?:ed|ing)\b|initiat\w*|trial start|\bstarts?\b",
        ("first_patient_dosed",),
    ),
    (
        "readout",
        r"topline|top-line|\bresults?\b|\bdata\b|readout|read-out|endpoints?|interim|efficacy"
        r"|\bmet (?:the |its )?(?:primary |secondary |co-primary )?endpoints?|\bmiss(?:es|ed)\b|\bfail(?:s|ed)\b",
        ("readout", "data_presentation"),
    ),
    (
        "licensing",
        r"licen[cs]\w*|partner\w*|collaborat\w*|\bdeals?\b|\brights\b(?! (?:offering|issue))"
        r"|\bacqui(?:res?|red|sition)\b(?! (?:resistance|hemophilia|haemophilia|ttp))|merger|co-develop\w*"
        r"|agreement|distribut\w*|commerciali[sz]\w*",
        ("licensing",),
    ),
    (
        "financing",
        r"financing|offering|private placement|\braise[sd]?\b|funding|\bloan\b|\bgrants?\b|royalty",
        ("financing",),
    ),
]
_EVENT_REGEXES = [(event, re.compile(pattern, re.IGNORECASE), accepted) for event, pattern, accepted in _EVENT_CUES]

# A region's regulator, asked for when the query asks for what a regulator decides.
REGION_REGULATORS = {
    "United States": "FDA",
    "North America": "FDA",
    "Europe": "EMA",
    "China": "NMPA",
    "Greater China": "NMPA",
    "Japan": "PMDA",
    "Canada": "Health Canada",
    "United Kingdom": "MHRA",
    "Australia": "TGA",
    "Switzerland": "Swissmedic",
    "Brazil": "ANVISA",
}
REGULATED_EVENTS = frozenset({"approval", "filing", "crl", "ind_clearance", "clinical_hold", "launch"})
# A deal for China is written as one for Greater China as often as not, and the reverse.
_TERRITORY_ALSO = {"China": ("Greater China",), "Greater China": ("China",)}


@dataclass(frozen=True)
class Asked:
    """One thing a query asks of a document: an entity ``kind`` of the document's
    (``event``, ``designations``, ``regulators``, ``territories``) holding any of ``values``."""

    kind: str
    values: tuple[str, ...]


def asked(text: str) -> tuple[Asked, ...]:
    """What ``text`` asks to have happened and where (see the module's examples)."""
    found: list[Asked] = []
    kinds = tuple(kind for kind, regex in _QUERY_DESIGNATIONS.items() if regex.search(text))
    if kinds:
        found.append(Asked("designations", kinds))
    events = [(name, accepted) for name, regex, accepted in _EVENT_REGEXES if regex.search(text)]
    # "orphan drug approval" asks for an approval of a designated drug: both are asked.
    event = next((item for item in events if item[0] != "designation"), None) if kinds else next(iter(events), None)
    if event:
        found.append(Asked("event", event[1]))
    excluded = set(places(" ".join(match["places"] for match in excluded_places().finditer(text))))
    regions = [region for region in dict.fromkeys(places(text)) if region not in excluded]
    if event and event[0] == "licensing":
        territories = [name for region in regions for name in (region, *_TERRITORY_ALSO.get(region, ()))]
        territories += [excluded_name(region) for region in excluded]
        if territories:
            found.append(Asked("territories", tuple(dict.fromkeys(territories))))
    elif kinds or (event and event[0] in REGULATED_EVENTS):
        regulators = tuple(dict.fromkeys(REGION_REGULATORS[place] for place in regions if place in REGION_REGULATORS))
        if regulators:
            found.append(Asked("regulators", regulators))
    return tuple(found)


def event_asked(found: tuple[Asked, ...]) -> bool:
    """Whether a query named an event (or a designation): else a document's news is judged by
    whether it is material at all (``MATERIAL_EVENTS``)."""
    return any(item.kind in ("event", "designations") for item in found)


# Events that are news about a programme, as against routine corporate notices that may name it.
MATERIAL_EVENTS = frozenset(
    {
        "ind_clearance", "clinical_hold", "first_patient_dosed", "enrolment_complete", "readout",
        "filing", "approval", "launch", "crl", "designation", "licensing",
    }
)  # fmt: skip
