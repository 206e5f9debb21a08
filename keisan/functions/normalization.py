"""Batch normalization (per feature for 2-D input, per channel for 4-D input)."""
from keisan.cuda import get_array_module
from keisan.config import config
from keisan.core.function import Function
from keisan.functions.math import sqrt


def _axes_and_shape(where, x, gamma):
    """Reduction axes and broadcast shape of the per-channel parameters."""
    if x.ndim == 2:
        axes, shape = (0,), (1, x.shape[1])
    elif x.ndim == 4:
        axes, shape = (0, 2, 3), (1, x.shape[1], 1, 1)
    else:
        raise ValueError('%s: x must be 2-D (N, D) or 4-D (N, C, H, W), got shape %s'
                         % (where, x.shape))
    if gamma.shape != (x.shape[1],):
        raise ValueError('%s: gamma/beta of shape %s do not match x of shape %s '
                         '(expected (%d,))' % (where, gamma.shape, x.shape, x.shape[1]))
    return axes, shape


class BatchNormalization(Function):
    """Training-mode batch norm: normalizes with the batch's mean and (biased) variance.

    If ``running_mean``/``running_var`` arrays are given they are updated in place:
    running = momentum * running + (1 - momentum) * batch statistic (the book's rule).
    """

    def __init__(self, eps=2e-5, running_mean=None, running_var=None, momentum=0.9):
        self.eps, self.momentum = eps, momentum
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, gamma, beta):
        axes, shape = _axes_and_shape('batch_normalization', x, gamma)
        if beta.shape != gamma.shape:
            raise ValueError('batch_normalization: beta of shape %s does not match gamma of '
                             'shape %s' % (beta.shape, gamma.shape))
        xp = get_array_module(x)
        mean = x.mean(axis=axes)
        xc = x - mean.reshape(shape)
        var = (xc * xc).mean(axis=axes)
        self.std = xp.sqrt(var + x.dtype.type(self.eps))
        self.xn = xc / self.std.reshape(shape)
        self.gamma, self.axes, self.shape = gamma, axes, shape
        if self.running_mean is not None:
            m = self.momentum
            self.running_mean *= m
            self.running_mean += (1 - m) * mean
            self.running_var *= m
            self.running_var += (1 - m) * var
        return self.xn * gamma.reshape(shape) + beta.reshape(shape)

    def backward(self, gy):
        axes, shape = self.axes, self.shape
        gbeta = gy.sum(axis=axes)
        ggamma = (gy * self.xn).sum(axis=axes)
        m = gy.size // gbeta.size
        # dx = gamma / std * (gy - mean(gy) - xn * mean(gy * xn))
        gx = gy - (gbeta / m).reshape(shape)
        gx -= self.xn * (ggamma / m).reshape(shape)
        gx *= (self.gamma / self.std).reshape(shape)
        return gx, ggamma, gbeta

    def backward_graph(self, gy):
        x, gamma, _ = self.inputs
        axes, shape = self.axes, self.shape
        xc = x - x.mean(axis=axes, keepdims=True)       # the statistics depend on x too
        std = sqrt((xc * xc).mean(axis=axes, keepdims=True) + self.eps)
        xn = xc / std
        gbeta, ggamma = gy.sum(axis=axes), (gy * xn).sum(axis=axes)
        m = gy.size // gbeta.size
        gx = (gamma.reshape(shape) / std) * (
            gy - gbeta.reshape(shape) / m - xn * ggamma.reshape(shape) / m)
        return gx, ggamma, gbeta


class FixedBatchNormalization(Function):
    """Inference-mode batch norm with given mean and variance.

    Inputs (x, gamma, beta, mean, var), all differentiable; or, with ``mean`` and ``var``
    given to the constructor (a layer's running statistics), inputs (x, gamma, beta)
    and the statistics are constants, as for :class:`BatchNormalization`.
    Shapes: x (N, D) or (N, C, H, W); gamma, beta, mean, var (D,) or (C,).
    """

    def __init__(self, eps=2e-5, mean=None, var=None):
        self.eps, self.stats = eps, () if mean is None else (mean, var)

    def forward(self, x, gamma, beta, *stats):
        mean, var = stats or self.stats
        axes, shape = _axes_and_shape('fixed_batch_normalization', x, gamma)
        if beta.shape != gamma.shape or mean.shape != gamma.shape or var.shape != gamma.shape:
            raise ValueError('fixed_batch_normalization: gamma %s, beta %s, mean %s and var %s '
                             'must all have shape (%d,) for x of shape %s'
                             % (gamma.shape, beta.shape, mean.shape, var.shape, x.shape[1],
                                x.shape))
        xp = get_array_module(x)
        self.inv_std = 1 / xp.sqrt(var + x.dtype.type(self.eps))
        self.xn = (x - mean.reshape(shape)) * self.inv_std.reshape(shape)
        self.gamma, self.axes, self.shape = gamma, axes, shape
        return self.xn * gamma.reshape(shape) + beta.reshape(shape)

    def backward(self, gy):
        axes, need = self.axes, self.needs_input_grad
        gx = gy * (self.gamma * self.inv_std).reshape(self.shape)
        ggamma = (gy * self.xn).sum(axis=axes)
        gbeta = gy.sum(axis=axes)
        # mean and var are usually constants, but differentiate them when asked:
        # d/dmean = -gamma * inv_std * sum(gy), d/dvar = -gamma * inv_std**2 / 2 * sum(gy * xn)
        if self.stats:
            return gx, ggamma, gbeta
        gmean = -gx.sum(axis=axes) if need[3] else None
        gvar = (ggamma * self.gamma * self.inv_std * self.inv_std * -0.5).astype(
            gy.dtype, copy=False) if need[4] else None
        return gx, ggamma, gbeta, gmean, gvar

    def backward_graph(self, gy):
        x, gamma = self.inputs[:2]
        axes, shape, need = self.axes, self.shape, self.needs_input_grad
        # Statistics given to the constructor are constants (arrays); inputs are not.
        mean, var = self.stats or self.inputs[3:]
        inv_std = self.inv_std if self.stats else 1 / sqrt(var + self.eps)
        xn = (x - mean.reshape(shape)) * inv_std.reshape(shape)
        gx = gy * (gamma * inv_std).reshape(shape)
        ggamma, gbeta = (gy * xn).sum(axis=axes), gy.sum(axis=axes)
        if self.stats:
            return gx, ggamma, gbeta
        gmean = -gx.sum(axis=axes) if need[3] else None
        gvar = ggamma * gamma * inv_std * inv_std * -0.5 if need[4] else None
        return gx, ggamma, gbeta, gmean, gvar


def batch_normalization(x, gamma, beta, eps=2e-5, running_mean=None, running_var=None,
                        momentum=0.9):
    """Batch normalization with batch statistics; updates running stats in place if given.

    Args:
        x: (N, D) or (N, C, H, W).
        gamma, beta: (D,) or (C,) scale and shift.
        running_mean, running_var: optional (D,)/(C,) arrays updated in place.
    In test mode (``config.train`` False) with running statistics given, this
    uses them instead (see :func:`fixed_batch_normalization`).
    """
    if not config.train and running_mean is not None:
        return fixed_batch_normalization(x, gamma, beta, running_mean, running_var, eps)
    return BatchNormalization(eps, running_mean, running_var, momentum)(x, gamma, beta)


def fixed_batch_normalization(x, gamma, beta, mean, var, eps=2e-5):
    """Normalize with fixed statistics: gamma * (x - mean) / sqrt(var + eps) + beta."""
    return FixedBatchNormalization(eps)(x, gamma, beta, mean, var)
