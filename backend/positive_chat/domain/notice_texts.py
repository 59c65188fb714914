"""What "Positive Chat" itself says, written by people in the page's ten languages.

The sender of a refused message is told politely in their language; a machine translation of
these few sentences (word for word offline) reads worse than a written one and costs a Translate
call per language and environment. Languages not here are still translated from the English.
Keys match ``notices.NOTICES``; tests check every language has every key.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WRITTEN"]

WRITTEN: Mapping[str, Mapping[str, str]] = {
    "es": {
        "rejected": "Por favor, busca una mejor manera de expresarlo.",
        "held": "Tu mensaje se ha retrasado: aparecerá en cuanto se haya revisado.",
        "joined": "se unió a la sala",
        "left": "salió de la sala",
    },
    "fr": {
        "rejected": "Merci de trouver une meilleure façon de l'exprimer.",
        "held": "Votre message est retardé : il apparaîtra dès qu'il aura été vérifié.",
        "joined": "a rejoint le salon",
        "left": "a quitté le salon",
    },
    "de": {
        "rejected": "Bitte finde eine bessere Art, das auszudrücken.",
        "held": "Deine Nachricht verzögert sich: Sie erscheint, sobald sie geprüft wurde.",
        "joined": "hat den Raum betreten",
        "left": "hat den Raum verlassen",
    },
    "it": {
        "rejected": "Per favore, trova un modo migliore per esprimerlo.",
        "held": "Il tuo messaggio è in ritardo: apparirà non appena sarà stato controllato.",
        "joined": "è entrato nella stanza",
        "left": "ha lasciato la stanza",
    },
    "pt": {
        "rejected": "Por favor, encontre uma forma melhor de expressar isso.",
        "held": "Sua mensagem está atrasada: ela aparecerá assim que for verificada.",
        "joined": "entrou na sala",
        "left": "saiu da sala",
    },
    "ja": {
        "rejected": "別の言い方で伝えてみてください。",
        "held": "メッセージの表示が遅れています。確認が済みしだい表示されます。",
        "joined": "がルームに参加しました",
        "left": "がルームから退出しました",
    },
    "zh": {
        "rejected": "请换一种更好的方式表达。",
        "held": "你的消息被延迟了：审核通过后就会显示。",  # noqa: RUF001 - Chinese punctuation
        "joined": "加入了房间",
        "left": "离开了房间",
    },
    "ar": {
        "rejected": "يُرجى إيجاد طريقة أفضل للتعبير عن ذلك.",
        "held": "تأخّرت رسالتك: ستظهر بمجرد التحقق منها.",
        "joined": "انضم إلى الغرفة",
        "left": "غادر الغرفة",
    },
    "hi": {
        "rejected": "कृपया इसे कहने का कोई बेहतर तरीका ढूँढें।",
        "held": "आपका संदेश रुका हुआ है: जाँच पूरी होते ही यह दिखाई देगा।",
        "joined": "कमरे में शामिल हुए",
        "left": "कमरे से चले गए",
    },
}
