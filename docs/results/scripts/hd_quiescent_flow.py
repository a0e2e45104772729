#!/usr/bin/env python3
"""Why a head-direction network's quiescent headings gather in one sector.

Usage: hd_quiescent_flow.py [--figure OUT.png] RUN_DIR [RUN_DIR ...]
       (finished head-direction runs; the figure: one panel per network)

For each network it sleeps the trained weights as circuitry's quiescence does
(zero input, the run's training noise kind, noise sd x sqrt 2) and measures,
per heading bin of 2 pi / 36:
  occupancy  the fraction of quiescent headings in the bin (steps 100-1000 of
             400 trajectories started at evenly spaced headings);
  drift      the mean signed heading change per step of the states in the bin;
  flow       the same with the noise replaced by its mean (uniform noise only:
             sd/2 per unit per step), i.e. the deterministic part of the
             sleep, from 720 evenly spaced headings after 20 settling steps.
A ring that turns one way everywhere would spread quiescent headings round
the circle (densest where it turns slowest); a flow that reverses somewhere
has a stable fixed point where it crosses zero from + to -, and the headings
pile up there. The script prints the sector holding half the occupancy, the
noisy drift per bin and the bins where the deterministic flow stops or
reverses; with --figure it draws both against heading. Nothing here changes
a verdict; it explains one.

Needs Debian's python3 with torch and numpy; PYTHONPATH=python.
"""

import math
import sys

import numpy as np
import torch

sys.path.insert(0, "python")
from circuitry.runs import load_run  # noqa: E402
from circuitry.torch_models import _noise, to_torch  # noqa: E402

BINS = 36
CENTRES = -math.pi + 2 * math.pi * (np.arange(BINS) + 0.5) / BINS  # bin centres, rad


def cells(cfg):
    """Preferred angles and kappa as the run's task defines them: n cells
    on [-pi, pi] with both ends (the authors'), or on [-pi, pi) under the
    named option headdir.open_cell_spacing."""
    n = int(cfg["network"]["cells"])
    hd = cfg.get("headdir") or {}
    spread = float(hd.get("spread", math.pi / 6))
    pref = torch.linspace(-math.pi, math.pi, n + 1 if hd.get("open_cell_spacing") else n, dtype=torch.float64)
    if hd.get("open_cell_spacing"):
        pref = pref[:-1]
    return pref, 1.0 / spread**2


def encode(theta, pref, kappa):
    return torch.exp(kappa * (torch.cos(theta[:, None] - pref[None, :]) - 1)).float()


def decode(y, pref):
    idx = torch.topk(y, 3, dim=-1).indices
    p = pref[idx]
    return torch.atan2(torch.sin(p).sum(-1), torch.cos(p).sum(-1))


def wrap(a):
    return (a + math.pi) % (2 * math.pi) - math.pi


def sleep(net, h, steps, sd, kind, gen, pref, mean_only=False):
    """Decoded headings (steps, B) of a zero-input sleep from states h."""
    x = torch.zeros(h.shape[0], net.W_in.shape[1])
    out = []
    for _ in range(steps):
        h = net.step(h, x)
        if mean_only:
            h = h + (sd / 2 if kind == "uniform" else 0.0)
        else:
            h = h + _noise(h.shape, sd, kind, gen)  # the module's own noise, as its forward draws it
        out.append(decode((h @ net.W_out.T).double(), pref))
    return torch.stack(out)


def per_bin(theta, dtheta):
    """Occupancy and mean signed step per heading bin."""
    b = ((theta + math.pi) / (2 * math.pi) * BINS).long().clamp(0, BINS - 1)
    occ = torch.bincount(b, minlength=BINS).double()
    drift = torch.bincount(b, weights=dtheta, minlength=BINS) / occ.clamp(min=1)
    drift[occ == 0] = math.nan  # no state there: no rate
    return occ / occ.sum(), drift


def half_sector(occ):
    """The shortest run of bins (circularly) holding half the occupancy."""
    o = np.concatenate([occ, occ])
    for width in range(1, BINS + 1):
        sums = np.convolve(o, np.ones(width), "valid")[:BINS]
        if sums.max() >= 0.5:
            start = int(sums.argmax())
            lo = -math.pi + 2 * math.pi * start / BINS
            hi = lo + 2 * math.pi * width / BINS
            # the upper end in (-pi, pi], so a sector ending at pi reads +3.14
            return width, wrap(torch.tensor(lo)).item(), -wrap(torch.tensor(-hi)).item()
    return BINS, -math.pi, math.pi


def analyse(path):
    run = load_run(path)
    net, cfg = to_torch(run).eval(), run.config
    if cfg.get("task") != "headdir":
        sys.exit(f"{path}: not a head-direction run (task {cfg.get('task')!r})")
    pref, kappa = cells(cfg)
    # The sleep noise circuitry's analysis used (summary.json): networks
    # trained without noise (conditions nonoise*) sleep without it.
    sd = run.summary.get("sleep_noise_sd")
    if sd is None:
        noisy = not cfg["conditions"][0].startswith("nonoise")
        sd = noisy * math.sqrt(float(cfg["network"]["sigma2_rec"])) * float(cfg["quiescence"]["noise_factor"])
    sd = float(sd)
    kind = cfg["network"].get("noise") or "gaussian"
    gen = torch.Generator().manual_seed(20261207)
    with torch.no_grad():
        start = torch.linspace(-math.pi, math.pi, 401, dtype=torch.float64)[:-1]
        th = sleep(net, encode(start, pref, kappa) @ net.E.T, 1000, sd, kind, gen, pref)[99:]
        d = wrap(th[1:] - th[:-1])
        occ, drift = per_bin(th[:-1].reshape(-1), d.reshape(-1))
        start = torch.linspace(-math.pi, math.pi, 721, dtype=torch.float64)[:-1]
        fl = sleep(net, encode(start, pref, kappa) @ net.E.T, 60, sd, kind, gen, pref, mean_only=True)[19:]
        _, flow = per_bin(fl[:-1].reshape(-1), wrap(fl[1:] - fl[:-1]).reshape(-1))
    o, v, f = occ.numpy(), drift.numpy(), flow.numpy()
    seen = o > 0
    width, lo, hi = half_sector(o)
    stops = [f"{CENTRES[i]:+.2f}" for i in range(BINS) if f[i] <= 0]
    unseen = int(np.isnan(f).sum())
    # d starts at step 100; its second half is steps 550-1000 (steady state)
    print(f"{run.name}: sleep noise {kind} sd {sd:.4f}; mean signed step {d.mean():+.4f} rad "
          f"(steps 550-1000: {d[d.shape[0] // 2:].mean():+.4f})")
    print(f"  half the quiescent headings lie in {width}/{BINS} bins ({lo:+.2f} to {hi:+.2f} rad)")
    print(f"  drift per bin (rad/step): min {v[seen].min():+.4f}, median {np.median(v[seen]):+.4f}, max {v[seen].max():+.4f}")
    print(f"  deterministic flow (noise -> its mean): median {np.nanmedian(f):+.4f} rad/step; "
          f"stops or reverses in {len(stops)} of the {BINS - unseen} bins reached: {' '.join(stops[:12])}")
    for i in range(0, BINS, 4):
        print(f"    {CENTRES[i]:+.2f} rad  occupancy {o[i]:.3f}  drift {v[i]:+.4f}  flow {f[i]:+.4f}")
    return f"{run.name}, sleep sd {sd:.3f}", o, f


def figure(path, panels):
    """Occupancy (bars) and deterministic flow (line) against heading."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 2.6), squeeze=False)
    for ax, (name, occ, flow) in zip(axes[0], panels):
        ax.bar(CENTRES, occ, width=2 * math.pi / BINS, color="#ee333388", label="quiescent headings")
        ax.set_xlabel("heading (rad)")
        ax.set_ylabel("fraction of quiescent headings")
        ax.set_title(name, fontsize=9)
        ax2 = ax.twinx()
        ax2.plot(CENTRES, flow, "k.-", lw=1, ms=3, label="deterministic flow")
        ax2.axhline(0, color="grey", lw=0.6)
        lim = 1.5 * np.nanpercentile(np.abs(flow), 90)  # a few sparsely visited bins jump
        ax2.set_ylim(-lim, lim)
        ax2.set_ylabel("flow (rad/step)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    print(f"figure: {path}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    torch.set_num_threads(1)
    args, out = sys.argv[1:], None
    if args[0] == "--figure":
        if len(args) < 3:
            sys.exit(__doc__)
        out, args = args[1], args[2:]
    panels = [analyse(p) for p in args]
    if out:
        figure(out, panels)
