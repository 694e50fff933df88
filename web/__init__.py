"""The web front end: a search page and a JSON API over one Searcher per process."""
