"""Triage levels and how flags combine, as the clinical spec's table says."""

from dataclasses import dataclass, replace
from typing import FrozenSet, Iterable, List, Optional, Tuple

LEVEL_ORDER = {"routine": 0, "urgent": 1, "emergency": 2}
# The levels that send a patient to a doctor instead of a physio booking.
ESCALATED = ("emergency", "urgent")

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


# Trauma triggers that name an injury event (not "felt a crack", which needs bone risk).
TRAUMA_EVENT_WORDS = {"fell", "fall", "fallen", "falling", "slipped", "slip", "tripped",
                      "trip", "tumbled", "accident", "landed", "crash", "knocked", "hit"}
INFECTION_EMERGENCY_WITH_FEVER = {
    "sign_sepsis": "fever with signs of sepsis (rigors, confusion, collapse)",
    "infection_risk": "fever with weakened immunity or injecting drugs",
    "infection_procedure": "fever after a spinal injection or operation",
    "infection_unwell": "fever and feeling very unwell",
}


def _rule(detection) -> str:
    return detection.rule.split("#")[0]


def escalate(present: List, unsure: List, signs: List) -> Tuple[List, List]:
    """Apply the spec's combinations across one message's detections.

    - any trauma followed by numbness, tingling or weakness in the arms or legs: emergency
      (a fall that alone would only get a question becomes a flag);
    - a minor fall or lift with osteoporosis or long-term steroids: urgent (the fall too);
    - infection: emergency with a fever plus sepsis signs, weakened immunity, injected drugs,
      a recent spinal procedure or feeling very unwell, and with any limb weakness/numbness;
    - cancer with any neurological sign (including limb numbness/weakness): emergency.
    Each raised detection records why in `raised_by`.
    """
    rules = {_rule(d) for d in present}
    families = {d.flag for d in present}
    sign_rules = {_rule(d) for d in signs}
    neuro = ("sign_limb_neuro" in sign_rules) or bool(families & NEURO_SIGNS)
    neuro_why = "with numbness, tingling or weakness in the limbs"

    def trauma_event(d) -> bool:
        return d.flag == "trauma_fracture" and (
            _rule(d) != "trauma_minor_fall"
            or bool(TRAUMA_EVENT_WORDS & set(d.trigger.lower().split()))
        )

    still_unsure = []
    for d in unsure:
        if d.flag == "trauma_fracture" and neuro and trauma_event(d):
            present.append(replace(d, status="present", level="emergency",
                                   raised_by=f"trauma {neuro_why}"))
        elif d.flag == "trauma_fracture" and "trauma_bone_risk" in rules:
            present.append(replace(d, status="present", level="urgent",
                                   raised_by="minor fall or lift with fragile bones"))
        else:
            still_unsure.append(d)

    fever = "infection_fever" in rules
    fever_reason = next((why for rule, why in INFECTION_EMERGENCY_WITH_FEVER.items()
                         if fever and (rule in rules or rule in sign_rules)), None)
    raised = []
    for d in present:
        why = None
        if d.flag == "trauma_fracture" and neuro and trauma_event(d):
            why = f"trauma {neuro_why}"
        elif d.flag == "infection" and fever_reason:
            why = fever_reason
        elif d.flag == "infection" and neuro:
            why = f"infection {neuro_why}"
        elif d.flag == "cancer" and neuro:
            why = f"cancer {neuro_why}"
        if why and LEVEL_ORDER[d.level] < LEVEL_ORDER["emergency"]:
            d = replace(d, level="emergency", raised_by=why)
        elif why and d.level == "emergency" and d.raised_by is None:
            d = replace(d, raised_by=why)
        raised.append(d)
    return raised, still_unsure


@dataclass(frozen=True)
class EmergencyCheck:
    """The one question that tells an urgent flag from the spec's emergency combination.

    `flag` is the family a yes records at emergency level (for a weakening leg, the cauda
    equina signs it asks about); `answered_by` lists the families and rules whose own
    detection in the next message answers it yes; `not_after` the rules that found the
    family but make the question meaningless (no fall to ask about after fragile bones alone).
    """

    flag: str
    why: str
    answered_by: FrozenSet[str]
    not_after: FrozenSet[str] = frozenset()


LIMB_SIGNS = frozenset({"cauda_equina", "progressive_neuro_deficit", "sign_limb_neuro"})
# In the order they are asked when more than one urgent family is present.
EMERGENCY_CHECKS = {
    "progressive_neuro_deficit": EmergencyCheck(
        "cauda_equina", "weakness with a change in bladder, bowel or saddle feeling",
        frozenset({"cauda_equina"})),
    "cancer": EmergencyCheck(
        "cancer", "cancer with numbness, tingling or weakness in the limbs or a bladder change",
        LIMB_SIGNS),
    "infection": EmergencyCheck(
        "infection", "fever with weakened immunity, injected drugs, a recent spinal procedure "
        "or feeling very unwell",
        frozenset(INFECTION_EMERGENCY_WITH_FEVER)),
    "trauma_fracture": EmergencyCheck(
        "trauma_fracture", "trauma with numbness, tingling or weakness in the limbs",
        LIMB_SIGNS, not_after=frozenset({"trauma_bone_risk"})),
}


def emergency_check(found: Iterable[Tuple[str, str]], level: Optional[str],
                    checked: Iterable[str] = ()) -> Optional[str]:
    """The family whose emergency check to ask, from the (family, rule) pairs found:
    only at urgent level, once per family."""
    if level != "urgent":
        return None
    checked = set(checked)
    eligible = {family for family, rule in found if family in EMERGENCY_CHECKS
                and rule.split("#")[0] not in EMERGENCY_CHECKS[family].not_after}
    return next((family for family in EMERGENCY_CHECKS
                 if family in eligible and family not in checked), None)
