"""The offline sentiment judge (localcloud.language.sentiment): tricky cases and the labelled set.

The labelled-set tests translate with the real Apertium (as the local cloud does) and FAIL,
never skip, when it is missing: CI installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localcloud.language import sentiment
from localcloud.language.sentiment import judge, read
from operations.bench import sentiment as bench

ROOT = Path(__file__).resolve().parents[2]


def refused(text: str, language: str, to_english: Any = None) -> bool:
    return judge(text, language, to_english=to_english).sentiment == "NEGATIVE"


# ----------------------------------------------------------------------------- tricky cases


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "holy shit we won 🎉"),
        ("en", "this is sick! where did you get it?"),
        ("en", "lol that meme killed me 😂"),
        ("en", "Testing dark mode on my phone, looks great"),
        ("fr", "Bonsoir ! Petit test du mode sombre sur téléphone, tout va bien ici."),
        ("fr", "Putain, on a gagné !!! 🎉"),
        ("de", "Die Sonne scheint, die Kinder spielen im Garten"),
        ("de", "Die Besprechung ist auf 15 Uhr verschoben"),
        ("de", "Scheiße, wir haben gewonnen!!! 🎉"),
        ("de", "Kein Problem, lass dir Zeit"),
        ("es", "Esta canción está de puta madre 🔥"),
        ("it", "Cazzo, abbiamo vinto!!! 🎉"),
        ("pt", "Porra, ganhamos!!! 🎉"),
        ("es", "Mirad esto: https://ejemplo.es/receta-tortilla @lucia"),
    ],
)
def test_fine_messages_are_not_refused(language: str, text: str) -> None:
    """Swearing in joy, praise slang, "mode sombre" and the German article "die" pass."""
    assert not refused(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "Te odio, eres un idiota asqueroso y estúpido. Vete al infierno."),
        ("it", "Ti odio, sei un idiota schifoso e stupido. Vai all'inferno."),
        ("pt", "Te odeio, você é um idiota nojento e estúpido. Vai pro inferno."),
        ("fr", "Je te déteste, t'es qu'un pauvre con"),
        ("de", "Halt die Fresse, du Idiot"),
        ("de", "du Idiot"),
        ("es", "eres un idiota"),
        ("en", "you idiot"),
        ("en", "I will find you and kill you"),
    ],
)
def test_hostile_messages_are_refused(language: str, text: str) -> None:
    """Insults aimed at a person are refused in every language, with or without translation."""
    assert refused(text, language)
    assert judge(text, language).negative > 0.5


def test_the_users_spanish_insult_is_refused_with_its_translation() -> None:
    """The user's report, judged as the local cloud does when Apertium is up."""
    text = "Te odio, eres un idiota asqueroso y estúpido. Vete al infierno."
    english = "I hate you, you are a foul and stupid idiot. Go you to the hell."

    assert refused(text, "es", lambda _text, _lang: english)


def test_a_swear_alone_is_negative_but_a_happy_swear_is_not() -> None:
    """Profanity is weak evidence: NEGATIVE unless the text is clearly positive."""
    assert refused("Scheiße, der Zug ist schon wieder ausgefallen", "de")
    assert judge("Scheiße, wir haben gewonnen!!! 🎉", "de").sentiment == "POSITIVE"


def test_an_english_lexicon_never_reads_non_english_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """VADER sees English only: the text when it is English, else the translation, else nothing."""
    seen: list[str] = []
    real = sentiment._vader

    def spy(english: str) -> tuple[float, float, float]:
        seen.append(english)
        return real(english)

    monkeypatch.setattr(sentiment, "_vader", spy)
    judge("Die Sonne scheint, die Kinder spielen", "de", to_english=lambda t, s: "never used")
    judge("Petit test du mode sombre", "fr")
    judge("שלום לכולם", "he", to_english=lambda t, s: "never used")
    assert seen == []

    judge("Petit test du mode sombre", "fr", to_english=lambda t, s: "Small test of dark mode")
    judge("hello there", "en")
    assert seen == ["Small test of dark mode", "hello there"]


@pytest.mark.parametrize("answer", [None, "", RuntimeError("translator down")])
def test_a_missing_translation_degrades_to_the_native_cues(answer: Any) -> None:
    """A translator that answers None, nothing or fails leaves the native cues to decide."""

    def to_english(text: str, language: str) -> str | None:
        if isinstance(answer, Exception):
            raise answer
        return answer

    reading = read("Vaffanculo, stronzo", "it", to_english=to_english)
    assert reading.english is None
    assert refused("Vaffanculo, stronzo", "it", to_english)
    assert not refused("Grazie @giulia per l'aiuto di ieri", "it", to_english)


@pytest.mark.parametrize(
    ("language", "text", "label"),
    [
        ("he", "מזל טוב!!! 🎉🎉", "POSITIVE"),
        ("he", "שלום לכולם", "NEUTRAL"),
        ("ja", "こんにちは", "NEUTRAL"),
        ("zh", "你他妈的", "NEGATIVE"),
        ("ar", "أنت عاهرة", "NEGATIVE"),
        ("ru", "всем привет 😢", "NEGATIVE"),
        ("hi", "तुम बहुत अच्छे हो 👍", "POSITIVE"),
    ],
)
def test_other_served_languages_get_a_decision(language: str, text: str, label: str) -> None:
    """Word lists where a package has the language, emoji everywhere, else NEUTRAL."""
    assert judge(text, language).sentiment == label


def test_every_result_has_four_scores_summing_to_one_with_the_label_on_top() -> None:
    for message in bench.load():
        result = judge(message.text, message.lang)
        scores = {
            "POSITIVE": result.positive,
            "NEGATIVE": result.negative,
            "NEUTRAL": result.neutral,
            "MIXED": result.mixed,
        }
        assert sum(scores.values()) == pytest.approx(1.0)
        assert min(scores.values()) >= 0.0
        assert max(scores, key=lambda name: scores[name]) == result.sentiment


# ----------------------------------------------------------------------------- labelled set


def test_labelled_set_has_enough_realistic_messages_per_language() -> None:
    messages = bench.load(["tuning"])
    for language in bench.LANGUAGES:
        mine = [message for message in messages if message.lang == language]
        counts = {label: sum(m.label == label for m in mine) for label in bench.LABELS}
        assert len(mine) >= 40, language
        assert counts["hostile"] >= 15, (language, counts)
        assert counts["fine"] >= 15, (language, counts)
        assert counts["sad"] >= 10, (language, counts)


@pytest.fixture(scope="module")
def apertium() -> Iterator[dict[tuple[str, str], str]]:
    try:
        yield bench.apertium_translations(bench.load())
    except bench.ApertiumError as err:
        pytest.fail(f"the labelled-set test needs Apertium (CI installs it): {err}")


def _check_targets(tallies: dict[tuple[str, str], Any]) -> None:
    """Hostile refused >= 80 % overall and >= 60 % per language; fine refused <= 5 %."""
    report = {key: f"{tally.refused}/{tally.total}" for key, tally in sorted(tallies.items())}
    assert tallies[("all", "hostile")].share() >= 80.0, report
    for language in bench.LANGUAGES:
        assert tallies[(language, "hostile")].share() >= 60.0, (language, report)
    assert tallies[("all", "fine")].share() <= 5.0, report


def test_labelled_set_meets_the_targets_with_apertium(
    apertium: dict[tuple[str, str], str],
) -> None:
    messages = bench.load()
    to_english = bench.lookup(apertium)
    translated = [m for m in messages if m.lang in sentiment.TRANSLATED_LANGUAGES]
    assert all(apertium.get((m.lang, m.text)) for m in translated), "Apertium left gaps"

    _check_targets(
        bench.refusals(messages, lambda m: judge(m.text, m.lang, to_english=to_english).sentiment)
    )


def test_labelled_set_meets_the_targets_without_a_translator() -> None:
    """The degraded path (translator down) still keeps hostile messages out."""
    messages = bench.load()

    _check_targets(bench.refusals(messages, lambda m: judge(m.text, m.lang).sentiment))


# ----------------------------------------------------------------------------- hostility patterns


@pytest.mark.parametrize(
    ("language", "text", "category"),
    [
        ("en", "i know where u work, see you soon", "threat"),
        ("en", "you're going to regret that comment", "threat"),
        ("es", "Sé perfectamente dónde trabajas", "threat"),
        ("es", "Os vais a arrepentir, lo juro", "threat"),
        ("fr", "Je sais très bien où tu habites", "threat"),
        ("fr", "Tu me le paieras", "threat"),
        ("de", "Ich weiß, wo deine Familie wohnt", "threat"),
        ("de", "Dafür wirst du noch bezahlen", "threat"),
        ("it", "So dove lavori, ricordatelo", "threat"),
        ("it", "Te ne pentirai amaramente", "threat"),
        ("pt", "Eu sei onde você trabalha", "threat"),
        ("pt", "Vais te arrepender disso", "threat"),
        ("en", "go back to your own village", "exclusion"),
        ("es", "Vuélvete a tu tierra", "exclusion"),
        ("fr", "Retournez dans votre pays", "exclusion"),
        ("de", "Geht zurück in euer Land", "exclusion"),
        ("it", "Tornatevene al vostro paese", "exclusion"),
        ("pt", "Voltem pro seu país", "exclusion"),
        ("en", "I really hope you choke on it", "wish_harm"),
        ("en", "everyone here would be better off without you", "wish_harm"),
        ("es", "Ojalá os estrelléis con el coche", "wish_harm"),
        ("fr", "J'espère que ta voiture t'écrase", "wish_harm"),
        ("de", "Hoffentlich trifft dich der Schlag", "wish_harm"),
        ("it", "Spero che ti investano", "wish_harm"),
        ("pt", "Tomara que você se afogue", "wish_harm"),
        ("en", "they are all criminals", "group_hate"),
        ("es", "Son todos unos delincuentes", "group_hate"),
        ("de", "Die sind doch alle Verbrecher", "group_hate"),
        ("fr", "Espèce de minus", "insult_frame"),
    ],
)
def test_hostility_without_hostile_words_is_refused(
    language: str, text: str, category: str
) -> None:
    """Threats, exclusion, wishes of harm and group hate, as patterns per language."""
    reading = read(text, language)
    assert f"hostile:{category}" in reading.reasons
    assert refused(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I hope you don't fall on the ice tomorrow"),
        ("en", "I hope you get the job!"),
        ("es", "No sé dónde vives, ¿me pasas la dirección?"),
        ("fr", "J'espère que tu ne vas pas tomber malade"),
        ("de", "Ich weiß nicht, wo du wohnst"),
        ("de", "Hoffentlich fällst du morgen nicht wieder hin"),
        ("it", "Spero che tu stia meglio dopo la caduta"),
        ("pt", "Você me paga o almoço amanhã?"),
        ("en", "We went back to our country house for the weekend"),
    ],
)
def test_the_patterns_leave_kind_lookalikes_alone(language: str, text: str) -> None:
    """A negated wish, "I don't know where you live", "pay for lunch" are not threats."""
    assert not refused(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "you gutless weasel"),
        ("en", "shut it, you halfwit"),
        ("es", "Eres un gusano rastrero"),
        ("fr", "T'es qu'une mauviette"),
        ("de", "Du Hohlkopf"),
        ("it", "Sei un cialtrone"),
        ("pt", "Você é um zero à esquerda"),
    ],
)
def test_dismissive_insults_without_swear_words_are_refused(language: str, text: str) -> None:
    assert refused(text, language)


# ----------------------------------------------------------------------------- benign contexts


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # technical talk
        ("en", "kill -9 the worker process, it hung again"),
        ("en", "the nightly job died with a fatal exception, rerunning"),
        ("en", "execute the cleanup script and destroy the old stack"),
        ("es", "El contenedor murió, lo reinicio"),
        ("fr", "Le serveur est mort, je le relance"),
        ("de", "Der Prozess ist abgestürzt, Log hängt an"),
        ("it", "Il server è morto di nuovo"),
        ("pt", "O servidor morreu de novo, reiniciando"),
        # games and sport
        ("en", "we slaughtered the raid boss on the first try 🎮"),
        ("en", "they murdered us 5-1 but the match was fun"),
        # food and praise idioms, laughter
        ("en", "these brownies are to die for"),
        ("en", "I'm dying laughing at this 😂"),
        ("es", "Este pastel está de muerte"),
        ("fr", "Ce plat est à tomber"),
        ("de", "Die Torte ist zum Niederknien"),
        ("it", "Il tiramisù è da urlo"),
        ("pt", "Esse bolo é de comer rezando"),
        ("fr", "Je suis morte de rire"),
        ("it", "Sto morendo dal ridere"),
        # happy swearing and file names / links
        ("en", "fucking gorgeous view from the top 😍"),
        ("en", "see crash_dump_fatal_error.txt in the shared folder"),
        ("es", "Mirad https://ejemplo.es/muerte-subita-final"),
    ],
)
def test_negative_looking_words_in_benign_contexts_are_not_refused(
    language: str, text: str
) -> None:
    """Technical talk, games, food idioms, laughter, happy swearing and file names."""
    assert not refused(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "you idiot, you did it!! congrats 🎉"),
        ("es", "Eres un payaso, te quiero 😂"),
        ("fr", "T'es con, je t'adore 😍"),
        ("de", "Du Depp, herzlichen Glückwunsch 🎉"),
        ("it", "Scemo, ti voglio bene 😂"),
        ("pt", "Seu bobo, parabéns 🎉 seu idiota"),
    ],
)
def test_friendly_insults_with_warm_words_and_emoji_are_not_refused(
    language: str, text: str
) -> None:
    """Teasing between friends: an insult with warm words and a positive emoji is weak."""
    reading = read(text, language)
    assert "affectionate" in reading.reasons
    assert not refused(text, language)


def test_a_friendly_insult_needs_warm_words_and_emoji_and_threats_stay_hostile() -> None:
    assert refused("you idiot 😂", "en")
    assert refused("congrats, idiot", "en")
    assert refused("I know where you live, congrats 😂", "en")


def test_mild_lexicon_negativity_alone_is_neutral_but_a_sad_emoji_is_not() -> None:
    """Without hostility, VADER's mild negativity is NEUTRAL; a curated negative cue is not."""
    assert judge("the build was aborted", "en").sentiment == "NEUTRAL"
    assert refused("the build was aborted 😢", "en")


# ----------------------------------------------------------------------------- harassment patterns


@pytest.mark.parametrize(
    ("language", "text", "category"),
    [
        ("en", "gonna leak your nudes to your whole class", "exposure"),
        ("en", "I know what time your kids get out of school", "exposure"),
        ("es", "Voy a pasar tus fotos a todo el grupo", "exposure"),
        ("fr", "On va balancer ton numéro sur le serveur", "exposure"),
        ("de", "Ich poste deine Handynummer im Forum", "exposure"),
        ("it", "Mando il tuo numero a tutti", "exposure"),
        ("pt", "Vou espalhar tuas fotos na escola", "exposure"),
        ("en", "come tomorrow if you want to keep your kneecaps", "conditional_threat"),
        ("es", "Sería una lástima que tu jefe viera esto", "conditional_threat"),
        ("fr", "Ce serait dommage que ton patron le sache", "conditional_threat"),
        ("de", "Wäre schade, wenn deine Freundin davon erfährt", "conditional_threat"),
        ("it", "Sarebbe un peccato se tuo marito lo scoprisse", "conditional_threat"),
        ("pt", "Seria uma pena se tua namorada soubesse", "conditional_threat"),
        ("en", "just go hang yourself already", "self_harm"),
        ("es", "Pégate un tiro", "self_harm"),
        ("fr", "Va te jeter sous un train", "self_harm"),
        ("de", "Häng dich auf", "self_harm"),
        ("it", "Impiccati", "self_harm"),
        ("pt", "Vai se enforcar logo", "self_harm"),
        ("en", "they multiply like cockroaches", "dehumanization"),
        ("es", "Se multiplican como cucarachas", "dehumanization"),
        ("fr", "Ils pullulent comme des cafards", "dehumanization"),
        ("de", "Die sind doch alle Ratten", "dehumanization"),
        ("it", "Sono dei topi, tutti quanti", "dehumanization"),
        ("pt", "São uns ratos", "dehumanization"),
        ("en", "girls shouldn't be allowed on the team, back to the kitchen", "sexism"),
        ("es", "Las mujeres a la cocina", "sexism"),
        ("fr", "Les meufs ça comprend rien au foot", "sexism"),
        ("de", "Frauen haben beim Zocken nichts zu suchen", "sexism"),
        ("it", "Le donne ai fornelli, non in campo", "sexism"),
        ("pt", "Mulher tem que ficar na cozinha", "sexism"),
        ("en", "your face looks like a smashed potato", "looks"),
        ("es", "Con esa jeta mejor no salgas de casa", "looks"),
        ("fr", "T'as une gueule à faire peur", "looks"),
        ("de", "Mit der Fresse würde ich nicht rausgehen", "looks"),
        ("it", "Con quella faccia dovresti stare a casa", "looks"),
        ("pt", "Com essa cara devia ficar em casa", "looks"),
    ],
)
def test_harassment_without_hostile_words_is_refused(
    language: str, text: str, category: str
) -> None:
    """Doxxing, conditional threats, telling someone to die, dehumanization, sexism, looks."""
    reading = read(text, language)
    assert f"hostile:{category}" in reading.reasons
    assert refused(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "genius move from someone who can't even spell 🙄"),
        ("en", "brilliant, says the guy with one brain cell"),
        ("es", "Qué listo, el que suspendió física tres veces"),
        ("fr", "Bravo, le génie qui sait pas compter 👏👏"),
        ("de", "Super Idee vom Schlaumeier, der sitzengeblieben ist"),
        ("it", "Che idea, il luminare bocciato tre volte 🙄"),
        ("pt", "Que ideia genial de quem reprovou três vezes"),
    ],
)
def test_mock_praise_with_a_stupidity_reference_is_refused(language: str, text: str) -> None:
    """Sarcasm: praise or 🙄/👏 next to a reference to failure or stupidity."""
    assert "hostile:sarcasm" in read(text, language).reasons
    assert refused(text, language)


@pytest.mark.parametrize("text", ["nobody wants a f*g here", "shut up f@ggot", "you fag"])
def test_homophobic_slurs_also_censored_are_refused(text: str) -> None:
    assert refused(text, "en")


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # look-alikes of the harassment patterns
        ("en", "post your address for the party invite?"),
        ("en", "my wife will find out about the surprise party 🎉"),
        ("en", "rats in the subway again, gross"),
        ("en", "I have your address, will send the invitation"),
        ("en", "I know your address, I'll pick you up at 8"),
        ("en", "got your number from Anna, call me"),
        ("de", "Ich hab deine Nummer von Anna, melde dich mal!"),
        ("it", "Sono dei topi di biblioteca, studiano sempre"),
        ("en", "I know when your daughter's recital is, we'll be there!"),
        ("en", "bring a helmet, the bike trail is rough"),
        ("en", "I'm gonna go make a sandwich"),
        ("en", "wow brilliant, you passed the exam 👏👏"),
        ("en", "women's football final tonight, can't wait"),
        ("es", "¿Me pasas tu dirección para mandarte la invitación?"),
        ("es", "Tírate a la piscina, el agua está genial"),
        ("fr", "Je vais poster les photos de la soirée dans le groupe"),
        ("fr", "Les femmes ont gagné le match !"),
        ("de", "Ich hab deine Adresse für die Einladung"),
        ("it", "Vai a morire dal ridere con questo video"),
        ("it", "Le donne hanno vinto la partita"),
        ("pt", "Vou morrer de rir kkk"),
        ("pt", "Vou postar as fotos da festa no grupo"),
        # films, tech, history, sport praise, laughter, gaming
        ("en", "watched Reservoir Dogs again, what a film"),
        ("en", "the garbage collector pauses are killing our latency"),
        ("en", "thousands of soldiers killed in a single day, says the documentary"),
        ("es", "Ese delantero es una bestia, va a romper la liga"),
        ("fr", "je suis mort 💀 cette vidéo"),
        ("fr", "t'inquiète je vous carry les boulets 😎"),
        ("de", "Am ersten Tag der Schlacht gab es 20.000 Tote"),
        ("it", "Stasera rivedo Il buono, il brutto, il cattivo"),
        ("pt", "Esse atacante é um monstro, vai destruir a defesa deles"),
    ],
)
def test_harassment_lookalikes_and_dark_words_in_context_are_not_refused(
    language: str, text: str
) -> None:
    assert not refused(text, language)
