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

from search.places import excluded_name, places

# The kinds of designation, by the words that name them (in queries and in releases).
DESIGNATION_PATTERNS = {
    "orphan": r"orphan|orphelin|orphan-drug",
    "fast_track": r"fast[- ]track",
    "breakthrough": r"breakthrough (?:therapy|device)",
    "prime": r"\bprime\b(?! minister)|priority medicines",
    "rmat": r"\brmat\b|regenerative medicine advanced therapy",
    "priority_review": r"priority review",
    "rare_pediatric": r"rare pediatric|rare paediatric",
}

# A query says less than a release: "breakthrough" alone asks for a Breakthrough Therapy
# designation, where a release's "breakthrough" may be a scientific one.
_QUERY_DESIGNATIONS = {**DESIGNATION_PATTERNS, "breakthrough": r"breakthrough|\bbtd\b"}

# The events a query can ask for, by its words, in priority order: the first event found is the
# one asked ("IND approval" asks for an IND clearance, not an approval; "CRL resubmission" for
# the filing after a CRL is still about a CRL). Each event accepts the document events listed.
_EVENT_CUES: list[tuple[str, str, tuple[str, ...]]] = [
    ("clinical_hold", r"clinical hold|\bhold\b", ("clinical_hold",)),
    ("crl", r"complete response letter|\bcrls?\b|negative (?:chmp )?opinion|refus\w*|reject\w*", ("crl",)),
    (
        "ind_clearance",
        r"\b(?:ind|inds|cta|ctas|ctn|clinical trial (?:application|authori[sz]ation)|investigational new drug)\b",
        ("ind_clearance",),
    ),
    (
        "filing",
        r"\b(?:nda|bla|maa|snda|sbla|filing|filed|submission|submitted|pdufa|resubmi\w*)\b"
        r"|(?:application|filing)s? accept\w*|accept\w* (?:for|of) (?:review|filing)",
        ("filing",),
    ),
    ("designation", "|".join(_QUERY_DESIGNATIONS.values()) + r"|designation", ("designation",)),
    ("launch", r"\blaunch\w*|commercial availability|now available", ("launch", "approval")),
    (
        "approval",
        r"approv\w*|marketing authori[sz]ation|authori[sz]ed|\bchmp\b|positive opinion|\bce mark|clearance|cleared",
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
        r"topline|top-line|results?\b|\bdata\b|readout|read-out|endpoints?|interim|efficacy|\bmet\b|miss\w*|fail\w*",
        ("readout", "data_presentation"),
    ),
    (
        "licensing",
        r"licen[cs]\w*|partner\w*|collaborat\w*|\bdeals?\b|\brights\b|acqui\w*|merger|co-develop\w*|agreement"
        r"|distribut\w*|commerciali[sz]\w*",
        ("licensing",),
    ),
    (
        "financing",
        r"financing|offering|private placement|\braise[sd]?\b|funding|\bloan\b|\bgrants?\b|royalty",
        ("financing",),
    ),
]
_EVENT_REGEXES = [(event, re.compile(pattern, re.IGNORECASE), accepted) for event, pattern, accepted in _EVENT_CUES]

# A region's regulator, for the events a regulator decides.
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
# "ex-US rights", "outside Japan": a deal for everywhere but the place.
_EXCLUDED = re.compile(
    r"(?:\bex-\s*|\b(?:outside|excluding|except)\s+(?:the\s+)?)([\w.]+(?:\s+[A-Z]\w+)*)", re.IGNORECASE
)
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
    event = next(((name, accepted) for name, regex, accepted in _EVENT_REGEXES if regex.search(text)), None)
    kinds = tuple(kind for kind, pattern in _QUERY_DESIGNATIONS.items() if re.search(pattern, text, re.IGNORECASE))
    if kinds:
        found.append(Asked("designations", kinds))
    elif event:
        found.append(Asked("event", event[1]))
    regions = list(dict.fromkeys(places(text)))
    if event and event[0] == "licensing":
        excluded = set(places(" ".join(_EXCLUDED.findall(text))))
        territories = [
            name
            for region in regions
            for name in ([excluded_name(region)] if region in excluded else [region, *_TERRITORY_ALSO.get(region, ())])
        ]
        if territories:
            found.append(Asked("territories", tuple(dict.fromkeys(territories))))
    else:
        named = (REGION_REGULATORS[region] for region in regions if region in REGION_REGULATORS)
        regulators = tuple(dict.fromkeys(named))
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
