"""Shape and reduction functions: reshape, transpose, sum, mean, get_item, concat, ..."""
import numpy as np

from keisan import cuda
from keisan.cuda import get_array_module
from keisan.core.function import Function
from keisan.core.variable import Variable, as_variable
from keisan.kernels import sum_to as sum_to_kernel


def _as_shape(shape):
    """A shape as a tuple of ints (an int ``n`` means ``(n,)``)."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(n) for n in shape)


def _as_axis(axis):
    """None, an int, or a tuple of ints (lists and NumPy integers accepted)."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        return int(axis)
    return tuple(int(a) for a in axis)


def _shape_of(x, where):
    if isinstance(x, Variable) or cuda.is_array(x):
        return x.shape
    raise TypeError('%s: expected a Variable or NumPy/CuPy array, got %s'
                    % (where, type(x).__name__))


class Reshape(Function):
    """y = x.reshape(shape); the gradient is reshaped back."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError('reshape: cannot reshape an array of shape %s (size %d) into '
                             'shape %s' % (x.shape, x.size, self.shape)) from None

    def backward(self, gy):
        return gy.reshape(self.in_shape)

    def backward_graph(self, gy):
        return reshape(gy, self.in_shape)


class Transpose(Function):
    """y = x.transpose(axes); the gradient is permuted back (inverse permutation)."""

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        if self.axes is None:
            self.axes = tuple(range(x.ndim))[::-1]
        elif len(self.axes) != x.ndim or sorted(a % x.ndim if -x.ndim <= a < x.ndim else a
                                                for a in self.axes) != list(range(x.ndim)):
            raise ValueError('transpose: axes %s do not match an array of shape %s'
                             % (self.axes, x.shape))
        # Negative axes are normalized so that argsort in backward inverts the permutation.
        self.axes = tuple(a % x.ndim for a in self.axes)
        return x.transpose(self.axes)

    def backward(self, gy):
        return gy.transpose(np.argsort(self.axes))

    def backward_graph(self, gy):
        return transpose(gy, np.argsort(self.axes))


class BroadcastTo(Function):
    """y = x broadcast to shape; the gradient is summed over the broadcast axes."""

    def __init__(self, shape):
        self.shape = _as_shape(shape)

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return get_array_module(x).broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError('broadcast_to: cannot broadcast shape %s to %s'
                             % (x.shape, self.shape)) from None

    def backward(self, gy):
        return sum_to_kernel(gy, self.in_shape)

    def backward_graph(self, gy):
        return sum_to(gy, self.in_shape)


class SumTo(Function):
    """y = x summed down to shape; the gradient is broadcast back (adjoint of BroadcastTo)."""

    def __init__(self, shape):
        self.shape = _as_shape(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return sum_to_kernel(x, self.shape)

    def backward(self, gy):
        return get_array_module(gy).broadcast_to(gy, self.in_shape)

    def backward_graph(self, gy):
        return broadcast_to(gy, self.in_shape)


def _expand_reduced(gy, in_shape, axis, keepdims):
    """Give a reduced gradient (array or Variable) back the reduced axes (size 1) so it
    broadcasts."""
    if keepdims:
        return gy
    if axis is None:
        return gy.reshape((1,) * len(in_shape))
    axes = (axis,) if isinstance(axis, int) else axis
    axes = sorted(a % len(in_shape) for a in axes)
    shape = list(gy.shape)
    for a in axes:
        shape.insert(a, 1)
    return gy.reshape(shape)


class Sum(Function):
    """y = x.sum(axis); the gradient is broadcast back over the summed axes."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = _as_axis(axis), keepdims

    def forward(self, x):
        self.in_shape = x.shape
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        gy = _expand_reduced(gy, self.in_shape, self.axis, self.keepdims)
        return get_array_module(gy).broadcast_to(gy, self.in_shape)

    def backward_graph(self, gy):
        return broadcast_to(_expand_reduced(gy, self.in_shape, self.axis, self.keepdims),
                            self.in_shape)


class Mean(Function):
    """y = x.mean(axis); gradient gy / count, broadcast back over the averaged axes."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = _as_axis(axis), keepdims

    def forward(self, x):
        self.in_shape = x.shape
        y = x.mean(axis=self.axis, keepdims=self.keepdims)
        self.count = x.size // max(y.size, 1) if x.size else 1
        # Keep float dtypes (float16/32 stay as they are); integer means stay float.
        return y.astype(x.dtype, copy=False) if x.dtype.kind == 'f' else y

    def backward(self, gy):
        gy = _expand_reduced(gy, self.in_shape, self.axis, self.keepdims)
        return get_array_module(gy).broadcast_to(gy / self.count, self.in_shape)

    def backward_graph(self, gy):
        gy = _expand_reduced(gy, self.in_shape, self.axis, self.keepdims)
        return broadcast_to(gy / self.count, self.in_shape)


def _is_basic_index(index):
    """True when ``index`` selects each element at most once (slices, ints, masks)."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if p is None or p is Ellipsis or isinstance(p, (int, slice, np.integer)):
            continue
        if cuda.is_array(p) and p.dtype == bool:
            continue
        return False
    return True


class GetItem(Function):
    """y = x[index]; the gradient is scattered into zeros (repeated indices add up)."""

    def __init__(self, index):
        if isinstance(index, Variable):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Variable) else i for i in index)
        elif isinstance(index, list):
            index = np.asarray(index)
        self.index = index

    def forward(self, x):
        self.in_shape, self.dtype = x.shape, x.dtype
        try:
            return x[self.index]
        except IndexError as e:
            raise IndexError('get_item: %s (array shape %s)' % (e, x.shape)) from None

    def backward(self, gy):
        return _scatter(gy, self.index, self.in_shape, self.dtype)

    def backward_graph(self, gy):
        return GetItemGrad(self.index, self.in_shape)(gy)


def _scatter(gy, index, shape, dtype):
    """Zeros of ``shape`` with ``gy`` added at ``index``: the adjoint of ``x[index]``."""
    gx = get_array_module(gy).zeros(shape, dtype)
    if _is_basic_index(index):
        gx[index] = gy
    else:  # integer arrays may repeat an element: gradients must add up
        cuda.scatter_add(gx, index, gy)
    return gx


class GetItemGrad(Function):
    """y = zeros of shape ``in_shape`` with x added at ``index`` (repeats add up).

    GetItem's gradient, linear in x; GetItem is in turn its gradient (they are adjoint),
    so derivatives of any order go through the pair.
    """
    label = 'get_item_grad'

    def __init__(self, index, in_shape):
        self.index, self.in_shape = index, in_shape

    def forward(self, gy):
        return _scatter(gy, self.index, self.in_shape, gy.dtype)

    def backward(self, ggx):
        return ggx[self.index]

    def backward_graph(self, ggx):
        return get_item(ggx, self.index)


class Concat(Function):
    """Join inputs along an existing axis; the gradient is split back."""

    def __init__(self, axis=1):
        self.axis = axis

    def forward(self, *xs):
        xp = get_array_module(*xs)
        self.sizes = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        try:
            return xp.concatenate(xs, axis=self.axis)
        except ValueError:
            raise ValueError('concat: shapes %s cannot be joined along axis %d'
                             % ([x.shape for x in xs], self.axis)) from None

    def backward(self, gy):
        return tuple(get_array_module(gy).split(gy, self.sizes, axis=self.axis))

    def backward_graph(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        bounds = [0, *self.sizes, gy.shape[self.axis]]
        return tuple(get_item(gy, lead + (slice(int(a), int(b)),)) if need else None
                     for a, b, need in zip(bounds[:-1], bounds[1:], self.needs_input_grad))


class Stack(Function):
    """Join same-shaped inputs along a new axis; the gradient is split back."""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        xp = get_array_module(*xs)
        if len({x.shape for x in xs}) > 1:
            raise ValueError('stack: all inputs must have the same shape, got %s'
                             % [x.shape for x in xs])
        return xp.stack(xs, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        return tuple(xp.squeeze(g, self.axis)
                     for g in xp.split(gy, gy.shape[self.axis], axis=self.axis))

    def backward_graph(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        return tuple(get_item(gy, lead + (i,)) if need else None
                     for i, need in zip(range(len(self.inputs)), self.needs_input_grad))


# ----- functional API -------------------------------------------------------------
def reshape(x, shape):
    """View ``x`` with a new shape (a tuple or an int; one entry may be -1).

    x (any shape) -> ``shape`` with the same size. Always a new Variable (its data may
    share x's memory), even when the shape is unchanged.
    """
    _shape_of(x, 'reshape')
    return Reshape(_as_shape(shape))(x)


def transpose(x, axes=None):
    """Permute axes (reverse them if ``axes`` is None)."""
    return Transpose(None if axes is None else tuple(axes))(x)


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape``; backward sums over the broadcast axes."""
    return BroadcastTo(shape)(x)


def sum_to(x, shape):
    """Sum ``x`` down to ``shape`` (the adjoint of broadcast_to); ``x`` itself (as a
    Variable) when it has that shape already, so that no node is recorded for nothing."""
    fn = SumTo(shape)
    if getattr(x, 'shape', None) == fn.shape:
        return as_variable(x)
    return fn(x)


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis``: an int, a tuple of ints or None (all axes).

    (2, 3, 4) with axis=1 -> (2, 4), or (2, 1, 4) with keepdims=True; axis=None -> ().
    Negative axes count from the end; the dtype follows NumPy's ``x.sum``.
    """
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``, with the shapes of :func:`sum`.

    Float dtypes are kept; integer input gives float64.
    """
    return Mean(axis, keepdims)(x)


def get_item(x, index):
    """``x[index]`` with slices, integers, integer arrays (repeats add up) or boolean masks."""
    return GetItem(index)(x)


def concat(xs, axis=1):
    """Join a sequence of arrays along an existing ``axis`` (default 1, the channels).

    Shapes must agree except on ``axis``: (N, 2, H, W) and (N, 3, H, W) -> (N, 5, H, W).
    """
    return Concat(axis)(*xs)


def stack(xs, axis=0):
    """Join a sequence of same-shaped arrays along a new ``axis``.

    k arrays of shape (A, B) -> (k, A, B) with axis=0, (A, k, B) with axis=1.
    """
    return Stack(axis)(*xs)


def flatten(x, start_axis=0):
    """Merge the axes from ``start_axis`` on: (N, C, H, W) -> (N*C*H*W,) or (N, C*H*W)."""
    shape = _shape_of(x, 'flatten')
    return reshape(x, tuple(shape[:start_axis]) + (-1,))


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``."""
    shape = list(_shape_of(x, 'expand_dims'))
    axis = axis if axis >= 0 else len(shape) + axis + 1
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or the given ones)."""
    shape = _shape_of(x, 'squeeze')
    if axis is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axis = _as_axis(axis)
        axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
        for a in axes:
            if shape[a] != 1:
                raise ValueError('squeeze: axis %d of shape %s has size %d, not 1'
                                 % (a, shape, shape[a]))
        new = tuple(n for i, n in enumerate(shape) if i not in axes)
    return reshape(x, new)
