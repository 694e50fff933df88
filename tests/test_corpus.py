"""Every bundled story has a well-formed header with the vocabularies of corpus/README.md.

Each check is one test over all the stories, so the suite counts checks, not files; a failure
lists every offending file with its reason.
"""

import datetime
from pathlib import Path

import frontmatter
import pytest
import yaml

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
STORIES = sorted(path for path in CORPUS.glob("*.md") if path.name != "README.md")

REQUIRED_FIELDS = ("title", "date", "company", "source", "url")
EVENTS = {
    "ind_clearance",
    "clinical_hold",
    "first_patient_dosed",
    "enrolment_complete",
    "readout",
    "data_presentation",
    "filing",
    "approval",
    "crl",
    "designation",
    "licensing",
    "financing",
    "other",
}
DESIGNATIONS = {"orphan", "fast_track", "breakthrough", "prime", "rmat", "priority_review", "rare_pediatric"}
MODALITIES = {
    "small molecule",
    "monoclonal antibody",
    "bispecific antibody",
    "ADC",
    "CAR-T",
    "cell therapy",
    "gene therapy",
    "gene editing",
    "RNA therapy",
    "vaccine",
    "peptide",
    "radiopharmaceutical",
    "diagnostic",
    "other",
}


def load(path: Path) -> frontmatter.Post:
    try:
        return frontmatter.load(path)
    except yaml.YAMLError as error:  # YAML's message names no file
        pytest.fail(f"{path.name}: the header is not YAML: {error}")


@pytest.fixture(scope="module")
def stories() -> list[tuple[Path, frontmatter.Post]]:
    return [(path, load(path)) for path in STORIES]


def reason_against(objection, path, post) -> str:
    try:
        return objection(path, post)
    except TypeError as error:  # a field of the wrong shape, such as a list where one word belongs
        return f"a field has the wrong shape: {error}"


def assert_every_story(stories, objection) -> None:
    """Fail, listing each story `objection(path, post)` returns a reason against."""
    problems = [f"{path.name}: {why}" for path, post in stories if (why := reason_against(objection, path, post))]
    assert not problems, f"{len(problems)} of {len(stories)} stories:\n" + "\n".join(problems)


def missing_fields(path, post):
    missing = [field for field in REQUIRED_FIELDS if not str(post.metadata.get(field, "")).strip()]
    return f"missing {', '.join(missing)}" if missing else ""


def undated_or_unlinked(path, post):
    date, url = post.metadata.get("date"), post.metadata.get("url")
    # A datetime is a date too, but one that cannot be compared with today's date.
    if not isinstance(date, datetime.date) or isinstance(date, datetime.datetime):
        return f"date {date!r} is not a calendar date"
    if date > datetime.date.today():
        return f"date {date} is in the future"
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return f"url {url!r} is not a web address"
    return ""


def outside_the_vocabularies(path, post):
    metadata = post.metadata
    if metadata.get("event", "other") not in EVENTS:
        return f"event {metadata['event']!r} is not in the README's list"
    if not set(metadata.get("designations", [])) <= DESIGNATIONS:
        return f"designations {metadata['designations']!r} are not all in the README's list"
    if metadata.get("modality", "other") not in MODALITIES:
        return f"modality {metadata['modality']!r} is not in the README's list"
    return ""


def retelling_of_nothing(path, post):
    original = post.metadata.get("same_news_as")
    if original and (original == path.stem or not (CORPUS / f"{original}.md").is_file()):
        return f"same_news_as {original!r} is not another story of the corpus"
    return ""


def name_not_dated(path, post):
    date = post.metadata.get("date")
    if not isinstance(date, datetime.date) or not path.name.startswith(date.isoformat()):
        return f"the file name does not start with the date {date}"
    return ""


def body_too_short_or_long(path, post):
    words = len(post.content.split())
    return "" if 60 <= words <= 320 else f"the body has {words} words, not 60 to 320"


def test_the_corpus_is_large_enough_to_rank():
    assert len(STORIES) >= 200


def test_required_fields_are_present(stories):
    assert_every_story(stories, missing_fields)


def test_date_is_a_real_date_and_url_a_web_address(stories):
    assert_every_story(stories, undated_or_unlinked)


def test_vocabulary_fields_use_the_readme_vocabularies(stories):
    assert_every_story(stories, outside_the_vocabularies)


def test_retellings_name_a_story_that_exists(stories):
    assert_every_story(stories, retelling_of_nothing)


def test_the_file_name_starts_with_the_date(stories):
    assert_every_story(stories, name_not_dated)


def test_stories_have_a_body_of_their_own_length(stories):
    assert_every_story(stories, body_too_short_or_long)
