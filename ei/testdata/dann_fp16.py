"""Reference for ei's float16 DANN test: one DANN layer's forward and
backward in the authors' product order (the effective weight
W = Wex - Wei Wix formed first, then x W^T) under PyTorch's fp16 autocast,
emulated in float64: each matrix product's operands are rounded to IEEE
half, the product is exact (float64), and its result is rounded to half;
everything else (the difference Wex - P, the bias, gradient sums) is exact.
Written from shared/science/inhibitory-normalization.md (third reading).

Reads a JSON object {x, wex, wix, wei, b, dz} (row-major lists with
shapes) on stdin; prints {z, dx, gwex, gwix, gwei} as lists.
"""
import json
import sys

import torch

D = torch.float64


def half(t):
    """t rounded to IEEE binary16 and back: what an autocast product reads
    and writes."""
    return t.to(torch.float16).to(D)


def mm(a, b):
    """An autocast product: half operands, exact sum, half result."""
    return half(half(a) @ half(b))


def main():
    c = json.load(sys.stdin)
    t = {k: torch.tensor(v["data"], dtype=D).reshape(v["shape"]) for k, v in c.items()}
    x, wex, wix, wei, b, dz = (t[k] for k in ("x", "wex", "wix", "wei", "b", "dz"))
    w = wex - mm(wei, wix)  # float32 parameter minus an fp16 product
    z = mm(x, w.T) + b
    # Backward of z = x W^T + b (autocast: the upstream error enters the
    # fp16 products rounded), then of W = Wex - Wei Wix.
    dw = mm(dz.T, x)
    dx = mm(dz, w)
    gwei = -mm(dw, wix.T)
    gwix = -mm(wei.T, dw)
    out = {"z": z, "dx": dx, "gwex": dw, "gwix": gwix, "gwei": gwei}
    json.dump({k: v.flatten().tolist() for k, v in out.items()}, sys.stdout)


if __name__ == "__main__":
    main()
