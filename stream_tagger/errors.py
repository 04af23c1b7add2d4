"""Errors the CLI reports as one clear line (no traceback) with a non-zero exit."""


class TaggerError(Exception):
    """A user-facing problem: bad input file, device, or model. Message is one line."""


class AudioFileError(TaggerError):
    """A file that is missing, not audio, truncated, empty or in an unsupported format."""


class ModelError(TaggerError):
    """A model file that is missing, corrupt, or whose metadata does not fit the runtime."""


class DeviceError(TaggerError):
    """An unknown or vanished audio device, or a sample rate it refuses."""
