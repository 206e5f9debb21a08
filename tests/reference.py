"""Plain NumPy references and input helpers shared by the tests of keisan.functions.

Naive loops for convolution, pooling and im2col: slow, obviously right.
"""
import numpy as np


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(r, shape, margin=0.1, high=2.0):
    return r.uniform(margin, high, shape) * r.choice([-1.0, 1.0], shape)


def softmax_ref(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _hw(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_ref(x, W, b, stride, pad):
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    (sy, sx), (py, px) = _hw(stride), _hw(pad)
    xp = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)))
    oh = (h + 2 * py - kh) // sy + 1
    ow = (w + 2 * px - kw) // sx + 1
    y = np.zeros((n, f, oh, ow))
    for i_n in range(n):
        for i_f in range(f):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[i_n, :, i * sy:i * sy + kh, j * sx:j * sx + kw]
                    y[i_n, i_f, i, j] = (patch * W[i_f]).sum() + (0 if b is None else b[i_f])
    return y


def deconv_ref(x, W, b, stride, pad, outsize=None):
    """Each input pixel adds its filter-weighted window to the output (then cropped)."""
    n, c, h, w = x.shape
    _, f, kh, kw = W.shape
    (sy, sx), (py, px) = _hw(stride), _hw(pad)
    oh, ow = outsize or (sy * (h - 1) + kh - 2 * py, sx * (w - 1) + kw - 2 * px)
    y = np.zeros((n, f, oh + 2 * py + sy, ow + 2 * px + sx))
    for i_n in range(n):
        for i_c in range(c):
            for i in range(h):
                for j in range(w):
                    y[i_n, :, i * sy:i * sy + kh, j * sx:j * sx + kw] += \
                        x[i_n, i_c, i, j] * W[i_c]
    y = y[:, :, py:py + oh, px:px + ow]
    return y + (0 if b is None else b[None, :, None, None])


def pool_ref(x, k, stride, pad, kind):
    n, c, h, w = x.shape
    kh, kw = _hw(k)
    (sy, sx), (py, px) = _hw(k if stride is None else stride), _hw(pad)
    fill = -np.inf if kind == 'max' else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)), constant_values=fill)
    oh = (h + 2 * py - kh) // sy + 1
    ow = (w + 2 * px - kw) // sx + 1
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * sy:i * sy + kh, j * sx:j * sx + kw]
            y[:, :, i, j] = win.max(axis=(2, 3)) if kind == 'max' else win.mean(axis=(2, 3))
    return y


def im2col_ref(x, kh, kw, stride, pad):
    n, c, h, w = x.shape
    (sy, sx), (py, px) = _hw(stride), _hw(pad)
    xp = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)))
    oh = (h + 2 * py - kh) // sy + 1
    ow = (w + 2 * px - kw) // sx + 1
    col = np.zeros((n * oh * ow, c * kh * kw))
    for i_n in range(n):
        for i in range(oh):
            for j in range(ow):
                row = (i_n * oh + i) * ow + j
                for i_c in range(c):
                    for u in range(kh):
                        for v in range(kw):
                            col[row, (i_c * kh + u) * kw + v] = \
                                xp[i_n, i_c, i * sy + u, j * sx + v]
    return col


