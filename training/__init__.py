"""Training and evaluation: reads labelled JSONL, writes model directories (never the
service's tables)."""
