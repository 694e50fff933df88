"""The domain analyzer keeps codes, targets and modalities whole and matches their spellings."""

import pytest
from conftest import CORPUS

from indexer.documents import load_corpus
from search.analysis import domain_analyzer, matching_spans


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


def test_matching_spans_stay_in_place_after_a_letter_that_lowercases_to_two():
    text = "İstanbul site: IL-6 levels"  # "İ".lower() is "i" and a combining dot
    assert [text[start:end] for start, end in matching_spans(text, {"il6", "level"})] == ["IL-6", "levels"]


def test_matching_spans_find_what_the_analyzer_finds_in_every_bundled_announcement():
    documents, _ = load_corpus(CORPUS)
    texts = [text for document in documents for text in (document.title, document.body)]
    texts.append("CAR T and CAR-T, TCR T, car nk; a CAR; α-synuclein, TGF-β, ICP-723, CLDN18.2, first-in-class")
    texts.append("the NK arm of Aβ-directed CAR NK cells, ADC-led; IL-6")
    analyzer = domain_analyzer()
    for text in texts:
        tokens = [(token.text, token.startchar, token.endchar) for token in analyzer(text, chars=True, mode="index")]
        every_term = {term for term, _, _ in tokens}
        assert matching_spans(text, every_term) == sorted({(start, end) for _, start, end in tokens}), text[:80]
        some = set(sorted(every_term)[::7])
        expected = sorted({(start, end) for term, start, end in tokens if term in some})
        assert matching_spans(text, some) == expected, text[:80]
