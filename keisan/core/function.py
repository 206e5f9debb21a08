"""Function: a differentiable operation on raw arrays that records the graph.

A subclass writes two methods on **raw arrays** (NumPy or CuPy), exactly like
the layers of "Deep Learning from Scratch":

    class Square(Function):
        def forward(self, x):
            self.x = x                  # keep what backward needs on self
            return x * x
        def backward(self, gy):
            return 2 * self.x * gy      # one gradient per input (None: no gradient)

Calling an *instance* on Variables, arrays or scalars runs ``forward`` and, when
``config.enable_backprop`` is on and some input requires a gradient, links the
outputs to this Function so that ``Variable.backward`` can walk back through it.
The book's layers call ``forward``/``backward`` directly on arrays, so both APIs
run the very same code.

For higher-order gradients a Function also writes ``backward_graph``, the same
gradient on **Variables**, built from keisan's functions so that it is recorded
and can be differentiated again. It reads the inputs as Variables (``self.inputs``;
never an output, which may be gone) and uses saved arrays only as constants:

    def backward_graph(self, gy):     # in the class above
        x, = self.inputs
        return 2 * x * gy

The engine calls it only under ``backward(create_graph=True)`` or
``ks.grad(..., create_graph=True)``; first-order backward never does.
"""
import weakref

import numpy as np

from keisan import cuda
from keisan.config import config
from keisan.core.variable import Variable, as_array


class Function:
    """Base class of every differentiable operation.

    Attributes set by ``__call__`` when the graph is recorded:
        inputs: tuple of input Variables (held strongly: they are needed for backward).
        outputs: tuple of weak references to the output Variables, so a graph
            nobody references any more is freed at once.
        generation: max generation of the inputs; orders the backward pass.
        needs_input_grad: tuple of bools, one per input. ``backward`` may skip
            work for inputs marked False. When ``forward``/``backward`` are called
            directly (layer API) every entry is True.
    """
    generation = 0
    inputs = ()
    outputs = ()
    needs_input_grad = (True,) * 16     # layer API: every input wants its gradient

    def __call__(self, *inputs):
        # One pass over the inputs: this runs for every operation, so it stays lean.
        variables, xs, needs, on_cpu = [], [], [], True
        for x in inputs:
            if not isinstance(x, Variable):
                x = self._constant(x)
            variables.append(x)
            xs.append(x.data)
            needs.append(x.requires_grad)
            if on_cpu and not isinstance(x.data, np.ndarray):
                on_cpu = False
        if not on_cpu and len(xs) > 1:
            _check_same_device(self, xs)
        record = config.enable_backprop and True in needs
        if record:
            self.needs_input_grad = tuple(needs)
        ys = self.forward(*xs)
        multiple = isinstance(ys, tuple)
        if not multiple:
            ys = (ys,)
        outputs = [Variable(y if isinstance(y, np.ndarray) or cuda.is_cupy_array(y)
                            else np.asarray(y),  # NumPy reductions return scalars
                            requires_grad=record) for y in ys]
        if record:
            self.generation = max([v.generation for v in variables])
            for y in outputs:
                y.set_creator(self)
            self.inputs = tuple(variables)
            self.outputs = tuple(weakref.ref(y) for y in outputs)
            if multiple:
                self._output_meta = [(y.shape, y.dtype) for y in ys]
        return tuple(outputs) if multiple else outputs[0]

    def _constant(self, x):
        """Wrap a non-Variable input as a constant (no gradient)."""
        if not isinstance(x, np.ndarray) and not cuda.is_cupy_array(x):
            x = as_array(x, where=self.label)     # scalars; TypeError names the function
        return Variable(x, requires_grad=False)

    @property
    def label(self):
        """Name used in error messages (the class name in snake case by default)."""
        return _snake(type(self).__name__)

    # Chainer's names for a one-input, one-output Function; a subclass may also assign them.
    @property
    def input(self):
        """The input Variable of a one-input Function."""
        return self.__dict__['input'] if 'input' in self.__dict__ else self._only('inputs')

    @input.setter
    def input(self, value):
        self.__dict__['input'] = value

    @property
    def output(self):
        """The output Variable of a one-output Function (None once nothing refers to it)."""
        return self.__dict__['output'] if 'output' in self.__dict__ else self._only('outputs')()

    @output.setter
    def output(self, value):
        self.__dict__['output'] = value

    def _only(self, attr):
        items = getattr(self, attr)
        if len(items) != 1:
            raise AttributeError('%s has %d %s%s; use .%s' % (
                type(self).__name__, len(items), attr,
                '' if items else ' (it was not called on Variables with backprop on)', attr))
        return items[0]

    def forward(self, *xs):
        """Compute outputs from input arrays; return one array or a tuple."""
        raise NotImplementedError

    def backward(self, *gys):
        """Return the gradient w.r.t. each input (an array or None), given output gradients."""
        raise NotImplementedError('%s has no backward' % type(self).__name__)

    def backward_graph(self, *gys):
        """``backward`` on Variables: given the output gradients as Variables, return one
        Variable (or None) per input, computed with keisan's functions on ``self.inputs``
        so that the result is itself differentiable. Used only with ``create_graph=True``."""
        raise NotImplementedError('%s has no backward_graph: create_graph=True cannot '
                                  'differentiate through it' % self.label)

    def output_grads(self):
        """Gradients of the outputs; zeros for an output nobody differentiated."""
        gys = []
        for i, ref in enumerate(self.outputs):
            y = ref()
            gy = None if y is None else y.grad
            if gy is None:
                xp = cuda.get_array_module(self.inputs[0].data)
                shape, dtype = (self._output_meta[i] if hasattr(self, '_output_meta')
                                else (y.shape, y.dtype))
                gy = xp.zeros(shape, dtype)
            gys.append(gy)
        return gys

    def __repr__(self):
        return '<%s generation=%d>' % (type(self).__name__, self.generation)


def _check_same_device(function, arrays):
    on_gpu = cuda.is_cupy_array(arrays[0])
    for a in arrays[1:]:
        if cuda.is_cupy_array(a) != on_gpu or (on_gpu and a.device != arrays[0].device):
            names = ', '.join(cuda.device_name(b) for b in arrays)
            raise ValueError('%s: inputs live on different devices (%s); move them with '
                             'to_gpu()/to_cpu() first' % (function.label, names))


def _snake(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and (not name[i - 1].isupper()
                                  or (i + 1 < len(name) and name[i + 1].islower())):
            out.append('_')
        out.append(c.lower())
    return ''.join(out)
