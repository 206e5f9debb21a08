"""Variable: an array plus the Function that created it (define-by-run graph node)."""
import heapq
import numbers

import numpy as np

from keisan import cuda
from keisan.config import config, using_config


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
        body = np.array2string(cuda.to_cpu(self.data), prefix=cls + '(',
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

    def backward(self, retain_grad=False, create_graph=False):
        """Compute gradients of this variable with respect to every graph leaf.

        The graph is walked in reverse topological order (largest generation
        first), so a variable used by several functions receives the sum of all
        branches before its own creator runs. Leaf gradients *accumulate* across
        calls (call ``cleargrad`` or ``Link.cleargrads`` between steps);
        gradients of intermediate variables are recomputed by every call and freed
        afterwards unless ``retain_grad=True``. If ``grad`` is None it is seeded
        with ones of this variable's shape (an array, in both modes).

        ``create_graph=False`` (the default): each Function's ``backward`` runs on
        raw arrays and ``.grad`` is a raw array, as the book's API and the
        optimizers expect. Nothing is recorded, so this is the fast path.

        ``create_graph=True``: each Function's ``backward_graph`` builds the gradient
        from keisan's own functions, so ``.grad`` is a *Variable* recorded in the
        graph and can be differentiated again (``x.grad.backward()``, ``ks.grad``):
        second and higher derivatives. A leaf that already holds an array gradient
        adds the new Variable to it (the old array entering as a constant). Call
        ``cleargrad``/``cleargrads`` before an optimizer step: optimizers read arrays.
        Such a ``.grad`` refers to a graph that refers back to its leaf, a reference
        cycle until ``cleargrad`` (``ks.grad`` stores nothing and makes none).
        A Function without ``backward_graph`` raises NotImplementedError naming it.
        """
        if self.data is None:
            raise RuntimeError('Variable.backward: variable has no data')
        if create_graph:        # the one branch: the array loop below stays as it was
            return _backward_creating_graph(self, retain_grad)
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


def grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None,
         allow_unused=True):
    """Gradients of ``outputs`` with respect to ``inputs``, returned without touching ``.grad``.

    Args:
        outputs: a Variable or a sequence of Variables (any shapes).
        inputs: a Variable or a sequence of Variables, leaves or intermediate ones.
        grad_outputs: one gradient per output (array, Variable or None for ones of the
            output's shape), or None for all ones; the result is
            d sum_i(outputs[i] * grad_outputs[i]) / d inputs.
        create_graph: False: arrays, from each Function's ``backward``; True:
            Variables built by each Function's ``backward_graph``, recorded in the
            graph so that they can be differentiated again.
        retain_graph: keisan frees a graph by reference counting, when nobody holds
            its outputs, and a walk frees nothing, so None or True keep the graph as
            long as you hold ``outputs`` (you may call ``grad`` or ``backward`` on it
            again). False cuts it after this walk (``unchain`` on every output): its
            memory goes as soon as nothing else refers to it; a graph built with
            ``create_graph=True`` still refers to the parts it needs.
        allow_unused: an input that the outputs do not depend on (or that does not
            require a gradient) gets None; with False it raises ValueError naming it.
    Returns:
        a list with one gradient (or None) per input, each of its input's shape.

    Only the Functions on a path from an input to an output are walked, and each
    computes only the gradients of inputs on such a path.
    """
    outputs = _as_variables(outputs, 'outputs')
    inputs = _as_variables(inputs, 'inputs')
    seeds = _seeds(outputs, grad_outputs, create_graph)
    # create_graph records the gradients even under no_grad(): that is what it asks for.
    with using_config('enable_backprop', create_graph or config.enable_backprop):
        found = _walk(outputs, seeds, create_graph, targets=inputs)
    result, handed = [], set()
    for i, x in enumerate(inputs):
        entry = found.get(id(x))
        if entry is None:
            if not allow_unused:
                raise ValueError('grad: input %d (%s) %s; pass allow_unused=True to get None'
                                 % (i, _describe(x), 'does not reach the outputs'
                                    if x.requires_grad else 'has requires_grad=False'))
            result.append(None)
            continue
        gx = entry[1]
        if not create_graph:
            # The caller owns each array, as a leaf owns its .grad (see backward).
            if not gx.flags.writeable or id(gx) in handed:
                gx = gx.copy()
            handed.add(id(gx))
        result.append(gx)
    if retain_graph is False:
        for y in outputs:
            y.unchain()
    return result


def _backward_creating_graph(root, retain_grad):
    """``root.backward(create_graph=True)``: the walk on Variables; leaves accumulate."""
    if root.grad is None:
        root.grad = root.xp.ones_like(root.data)
    if root.creator is None:
        return
    seed = root.grad if isinstance(root.grad, Variable) else Variable(root.grad,
                                                                      requires_grad=False)
    with using_config('enable_backprop', True):
        leaves = _walk([root], [seed], True, retain_grad=retain_grad)
        for x, gx in leaves.values():
            # An array already there becomes a constant term of the sum.
            x.grad = gx if x.grad is None else _sum(x.grad, gx)


def _walk(outputs, seeds, create_graph, targets=None, retain_grad=False):
    """The graph walk of ``grad`` and ``backward(create_graph=True)``.

    Functions run once each, largest generation first (as in ``backward``), calling
    ``backward`` on arrays or, with ``create_graph``, ``backward_graph`` on Variables.
    Gradients are kept in a dict by variable, so no ``.grad`` is read or written
    (but intermediate ones with ``retain_grad``). With ``targets`` only the Functions
    on a path from a target to an output run, their ``needs_input_grad`` narrowed to
    the inputs on such paths for the call.

    Returns {id(v): [v, gradient]} for the leaves reached (targets None) or for the
    targets reached.
    """
    grads = {}          # id(variable) -> [variable, gradient summed so far in this walk]
    for y, gy in zip(outputs, seeds):
        _accumulate(grads, y, gy)
    target_ids = set() if targets is None else {id(x) for x in targets}
    wanted = None if targets is None else _functions_toward(outputs, target_ids)
    root_ids = {id(y) for y in outputs}
    heap, seen = [], set()

    def push(f):
        if f not in seen and (wanted is None or f in wanted):
            seen.add(f)
            heapq.heappush(heap, (-f.generation, len(seen), f))

    for y in outputs:
        if y.creator is not None:
            push(y.creator)
    while heap:
        f = heapq.heappop(heap)[2]
        gys = [_output_grad(f, i, grads, create_graph) for i in range(len(f.outputs))]
        take = [x.requires_grad and (wanted is None or id(x) in target_ids
                                     or x.creator in wanted) for x in f.inputs]
        gxs = _input_grads(f, gys, create_graph, None if wanted is None else take)
        for i, (x, gx, t) in enumerate(zip(f.inputs, gxs, take)):
            if gx is None or not t:
                continue
            if isinstance(gx, np.generic):
                gx = np.asarray(gx)
            if gx.shape != x.data.shape:
                raise RuntimeError('%s returned a gradient of shape %s for input %d of '
                                   'shape %s' % (type(f).__name__, gx.shape, i, x.data.shape))
            _accumulate(grads, x, gx)
            if x.creator is not None:
                push(x.creator)
        for ref in f.outputs:           # their gradients are used up
            y = ref()
            if y is not None and id(y) not in target_ids:
                entry = grads.pop(id(y), None)
                if retain_grad and entry is not None and id(y) not in root_ids:
                    y.grad = entry[1]
    return grads


def _input_grads(f, gys, create_graph, narrowed=None):
    """The tuple of ``f``'s input gradients, from ``backward`` or ``backward_graph``;
    ``narrowed``: bools that restrict ``needs_input_grad`` for this call."""
    need = f.needs_input_grad
    if narrowed is not None:
        f.needs_input_grad = tuple(n and t for n, t in zip(need, narrowed))
    try:
        gxs = f.backward_graph(*gys) if create_graph else f.backward(*gys)
    finally:
        f.needs_input_grad = need
    if not isinstance(gxs, tuple):
        gxs = (gxs,)
    if len(gxs) != len(f.inputs):
        raise RuntimeError('%s.%s returned %d gradients for %d inputs'
                           % (type(f).__name__, 'backward_graph' if create_graph
                              else 'backward', len(gxs), len(f.inputs)))
    return gxs


def _functions_toward(outputs, target_ids):
    """The Functions behind ``outputs`` that have a target among the inputs of their
    subgraph: the only ones ``grad`` needs to run."""
    found, stack = set(), [y.creator for y in outputs if y.creator is not None]
    while stack:                        # a loop, not a recursion: graphs can be deep
        f = stack.pop()
        if f not in found:
            found.add(f)
            stack.extend(x.creator for x in f.inputs if x.creator is not None)
    wanted = set()
    # An input's creator has a smaller generation than the Function it feeds.
    for f in sorted(found, key=lambda f: f.generation):
        if any(id(x) in target_ids or x.creator in wanted for x in f.inputs):
            wanted.add(f)
    return wanted


def _output_grad(f, i, grads, create_graph):
    """Gradient of ``f``'s output ``i`` in this walk; zeros for one nobody differentiated."""
    y = f.outputs[i]()
    entry = None if y is None else grads.get(id(y))
    if entry is not None:
        return entry[1]
    shape, dtype = f._output_meta[i] if hasattr(f, '_output_meta') else (y.shape, y.dtype)
    zeros = cuda.get_array_module(f.inputs[0].data).zeros(shape, dtype)
    return Variable(zeros, requires_grad=False) if create_graph else zeros


def _accumulate(grads, x, gx):
    entry = grads.get(id(x))
    if entry is None:
        grads[id(x)] = [x, gx]
    else:
        entry[1] = _sum(entry[1], gx)


def _seeds(outputs, grad_outputs, create_graph):
    """One initial gradient per output: ones where none is given; Variables (constants
    for arrays) with ``create_graph``, else arrays."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Variable) or cuda.is_array(grad_outputs):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError('grad: %d grad_outputs for %d outputs'
                         % (len(grad_outputs), len(outputs)))
    seeds = []
    for i, (y, gy) in enumerate(zip(outputs, grad_outputs)):
        if gy is None:
            gy = y.xp.ones_like(y.data)
        elif not isinstance(gy, Variable):
            gy = as_array(gy, y.dtype, where='grad')
        if gy.shape != y.shape:
            raise ValueError('grad: grad_outputs[%d] of shape %s does not match output %d '
                             'of shape %s' % (i, gy.shape, i, y.shape))
        if create_graph:
            seeds.append(gy if isinstance(gy, Variable) else Variable(gy, requires_grad=False))
        else:
            seeds.append(gy.data if isinstance(gy, Variable) else gy)
    return seeds


def _as_variables(vs, where):
    vs = [vs] if isinstance(vs, Variable) else list(vs)
    for i, v in enumerate(vs):
        if not isinstance(v, Variable):
            raise TypeError('grad: %s[%d] must be a Variable, got %s'
                            % (where, i, type(v).__name__))
    return vs


def _describe(x):
    return '%sshape %s' % ('%r, ' % x.name if x.name else '', x.shape)


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

