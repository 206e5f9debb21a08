"""Numerically stable softmax and log-softmax (shift by the max before exp)."""
from keisan.backend import get_array_module


def _as_float(x, xp):
    """Integer and bool input is computed in float64, as ``np.exp`` of int64 would be
    (the in-place steps below cannot write floats into an integer array)."""
    return x if x.dtype.kind in 'fc' else x.astype(xp.float64)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``; same shape as x, float dtype kept."""
    xp = get_array_module(x)
    x = _as_float(x, xp)
    y = x - x.max(axis=axis, keepdims=True)
    xp.exp(y, out=y)
    y /= y.sum(axis=axis, keepdims=True)
    return y


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``; same shape as x, float dtype kept."""
    xp = get_array_module(x)
    x = _as_float(x, xp)
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted
