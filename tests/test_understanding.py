"""What a query asks to have happened (search.intent) and how understanding reads a query."""

import pytest

from search.intent import Asked, asked
from search.understanding import Interpretation


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
    ],
)
def test_a_query_is_read_for_the_event_designation_and_place_it_asks_for(query, expected):
    assert asked(query) == expected


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
