"""The corpus's labels and splits: which split (train / val / test) a group's files go to.

A group (a speaker, a track, a sound with its numbered variants: see
:mod:`training.corpus_sources`) is never split: :func:`assign_split` hashes its key with
``SPLIT_SALT``. A source's pinned split (``Source.split``) and the held-out corpus's single split
are applied before it by :func:`training.corpus.build_manifest`.
"""

from __future__ import annotations

import hashlib

LABELS = ("speech", "music", "noise")
SPLITS = ("train", "val", "test")
# Salt of the split hash. Chosen once by trying the salts "0:" .. "2999:" on the Debian corpus
# (groups and hours of its manifest) for the one whose val and test splits each hold 8-12 % of
# every label's hours (real and generated noise counted apart) and whose test split has
# 8 kHz telephone speech. Changing it reshuffles every split.
SPLIT_SALT = "939:"
SPLIT_RULE = (f"sha1('{SPLIT_SALT}' + group) % 100: < 80 train, < 90 val, else test; "
              "a source's pinned split first (corpus_sources.Source.split)")


def assign_split(group: str) -> str:
    """Deterministic split of a group key: sha1(SPLIT_SALT + group) % 100 -> <80 train, <90 val, else test."""
    bucket = int(hashlib.sha1((SPLIT_SALT + group).encode("utf-8")).hexdigest(), 16) % 100
    if bucket < 80:
        return "train"
    return "val" if bucket < 90 else "test"
