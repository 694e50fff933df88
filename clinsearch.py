"""The ``clinsearch`` command: reindex, search and serve — a front end like the web app.

Heavy modules (torch, sentence-transformers, Whoosh, Flask) are imported inside the command
that needs them, so ``clinsearch --help`` answers at once.
"""

import contextlib
import json
import os
import signal
import sys
from pathlib import Path

import click

from search.embedded.index_format import current_generation_name, default_index_dir
from search.errors import ClinsearchError
from search.evaluation import STAGES
from search.facets import EVENT_LABELS, FILTER_FACETS
from search.request import FUSIONS, MODES, SORTS, SearchRequest

EXAMPLE_QUERY = "EpCAM CAR-T gastric"

index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_index_dir,
    show_default="$CLINSEARCH_INDEX, else ./index",
    help="Index directory.",
)


@click.group()
@click.version_option(package_name="clinsearch")
def main() -> None:
    """Search clinical-development announcements: IND clearances, readouts, approvals, deals."""


@main.command()
@click.option(
    "--corpus",
    type=click.Path(exists=True, path_type=Path),
    help="Folder or file of documents (.md .txt .html .json .jsonl .csv; .json .jsonl .csv also gzipped). "
    "[default: corpus]",
)
@index_option
@click.option(
    "--shards",
    type=click.IntRange(1),
    help="Split the index into this many shards (documents routed by a hash of their id). "
    "Default: as many as the current index has, 1 for a new one.",
)
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Write the shards as tasks on the Ray cluster whose head is at ADDRESS (host:port); "
    "INDEX must be a path every node can write. Needs clinsearch[cluster].",
)
@click.option(
    "--add",
    "added",
    type=click.Path(exists=True, path_type=Path),
    help="Add the documents in this file or folder to the current index (replacing those of the same id) "
    "without reading CORPUS: seconds, however large the index. Add them to CORPUS too, for the next full reindex.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def reindex(
    corpus: Path | None,
    index_dir: Path,
    shards: int | None,
    ray_address: str | None,
    added: Path | None,
    quiet: bool,
) -> None:
    """Build a new index generation from CORPUS (or add documents to the current one) and switch to it atomically."""
    from indexer.additions import add_documents
    from indexer.build import reindex as build

    if added and (shards or ray_address or corpus):
        raise click.UsageError("--add extends the current index as it is: give it without --corpus, --shards or --ray.")
    if not added and corpus is None:
        corpus = Path("corpus")
        if not corpus.exists():
            raise click.BadParameter("Path 'corpus' does not exist; give --corpus DIR|FILE.", param_hint="'--corpus'")
    with _stopped_cleanly_by_signals(index_dir):
        if added:
            report = _translated(add_documents, added, index_dir, show_progress=not quiet)
        else:
            report = _translated(
                build, corpus, index_dir, show_progress=not quiet, shards=shards, ray_address=ray_address
            )
    for problem in report.problems:
        click.secho(f"skipped {problem}", fg="yellow", err=True)
    how = (
        f"updated: {report.changed} new or changed, {report.removed} removed"
        if report.incremental
        else "built from scratch"
    )
    click.echo(
        f"Indexed {report.documents} documents as {report.chunks} passages in {report.seconds:.1f} s, {how} "
        f"({report.encoded} passages embedded, {report.reused} from the cache) "
        f"into {report.index_dir}/{report.generation}{f' ({report.shards} shards)' if report.shards > 1 else ''}."
    )
    for number, part in enumerate(report.parts):  # written on a cluster: where, and how long
        click.echo(
            f"  shard {number}: {part.built.live_chunks} passages ({part.built.encoded} embedded) "
            f"on node {part.node[:12]} in {part.seconds:.1f} s"
        )
    for line in report.field_report.lines():  # what the documents' fields became, so a loss is seen
        click.echo(line)
    if report.problems:
        click.echo(f"{len(report.problems)} file(s) or record(s) skipped; see the messages above.")
    if report.advice:
        click.secho(report.advice, fg="yellow")
    index_flag = "" if index_dir == default_index_dir() else f" --index {index_dir}"
    click.echo(f'Try: clinsearch search "{EXAMPLE_QUERY}"{index_flag}')


@contextlib.contextmanager
def _stopped_cleanly_by_signals(index_dir: Path):
    """SIGTERM raises KeyboardInterrupt as Ctrl+C does, so an interrupted reindex removes its
    half-built generation (Python's default SIGTERM ends the process with no cleanup at all);
    either signal then ends the command with one line and the shell's code for it."""

    def interrupt(signal_number, frame):
        raise KeyboardInterrupt(signal_number)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    except KeyboardInterrupt as stop:
        number = stop.args[0] if stop.args else signal.SIGINT
        current = current_generation_name(index_dir)
        serving = f"{index_dir}/{current} serves" if current else "no index was switched"
        name = signal.Signals(number).name
        click.echo(f"Reindex stopped by {name}; nothing half-built is left and {serving}.", err=True)
        sys.exit(128 + number)
    finally:
        signal.signal(signal.SIGTERM, previous)


def facet_options(command):
    """``--event``, ``--regulator``, … ``--source``: repeatable facet filters (any value matches)."""
    for name in reversed(FILTER_FACETS):
        command = click.option(f"--{name}", multiple=True, help=f"Only announcements with this {name}; repeatable.")(
            command
        )
    return command


@main.command()
@click.argument("query")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Results per page.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--date-from", help="Earliest date, ISO (2024-01-31).")
@click.option("--date-to", help="Latest date, ISO.")
@facet_options
@click.option("--json", "as_json", is_flag=True, help="Print the JSON the API returns.")
@index_option
def search(query: str, as_json: bool, index_dir: Path, **options) -> None:
    """Search the index for QUERY and print the ranked passages.

    Filters narrow the results: `clinsearch search "pancreatic cancer" --event designation --regulator FDA`.
    """
    from werkzeug.datastructures import MultiDict

    from search.pipeline import Searcher

    # Options as URL parameters, so the command line is read by the same code as the web page.
    params = MultiDict([("q", query)])
    for name, value in options.items():
        values = value if isinstance(value, tuple) else (value,)
        params.setlist(name, [str(item) for item in values if item is not None])
    request = _translated(SearchRequest.from_params, params)
    response = _translated(_translated(Searcher, index_dir).run, request)
    if as_json:
        click.echo(json.dumps(response, indent=2, ensure_ascii=False))
        return
    if response["notice"]:  # what the query or a filter named that no document holds
        click.echo(response["notice"])
    elif not response["hits"]:
        click.echo(f"No announcement matches {query!r}. Try fewer words, another mode, or fewer filters.")
    for hit in response["hits"]:
        _print_hit(hit)
    shown = f"{len(response['hits'])} of {'about ' if response['total_estimated'] else ''}{response['total']:,} results"
    click.echo(f"{shown} in {response['timing']['total_ms']:.0f} ms ({request.mode}, page {request.page}).")


@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON the API returns.")
@index_option
def timeline(name: str, as_json: bool, index_dir: Path) -> None:
    """Every announcement about the drug NAME (code, name or alias), oldest first."""
    from search.pipeline import Searcher

    programme = _translated(_translated(Searcher, index_dir).programme, name)
    if as_json:
        click.echo(json.dumps(programme, indent=2, ensure_ascii=False))
        return
    if not programme["announcements"]:
        raise click.ClickException(f"No announcement names {name!r}. Try its code or its name, or `clinsearch search`.")
    for item in programme["announcements"]:
        label = EVENT_LABELS.get(item["event"], item["event"])
        click.echo(f"{item['date']}  {label:<24} {item['title']}  [{item['doc_id']}]")
    click.echo(f"{len(programme['announcements'])} announcements about {name}.")


def _print_hit(hit: dict) -> None:
    click.echo(click.style(f"{hit['rank']:>2}. {hit['title']}", bold=True))
    details = " · ".join(part for part in (hit["date"], hit["company"], hit["source"]) if part)
    click.echo(f"    {details}  [{hit['doc_id']}]")
    if hit["url"]:
        click.echo(f"    {hit['url']}")
    passage = hit["passage"]
    click.echo("    " + _emphasised(passage["text"], passage["highlights"]).replace("\n", " "))
    click.echo()


def _emphasised(text: str, spans: list[list[int]]) -> str:
    """``text`` with its highlighted spans in bold (plain when the output is not a terminal)."""
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], click.style(text[start:end], bold=True, fg="yellow")]
        last = end
    return "".join(pieces + [text[last:]])


@main.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def stats(index_dir: Path, as_json: bool) -> None:
    """Show what the index holds: counts by event type, regulator, modality, programme."""
    from search.stats import index_statistics

    counts = _translated(index_statistics, index_dir)
    if as_json:
        click.echo(json.dumps(counts, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{counts['documents']} documents, {counts['chunks']} passages, {counts['companies']} companies, "
        f"{counts['first_date']} to {counts['last_date']} ({counts['generation']}, {counts['model']})"
    )
    for label, values in counts["facets"].items():
        click.echo(f"\nBy {label}:")
        for value, count in values.items():
            click.echo(f"  {count:>5}  {value}")
    click.echo(f"\nProgrammes with 3 or more announcements: {len(counts['programmes'])}")
    for name, count in counts["programmes"].items():
        click.echo(f"  {count:>5}  {name}")
    click.echo(f"\nRetellings of another document's news: {counts['retellings']}")


@main.command(name="eval")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Index of the data set's corpus [default: one per data set in ~/.cache/clinsearch/eval].",
)
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv to judge by.")
@click.option(
    "--mode",
    type=click.Choice((*STAGES, "all")),
    default="all",
    show_default=True,
    help="A stage of the pipeline: each retriever, fused (no query understanding), hybrid (the default pipeline).",
)
@click.option("--fusion", type=click.Choice(FUSIONS), default=None, help="Fusion for hybrid [default: the product's].")
@click.option("--alpha", type=click.FloatRange(0, 1), default=None, help="Keyword weight of convex fusion.")
@click.option("--rrf-k", type=click.IntRange(1), default=None, help="k of reciprocal rank fusion.")
@click.option("--no-aliases", is_flag=True, help="Do not expand queries with aliases.")
@click.option("--no-interpret", is_flag=True, help="Do not boost documents about the entities a query names.")
@click.option("--run-file", type=click.Path(dir_okay=False, path_type=Path), help="Write a TREC run file.")
@click.option("--reindex", "force_reindex", is_flag=True, help="Rebuild the index even if it is up to date.")
def evaluate(
    dataset: Path,
    index_dir: Path | None,
    split: str,
    mode: str,
    fusion: str | None,
    alpha: float | None,
    rrf_k: int | None,
    no_aliases: bool,
    no_interpret: bool,
    run_file: Path | None,
    force_reindex: bool,
) -> None:
    """Measure nDCG@10, Recall@100 and MRR@10 per mode on a BEIR-layout DATASET."""
    from indexer.build import is_up_to_date
    from indexer.build import reindex as build
    from search.evaluation import evaluate as run_mode
    from search.evaluation import load_dataset, write_trec_run
    from search.pipeline import Searcher

    data = _translated(load_dataset, dataset, split)
    index_dir = index_dir or _eval_cache() / data.name
    if force_reindex or not is_up_to_date(data.corpus_path, index_dir):
        click.echo(f"Indexing {data.corpus_path} into {index_dir} …")
        _translated(build, data.corpus_path, index_dir)
    searcher = _translated(Searcher, index_dir)
    options = {
        name: value for name, value in (("fusion", fusion), ("alpha", alpha), ("rrf_k", rrf_k)) if value is not None
    }
    options["aliases"] = not no_aliases
    options["interpret"] = not no_interpret
    modes = tuple(STAGES) if mode == "all" else (mode,)
    click.echo(f"{data.name} ({split}): {len(data.queries)} queries, {searcher.manifest['documents']} documents")
    click.echo(f"{'mode':<10}{'nDCG@10':>9}{'Recall@100':>12}{'MRR@10':>9}{'time':>10}")
    results = []
    for name in modes:
        result = _translated(run_mode, searcher, data, name, **options)
        results.append(result)
        scores = result.scores
        click.echo(
            f"{name:<10}{scores['nDCG@10']:>9.4f}{scores['Recall@100']:>12.4f}{scores['MRR@10']:>9.4f}"
            f"{result.seconds:>8.1f} s  ({1000 * result.seconds / len(data.queries):.0f} ms/query)"
        )
    if run_file:
        write_trec_run(run_file, results)
        click.echo(f"Wrote the ranked lists to {run_file}.")


def _eval_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clinsearch" / "eval"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Worker threads.")
@index_option
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Serve the index's shards from replicas on the Ray cluster whose head is at ADDRESS (host:port); "
    "needs clinsearch[cluster].",
)
@click.option(
    "--replicas", type=click.IntRange(1, 16), default=1, show_default=True, help="Replicas of each shard, with --ray."
)
def serve(host: str, port: int, threads: int, index_dir: Path, ray_address: str | None, replicas: int) -> None:
    """Serve the search page and JSON API with waitress (a production WSGI server)."""
    import waitress

    from web.app import create_app

    cluster = {"RAY": ray_address, "REPLICAS": replicas} if ray_address else {}
    app = _translated(create_app, {"INDEX": str(index_dir), **cluster})
    shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    click.echo(f"clinsearch is serving {index_dir} at http://{shown_host}:{port}/  (Ctrl+C stops it)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="clinsearch")


def _translated(function, *args, **kwargs):
    """Call ``function``; a problem the user can act on becomes a one-line error, not a trace."""
    try:
        return function(*args, **kwargs)
    except ClinsearchError as error:
        raise click.ClickException(str(error)) from None
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None


if __name__ == "__main__":
    sys.exit(main())
