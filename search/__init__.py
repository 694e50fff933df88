"""The search core: reads index generations and answers queries (no Flask, no click)."""
