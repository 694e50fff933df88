"""The routes: the search page and the JSON API are built from the same result data."""

from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from search.errors import QueryError
from search.request import MODES, SearchRequest

blueprint = Blueprint("search", __name__)


def search_results(params) -> dict:
    """The answer to a request's URL parameters: the data behind both the page and the API.

    Raises:
        QueryError: a parameter is missing or out of range.
    """
    return current_app.extensions["clinsearch"].run(SearchRequest.from_params(params))


@blueprint.app_template_global()
def url_with(**changes) -> str:
    """This page's URL with some parameters changed (``None`` removes one), for links that
    keep the rest of the current view."""
    params = request.args.copy()
    for name, value in changes.items():
        params.setlist(name, [] if value is None else [value])
    return url_for("search.page") + "?" + urlencode(list(params.items(multi=True)))


@blueprint.get("/")
def page():
    query = request.args.get("q", "").strip()
    context = {
        "query": query,
        "mode": request.args.get("mode", "hybrid"),
        "modes": MODES,
        "results": None,
        "error": None,
    }
    if query:
        try:
            context["results"] = search_results(request.args)
        except QueryError as error:
            context["error"] = str(error)
            return render_template("search.html", **context), 400
    return render_template("search.html", **context)


@blueprint.get("/api/search")
def api_search():
    from web.app import error_body

    try:
        return jsonify(search_results(request.args))
    except QueryError as error:
        return error_body(str(error), 400)


@blueprint.get("/healthz")
def health():
    manifest = current_app.extensions["clinsearch"].manifest
    return jsonify(
        {"status": "ok", "documents": manifest["documents"], "chunks": manifest["chunks"], "model": manifest["model"]}
    )
