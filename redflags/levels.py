"""Triage levels and how flags combine, as the clinical spec's table says."""

from typing import Iterable, Optional

LEVEL_ORDER = {"routine": 0, "urgent": 1, "emergency": 2}

# The level each flag family carries on its own (a rule may raise it, e.g. major trauma).
FLAG_LEVELS = {
    "cauda_equina": "emergency",
    "progressive_neuro_deficit": "urgent",
    "cardiac_vascular": "emergency",
    "trauma_fracture": "urgent",
    "cancer": "urgent",
    "infection": "urgent",
    "severe_unremitting": "urgent",
}

FLAG_SOURCES = {
    "cauda_equina": "CES warning card (Greenhalgh, Mercer, Finucane); GIRFT suspected-CES pathway 2023",
    "progressive_neuro_deficit": "NICE NG59; IFOMPT framework (Finucane et al. 2020)",
    "cardiac_vascular": "NHS back-pain advice; thoracic red-flag guidance",
    "trauma_fracture": "NICE CKS back pain; IFOMPT framework",
    "cancer": "NICE NG234 / metastatic spinal cord compression guidance",
    "infection": "NICE CKS back pain; IFOMPT framework",
    "severe_unremitting": "NHS back-pain advice; IFOMPT framework",
}

NEURO_SIGNS = {"cauda_equina", "progressive_neuro_deficit"}


def max_level(*levels: Optional[str]) -> str:
    """The highest of the given levels; `routine` when none is given."""
    known = [level for level in levels if level in LEVEL_ORDER]
    return max(known, key=LEVEL_ORDER.__getitem__, default="routine")


def combined_level(flag_levels: Iterable[tuple]) -> str:
    """Level for a set of (flag, level) pairs, applying the spec's combinations.

    Weakness with any cauda equina sign, and cancer with any neurological sign, are
    emergencies even though each alone is urgent.
    """
    pairs = list(flag_levels)
    flags = {flag for flag, _ in pairs}
    level = max_level(*(lvl for _, lvl in pairs))
    if "progressive_neuro_deficit" in flags and "cauda_equina" in flags:
        level = "emergency"
    if "cancer" in flags and flags & NEURO_SIGNS:
        level = "emergency"
    return level
