"""PyTorch modules equivalent to circuitry's networks, built from a run.

Each forward pass computes what circuitry's does with the same weights
(float32, to ~1e-6). The study-1 networks' backward variants (I-Norm's
GradNorm and the rest) are circuitry's training rule, not part of the
forward: autograd through these modules gives the exact gradient of the
forward pass, which is what the I-Norm "none" variant does not use.
"""

import torch
from torch import nn

from ._files import RunError

_EPS = 1e-5  # circuitry's layer-norm and I-Norm epsilon

# Study 1's conditions: (core, normalisation of the hidden pre-activation).
_DALE = {
    "ei": ("dann", None), "ei_ln": ("dann", "ln"), "e_ln": ("eonly", "ln"), "ei_ln_identity": ("dann", "ln"),
    "mlp": ("linear", None), "inorm": ("inorm", None), "inorm_full": ("inorm", None), "inorm_center": ("inorm", None),
    "inorm_fa_center": ("inorm", None), "inorm_scale": ("inorm", None), "inorm_decorrelate": ("inorm", None),
    "inorm_sub": ("inorm_sub", None), "inorm_sub_center": ("inorm_sub", None),
}


def _layer_norm(x):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], eps=_EPS)


class MLP(nn.Module):
    """circuitry's MLP (model.kind mlp): [centre each image] then Linear
    [LayerNorm without affine] activation per hidden layer, Linear out."""

    def __init__(self, n_in, hidden, classes, activation="relu", layer_norm=False, center_input=False):
        super().__init__()
        self.center_input, self.layer_norm = center_input, layer_norm
        self.act = torch.tanh if activation == "tanh" else torch.relu
        sizes = [n_in] + list(hidden)
        for i in range(len(hidden)):
            setattr(self, f"fc{i + 1}", nn.Linear(sizes[i], sizes[i + 1]))
        self.out = nn.Linear(sizes[-1], classes)
        self.depth = len(hidden)

    def forward(self, x):
        if self.center_input:
            x = x - x.mean(dim=1, keepdim=True)
        for i in range(self.depth):
            x = getattr(self, f"fc{i + 1}")(x)
            if self.layer_norm:
                x = _layer_norm(x)
            x = self.act(x)
        return self.out(x)


class DANN(nn.Module):
    """z = x (Wex - Wei Wix)^T + b (E-only without Wix, Wei): the effective
    weight first, as the authors' code and circuitry's default order
    (model.dann_order) compute it."""

    def __init__(self, d, ne, ni):
        super().__init__()
        self.Wex, self.b = nn.Parameter(torch.zeros(ne, d)), nn.Parameter(torch.zeros(ne))
        self.ni = ni
        if ni:
            self.Wix, self.Wei = nn.Parameter(torch.zeros(ni, d)), nn.Parameter(torch.zeros(ne, ni))

    def forward(self, x):
        w = self.Wex - self.Wei @ self.Wix if self.ni else self.Wex
        return x @ w.T + self.b


class INorm(nn.Module):
    """z = (Wex x + b - Wei Wix x) / D, D = sqrt(mean_k (Bix_k x)^2 + 1e-5)
    (the subtractive-only layer: D = 1). Wei is fixed in the divisive layer;
    fa_center layers carry their fixed feedback weights as a buffer."""

    def __init__(self, d, ne, ni, subtractive=False, fa=False):
        super().__init__()
        self.Wex, self.b = nn.Parameter(torch.zeros(ne, d)), nn.Parameter(torch.zeros(ne))
        self.Wix, self.Wei = nn.Parameter(torch.zeros(ni, d)), nn.Parameter(torch.zeros(ne, ni), requires_grad=subtractive)
        self.subtractive = subtractive
        if not subtractive:
            self.Bix = nn.Parameter(torch.zeros(ne, d))
        if fa:
            self.register_buffer("fa", torch.zeros(ne))

    def forward(self, x):
        z = x @ self.Wex.T + self.b - (x @ self.Wix.T) @ self.Wei.T
        if self.subtractive:
            return z
        r = x @ self.Bix.T
        return z / torch.sqrt((r * r).mean(dim=1, keepdim=True) + _EPS)


class DaleNet(nn.Module):
    """The inhibitory-normalisation study's network for one condition:
    hidden layers h1..hK (DANN, E-only, Linear, I-Norm) with ReLU, and a
    DANN read-out with one inhibitory unit (Linear for the mlp condition)."""

    def __init__(self, condition, n_in, hidden, inhibitory, classes=10):
        super().__init__()
        if condition not in _DALE:
            raise ValueError(f"condition {condition!r}: want one of {sorted(_DALE)}")
        core, self.norm = _DALE[condition]
        self.depth = len(hidden)
        d = n_in
        for i, (ne, ni) in enumerate(zip(hidden, inhibitory)):
            if core == "dann":
                layer = DANN(d, ne, ni)
            elif core == "eonly":
                layer = DANN(d, ne, 0)
            elif core == "linear":
                layer = nn.Linear(d, ne)
            else:
                layer = INorm(d, ne, ni, subtractive=core == "inorm_sub", fa=condition == "inorm_fa_center")
            setattr(self, f"h{i + 1}", layer)
            d = ne
        self.out = nn.Linear(d, classes) if core == "linear" else DANN(d, classes, 1)

    def forward(self, x):
        for i in range(self.depth):
            x = getattr(self, f"h{i + 1}")(x)
            if self.norm == "ln":
                x = _layer_norm(x)
            x = torch.relu(x)
        return self.out(x)


def _noise(shape, sd, kind, generator):
    if sd == 0:
        return 0
    if kind == "uniform":
        return sd * torch.rand(shape, generator=generator)
    return sd * torch.randn(shape, generator=generator)


class CTRNN(nn.Module):
    """Study 2's continuous-time RNN: h_0 = E c_0; u_t = W_rec h_{t-1} +
    W_in x_t; h_t = (1 - alpha) h_{t-1} + alpha f(u_t) + sd xi_t; y_t =
    W_out h_t. Inputs are time-major, (T, B, n_in)."""

    def __init__(self, n_in, n_rec, n_out, n_init, alpha, activation="relu"):
        super().__init__()
        self.E, self.W_in = nn.Parameter(torch.zeros(n_rec, n_init)), nn.Parameter(torch.zeros(n_rec, n_in))
        self.W_rec, self.W_out = nn.Parameter(torch.zeros(n_rec, n_rec)), nn.Parameter(torch.zeros(n_out, n_rec))
        self.alpha = alpha
        self.act = torch.tanh if activation == "tanh" else torch.relu

    def step(self, h, x_t):
        return (1 - self.alpha) * h + self.alpha * self.act(h @ self.W_rec.T + x_t @ self.W_in.T)

    def forward(self, x, c0, noise_sd=0.0, noise="uniform", generator=None):
        """Returns outputs (T, B, n_out) and hidden states (T, B, n_rec)."""
        h, hs = c0 @ self.E.T, []
        for t in range(x.shape[0]):
            h = self.step(h, x[t]) + _noise(h.shape, noise_sd, noise, generator)
            hs.append(h)
        hs = torch.stack(hs)
        return hs @ self.W_out.T, hs


class NormCTRNN(CTRNN):
    """The Dale CT-RNN with its drive normalised before f (conditions
    dale_norm_* and dale_divnorm_*): f(gain * N(u_t)), N layer norm across
    units (zero mean, unit variance, eps 1e-5, no affine) or divisive
    normalisation (u_t over its root mean square + eps). Dale's signs live
    in the loaded weights; nothing here re-imposes them."""

    def __init__(self, n_in, n_rec, n_out, n_init, alpha, activation, kind, gain):
        super().__init__(n_in, n_rec, n_out, n_init, alpha, activation)
        self.kind, self.gain = kind, gain

    def step(self, h, x_t):
        u = h @ self.W_rec.T + x_t @ self.W_in.T
        if self.kind == "layer":
            z = (u - u.mean(-1, keepdim=True)) / torch.sqrt(u.var(-1, unbiased=False, keepdim=True) + 1e-5)
        else:
            z = u / torch.sqrt((u * u).mean(-1, keepdim=True) + 1e-5)
        return (1 - self.alpha) * h + self.alpha * self.act(self.gain * z)


class GRU(CTRNN):
    """Study 2's continuous-time GRU: z = sigmoid(W_z x + U_z h), g =
    sigmoid(W_g x + U_g h), u = W_h x + U_h (g * h), h <- h + alpha (1 - z)
    (tanh(u) - h) + sd xi. W_i = [W_z; W_g; W_h], U_zg = [U_z; U_g]."""

    def __init__(self, n_in, n_rec, n_out, n_init, alpha):
        nn.Module.__init__(self)
        self.E, self.W_i = nn.Parameter(torch.zeros(n_rec, n_init)), nn.Parameter(torch.zeros(3 * n_rec, n_in))
        self.U_zg, self.U_h = nn.Parameter(torch.zeros(2 * n_rec, n_rec)), nn.Parameter(torch.zeros(n_rec, n_rec))
        self.W_out = nn.Parameter(torch.zeros(n_out, n_rec))
        self.alpha, self.n = alpha, n_rec

    def step(self, h, x_t):
        n = self.n
        gi, p = x_t @ self.W_i.T, h @ self.U_zg.T
        z = torch.sigmoid(p[:, :n] + gi[:, :n])
        g = torch.sigmoid(p[:, n:] + gi[:, n : 2 * n])
        u = (g * h) @ self.U_h.T + gi[:, 2 * n :]
        return h + self.alpha * (1 - z) * (torch.tanh(u) - h)


def _load(module, weights):
    state = {k: torch.from_numpy(v) for k, v in weights.items()}
    module.load_state_dict(state, strict=True)
    return module


def to_torch(run):
    """An equivalent module of a run's network, with its weights loaded.
    The config's sizes are checked against the weights before anything is
    allocated; a config or weights file that does not describe the network
    raises RunError naming it."""
    if not run.weights:
        raise RunError(f"{run.dir}: no weights.safetensors (not finished?)")
    try:
        module = _build(run)
    except RunError:
        raise
    except (KeyError, TypeError, IndexError, AttributeError, ValueError, OverflowError) as e:
        raise RunError(f"{run.dir}: config.yaml and weights.safetensors do not describe a network ({type(e).__name__}: {e})") from None
    try:
        return _load(module, run.weights)
    except RuntimeError as e:
        raise RunError(f"{run.dir}/weights.safetensors: {e}") from None


def _shape(w, name):
    if name not in w:
        raise RunError(f"weights.safetensors has no tensor {name} (has {', '.join(sorted(w))})")
    return tuple(w[name].shape)


def _expect(run, name, got, want):
    if got != want:
        raise RunError(f"{run.dir}: config.yaml gives {name} the shape {want}, weights.safetensors {got}")


def _build(run):
    """The module of the run's network, its sizes checked first."""
    cfg, w = run.config, run.weights
    if run.kind == "reactivation":
        net, cond = cfg["network"], cfg["conditions"][0]
        alpha = net["dt"] / net["tau"]
        n_rec, n_init = _shape(w, "E")
        n_in = (w.get("W_in") if "W_in" in w else w.get("W_i", None))
        if n_in is None:
            raise RunError(f"{run.dir}/weights.safetensors: no input weights (W_in or W_i)")
        n_in, n_out = n_in.shape[1], _shape(w, "W_out")[0]
        if cond.startswith("gru_"):
            return GRU(n_in, n_rec, n_out, n_init, alpha)
        if cond.startswith(("dale_norm_", "dale_divnorm_")):
            kind = "layer" if cond.startswith("dale_norm_") else "divisive"
            gain = float(net.get("norm_gain") or 1)
            return NormCTRNN(n_in, n_rec, n_out, n_init, alpha, net.get("activation", "relu"), kind, gain)
        return CTRNN(n_in, n_rec, n_out, n_init, alpha, net.get("activation", "relu"))
    model = cfg["model"]
    hidden = [int(h) for h in model["hidden"]]
    if model.get("kind", "mlp") == "mlp":
        d = _shape(w, "fc1.weight")[1]
        for i, h in enumerate(hidden):
            _expect(run, f"fc{i + 1}.weight", _shape(w, f"fc{i + 1}.weight"), (h, d))
            d = h
        classes = _shape(w, "out.weight")[0]
        _expect(run, "out.weight", _shape(w, "out.weight"), (classes, d))
        return MLP(_shape(w, "fc1.weight")[1], hidden, classes, model.get("activation", "relu"),
                   model.get("layer_norm", False), model.get("center_input", False))
    inhibitory = [int(n) for n in (model.get("inhibitory") or [max(1, h // 10) for h in hidden])]
    first = "h1.Wex" if "h1.Wex" in w else "h1.weight"
    d = _shape(w, first)[1]
    n_in = d
    for i, (h, ni) in enumerate(zip(hidden, inhibitory)):
        name = f"h{i + 1}.Wex" if f"h{i + 1}.Wex" in w else f"h{i + 1}.weight"
        _expect(run, name, _shape(w, name), (h, d))
        if f"h{i + 1}.Wix" in w:
            _expect(run, f"h{i + 1}.Wix", _shape(w, f"h{i + 1}.Wix"), (ni, d))
        d = h
    return DaleNet(model["condition"], n_in, hidden, inhibitory)
