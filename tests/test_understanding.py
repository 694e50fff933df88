"""What a query asks to have happened (search.intent) and how understanding reads a query."""

import numpy as np
import pytest

from search.fusion import EMPTY, convex_combination
from search.intent import Asked, asked
from search.understanding import SHORT_BOOST, Interpretation, boost


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("approval Japan", (Asked("event", ("approval",)), Asked("regulators", ("PMDA",)))),
        ("BLA filed with FDA", (Asked("event", ("filing",)),)),
        ("IND approval China", (Asked("event", ("ind_clearance",)), Asked("regulators", ("NMPA",)))),
        ("CHMP positive opinion vaccine", (Asked("event", ("approval",)),)),
        ("resubmission after CRL", (Asked("event", ("crl",)),)),
        ("Alzheimer's trial enrollment complete", (Asked("event", ("enrolment_complete",)),)),
        ("pancreatic cancer phase 2 interim data", (Asked("event", ("readout", "data_presentation")),)),
        ("launch Canada biosimilar", (Asked("event", ("launch", "approval")), Asked("regulators", ("Health Canada",)))),
        ("RMAT designation cell therapy", (Asked("designations", ("rmat",)),)),
        ("fast track or breakthrough vaccine", (Asked("designations", ("fast_track", "breakthrough")),)),
        (
            "Latin America distribution agreement",
            (Asked("event", ("licensing",)), Asked("territories", ("Latin America",))),
        ),
        (
            "worldwide rights outside Japan",
            (Asked("event", ("licensing",)), Asked("territories", ("Worldwide", "ex-Japan"))),
        ),
        ("MASH", ()),
        ("BCMA CAR-T", ()),
        # The decision on a named application is what is asked, not the filing.
        ("NDA approval", (Asked("event", ("approval",)),)),
        ("orphan drug approval", (Asked("designations", ("orphan",)), Asked("event", ("approval",)))),
        # A region is a regulator only where a regulator decides; an excluded place is no region.
        ("Japan phase 3 readout", (Asked("event", ("readout", "data_presentation")),)),
        ("outside US approval", (Asked("event", ("approval",)),)),
        ("rights other than Japan", (Asked("event", ("licensing",)), Asked("territories", ("ex-Japan",)))),
    ],
)
def test_a_query_is_read_for_the_event_designation_and_place_it_asks_for(query, expected):
    assert asked(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "heart failure",
        "European Commission",
        "MET exon 14 NSCLC",
        "EGFR acquired resistance",
        "kidney transplant rejection",
        "creatinine clearance kidney",
        "IND-enabling studies",
        "prime editing",
        "breakthrough infections vaccine",
    ],
)
def test_medical_words_that_look_like_events_ask_for_nothing(query):
    assert asked(query) == ()


def test_the_boost_multiplies_each_score_by_the_share_of_what_was_asked_it_holds():
    interpretation = Interpretation.of("approval Japan")  # asks for an approval, by the PMDA
    holding = {("event", "approval"): np.array([1, 2]), ("regulators", "PMDA"): np.array([2])}
    fused = convex_combination((np.array([0, 1, 2, 3]), np.array([3.0, 2.5, 2.0, 1.0])), EMPTY, 1.0)
    boosted = boost(fused, interpretation, lambda kind, value: holding.get((kind, value), np.zeros(0, dtype=int)))
    # Scores 1, 0.75, 0.5, 0: document 2 holds both (× 2.2 → 1.1), document 1 the event (× 1.6 → 1.2).
    assert boosted.keys.tolist() == [1, 2, 0, 3]
    assert boosted.boosts.tolist() == pytest.approx([1 + SHORT_BOOST / 2, 1 + SHORT_BOOST, 1.0, 1.0])
    assert boosted.scores.tolist() == pytest.approx([1.2, 1.1, 1.0, 0.0])


def test_what_was_asked_is_shown_beside_what_was_named():
    shown = {(item["kind"], item["value"]) for item in Interpretation.of("EU orphan designation Duchenne").as_list()}
    assert shown == {
        ("indication", "duchenne muscular dystrophy"),
        ("designation", "Orphan drug"),
        ("regulator", "EMA"),
    }


def test_a_regulator_named_outright_is_not_asked_for_twice():
    interpretation = Interpretation.of("FDA approval melanoma")
    assert ("regulators", "FDA") in interpretation.entities
    assert [item.kind for item in interpretation.asked] == ["event"]


def test_a_subject_without_an_event_asks_for_news_and_an_event_does_not():
    assert Interpretation.of("MASH").news
    assert not Interpretation.of("MASH breakthrough therapy designation").news
    assert not Interpretation.of("approval Japan").news  # nothing named but the event and place


def test_a_sentence_names_events_in_passing_and_asks_for_none():
    claim = "Treatment with the approved drug results in lower mortality in patients with sepsis"
    interpretation = Interpretation.of(claim)
    assert interpretation.entities and not interpretation.asked and not interpretation.news
    assert not interpretation.short
