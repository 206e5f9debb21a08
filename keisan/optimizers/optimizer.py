"""Optimizer: the base class of every update rule, with its two ways of being driven.

Book style (Saito's networks keep their weights in a dict)::

    opt = SGD(lr=0.01)
    grads = network.gradient(x, t)
    opt.update(network.params, grads)       # arrays updated in place
    opt.v                                   # Momentum's state, {'W1': array, ...}

Chainer style (a :class:`~keisan.links.Link` owns :class:`~keisan.Parameter` s)::

    opt = Adam().setup(model)
    model.cleargrads(); loss.backward(); opt.update()
    # or: opt.update(lossfun, *args)  -> cleargrads, loss = lossfun(*args), backward, update

Rules of the game, shared by every subclass:

* parameters are updated **in place** (``p -= ...``), never rebound, so every view of
  an array (the book's ``params`` dict, layers, Parameters) sees the step;
* gradient arrays are **read-only** to the optimizer and its hooks: the autograd may
  hand the same array to two parameters, or a broadcast view; hooks replace a
  gradient by a new array (the *effective* gradient), ``p.grad`` itself is untouched;
* state arrays (moments) are created lazily with ``xp.zeros_like(param)``: same
  shape, dtype and device as the parameter; hyperparameters are Python floats,
  so float32 stays float32;
* ``t`` counts update steps; it is incremented *before* the rule runs, so the
  first step sees ``t == 1`` (Adam's bias correction).

A subclass declares its hyperparameters once, as class attributes
(``momentum = Hyperparameter(0.9, high=1.0)``, ``decay_rate = Alias('alpha')``): they
are its constructor's arguments, in that order, and are saved by :meth:`state_dict`.
It lists its per-parameter state in ``_state_spec`` (name, initial value) and
implements ``_update_one(param, grad, state, hp)``, where ``hp`` holds this step's
hyperparameters as attributes (``hp.lr``), plus ``_prepare_step(hp)`` where a derived
scalar is computed once per step (Adam's bias-corrected step size).
"""
import inspect
import math
import numbers
from collections import OrderedDict
from collections.abc import Mapping
from types import SimpleNamespace

import numpy as np

from keisan import cuda
from keisan.core.variable import Variable

_REQUIRED = inspect.Parameter.empty     # the default of a hyperparameter without one


class Hyperparameter:
    """A validated hyperparameter, declared once in a class body with its default.

    ``eps = Hyperparameter(1e-7)`` makes ``eps`` an argument of the class's
    constructor (see :class:`Configurable`) and an attribute checked at every
    assignment. A real default makes a real value, stored as a Python float (never a
    NumPy scalar, which would upcast float32 arrays under NumPy 2), finite and in
    ``[low, high]`` (``open_low``/``open_high`` exclude a bound); a bool default makes a flag
    (``amsgrad``); no default makes a required argument. A violation raises
    TypeError or ValueError naming the attribute.
    """

    def __init__(self, default=_REQUIRED, low=0.0, high=None, open_low=False, open_high=False):
        self.default, self.low, self.high = default, low, high
        self.open_low, self.open_high = open_low, open_high

    def __set_name__(self, owner, name):
        self.name, self.slot = name, '_hp_' + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return obj.__dict__[self.slot]

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = self.check(value, '%s.%s' % (type(obj).__name__, self.name))

    def check(self, value, where):
        """``value`` as a Python float (or bool, for a flag); raises naming ``where``."""
        value = as_scalar(value)
        if isinstance(self.default, bool):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError('%s must be True or False, got %r' % (where, value))
            return bool(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError('%s must be a real number, got %r' % (where, value))
        value = float(value)
        if not math.isfinite(value):
            raise ValueError('%s must be finite, got %r' % (where, value))
        if self.low is not None and (value < self.low or (self.open_low and value == self.low)):
            raise ValueError('%s must be %s %g, got %r'
                             % (where, '>' if self.open_low else '>=', self.low, value))
        if self.high is not None and (value > self.high or
                                      (self.open_high and value == self.high)):
            raise ValueError('%s must be %s %g, got %r'
                             % (where, '<' if self.open_high else '<=', self.high, value))
        return value


class Alias:
    """Another name of a hyperparameter: reading and writing it reads and writes ``target``.

    ``decay_rate = Alias('alpha')`` lets ``RMSprop(decay_rate=0.9)``, ``opt.decay_rate``
    and a checkpoint's ``'decay_rate'`` key use the book's name; giving both names at
    once is an error.
    """

    default = None

    def __init__(self, target):
        self.target = target

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj, self.target)

    def __set__(self, obj, value):
        target = getattr(type(obj), self.target)
        obj.__dict__[target.slot] = target.check(
            value, '%s.%s (alias of %s)' % (type(obj).__name__, self.name, self.target))


class Configurable:
    """Objects whose constructor arguments are their :class:`Hyperparameter` s and aliases.

    The arguments are taken positionally in the order the class bodies declare them
    (base classes first; a redeclared name keeps its place) or by keyword; an
    argument omitted or None takes the declared default. The class's
    ``__signature__`` says so (``help(Adam)``). An unknown argument, two names of
    one hyperparameter or a missing required one raise TypeError naming the class.
    """
    _args = {}          # name -> Hyperparameter or Alias, in declaration order

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        names = {}
        for klass in reversed(cls.__mro__):
            names.update((name, None) for name, value in vars(klass).items()
                         if isinstance(value, (Hyperparameter, Alias)))
        cls._args = {name: getattr(cls, name) for name in names
                     if isinstance(getattr(cls, name), (Hyperparameter, Alias))}
        cls.__signature__ = inspect.Signature([inspect.Parameter(
            name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=hp.default)
            for name, hp in cls._args.items()])

    def __init__(self, *args, **kwargs):
        cls = type(self).__name__
        try:
            given = self.__signature__.bind(*args, **kwargs).arguments
        except TypeError as e:
            raise TypeError('%s: %s (its arguments: %s)'
                            % (cls, e, ', '.join(self._args) or 'none')) from None
        chosen = {}         # hyperparameter -> the name it is given under
        for name, value in given.items():
            if value is None and self._args[name].default is not _REQUIRED:
                continue
            target = getattr(self._args[name], 'target', name)
            if target in chosen:
                raise TypeError('%s: %s and %s both set %s; give one of them'
                                % (cls, chosen[target], name, target))
            chosen[target] = name
        for name, hp in self._args.items():
            if isinstance(hp, Hyperparameter):
                source = chosen.get(name, name)
                setattr(self, source, given[source] if name in chosen else hp.default)

    def hyperparameters(self):
        """{name: value} of the hyperparameters (Python floats and bools), aliases left out."""
        return {name: getattr(self, name) for name, hp in self._args.items()
                if isinstance(hp, Hyperparameter)}

    def __repr__(self):
        args = ', '.join(('%s=%r' if isinstance(value, bool) else '%s=%g') % (name, value)
                         for name, value in self.hyperparameters().items())
        return '%s(%s)' % (type(self).__name__, args)


class Optimizer(Configurable):
    """Base class: collects (name, param, grad) triples, runs hooks, applies the rule.

    Attributes:
        t: number of update steps done so far.
        target: the Link given to :meth:`setup`, or None (book style).
        hooks: OrderedDict name -> hook, applied in insertion order before the rule.

    Each per-parameter state is also an attribute under its name, as the book
    keeps it: ``opt.v`` is ``{param name: v array}`` (the arrays the rule updates;
    None before the first step).
    """

    _state_spec = ()          # ((state name, initial value), ...)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.t = 0
        self.target = None
        self.hooks = OrderedDict()
        self._states = {}     # parameter name -> {state name: array}
        self._shapes = {}     # parameter name -> the shape its state was made for
        self._pending = {}    # loaded by load_state_dict, not yet matched to a parameter

    def __getattr__(self, name):
        # Only reached when normal lookup fails, so the book's view of the state costs
        # nothing per step; the dict is built on each access from the live arrays.
        if name.startswith('_') or name not in self._state_names():
            raise AttributeError('%r object has no attribute %r' % (type(self).__name__, name))
        return {param: state[name] for param, state in self._states.items()} or None

    # ----- driving ----------------------------------------------------------------
    def setup(self, link):
        """Attach the optimizer to a Link (anything with ``namedparams()``); returns self."""
        if isinstance(link, Mapping):
            raise TypeError('%s.setup: got a dict; for the book\'s params dicts call '
                            'update(params, grads) instead' % type(self).__name__)
        if not hasattr(link, 'namedparams'):
            raise TypeError('%s.setup: expected a Link (with namedparams()), got %s'
                            % (type(self).__name__, type(link).__name__))
        self.target = link
        return self

    def add_hook(self, hook, name=None):
        """Add ``hook(optimizer, names, params, grads)``, run before the rule at each step.

        ``names``, ``params`` and ``grads`` are aligned lists; a hook replaces
        entries of ``grads`` by new arrays and never writes into the arrays.
        """
        if not callable(hook):
            raise TypeError('add_hook: hook must be callable, got %s' % type(hook).__name__)
        if name is None:
            name = getattr(hook, 'name', None) or getattr(hook, '__name__', None) \
                or type(hook).__name__
        if name in self.hooks:
            raise KeyError('add_hook: a hook named %r is already registered' % name)
        self.hooks[name] = hook
        return self

    def remove_hook(self, name):
        """Remove the hook registered under ``name``."""
        del self.hooks[name]

    def update(self, *args, **kwargs):
        """One optimization step.

        * ``update(params, grads)``: book style, dicts name -> array; every name of
          ``params`` must be in ``grads`` (a None gradient skips the parameter).
        * ``update()``: after :meth:`setup`, every initialized parameter of the
          target whose grad is not None.
        * ``update(lossfun, *args, **kwargs)``: after setup, clear the gradients,
          compute ``loss = lossfun(*args, **kwargs)``, ``loss.backward()``, then step.
        """
        scalars = []        # (params dict, name, array) of the book's plain-number params
        if args and isinstance(args[0], Mapping) or 'params' in kwargs or 'grads' in kwargs:
            names, params, grads = self._collect_dicts(*args, scalars=scalars, **kwargs)
        else:
            if self.target is None:
                raise RuntimeError(
                    '%s.update() has nothing to update: call setup(link) first '
                    '(Chainer style) or pass update(params, grads) (book style)'
                    % type(self).__name__)
            if args:
                lossfun = args[0]
                if not callable(lossfun):
                    raise TypeError('%s.update: expected a params dict or a loss function, '
                                    'got %s' % (type(self).__name__, type(lossfun).__name__))
                self.target.cleargrads()
                loss = lossfun(*args[1:], **kwargs)
                loss.backward()
            elif kwargs:
                raise TypeError('%s.update: unexpected keyword arguments %s'
                                % (type(self).__name__, ', '.join(sorted(kwargs))))
            names, params, grads = self._collect_target()
        # shapes and states first (created lazily, checked) so that an error changes nothing
        states, shapes = self._states, self._shapes
        step_states = []
        for name, p, g in zip(names, params, grads):
            if p.shape != g.shape:
                raise ValueError('%s.update: gradient of parameter %r has shape %s but the '
                                 'parameter has shape %s'
                                 % (type(self).__name__, name, g.shape, p.shape))
            state = states.get(name)
            if state is None:
                state = self._init_state(name, p)
            elif shapes[name] != p.shape:
                raise ValueError('%s.update: parameter %r has shape %s but its optimizer state '
                                 'was made for shape %s (call reset_state() to start over)'
                                 % (type(self).__name__, name, p.shape, shapes[name]))
            step_states.append(state)
        self.t += 1
        try:
            for hook in self.hooks.values():
                hook(self, names, params, grads)
        except BaseException:
            self.t -= 1         # a failed step is no step (hooks see t of the step they run in)
            raise
        hp = SimpleNamespace(**self.hyperparameters())      # read once per step
        self._prepare_step(hp)
        update_one = self._update_one
        for p, g, state in zip(params, grads, step_states):
            update_one(p, g, state, hp)
        for book_params, name, p in scalars:
            book_params[name] = p[0]        # a new number, as the book's rebinding gives

    def _collect_dicts(self, params=None, grads=None, *, scalars):
        """Aligned lists (names, param arrays, grad arrays) of the book's dicts. A plain
        number in ``params`` (ch. 6 optimizes f(x, y) with ``params['x'] = -7.0``) is
        updated as a float64 array of shape (1,) (NumPy turns 0-d results into scalars,
        which ``out=`` cannot take), listed in ``scalars`` to be written back."""
        where = '%s.update' % type(self).__name__
        if not isinstance(params, Mapping):
            raise TypeError('%s: params must be a dict name -> array, got %s'
                            % (where, type(params).__name__))
        if not isinstance(grads, Mapping):
            raise TypeError('%s(params, grads): grads must be a dict name -> array, got %s'
                            % (where, type(grads).__name__))
        names, ps, gs = [], [], []
        for name, p in params.items():
            try:
                g = grads[name]
            except KeyError:
                raise KeyError('%s: no gradient for parameter %r in grads (grads has %s)'
                               % (where, name, ', '.join(map(repr, grads)) or 'no keys')) \
                    from None
            if g is None:
                continue
            if isinstance(p, Variable):
                p = p.data
                if p is None:
                    continue
            if isinstance(g, Variable):
                g = g.data
            if _is_number(p):
                p = np.array([p], dtype=np.float64)
                scalars.append((params, name, p))
            if _is_number(g):
                g = np.array([g], dtype=np.float64)
            if type(p) is not np.ndarray and not cuda.is_array(p):
                raise TypeError('%s: parameter %r must be an array (updated in place), got %s'
                                % (where, name, type(p).__name__))
            if type(g) is not np.ndarray and not cuda.is_array(g):
                raise TypeError('%s: gradient of %r must be an array, got %s'
                                % (where, name, type(g).__name__))
            names.append(name)
            ps.append(p)
            gs.append(g)
        return names, ps, gs

    def _collect_target(self):
        names, ps, gs = [], [], []
        seen = set()
        for name, param in self.target.namedparams():
            p, g = param.data, param.grad
            if p is None or g is None or id(param) in seen:
                continue
            seen.add(id(param))
            names.append(name)
            ps.append(p)
            gs.append(g)
        return names, ps, gs

    # ----- to be implemented by subclasses ------------------------------------------
    def _prepare_step(self, hp):
        """Add to ``hp`` the derived scalars (Python floats) of this step, computed once."""

    def _update_one(self, param, grad, state, hp):
        """Update ``param`` in place from ``grad`` (read-only) and ``state`` (in place)."""
        raise NotImplementedError

    def _spec(self, hyper):
        """The entries of ``_state_spec`` kept under the hyperparameters ``hyper`` (a dict)."""
        return self._state_spec

    def _state_names(self, hyper=None):
        return [name for name, _ in self._spec(hyper or self.hyperparameters())]

    # ----- state ----------------------------------------------------------------------
    def _init_state(self, name, param):
        xp = cuda.get_array_module(param)
        loaded = self._pending.get(name)
        if loaded is None:
            state = {key: xp.zeros_like(param) if init == 0 else xp.full_like(param, init)
                     for key, init in self._spec(self.hyperparameters())}
        else:
            for key, value in loaded.items():
                if value.shape != param.shape:
                    raise ValueError('%s: state %r has shape %s but parameter %r has shape %s'
                                     % (type(self).__name__, name + '/' + key, value.shape,
                                        name, param.shape))
            state = {key: xp.asarray(value, dtype=param.dtype) for key, value in loaded.items()}
            del self._pending[name]
        self._states[name] = state
        self._shapes[name] = param.shape
        return state

    def reset_state(self):
        """Forget the step count and every per-parameter state."""
        self.t = 0
        self._states.clear()
        self._shapes.clear()
        self._pending.clear()

    def state_dict(self):
        """{name: array}: ``t``, every hyperparameter (0-d arrays), then ``'<param>/<state>'``.

        Parameter names are the dict keys (book style) or the dotted names of
        ``namedparams()`` (setup style). State arrays are returned by reference
        (``save_npz`` copies them to disk).
        """
        state = {'t': np.array(self.t, dtype=np.int64)}
        for name, value in self.hyperparameters().items():
            state[name] = np.array(value)
        for source in (self._states, self._pending):
            for name, arrays in source.items():
                for key, value in arrays.items():
                    state[name + '/' + key] = value
        return state

    def load_state_dict(self, state, strict=True):
        """Restore what :meth:`state_dict` returned (arrays are copied).

        A hyperparameter absent from ``state`` keeps its current value (checkpoints
        written before hyperparameters were saved hold only ``t`` and ``lr``); an
        alias's key (Adam's ``lr``) sets its target. Everything is checked before
        anything changes, and one ValueError names every problem: ``t`` missing
        (with ``strict``), values the attributes would refuse, unknown keys and,
        after setup, parameters the target lacks (errors with ``strict``, skipped
        without), incomplete per-parameter states, and state shapes that differ
        from the parameter (known from the setup target or the current state;
        otherwise checked at the first step).
        """
        cls = type(self).__name__
        if not isinstance(state, Mapping):
            raise TypeError('%s.load_state_dict: expected a dict, got %s'
                            % (cls, type(state).__name__))
        problems = [] if 't' in state or not strict else ["missing 't'"]
        t, hyper, loaded = self.t, {}, {}
        for key, value in state.items():        # scalars first: they decide the states
            try:
                if key == 't':
                    t = check_count(value, "'t'")
                elif key in self._args:
                    name = getattr(self._args[key], 'target', key)
                    if name in hyper:
                        raise ValueError('%r and %r both set %s' % (hyper[name][0], key, name))
                    hyper[name] = key, self._args[name].check(value, repr(key))
            except (TypeError, ValueError) as e:
                problems.append(str(e))
        known = self._state_names(dict(self.hyperparameters(),
                                       **{name: v for name, (_, v) in hyper.items()}))
        params = dict(self.target.namedparams()) if self.target is not None else {}
        for key, value in state.items():
            if key == 't' or key in self._args:
                continue
            name, _, skey = key.rpartition('/')
            if not name or skey not in known:
                unexpected = '%s keeps %s per parameter' % (
                    cls, ', '.join(map(repr, known)) or 'nothing')
            elif self.target is not None and name not in params:
                unexpected = 'the target has no parameter %r' % name
            else:
                unexpected = None
            if unexpected:
                if strict:
                    problems.append('unexpected key %r (%s)' % (key, unexpected))
            elif problem := _state_problem(key, value, params.get(name), self._shapes.get(name)):
                problems.append(problem)
            else:
                loaded.setdefault(name, {})[skey] = value
        for name, arrays in loaded.items():
            problems += ['missing %r (the state of %r is incomplete)' % (name + '/' + skey, name)
                         for skey in known if skey not in arrays]
            shapes = {a.shape for a in arrays.values()}
            if len(shapes) > 1:
                problems.append('the states of %r have different shapes %s'
                                % (name, sorted(shapes)))
        if problems:
            raise ValueError('%s.load_state_dict: %s' % (cls, '; '.join(problems)))
        self.t = t
        for name, (_, value) in hyper.items():
            self.__dict__[self._args[name].slot] = value
        self._states, self._shapes = {}, {}
        self._pending = {name: {k: v.copy() for k, v in arrays.items()}
                         for name, arrays in loaded.items()}


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def as_scalar(value):
    """A 1-element array (as read from a checkpoint) as a Python scalar; others as they are."""
    return value.item() if cuda.is_array(value) and value.size == 1 else value


def check_count(value, where, low=0):
    """``value`` as a Python int >= ``low`` (a step or epoch count); raises naming ``where``."""
    value = as_scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError('%s must be an integer >= %d, got %r' % (where, low, value))
    return int(value)


def _state_problem(key, value, param, shape):
    """What is wrong with the state array ``value`` of ``param`` (shape known or None)."""
    if not cuda.is_array(value) or value.dtype.kind not in 'iuf':
        return '%r must be a numeric array, got %s' % (
            key, getattr(value, 'dtype', type(value).__name__))
    if param is not None and param.data is not None:
        shape = param.shape
    if shape is not None and value.shape != shape:
        return '%r has shape %s but parameter %r has shape %s' % (
            key, value.shape, key.rpartition('/')[0], shape)
    return None
