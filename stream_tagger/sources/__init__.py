"""Audio sources: files (paced or as fast as possible), live input devices, standard input,
network streams.

Every source delivers mono float32 audio *at its own sample rate* into a
:class:`~stream_tagger.ring_buffer.RingBuffer`; the engine's worker thread resamples it to
16 kHz with :class:`~stream_tagger.resampler.StreamingResampler`, whose output depends only
on the samples, never on how they were chunked. So a file gives bit-identical analysis whether read as fast as
possible, replayed paced, or captured.

Source protocol (duck-typed):

* ``open()`` -- validate and prepare; raises :class:`~stream_tagger.errors.TaggerError` with
  a one-line message (missing file, not audio, unknown device, refused rate, ...).
* ``start(ring)`` -- begin delivering into ``ring`` (a producer thread or an audio callback);
  the source closes the ring at the end of its audio (with an error if it failed).
* ``stop()`` -- stop delivering (from any thread); closes the ring.
* ``check()`` -- raise if the source has failed (e.g. the device vanished); called by the worker.
* attributes: ``sample_rate_hz`` (rate of the delivered audio), ``description`` (device name
  or file name), ``live`` (True when overruns drop audio instead of waiting),
  ``duration_s`` (total length if known, else None); live sources with a wall clock (device,
  network stream) also ``clock`` (:class:`~.clock.SampleClock`, set by ``start``): the UTC
  time of sample positions, which the engine stamps on hops and segments.

One module per kind: :mod:`.file` (soundfile), :mod:`.stdin` (raw PCM or WAV on standard
input), :mod:`.device` (sounddevice), :mod:`.stream` (network streams through PyAV, with
reconnection and gaps; :mod:`.stream_connect` opens them), with the byte-level format checks in :mod:`.formats` and the
samples' wall-clock times in :mod:`.clock`.
"""

from __future__ import annotations

from ..resampler import StreamingResampler, sanitize_block
from .device import MicSource, close_stream, list_input_devices, resolve_input_device, sounddevice_module
from .file import FileSource
from .stdin import RAW_FORMATS, StdinSource
from .stream import StreamSource

__all__ = ["FileSource", "StdinSource", "MicSource", "StreamSource", "make_source", "list_input_devices", "resolve_input_device",
           "sounddevice_module", "close_stream", "RAW_FORMATS", "StreamingResampler", "sanitize_block"]


def make_source(spec: str, speed: float | None = None, **stdin_kw) -> FileSource | StdinSource:
    """``-`` -> :class:`StdinSource`, anything else -> :class:`FileSource`."""
    if spec == "-":
        return StdinSource(**stdin_kw)
    return FileSource(spec, speed=speed)
