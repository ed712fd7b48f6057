"""Write the exhaustive weight-rounding table used by LoihiArithmeticTests.

For every weight-bit count the synapse format encodes (1, 2, 3, 4, 5, 6, 8), every weight
exponent -8...7 and every programmed Wgt value -256...255, record the integer NengoLoihi's
emulator adds to a compartment's input when a spike crosses that synapse
(`nengo_loihi.builder.discretize.discretize_weights`, mixed sign mode).

Output: Tests/LoihiArithmeticTests/Fixtures/discretize_weights.npy, int32, shape
[7 bit counts, 16 exponents, 512 weights], indexed [bits, exp + 8, wgt + 256].

Run with the pinned reference (see README.md):
    tools/reference/.venv/bin/python tools/reference/generate_weight_table.py
"""

import pathlib
import warnings

import numpy as np
from nengo_loihi.block import SynapseConfig
from nengo_loihi.builder.discretize import discretize_weights

BITS = [1, 2, 3, 4, 5, 6, 8]
EXPONENTS = range(-8, 8)

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "LoihiArithmeticTests" / "Fixtures" / "discretize_weights.npy"


def main():
    wgt = np.arange(-256, 256).astype(np.float64)
    table = np.zeros((len(BITS), len(EXPONENTS), wgt.size), dtype=np.int32)
    with warnings.catch_warnings():
        # NengoLoihi warns about the bits lost at negative exponents; that loss is the point.
        warnings.simplefilter("ignore")
        for i, bits in enumerate(BITS):
            for j, exp in enumerate(EXPONENTS):
                cfg = SynapseConfig(
                    weight_bits=SynapseConfig.WEIGHT_BITS_MAP.index(bits),
                    fanout_type=1,  # mixed sign, as NengoLoihi always programs
                    weight_exp=exp,
                )
                # exp = -8 is outside NengoLoihi's validator (-7...7) but inside the 4-bit
                # hardware field; the arithmetic is defined, so skip the range check.
                table[i, j] = discretize_weights(cfg, wgt.copy(), check_result=False)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.save(OUT, table)
    print(f"wrote {OUT.relative_to(ROOT)}: shape {table.shape}, range {table.min()}...{table.max()}")


if __name__ == "__main__":
    main()
