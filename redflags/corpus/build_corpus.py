#!/usr/bin/env python3
"""Build the red-flag training corpus for the learned "ask one yes/no question" layer.

Inputs (same folder):
  seeds_pos.yml, seeds_pos2.yml   positive seed messages, one label each, with source URL
  seeds_neg.yml, seeds_neg2.yml   label-none seed messages (near misses), with kind and source URL
Each seed is a one-off chat rewrite of a real person's wording (or of a patient leaflet's
plain-language sign) from the page named in `src`.

Output:
  red_flag_corpus.yml             items: text, label, kind, source
  sources.txt                     every source URL used (seeds and lexicon)

Expansion (deterministic, random.Random(SEED)):
  * seed variants: person (I -> my dad / my wife / he / she), time words, South African
    English and Afrikaans / isiZulu / isiXhosa words, WhatsApp style, typos, and embedding
    in longer messages with ordinary context.
  * compositional templates: the same symptom phrases said positively, negated, as past
    history, as family history and as someone else's story, so the model sees the contrast.
Generated items keep "generated: <template>" plus the seed's (or phrase's) source URL.
Exact duplicates (case-insensitive, whitespace-normalised) are dropped.

Seeds or lexicon sources listed in banned_sources.txt (sources of the frozen evaluation set)
are refused: banned seeds are dropped, and the build fails if any item's source mentions one.

Usage: python3 build_corpus.py   (prints counts per label and kind, validates the YAML)
       RF_OUT=/path/staging.yml python3 build_corpus.py   (write elsewhere; the target is
       always replaced atomically via a temp file in the same folder)
"""
import collections
import os
import random
import re

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611
rng = random.Random(SEED)

POS_LABELS = ["cauda_equina", "progressive_neuro_deficit", "cardiac_vascular",
              "trauma_fracture", "cancer", "infection", "severe_unremitting"]
NEG_KINDS = ["negated", "history", "family_history", "other_person", "benign_word",
             "exercise_soreness", "one_sided_sciatica", "normal_temperature",
             "practice_question", "ordinary_pain", "triage_answer", "chit_chat"]
TARGET_POS = 232      # per positive label (spec: >= 150)
TARGET_NEG = 166      # per none kind (spec: >= 80)

# ---------------------------------------------------------------- sources used by the lexicon
U = {
    "backes": "https://www.connecthealth.co.uk/resources/cauda-equina-syndrome-ces/",
    "somerset": "https://www.somersetft.nhs.uk/trauma-and-orthopaedics/trauma-and-orthopaedics/spinal-surgery-service/cauda-equina-syndrome/",
    "northern": "https://www.northerntrust.hscni.net/services/physiotherapy-services/physiotherapy-service-outpatient-service/low-back-pain/",
    "healthify": "https://complete-pilates.co.uk/cauda-equina",
    "chcp": "https://www.chcpmsk.org.uk/body-parts/back",
    "sheffield": "https://www.readersdigest.co.uk/health/health-conditions/what-is-back-pain",
    "legacy": "https://instituteforspinesurgery.com/?p=135",
    "spinehealth_legs": "https://spine-health.com/blog/why-do-my-legs-suddenly-give-out",
    "s3c": "http://www.spine-health.com/glossary/foot-drop",
    "norton_ha": "https://nortonhealthcare.com/services-and-conditions/heart-and-vascular-care/patient-resources/pre-heart-attack-symptoms/",
    "seton": "https://www.seton.net/heart-care/2017/07/28/heart-attack-symptoms-can-unique-women/",
    "julie": "https://www.kewalkrishan.com/cardiac-surgery-page-197",
    "visualfoodie": "https://www2.hse.ie/conditions/aortic-dissection/symptoms-of-aortic-dissection",
    "eatsip_aaa": "https://eatsip365.com/abdominal-aortic-aneurysm-symptom-guide",
    "droracle_ladder": "https://valleydoctor.wordpress.com/tag/falls/",
    "enjuris": "https://enjuris.com/blog/resources/whiplash-surprising-facts/",
    "health24": "https://www.health24.com/Fitness/News/A-tackle-is-all-it-takes-20120721",
    "scielo_rugby": "http://www.scielo.org.za/scieloOrg/php/articleXML.php?pid=S0256-95742010000400022&lang=en",
    "annette": "https://expressdigest.com/how-you-can-break-your-back-simply-by-picking-up-a-grandchild/",
    "bjc": "https://theros.org.uk/information-and-support/osteoporosis/causes/glucocorticoids/",
    "wustl": "https://www.totalspinesolutions.com/services/osteoporotic-compression-fracture/",
    "nice_mscc": "https://www.nice.org.uk/guidance/cg75/ifp/chapter/Diagnosing-metastatic-spinal-cord-compression",
    "rnoh": "https://www.rnoh.nhs.uk/services/spinal-surgical-unit/metastatic-spinal-cord-compression/mscc-patient-information",
    "moffitt": "https://www.moffitt.org/endeavor/archive/weight-loss-and-other-cancer-warning-signs-not-to-ignore",
    "roswell": "https://peppy.health/blogs/losing-my-husband-to-prostate-cancer",
    "spinehealth_osteo": "https://www.jucm.com/high-risk-conditions-presenting-back-pain-part-3/",
    "christie": "https://www.enherts-tr.nhs.uk/patients-visitors/our-services/chemotherapy-lister-macmillan-cancer-centre/what-is-acute-oncology/",
    "nice_ns": "https://nice.org.uk/guidance/cg151/ifp/chapter/If-you-become-unwell-during-your-anticancer-treatment",
    "scielo_stb": "http://scielo.org.za/scielo.php?lang=es&pid=S0256-95742024001200002&script=sci_arttext",
    "premierpain": "https://www.mypremierpain.com/blog/health-tips/spinal-infection-from-drug-use/",
    "rutherford": "https://acibademhealthpoint.com/spinal-abscess-from-drug-use",
    "rxharun": "https://www.wheelessonline.com/issls/section-19-chapter-5-postoperative-spondylodiscitis/",
    "patientinfo": "https://patient.info/infections/sepsis-septicaemia-leaflet/adult-sepsis-safety-net",
    "foreverfit": "https://foreverfitptw.com/blog/when-should-i-be-worried-about-back-pain-at-night",
    "millcroft": "https://www.millcroftmedicalcentre.nhs.uk/now-ask-us/back-pain/",
    "gpexams": "https://gpexams.com/?p=35886",
    "emily": "https://www.emilythephysio.co.uk/post/i-pee-when-i-sneeze-is-it-normal-after-having-a-baby-and-is-there-a-solution",
    "webmd_steroid": "https://theros.org.uk/information-and-support/osteoporosis/causes/glucocorticoids/",
    "eatsip_pec": "https://eatsip365.com/common-causes-of-a-sore-pectoral-muscle",
    "runnersworld": "https://marathonhandbook.com/doms/",
    "tnation": "https://forums.t-nation.com/t/lower-back-tweak/54118",
    "fitadults": "https://fitadults.online/pain-management/a-fever-from-too-much-exercise",
    "flarin": "https://flarin.co.uk/symptoms-of-sciatica/",
    "merseycare": "https://www.merseycare.nhs.uk/sciatica",
    "tuasaude": "https://www.tuasaude.com/en/internal-fever/",
    "daffodil": "https://forum.daffodil.hospital//index.php?prev_next=next&topic=1392.0",
    "physiomoreleta": "https://www.leescottphys.com/q-a",
    "physiocare": "https://www.fatimacachaliaphysiotherapy.com/patient-information",
    "gardenrant": "https://www.gardenrant.com/2019/03/trying-to-garden-without-lower-back-pain.html",
    "healthtap_desk": "https://www.healthtap.com/user_questions/210455-what-is-this-back-pain-i-get-when-sitting-at-work-all-day",
    "spire": "https://www.spirehealthcare.com/health-hub/specialties/bones-and-joints/managing-back-pain-and-when-to-see-a-doctor/",
    "seemycountry": "https://seemycountrysafaris.co.za/change-your-place-and-get-the-fresh-air",
    "kingprice": "https://kingprice.co.za/blog/lekker-local-slang",
    "citizen": "https://citizen.co.za/african-reporter/?p=73107",
    "africathoughts": "http://africathoughts.blogspot.com/2003/04/south-african-phrases.html",
    "polyglot_zulu": "https://polyglotclub.com/wiki/Language/Zulu/Vocabulary/Body-parts",
    "whitezulu": "https://whitezulu.wordpress.com/2013/07/22/izitho-zomzimba-parts-of-the-body/",
    "talkwomens": "https://talkeczema.co.uk/talkwomenshealth/stories?c=64",
    "irwin": "https://irwinmitchell.com/news-and-insights/newsletters/turning-point/october-20-cauda-equina-awareness-day",
    "ihavece": "https://www.ihavecaudaequina.com/news/in-a-nutshell-by-claire-thornber/",
    # replacements for lexicon sources listed in banned_sources.txt (frozen evaluation set)
    "sunnybrook": "https://sunnybrook.ca/content/?page=leukemia-guide-fever-neutropenia",
    "healthfully_ns": "https://healthfully.com/night-sweating-back-pain-5941422.html",
    "uhg": "https://www.uhgmaternity.com/physiotherapy/understanding-pregnancy-low-back-pelvic-girdle-pain/",
}

# ---------------------------------------------------------------- symptom phrase lexicon
# Each phrase is a noun phrase usable after "I have ..." and after "no ...".
# A leading "a "/"an " is dropped in negated frames ("a fever" -> "no fever").
PHRASES = {
    "cauda_equina": [
        ("numbness around my bum and private parts", "backes"),
        ("pins and needles in the saddle area", "backes"),
        ("numbness when I wipe", "backes"),
        ("altered feeling when wiping after the loo", "backes"),
        ("trouble starting a wee", "somerset"),
        ("trouble stopping my wee", "backes"),
        ("new leaking of urine", "backes"),
        ("loss of bladder control", "northern"),
        ("no feeling of a full bladder", "somerset"),
        ("numbness in the groin", "chcp"),
        ("tingling in both legs", "healthify"),
        ("weakness in both legs", "healthify"),
        ("sciatica in both legs", "healthify"),
        ("pain down both legs", "northern"),
        ("numbness around my back passage", "backes"),
        ("loss of bowel control", "northern"),
        ("new trouble getting an erection", "sheffield"),
        ("numbness on my inner thighs", "chcp"),
        ("reduced feeling when I pass urine", "backes"),
        ("accidents with my bowels", "somerset"),
    ],
    "progressive_neuro_deficit": [
        ("a leg that's getting weaker", "spinehealth_legs"),
        ("a foot that drags when I walk", "legacy"),
        ("foot drop", "legacy"),
        ("a foot that slaps the ground", "s3c"),
        ("a leg that keeps giving way", "spinehealth_legs"),
        ("weakness in my right leg that's getting worse", "spinehealth_legs"),
        ("weakness in my left leg that's getting worse", "spinehealth_legs"),
        ("trouble lifting my foot", "legacy"),
        ("tripping over my toes", "s3c"),
        ("a knee that buckles", "spinehealth_legs"),
        ("a calf that's gone weak", "legacy"),
        ("trouble walking on my heels", "legacy"),
    ],
    "cardiac_vascular": [
        ("chest pain", "sheffield"),
        ("tightness in my chest", "seton"),
        ("pain spreading to my jaw", "norton_ha"),
        ("pain down my left arm", "norton_ha"),
        ("a tearing pain between my shoulder blades", "visualfoodie"),
        ("a ripping pain through to my back", "julie"),
        ("shortness of breath", "seton"),
        ("cold sweats with this upper back pain", "seton"),
        ("a pulsing feeling in my belly", "eatsip_aaa"),
        ("a throbbing in my tummy near the belly button", "eatsip_aaa"),
        ("pressure in my chest", "norton_ha"),
        ("breathlessness when I walk", "seton"),
    ],
    "infection": [
        ("a fever", "spinehealth_osteo"),
        ("chills and shivering", "spinehealth_osteo"),
        ("a high temperature", "chcp"),
        ("night sweats", "healthfully_ns"),
        ("a temperature of 38.5", "sunnybrook"),
        ("fever and feeling very unwell", "patientinfo"),
        ("rigors", "christie"),
        ("hot and cold sweats", "sunnybrook"),
    ],
    "severe_unremitting": [
        ("constant severe pain that nothing eases", "foreverfit"),
        ("pain that no position helps", "foreverfit"),
        ("pain that gets steadily worse every week", "millcroft"),
        ("severe pain that never lets up, day or night", "gpexams"),
        ("pain that rest doesn't ease at all", "foreverfit"),
        ("pain that painkillers don't touch", "millcroft"),
    ],
    "cancer": [
        ("weight loss I can't explain", "moffitt"),
        ("night pain that no position eases", "nice_mscc"),
        ("back pain that wakes me every night", "nice_mscc"),
        ("unexplained weight loss", "moffitt"),
    ],
}

CANCERS = ["breast cancer", "prostate cancer", "lung cancer", "bowel cancer", "kidney cancer",
           "myeloma", "melanoma", "thyroid cancer", "lymphoma", "cervical cancer"]

TRAUMA_MAJOR = [
    ("fell off a ladder", "droracle_ladder"), ("fell off the roof", "droracle_ladder"),
    ("was in a car accident", "enjuris"), ("was in a taxi crash", "enjuris"),
    ("came off my motorbike", "enjuris"), ("fell down a whole flight of stairs", "droracle_ladder"),
    ("dived into the shallow end of the pool", "scielo_rugby"),
    ("jumped off a wall and landed badly", "scielo_rugby"),
    ("took a hard tackle at rugby", "health24"), ("was rear-ended at the robot", "enjuris"),
    ("fell from the scaffolding at work", "droracle_ladder"), ("fell off a horse", "droracle_ladder"),
]
TRAUMA_NEURO_TAIL = ["and now my hands are tingling", "and now my legs feel tingly",
                     "and my arm has gone numb", "and since then my legs feel weak",
                     "and now there's pins and needles in my feet"]
OSTEO_RISK = [("I have osteoporosis", "has osteoporosis", "annette"),
              ("I've got brittle bones", "has brittle bones", "wustl"),
              ("I've been on prednisone for years", "has been on prednisone for years", "bjc"),
              ("I'm on long-term steroids for my lungs", "is on long-term steroids for {p} lungs", "bjc"),
              ("I've been on cortisone tablets for ages", "has been on cortisone tablets for ages", "bjc"),
              ("I have thin bones, the doctor said osteoporosis", "has osteoporosis", "annette")]
OLDER = {"I", "my dad", "my mum", "my mom", "my wife", "my husband", "my ouma", "my oupa", "he", "she"}
OSTEO_MINOR = ["and felt a crack lifting the shopping", "and slipped on the kitchen floor",
               "and felt something go when I sneezed", "and my back went picking up my grandchild",
               "and had a small fall in the bathroom", "and felt a crunch bending to the washing"]

INFECT_RISK = [("I'm on chemo", "christie"), ("I had chemo last week", "nice_ns"),
               ("I inject drugs", "premierpain"), ("I had a spinal injection last week", "rutherford"),
               ("I had back surgery two weeks ago", "rxharun"),
               ("I'm HIV positive with a low CD4", "scielo_stb"),
               ("I'm on immune suppressants", "rutherford"),
               ("I had an epidural injection on Monday", "rutherford")]

# ---------------------------------------------------------------- subjects
# (name, pronoun, possessive, have, haveGot, isWord, negHave, negNotice, is_self)
SUBJECTS = [
    ("I", "I", "my", "I have", "I've got", "I'm", "I don't have", "I haven't noticed", True),
    ("my dad", "he", "his", "my dad has", "my dad's got", "he's", "my dad doesn't have", "my dad hasn't noticed", False),
    ("my mum", "she", "her", "my mum has", "my mum's got", "she's", "my mum doesn't have", "my mum hasn't noticed", False),
    ("my mom", "she", "her", "my mom has", "my mom's got", "she's", "my mom doesn't have", "my mom hasn't noticed", False),
    ("my wife", "she", "her", "my wife has", "my wife's got", "she's", "my wife doesn't have", "my wife hasn't noticed", False),
    ("my husband", "he", "his", "my husband has", "my husband's got", "he's", "my husband doesn't have", "my husband hasn't noticed", False),
    ("my son", "he", "his", "my son has", "my son's got", "he's", "my son doesn't have", "my son hasn't noticed", False),
    ("my daughter", "she", "her", "my daughter has", "my daughter's got", "she's", "my daughter doesn't have", "my daughter hasn't noticed", False),
    ("my ouma", "she", "her", "my ouma has", "my ouma's got", "she's", "my ouma doesn't have", "my ouma hasn't noticed", False),
    ("my oupa", "he", "his", "my oupa has", "my oupa's got", "he's", "my oupa doesn't have", "my oupa hasn't noticed", False),
    ("he", "he", "his", "he has", "he's got", "he's", "he doesn't have", "he hasn't noticed", False),
    ("she", "she", "her", "she has", "she's got", "she's", "she doesn't have", "she hasn't noticed", False),
    ("my boyfriend", "he", "his", "my boyfriend has", "my boyfriend's got", "he's", "my boyfriend doesn't have", "my boyfriend hasn't noticed", False),
]
SELF = SUBJECTS[0]

CHRONIC_TIMES = ["for a few weeks", "over the last month", "since January", "for 2 months",
                 "for about six weeks", "since before Christmas", "for weeks now"]
CHRONIC = {"cancer", "severe_unremitting"}
TIMES = ["since yesterday", "for 3 days", "since this morning", "since the weekend",
         "for about a week", "since last night", "since Tuesday", "for two days now",
         "since I woke up", "for a few days", "since Friday", "since lunch time"]

ORD_CTX = [  # ordinary context, {p} = possessive
    "{p} lower back has been sore for 2 weeks", "{p} back went lifting the couch on Saturday",
    "{p} back has been stiff since the long drive", "{p} lower back hurts from gardening",
    "{p} back is sore from sitting at the desk all day", "{p} back has ached on and off for a month",
    "{p} kruis is seer since the weekend", "{p} back has been bad since moving house",
    "{p} back started hurting after carrying boxes", "{p} lower back is sore from work",
]
ORD_CTX_SRC = ["gardenrant", "healthtap_desk", "spire", "chcp"]

FRIENDS = ["my friend", "a colleague", "my neighbour", "my cousin", "a guy at gym",
           "my friend's mum", "a lady at church", "my boss", "my brother-in-law's friend",
           "someone in my running club"]
RELS_FAM = ["my mum", "my dad", "my gran", "my grandfather", "my aunt", "my uncle",
            "my brother", "my sister", "my late father", "my ouma", "my mother-in-law"]
FAM_CONDS = [(c, "roswell") for c in CANCERS + ["cancer", "bone cancer"]] + [
    ("a heart attack", "norton_ha"), ("an aortic aneurysm", "eatsip_aaa"),
    ("an aortic dissection", "visualfoodie"), ("cauda equina syndrome", "irwin"),
    ("osteoporosis", "annette"), ("TB of the spine", "scielo_stb"), ("sepsis", "patientinfo"),
    ("a spinal infection", "spinehealth_osteo"), ("foot drop after a disc op", "legacy"),
    ("a broken back from a fall", "droracle_ladder"), ("angina", "seton")]
OK_TAILS = ["I'm fine, just a stiff back from gardening", "but I've just strained my back lifting",
            "I just want to get my sore back checked", "so I worry, but mine is just muscular",
            "anyway my back is only sore from sitting", "I don't have any symptoms like that",
            "just mentioning it for my file", "my own back pain is from the gym",
            "", "", ""]

# ---------------------------------------------------------------- text noise
SA_PREFIX = ["eish ", "yoh ", "ja ", "shame ", "hi, ", "hello, ", "morning, ", "sorry to bother, ",
             "hey ", "haai, ", "good day, ", "sawubona, ", "molo, ", "hallo, "]
SA_SUFFIX = [" pls help", " what must I do", " is that bad?", " please advise", " thanks",
             " shame", " eish", " ne", " hey", " pls", " can you help?", " what should I do?"]
SUBS = [  # (pattern, replacement) applied with low probability each
    (r"\btoilet\b", "loo"), (r"\bloo\b", "toilet"), (r"\bA&E\b", "casualty"),
    (r"\bemergency room\b", "casualty"), (r"\bmom\b", "ma"), (r"\bmum\b", "ma"),
    (r"\bgrandmother\b", "ouma"), (r"\bgrandfather\b", "oupa"), (r"\bgran\b", "gogo"),
    (r"\bmy lower back\b(?! passage)", "my kruis"), (r"\bmy back\b(?! passage)", "my rug"),
    (r"\bback\b(?! passage)", "umqolo"),
    (r"\blegs\b", "bene"), (r"\bbladder\b", "blaas"), (r"\b(a )?fever\b", "koors"),
    (r"\b(a )?fever\b", "ukushisa"), (r"\bhead\b", "ikhanda"), (r"\bsore\b", "seer"),
    (r"\bvery\b", "baie"), (r"\bvery\b", "hectic"), (r"\breally\b", "proper"),
]
WA = [(r"\bplease\b", "pls"), (r"\bbecause\b", "bc"), (r"\byou\b", "u"), (r"\bare\b", "r"),
      (r"\btomorrow\b", "tmrw"), (r"\bthanks\b", "thx"), (r"\bsomething\b", "smth"),
      (r"\bdon't\b", "dont"), (r"\bcan't\b", "cant"), (r"\bI'm\b", "im"), (r"\bI've\b", "ive"),
      (r"\bwith\b", "w"), (r"\btonight\b", "2nite"), (r"\bokay\b", "ok")]
CTX_WRAP = [
    ("Hi, I'd like to book an appointment. {t}. Do you have anything this week?", "booking"),
    ("Good morning. {t}", "greeting"),
    ("{t}. I'm on medical aid with Discovery if that matters.", "medical_aid"),
    ("{t}. I work in an office in Sandton.", "work"),
    ("Quick question before I book: {t}", "before_booking"),
    ("{t}. Sorry for the long message, just want to explain properly.", "apology"),
    ("I found your practice on Google. {t}", "found_practice"),
    ("{t}. Can someone call me back?", "callback"),
    ("Hello, it's Thandi from Durbanville. {t}", "named_intro"),
    ("Hi there, {t}. What do you suggest?", "suggest"),
    ("{t}. I'm a teacher so I'm on my feet a lot.", "teacher"),
    ("Sorry to message so late. {t}", "late"),
    ("Hallo, ek skryf in Engels: {t}", "afrikaans_intro"),
]


def typo(text, n=1):
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    for _ in range(n):
        if not idx:
            break
        i = rng.choice(idx)
        w = words[i]
        op = rng.choice(["drop", "swap", "double"])
        j = rng.randrange(1, len(w) - 1)
        if op == "drop":
            w = w[:j] + w[j + 1:]
        elif op == "swap":
            w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        else:
            w = w[:j] + w[j] + w[j:]
        words[i] = w
    return " ".join(words)


def whatsapp(text):
    t = text.lower()
    for pat, rep in WA:
        if rng.random() < 0.7:
            t = re.sub(pat.lower(), rep, t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", "", t)
    t = re.sub(r"[,;:!?\"']", "", t)
    return re.sub(r"\s+", " ", t).strip()


def sa_words(text):
    t = text
    hits = 0
    for pat, rep in rng.sample(SUBS, len(SUBS)):
        if hits < 2 and re.search(pat, t) and rng.random() < 0.5:
            t = re.sub(pat, rep, t, count=1)
            hits += 1
    return t


def sa_frame(text):
    t = text
    if rng.random() < 0.6 and not GREETING.search(t):
        p = rng.choice(SA_PREFIX)
        t = p + (t[0].lower() + t[1:] if t[:2] != "I " and t[:2] != "I'" else t)
    if rng.random() < 0.5:
        t = t.rstrip(".") + rng.choice(SA_SUFFIX)
    return t


def add_time(text, label=None):
    tw = rng.choice(CHRONIC_TIMES if label in CHRONIC else TIMES)
    t = text.rstrip(".!?")
    return f"{t} {tw}"


# --------------------------------------------------------------- person transform
PRESENT = {"have": "has", "feel": "feels", "keep": "keeps", "get": "gets", "need": "needs",
           "think": "thinks", "use": "uses", "inject": "injects", "sleep": "sleeps",
           "go": "goes", "do": "does", "don't": "doesn't", "am": "is", "know": "knows",
           "struggle": "struggles", "leak": "leaks", "want": "wants", "work": "works",
           "sit": "sits", "stand": "stands", "walk": "walks", "try": "tries", "can't": "can't",
           "can": "can", "couldn't": "couldn't", "could": "could", "haven't": "hasn't",
           "won't": "won't", "wasn't": "wasn't", "was": "was", "had": "had", "hurt": "hurts",
           "pee": "pees", "lose": "loses", "seem": "seems", "cough": "coughs", "wake": "wakes",
           "ache": "aches", "notice": "notices", "live": "lives", "look": "looks", "mean": "means"}
ADVERBS = {"just", "really", "also", "still", "never", "always", "only", "even", "now", "think"}
IRREG_PAST = {"fell", "felt", "stood", "woke", "found", "lost", "took", "got", "went", "came",
              "broke", "heard", "dropped", "thought", "slipped", "tried", "ignored", "bent",
              "stepped", "stumbled", "sneezed", "picked", "crashed", "leaked", "had", "did",
              "was", "said", "saw", "sat", "hit", "hurt", "landed", "jumped", "dived", "put",
              "tweaked", "benched", "started", "finished", "checked", "noticed", "pushed"}
RELATIVE_WORDS = re.compile(r"\b(dad|mum|mom|wife|husband|son|daughter|gran|granny|father|mother|"
                            r"sister|brother|uncle|aunt|ouma|oupa|he|she|his|her|him|boyfriend|"
                            r"girlfriend|friend|colleague|neighbour|boy|gogo|cousin|they)\b", re.I)


def to_third(text, pron, poss):
    """Rewrite a first-person message for he/she. Returns None when unsure."""
    if RELATIVE_WORDS.search(text):
        return None
    obj = "him" if pron == "he" else "her"
    refl = "himself" if pron == "he" else "herself"
    toks = re.findall(r"[A-Za-z']+|[^A-Za-z'\s]+|\s+", text)
    out = []
    i = 0
    ok = True
    while i < len(toks):
        tk = toks[i]
        low = tk.lower()
        if tk in ("I'm", "I've"):
            out.append(pron + "'s")
        elif tk == "I'd":
            out.append(pron + "'d")
        elif tk == "I'll":
            out.append(pron + "'ll")
        elif tk == "I":
            out.append(pron)
            # find the next word
            j = i + 1
            while j < len(toks) and toks[j].isspace():
                j += 1
            k = j
            while k < len(toks) and toks[k].lower() in ADVERBS:
                k += 2 if k + 1 < len(toks) and toks[k + 1].isspace() else 1
            if k < len(toks):
                nxt = toks[k].lower()
                if nxt in PRESENT:
                    toks[k] = PRESENT[nxt]
                elif nxt.endswith("ed") or nxt in IRREG_PAST:
                    pass
                else:
                    ok = False
        elif low == "my":
            out.append(poss if tk == "my" else poss.capitalize())
        elif low == "me":
            out.append(obj)
        elif low == "myself":
            out.append(refl)
        elif low == "mine":
            out.append(poss if poss == "his" else "hers")
        else:
            out.append(tk)
        i += 1
    if not ok:
        return None
    res = "".join(out)
    return res[0].upper() + res[1:] if res and res[0].islower() and rng.random() < 0.5 else res


REL_INTRO = [("my dad", "he", "his"), ("my mum", "she", "her"), ("my wife", "she", "her"),
             ("my husband", "he", "his"), ("my son", "he", "his"), ("my mom", "she", "her"),
             ("my daughter", "she", "her"), ("my ouma", "she", "her"), ("my oupa", "he", "his"),
             ("my father", "he", "his"), ("my mother", "she", "her"), ("my partner", "she", "her")]
REL_FRAMES = ["I'm messaging for {rel}: {t}", "writing on behalf of {rel}. {t}",
              "asking for {rel}, {t}", "{rel} asked me to message you. {t}",
              "this is about {rel}, not me. {t}"]
REPORTED = ["{rel} says \"{t}\"", "{rel} told me: {t}", "{rel} keeps saying {t}"]


def person_variant(text):
    rel, pron, poss = rng.choice(REL_INTRO)
    third = to_third(text, pron, poss)
    if third is not None and rng.random() < 0.75:
        if rng.random() < 0.5:  # bare pronoun, as mid-conversation
            return third, f"person:{pron}"
        return rng.choice(REL_FRAMES).format(rel=rel, t=third), "person:relative"
    if RELATIVE_WORDS.search(text):
        return None, None
    t = text[0].lower() + text[1:] if not text.startswith("I") else text
    return rng.choice(REPORTED).format(rel=rel, t=t), "person:reported"


# --------------------------------------------------------------- seed variants
HAS_TIME = re.compile(r"\b(since|for (a|an|\d+|two|three|few|about|the|weeks|months|years|ages)|yesterday|"
                      r"today|tonight|week|weeks|month|months|ago|morning|night|years?)\b", re.I)
GREETING = re.compile(r"^(hi|hello|hey|hallo|haai|morning|good (morning|day|afternoon)|sorry|sawubona|molo|howzit)\b", re.I)


def seed_variants(text, positive, kind, label=None):
    """Yield (variant_text, template_name) for one seed."""
    ops = []
    allow_time = positive or kind in ("ordinary_pain",)
    allow_person = positive or kind in ("negated", "ordinary_pain", "one_sided_sciatica",
                                        "exercise_soreness", "normal_temperature", "benign_word")
    for _ in range(14):
        t = text
        names = []
        if allow_person and rng.random() < 0.45:
            v, n = person_variant(t)
            if v:
                t = v
                names.append(n)
        if allow_time and rng.random() < 0.35 and not HAS_TIME.search(t) and not t.rstrip().endswith("?") \
                and len(t.split()) < 13:
            t = add_time(t, label)
            names.append("time")
        if rng.random() < 0.4:
            t2 = sa_words(t)
            if t2 != t:
                t = t2
                names.append("sa_words")
        if rng.random() < 0.3 and kind not in ("chit_chat", "triage_answer"):
            tpl, n = rng.choice(CTX_WRAP)
            t = tpl.format(t=t.rstrip(".!?"))
            names.append("context:" + n)
        if rng.random() < 0.35:
            t = sa_frame(t)
            names.append("sa_frame")
        if rng.random() < 0.3:
            t = whatsapp(t)
            names.append("whatsapp")
        if rng.random() < 0.3:
            t = typo(t, rng.choice([1, 1, 2]))
            names.append("typo")
        if names:
            ops.append((t, "+".join(names)))
    return ops


# --------------------------------------------------------------- compositional templates
def strip_article(np_):
    return re.sub(r"^(a|an) ", "", np_)


def np_for(subj, np_):
    """Adapt 'my'/'I' inside a phrase to the subject."""
    if subj[8]:
        return np_
    out = re.sub(r"\bmy\b", subj[2], np_)
    out = re.sub(r"\bI wipe\b", subj[1] + " wipes", out)
    out = re.sub(r"\bI walk\b", subj[1] + " walks", out)
    out = re.sub(r"\bI pass\b", subj[1] + " passes", out)
    out = re.sub(r"\bI can't\b", subj[1] + " can't", out)
    out = re.sub(r"\bwakes me\b", "wakes " + ("him" if subj[1] == "he" else "her"), out)
    out = re.sub(r"\bI\b", subj[1], out)
    return out


POS_FRAMES = [
    "{have} {np}", "{havegot} {np}", "{have} {np} {time}", "{havegot} {np} {time}",
    "{ctx} and now {have_lc} {np}", "{ctx}, and {havegot_lc} {np} {time}",
    "new since {time_s}: {np}", "{have} {np} and {p} back is killing {obj}",
]
NEG_FRAMES = [
    "no {np}", "no {np} at all", "there's no {np}", "{neghave} any {np}",
    "{negnotice} any {np}", "definitely no {np}", "{np}? no, nothing like that",
    "{ctx}, but no {np}", "{ctx}. no {np}", "{ctx} - {neghave_lc} any {np}",
    "not a sign of {np}", "zero {np}", "{ctx}, {neghave_lc} {np} or anything like that",
    "nope, no {np}", "no {np} and no {np2}", "{ctx}. no {np}, no {np2}",
    "I can confirm there's no {np}", "nothing like {np}", "no {np} whatsoever",
]
HIST_FRAMES = [
    "had {np} years ago but it cleared up completely, nothing now",
    "I had {np} back in 2018, none since",
    "{np} was a problem in 2019 after an infection, it's gone now",
    "had a bout of {np} last year, it passed, {ctx}",
    "years ago I had {np}, fully recovered. {ctx}",
    "{ctx}. I did have {np} a long time ago but not anymore",
    "used to get {np} in my twenties, not for a decade",
    "{np} once, about five years ago, sorted out",
]
# which phrases are sensible in history frames
HIST_OK = {"infection", "cardiac_vascular", "progressive_neuro_deficit", "cauda_equina"}


def fill(frame, subj, np_, np2=None, label=None):
    ctx = rng.choice(ORD_CTX).format(p=subj[2])
    obj = "me" if subj[8] else ("him" if subj[1] == "he" else "her")
    d = dict(
        have=subj[3], havegot=subj[4], have_lc=subj[3] if subj[8] else subj[1] + " has",
        havegot_lc=subj[4] if subj[8] else subj[1] + "'s got",
        neghave=subj[6], negnotice=subj[7],
        neghave_lc=subj[6] if subj[8] else subj[1] + " doesn't have",
        np=np_, np2=np2 or "", time=rng.choice(CHRONIC_TIMES if label in CHRONIC else TIMES),
        time_s=rng.choice(["last month", "January", "about six weeks ago", "the start of the year"]
                          if label in CHRONIC else ["yesterday", "this morning", "the weekend", "Tuesday", "last night"]),
        ctx=ctx[0].upper() + ctx[1:], p=subj[2], obj=obj)
    t = frame.format(**d)
    return t[0].upper() + t[1:] if rng.random() < 0.6 else t


def compose_positive(label, n):
    out = []
    tries = 0
    while len(out) < n and tries < n * 30:
        tries += 1
        subj = rng.choice(SUBJECTS)
        if label in PHRASES and (label not in ("cancer", "infection") or rng.random() < 0.5):
            np_, src = rng.choice(PHRASES[label])
            fr = rng.choice(POS_FRAMES)
            t = fill(fr, subj, np_for(subj, np_), label=label)
            if label == "infection" and "back" not in t:
                t = t + rng.choice([" and back pain", " with this back pain", ", and my back is bad",
                                    " plus a really sore back", " and lower back pain"])
                if not subj[8]:
                    t = t.replace("my back", subj[2] + " back")
            out.append((t, label, "positive", f"generated: compose_positive/{fr}; phrase from {U[src]}"))
        elif label == "cancer":
            pool = [c for c in CANCERS if not (subj[1] == "he" and c in ("breast cancer", "cervical cancer"))
                    and not (subj[1] == "she" and c == "prostate cancer")]
            c = rng.choice(pool)
            yrs = rng.choice(["two years", "5 years", "a few years", "18 months", "last year", "ten years"])
            fr = rng.choice([
                "{S} had {c} {y} ago and now has new back pain",
                "{S} had {c} and this back pain is new, it's not going away",
                "{S} is being treated for {c} and now {p} back hurts",
                "history of {c}, and new back pain for 3 weeks",
                "{S} finished treatment for {c} {y} ago, now {p} back aches at night",
            ])
            who = subj[0] if not subj[8] else "I"
            t = fr.format(S=who, c=c, y=yrs.replace("last year", "a year"), p=subj[2])
            if subj[8]:
                t = t.replace("I had", "I had").replace("now has", "now I have").replace("I is", "I'm")
            out.append((t[0].upper() + t[1:], label, "positive", f"generated: cancer_history/{fr}; {U['nice_mscc']}"))
        elif label == "infection":
            risk, src = rng.choice(INFECT_RISK)
            fev = rng.choice(["a fever", "a temperature of 38.2", "chills", "a high temperature",
                              "shivers and a fever", "rigors", "night sweats and a fever"])
            t = f"{risk} and now I have {fev} and back pain"
            if rng.random() < 0.3:
                t = whatsapp(t)
            out.append((t, label, "positive", f"generated: infection_risk_fever; {U[src]}"))
    # trauma is template-only (mechanisms)
    return out


def compose_trauma(n):
    out = []
    for _ in range(n * 3):
        subj = rng.choice(SUBJECTS)
        who = "I" if subj[8] else subj[0]
        if rng.random() < 0.6:
            mech, src = rng.choice(TRAUMA_MAJOR)
            if not subj[8]:
                mech = mech.replace("my ", subj[2] + " ")
            t = f"{who} {mech} {rng.choice(['yesterday', 'this morning', 'on Saturday', 'last night', 'two days ago'])}"
            if rng.random() < 0.5:
                t += " " + rng.choice(TRAUMA_NEURO_TAIL).replace("my ", subj[2] + " ") if not subj[8] else " " + rng.choice(TRAUMA_NEURO_TAIL)
            else:
                t += rng.choice([" and the back is very sore", " and now back pain", ", back is killing",
                                 " and can hardly move", ""])
            name = "trauma_major"
        else:
            while subj[0] not in OLDER:
                subj = rng.choice(SUBJECTS)
            first, third, src = rng.choice(OSTEO_RISK)
            minor = rng.choice(OSTEO_MINOR)
            if subj[8]:
                t = f"{first} {minor}"
            else:
                m = minor.replace("my ", subj[2] + " ").replace("I sneezed", f"{subj[1]} sneezed")
                t = f"{subj[0]} {third.format(p=subj[2])} {m}"
            name = "trauma_osteo_steroid"
        out.append((t[0].upper() + t[1:], "trauma_fracture", "positive", f"generated: {name}; {U[src]}"))
    return out


def compose_negated(n):
    out = []
    fams = [f for f in PHRASES if f not in ("severe_unremitting", "cancer")]
    for _ in range(n * 3):
        subj = rng.choice(SUBJECTS)
        fam = rng.choice(fams)
        np_, src = rng.choice(PHRASES[fam])
        np2, _ = rng.choice(PHRASES[rng.choice(fams)])
        a = np_for(subj, strip_article(np_))
        b = np_for(subj, strip_article(np2))
        if a.startswith("no ") or b.startswith("no ") or a == b:
            continue
        fr = rng.choice(NEG_FRAMES)
        t = fill(fr, subj, a, b)
        out.append((t, "none", "negated", f"generated: compose_negated/{fr}; phrase from {U[src]}"))
    # trauma / cancer / infection negations
    extra = [("I didn't fall or have any accident", "droracle_ladder"),
             ("no fall, no car accident", "droracle_ladder"), ("never had cancer", "nice_mscc"),
             ("no cancer in my history", "nice_mscc"), ("I'm not on chemo or steroids", "christie"),
             ("no osteoporosis", "annette"), ("no fever", "spinehealth_osteo"),
             ("I don't inject anything", "premierpain"), ("no recent back op or injection", "rutherford"),
             ("no weight loss", "moffitt"), ("sleeping fine at night", "nice_mscc"),
             ("no chest pain", "sheffield"), ("not short of breath", "seton"),
             ("it's not constant, lying down eases it", "foreverfit"), ("the pain eases when I move around", "foreverfit"),
             ("rest helps a lot", "foreverfit"), ("no night pain, I sleep well", "nice_mscc"),
             ("my weight is stable", "moffitt"), ("it's getting better each day, not worse", "millcroft")]
    for _ in range(n):
        e, src = rng.choice(extra)
        ctx = rng.choice(ORD_CTX).format(p="my")
        t = rng.choice([f"{ctx}. {e}", f"{e}, {ctx}", f"{ctx} - {e}.", f"{e}. just sore"])
        out.append((t[0].upper() + t[1:], "none", "negated", f"generated: negated_risk; {U[src]}"))
    return out


def compose_history(n):
    out = []
    for _ in range(n * 3):
        fam = rng.choice(sorted(HIST_OK))
        np_, src = rng.choice(PHRASES[fam])
        if np_.startswith("no "):
            continue
        fr = rng.choice(HIST_FRAMES)
        t = fill(fr, SELF, strip_article(np_))
        out.append((t, "none", "history", f"generated: compose_history/{fr}; phrase from {U[src]}"))
    extra = [
        ("had a fever last year", "spinehealth_osteo"), ("had koors in winter, it passed", "spinehealth_osteo"),
        ("I had one steroid injection in my knee", "webmd_steroid"),
        ("fell off a ladder as a teenager and broke my wrist, this is different", "droracle_ladder"),
        ("car accident in 2012, no injuries", "enjuris"),
        ("leaked a bit since my babies, same for years, not new", "emily"),
        ("had a 5 day prednisone course once, years ago", "bjc"),
        ("my chest pain in 2021 was checked and my heart is fine", "seton"),
        ("had TB years ago and finished the treatment", "scielo_stb"),
        ("lost weight last year on purpose, stable now", "moffitt"),
    ]
    for _ in range(n):
        e, src = rng.choice(extra)
        ctx = rng.choice(ORD_CTX).format(p="my")
        t = rng.choice([f"{e}. {ctx}", f"{ctx}. {e}", f"{e}, nothing recent", f"just so you know, {e}"])
        out.append((t[0].upper() + t[1:], "none", "history", f"generated: history_misc; {U[src]}"))
    return out


def compose_family(n):
    out = []
    for _ in range(n * 3):
        rel = rng.choice(RELS_FAM)
        cond, src = rng.choice(FAM_CONDS)
        verb = rng.choice(["had", "had", "died of", "was treated for", "has", "survived"])
        if verb in ("died of", "survived") and cond in ("osteoporosis", "angina", "foot drop after a disc op"):
            verb = "had"
        tail = rng.choice(OK_TAILS)
        t = f"{rel} {verb} {cond}"
        if tail:
            t += rng.choice([", ", ". ", " - "]) + tail
        if rng.random() < 0.2:
            t = rng.choice(["family history: ", "for the form, ", "fyi "]) + t
        out.append((t[0].upper() + t[1:] if rng.random() < 0.6 else t, "none", "family_history",
                    f"generated: family_history; {U[src]}"))
    return out


def compose_other(n):
    out = []
    other_np = [("sciatica in both legs", "healthify"), ("cauda equina", "irwin"),
                ("a heart attack", "norton_ha"), ("cancer", "roswell"), ("a spinal abscess", "spinehealth_osteo"),
                ("a broken back after falling off a ladder", "droracle_ladder"),
                ("foot drop", "legacy"), ("a fever after his back op", "rxharun"),
                ("bladder problems after her disc op", "somerset"), ("an aortic aneurysm", "eatsip_aaa"),
                ("a compression fracture from osteoporosis", "annette"), ("TB of the spine", "scielo_stb")]
    for _ in range(n * 3):
        f = rng.choice(FRIENDS)
        c, src = rng.choice(other_np)
        v = rng.choice(["had", "ended up with", "was diagnosed with", "told me about her", "got"])
        if v == "told me about her":
            t = f"{f} told me about {c}"
        else:
            t = f"{f} {v} {c}"
        tail = rng.choice(["I'm only asking because I've got a sore back from work",
                           "mine is nothing like that, just stiff", "so it's on my mind, I just need a massage",
                           "is that common? I don't have any of that", "anyway, can I book for my shoulder",
                           "I'm fine, just curious", "my back is only sore from gym"])
        t = t + rng.choice([", ", ". ", " - "]) + tail
        out.append((t[0].upper() + t[1:], "none", "other_person", f"generated: other_person; {U[src]}"))
    return out


EXERCISES = ["chest press", "bench press", "push ups", "dumbbell flies", "a boxing class", "crossfit",
             "leg day", "squats", "deadlifts", "my 10k", "parkrun", "the Comrades", "a half marathon",
             "a spin class", "hiking Table Mountain", "a long cycle", "padel", "netball practice",
             "soccer on Sunday", "touch rugby", "a pilates class", "my first gym session in months"]
SORE = ["my pecs are sore", "both legs ache", "my chest muscles hurt when I press on them",
        "my thighs are stiff", "both calves are tight", "my lower back is a bit stiff",
        "my glutes are sore", "hamstrings are tight on both sides", "my chest feels bruised from the workout",
        "my arms and chest are sore to touch", "both legs feel heavy and achy", "I'm hot and sweaty"]


UPPER_EX = {"chest press", "bench press", "push ups", "dumbbell flies", "a boxing class", "crossfit", "padel"}
UPPER_SORE = {"my pecs are sore", "my chest muscles hurt when I press on them", "my chest feels bruised from the workout",
              "my arms and chest are sore to touch", "I'm hot and sweaty", "my lower back is a bit stiff"}


def compose_exercise(n):
    out = []
    for _ in range(n * 3):
        e = rng.choice(EXERCISES)
        pool = [x for x in SORE if (x in UPPER_SORE) == (e in UPPER_EX) or x in ("I'm hot and sweaty", "my lower back is a bit stiff")]
        s = rng.choice(pool)
        fr = rng.choice(["{s} after {e}", "after {e} {s}", "{s} since {e} yesterday",
                         "did {e} and now {s}, normal DOMS I think", "{e} yesterday, today {s}",
                         "{s} after {e}, it's getting better already"])
        t = fr.format(e=e, s=s)
        src = "eatsip_pec" if "chest" in s or "pec" in s else ("fitadults" if "hot" in s else "runnersworld")
        out.append((t[0].upper() + t[1:], "none", "exercise_soreness", f"generated: exercise/{fr}; {U[src]}"))
    return out


def compose_sciatica(n):
    out = []
    for _ in range(n * 3):
        side = rng.choice(["left", "right"])
        subj = rng.choice(SUBJECTS[:8])
        p = subj[2]
        d = rng.choice([f"sciatica down {p} {side} leg only", f"pain shooting down {p} {side} leg",
                        f"nerve pain from {p} {side} buttock to the knee",
                        f"burning down the back of {p} {side} thigh",
                        f"tingling in {p} {side} calf with the sciatica",
                        f"pain down the outside of {p} {side} leg to the ankle"])
        tail = rng.choice(["no weakness", "strength is fine", "can walk normally", "worse when sitting",
                           "better when walking", "only on that side", "the other leg is fine",
                           "legs are strong", ""])
        t = d + (", " + tail if tail else "")
        if not subj[8]:
            t = subj[0] + " has " + t
        out.append((t[0].upper() + t[1:], "none", "one_sided_sciatica",
                    f"generated: one_sided_sciatica; {U[rng.choice(['flarin', 'merseycare'])]}"))
    return out


def compose_temp(n):
    out = []
    for _ in range(n * 3):
        v = f"{rng.choice([36, 36, 36, 37])}.{rng.randint(0, 9)}"
        if v.startswith("37") and int(v[-1]) > 2:
            v = "37.0"
        fr = rng.choice(["temperature was normal, {v}", "my temp is {v}", "took my temperature, {v}",
                         "thermometer says {v}, so no fever", "checked it this morning: {v}",
                         "no fever, {v}", "{v} on the thermometer", "her temp is {v}, normal",
                         "his temperature was {v} at the pharmacy", "temperature normal ({v})",
                         "I feel warm but it's only {v}", "the nurse said {v}, all normal"])
        t = fr.format(v=v)
        out.append((t[0].upper() + t[1:], "none", "normal_temperature", f"generated: normal_temp; {U['tuasaude']}"))
    return out


QUESTIONS = [
    ("can needling cause infection?", "daffodil"), ("is dry needling safe?", "daffodil"),
    ("do you use disposable needles?", "daffodil"), ("how many needling sessions will I need?", "daffodil"),
    ("does dry needling hurt?", "daffodil"), ("can you needle my upper back?", "daffodil"),
    ("is it normal to be sore after needling?", "daffodil"), ("what's the difference between needling and acupuncture?", "daffodil"),
    ("do I need a doctor's referral?", "physiomoreleta"), ("do you take medical aid?", "physiomoreleta"),
    ("how much is the first consultation?", "physiomoreleta"), ("what time do you open?", "physiomoreleta"),
    ("do you have parking?", "physiomoreleta"), ("can I book for Saturday?", "physiocare"),
    ("do you claim from GEMS?", "physiocare"), ("can I pay cash?", "physiocare"),
    ("how long does a session take?", "physiocare"), ("should I bring my MRI?", "physiocare"),
    ("what is a red flag?", "ihavece"), ("what does cauda equina mean?", "ihavece"),
    ("when should back pain go to casualty?", "ihavece"), ("do you treat kids?", "physiomoreleta"),
    ("can I do pilates with you?", "physiomoreleta"), ("do you treat pregnant women?", "uhg"),
    ("is heat or ice better for a sore back?", "spire"), ("should I keep going to gym?", "spire"),
    ("can physio help sciatica?", "merseycare"), ("what exercises can I do at home?", "spire"),
    ("do you do online consultations?", "physiocare"), ("can I reschedule my appointment?", "physiocare"),
]


def compose_questions(n):
    out = []
    for _ in range(n * 3):
        q, src = rng.choice(QUESTIONS)
        pre = rng.choice(["", "", "hi, ", "quick question, ", "sorry, ", "morning! ", "hey, ", "eish, "])
        t = pre + q
        out.append((t[0].upper() + t[1:], "none", "practice_question", f"generated: practice_question; {U[src]}"))
    return out


ACTIV = ["gardening", "weeding", "moving house", "carrying boxes", "sitting at my desk",
         "a long drive to Cape Town", "painting the ceiling", "lifting my toddler", "mowing the lawn",
         "standing at work", "sleeping on a bad mattress", "working from the couch", "a long flight",
         "doing the laundry", "cleaning the pool", "carrying groceries", "the school run every day"]
DUR = ["for 2 weeks", "since Saturday", "for about 10 days", "on and off for a month", "since last week",
       "for 3 days", "for a while now", "since the long weekend"]
AGG = [("worse when I sit", "worse when {pr} sits"), ("better when I walk", "better when {pr} walks"),
       ("stiff in the morning", "stiff in the morning"), ("sore when I bend", "sore when {pr} bends"),
       ("eases when I lie down", "eases when {pr} lies down"), ("worse after a long day", "worse after a long day"),
       ("better with a hot shower", "better with a hot shower"), ("sore when I twist", "sore when {pr} twists")]


def agg(subj):
    a = rng.choice(AGG)
    return a[0] if subj[8] else a[1].format(pr=subj[1])


def compose_ordinary(n):
    out = []
    for _ in range(n * 3):
        subj = rng.choice(SUBJECTS[:8])
        p = subj[2]
        base = rng.choice([f"{p} lower back is sore from {{a}} {{d}}", f"{p} back hurts after {{a}}",
                           f"sore back {{d}} from {{a}}", f"{p} back has been stiff {{d}}, {{g}}",
                           f"{p} kruis is seer from {{a}}", f"{p} back aches {{d}}, {{g}}",
                           f"started after {{a}}, {{g}}", f"dull ache in {p} lower back {{d}}"])
        a = rng.choice(ACTIV)
        if not subj[8]:
            a = a.replace("my ", subj[2] + " ")
        t = base.format(a=a, d=rng.choice(DUR), g=agg(subj))
        if rng.random() < 0.4:
            t += ", " + agg(subj)
        out.append((t[0].upper() + t[1:], "none", "ordinary_pain",
                    f"generated: ordinary_pain; {U[rng.choice(ORD_CTX_SRC)]}"))
    return out


def compose_triage(n):
    out = []
    gens = [
        lambda: f"about {rng.randint(2, 12)} hours at my desk",
        lambda: f"{rng.randint(1, 6)} {rng.choice(['days', 'weeks'])}",
        lambda: f"since {rng.choice(['Monday', 'Tuesday', 'the weekend', 'last month', 'January', 'my birthday'])}",
        lambda: f"{rng.randint(2, 8)} out of 10",
        lambda: f"{rng.randint(2, 8)}/10",
        lambda: rng.choice(["lower back", "right side of my lower back", "left side", "middle of my back",
                            "between my shoulder blades, a dull ache from sitting", "just above my belt"]),
        lambda: rng.choice(["worse when I sit", "worse in the morning", "better when I walk",
                            "worse at the end of the day", "bending makes it worse", "standing helps"]),
        lambda: rng.choice(["no", "none", "no to all", "none of those", "nope", "no nothing like that"]),
        lambda: f"I'm {rng.randint(19, 75)}",
        lambda: rng.choice(["office job", "I'm a nurse", "I drive a truck", "I'm a teacher", "retail, on my feet",
                            "I work from home", "construction", "I'm a student"]),
        lambda: rng.choice(["panado helps a bit", "ibuprofen", "nothing yet", "I tried a heat pack",
                            "stretching helps", "voltaren gel"]),
        lambda: rng.choice(["first time", "it happens every few months", "second time this year",
                            "had it before, same kind"]),
        lambda: rng.choice(["Tuesday 10am please", "any time after 4", "morning is better", "Friday if possible"]),
        lambda: rng.choice(["Discovery", "Bonitas", "Momentum", "GEMS", "Medshield", "no medical aid, cash"]),
    ]
    for _ in range(n * 3):
        t = rng.choice(gens)()
        out.append((t, "none", "triage_answer", f"generated: triage_answer; {U[rng.choice(['chcp', 'healthtap_desk', 'physiocare'])]}"))
    return out


CHAT = ["hi", "hello", "hey", "howzit", "morning", "good afternoon", "thanks", "thank you", "shot",
        "sharp", "sharp sharp", "ok", "okay", "cool", "lekker", "ja", "ja thanks", "yebo", "dankie",
        "baie dankie", "siyabonga", "enkosi", "ngiyabonga", "see you then", "great thanks", "perfect",
        "thanks so much", "no stress", "eish ok", "ok cool", "sounds good", "awesome", "bye", "cheers",
        "thanks for your help", "ok I'll wait", "sorry wrong chat", "haha ok", "will do", "noted"]


def compose_chat(n):
    out = []
    for _ in range(n * 3):
        t = rng.choice(CHAT)
        if rng.random() < 0.5:
            t = t + rng.choice([" :)", "!", " 👍", " ne", " hey", " bru", " man", "", " 🙏", " thx"])
        if rng.random() < 0.3:
            t = t.capitalize()
        out.append((t, "none", "chit_chat", f"generated: chit_chat; {U[rng.choice(['seemycountry', 'kingprice', 'citizen', 'africathoughts'])]}"))
    return out


BENIGN = [
    ("lost {k}kg on banting on purpose, back feels better", "moffitt"),
    ("I've been dieting and lost {k}kg, very happy", "moffitt"),
    ("moving the chest freezer did my back in", "eatsip_pec"),
    ("carried a chest of drawers up the stairs", "eatsip_pec"),
    ("I'm a Cancer so I worry a lot haha, booking for my neck", "moffitt"),
    ("crashed on the couch after the braai and woke up stiff", "kingprice"),
    ("I'm dying to get back to padel", "kingprice"),
    ("my back was on fire after scrubbing the floors, muscle ache", "kingprice"),
    ("my kids are killing me, picking them up all day", "kingprice"),
    ("I fell asleep on the couch in a weird position", "kingprice"),
    ("my phone fell off the ladder while I was painting", "droracle_ladder"),
    ("I'm climbing the corporate ladder, sitting 10 hours a day", "droracle_ladder"),
    ("the fever tree tonic was lekker at the braai", "kingprice"),
    ("I work in oncology as a nurse and lifting patients is hard on my back", "moffitt"),
    ("we drove past a car accident on the N1, anyway can I book", "enjuris"),
    ("I want to tackle this stiffness before rugby season", "health24"),
    ("my heart isn't in running lately because my back is stiff", "seton"),
    ("my mind goes numb in meetings lol", "backes"),
    ("the toilet seat at work is broken, I stand all day anyway", "backes"),
    ("I'm weak at staying off my phone, neck is stiff", "legacy"),
    ("I broke my phone screen, so I'll be on email", "kingprice"),
    ("my car crashed - the computer - so I lost the booking email", "kingprice"),
    ("shooting a wedding tomorrow, can I come after?", "kingprice"),
    ("my back is breaking from all the wedding dancing", "kingprice"),
    ("the hot water bottle helped my back", "tuasaude"),
    ("I'm burning to get back to gym", "tuasaude"),
]


def compose_benign(n):
    out = []
    for _ in range(n * 3):
        b, src = rng.choice(BENIGN)
        t = b.format(k=rng.randint(2, 12))
        if rng.random() < 0.4:
            t = rng.choice(["hi, ", "haha ", "eish ", "ja ", ""]) + t
        out.append((t[0].upper() + t[1:] if rng.random() < 0.5 else t, "none", "benign_word",
                    f"generated: benign_word; {U[src]}"))
    return out


# --------------------------------------------------------------- main
def norm(t):
    return re.sub(r"\s+", " ", t.strip().lower())


def _loose_url(u):
    u = u.strip().rstrip("/").lower()
    u = re.sub(r"^https?://", "", u)
    return re.sub(r"^www\.", "", u)


def load_banned():
    """URLs of the frozen evaluation set's sources (banned_sources.txt), loosely normalised
    (trailing "/", scheme and "www." ignored) so near-identical spellings also match."""
    path = os.path.join(HERE, "banned_sources.txt")
    if not os.path.exists(path):
        return []
    return [_loose_url(l) for l in open(path) if l.strip() and not l.lstrip().startswith("#")]


BANNED = load_banned()


def mentions_banned(text):
    t = text.lower()
    t = re.sub(r"https?://(www\.)?", "", t)
    return any(b in t for b in BANNED)


def load_seeds():
    seeds = []
    for f in ["seeds_pos.yml", "seeds_pos2.yml", "seeds_pos3.yml"]:
        for blk in yaml.safe_load(open(os.path.join(HERE, f))):
            for t in blk["texts"]:
                seeds.append((t, blk["label"], "positive", blk["src"]))
    for f in ["seeds_neg.yml", "seeds_neg2.yml", "seeds_neg3.yml"]:
        for blk in yaml.safe_load(open(os.path.join(HERE, f))):
            for t in blk["texts"]:
                seeds.append((t, "none", blk["kind"], blk["src"]))
    bad = [x for x in seeds if mentions_banned(x[3])]
    if bad:
        print(f"WARNING: dropping {len(bad)} seeds whose source is in banned_sources.txt")
    return [x for x in seeds if not mentions_banned(x[3])]


def main():
    seeds = load_seeds()
    seen = set()
    items = []
    buckets = collections.defaultdict(list)  # key -> candidate list

    def key(label, kind):
        return label if label != "none" else kind

    # 1. seeds themselves
    for t, label, kind, src in seeds:
        if norm(t) in seen:
            continue
        seen.add(norm(t))
        items.append(dict(text=t, label=label, kind=kind, source=src))

    # 2. candidates: seed variants
    seed_cands = collections.defaultdict(list)
    for t, label, kind, src in seeds:
        for v, name in seed_variants(t, label != "none", kind, label):
            seed_cands[key(label, kind)].append((v, label, kind, f"generated: {name}; seed: {src}"))

    # 3. candidates: compositional
    comp = collections.defaultdict(list)
    for lab in POS_LABELS:
        if lab == "trauma_fracture":
            comp[lab] += compose_trauma(TARGET_POS)
        else:
            comp[lab] += compose_positive(lab, TARGET_POS)
    comp["negated"] += compose_negated(TARGET_NEG)
    comp["history"] += compose_history(TARGET_NEG)
    comp["family_history"] += compose_family(TARGET_NEG)
    comp["other_person"] += compose_other(TARGET_NEG)
    comp["exercise_soreness"] += compose_exercise(TARGET_NEG)
    comp["one_sided_sciatica"] += compose_sciatica(TARGET_NEG)
    comp["normal_temperature"] += compose_temp(TARGET_NEG)
    comp["practice_question"] += compose_questions(TARGET_NEG)
    comp["ordinary_pain"] += compose_ordinary(TARGET_NEG)
    comp["triage_answer"] += compose_triage(TARGET_NEG)
    comp["chit_chat"] += compose_chat(TARGET_NEG)
    comp["benign_word"] += compose_benign(TARGET_NEG)

    # light noise on compositional items so they are not all clean
    def noisy(c):
        t, l, k, s = c
        r = rng.random()
        if k in ("chit_chat", "triage_answer"):
            return c
        if r < 0.15:
            return (whatsapp(t), l, k, s.replace("generated: ", "generated: whatsapp+", 1))
        if r < 0.25:
            return (typo(t), l, k, s.replace("generated: ", "generated: typo+", 1))
        if r < 0.35:
            return (sa_frame(sa_words(t)), l, k, s.replace("generated: ", "generated: sa+", 1))
        return c

    have = collections.Counter(key(i["label"], i["kind"]) for i in items)
    for k in POS_LABELS + NEG_KINDS:
        target = TARGET_POS if k in POS_LABELS else TARGET_NEG
        need = target - have[k]
        sc = seed_cands[k][:]
        cc = [noisy(c) for c in comp[k]]
        rng.shuffle(sc)
        rng.shuffle(cc)
        # take about half from seed variants and half from templates, then top up
        order = []
        half = need // 2
        order += sc[:half]
        order += cc
        order += sc[half:]
        for t, label, kind, src in order:
            if need <= 0:
                break
            t = re.sub(r"\s+", " ", t).strip()
            if not t or norm(t) in seen:
                continue
            seen.add(norm(t))
            items.append(dict(text=t, label=label, kind=kind, source=src))
            need -= 1
        if need > 0:
            print(f"WARNING: {k} short by {need}")

    rng.shuffle(items)
    bad_u = sorted(k for k, u in U.items() if mentions_banned(u))
    assert not bad_u, f"lexicon sources in banned_sources.txt: {bad_u}"
    assert not any(mentions_banned(i["source"]) for i in items), "banned source in corpus"
    # Written to a temp file in the same folder, validated, then renamed over the target,
    # so a reader polling red_flag_corpus.yml never sees a half-written file.
    # RF_OUT overrides the target (e.g. a staging path for review before publishing).
    out = os.environ.get("RF_OUT") or os.path.join(HERE, "red_flag_corpus.yml")
    tmp = out + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("# Red-flag training corpus for the learned asking layer. Sources per item.\n")
        fh.write("# Built by build_corpus.py from seeds_*.yml (seed texts rewritten once from the\n")
        fh.write("# page in `source`); generated items name their template and seed source.\n")
        yaml.safe_dump({"items": items}, fh, allow_unicode=True, sort_keys=False, width=1000)

    # sources.txt (only URLs actually cited by some item)
    used = " ".join(i["source"] for i in items)
    urls = {u for u in U.values() if u in used}
    for _, _, _, src in seeds:
        urls.add(src)
    assert not any(mentions_banned(u) for u in urls)
    stmp = os.path.join(HERE, "sources.txt.tmp")
    with open(stmp, "w") as fh:
        fh.write("# Every source URL used for seeds and lexicon phrases (pages corpus of the search tool)\n")
        for u in sorted(urls):
            fh.write(u + "\n")

    # validate + counts (on the temp file, before it replaces anything)
    data = yaml.safe_load(open(tmp))
    its = data["items"]
    assert all(set(i) == {"text", "label", "kind", "source"} for i in its)
    assert all((i["label"] == "none") == (i["kind"] != "positive") for i in its)
    assert len({norm(i["text"]) for i in its}) == len(its)
    assert not any(mentions_banned(i["source"]) for i in its)
    os.replace(tmp, out)
    os.replace(stmp, os.path.join(HERE, "sources.txt"))
    print(f"wrote {out}")
    lab = collections.Counter(i["label"] for i in its)
    kin = collections.Counter(i["kind"] for i in its if i["label"] == "none")
    seeds_n = sum(1 for i in its if not i["source"].startswith("generated"))
    print(f"YAML loads: {len(its)} items ({seeds_n} seeds, {len(its) - seeds_n} generated), "
          f"{len(urls)} source URLs")
    pos = sum(v for k, v in lab.items() if k != "none")
    print(f"positives {pos} ({pos / len(its):.1%}), none {lab['none']} ({lab['none'] / len(its):.1%})")
    print("per label:")
    for k in POS_LABELS + ["none"]:
        print(f"  {k:28s} {lab[k]}")
    print("none per kind:")
    for k in NEG_KINDS:
        print(f"  {k:28s} {kin[k]}")


if __name__ == "__main__":
    main()
