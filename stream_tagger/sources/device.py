"""Live input devices through sounddevice (PortAudio): listing, choosing by index or name, capture."""

from __future__ import annotations

import time

from ..audio_io import check_rate
from ..errors import DeviceError, short_reason
from .clock import SampleClock


def sounddevice_module():
    """The sounddevice module, or a one-line :class:`DeviceError` if it or PortAudio is missing."""
    try:
        import sounddevice as sd  # noqa: PLC0415
    except OSError:
        raise DeviceError("PortAudio library not found (install libportaudio2)") from None
    except ImportError:
        raise DeviceError("the sounddevice package is not installed (pip install sounddevice)") from None
    return sd


def close_stream(stream) -> None:
    """Stop and close a sounddevice stream, ignoring a device that is already gone."""
    if stream is None:
        return
    try:
        stream.stop()
        stream.close()
    except Exception:
        pass


def list_input_devices() -> list[dict]:
    """Input devices: dicts with index, name, channels, default_rate_hz, hostapi, is_default."""
    sd = sounddevice_module()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except Exception as e:
        raise DeviceError(f"cannot list audio devices ({short_reason(e)})") from None
    out = []
    for i, d in enumerate(devices):
        if d["max_input_channels"] > 0:
            out.append({
                "index": i,
                "name": d["name"],
                "channels": int(d["max_input_channels"]),
                "default_rate_hz": int(round(d["default_samplerate"])),
                "hostapi": hostapis[d["hostapi"]]["name"],
                "is_default": i == default_in,
            })
    return out


def resolve_input_device(device: int | str | None) -> dict:
    """The input device for an index, a name (exact, case-insensitive), a substring matching one
    device's name only, or None (default)."""
    inputs = list_input_devices()
    if not inputs:
        raise DeviceError("no audio input devices found")
    if device is None or device == "":
        for d in inputs:
            if d["is_default"]:
                return d
        return inputs[0]
    text = str(device).strip()
    if text.lstrip("-").isdigit():
        idx = int(text)
        for d in inputs:
            if d["index"] == idx:
                return d
        raise DeviceError(f"no input device with index {idx} (see: stream-tagger devices)")
    low = text.lower()
    exact = [d for d in inputs if d["name"].lower() == low]
    if exact:
        return exact[0]
    matches = [d for d in inputs if low in d["name"].lower()]
    if not matches:
        raise DeviceError(f"no input device matches '{text}' (see: stream-tagger devices)")
    if len(matches) > 1:
        names = ", ".join(f"{d['index']}: {d['name']}" for d in matches[:6])
        raise DeviceError(f"'{text}' matches {len(matches)} input devices ({names}); give more of the name or "
                          "the index")
    return matches[0]


class MicSource:
    """Live capture from an input device through a sounddevice ``InputStream`` callback.

    ``device``: index, name substring or None (default input). ``rate_hz``: capture rate
    (default: the device's own default rate); the engine resamples it to 16 kHz. The
    callback only copies the block into the ring buffer (dropping the oldest audio if the
    analysis lags), notes its arrival time in :attr:`clock` (the samples' UTC times) and returns.
    """

    live = True
    duration_s = None

    def __init__(self, device: int | str | None = None, rate_hz: int | None = None, block_s: float = 0.02):
        self.device = device
        self.requested_rate_hz = rate_hz
        self.block_s = block_s
        self.sample_rate_hz = 0
        self.description = "input device"
        self.device_info: dict | None = None
        self._stream = None
        self._ring = None
        self._stopping = False
        self.callbacks = 0  # number of audio callbacks so far
        self.status_flags = 0  # callbacks that reported input overflow or other status
        self.first_callback_time: float | None = None
        self._last_callback_time: float | None = None
        self._started_time: float | None = None
        self._last_check_time: float | None = None  # monotonic s of the previous check()
        self._grace_from: float | None = None  # the stall clock restarts here after our own stall
        self.clock: SampleClock | None = None  # UTC time of the captured samples (set by start())

    def open(self) -> None:
        if self.device_info is not None:
            return
        sd = sounddevice_module()
        info = resolve_input_device(self.device)
        rate = int(self.requested_rate_hz or info["default_rate_hz"])
        check_rate(rate, f"device '{info['name']}'", DeviceError)
        try:
            sd.check_input_settings(device=info["index"], channels=1, samplerate=rate, dtype="float32")
        except Exception as e:
            raise DeviceError(f"device '{info['name']}' refuses {rate} Hz mono capture ({short_reason(e)})") from None
        self.device_info = info
        self.sample_rate_hz = rate
        self.description = info["name"]

    def _callback(self, indata, frames, time_info, status) -> None:  # audio thread: copy, return
        if status:
            self.status_flags += 1
        self._ring.write(indata[:, 0])
        self.clock.observe(self._ring.written)
        self.callbacks += 1
        self._last_callback_time = time.monotonic()
        if self.first_callback_time is None:
            self.first_callback_time = self._last_callback_time

    def _finished(self) -> None:
        if not self._stopping and self._ring is not None:
            self._ring.close(DeviceError(f"device '{self.description}' stopped delivering audio (disconnected?)"))

    def start(self, ring) -> None:
        if self.device_info is None:
            self.open()
        sd = sounddevice_module()
        self._ring = ring
        self.clock = SampleClock(self.sample_rate_hz)
        try:
            self._stream = sd.InputStream(
                device=self.device_info["index"], channels=1, samplerate=self.sample_rate_hz, dtype="float32",
                blocksize=max(64, int(self.sample_rate_hz * self.block_s)), callback=self._callback,
                finished_callback=self._finished,
            )
            self._started_time = time.monotonic()
            self._stream.start()
        except Exception as e:
            raise DeviceError(f"cannot open device '{self.description}' at {self.sample_rate_hz} Hz ({short_reason(e)})") from None

    def check(self, stall_s: float = 5.0) -> None:
        """Raise :class:`DeviceError` if the stream died or delivers nothing for ``stall_s`` seconds.

        Called about every 0.5 s by the engine's worker. When the checks themselves were held up
        for over ``stall_s / 2`` (the process was stopped or starved of CPU), the callbacks were
        held up too and the device is not to blame: it gets ``stall_s`` again from then."""
        if self._stream is None or self._stopping:
            return
        now = time.monotonic()
        if not self._stream.active:
            raise DeviceError(f"device '{self.description}' stopped delivering audio (disconnected?)")
        prev, self._last_check_time = self._last_check_time, now
        if prev is not None and now - prev > stall_s / 2:
            self._grace_from = now
        last = max(self._last_callback_time or self._started_time or now, self._grace_from or 0.0)
        if now - last > stall_s:
            raise DeviceError(f"device '{self.description}' delivered no audio for {now - last:.1f} s (vanished?)")

    def stop(self) -> None:
        self._stopping = True
        s, self._stream = self._stream, None
        close_stream(s)
        if self._ring is not None:
            self._ring.close()
