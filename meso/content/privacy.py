"""The privacy notice patients reach from the widget's welcome: what is kept, how long,
who reads it and how to ask for deletion. Pure text; `channels.chat_page` serves it.

Clinic details come from `facts/clinic.yml`; an unknown one is never filled in. In English
and Spanish (a faithful translation: the same statements).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

from meso.content.clinic import Clinic
from meso.language import DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Section:
    """One heading of the notice and its paragraphs."""

    heading: str
    paragraphs: Tuple[str, ...]


def deletion_contact(clinic: Clinic, language: str = DEFAULT_LANGUAGE) -> str:
    """How to reach the clinic to ask for deletion, from the details it has."""
    who = clinic.display_name
    if language == "es":
        ways = []
        if clinic.phone:
            ways.append(f"llame a {who} al {clinic.phone}")
        if clinic.address:
            ways.append(f"escriba o visite a {who} en {clinic.address}")
        if ways:
            return "Para pedir que se borre su conversación antes, " + " o ".join(ways) + "."
        return (
            f"Para pedir que se borre su conversación antes, comuníquese con {who} "
            "(este asistente no tiene su teléfono ni su dirección), o pida aquí que el personal "
            "le devuelva la llamada y diga que quiere que se borren sus mensajes."
        )
    ways = []
    if clinic.phone:
        ways.append(f"call {who} at {clinic.phone}")
    if clinic.address:
        ways.append(f"write to or visit {who} at {clinic.address}")
    if ways:
        return "To ask for your conversation to be deleted sooner, " + " or ".join(ways) + "."
    return (
        f"To ask for your conversation to be deleted sooner, contact {who} "
        "(this assistant does not have its phone number or address), or ask here for a call "
        "back from staff and say that you want your messages deleted."
    )


def privacy_notice(clinic: Clinic, retention_days: int, language: str = DEFAULT_LANGUAGE) -> List[Section]:
    """The notice's sections, in order."""
    who = clinic.display_name
    if language == "es":
        return [
            Section(
                "Qué es esto",
                (
                    f"El asistente de chat y SMS de {who} es automático: responde preguntas sobre "
                    "la mesoterapia con información revisada por la clínica. No es para emergencias: "
                    "si cree que tiene una emergencia médica, llame al 911.",
                ),
            ),
            Section(
                "Qué se guarda",
                (
                    "Los mensajes que usted envía y las respuestas del asistente, con la hora de cada uno.",
                    "En el sitio web, un código de conversación al azar guardado en la pestaña de su "
                    "navegador, para que el chat siga al recargar la página; al cerrar la pestaña se "
                    "olvida. Por SMS, su número de teléfono.",
                    "Lo que da al pedir que le devuelvan la llamada: su nombre, su teléfono y la mejor "
                    "hora para llamarle.",
                    "Su dirección de internet se usa para limitar cuántos mensajes se pueden enviar por minuto.",
                ),
            ),
            Section(
                "Quién lo lee",
                (
                    f"El personal de {who}. Dan seguimiento a las conversaciones que el asistente les "
                    "pasa: una posible complicación o emergencia, o un pedido de hablar con una persona "
                    "o de que le devuelvan la llamada. El personal inicia sesión para leerlas, y lo que "
                    "hace con cada caso queda registrado.",
                    "La página del chat no carga nada de otros sitios web.",
                ),
            ),
            Section(
                "Cuánto tiempo",
                (
                    f"Las conversaciones y los pedidos de llamada se borran {retention_days} días "
                    "después de su último mensaje.",
                ),
            ),
            Section("Borrado", (deletion_contact(clinic, "es"),)),
        ]
    return [
        Section(
            "What this is",
            (
                f"The chat and SMS assistant of {who} is automated: it answers questions about "
                "mesotherapy from information the clinic has reviewed. It is not for emergencies: "
                "if you think you have a medical emergency, call 911.",
            ),
        ),
        Section(
            "What is kept",
            (
                "The messages you send and the assistant's replies, with the time of each.",
                "On the website, a random conversation code kept in your browser tab, so the chat "
                "survives a page reload; closing the tab forgets it. By SMS, your phone number.",
                "What you give when you ask for a call back: your name, phone number and the best "
                "time to call.",
                "Your internet address is used to limit how many messages can be sent a minute.",
            ),
        ),
        Section(
            "Who reads it",
            (
                f"Staff of {who}. They follow up on conversations the assistant passes to them: a "
                "possible complication or emergency, a request to talk to a person or for a call "
                "back. Staff sign in to read them, and what they do "
                "with a case is recorded.",
                "The chat page loads nothing from other websites.",
            ),
        ),
        Section(
            "How long",
            (
                f"Conversations and call-back requests are deleted {retention_days} days after "
                "their last message.",
            ),
        ),
        Section("Deletion", (deletion_contact(clinic),)),
    ]
