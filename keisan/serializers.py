"""Saving and loading parameters as ``.npz`` (never pickle).

Anything with ``state_dict()`` / ``load_state_dict(state)`` can be saved: Links,
optimizers, the book's networks. Files are written atomically (temporary file,
then rename) and read with ``allow_pickle=False``.
"""
import os
import zipfile
import zlib

import numpy as np

from keisan import cuda
from keisan.fileio import atomic_write


def save_npz(path, obj, compression=False):
    """Write ``obj.state_dict()`` to ``path`` (an ``.npz`` file), atomically.

    Args:
        path: destination file name (``.npz`` is *not* appended).
        obj: a Link, optimizer or anything with ``state_dict()``.
        compression: use ``np.savez_compressed``.
    """
    state = {name: cuda.as_numpy(value) for name, value in _state_of(obj, 'save_npz')
             .items()}
    write_npz_atomic(path, state, compression)


def write_npz_atomic(path, arrays, compression=False):
    """Write a dict of arrays to ``path`` via a temporary file and ``os.replace``."""
    with atomic_write(path) as f:
        (np.savez_compressed if compression else np.savez)(f, **arrays)


#: first bytes of a zip archive (an .npz): a local file header, or the end record of
#: an empty archive
_ZIP_MAGICS = (b'PK\x03\x04', b'PK\x05\x06')


def read_npz(path, where='load_npz'):
    """Read every array of an ``.npz`` file into a dict (``allow_pickle=False``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not an .npz archive, a truncated or corrupted one, or one
            holding object arrays (which would need pickle); the message names
            the file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError('%s: no such file: %s' % (where, path))
    with open(path, 'rb') as f:
        magic = f.read(4)
    if magic not in _ZIP_MAGICS:
        raise ValueError('%s: %s is not a .npz file (%s)' % (
            where, path, 'it is empty' if not magic else 'no zip header; first bytes %r'
            % magic))
    try:
        with np.load(path, allow_pickle=False) as f:
            return {name: f[name] for name in f.files}
    except ValueError as e:
        if 'pickle' in str(e):      # object arrays need pickle: refuse them
            raise ValueError('%s: %s holds object arrays, which cannot be read without '
                             'pickle (%s)' % (where, path, e)) from None
        raise ValueError('%s: %s is not a valid .npz file (%s)' % (where, path, e)) from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError('%s: %s is not a valid .npz file (truncated or corrupted: %s)'
                         % (where, path, e)) from None


def load_npz(path, obj, strict=True):
    """Load arrays saved by :func:`save_npz` into ``obj`` in place.

    Names missing from the file or the model (with ``strict``) and shape
    mismatches raise ValueError naming each offending parameter.
    """
    state = read_npz(path)
    _state_of(obj, 'load_npz')
    try:
        obj.load_state_dict(state, strict=strict)
    except ValueError as e:
        raise ValueError('load_npz(%s): %s' % (os.fspath(path), e)) from None
    return obj


def _state_of(obj, where):
    if not hasattr(obj, 'state_dict') or not hasattr(obj, 'load_state_dict'):
        raise TypeError('%s: expected a Link, an optimizer or an object with state_dict(), '
                        'got %s' % (where, type(obj).__name__))
    return obj.state_dict()
