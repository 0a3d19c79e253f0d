"""Random patients, each drawn from one seed: what they have, how they write, what they want.

A persona holds only facts and plans (which turn a red flag comes out, which question they
won't answer); phrasing.py turns them into words and runner.py decides, turn by turn, which
plan applies to the question the assistant asked.
"""

import datetime as dt
import random
from dataclasses import dataclass
from typing import List, Optional, Tuple

STYLES = (
    "in_order",          # answers each question as asked
    "all_in_one",        # tells everything in the first message
    "out_of_order",      # volunteers facts before they are asked
    "terse",             # "lower", "3w", "7"
    "verbose",           # long answers with a story around them
    "wrong_question",    # sometimes answers a different question than the one asked
    "refuses",           # won't or can't answer some questions ("rather not say", "no idea")
    "digresses",         # asks about dry needling or the practice mid-way
    "corrects",          # gives a wrong answer, then corrects it ("actually 4 weeks, not 2")
    "for_relative",      # writes for a relative ("I'm asking for my gran, she's 81")
    "whatsapp_numbers",  # answers button questions with the button's number ("1")
    "unclear",           # now and then, a message that says nothing ("hmm", "?", "asdf")
)
GOALS = ("routine", "book_early", "questions_only")

OPEN_QUESTIONS = ("pain_location", "pain_radiates", "onset", "duration_weeks", "severity",
                  "eases_worsens", "desk_hours", "training_change")
CHECKLIST_QUESTIONS = ("check_bladder_bowel", "check_saddle_numbness", "check_leg_weakness",
                       "check_fever_unwell", "check_cancer_history", "check_recent_trauma",
                       "check_chest_breathing")
LEVEL_ORDER = {"routine": 0, "urgent": 1, "emergency": 2}
# Questions a patient may ask mid-way, and the response that answers each.
# A question's topic and the replies that answer it.
QUESTION_ANSWERS = {
    "dn_hurt": ("utter_faq/dn_hurt",), "dn_what": ("utter_faq/dn_what",),
    "dn_side_effects": ("utter_faq/dn_side_effects",),
    "dn_sessions": ("utter_faq/dn_sessions",),
    "dn_vs_acupuncture": ("utter_faq/dn_vs_acupuncture",),
    "dn_evidence": ("utter_faq/dn_evidence",),
    "practice_location": ("utter_faq/practice_location",),
    "practice_hours": ("utter_faq/practice_hours",),
    "practice_contact": ("utter_faq/practice_contact",),
    "needling_for_me": ("utter_needling_for_me",),
    # "so what now?": where the conversation stands, never a goodbye.
    "next_step": ("utter_next_step_start_questions", "utter_next_step_in_questions",
                  "utter_next_step_in_booking", "utter_next_step_booked",
                  "utter_triage_summary", "utter_offer_booking", "utter_escalation_advice",
                  "utter_what_can_you_do"),
}


@dataclass(frozen=True)
class FlagVariant:
    """One way a red flag shows: its family, the level it carries, and the checklist
    question a truthful patient with it answers "yes" to (None: no question asks it)."""
    family: str
    variant: str
    level: str
    checklist_question: Optional[str]


RED_FLAG_VARIANTS = (
    FlagVariant("cauda_equina", "bladder", "emergency", "check_bladder_bowel"),
    FlagVariant("cauda_equina", "saddle", "emergency", "check_saddle_numbness"),
    FlagVariant("progressive_neuro_deficit", "weak_leg", "urgent", "check_leg_weakness"),
    FlagVariant("cardiac_vascular", "chest", "emergency", "check_chest_breathing"),
    FlagVariant("cardiac_vascular", "tearing", "emergency", None),
    FlagVariant("trauma_fracture", "major", "emergency", "check_recent_trauma"),
    FlagVariant("trauma_fracture", "fragile_bones", "urgent", None),
    FlagVariant("cancer", "history", "urgent", "check_cancer_history"),
    FlagVariant("cancer", "weight_loss", "urgent", "check_cancer_history"),
    FlagVariant("infection", "fever", "urgent", "check_fever_unwell"),
    FlagVariant("infection", "immune", "urgent", "check_fever_unwell"),
    FlagVariant("severe_unremitting", "constant", "urgent", None),
)


@dataclass(frozen=True)
class RedFlag:
    sign: FlagVariant
    reveal_turn: int  # the turn the patient mentions it unasked (a checklist "yes" may be sooner)


@dataclass(frozen=True)
class Facts:
    pain_location: str            # lower_back | mid_back | upper_back | neck
    pain_radiates: str            # leg | arm | none
    pain_side: Optional[str]      # left | right, when it spreads
    onset: str                    # sudden | gradual
    onset_activity: str           # a key of phrasing.ONSET_ACTIVITIES
    duration: Tuple[int, str]     # (3, "weeks"); unit days | weeks | months
    severity: int                 # 0-10, at its worst
    eases: str                    # a key of phrasing.EASES
    worsens: str                  # a key of phrasing.WORSENS
    desk_hours: int
    training_change: str          # increased | decreased | unchanged | not_training
    sport: str                    # a key of phrasing.SPORTS

    @property
    def duration_weeks(self) -> float:
        amount, unit = self.duration
        return amount * {"days": 1 / 7, "weeks": 1.0, "months": 52 / 12}[unit]

    def stated_value(self, question: str):
        """The value the slot should hold once the patient has answered `question`."""
        return {
            "pain_location": self.pain_location, "pain_radiates": self.pain_radiates,
            "onset": self.onset, "duration_weeks": self.duration_weeks,
            "severity": self.severity, "desk_hours": self.desk_hours,
            "training_change": self.training_change,
        }.get(question)


@dataclass(frozen=True)
class Writer:
    """Who is typing: the patient (relation None) or a relative writing about them."""
    relation: Optional[str] = None  # gran, dad, mom, husband, son...
    age: Optional[int] = None       # the patient's age, when the writer says it
    pronoun: str = "I"              # I | she | he

    @property
    def for_someone_else(self) -> bool:
        return self.relation is not None


@dataclass(frozen=True)
class BookingWish:
    ask_turn: int           # when the patient asks "can I just book?"
    weekday: int            # 0 = Monday
    hours: Tuple[int, int]  # the preferred window on that day, [from, to)
    wording: str            # "morning" | "afternoon" | "at"

    def preferred_day(self, today: dt.date) -> dt.date:
        """The next such weekday after today, as a patient means "Thursday"."""
        return today + dt.timedelta(days=(self.weekday - today.weekday()) % 7 or 7)


@dataclass(frozen=True)
class Correction:
    """The patient first gives `first_answer` for `question`, then corrects it."""
    question: str
    first_answer: object
    after_turns: int        # how many turns later the correction comes


@dataclass(frozen=True)
class Voice:
    typos: bool
    sa_english: bool   # "ja", "eish", "shame"
    whatsapp: bool     # lower case, "pls", "wks", no apostrophes


@dataclass(frozen=True)
class Persona:
    seed: int
    style: str
    goal: str
    facts: Facts
    writer: Writer
    voice: Voice
    name: str
    phone: str
    red_flag: Optional[RedFlag] = None
    booking: Optional[BookingWish] = None
    # (turn, topic): questions asked mid-way; topics are keys of QUESTION_ANSWERS.
    digressions: Tuple[Tuple[int, str], ...] = ()
    refused: Tuple[str, ...] = ()             # questions never answered
    wrong_answer_turns: Tuple[int, ...] = ()  # turns answering a different question
    unclear_turns: Tuple[int, ...] = ()       # turns whose message says nothing
    correction: Optional[Correction] = None
    # Open questions volunteered in the first message (all_in_one, out_of_order).
    volunteered_first: Tuple[str, ...] = ()

    @property
    def expected_level(self) -> str:
        return self.red_flag.sign.level if self.red_flag else "routine"

    def describe(self) -> str:
        f = self.facts
        parts = [f"seed={self.seed}", f"style={self.style}", f"goal={self.goal}",
                 f"{f.pain_location}", f"radiates={f.pain_radiates}/{f.pain_side}",
                 f"onset={f.onset}({f.onset_activity})", f"duration={f.duration}",
                 f"severity={f.severity}", f"desk={f.desk_hours}h",
                 f"training={f.training_change}({f.sport})"]
        if self.writer.for_someone_else:
            parts.append(f"for {self.writer.relation}, {self.writer.age}")
        if self.red_flag:
            parts.append(f"red_flag={self.red_flag.sign.family}/{self.red_flag.sign.variant}"
                         f"@turn{self.red_flag.reveal_turn}({self.red_flag.sign.level})")
        if self.booking:
            day = "Mon Tue Wed Thu Fri Sat".split()[self.booking.weekday]
            parts.append(f"book@turn{self.booking.ask_turn} {day} {self.booking.hours}")
        if self.refused:
            parts.append(f"refuses={list(self.refused)}")
        if self.unclear_turns:
            parts.append(f"unclear@turns{list(self.unclear_turns)}")
        if self.correction:
            parts.append(f"corrects {self.correction.question} "
                         f"(first said {self.correction.first_answer})")
        return " ".join(parts)


RELATIVES = {  # relation: (pronoun, youngest, oldest)
    "gran": ("she", 68, 92), "ouma": ("she", 68, 92), "mom": ("she", 45, 80),
    "dad": ("he", 48, 82), "oupa": ("he", 68, 92), "husband": ("he", 30, 75),
    "wife": ("she", 30, 75), "son": ("he", 13, 25), "daughter": ("she", 13, 25),
}
FIRST_NAMES = ["Thandi", "Pieter", "Lerato", "Johan", "Ayesha", "Sipho", "Annelie", "Kagiso",
               "Priya", "Willem", "Nomsa", "Riaan", "Zanele", "Faiez", "Chantelle"]
SURNAMES = ["Mokoena", "van Wyk", "Naidoo", "Botha", "Dlamini", "Pillay", "Nel", "Khumalo",
            "Jacobs", "Pretorius", "Ndlovu", "Adams"]
ONSET_ACTIVITIES = {
    "sudden": ["lifting_box", "toddler", "car", "deadlift", "gardening", "sneeze", "couch"],
    "gradual": ["none", "work_from_home", "new_job", "long_drives"],
}
EASES = ["lying_down", "hot_shower", "walking", "heat_pad", "stretching", "painkillers",
         "moving"]
WORSENS = ["sitting", "bending", "driving", "standing", "mornings", "lifting", "coughing"]
SPORTS = ["running", "gym", "cycling", "padel", "soccer", "netball", "crossfit", "parkrun",
          "swimming", "hiking", "rugby", "comrades"]
# Questions a patient may refuse: any open question except where the pain is (without it
# there is nothing to triage), and one safety question now and then.
REFUSABLE = ("pain_radiates", "onset", "duration_weeks", "severity", "eases_worsens",
             "desk_hours", "training_change")


def _facts(rng: random.Random, writer: Writer) -> Facts:
    location = rng.choice(["lower_back", "lower_back", "mid_back", "upper_back", "neck"])
    limb = {"lower_back": "leg", "mid_back": "none", "upper_back": "arm", "neck": "arm"}[location]
    radiates = rng.choice([limb, "none"])
    onset = rng.choice(["sudden", "gradual"])
    unit = rng.choice(["days", "weeks", "weeks", "months"])
    amount = {"days": rng.randint(2, 12), "weeks": rng.randint(1, 8),
              "months": rng.randint(2, 9)}[unit]
    elderly = writer.age is not None and writer.age >= 65
    training = rng.choice(["not_training"] if elderly else
                          ["increased", "decreased", "unchanged", "not_training"])
    return Facts(
        pain_location=location,
        pain_radiates=radiates,
        pain_side=rng.choice(["left", "right"]) if radiates != "none" else None,
        onset=onset,
        onset_activity=rng.choice(ONSET_ACTIVITIES[onset]),
        duration=(amount, unit),
        severity=rng.randint(2, 9),
        eases=rng.choice(EASES),
        worsens=rng.choice(WORSENS),
        desk_hours=rng.choice([0, 2, 4, 5, 6, 7, 8, 9, 10, 11]),
        training_change=training,
        sport=rng.choice(SPORTS),
    )


def _writer(rng: random.Random, style: str) -> Writer:
    if style != "for_relative":
        return Writer()
    relation = rng.choice(sorted(RELATIVES))
    pronoun, youngest, oldest = RELATIVES[relation]
    return Writer(relation=relation, age=rng.randint(youngest, oldest), pronoun=pronoun)


def _correction(rng: random.Random, facts: Facts) -> Correction:
    question = rng.choice(["duration_weeks", "severity", "pain_location"])
    if question == "duration_weeks":
        amount, unit = facts.duration
        first = (max(1, amount // 2) if amount > 1 else amount + 2, unit)
    elif question == "severity":
        first = facts.severity + 2 if facts.severity <= 7 else facts.severity - 3
    else:
        first = rng.choice([loc for loc in ("lower_back", "mid_back", "upper_back", "neck")
                            if loc != facts.pain_location])
    return Correction(question, first, after_turns=rng.randint(1, 3))


def random_persona(seed: int, style: Optional[str] = None, goal: Optional[str] = None,
                   red_flag: Optional[bool] = None) -> Persona:
    """A persona from `seed`; style, goal and whether there is a red flag may be fixed."""
    rng = random.Random(seed)
    style = style or rng.choice(STYLES)
    goal = goal or rng.choices(GOALS, weights=[55, 30, 15])[0]
    writer = _writer(rng, style)
    facts = _facts(rng, writer)
    if red_flag is None:
        red_flag = goal != "questions_only" and rng.random() < 0.25
    flag = RedFlag(rng.choice(RED_FLAG_VARIANTS), reveal_turn=rng.randint(0, 10)) \
        if red_flag else None
    if flag and flag.sign.family == "severe_unremitting":
        facts = Facts(**{**facts.__dict__, "severity": rng.randint(8, 10), "eases": "nothing"})

    booking = None
    if goal == "book_early":
        wording = rng.choice(["morning", "afternoon", "at"])
        hours = {"morning": (8, 12), "afternoon": (14, 17)}.get(wording)
        if hours is None:
            start = rng.choice([9, 10, 11, 14, 15, 16])
            hours = (start, start + 1)
        booking = BookingWish(ask_turn=rng.randint(1, 8), weekday=rng.randint(0, 4),
                              hours=hours, wording=wording)

    if goal == "questions_only":
        count = rng.randint(2, 4)
        turns = list(range(count))  # nothing but questions, from the first message on
    elif style == "digresses":
        count = rng.randint(1, 3)
        turns = sorted(rng.sample(range(1, 12), count))
    else:
        count, turns = 0, []
    topics = rng.sample(sorted(QUESTION_ANSWERS), count)
    digressions = tuple(zip(turns, topics))

    refused: Tuple[str, ...] = ()
    if style == "refuses":
        refused = tuple(rng.sample(REFUSABLE, rng.randint(1, 2)))
        if rng.random() < 0.5:
            refused += (rng.choice(CHECKLIST_QUESTIONS),)
    wrong_turns = tuple(sorted(rng.sample(range(2, 10), rng.randint(1, 2)))) \
        if style == "wrong_question" else ()
    unclear: Tuple[int, ...] = ()
    if style == "unclear":  # one or two runs of one to three such messages in a row
        unclear = tuple(sorted({start + offset for start in rng.sample(range(1, 14),
                                                                       rng.randint(1, 2))
                                for offset in range(rng.randint(1, 3))}))
    volunteered: Tuple[str, ...] = ()
    if style == "all_in_one":
        volunteered = OPEN_QUESTIONS
    elif style == "out_of_order":
        volunteered = tuple(rng.sample(OPEN_QUESTIONS[1:], rng.randint(2, 3)))

    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    phone = f"0{rng.choice([72, 73, 76, 79, 82, 83, 84])} {rng.randint(100, 999)} " \
            f"{rng.randint(1000, 9999)}"
    return Persona(
        seed=seed, style=style, goal=goal, facts=facts, writer=writer,
        voice=Voice(typos=rng.random() < 0.3, sa_english=rng.random() < 0.4,
                    whatsapp=rng.random() < 0.35 or style == "whatsapp_numbers"),
        name=name, phone=phone, red_flag=flag, booking=booking, digressions=digressions,
        refused=refused, wrong_answer_turns=wrong_turns, unclear_turns=unclear,
        correction=_correction(rng, facts) if style == "corrects" else None,
        volunteered_first=volunteered,
    )


def sample_personas(n: int, seed: int) -> List[Persona]:
    """n personas cycling through every (style, goal) pair, so small samples cover all."""
    pairs = [(style, goal) for goal in GOALS for style in STYLES]
    return [random_persona(seed * 1_000_003 + i, *pairs[i % len(pairs)]) for i in range(n)]


def level_at_least(level: Optional[str], wanted: str) -> bool:
    return LEVEL_ORDER.get(level or "routine", 0) >= LEVEL_ORDER[wanted]

