"""The embedding API in one import: a source goes in, labelled hops and segments come out.

    from stream_tagger.api import Tagger, FileSource, MicSource, tag_file

    segments = tag_file("talk.flac")                     # whole file, as fast as possible
    tagger = Tagger(hop_s=0.25)                          # shipped model
    for event in tagger.stream(MicSource(device="USB")):  # Hop every 0.25 s, Segment when one closes
        print(event)                                     # tagger.stop() from any thread ends it

    tagger.run(FileSource("a.wav", speed=1.0), on_hop=print, on_segment=print)

    for path, result in tag_files(["archive/"], jobs=0):  # many files, every core (or client=Dask)
        print(path, result)                              # segments (with .duration_s) or the error

See :mod:`stream_tagger.engine` for the events, timing rules and the display snapshot.
"""

from .archive import tag_files
from .engine import EngineSnapshot, RunStats, Tagger, tag_file
from .errors import AudioFileError, DeviceError, ModelError, TaggerError
from .events import LABELS, Hop, Segment
from .sources import FileSource, MicSource, StdinSource, list_input_devices

__all__ = [
    "Tagger", "tag_file", "tag_files", "EngineSnapshot", "RunStats",
    "FileSource", "MicSource", "StdinSource", "list_input_devices",
    "Hop", "Segment", "LABELS",
    "TaggerError", "AudioFileError", "DeviceError", "ModelError",
]
