"""Datasets and a mini-batch loader with reproducible, resumable shuffling."""
import numbers

import numpy as np

from keisan import cuda
from keisan.kernels.finite import non_finite
from keisan.random_state import decode_state, encode_state

__all__ = ['Dataset', 'TupleDataset', 'DataLoader', 'check_finite_data']

#: seeds NumPy's legacy ``np.random.seed`` takes; the loader keeps to the same range
MAX_SEED = 2 ** 32 - 1


def check_finite_data(x, where):
    """Refuse a float array ``x`` (data or one-hot labels) with NaN or inf.

    Raises:
        ValueError: '<where> holds <count> NaN or infinite values; the first is in
            example <i>'. Arrays of other dtypes pass unchecked.
    """
    if getattr(x, 'dtype', None) is None or x.dtype.kind not in 'fc' or x.size == 0:
        return
    bad, _, first = non_finite(x)
    if not bad:
        return
    raise ValueError('%s holds %d NaN or infinite value%s; the first is in example %d: '
                     'clean or drop those examples first'
                     % (where, bad, '' if bad == 1 else 's', first))


class Dataset:
    """Base class: a sized, indexable collection of examples.

    Subclasses implement ``__len__`` and ``__getitem__(i)`` for an int ``i``,
    returning one example: a tuple of arrays/scalars (or a single array).
    """

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


def _is_int(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


class TupleDataset(Dataset):
    """Examples made of corresponding rows of several arrays, e.g. ``(x, t)``.

    Args:
        *arrays: arrays (NumPy, CuPy, or lists, which are converted with
            ``np.asarray``) with the same length along axis 0.

    Indexing with an int returns a tuple of rows ``(x[i], t[i])``; with a slice,
    a boolean mask or an integer index array it returns a tuple of arrays.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError('TupleDataset: at least one array is required')
        arrays = tuple(np.asarray(a) if isinstance(a, (list, tuple)) else a for a in arrays)
        lengths = [len(a) for a in arrays]
        if any(n != lengths[0] for n in lengths):
            raise ValueError('TupleDataset: all arrays must have the same length, got '
                             'lengths %s' % ', '.join(map(str, lengths)))
        self.arrays = arrays
        self._length = lengths[0]

    def __len__(self):
        return self._length

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Iterate over a dataset in mini-batches; each ``iter()`` is one epoch.

    Args:
        dataset: a Dataset (or anything with ``len`` and indexing), a single
            array, or a tuple/list of arrays (wrapped in a TupleDataset).
        batch_size: positive int.
        shuffle: visit the examples in a new random order every epoch. The orders
            come from ``np.random.default_rng(seed)``, advanced once per epoch, so
            a given seed always yields the same sequence of epochs.
        seed: int seed in [0, 2**32 - 1] (or None for a fresh random one).
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        device: None or 'cpu' for NumPy batches; 'gpu' (or 'cuda') to copy each
            batch to the GPU with ``keisan.cuda.to_gpu``.

    Each batch is a tuple of arrays with leading dimension ``batch_size`` (or
    less for the last one), one per field of the examples, e.g. ``(x, t)`` with
    shapes (B, 784) and (B,). Batches are new arrays, never views of the data.
    For a TupleDataset the batch is taken by indexing each array at once; other
    datasets are read example by example and stacked with ``np.stack``.

    ``get_state()``/``set_state()`` save and restore the position (epoch, batch
    within the epoch, RNG state), so that a run resumed from a checkpoint sees
    exactly the batches the interrupted run would have seen. Abandoning an epoch
    part-way (``break``) and calling ``iter()`` again starts the next epoch, unless
    ``set_state`` was called in between. Only one iterator per loader should be
    in use at a time.
    """

    def __init__(self, dataset, batch_size, shuffle=False, seed=None, drop_last=False,
                 device=None):
        if isinstance(dataset, (tuple, list)):
            dataset = TupleDataset(*dataset)
        elif hasattr(dataset, '__len__') and hasattr(dataset, 'shape'):     # one array
            dataset = TupleDataset(dataset)
        elif not isinstance(dataset, Dataset) and not (hasattr(dataset, '__len__')
                                                       and hasattr(dataset, '__getitem__')):
            raise TypeError('DataLoader: expected a Dataset, an array or a tuple of arrays, '
                            'got %s' % type(dataset).__name__)
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError('DataLoader: batch_size must be a positive int, got %r'
                             % (batch_size,))
        if seed is not None and not (_is_int(seed) and 0 <= seed <= MAX_SEED):
            raise ValueError('DataLoader: seed must be None or an int in [0, %d], got %r'
                             % (MAX_SEED, seed))
        if device not in (None, 'cpu', 'gpu', 'cuda'):
            raise ValueError("DataLoader: device must be None, 'cpu' or 'gpu', got %r"
                             % (device,))
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.device = None if device == 'cpu' else device
        self._to_device = None
        if self.device is not None:
            self._to_device = cuda.to_gpu

        self._epoch = 0                 # index of the current (or next) epoch
        self._position = 0              # batches already delivered in that epoch
        self._epoch_rng = np.random.default_rng(seed).bit_generator.state
        self._next_rng = None           # RNG state after drawing the current epoch's order
        self._active = False            # an epoch has started and not finished

    @property
    def epoch(self):
        """Number of epochs completed (the index of the epoch to be run next)."""
        return self._epoch + 1 if self._position >= len(self) and self._active else self._epoch

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self):
        """This epoch's example order (None: sequential) and the RNG state after it."""
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = self._epoch_rng
        order = rng.permutation(len(self.dataset)) if self.shuffle else None
        return order, rng.bit_generator.state

    def _finish_epoch(self):
        self._epoch += 1
        self._position = 0
        self._epoch_rng = self._next_rng
        self._active = False

    def __iter__(self):
        if self._active and self._position > 0:
            self._finish_epoch()    # the previous epoch was abandoned part-way
        order, self._next_rng = self._order()
        self._active = True
        return self._batches(order, self._position)

    def _batches(self, order, start):
        n, bs = len(self.dataset), self.batch_size
        fast = isinstance(self.dataset, TupleDataset)
        for b in range(start, len(self)):
            lo, hi = b * bs, min((b + 1) * bs, n)
            index = slice(lo, hi) if order is None else order[lo:hi]
            if fast and order is None:
                # Copies, so that in-place work on a batch never edits the dataset.
                batch = tuple(a.copy() for a in self.dataset[index])
            elif fast:
                batch = self.dataset[index]
            else:
                batch = self._collate(index)
            if self._to_device is not None:
                batch = tuple(self._to_device(a) for a in batch)
            # Counted before the yield: a checkpoint taken while this batch is
            # being used must resume after it.
            self._position = b + 1
            yield batch
        self._finish_epoch()

    def _collate(self, index):
        indices = range(index.start, index.stop) if isinstance(index, slice) else index
        examples = [self.dataset[int(i)] for i in indices]
        if not isinstance(examples[0], tuple):
            return (np.stack(examples),)
        return tuple(np.stack(field) for field in zip(*examples))

    def get_state(self):
        """The loader's position as a dict of ints and an encoded RNG state (.npz friendly).

        Keys: 'epoch', 'position' (batches done in that epoch), 'rng_state'
        (the shuffling PCG64 state, by :func:`keisan.random_state.encode_state`), plus
        'num_samples' and 'batch_size' to detect a mismatched resume.
        """
        epoch, position, rng = self._epoch, self._position, self._epoch_rng
        if self._active and position >= len(self):
            # The last batch is out but the generator has not finished yet:
            # report the start of the next epoch, not an empty tail.
            epoch, position, rng = epoch + 1, 0, self._next_rng
        return {'epoch': int(epoch), 'position': int(position), 'rng_state': encode_state(rng),
                'num_samples': int(len(self.dataset)), 'batch_size': int(self.batch_size)}

    def set_state(self, state):
        """Restore a position saved by ``get_state``; the next ``iter()`` resumes there.

        Values may be plain ints or 0-d arrays (as read back from an .npz file).

        Raises:
            ValueError: missing keys, or a state saved with a different dataset
                length or batch size.
        """
        try:
            epoch, position = int(state['epoch']), int(state['position'])
            num_samples, batch_size = int(state['num_samples']), int(state['batch_size'])
            rng = decode_state(state['rng_state'], 'PCG64')
        except KeyError as e:
            raise ValueError('DataLoader.set_state: missing key %s' % e) from None
        except ValueError as e:
            raise ValueError('DataLoader.set_state: %s' % e) from None
        if num_samples != len(self.dataset) or batch_size != self.batch_size:
            raise ValueError('DataLoader.set_state: state is for %d samples in batches of %d, '
                             'this loader has %d samples in batches of %d'
                             % (num_samples, batch_size, len(self.dataset), self.batch_size))
        if epoch < 0 or not 0 <= position <= len(self):
            raise ValueError('DataLoader.set_state: invalid epoch %d / position %d'
                             % (epoch, position))
        self._epoch, self._position, self._epoch_rng = epoch, position, rng
        self._next_rng = None
        self._active = False
