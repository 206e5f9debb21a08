"""Link, Chain, ChainList, Sequential: containers that own Parameters.

Assigning a :class:`~keisan.Parameter` or a Link to an attribute registers it
(as in PyTorch's modules), so ``namedparams()`` finds ``'encoder.fc1.W'``.
Persistent arrays (batch-norm running statistics) are registered with
:meth:`Link.register_persistent`: they are saved and moved to the GPU with the
parameters but never updated by optimizers.
"""
import contextlib

import numpy as np

from keisan import cuda
from keisan.config import config, using_config
from keisan.core.variable import Parameter
from keisan.kernels.finite import non_finite


class Link:
    """A unit of a network that owns parameters (and possibly persistent arrays)."""

    def __init__(self):
        object.__setattr__(self, '_param_names', [])
        object.__setattr__(self, '_persistent_names', [])
        object.__setattr__(self, '_child_names', [])
        object.__setattr__(self, 'training', True)

    def __setattr__(self, name, value):
        if '_param_names' not in self.__dict__:
            if isinstance(value, (Parameter, Link)):
                raise RuntimeError('%s.__init__ must call super().__init__() before '
                                   'assigning parameters or links' % type(self).__name__)
            object.__setattr__(self, name, value)
            return
        for names in (self._param_names, self._child_names):
            if name in names:
                names.remove(name)
        if isinstance(value, Parameter):
            if value.name is None:
                value.name = name
            self._param_names.append(name)
        elif isinstance(value, Link):
            self._child_names.append(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for names in (self._param_names, self._child_names, self._persistent_names):
            if name in names:
                names.remove(name)
        object.__delattr__(self, name)

    def __call__(self, *args, **kwargs):
        """Run ``forward``; a link in evaluation mode (``eval()``) runs it with
        ``config.train`` off, so that dropout and batch norm inside it act as in test mode."""
        if self.training or not config.train:
            return self.forward(*args, **kwargs)
        with using_config('train', False):
            return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError('%s does not define forward' % type(self).__name__)

    @contextlib.contextmanager
    def init_scope(self):
        """Chainer's ``with self.init_scope():`` around the assignments of parameters and
        links. keisan registers them on every assignment, inside the block or not."""
        yield

    def register_persistent(self, name, value=None):
        """Register an array attribute saved and moved with the link, not optimized."""
        if value is not None:
            object.__setattr__(self, name, value)
        if name not in self._persistent_names:
            self._persistent_names.append(name)

    # ----- traversal ------------------------------------------------------------
    def children(self):
        """Direct child links."""
        for name in self._child_names:
            yield getattr(self, name)

    def namedlinks(self, skipself=False, prefix=''):
        """(dotted name, link) for this link and all descendants; '' is this link."""
        if not skipself:
            yield prefix, self
        for name in self._child_names:
            child = getattr(self, name)
            yield from child.namedlinks(prefix=prefix + name if not prefix
                                        else prefix + '.' + name)

    def links(self, skipself=False):
        for _, link in self.namedlinks(skipself):
            yield link

    def namedparams(self, include_uninit=True):
        """(dotted name, Parameter) pairs, e.g. ('conv1.W', W), in registration order."""
        for prefix, link in self.namedlinks():
            for name in link._param_names:
                p = link.__dict__[name]
                if include_uninit or p.data is not None:
                    yield (prefix + '.' + name if prefix else name), p

    def params(self, include_uninit=True):
        for _, p in self.namedparams(include_uninit):
            yield p

    def namedpersistents(self):
        """(dotted name, array) of the persistent arrays, e.g. ('bn.running_mean', array)."""
        for name, link, attr in self._persistent_slots():
            yield name, link.__dict__[attr]

    def count_params(self):
        """Total number of parameter elements (initialized ones)."""
        return sum(p.size for p in self.params(include_uninit=False))

    def cleargrads(self):
        """Set every parameter's grad to None (call before each backward)."""
        for p in self.params():
            p.grad = None

    # ----- modes ----------------------------------------------------------------
    def train(self, mode=True):
        """Put this link and its children in training mode (or evaluation if False)."""
        for link in self.links():
            object.__setattr__(link, 'training', mode)
        return self

    def eval(self):
        """Evaluation mode: calling the link runs dropout as identity and batch norm on its
        running statistics (like ``with keisan.test_mode():`` around each call)."""
        return self.train(False)

    # ----- state ----------------------------------------------------------------
    def state_dict(self):
        """{dotted name: array} of initialized parameters and persistent arrays."""
        state = {name: p.data for name, p in self.namedparams(include_uninit=False)}
        for name, value in self.namedpersistents():
            if value is not None:
                state[name] = value
        return state

    def load_state_dict(self, state, strict=True):
        """Copy arrays from ``state`` into the parameters *in place*, all or nothing.

        Every array must be floating point, match the shape of its parameter and be
        finite once converted to the parameter's dtype (:func:`convert_loaded`: a
        float16/32/64 array is rounded to it; an integer, bool, string, complex or
        object array is refused). Names missing from ``state`` or unknown to the
        link are refused with ``strict``. One ValueError names every problem, and
        then nothing has been loaded.

        Arrays are copied into the existing buffers so that anything sharing them
        (the book's ``params`` dict, layers) sees the new values. Uninitialized
        parameters take the stored shape and dtype.
        """
        expected = dict(self.namedparams())
        persistents = {name: (link, attr) for name, link, attr in self._persistent_slots()}
        problems = []
        if strict:
            # An uninitialized lazy parameter (or empty persistent) is not saved by
            # state_dict, so its absence from the file is no mismatch.
            present = [n for n, p in expected.items() if p.data is not None]
            present += [n for n, (link, attr) in persistents.items()
                        if getattr(link, attr) is not None]
            missing = [n for n in present if n not in state]
            unexpected = [n for n in state if n not in expected and n not in persistents]
            if missing:
                problems.append('missing %s' % ', '.join(missing))
            if unexpected:
                problems.append('unexpected %s' % ', '.join(unexpected))
        converted = {}
        for name, value in state.items():
            if name in expected:
                target = expected[name].data
            elif name in persistents:
                link, attr = persistents[name]
                target = getattr(link, attr)
            else:
                continue
            converted[name], problem = convert_loaded(name, value, target)
            if problem:
                problems.append(problem)
        if problems:
            raise ValueError('load_state_dict: %s' % '; '.join(problems))
        for name, value in converted.items():
            if name in expected:
                _assign(expected[name], 'data', value)
            else:
                _assign(*persistents[name], value)

    def _persistent_slots(self):
        for prefix, link in self.namedlinks():
            for attr in link._persistent_names:
                yield (prefix + '.' + attr if prefix else attr), link, attr

    # ----- devices --------------------------------------------------------------
    def to_gpu(self, device=None):
        """Move parameters, gradients and persistent arrays to a CUDA device (in place)."""
        return self._move(lambda a: cuda.to_gpu(a, device))

    def to_cpu(self):
        """Move parameters, gradients and persistent arrays to host memory (in place)."""
        return self._move(cuda.to_cpu)

    def _move(self, convert):
        for p in self.params():
            p.data, p.grad = convert(p.data), convert(p.grad)
        for _, link, attr in self._persistent_slots():
            object.__setattr__(link, attr, convert(getattr(link, attr)))
        return self

    @property
    def xp(self):
        """The array module of the parameters (numpy before any is initialized)."""
        return cuda.get_array_module(*[p.data for p in self.params(include_uninit=False)])

    def __repr__(self):
        lines = [type(self).__name__ + '(']
        for name, child in zip(self._child_names, self.children()):
            lines.append('  (%s): %s' % (name, repr(child).replace('\n', '\n  ')))
        for name in self._param_names:
            p = self.__dict__[name]
            lines.append('  %s: %s' % (name, 'uninitialized' if p.data is None
                                       else '%s %s' % (p.shape, p.dtype)))
        return '\n'.join(lines) + ')' if len(lines) > 1 else type(self).__name__ + '()'


def convert_loaded(name, value, target):
    """``(array, None)``: ``value``, read from a file for the array ``target``, in
    ``target``'s dtype; or ``(None, problem)``, a message naming ``name``.

    The rule: ``value`` must be a floating-point array (float16, float32 or float64;
    integers, bools, strings, complex numbers and objects are refused rather than
    cast), of ``target``'s shape, and finite after rounding to ``target``'s dtype
    (float64 1e300 would be inf in float32). ``target`` None (an uninitialized
    parameter) keeps ``value``'s shape and float dtype.
    """
    dtype = getattr(value, 'dtype', None)
    if dtype is None or not hasattr(value, 'shape'):
        return None, '%s is a %s, not an array' % (name, type(value).__name__)
    if dtype.kind != 'f':
        return None, '%s has dtype %s; parameters must be floating point' % (name, dtype)
    if target is not None and target.shape != value.shape:
        return None, ('%s has shape %s in the file but %s in the model'
                      % (name, value.shape, target.shape))
    problem = _non_finite(name, value, 'in the file')
    if problem or target is None or target.dtype == dtype:
        return (None if problem else value), problem
    with np.errstate(over='ignore'):        # too large for the dtype: inf, refused below
        value = value.astype(target.dtype)
    problem = _non_finite(name, value, 'once rounded to the model\'s %s' % target.dtype)
    return (None if problem else value), problem


def _non_finite(name, array, where):
    bad = non_finite(array)[0]
    if bad:
        return '%s holds %d NaN or infinite value%s %s' % (name, bad, 's' * (bad > 1), where)
    return None


def _assign(owner, attr, value):
    """Copy ``value`` into ``owner.attr`` in place, or set a copy if there is no buffer yet."""
    target = getattr(owner, attr)
    if target is None:
        object.__setattr__(owner, attr, value.copy())
    else:
        target[...] = cuda.get_array_module(target).asarray(value)


class Chain(Link):
    """A Link whose children are assigned as attributes, or given by name
    (``Chain(l1=L.Linear(3, 4), l2=L.Linear(4, 2))``); write ``forward``."""

    def __init__(self, **links):
        super().__init__()
        for name, link in links.items():
            if not isinstance(link, Link):
                raise TypeError('Chain: %s must be a Link, got %s' % (name, type(link).__name__))
            setattr(self, name, link)


class ChainList(Link):
    """A Link holding an indexable list of child links (named '0', '1', ...)."""

    def __init__(self, *links):
        super().__init__()
        for link in links:
            self.append(link)

    def append(self, link):
        if not isinstance(link, Link):
            raise TypeError('ChainList.append: expected a Link, got %s' % type(link).__name__)
        setattr(self, str(len(self)), link)

    def __getitem__(self, index):
        return getattr(self, self._child_names[index]) if isinstance(index, int) \
            else [getattr(self, n) for n in self._child_names[index]]

    def __len__(self):
        return len(self._child_names)

    def __iter__(self):
        return iter(self.children())


class Sequential(ChainList):
    """Apply layers in order; entries may be Links or plain callables (e.g. ``F.relu``)."""

    def __init__(self, *layers):
        Link.__init__(self)
        object.__setattr__(self, '_layers', [])
        for layer in layers:
            self.append(layer)

    def append(self, layer):
        if isinstance(layer, Link):
            setattr(self, str(len(self._layers)), layer)
        elif not callable(layer):
            raise TypeError('Sequential: expected a Link or a callable, got %s'
                            % type(layer).__name__)
        self._layers.append(layer)

    def __getitem__(self, index):
        return self._layers[index]

    def __len__(self):
        return len(self._layers)

    def __iter__(self):
        return iter(self._layers)

    def forward(self, x):
        for layer in self._layers:
            x = layer(x)
        return x
