"""The assistant's own sentences (not facts) in each language it speaks.

Facts come from the facts files; everything else the assistant says is here, keyed
by name, in English and Spanish. `say(key, language, **values)` gives the sentence in
the conversation's language (English when a key has no Spanish yet). Plain Python.
"""

from __future__ import annotations

from typing import Dict, Optional

from meso.language import DEFAULT_LANGUAGE, LANGUAGES

PHRASES: Dict[str, Dict[str, str]] = {
    # Hand-off to staff (meso/cases/handoff.py).
    "staff_alerted": {
        "en": "I've alerted the clinic's staff, who will review your conversation.",
        "es": "Avisé al personal de la clínica, que revisará su conversación.",
    },
    "staff_queued": {
        "en": "I've added your message to the clinic staff's queue for review.",
        "es": "Dejé su mensaje en la lista del personal de la clínica para que lo revisen.",
    },
    "emergency_alerted": {"en": "I've alerted the clinic's staff too.", "es": "También avisé al personal de la clínica."},
    "emergency_queued": {
        "en": "I've also added your message to the clinic staff's queue.",
        "es": "También dejé su mensaje en la lista del personal de la clínica.",
    },
    "emergency_not_stored": {
        "en": "I couldn't reach the clinic's staff system. After calling 911, {contact}",
        "es": "No pude comunicarme con el sistema del personal de la clínica. Después de llamar al 911, {contact}",
    },
    "unconfirmed": {
        "en": "I'm not able to tell from your message whether you need help urgently. "
        "If you are having an emergency, call 911.",
        "es": "No puedo saber por su mensaje si necesita ayuda urgente. Si es una emergencia, llame al 911.",
    },
    "unconfirmed_crisis": {
        "en": "If you are thinking about hurting yourself, you can call or text 988 "
        "(Suicide & Crisis Lifeline) at any time.",
        "es": "Si está pensando en hacerse daño, puede llamar al 988 y marcar 2 para español, o enviar "
        "AYUDA por texto al 988, a cualquier hora.",
    },
    "staff_unreachable": {
        "en": "I couldn't reach the clinic's staff system just now. {contact}",
        "es": "No pude comunicarme con el sistema del personal de la clínica en este momento. {contact}",
    },
    "staff_unreachable_short": {
        "en": "I couldn't reach the clinic's staff system just now.",
        "es": "No pude comunicarme con el sistema del personal de la clínica en este momento.",
    },
    # Risk replies (actions/escalation.py).
    "complication": {
        "en": "What you describe after a treatment needs prompt medical attention. "
        "Please contact the clinic now or go to urgent care. {contact} "
        "If it gets worse quickly or you have trouble breathing, call 911.",
        "es": "Lo que describe después de un tratamiento necesita atención médica pronto. Comuníquese "
        "con la clínica ahora o vaya a urgencias (urgent care). {contact} Si empeora rápido o le "
        "cuesta respirar, llame al 911.",
    },
    "disclosure_thanks": {"en": "Thank you for telling me.", "es": "Gracias por decírmelo."},
    "disclosure_review": {
        "en": "Because of this, a member of staff will review your message before "
        "anything else. Would you like them to call you back to talk it through?",
        "es": "Por eso, alguien del personal revisará su mensaje antes que nada. ¿Quiere que le "
        "devuelvan la llamada para hablarlo?",
    },
    "disclosure_talk": {
        "en": "Please talk it through with the clinic before anything else. {contact}",
        "es": "Háblelo con la clínica antes que nada. {contact}",
    },
    "personal_advice": {
        "en": "I can't give personal medical advice, but a member of staff can look at "
        "your question. Would you like a call back?",
        "es": "No puedo dar consejos médicos personales, pero alguien del personal puede ver "
        "su pregunta. ¿Quiere que le llamen?",
    },
    # Contact requests and the call-back form.
    "booking_after_disclosure": {
        "en": "Because of what you told me earlier, a member of staff needs to review it before anything is booked.",
        "es": "Por lo que me contó, alguien del personal tiene que revisarlo antes de hacer una cita.",
    },
    "booking": {
        "en": "I can't book appointments myself, but a member of staff can call you to arrange one.",
        "es": "Yo no puedo hacer citas, pero alguien del personal puede llamarle para hacerla.",
    },
    "human_request": {"en": "I'll pass you to a member of staff.", "es": "Le paso con alguien del personal."},
    "callback": {
        "en": "I can ask a member of staff to call you back.",
        "es": "Puedo pedir que alguien del personal le devuelva la llamada.",
    },
    "contact_not_stored": {
        "en": "{lead} I couldn't reach the staff system just now, so to be sure: {contact}",
        "es": "{lead} No pude comunicarme con el sistema del personal, así que, para estar seguros: {contact}",
    },
    "contact_will_ask": {
        "en": "{lead} I'll ask for your name, number and a good time to call.",
        "es": "{lead} Le voy a pedir su nombre, su número, una buena hora para llamarle y en qué idioma.",
    },
    "ask_name": {
        "en": "What name should the staff member ask for? (You can say stop at any time.)",
        "es": "¿Por qué nombre debe preguntar el personal? (Puede decir alto cuando quiera.)",
    },
    "ask_phone": {"en": "What phone number should they call?", "es": "¿A qué número le llamamos?"},
    "ask_time": {
        "en": "When is a good time to call you? And would you like the call in English or in Spanish (español)?",
        "es": "¿A qué hora le conviene que le llamen? ¿Y prefiere la llamada en español o en inglés?",
    },
    "ask_consent": {
        "en": "Do you agree that the clinic may contact you at this number about your request?",
        "es": "¿Está de acuerdo con que la clínica le contacte a este número sobre su solicitud?",
    },
    "bad_name": {
        "en": "Please type just the name the staff member should ask for.",
        "es": "Escriba solo el nombre por el que debe preguntar el personal.",
    },
    "bad_phone": {
        "en": "That doesn't look like a phone number. Please type it with the area code, for example 818 555 0123.",
        "es": "Eso no parece un número de teléfono. Escríbalo con el código de área, por ejemplo 818 555 0123.",
    },
    "bad_time": {
        "en": "When would suit you? For example: weekday mornings.",
        "es": "¿Cuándo le conviene? Por ejemplo: entre semana en la mañana.",
    },
    "details_not_saved": {
        "en": "I couldn't save your details just now. {contact}",
        "es": "No pude guardar sus datos en este momento. {contact}",
    },
    "callback_confirmed": {
        "en": "Thank you, {name}. A member of staff will call you at {phone} ({time}), in {spoken}.",
        "es": "Gracias, {name}. Alguien del personal le llamará al {phone} ({time}), en {spoken}.",
    },
    "no_contact": {
        "en": "Understood: the clinic won't call you. Your message stays with the staff for review.",
        "es": "Entendido: la clínica no le llamará. Su mensaje queda con el personal para que lo revisen.",
    },
    "callback_declined": {
        "en": "No problem, I won't take any contact details. Is there anything else you'd like to know?",
        "es": "Está bien, no voy a pedir sus datos. ¿Hay algo más que quiera saber?",
    },
    "yes": {"en": "Yes", "es": "Sí"},
    "no": {"en": "No", "es": "No"},
    "yes_call_me": {"en": "Yes, call me back", "es": "Sí, llámenme"},
    "no_thanks": {"en": "No, thanks", "es": "No, gracias"},
    # Answers (meso/content/answers.py, meso/content/respond.py, actions/answers.py).
    "follow_up": {
        "en": "A member of staff can follow up with you. Would you like a call back?",
        "es": "Alguien del personal puede darle seguimiento. ¿Quiere que le llamen?",
    },
    "no_info_on": {"en": "I don't have information on {subject}.", "es": "No tengo información sobre {subject}."},
    "no_info_first": {
        "en": "I don't have information on that in the clinic's reviewed material, and I won't guess.",
        "es": "No tengo información sobre eso en el material revisado por la clínica, y no voy a adivinar.",
    },
    "no_info_other": {
        "en": "I don't have information on your other question.",
        "es": "No tengo información sobre su otra pregunta.",
    },
    "related_web": {"en": "{text} What I can tell you about {label}: {fact}", "es": "{text} Lo que sí le puedo decir sobre {label}: {fact}"},
    "related_sms": {"en": "{text} About {label}: {fact}", "es": "{text} Sobre {label}: {fact}"},
    "clinic_subject": {"en": "the clinic's {detail}", "es": "{detail} de la clínica"},
    "english_only": {
        "en": "{fact}",
        "es": "Esta información solo está en inglés por ahora: {fact}",
    },
    "spanish_callback": {
        "en": "",
        "es": "Si prefiere, alguien del personal que habla español le puede llamar. ¿Quiere que le llamen?",
    },
    "outside_scope": {
        "en": "Sorry, that's outside what I can help with. I answer questions about mesotherapy, for example:",
        "es": "Perdón, eso no es algo en lo que pueda ayudar. Contesto preguntas sobre la mesoterapia, por ejemplo:",
    },
    "not_understood": {
        "en": "Sorry, I didn't quite understand. Could you rephrase, or pick a topic?",
        "es": "Perdón, no le entendí bien. ¿Lo puede decir de otra forma, o escoger un tema?",
    },
    "capabilities": {
        "en": "I can answer questions about mesotherapy from information the clinic has reviewed, "
        "and pass your request to staff. Popular topics:",
        "es": "Contesto preguntas sobre la mesoterapia con información que la clínica revisó, y paso su "
        "solicitud al personal. Temas frecuentes:",
    },
    "topic_done": {
        "en": "That's everything I have on {label}. Other topics I can help with:",
        "es": "Eso es todo lo que tengo sobre {label}. Otros temas en los que puedo ayudar:",
    },
    "tell_more_which": {"en": "Happy to tell you more. Which topic?", "es": "Con gusto le cuento más. ¿De qué tema?"},
    # Outages (channels/action_guard.py).
    "outage": {"en": "Sorry, I can't answer that right now.", "es": "Perdón, no puedo contestar eso en este momento."},
    "outage_emergency": {"en": "If this is an emergency, call 911.", "es": "Si es una emergencia, llame al 911."},
    # Channels.
    "more_suffix": {"en": "Reply MORE for the rest.", "es": "Responda MAS para el resto."},
}


def language_or_default(language: Optional[str]) -> str:
    """`language` when the assistant speaks it, else the default (English)."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def say(key: str, language: Optional[str] = None, **values: str) -> str:
    """The sentence `key` in `language` (English when there is no such text), filled in."""
    texts = PHRASES[key]
    text = texts.get(language_or_default(language)) or texts[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text
