"""Splitting data between the processes: a batch's shares and a dataset's shards.

* :func:`share_bounds`: the rule for splitting ``n`` examples (a global batch, an
  evaluation set) over ``size`` processes as evenly as possible: the first ``n % size``
  processes take one more, in rank order, each a contiguous block.
* :func:`scatter_dataset`: ChainerMN's way of giving each process its own part of a
  training set, to iterate with its own :class:`~keisan.datasets.DataLoader`.
"""
import numpy as np

from keisan.datasets.dataset import Dataset, TupleDataset
from keisan.distributed.communicator import MismatchError

__all__ = ['DatasetShard', 'scatter_dataset', 'share_bounds']


def share_bounds(n, size, rank):
    """``(lo, hi)``: process ``rank`` of ``size`` takes items ``lo`` to ``hi - 1`` of ``n``.

    The first ``n % size`` ranks take ``n // size + 1`` items, the others ``n // size``
    (zero when ``n < size``). E.g. 10 over 3: (0, 4), (4, 7), (7, 10).
    """
    base, extra = divmod(int(n), int(size))
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def scatter_dataset(dataset, comm, root=0, shuffle=False, seed=None, force_equal_length=True):
    """This process's shard of ``dataset`` (collective).

    Rank ``root`` decides the order of the examples (a permutation from
    ``np.random.default_rng(seed)`` with ``shuffle``, else as they are) and the order
    is cut into ``comm.size`` contiguous shards (:func:`share_bounds`). With
    ``force_equal_length`` (the default) every shard has ``ceil(n / size)`` examples,
    the last ones continuing from the start of the order, so that every process runs
    the same number of steps per epoch (a process with fewer batches would leave the
    others waiting in the gradient allreduce).

    Args:
        dataset: a tuple of arrays, a TupleDataset, an array, or any dataset (``len``
            and indexing by int). Processes that have it locally pass it (its length
            must be root's), the others may pass None: root then sends them their
            shard (pickled; fine for MNIST-sized data).
        comm: a :class:`~keisan.distributed.Communicator`.

    Returns:
        For arrays, a TupleDataset (or an array) of the shard's rows, copied; for
        another dataset, a :class:`DatasetShard` (a view of the local dataset, or of
        the examples root sent).
    """
    if isinstance(dataset, tuple):
        dataset = TupleDataset(*dataset)
    n_local = None if dataset is None else len(dataset)
    lengths = comm.agree(n_local)
    n = lengths[root]
    if n is None:       # known to every process: every one raises
        raise MismatchError('scatter_dataset: rank %d (root) has no dataset' % root)
    wrong = [rank for rank, length in enumerate(lengths) if length not in (None, n)]
    if wrong:
        raise MismatchError('scatter_dataset: the dataset has %d examples on rank %d (root) but '
                         '%s on rank %s' % (n, root, ', '.join(str(lengths[r]) for r in wrong),
                                            ', '.join(map(str, wrong))))
    order = None
    if comm.rank == root:
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    order = comm.bcast_obj(order, root)
    if force_equal_length:
        per = -(-n // comm.size)
        order = np.resize(order, per * comm.size)
        shards = [order[r * per:(r + 1) * per] for r in range(comm.size)]
    else:
        shards = [order[slice(*share_bounds(n, comm.size, r))] for r in range(comm.size)]
    if comm.rank == root:
        for rank, length in enumerate(lengths):
            if length is None:
                comm.send_obj(_take(dataset, shards[rank]), rank)
    if dataset is None:
        return comm.recv_obj(root)
    return _take(dataset, shards[comm.rank])


def _take(dataset, index):
    if isinstance(dataset, TupleDataset):
        return TupleDataset(*(a[index] for a in dataset.arrays))
    if hasattr(dataset, 'shape'):
        return dataset[index]
    return DatasetShard(dataset, index)


class DatasetShard(Dataset):
    """Examples ``index[0], index[1], ...`` of ``dataset``, read when indexed (no copy).

    Pickling one (to send it) sends its examples, not the whole dataset.
    """

    def __init__(self, dataset, index):
        self.dataset, self.index = dataset, np.asarray(index)

    def __len__(self):
        return len(self.index)

    def __getitem__(self, i):
        return self.dataset[int(self.index[i])]

    def __reduce__(self):
        return DatasetShard, ([self[i] for i in range(len(self))], np.arange(len(self)))
