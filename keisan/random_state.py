"""NumPy random states as one ``.npz``-friendly array, and back: keisan's one RNG-state encoder.

A bit generator's state is a nested dict of names, ints (PCG64's are 128-bit), floats and
arrays: ``Generator.bit_generator.state`` (PCG64, the DataLoader's shuffling) or
``np.random.get_state(legacy=False)`` (MT19937 plus the cached Gaussian of ``np.random``,
which dropout draws from). :func:`encode_state` writes it as JSON text (exact for
integers of any size) in a 0-d string array, which ``np.load`` reads without pickle;
:func:`decode_state` reads it back and has NumPy check it by loading it into a fresh
generator of that name.
"""
import json

import numpy as np

__all__ = ['encode_state', 'decode_state']


def encode_state(state):
    """A 0-d string array holding a bit generator's state dict; ValueError if it is not one."""
    if not isinstance(state, dict) or not isinstance(state.get('bit_generator'), str):
        raise ValueError('encode_state: expected the state dict of a NumPy bit generator '
                         '(with a "bit_generator" name), got %r' % (state,))
    try:
        return np.array(json.dumps(state, default=_plain))
    except (TypeError, ValueError) as e:
        raise ValueError('encode_state: %s' % e) from None


def _plain(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError('a %s cannot be part of a random state' % type(value).__name__)


def decode_state(array, bit_generator=None):
    """The state dict that :func:`encode_state` wrote into ``array``.

    ``bit_generator``, if given, is the name the state must have (e.g. ``'PCG64'``). Text
    that is not such a state, another generator, or values NumPy refuses raise ValueError.
    """
    array = np.asarray(array)
    try:
        if array.dtype.kind != 'U' or array.shape != ():
            raise ValueError('expected a 0-d string array, got %s of shape %s'
                             % (array.dtype, array.shape))
        state = json.loads(str(array))
        name = state['bit_generator'] if isinstance(state, dict) else None
        if bit_generator is not None and name != bit_generator:
            raise ValueError('the state is of %s, expected %s' % (name, bit_generator))
        cls = getattr(np.random, str(name), None)
        if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
            raise ValueError('%r is not a NumPy bit generator' % (name,))
        generator = cls(0)
        layout = generator.state
        for key, like in layout['state'].items():     # arrays travel as lists
            if isinstance(like, np.ndarray):
                state['state'][key] = np.asarray(state['state'][key], like.dtype)
        if name == 'MT19937' and not 0 <= state['state']['pos'] <= 624:
            raise ValueError('state/pos must be in [0, 624], got %r' % state['state']['pos'])
        generator.state = {key: state[key] for key in layout}   # NumPy's own checks
        if 'has_gauss' in state:        # np.random's state: its cached Gaussian too
            np.random.RandomState().set_state(state)
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        raise ValueError('decode_state: not a valid random state (%s)' % (e,)) from None
    return state
