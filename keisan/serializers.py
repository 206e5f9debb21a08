"""Saving and loading parameters as ``.npz`` (never pickle).

Anything with ``state_dict()`` / ``load_state_dict(state)`` can be saved: Links,
optimizers, the book's networks. Files are written atomically (temporary file,
then rename) and read with ``allow_pickle=False``, after the header of every member
has been checked against the member's real size (a forged header cannot make us
allocate terabytes). What a parameter may hold is the business of
``load_state_dict`` (:func:`keisan.links.link.convert_loaded`).
"""
import math
import os
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from keisan import cuda
from keisan.fileio import atomic_write


def save_npz(path, obj, compression=False):
    """Write ``obj.state_dict()`` to ``path`` (an ``.npz`` file), atomically.

    Args:
        path: destination file name (``.npz`` is *not* appended).
        obj: a Link, optimizer or anything with ``state_dict()``.
        compression: use ``np.savez_compressed``.
    """
    state = {name: cuda.to_cpu(value) for name, value in _state_of(obj, 'save_npz')
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
        ValueError: not an .npz archive, a truncated or corrupted one, a member that
            is not a .npy array or whose header claims more data than the member
            holds, or one holding object arrays (which would need pickle); the
            message names the file (and the member). Members are checked before
            any array is allocated.
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
        problem = _members_problem(path)
        if problem is None:
            with np.load(path, allow_pickle=False) as f:
                return {name: f[name] for name in f.files}
    except MemoryError:
        raise ValueError('%s: %s holds arrays too large for this machine\'s memory'
                         % (where, path)) from None
    except ValueError as e:     # object arrays were refused from their headers above
        raise ValueError('%s: %s is not a valid .npz file (%s)' % (where, path, e)) from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError('%s: %s is not a valid .npz file (truncated or corrupted: %s)'
                         % (where, path, e)) from None
    raise ValueError('%s: %s: %s' % (where, path, problem))


#: deflate compresses at most about 1032:1: a member claiming more is forged
_MAX_DEFLATE_RATIO = 1032


def _members_problem(path):
    """What is wrong with the first member of the archive ``path`` that is not a .npy
    array its real size can hold, or None; reads the headers only."""
    archive_size = os.path.getsize(path)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            problem = _member_problem(archive, info, archive_size)
            if problem:
                return 'member %s %s' % (info.filename, problem)
    return None


def _member_problem(archive, info, archive_size):
    stored = info.compress_type == zipfile.ZIP_STORED
    if (info.compress_size > archive_size or (stored and info.file_size != info.compress_size)
            or info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024):
        return ('claims %d bytes, more than its %d bytes in the archive can hold'
                % (info.file_size, info.compress_size))
    with archive.open(info) as member:
        try:
            version = npy_format.read_magic(member)
        except ValueError:
            return 'is not a .npy array (it does not start with the .npy magic bytes)'
        read_header = {(1, 0): npy_format.read_array_header_1_0,
                       (2, 0): npy_format.read_array_header_2_0}.get(version)
        if read_header is None:
            return 'is a .npy file of format version %d.%d, which keisan does not read' % version
        try:
            shape, _, dtype = read_header(member)
        except ValueError as e:
            return 'has an invalid .npy header (%s)' % e
        if dtype.hasobject:
            return 'holds Python objects, which cannot be read without pickle'
        claimed = dtype.itemsize * math.prod(shape)
        available = info.file_size - member.tell()
        if claimed > available:
            return ('claims a %s array of shape %s (%d bytes) but holds %d bytes of data'
                    % (dtype, shape, claimed, available))
    return None


def load_npz(path, obj, strict=True):
    """Load arrays saved by :func:`save_npz` into ``obj`` in place.

    Names missing from the file or the model (with ``strict``), shape mismatches,
    arrays that are not floating point and NaN or infinite values raise ValueError
    naming each offending parameter (the rules of ``load_state_dict``), and nothing
    is loaded.
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
