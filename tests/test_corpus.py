"""Every bundled story has a well-formed header with the vocabularies of corpus/README.md."""

import datetime
from pathlib import Path

import frontmatter
import pytest

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
STORIES = sorted(path for path in CORPUS.glob("*.md") if path.name != "README.md")

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


@pytest.fixture(scope="module", params=STORIES, ids=lambda path: path.stem)
def story(request):
    return request.param, frontmatter.load(request.param)


def test_the_corpus_is_large_enough_to_rank():
    assert len(STORIES) >= 200


def test_required_fields_are_present(story):
    _, post = story
    for field in ("title", "date", "company", "source", "url"):
        assert str(post.metadata.get(field, "")).strip(), f"missing {field}"


def test_date_is_a_real_date_and_url_a_web_address(story):
    _, post = story
    assert isinstance(post.metadata["date"], datetime.date)
    assert post.metadata["date"] <= datetime.date.today()
    assert post.metadata["url"].startswith(("http://", "https://"))


def test_vocabulary_fields_use_the_readme_vocabularies(story):
    _, post = story
    metadata = post.metadata
    assert metadata.get("event", "other") in EVENTS
    assert set(metadata.get("designations", [])) <= DESIGNATIONS
    assert metadata.get("modality", "other") in MODALITIES


def test_retellings_name_a_story_that_exists(story):
    path, post = story
    original = post.metadata.get("same_news_as")
    if original:
        assert (CORPUS / f"{original}.md").is_file() and original != path.stem


def test_the_file_name_starts_with_the_date(story):
    path, post = story
    assert path.name.startswith(post.metadata["date"].isoformat())


def test_stories_have_a_body_of_their_own_length(story):
    _, post = story
    assert 60 <= len(post.content.split()) <= 320
