"""Red-flag rules in lay language, one family at a time (spec: shared/clinic/red_flags.md).

Each rule is a list of phrase patterns in a small notation compiled to spaCy Matcher
patterns over token norms (lower case, contractions expanded: "can't" -> "can not",
misspellings of rule words corrected by the detector's normaliser):

- `a|b|c`  one token, any of the words;   `word*`  any token starting with "word"
- `?` after a token: optional;            `_`  any one token, optional (`_ _` up to two)
- `#`  a number

`kind` is "flag" (escalate), "unsure" (ask one yes/no question) or "sign" (never escalates
or asks on its own; it raises another flag's level, as the spec's combinations say: limb
numbness or weakness after trauma, sepsis signs with a fever; see `levels.escalate`). `benign` words in the
same sentence soften the rule by `benign_effect` (by default a flag becomes a question and
a question becomes nothing: "numb bum from sitting"); `confirm` words turn a question into
a flag ("started leaking since Monday"), and override benign words ("weak bladder since my
baby but much worse this week").
`history` says what a past-tense cue does: "discount" (old news), "ask", or "keep"
(a history of cancer is itself the flag).
`dismiss_when`: groups of words that, when every group has a word in the sentence and no
`confirm` word is there, make the match benign outright (soreness in both legs after a run
is not cauda equina, and is not worth a question). `resolved_after`: phrases soon after the
match that say the sign has passed ("the fever broke", "temperature is normal").
`normal_below`: a number in the trigger under this value is a normal reading (36.8).
"""

from dataclasses import dataclass
from typing import List, Optional, Tuple


@dataclass(frozen=True)
class Rule:
    rule_id: str
    families: Tuple[str, ...]
    patterns: Tuple[str, ...]
    kind: str = "flag"
    level: Optional[str] = None  # None: the family's own level
    benign: Tuple[str, ...] = ()
    benign_effect: str = "soften"  # "soften": flag -> ask, ask -> nothing; or "ask"/"ignore"
    confirm: Tuple[str, ...] = ()
    # Extra families when one of the words is in the sentence (night pain -> cancer).
    also: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    # Phrases that, straight after the match, make it benign ("sick of", "sick and tired").
    benign_next: Tuple[str, ...] = ()
    history: str = "discount"
    dismiss_when: Tuple[Tuple[str, ...], ...] = ()
    resolved_after: Tuple[str, ...] = ()
    normal_below: Optional[float] = None
    note: str = ""


def _words(text: str) -> str:
    return "|".join(text.split())


# Word groups shared by several rules.
CAN_NOT = "can|could|cannot|will|would|do|does|did not"
PEE = _words("pee peeing peed pees wee weeing weed wees urinate urinating urinated urine "
             "piss pissing wizz tinkle wee-wee urinary waterworks")
POO = _words("poo pooing pooed poop pooping pooped poos stool stools bowel bowels "
             "number2 kak")
SADDLE = _words("bum bums bottom buttocks butt backside bum-cheeks genitals genital privates "
                "private crotch groin saddle perineum anus vagina penis scrotum testicles "
                "balls vulva labia downstairs butthole arse ass bumhole nether willy willie "
                "dick testes privates bits vag fanny cock nuts clitoris clit taint "
                "buttock bumcheeks perianal perineal cheeks")
# Places named in more than one word, each as a pattern fragment.
SADDLE_PHRASES = ("down there", "between _ legs", "back passage", "inner thighs",
                  "private parts", "down below", "my bits", "back side", "toilet paper",
                  "seat area", "saddle area", "where _ sit", "bike seat")
NUMB = _words("numb numbness numbed numbish dead deadness tingling tingly tingle tingles "
              "pins prickly prickling buzzing frozen anaesthetised anesthetized injected")
LEG = _words("leg legs foot feet thigh thighs calf calves ankle ankles knee knees")
PAIN = _words("pain pains painful ache aching aches hurts hurting hurt sore soreness "
              "discomfort pressure tight tightness heavy heaviness burning squeezing "
              "squeezed squeeze crushing crushed crushes stabbing sharp agony pressing "
              "weight elephant band vice")
WEAK = _words("weak weaker weakness weakening weakened floppy useless weeker jelly "
              "jellylike rubbery wobbly noodle noodles dead")
WORSE = _words("worse worsening")
SPREAD = _words("spreading spreads spread radiating radiates going goes shooting shoots "
                "moving moves travelling travels running runs into down up to")
SITTING = _words("sit sitting sat seated chair drive driving drove bike cycling cycle "
                 "ride riding desk couch flight")
MINOR_LEAK = _words("sneeze sneezing sneezes cough coughing coughs laugh laughing jump jumping "
                    "trampoline baby babies kids childbirth birth births pregnancy pregnant "
                    "menopause labour delivery prostate")
NEW = _words("new started starting begun began suddenly sudden recently lately worse "
             "worsening never")
GYM = _words("bench press presses gym workout pushups push-ups push ups training weights "
             "chest-day session pec pecs")
EXERTION = _words("run running ran gym exercise exercising workout training hot heat "
                  "weather summer sauna jog jogging cycling hike hiking match game degrees "
                  "walking walk hill stairs climbing")
HARD_EXERCISE = _words("run running ran sprint sprinting gym exercise exercising workout "
                       "training jog jogging hike hiking match game race parkrun climbing "
                       "mountain")
WEIGHT_BENIGN = _words("diet dieting banting keto trying tried purpose purposely "
                       "intentionally fasting deliberately gym healthier healthy plan "
                       "programme program ozempic eating")
MEDS = _words("painkillers painkiller pills tablets meds medication medicine panado "
              "myprodol ibuprofen tramadol morphine anti-inflammatories voltaren "
              "stilpane grandpa synap injections")
VEHICLE = _words("car motor motorbike motorcycle bike taxi bus truck bakkie vehicle "
                 "minibus scooter quad lorry kombi")
LIMB = _words("leg legs foot feet thigh thighs calf calves ankle ankles knee knees toes toe "
              "arm arms hand hands finger fingers wrist wrists shoulder shoulders")
SORENESS = ("sore", "soreness", "achy", "aching", "ache", "aches", "stiff", "stiffness",
            "tired", "heavy", "cramp", "cramps", "cramping", "hurt", "hurts", "hurting",
            "tight", "burning", "fatigued", "jelly", "dead")
ORDINARY_EFFORT = ("run", "running", "ran", "parkrun", "marathon", "comrades", "gym", "squats",
                   "squat", "legday", "lunges", "hike", "hiking", "hiked", "walk", "walking",
                   "walked", "cycling", "cycle", "ride", "training", "workout", "exercise",
                   "exercising", "class", "spinning", "standing", "stood", "stand", "shift",
                   "feet", "dancing", "danced", "soccer", "netball", "rugby", "match",
                   "game", "tennis", "climbing", "stairs", "garden", "gardening")
NEURO_WORDS = ("numb", "numbness", "tingling", "tingly", "tingle", "pins", "needles",
               "weak", "weakness", "weaker", "giving", "gave", "buckle", "buckling",
               "bladder", "pee", "wee", "bowel", "bum", "saddle", "groin")
FEVER_RESOLVED = ("gone", "is gone", "has gone", "went away", "broke", "broken", "passed",
                  "has passed", "cleared", "cleared up", "settled", "subsided", "is over",
                  "over now", "is normal", "was normal", "normal now", "back to normal",
                  "came down", "down now", "came back normal", "no longer", "went down",
                  "gone down", "fine now", "better now", "all better", "recovered",
                  "came right")
WEIGHT_CONFIRM = _words("unexplained unexplainable without reason why unintentional "
                        "unintentionally mystery mysteriously randomly unintended "
                        "unplanned not falling melting hanging gaunt normal normally idea "
                        "appetite")


RULES: List[Rule] = [
    # ---- cauda equina: saddle numbness, bladder/bowel, sexual numbness, both legs ----
    Rule("ces_saddle_numbness", ("cauda_equina",), (
        f"{NUMB} _ _ _ _ {SADDLE}",
        f"{NUMB} _ _ _ between my legs",
        f"{NUMB} _ _ _ inner thighs",
        f"{SADDLE} _ _ _ {NUMB}",
        "pins and needles _ _ _ " + SADDLE,
        f"{CAN_NOT} _ feel _ _ _ {SADDLE}",
        f"{CAN_NOT} _ feel _ _ _ _ wipe|wiping|wiped|toilet|tissue|loo|paper",
        f"{NUMB} _ _ _ wipe|wiping|wiped",
        f"unable to feel _ _ _ {SADDLE}|wipe|wiping",
        f"no|lost|losing|loss|reduced|less|lack _ feeling|sensation _ _ _ _ {SADDLE}|wipe|wiping|toilet",
        "saddle anaesthesia|anesthesia|area|numbness",
        f"feel|feels nothing _ _ {SADDLE}|wipe|wiping",
        "paper|tissue _ _ _ not _ touch|touching|feel",
        "sitting on _ _ _ cotton|wool|sponge",
        f"{SADDLE}|saddle _ _ _ _ like _ _ _ dentist|anaesthetic|injection|injected|ice|gone|dead",
    ) + tuple(f"{NUMB} _ _ _ {place}" for place in SADDLE_PHRASES)
      + tuple(f"{place} _ _ _ {NUMB}" for place in SADDLE_PHRASES)
      + tuple(f"{CAN_NOT} _ feel _ _ {place}" for place in SADDLE_PHRASES)
      + tuple(f"no|lost|losing|loss|reduced|less|lack _ feeling|sensation _ _ _ {place}"
              for place in SADDLE_PHRASES),
       benign=tuple(SITTING.split("|")),
       confirm=tuple(NEW.split("|")) + ("toilet", "wipe", "wiping", "paper", "dead", "ice",
                                        "cotton", "dentist", "injected", "pee", "peeing",
                                        "wee", "weeing", "bladder", "strain"),
       note="saddle numbness"),
    Rule("ces_bladder", ("cauda_equina",), (
        f"{CAN_NOT} _ _ {PEE}",
        f"{CAN_NOT} _ feel it _ pass|passing|come|coming|flow|flowing|out",
        f"{CAN_NOT} _ start|stop|hold|control|empty|feel|tell|sense _ _ _ _ {PEE}|bladder|stream|flow|go|loo|toilet",
        f"{PEE}|stream|flow _ _ _ slow|weak|trickle|trickles|dribbles|stops|stopping|hesitant|starts",
        f"{PEE} _ _ _ _ _ strain|straining|push|pushing",
        f"not _ passed|pass|passing|made _ water|urine|{PEE}",
        "waterworks _ _ _ packed|stopped|broken|gone|funny|not|problem|problems|issues|weird",
        "had|having|keep _ accidents",
        f"slow|weak|poor|hesitant {PEE}|stream|flow",
        f"strain|straining|push|pushing|press|pressing|squeeze _ _ _ _ _ _ _ {PEE}|going|bladder",
        "nothing|hardly|barely|little _ comes|came|coming out?",
        "difficulty|trouble|struggl*|problems|problem|battl* _ _ pass|passing|passed _ water|urine",
        "urinary hesitancy|retention|incontinence|problems",
        "hesitancy",
        "not|no|never|lost|losing _ _ _ _ full bladder",
        "full bladder|feeling _ _ not|gone|lost|disappeared",
        f"loss|lost|losing _ _ bladder|{PEE} control",
        "no|not|never|lost|losing|hardly _ _ _ urge|urges",
        f"passed|passing|pass {PEE}|water _ _ _ once|barely|hardly",
        f"hardly|barely|not _ {PEE}|urinated|peed|weed _ _ _ hours|day|days",
        "bladder _ _ _ full _ _ _ _ not",
        "bladder _ not|never _ emptying|empty|emptied",
        "not _ emptying|empty _ _ bladder",
        f"{PEE} _ _ _ without _ knowing|noticing|feeling|realising|realizing|warning",
        f"{PEE}|it _ pours|pouring|gushes|gushing|comes|came|leaks|dribbles _ _ out _ _ without|no warning",
        "dripping|drip|drips|leaking _ _ _ undies|pants|underwear|panties|knickers",
        "loo|toilet|bathroom _ _ _ _ not make it",
        "not feel _ coming",
        "weak|leaky bladder",
        f"unable to _ _ {PEE}",
        f"struggl*|battl*|trouble|difficulty|difficult|hard|problems|problem|straining|strain _ _ _ {PEE}",
        "wet|wetting|peed|peeing|weeing|pissed|pissing|weed|soaked myself|my|the pants|bed|trousers|undies|jeans",
        "wet|wetting|peed|peeing|weeing|pissed|pissing|weed _ myself",
        f"lost|losing|lose|loss|no _ control _ _ _ bladder|{PEE}",
        f"{CAN_NOT} _ control _ _ bladder",
        "incontinent|incontinence|incontinance",
        f"{CAN_NOT} _ tell|feel|sense _ _ _ _ bladder|{PEE} _ _ full|need|needing",
        f"not|never|cannot feel|feeling|know|realise|realize|notice _ _ _ need|needed|needing _ _ {PEE}|go",
        "bladder _ _ not _ feel _ full",
        "bladder _ _ _ numb|dead|funny|strange|weird|different",
        f"bladder|{PEE}|toilet|urinary problems|problem|issues|issue|changes|change|trouble|retention",
        f"changes|change _ _ _ bladder|toilet|{PEE}",
        "urinary retention",
        f"go|going|went _ _ {PEE} without _ _ knowing|noticing|feeling",
    ), benign=tuple(MINOR_LEAK.split("|")), benign_effect="ask", confirm=tuple(NEW.split("|")),
       history="ask", note="new bladder change"),
    Rule("ces_leaking", ("cauda_equina",), (
        "leak|leaking|leaks|leaked|leakage|dribble|dribbling|dribbles",
    ), kind="unsure", benign=tuple(MINOR_LEAK.split("|")), benign_effect="ask",
       confirm=tuple(NEW.split("|")), history="ask", note="leaking: new?"),
    Rule("ces_bowel", ("cauda_equina",), (
        "pooed|pooped|pood|shat|shit|soiled|messed|poo'd myself|my|the pants|bed|trousers",
        "pooed|pooped|pood|shat|soiled|messed|messing|soiling _ myself",
        "accident|accidents _ _ my|the pants|underwear|trousers|bed|undies|toilet",
        f"{CAN_NOT} _ control|hold|feel|stop _ _ _ {POO}|bum",
        f"lost|losing|lose|loss|no _ control _ _ _ {POO}",
        f"loss|lost|losing _ _ {POO} control",
        f"bowel|bowels|{POO} problems|problem|issues|changes|change|accident",
        "changes|change _ _ _ bowel|bowels",
        f"{CAN_NOT} _ tell|feel|sense _ _ _ _ {POO}",
        f"{CAN_NOT} _ tell|feel|sense _ _ _ _ need _ _ go",
        "faecal|fecal incontinence",
    ), history="ask", note="new bowel change"),
    Rule("ces_sexual", ("cauda_equina",), (
        f"{CAN_NOT} _ get|keep|maintain _ _ erection|erections|hard",
        f"{CAN_NOT} _ get|keep|maintain it up",
        "erection|erections|erectile problems|problem|issues|trouble|dysfunction|difficulty",
        f"{NUMB} _ _ _ sex|intercourse|orgasm|climax",
        "sex|intercourse _ _ different|numb|strange|weird",
        f"{CAN_NOT} _ feel _ _ _ _ sex|intercourse|orgasm|climax|partner",
        "impotent|impotence",
        "no|lost|losing|loss feeling|sensation _ _ _ sex|intercourse|penis|vagina",
    ), history="ask", note="sexual numbness"),
    Rule("ces_both_legs", ("cauda_equina",), (
        "both legs|feet|thighs|calves|buttocks|hips",
        "down|into|in|to both _ legs|feet|sides|thighs|calves|buttocks|hips",
        f"{NUMB} _ _ _ legs|feet",
        "pins and needles _ _ legs|feet",
        f"legs|feet _ _ _ {NUMB}",
        "bilateral sciatica|leg|legs",
        "sciatica _ _ _ both",
        "both _ legs|feet",
    ), benign=("stiff", "stiffness", "running", "ran", "run", "gym", "marathon", "comrades",
               "hike", "hiking", "training", "workout", "cramp", "cramps", "tired",
               "diabetes", "diabetic", "neuropathy", "ms", "sclerosis", "stroke"),
       dismiss_when=(SORENESS, ORDINARY_EFFORT),
       confirm=("numb", "numbness", "tingling", "tingly", "pins", "weak", "weakness",
                "weaker", "bladder", "pee", "wee", "bowel", "saddle"),
       note="symptoms in both legs"),
    # ---- progressive neurological deficit ----
    Rule("neuro_weakness", ("progressive_neuro_deficit",), (
        f"{LEG} _ _ _ {WEAK}",
        f"{WEAK} _ _ _ {LEG}",
        f"{LEG} _ _ _ give|gives|giving|gave|gone way|out|in",
        f"{LEG} _ _ buckle|buckles|buckling|buckled|collapse|collapses|collapsed|collapsing",
        "losing|lost strength _ _ _ " + LEG,
        f"{LEG} _ _ _ no|lost|losing|less|zero power|strength",
        "not trust _ _ _ to hold",
    ), benign=("cramp", "cramps", "tired", "gym", "legday", "squats", "workout", "run",
               "running", "jog", "hike", "hiking"), note="leg weakness"),
    Rule("neuro_foot_drop", ("progressive_neuro_deficit",), (
        "foot|feet|toes|toe _ _ _ _ drop|drops|dropping|slapping|slaps|slap|flops|flopping|"
        "dragging|drags|drag|catches|catching|scuffing|scuffs",
        "drop|dropped|floppy foot",
        "drag|dragging|drags|dragged _ _ leg|foot|feet|toes",
        "trip|tripping|trips|tripped|stumble|stumbling|stumbles _ _ _ toes|foot|feet|toe|lot|often|everything",
        "catch|catching|catches _ _ on everything|things|steps|ground|floor",
        "catch|catching|catches _ _ toes|toe|foot",
        "weakness|weaker _ _ _ worse|worsening|spreading|progressing",
        f"{LEG}|muscle|muscles _ _ _ wasting|shrinking|thinner|atrophy|atrophied|withering",
        f"{CAN_NOT} _ push|press _ _ _ clutch|pedal|brake|pedals",
        f"{CAN_NOT} _ lift|raise|move|pull|grip|bend|flex|point _ _ _ foot|feet|toes|toe|leg|ankle|heel",
        f"{CAN_NOT} _ walk|stand _ _ _ toes|heels|tiptoe|tiptoes",
        f"{CAN_NOT} _ walk properly|straight|normally",
        f"toe|toes|{LEG} _ not _ lift|move|work|respond|listen|hold|obey|doing",
        f"{CAN_NOT} _ do _ _ _ heel|toe|calf raise|raises",
    ), note="foot drop or tripping"),
    # ---- cardiac and vascular ----
    Rule("cardio_chest", ("cardiac_vascular",), (
        f"chest _ _ {PAIN}|hurts|hurting|pains|tight|closing|squeezed|crushed|heavy",
        f"{PAIN} _ _ _ _ chest",
        "tight|heavy|tightening chest",
        "heart attack|attacks|problem|problems|racing|pounding",
        "angina",
        "palpitations",
    ), benign=tuple(GYM.split("|")) + ("cough", "coughing", "flu"), note="chest pain"),
    Rule("cardio_breath", ("cardiac_vascular",), (
        "short|shortness _ breath",
        "out _ breath",
        "breathless|breathlessness|breathlessly|winded",
        f"{CAN_NOT} _ breathe|breath|breathing",
        f"{CAN_NOT} _ catch|get _ _ breath",
        "struggl*|battl*|difficulty|trouble|hard|laboured|labored|gasping _ _ breathe|breath|breathing|air",
        "breathing _ _ difficult|hard|laboured|laboured|heavy|funny|strange|problems",
        "gasping",
    ), benign=tuple(HARD_EXERCISE.split("|")), note="breathlessness"),
    Rule("cardio_breath_pain", ("cardiac_vascular",), (
        f"{PAIN}|hurt|hurts _ _ _ breathe|breathing|breath",
        "breathe|breathing|breath _ _ _ hurts|hurt|painful|sore",
    ), kind="unsure", note="pain on breathing: breathless?"),
    Rule("cardio_jaw", ("cardiac_vascular",), (
        f"{PAIN}|{SPREAD} _ _ _ jaw",
        f"jaw _ _ {PAIN}",
    ), benign=("teeth", "tooth", "dentist", "grinding", "clench", "clenching", "tmj"),
       note="pain to the jaw"),
    Rule("cardio_left_arm", ("cardiac_vascular",), (
        f"{SPREAD}|{PAIN} _ _ _ left arm",
        "left arm _ _ _ " + PAIN,
    ), kind="unsure", benign_effect="ask", benign=("neck", "tingling", "tingly", "pins", "numb", "numbness", "pinched", "nerve",
               "hand", "fingers", "shoulder"),
       confirm=("chest", "sweat", "sweating", "sweaty", "clammy", "breath", "breathless",
                "jaw", "heart", "dizzy", "nausea", "nauseous"),
       note="pain spreading to the left arm"),
    Rule("cardio_sweat", ("cardiac_vascular",), (
        "cold sweat|sweats|sweating",
        "clammy",
        "sweating|sweat|sweaty|drenched|pouring _ _ _ profusely|buckets|heaps|lot|badly",
        "sweating|sweaty|sweat",
    ), kind="unsure", benign=tuple(EXERTION.split("|")),
       confirm=("cold", "clammy", "chest", "breath", "dizzy", "nauseous", "nausea",
                "profusely", "pouring", "drenched"),
       note="sweating with upper-back pain"),
    Rule("cardio_tearing", ("cardiac_vascular",), (
        "tearing|ripping|torn|tear|rip|shredding _ _ _ between|shoulder|blades|back|chest",
        "tearing|ripping sensation|feeling|pain",
        "something _ tearing|ripping|tore|torn|ripped",
    ), benign=("muscle", "hamstring", "calf", "ligament", "tendon", "acl"),
       note="tearing pain"),
    Rule("cardio_abdominal", ("cardiac_vascular",), (
        "pulsating|pulsing|pulse|throbbing|pounding|beating|pulsates|throbs|heartbeat _ _ _ "
        "belly|stomach|tummy|abdomen|abdominal|navel|belly-button|gut|tum",
        "belly|stomach|tummy|abdomen|gut _ _ _ pulsating|pulsing|pulses|pulsates|throbbing|throbs|beating",
        "aneurysm|aorta|aortic",
    ), note="pulsating abdominal pain"),
    # ---- trauma and fracture ----
    Rule("trauma_major", ("trauma_fracture",), (
        "fell|fall|fallen|falling|falls|slipped|slip|tumbled|came|come|coming|thrown _ _ _ _ _ "
        "ladder|roof|scaffold|scaffolding|balcony|tree|horse|wall|height|heights|stairs|"
        "staircase|steps|bakkie|truck|building|cliff|bunk|loft|stepladder|garage|ceiling|"
        "motorbike|motorcycle|quad|scooter|metres|meters|storey|storeys|floors|jungle",
        "car|motor|motorbike|motorcycle|bike|taxi|road|traffic|bus|truck|head-on|quad|"
        "bakkie|vehicle|minibus|scooter accident|crash|collision|smash|wreck|pile-up",
        "crashed|wrecked|rolled|smashed _ _ car|bike|motorbike|bakkie|vehicle|scooter",
        "hit|knocked|run|ran|struck _ _ _ by _ car|taxi|truck|bus|bakkie|vehicle|motorbike",
        "knocked _ _ down|over|flat",
        f"{VEHICLE} _ _ _ _ reversed|drove|ran|backed into|over _ me",
        "hit|struck|smashed|rammed us _ _ side",
        "side -? on",
        "rear -? ended",
        "prang|pranged|airbag|airbags",
        "t -? boned",
        "head -? on _ collision|crash",
        "mva|mvc",
        f"{VEHICLE} _ _ _ _ hit|crashed|rolled|overturned|collided|smashed|swerved|crash|"
        "accident|collision|rolled|flipped",
        "rugby|tackle|scrum _ _ _ neck _ _ cracked",
        "thrown|flew _ _ _ horse|bike|motorbike|windscreen",
        # a dive or jump gone wrong, a hard tackle, a fall from height in everyday words
        "dived|dove|dive|diving|jumped|jump|jumping _ _ _ _ _ shallow|pool|dam|river|rocks|"
        "sandbank|water|lake|sea|wave|waves|end",
        "jumped|jump|jumping|leapt|leaped _ _ _ _ roof|wall|balcony|bridge|cliff|window|"
        "height|tree|truck|bakkie|stage|garage|loft|rocks",
        "landed|land|came _ _ _ _ head|neck|tailbone|coccyx _ _ _ pool|trampoline|rocks",
        "trampoline _ _ _ _ _ landed|fell|flew|off|neck|head",
        "tackled|tackle|tackling|speared|spear _ _ _ hard|heavily|badly|awkwardly|high|late",
        "hard|heavy|high|late|big|spear|dangerous tackle|hit|collision",
        "scrum _ _ collapsed|collapse|collapsing",
        "collapsed|collapsing scrum",
        "fell|fall|fallen|falling|came _ _ _ _ roof|scaffold|ladder|balcony|horse|building|truck",
        "rolled|overturned|flipped _ _ _ _ car|bakkie|vehicle|quad|taxi|kombi",
        "knocked|knocked-off|thrown _ off _ _ bike|bicycle|motorbike|scooter|horse",
        "came|come off _ _ bike|bicycle|motorbike|scooter|horse|quad _ _ _ speed|fast|hard|road",
        "accident _ _ _ _ highway|n1|n2|n3|freeway|speed|km/h|kmh|write-off|written",
        "taxi|car|bakkie|truck|bus _ _ _ _ _ into _ us|me|our",
    ), level="emergency", benign=("chair", "bed", "couch", "step", "kerb", "curb"),
       note="major trauma"),
    Rule("trauma_broken_spine", ("trauma_fracture",), (
        "broke|broken|fracture|fractured|cracked|crushed _ _ _ spine|vertebra|vertebrae|back|neck",
        "compression|spinal|vertebral fracture|fractures",
    ), level="emergency", benign=("like", "feels", "feel", "felt"), note="suspected fracture"),
    Rule("trauma_minor_fall", ("trauma_fracture",), (
        "fell|fall|fallen|falling|slipped|slip|tripped|trip _ _ _ _ floor|ground|bum|back|"
        "backside|bottom|tailbone|coccyx|ice|bath|shower|steps|step|kerb|curb|garden|over",
        "fell|fallen|slipped|tumbled",
        "in|had|been _ accident",
        "landed _ _ _ back|bum|backside|bottom|tailbone|coccyx",
        "heard|felt _ _ crack|snap|crunch|cracked|snapped",
        "after|since _ accident",
    ), kind="unsure", benign=("asleep", "apart", "pregnant", "love", "behind", "disc", "disk",
                              "through", "mind", "memory", "forgot"), confirm=tuple(VEHICLE.split("|")),
       note="fall or accident: how bad?"),
    Rule("trauma_bone_risk", ("trauma_fracture",), (
        "osteoporosis|osteoporotic|osteopenia|osteopaenia|osteoporosos",
        "brittle|thin|weak|fragile bones",
        "bones _ _ thin|brittle|weak|fragile",
        "prednisone|prednisolone|dexamethasone|methylprednisolone|medrol|cortisone|steroid|steroids|"
        "hydrocortisone _ _ _ years|months|long|term|daily|day|ages|forever|since",
        "long -? term _ steroid|steroids|prednisone|cortisone",
        "chronic _ steroid|steroids|prednisone|cortisone",
        "on|taking|take|takes _ steroids|prednisone|prednisolone|steroid",
        "steroid|cortisone tablets|pills",
        "fracture|fractures|fractured",
    ), benign=("injection", "injections", "injected", "shot", "jab", "cream", "inhaler",
               "spray", "nasal", "pump", "drops", "ointment", "once", "one", "single"),
       history="keep", note="bone fragility: osteoporosis or long-term steroids"),
    # ---- cancer ----
    Rule("cancer_history", ("cancer",), (
        "cancer|cancers|cancerous|tumour|tumor|tumours|tumors|malignant|malignancy|carcinoma|"
        "lymphoma|leukaemia|leukemia|melanoma|myeloma|sarcoma|metastases|metastasis|"
        "metastatic|mets|oncologist|oncology|radiotherapy|mastectomy|lumpectomy|"
        "chemotherapy|chemo|hodgkins|hodgkin's",
        "radiation treatment|therapy",
        "prostate|breast|bowel|lung|skin|thyroid|cervical|ovarian|colon|kidney|bone ca",
    ), benign=("screening", "scare", "charity", "fundraiser", "race", "awareness",
               "benign", "research"),
       benign_effect="ignore", history="keep", note="history of cancer"),
    Rule("cancer_weight_loss", ("cancer",), (
        "lost|losing|lose|dropped|dropping|shed|shedding _ _ _ weight|kg|kgs|kilos|"
        "kilograms|pounds|lbs|#kg|#kgs",
        "weight loss|drop",
        "weight _ _ falling|dropping|dropped|coming|melting|down",
        "clothes _ _ _ loose|baggy|falling|hanging",
        "dropped|lost _ _ size|sizes",
        "look|looking|looks _ thin|skinny|gaunt|bony",
        "not eating _ much|anything",
        "getting|got|so|very|too _ thin|skinny|bony",
    ), kind="unsure", benign=tuple(WEIGHT_BENIGN.split("|")), benign_effect="ignore",
       confirm=tuple(WEIGHT_CONFIRM.split("|")), note="weight loss: unexplained?"),
    Rule("cancer_night_pain", ("cancer",), (
        "wakes|waking|wake|woken|keeps _ _ _ _ _ night|nights|sleep",
        "night|nights _ _ _ _ worse|worst|agony|unbearable",
    ), kind="unsure", confirm=("nothing", "position", "matter", "comfortable", "any", "every"),
       note="night pain: does any position ease it?"),
    Rule("night_pain_no_relief", ("cancer", "severe_unremitting"), (
        "no|any|every|whatever position _ _ _ _ night",
        "night _ _ _ _ _ no|any|every|whatever position",
        f"{CAN_NOT} _ get comfortable _ _ _ _ night",
        f"night _ _ _ _ {CAN_NOT} _ get comfortable",
    ), note="night pain that no position eases"),
    # ---- infection ----
    Rule("infection_fever", ("infection",), (
        "fever|fevers|feverish|febrile|feverishness|fevr|fver|feaver|fevor|fiver",
        "high|running|spiking|raised a? temperature|temp|temps",
        "temperature|temp _ of? #",
        "temperature|temp _ _ _ _ 37.5|37.8|38|38.5|39|39.5|40|41",
        "with|have|got|had|running a temperature|temp|fever",
        "burning up",
        "teeth _ _ chattering|chatter|chattered",
        "freezing|cold _ then|and _ boiling|hot|sweating",
        "shaking|shivering _ _ _ _ blanket|blankets|duvet",
        "chills|shivers|shivering|shivery|rigors",
        "hot and cold|sweats",
        "night sweats|sweat|sweating",
        "sweating|sweat|sweats _ _ _ _ night|sheets|bed|pyjamas|pillow",
    ), benign=("bath", "shower", "weather", "pack", "packs", "patch", "water", "room",
               "heat", "sun", "normal"), resolved_after=FEVER_RESOLVED, normal_below=37.5,
       note="fever or chills"),
    Rule("infection_flu", ("infection",), (
        "flu-like|fluish|flu",
        "flu like",
    ), kind="unsure", confirm=("fever", "temperature", "chills", "shivering", "sweats"),
       benign=("jab", "vaccine", "vaccination", "shot", "injection"),
       resolved_after=FEVER_RESOLVED, note="flu-like: fever?"),
    Rule("infection_unwell", ("infection",), (
        "very|really|extremely|seriously|terribly|super|so unwell|ill|sick|poorly",
    ), benign_next=("of", "and tired"),
       note="feeling very unwell (emergency with a fever: levels.escalate)"),
    Rule("infection_risk", ("infection",), (
        "inject|injecting|injects|injected|shoot|shooting _ _ drugs|heroin|meth|up",
        "iv|intravenous drug|drugs",
        "heroin|nyaope|whoonga",
        "drug user|addict|addiction",
        "hiv|aids|arvs|arv|antiretrovirals|antiretroviral",
        "immunosuppressant|immunosuppressants|immunosuppressed|immunocompromised|biologics|"
        "methotrexate|transplant",
        "weak|weakened|low|compromised|poor|suppressed immune|immunity",
        "immune system _ _ weak|low|compromised|weakened|poor",
        "tb|tuberculosis",
        "chemo|chemotherapy",
    ), benign=("test", "tested", "negative", "testing", "hearing", "walking", "mobility",
               "band", "visual", "teaching", "sleep", "study", "cleared", "cured",
               "finished", "recovered"), benign_effect="ignore",
       history="keep", note="infection risk: drugs injected or weakened immunity"),
    Rule("infection_procedure", ("infection",), (
        "spinal|back|spine|lumbar|neck|disc surgery|operation|op|injection|epidural|"
        "procedure|fusion|puncture|block|discectomy|laminectomy",
        "surgery|operation|op|operated|injection|epidural|procedure _ _ _ spine|back|neck|disc",
        "epidural",
        "lumbar puncture",
    ), note="recent spinal procedure"),
    # ---- signs that only raise another flag's level (levels.escalate) ----
    Rule("sign_limb_neuro", ("progressive_neuro_deficit",), (
        f"{NUMB}|{WEAK}|numbness|weakness _ _ _ _ {LIMB}",
        f"{LIMB} _ _ _ _ {NUMB}|{WEAK}|numbness|weakness",
        "pins and needles",
        f"{CAN_NOT} _ feel|move|lift _ _ _ {LIMB}",
        f"lost|losing|no _ feeling|strength|power _ _ _ _ {LIMB}",
    ), kind="sign", note="numbness, tingling or weakness in the arms or legs"),
    Rule("sign_sepsis", ("infection",), (
        "rigors|rigor",
        "confused|confusion|disorientated|disoriented|delirious|muddled",
        "not making sense",
        "collapsed|collapsing|fainted|fainting",
        "passed|passing|blacked|blacking out",
        "shaking|shivering uncontrollably|violently",
        "mottled|blotchy skin",
        f"{CAN_NOT} _ stay awake",
    ), kind="sign", note="signs of sepsis: rigors, new confusion, collapse"),
    # ---- severe unremitting pain ----
    Rule("severe_nothing_helps", ("severe_unremitting",), (
        "nothing|none _ _ _ _ _ help|helps|helped|helping|ease|eases|eased|easing|works|work|"
        "worked|working|relieve|relieves|relieved|touches|touch|touching|shifts|better|easier",
        "no|any position|painkiller|painkillers|pills|tablets|meds|medication|amount "
        "_ _ _ help|helps|helped|ease|eases|works|work|relieve|relieves|touch|touches|comfortable",
        f"{MEDS}|rest|resting|lying|sleeping _ _ _ not _ help|helps|helping|work|"
        f"working|touch|touching|ease|easing|relieve|relieving|anything|nothing",
        f"{MEDS} _ _ _ _ do|does|did nothing",
        "not|never _ easing|ease|eases|settling|improving|better _ _ _ rest|resting|lying|painkillers|pills|meds",
        "no|not matter how|what _ _ _ lie|sleep|sit|position|do",
        f"{CAN_NOT} _ find _ _ _ way|position _ _ ease|eases|comfortable|comfy|help|helps|relief",
        f"{CAN_NOT} _ get comfy",
        f"{MEDS}|rest|resting|lying|sleeping _ _ _ no|not _ difference",
        "severe|excruciating|unbearable _ _ _ _ all day|night",
        "all day|night _ _ _ _ severe|excruciating|unbearable",
        f"{CAN_NOT} _ get comfortable",
        "no relief",
        "no|any position _ _ _ _ _ relief",
        "constant|constantly _ _ _ even",
        "non stop",
        "around|round the clock",
        "unrelenting|relentless",
        "not _ _ minute|moment|second|hour without _ pain",
        "never eases|stops|subsides|settles",
        "never lets up",
        "never goes away",
        "does|do|did not _ ease|stop|settle|subside",
        "does|do|did not _ go away",
        "does|do|did not _ let up",
        "constant|constantly|unrelenting|relentless|non-stop|nonstop|24/7 _ _ "
        "severe|excruciating|unbearable|agony|worst|terrible|10/10",
        "severe|excruciating|unbearable|agony|agonising|terrible _ _ _ _ _ "
        "constant|constantly|unrelenting|relentless|non-stop|nonstop|24/7",
        "all the time _ _ severe|excruciating|unbearable|agony",
        "day and night",
    ), benign=("except", "apart", "besides", "unless", "sometimes"),
       also=(("cancer", ("night", "nights", "nightly", "asleep", "sleep")),),
       note="constant severe pain no position or rest eases"),
    Rule("severe_progressive", ("severe_unremitting",), (
        f"{WORSE} and _ {WORSE}",
        f"steadily|progressively|constantly|continually|continuously|rapidly _ {WORSE}",
        f"{WORSE} every|each|by _ day|week|days|weeks|hour",
        f"keeps|keep|keeping _ getting _ {WORSE}",
        f"every|each day|week|night _ _ _ _ {WORSE}",
        f"{WORSE} than _ _ day|week|month before",
        f"{WORSE} _ _ _ _ _ steadily|progressively|continually|rapidly",
        "building|growing|increasing|escalating|worse|worsening week|day after week|day",
    ), note="pain getting steadily worse"),
]
