"""Facet counts over a result list, as a user reads them: most frequent values first."""

import random
from collections import Counter

import numpy as np

from search.facets import FACETS, VALUES_SHOWN, counts, document_facet_values, value_key


def expected_counts(documents: list[dict], name: str) -> list[tuple[str, int]]:
    """What the facet ``name`` should list for ``documents`` (in result order), counted simply."""
    counter = Counter()
    for document in documents:
        values = document_facet_values(document["entities"], document["company"], document["source"], document["date"])
        counter.update(list(dict.fromkeys(value_key(value) for value in values[name])))  # each once
    return counter.most_common(VALUES_SHOWN)  # ties: the value met first comes first


def test_counts_are_the_result_lists_values_most_frequent_first_ties_in_result_order(searcher):
    opened = searcher.current()
    documents = opened.shard.documents(opened.table.doc_ids)
    generator = random.Random(7)
    for size in (0, 1, 15, 60, len(documents)):
        result_list = generator.sample(range(len(documents)), size)  # document numbers
        counted = counts(opened.table, np.array(result_list, dtype=np.int64), {})
        in_order = [documents[opened.table.doc_ids[number]] for number in result_list]
        for name in FACETS:
            listed = [(value_key(item["value"]), item["count"]) for item in counted[name]["values"]]
            assert listed == expected_counts(in_order, name), (name, size)


def test_a_selected_value_is_listed_even_when_no_result_holds_it(searcher):
    counted = counts(searcher.current().table, np.arange(5), {"regulator": ("PMDA", "No Such Agency")})
    listed = {item["value"]: (item["count"], item["selected"]) for item in counted["regulator"]["values"]}
    assert listed["No Such Agency"] == (0, True)
    assert listed["PMDA"][1] is True
