"""The library's exception tree.

    TriageError
    ├── TaxonomyError          the taxonomy file is invalid (carries every problem found)
    ├── DataError              a labelled or input JSONL line is unusable (carries the line number)
    ├── EmptyTextError         nothing left to classify after normalization
    └── ModelError
        ├── ModelNotFoundError     no model directory / no active model
        └── ModelVerificationError the model failed a check before loading (fail closed)
"""

from __future__ import annotations


class TriageError(Exception):
    """Base of every error the core raises on purpose."""


class TaxonomyError(TriageError):
    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid taxonomy:\n  - " + "\n  - ".join(self.problems))


class DataError(TriageError):
    def __init__(self, message: str, *, line: int | None = None, source: str | None = None):
        self.line = line
        self.source = source
        where = ""
        if source is not None:
            where += f"{source}"
        if line is not None:
            where += f" line {line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class EmptyTextError(TriageError, ValueError):
    """The text is empty or whitespace only."""


class ModelError(TriageError):
    pass


class ModelNotFoundError(ModelError):
    pass


class ModelVerificationError(ModelError):
    pass
