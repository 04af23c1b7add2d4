"""Training side of stream-tagger: corpus building, features, model training (needs the ``train`` extra)."""

import os

# TensorFlow's oneDNN kernels, which its Linux build leaves off on CPUs without the newest vector
# extensions (this AMD EPYC among them): on, a training step of the compact network takes 0.35 s
# instead of 0.74 s with two threads (benchmarks/bench_train_step.py). Set before anything imports
# TensorFlow; TF_ENABLE_ONEDNN_OPTS=0 in the environment still turns them off.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
