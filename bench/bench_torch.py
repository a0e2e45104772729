# PyTorch equivalents of `circuitry bench`'s workloads, run by it when
# /usr/bin/python3 has torch. Prints one JSON object per line:
# {"name": ..., "value": ..., "unit": ...}, names matching the Go side.
import json, os, sys, time
import torch

MIN = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
# The thread count to measure at (`circuitry bench` runs 1 and all cores,
# and compares with the fastest setting). torch.set_num_threads does not
# reach Debian's OpenBLAS, which reads OPENBLAS_NUM_THREADS at load:
# circuitry bench sets that (and OMP_NUM_THREADS) in this process's
# environment, and this script reports the counts it actually ran with.
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
torch.manual_seed(0)
torch.set_num_threads(THREADS)

def openblas_threads():
    """OpenBLAS's thread count, or None when torch does not use OpenBLAS."""
    import ctypes, re
    with open("/proc/self/maps") as f:
        libs = sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", f.read())))
    for lib in libs:
        try:
            return int(ctypes.CDLL(lib).openblas_get_num_threads())
        except (OSError, AttributeError):
            continue
    return None

def timeit(f):
    f()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < MIN or n < 3:
        f()
        n += 1
    return (time.perf_counter() - t0) / n

def emit(name, value, unit):
    print(json.dumps({"name": name, "value": value, "unit": unit}), flush=True)

print(json.dumps({"name": "setting", "threads": torch.get_num_threads(), "blas_threads": openblas_threads()}), flush=True)

for m, n, k in [(32, 500, 784), (200, 512, 512), (1024, 1024, 1024)]:
    a, b = torch.ones(m, k), torch.full((k, n), 0.5)
    c = torch.empty(m, n)
    s = timeit(lambda: torch.mm(a, b, out=c))
    emit(f"sgemm {m}x{n}x{k}", 2 * m * n * k / s / 1e9, "GFLOP/s")

def dann(d, ne, ni):
    s = (2 * ne / (d * (ne - 1))) ** 0.5
    Wex = torch.empty(ne, d).log_normal_(mean=float(torch.log(torch.tensor(s / 2 ** 0.5))), std=float(torch.log(torch.tensor(2.0)) ** 0.5))
    Wei = torch.rand(ne, ni); Wei /= Wei.sum(1, keepdim=True)
    Wix = Wex.mean(0, keepdim=True).repeat(ni, 1)
    b = torch.zeros(ne)
    return [p.requires_grad_() for p in (Wex, Wix, Wei, b)]

def dann_fwd(x, p):
    # The authors' order, which circuitry's DANN layers compute: the
    # effective weight W = Wex - Wei Wix first, then x W^T.
    Wex, Wix, Wei, b = p
    return x @ (Wex - Wei @ Wix).T + b

for cond, h in [("ei", 500), ("ei_ln", 500)]:
    layers = [dann(784, h, h // 10), dann(h, h, h // 10), dann(h, 10, 1)]
    params = [q for p in layers for q in p]
    opt = torch.optim.SGD(params, lr=0.005)
    x, y = torch.rand(32, 784), torch.arange(32) % 10
    lossf = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    def step():
        opt.zero_grad()
        a = x
        for p in layers[:-1]:
            z = dann_fwd(a, p)
            if cond == "ei_ln":
                z = torch.nn.functional.layer_norm(z, z.shape[1:])
            a = torch.relu(z)
        lossf(dann_fwd(a, layers[-1]), y).backward()
        opt.step()
        with torch.no_grad():
            for p in layers:
                for w in p[:3]:
                    w.clamp_(min=0)
    emit(f"study-1 train step, {cond} 784-{h}-{h}-10, batch 32", 1 / timeit(step), "steps/s")

for task, n_rec, n_in, alpha in [("spatial", 512, 2, 0.2), ("headdir", 128, 1, 0.5)]:
    cells, B, T = 512, 200, 100
    lin = lambda i, o: torch.nn.Linear(i, o, bias=False)
    E, Win, Wrec, Wout = lin(cells, n_rec), lin(n_in, n_rec), lin(n_rec, n_rec), lin(n_rec, cells)
    params = [w for m in (E, Win, Wrec, Wout) for w in m.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    x, c0, tgt = torch.randn(T, B, n_in) * 0.02, torch.rand(B, cells) / cells, torch.rand(T, B, cells) / cells
    sigma = 0.01
    def step():
        opt.zero_grad()
        h = E(c0)
        ys = []
        for t in range(T):
            h = (1 - alpha) * h + alpha * torch.relu(Wrec(h) + Win(x[t])) + sigma * torch.randn_like(h)
            ys.append(Wout(h))
        loss = ((torch.stack(ys) - tgt) ** 2).mean()
        loss.backward()
        opt.step()
    emit(f"study-2 {task} RNN {n_rec} units, {cells} cells, batch {B} x {T} steps: train step", timeit(step), "s/step")
