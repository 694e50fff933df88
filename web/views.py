"""The routes. Each page and its API twin are built from the same data function, so the page,
the JSON API, the Atom feed and the exports always agree. A bad parameter or unknown id is
left to raise: ``web.app``'s error handlers answer it, as JSON or as a page by the route."""

import datetime
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from search.entities import REGULATORS
from search.errors import NotFoundError, QueryError
from search.facets import EVENT_LABELS, FILTER_FACETS
from search.request import MAX_DEPTH, MODES, SEARCH_PARAMETERS, SORTS, DocumentRequest, SearchRequest
from web import exports
from web.openapi import openapi_spec

blueprint = Blueprint("search", __name__)

FILTER_PARAMETERS = (*FILTER_FACETS, "date_from", "date_to")
BROWSE_YEARS = 10  # the start page's "since" choices: this year and the nine before it


def search_results(params) -> dict:
    """The answer to a request's URL parameters: the data behind the page, API, feed and CSV.

    Raises:
        QueryError: a parameter is missing or out of range.
    """
    return _searcher().run(SearchRequest.from_params(params))


def document_data(doc_id: str, params) -> dict:
    """One announcement, as the document page and ``/api/documents/<id>`` show it.

    Raises:
        NotFoundError: no such id.
        QueryError: ``chunk`` is not a whole number, or ``q`` is too long.
    """
    wanted = DocumentRequest.from_params(params)
    return _searcher().document(doc_id, wanted.query, wanted.chunk)


def chosen_filters(params) -> list[tuple[str, str]]:
    """The filters a request sets, as (parameter, value) pairs: facet values and date bounds."""
    return [(name, value) for name in FILTER_PARAMETERS for value in params.getlist(name) if value.strip()]


def _searcher():
    return current_app.extensions["clinsearch"]


@blueprint.app_template_global()
def url_with(**changes) -> str:
    """This page's URL with some parameters changed (``None`` removes one), for links that
    keep the rest of the current view. Any change but ``page`` goes back to page 1."""
    params = request.args.copy()
    if "page" not in changes:
        params.poplist("page")
    for name, value in changes.items():
        params.setlist(name, [] if value is None else [value])
    return _url("search.page", params)


@blueprint.app_template_global()
def url_of_this_search(endpoint: str) -> str:
    """The URL of ``endpoint`` (the feed, an export) with every parameter of this page, a
    repeated one (``regulator=FDA&regulator=EMA``) included."""
    return _url(endpoint, request.args)


@blueprint.app_template_global()
def url_toggling(facet: str, value: str) -> str:
    """This page's URL with one facet value selected, or unselected if it was."""
    params = request.args.copy()
    params.poplist("page")
    chosen = params.getlist(facet)
    params.setlist(facet, [item for item in chosen if item != value] if value in chosen else [*chosen, value])
    return _url("search.page", params)


def _url(endpoint: str, params, **options) -> str:
    """The URL of ``endpoint`` with the search parameters of ``params`` (a MultiDict): every
    value of a facet, the first of any other parameter (the one a search reads), none blank.
    Anything else is left behind, so a link never repeats what a crafted URL slipped in."""
    known = [
        (name, value)
        for name in SEARCH_PARAMETERS
        for value in (params.getlist(name) if name in FILTER_FACETS else params.getlist(name)[:1])
        if str(value).strip() or name == "q"
    ]
    return url_for(endpoint, **options) + "?" + urlencode(known)


@blueprint.get("/")
def page():
    """The search page: results for a query, or for filters alone (browsing, newest first);
    with neither, the start page."""
    context = {"query": request.args.get("q", "").strip(), "modes": MODES, "sorts": SORTS, "results": None}
    context |= {"event_labels": EVENT_LABELS, "filter_facets": FILTER_FACETS, "error": None, "max_depth": MAX_DEPTH}
    context |= {
        "chosen_filters": chosen_filters(request.args),
        "regulators": list(REGULATORS),
        "years": _browse_years(),
    }
    if context["query"] or context["chosen_filters"]:
        try:
            context["results"] = search_results(request.args)
        except QueryError as error:  # shown above the filled-in form, not on the bare error page
            context["error"] = str(error)
            return render_template("search.html", **context), 400
    return render_template("search.html", **context)


def _browse_years() -> list[int]:
    this_year = datetime.date.today().year
    return list(range(this_year, this_year - BROWSE_YEARS, -1))


@blueprint.get("/documents/<path:doc_id>")
def document_page(doc_id: str):
    document = document_data(doc_id, request.args)
    return render_template(
        "document.html", document=document, query=request.args.get("q", ""), event_labels=EVENT_LABELS
    )


@blueprint.get("/programmes/<path:name>")
def programme_page(name: str):
    """A drug's timeline; a 404 (with the page's advice) when no announcement names it."""
    programme = _searcher().programme(name)
    page = render_template("programme.html", programme=programme, event_labels=EVENT_LABELS)
    return page, 200 if programme["announcements"] else 404


@blueprint.get("/feed")
def feed():
    """An Atom feed of a search, newest first: a saved search any feed reader can follow."""
    params = request.args.copy()
    params.setlist("sort", ["date"])
    params.setlist("page", ["1"])
    results = search_results(params)
    page_url = _url("search.page", request.args, _external=True)
    feed_url = _url("search.feed", request.args, _external=True)
    return Response(exports.atom_feed(results, feed_url, page_url), mimetype="application/atom+xml")


@blueprint.get("/export.csv")
def export_csv():
    """The whole result list (up to ``search.pipeline.MAX_EXPORT`` announcements) as CSV."""
    return _export(exports.csv_lines, "text/csv", "clinsearch-results.csv")


@blueprint.get("/export.jsonl")
def export_jsonl():
    """The whole result list (up to ``search.pipeline.MAX_EXPORT`` announcements) as JSON Lines."""
    return _export(exports.jsonl_lines, "application/x-ndjson", "clinsearch-results.jsonl")


def _export(lines: Callable[[Iterable[dict]], Iterator[str]], mimetype: str, filename: str):
    """A download streamed as the searcher yields the hits; parameters are checked first, so a
    bad one is a 400 rather than a broken download."""
    search_request = SearchRequest.from_params(request.args)
    hits = _searcher().all_hits(search_request)
    return Response(
        lines(hits), mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@blueprint.get("/api/search")
def api_search():
    return jsonify(search_results(request.args))


@blueprint.get("/api/documents/<path:doc_id>")
def api_document(doc_id: str):
    return jsonify(document_data(doc_id, request.args))


@blueprint.get("/api/programmes/<path:name>")
def api_programme(name: str):
    """Raises:
    NotFoundError: no announcement names the drug (a 404)."""
    programme = _searcher().programme(name)
    if not programme["announcements"]:
        raise NotFoundError(
            f"No announcement names {programme['name']}; try its code or its name (ICP-723 or zoleretinib)."
        )
    return jsonify(programme)


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(openapi_spec())


@blueprint.get("/healthz")
def health():
    """Counts of the index served and its shards; served on a Ray cluster, each shard's
    replicas: the node each was placed on, and whether it has opened the shard."""
    opened = _searcher().current()
    manifest = opened.manifest
    body = {
        "status": "ok",
        "documents": manifest["documents"],
        "chunks": manifest["chunks"],
        "model": manifest["model"],
    }
    body["shards"] = len(manifest.get("shards") or [None])
    if hasattr(opened.shard, "placement"):
        body["replicas"] = opened.shard.placement()
    return jsonify(body)
