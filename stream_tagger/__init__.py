"""stream-tagger: real-time speech / music / noise / silence tagging.

Data flow, one module per stage: ``sources`` -> ``ring_buffer`` -> ``frontend`` (log-mel)
-> ``model`` (TFLite) -> ``postprocess`` (silence, smoothing, boundaries) -> ``outputs``.
"""

__version__ = "0.1.0"
