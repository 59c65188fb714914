"""Offline machine translation for the local Amazon Translate: Apertium pipelines from Debian.

This module owns turning text in one language into another with Apertium, a rule-based
(word-for-word, shallow-transfer) MT engine that Debian packages: ``apertium`` plus one data
package per pair (``apertium-eng-spa``, ``apertium-fr-es``, ``apertium-es-pt``,
``apertium-spa-ita`` are what ``scripts/setup`` installs). It knows nothing about HTTP or AWS
error shapes; :mod:`.operations` maps its answers to TranslateText.

Routes. Every installed *mode* (``/usr/share/apertium/modes/*.mode``, e.g. ``eng-spa``,
``es-pt_BR``) is a direct pair. A pair with no mode goes through ONE pivot language, Spanish
first (then English, Catalan, French), when both legs exist. With the four packages above, every
ordered pair among en, es, fr, pt, it is reachable (Spanish is in every pair). Language codes are
Amazon Translate's: ``pt`` is Brazilian Portuguese (mode ``es-pt_BR``), ``pt-PT`` European
Portuguese (mode ``es-pt``); both read through ``pt-es``.

Speed. One long-lived pipeline per mode (the ~12 programs of the mode file, run in null-flush
mode ``-z``: each request ends with ``\\0`` and every program flushes its answer at that byte),
started on first use, closed when idle for ``idle_seconds``; never a process per message.
Measured here: ~2 ms per short message on a warm pipeline against 200-900 ms for a fresh
``apertium`` process (BENCHMARKS.md "Offline translation").

Framing. Each request is ``[<id>]`` + the escaped text + ``[]``: a superblank (Apertium passes
it through untouched, first) carrying a sequence number, then the text in Apertium's stream
format (every special character backslash-escaped, NULs and control characters removed, so no
input can end a request early or open a lexical unit), then an empty superblank (without a
trailing blank the last word waits for more input). The answer must start with the same
``[<id>]``; anything else (an answer to another request, a dead program, no answer within
``timeout``) puts the pipeline out of step: it is killed, the next request starts a fresh one,
and this request is retried once on the new pipeline before :class:`TranslationFailed`.

Output hygiene. URLs, e-mail addresses, @mentions, #hashtags and emoji are sent as superblanks,
so they come back exactly as written; the generator runs without unknown-word marks
(``lt-proc -n``, what ``apertium -u`` does) and any mark or stream-format residue that still
appears (``*``/``#``/``@`` marks, ``^...$`` units, ``<tags>``) is removed, so the answer is plain
text: the user's own characters, literally (a client renders it as text).

Memory. Each live pipeline holds its dictionaries: 40-110 MB proportional set size (PSS, shared
library pages split fairly; 100-200 MB if each program's shared pages are counted in full, RSS)
measured per mode here. At most ``max_pipelines`` are alive at once (least recently used closed
first) and a pipeline idle for ``idle_seconds`` is closed, so the bound is ``max_pipelines`` x
~110 MB PSS: the default of 8 covers all eight legs of a room reading en, es, fr, pt and it
(~0.7 GB at worst; one pair of languages keeps two pipelines, ~0.2 GB). Each leg's answers are
remembered, the 2,048 most recent (well under 1 MB of chat text), so one message is never sent
through the same mode twice while it is in memory.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import select
import shutil
import signal
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import emoji

__all__ = [
    "DEFAULT_MODES_DIR",
    "PIVOTS",
    "Mode",
    "NoRoute",
    "Pipeline",
    "TranslationFailed",
    "Translator",
    "clean_output",
    "to_stream",
]

LOG = logging.getLogger("localcloud.language.translation")

DEFAULT_MODES_DIR = Path("/usr/share/apertium/modes")
# Pivot languages, tried in this order when there is no direct mode.
PIVOTS = ("es", "en", "ca", "fr")

# Apertium names languages by ISO 639-1 or 639-3; Amazon Translate by 639-1 (RFC 5646).
_ISO3 = {
    "eng": "en", "spa": "es", "fra": "fr", "fre": "fr", "ita": "it", "por": "pt", "cat": "ca",
    "ron": "ro", "rum": "ro", "glg": "gl", "deu": "de", "nld": "nl", "dan": "da", "swe": "sv",
    "nob": "no", "nno": "nn", "rus": "ru", "ukr": "uk", "isl": "is", "mkd": "mk", "bul": "bg",
    "hbs": "sh", "urd": "ur", "hin": "hi", "ind": "id", "zlm": "ms", "afr": "af", "eus": "eu",
    "epo": "eo", "oci": "oc", "pol": "pl", "arg": "an", "ast": "ast", "srd": "sc", "bel": "be",
}  # fmt: skip
# A target variant that Amazon Translate names with a code of its own.
_TARGET_VARIANTS = {("pt", "BR"): "pt", ("pt", ""): "pt-PT"}
# Source codes that read through another language's modes.
_SOURCE_ALIASES = {"pt-PT": "pt"}
_MODE_NAME = re.compile(r"^([a-z]{2,3})(?:_([A-Za-z]+))?-([a-z]{2,3})(?:_([A-Za-z]+))?$")

# Stream-format characters that must be escaped in input (Apertium's own destxt escapes these).
_SPECIAL = frozenset("[]^$/\\<>@{}*#~")
# Control characters other than tab and newline end or corrupt a request: drop them.
# Characters Apertium writes as marks (unknown word, generation error, postgeneration).
_MARK_CHARS = frozenset("*#@~")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_URL = r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]}'\u2019]"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_HANDLE = r"(?<![\w@#])[@#][^\W_][\w.-]*\w|(?<![\w@#])[@#]\w"
_PROTECTED = re.compile(f"{_URL}|{_EMAIL}|{_HANDLE}")


class NoRoute(LookupError):
    """No installed mode, direct or through one pivot, translates ``source`` to ``target``."""

    def __init__(self, source: str, target: str, reason: str) -> None:
        super().__init__(reason)
        self.source = source
        self.target = target
        self.reason = reason


class TranslationFailed(RuntimeError):
    """A pipeline did not answer in step, even after a restart."""


@dataclass(frozen=True)
class Mode:
    """One installed Apertium mode: its name, file, and the Translate codes it joins."""

    name: str
    path: Path
    source: str
    target: str


# --------------------------------------------------------------------------- stream format


def to_stream(text: str) -> str:
    """``text`` in Apertium's stream format: protected spans as superblanks, the rest escaped."""
    text = _CONTROL.sub("", text).encode("utf-8", "replace").decode("utf-8")
    parts: list[str] = []
    position = 0
    for start, end in _protected_spans(text):
        parts.append(_escape(text[position:start]))
        parts.append(f"[{_escape(text[start:end], in_superblank=True)}]")
        position = end
    parts.append(_escape(text[position:]))
    return "".join(parts)


def _escape(text: str, *, in_superblank: bool = False) -> str:
    # Outside a superblank, a mark character the user typed travels as a superblank of its own:
    # escaped it is still read as a mark by some programs, and the answer's marks are dropped.
    return "".join(
        (f"\\{char}" if in_superblank or char not in _MARK_CHARS else f"[\\{char}]")
        if char in _SPECIAL
        else char
        for char in text
    )


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Disjoint (start, end) spans of URLs, e-mails, @mentions, #hashtags and emoji, in order."""
    spans = [match.span() for match in _PROTECTED.finditer(text)]
    spans += [(found["match_start"], found["match_end"]) for found in emoji.emoji_list(text)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clean_output(stream: str) -> str:
    """Plain text from an Apertium answer: escapes undone, superblanks kept as their text,
    lexical units reduced to their surface form, tags and marks removed.

    The input had every ``*``, ``#``, ``@`` and ``~`` escaped, so an unescaped one in the answer
    is a mark Apertium added (unknown word, generation error, postgeneration): it is dropped.
    """
    out: list[str] = []
    index, length = 0, len(stream)
    while index < length:
        char = stream[index]
        if char == "\\" and index + 1 < length:
            out.append(stream[index + 1])
            index += 2
        elif char == "[":
            body, index = _read_until(stream, index + 1, "]")
            out.append(body)
        elif char == "^":
            body, index = _read_until(stream, index + 1, "$")
            out.append(_surface(body))
        elif char == "<":
            _, index = _read_until(stream, index + 1, ">")
        else:
            if char not in _MARK_CHARS and char != "$":
                out.append(char)
            index += 1
    return "".join(out)


def _read_until(stream: str, index: int, close: str) -> tuple[str, int]:
    """The unescaped text up to the unescaped ``close`` and the index after it."""
    body: list[str] = []
    while index < len(stream):
        char = stream[index]
        if char == "\\" and index + 1 < len(stream):
            body.append(stream[index + 1])
            index += 2
            continue
        if char == close:
            return "".join(body), index + 1
        body.append(char)
        index += 1
    return "".join(body), index


def _surface(unit: str) -> str:
    surface = unit.split("/", 1)[0]
    return re.sub(r"<[^>]*>", "", surface).lstrip("*#@~")


# --------------------------------------------------------------------------- pipelines


class Pipeline:
    """One long-lived Apertium pipeline for one mode; one request at a time (thread-safe)."""

    def __init__(self, mode: Mode, *, timeout: float = 10.0) -> None:
        self.mode = mode
        self.timeout = timeout
        self.last_used = time.monotonic()
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending = b""

    @property
    def alive(self) -> bool:
        """Whether the pipeline's processes are running."""
        return self._process is not None and self._process.poll() is None

    def translate(self, text: str) -> str:
        """``text`` through this mode; a pipeline out of step is restarted and tried once more."""
        with self._lock:
            self.last_used = time.monotonic()
            try:
                return self._request(text)
            except TranslationFailed as err:
                LOG.warning("apertium %s out of step (%s); restarting it", self.mode.name, err)
                self._kill()
                self.restarts += 1
                return self._request(text)
            finally:
                self.last_used = time.monotonic()

    def close(self) -> None:
        """Stop the pipeline's processes (the next request starts it again)."""
        with self._lock:
            self._kill()

    def memory_bytes(self) -> int:
        """Proportional set size of every process of the pipeline, summed (Linux /proc)."""
        process = self._process
        if process is None:
            return 0
        return sum(_pss(pid) for pid in _group_members(process.pid))

    def _request(self, text: str) -> str:
        process = self._ensure_started()
        assert process.stdin is not None
        assert process.stdout is not None
        request_id = f"pc{next(self._ids)}"
        payload = f"[{request_id}]{to_stream(text)}[]\0".encode()
        deadline = time.monotonic() + self.timeout
        try:
            process.stdin.write(payload)
            process.stdin.flush()
        except (BrokenPipeError, OSError) as err:
            raise TranslationFailed(f"write failed: {err}") from err
        answer = self._read_answer(process.stdout.fileno(), deadline)
        prefix = f"[{request_id}]"
        if not answer.startswith(prefix):
            raise TranslationFailed(f"answer out of step: {answer[:40]!r}")
        return clean_output(answer[len(prefix) :]).strip()

    def _read_answer(self, fd: int, deadline: float) -> str:
        buffer = self._pending
        while b"\0" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TranslationFailed(f"no answer within {self.timeout:g} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise TranslationFailed("the pipeline exited")
            buffer += chunk
        answer, _, self._pending = buffer.partition(b"\0")
        return answer.decode("utf-8", "replace")

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._kill()
        script = subprocess.run(
            ["apertium-wblank-mode", "-z", str(self.mode.path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        # $1 is the generator's option: -n generates without unknown-word marks (apertium -u).
        self._process = subprocess.Popen(
            ["bash", "-c", script, "apertium", "-n", ""],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: one signal stops every program
        )
        self._pending = b""
        LOG.info("apertium %s started (pid %d)", self.mode.name, self._process.pid)
        return self._process

    def _kill(self) -> None:
        process, self._process = self._process, None
        self._pending = b""
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def _group_members(pgid: int) -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")".
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            yield int(entry.name)


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# --------------------------------------------------------------------------- translator


def installed_modes(modes_dir: Path = DEFAULT_MODES_DIR) -> dict[tuple[str, str], Mode]:
    """Direct pairs by (source, target) Translate code, from the installed mode files."""
    found: dict[tuple[str, str], Mode] = {}
    if not modes_dir.is_dir():
        return found
    for path in sorted(modes_dir.glob("*.mode")):
        match = _MODE_NAME.match(path.stem)
        if match is None:
            continue
        source_lang, _, target_lang, target_variant = match.groups()
        source = _ISO3.get(source_lang, source_lang)
        base = _ISO3.get(target_lang, target_lang)
        target = _TARGET_VARIANTS.get((base, target_variant or ""))
        if target is None:
            if target_variant:  # another variant (eng_US): only when there is no plain mode
                target = base
                if (source, target) in found:
                    continue
            else:
                target = base
        mode = Mode(path.stem, path, source, target)
        if target_variant or (source, target) not in found:
            found[(source, target)] = mode
    # A target named only by its base code (pt) with no variant mode: the plain one serves it.
    for (source, target), mode in list(found.items()):
        for (base, _), code in _TARGET_VARIANTS.items():
            if target == code and (source, base) not in found:
                found[(source, base)] = mode
    return found


class Translator:
    """Translate with Apertium: direct or through one pivot; pipelines kept warm, then reaped.

    >>> translator = Translator()
    >>> translator.translate("Good morning, friends!", "en", "fr")
    'Bonjour, amis!'
    """

    def __init__(
        self,
        modes_dir: Path = DEFAULT_MODES_DIR,
        *,
        idle_seconds: float = 300.0,
        max_pipelines: int = 8,
        timeout: float = 10.0,
        pivots: Iterable[str] = PIVOTS,
        cache_size: int = 2048,
    ) -> None:
        if max_pipelines < 2:
            raise ValueError("max_pipelines must be at least 2 (a pivoted route uses two)")
        self.modes: Mapping[tuple[str, str], Mode] = (
            installed_modes(modes_dir) if shutil.which("apertium-wblank-mode") else {}
        )
        self.idle_seconds = idle_seconds
        self.max_pipelines = max_pipelines
        self.timeout = timeout
        self.pivots = tuple(pivots)
        self.cache_size = cache_size
        self.cache_hits = 0
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._pipelines: dict[str, Pipeline] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None

    @property
    def available(self) -> bool:
        """Whether Apertium and at least one pair are installed."""
        return bool(self.modes)

    def languages(self) -> frozenset[str]:
        """Every Translate code that appears in an installed mode."""
        return frozenset(code for pair in self.modes for code in pair)

    def route(self, source: str, target: str) -> tuple[Mode, ...]:
        """The modes that take ``source`` to ``target``: one (direct) or two (pivot)."""
        source = _SOURCE_ALIASES.get(source, source)
        if not self.modes:
            raise NoRoute(
                source, target, "Apertium is not installed here (scripts/setup installs it)."
            )
        direct = self.modes.get((source, target))
        if direct is not None:
            return (direct,)
        for pivot in self.pivots:
            first = self.modes.get((source, pivot))
            second = self.modes.get((_SOURCE_ALIASES.get(pivot, pivot), target))
            if first is not None and second is not None and pivot not in (source, target):
                return (first, second)
        raise NoRoute(
            source,
            target,
            f"No installed Apertium pair translates {source} to {target}, directly or through "
            f"{'/'.join(self.pivots)}.",
        )

    def pairs(self) -> list[tuple[str, str]]:
        """Every ordered (source, target) pair that has a route."""
        codes = sorted(self.languages())
        reachable = []
        for source, target in itertools.permutations(codes, 2):
            try:
                self.route(source, target)
            except NoRoute:
                continue
            reachable.append((source, target))
        return reachable

    def describe(self) -> str:
        """One line for people: which languages translate offline, and by which routes."""
        pairs = self.pairs()
        if not pairs:
            return "none (Apertium is not installed: scripts/setup installs it)"
        languages = sorted({code for pair in pairs for code in pair})
        direct = sum(1 for pair in pairs if len(self.route(*pair)) == 1)
        hubs = sorted(
            {mode.target for pair in pairs for mode in self.route(*pair)[:-1]},
        )
        via = f", {len(pairs) - direct} through {'/'.join(hubs)}" if hubs else ""
        return (
            f"{' '.join(languages)} (Apertium, word for word: {direct} direct pairs{via})"
        )

    def translate(self, text: str, source: str, target: str) -> str:
        """``text`` from ``source`` to ``target`` (raises NoRoute or TranslationFailed).

        Each leg's answer is remembered (``cache_size`` most recent): the sentiment judge's
        English and the English readers' copy of one message are one translation, and en->fr and
        en->it share their en->es leg.
        """
        for mode in self.route(source, target):
            text = self._leg(mode, text)
        return text

    def _leg(self, mode: Mode, text: str) -> str:
        key = (mode.name, text)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return cached
        translated = self._pipeline(mode).translate(text)
        with self._lock:
            self._cache[key] = translated
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return translated

    def memory_bytes(self) -> int:
        """Proportional set size of every live pipeline (see the module docstring)."""
        with self._lock:
            pipelines = list(self._pipelines.values())
        return sum(pipeline.memory_bytes() for pipeline in pipelines)

    def live(self) -> list[str]:
        """The modes whose pipelines are running now."""
        with self._lock:
            return sorted(name for name, pipeline in self._pipelines.items() if pipeline.alive)

    def reap(self, now: float | None = None) -> list[str]:
        """Close pipelines idle for ``idle_seconds`` or more; returns the modes closed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [
                name
                for name, pipeline in self._pipelines.items()
                if now - pipeline.last_used >= self.idle_seconds
            ]
            closing = [self._pipelines.pop(name) for name in idle]
        for pipeline in closing:
            pipeline.close()
            LOG.info("apertium %s closed after %.0f s idle", pipeline.mode.name, self.idle_seconds)
        return idle

    def close(self) -> None:
        """Stop every pipeline and the idle reaper; idempotent."""
        self._closed.set()
        with self._lock:
            closing = list(self._pipelines.values())
            self._pipelines.clear()
        for pipeline in closing:
            pipeline.close()

    def _pipeline(self, mode: Mode) -> Pipeline:
        evicted: list[Pipeline] = []
        with self._lock:
            pipeline = self._pipelines.get(mode.name)
            if pipeline is None:
                pipeline = Pipeline(mode, timeout=self.timeout)
                self._pipelines[mode.name] = pipeline
                while len(self._pipelines) > self.max_pipelines:
                    oldest = min(
                        (p for p in self._pipelines.values() if p is not pipeline),
                        key=lambda p: p.last_used,
                    )
                    evicted.append(self._pipelines.pop(oldest.mode.name))
            pipeline.last_used = time.monotonic()
            self._start_reaper()
        for old in evicted:
            old.close()
        return pipeline

    def _start_reaper(self) -> None:
        if self._reaper is not None or self._closed.is_set():
            return
        self._reaper = threading.Thread(target=self._reap_loop, name="apertium-reaper", daemon=True)
        self._reaper.start()

    def _reap_loop(self) -> None:
        interval = max(0.05, min(self.idle_seconds / 4, 30.0))
        while not self._closed.wait(interval):
            self.reap()
