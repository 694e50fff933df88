"""The domain analyzer keeps codes, targets and modalities whole and matches their spellings."""

import pytest

from search.analysis import domain_analyzer


def terms(text: str) -> list[str]:
    return [token.text for token in domain_analyzer()(text)]


@pytest.mark.parametrize(
    ("first", "second"),
    [("ICP-723", "ICP723"), ("ICP-723", "icp-723"), ("CAR-T", "CART"), ("PD-L1", "PDL1"), ("NTLA-2002", "ntla2002")],
)
def test_spellings_of_one_code_analyse_alike(first, second):
    assert terms(first) == terms(second)
    assert len(terms(first)) == 1


def test_dotted_targets_stay_one_token():
    assert terms("CLDN18.2") == ["cldn18.2"]


def test_ordinary_hyphenated_words_split_and_stem():
    assert terms("fusion-positive tumours") == ["fusion", "posit", "tumour"]


def test_code_is_not_confused_with_its_number():
    assert "723" not in terms("zoleretinib (ICP-723)")
