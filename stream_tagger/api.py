"""The embedding API in one import: a source goes in, labelled hops and segments come out.

    from stream_tagger.api import Tagger, FileSource, MicSource, StreamSource, tag_file

    segments = tag_file("talk.flac")                     # whole file, as fast as possible
    tagger = Tagger(hop_s=0.25)                          # shipped model
    for event in tagger.stream(MicSource(device="USB")):  # Hop every 0.25 s, Segment when one closes
        print(event)                                     # tagger.stop() from any thread ends it

    tagger.run(FileSource("a.wav", speed=1.0), on_hop=print, on_segment=print)
    for event in tagger.stream(StreamSource("http://radio.example/live.mp3")):  # Hop, Segment, Gap
        print(event)                                     # live sources: event.utc (ISO 8601 UTC)

    for path, result in tag_files(["archive/"], jobs=0):  # many files, every core (or client=Dask)
        print(path, result)                              # segments (with .duration_s) or the error

See :mod:`stream_tagger.engine` for the events, timing rules and the display snapshot.
"""

from .archive import tag_files
from .engine import EngineSnapshot, RunStats, Tagger, tag_file
from .errors import AudioFileError, DeviceError, ModelError, StreamError, TaggerError
from .events import LABELS, Gap, Hop, Segment
from .sources import FileSource, MicSource, StdinSource, StreamSource, list_input_devices

__all__ = [
    "Tagger", "tag_file", "tag_files", "EngineSnapshot", "RunStats",
    "FileSource", "MicSource", "StdinSource", "StreamSource", "list_input_devices",
    "Hop", "Segment", "Gap", "LABELS",
    "TaggerError", "AudioFileError", "DeviceError", "ModelError", "StreamError",
]
