"""The routes: the search page and the JSON API are built from the same result data."""

from flask import Blueprint, current_app, jsonify, render_template, request

from search.engine import MAX_K, MODES
from search.errors import QueryError

blueprint = Blueprint("search", __name__)

DEFAULT_K = 10


def search_results(args) -> dict:
    """The answer to a search request's parameters (``q``, ``k``, ``mode``): the data behind
    both the page and ``/api/search``.

    Raises:
        QueryError: a parameter is missing or out of range.
    """
    k_text = args.get("k", str(DEFAULT_K))
    try:
        k = int(k_text)
    except ValueError:
        raise QueryError(f"k must be a whole number between 1 and {MAX_K}; got {k_text!r}") from None
    return current_app.extensions["clinsearch"].search(args.get("q", ""), k=k, mode=args.get("mode", "hybrid"))


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
    if not query:
        return render_template("search.html", **context)
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
