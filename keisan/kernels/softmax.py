"""Numerically stable softmax and log-softmax (shift by the max before exp)."""
from keisan.cuda import get_array_module
from keisan.kernels.dtypes import as_float


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``; same shape as x, float dtype kept."""
    xp = get_array_module(x)
    x = as_float(x)
    y = x - x.max(axis=axis, keepdims=True)
    xp.exp(y, out=y)
    y /= y.sum(axis=axis, keepdims=True)
    return y


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``; same shape as x, float dtype kept."""
    xp = get_array_module(x)
    x = as_float(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted
