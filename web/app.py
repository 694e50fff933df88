"""The Flask app factory: configuration, the searcher opened once, the blueprint, error pages."""

import functools
import logging
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search.embedded.index_format import default_index_dir
from search.errors import ClinsearchError, NotFoundError, QueryError, cluster_extra_needed
from search.links import web_link
from search.pipeline import Searcher
from web import views
from web.rendering import excerpt, highlighted, shifted

log = logging.getLogger(__name__)

# Paths outside /api/ whose errors are JSON too: tools, not people, read them.
MACHINE_PATHS = ("/healthz", "/openapi.json", "/feed", "/export.csv", "/export.jsonl")

# The errors a request itself causes, and the status each is answered with; the views let them raise.
REQUEST_ERROR_STATUS = {QueryError: 400, NotFoundError: 404}


def create_app(config: dict | None = None) -> Flask:
    """A configured app. ``INDEX`` names the index directory (``CLINSEARCH_INDEX`` in the
    environment); the searcher, and with it the model, is loaded here, once per process.
    Where the server is reachable by others, set Flask's ``TRUSTED_HOSTS`` (for example
    ``CLINSEARCH_TRUSTED_HOSTS='["search.example.org"]'``): the feed's links are absolute, built
    from the request's ``Host``, and a request naming another host is then refused with a 400.

    Raises:
        IndexNotFoundError: the index directory holds no built index.
    """
    app = Flask(__name__)
    app.config.from_mapping(INDEX=str(default_index_dir()))
    app.config.from_prefixed_env("CLINSEARCH")
    app.config.update(config or {})
    app.extensions["clinsearch"] = Searcher(Path(app.config["INDEX"]), _shards_opener(app.config))
    app.jinja_env.filters["highlighted"] = highlighted
    app.jinja_env.filters["shifted"] = shifted
    app.jinja_env.filters["excerpt"] = excerpt
    app.jinja_env.filters["linkable"] = web_link
    app.register_blueprint(views.blueprint)
    for error_class, status in REQUEST_ERROR_STATUS.items():
        app.register_error_handler(error_class, functools.partial(_request_error, status=status))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _shards_opener(config: dict):
    """With ``RAY`` (a Ray cluster's address, ``CLINSEARCH_RAY``), shards are served by
    ``REPLICAS`` replicas each on that cluster (``search.cluster``); without, in this process."""
    if not config.get("RAY"):
        return None
    with cluster_extra_needed():
        from search.cluster import replicas
    replicas.connect(config["RAY"])
    return functools.partial(replicas.replicated, replicas=int(config.get("REPLICAS", 1)))


def error_body(message: str, status: int):
    """The one JSON error shape of the API: ``{"error": message, "status": status}``."""
    return jsonify({"error": message, "status": status}), status


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in MACHINE_PATHS


def _error_response(message: str, status: int):
    """The JSON error body for the API and other machine paths, the error page for people."""
    if _wants_json():
        return error_body(message, status)
    return render_template("error.html", message=message, status=status), status


def _request_error(error: ClinsearchError, status: int):
    return _error_response(str(error), status)


def _http_error(error: HTTPException):
    """Flask's own errors in our shape, keeping the headers they need (a 405's ``Allow``)."""
    body, status = _error_response(error.description or error.name, error.code or 500)
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return body, status, headers


def _unexpected_error(error: Exception):
    log.exception("unexpected error on %s", request.path)
    return _error_response("Something went wrong on our side; the error was logged.", 500)
