"""NumPy random states as arrays for ``.npz`` files, and back: keisan's one RNG-state encoder.

A NumPy bit generator's state is a nested dict: ``Generator.bit_generator.state`` (PCG64,
the DataLoader's shuffling) or ``np.random.get_state(legacy=False)`` (MT19937 plus the
cached Gaussian of ``np.random``, which dropout draws from). :func:`encode_state`
flattens it into ``{prefix + path: array}``, nested keys joined by ``/``:

* ``bit_generator``: the generator's name, a string array;
* arrays (MT19937's ``state/key``, Philox's ``state/counter``, ...) as they are;
* ints as uint64 arrays of 64-bit limbs, most significant first (PCG64's 128-bit
  ``state/state`` and ``state/inc`` take two limbs, MT19937's ``state/pos`` one);
* floats (the cached Gaussian) as float64 scalars.

:func:`decode_state` turns such arrays back into the dict NumPy takes
(``bit_generator.state = ...``, ``np.random.set_state(...)``), checked against the
layout of the named generator and by the generator itself.
"""
import numpy as np

__all__ = ['encode_state', 'decode_state']

#: what ``np.random.get_state(legacy=False)`` adds to its MT19937 state
_CACHED_GAUSSIAN = {'has_gauss': 0, 'gauss': 0.0}
_MASK = (1 << 64) - 1


def encode_state(state, prefix=''):
    """``{prefix + path: array}`` for a bit generator's state dict; ValueError if malformed."""
    if not isinstance(state, dict) or not isinstance(state.get('bit_generator'), str):
        raise ValueError('encode_state: expected the state dict of a NumPy bit generator '
                         '(with a "bit_generator" name), got %r' % (state,))
    arrays = {}
    _flatten(state, prefix, arrays)
    return arrays


def _flatten(tree, prefix, arrays):
    for key, value in tree.items():
        name = prefix + key
        if isinstance(value, dict):
            _flatten(value, name + '/', arrays)
        elif isinstance(value, str):
            arrays[name] = np.array(value)
        elif isinstance(value, np.ndarray):
            arrays[name] = value.copy()
        elif isinstance(value, (int, np.integer)) and value >= 0:
            value = int(value)
            limbs = max(1, -(-value.bit_length() // 64))
            arrays[name] = np.array([(value >> 64 * i) & _MASK for i in reversed(range(limbs))],
                                    dtype=np.uint64)
        elif isinstance(value, (float, np.floating)):
            arrays[name] = np.array(value, dtype=np.float64)
        else:
            raise ValueError('encode_state: %s must be a dict, an array, a non-negative int or '
                             'a float, got %r' % (name, value))


def decode_state(arrays, prefix='', bit_generator=None):
    """The state dict that :func:`encode_state` wrote under ``prefix`` into ``arrays``
    (any mapping of names to arrays, e.g. a whole checkpoint).

    ``bit_generator``, if given, is the name the state must have (e.g. ``'PCG64'``).
    A missing key, an unknown or unexpected generator, an array of the wrong shape or
    dtype, or values NumPy refuses raise ValueError naming the key.
    """
    name = _array(arrays, prefix + 'bit_generator')
    if name.dtype.kind != 'U' or name.shape != ():
        raise ValueError('%sbit_generator must be a name, got %r' % (prefix, name))
    name = str(name)
    if bit_generator is not None and name != bit_generator:
        raise ValueError('%sbit_generator is %s, expected %s' % (prefix, name, bit_generator))
    cls = getattr(np.random, name, None)
    if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
        raise ValueError('%sbit_generator: %r is not a NumPy bit generator' % (prefix, name))
    generator = cls(0)
    layout = generator.state
    if prefix + 'has_gauss' in arrays:
        layout.update(_CACHED_GAUSSIAN)
    state = _unflatten(layout, arrays, prefix)
    if name == 'MT19937' and state['state']['pos'] > 624:
        # NumPy does not check it, and MT19937 would read past its 624 words.
        raise ValueError('%sstate/pos must be at most 624, got %d'
                         % (prefix, state['state']['pos']))
    try:
        generator.state = state         # NumPy's own checks of the values
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError('%s state in %s*: %s' % (name, prefix, e)) from None
    return state


def _array(arrays, name):
    if name not in arrays:
        raise ValueError('missing %s' % name)
    return np.asarray(arrays[name])


def _unflatten(layout, arrays, prefix):
    state = {}
    for key, like in layout.items():
        name = prefix + key
        if isinstance(like, dict):
            state[key] = _unflatten(like, arrays, name + '/')
            continue
        value = like if isinstance(like, str) else _array(arrays, name)   # the name: checked
        if isinstance(like, np.ndarray):
            if value.dtype != like.dtype or value.shape != like.shape:
                raise ValueError('%s must be %s of shape %s, got %s of shape %s'
                                 % (name, like.dtype, like.shape, value.dtype, value.shape))
            value = value.copy()
        elif isinstance(like, int):
            if value.dtype != np.uint64 or value.ndim != 1 or value.size == 0:
                raise ValueError('%s must be an int as 64-bit limbs (a 1-d uint64 array), got '
                                 '%s of shape %s' % (name, value.dtype, value.shape))
            value = sum(int(limb) << 64 * i for i, limb in enumerate(value[::-1]))
        elif isinstance(like, float):
            if value.dtype.kind != 'f' or value.shape != ():
                raise ValueError('%s must be a float, got %s of shape %s'
                                 % (name, value.dtype, value.shape))
            value = float(value)
        state[key] = value
    return state
