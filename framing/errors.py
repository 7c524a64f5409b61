"""One error hierarchy: every message names the file, line or value and the next step.

The command line turns these into one line on stderr and a non-zero exit; library code
only raises them.
"""

from __future__ import annotations


class FramingError(Exception):
    """Base class for errors a user can act on (bad input, bad model, bad labels)."""


class InputError(FramingError):
    """An article, corpus or labelled-data file that cannot be read as asked."""


class CodebookError(FramingError):
    """A codebook file that is missing, malformed, or inconsistent."""


class LabelError(FramingError):
    """A hand-label or training-data file with problems."""


class ModelError(FramingError):
    """A model file that is missing, corrupt, tampered with, or of an unknown format."""


class TrainingError(FramingError):
    """Training data that cannot produce a model (no positives for a frame, too few rows)."""


class OutputError(FramingError):
    """An output file or directory that cannot be written."""
