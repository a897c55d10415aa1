"""Vietnamese feedback triage: the language core.

Normalize, redact, tokenize, classify, deduplicate and prioritize citizens' feedback
about cadres and party members. The core never reads the environment and never
imports the service or training layers.

>>> from triage.normalize import normalize_text
>>> normalize_text("CT xã ko giải quyết đơn")
'Chủ tịch xã không giải quyết đơn'
"""

__version__ = "0.1.0"
