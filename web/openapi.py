"""The OpenAPI 3.1 description of the JSON API, written as data (a test checks it against the
routes and the request parameters)."""

from search.facets import EVENT_LABELS, FILTER_FACETS
from search.pipeline import MAX_EXPORT, MAX_PROGRAMME_NAME
from search.request import (
    FUSIONS,
    MAX_DEPTH,
    MAX_FACET_VALUE_LENGTH,
    MAX_FACET_VALUES,
    MAX_FILTER_VALUES,
    MAX_K,
    MAX_QUERY_LENGTH,
    MODES,
    SORTS,
)
from web.exports import ENTITY_COLUMNS, EXPORT_COLUMNS

ERROR = {"$ref": "#/components/schemas/Error"}
# Text the server reads once its spaces are collapsed: at least one other character.
NOT_BLANK = r"\S"


def _parameter(name: str, description: str, schema: dict, required: bool = False, many: int = 0) -> dict:
    """A query parameter; ``many`` (if not 0) is how often it may repeat."""
    if many:
        schema = {"type": "array", "items": schema, "maxItems": many}
    parameter = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    return parameter | ({"style": "form", "explode": True} if many else {})


def search_parameters() -> list[dict]:
    """Every parameter of ``/api/search`` (and of the page, feed and CSV export)."""
    facet_descriptions = {
        "event": "event type: " + ", ".join(EVENT_LABELS),
        "regulator": "regulator (FDA, EMA, NMPA, PMDA, Health Canada, MHRA, …)",
        "modality": "modality (CAR-T, ADC, monoclonal antibody, gene therapy, …)",
        "target": "target (EpCAM, HER2, CLDN18.2, …)",
        "indication": "indication (gastric cancer, hereditary angioedema, …)",
        "phase": "trial phase (Phase 1, Phase 1/2, Phase 3, …)",
        "designation": "designation (orphan, fast_track, breakthrough, rmat, prime, …)",
        "territory": "a deal's territory (Worldwide, Greater China, Europe, Japan, …)",
        "drug": "drug code (IMC001, NTLA-2002, …)",
        "company": "company, as written in the results",
        "source": "publisher, as written in the results",
    }
    return [
        _parameter(
            "q",
            f"the query (up to {MAX_QUERY_LENGTH} characters). Left out, with at least one filter, the "
            "answer lists every announcement the filters let through, newest first",
            {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH, "pattern": NOT_BLANK},
        ),
        _parameter("mode", "retrieval mode", {"type": "string", "enum": list(MODES), "default": "hybrid"}),
        _parameter("k", "results per page", {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10}),
        _parameter("page", f"page number; page × k ≤ {MAX_DEPTH}", {"type": "integer", "minimum": 1, "default": 1}),
        _parameter("sort", "relevance, or date (newest first)", {"type": "string", "enum": list(SORTS)}),
        _parameter("date_from", "earliest date, ISO", {"type": "string", "format": "date"}),
        _parameter("date_to", "latest date, ISO", {"type": "string", "format": "date"}),
        *[
            _parameter(
                name,
                f"filter by {facet_descriptions[name]}; repeat for any of several (at most {MAX_FACET_VALUES}, "
                f"and {MAX_FILTER_VALUES} over all filters)",
                {"type": "string", "maxLength": MAX_FACET_VALUE_LENGTH},
                many=MAX_FACET_VALUES,
            )
            for name in FILTER_FACETS
        ],
        _parameter("fusion", "hybrid fusion method", {"type": "string", "enum": list(FUSIONS), "default": "convex"}),
        _parameter("alpha", "keyword weight of convex fusion", {"type": "number", "minimum": 0, "maximum": 1}),
        _parameter("rrf_k", "k of reciprocal rank fusion", {"type": "integer", "minimum": 1, "default": 60}),
        _parameter("aliases", "expand the query with aliases", {"type": "boolean", "default": True}),
        _parameter(
            "interpret",
            "boost documents about what the query names and asks for (entities, event, designation, region)",
            {"type": "boolean", "default": True},
        ),
    ]


def openapi_spec() -> dict:
    bad_request = {"description": "a bad parameter", "content": {"application/json": {"schema": ERROR}}}
    not_found = {
        "description": "no such document, or no announcement names the drug",
        "content": {"application/json": {"schema": ERROR}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "clinsearch", "version": "1", "description": "Search clinical-development announcements."},
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Search: one page of ranked announcements with passages, facets and score parts",
                    "parameters": search_parameters(),
                    "responses": {"200": _json("SearchResults"), "400": bad_request},
                }
            },
            "/api/documents/{doc_id}": {
                "get": {
                    "summary": "One announcement with its body, entities, versions and programme timelines",
                    "parameters": [
                        {
                            "name": "doc_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1},
                        },
                        _parameter(
                            "q", "words to highlight in the body", {"type": "string", "maxLength": MAX_QUERY_LENGTH}
                        ),
                        _parameter("chunk", "the passage id to mark", {"type": "integer", "minimum": 0}),
                    ],
                    "responses": {"200": _json("Document"), "400": bad_request, "404": not_found},
                }
            },
            "/api/programmes/{name}": {
                "get": {
                    "summary": "Every announcement about one drug (code, name or alias), oldest first",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": MAX_PROGRAMME_NAME,
                                "pattern": NOT_BLANK,
                            },
                        }
                    ],
                    "responses": {"200": _json("Programme"), "400": bad_request, "404": not_found},
                }
            },
            "/feed": {
                "get": {
                    "summary": "An Atom feed of a search, newest first",
                    "parameters": search_parameters(),
                    "responses": {
                        "200": {"description": "Atom", "content": {"application/atom+xml": {}}},
                        "400": bad_request,
                    },
                }
            },
            "/export.csv": {
                "get": {
                    "summary": f"The whole result list, up to {MAX_EXPORT:,} announcements, as CSV",
                    "description": f"Columns: {', '.join(EXPORT_COLUMNS)}. Lists are joined with '; '; a cell a "
                    "spreadsheet would read as a formula starts with an apostrophe. `k` and `page` are ignored.",
                    "parameters": search_parameters(),
                    "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}, "400": bad_request},
                }
            },
            "/export.jsonl": {
                "get": {
                    "summary": f"The whole result list, up to {MAX_EXPORT:,} announcements, as JSON Lines",
                    "description": "One ExportRow object per line, in result order. `k` and `page` are ignored.",
                    "parameters": search_parameters(),
                    "responses": {
                        "200": {
                            "description": "JSON Lines",
                            "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/ExportRow"}}},
                        },
                        "400": bad_request,
                    },
                }
            },
            "/healthz": {"get": {"summary": "Liveness and index size", "responses": {"200": _json("Health")}}},
        },
        "components": {"schemas": _schemas()},
    }


def _json(schema: str) -> dict:
    return {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _schemas() -> dict:
    summary = {
        "type": "object",
        "properties": {name: {"type": "string"} for name in ("doc_id", "title", "date", "company", "source", "url")},
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error", "status"],
            "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
        },
        "SearchResults": {
            "type": "object",
            "required": [
                *("query", "mode", "sort", "k", "page", "total", "total_estimated", "listed"),
                *("notice", "suggestion", "facets", "hits"),
            ],
            "properties": {
                "query": {"type": "string", "description": "the query as read; empty when browsing by filters"},
                "mode": {"type": "string"},
                "sort": {"type": "string"},
                "k": {"type": "integer"},
                "page": {"type": "integer"},
                "total": {
                    "type": "integer",
                    "description": "announcements in the whole result list; the same on every page (an estimate "
                    "when total_estimated)",
                },
                "total_estimated": {
                    "type": "boolean",
                    "description": "the query matched more passages than are listed, and total estimates how many "
                    "announcements all of them make",
                },
                "listed": {
                    "type": "integer",
                    "description": "announcements listed: what the pages reach and the facets count (total, unless "
                    "total_estimated)",
                },
                "notice": {
                    "type": "string",
                    "description": "what the user should know about these results (such as that nothing mentions "
                    "a word and related announcements are shown instead); empty when there is nothing to say",
                },
                "suggestion": {
                    "type": ["string", "null"],
                    "description": "a corrected query to offer (“did you mean …”), or null",
                },
                "also_searched": {"type": "array", "items": {"type": "string"}},
                "interpretation": {"type": "array", "items": {"type": "object"}},
                "facets": {"type": "object", "description": "per facet: label and values with counts"},
                "timing": {"type": "object", "additionalProperties": {"type": "number"}},
                "hits": {"type": "array", "items": {"type": "object", "description": "an announcement with passages"}},
            },
        },
        "Document": {"type": "object", "description": "metadata, body, entities, chunks, other_versions, programmes"},
        "Programme": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "announcements": {"type": "array", "items": summary}},
        },
        "Health": {"type": "object"},
        "ExportRow": {
            "type": "object",
            "required": list(EXPORT_COLUMNS),
            "properties": {
                **{name: {"type": "string"} for name in EXPORT_COLUMNS},
                "rank": {"type": "integer"},
                "score": {"type": "number"},
                **{name: {"type": "array", "items": {"type": "string"}} for name in ENTITY_COLUMNS},
            },
        },
    }
