"""The X-Ray provider of the Powertools Tracer, importing the X-Ray SDK only when a trace needs it.

Powertools' Tracer imports ``aws_xray_sdk.core`` when it is constructed, even disabled, and that
import builds the SDK's recorder: outside Lambda the recorder makes two botocore X-Ray clients
for centralized sampling (about a quarter of a second of a cold start on the benchmark machine,
BENCHMARKS.md "Cold start"); wrapt and the patchers come with it. A disabled tracer (the
POWERTOOLS_TRACE_DISABLED of the local cloud and the tests; outside Lambda) only ever opens the
SDK's dummy subsegments, which record nothing.

``XRayOnDemand`` is given to the Tracer as its provider. While the SDK is disabled (what the
Tracer sets when it is disabled, or AWS_XRAY_SDK_ENABLED=false), its subsegments are no-ops and
the SDK is never imported. When tracing is on (AWS, ``Tracing: Active``), the Tracer's own
``patch_all`` at construction loads the recorder, so the SDK loads at init exactly as before, and
every subsegment, annotation and patch is the X-Ray recorder's.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import aws_xray_sdk  # the package alone: its global SDK switch (no recorder, no botocore)
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["NoSegment", "XRayOnDemand"]


class NoSegment(BaseSegment):
    """What a disabled SDK's subsegment does: nothing (the SDK's own DummySubsegment records
    nothing either)."""

    def close(self, end_time: int | None = None) -> None:
        """Nothing to close."""

    def add_subsegment(self, subsegment: Any) -> None:
        """Discarded."""

    def remove_subsegment(self, subsegment: Any) -> None:
        """Nothing was added."""

    def put_annotation(self, key: str, value: Any) -> None:
        """Discarded."""

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        """Discarded."""

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        """Discarded (the exception itself propagates as usual)."""


_NO_SEGMENT = NoSegment()


def _sdk_enabled() -> bool:
    return bool(aws_xray_sdk.global_sdk_config.sdk_enabled())


class XRayOnDemand(BaseProvider):
    """``aws_xray_sdk.core.xray_recorder``, imported on first use while the SDK is enabled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recorder: Any = None

    @property
    def loaded(self) -> bool:
        """Whether the X-Ray SDK's recorder has been imported."""
        return self._recorder is not None

    def recorder(self) -> Any:
        """The SDK's global recorder, configured as Powertools configures its X-Ray provider."""
        with self._lock:
            if self._recorder is None:
                from aws_xray_sdk.core import xray_recorder  # noqa: PLC0415 - deferred (docstring)

                if _sdk_enabled():  # subsegments sent one by one, not batched (Powertools #283)
                    xray_recorder.configure(streaming_threshold=0)
                self._recorder = xray_recorder
            return self._recorder

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        """A subsegment of the current trace (a no-op while the SDK is disabled)."""
        if not _sdk_enabled():
            yield _NO_SEGMENT
            return
        with self.recorder().in_subsegment(name=name, **kwargs) as subsegment:
            yield subsegment

    def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> Any:
        """The async form of ``in_subsegment``."""
        if not _sdk_enabled():
            return nullcontext(_NO_SEGMENT)
        return self.recorder().in_subsegment_async(name=name, **kwargs)

    def put_annotation(self, key: str, value: Any) -> None:
        """Annotate the current (sub)segment."""
        if _sdk_enabled():
            self.recorder().put_annotation(key=key, value=value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        """Add metadata to the current (sub)segment."""
        if _sdk_enabled():
            self.recorder().put_metadata(key=key, value=value, namespace=namespace)

    def patch(self, modules: Sequence[str]) -> None:
        """Instrument ``modules`` (the Tracer calls it only when tracing is on)."""
        from aws_xray_sdk.core import patch  # noqa: PLC0415 - deferred (docstring)

        self.recorder()
        patch(modules)

    def patch_all(self) -> None:
        """Instrument every supported module that is installed (botocore among them)."""
        from aws_xray_sdk.core import patch_all  # noqa: PLC0415 - deferred (docstring)

        self.recorder()
        patch_all()
