"""The level meter (dBFS envelope over 10 ms blocks) and the post-processing units built on it:
RunTracker's minimum durations and refine_boundary's search for a segment's edge."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import RATE

from stream_tagger.level import LevelMeter, envelope_dbfs, power_to_dbfs
from stream_tagger.postprocess import RunTracker, refine_boundary


def test_level_envelope_units_dc_and_chunking():
    t = np.arange(RATE) / RATE
    sine = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    env = envelope_dbfs(sine)
    assert env.shape == (100,)
    assert np.all(np.abs(env[10:] - (-3.01)) < 0.05)  # full-scale sine: -3 dBFS
    assert np.all(envelope_dbfs(np.zeros(RATE, np.float32)) == -120.0)
    dc = envelope_dbfs(np.full(RATE, 0.5, np.float32))
    assert np.all(dc[20:] < -60)  # a DC offset is not sound
    m1, m2 = LevelMeter(), LevelMeter()
    x = 0.1 * np.random.default_rng(0).standard_normal(RATE).astype(np.float32) + 0.2
    a = m1.push(x)
    b = np.concatenate([m2.push(c) for c in np.array_split(x, 37)])
    np.testing.assert_array_equal(a, b)
    assert power_to_dbfs(0.0) == -120.0
    # a last partial block counts, over the samples it has
    part = envelope_dbfs(x[:250])
    assert part.shape == (2,) and part[1] == pytest.approx(float(power_to_dbfs(np.var(x[160:250].astype(np.float64)))))


def test_run_tracker_min_durations_backdate_boundaries():
    tr = RunTracker(min_on=2, min_off=2)
    raw = [0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1]
    states, opened, closed = [], [], []
    for k, r in enumerate(raw):
        s, o, c = tr.update(k, bool(r))
        states.append(int(s))
        if o is not None:
            opened.append(o)
        if c is not None:
            closed.append(c)
    # single on-cell at 1 ignored; run from 3 confirmed at 4 (start back-dated to 3);
    # one-cell gap at 6 bridged; off-run from 9 closes at 10 with end back-dated to 9
    assert opened == [3]
    assert closed == [(3, 9)]
    assert states == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    assert tr.flush(len(raw)) is None


def test_refine_boundary_finds_the_step():
    env = np.full(200, -90.0)
    env[123:] = -20.0  # sound starts at block 123
    assert refine_boundary(env, 1000, 1125, 1075, 1175, rising=True, floor_dbfs=-70) == 1123
    assert refine_boundary(env, 1000, 1125, 1075, 1175, rising=False, floor_dbfs=-70) == 1125  # no fall
    flat = np.full(200, -30.0)
    assert refine_boundary(flat, 0, 100, 50, 150, rising=True, floor_dbfs=-70) == 100


def test_silence_edges_prefer_the_drop_to_room_tone_and_the_start_of_a_ramp():
    # a word's loud part, a quiet tail at -53 dBFS (below the -50 silence level), then room tone
    env = np.concatenate([np.full(40, -20.0), np.full(16, -53.0), np.full(40, -79.0)])
    # strongest fall is into the tail (block 40); silence starts at the last drop into quiet (56)
    assert refine_boundary(env, 0, 50, 25, 60, rising=False, floor_dbfs=-70) == 40
    assert refine_boundary(env, 0, 50, 25, 60, rising=False, floor_dbfs=-70, pick="last", gate_dbfs=-50) == 56
    # a soft onset ramp: the boundary goes to the first block of the climb, not mid-ramp
    onset = np.concatenate([np.full(30, -79.0), [-53.0, -46.0, -34.0], np.full(30, -23.0)])
    assert refine_boundary(onset, 0, 40, 20, 45, rising=True, floor_dbfs=-70, pick="first", gate_dbfs=-50) == 30
    # but a faint precursor 40 dB under the onset (filter pre-ringing) is not the start
    pre = np.concatenate([np.full(30, -76.0), [-55.0], np.full(30, -14.0)])
    assert refine_boundary(pre, 0, 40, 20, 45, rising=True, floor_dbfs=-70) == 31
