"""Load circuitry run directories into NumPy and PyTorch.

    import circuitry
    run = circuitry.load_run("runs/demo/mlp")
    run.config["model"]["hidden"], run.metrics[-1]["test_acc"], run.arrays["metrics"]
    net = circuitry.to_torch(run)          # a torch.nn.Module with the trained weights

Every damaged input (a file that is not valid, not a regular file, too
large, or inconsistent with the weights) raises circuitry.RunError, a
ValueError naming the file and the problem. NumPy and PyYAML are required; PyTorch only for to_torch. Usable from a
checkout by path (sys.path.insert(0, "python")) or installed with
`pip install ./python`.
"""

from ._files import RunError
from .runs import Run, load_run, load_study
from .safetensors import read_safetensors

__all__ = ["Run", "RunError", "load_run", "load_study", "read_safetensors", "to_torch"]


def to_torch(run):
    """An equivalent torch.nn.Module of a run's network with its weights
    loaded (see circuitry.torch_models)."""
    from .torch_models import to_torch as _to_torch

    return _to_torch(run)
