"""The verbs' implementations, one module per verb family; :mod:`stream_tagger.cli` holds the parser."""
