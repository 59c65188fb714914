"""Cost report: dollars per 1,000 messages, ours (real handler, in process) beside the original's.

    .venv/bin/chat-cost-report              # every scenario, markdown on stdout
    .venv/bin/chat-cost-report --scenarios steady --large-messages 20
    .venv/bin/chat-cost-report --scenarios rooms    # one message by room size (costs/rooms.py)

Ours: the real ``positive_chat.app.lambda_handler`` runs each event in process
(``operations.inprocess``). DynamoDB is moto (tables from template.yaml); Comprehend, Translate
and @connections are answered by a deterministic fake at botocore's ``before-send`` (moto never
sees them): language from the scenario's own marker (each generated text knows its language),
sentiment NEGATIVE when a word of a short list appears, entities = capitalised words after the
first. The counts are therefore exact; only the answers are fake. The room's members are
written to the Connections table before counting starts (setup is not counted).
``operations.costs.callcount.Meter`` counts every call and its billable units; Lambda GB-s come from
each invocation's measured duration x MemorySize read from template.yaml (arm64 price, the
template's architecture). Fakes answer instantly, so measured
durations are this machine's CPU time, a lower bound of the real (network-bound) durations.

The original (DESIGN.md §1, its 2019 source; its call counts are checked by running it, see
chat-count-calls): 3 Comprehend requests per message (DetectEntities even for refused
ones), TranslateText per reader (its cache per container is read before the first await, so
every reader of another language pays; later messages with the same text hit it), the whole
history read and translated on every join (but for what its container's cache already holds)
and sent as one frame, which fails past 128 KB. Every row assumes one warm container served
everything, the history's messages included, the original's best case (``CONTAINERS``); the
joins row's notes price the other assumptions too: a warm container started after the history
was written, and a fresh container for every join (the whole history translated each time).
Its DynamoDB units are computed from the same
item-size rules; its Lambda cost is taken equal to ours for the same event (not measured).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from operations.costs.prices import PRICES, Units, lambda_gb_seconds

__all__ = ["CONTAINERS", "Workload", "main", "original_cost", "run_ours"]

ROOM = "lobby"
# The original's Lambda containers (its translation cache lives as long as one):
# "warm" = one container served everything, the history's messages included (the assumption of
# every row); "warm-after" = one warm container, started after the history was written (each
# language's first joiner translates it); "fresh" = a new container for every event.
CONTAINERS = ("warm", "warm-after", "fresh")
FEATURE_OF = {
    "comprehend:DetectSentiment": "moderation",
    "comprehend:DetectDominantLanguage": "moderation",
    "comprehend:DetectEntities": "topics",
    "translate:TranslateText": "translation",
}

# -- texts --------------------------------------------------------------------------------------

_BANK = {
    "en": (
        ["We", "My friends", "The whole team", "Our neighbours", "My sister", "The students"],
        [
            "are planning a trip to",
            "talked for hours about",
            "really enjoyed the visit to",
            "will soon travel to",
            "took lovely pictures of",
            "keep dreaming about",
        ],
        ["Paris", "Berlin", "Lisbon", "Vienna", "Madrid", "Rome", "Prague", "Dublin"],
        [
            "next spring with everyone",
            "during the long weekend",
            "after the summer holidays",
            "with the children this year",
            "before the end of the month",
        ],
    ),
    "fr": (
        ["Nous", "Mes amis", "Toute l'équipe", "Nos voisins", "Ma soeur", "Les étudiants"],
        [
            "préparons un voyage à",
            "avons beaucoup parlé de",
            "avons adoré la visite de",
            "partirons bientôt pour",
            "gardons un souvenir de",
            "rêvons toujours de",
        ],
        ["Paris", "Berlin", "Lisbonne", "Vienne", "Madrid", "Rome", "Prague", "Dublin"],
        [
            "au printemps prochain avec tout le monde",
            "pendant le long week-end",
            "après les vacances d'été",
            "avec les enfants cette année",
            "avant la fin du mois",
        ],
    ),
    "de": (
        [
            "Wir",
            "Meine Freunde",
            "Das ganze Team",
            "Unsere Nachbarn",
            "Meine Schwester",
            "Die Studenten",
        ],
        [
            "planen eine Reise nach",
            "sprechen stundenlang über",
            "genießen den Besuch in",
            "fahren bald wieder nach",
            "träumen immer noch von",
            "erzählen gern von",
        ],
        ["Paris", "Berlin", "Lissabon", "Wien", "Madrid", "Rom", "Prag", "Dublin"],
        [
            "im nächsten Frühling mit allen",
            "während des langen Wochenendes",
            "nach den Sommerferien",
            "mit den Kindern in diesem Jahr",
            "vor dem Ende des Monats",
        ],
    ),
    "es": (
        ["Nosotros", "Mis amigos", "Todo el equipo", "Nuestros vecinos", "Mi hermana"],
        [
            "estamos planeando un viaje a",
            "hablamos durante horas sobre",
            "disfrutamos mucho la visita a",
            "pronto viajaremos a",
        ],
        ["París", "Berlín", "Lisboa", "Viena", "Madrid", "Roma", "Praga", "Dublín"],
        [
            "la próxima primavera con todos",
            "durante el fin de semana largo",
            "después de las vacaciones de verano",
        ],
    ),
    "it": (
        ["Noi", "I miei amici", "Tutta la squadra", "I nostri vicini", "Mia sorella"],
        [
            "stiamo organizzando un viaggio a",
            "abbiamo parlato per ore di",
            "abbiamo adorato la visita a",
            "presto andremo a",
        ],
        ["Parigi", "Berlino", "Lisbona", "Vienna", "Madrid", "Roma", "Praga", "Dublino"],
        [
            "la prossima primavera con tutti",
            "durante il lungo fine settimana",
            "dopo le vacanze estive",
        ],
    ),
}
_NEGATIVE = {
    "en": "I really hate this boring conversation and everyone in it here",
    "fr": "Je déteste vraiment cette conversation ennuyeuse et tout le monde",
    "de": "Ich hasse dieses langweilige Gespräch und alle Leute hier wirklich",
    "es": "Yo odio de verdad esta conversación aburrida y a todos los de aquí",
    "it": "Io odio davvero questa conversazione noiosa e tutti quelli qui",
}
COMMON_PHRASES = {
    "en": [
        "hi",
        "hello everyone",
        "thanks!",
        "thank you",
        "lol",
        "ok",
        "yes",
        "no problem",
        "see you",
        "see you tomorrow",
        "good morning",
        "good night",
        "congrats!",
        "great",
        "nice",
        "sounds good",
        "me too",
        "welcome!",
        "haha",
        "have a nice day",
    ],
    "fr": [
        "salut",
        "bonjour à tous",
        "merci !",
        "merci beaucoup",
        "mdr",
        "ok",
        "oui",
        "pas de souci",
        "à plus",
        "à demain",
        "bonjour",
        "bonne nuit",
        "bravo !",
        "génial",
        "sympa",
        "ça marche",
        "moi aussi",
        "bienvenue !",
        "haha",
        "bonne journée",
    ],
    "de": [
        "hallo",
        "hallo zusammen",
        "danke!",
        "vielen dank",
        "lol",
        "ok",
        "ja",
        "kein problem",
        "bis dann",
        "bis morgen",
        "guten morgen",
        "gute nacht",
        "glückwunsch!",
        "super",
        "schön",
        "klingt gut",
        "ich auch",
        "willkommen!",
        "haha",
        "schönen tag noch",
    ],
}


class TextMaker:
    """Distinct 60-character texts per language; a registry remembers each text's language."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible texts, not secrets
        self.language_of: dict[str, str] = {}
        self._used: set[str] = set()

    def distinct(self, lang: str, length: int = 60) -> str:
        """A new sentence in ``lang``, exactly ``length`` characters."""
        subjects, verbs, places, tails = _BANK[lang]
        for _ in range(10_000):
            words = [
                self.rng.choice(subjects),
                self.rng.choice(verbs),
                self.rng.choice(places),
                self.rng.choice(tails),
                self.rng.choice(places),
            ]
            text = " ".join(words)
            text = (text + " " + " ".join(self.rng.sample(places, 4)))[:length].rstrip()
            text = text.ljust(length, ".")
            if text not in self._used:
                self._used.add(text)
                self.language_of[text] = lang
                return text
        raise RuntimeError(f"ran out of distinct {lang} texts")

    def negative(self, lang: str) -> str:
        """A refused text in ``lang`` (distinct each time, 60 characters)."""
        # The number first: cutting to 60 characters must never cut the negative word off.
        text = f"{self.rng.randrange(10**6):06d} {_NEGATIVE[lang]}"[:60]
        self.language_of[text] = lang
        return text

    def common(self, lang: str) -> str:
        """One of 20 common short phrases in ``lang``."""
        text = self.rng.choice(COMMON_PHRASES[lang])
        self.language_of[text] = lang
        return text


# -- workloads ----------------------------------------------------------------------------------


@dataclass
class Workload:
    """A scenario as events: who is in the room first, then what happens."""

    name: str
    members: list[tuple[str, str]]  # (connection id, lang) joined before counting starts
    events: list[tuple[str, str, str]]  # ("message", conn, text) | ("join", conn, lang)
    history: list[tuple[str, str]] = field(default_factory=list)  # (text, lang) already stored
    history_translations: tuple[str, ...] = ()  # languages the history is translated into
    texts: TextMaker = field(default_factory=TextMaker)

    @property
    def messages(self) -> int:
        """How many chat messages the events send."""
        return sum(1 for kind, _, _ in self.events if kind == "message")


def _members(count: int, langs: Sequence[str], prefix: str = "r") -> list[tuple[str, str]]:
    per = [langs[i * len(langs) // count] for i in range(count)]
    return [(f"{prefix}{i:04d}", lang) for i, lang in enumerate(per)]


def steady(messages: int = 1000, *, repeated_share: float = 0.0, seed: int = 7) -> Workload:
    """10 readers (4 en, 3 fr, 3 de) take turns; 5% negative; ``repeated_share`` common phrases."""
    texts = TextMaker(seed)
    members = [(f"r{i:04d}", lang) for i, lang in enumerate(["en"] * 4 + ["fr"] * 3 + ["de"] * 3)]
    events = []
    for n in range(messages):
        conn, lang = members[n % len(members)]
        if n % 20 == 19:
            text = texts.negative(lang)
        elif texts.rng.random() < repeated_share:
            text = texts.common(lang)
        else:
            text = texts.distinct(lang)
        events.append(("message", conn, text))
    name = "steady chat" + (f", {repeated_share:.0%} common phrases" if repeated_share else "")
    return Workload(name, members, events, texts=texts)


def joins(count: int = 100, history: int = 1000, seed: int = 7) -> Workload:
    """``count`` joins (en, fr, de, es, it in turn) into a room holding ``history`` messages in
    en/fr/de, each already translated into en, fr and de (readers of those were present)."""
    texts = TextMaker(seed)
    stored = [(texts.distinct(lang), lang) for lang in (["en", "fr", "de"] * history)[:history]]
    langs = ["en", "fr", "de", "es", "it"]
    events = [("join", f"j{i:04d}", langs[i % len(langs)]) for i in range(count)]
    return Workload(
        f"{count} joins, {history} messages of history",
        [],
        events,
        stored,
        ("en", "fr", "de"),
        texts,
    )


def large_room(messages: int = 50, readers: int = 1000, seed: int = 7) -> Workload:
    """``readers`` readers in 5 languages (200 each); distinct messages, 5% negative."""
    texts = TextMaker(seed)
    members = _members(readers, ["en", "fr", "de", "es", "it"])
    events = []
    for n in range(messages):
        conn, lang = members[(n * 37) % readers]
        text = texts.negative(lang) if n % 20 == 19 else texts.distinct(lang)
        events.append(("message", conn, text))
    return Workload(f"large room: {readers} readers, 5 languages", members, events, texts=texts)


# -- ours: the real handler in process ----------------------------------------------------------


@dataclass
class Measured:
    """What one run of a workload cost, ours."""

    units: Units
    operations: Counter[str]
    feature_units: dict[str, Units]
    invocations: int
    durations_ms: list[float]
    cache_stats: Counter[str] = field(default_factory=Counter)
    frames: Counter[str] = field(default_factory=Counter)  # posted frames by type


def _seed_history(harness: Any, workload: Workload) -> None:
    from positive_chat.domain.model import (
        Message,
        new_message_id,
    )

    base = 1_763_000_000_000
    for n, (text, lang) in enumerate(workload.history):
        translations = {t: f"[{t}] {text}" for t in workload.history_translations if t != lang}
        harness.runtime.messages.put(
            Message(
                room=ROOM,
                message_id=new_message_id(base + n),
                user="old",
                lang=lang,
                content=text,
                created_at=base + n,
                status="published",
                sentiment="POSITIVE",
                translations=translations,
            )
        )


def run_ours(workload: Workload, levers: str) -> Measured:
    """Run ``workload`` through the real handler; count what the events (not the setup) cost."""
    from operations.inprocess import handler_in_process

    with handler_in_process(workload.texts.language_of, levers) as harness:
        for connection_id, lang in workload.members:
            harness.seed_connection(connection_id, lang)
        _seed_history(harness, workload)
        harness.reset()
        for n, (kind, who, what) in enumerate(workload.events):
            if kind == "message":
                harness.invoke(who, {"action": "message", "content": what, "id": f"c{n}"})
            else:
                harness.join(who, what)
        calls = harness.meter.snapshot()
        features: dict[str, Units] = {}
        for call in calls:
            feature = FEATURE_OF.get(f"{call.service}:{call.operation}")
            if feature is None and call.table == harness.names["TopicsTable"]:
                feature = "topics"
            if feature is not None:
                features.setdefault(feature, Units()).merge(call.units)
        cache = harness.runtime.language.cache
        return Measured(
            units=harness.meter.units(),
            operations=harness.meter.operations(),
            feature_units=features,
            invocations=len(harness.durations_ms),
            durations_ms=list(harness.durations_ms),
            cache_stats=Counter(cache.stats) if cache is not None else Counter(),
            frames=Counter(harness.fake.frames),
        )


# -- the original, from its algorithm -----------------------------------------------------------


def _original_message_object(
    text: str, lang: str, topics: dict[str, int], negative: bool, dest: str | None
) -> dict[str, Any]:
    scores = {"Positive": 0.9, "Negative": 0.05, "Neutral": 0.04, "Mixed": 0.01}
    message: dict[str, Any] = {
        "room": ROOM,
        "timestamp": 1_763_900_000_000,
        "user": "someone",
        "lang": lang,
        "content": text,
        "sentiment": {
            "Sentiment": "NEGATIVE" if negative else "POSITIVE",
            "SentimentScore": scores,
        },
        "topics": topics,
        "roomTopics": ["Paris", "Berlin", "Madrid"],
    }
    if dest is not None and dest != lang:
        message.update({"destLang": dest, "translated": f"[{dest}] {text}"})
    return message


class OriginalModel:
    """The original's spending, event by event (its algorithm; see the module docstring)."""

    CONNECTION_ITEM_BYTES = 90  # connectionId, lang, room
    NOTICE = "Please find a better way to express this."

    def __init__(self, workload: Workload, containers: str = "warm") -> None:
        if containers not in CONTAINERS:
            raise ValueError(f"containers must be one of {', '.join(CONTAINERS)}")
        self.containers = containers
        self.units = Units()
        self.features: dict[str, Units] = {
            f: Units() for f in ("moderation", "translation", "topics")
        }
        self.lang_of = dict(workload.members)
        self.room = list(workload.members)
        self.stored: list[tuple[str, str]] = list(workload.history)
        self.language_of = workload.texts.language_of
        self.cache: set[tuple[str, str]] = set()  # the per-container translation memory (warm)
        if containers == "warm":  # the container that served the history translated it then
            self.cache.update(
                (text, lang)
                for text, source in workload.history
                for lang in workload.history_translations
                if lang != source
            )
        self.failed_joins = 0

    def cached(self, text: str, lang: str) -> bool:
        """True when this event's container already translated ``text`` into ``lang``."""
        return self.containers != "fresh" and (text, lang) in self.cache

    def add(self, feature: str | None, key: str, value: float) -> None:
        """Count ``value`` units of ``key`` (and under ``feature``)."""
        self.units[key] += value
        if feature is not None:
            self.features[feature][key] += value

    def join(self, who: str, lang: str) -> None:
        """init: store the connection, read and translate the whole history, one frame."""
        from operations.costs.prices import (
            apigateway_messages,
            dynamodb_read_units,
            dynamodb_write_units,
        )

        self.lang_of[who] = lang
        self.room.append((who, lang))
        self.add(None, "apigateway.message", 1)  # the init frame in
        self.add(None, "dynamodb.wru", dynamodb_write_units(self.CONNECTION_ITEM_BYTES) + 1)
        objects = [_original_message_object(t, src, {}, False, lang) for t, src in self.stored]
        size = sum(len(json.dumps(o)) for o in objects)
        self.add(None, "dynamodb.rru", dynamodb_read_units(min(size, 1 << 20), consistent=False))
        for text, source in self.stored:  # translateMessage per message, its cache first
            if source != lang and not self.cached(text, lang):
                self.add("translation", "translate.character", len(text))
                self.cache.add((text, lang))
        frame = len(json.dumps(objects))
        if frame > 128 * 1024:
            self.failed_joins += 1  # API Gateway refuses it: nothing delivered, nothing billed
        else:
            self.add(None, "apigateway.message", apigateway_messages(frame))

    def message(self, who: str, text: str) -> None:
        """message: 3 Comprehend calls, then refuse, or store and translate per reader."""
        from operations.costs.prices import (
            apigateway_messages,
            comprehend_units,
            dynamodb_read_units,
            dynamodb_write_units,
        )
        from operations.inprocess import NEGATIVE_WORDS, entities_of

        lang = self.language_of.get(text, self.lang_of[who])
        self.add(None, "apigateway.message", 1)  # the frame in
        # DetectDominantLanguage + DetectSentiment (moderation), DetectEntities (topics), always.
        self.add("moderation", "comprehend.unit", 2 * comprehend_units(len(text)))
        self.add("topics", "comprehend.unit", comprehend_units(len(text)))
        if NEGATIVE_WORDS & set(text.casefold().split()):
            if lang != "en" and not self.cached(self.NOTICE, lang):
                self.add("translation", "translate.character", len(self.NOTICE))
                self.cache.add((self.NOTICE, lang))
            self.add(None, "apigateway.message", 1)
            return
        topics = Counter(e["Text"] for e in entities_of(text))
        self.add(None, "dynamodb.rru", 0.5)  # GetItem connection (eventually consistent)
        for _topic in topics:
            self.add("topics", "dynamodb.wru", 2)  # UpdateItem ADD, and its numIndex copy
        self.add("topics", "dynamodb.rru", 0.5)  # the top-3 query
        stored = json.dumps(_original_message_object(text, lang, dict(topics), False, None))
        self.add(None, "dynamodb.wru", dynamodb_write_units(len(stored)))
        room_bytes = self.CONNECTION_ITEM_BYTES * len(self.room)
        self.add(None, "dynamodb.rru", dynamodb_read_units(room_bytes, consistent=False))
        fresh: set[str] = set()
        for _reader, reader_lang in self.room:
            if reader_lang != lang and not self.cached(text, reader_lang):
                # Promise.all: every reader's lookup misses before the first answer returns.
                self.add("translation", "translate.character", len(text))
                fresh.add(reader_lang)
            frame = json.dumps(
                [_original_message_object(text, lang, dict(topics), False, reader_lang)]
            )
            self.add(None, "apigateway.message", apigateway_messages(len(frame)))
        self.cache.update((text, reader_lang) for reader_lang in fresh)
        self.stored.append((text, lang))


def original_cost(
    workload: Workload, containers: str = "warm"
) -> tuple[Units, dict[str, Units], int]:
    """Units the original spends on the workload; by feature; joins whose frame failed."""
    model = OriginalModel(workload, containers)
    for kind, who, what in workload.events:
        model.units["lambda.request"] += 1
        if kind == "join":
            model.join(who, what)
        else:
            model.message(who, what)
    return model.units, model.features, model.failed_joins


# -- pricing and the report ---------------------------------------------------------------------


def price(units: Units) -> float:
    """Dollars for ``units`` (line items of operations.costs.prices.PRICES)."""
    return sum(PRICES[key].usd * value for key, value in units.items())


def with_lambda(measured: Measured, memory: int) -> Units:
    """Our units plus Lambda requests and GB-s from the measured durations."""
    units = Units(measured.units)
    units["lambda.request"] += measured.invocations
    units["lambda.gb_second.arm64"] += sum(
        lambda_gb_seconds(ms, memory) for ms in measured.durations_ms
    )
    return units


@dataclass
class Row:
    """One line of the report."""

    scenario: str
    levers: str
    ours: float
    original: float
    per: int
    features_ours: dict[str, float]
    features_original: dict[str, float]
    note: str = ""


def evaluate(workload: Workload, levers: str, memory: int) -> Row:
    """Run ours, model the original, price both."""
    measured = run_ours(workload, levers)
    ours_units = with_lambda(measured, memory)
    orig_units, orig_features, failed = original_cost(workload)
    # The original's Lambda: same GB-s per event as ours (not measured).
    orig_units["lambda.gb_second.arm64"] += ours_units["lambda.gb_second.arm64"]
    per = workload.messages or len(workload.events)
    notes = []
    if measured.cache_stats:
        hits = sum(v for k, v in measured.cache_stats.items() if k.endswith(":hit"))
        total = sum(measured.cache_stats.values())
        notes.append(f"cache hits {hits}/{total}")
    detections = measured.operations["comprehend:DetectDominantLanguage"]
    notes.append(f"DetectDominantLanguage {detections}")
    median = sorted(measured.durations_ms)[len(measured.durations_ms) // 2]
    notes.append(f"p50 handler {median:.1f} ms")
    joins = sum(1 for kind, _, _ in workload.events if kind == "join")
    if joins:
        notes.append(f"ours: {measured.frames['joined']}/{joins} joins answered")
    notes.append(f"ours: {measured.frames['error']} error frames")
    if failed:
        notes.append(f"original: {failed}/{joins} join frames > 128 KB failed")
    if joins:
        for containers in CONTAINERS[1:]:
            other, _features, _failed = original_cost(workload, containers)
            other["lambda.gb_second.arm64"] += ours_units["lambda.gb_second.arm64"]
            dollars = _per_1000(price(other), per)
            notes.append(
                f"original, {containers} containers: ${dollars:.2f}/1k "
                f"({price(other) / price(ours_units):.0f}x ours)"
            )
    return Row(
        scenario=workload.name,
        levers=levers,
        ours=price(ours_units),
        original=price(orig_units),
        per=per,
        features_ours={f: price(u) for f, u in measured.feature_units.items()},
        features_original={f: price(u) for f, u in orig_features.items()},
        note="; ".join(notes),
    )


def _per_1000(total: float, count: int) -> float:
    return total / count * 1000.0


def render(rows: Sequence[Row]) -> str:
    """The markdown table."""
    lines = [
        "| scenario | levers | per | ours $/1k | original $/1k | ours/original |"
        " moderation ours/orig | translation ours/orig | topics ours/orig | notes |",
        "|---|---|---|---:|---:|---:|---|---|---|---|",
    ]
    for row in rows:
        unit = "1k msgs" if "join" not in row.scenario else "1k joins"
        feats = []
        for feature in ("moderation", "translation", "topics"):
            ours = _per_1000(row.features_ours.get(feature, 0.0), row.per)
            orig = _per_1000(row.features_original.get(feature, 0.0), row.per)
            feats.append(f"{ours:.4f} / {orig:.4f}")
        lines.append(
            f"| {row.scenario} | {row.levers} | {unit} | {_per_1000(row.ours, row.per):.4f} | "
            f"{_per_1000(row.original, row.per):.4f} | {row.ours / row.original:.3f} | "
            + " | ".join(feats)
            + f" | {row.note} |"
        )
    return "\n".join(lines)


PLAN: dict[str, list[tuple[Callable[[argparse.Namespace], Workload], list[str]]]] = {
    "steady": [
        (lambda a: steady(a.messages), ["off", "all"]),
        (lambda a: steady(a.messages, repeated_share=0.3), ["off", "cache", "all"]),
    ],
    "joins": [(lambda a: joins(a.joins, a.history), ["all"])],
    "large": [(lambda a: large_room(a.large_messages), ["all"])],
}


def _job(args: argparse.Namespace, job: tuple[str, int, str], memory: int) -> Row:
    scenario, index, levers = job
    make, _levers = PLAN[scenario][index]
    return evaluate(make(args), levers, memory)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scenarios and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--scenarios",
        default="steady,joins,large,rooms",
        help="comma-separated: steady, joins, large, rooms (default: all)",
    )
    parser.add_argument("--messages", type=int, default=1000, help="steady chat messages")
    parser.add_argument("--joins", type=int, default=100)
    parser.add_argument("--history", type=int, default=1000)
    parser.add_argument(
        "--large-messages",
        type=int,
        default=30,
        help="messages in the 1,000-reader room (priced per 1,000)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel processes")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    rooms = "rooms" in chosen
    chosen = [s for s in chosen if s != "rooms"]
    unknown = [s for s in chosen if s not in PLAN]
    if unknown:
        choices = ", ".join([*PLAN, "rooms"])
        parser.error(f"unknown scenario(s): {', '.join(unknown)} (choose from {choices})")
    for name in ("messages", "joins", "history", "large_messages", "jobs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    from operations.inprocess import memory_mb

    memory = memory_mb()
    started = time.perf_counter()
    print(
        f"cost report, {time.strftime('%Y-%m-%d %H:%M %Z')}, MemorySize {memory} MB (arm64), "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    jobs = [
        (scenario, index, levers)
        for scenario in chosen
        for index, (_make, lever_sets) in enumerate(PLAN[scenario])
        for levers in lever_sets
    ]
    # Runs are independent (each has its own moto tables): several at a time, in processes.
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(_job, args, job, memory) for job in jobs]
        rows = []
        for future in futures:
            rows.append(future.result())
            print(
                f"  done: {rows[-1].scenario} [{rows[-1].levers}] "
                f"({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    if rows:
        print(render(rows))
    if rooms:  # one message by room size, the fan-out's delivery function and queue included
        from operations.costs import rooms as by_room

        print()
        by_room.main([])
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
