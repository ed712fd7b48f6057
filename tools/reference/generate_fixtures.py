#!/usr/bin/env python3
"""Generate Neuromesh's conformance fixtures from NengoLoihi's emulator.

Every case below is written as one of our network directories
(``docs/network-format.md``) under
``Tests/EmulatorTests/Fixtures/conformance/<case>/``, run on NengoLoihi 1.1.0's
``EmulatorInterface`` through ``neuromesh_nengo_loihi.py``, and stored with the
expected per-step state:

    <case>/network.json            (+ any .npy / .csv it references)
    <case>/case.json               {"steps", "description", "reference"}
    <case>/expected/<layer>.spikes.npy    int8  [steps, size]
    <case>/expected/<layer>.voltage.npy   int32 [steps, size]
    <case>/expected/<layer>.current.npy   int32 [steps, size]

Row k of every expected array is the state at the end of step k + 1 (steps are
numbered from 1). ``current`` is u (without bias); ``voltage`` is v after the
spike reset. Many cases also carry a hand-derived check of the behaviour they
target (``check=``), asserted here, so a wrong translation is caught before it
becomes a fixture.

Deterministic (fixed numpy seeds, emulator seed 0) and re-runnable: the
conformance folder is deleted and rewritten (with ``--only``, just those cases).

    tools/reference/.venv/bin/python tools/reference/generate_fixtures.py
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import neuromesh_nengo_loihi as nnl  # noqa: E402

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "Tests", "EmulatorTests", "Fixtures", "conformance")
PINS = {"nengo-loihi": "1.1.0", "nengo": "3.2.0", "numpy": "1.26.4"}
REFERENCE = " ".join("%s==%s" % kv for kv in PINS.items())

VMAX_MAX = 2 ** 23 - 1
VMIN_MIN = -(2 ** 23 - 1)
VTH_MANT_MAX = 2 ** 17 - 1
WGT_VALUES = [255, 254, 253, 3, 1, 0, -1, -3, -255, -256, 129, 127, 65, 64, 63,
              -63, -64, -65, 192, -192, 251, -99]


# --------------------------------------------------------------------------
# Case description helpers
# --------------------------------------------------------------------------


class Case:
    """A network under construction plus how long to run it and what to check."""

    def __init__(self, name, description, steps, check=None, expect_warnings=(),
                 forbid_warnings=(), probes=True):
        assert 30 <= steps <= 200
        self.name = name
        self.description = description
        self.steps = steps
        self.check = check
        self.expect_warnings = tuple(expect_warnings)
        self.forbid_warnings = tuple(forbid_warnings)
        self.probes = probes
        self.inputs = []
        self.layers = []
        self.connections = []
        self.files = {}  # relative name -> ndarray or csv text

    # -- inputs
    def spike_train(self, name, size, spike_times=None, csv_file=None, csv_shuffle=None):
        """spike_times: list of `size` lists of steps; csv_file: write them as a CSV
        spike_file instead (rows sorted by step, or shuffled with seed csv_shuffle)."""
        times = [sorted(int(t) for t in ts) for ts in spike_times]
        assert len(times) == size
        obj = {"name": name, "kind": "spike_train", "size": size}
        if csv_file:
            rows = sorted((t, n) for n, ts in enumerate(times) for t in ts)
            if csv_shuffle is not None:
                order = np.random.RandomState(csv_shuffle).permutation(len(rows))
                rows = [rows[i] for i in order]
            self.files[csv_file] = "step,neuron\n" + "".join("%d,%d\n" % r for r in rows)
            obj["spike_file"] = csv_file
        else:
            obj["spike_times"] = times
        self.inputs.append(obj)
        return name

    # -- layers
    def layer(self, name, size, model="LoihiSpikingRectifiedLinear", bias_file=None,
              bias_dtype=np.int16, files=None, **params):
        """files: per-neuron fields (decay_u, decay_v, vth_mant, refract_delay) to write as
        .npy files, {key: file name}; other per-neuron fields are written inline."""
        files = files or {}
        neuron = {"model": model}
        for key in ("decay_u", "decay_v", "vth_mant", "bias_mant", "bias_exp",
                    "refract_delay", "vmin", "vmax"):
            if key not in params:
                continue
            v = params.pop(key)
            if key in ("decay_u", "decay_v", "vth_mant", "refract_delay") and not np.isscalar(v):
                v = np.asarray(v)
                assert v.shape == (size,)
                if key in files:
                    self.files[files[key]] = v.astype(np.int32)
                    v = files[key]
                else:
                    v = [int(x) for x in v]
            elif key == "bias_mant" and not np.isscalar(v):
                v = np.asarray(v)
                assert v.shape == (size,)
                if bias_file:
                    self.files[bias_file] = v.astype(bias_dtype)
                    v = bias_file
                else:
                    v = [int(x) for x in v]
            else:
                v = int(v)
            neuron[key] = v
        assert not params, "unknown neuron params %s" % params
        assert "vth_mant" in neuron
        self.layers.append({"name": name, "size": size, "neuron": neuron})
        return name

    # -- connections
    def connect(self, src, dst, weights, weight_exp=None, weight_bits=None,
                file=None, dtype=np.int16):
        w = np.asarray(weights)
        assert w.ndim == 2
        assert w.shape == (self._size(dst), self._size(src)), (w.shape, src, dst)
        obj = {"from": src, "to": dst}
        if file:
            arr = w.astype(dtype)
            assert np.array_equal(arr, w)
            self.files[file] = arr
            obj["weights"] = file
        else:
            obj["weights"] = [[int(x) for x in row] for row in w]
        if weight_exp is not None:
            obj["weight_exp"] = int(weight_exp)
        if weight_bits is not None:
            obj["weight_bits"] = int(weight_bits)
        self.connections.append(obj)

    def _size(self, name):
        for x in self.inputs + self.layers:
            if x["name"] == name:
                return x["size"]
        raise KeyError(name)

    # -- output
    def network_json(self):
        doc = {"version": 1, "name": self.name}
        if self.inputs:
            doc["inputs"] = self.inputs
        doc["layers"] = self.layers
        if self.connections:
            doc["connections"] = self.connections
        if self.probes:
            doc["probes"] = [{"layer": l["name"], "kind": k}
                             for l in self.layers for k in ("spikes", "voltage", "current")]
        return doc


def dump_network(doc):
    """JSON with one line per input / layer / connection / probe (diff friendly)."""
    one = lambda x: json.dumps(x, separators=(", ", ": "))  # noqa: E731
    parts = ['  "version": %d' % doc["version"], '  "name": %s' % json.dumps(doc["name"])]
    for key in ("inputs", "layers", "connections", "probes"):
        if key in doc:
            items = ",\n".join("    " + one(x) for x in doc[key])
            parts.append('  "%s": [\n%s\n  ]' % (key, items))
    return "{\n" + ",\n".join(parts) + "\n}\n"


def spike_steps(arr):
    """1-based step numbers at which a 1-D spike column is 1."""
    return (np.flatnonzero(arr) + 1).tolist()


def every(start, period, steps):
    return list(range(start, steps + 1, period))


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def bias_relu_constant():
    def check(r):
        s = r["relu"]["spikes"]
        assert spike_steps(s[:, 0]) == every(7, 7, 50), spike_steps(s[:, 0])
        v = r["relu"]["voltage"][:, 0]
        assert v[:6].tolist() == [1000, 2000, 3000, 4000, 5000, 6000] and v[6] == 0
        assert spike_steps(s[:, 1]) == every(7, 7, 50)  # 999 * 7 = 6993 > 6400
        assert s[:, 2].sum() == 0                      # bias 0
        assert spike_steps(s[:, 4]) == every(2, 2, 50)  # 4095 * 2 > 6400
        assert (r["relu"]["current"] == 0).all()       # u excludes bias
        assert spike_steps(r["fast"]["spikes"][:, 0]) == every(1, 1, 50)  # 6402 > 6400
        assert spike_steps(r["fast"]["spikes"][:, 1]) == every(2, 2, 50)  # 6400 is not > 6400
    c = Case("bias_relu_constant",
             "Non-leaky neurons (vth_mant 100 -> vth 6400) driven only by bias: bias 1000 "
             "spikes at steps 7, 14, 21, ... (v = 1000 t, spike when v > 6400, reset to 0); "
             "also bias 999, 0, 64, 4095; bias 3201 * 2^1 = 6402 spikes every step while "
             "3200 * 2^1 reaches exactly 6400 first and spikes every second step; current "
             "stays 0.",
             50, check)
    c.layer("relu", 5, vth_mant=100, bias_mant=[1000, 999, 0, 64, 4095])
    c.layer("fast", 2, vth_mant=100, bias_mant=[3201, 3200], bias_exp=1)
    return c


@case
def bias_strict_threshold():
    def check(r):
        s, v = r["thr"]["spikes"], r["thr"]["voltage"]
        assert v[9, 0] == 6400 and s[9, 0] == 0           # reaches vth exactly: no spike
        assert spike_steps(s[:, 0])[:2] == [11, 22]
        assert spike_steps(s[:, 1])[:2] == [10, 20]       # 641 * 10 = 6410 > 6400
        s1, v1 = r["thr1"]["spikes"], r["thr1"]["voltage"]
        assert v1[0, 0] == 64 and s1[0, 0] == 0
        assert spike_steps(s1[:, 0])[:3] == [2, 4, 6]     # 128 > 64
        assert spike_steps(s1[:, 1])[:2] == [2, 4]        # 66 > 64
        assert spike_steps(s1[:, 2])[:2] == [3, 6]        # 96 > 64; 64 is not
    c = Case("bias_strict_threshold",
             "Spike condition is strictly v > vth: bias 640 reaches exactly vth 6400 at step 10 "
             "without spiking (spikes at 11); bias 641 spikes at 10; a second layer with "
             "vth_mant 1 (vth 64) and bias 64 / 33 / 32.",
             40, check)
    c.layer("thr", 2, vth_mant=100, bias_mant=[640, 641])
    c.layer("thr1", 3, vth_mant=1, bias_mant=[64, 33, 32])
    return c


@case
def bias_negative():
    def check(r):
        assert (r["clip0"]["voltage"] == 0).all()
        v = r["deep"]["voltage"]
        assert v[:3, 0].tolist() == [-1, -2, -3]
        assert v[:2, 2].tolist() == [-4096, -8192]
        v7 = r["deep7"]["voltage"][:, 0]
        assert v7[0] == -4096 * 128 and v7[14] == -15 * 4096 * 128
        assert (v7[15:] == VMIN_MIN).all()                # -16 * 524288 = -2^23 < vmin
        assert spike_steps(r["mixed"]["spikes"][:, 1]) == every(7, 7, 40)
        assert r["mixed"]["voltage"][-1, 2] == -(2 ** 15 - 1)
    c = Case("bias_negative",
             "Negative bias: with vmin 0 the voltage stays 0; with vmin -(2^23-1) it ramps "
             "down linearly (bias -1, -100, -4096) and with -4096 * 2^7 reaches the floor "
             "-(2^23-1) at step 16; per-neuron mixed-sign biases in one layer with vmin -(2^15-1).",
             40, check)
    c.layer("clip0", 2, vth_mant=100, bias_mant=[-1, -4096])
    c.layer("deep", 3, vth_mant=100, bias_mant=[-1, -100, -4096], vmin=VMIN_MIN)
    c.layer("deep7", 1, vth_mant=100, bias_mant=-4096, bias_exp=7, vmin=VMIN_MIN)
    c.layer("mixed", 4, vth_mant=100, bias_mant=[-500, 1000, -4096, 4095], vmin=-(2 ** 15 - 1))
    return c


@case
def bias_exp_sweep():
    mants = [1, 3, 100, -5, 4095, -4096, 257, 2047]

    def check(r):
        for e in range(8):
            v = r["exp%d" % e]["voltage"]
            b = np.array(mants) * 2 ** e
            assert (v[0] == np.where(b > 20000 * 64, 0, b)).all(), (e, v[0], b)
    c = Case("bias_exp_sweep",
             "bias = bias_mant * 2^bias_exp for bias_exp 0..7 (one layer per exponent, same "
             "per-neuron mantissas incl. -4096 and 4095), vth_mant 20000, vmin -(2^23-1): "
             "voltage ramps / spike times differ by powers of two.",
             60, check)
    for e in range(8):
        c.layer("exp%d" % e, len(mants), vth_mant=20000, bias_mant=mants, bias_exp=e,
                vmin=VMIN_MIN)
    return c


@case
def bias_per_neuron_npy():
    rng = np.random.RandomState(101)
    bias = np.concatenate([[-4096, 4095, 0, 1, -1], rng.randint(-4096, 4096, size=27)])

    def check(r):
        v = r["b"]["voltage"]
        assert (v[0] == np.clip(bias * 4, -(2 ** 15 - 1), None)).all()
        assert r["b"]["spikes"].sum() > 0
    c = Case("bias_per_neuron_npy",
             "Per-neuron bias_mant read from an int16 .npy file (32 neurons incl. -4096, 4095, "
             "0, +-1), bias_exp 2, vth_mant 500, vmin -(2^15-1).",
             40, check)
    c.layer("b", 32, vth_mant=500, bias_mant=bias, bias_file="bias.npy", bias_exp=2,
            vmin=-(2 ** 15 - 1))
    return c


@case
def vth_extremes():
    def check(r):
        s = r["vmaxth"]["spikes"][:, 0]
        assert spike_steps(s)[:1] == [17], spike_steps(s)  # needs vmax clip 8388607 > vth
        assert r["vmaxth"]["voltage"][15, 0] == 16 * 4095 * 128
        assert spike_steps(r["vth1"]["spikes"][:, 0]) == every(1, 1, 40)  # 65 > 64
    c = Case("vth_extremes",
             "Largest threshold vth_mant 131071 (vth 8388544) with bias 4095 * 2^7: v passes "
             "vth only at step 17 after being clipped to vmax 8388607; smallest vth_mant 1 "
             "(vth 64) with bias 65 spikes every step.",
             40, check)
    c.layer("vmaxth", 2, vth_mant=VTH_MANT_MAX, bias_mant=[4095, 4000], bias_exp=7)
    c.layer("vth1", 2, vth_mant=1, bias_mant=[65, 1])
    return c


@case
def leak_decay_v_sweep():
    dvs = [1, 200, 410, 2048, 4000, 4095]

    def check(r):
        for dv in dvs:
            v = r["dv%d" % dv]["voltage"]
            # neuron 1: bias 100, one step of leak: v2 = trunc(100*(4096-dv)/4096) + 100
            assert v[1, 1] == (100 * (4096 - dv)) // 4096 + 100, (dv, v[:3, 1])
            # neuron 2 (negative bias) mirrors neuron 1 (truncation toward zero) until
            # neuron 1 first spikes
            s1 = r["dv%d" % dv]["spikes"][:, 1]
            end = int(np.flatnonzero(s1)[0]) if s1.any() else len(s1)
            assert (v[:end, 2] == -v[:end, 1]).all(), dv
            # neurons 3/4: a sub-threshold +-3200 pulse arriving at step 2 (and 41)
            assert v[1, 3] == 3200 and (v[:40, 4] == -v[:40, 3]).all(), dv
    c = Case("leak_decay_v_sweep",
             "LoihiLIF voltage leak v <- trunc(v (4096 - decay_v) / 4096) + u + bias for decay_v "
             "1, 200, 410, 2048, 4000, 4095 (vth 3840): bias 3900 (spikes at every decay) and "
             "2000, sub-threshold bias +100 and -100 (leak toward an equilibrium, truncation "
             "symmetric about 0), and sub-threshold input pulses of +-50 * 64 at steps 2 and 41 "
             "decaying with no bias.",
             80, check)
    inp = c.spike_train("pulse", 1, [[1, 40]])
    for dv in dvs:
        name = c.layer("dv%d" % dv, 6, model="LoihiLIF", decay_v=dv, vth_mant=60,
                       bias_mant=[2000, 100, -100, 0, 0, 3900], vmin=VMIN_MIN)
        c.connect(inp, name, [[0], [0], [0], [50], [-50], [0]], weight_exp=0)
    return c


@case
def leak_subthreshold_pulse():
    dvs = [1, 64, 410, 1000, 2048, 3500, 4095]

    def check(r):
        for dv in dvs:
            v = r["dv%d" % dv]["voltage"]
            assert v[0, 0] == 0 and v[1, 0] == 254 * 64 * 4
            for k in range(2, 12):
                assert v[k, 0] == (v[k - 1, 0] * (4096 - dv)) >> 12
            assert (v[:, 1] == -v[:, 0]).all()
    c = Case("leak_subthreshold_pulse",
             "Pure voltage leak of a single +-254*2^2*64 pulse (decay_u 4095, no bias, vth never "
             "reached) for decay_v 1, 64, 410, 1000, 2048, 3500, 4095: v decays by truncated "
             "multiplication toward 0, identically for positive and negative v; also a "
             "Wgt +-3 pulse (stored as +-4 * 2^2 * 64).",
             50, check)
    inp = c.spike_train("pulse", 2, [[1], [1]])
    for dv in dvs:
        name = c.layer("dv%d" % dv, 4, model="LoihiLIF", decay_v=dv, vth_mant=VTH_MANT_MAX,
                       vmin=VMIN_MIN)
        c.connect(inp, name, [[254, 0], [-254, 0], [0, 3], [0, -3]], weight_exp=2)
    return c


@case
def current_decay_sweep():
    dus = [0, 1, 409, 741, 2048, 3000, 4094, 4095]

    def check(r):
        for du in dus:
            u = r["du%d" % du]["current"]
            assert (u[:, 1] == -u[:, 0]).all(), du  # truncation toward zero is symmetric
            assert (u[:, 3] == -u[:, 2]).all(), du
            a = 100 * 2 ** 10
            assert u[1, 0] == a
            assert u[2, 0] == (a * (4095 - du)) >> 12, (du, u[:4, 0])
    c = Case("current_decay_sweep",
             "Current decay u <- trunc(u (4095 - decay_u) / 4096) + input for decay_u 0, 1, 409, "
             "741, 2048, 3000, 4094, 4095 (one layer each), driven by input spikes through "
             "positive and exactly opposite negative weights (101 -> +-100 after rounding, "
             "+-255 -> +-254, +-3 -> +-4) at weight_exp 4; negative currents must mirror "
             "positive ones (truncation toward zero). Voltage integrates (vth unreachable).",
             60, check)
    inp = c.spike_train("in", 3, [[1, 30, 31], [15, 30], [45]])
    w = [[101, 0, 0], [-101, 0, 0], [255, 3, 1], [-255, -3, -1], [0, 254, -256]]
    for du in dus:
        name = c.layer("du%d" % du, 5, decay_u=du, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
        c.connect(inp, name, w, weight_exp=4)
    return c


@case
def refractory_sweep():
    delays = [0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 63]

    def check(r):
        for d in delays:
            s = r["ref%d" % d]["spikes"]
            period = max(d, 1)
            assert spike_steps(s[:, 1]) == every(1, period, 150), (d, spike_steps(s[:, 1]))
            # bias 1000 neuron: 7 steps to threshold after the refractory hold
            assert spike_steps(s[:, 0])[:2] == [7, 7 + max(d - 1, 0) + 7], d
            v = r["ref%d" % d]["voltage"][:, 0]
            assert (v[7:7 + max(d - 1, 0)] == 0).all()
    c = Case("refractory_sweep",
             "Refractory delay r = 0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 63 (one layer each) with bias "
             "drive: after a spike v is held at 0 for r - 1 steps (0 and 1 equivalent); bias "
             "3201 * 2 (> vth 6400) spikes every r steps, 500 * 2 every r - 1 + 7 steps; bias "
             "-150 * 2 with vmin -2047 shows the hold also overrides negative voltages.",
             150, check)
    for d in delays:
        c.layer("ref%d" % d, 3, vth_mant=100, bias_mant=[500, 3201, -150], bias_exp=1,
                refract_delay=d, vmin=-2047)
    return c


@case
def refractory_current_integrates():
    def check(r):
        s = r["n"]["spikes"]
        u = r["n"]["current"]
        v = r["n"]["voltage"]
        assert spike_steps(s[:, 0])[0] == 1
        assert (v[1:10, 0] == 0).all() and (u[2:10, 0] != 0).all()
        assert u[5, 0] > u[2, 0]  # current kept integrating while refractory
    c = Case("refractory_current_integrates",
             "During the refractory hold the current u keeps decaying and integrating input "
             "(decay_u 200, an input spike every step from step 1) while v is forced to 0; "
             "refract_delay 10, bias 3201 * 2 for an immediate first spike, plus neurons with "
             "input only and a LoihiLIF layer with decay_v 300.",
             60, check)
    inp = c.spike_train("drive", 1, [every(1, 1, 60)])
    n = c.layer("n", 3, decay_u=200, vth_mant=100, bias_mant=[3201, 0, 3201], bias_exp=1,
                refract_delay=10)
    c.connect(inp, n, [[3], [7], [-5]], weight_exp=0)
    lif = c.layer("lif", 2, model="LoihiLIF", decay_u=200, decay_v=300, vth_mant=300,
                  bias_mant=[3201, 1000], bias_exp=1, refract_delay=10)
    c.connect(inp, lif, [[5], [20]], weight_exp=0)
    return c


@case
def inhibitory_weights():
    def check(r):
        s = r["exc"]["spikes"]
        assert s[:10].sum() > 0 and s[12:21, 0].sum() == 0  # inhibition silences neuron 0
        assert (r["neg"]["voltage"][12:20, 0] < 0).all()
        assert (r["exc"]["voltage"] >= 0).all()
    c = Case("inhibitory_weights",
             "Negative (inhibitory) weights: an excitatory source every step plus an inhibitory "
             "source active at steps 10-20; with vmin 0 the voltage clips at 0, with vmin "
             "-(2^17-1) it goes negative and recovers; includes -256 and odd negative weights.",
             50, check)
    ex = c.spike_train("ex", 1, [every(1, 1, 50)])
    ih = c.spike_train("inh", 1, [list(range(10, 21))])
    exc = c.layer("exc", 3, decay_u=1024, vth_mant=200)
    c.connect(ex, exc, [[200], [150], [101]], weight_exp=1)
    c.connect(ih, exc, [[-256], [-99], [-33]], weight_exp=2)
    neg = c.layer("neg", 3, model="LoihiLIF", decay_u=1024, decay_v=128, vth_mant=200,
                  vmin=-(2 ** 17 - 1))
    c.connect(ex, neg, [[200], [150], [101]], weight_exp=1)
    c.connect(ih, neg, [[-256], [-99], [-33]], weight_exp=2)
    return c


@case
def vmin_saturation():
    def check(r):
        v = r["vmin2047"]["voltage"][:, 0]
        assert v[19] == -2000 and v[20] == -2047 and (v[20:] == -2047).all()
        v = r["vminmax"]["voltage"][:, 0]
        assert v[14] == -15 * 4096 * 128 and (v[15:] == VMIN_MIN).all()
        assert (r["vmin0"]["voltage"] == 0).all()
        assert (r["vmin1"]["voltage"][:, 0] == -1).all()
        # recovery from the floor: after the negative input stops, positive bias climbs
        v = r["recover"]["voltage"][:, 0]
        assert v.min() == -(2 ** 11 - 1) and r["recover"]["spikes"].sum() > 0
    c = Case("vmin_saturation",
             "Voltage floor vmin = -(2^e - 1): e 11 (-2047) with bias -100 sticks at -2047 from "
             "step 21; e 23 (-(2^23-1)) with bias -4096 * 2^7 from step 16; e 0 (vmin 0) and "
             "e 1 (vmin -1); and a neuron pushed to the floor by inhibitory input that then "
             "climbs back with positive bias and spikes.",
             60, check)
    c.layer("vmin2047", 1, vth_mant=100, bias_mant=-100, vmin=-2047)
    c.layer("vminmax", 1, vth_mant=100, bias_mant=-4096, bias_exp=7, vmin=VMIN_MIN)
    c.layer("vmin0", 1, vth_mant=100, bias_mant=-4096)
    c.layer("vmin1", 1, vth_mant=100, bias_mant=-4096, vmin=-1)
    inh = c.spike_train("inh", 1, [list(range(1, 11))])
    rec = c.layer("recover", 1, vth_mant=20, bias_mant=200, vmin=-2047)
    c.connect(inh, rec, [[-256]], weight_exp=0)
    return c


@case
def vmax_saturation():
    def check(r):
        v = r["vmax19"]["voltage"][:, 0]
        assert v[0] == 524160 and (v[1:] == 2 ** 19 - 1).all()
        assert r["vmax19"]["spikes"].sum() == 0
        v = r["vmax511"]["voltage"][:, 0]
        assert (v[1:] == 511).all() and r["vmax511"]["spikes"].sum() == 0
        assert spike_steps(r["vmax511_spk"]["spikes"][:, 0]) == every(2, 2, 40)
        assert spike_steps(r["vmax511b"]["spikes"][:, 0]) == every(2, 2, 40)
        assert r["vmax2047"]["voltage"].max() == 2047
    c = Case("vmax_saturation",
             "Voltage ceiling vmax = 2^(9+2f) - 1: vmax 2^19-1 with bias 4095 * 2^7 and vth "
             "above vmax (never spikes, v pinned at 524287); vmax 511 with vth 512 (never "
             "spikes: the clipped 511 is not > 512) vs vth 448 (spikes); vmax 511 with vth 320 "
             "and bias 300 (v 600 clipped to 511, spikes at steps 2, 4, ...); large input "
             "spikes against vmax 2047.",
             40, check)
    c.layer("vmax19", 1, vth_mant=9000, bias_mant=4095, bias_exp=7, vmax=2 ** 19 - 1)
    c.layer("vmax511", 1, vth_mant=8, bias_mant=300, vmax=511)
    c.layer("vmax511_spk", 1, vth_mant=7, bias_mant=300, vmax=511)
    c.layer("vmax511b", 1, vth_mant=5, bias_mant=300, vmax=511)
    inp = c.spike_train("kick", 1, [[3, 4, 5, 20]])
    big = c.layer("vmax2047", 2, decay_u=0, vth_mant=40, vmax=2047)
    c.connect(inp, big, [[254], [16]], weight_exp=5)
    return c


@case
def q_overflow():
    n_src = 8
    big = 127 * 2 ** 14  # stored weight of Wgt 254 at weight_exp 7

    def wrap21(x):
        return ((x + 2 ** 21) % 2 ** 22) - 2 ** 21

    def check(r):
        u = r["pos"]["current"]
        for k in range(n_src):
            assert u[1, k] == wrap21((k + 1) * big), (k, u[1, k])
        u = r["neg"]["current"]
        for k in range(n_src):
            assert u[1, k] == wrap21(-(k + 1) * big), (k, u[1, k])
        assert r["mid"]["current"][1].tolist() == [-2 ** 21, 2 ** 21 - 2 ** 14, -2 ** 21]
    c = Case("q_overflow",
             "Synaptic input accumulator overflow: k = 1..8 coincident input spikes each adding "
             "254 * 2^7 * 64 = 2080768 (and -256 -> -2080768) wrap the per-step sum q at 21 bits "
             "plus sign (-2^21 ... 2^21 - 1) before it is added to u (decay_u 4095 so u = q); "
             "sums of exactly 2^21 wrap to -2^21, 2^21 - 2^14 does not.",
             30, check, expect_warnings=["Overflow in q0"])
    inp = c.spike_train("burst", n_src, [[1, 2, 10, 11, 12]] * n_src)
    w = np.tril(np.ones((n_src, n_src), dtype=int))  # neuron k receives k + 1 sources
    pos = c.layer("pos", n_src, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, pos, 254 * w, weight_exp=7)
    neg = c.layer("neg", n_src, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, neg, -256 * w, weight_exp=7)
    # right at the limit: Wgt 128 at exp 7 adds 2^20; two of them make exactly 2^21, which
    # wraps to -2^21; 128 + 126 stays 2^14 below; 254 + 2 is exactly 2^21 again
    mid = c.layer("mid", 3, decay_u=4095, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, mid, [[128, 128] + [0] * 6, [128, 126] + [0] * 6, [254, 2] + [0] * 6],
              weight_exp=7)
    return c


@case
def u_overflow():
    big = 127 * 2 ** 14

    def check(r):
        u = r["acc"]["current"]
        # u accumulates almost without decay; it wraps at 23 bits + sign in step 6
        assert u[1, 0] == big and u[2, 0] == (big * 4095 >> 12) + big
        assert u[4, 0] == 8320024 and u[5, 0] == 8320024 * 4095 // 4096 + big - 2 ** 24
        assert (u[:, 1] == -u[:, 0]).all()  # -256 saturates to -254: exact mirror
    c = Case("u_overflow",
             "Current overflow: decay_u 0 (u keeps 4095/4096 per step) and a 254 * 2^7 * 64 input "
             "spike every step make u exceed 2^23 - 1 at step 6 and wrap to negative (23 bits "
             "plus sign); also negative input wrapping positive, and a slower weight_exp 5 "
             "accumulation.",
             40, check, expect_warnings=["Overflow in current"])
    inp = c.spike_train("drive", 1, [every(1, 1, 40)])
    acc = c.layer("acc", 3, decay_u=0, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, acc, [[254], [-256], [-3]], weight_exp=7)
    slow = c.layer("slow", 2, decay_u=0, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, slow, [[254], [-254]], weight_exp=5)
    return c


@case
def u_bias_overflow():
    def check(r):
        u = r["ub"]["current"]
        v = r["ub"]["voltage"]
        assert u.max() < 2 ** 23 and u.min() >= -2 ** 23
        assert (v[5:12, 0] < 0).all(), v[:12, 0]  # u + bias wrapped negative
    c = Case("u_bias_overflow",
             "u + bias overflow: the current is built up to ~8.3e6 (< 2^23) with four "
             "254 * 2^7 inputs at decay_u 0, then bias 4095 * 2^7 pushes u + bias past 2^23 - 1 "
             "so the sum wraps negative (the current itself does not overflow); mirrored with "
             "negative input and bias -4096 * 2^7; LoihiLIF with decay_v 4095 shows the "
             "per-step u + bias directly.",
             40, check, expect_warnings=["Overflow in u2"], forbid_warnings=["Overflow in current"])
    inp = c.spike_train("charge", 2, [[1, 2, 3, 4], [1, 2, 3, 4]])
    ub = c.layer("ub", 3, model="LoihiLIF", decay_u=0, decay_v=4095, vth_mant=VTH_MANT_MAX,
                 bias_mant=[4095, 0, 100], bias_exp=7, vmin=VMIN_MIN)
    c.connect(inp, ub, [[254, 0], [254, 0], [254, 0]], weight_exp=7)
    ubn = c.layer("ubneg", 2, model="LoihiLIF", decay_u=0, decay_v=4095, vth_mant=VTH_MANT_MAX,
                  bias_mant=[-4096, 0], bias_exp=7, vmin=VMIN_MIN)
    c.connect(inp, ubn, [[0, -256], [0, -256]], weight_exp=7)
    return c


@case
def weight_exp_sweep():
    vals = np.array(WGT_VALUES)

    def check(r):
        for e in range(-8, 8):
            u = r["e%s" % str(e).replace("-", "m")]["current"]
            expect = nnl.stored_weights(vals[:, None], e, 8)[0]
            assert (u[1] == expect).all()
        # +-255 at weight_exp 0: saturate to +-254
        u0 = r["e0"]["current"][1]
        assert u0[0] == 254 * 64 and u0[8] == -254 * 64
    c = Case("weight_exp_sweep",
             "Every weight exponent -8..7 (one layer / connection each) with Wgt values %s; "
             "decay_u 4095 so the current the step after a spike equals the weight as the "
             "chip applies it (8-bit mixed rounding half to even, then the extra bits lost "
             "at negative exponents)." % WGT_VALUES,
             40, check)
    inp = c.spike_train("pulse", 1, [[1, 5, 9, 13, 30]])
    for e in range(-8, 8):
        name = c.layer("e%s" % str(e).replace("-", "m"), len(vals), vth_mant=VTH_MANT_MAX,
                       vmin=VMIN_MIN)
        c.connect(inp, name, vals[:, None], weight_exp=e)
    return c


@case
def weight_bits_sweep():
    vals = np.array(WGT_VALUES)

    def check(r):
        for b in (1, 2, 3, 4, 5, 6, 8):
            u = r["bits%d" % b]["current"]
            assert (u[1] == nnl.stored_weights(vals[:, None], 0, b)[0]).all()
        assert (r["bits1"]["current"] == 0).all()  # 1 bit mixed = sign only: all zero
    c = Case("weight_bits_sweep",
             "Every weight_bits value 1, 2, 3, 4, 5, 6, 8 at weight_exp 0 (one layer each) with "
             "odd and extreme Wgt values %s: the chip keeps weight_bits - 1 magnitude bits "
             "(rounded half to even); with 1 bit every mixed-sign weight is 0." % WGT_VALUES,
             30, check)
    inp = c.spike_train("pulse", 1, [[1, 4, 8]])
    for b in (1, 2, 3, 4, 5, 6, 8):
        name = c.layer("bits%d" % b, len(vals), vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
        c.connect(inp, name, vals[:, None], weight_bits=b)
    return c


@case
def weight_bits_exp_combos():
    vals = np.array(WGT_VALUES)
    combos = [(2, 7), (3, -3), (4, -8), (5, 3), (6, -8), (6, -1), (3, 5), (2, -6), (4, 0),
              (1, 7)]

    def check(r):
        for b, e in combos:
            u = r["b%d_e%s" % (b, str(e).replace("-", "m"))]["current"]
            assert (u[1] == nnl.stored_weights(vals[:, None], e, b)[0]).all()
    c = Case("weight_bits_exp_combos",
             "weight_bits combined with positive and negative weight exponents (bits, exp) in "
             "%s, same Wgt values as weight_exp_sweep: both the bit truncation and the "
             "negative-exponent loss apply." % combos,
             30, check)
    inp = c.spike_train("pulse", 1, [[1, 6]])
    for b, e in combos:
        name = c.layer("b%d_e%s" % (b, str(e).replace("-", "m")), len(vals),
                       vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
        c.connect(inp, name, vals[:, None], weight_exp=e, weight_bits=b)
    return c


@case
def weight_rounding_accumulate():
    """Many sources with odd weights into one neuron: rounding happens per synapse."""
    rng = np.random.RandomState(7)
    n_src = 40
    w = rng.randint(-256, 256, size=(6, n_src))
    w[0] = 1    # 40 x Wgt 1 -> 0 each (half to even), sum 0
    w[1] = 3    # 40 x 3 -> 4 each
    w[2] = -1
    w[3] = 255

    def check(r):
        u = r["sum"]["current"][1]
        assert u[0] == 0 and u[1] == 40 * 4 * 64 and u[2] == 0 and u[3] == 40 * 254 * 64
    c = Case("weight_rounding_accumulate",
             "40 sources spiking together into one neuron: the odd-weight rounding happens per "
             "synapse before summation (40 x Wgt 1 adds 0, 40 x 3 adds 40 x 4, 40 x 255 adds "
             "40 x 254), plus two rows of random weights at weight_exp -2 and 0.",
             30, check)
    inp = c.spike_train("many", n_src, [[1, 3, 4, 20]] * n_src)
    s = c.layer("sum", 6, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, s, w, weight_exp=0, file="w_sum.npy")
    s2 = c.layer("sum_m2", 6, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, s2, w, weight_exp=-2, file="w_sum_m2.npy")
    return c


@case
def chain_three_layers():
    def check(r):
        for name in ("l1", "l2", "l3"):
            assert r[name]["spikes"].sum() > 0, name
        # one step of latency per hop
        first = [int(np.flatnonzero(r[n]["spikes"].any(axis=1))[0]) for n in ("l1", "l2", "l3")]
        assert first[0] < first[1] < first[2], first
    rng = np.random.RandomState(3)
    c = Case("chain_three_layers",
             "Feed-forward chain input(8) -> l1(12) -> l2(10) -> l3(6), mixed LoihiLIF / "
             "LoihiSpikingRectifiedLinear, dense weights from .npy files of different dtypes "
             "(int8, int32, float32), one step of latency per hop.",
             80, check)
    times = [sorted(rng.choice(np.arange(1, 81), size=12, replace=False)) for _ in range(8)]
    inp = c.spike_train("in", 8, times)
    l1 = c.layer("l1", 12, model="LoihiLIF", decay_u=1000, decay_v=300, vth_mant=150,
                 refract_delay=2)
    l2 = c.layer("l2", 10, decay_u=2000, vth_mant=120, bias_mant=5, refract_delay=1)
    l3 = c.layer("l3", 6, model="LoihiLIF", decay_u=500, decay_v=100, vth_mant=100,
                 bias_mant=[0, 10, -10, 0, 20, 0], bias_exp=1, refract_delay=3, vmin=-2047)
    c.connect(inp, l1, rng.randint(-40, 128, size=(12, 8)), weight_exp=2, file="w_in_l1.npy",
              dtype=np.int8)
    c.connect(l1, l2, rng.randint(-100, 256, size=(10, 12)), weight_exp=1, file="w_l1_l2.npy",
              dtype=np.int32)
    c.connect(l2, l3, rng.randint(-256, 256, size=(6, 10)) // 2 * 2 + 1, weight_exp=2,
              file="w_l2_l3.npy", dtype=np.float32)
    return c


@case
def chain_four_layers():
    def check(r):
        for name in ("a", "b", "c", "d"):
            assert r[name]["spikes"].sum() > 0, name
        first = [int(np.flatnonzero(r[n]["spikes"].any(axis=1))[0]) for n in "abcd"]
        assert first == sorted(first) and len(set(first)) == 4, first
    c = Case("chain_four_layers",
             "Four-layer relay a -> b -> c -> d of 4 neurons each with one-to-one weights 254 at "
             "weight_exp 0 against vth_mant 200 (a spike needs two inputs, so every hop halves "
             "the rate) and a float64 weight file; input spikes every step.",
             60, check)
    inp = c.spike_train("in", 4, [every(1, 1, 60), every(1, 2, 60), every(2, 3, 60), [5, 6]])
    prev = inp
    for i, name in enumerate("abcd"):
        c.layer(name, 4, decay_u=4095, vth_mant=200 if i else 100, refract_delay=1)
        c.connect(prev, name, 254 * np.eye(4, dtype=int), file="w_%s.npy" % name,
                  dtype=np.float64 if name == "d" else np.int16)
        prev = name
    return c


@case
def recurrent_self():
    def check(r):
        s = r["rec"]["spikes"]
        # neuron 0: self-excitation keeps it firing after the input stopped (step 5)
        assert s[20:, 0].sum() > 10
        # neuron 1: self-inhibition: fires less than neuron 2 (same drive, no recurrence)
        assert s[:, 1].sum() < s[:, 2].sum()
    c = Case("recurrent_self",
             "Recurrent self-connection (layer -> same layer, 5 neurons, weight matrix with "
             "diagonal and off-diagonal terms): a self-exciting neuron keeps firing after its "
             "input stops, a self-inhibiting neuron fires less than an identical unconnected "
             "one, and a pair excite each other in turn. A spike at step t feeds back at t+1.",
             60, check)
    inp = c.spike_train("kick", 2, [[1, 2, 3, 4, 5], []])
    rec = c.layer("rec", 5, decay_u=3000, vth_mant=100, bias_mant=[0, 800, 800, 0, 0],
                  refract_delay=2)
    c.connect(inp, rec, [[254, 0], [0, 0], [0, 0], [254, 0], [0, 0]], weight_exp=0)
    c.connect(rec, rec, [[254, 0, 0, 0, 0],
                         [0, -200, 0, 0, 0],
                         [0, 0, 0, 0, 0],
                         [0, 0, 0, 0, 220],
                         [0, 0, 0, 220, 0]], weight_exp=1)
    return c


@case
def two_connections_one_layer():
    def check(r):
        u = r["sum"]["current"]
        a = nnl.stored_weights(np.array([[100]]), 3, 8)[0, 0]
        b = nnl.stored_weights(np.array([[-77]]), -2, 4)[0, 0]
        assert u[1, 0] == a and u[2, 0] == b and u[3, 0] == a + b, u[:4, 0]
    c = Case("two_connections_one_layer",
             "Two connections with different weight_exp / weight_bits into one layer, from an "
             "input and from another layer; their stored weights add in the same q sum (step 4 "
             "shows a + b when both arrive together).",
             40, check)
    x = c.spike_train("x", 1, [[1, 3, 20]])
    y = c.spike_train("y", 1, [[2, 3, 21]])
    s = c.layer("sum", 3, decay_u=4095, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(x, s, [[100], [50], [0]], weight_exp=3)
    c.connect(y, s, [[-77], [-77], [9]], weight_exp=-2, weight_bits=4)
    pre = c.layer("pre", 1, vth_mant=100, bias_mant=1000)   # spikes at 7, 14, ...
    c.connect(pre, s, [[0], [0], [255]], weight_exp=2)
    return c


@case
def feedback_to_earlier_layer():
    def check(r):
        assert r["early"]["spikes"].sum() > 0 and r["late"]["spikes"].sum() > 0
        assert r["early_nofb"]["spikes"].sum() > r["early"]["spikes"].sum()
    c = Case("feedback_to_earlier_layer",
             "A connection from a later layer back to an earlier one: input -> early -> late, "
             "late -> early with inhibitory weights (feedback arrives one step after late "
             "spikes), compared to an identical early layer without feedback. 'late' is listed "
             "before 'early' and the feedback connection first, so file order is not "
             "data-flow order.",
             80, check)
    inp = c.spike_train("in", 3, [every(1, 1, 80), every(1, 2, 80), every(3, 3, 80)])
    # list 'late' before 'early' so layer order != data-flow order
    late = c.layer("late", 3, decay_u=2048, vth_mant=150, refract_delay=2)
    early = c.layer("early", 4, model="LoihiLIF", decay_u=1500, decay_v=200, vth_mant=120,
                    refract_delay=1)
    nofb = c.layer("early_nofb", 4, model="LoihiLIF", decay_u=1500, decay_v=200,
                   vth_mant=120, refract_delay=1)
    w_in = [[150, 0, 0], [0, 200, 0], [0, 0, 255], [100, 100, 100]]
    c.connect(late, early, [[-200, 0, 0], [0, -200, 0], [0, 0, -200], [-50, -50, -50]],
              weight_exp=2)
    c.connect(inp, early, w_in, weight_exp=1)
    c.connect(inp, nofb, w_in, weight_exp=1)
    c.connect(early, late, [[200, 0, 0, 50], [0, 200, 0, 50], [0, 0, 200, 50]], weight_exp=2)
    return c


@case
def input_spike_file_csv():
    steps = 50

    def check(r):
        u = r["l"]["current"]
        assert u[0].sum() == 0 and u[1, 0] == 100 * 64
        assert u[steps - 1, 3] == 0  # spike at the last step is never delivered
    c = Case("input_spike_file_csv",
             "Input spikes from a CSV spike_file (header step,neuron; rows in no order): a "
             "spike at step t reaches the target's current in step t+1; a source spiking at "
             "the last step (50) and beyond the run (51, 1000) is never delivered; one source "
             "never spikes.",
             steps, check)
    times = [[1, 2, 3, 10, 40], [5, 6, 7, 8], [], [30, 50, 51, 1000], [49]]
    inp = c.spike_train("csv_in", 5, times, csv_file="spikes.csv", csv_shuffle=5)
    l = c.layer("l", 5, decay_u=4095, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, l, 100 * np.eye(5, dtype=int) + np.diag([0, 0, 0, 0, 5]), weight_exp=0)
    return c


@case
def input_every_step():
    def check(r):
        u = r["steady"]["current"][:, 0]
        assert u[0] == 0 and (np.diff(u[1:12]) > 0).all() and u[-1] == u[-2]  # steady state
        assert r["relu"]["spikes"].sum() > 20
    c = Case("input_every_step",
             "An input source spiking at every step 1..60: decay_u 2048 current climbs to its "
             "fixed point (where the truncated decay equals the input); decay_u 4095 current "
             "is constant from step 2; a relu neuron spikes periodically; a second source "
             "spikes every step with a negative weight into the same neurons.",
             60, check)
    inp = c.spike_train("tick", 2, [every(1, 1, 60), every(1, 1, 60)])
    steady = c.layer("steady", 3, decay_u=2048, vth_mant=VTH_MANT_MAX, vmin=VMIN_MIN)
    c.connect(inp, steady, [[100, 0], [100, -37], [0, -255]], weight_exp=0)
    relu = c.layer("relu", 2, decay_u=4095, vth_mant=100)
    c.connect(inp, relu, [[40, 0], [60, -20]], weight_exp=0)
    return c


@case
def one_input_many_targets():
    def check(r):
        for name in ("t1", "t2", "t3"):
            assert r[name]["current"][1].any()
        assert (r["t1"]["current"] == r["t1copy"]["current"]).all()
    c = Case("one_input_many_targets",
             "One input (and one layer) feeding several layers with different weights: every "
             "target receives the same spikes in the same step; two identical targets have "
             "identical state.",
             40, check)
    inp = c.spike_train("in", 4, [[1, 10], [2, 10], [3, 10, 11], [4]])
    mk = lambda n: c.layer(n, 2, decay_u=1000, vth_mant=300, refract_delay=2)  # noqa: E731
    w = [[100, 200, -50, 0], [0, -100, 254, 254]]
    for n in ("t1", "t1copy"):
        mk(n)
        c.connect(inp, n, w, weight_exp=1)
    mk("t2")
    c.connect(inp, "t2", [[1, 2, 3, 4], [-4, -3, -2, -1]], weight_exp=7)
    mk("t3")
    c.connect(inp, "t3", [[255, 255, 255, 255], [0, 0, 0, 0]], weight_exp=-5)
    c.connect("t1", "t3", [[100, 100], [100, 100]], weight_exp=0)
    c.connect("t1", "t2", [[-100, 0], [0, -100]], weight_exp=0)
    return c


@case
def lif_typical():
    def check(r):
        s = r["lif"]["spikes"]
        assert 0 < s.sum() < s.size // 2
    rng = np.random.RandomState(11)
    c = Case("lif_typical",
             "A 'typical' LIF population: decay_u 410, decay_v 205, vth_mant 80, refract_delay "
             "3, bias_exp 3 with per-neuron bias (inline array), 16 neurons driven by 10 "
             "random Poisson-like sources through random weights at weight_exp 1.",
             100, check)
    times = [sorted(np.flatnonzero(rng.rand(100) < 0.15) + 1) for _ in range(10)]
    inp = c.spike_train("poisson", 10, times)
    lif = c.layer("lif", 16, model="LoihiLIF", decay_u=410, decay_v=205, vth_mant=80,
                  bias_mant=rng.randint(-50, 250, size=16), bias_exp=3, refract_delay=3)
    c.connect(inp, lif, rng.randint(-120, 256, size=(16, 10)), weight_exp=1)
    return c


@case
def per_neuron_profiles():
    """Per-compartment decay_u, decay_v, vth and refract_delay: more distinct compartment
    profiles (40) and threshold profiles (12) than a Loihi core's tables hold (32, 8)."""
    rng = np.random.RandomState(41)
    n_lif, n_relu = 48, 20
    palette = [(int(rng.randint(0, 4096)), int(rng.randint(0, 700)), int(rng.randint(1, 6)))
               for _ in range(40)]
    kinds = np.concatenate([np.arange(40), rng.randint(0, 40, size=n_lif - 40)])
    rng.shuffle(kinds)
    thresholds = rng.randint(40, 400, size=12)
    vth = thresholds[np.concatenate([np.arange(12), rng.randint(0, 12, size=n_lif - 12)])]
    rng.shuffle(vth)

    def check(r):
        lif = r["lif"]
        assert len({tuple(palette[k]) for k in kinds}) == 40 and len(set(vth.tolist())) == 12
        assert lif["spikes"].sum() > 0 and r["relu"]["spikes"].sum() > 0
        # A neuron is held at v = 0 for refract_delay - 1 steps after each spike.
        for i in range(n_lif):
            hold = palette[kinds[i]][2] - 1
            for t in spike_steps(lif["spikes"][:, i]):
                if hold and t + hold <= 120:
                    assert (lif["voltage"][t:t + hold, i] == 0).all(), (i, t)
    c = Case("per_neuron_profiles",
             "Per-neuron decay_u, decay_v, refract_delay (inline lists, 40 distinct tuples) "
             "and vth_mant (a .npy, 12 distinct values) on 48 LIF neurons driven by 8 random "
             "sources, feeding 20 rectified-linear neurons with per-neuron vth_mant, decay_u "
             "and refract_delay and a recurrent connection back: more compartment and "
             "threshold profiles than one Loihi core holds (32 and 8).",
             120, check)
    times = [sorted(np.flatnonzero(rng.rand(120) < 0.2) + 1) for _ in range(8)]
    inp = c.spike_train("drive", 8, times)
    lif = c.layer("lif", n_lif, model="LoihiLIF",
                  decay_u=[palette[k][0] for k in kinds], decay_v=[palette[k][1] for k in kinds],
                  refract_delay=[palette[k][2] for k in kinds], vth_mant=vth,
                  bias_mant=rng.randint(-20, 120, size=n_lif), bias_exp=2,
                  vmin=-8388607, files={"vth_mant": "vth_lif.npy"})
    c.connect(inp, lif, rng.randint(-80, 256, size=(n_lif, 8)), weight_exp=1)
    relu = c.layer("relu", n_relu, decay_u=rng.randint(0, 4096, size=n_relu),
                   vth_mant=rng.randint(20, 200, size=n_relu),
                   refract_delay=rng.randint(0, 8, size=n_relu),
                   bias_mant=rng.randint(0, 60, size=n_relu))
    c.connect(lif, relu, rng.randint(-60, 200, size=(n_relu, n_lif)), weight_exp=0)
    c.connect(relu, lif, rng.randint(-100, 60, size=(n_lif, n_relu)), weight_exp=-1)
    return c


@case
def per_neuron_time_constants():
    """Per-neuron tau_rc, tau_ref and tau_s turned into per-compartment decay_u, decay_v and
    refract_delay by NengoLoihi itself (LoihiBlock.compartment.configure_lif with arrays and
    the filter's decay, then discretize_compartment), run as an integer layer."""
    from nengo_loihi.block import LoihiBlock
    from nengo_loihi.builder.discretize import discretize_compartment
    n = 16
    rng = np.random.RandomState(43)
    tau_rc = np.round(rng.uniform(0.005, 0.1, size=n), 4)
    tau_ref = rng.randint(0, 6, size=n) * 0.001
    tau_s = np.round(rng.uniform(0.001, 0.02, size=n), 4)
    block = LoihiBlock(n)
    comp = block.compartment
    comp.configure_lif(tau_rc=tau_rc, tau_ref=tau_ref, vth=1, dt=0.001)
    # What Compartment.configure_filter stores for a per-neuron tau_s (it compares scalars).
    comp.decay_u[:] = -np.expm1(-0.001 / tau_s)
    comp.bias[:] = rng.uniform(0, 2, size=n)
    comp.scale_u = comp.scale_v = False  # one voltage scale for all neurons (asserted)
    discretize_compartment(comp, w_max=0)
    decay_u = np.asarray(comp.decay_u).astype(np.int64)
    decay_v = np.asarray(comp.decay_v).astype(np.int64)
    refract = np.asarray(comp.refract_delay).astype(np.int64)
    vth_mant = np.asarray(comp.vth).astype(np.int64) // 64
    assert len(set(decay_u.tolist())) > 8 and len(set(decay_v.tolist())) > 8
    assert (np.asarray(comp.vth).astype(np.int64) % 64 == 0).all()

    def check(r):
        s = r["lif"]["spikes"]
        assert s.sum() > 0
        for i in range(n):
            for t in spike_steps(s[:, i]):
                if refract[i] > 1 and t + refract[i] - 1 <= 150:
                    assert (r["lif"]["voltage"][t:t + refract[i] - 1, i] == 0).all()
    c = Case("per_neuron_time_constants",
             "16 LIF neurons with per-neuron tau_rc (5-100 ms), tau_ref (0-5 ms) and tau_s "
             "(1-20 ms), discretized per compartment by NengoLoihi (configure_lif with arrays, "
             "discretize_compartment, one voltage scale): per-neuron decay_u, decay_v and "
             "refract_delay as .npy files, a uniform vth_mant, random bias, driven by 6 "
             "random sources.",
             150, check)
    times = [sorted(np.flatnonzero(rng.rand(150) < 0.25) + 1) for _ in range(6)]
    inp = c.spike_train("drive", 6, times)
    lif = c.layer("lif", n, model="LoihiLIF", decay_u=decay_u, decay_v=decay_v,
                  refract_delay=refract, vth_mant=int(vth_mant[0]) if len(set(vth_mant.tolist())) == 1 else vth_mant,
                  bias_mant=rng.randint(0, 200, size=n), bias_exp=4,
                  files={"decay_u": "decay_u.npy", "decay_v": "decay_v.npy",
                         "refract_delay": "refract_delay.npy"})
    c.connect(inp, lif, rng.randint(-100, 256, size=(n, 6)), weight_exp=3)
    return c


@case
def zero_weights_and_silent_layer():
    def check(r):
        assert (r["dead"]["current"] == 0).all() and r["dead"]["spikes"].sum() == 0
        assert r["src"]["spikes"].sum() > 0
    c = Case("zero_weights_and_silent_layer",
             "Dense all-zero weight matrix (zero weights are stored and delivered like any "
             "other but add nothing), a 1-bit weight_bits connection (all weights 0), and a "
             "layer with no incoming connections and zero bias that never changes.",
             30, check)
    src = c.layer("src", 3, vth_mant=10, bias_mant=[700, 300, 100])
    dead = c.layer("dead", 4, decay_u=0, vth_mant=1)
    c.connect(src, dead, np.zeros((4, 3), dtype=int), weight_exp=7)
    c.connect(src, dead, 255 * np.ones((4, 3), dtype=int), weight_exp=7, weight_bits=1)
    c.layer("idle", 2, model="LoihiLIF", decay_v=100, vth_mant=1)
    return c


def _random_net(name, seed, n_in, sizes, p_in, description, tune):
    """Random network: input(n_in) -> layers, random per-layer parameters, recurrence."""
    rng = np.random.RandomState(seed)
    steps = 100
    c = Case(name, description, steps)
    times = [sorted(np.flatnonzero(rng.rand(steps) < p_in[i % len(p_in)]) + 1)
             for i in range(n_in)]
    inp = c.spike_train("in", n_in, times, csv_file="input.csv" if seed % 2 else None)
    names = []
    for k, size in enumerate(sizes):
        t = tune[k]
        lname = "L%d" % (k + 1)
        model = "LoihiLIF" if t.get("lif", True) else "LoihiSpikingRectifiedLinear"
        c.layer(lname, size, model=model,
                decay_u=t["decay_u"], decay_v=t["decay_v"] if model == "LoihiLIF" else 0,
                vth_mant=t["vth_mant"],
                bias_mant=rng.randint(t["bias"][0], t["bias"][1] + 1, size=size),
                bias_file="bias_%s.npy" % lname, bias_exp=t["bias_exp"],
                refract_delay=t["refract"], vmin=t.get("vmin", 0), vmax=t.get("vmax", VMAX_MAX))
        names.append(lname)

    def rand_w(shape, density, lo=-256, hi=255):
        w = rng.randint(lo, hi + 1, size=shape)
        w[rng.rand(*shape) >= density] = 0
        return w

    for k, lname in enumerate(names):
        t = tune[k]
        src = inp if k == 0 else names[k - 1]
        src_size = n_in if k == 0 else sizes[k - 1]
        c.connect(src, lname, rand_w((sizes[k], src_size), t["density"]),
                  weight_exp=t["ff_exp"], weight_bits=t.get("bits"),
                  file="w_%s_%s.npy" % (src, lname))
        if t.get("rec_exp") is not None:
            c.connect(lname, lname, rand_w((sizes[k], sizes[k]), t["rec_density"]),
                      weight_exp=t["rec_exp"], file="w_%s_%s.npy" % (lname, lname))
    if len(names) > 1 and tune[-1].get("feedback_exp") is not None:
        c.connect(names[-1], names[0],
                  rand_w((sizes[0], sizes[-1]), 0.1, lo=-256, hi=100),
                  weight_exp=tune[-1]["feedback_exp"], file="w_feedback.npy")

    def check(r):
        for lname in names:
            s = r[lname]["spikes"]
            active = (s.sum(axis=0) > 0).mean()
            rate = s.mean()
            saturated = (s.sum(axis=0) >= steps - 5).mean()
            assert active >= 0.5 and 0.01 <= rate <= 0.35 and saturated < 0.1, \
                (lname, active, rate, saturated)
    c.check = check
    c.forbid_warnings = ("Overflow in q0", "Overflow in current", "Overflow in u2")
    return c


@case
def random_net_a():
    return _random_net(
        "random_net_a", 1001, 300, [200, 200], [0.05, 0.1],
        "Random network: 300 input sources (5-10% spike probability per step, given in a CSV "
        "file) -> L1 (200, LoihiLIF, vmin -(2^15-1)) -> L2 (200, LoihiLIF with recurrence at "
        "weight_exp -1); random Wgt in -256..255 with ~30% density, per-neuron random bias "
        "(.npy), per-layer decays / threshold / refractory / weight exponents.",
        [dict(decay_u=600, decay_v=300, vth_mant=300, bias=(-200, 400), bias_exp=2, refract=2,
              density=0.3, ff_exp=0, vmin=-(2 ** 15 - 1)),
         dict(decay_u=1200, decay_v=800, vth_mant=250, bias=(-100, 300), bias_exp=3, refract=3,
              density=0.3, ff_exp=1, rec_exp=-1, rec_density=0.2)])


@case
def random_net_b():
    return _random_net(
        "random_net_b", 2002, 300, [300, 150], [0.04, 0.08, 0.12],
        "Random network: 300 input sources (spike_times) -> L1 (300, "
        "LoihiSpikingRectifiedLinear, refract_delay 4, recurrent at weight_exp -3) -> L2 (150, "
        "LoihiLIF, 6-bit weights, vmin -2047) with inhibition-leaning feedback L2 -> L1; random "
        "sparse Wgt, random biases / decays.",
        [dict(lif=False, decay_u=1500, decay_v=0, vth_mant=400, bias=(-100, 300), bias_exp=3,
              refract=4, density=0.25, ff_exp=1, rec_exp=-3, rec_density=0.1),
         dict(decay_u=300, decay_v=1000, vth_mant=600, bias=(-100, 200), bias_exp=1, refract=2,
              density=0.2, ff_exp=0, bits=6, feedback_exp=0, vmin=-2047)])


@case
def random_net_c():
    return _random_net(
        "random_net_c", 3003, 300, [250, 250, 100], [0.06],
        "Random network: 300 input sources (CSV) -> L1 (250) -> L2 (250, recurrent) -> L3 (100); "
        "three LoihiLIF layers with different decay_u (3000 / 100 / 2048), decay_v, thresholds, "
        "refract_delay 0 / 5 / 2, bias_exp 0 / 4 / 2 and weight exponents (-2 / 0 / 1; "
        "recurrence 0); denser weights; L2's slow current reaches ~2e6.",
        [dict(decay_u=3000, decay_v=100, vth_mant=100, bias=(-300, 300), bias_exp=0, refract=0,
              density=0.4, ff_exp=-2, vmin=-(2 ** 19 - 1)),
         dict(decay_u=100, decay_v=2000, vth_mant=1500, bias=(-50, 100), bias_exp=4, refract=5,
              density=0.35, ff_exp=0, rec_exp=0, rec_density=0.15),
         dict(decay_u=2048, decay_v=400, vth_mant=500, bias=(0, 150), bias_exp=2, refract=2,
              density=0.5, ff_exp=1)])


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def check_versions():
    import importlib.metadata as md
    got = {p: md.version(p) for p in PINS}
    if got != PINS:
        raise SystemExit("reference pins not installed: want %s, have %s" % (PINS, got))


def write_case(c, out_dir):
    d = os.path.join(out_dir, c.name)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "expected"))
    for rel, data in c.files.items():
        p = os.path.join(d, rel)
        if isinstance(data, str):
            with open(p, "w", newline="") as f:
                f.write(data)
        else:
            np.save(p, np.ascontiguousarray(data))
    with open(os.path.join(d, "network.json"), "w") as f:
        f.write(dump_network(c.network_json()))

    net = nnl.load_network(d)  # also validates what we wrote against the format
    result = nnl.run_network(net, c.steps, seed=0)
    for lname, arrays in result.layers.items():
        for key in ("spikes", "voltage", "current"):
            arr = arrays[key]
            want = np.int8 if key == "spikes" else np.int32
            assert arr.dtype == want and arr.shape == (c.steps, net.sizes()[lname])
            np.save(os.path.join(d, "expected", "%s.%s.npy" % (lname, key)),
                    np.ascontiguousarray(arr.astype(np.dtype(want).newbyteorder("<"))))
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump({"steps": c.steps, "description": c.description, "reference": REFERENCE},
                  f, indent=2)
        f.write("\n")
    return result


def dir_size(path):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate the conformance fixtures.")
    ap.add_argument("--out", default=DEFAULT_OUT, help="conformance folder (default: %(default)s)")
    ap.add_argument("--only", nargs="*", help="regenerate just these cases")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)

    cases = [fn() for fn in CASES]
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), "duplicate case names"
    if args.list:
        for c in cases:
            print("%-32s %s" % (c.name, c.description))
        return 0
    check_versions()
    if args.only:
        unknown = set(args.only) - set(names)
        if unknown:
            raise SystemExit("unknown cases: %s" % sorted(unknown))
        cases = [c for c in cases if c.name in args.only]
    elif os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out, exist_ok=True)

    failures = []
    rows = []
    for c in cases:
        result = write_case(c, args.out)
        counts = {n: int(a["spikes"].sum()) for n, a in result.layers.items()}
        activity = sum(counts.values()) + sum(
            int(np.count_nonzero(a["voltage"])) + int(np.count_nonzero(a["current"]))
            for a in result.layers.values())
        problems = []
        if activity == 0:
            problems.append("nothing happens")
        for w in c.expect_warnings:
            if w not in result.warnings:
                problems.append("expected warning %r not raised" % w)
        for w in c.forbid_warnings:
            if w in result.warnings:
                problems.append("unexpected warning %r" % w)
        if c.check is not None:
            try:
                c.check(result.layers)
            except AssertionError as e:
                import traceback
                tb = traceback.extract_tb(e.__traceback__)[-1]
                problems.append("check failed at line %d: %s %s" % (tb.lineno, tb.line, e))
        size = dir_size(os.path.join(args.out, c.name))
        rows.append((c.name, c.steps, counts, result.warnings, size, problems))
        print("%-32s steps %3d  %7.1f kB  spikes %s%s" % (
            c.name, c.steps, size / 1024.0,
            " ".join("%s=%d" % kv for kv in counts.items()),
            ("  [" + ", ".join(sorted(result.warnings)) + "]") if result.warnings else ""))
        for p in problems:
            print("    PROBLEM: %s" % p)
            failures.append((c.name, p))

    total = dir_size(args.out)
    print()
    print("%-32s %5s %8s %9s  %s" % ("case", "steps", "spikes", "kB", "overflow warnings"))
    for name, steps, counts, warns, size, problems in rows:
        print("%-32s %5d %8d %9.1f  %s%s" % (name, steps, sum(counts.values()), size / 1024.0,
                                             ", ".join(sorted(warns)) or "-",
                                             "  FAILED" if problems else ""))
    print("%d cases, %.2f MB in %s" % (len(rows), total / 2.0 ** 20, args.out))
    if failures:
        print("%d problem(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
