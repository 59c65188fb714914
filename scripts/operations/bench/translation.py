"""Offline translation: latency, throughput and memory of the Apertium pipelines.

    .venv/bin/chat-bench-translation              # everything below, ~1 minute
    .venv/bin/chat-bench-translation --messages 400

What it measures, in one run (so the ratios hold on a noisy machine):

- **first use**: a pipeline's start plus its first message, for a direct route (en->es, one
  mode) and a pivoted one (en->fr, two modes), each from nothing running;
- **warm**: per-message latency (p50, p99) of short chat messages through the local cloud's
  own :class:`Translator`, direct and pivoted, and through a real boto3 TranslateText client
  against the local language server (HTTP, the Lambda's path);
- **spawned**: the same messages, one ``apertium -u MODE`` process per message (what a naive
  offline translator would do), on a sample;
- **throughput**: messages/s on one warm direct pipeline, and with two threads on two different
  pipelines (two cores);
- **memory**: proportional set size (PSS) of each pipeline, and of all eight legs among en, es,
  fr, pt, it alive at once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

from localcloud.language.translation import Translator

MESSAGES = [
    "Good morning everyone, how are you today?",
    "I will be a little late, the train is delayed again.",
    "Thanks for the pictures, they look amazing!",
    "Does anyone know a good restaurant near the station?",
    "See you tomorrow at ten in front of the museum.",
    "My sister is coming too, she arrives on Tuesday.",
    "The weather is lovely here, we went to the beach.",
    "Can you send me the address again, please?",
]
LEGS = [("en", "es"), ("es", "en"), ("es", "fr"), ("fr", "es"), ("es", "pt"), ("pt", "es"),
        ("es", "it"), ("it", "es")]  # fmt: skip


def _fresh(i: int) -> str:
    """The i-th message, made unique: the translator remembers answers it has given."""
    return f"{MESSAGES[i % len(MESSAGES)]} Take {i}."


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(call: Callable[..., object], *args: object, **kwargs: object) -> float:
    started = time.perf_counter()
    call(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def _row(label: str, samples: Sequence[float]) -> str:
    return (
        f"| {label} | {len(samples)} | {statistics.median(samples):.1f} | "
        f"{_percentile(samples, 0.99):.1f} |"
    )


def first_use() -> list[str]:
    rows = []
    for source, target in (("en", "es"), ("en", "fr")):
        translator = Translator()
        try:
            ms = _timed(translator.translate, MESSAGES[0], source, target)
            legs = len(translator.route(source, target))
            rows.append(f"| {source}->{target} ({legs} mode{'s' * (legs > 1)}) | {ms:.0f} |")
        finally:
            translator.close()
    return rows


def warm(count: int) -> list[str]:
    translator = Translator()
    rows = []
    try:
        for source, target, label in (("en", "es", "direct"), ("en", "fr", "pivoted")):
            translator.translate(MESSAGES[0], source, target)
            samples = [
                _timed(translator.translate, _fresh(i), source, target)
                for i in range(count)
            ]
            rows.append(_row(f"in process, {label} ({source}->{target})", samples))
        rows += _through_boto3(count)
    finally:
        translator.close()
    return rows


def _through_boto3(count: int) -> list[str]:
    import boto3
    from botocore.config import Config
    from localcloud.language import LanguageServices

    services = LanguageServices()
    url = services.start()
    rows = []
    try:
        client = boto3.client(
            "translate",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the local endpoints' dummy key
            config=Config(retries={"total_max_attempts": 1}),
        )
        for source, target, label in (("en", "es", "direct"), ("en", "fr", "pivoted")):
            client.translate_text(Text=MESSAGES[0], SourceLanguageCode=source,
                                  TargetLanguageCode=target)  # fmt: skip
            samples = [
                _timed(
                    client.translate_text,
                    Text=_fresh(i),
                    SourceLanguageCode=source,
                    TargetLanguageCode=target,
                )
                for i in range(count)
            ]
            rows.append(_row(f"boto3 TranslateText, {label} ({source}->{target})", samples))
    finally:
        services.stop()
    return rows


def spawned(count: int) -> list[str]:
    samples = []
    for i in range(count):
        text = _fresh(i)
        samples.append(
            _timed(
                subprocess.run,
                ["apertium", "-u", "eng-spa"],
                input=text.encode(),
                capture_output=True,
                check=True,
            )
        )
    return [_row("spawned `apertium -u eng-spa` per message, direct", samples)]


def throughput(seconds: float) -> list[str]:
    translator = Translator()
    rows = []
    try:
        for pair in (("en", "es"), ("es", "en")):
            translator.translate(MESSAGES[0], *pair)

        def run(pair: tuple[str, str], counter: list[int], stop: float) -> None:
            i = 0
            while time.perf_counter() < stop:
                translator.translate(_fresh(i), *pair)
                i += 1
            counter.append(i)

        for pairs in ([("en", "es")], [("en", "es"), ("es", "en")]):
            counts: list[int] = []
            stop = time.perf_counter() + seconds
            threads = [threading.Thread(target=run, args=(pair, counts, stop)) for pair in pairs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            label = " + ".join(f"{s}->{t}" for s, t in pairs)
            rows.append(f"| {label} ({len(pairs)} thread{'s' * (len(pairs) > 1)}) | "
                        f"{sum(counts) / seconds:,.0f} |")  # fmt: skip
    finally:
        translator.close()
    return rows


def memory() -> list[str]:
    translator = Translator(max_pipelines=len(LEGS))
    rows = []
    try:
        for source, target in LEGS:
            translator.translate(MESSAGES[0], source, target)
        for pipeline in sorted(translator._pipelines.values(), key=lambda p: p.mode.name):
            rows.append(f"| {pipeline.mode.name} | {pipeline.memory_bytes() / 2**20:.0f} |")
        total = translator.memory_bytes() / 2**20
        rows.append(f"| **all {len(LEGS)} legs alive** | **{total:.0f}** |")
    finally:
        translator.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=300, help="warm samples per route")
    parser.add_argument("--spawned", type=int, default=20, help="spawned-process samples")
    parser.add_argument("--seconds", type=float, default=5.0, help="throughput window")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores\n")
    print("First use (pipeline start + first message), ms\n\n| route | ms |\n|---|---:|")
    print("\n".join(first_use()))
    print("\nPer message, short chat sentences, ms\n")
    print("| path | n | p50 | p99 |\n|---|---:|---:|---:|")
    print("\n".join(warm(args.messages)))
    print("\n".join(spawned(args.spawned)))
    print("\nThroughput, warm, messages/s\n\n| pipelines | msg/s |\n|---|---:|")
    print("\n".join(throughput(args.seconds)))
    print("\nMemory (PSS), MB\n\n| mode | MB |\n|---|---:|")
    print("\n".join(memory()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
