"""Optimizer hooks: transformations of the gradients applied before the update rule.

A hook is called as ``hook(optimizer, names, params, grads)`` with aligned lists
of the parameters (arrays) updated at this step and their gradients. It may
replace entries of ``grads`` by *new* arrays (the effective gradient used by
the rule); it never writes into a gradient array, and ``Parameter.grad`` keeps
the raw gradient. Hooks run in the order they were added::

    opt.add_hook(GradientClipping(5.0))

(Weight decay is not a hook: it is the loss term of a network's ``weight_decay_lambda``,
or AdamW's decoupled rule; see docs/DESIGN.md.)
"""
import math

import numpy as np

from keisan import cuda
from keisan.optimizers.optimizer import Configurable, Hyperparameter


class GradientClipping(Configurable):
    """Rescale all gradients together so that their global L2 norm is at most ``threshold``.

    ``norm = sqrt(sum_i sum(g_i**2))``; if ``norm > threshold`` every gradient
    becomes ``g_i * (threshold / norm)``, otherwise nothing changes.
    """
    name = 'GradientClipping'
    threshold = Hyperparameter()
    last_norm = None            # the norm seen at the last step (for logging)

    def __call__(self, optimizer, names, params, grads):
        norm = global_norm(grads)
        self.last_norm = norm
        if norm > self.threshold:
            scale = self.threshold / norm
            for i, g in enumerate(grads):
                grads[i] = g * scale


def global_norm(arrays):
    """L2 norm of the concatenation of ``arrays``, as a Python float (one sync on CuPy)."""
    total = 0.0
    device = []
    for a in arrays:
        flat = a.reshape(-1)
        if isinstance(a, np.ndarray):
            total += float(np.dot(flat, flat))
        else:
            device.append(cuda.get_array_module(a).dot(flat, flat))
    if device:
        total += float(sum(device))
    return math.sqrt(total)
