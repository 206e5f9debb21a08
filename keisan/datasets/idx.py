"""Reading and writing the IDX format used by MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim``
big-endian uint32 dimension sizes, then the array payload in C order, big-endian.
The files are usually distributed gzipped; gzip is recognised by its magic bytes
(1f 8b), never by the file name.
"""
import gzip as _gzip
import os
import zlib

import numpy as np

from keisan.datasets.errors import DatasetError

__all__ = ['read_idx', 'write_idx', 'IDX_DTYPES']

# IDX type code -> big-endian dtype of the payload.
IDX_DTYPES = {
    0x08: np.dtype('u1'),
    0x09: np.dtype('i1'),
    0x0B: np.dtype('>i2'),
    0x0C: np.dtype('>i4'),
    0x0D: np.dtype('>f4'),
    0x0E: np.dtype('>f8'),
}

_GZIP_MAGIC = b'\x1f\x8b'
_MAX_NDIM = 32                  # NumPy 1.26 supports at most 32 dimensions
_CHUNK = 1 << 20

# Errors the gzip module raises on corrupt or truncated streams.
_GZIP_ERRORS = (OSError, EOFError, zlib.error)


def _describe(ndim):
    # Only used to make messages read naturally for the MNIST layouts.
    return {1: 'label data', 3: 'image data'}.get(ndim, 'data')


def _read_upto(stream, limit):
    """Read up to ``limit`` bytes in bounded chunks.

    Chunked so that a forged header claiming terabytes cannot make us allocate
    that much before noticing the file is far shorter.
    """
    buf = bytearray()
    while len(buf) < limit:
        chunk = stream.read(min(_CHUNK, limit - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def read_idx(path):
    """Read an IDX file (gzipped or not) into a NumPy array.

    Args:
        path: file path (str or os.PathLike).

    Returns:
        ndarray whose shape is the dimensions stored in the header and whose
        dtype follows the type code: uint8 (0x08, the MNIST case), int8 (0x09),
        int16 (0x0B), int32 (0x0C), float32 (0x0D) or float64 (0x0E), converted
        to native byte order. The array is writable.

    Raises:
        DatasetError: the file is empty, not valid gzip, has a bad magic number
            or header, or its payload is shorter or longer than the header says.
            The message starts with the file path.
        OSError: the file cannot be opened.
    """
    path = os.fspath(path)
    with open(path, 'rb') as raw:
        head = raw.read(2)
        if not head:
            raise DatasetError('%s: file is empty' % path)
        raw.seek(0)
        compressed = head == _GZIP_MAGIC
        stream = _gzip.GzipFile(fileobj=raw, mode='rb') if compressed else raw
        try:
            return _parse(stream, path, compressed)
        except _GZIP_ERRORS as e:
            if not compressed:
                raise
            raise DatasetError('%s: corrupt or truncated gzip data (%s: %s)'
                               % (path, type(e).__name__, e)) from e
        finally:
            if compressed:
                stream.close()


def _parse(stream, path, compressed):
    what = 'decompressed data' if compressed else 'file'
    magic = _read_upto(stream, 4)
    if len(magic) < 4:
        if not magic and compressed:
            raise DatasetError('%s: decompressed data is empty' % path)
        raise DatasetError('%s: truncated header: %s has %d byte(s), the IDX magic '
                           'number needs 4' % (path, what, len(magic)))
    if magic[0] != 0 or magic[1] != 0:
        raise DatasetError('%s: bad magic number 0x%s: an IDX file starts with two '
                           'zero bytes' % (path, magic.hex()))
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        raise DatasetError('%s: unknown IDX type code 0x%02X (known: %s)' % (
            path, code, ', '.join('0x%02X' % c for c in IDX_DTYPES)))
    if ndim == 0 or ndim > _MAX_NDIM:
        raise DatasetError('%s: unsupported number of dimensions %d (expected 1 to %d)'
                           % (path, ndim, _MAX_NDIM))
    dims_raw = _read_upto(stream, 4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise DatasetError('%s: truncated header: %d dimension(s) need %d bytes, found %d'
                           % (path, ndim, 4 * ndim, len(dims_raw)))
    shape = tuple(int(d) for d in np.frombuffer(bytes(dims_raw), dtype='>u4'))
    dtype = IDX_DTYPES[code]
    expected = dtype.itemsize
    for d in shape:
        expected *= d           # Python ints: no overflow on forged sizes
    # One extra byte tells "exactly right" apart from "trailing garbage"; for gzip,
    # reading up to the end of the stream is also what makes it check the CRC.
    payload = _read_upto(stream, expected + 1)
    if len(payload) != expected:
        if len(payload) < expected:
            found = '%d' % len(payload)
        else:
            found = 'more (trailing bytes after the payload)'
        raise DatasetError('%s: expected %d bytes of %s for shape %s, found %s'
                           % (path, expected, _describe(ndim), shape, found))
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)
    if dtype.byteorder == '>':
        array = array.astype(dtype.newbyteorder('='))
    return array


def write_idx(path, array, gzip=True):
    """Write an array as an IDX file.

    Args:
        path: destination path (str or os.PathLike); written in place, not atomically.
        array: array-like with 1 to 32 dimensions and dtype uint8, int8, int16,
            int32, float32 or float64 (stored big-endian, as the format requires).
        gzip: compress with gzip (as the MNIST distribution files are). The gzip
            header carries no timestamp or name, so equal arrays give identical files.

    Raises:
        ValueError: unsupported dtype or number of dimensions, or a dimension
            that does not fit in uint32.
    """
    array = np.asarray(array)
    code = None
    for c, dt in IDX_DTYPES.items():
        if array.dtype.kind == dt.kind and array.dtype.itemsize == dt.itemsize:
            code = c
            break
    if code is None:
        raise ValueError('write_idx: dtype %s has no IDX type code (supported: uint8, '
                         'int8, int16, int32, float32, float64)' % array.dtype)
    if not 1 <= array.ndim <= _MAX_NDIM:
        raise ValueError('write_idx: arrays need 1 to %d dimensions, got %d'
                         % (_MAX_NDIM, array.ndim))
    if any(d >= 2 ** 32 for d in array.shape):
        raise ValueError('write_idx: dimension sizes must fit in uint32, got shape %s'
                         % (array.shape,))
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype='>u4').tobytes()
    payload = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    with open(os.fspath(path), 'wb') as f:
        if gzip:
            with _gzip.GzipFile(filename='', fileobj=f, mode='wb', mtime=0) as g:
                g.write(header)
                g.write(payload)
        else:
            f.write(header)
            f.write(payload)
