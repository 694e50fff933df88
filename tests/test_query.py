"""Query syntax: what is optional, required, excluded, embedded and expanded."""

import pytest

from search.aliases import AliasTable, read_alias_file
from search.analysis import domain_analyzer
from search.query import ALIAS_WEIGHT, Term, clause_terms, parse

ALIASES = AliasTable(read_alias_file(), domain_analyzer())


def test_plain_words_rank_but_constrain_nothing():
    parsed = parse("EpCAM CAR-T gastric", None)
    assert parsed.required is None and parsed.excluded is None
    assert parsed.semantic_text == "EpCAM CAR-T gastric"
    assert parsed.terms == {"epcam", "cart", "gastric"}


def test_quoted_phrases_are_required_and_embedded_without_quotes():
    parsed = parse('"NTRK fusion" approval', None)
    assert parsed.required is not None
    assert parsed.semantic_text == "NTRK fusion approval"


@pytest.mark.parametrize("text", ["approval -China", "approval NOT China", 'approval -"China"'])
def test_exclusions_are_neither_embedded_nor_highlighted(text):
    parsed = parse(text, None)
    assert parsed.excluded is not None
    assert parsed.semantic_text == "approval"
    assert "china" not in parsed.terms


def test_field_values_are_required_and_not_embedded():
    parsed = parse("company:Immunofoco IND clearance", None)
    assert parsed.required is not None
    assert parsed.semantic_text == "IND clearance"
    assert ("company", "immunofoco") in set(clause_terms(parsed.required))


def test_an_unknown_field_is_just_a_word():
    parsed = parse("ratio:3 response", None)
    assert parsed.required is None and parsed.semantic_text == "ratio:3 response"


def test_and_or_are_accepted():
    assert parse("EpCAM AND gastric OR gastric", None).semantic_text == "EpCAM gastric gastric"


def test_a_query_of_exclusions_only_searches_nothing():
    parsed = parse("-China", None)
    assert parsed.semantic_text == "" and parsed.keyword is None


def test_aliases_expand_to_their_group_and_never_to_a_lookalike_target():
    parsed = parse("EpCAM CAR T", ALIASES)
    assert {"CD326", "TACSTD1"} <= set(parsed.also_searched)
    assert not {"TROP2", "TACSTD2"} & set(parsed.also_searched)
    assert "chimeric antigen receptor T cell" in parsed.also_searched


def test_a_code_finds_its_name_in_any_spelling():
    assert "zoleretinib" in parse("icp723", ALIASES).also_searched


def test_multiword_members_match_as_a_run_of_words():
    assert "ALS" in parse("Lou Gehrig's disease antisense", ALIASES).also_searched
    assert "ALS" not in parse("Lou disease Gehrig", ALIASES).also_searched


def test_expansion_can_be_switched_off():
    assert parse("EpCAM", None).also_searched == []


def test_a_sign_before_a_number_is_part_of_the_text():
    parsed = parse("stabilizing +1 nucleosomes at -2 degrees", None)
    assert parsed.required is None and parsed.excluded is None


def test_one_word_aliases_are_highlighted_but_not_the_words_of_phrase_aliases():
    terms = parse("EpCAM CAR-T", ALIASES).terms
    assert {"epcam", "cart", "cd326", "tacstd1"} <= terms
    assert "cell" not in terms and "epitheli" not in terms


def test_an_alias_is_searched_at_the_alias_weight_whether_one_or_many():
    one = parse("MS4A1", ALIASES)  # its group: CD20 | MS4A1
    assert one.also_searched == ["CD20"]
    assert one.optional[-1] == Term("text", "cd20", boost=ALIAS_WEIGHT)
    many = parse("EpCAM", ALIASES)
    assert len(many.also_searched) > 1 and many.optional[-1].boost == ALIAS_WEIGHT
