"""How a persona says things: many wordings per fact, the way patients write in chats.

Wordings follow what people write on patient forums and in WhatsApp messages to practices
("traveled into my right buttock", "worse when I've been laying down", "9 to 5 at a laptop"),
with South African English ("ja", "eish", "shame", "arvo", Myprodol) and typos. Templates
are written for the patient themself; `{my}`, `{I}`, `{I'm}`... become "her", "she",
"she's" when a relative writes, and `{self form|other form}` picks the verb that agrees.
"""

import random
import re
from typing import Dict, List, Optional, Sequence

from tests.simulator.personas import Persona

PRONOUNS = {  # token: (I, she, he)
    "I": ("I", "she", "he"), "my": ("my", "her", "his"), "me": ("me", "her", "him"),
    "myself": ("myself", "herself", "himself"), "I'm": ("I'm", "she's", "he's"),
    "I've": ("I've", "she's", "he's"), "I'd": ("I'd", "she'd", "he'd"),
}
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve"]
LOCATIONS = {
    "terse": {
        "lower_back": ["lower back", "low back", "lower back", "lumbar"],
        "mid_back": ["middle of back", "mid back", "middle back"],
        "upper_back": ["upper back", "between shoulder blades", "top of back"],
        "neck": ["neck", "my neck", "neck"],
    },
    "plain": {
        "lower_back": ["{my} lower back", "it's {my} lower back", "the bottom of {my} back",
                       "lower back, right at the bottom of {my} spine",
                       "across the small of {my} back", "mainly lower back"],
        "mid_back": ["the middle of {my} back", "mid back", "middle of {my} back, around the "
                     "bra strap line", "in the middle of {my} spine"],
        "upper_back": ["upper back", "between {my} shoulder blades", "the top of {my} back",
                       "upper back, under {my} shoulder blade"],
        "neck": ["{my} neck", "the back of {my} neck", "it's {my} neck",
                 "neck, mostly on one side"],
    },
}
RADIATION = {
    "terse": {"leg": ["{side} leg", "down {side} leg", "yes {side} leg"],
              "arm": ["{side} arm", "into {side} arm", "yes {side} arm"],
              "none": ["no", "nope", "stays put", "no"]},
    "plain": {
        "leg": ["it goes down {my} {side} leg", "yes, into {my} {side} buttock and down the back "
                "of {my} thigh", "it shoots down {my} {side} leg to the knee",
                "sometimes into {my} {side} leg", "ja it travels down the {side} leg",
                "down the {side} leg, feels like sciatica"],
        "arm": ["into {my} {side} arm", "down {my} {side} arm to {my} fingers",
                "it goes into {my} {side} shoulder and arm", "yes, {side} arm sometimes"],
        "none": ["no, it stays in {my} back", "no it doesn't spread", "just in the one spot",
                 "no, it stays put", "nope, only there"],
    },
}
ACTIVITIES = {
    "lifting_box": "lifting a heavy box", "toddler": "picking up the grandkids",
    "car": "getting out of the car", "deadlift": "doing deadlifts at gym",
    "gardening": "pulling out weeds in the garden", "sneeze": "sneezing",
    "couch": "helping a mate move a couch",
    "none": "", "work_from_home": "since {I} started working from home",
    "new_job": "since {my} new job started", "long_drives": "with all the long drives for work",
}
ONSET = {
    "terse": {"sudden": ["suddenly", "sudden", "all of a sudden"],
              "gradual": ["gradually", "slowly", "gradual"]},
    "plain": {
        "sudden": ["it started suddenly when {I} was {activity}", "it just went while {I} was "
                   "{activity}", "suddenly, {I} was {activity} and felt it go",
                   "all of a sudden, {activity}"],
        "gradual": ["it came on gradually {activity}", "it crept up on {me} slowly {activity}",
                    "slowly, no idea what started it", "bit by bit, no specific injury",
                    "gradually {activity}"],
    },
}
DURATION = {
    "terse": {"days": ["{n} days", "{n}d", "{n} days"], "weeks": ["{n} weeks", "{n} wks", "{n}w"],
              "months": ["{n} months", "{n} mnths", "{n} months"]},
    "plain": {
        "days": ["{n} days", "about {n} days now", "{w} days", "for {n} days", "{n} days or so"],
        "weeks": ["{n} weeks", "about {n} weeks", "going on {n} weeks", "a good {n} weeks now",
                  "{w} weeks", "roughly {n} weeks"],
        "months": ["{n} months", "about {n} months", "{w} months now", "for the last {n} months",
                   "about {w} months"],
    },
}
SEVERITY = {
    "terse": ["{n}", "{n}/10", "{n}"],
    "plain": ["{n}", "about a {n}", "{n} out of 10", "at its worst {n}", "I'd say {n}", "{w}",
              "{n}/10 on a bad day", "probably a {n}"],
}
SEVERITY_AMONG_OTHERS = ["pain about {n}/10", "{n} out of 10 at its worst", "I'd rate it a {n}/10"]
DESK_HOURS_AMONG_OTHERS = ["{I} sit about {n} hours a day", "{n} hours a day at a desk",
                           "{I'm} at {my} laptop {n} hours a day"]
EASES = {"lying_down": "lying down", "hot_shower": "a hot shower", "walking": "walking",
         "heat_pad": "a heat pad", "stretching": "stretching", "painkillers": "Myprodol",
         "moving": "moving around", "nothing": "nothing"}
WORSENS = {"sitting": "sitting", "bending": "bending", "driving": "driving",
           "standing": "standing for long", "mornings": "mornings", "lifting": "lifting",
           "coughing": "coughing"}
EASES_WORSENS = {
    "terse": ["{worsens} worse, {eases} better", "{eases} helps"],
    "plain": ["{worsens} makes it worse and {eases} helps", "worse with {worsens}, better with "
              "{eases}", "{eases} helps a bit. {worsens} is the worst", "{worsens} kills {me}, "
              "{eases} eases it"],
}
DESK_HOURS = {
    "terse": ["{n}", "{n}h", "{n} hrs"],
    "plain": ["about {n} hours", "{n} hours", "{n} hrs", "like {n} hours a day at {my} desk",
              "roughly {n} hours", "{w} hours or so", "{n} hours, mostly at a laptop"],
}
ON_FEET = ["on {my} feet all day", "none, {I'm} on {my} feet all day", "hardly any, {I} work "
           "on site all day standing"]
SPORTS = {"running": "running", "gym": "gym", "cycling": "cycling", "padel": "padel",
          "soccer": "soccer", "netball": "netball", "crossfit": "CrossFit",
          "parkrun": "parkrun", "swimming": "swimming", "hiking": "hiking", "rugby": "rugby",
          "comrades": "running for Comrades"}
TRAINING = {
    "terse": {"increased": ["more", "more than usual", "doing more"], "decreased": ["less",
              "doing less"], "unchanged": ["same", "no change"],
              "not_training": ["don't train", "none", "no exercise"]},
    "plain": {
        "increased": ["{I've} been doing more {sport} lately", "more {sport} than usual",
                      "{I've} upped the {sport} a lot", "yes, training harder, lots more {sport}"],
        "decreased": ["less than usual, {I} stopped {sport} because of the pain",
                      "{I've} cut back on {sport}", "doing less {sport} than before"],
        "unchanged": ["same as always", "nothing's changed, still doing {sport}",
                      "no change, same {sport} as usual"],
        "not_training": ["{I} don't train", "{I} don't exercise", "no sport for {me}",
                         "not really, {I'm} not sporty"],
    },
}
YES = ["yes", "ja", "yes actually", "yes", "yep", "ja unfortunately"]
NO = ["no", "nope", "no", "none of that", "not at all", "nah", "no thank god", "no never"]
REFUSALS = ["rather not say", "no idea", "not sure", "I don't know", "prefer not to say",
            "dunno", "I'd rather not answer that"]
RELATIVE_REFUSALS = ["not sure, {I} didn't say", "no idea", "I don't know, sorry"]
QUESTIONS = {
    "dn_hurt": ["does needling hurt?", "does dry needling hurt", "is the needling sore?",
                "will the needles hurt 😬"],
    "dn_what": ["what is dry needling?", "whats dry needling exactly?",
                "what's this dry needling you do?"],
    "dn_side_effects": ["are there side effects to dry needling?",
                        "any side effects from the needles?"],
    "dn_sessions": ["how many needling sessions will I need?",
                    "how many sessions of dry needling does it usually take?"],
    "dn_vs_acupuncture": ["is dry needling the same as acupuncture?",
                          "how is dry needling different from acupuncture"],
    "dn_evidence": ["does dry needling actually work?", "is there evidence that dry needling "
                    "works?"],
    "practice_location": ["where are you?", "where are you guys based?", "whats your address?"],
    "practice_hours": ["what are your hours?", "what time do you open?",
                       "what are your opening hours"],
    "practice_contact": ["what's your phone number?", "how can I contact the practice?"],
    "needling_for_me": ["would dry needling help {my} back?", "could needling help with this?",
                        "will dry needling help {me}?"],
    "next_step": ["so what now?", "what happens next?", "ok and then?", "what's next",
                  "so what do I do now"],
}
BOOK_REQUESTS = ["can I just book?", "can I book an appointment?", "I just want to book pls",
                 "can we skip this and make a booking?", "how do I book an appointment?"]
GREETINGS = ["hi", "Hi there", "Morning", "hello", "Good afternoon", "hey"]
COMPLAINTS = {
    "back": ["{my} back is really sore", "{I} hurt {my} back", "{I've} got bad back pain",
             "{my} back has been giving {me} trouble", "{my} back is killing {me}"],
    "neck": ["{my} neck is really sore", "{I} hurt {my} neck", "{I've} got a stiff, sore neck",
             "{my} neck is killing {me}"],
}
RELATIVE_INTROS = ["Hi, I'm asking for my {rel}, {they_are} {age}",
                   "hello, writing on behalf of my {rel} who is {age}",
                   "my {rel} ({age}) is in pain, can I ask for {them}?",
                   "Hi there, I'm helping my {rel}, {they_are} {age}"]
VERBOSE_PADDING = ["Thanks for asking.", "Sorry for the long message.",
                   "{I've} never had this before.", "{I'm} normally quite healthy.",
                   "It's really getting {me} down.", "{I} work in admin in Centurion.",
                   "Hope that makes sense."]
SUMMARY_YES = ["yes that's right", "yes", "correct", "ja thats right", "yep all good"]
BOOKING_YES = ["yes please", "yes book me in", "ja please", "yes"]
CORRECTIONS = {
    "duration_weeks": ["actually it's {true}, not {first}", "sorry I meant {true}, not {first}",
                       "wait no, it's been {true}"],
    "severity": ["actually more like a {true}, not {first}", "sorry, I'd say {true} not {first}",
                 "let me change that, it's {true}/10"],
    "pain_location": ["actually it's more {my} {true}", "sorry I mean {my} {true}, not the {first}",
                      "correction: it's {my} {true}"],
}
LOCATION_WORDS = {"lower_back": "lower back", "mid_back": "middle back",
                  "upper_back": "upper back", "neck": "neck"}
RED_FLAGS = {
    "bladder": ["since yesterday {I} can't pee properly, {I} have to strain and nothing comes",
                "{I} wet {myself} this morning and didn't even feel it",
                "{I've} lost control of {my} bladder since the pain got bad"],
    "saddle": ["{my} bum and privates feel numb, like after an injection at the dentist",
               "{I} can't feel the toilet paper when {I} {wipe|wipes}",
               "it's gone numb between {my} legs since this morning"],
    "weak_leg": ["{my} {side} foot keeps catching and dragging when {I} {walk|walks}, "
                 "it's getting worse", "{my} leg is getting weaker every day, it gave way on "
                 "the stairs", "{I} can't lift the toes on {my} {side} foot anymore"],
    "chest": ["{I've} also got a crushing pain in {my} chest and {I'm} short of breath",
              "there's a tight pain in {my} chest going into {my} jaw and left arm",
              "{I'm} sweaty and struggling to breathe with this chest pain"],
    "tearing": ["it's a tearing pain that goes right through to {my} back, came on suddenly "
                "and {I} feel faint", "sudden ripping pain through to {my} back and {I} nearly "
                "passed out"],
    "major": ["{I} fell off the roof, about three metres, and landed on {my} back",
              "{I} was in a car accident on the N1, that's when it started",
              "{I} fell off a ladder and landed flat on {my} back"],
    "fragile_bones": ["{I} have osteoporosis and {I} slipped in the shower",
                      "{I've} been on prednisone tablets for years for {my} asthma",
                      "the doctor said {I} have thin bones, and {I} bumped it getting into "
                      "the bath"],
    "history": ["{I} had breast cancer a few years ago", "{I'm} being treated for prostate "
                "cancer at the moment", "{I} had a melanoma removed and chemo before"],
    "weight_loss": ["{I've} lost about 8 kilos without trying", "{I've} been losing weight and "
                    "{I'm} not even dieting", "lost a lot of weight without trying, {my} clothes "
                    "are falling off"],
    "fever": ["{I've} had a fever and chills since yesterday", "{I've} got a temperature and "
              "night sweats with it", "{I} feel hot and shivery and really unwell"],
    "immune": ["{I'm} on chemo and now {I've} got a fever", "{I'm} on immune suppressants after "
               "a transplant and running a temperature", "{I'm} HIV positive and have had "
               "fevers all week"],
    "constant": ["the pain is constant, nothing helps, not even lying down, and it's getting "
                 "worse every day", "it never lets up, day and night, no position helps at all",
                 "nothing eases it, even strong painkillers don't touch it and it's worse at "
                 "night"],
}
SA_OPENERS = ["ja ", "eish, ", "shame ", "yoh, ", "ag "]
SA_CLOSERS = [" hey", " nè", " shame", " 🙏", " eish"]
WHATSAPP_WORDS = {"please": "pls", "weeks": "wks", "hours": "hrs", "you": "u",
                  "thanks": "thx", "because": "coz", "about": "abt", "okay": "ok"}
DAYS = [["Monday", "mon", "monday"], ["Tuesday", "tues", "tuesday"],
        ["Wednesday", "wed", "wednesday"], ["Thursday", "thurs", "thursday"],
        ["Friday", "fri", "friday"]]


class Speaker:
    """Turns a persona's facts into messages in the persona's own voice."""

    def __init__(self, persona: Persona, rng: random.Random) -> None:
        self.persona = persona
        self.rng = rng
        self.register = {"terse": "terse", "whatsapp_numbers": "terse"}.get(persona.style, "plain")

    # --- wording helpers ---
    def _pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(list(options))

    def _person(self, template: str, **values: object) -> str:
        """Fills pronoun tokens for whoever the patient is, then the given values."""
        writer = self.persona.writer
        index = {"I": 0, "she": 1, "he": 2}[writer.pronoun]

        def token(match: "re.Match[str]") -> str:
            inside = match.group(1)
            if "|" in inside:
                own, other = inside.split("|", 1)
                return own if index == 0 else other
            if inside in PRONOUNS:
                return PRONOUNS[inside][index]
            return str(values.get(inside, match.group(0)))

        text = re.sub(r"\{([^{}]+)\}", token, template)
        return re.sub(r"\{([^{}]+)\}", token, text)  # values may hold tokens themselves

    def voiced(self, text: str, interjections: bool = True) -> str:
        """The persona's voice: WhatsApp shorthand, South African words, typos.

        No interjection before a yes or no: "ja nah" would be a different answer."""
        voice = self.persona.voice
        if voice.whatsapp:
            text = text.replace("'", "")
            text = re.sub(r"\b(" + "|".join(WHATSAPP_WORDS) + r")\b",
                          lambda m: WHATSAPP_WORDS[m.group(1).lower()] if self.rng.random() < 0.6
                          else m.group(1), text, flags=re.I)
            text = text.lower().rstrip(".")
        if voice.sa_english and interjections and self.rng.random() < 0.3:
            text = self._pick(SA_OPENERS) + text
        elif voice.sa_english and self.rng.random() < 0.2:
            text = text + self._pick(SA_CLOSERS)
        if voice.typos:
            text = " ".join(self._typo(word) for word in text.split(" "))
        return text

    def _typo(self, word: str) -> str:
        if len(word) < 5 or not word.isalpha() or self.rng.random() > 0.07:
            return word
        i = self.rng.randrange(1, len(word) - 2)
        kind = self.rng.choice(["swap", "drop", "double"])
        if kind == "swap":
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if kind == "drop":
            return word[:i] + word[i + 1:]
        return word[:i] + word[i] + word[i:]

    def _padded(self, text: str) -> str:
        if self.persona.style != "verbose":
            return text
        before, after = self.rng.sample(VERBOSE_PADDING, 2)
        return self._person(f"{before} {text[0].upper()}{text[1:]}. {after}")

    def _number(self, n: int) -> Dict[str, object]:
        return {"n": n, "w": NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else n}

    # --- the facts ---
    def fact(self, question: str, value: Optional[object] = None) -> str:
        """Words for one open question's answer; `value` overrides the persona's own fact
        (the wrong first answer of a correcting persona)."""
        f = self.persona.facts
        table = self.register
        if question == "pain_location":
            return self._person(self._pick(LOCATIONS[table][value or f.pain_location]))
        if question == "pain_radiates":
            return self._person(self._pick(RADIATION[table][f.pain_radiates]),
                                side=f.pain_side or "")
        if question == "onset":
            activity = self._person(ACTIVITIES[f.onset_activity])
            return self._person(self._pick(ONSET[table][f.onset]), activity=activity).strip()
        if question == "duration_weeks":
            amount, unit = value or f.duration
            if amount == 1:
                return {"days": "a day", "weeks": "a week", "months": "a month"}[unit]
            return self._person(self._pick(DURATION[table][unit]), **self._number(amount))
        if question == "severity":
            return self._person(self._pick(SEVERITY[table]), **self._number(value or f.severity))
        if question == "eases_worsens":
            return self._person(self._pick(EASES_WORSENS[table]), eases=EASES[f.eases],
                                worsens=WORSENS[f.worsens])
        if question == "desk_hours":
            if f.desk_hours == 0:
                return self._person(self._pick(ON_FEET))
            return self._person(self._pick(DESK_HOURS[table]), **self._number(f.desk_hours))
        if question == "training_change":
            return self._person(self._pick(TRAINING[table][f.training_change]),
                                sport=SPORTS[f.sport])
        raise ValueError(f"no wording for {question}")

    def fact_among_others(self, question: str) -> str:
        f = self.persona.facts
        if question == "severity":
            return self._person(self._pick(SEVERITY_AMONG_OTHERS), **self._number(f.severity))
        if question == "desk_hours" and f.desk_hours:
            return self._person(self._pick(DESK_HOURS_AMONG_OTHERS), **self._number(f.desk_hours))
        return self.fact(question)

    def answer(self, question: str, value: Optional[object] = None) -> str:
        return self.voiced(self._padded(self.fact(question, value)))

    def answer_to_another(self, question: str) -> str:
        """An answer to a question the bot did not ask: as among other facts, a number says
        what it counts ("pain 5/10"; a bare "5" at "how long?" means five of something)."""
        return self.voiced(self._padded(self.fact_among_others(question)))

    def facts_together(self, questions: Sequence[str]) -> str:
        """Several facts in one message, as people write them: a number among other facts
        says what it counts ("pain 7/10", not a bare "7")."""
        parts = [self.fact_among_others(q) for q in questions]
        text = parts[0]
        for part in parts[1:]:
            text += self._pick([". ", ", ", ", ", " and ", ". Also "]) + part
        return self.voiced(self._padded(text))

    # --- everything else a patient says ---
    def greeting(self) -> str:
        return self.voiced(self._pick(GREETINGS))

    def relative_intro(self) -> str:
        writer = self.persona.writer
        they = {"she": ("she's", "her"), "he": ("he's", "him")}[writer.pronoun]
        return self.voiced(self._pick(RELATIVE_INTROS).format(
            rel=writer.relation, age=writer.age, they_are=they[0], them=they[1]))

    def complaint(self) -> str:
        """"My back is sore": says where only for the neck (a plain "back" is too vague)."""
        part = "neck" if self.persona.facts.pain_location == "neck" else "back"
        return self.voiced(self._person(self._pick(COMPLAINTS[part])))

    def yes(self) -> str:
        return self.voiced(self._pick(YES), interjections=False)

    def no(self) -> str:
        return self.voiced(self._pick(NO), interjections=False)

    def refusal(self) -> str:
        options = RELATIVE_REFUSALS if self.persona.writer.for_someone_else else REFUSALS
        return self.voiced(self._person(self._pick(options)))

    def question(self, topic: str) -> str:
        return self.voiced(self._person(self._pick(QUESTIONS[topic])))

    def booking_request(self) -> str:
        return self.voiced(self._pick(BOOK_REQUESTS))

    def booking_yes(self) -> str:
        return self.voiced(self._pick(BOOKING_YES))

    def summary_yes(self) -> str:
        return self.voiced(self._pick(SUMMARY_YES))

    def red_flag(self) -> str:
        sign = self.persona.red_flag.sign
        return self.voiced(self._person(self._pick(RED_FLAGS[sign.variant]),
                                        side=self.persona.facts.pain_side or "left"))

    def correction(self) -> str:
        correction = self.persona.correction
        f = self.persona.facts
        if correction.question == "duration_weeks":
            true, first = self.fact("duration_weeks"), self.fact("duration_weeks",
                                                                  correction.first_answer)
        elif correction.question == "severity":
            true, first = f.severity, correction.first_answer
        else:
            true = LOCATION_WORDS[f.pain_location]
            first = LOCATION_WORDS[correction.first_answer]
        template = self._pick(CORRECTIONS[correction.question])
        return self.voiced(self._person(template, true=true, first=first))

    def preferred_time(self) -> str:
        wish = self.persona.booking
        day = self._pick(DAYS[wish.weekday])
        if wish.wording == "morning":
            text = self._pick([f"{day} morning", f"{day} morning please",
                               f"any time {day} morning"])
        elif wish.wording == "afternoon":
            text = self._pick([f"{day} afternoon", f"{day} arvo", f"{day} afternoon if poss"])
        else:
            hour = wish.hours[0]
            clock = self._pick([f"{hour}:00", f"{hour % 12 or 12}{'am' if hour < 12 else 'pm'}",
                                f"{hour}h00"])
            text = self._pick([f"{day} at {clock}", f"{day} around {clock}"])
        return self.voiced(text)

    def goodbye(self) -> str:
        return self.voiced(self._pick(["thanks, bye", "ok thanks, that's all", "shot, thanks",
                                       "thank you, bye"]))

    def unclear(self) -> str:
        """A message that answers nothing: never a yes, a no or "not sure", which answer a
        yes/no question."""
        return self._pick(UNCLEAR)

    def no_email(self) -> str:
        return self.voiced(self._pick(["no email thanks", "skip", "no thanks"]))

    def not_now(self) -> str:
        return self.voiced(self._pick(["no", "skip for now", "not now"]))


UNCLEAR = ["?", "hmm", "sorry?", "...", "hello?", "asdfgh", "wait", "huh", "\U0001F914",
           "one sec", "hang on", "??", "sorry my phone", "k", "lol", "brb"]


def button_number(buttons: List[Dict], wanted: Sequence[str]) -> Optional[str]:
    """The 1-based number of the first button whose payload or title has a wanted word."""
    for number, button in enumerate(buttons, start=1):
        label = f"{button.get('payload', '')} {button.get('title', '')}".lower()
        if any(word in label for word in wanted):
            return str(number)
    return None
