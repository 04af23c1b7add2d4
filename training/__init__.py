"""Training side of stream-tagger: corpus building, features, model training (needs the ``train`` extra)."""
