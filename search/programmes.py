"""Programme timelines: every announcement about one drug, found by code, name or alias, in
date order."""

from search.aliases import AliasTable
from search.document_table import DocumentTable
from search.entities import code_key


def programme_keys(name: str, aliases: AliasTable) -> set[str]:
    """The keys a drug is known by: its own and those of every alias group naming it
    (``zoleretinib`` → ``icp723``)."""
    keys = {code_key(name)}
    keys |= {code_key(expansion.text) for expansion in aliases.expansions(name)}
    return keys


def programme_documents(name: str, table: DocumentTable, aliases: AliasTable) -> list[str]:
    """Ids of the documents naming the drug ``name`` (as a code, a name, or a header's
    ``programme``), oldest first."""
    wanted = programme_keys(name, aliases)
    found = [doc_id for key in wanted for doc_id in table.programme_index.get(key, ())]
    return sorted(set(found), key=lambda doc_id: (table.date_of(doc_id), doc_id))
