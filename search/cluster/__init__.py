"""Sharded serving on a Ray cluster (the optional extra ``clinsearch[cluster]``): replicas of
each shard of a sharded generation held by Ray actors on the cluster's nodes, asked through
the shard seam (``search.shards``)."""
