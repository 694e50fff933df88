"""What a document is about and what it announces: entities, event type, designations, figures.

``search.entities`` recognises names in any text; this module adds what only a whole
announcement has — the event its headline reports, the designations it grants, the efficacy
figures it gives — and lets the corpus's hand-written headers (``event:``, ``targets:`` …) win
over rules wherever a header gives a field.
"""

import hashlib
import re
from pathlib import Path

from indexer import territories
from indexer.documents import Document
from indexer.territories import deal_territories
from search import entities as search_entities
from search import places
from search.entities import VOCABULARY_DIR, drug_codes, recognise
from search.intent import DESIGNATION_PATTERNS

LEAD_CHARACTERS = 400  # the dateline and first sentence: where a release says what it announces

# What a results date names: "to Report Third Quarter 2024 Financial Results" is earnings news,
# not a conference appearance; "to Present Third Quarter Data at ASCO" names no results.
_RESULTS_NOUN = (
    r"financial\b|earnings|business update"
    r"|(?:quarter|full[- ]year|half[- ]year|fiscal|q[1-4]|20\d\d)\b.{0,30}\bresults"
    r"|results for (?:the )?(?:quarter|full|fiscal|q[1-4]|first|second|third|fourth)"
)

# Event types, each with the headline patterns that announce it, in priority order: when two
# patterns start at the same place the earlier event wins. Patterns are searched case-blind.
EVENT_PATTERNS: list[tuple[str, str]] = [
    (
        "other",
        r"own shares|voting rights|share (?:buy-?back|repurchase)|annual general meeting|\bagm\b"
        r"|general meeting|inducement grant|minimum bid|reverse (?:stock|share) split|delist"
        r"|shareholder letter|letter to shareholders|shareholders?'? meeting|eigene aktien|stimmrechte|actions propres"
        r"|patent|nasdaq|listing rule|compliance|(?:join|added to|inclusion in)\w*\b.{0,20}russell|russell \d+"
        r"|intention to grant|purchase order|litigation|lawsuit|settle|investigation"
        r"|(?:shareholders?|stockholders?)\b.{0,20}\b(?:approv|vote)(?!.{0,40}\b(?:merger|acqui|combination))"
        r"|approv\w* (?:all )?(?:of the )?(?:resolutions|proposals|agenda)"
        r"|(?:(?:data (?:and )?safety )?monitoring (?:board|committee)|\bdsmb\b|\bidmc\b)"
        r"(?!.{0,80}\b(?:efficacy|futility|early stop|stop\w* early|unblind))|scientific advice"
        r"|restructur\w*|reduction in (?:force|workforce)|wind[- ]down|invitation to (?:the )?(?:annual|extraordinary)"
        r"|advisory committee|\balign\w*\b|type[- ][abc] meeting|end-of-phase",
    ),
    ("crl", r"complete response letter|\bcrl\b|negative (?:chmp )?opinion|refus"),
    ("clinical_hold", r"clinical hold|teilweise.{0,20}klinische"),
    (
        "conference_appearance",
        r"\b(?:to|will)\s+(?:report|announce|release|host|hold|webcast|provide)\b"
        r"(?!.{0,90}\b(?:" + _RESULTS_NOUN + r"))"
        r"|\b(?:to|will) (?:present|participate|speak|showcase)\b"
        r"(?!.{0,60}\b(?:data|results|poster|abstract|design|study))"
        r"|fireside|investor (?:web )?(?:conference|day|event)|r&d day|kol (?:event|webinar)|webinar|conference call"
        r"|(?:healthcare|investor|growth|biotech|life sciences?) (?:conference|summit|forum)"
        r"|to (?:ring|participate)|participat(?:e|es|ion) in|journée r&d|organisera"
        r"|(?:results|earnings)\s+(?:conference\s+)?(?:call|webcast)",
    ),
    (
        "earnings",
        r"\b(?:to|will)\s+(?:report|announce|release|host|hold|webcast|provide|present)\b"
        r"(?=.{0,90}\b(?:" + _RESULTS_NOUN + r"))"
        r"|results for (?:the )?(?:first|second|third|fourth|fiscal|full)"
        r"|(?:first|second|third|fourth|1st|2nd|3rd|4th|full[- ]year|half[- ]year|annual|quarter(?:ly)?"
        r"|q[1-4]|fy|h1|h2)\b.{0,40}\b(?:financial )?(?:results|report|update)"
        r"|financial results|earnings|business update|annual report|revenue|sales results|unaudited"
        r"|quartal|geschäftsjahr"
        r"|halbjahres|quartals|résultats (?:annuels|semestriels|financiers)|chiffre d'affaires",
    ),
    (
        "financing",
        r"offering|private placement|financing|registered direct|credit facility|\bloan\b"
        r"|warrants?\b|raises?\b|\braised\b|proceeds|funding|capital increase|\bgrant\b(?! of)"
        r"|investment (?:from|by)|kapitalerhöhung|augmentation de capital|at-the-market"
        r"|awarded\b.{0,40}\b(?:contract|grant|funding)|\bbarda\b|\bcepi\b|fully funded"
        r"|conver\w*\b.{0,40}\b(?:loan|debt|notes?)\b|\b(?:loan|debt)\b.{0,40}\bequity",
    ),
    (
        "management_change",
        r"appoint(?!\w*\s+(?:principal )?investigators?)"
        r"|\bnames?\b.{0,60}\b(?:chief|ceo|cfo|president|officer|director|board|head)"
        r"|joins?\b|board of directors|chief \w+ officer\b.{0,30}(?:join|step|retire|resign)"
        r"|resign|retire|steps? down|promot(?:es|ed|ion)|\belected|leadership (?:change|transition)"
        r"|succession|\brole as\b|ernenn|nomination|nomme",
    ),
    (
        "ind_clearance",
        r"\b(?:ind|cta|clinical trial application|investigational new drug)\b.{0,80}"
        r"(?:clear|approv|accept|authori[sz]|allow|green light|go-ahead)"
        r"|(?:clear|approv|accept|authori[sz])\w*\b.{0,60}"
        r"\b(?:ind|cta|clinical trial application|investigational new drug)\b"
        r"|approv\w* to (?:initiate|start|begin|commence|proceed)|no objection letter"
        r"|may proceed|ind clearance|authori[sz]ation to (?:initiate|start|begin|proceed)"
        # a trial protocol (or its amendment) approved by a regulator or an ethics committee
        r"|approv\w*\b.{0,60}\bprotocol|\bprotocol\b.{0,40}\bapprov|ethics committee\b.{0,40}\bapprov",
    ),
    (
        "filing",
        r"\b(?:submit|submits|submitted|submission|files?|filed|filing|accept\w*|validat\w*)\b.{0,80}"
        r"\b(?:nda|bla|maa|snda|sbla|marketing (?:authori[sz]ation )?application|new drug application"
        r"|biologics license application|pma|510\(k\)|de novo)"
        r"|\b(?:nda|bla|maa|snda|sbla)\b.{0,60}(?:accept|submi|valid)|pdufa|submi\w*\b.{0,60}\bapplications?\b"
        r"|(?:\b(?:biologics license|new drug|marketing authori[sz]ation) applications?\b|\b(?:s?bla|s?nda|maa)\b)"
        r"(?!.{0,80}\b(?:approv|complete response|crl|positive (?:chmp )?opinion|refus|authori[sz]ed))|resubmi\w*"
        r"|\b(?:submits|submitted|files|filed|seeks|applies|applied)\s+(?:\w+\s+){0,2}?for\b.{0,30}\bapproval",
    ),
    (
        "designation",
        "|".join(DESIGNATION_PATTERNS.values()) + r"|(?<!voucher )designation|sakigake",
    ),
    (
        "approval",
        r"approv|marketing authori[sz]ation|positive (?:chmp )?opinion|chmp (?:adopts )?positive"
        r"|recommends? (?:approval|granting)|clearance|clears|cleared|zulassung|avis positif"
        r"|autorisation de mise sur le marché|ce mark",
    ),
    (
        "launch",
        r"(?<!pilot )(?<!anticipated )(?<!expected )(?<!planned )\blaunch(?:es|ed|ing)?\b(?! price| plans?)"
        r"(?!\s+\w+\s+with\s+\$)(?!.{0,60}\b(?:trials?|stud(?:y|ies)|programs?|platform|company"
        r"|website|roadshow|campaign|initiative|offering|placement|advisory|production|cycle)\b)"
        r"|commercial (?:launch|availability)|now (?:commercially )?available",
    ),
    (
        "enrolment_complete",
        r"complet\w* (?:of )?(?:patient |participant |subject )?(?:enrol?lment|recruitment|randomi[sz]ation)"
        r"|(?:enrol?lment|recruitment) (?:is )?complete|fully enrol?led|last patient",
    ),
    (
        "first_patient_dosed",
        r"(?:first|1st) (?:patient|participant|subject|cohort|person|vaccination|infusion)s?\b"
        r"|dos(?:es|ed|ing) (?:the )?(?:first|1st)"
        r"|initiat\w*\b.{0,60}\b(?:trial|study)|(?:commence|begin|start)s?\b.{0,60}\b(?:trial|study|dosing|program)"
        r"|(?:trial|study) (?:initiation|start)|erste[rn]? patient|premier patient",
    ),
    (
        "data_presentation",
        r"(?:data|results|poster|abstract|findings)\b.{0,80}\b(?:present|publish|accepted)"
        r"|present\w*\b.{0,60}\b(?:data|results|poster|abstract|findings|design)|presentations? at\b"
        r"|poster|abstract|publication|publish(?!\w* (?:an )?invitation)"
        r"|\bat (?:the )?(?:asco|esmo|aacr|ash|ada|easl|aasld|ectrims|aan|ats|ers|idweek|sitc"
        r"|sabcs|wclc|eha|acr|eular|ctad|aes|esc|aha|acc|asn|mds|isth|world congress|annual meeting)"
        r"|oral presentation|late-break\w*|congress|symposium|\b(?:society|association|college) (?:of|for)\b"
        r"|\b(?:asco|esmo|aacr|sitc|sabcs|wclc|eha|easl|aasld|ectrims|ctad|isth)\b",
    ),
    (
        "readout",
        r"topline|top-line|interim (?:results|data|analysis)|positive (?:results|data)|primary endpoint"
        r"|results (?:from|of)|data (?:from|show)"
        r"|\b(?:full|final|positive|promising|encouraging|preliminary|clinical) (?:\w+ )?(?:results|data)"
        r"|response rate|survival|efficacy|\bmet\b|demonstrat|show(?:s|ed)\b|achiev"
        r"|ergebnisse|résultats",
    ),
    (
        "licensing",
        r"licen[cs](?!e application)|partner|collaborat"
        r"|agreement(?!.{0,60}\b(?:loan|debt|conver\w*|notes?|equity|financing)\b)"
        r"|acqui|merger|option|co-develop|alliance|joint venture"
        r"|deal\b|lizenz|accord|letter of intent|term sheet",
    ),
]
_EVENT_REGEXES = [(event, re.compile(pattern, re.IGNORECASE)) for event, pattern in EVENT_PATTERNS]
_DESIGNATION_REGEXES = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in DESIGNATION_PATTERNS.items()}


# Efficacy figures: a measure, an optional qualifier, then a value with its unit. The measure
# may come first ("ORR of 89.1%", "median OS > 55 weeks") or last ("89.1% ORR").
MEASURES = {
    "ORR": r"ORR|objective response rate|overall response rate",
    "DCR": r"DCR|disease control rate",
    "CR rate": r"CR rate|complete response rate|complete remission rate",
    "PFS": r"PFS|progression-free survival",
    "OS": r"OS|overall survival",
    "DoR": r"DoR|duration of response",
    "pCR": r"pCR|pathologic(?:al)? complete response",
    "EFS": r"EFS|event-free survival",
    "MRD negativity": r"MRD[- ]negativ\w*",
}
_MEASURE = "|".join(f"(?P<m{number}>{pattern})" for number, pattern in enumerate(MEASURES.values()))
_FIGURE = re.compile(
    r"(?P<qualifier>(?:\d+-month|median|mean)\s+)?(?:" + _MEASURE + r")(?:\s+rate)?"
    r"(?:\s+(?:of|was|were|reached|at|is))?\s*[:=]?\s*(?P<comparison>>|≥|more than|over|greater than|up to)?\s*"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>%|percent|months?|weeks?)"
)
_FIGURE_VALUE_FIRST = re.compile(  # "90% disease control rate", "a 45% ORR"
    r"(?P<comparison>>|≥)?(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>%|percent)\s+(?P<qualifier>(?:\d+-month|median)\s+)?(?:"
    + _MEASURE
    + r")"
)


def document_entities(document: Document) -> dict:
    """The document's entities (``search.entities.KINDS``), ``event``, ``designations``,
    ``territories`` (of a licensing deal) and ``figures``; the corpus header's fields replace the
    recognised ones."""
    text = f"{document.title}\n{document.body}"
    entities = recognise(text).as_dict()
    entities["event"] = event_type(document.title, document.body[:LEAD_CHARACTERS])
    entities["designations"] = designations(text) if entities["event"] in DESIGNATED_EVENTS else []
    entities["figures"] = efficacy_figures(document.body)
    for kind, values in _header_entities(document.metadata).items():
        # A header's drugs add to those found in the text (partners' drugs are named there too);
        # its other fields replace what the rules found.
        entities[kind] = list(dict.fromkeys(values + entities[kind])) if kind.startswith("drug_") else values
    # After the header, whose ``event`` may make a release a deal or stop it being one.
    entities["territories"] = deal_territories(text) if entities["event"] == "licensing" else []
    return entities


# Events whose releases name the designations the product holds: a designation granted, a
# filing accepted for priority review, an approval of an orphan drug.
DESIGNATED_EVENTS = ("designation", "filing", "approval")


def extraction_fingerprint() -> str:
    """A hash of everything that decides a document's entities (these rules, the recogniser's,
    the vocabularies): an index built under other rules is rebuilt, not extended."""
    sources = [Path(__file__), Path(territories.__file__), Path(search_entities.__file__), Path(places.__file__)]
    sources += sorted(VOCABULARY_DIR.glob("*.txt"))
    digest = hashlib.sha256(repr(DESIGNATION_PATTERNS).encode())
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def event_type(title: str, lead: str = "") -> str:
    """The event a release announces: the first one its headline names, else its lead's, else
    ``other``."""
    for text in (title, lead):
        found = [
            (match.start(), priority, event)
            for priority, (event, regex) in enumerate(_EVENT_REGEXES)
            if (match := regex.search(text))
        ]
        if found:
            return min(found)[2]
    return "other"


def designations(text: str) -> list[str]:
    """The kinds of designation ``text`` names, in the corpus vocabulary."""
    return [kind for kind, regex in _DESIGNATION_REGEXES.items() if regex.search(text)]


def efficacy_figures(text: str) -> list[dict]:
    """Efficacy figures with their measure: ``{"measure": "ORR", "value": "89.1%", "text": …}``."""
    figures = []
    matches = sorted([*_FIGURE.finditer(text), *_FIGURE_VALUE_FIRST.finditer(text)], key=lambda match: match.start())
    for match in matches:
        measure = next(name for number, name in enumerate(MEASURES) if match[f"m{number}"])
        qualifier = (match["qualifier"] or "").strip()
        unit = "%" if match["unit"] in ("%", "percent") else " " + match["unit"]
        comparison = {"more than": ">", "over": ">", "greater than": ">", "up to": "≤"}.get(
            match["comparison"] or "", match["comparison"] or ""
        )
        figures.append(
            {
                "measure": f"{qualifier} {measure}".strip(),
                "value": f"{comparison}{match['value']}{unit}".strip(),
                "text": match.group().strip(),
            }
        )
    return figures


# Header field → entity kind; a header's ``drugs`` list holds codes and names alike.
_HEADER_LISTS = {"targets": "targets", "indications": "indications", "designations": "designations"}
_HEADER_SINGLES = {"modality": "modalities", "phase": "phases", "regulator": "regulators"}


def _header_entities(metadata: dict) -> dict:
    header: dict = {}
    for key, kind in _HEADER_LISTS.items():
        if metadata.get(key):
            header[kind] = list(dict.fromkeys(name for value in metadata[key] for name in _canonical(kind, str(value))))
    for key, kind in _HEADER_SINGLES.items():
        if metadata.get(key):
            header[kind] = [str(metadata[key])]
    if metadata.get("event"):
        header["event"] = str(metadata["event"])
    if metadata.get("programme"):
        header["programmes"] = [str(metadata["programme"])]
    if metadata.get("drugs"):
        drugs = [str(value) for value in metadata["drugs"]]
        codes = [drug for drug in drugs if drug_codes(drug) == [drug]]
        header["drug_codes"] = codes
        header["drug_names"] = [drug for drug in drugs if drug not in codes]
    return header


def _canonical(kind: str, value: str) -> list[str]:
    """A header's target or indication as the lexicon names it, so facets count alike
    (``EpCAM-positive advanced gastric cancer`` → ``gastric cancer``); kept as written when
    the lexicon knows nothing in it."""
    if kind not in ("targets", "indications"):
        return [value]
    return getattr(recognise(value), kind) or [value]
