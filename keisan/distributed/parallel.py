"""DataParallel: what :class:`keisan.training.Trainer` does differently with ``comm=``.

Every process holds the whole model and the whole data set and walks the same global
batches in the same order (one DataLoader state, rank 0's); each trains on its share of
every batch (:func:`~keisan.distributed.dataset.share_bounds`), and the gradients are
averaged weighted by the shares, so N processes take the same steps as one process on
the same batches (up to rounding; batch normalization excepted: each process
normalizes with its share's statistics). In detail:

* setup: rank 0's parameters, statistics and loader state go to every process; the
  Trainer's settings (batch size, epochs, data, optimizer, ...) must agree
  (MismatchError on every process otherwise, before anything is written);
* :meth:`share`: a process whose share of a (last, small) batch is empty computes on
  the whole batch and its gradient weighs 0, so the batch-norm statistics stay sane;
* dropout: rank 0 keeps ``np.random``'s stream (so one process is exactly a plain
  run); ranks above reseed it at every epoch start from the loader's state and their
  rank, so that resuming from a checkpoint (which holds rank 0's state) continues
  every process's stream bit for bit;
* :meth:`end_epoch`: batch-norm running statistics are averaged (every process then
  evaluates and saves the same model) and the processes check that they hold the
  same parameters and optimizer state;
* :meth:`evaluate`: each process scores its share, the sums are reduced: the accuracy
  is that of the whole evaluation set;
* :meth:`reduce_losses`: the epoch's step losses become those of the global batches.
"""
import zlib

import numpy as np

from keisan import cuda
from keisan.distributed.dataset import share_bounds
from keisan.distributed.optimizer import create_multi_node_optimizer

__all__ = ['DataParallel', 'data_fingerprint', 'fingerprint']


def fingerprint(states):
    """{name: CRC-32 of the state} for a dict name -> state dict (name -> array or scalar):
    equal fingerprints mean, in practice, equal states."""
    out = {}
    for name, state in states.items():
        crc = 0
        for key in sorted(state):
            value = state[key]
            array = cuda.to_cpu(value) if cuda.is_array(value) else np.asarray(value)
            crc = zlib.crc32(np.ascontiguousarray(array).tobytes(),
                             zlib.crc32(key.encode(), crc))
        out[name] = '%08x' % crc
    return out


def data_fingerprint(x):
    """Length, shape, dtype and a CRC-32 of up to 256 evenly spaced rows of ``x``."""
    x = np.asarray(cuda.to_cpu(x) if cuda.is_array(x) else x)
    step = max(1, len(x) // 256)
    return '%s %s crc %08x' % (x.shape, x.dtype, zlib.crc32(
        np.ascontiguousarray(x[::step]).tobytes()))


class DataParallel:
    """The Trainer's data-parallel part over ``comm`` (collective at construction).

    Args:
        comm: a :class:`~keisan.distributed.Communicator`.
        network: the Trainer's network (a Link, or a book network with ``params``).
        optimizer: the Trainer's optimizer; :attr:`optimizer` wraps it.
        loader: the Trainer's DataLoader (its state becomes rank 0's).
        settings: dict of plain values that must be equal on every process.
        data: dict name -> array that must be equal on every process (compared by
            :func:`data_fingerprint`).

    Attributes:
        optimizer: the :class:`~keisan.distributed.MultiNodeOptimizer` to step with.
    """

    def __init__(self, comm, network, optimizer, loader, settings, data=None):
        if getattr(network, 'xp', np) is not np:
            raise ValueError('Trainer: comm= trains on the CPU (NumPy arrays); the network '
                             'is on the GPU')
        self.comm = comm
        self.optimizer = create_multi_node_optimizer(optimizer, comm)
        if hasattr(network, 'namedparams'):
            self.optimizer.setup(network)
        settings = dict(settings, **{name: data_fingerprint(array)
                                     for name, array in (data or {}).items()})
        comm.check_same('the Trainer settings', settings)
        loader.set_state(comm.agree(loader.get_state())[0])     # rank 0's order everywhere
        self._shares = []           # examples of this process at each step of the epoch

    def share(self, x_batch, t_batch):
        """This process's part of a global batch ``x`` (B, ...), ``t`` (B,) or (B, C):
        ``(x[lo:hi], t[lo:hi], {'examples': hi - lo})`` with ``lo, hi`` from
        :func:`share_bounds`, the dict to pass to the optimizer's update. An empty share
        (B smaller than the number of processes) is the whole batch with ``examples``
        0: its gradient does not count, but batch normalization sees real data."""
        lo, hi = share_bounds(len(x_batch), self.comm.size, self.comm.rank)
        count = hi - lo
        if count:
            x_batch, t_batch = x_batch[lo:hi], t_batch[lo:hi]
        self._shares.append(count)
        return x_batch, t_batch, {'examples': count}

    def begin_epoch(self, loader):
        """Reseed ``np.random`` (dropout) on ranks above 0 from the loader's state, the
        same on every process at an epoch start, and the rank."""
        if self.comm.rank == 0:
            return
        state = loader.get_state()
        key = zlib.crc32(str(state['rng_state']).encode())
        np.random.seed(np.random.SeedSequence(
            [key, state['epoch'], state['position'], self.comm.rank]).generate_state(4))

    def reduce_losses(self, losses, steps):
        """Replace the last ``steps`` entries of ``losses`` (this process's step losses)
        by the mean loss of each global batch, in place; returns their sum."""
        if steps:
            shares = np.array(self._shares[-steps:], dtype=np.float64)
            total = self.comm.allreduce(np.stack([shares * losses[-steps:], shares]))
            losses[-steps:] = (total[0] / total[1]).tolist()
        self._shares.clear()
        return sum(losses[-steps:]) if steps else 0.0

    def end_epoch(self, network, states, epoch):
        """Average the batch-norm statistics of ``network``, then check that every
        process holds the same ``states`` (dict name -> state dict) after ``epoch``."""
        if hasattr(network, 'namedpersistents'):
            self.comm.allreduce_persistent(network)
        self.comm.check_same('the model and optimizer states after epoch %d' % epoch,
                             fingerprint(states))

    def start(self, states):
        """Check that every process starts training from the same ``states``; from here
        on a failure of one process aborts the job."""
        self.comm.check_same('the states at the start of training (a different checkpoint '
                             'on some process?)', fingerprint(states), running=True)

    def evaluate(self, evaluate, network, x, t, index, **kwargs):
        """``evaluate(network, x, t, index=..., **kwargs) -> (mean loss, accuracy)`` on
        this process's share of ``index``, reduced to those of the whole ``index``."""
        lo, hi = share_bounds(len(index), self.comm.size, self.comm.rank)
        sums = np.zeros(3)
        if hi > lo:
            loss, accuracy = evaluate(network, x, t, index=index[lo:hi], **kwargs)
            sums[:] = loss * (hi - lo), round(accuracy * (hi - lo)), hi - lo
        total = self.comm.allreduce(sums)
        return float(total[0] / total[2]), float(total[1] / total[2])
