"""Analyst queries over the bundled corpus find the story (or programme) their writer expected.

The expected stories were named by the people who wrote them, before any ranking was run.
"""

import pytest

STORY_QUERIES = {
    "RZ358 partial clinical hold lifted": "2024-09-09-rezolute-rz358-partial-hold-lifted",
    "neffy complete response letter": "2023-09-19-ars-pharmaceuticals-neffy-complete-response-letter",
    "VCN-01 EU orphan retinoblastoma": "2024-10-16-theriva-vcn-01-eu-orphan-retinoblastoma",
    "VAX-31 breakthrough therapy designation": "2024-11-12-vaxcyte-vax-31-breakthrough-infant-ind",
    "felzartamab breakthrough antibody-mediated rejection": "2024-10-09-biogen-felzartamab-breakthrough-kidney-amr",
    "partial clinical hold lifted NSCLC TIL": "2024-03-04-iovance-ln-145-iov-lun-202-hold-lifted",
    "Health Canada CTA briquilimab asthma": "2024-09-10-jasper-briquilimab-asthma-health-canada-cta",
    "CD46 ADC prostate topline": "2024-04-02-fibrogen-fg-3246-cd46-adc-phase-1-mcrpc",
    "EpCAM CAR-T second IND": "2025-03-21-immunofoco-imc001-second-ind",
    "tafamidis senile systemic amyloidosis orphan": "2012-11-08-pfizer-tafamidis-eu-orphan-senile-systemic-amyloidosis",
    "cosibelimab complete response letter manufacturer": "2023-12-18-checkpoint-cosibelimab-complete-response-letter",
    "Nectin-4 ADC cervical Fast Track": "2024-12-03-corbus-crb-701-fast-track-cervical",
}

# Near ties: the story about the hold being placed is as close in words and meaning (scores
# within 2% in both retrievers), so the expected story must be in the top two.
NEAR_TIES = {
    "PepGen clinical hold lifted DM1": "2023-10-12-pepgen-pgn-edodm1-hold-lifted",
}

# Paraphrases that name no code: any story of the programme answers them.
PROGRAMME_QUERIES = {
    "gene editing hereditary angioedema": "NTLA-2002",
    "chikungunya vaccine Canada": "IXCHIQ",
    "CRISPR beta thalassemia approval": "exa-cel",
    "epinephrine nasal spray approval": "neffy",
    "TIL therapy melanoma accelerated approval": "lifileucel",
    "Alzheimer's antibody Japan": "lecanemab",
    "Duchenne cell therapy BLA": "deramiocel",
    "Rett syndrome gene therapy": "TSHA-102",
}


@pytest.mark.parametrize(("query", "story"), STORY_QUERIES.items())
def test_analyst_query_finds_its_story_first(searcher, query, story):
    assert searcher.search(query, k=5)["hits"][0]["doc_id"] == story


@pytest.mark.parametrize(("query", "programme"), PROGRAMME_QUERIES.items())
def test_paraphrase_finds_its_programme_first(searcher, query, programme):
    assert searcher.search(query, k=5)["hits"][0]["metadata"]["programme"] == programme


@pytest.mark.parametrize(("query", "story"), NEAR_TIES.items())
def test_near_tie_query_finds_its_story_in_the_top_two(searcher, query, story):
    assert story in [hit["doc_id"] for hit in searcher.search(query, k=2)["hits"]]
