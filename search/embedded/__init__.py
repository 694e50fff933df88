"""The embedded shard: an index generation served in this process (Whoosh, numpy, SQLite)."""
