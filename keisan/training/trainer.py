"""Trainer: the book's ``common/trainer.py`` loop with real epochs, metrics files and exact resume.

    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=5,
                      mini_batch_size=100, optimizer='Adam',
                      optimizer_param={'lr': 0.001}, out='runs/demo',
                      options=TrainerOptions(seed=0))
    history = trainer.train()        # one dict per epoch, also in runs/demo/metrics.*

Differences from the book's Trainer:

* an epoch is one pass over the training set in a new shuffled order
  (:class:`keisan.datasets.DataLoader`), not ``train_size / batch_size`` draws with
  replacement; the last batch may be smaller (unless ``drop_last``);
* evaluation happens at the *end* of every epoch, in test mode (dropout off,
  batch norm on its running statistics), on the full test set or its first
  ``evaluate_sample_num_per_epoch`` examples, and on as many training examples
  (evenly spaced through the training set, the same ones every epoch);
* ``mode='autograd'`` trains through the define-by-run graph
  (``forward_loss`` / ``backward`` / ``optimizer.update()``) instead of
  ``network.gradient``; both update the same arrays;
* with ``out``, every epoch saves the run's files there
  (:class:`keisan.training.rundir.RunDirectory`), and :meth:`Trainer.resume`
  continues an interrupted run bit for bit (on the CPU);
* with ``comm`` (a :class:`keisan.distributed.Communicator`), every process of an
  MPI job trains on its share of each batch (:class:`keisan.distributed.DataParallel`);
  only rank 0 prints and writes.
"""
import dataclasses
import functools
import inspect
import time

import numpy as np

from keisan import cuda
from keisan import optimizers as _optimizers
from keisan.datasets import DataLoader
from keisan.distributed.parallel import DataParallel
from keisan.optimizers import schedules as _schedules
from keisan.random_state import decode_state, encode_state
from keisan.training.rundir import METRICS, RunDirectory, notice_once, read_checkpoint

__all__ = ['Trainer', 'TrainerOptions', 'evaluate_network']

CHECKPOINT_VERSION = 2          # 2: the RNG states written by keisan.random_state


def _loss_takes_train_flg(network):
    try:
        return 'train_flg' in inspect.signature(network.loss).parameters
    except (TypeError, ValueError):
        return False


def model_state(network):
    """``network.state_dict()`` (keisan networks: parameters and batch-norm statistics),
    or the book's ``params`` dict for networks written outside keisan."""
    if hasattr(network, 'state_dict'):
        return network.state_dict()
    return dict(network.params)


def load_model_state(network, state):
    """Copy ``state`` into the network in place; ValueError naming any mismatch."""
    if hasattr(network, 'load_state_dict'):
        network.load_state_dict(state)
        return
    params = network.params
    problems = ['missing %s' % k for k in params if k not in state]
    problems += ['unexpected %s' % k for k in state if k not in params]
    problems += ['%s has shape %s in the file but %s in the model'
                 % (k, state[k].shape, params[k].shape)
                 for k in params if k in state and state[k].shape != params[k].shape]
    if problems:
        raise ValueError('; '.join(problems))
    for key, value in state.items():
        params[key][...] = value


def evaluate_network(network, x, t, batch_size=100, index=None, to_device=None):
    """Mean loss and accuracy of ``network`` on ``x[index], t[index]`` in test mode.

    Args:
        network: anything with the book's ``loss(x, t[, train_flg])`` and
            ``accuracy(x, t)``.
        x, t: data (N, ...) and labels (N,) or (N, C).
        batch_size: examples per forward pass (bounds the memory used).
        index: int array selecting the examples, or None for all of them.
        to_device: optional function applied to each batch (e.g. ``cuda.to_gpu``).

    Returns:
        ``(loss, accuracy)`` as Python floats. The loss is ``network.loss`` with
        ``train_flg=False`` (passed explicitly: DeepConvNet's default is True),
        averaged over examples.
    """
    n = len(x) if index is None else len(index)
    if n == 0:
        raise ValueError('evaluate_network: no examples to evaluate')
    with_flag = _loss_takes_train_flg(network)
    total_loss, correct = 0.0, 0
    for lo in range(0, n, batch_size):
        sel = slice(lo, lo + batch_size) if index is None else index[lo:lo + batch_size]
        xb, tb = x[sel], t[sel]
        if to_device is not None:
            xb, tb = to_device(xb), to_device(tb)
        loss = network.loss(xb, tb, train_flg=False) if with_flag else network.loss(xb, tb)
        total_loss += float(loss) * len(xb)
        correct += int(round(float(network.accuracy(xb, tb)) * len(xb)))
    return total_loss / n, correct / n


@dataclasses.dataclass(frozen=True)
class TrainerOptions:
    """keisan's additions to the book's Trainer, all optional (``Trainer(options=...)``).

    Attributes:
        seed: seed of the shuffling (None: a fresh random order). Initial weights
            and dropout masks come from ``np.random``: seed that yourself.
        drop_last: skip the last, smaller batch of each epoch.
        eval_batch_size: examples per evaluation pass (None: ``max(mini_batch_size, 100)``).
        mode: 'book' (``network.gradient`` + ``optimizer.update(params, grads)``)
            or 'autograd' (``forward_loss`` + ``backward`` + ``optimizer.update()``).
        device: None (follow the network's arrays), 'cpu' or 'gpu'. On 'gpu' the
            batches are copied to the device; the network must already be there.
        progress: show a tqdm bar per epoch (only when ``verbose``, and only on a
            terminal; a notice is printed once if tqdm is missing).
    """
    seed: int | None = None
    drop_last: bool = False
    eval_batch_size: int | None = None
    mode: str = 'book'
    device: str | None = None
    progress: bool = True

    def __post_init__(self):
        if self.mode not in ('book', 'autograd'):
            raise ValueError("Trainer: mode must be 'book' or 'autograd', got %r" % (self.mode,))
        if self.device not in (None, 'cpu', 'gpu'):
            raise ValueError("Trainer: device must be 'cpu' or 'gpu', got %r" % (self.device,))


class Trainer:
    """Train a network for ``epochs`` epochs of mini-batch updates, evaluating after each.

    The positional and keyword arguments up to ``verbose`` are the book's
    (``common/trainer.py``); keisan's are keyword-only.

    Args:
        network: a book-style network (``params``, ``gradient``, ``loss``,
            ``accuracy``); for ``mode='autograd'`` also a Link with ``forward_loss``.
        x_train, t_train: training data (N, ...) and labels (N,) or (N, C).
        x_test, t_test: evaluation data and labels.
        epochs: number of passes over the training data.
        mini_batch_size: examples per update.
        optimizer: a name for ``keisan.optimizers.get`` ('SGD', 'Adam', ...) or an
            Optimizer instance (then ``optimizer_param`` is ignored).
        optimizer_param: keyword arguments of the named optimizer (``lr`` works
            for Adam too).
        evaluate_sample_num_per_epoch: evaluate on the first this many test
            examples (and as many training examples) instead of the whole test set.
        verbose: print one line per epoch and the final test accuracy.
        out: run directory for model.npz, checkpoint.npz, metrics.csv/json and
            curves.png, rewritten every epoch (None: keep everything in memory).
        lr_schedule: None or 'constant' (keep the lr), 'cosine'
            (``CosineAnnealing`` from the optimizer's lr to 0 over ``epochs``), or a
            ``keisan.optimizers.schedules.Schedule`` made on this trainer's
            optimizer. Stepped after every epoch; saved in the checkpoint.
        options: a :class:`TrainerOptions` (shuffling seed, drop_last, evaluation
            batch size, mode, device, progress bar).
        comm: None, or a :class:`keisan.distributed.Communicator`: data-parallel
            training on every process of an MPI job (every process builds the Trainer
            alike and calls ``train``, ``evaluate``, ``resume`` together: they are
            collective). ``mini_batch_size`` is the global batch, split
            between the processes (:func:`keisan.distributed.share_bounds`); the
            metrics are those of the whole batches and evaluation sets; only rank
            0 prints and writes ``out``.

    Attributes (as in the book): ``train_loss_list`` (loss of every step),
    ``train_acc_list``, ``test_acc_list`` (per epoch), ``current_epoch``,
    ``current_iter``, ``iter_per_epoch``, ``max_iter``; and ``history``: one
    dict per epoch with the :data:`~keisan.training.rundir.METRICS`: ``epoch``,
    ``train_loss`` (mean of the epoch's mini-batch losses, taken in training mode
    before each update), ``train_acc``, ``test_loss``, ``test_acc``, ``seconds``
    (wall time of the epoch, evaluation included), ``lr`` and ``train_eval_loss``
    (test-mode loss on the training sample).
    """

    def __init__(self, network, x_train, t_train, x_test, t_test, epochs=20,
                 mini_batch_size=100, optimizer='SGD', optimizer_param={'lr': 0.01},
                 evaluate_sample_num_per_epoch=None, verbose=True, *, out=None,
                 lr_schedule=None, options=TrainerOptions(), comm=None):
        if len(x_train) != len(t_train) or len(x_test) != len(t_test):
            raise ValueError('Trainer: data and labels differ in length (train %d/%d, '
                             'test %d/%d)' % (len(x_train), len(t_train), len(x_test),
                                              len(t_test)))
        if len(x_train) == 0 or len(x_test) == 0:
            raise ValueError('Trainer: the training and test sets must not be empty')
        if int(epochs) != epochs or epochs < 0:
            raise ValueError('Trainer: epochs must be a non-negative int, got %r' % (epochs,))
        if options.mode == 'autograd' and not hasattr(network, 'forward_loss'):
            raise TypeError("Trainer: mode='autograd' needs a network with forward_loss(x, t) "
                            '(a keisan.models network), got %s' % type(network).__name__)
        self.network, self.options = network, options
        self.x_train, self.t_train = x_train, t_train
        self.x_test, self.t_test = x_test, t_test
        self.epochs = int(epochs)
        self.batch_size = int(mini_batch_size)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose and (comm is None or comm.rank == 0)
        self.run = None if out is None else RunDirectory(out)
        self._writes = comm is None or comm.rank == 0

        if isinstance(optimizer, str):
            optimizer = _optimizers.get(optimizer, **dict(optimizer_param or {}))
        self.optimizer = optimizer
        if options.mode == 'autograd':
            optimizer.setup(network)
        self.lr_schedule = self._make_schedule(lr_schedule)

        self.device = options.device or ('cpu' if getattr(network, 'xp', np) is np else 'gpu')
        self._to_device = cuda.to_gpu if self.device == 'gpu' else None
        self.loader = DataLoader((x_train, t_train), self.batch_size, shuffle=True,
                                 seed=options.seed, drop_last=options.drop_last,
                                 device=self.device)

        # Evaluation samples: the first n test examples and n training examples
        # spread evenly over the training set (fixed: no RNG, so resuming is exact).
        self.train_size = len(x_train)
        n_test = len(x_test)
        if evaluate_sample_num_per_epoch is not None:
            n_test = max(1, min(n_test, int(evaluate_sample_num_per_epoch)))
        self._test_index = np.arange(n_test)
        n_train = min(n_test, self.train_size)
        self._train_index = np.arange(n_train) * self.train_size // n_train
        self.eval_batch_size = int(options.eval_batch_size or max(self.batch_size, 100))

        self.iter_per_epoch = len(self.loader)
        self.max_iter = self.epochs * self.iter_per_epoch
        self.current_iter = 0
        self.current_epoch = 0
        self.train_loss_list = []
        self.train_acc_list = []
        self.test_acc_list = []
        self.history = []
        self._random_state = None       # np.random state to restore when training resumes
        self._parallel = None if comm is None else DataParallel(
            comm, network, self.optimizer, self.loader, settings={
                'mini_batch_size': self.batch_size, 'epochs': self.epochs,
                'optimizer': repr(self.optimizer), 'lr_schedule': self._schedule_name(),
                'options': repr(options), 'saves': out is not None,
                'evaluate_sample_num_per_epoch': evaluate_sample_num_per_epoch},
            data={'x_train': x_train, 't_train': t_train, 'x_test': x_test, 't_test': t_test})

    def _make_schedule(self, lr_schedule):
        if lr_schedule is None or lr_schedule == 'constant':
            return None
        if lr_schedule == 'cosine':
            return _schedules.CosineAnnealing(self.optimizer, t_max=max(self.epochs, 1))
        if isinstance(lr_schedule, _schedules.Schedule):
            if lr_schedule.optimizer is not self.optimizer:
                raise ValueError('Trainer: lr_schedule was made for another optimizer than '
                                 "the trainer's %r" % (self.optimizer,))
            return lr_schedule
        raise ValueError("Trainer: lr_schedule must be None, 'constant', 'cosine' or a "
                         'Schedule, got %r' % (lr_schedule,))

    # ----- training -------------------------------------------------------------------
    def train_step(self, x_batch, t_batch):
        """One update on a mini-batch; returns its loss (before the update) as a float.

        With ``comm`` the batch is the global one: this process trains on its share
        and returns its share's loss (the epoch's metrics reduce them)."""
        net, optimizer, share = self.network, self.optimizer, {}
        if self._parallel is not None:
            x_batch, t_batch, share = self._parallel.share(x_batch, t_batch)
            optimizer = self._parallel.optimizer
        if self.options.mode == 'autograd':
            net.cleargrads()
            loss = net.forward_loss(x_batch, t_batch)
            loss.backward()
            optimizer.update(**share)
            value = float(loss.data)
        else:
            grads = net.gradient(x_batch, t_batch)
            value = self._loss_of_gradient(x_batch, t_batch)
            optimizer.update(net.params, grads, **share)
        self.train_loss_list.append(value)
        self.current_iter += 1
        return value

    def _loss_of_gradient(self, x_batch, t_batch):
        # keisan's networks keep the loss that gradient() just computed: reuse it
        # rather than run a second forward pass (which would also draw new
        # dropout masks). Other book-style networks get the book's extra pass.
        net = self.network
        last = getattr(net, 'last_layer', None)
        if getattr(last, 'loss', None) is not None and hasattr(net, 'weight_decay'):
            return float(last.loss) + float(net.weight_decay())
        return float(net.loss(x_batch, t_batch))

    def evaluate(self):
        """Test-mode loss and accuracy on the evaluation samples, as a dict."""
        kw = {'batch_size': self.eval_batch_size, 'to_device': self._to_device}
        measure = evaluate_network
        if self._parallel is not None:      # each process its share, then reduced
            measure = functools.partial(self._parallel.evaluate, evaluate_network)
        test_loss, test_acc = measure(self.network, self.x_test, self.t_test,
                                      index=self._test_index, **kw)
        train_loss, train_acc = measure(self.network, self.x_train, self.t_train,
                                        index=self._train_index, **kw)
        return {'train_acc': train_acc, 'train_eval_loss': train_loss,
                'test_loss': test_loss, 'test_acc': test_acc}

    def train(self):
        """Run the remaining epochs (all of them, or those after a resumed checkpoint).

        Returns:
            ``history``: a list with one dict of metrics per epoch.
        """
        if self._random_state is not None:
            # Re-applied here so that anything drawn between resume() and train()
            # (building other objects) cannot shift the dropout masks.
            np.random.set_state(self._random_state)
            self._random_state = None
        if self.options.mode == 'autograd':
            self.network.train(True)      # Link.train: dropout/batch norm in training mode
        if self.verbose and self.current_epoch >= self.epochs and self.current_epoch:
            print('already trained for %d epochs (epochs=%d): nothing to do'
                  % (self.current_epoch, self.epochs))
        if self._parallel is not None:
            self._parallel.start(self._states())
        while self.current_epoch < self.epochs:
            self._train_epoch()
        if self.verbose and self.history:
            print('=============== Final Test Accuracy ===============')
            print('test acc: %.4f' % self.history[-1]['test_acc'])
        return self.history

    def _train_epoch(self):
        epoch = self.current_epoch + 1
        start = time.perf_counter()
        bar = self._progress_bar(epoch)
        loss_sum, steps, seen = 0.0, 0, 0
        if self._parallel is not None:
            self._parallel.begin_epoch(self.loader)
        try:
            for x_batch, t_batch in self.loader:
                loss_sum += self.train_step(x_batch, t_batch)
                steps += 1
                seen += len(x_batch)
                if bar is not None:
                    rate = seen / max(time.perf_counter() - start, 1e-9)
                    bar.set_postfix_str('loss=%.4f, %.0f img/s' % (loss_sum / steps, rate),
                                        refresh=False)
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        train_seconds = time.perf_counter() - start
        if self._parallel is not None:      # the global batches' losses; one model
            loss_sum = self._parallel.reduce_losses(self.train_loss_list, steps)
            self._parallel.end_epoch(self.network, self._states(), epoch)
        record = {'epoch': epoch, 'train_loss': loss_sum / max(steps, 1)}
        record.update(self.evaluate())
        record['seconds'] = time.perf_counter() - start
        record['lr'] = float(self.optimizer.lr)
        record = {key: record[key] for key in METRICS}
        if self.lr_schedule is not None:
            self.lr_schedule.step()         # the lr of the next epoch (saved below)
        self.history.append(record)
        self.train_acc_list.append(record['train_acc'])
        self.test_acc_list.append(record['test_acc'])
        self.current_epoch = epoch
        if self.run is not None and self._writes:
            self.run.save_epoch(self.checkpoint_arrays(), self.history)
        if self.verbose:
            print('epoch %d/%d: train loss %.4f acc %.4f | test loss %.4f acc %.4f | '
                  '%.2fs (%.0f img/s)' % (epoch, self.epochs, record['train_loss'],
                                          record['train_acc'], record['test_loss'],
                                          record['test_acc'], record['seconds'],
                                          seen / max(train_seconds, 1e-9)))

    def _progress_bar(self, epoch):
        if not (self.options.progress and self.verbose):
            return None
        try:
            from tqdm import tqdm
        except ImportError:
            notice_once('tqdm', "keisan: tqdm is not installed; no progress bar "
                        "(pip install 'keisan[train]')")
            return None
        # disable=None: tqdm turns itself off when stdout is not a terminal.
        return tqdm(total=len(self.loader), desc='epoch %d/%d' % (epoch, self.epochs),
                    unit='batch', leave=False, disable=None, dynamic_ncols=True)

    # ----- checkpoints ----------------------------------------------------------------
    def _components(self):
        """prefix -> (state getter, state loader) of each part a checkpoint restores, in
        order; the network comes first and checks its whole state before changing it."""
        parts = {'model': (lambda: model_state(self.network),
                           lambda state: load_model_state(self.network, state)),
                 'optimizer': (self.optimizer.state_dict, self.optimizer.load_state_dict),
                 'loader': (self.loader.get_state, self.loader.set_state)}
        if self.lr_schedule is not None:
            parts['schedule'] = (self.lr_schedule.state_dict, self.lr_schedule.load_state_dict)
        return parts

    def _states(self):
        """name -> state dict of every part a checkpoint restores."""
        return {prefix: state() for prefix, (state, _) in self._components().items()}

    def checkpoint_arrays(self):
        """Everything :meth:`restore` needs, as a flat dict of NumPy arrays.

        Keys: ``model/<param>`` (parameters and batch-norm statistics),
        ``optimizer/<key>`` (``t``, every hyperparameter, per-parameter moments),
        ``loader/<key>`` (epoch, position, shuffling RNG), ``schedule/<key>`` (the lr
        schedule's epoch and base lr, if any), ``random/state`` (``np.random``'s
        MT19937 state), ``history/<metric>`` and ``trainer/<key>``.
        """
        arrays = {'trainer/version': np.array(CHECKPOINT_VERSION),
                  'trainer/epoch': np.array(self.current_epoch, dtype=np.int64),
                  'trainer/iter': np.array(self.current_iter, dtype=np.int64),
                  'trainer/optimizer': np.array(type(self.optimizer).__name__),
                  'trainer/schedule': np.array(self._schedule_name()),
                  'trainer/train_loss_list': np.array(self.train_loss_list, dtype=np.float64)}
        for prefix, (state, _) in self._components().items():
            arrays.update({prefix + '/' + key: cuda.as_numpy(value) if cuda.is_array(value)
                           else np.asarray(value) for key, value in state().items()})
        arrays['random/state'] = encode_state(np.random.get_state(legacy=False))
        arrays.update({'history/' + key: np.array([h[key] for h in self.history],
                                                  dtype=np.float64) for key in METRICS})
        return arrays

    def _schedule_name(self):
        return type(self.lr_schedule).__name__ if self.lr_schedule is not None else ''

    def resume(self, path=None):
        """:meth:`restore` the checkpoint file ``path`` (default ``out/checkpoint.npz``);
        FileNotFoundError if there is none. Returns self: ``trainer.resume().train()``."""
        if path is None and self.run is None:
            raise ValueError('Trainer.resume: no path and no out directory')
        path = path or self.run.checkpoint_path
        return self.restore(read_checkpoint(path), path)

    def restore(self, arrays, source='the checkpoint'):
        """Continue the run whose :meth:`checkpoint_arrays` these are; returns self.

        Restores every part (network, optimizer, loader, schedule), ``np.random``
        (dropout) and the history, so the remaining epochs reproduce an uninterrupted
        run bit for bit (on the CPU; not CuPy's kernels and RNG). Build the network,
        data and optimizer as for the original run first. A checkpoint that does not
        fit raises ValueError('cannot resume from <source>: ...') naming what differs;
        the version, optimizer and schedule are checked before anything changes, and
        each part checks its own state before loading it.
        """
        parts = {}
        for key, value in arrays.items():
            prefix, _, rest = key.partition('/')
            parts.setdefault(prefix, {})[rest] = value
        own = parts.get('trainer', {})
        try:
            self._check_checkpoint(own, parts.get('schedule', {}))
            history = _history_from_columns(parts.get('history', {}))
            random_state = decode_state(arrays['random/state'], 'MT19937')
            counters = int(own['epoch']), int(own['iter'])
            train_loss_list = [float(v) for v in own['train_loss_list']]
            for prefix, (_, load) in self._components().items():
                load(parts.get(prefix, {}))
        except (KeyError, ValueError) as e:
            raise ValueError('cannot resume from %s: %s' % (source, e)) from None
        self.current_epoch, self.current_iter = counters
        self.train_loss_list, self.history = train_loss_list, history
        self.train_acc_list = [h['train_acc'] for h in history]
        self.test_acc_list = [h['test_acc'] for h in history]
        self._random_state = random_state
        np.random.set_state(random_state)
        if self.verbose:
            print('resumed from %s after epoch %d' % (source, self.current_epoch))
        return self

    def _check_checkpoint(self, own, schedule_state):
        if 'version' not in own:
            raise ValueError('not a keisan Trainer checkpoint (no trainer/version)')
        if int(own['version']) != CHECKPOINT_VERSION:
            raise ValueError('it is a version %d checkpoint, written by another keisan; this '
                             'one reads version %d (start the run again without resuming)'
                             % (int(own['version']), CHECKPOINT_VERSION))
        for what, saved, used in (
                ('optimizer', str(own['optimizer']), type(self.optimizer).__name__),
                ('lr schedule', str(own.get('schedule', '')), self._schedule_name())):
            if saved != used:
                raise ValueError('it was written with %s %s, this run uses %s'
                                 % (what, saved or 'none', used or 'none'))
        if self.lr_schedule is not None:     # loaded last: check it before the others load
            missing = set(self.lr_schedule.state_dict()) - set(schedule_state)
            if missing:
                raise ValueError('its lr schedule state lacks %s' % ', '.join(sorted(missing)))


def _history_from_columns(columns):
    lengths = {len(columns[key]) for key in METRICS if key in columns}
    missing = [key for key in METRICS if key not in columns]
    if missing or len(lengths) > 1:
        raise ValueError('incomplete history (missing %s)' % ', '.join(missing))
    history = []
    for i in range(lengths.pop() if lengths else 0):
        record = {key: float(columns[key][i]) for key in METRICS}
        record['epoch'] = int(record['epoch'])
        history.append(record)
    return history
