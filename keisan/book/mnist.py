"""The book's ``dataset/mnist.py``: ``load_mnist(normalize, flatten, one_hot_label)``.

It returns MNIST as the book's does, through :func:`keisan.datasets.load_mnist`: the
files in ``$KEISAN_DATA/mnist`` or ``/usr/share/datasets/mnist``, else downloaded (and
checked) into ``$KEISAN_DATA``. Offline without MNIST, it falls back to Fashion-MNIST
when that is installed (``apt-get install dataset-fashion-mnist``), saying so on stderr:
the same shapes and ten classes, so every script of the book runs, with other
accuracies. ``KEISAN_BOOK_DATASET=fashion-mnist`` asks for Fashion-MNIST from the start.

Differences from the book's: integer labels are int64 (not uint8), one-hot labels
float32 (not float64).
"""
import os
import sys

import numpy as np

from keisan import datasets
from keisan.datasets.mnist import FILES, IMG_SIZE

__all__ = ['img_dim', 'img_size', 'key_file', 'load_mnist', 'np']

key_file = dict(FILES)
img_dim = (1, 28, 28)
img_size = IMG_SIZE

#: environment variable naming the data set of ``load_mnist``: mnist or fashion-mnist
DATASET_VARIABLE = 'KEISAN_BOOK_DATASET'


def load_mnist(normalize=True, flatten=True, one_hot_label=False):
    """``(x_train, t_train), (x_test, t_test)`` of MNIST (see the module's doc).

    Args:
        normalize: pixels as float32 in [0, 1]; otherwise uint8 0..255.
        flatten: images as (N, 784); otherwise (N, 1, 28, 28).
        one_hot_label: labels as (N, 10) one-hot rows; otherwise (N,) integers.

    Raises:
        keisan.datasets.DatasetError: neither MNIST nor (offline) Fashion-MNIST is there;
            the message says where it looked and how to get the files.
    """
    choice = os.environ.get(DATASET_VARIABLE, 'mnist').lower()
    if choice not in ('mnist', 'fashion-mnist'):
        raise ValueError('load_mnist: %s must be mnist or fashion-mnist, got %r'
                         % (DATASET_VARIABLE, choice))
    if choice == 'fashion-mnist':
        return datasets.load_fashion_mnist(normalize, flatten, one_hot_label)
    try:
        return datasets.load_mnist(normalize, flatten, one_hot_label)
    except datasets.DatasetError as missing:
        try:
            data = datasets.load_fashion_mnist(normalize, flatten, one_hot_label,
                                               download=False)
        except datasets.DatasetError:
            raise missing from None
        reason = str(missing).splitlines()[0]
    print('load_mnist: MNIST is not available (%s); using Fashion-MNIST, which is installed '
          '(set %s=fashion-mnist to skip looking for MNIST)' % (reason, DATASET_VARIABLE),
          file=sys.stderr)
    return data
