"""Deterministic red-flag detection for back-pain messages (no Rasa needed).

`detect(text)` returns what a clinician would want flagged in one patient message; the
clinical spec is `shared/clinic/red_flags.md`. The rules live in `rules.py`, negation,
history and "other person" handling in `context.py`.
"""

from redflags.detector import Detection, DetectionResult, RedFlagDetector, detect
from redflags.levels import LEVEL_ORDER, FLAG_LEVELS, FLAG_SOURCES, combined_level, max_level

__all__ = [
    "Detection",
    "DetectionResult",
    "RedFlagDetector",
    "detect",
    "LEVEL_ORDER",
    "FLAG_LEVELS",
    "FLAG_SOURCES",
    "combined_level",
    "max_level",
]
