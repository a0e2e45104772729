"""Oracle for ei's oracle test: one SGD step of a study-1 network, written
from the study's description (shared/science/inhibitory-normalization.md),
in PyTorch with autograd.

Reads a JSON list of cases (condition, weights, batch, learning rates) on
stdin and prints a JSON list: for each, the task loss and every parameter's
value after one step of plain SGD followed by clipping Dale's-law weights
at 0. It computes in float64, the exact reference for circuitry's float32.
"""
import json
import sys

import torch

EPS = 1e-5
# float64: the oracle is the exact computation; circuitry runs in float32.
DTYPE = torch.float64


def tensor(p):
    return torch.tensor(p["data"], dtype=DTYPE).reshape(p["shape"])


def layer_norm(a):
    m = a.mean(dim=1, keepdim=True)
    v = ((a - m) ** 2).mean(dim=1, keepdim=True)
    return (a - m) / torch.sqrt(v + EPS)


class N(torch.autograd.Function):
    """The identity forward; the variant's map of the error backward."""

    @staticmethod
    def forward(ctx, z, variant, w):
        ctx.save_for_backward(z, w)
        ctx.variant = variant
        return z.clone()

    @staticmethod
    def backward(ctx, g):
        z, w = ctx.saved_tensors
        v = ctx.variant
        ne = z.shape[1]
        s = torch.sqrt(z.var(dim=1, unbiased=False, keepdim=True) + EPS)
        mg = g.mean(dim=1, keepdim=True)
        gz = (g * z).sum(dim=1, keepdim=True) / ne  # raw z, as the study writes
        if v == "none":
            out = g
        elif v == "full":
            out = (g - mg - z * gz) / s
        elif v == "center":
            out = g - mg
        elif v == "fa_center":
            out = g - (g * w).sum(dim=1, keepdim=True)
        elif v == "scale":
            out = g / s
        elif v == "decorrelate":
            out = g - z * gz
        else:
            raise ValueError(v)
        return out, None, None


def dann(P, name, x):
    z = x @ P[name + ".Wex"].T + P[name + ".b"]
    if name + ".Wix" in P:
        z = z - (x @ P[name + ".Wix"].T) @ P[name + ".Wei"].T
    return z


def inorm(P, name, x, case, fa, subtractive):
    """Returns z and the layer's local loss."""
    lam = case["lambda"]
    xs = x.detach()
    e = x @ P[name + ".Wex"].T + P[name + ".b"]
    i = (xs @ P[name + ".Wix"].T) @ P[name + ".Wei"].T
    if subtractive:
        o = e.detach() - i
        local = lam * (o.mean(dim=1) ** 2).mean()
        z = e - i.detach()
    else:
        r = xs @ P[name + ".Bix"].T
        D = torch.sqrt((r ** 2).mean(dim=1, keepdim=True) + EPS)
        o = (e.detach() - i) / D
        var = o.var(dim=1, unbiased=False)
        local = lam * (o.mean(dim=1) ** 2 + (var - 1) ** 2).mean()
        z = (e - i.detach()) / D.detach()
    w = torch.tensor(fa, dtype=DTYPE) if fa is not None else torch.zeros(1, dtype=DTYPE)
    return N.apply(z, case["variant"], w), local


def step(case):
    P = {name: tensor(p).requires_grad_(True) for name, p in case["params"].items()}
    x = torch.tensor(case["x"], dtype=DTYPE).reshape(case["x_shape"])
    labels = torch.tensor(case["labels"], dtype=torch.long)
    core, norm = case["core"], case["norm"]
    local = torch.zeros((), dtype=DTYPE)
    h = x
    for li, name in enumerate(["h1", "h2"]):
        if core in ("dann", "eonly"):
            a = dann(P, name, h)
        elif core == "linear":
            a = h @ P[name + ".weight"].T + P[name + ".bias"]
        else:
            a, l = inorm(P, name, h, case, case["fa"][li], core == "inorm_sub")
            local = local + l
        if norm == "ln":
            a = layer_norm(a)
        elif norm == "ln_identity":  # layer norm forward, identity backward
            a = a + (layer_norm(a) - a).detach()
        h = torch.relu(a)
    if core == "linear":
        logits = h @ P["out.weight"].T + P["out.bias"]
    else:
        logits = dann(P, "out", h)
    loss = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=0.1)
    # The task loss trains every parameter but I-Norm's hidden Wix, Bix,
    # Wei; the local loss trains only those (stop-gradients above).
    (loss + local).backward()
    out = {"loss": loss.item(), "params": {}}
    with torch.no_grad():
        for name, p in P.items():
            lr = case["lr"][name]
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            v = p - lr * g
            if name in (case["nonneg"] or []):
                v = v.clamp(min=0)
            out["params"][name] = v.flatten().tolist()
    return out


if __name__ == "__main__":
    print(json.dumps([step(c) for c in json.load(sys.stdin)]))
