"""Datasets for keisan: MNIST / Fashion-MNIST loaders, IDX files, downloads, batching.

>>> from keisan.datasets import load_mnist, DataLoader
>>> (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)   # doctest: +SKIP
>>> for x, t in DataLoader((x_train, t_train), 100, shuffle=True, seed=0):  # doctest: +SKIP
...     pass
"""
from keisan.datasets.dataset import (MAX_SEED, DataLoader, Dataset, TupleDataset,
                                     check_finite_data)
from keisan.datasets.download import fetch
from keisan.datasets.errors import DatasetError
from keisan.datasets.idx import read_idx, write_idx
from keisan.datasets.mnist import (FASHION_MNIST_CLASSES, MNIST_CLASSES, load_fashion_mnist,
                                   load_mnist)

__all__ = ['load_mnist', 'load_fashion_mnist', 'read_idx', 'write_idx', 'fetch',
           'DatasetError', 'Dataset', 'TupleDataset', 'DataLoader', 'MNIST_CLASSES',
           'FASHION_MNIST_CLASSES', 'CLASS_NAMES', 'MAX_SEED', 'get_dataset', 'check_finite_data']

#: The datasets by their command-line names, with the names of their ten classes.
CLASS_NAMES = {'mnist': MNIST_CLASSES, 'fashion-mnist': FASHION_MNIST_CLASSES}

_LOADERS = {
    'mnist': load_mnist,
    'fashion-mnist': load_fashion_mnist,
    'fashion_mnist': load_fashion_mnist,
}


def get_dataset(name, **kwargs):
    """Load a dataset by name: ``get_dataset('fashion-mnist', flatten=False)``.

    Args:
        name: 'mnist', 'fashion-mnist' or 'fashion_mnist' (case-insensitive).
        **kwargs: passed to the loader (see load_mnist).

    Returns:
        ``(x_train, t_train), (x_test, t_test)`` as the loader returns them.

    Raises:
        ValueError: unknown name; the message lists the known ones.
    """
    loader = _LOADERS.get(str(name).lower()) if isinstance(name, str) else None
    if loader is None:
        raise ValueError('get_dataset: unknown dataset %r; known: %s'
                         % (name, ', '.join(sorted(_LOADERS))))
    return loader(**kwargs)
