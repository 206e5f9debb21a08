"""MNIST and Fashion-MNIST loaders with the interface of the book's ``dataset/mnist.py``.

Each of the four files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``) is looked up, in order:

1. in the data directory: the ``data_dir`` argument, else ``$KEISAN_DATA``, else
   ``~/.cache/keisan``; inside it the subfolder ``mnist/`` or ``fashion-mnist/``;
2. in system locations (``SYSTEM_DATA_DIRS``): Debian's ``dataset-fashion-mnist``
   package installs ``/usr/share/datasets/fashion-mnist/*.gz``; ``/usr/share/datasets/mnist``
   is checked likewise;
3. on the mirrors (``mirrors`` argument, else ``$KEISAN_MNIST_MIRRORS`` /
   ``$KEISAN_FASHION_MNIST_MIRRORS``, comma separated, else the defaults), downloaded
   into the data directory, if ``download`` is true.

Either the gzipped name or the same name without ``.gz`` is accepted in 1 and 2
(the reader detects gzip by content). Every file is validated (IDX structure,
28x28 images, labels 0..9, matching counts); downloaded files are validated and
checked against the official MD5 sums before they enter the cache. The parsed
arrays are cached as ``<name>.npz`` in the data directory, keyed by the size and
modification time of the source files, and read back with ``allow_pickle=False``.
"""
import json
import os
import zipfile

import numpy as np

from keisan.datasets.download import fetch
from keisan.datasets.errors import DatasetError
from keisan.datasets.idx import read_idx
from keisan.fileio import atomic_write

__all__ = ['load_mnist', 'load_fashion_mnist', 'MNIST_CLASSES', 'FASHION_MNIST_CLASSES',
           'SYSTEM_DATA_DIRS', 'DEFAULT_MIRRORS', 'CHECKSUMS']

MNIST_CLASSES = tuple(str(i) for i in range(10))
FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                         'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')

# Same keys as the book's key_file dict.
FILES = {
    'train_img': 'train-images-idx3-ubyte.gz',
    'train_label': 'train-labels-idx1-ubyte.gz',
    'test_img': 't10k-images-idx3-ubyte.gz',
    'test_label': 't10k-labels-idx1-ubyte.gz',
}

IMG_SHAPE = (28, 28)
IMG_SIZE = 784
NUM_CLASSES = 10

SYSTEM_DATA_DIRS = {
    'mnist': ('/usr/share/datasets/mnist',),
    'fashion-mnist': ('/usr/share/datasets/fashion-mnist',),
}

DEFAULT_MIRRORS = {
    'mnist': (
        'https://ossci-datasets.s3.amazonaws.com/mnist/',
        'https://storage.googleapis.com/cvdf-datasets/mnist/',
    ),
    # HTTPS first; the S3 website endpoint only speaks plain HTTP (the MD5 still
    # protects the content).
    'fashion-mnist': (
        'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
        'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    ),
}

# MD5 of the officially distributed .gz files (as published by Zalando for
# Fashion-MNIST and used by torchvision for both). They only apply to downloads:
# distribution packages may recompress the files (Debian's Fashion-MNIST .gz files
# differ byte-wise), so local files are checked by their IDX structure instead.
CHECKSUMS = {
    'mnist': {
        'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
        'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
        't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
        't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
    },
    'fashion-mnist': {
        'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
        'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
        't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
        't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
    },
}

_TITLES = {'mnist': 'MNIST', 'fashion-mnist': 'Fashion-MNIST'}
_MIRROR_ENV = {'mnist': 'KEISAN_MNIST_MIRRORS', 'fashion-mnist': 'KEISAN_FASHION_MNIST_MIRRORS'}
_CACHE_VERSION = 1


def data_root(data_dir=None):
    """The data directory: ``data_dir``, else ``$KEISAN_DATA``, else ``~/.cache/keisan``."""
    if data_dir is not None:
        return os.fspath(data_dir)
    env = os.environ.get('KEISAN_DATA')
    if env:
        return env
    return os.path.join(os.path.expanduser('~'), '.cache', 'keisan')


def _mirrors(key, mirrors):
    if mirrors is not None:
        return [mirrors] if isinstance(mirrors, str) else list(mirrors)
    env = os.environ.get(_MIRROR_ENV[key])
    if env:
        return [m.strip() for m in env.split(',') if m.strip()]
    return list(DEFAULT_MIRRORS[key])


def _find(filename, directories):
    plain = filename[:-3] if filename.endswith('.gz') else filename
    for d in directories:
        for name in (filename, plain):
            path = os.path.join(d, name)
            if os.path.isfile(path):
                return path
    return None


def _check(part, array, path):
    """Raise DatasetError unless ``array`` is a plausible MNIST images/labels array."""
    if array.dtype != np.uint8:
        raise DatasetError('%s: expected uint8 data, found %s' % (path, array.dtype))
    if part.endswith('img'):
        if array.ndim != 3 or array.shape[1:] != IMG_SHAPE:
            raise DatasetError('%s: expected images of shape (N, 28, 28), found %s'
                               % (path, array.shape))
    else:
        if array.ndim != 1:
            raise DatasetError('%s: expected labels of shape (N,), found %s'
                               % (path, array.shape))
        if array.size and array.max() >= NUM_CLASSES:
            raise DatasetError('%s: label %d out of range 0..%d'
                               % (path, array.max(), NUM_CLASSES - 1))


def _check_counts(raw, paths):
    for split in ('train', 'test'):
        n_img, n_lab = len(raw[split + '_img']), len(raw[split + '_label'])
        if n_img != n_lab:
            raise DatasetError('%s has %d images but %s has %d labels' % (
                paths[split + '_img'], n_img, paths[split + '_label'], n_lab))


def _signature(paths):
    sig = []
    for part in sorted(paths):
        st = os.stat(paths[part])
        sig.append([part, os.path.abspath(paths[part]), st.st_size, st.st_mtime_ns])
    return json.dumps([_CACHE_VERSION, sig])


def _read_cache(path, signature):
    """Cached arrays if the cache exists, is intact and matches the sources; else None."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z['signature']) != signature:
                return None
            raw = {part: z[part] for part in FILES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    try:
        for part, array in raw.items():
            _check(part, array, path)
        _check_counts(raw, {part: path for part in FILES})
    except DatasetError:
        return None
    return raw


def _write_cache(path, raw, signature):
    # Best effort: a read-only or full data directory only costs speed.
    try:
        with atomic_write(path) as f:
            np.savez(f, signature=np.array(signature), **raw)
    except OSError:
        pass


def _hint(key, directory):
    lines = []
    if key == 'fashion-mnist':
        lines.append('install the Debian package: apt-get install -y dataset-fashion-mnist')
    lines.append('put the four files (gzipped or not) in %s' % directory)
    lines.append('or set KEISAN_DATA to a directory holding %s/ with them, or to a writable '
                 'one to download them into' % key)
    if key == 'mnist':
        lines.append('(Fashion-MNIST is available offline with: '
                     'apt-get install -y dataset-fashion-mnist)')
    return '\n  '.join(lines)


def _load_raw(key, data_dir, mirrors, download):
    """The four uint8 arrays of dataset ``key``, keyed like ``FILES``."""
    title = _TITLES[key]
    directory = os.path.join(data_root(data_dir), key)
    search = [directory] + list(SYSTEM_DATA_DIRS.get(key, ()))
    cache_path = os.path.join(directory, key + '.npz')

    paths = {part: _find(name, search) for part, name in FILES.items()}
    missing = [part for part, p in paths.items() if p is None]
    if not missing:
        raw = _read_cache(cache_path, _signature(paths))
        if raw is not None:
            return raw

    raw = {}
    if missing:
        if not download:
            raise DatasetError(
                '%s: %s not found; searched %s (each also without .gz); downloading is '
                'disabled (download=False).\nTo fix:\n  %s' % (
                    title, ', '.join(FILES[p] for p in missing), ', '.join(search),
                    _hint(key, directory)))
        urls = _mirrors(key, mirrors)
        for part in missing:
            name = FILES[part]

            def validate(tmp, part=part):
                array = read_idx(tmp)
                _check(part, array, tmp)
                raw[part] = array       # keep it: saves parsing the file twice

            try:
                paths[part] = fetch(name, urls, directory, md5=CHECKSUMS[key].get(name),
                                    validate=validate)
            except DatasetError as e:
                raise DatasetError(
                    '%s: %s not found in %s (each also without .gz) and the download '
                    'failed: %s\nTo fix:\n  %s' % (title, name, ', '.join(search), e,
                                                   _hint(key, directory))) from None

    for part, path in paths.items():
        if part not in raw:
            raw[part] = read_idx(path)
            _check(part, raw[part], path)
    _check_counts(raw, paths)
    _write_cache(cache_path, raw, _signature(paths))
    return raw


def _convert(images, labels, normalize, flatten, one_hot_label):
    if normalize:
        x = images.astype(np.float32)
        x /= 255.0
    else:
        x = images.copy()
    if one_hot_label:
        t = np.zeros((labels.size, NUM_CLASSES), dtype=np.float32)
        t[np.arange(labels.size), labels] = 1.0
    else:
        t = labels.astype(np.int64)
    x = x.reshape(-1, IMG_SIZE) if flatten else x.reshape(-1, 1, *IMG_SHAPE)
    return x, t


def _load(key, normalize, flatten, one_hot_label, data_dir, mirrors, download):
    raw = _load_raw(key, data_dir, mirrors, download)
    return (_convert(raw['train_img'], raw['train_label'], normalize, flatten, one_hot_label),
            _convert(raw['test_img'], raw['test_label'], normalize, flatten, one_hot_label))


_DOC = """Load {title} as ``(x_train, t_train), (x_test, t_test)``, like the book's load_mnist.

    Args:
        normalize: scale pixels to float32 in [0, 1]; otherwise keep uint8 0..255.
        flatten: images as (N, 784); otherwise (N, 1, 28, 28).
        one_hot_label: labels as one-hot float32 arrays of shape (N, 10)
            (float32 so they mix with float32 outputs without upcasting);
            otherwise integer labels of shape (N,).
        data_dir: data directory (default ``$KEISAN_DATA`` or ``~/.cache/keisan``);
            files live in its ``{key}/`` subfolder.
        mirrors: base URLs to download from (default ``${env}`` or the official
            mirrors).
        download: allow downloading files found neither in the data directory
            nor in the system locations.

    Returns:
        ((x_train, t_train), (x_test, t_test)) with N = 60000 and 10000 for the
        official files. Integer labels are int64 rather than the book's uint8, so
        that they index arrays and feed losses without overflow or casting
        surprises; their values are 0..9 ({classes}).

    Raises:
        DatasetError: files missing (and download disabled or failed) or invalid;
            the message names the places searched, the URLs tried and how to fix it.
    """


def load_mnist(normalize=True, flatten=True, one_hot_label=False, *, data_dir=None,
               mirrors=None, download=True):
    return _load('mnist', normalize, flatten, one_hot_label, data_dir, mirrors, download)


def load_fashion_mnist(normalize=True, flatten=True, one_hot_label=False, *, data_dir=None,
                       mirrors=None, download=True):
    return _load('fashion-mnist', normalize, flatten, one_hot_label, data_dir, mirrors,
                 download)


load_mnist.__doc__ = _DOC.format(title='MNIST', key='mnist', env='KEISAN_MNIST_MIRRORS',
                                 classes='the digits, see MNIST_CLASSES')
load_fashion_mnist.__doc__ = _DOC.format(
    title='Fashion-MNIST', key='fashion-mnist', env='KEISAN_FASHION_MNIST_MIRRORS',
    classes='see FASHION_MNIST_CLASSES')
