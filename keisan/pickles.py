"""Reading the book's ``.pkl`` weight files without running what a pickle may hide.

"Deep Learning from Scratch" saves a network's ``params`` (a dict of NumPy arrays) with
``pickle.dump``, and ships trained weights that way (``ch03/sample_weight.pkl``,
``ch07/params.pkl``, ``ch08/deep_convnet_params.pkl``). ``pickle.load`` calls whatever
callable a file names, ``os.system`` included. :func:`load` reads a pickle only if
every global it names is one that plain data needs: NumPy's array and scalar
reconstruction and dtypes (under their NumPy 1 names, ``numpy.core``, and NumPy 2
names, ``numpy._core``), and how protocols 0-2 spell bytes and complex numbers. The
whole file is scanned first, so a refused pickle builds nothing; the unpickler checks
each global again as it resolves it. What comes out must then be dicts, lists,
tuples, strings, numbers and numeric arrays, nothing else.

keisan itself never writes pickles (``.npz`` files, see :mod:`keisan.serializers`).
"""
import io
import os
import pickle
import pickletools

import numpy as np

#: What a pickle of a dict of arrays refers to, by (module, name) -> the object used.
#: The NumPy functions are taken from NumPy's own reductions, so that neither
#: ``numpy.core`` (deprecated in NumPy 2) nor ``numpy._core`` (absent before) is imported.
_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]
_FROMBUFFER = np.ndarray.__reduce_ex__(np.zeros(1), 5)[0]
_SCALAR = np.float64(0).__reduce__()[0]


def _latin1_encode(text, encoding):
    """``_codecs.encode(text, 'latin1')``: how protocols 0-2 spell a bytes object."""
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError('_codecs.encode is only allowed as latin1 encoding of '
                                     'a string (a bytes object), got %s, %r'
                                     % (type(text).__name__, encoding))
    return text.encode('latin1')


def _empty_bytes(*args):
    """``bytes()``: how protocols 0-2 spell an empty bytes object (an empty array's data);
    nothing else (``bytes(10**12)`` would allocate a terabyte)."""
    if args:
        raise pickle.UnpicklingError('bytes is only allowed without arguments, got %d'
                                     % len(args))
    return b''


_ALLOWED = {}
for _module in ('numpy.core', 'numpy._core'):
    _ALLOWED.update({(_module + '.multiarray', '_reconstruct'): _RECONSTRUCT,
                     (_module + '.multiarray', 'scalar'): _SCALAR,
                     (_module + '.numeric', '_frombuffer'): _FROMBUFFER})
for _module in ('builtins', '__builtin__'):     # protocols 0-2 say __builtin__
    _ALLOWED.update({(_module, 'complex'): complex, (_module, 'bytes'): _empty_bytes})
_ALLOWED.update({('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype,
                 ('_codecs', 'encode'): _latin1_encode,
                 ('collections', 'OrderedDict'): dict})
del _module

_STRING_OPS = {'STRING', 'BINSTRING', 'SHORT_BINSTRING', 'UNICODE', 'BINUNICODE',
               'SHORT_BINUNICODE', 'BINUNICODE8'}
_MARK = object()        # a MARK on the simulated stack


def is_pickle(head):
    """Whether a file starting with the bytes ``head`` looks like a pickle of a dict:
    PROTO with protocol 2 to 5, or (protocols 0 and 1) MARK or EMPTY_DICT."""
    return (head[:1] == b'\x80' and head[1:2] in (b'\x02', b'\x03', b'\x04', b'\x05')) \
        or head[:1] in (b'(', b'}')


def referenced_globals(data):
    """(module, name) of every global the pickle ``data`` (bytes) refers to, in order,
    found by walking its opcodes without building anything. A global whose name the walk
    cannot tell (a STACK_GLOBAL fed by anything but strings) is ``(None, None)``.

    Raises ValueError if ``data`` is not a well-formed pickle.
    """
    stack, memo, found = [], {}, []
    try:
        for op, arg, _ in pickletools.genops(data):
            name = op.name
            if name in ('GLOBAL', 'INST'):
                found.append(tuple(arg.split(' ', 1)))
            elif name == 'STACK_GLOBAL':
                pair = tuple(stack[-2:])
                found.append(pair if all(isinstance(s, str) for s in pair) else (None, None))
            elif name.startswith('EXT'):        # the copyreg extension registry
                found.append(('copyreg extension', str(arg)))
            if name in ('MEMOIZE', 'PUT', 'BINPUT', 'LONG_BINPUT'):   # the stack stays
                memo[len(memo) if name == 'MEMOIZE' else arg] = stack[-1]
                continue
            before = op.stack_before
            if pickletools.markobject in before:        # everything down to the MARK
                while stack.pop() is not _MARK:
                    pass
                del stack[len(stack) - before.index(pickletools.markobject):]
            elif before:
                del stack[-len(before):]
            if name in ('GET', 'BINGET', 'LONG_BINGET'):
                stack.append(memo.get(arg))
            elif name == 'MARK':
                stack.append(_MARK)
            else:
                stack.extend([arg if name in _STRING_OPS else None] * len(op.stack_after))
    except (ValueError, IndexError, KeyError) as e:
        raise ValueError('not a well-formed pickle (%s)' % (e or type(e).__name__)) from None
    return found


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError('refers to %s.%s' % (module, name)) from None


def loads(data, where='keisan.pickles.loads'):
    """The object pickled in ``data`` (bytes), if it is plain data (see the module's doc).

    Returns dicts, lists, tuples, strings, bytes, numbers, None and NumPy arrays of
    numbers or bools (``collections.OrderedDict`` comes back as a dict).

    Raises:
        ValueError: naming ``where`` and, for a refused pickle, the global it refers to
            (e.g. ``posix.system``); nothing of the pickle has been built or run.
    """
    try:
        refused = [g for g in referenced_globals(data) if g not in _ALLOWED]
    except ValueError as e:
        raise ValueError('%s: %s' % (where, e)) from None
    if refused:
        module, name = refused[0]
        what = 'an unknown global' if module is None else '%s.%s' % (module, name)
        raise ValueError('%s: the pickle refers to %s, which a file of NumPy arrays never '
                         'needs; refused without running or building anything' % (where, what))
    try:
        obj = _Unpickler(io.BytesIO(data), encoding='latin1').load()
    except Exception as e:      # any malformed stream: pickle raises many kinds of errors
        raise ValueError('%s: not a readable pickle of arrays (%s: %s)'
                         % (where, type(e).__name__, e)) from None
    problem = _not_plain(obj, 'the pickle')
    if problem:
        raise ValueError('%s: %s' % (where, problem))
    return obj


def load(path, where='keisan.pickles.load'):
    """:func:`loads` of the file ``path``; FileNotFoundError if there is none."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError('%s: no such file: %s' % (where, path))
    with open(path, 'rb') as f:
        return loads(f.read(), '%s(%s)' % (where, path))


def _not_plain(obj, where, depth=0):
    """What in ``obj`` is not plain data, or None."""
    if depth > 100:
        return '%s is nested more than 100 levels deep' % where
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in 'biufc':
            return '%s is an array of dtype %s (only numbers are read)' % (where, obj.dtype)
        return None
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, np.number,
                                       np.bool_)):
        return None
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    else:
        return '%s is a %s' % (where, type(obj).__name__)
    for key, value in items:
        problem = _not_plain(key, '%s key %r' % (where, key), depth + 1) or \
            _not_plain(value, '%s[%r]' % (where, key), depth + 1)
        if problem:
            return problem
    return None
