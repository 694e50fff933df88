"""The indexer: files → documents → chunks → keyword and embedding indexes, one generation at a time."""
