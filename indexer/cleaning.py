"""Stripping page furniture: what a saved web page holds besides the announcement itself.

Pages saved as text keep their sign-up prompts, cart links and "Scroll to Top" buttons as
lines of their own; HTML pages keep them as navigation, forms and cookie banners. Neither
belongs in a passage, and both would match queries such as "email" or "cookie".
"""

import re

from bs4 import BeautifulSoup

# Whole lines that are page furniture (compared lower-cased, without surrounding spaces).
_FURNITURE_LINES = re.compile(
    r"""^(
        scroll\ to\ top | back\ to\ top | shopping\ cart | cart | submit | ok | blank | print
      | share | share\ this( article| page)? | related\ (blogs|posts|articles|news)
      | (read|view)\ more | previous\ (post|article) | next\ (post|article) | menu | search
      | \d{1,3}                                  # a lone view or comment counter
      | please\ enter\ a\ valid\ e-?mail(\ address)?!?
      | .*your\ submission\ has\ (already\ )?been\ received.*
      | .*(sign\ up|subscribe)\ (for|to)\ (our|the)\ (newsletter|updates|mailing\ list).*
      | .*will\ be\ sent\ to\ you\ every\ .*
      | .*\b(we|this\ (web)?site)\ uses?\ cookies\b.*
      | (accept|reject|manage)(\ all)?\ cookies | cookie\ (settings|preferences|policy)
      | disclaimer:.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# HTML elements that hold navigation and furniture rather than the article.
_FURNITURE_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "form", "aside", "iframe", "button")
_FURNITURE_ATTRIBUTE = re.compile(
    r"cookie|consent|newsletter|subscribe|signup|sign-up|share|social|banner|breadcrumb|sidebar|related|menu",
    re.IGNORECASE,
)


def strip_furniture_lines(text: str) -> str:
    """``text`` without furniture lines, with runs of blank lines folded to one."""
    kept = [line.rstrip() for line in text.splitlines() if not _FURNITURE_LINES.match(line.strip())]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def html_to_text(html: str) -> tuple[str, dict]:
    """The article text of an HTML page, and what its head says (title, date, url).

    The text keeps one line per block element so that sentences from separate paragraphs
    are not glued together.
    """
    soup = BeautifulSoup(html, "lxml")
    metadata = _head_metadata(soup)
    for element in soup.find_all(_FURNITURE_TAGS):
        element.decompose()
    for element in soup.find_all(attrs={"class": _FURNITURE_ATTRIBUTE}) + soup.find_all(
        attrs={"id": _FURNITURE_ATTRIBUTE}
    ):
        if not element.decomposed:
            element.decompose()
    article = soup.find("article") or soup.find("main") or soup.body or soup
    heading = article.find("h1")
    if heading is not None:
        metadata.setdefault("title", heading.get_text(" ", strip=True))
        heading.decompose()
    return strip_furniture_lines(article.get_text("\n", strip=True)), metadata


def _head_metadata(soup: BeautifulSoup) -> dict:
    metadata = {}
    if soup.title and soup.title.string:
        metadata["title"] = soup.title.string.strip()
    for name, field in (("og:title", "title"), ("article:published_time", "date"), ("date", "date"), ("og:url", "url")):
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content"):
            metadata[field] = tag["content"].strip()
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        metadata.setdefault("url", canonical["href"])
    return metadata
