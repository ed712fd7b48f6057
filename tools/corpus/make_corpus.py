#!/usr/bin/env python3
"""Writes the malformed-input corpus under Tests/MalformedInputs/ (issue 10).

Each case is a folder `Tests/MalformedInputs/cases/<reader>/<NNN-name>/` holding the files
that differ from `base/` and `case.json`: the command line ({DIR} is the scratch folder the
test copies `base/` and the case's files into), the exit status it must end with, and the
exact standard error (filled in by `NEUROMESH_RECORD_CORPUS=1 swift test --filter
MalformedInputCorpus`, then read by a person: a recorded message is a claim, not a truth).

Run:  python3 tools/corpus/make_corpus.py [path/to/neuromesh]
The binary (default .build/debug/neuromesh) compiles base/net.json into the base core map.
Only the standard library is used. Existing recorded messages are kept for cases whose
command and files did not change.
"""
import base64
import copy
import json
import os
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "MalformedInputs")
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "neuromesh")


def npy(dtype, shape, values=None, raw_header=None, data=None, version=(1, 0)):
    """The bytes of a .npy file (written by hand: no numpy needed)."""
    if raw_header is None:
        shape_text = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raw_header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (dtype, shape_text)
    header = raw_header.encode("latin1")
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header += b" " * pad + b"\n"
    if data is None:
        code = {"|i1": "b", "<i2": "h", "<i4": "i", "<i8": "q", "<f4": "f", "<f8": "d", ">i4": ">i", "|u1": "B"}[dtype]
        fmt = ("<" if not code.startswith(">") else "") + code.lstrip(">") * len(values)
        if code.startswith(">"):
            fmt = ">" + code[1:] * len(values)
        data = struct.pack(fmt, *values)
    return b"\x93NUMPY" + bytes(version) + struct.pack("<H", len(header)) + header + data


BASE_NET = {
    "version": 1,
    "name": "corpus base",
    "inputs": [{"name": "in", "kind": "spike_train", "size": 3, "spike_file": "s.csv"}],
    "layers": [
        {"name": "hidden", "size": 4,
         "neuron": {"model": "LoihiLIF", "decay_u": 1024, "decay_v": 200, "vth_mant": 100, "refract_delay": 2}},
        {"name": "out", "size": 2, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 50}},
    ],
    "connections": [
        {"from": "in", "to": "hidden", "weights": "w.npy", "weight_exp": 0},
        {"from": "hidden", "to": "out", "weights": [[100, -100, 50, 0], [0, 0, 254, 254]]},
    ],
    "probes": [{"name": "hidden_v", "layer": "hidden", "kind": "voltage"}, {"layer": "out", "kind": "spikes"}],
}
BASE_CSV = "step,neuron\n1,0\n2,1\n3,2\n5,0\n"
BASE_W = npy("<i4", (4, 3), [200, 0, 50, 0, 200, 50, 100, 100, 0, 250, -20, 30])

BASE_REAL = {
    "version": 2, "name": "real base", "dt": 0.001,
    "inputs": [{"name": "x", "kind": "real", "size": 2, "values": [0.5, -0.25], "encoding": {"kind": "on_off", "rate": 500}}],
    "layers": [{"name": "h", "size": 3, "neuron": {"model": "LoihiLIF", "max_rates": [100, 150, 200], "intercepts": [0, 0.1, -0.1]}}],
    "connections": [{"from": "x", "to": "h", "weights": [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]}],
    "probes": [{"layer": "h", "kind": "spikes"}],
}

BASE_CONV = {
    "version": 2, "name": "conv base",
    "inputs": [{"name": "img", "kind": "spike_train", "shape": [1, 4, 4], "spike_times": [[1]] * 16}],
    "layers": [
        {"name": "c", "shape": [2, 3, 3], "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 10}},
        {"name": "p", "kind": "avgpool2d", "input": "c", "kernel": 1},
        {"name": "o", "size": 2, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 10}},
    ],
    "connections": [
        {"from": "img", "to": "c", "kind": "conv2d", "weights": [[[[1, 2], [3, 4]]], [[[4, 3], [2, 1]]]]},
        {"from": "p", "to": "o", "weights": [[1] * 18, [2] * 18]},
    ],
    "probes": [],
}

CHIP = json.load(open(os.path.join(ROOT, "hardware-specs", "loihi1.json")))
BOARD = {"kind": "board", "version": 1, "name": "corpus board", "chip": "chip.json", "chips": 1}

TRAIN = {
    "version": 1, "name": "corpus training", "mode": "loihi-rate",
    "data": {"train_inputs": "train_x.npy", "train_labels": "train_y.npy",
             "test_inputs": "train_x.npy", "test_labels": "train_y.npy"},
    "architecture": [{"kind": "dense", "size": 4}, {"kind": "dense", "size": 2}],
    "neuron": {"model": "LoihiSpikingRectifiedLinear", "max_rate": 200},
    "input": {"encoding": "spiking", "rate": 1000},
    "dt": 0.001, "timesteps": 5, "epochs": 1, "batch_size": 2, "learning_rate": 0.01, "seed": 1,
}


def dumps(value):
    return json.dumps(value, indent=1)


cases = []  # (reader, name, files {name: bytes|str}, args, exit, special)


def case(reader, name, files, args, exit, special=None):
    """special: paths made by the test (a repository cannot hold them): name -> "fifo",
    "loop", "dangling" or "link:TARGET"."""
    cases.append((reader, name, files, args, exit, special))


def edited(base, edit):
    value = copy.deepcopy(base)
    edit(value)
    return dumps(value)


COMPILE = ["compile", "{DIR}/net.json", "--check"]


def net(name, edit=None, text=None, exit=65, extra=None):
    files = {"net.json": text if text is not None else edited(BASE_NET, edit)}
    files.update(extra or {})
    case("network", name, files, COMPILE, exit)


def setter(path, value):
    def edit(v):
        target = v
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def deleter(path):
    def edit(v):
        target = v
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return edit


H = ["layers", 0, "neuron"]
# --- paths that are not regular files (made by the test)
for kind, special in [("pipe", "fifo"), ("link-loop", "loop"), ("dangling-link", "dangling"), ("device", "link:/dev/zero")]:
    case("network", "network-file-is-a-" + kind, {}, ["compile", "{DIR}/odd.json", "--check"], 65, {"odd.json": special})
    case("spec", "board-file-is-a-" + kind, {}, ["compile", "{DIR}/net.json", "--board", "{DIR}/odd.json", "--check"], 65, {"odd.json": special})
    case("coremap", "core-map-is-a-" + kind, {}, ["run", "{DIR}/odd.coremap.json", "--steps", "3"], 65, {"odd.coremap.json": special})
    case("npy", "weights-are-a-" + kind, {"net.json": edited(BASE_NET, setter(["connections", 0, "weights"], "odd.npy"))}, COMPILE, 65, {"odd.npy": special})
    case("csv", "spike-file-is-a-" + kind, {"net.json": edited(BASE_NET, setter(["inputs", 0, "spike_file"], "odd.csv"))}, COMPILE, 65, {"odd.csv": special})
    case("training", "config-is-a-" + kind, {}, ["train", "{DIR}/odd.json", "-o", "{DIR}/trained"], 65, {"odd.json": special})

# --- the network file: JSON syntax
net("empty-file", text="")
net("truncated", text=dumps(BASE_NET)[:200])
net("top-level-array", text="[1, 2, 3]")
net("trailing-garbage", text=dumps(BASE_NET) + "\n}")
net("comment", text="// a comment\n" + dumps(BASE_NET))
net("invalid-utf8", text=b"{\"version\": 1, \"name\": \"\xff\xfe\"}")
net("nul-bytes", text=b"\x00" * 64)
net("deep-nesting", text="[" * 100000 + "]" * 100000)
net("deep-nesting-objects", text='{"a":' * 50000 + "1" + "}" * 50000)
net("huge-exponent", edit=setter(["layers", 0, "size"], 1e308))
net("number-beyond-int64", text=dumps(BASE_NET).replace('"size": 4', '"size": 92233720368547758080'))
net("exponent-literal", text=dumps(BASE_NET).replace('"size": 4', '"size": 1e999999'))
net("duplicate-key", text=dumps(BASE_NET).replace('"size": 4', '"size": 4, "size": 5'))
net("unterminated-string", text='{"version": 1, "name": "abc')
net("bad-escape", text='{"version": 1, "name": "a\\q"}')
net("lone-surrogate", text='{"version": 1, "name": "\\ud800"}')
# --- versions and top-level keys
net("missing-version", edit=deleter(["version"]))
net("future-version", edit=setter(["version"], 99))
net("version-string", edit=setter(["version"], "1"))
net("version-negative", edit=setter(["version"], -1))
net("unknown-top-key", edit=setter(["layer"], []))
net("no-layers", edit=setter(["layers"], []))
net("inputs-not-array", edit=setter(["inputs"], {"name": "in"}))
# --- inputs
net("input-missing-name", edit=deleter(["inputs", 0, "name"]))
net("input-unknown-kind", edit=setter(["inputs", 0, "kind"], "poisson"))
net("input-size-zero", edit=setter(["inputs", 0, "size"], 0))
net("input-size-negative", edit=setter(["inputs", 0, "size"], -3))
net("input-size-2^24+1", edit=setter(["inputs", 0, "size"], 16777217))
net("input-size-int64-max", edit=setter(["inputs", 0, "size"], 9223372036854775807))
net("input-size-fraction", edit=setter(["inputs", 0, "size"], 2.5))
net("spike-times-and-file", edit=setter(["inputs", 0, "spike_times"], [[1], [], []]))
net("no-spikes-given", edit=deleter(["inputs", 0, "spike_file"]))
def times(rows):
    def edit(v):
        del v["inputs"][0]["spike_file"]
        v["inputs"][0]["spike_times"] = rows
    return edit
net("spike-times-rows", edit=times([[1], []]))
net("spike-times-step-0", edit=times([[0], [], []]))
net("spike-times-step-negative", edit=times([[], [-4], []]))
net("spike-times-step-2^31", edit=times([[], [], [2147483648]]))
net("spike-times-step-int64-min", edit=times([[-9223372036854775808], [], []]))
net("spike-times-duplicate", edit=times([[3, 3], [], []]))
net("spike-times-not-integers", edit=times([[1.5], [], []]))
net("spike-file-missing", edit=setter(["inputs", 0, "spike_file"], "nowhere.csv"))
net("spike-file-is-folder", edit=setter(["inputs", 0, "spike_file"], "."))
net("spike-file-not-string", edit=setter(["inputs", 0, "spike_file"], 7))
# --- names
net("duplicate-names", edit=setter(["layers", 1, "name"], "hidden"))
net("name-shared-with-input", edit=setter(["layers", 0, "name"], "in"))
net("empty-name", edit=setter(["layers", 1, "name"], ""))
# --- layers and neurons
net("layer-size-zero", edit=setter(["layers", 0, "size"], 0))
net("layer-size-2^24+1", edit=setter(["layers", 0, "size"], 16777217))
net("layer-unknown-model", edit=setter(H + ["model"], "Izhikevich"))
net("layer-no-neuron", edit=deleter(["layers", 0, "neuron"]))
net("unknown-neuron-key", edit=setter(H + ["decayu"], 1))
net("decay-u-4096", edit=setter(H + ["decay_u"], 4096))
net("decay-u-negative", edit=setter(H + ["decay_u"], -1))
net("decay-v-fraction", edit=setter(H + ["decay_v"], 1.5))
net("decay-v-on-relu", edit=setter(["layers", 1, "neuron", "decay_v"], 10))
net("vth-mant-zero", edit=setter(H + ["vth_mant"], 0))
net("vth-mant-2^17", edit=setter(H + ["vth_mant"], 131072))
net("refract-delay-64", edit=setter(H + ["refract_delay"], 64))
net("bias-mant-4096", edit=setter(H + ["bias_mant"], 4096))
net("bias-exp-8", edit=setter(H + ["bias_exp"], 8))
net("vmin-positive", edit=setter(H + ["vmin"], 5))
net("vmin-not-representable", edit=setter(H + ["vmin"], -100))
net("vmax-int64-min", edit=setter(H + ["vmax"], -9223372036854775808))
net("vmax-int64-max", edit=setter(H + ["vmax"], 9223372036854775807))
net("vmax-not-representable", edit=setter(H + ["vmax"], 1000))
net("per-neuron-wrong-length", edit=setter(H + ["decay_u"], [1, 2, 3]))
net("per-neuron-bad-element", edit=setter(H + ["decay_u"], [1, 2, 5000, 3]))
net("per-neuron-npy-missing", edit=setter(H + ["vth_mant"], "vth.npy"))
net("per-neuron-npy-2d", edit=setter(H + ["vth_mant"], "vth.npy"), extra={"vth.npy": npy("<i4", (2, 2), [1, 2, 3, 4])})
# --- connections
C0 = ["connections", 0]
C1 = ["connections", 1]
net("connection-from-unknown", edit=setter(C0 + ["from"], "nowhere"))
net("connection-to-input", edit=setter(C1 + ["to"], "in"))
net("weight-exp-8", edit=setter(C0 + ["weight_exp"], 8))
net("weight-exp-int64-min", edit=setter(C0 + ["weight_exp"], -9223372036854775808))
net("weight-bits-7", edit=setter(C0 + ["weight_bits"], 7))
net("weights-missing-file", edit=setter(C0 + ["weights"], "missing.npy"))
net("weights-is-folder", edit=setter(C0 + ["weights"], "."))
net("weights-wrong-shape", edit=setter(C1 + ["weights"], [[1, 2], [3, 4]]))
net("weights-ragged", edit=setter(C1 + ["weights"], [[1, 2, 3, 4], [3]]))
net("weights-beyond-32-bits", edit=setter(C1 + ["weights"], [[1, 2, 3, 4294967296], [0, 0, 0, 0]]))
net("weights-out-of-range", edit=setter(C1 + ["weights"], [[1, 2, 3, 300], [0, 0, 0, 0]]))
net("weights-fraction-integer-layer", edit=setter(C1 + ["weights"], [[1, 2, 3, 0.5], [0, 0, 0, 0]]))
net("unknown-connection-kind", edit=setter(C1 + ["kind"], "sparse"))
net("conv2d-in-version-1", edit=setter(C1 + ["kind"], "conv2d"))
# --- probes
P0 = ["probes", 0]
net("probe-unknown-layer", edit=setter(P0 + ["layer"], "nowhere"))
net("probe-of-input", edit=setter(P0 + ["layer"], "in"))
net("probe-unknown-kind", edit=setter(P0 + ["kind"], "weights"))
net("probe-neuron-out-of-range", edit=setter(P0 + ["neurons"], [0, 4]))
net("probe-neuron-negative", edit=setter(P0 + ["neurons"], [-1]))
net("probe-names-collide", edit=lambda v: v["probes"].__setitem__(slice(None), [
    {"name": "a/v", "layer": "hidden", "kind": "voltage"}, {"name": "a_v", "layer": "hidden", "kind": "current"}]))
net("probe-names-collide-by-case", edit=lambda v: v["probes"].__setitem__(slice(None), [
    {"name": "Volts", "layer": "hidden", "kind": "voltage"}, {"name": "volts", "layer": "hidden", "kind": "current"}]))
net("probe-name-300-characters", edit=setter(P0 + ["name"], "v" * 300))
net("duplicate-probe-names", edit=setter(["probes", 1, "name"], "hidden_v"))
# --- what the chip cannot hold
net("does-not-fit-the-board", edit=lambda v: v.update({"layers": [dict(v["layers"][0], size=200000)], "connections": [], "probes": []}))
net("late-spike-is-fine", edit=times([[2147483647], [], [1]]), exit=0)
net("spike-at-10^8-is-fine", edit=times([[100000000], [], []]), exit=0)


# --- real-valued networks (version 2)
def real(name, edit, exit=65):
    case("network", "real-" + name, {"net.json": edited(BASE_REAL, edit)}, COMPILE, exit)


RH = ["layers", 0, "neuron"]
real("dt-5e-324", setter(["dt"], 5e-324))
real("mixed-inputs-real-second", lambda v: v["inputs"].insert(0, {"name": "s", "kind": "spike_train", "size": 1, "spike_times": [[1]]})
     or v["inputs"][1]["encoding"].__setitem__("rate", 5000))
real("mixed-inputs-spike-second", lambda v: v["inputs"].append({"name": "s", "kind": "spike_train", "size": 1, "spike_times": [[0]]}))
real("dt-zero", setter(["dt"], 0))
real("dt-negative", setter(["dt"], -0.001))
real("dt-100", setter(["dt"], 100))
real("rate-above-1/dt", setter(["inputs", 0, "encoding", "rate"], 5000))
real("rate-zero", setter(["inputs", 0, "encoding", "rate"], 0))
real("rate-1e308", setter(["inputs", 0, "encoding", "rate"], 1e308))
real("unknown-encoding", setter(["inputs", 0, "encoding", "kind"], "rate"))
real("values-wrong-length", setter(["inputs", 0, "values"], [0.5]))
real("values-not-numbers", setter(["inputs", 0, "values"], ["a", "b"]))
real("empty-intercepts", setter(RH + ["intercepts"], []))
real("empty-max-rates", setter(RH + ["max_rates"], []))
real("empty-max-rates-scalar-intercept", lambda v: v["layers"][0]["neuron"].update({"max_rates": [], "intercepts": 0}))
real("max-rates-wrong-length", setter(RH + ["max_rates"], [100, 150]))
real("intercept-at-1", setter(RH + ["intercepts"], [1, 0, 0]))
real("max-rate-negative", setter(RH + ["max_rates"], [-100, 150, 200]))
real("max-rate-above-1/dt", setter(RH + ["max_rates"], [2000, 150, 200]))
real("tau-rc-negative", lambda v: v["layers"][0]["neuron"].__setitem__("tau_rc", -0.02))
real("tau-ref-huge", lambda v: v["layers"][0]["neuron"].__setitem__("tau_ref", 1e300))
real("mixed-integer-and-real", lambda v: v["layers"][0]["neuron"].__setitem__("vth_mant", 100))
real("gain-and-max-rates", lambda v: v["layers"][0]["neuron"].__setitem__("gain", 2))
real("weights-1e308", setter(["connections", 0, "weights"], [[1e308, 0], [0, 1], [0.5, 0.5]]))
real("amplitude-zero", lambda v: v["layers"][0]["neuron"].__setitem__("amplitude", 0))
real("min-voltage-positive", lambda v: v["layers"][0]["neuron"].__setitem__("min_voltage", 0.5))


# --- convolutions and stages (version 2)
def conv(name, edit, exit=65):
    case("network", "conv-" + name, {"net.json": edited(BASE_CONV, edit)}, COMPILE, exit)


conv("shape-product-overflows", setter(["layers", 0, "shape"], [4294967296, 4294967296, 2]))
conv("shape-negative", setter(["layers", 0, "shape"], [2, -3, -3]))
conv("shape-and-size-disagree", lambda v: v["layers"][0].__setitem__("size", 5))
conv("stride-zero", setter(["connections", 0, "stride"], 0))
conv("stride-2^62", setter(["connections", 0, "stride"], 4611686018427387904))
conv("padding-negative", setter(["connections", 0, "padding"], -1))
conv("padding-2^62", setter(["connections", 0, "padding"], 4611686018427387904))
conv("kernel-wrong-rank", setter(["connections", 0, "weights"], [[1, 2], [3, 4]]))
conv("kernel-keras-layout", setter(["connections", 0, "weights"], [[[[1, 1]], [[1, 1]]], [[[1, 1]], [[1, 1]]]]))
conv("target-shape-wrong", setter(["layers", 0, "shape"], [2, 2, 2]))
conv("pool-kernel-zero", setter(["layers", 1, "kernel"], 0))
conv("pool-kernel-huge", setter(["layers", 1, "kernel"], 4611686018427387904))
conv("pool-of-unknown", setter(["layers", 1, "input"], "nowhere"))
conv("maxpool-refused", setter(["layers", 1, "kind"], "maxpool2d"))
conv("stage-probed", lambda v: v["probes"].append({"layer": "p", "kind": "spikes"}))
conv("conv-from-on-off-input", lambda v: v["inputs"].__setitem__(0, {
    "name": "img", "kind": "real", "shape": [1, 4, 4], "values": [0.5] * 16, "encoding": {"kind": "on_off"}}))

# --- .npy weights
def weights(name, data, exit=65):
    case("npy", name, {"w.npy": data}, COMPILE, exit)


weights("empty", b"")
weights("bad-magic", b"NOTNUMPY" + b"\x00" * 120)
weights("version-9", npy("<i4", (4, 3), [0] * 12, version=(9, 0)))
weights("header-longer-than-file", b"\x93NUMPY\x01\x00\xff\xff{'descr'")
weights("header-not-a-dict", npy(None, None, raw_header="[1, 2, 3]", data=b""))
weights("header-missing-shape", npy(None, None, raw_header="{'descr': '<i4', 'fortran_order': False}", data=b""))
weights("complex-dtype", npy("<c16", (4, 3), raw_header="{'descr': '<c16', 'fortran_order': False, 'shape': (4, 3), }", data=b"\x00" * 192))
weights("int64-dtype-beyond-32-bits", npy("<i8", (4, 3), [2 ** 40] + [0] * 11))
weights("big-endian", npy(">i4", (4, 3), [0] * 12))
weights("fortran-order", npy(None, None, raw_header="{'descr': '<i4', 'fortran_order': True, 'shape': (4, 3), }", data=b"\x00" * 48))
weights("shape-overflows", npy(None, None, raw_header="{'descr': '<i4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", data=b""))
weights("shape-negative", npy(None, None, raw_header="{'descr': '<i4', 'fortran_order': False, 'shape': (-4, 3), }", data=b""))
weights("shape-huge-no-data", npy(None, None, raw_header="{'descr': '<i4', 'fortran_order': False, 'shape': (1000000000, 1000), }", data=b""))
weights("shape-wrong-for-connection", npy("<i4", (3, 4), [0] * 12))
weights("three-dimensional", npy("<i4", (4, 3, 1), [0] * 12))
weights("scalar", npy("<i4", (), [7]))
weights("data-truncated", npy("<i4", (4, 3), [0] * 12)[:-8])
weights("data-extra", npy("<i4", (4, 3), [0] * 12) + b"\x00" * 16)
weights("float-nan", npy("<f8", (4, 3), [float("nan")] + [0.0] * 11))
weights("float-infinity", npy("<f8", (4, 3), [float("inf")] + [0.0] * 11))
weights("float-fraction", npy("<f4", (4, 3), [0.5] + [0.0] * 11))
weights("values-out-of-range", npy("<i2", (4, 3), [1000] + [0] * 11))
weights("uint8-dtype-is-read", npy("|u1", (4, 3), [0] * 12), exit=0)
weights("shape-times-item-size-overflows", npy(None, None, raw_header="{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", data=b""))
weights("header-duplicate-key", npy(None, None, raw_header="{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (4, 3), }", data=b"\x00" * 48))
weights("header-unknown-key", npy(None, None, raw_header="{'descr': '<i4', 'fortran_order': False, 'shape': (4, 3), 'extra': 1, }", data=b"\x00" * 48))
weights("header-garbage", npy(None, None, raw_header="{'descr': '<i4', 'fortran_order': False, 'shape': (4, 3), 'x': [[[[", data=b"\x00" * 48))

# --- spike CSV
def csv(name, text, exit=65):
    case("csv", name, {"s.csv": text}, COMPILE, exit)


csv("empty", "")
csv("only-blank-lines", "\n\n\n")
csv("wrong-header", "time,source\n1,0\n")
csv("no-header", "1,0\n2,1\n")
csv("not-integers", "step,neuron\n1,0\n2,x\n")
csv("three-fields", "step,neuron\n1,0,5\n")
csv("one-field", "step,neuron\n1\n")
csv("fraction", "step,neuron\n1.5,0\n")
csv("step-zero", "step,neuron\n0,0\n")
csv("step-negative", "step,neuron\n1,0\n-7,1\n")
csv("step-2^31", "step,neuron\n2147483648,0\n")
csv("step-beyond-int64", "step,neuron\n99999999999999999999,0\n")
csv("source-negative", "step,neuron\n1,-1\n")
csv("source-out-of-range", "step,neuron\n1,3\n")
csv("source-2^40", "step,neuron\n1,1099511627776\n")
csv("duplicate-spike", "step,neuron\n4,1\n2,0\n4,1\n")
csv("binary-garbage", b"step,neuron\n\x00\xff\xfe\x01\n")
csv("invalid-utf8", b"step,neuron\n1,\xff\n")
csv("crlf-line-endings-are-fine", "step,neuron\r\n1,0\r\n2,1\r\n", exit=0)
csv("header-only-is-fine", "step,neuron\n", exit=0)


# --- chip and board specs
SPEC = ["compile", "{DIR}/net.json", "--board", "{DIR}/board.json", "--check"]


def chip(name, edit, exit=65):
    case("spec", "chip-" + name, {"chip.json": edited(CHIP, edit), "board.json": dumps(BOARD)}, SPEC, exit)


def board(name, edit=None, text=None, exit=65):
    case("spec", "board-" + name, {"board.json": text if text is not None else edited(BOARD, edit), "chip.json": dumps(CHIP)}, SPEC, exit)


K = ["core"]
chip("synapse-words-int64-max", setter(K + ["synapse_words"], 9223372036854775807))
chip("synapse-word-bits-2^62", setter(K + ["synapse_word_bits"], 4611686018427387904))
chip("chunk-header-bits-int64-max", setter(K + ["chunk_header_bits"], 9223372036854775807))
chip("synapses-per-chunk-2^32", setter(K + ["synapses_per_chunk"], 4294967296))
chip("compartments-zero", setter(K + ["compartments"], 0))
chip("compartments-2^21", setter(K + ["compartments"], 2097152))
chip("input-axons-negative", setter(K + ["input_axons"], -1))
chip("profiles-zero", setter(K + ["compartment_profiles"], 0))
chip("cores-per-chip-int64-max", setter(["cores_per_chip"], 9223372036854775807))
chip("mesh-product-overflows", lambda v: v["mesh"].update({"tiles_x": 4294967296, "tiles_y": 4294967296}))
chip("mesh-too-small-for-cores", lambda v: v["mesh"].update({"tiles_x": 1, "tiles_y": 1}))
chip("missing-core", deleter(["core"]))
chip("unknown-key", setter(["cores"], 128))
chip("kind-board", setter(["kind"], "board"))
chip("version-99", setter(["version"], 99))
chip("not-json", lambda v: None) if False else case("spec", "chip-not-json", {"chip.json": "{chip", "board.json": dumps(BOARD)}, SPEC, 65)
def energy_edit(key, value):
    def edit(v):
        v.setdefault("energy", {})
        if isinstance(v["energy"], dict) and key in v["energy"] and isinstance(v["energy"][key], dict):
            v["energy"][key]["value"] = value
        else:
            v["energy"][key] = value
    return edit
chip("energy-negative", lambda v: v["energy"]["synaptic_op"].__setitem__("pJ", -1))
chip("energy-string", lambda v: v["energy"]["synaptic_op"].__setitem__("pJ", "cheap"))
chip("energy-1e308", lambda v: v["energy"]["synaptic_op"].__setitem__("pJ", 1e308))
board("chips-zero", setter(["chips"], 0))
board("chips-negative", setter(["chips"], -2))
board("chips-int64-max", setter(["chips"], 9223372036854775807))
board("chips-65537", setter(["chips"], 65537))
board("chips-x-zero", setter(["chips_x"], 0))
board("chips-x-beyond-chips", setter(["chips_x"], 3))
board("chip-missing", setter(["chip"], "missing.json"))
board("chip-is-folder", setter(["chip"], "."))
board("chip-is-itself", setter(["chip"], "board.json"))
board("chip-not-string", setter(["chip"], 3))
board("unknown-kind", setter(["kind"], "rack"))
board("unknown-key", setter(["chip_count"], 2))
board("empty", text="")
board("network-given-as-board", text=dumps(BASE_NET))
case("spec", "board-spec-is-a-folder", {}, ["compile", "{DIR}/net.json", "--board", "{DIR}", "--check"], 65)


# --- core maps
MAP = None  # filled in below from the compiled base


def coremap(name, edit=None, text=None, exit=65, args=None):
    if text is None:
        text = edited(MAP, edit)
    case("coremap", name, {"map.coremap.json": text}, args or ["run", "{DIR}/map.coremap.json", "--steps", "5", "--out", "{DIR}/out"], exit)


def inspect(name, edit):
    coremap(name, edit, args=["inspect", "{DIR}/map.coremap.json"])


# --- command-line flags
def flags(name, args, exit=64, files=None):
    case("flags", name, files or {}, args, exit)


RUN = ["run", "{DIR}/net.json"]
flags("run-without-steps", RUN)
flags("steps-negative", RUN + ["--steps", "-1"])
flags("steps-fraction", RUN + ["--steps", "1e3"])
flags("steps-2^31", RUN + ["--steps", "2147483648"])
flags("steps-beyond-int64", RUN + ["--steps", "99999999999999999999"])
flags("threads-zero", RUN + ["--steps", "3", "--threads", "0"])
flags("threads-2^61", RUN + ["--steps", "3", "--threads", "2305843009213693952"])
flags("threads-int64-max", RUN + ["--steps", "3", "--threads", "9223372036854775807"])
flags("unknown-option", RUN + ["--steps", "3", "--fast"])
flags("missing-value", RUN + ["--steps"])
flags("two-networks", RUN + ["{DIR}/net.json", "--steps", "3"])
flags("unknown-record", RUN + ["--steps", "3", "--record", "weights", "--out", "{DIR}/out"])
flags("unknown-format", RUN + ["--steps", "3", "--format", "xml"])
flags("compile-without-output", ["compile", "{DIR}/net.json"])
flags("unknown-command", ["simulate", "{DIR}/net.json"])
flags("where-unknown-layer", ["where", "{DIR}/map.coremap.json", "nowhere", "0"])
flags("where-neuron-out-of-range", ["where", "{DIR}/map.coremap.json", "hidden", "4"])
flags("where-neuron-int64-max", ["where", "{DIR}/map.coremap.json", "hidden", "9223372036854775807"])
flags("where-core-out-of-range", ["where", "{DIR}/map.coremap.json", "99:0"])
flags("where-core-int64-min", ["where", "{DIR}/map.coremap.json", "-9223372036854775808:0"])
flags("where-compartment-out-of-range", ["where", "{DIR}/map.coremap.json", "0:99999999999"])
flags("inspect-core-out-of-range", ["inspect", "{DIR}/map.coremap.json", "--core", "9223372036854775807"])
flags("inspect-unknown-option", ["inspect", "{DIR}/map.coremap.json", "--mesh", "4"])
flags("report-raster-rows-zero", ["report", "{DIR}", "--raster-rows", "0"])
flags("report-raster-steps-huge", ["report", "{DIR}", "--raster-steps", "9223372036854775807"])
flags("evaluate-without-inputs", ["evaluate", "{DIR}/net.json", "--steps-per-sample", "3"])
flags("evaluate-steps-per-sample-zero", ["evaluate", "{DIR}/net.json", "--inputs", "{DIR}/train_x.npy", "--steps-per-sample", "0"])
flags("evaluate-limit-negative", ["evaluate", "{DIR}/net.json", "--inputs", "{DIR}/train_x.npy", "--steps-per-sample", "3", "--limit", "-1"])
flags("evaluate-threads-huge", ["evaluate", "{DIR}/net.json", "--inputs", "{DIR}/train_x.npy", "--steps-per-sample", "3", "--threads", "9223372036854775807"])
flags("train-without-output", ["train", "{DIR}/train.json"])
flags("boards-unknown-option", ["boards", "--all"])
# Outputs whose folder is a file or missing: refused before anything runs.
flags("run-out-under-a-file", RUN + ["--steps", "3", "--out", "{DIR}/s.csv/out"], exit=1)
flags("run-out-folder-missing", RUN + ["--steps", "3", "--out", "{DIR}/missing/out"], exit=1)
flags("compile-output-under-a-file", ["compile", "{DIR}/net.json", "-o", "{DIR}/s.csv/map.coremap.json"], exit=1)
flags("compile-output-is-a-folder", ["compile", "{DIR}/net.json", "-o", "{DIR}"], exit=1)


# --- training configurations
def train(name, edit, exit=65):
    case("training", name, {"train.json": edited(TRAIN, edit)}, ["train", "{DIR}/train.json", "-o", "{DIR}/trained"], exit)


train("unknown-mode", setter(["mode"], "backprop"))
train("epochs-zero", setter(["epochs"], 0))
train("epochs-int64-max", setter(["epochs"], 9223372036854775807))
train("batch-size-zero", setter(["batch_size"], 0))
train("batch-size-2^62", setter(["batch_size"], 4611686018427387904))
train("learning-rate-negative", setter(["learning_rate"], -0.1))
train("hidden-size-2^40", setter(["architecture", 0, "size"], 1099511627776))
train("hidden-size-zero", setter(["architecture", 0, "size"], 0))
train("unknown-layer-kind", setter(["architecture", 0, "kind"], "lstm"))
train("timesteps-int64-max", setter(["timesteps"], 9223372036854775807))
train("timesteps-zero", setter(["timesteps"], 0))
train("max-rate-above-1/dt", setter(["neuron", "max_rate"], 5000))
train("dt-5e-324", setter(["dt"], 5e-324))
train("learning-rate-nan-string", setter(["learning_rate"], "NaN"))
train("inputs-missing", setter(["data", "train_inputs"], "missing.npy"))
train("labels-wrong-count", setter(["data", "train_labels"], "w.npy"))
train("inputs-are-a-folder", setter(["data", "train_inputs"], "."))
train("fine-tune-from-missing", lambda v: v.update({"mode": "fine-tune", "from": "nowhere/network.json"}))
train("unknown-key", setter(["epoch"], 3))
train("seed-negative", setter(["seed"], -1))


def main():
    global MAP
    base = os.path.join(OUT, "base")
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, "net.json"), "w") as f:
        f.write(dumps(BASE_NET))
    with open(os.path.join(base, "s.csv"), "w") as f:
        f.write(BASE_CSV)
    with open(os.path.join(base, "w.npy"), "wb") as f:
        f.write(BASE_W)
    with open(os.path.join(base, "chip.json"), "w") as f:
        f.write(dumps(CHIP))
    with open(os.path.join(base, "board.json"), "w") as f:
        f.write(dumps(BOARD))
    with open(os.path.join(base, "train.json"), "w") as f:
        f.write(dumps(TRAIN))
    with open(os.path.join(base, "train_x.npy"), "wb") as f:
        f.write(npy("<f4", (4, 3), [0.0, 0.5, 1.0, 1.0, 0.5, 0.0, 0.2, 0.2, 0.2, 0.9, 0.1, 0.0]))
    with open(os.path.join(base, "train_y.npy"), "wb") as f:
        f.write(npy("<i4", (4,), [0, 1, 0, 1]))
    # The core map is placed on chips of 4 compartments a core, so its two layers take a core each.
    small = copy.deepcopy(CHIP)
    small["name"] = "Loihi 1 with 4 compartments a core"
    small["core"]["compartments"] = 4
    with open(os.path.join(base, "small-chip.json"), "w") as f:
        f.write(dumps(small))
    with open(os.path.join(base, "small-board.json"), "w") as f:
        f.write(dumps(dict(BOARD, name="corpus board of small cores", chip="small-chip.json")))
    subprocess.run([BINARY, "compile", os.path.join(base, "net.json"), "--board", os.path.join(base, "small-board.json"),
                    "-o", os.path.join(base, "map.coremap.json")], check=True, stdout=subprocess.DEVNULL)
    MAP = json.load(open(os.path.join(base, "map.coremap.json")))
    add_coremap_cases()

    root = os.path.join(OUT, "cases")
    old = {}
    if os.path.isdir(root):
        for reader in os.listdir(root):
            for name in os.listdir(os.path.join(root, reader)):
                path = os.path.join(root, reader, name, "case.json")
                if os.path.exists(path):
                    old[(reader, name)] = json.load(open(path))
        shutil.rmtree(root)
    counters = {}
    for reader, name, files, args, exit, special in cases:
        counters[reader] = counters.get(reader, 0) + 1
        folder_name = "%03d-%s" % (counters[reader], name.replace("/", "_").replace("^", ""))
        folder = os.path.join(root, reader, folder_name)
        os.makedirs(folder)
        for file_name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            with open(os.path.join(folder, file_name), "wb") as f:
                f.write(data)
        record = {"args": args, "exit": exit}
        if special:
            record["special"] = special
        previous = old.get((reader, folder_name))
        if previous and previous.get("args") == args and previous.get("exit") == exit and previous.get("special") == special and "stderr" in previous:
            record["stderr"] = previous["stderr"]
        with open(os.path.join(folder, "case.json"), "w") as f:
            json.dump(record, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print("%d cases: %s" % (len(cases), ", ".join("%s %d" % kv for kv in sorted(counters.items()))))


def add_coremap_cases():
    coremap("not-json", text="{not json")
    coremap("empty", text="")
    coremap("truncated", text=dumps(MAP)[: len(dumps(MAP)) // 2])
    coremap("version-3", setter(["version"], 3))
    coremap("version-0", setter(["version"], 0))
    coremap("wrong-format", setter(["format"], "neuromesh-network"))
    def misspelt(v):
        v["formt"] = v.pop("format")
    coremap("format-key-misspelt", misspelt)
    coremap("unknown-top-key", setter(["extra"], 1))
    coremap("core-on-chip-7-of-1", setter(["cores", 0, "chip"], 7))
    coremap("core-999999-of-128", setter(["cores", 0, "core_on_chip"], 999999))
    coremap("core-index-int64-min", setter(["cores", 0, "core_on_chip"], -9223372036854775808))
    coremap("two-programs-on-one-core", setter(["cores", 1, "core_on_chip"], 0))
    coremap("mesh-position-moved", setter(["cores", 1, "mesh_x"], 5))
    coremap("mesh-position-int64-max", setter(["cores", 1, "mesh_y"], 9223372036854775807))
    coremap("board-chips-int64-max", setter(["board", "chips"], 9223372036854775807))
    coremap("board-synapse-words-2^62", setter(["board", "chip", "core", "synapse_words"], 4611686018427387904))
    coremap("board-mesh-overflows", lambda v: v["board"]["chip"]["mesh"].update({"tiles_x": 4294967296, "tiles_y": 4294967296}))
    coremap("board-cores-per-chip-zero", setter(["board", "chip", "cores_per_chip"], 0))
    coremap("vmin-above-vmax", setter(["cores", 0, "vmin"], 100))
    coremap("decay-u-out-of-range", setter(["cores", 0, "decay_u"], [5000] * len(MAP["cores"][0]["decay_u"]) if isinstance(MAP["cores"][0]["decay_u"], list) else [5000]))
    coremap("decay-u-wrong-length", setter(["cores", 0, "decay_u"], [1]))
    coremap("threshold-zero", lambda v: v["cores"][0].__setitem__("threshold", [0] * len(v["cores"][0]["threshold"])))
    routed = next(k for k, c in enumerate(MAP["cores"]) if c["routes"])
    coremap("route-to-core-99", lambda v: v["cores"][routed].__setitem__("routes", [99, 0] * (len(v["cores"][routed]["routes"]) // 2)))
    coremap("route-to-axon-out-of-range", lambda v: v["cores"][routed].__setitem__("routes", [0, 99999] * (len(v["cores"][routed]["routes"]) // 2)))
    coremap("weights-bad-base64", lambda v: v["cores"][0].__setitem__("weights", {"dtype": "int8", "count": 4, "base64": "!!!!"}))
    coremap("weights-count-mismatch", lambda v: v["cores"][0].__setitem__("weights", {"dtype": "int8", "count": 9, "base64": "AAAA"}))
    coremap("weights-count-2^62", lambda v: v["cores"][0].__setitem__("weights", {"dtype": "int8", "count": 4611686018427387904, "base64": "AAAA"}))
    coremap("weights-unknown-dtype", lambda v: v["cores"][0].__setitem__("weights", {"dtype": "int64", "count": 0, "base64": ""}))
    coremap("int32-array-value-2^40", setter(["cores", 0, "bias"], [1099511627776, 0, 0, 0]))
    coremap("event-sources-out-of-range", lambda v: v["inputs"][0].update({"event_steps": [1], "event_sources": [3]}))
    coremap("event-steps-descending", lambda v: v["inputs"][0].update({"event_steps": [5, 2], "event_sources": [0, 1]}))
    coremap("event-steps-zero", lambda v: v["inputs"][0].update({"event_steps": [0], "event_sources": [1]}))
    coremap("event-steps-count-mismatch", lambda v: v["inputs"][0].update({"event_steps": [1, 2, 3], "event_sources": [1]}))
    coremap("event-twice-in-one-step", lambda v: v["inputs"][0].update({"event_steps": [2, 2], "event_sources": [1, 1]}))
    def v1(v):
        v["version"] = 1
        v["inputs"][0].pop("event_steps")
        v["inputs"][0]["step_start"] = [0, 5, 2]
    coremap("version-1-step-start-bad", v1)
    coremap("input-size-int64-max", setter(["inputs", 0, "size"], 9223372036854775807))
    coremap("encoder-rows-2^40", setter(["inputs", 0, "encoder_rows"], 1099511627776))
    coremap("layer-neuron-core-out-of-range", lambda v: v["layers"][0].__setitem__("neuron_core", [9, 0, 0, 0]))
    coremap("probe-layer-out-of-range", setter(["probes", 0, "layer"], 7))
    coremap("probe-neurons-out-of-range", setter(["probes", 0, "neurons"], [0, 1, 2, 99]))
    coremap("probe-names-collide", lambda v: v["probes"].__setitem__(1, dict(v["probes"][1], name="hidden/v")) or v["probes"][0].__setitem__("name", "hidden_v"))
    coremap("no-cores", setter(["cores"], []), exit=65)
    inspect("inspect-core-on-chip-7", setter(["cores", 0, "chip"], 7))
    inspect("inspect-mesh-int64-max", setter(["cores", 0, "mesh_x"], 9223372036854775807))
    inspect("inspect-board-chips-x-huge", setter(["board", "chips_x"], 9223372036854775807))


if __name__ == "__main__":
    main()
