"""The form of a question that matching compares: lower case, no accents, SMS
shorthand spelled out, punctuation gone.

Patients type "hw much r the shots" as often as "How much are the injections?";
both must land on the same fact. Only shorthand that cannot mean anything else in a
question is expanded ("u", "ur", "pls"), and words that carry the question ("how",
"long", "not") are kept.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Dict

SHORTHAND: Dict[str, str] = {
    "u": "you",
    "ya": "you",
    "ur": "your",
    "youre": "you are",
    "r": "are",
    "hw": "how",
    "hows": "how is",
    "wat": "what",
    "wut": "what",
    "whats": "what is",
    "wats": "what is",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "b4": "before",
    "bc": "because",
    "cuz": "because",
    "w": "with",
    "wo": "without",
    "im": "i am",
    "ive": "i have",
    "dont": "do not",
    "doesnt": "does not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "isnt": "is not",
    "arent": "are not",
    "shouldnt": "should not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "didnt": "did not",
    "wasnt": "was not",
    "werent": "were not",
    "hasnt": "has not",
    "havent": "have not",
    "abt": "about",
    "yr": "year",
    "yrs": "years",
    "yo": "year old",
    "wk": "week",
    "wks": "weeks",
    "hrs": "hours",
    "hr": "hour",
    "mins": "minutes",
    "min": "minutes",
    "appt": "appointment",
    "dr": "doctor",
    "doc": "doctor",
    "meso": "mesotherapy",
    "lipo": "liposuction",
    "$": "cost",
    "$$": "cost",
    "$$$": "cost",
    "tx": "treatment",
    "txs": "treatments",
    "shots": "injections",
    "shot": "injection",
    "jabs": "injections",
    "jab": "injection",
    "needle": "needles",
    "mesotherapies": "mesotherapy",
    "mesoterapy": "mesotherapy",
    "mesotheraphy": "mesotherapy",
    "mesotherepy": "mesotherapy",
    "mezotherapy": "mesotherapy",
}

_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`´]")
# "lipo-dissolve" is one product, not liposuction ("lipo") plus a verb.
_LIPODISSOLVE = re.compile(r"\blipo[\s-]?dis+olve\b")
# "work out" is exercise ("can I work out after?"), not "work" (does it work?).
_WORK_OUT = re.compile(r"\bwork(?:ing|s|ed)?[\s-]?outs?\b")
_CONTRACTION = re.compile(r"(\w)'(s|t|re|ve|ll|d|m)\b")
_TOKEN = re.compile(r"\$+|[a-z0-9]+(?:\.[0-9]+)?")


def strip_accents(text: str) -> str:
    """`text` without combining accents ("sesión" -> "sesion")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def matching_form(text: str) -> str:
    """The words of `text` as matching compares them, joined by single spaces."""
    text = strip_accents(_APOSTROPHES.sub("'", text or "").lower())
    text = _CONTRACTION.sub(r"\1\2", text)  # "what's" -> "whats", then expanded below
    text = _LIPODISSOLVE.sub("lipodissolve", text)
    text = _WORK_OUT.sub("exercise", text)
    words = []
    for token in _TOKEN.findall(text):
        words.append(SHORTHAND.get(token, token))
    return " ".join(words)


# Words that carry no question: articles, pronouns, auxiliaries, fillers. Question
# words ("how", "long", "much", "when", "who") and "not", "after", "before" stay.
FUNCTION_WORDS = frozenset(
    """a an the this that these those it its i me my mine you your yours we us our they them their
    he him his she her is are am was were be been being do does did doing have has had having
    can could will would should shall may might must to of for in on at by with and or so
    just really actually please thanks hi hello hey ok okay um lol like get got getting gonna
    wanna want there here any some also too very if then than about ask question
    know tell wondering curious even true roughly approximately approx ballpark""".split()
)
# Words patients use for the same thing, mapped to one form.
SAME_MEANING: Dict[str, str] = {
    "hurt": "pain", "hurts": "pain", "painful": "pain", "sore": "pain", "soreness": "pain",
    "ouch": "pain", "discomfort": "pain", "uncomfortable": "pain",
    "bruise": "bruising", "bruises": "bruising", "bruised": "bruising", "brusing": "bruising",
    "price": "cost", "prices": "cost", "pricing": "cost", "costs": "cost", "expensive": "cost",
    "cheap": "cheaper", "charge": "cost", "fee": "cost", "fees": "cost", "pay": "cost",
    "numb": "anesthesia", "numbing": "anesthesia", "numbed": "anesthesia", "anesthetic": "anesthesia",
    "anaesthesia": "anesthesia", "anaesthetic": "anesthesia", "anastesia": "anesthesia",
    "sedated": "anesthesia", "sedation": "anesthesia",
    "injections": "injection", "injected": "injection", "inject": "injection", "injecting": "injection",
    "lipo": "liposuction",
    "kids": "children", "kid": "children", "child": "children", "teen": "teenager", "teens": "teenager",
    "teenagers": "teenager",
    "doc": "doctor", "dr": "doctor", "physician": "doctor", "partovy": "doctor",
    "results": "result", "outcome": "result",
    "sessions": "session", "treatments": "session", "appointments": "session", "visits": "session",
    "pics": "photos", "pictures": "photos", "picture": "photos", "photo": "photos",
    "tummy": "stomach", "belly": "stomach", "abdomen": "stomach",
    "thighs": "legs", "thigh": "legs", "leg": "legs", "arm": "arms", "hip": "hips",
    "controversial": "controversy", "debated": "controversy", "debate": "controversy",
    "gym": "exercise", "workout": "exercise", "workouts": "exercise", "exercising": "exercise",
    "exercises": "exercise",
    "recovery": "recover", "recovering": "recover", "recovered": "recover",
    "eyes": "eye", "eyelid": "eye", "eyelids": "eye",
    "recognised": "recognition", "recognized": "recognition", "recognise": "recognition", "recognize": "recognition",
    "accredited": "recognition", "official": "recognition",
    "scared": "afraid", "terrified": "afraid", "freak": "afraid", "fear": "afraid", "phobia": "afraid",
    "nervous": "afraid", "anxious": "afraid", "wimp": "afraid",
    "fad": "craze", "fads": "craze", "crazes": "craze", "trend": "craze", "trendy": "craze", "visit": "session",
}


# Body areas a fact about treatable areas names only as examples: one word for all.
GENERIC_AREAS = {w: "bodyarea" for w in "legs arms hips stomach waist buttocks butt bum knees knee flanks sides lovehandles".split()}


def stem(word: str) -> str:
    """A light English stem: plurals and -ing/-ed endings off ("needles" -> "needle")."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


# Words nearly every question has: they say what it is about, not what is asked.
# Fat-dissolving injections are how most pages name the treatment ("is lipodissolve
# painful?"); questions about them are answered as questions about mesotherapy.
SUBJECT_WORDS = frozenset(
    {"mesotherapy", "treatment", "procedure", "therapy", "meso", "dissolving", "lipodissolve", "lipolysis",
     "dissolver", "dissolvers"}
)


def content_words(text: str, language: str = "en") -> str:
    """The words of `text` that say what is asked, in one form each."""
    if language == "es":
        return spanish_content_words(text)
    words = []
    for word in matching_form(text).split():
        if word in FUNCTION_WORDS or word in SUBJECT_WORDS:
            continue
        word = SAME_MEANING.get(word, word)
        words.append(GENERIC_AREAS.get(word) or stem(word))
    return " ".join(words)


# --- Spanish ------------------------------------------------------------------------
# SMS shorthand as Spanish speakers text it ("q", "xq", "tmb", "x favor", "pa").
SHORTHAND_ES: Dict[str, str] = {
    "q": "que", "k": "que", "ke": "que", "xq": "porque", "pq": "porque", "porq": "porque", "x": "por",
    "pa": "para", "pal": "para el", "tmb": "tambien", "tb": "tambien", "tmbn": "tambien", "d": "de",
    "xfa": "por favor", "porfa": "por favor", "plis": "por favor", "cn": "con", "sta": "esta",
    "stoy": "estoy", "toy": "estoy", "nomas": "solo", "nada mas": "solo", "ps": "pues", "bn": "bien",
    "mñn": "manana", "dr": "doctor", "dra": "doctora", "doc": "doctor", "meso": "mesoterapia",
    "mezoterapia": "mesoterapia", "mesoterpia": "mesoterapia", "lipo": "liposuccion", "cita": "cita",
    "appointment": "cita", "treatment": "tratamiento", "shots": "inyecciones", "injections": "inyecciones",
    "needles": "agujas", "$": "costo", "$$": "costo",
}
# Words that carry no question in Spanish (question words such as "cuanto", "cuando",
# "como", "donde", "quien" and "no", "despues", "antes" stay).
FUNCTION_WORDS_ES = frozenset(
    """el la los las lo un una unos unas de del al a en y e o u que es son esta estan estoy ser
    me te se le les nos mi mis tu tus su sus yo usted ustedes ella el ellos este esta esto ese esa eso
    con por para pero si ya muy mas tan hay ha he han has puedo puede pueden podria quiero quisiera
    hola ola buenas buenos dias tardes noches gracias favor porfavor oye oiga disculpe perdon pregunta
    preguntas saber decir sabe dice digame dime algo cosa cosas bien pues entonces asi tengo tiene tienen
    solo tambien jaja jajaja ok okay exactamente info informacion quisiera queria verdad cierto
    creo sea osea mas menos ahi alla aqui aca usted ustedes ahorita nomas ya eso esto""".split()
)
SUBJECT_WORDS_ES = frozenset({"mesoterapia", "tratamiento", "procedimiento", "terapia", "meso"})
SAME_MEANING_ES: Dict[str, str] = {
    "duele": "dolor", "duelen": "dolor", "doloroso": "dolor", "dolorosa": "dolor", "arde": "dolor",
    "precio": "costo", "precios": "costo", "cuesta": "costo", "cuestan": "costo", "cobran": "costo",
    "sale": "costo", "vale": "costo", "caro": "costo", "cara": "cara", "barato": "costo", "pagar": "costo",
    "piquetes": "inyecciones", "piquete": "inyecciones", "pinchazos": "inyecciones", "inyeccion": "inyecciones",
    "agujas": "aguja", "aguja": "aguja", "moretones": "moreton", "morados": "moreton", "morado": "moreton",
    "sesiones": "sesion", "citas": "cita", "anestesia": "anestesia", "adormecer": "anestesia",
    "panza": "abdomen", "pancita": "abdomen", "barriga": "abdomen", "estomago": "abdomen", "lonja": "abdomen",
    "muslos": "piernas", "pierna": "piernas", "brazo": "brazos", "papada": "papada", "pelo": "cabello",
    "calvicie": "cabello", "caida": "cabello", "doctora": "doctor", "dr": "doctor", "partovy": "doctor",
    "hijos": "ninos", "hija": "ninos", "hijo": "ninos", "menores": "ninos", "nino": "ninos", "nina": "ninos",
    "tarda": "dura", "demora": "dura", "tiempo": "dura", "rato": "dura",
    "jale": "trabajo", "jalar": "trabajo", "chamba": "trabajo", "chambear": "trabajo", "trabajar": "trabajo",
    "dineral": "costo", "lana": "costo", "medico": "doctor", "medicos": "doctor", "doctores": "doctor",
    "rostro": "cara", "carita": "cara", "embarazo": "embarazada", "grasita": "grasa", "gordura": "grasa",
    "cae": "caida", "caen": "caida", "cayendo": "caida", "cayo": "caida", "pompis": "nalgas", "trasero": "nalgas",
    "gym": "ejercicio", "gimnasio": "ejercicio", "correr": "ejercicio", "entrenar": "ejercicio",
    "entrenando": "ejercicio", "pesas": "ejercicio", "ejercicios": "ejercicio",
    "miedosa": "miedo", "miedoso": "miedo", "nervios": "miedo", "nerviosa": "miedo", "nervioso": "miedo",
}


GENERIC_AREAS_ES = {
    w: "bodyarea"
    for w in "abdomen piernas brazos cadera caderas cintura nalgas pompas gluteos rodillas costados llantitas lonjas".split()
}


# "es muy cara" is the price, "la cara" the face.
_EXPENSIVE_ES = re.compile(r"\b(muy|tan|bien|es|esta|sale|salio|super|mas|menos)\s+car[ao]s?\b")


def spanish_form(text: str) -> str:
    """Lower case, no accents, punctuation gone: `matching_form` without its English
    shorthand ("ya" is not "you" in Spanish)."""
    text = strip_accents(_APOSTROPHES.sub("'", text or "").lower())
    text = _EXPENSIVE_ES.sub(r"\1 costo", text)
    return " ".join(_TOKEN.findall(text))


def spanish_content_words(text: str) -> str:
    """The Spanish words of `text` that say what is asked, in one form each."""
    words = []
    for token in spanish_form(text).split():
        for word in SHORTHAND_ES.get(token, token).split():
            if word in FUNCTION_WORDS_ES or word in SUBJECT_WORDS_ES:
                continue
            word = SAME_MEANING_ES.get(word, word)
            words.append(GENERIC_AREAS_ES.get(word) or stem_es(word))
    return " ".join(words)


def stem_es(word: str) -> str:
    """A light Spanish stem: plurals off ("sesiones" -> "sesion", "agujas" -> "aguja")."""
    for suffix in ("es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: len(word) - len(suffix)]
    return word
