"""What a corpus file may hold: how deeply nested, whether its header may use YAML aliases, and
how long a document's body may be (which links are kept: ``search.links``).

Each limit turns input that would stop or swamp a reindex (a parser's ``RecursionError``, a header
that expands a thousandfold, a ``javascript:`` link, a body of tens of megabytes) into a document
reported and skipped, or kept and reported with what was cut.
"""

import json

import frontmatter
import yaml
from frontmatter.default_handlers import JSONHandler, YAMLHandler

from search import settings

MAX_NESTING = 32  # objects within lists within objects…: a release or registry record needs a handful
MAX_DOCUMENT_CHARS_VARIABLE = "CLINSEARCH_MAX_DOCUMENT_CHARS"
DEFAULT_MAX_DOCUMENT_CHARS = 2_000_000  # about 3,000 passages; the longest real release is under 100,000
TOO_DEEP = f"is nested more than {MAX_NESTING} levels deep; skipped"


def max_document_chars() -> int:
    """The longest body indexed, in characters (``CLINSEARCH_MAX_DOCUMENT_CHARS``, default 2,000,000).

    Raises:
        ClinsearchError: the variable is set to something other than a whole number above zero.
    """
    return settings.positive_integer(MAX_DOCUMENT_CHARS_VARIABLE, DEFAULT_MAX_DOCUMENT_CHARS)


def cut_body(body: str, max_chars: int) -> str:
    """``body``'s first ``max_chars`` characters, ending before a word cut in two where there is a space."""
    if len(body) <= max_chars:
        return body
    head = body[:max_chars]
    if not body[max_chars].isspace():
        kept, _, _ = head.rpartition(" ")
        head = kept or head  # one endless word: cut it at the limit
    return head.rstrip()


def parse_json(text: str):
    """``text`` parsed as JSON.

    Raises:
        ValueError: ``text`` is not JSON, or nested too deeply for the parser (whose own
            ``RecursionError`` would otherwise stop the whole reindex); the message says which.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"is not valid JSON ({error}); skipped") from None
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def is_too_deep(value) -> bool:
    """True when ``value`` holds containers nested more than ``MAX_NESTING`` deep.

    Walked with a stack, not recursion, since deep nesting is what is being looked for.
    """
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def read_header(text: str) -> tuple[dict, str]:
    """A text file's front matter (YAML or JSON) and the text after it; no header gives ``{}``.

    Raises:
        ValueError: the header uses a YAML alias, or is nested more than ``MAX_NESTING`` deep.
        yaml.YAMLError, json.JSONDecodeError: the header is not valid YAML or JSON.
    """
    handler = frontmatter.detect_format(text, _HEADER_FORMATS)
    try:
        post = frontmatter.loads(text, handler=handler)
    except RecursionError:
        raise ValueError(f"its header {TOO_DEEP}") from None
    header = dict(post.metadata)
    if is_too_deep(header):
        raise ValueError(f"its header {TOO_DEEP}")
    return header, post.content


class _AliasRefusingLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (``*name``).

    A few hundred bytes of aliases to aliases expand to megabytes of header; a release's header
    has no need to repeat a value by reference.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1
            raise ValueError(f"its header repeats a value by YAML alias (line {line}), which is not read; skipped")
        return super().compose_node(parent, index)


class _AliasRefusingYAML(YAMLHandler):
    def load(self, fm: str, **kwargs):
        return super().load(fm, Loader=_AliasRefusingLoader, **kwargs)


_HEADER_FORMATS = [_AliasRefusingYAML(), JSONHandler()]  # what python-frontmatter detects, aliases refused
