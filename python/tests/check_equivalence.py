"""Check circuitry's Python loader against circuitry itself.

Usage: check_equivalence.py CASES.json. Each case names a run directory,
inputs (.npy) and the outputs circuitry computed from them; the module
circuitry.to_torch builds must reproduce them to 1e-5 of their largest
magnitude. Prints one line per case and exits 1 on any mismatch."""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import circuitry  # noqa: E402


def main(path):
    cases = json.load(open(path))
    bad = 0
    for c in cases:
        run = circuitry.load_run(c["dir"])
        record = json.load(open(os.path.join(c["dir"], "run.json")))
        assert run.finished and run.metrics and run.summary, f"{c['dir']}: incomplete run"
        assert run.metadata.get("config_sha256") == record["config_sha256"], "weights not tagged with the run's fingerprint"
        if c["kind"] == "reactivation":
            t, b, d = run.arrays["waking_true"].shape
            assert run.arrays["waking_inputs"].shape[:2] == (t, b) and run.arrays["waking_decoded"].shape == (t, b, d)
            assert run.arrays["cell_tuning"].shape[0] == run.weights["W_out"].shape[0]
        # float64: the comparison measures circuitry's float32 error, not
        # float32 rounding in torch's layer norm on top of it.
        net = circuitry.to_torch(run).eval()
        want = np.load(c["y"])
        scale = max(1e-12, float(np.max(np.abs(want))))
        ys = {}
        for dtype in (torch.float64, torch.float32):
            m = net.to(dtype)
            x = torch.from_numpy(np.load(c["x"])).to(dtype)
            with torch.no_grad():
                if c["kind"] == "reactivation":
                    y, _ = m(x, torch.from_numpy(np.load(c["c0"])).to(dtype))
                else:
                    y = m(x)
            ys[dtype] = y.double().numpy().reshape(want.shape)
        err = float(np.max(np.abs(ys[torch.float64] - want)) / scale)
        torch32 = float(np.max(np.abs(ys[torch.float32] - ys[torch.float64])) / scale)
        # circuitry's float32 error against float64 may reach a few times
        # PyTorch float32's own: both round every sum, in different orders,
        # and I-Norm's (e - i) / D cancels two large activations and divides
        # by a small D, amplifying whichever rounding each order makes (with
        # OpenBLAS and the authors' DANN order, I-Norm + scale gives 2.85e-05
        # against PyTorch's 1.17e-05; a wrong formula or order is off by
        # 1e-3 or more).
        ok = err <= max(1e-5, 3 * torch32)
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {c['name']}: max relative difference {err:.2e} (PyTorch float32's own: {torch32:.2e})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
