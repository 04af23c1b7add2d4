"""stream-tagger: real-time speech / music / noise / silence tagging.

Data flow, one module per stage: ``sources/`` (file, stdin, device; format checks) ->
``ring_buffer`` -> ``resampler`` (to 16 kHz) -> ``analysis`` (``frontend`` log-mel -> ``model``
TFLite -> ``postprocess`` decisions and boundaries) -> ``outputs`` / ``labels`` / ``gui/``;
``engine`` runs it all on a worker thread for any source.
"""

__version__ = "0.1.0"
