"""How many hours of each label a list of sources adds, before it is built into the corpus.

    python -m training.measure_sources training.corpus_sources_noise.NOISE_DEBIAN_SOURCES \
        --data-dir /tmp/noise_round --debs-dir data/debs --exclude-manifest data/corpus/manifest.jsonl

Builds only the Debian sources of that list (the named module attribute, a tuple of
:class:`~training.corpus_rules_common.Source`) into ``--data-dir`` with the corpus builder's own
fetching, rules and duplicate removal, no generated noise; files whose bytes are already in
``--exclude-manifest`` (the training corpus) are not counted, as a full build would drop them.
Prints one row per source (hours per label, licences, files) and the totals in hours.
"""

from __future__ import annotations

import argparse
import importlib
import sys


def measure(sources: tuple, data_dir: str, debs_dir: str, exclude_manifest: str | None = None,
            jobs: int = 1) -> dict:
    """Per source of ``sources`` built alone: ``{"license": set, "hours": {label: h}, "files": n}``
    (:func:`training.data_sources.per_source`)."""
    from .corpus import build_from_debian
    from .data_sources import per_source
    from .features import read_manifest

    exclude = frozenset(r["sha1"] for r in read_manifest(exclude_manifest)) if exclude_manifest else frozenset()
    rows, _ = build_from_debian(data_dir, debs_dir, jobs, generated_total_s=0.0, sources=sources,
                                exclude_sha1=exclude)
    return per_source(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", help="MODULE.ATTRIBUTE naming a tuple of Source, e.g. "
                                    "training.corpus_sources_noise.NOISE_DEBIAN_SOURCES")
    ap.add_argument("--data-dir", required=True, help="where to build them (not the training corpus's folder)")
    ap.add_argument("--debs-dir", default="data/debs", help="the .deb cache (downloads go there)")
    ap.add_argument("--exclude-manifest", default=None, help="the training corpus's manifest.jsonl")
    ap.add_argument("--jobs", type=int, default=1)
    a = ap.parse_args(argv)
    module, _, name = a.sources.rpartition(".")
    try:
        sources = tuple(getattr(importlib.import_module(module), name))
    except (ImportError, AttributeError, ValueError, TypeError) as e:
        print(f"measure_sources: {a.sources}: not a list of sources ({e})", file=sys.stderr)
        return 2
    per = measure(sources, a.data_dir, a.debs_dir, a.exclude_manifest, a.jobs)
    labels = sorted({lab for e in per.values() for lab in e["hours"]})
    print("| source | " + " | ".join(f"{lab} (h)" for lab in labels) + " | licence | files |")
    print("|---|" + "---:|" * len(labels) + "---|---:|")
    for src in sorted(per, key=lambda s: -sum(per[s]["hours"].values())):
        e = per[src]
        print(f"| {src} | " + " | ".join(f"{e['hours'].get(lab, 0.0):.4f}" for lab in labels)
              + f" | {'; '.join(sorted(e['license']))} | {e['files']} |")
    totals = {lab: sum(e["hours"].get(lab, 0.0) for e in per.values()) for lab in labels}
    print("total: " + ", ".join(f"{lab} {totals[lab]:.3f} h from {sum(1 for e in per.values() if e['hours'].get(lab))} "
                                f"sources" for lab in labels) + f"; {sum(e['files'] for e in per.values())} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
