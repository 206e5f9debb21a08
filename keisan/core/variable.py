"""Variable: an array plus the Function that created it (define-by-run graph node)."""
import heapq
import numbers

import numpy as np

from keisan import cuda
from keisan.config import config


class Variable:
    """A node of the computational graph.

    Args:
        data: a NumPy or CuPy array (or None for a not yet initialized Parameter); a
            list, tuple or scalar of numbers is converted with ``numpy.asarray``
            (``Variable([0, 1, 2])``, as Chainer's one-file version allows).
        name: optional name, shown in ``repr`` and used by Links for parameters.
        requires_grad: whether ``backward`` computes a gradient for this variable.
            Variables made by users default to True; arrays and scalars that a
            Function wraps automatically are constants (False).

    Attributes:
        data: the array.
        grad: the gradient array of the same shape, or None.
        creator: the Function that produced this variable, or None for a leaf.
        generation: depth in the graph, used to order the backward pass.
    """
    __slots__ = ('data', 'grad', 'creator', 'generation', 'name', 'requires_grad',
                 '__weakref__')
    __array_ufunc__ = None      # make ``ndarray op Variable`` call our reflected operators
    __array_priority__ = 200    # same for CuPy

    def __init__(self, data, name=None, requires_grad=True):
        if data is not None and not cuda.is_array(data):
            data = _from_python(data)
        self.data = data
        self.grad = None
        self.creator = None
        self.generation = 0
        self.name = name
        self.requires_grad = requires_grad

    # ----- array-like attributes -------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def xp(self):
        """The array module (numpy or cupy) of ``data``."""
        return cuda.get_array_module(self.data)

    @property
    def array(self):
        """``data`` under Chainer's name; assigning sets ``data``."""
        return self.data

    @array.setter
    def array(self, value):
        self.data = value

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        cls = type(self).__name__
        if self.data is None:
            return '%s(None%s)' % (cls, ', name=%r' % self.name if self.name else '')
        body = np.array2string(cuda.as_numpy(self.data), prefix=cls + '(',
                               threshold=200)
        extra = ', name=%r' % self.name if self.name else ''
        return '%s(%s, shape=%s, dtype=%s%s)' % (cls, body, self.data.shape,
                                                 self.data.dtype, extra)

    # ----- graph ----------------------------------------------------------------
    def set_creator(self, function):
        self.creator = function
        self.generation = function.generation + 1

    def unchain(self):
        """Cut this variable from its creator: it becomes a leaf of a new graph."""
        self.creator = None

    def unchain_backward(self):
        """Cut the whole graph behind this variable (Chainer's): every variable on the way
        back forgets its creator and every function its inputs, so the nodes that nobody
        else holds are freed at once. This variable becomes a leaf."""
        pending = [self]
        while pending:
            variable = pending.pop()
            f = variable.creator
            if f is not None:
                variable.creator = None
                pending.extend(f.inputs)
                f.inputs = ()

    def cleargrad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    def backward(self, retain_grad=False):
        """Compute gradients of this variable with respect to every graph leaf.

        The graph is walked in reverse topological order (largest generation
        first), so a variable used by several functions receives the sum of all
        branches before its own creator runs. Leaf gradients *accumulate* across
        calls (call ``cleargrad`` or ``Link.cleargrads`` between steps);
        gradients of intermediate variables are recomputed by every call and freed
        afterwards unless ``retain_grad=True``. If ``grad`` is None it is seeded
        with ones of this variable's shape.
        """
        if self.data is None:
            raise RuntimeError('Variable.backward: variable has no data')
        if self.grad is None:
            self.grad = self.xp.ones_like(self.data)
        if self.creator is None:
            return
        heap, seen, counter = [], set(), 0
        fresh = {id(self)}      # non-leaf variables whose grad was set in this pass
        leaf_grads = set()      # ids of arrays handed to leaves in this pass

        def push(f):
            nonlocal counter
            if f not in seen:
                seen.add(f)
                heapq.heappush(heap, (-f.generation, counter, f))
                counter += 1

        push(self.creator)
        while heap:
            f = heapq.heappop(heap)[2]
            outs = f.outputs
            y = outs[0]() if len(outs) == 1 else None
            gys = (y.grad,) if y is not None and y.grad is not None else f.output_grads()
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            if len(gxs) != len(f.inputs):
                raise RuntimeError('%s.backward returned %d gradients for %d inputs'
                                   % (type(f).__name__, len(gxs), len(f.inputs)))
            for i, (x, gx) in enumerate(zip(f.inputs, gxs)):
                if gx is None or not x.requires_grad:
                    continue
                if isinstance(gx, np.generic):
                    gx = np.asarray(gx)
                if gx.shape != x.data.shape:
                    raise RuntimeError('%s.backward returned a gradient of shape %s for input '
                                       '%d of shape %s' % (type(f).__name__, gx.shape, i,
                                                           x.data.shape))
                if x.creator is None:       # leaf: accumulate across backward calls
                    if x.grad is not None:
                        x.grad = _sum(x.grad, gx)
                    else:
                        # A leaf owns its gradient: no broadcast view, no array shared
                        # with another leaf (``a + b`` hands both the same gy).
                        if not gx.flags.writeable or id(gx) in leaf_grads:
                            gx = gx.copy()
                        leaf_grads.add(id(gx))
                        x.grad = gx
                else:
                    if id(x) in fresh:
                        x.grad = _sum(x.grad, gx)
                    else:
                        x.grad = gx
                        fresh.add(id(x))
                    push(x.creator)
            if not retain_grad:
                for ref in f.outputs:
                    y = ref()
                    if y is not None and y is not self:
                        y.grad = None

    # ----- conversions ----------------------------------------------------------
    def to_cpu(self):
        """Move data and grad to host memory (in place); returns self."""
        self.data = cuda.to_cpu(self.data)
        self.grad = cuda.to_cpu(self.grad)
        return self

    def to_gpu(self, device=None):
        """Move data and grad to a CUDA device (in place); returns self."""
        self.data = cuda.to_gpu(self.data, device)
        self.grad = cuda.to_gpu(self.grad, device)
        return self

    def item(self):
        return self.data.item()


def _from_python(data):
    """``data`` (a list, tuple or scalar of numbers) as a NumPy array; TypeError otherwise."""
    if isinstance(data, (list, tuple, numbers.Number, np.generic)):
        array = np.asarray(data)
        if array.dtype.kind in 'biufc':
            return array
    raise TypeError('Variable: data must be a NumPy or CuPy array, or a list or scalar of '
                    'numbers, got %s' % type(data).__name__)


def _sum(a, b):
    """a + b as an array: NumPy returns a scalar for two 0-d arrays (so do its ops on
    them, hence the same check on what ``backward`` returns)."""
    s = a + b
    return np.asarray(s) if isinstance(s, np.generic) else s


class Parameter(Variable):
    """A Variable owned by a Link and updated by an optimizer.

    ``data`` may be None until the first forward pass infers the shape
    (``Linear(None, 10)``); ``initializer`` (a callable, see :mod:`keisan.initializers`)
    then fills it.
    """
    __slots__ = ('initializer',)

    def __init__(self, data=None, name=None, initializer=None):
        super().__init__(data, name=name, requires_grad=True)
        self.initializer = initializer

    def initialize(self, shape, xp=np, dtype=None):
        """Create ``data`` of ``shape`` with the parameter's initializer, a callable
        ``initializer(shape, xp=..., dtype=...)`` (see :mod:`keisan.initializers`)."""
        if not callable(self.initializer):
            raise TypeError('Parameter.initialize: %s has no initializer to fill a %s array'
                            % (self.name or 'the parameter', tuple(shape)))
        self.data = self.initializer(tuple(shape), xp=xp, dtype=dtype or config.dtype)


def as_variable(obj, dtype=None):
    """Wrap an array (or Python scalar) as a constant Variable; Variables pass through."""
    if isinstance(obj, Variable):
        return obj
    return Variable(as_array(obj, dtype), requires_grad=False)


def as_array(obj, dtype=None, where='keisan'):
    """Return ``obj`` as an array: arrays pass, scalars become 0-d arrays of ``dtype``."""
    if isinstance(obj, np.ndarray) or cuda.is_cupy_array(obj):
        return obj
    if isinstance(obj, (int, float, np.generic)) and not isinstance(obj, bool):
        return np.asarray(obj, dtype=dtype if dtype is not None else None)
    raise TypeError('%s: expected a Variable, NumPy/CuPy array or Python scalar, got %s'
                    % (where, type(obj).__name__))

