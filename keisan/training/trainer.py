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
  continues an interrupted run bit for bit (on the CPU); a new run refuses a
  directory that holds one unless ``TrainerOptions(overwrite=True)``;
* with ``comm`` (a :class:`keisan.distributed.Communicator`), every process of an
  MPI job trains on its share of each batch (:class:`keisan.distributed.DataParallel`);
  only rank 0 prints and writes;
* a numerics guard: a NaN or infinite loss stops training at once and non-finite
  parameters at the end of an epoch stop it before anything of that epoch is written
  (:class:`NonFiniteError`), so the run's files always hold the last good epoch.
"""
import dataclasses
import functools
import inspect
import math
import time

import numpy as np

from keisan import cuda
from keisan import optimizers as _optimizers
from keisan.datasets import DataLoader, check_finite_data
from keisan.distributed.parallel import DataParallel
from keisan.links.link import convert_loaded
from keisan.models.base import class_labels
from keisan.optimizers import schedules as _schedules
from keisan.optimizers.optimizer import check_count
from keisan.random_state import decode_state, encode_state
from keisan.training.display import progress_bar
from keisan.training.rundir import METRICS, RunDirectory, read_checkpoint
from keisan.training.settings import CHOICES, RANGES

__all__ = ['NonFiniteError', 'Trainer', 'TrainerOptions', 'evaluate_network',
           'gradient_and_loss']

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
    """Copy ``state`` into the network in place; ValueError naming any mismatch (the
    rules of :meth:`keisan.Link.load_state_dict`, for the book's plain ``params`` too)."""
    if hasattr(network, 'load_state_dict'):
        network.load_state_dict(state)
        return
    params = network.params
    problems = ['missing %s' % k for k in params if k not in state]
    problems += ['unexpected %s' % k for k in state if k not in params]
    converted = {k: convert_loaded(k, state[k], params[k]) for k in params if k in state}
    problems += [problem for _, problem in converted.values() if problem]
    if problems:
        raise ValueError('; '.join(problems))
    for key, (value, _) in converted.items():
        params[key][...] = value


class NonFiniteError(FloatingPointError, ValueError):
    """A NaN or infinite loss or parameter. From training, the message names the step or
    epoch, the likely causes and the files kept (nothing of the failed epoch was
    written); from :func:`evaluate_network`, the examples whose loss it is."""


def evaluate_network(network, x, t, batch_size=100, index=None, to_device=None, *,
                     return_predicted=False):
    """Mean loss and accuracy of ``network`` on ``x[index], t[index]`` in test mode.

    Args:
        network: a keisan network, whose ``loss_and_scores`` gives each batch's loss and
            the scores its accuracy is counted from in one forward pass; or anything
            with the book's ``loss(x, t[, train_flg])`` and ``accuracy(x, t)``.
        x, t: data (N, ...) and labels (N,) or (N, C).
        batch_size: examples per forward pass (bounds the memory used).
        index: int array selecting the examples, or None for all of them.
        to_device: optional function applied to each batch (e.g. ``cuda.to_gpu``).
        return_predicted: also return the class predicted for each example (needs
            ``loss_and_scores``).

    Returns:
        ``(loss, accuracy)`` as Python floats, and with ``return_predicted`` a third
        item, the predicted classes (an int NumPy array in the order of the examples).
        The loss is ``network.loss`` with ``train_flg=False`` (passed explicitly:
        DeepConvNet's default is True), averaged over examples.

    Raises:
        ValueError: no examples; :class:`NonFiniteError` (a ValueError too) for a batch
            whose loss is NaN or infinite (its examples or the parameters are not
            finite: argmax would score such examples as class 0).
        TypeError: ``return_predicted`` for a network without ``loss_and_scores``.
    """
    n = len(x) if index is None else len(index)
    if n == 0:
        raise ValueError('evaluate_network: no examples to evaluate')
    batch_size = RANGES['batch_size'].check(batch_size, 'evaluate_network: batch_size')
    one_pass = hasattr(network, 'loss_and_scores')
    if return_predicted and not one_pass:
        raise TypeError('evaluate_network: return_predicted needs a network with '
                        'loss_and_scores (a keisan.models network), got %s'
                        % type(network).__name__)
    with_flag = _loss_takes_train_flg(network)
    total_loss, correct, predicted = 0.0, 0, []
    for lo in range(0, n, batch_size):
        sel = slice(lo, lo + batch_size) if index is None else index[lo:lo + batch_size]
        xb, tb = x[sel], t[sel]
        if to_device is not None:
            xb, tb = to_device(xb), to_device(tb)
        if one_pass:
            loss, scores = network.loss_and_scores(xb, tb, train_flg=False)
        else:
            loss = network.loss(xb, tb, train_flg=False) if with_flag else network.loss(xb, tb)
        if not math.isfinite(float(loss)):
            raise NonFiniteError('evaluate_network: the loss of examples %d to %d is %s: '
                                 'their inputs or the parameters hold NaN or inf'
                                 % (lo, lo + len(xb) - 1, float(loss)))
        total_loss += float(loss) * len(xb)
        if one_pass:
            classes = scores.argmax(axis=1)
            correct += int((classes == class_labels(tb)).sum())
            if return_predicted:
                predicted.append(cuda.to_cpu(classes))
        else:
            correct += int(round(float(network.accuracy(xb, tb)) * len(xb)))
    if return_predicted:
        return total_loss / n, correct / n, np.concatenate(predicted)
    return total_loss / n, correct / n


def gradient_and_loss(network, x, t):
    """The book's step before its update: ``(network.gradient(x, t), loss)``, the loss (a
    float, weight decay included) of the forward pass that gradient ran.

    keisan's networks keep that loss in their last layer: it is read there rather than
    computed by a second forward pass (which would also draw new dropout masks). Other
    book-style networks get the book's extra ``network.loss(x, t)``.
    """
    grads = network.gradient(x, t)
    last = getattr(network, 'last_layer', None)
    if getattr(last, 'loss', None) is not None and hasattr(network, 'weight_decay'):
        return grads, float(last.loss) + float(network.weight_decay())
    return grads, float(network.loss(x, t))


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
        check_finite: stop at the first step whose loss is NaN or infinite
            (:class:`NonFiniteError`). False skips this per-step check (about 0.1 us
            of a step, see docs/BENCHMARKS.md); the parameters are still checked at
            every epoch end, before anything is written.
        overwrite: let a new run (not resumed) replace the run in ``out``; without
            it, a directory that holds a run is refused (FileExistsError).
    """
    seed: int | None = None
    drop_last: bool = False
    eval_batch_size: int | None = None
    mode: str = 'book'
    device: str | None = None
    progress: bool = True
    check_finite: bool = True
    overwrite: bool = False

    def __post_init__(self):
        if self.seed is not None:
            RANGES['seed'].check(self.seed, 'TrainerOptions: seed')
        if self.eval_batch_size is not None:
            RANGES['batch_size'].check(self.eval_batch_size, 'TrainerOptions: eval_batch_size')
        if self.mode not in CHOICES['mode']:
            raise ValueError("Trainer: mode must be 'book' or 'autograd', got %r" % (self.mode,))
        if self.device is not None and self.device not in CHOICES['device']:
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
        mini_batch_size: examples per update (an int >= 1).
        optimizer: a name for ``keisan.optimizers.get`` ('SGD', 'Adam', ...) or an
            Optimizer instance (then ``optimizer_param`` is ignored).
        optimizer_param: keyword arguments of the named optimizer (``lr`` works
            for Adam too). The learning rate must be finite and > 0.
        evaluate_sample_num_per_epoch: evaluate on the first this many test
            examples (an int >= 1, and as many training examples) instead of the
            whole test set (None).
        verbose: print one line per epoch and the final test accuracy.
        out: run directory (a path or a :class:`RunDirectory`, whose ``config`` is
            written with every epoch's files) for model.npz, checkpoint.npz,
            metrics.csv/json and curves.png, rewritten every epoch (None: keep
            everything in memory). A new run refuses a directory holding one
            unless ``options.overwrite``; nothing is written before the first
            epoch ends.
        lr_schedule: None or 'constant' (keep the lr), 'cosine'
            (``CosineAnnealing`` from the optimizer's lr to 0 over ``epochs``), or a
            ``keisan.optimizers.schedules.Schedule`` made on this trainer's
            optimizer. Stepped after every epoch; saved in the checkpoint.
        options: a :class:`TrainerOptions` (shuffling seed, drop_last, evaluation
            batch size, mode, device, progress bar, numerics guard, overwrite).
        comm: None, or a :class:`keisan.distributed.Communicator`: data-parallel
            training on every process of an MPI job (every process builds the Trainer
            alike and calls ``train``, ``evaluate``, ``resume`` together: they are
            collective). ``mini_batch_size`` is the global batch, split
            between the processes (:func:`keisan.distributed.share_bounds`); the
            metrics are those of the whole batches and evaluation sets; only rank
            0 prints and writes ``out``.

    Data with NaN or inf (``x_*`` and float labels), a non-finite or negative
    ``network.weight_decay_lambda`` and the values above out of range raise
    ValueError naming the argument.

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
        self.batch_size = RANGES['batch_size'].check(mini_batch_size, 'Trainer: mini_batch_size')
        if evaluate_sample_num_per_epoch is not None:
            RANGES['test_size'].check(evaluate_sample_num_per_epoch,
                                      'Trainer: evaluate_sample_num_per_epoch')
        if getattr(network, 'weight_decay_lambda', None) is not None:
            RANGES['weight_decay'].check(network.weight_decay_lambda,
                                         'Trainer: network.weight_decay_lambda')
        for name, array in (('x_train', x_train), ('t_train', t_train), ('x_test', x_test),
                            ('t_test', t_test)):
            check_finite_data(array, 'Trainer: ' + name)
        self.network, self.options = network, options
        self.x_train, self.t_train = x_train, t_train
        self.x_test, self.t_test = x_test, t_test
        self.epochs = int(epochs)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose and (comm is None or comm.rank == 0)
        self.run = out if isinstance(out, RunDirectory) or out is None else RunDirectory(out)
        self._new_run = True            # no checkpoint restored and nothing saved yet
        self._writes = comm is None or comm.rank == 0

        if isinstance(optimizer, str):
            optimizer = _optimizers.get(optimizer, **dict(optimizer_param or {}))
        if getattr(optimizer, 'lr', None) is not None:
            RANGES['lr'].check(optimizer.lr, 'Trainer: the learning rate (optimizer lr)')
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
            n_test = min(n_test, int(evaluate_sample_num_per_epoch))
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
        and returns its share's loss (the epoch's metrics reduce them).

        Raises:
            NonFiniteError: the loss is NaN or infinite (with ``options.check_finite``);
                the update is not applied.
        """
        net, optimizer, share = self.network, self.optimizer, {}
        if self._parallel is not None:
            x_batch, t_batch, share = self._parallel.share(x_batch, t_batch)
            optimizer = self._parallel.optimizer
        if self.options.mode == 'autograd':
            net.cleargrads()
            loss = net.forward_loss(x_batch, t_batch)
            loss.backward()
            value = float(loss.data)
            if self.options.check_finite:
                self._check_loss(value)
            optimizer.update(**share)
        else:
            grads, value = gradient_and_loss(net, x_batch, t_batch)
            if self.options.check_finite:
                self._check_loss(value)
            optimizer.update(net.params, grads, **share)
        self.train_loss_list.append(value)
        self.current_iter += 1
        return value

    def _diverged(self, what):
        """The NonFiniteError saying ``what`` went wrong during epoch ``current_epoch + 1``,
        its likely causes and which files were kept."""
        lam = getattr(self.network, 'weight_decay_lambda', None)
        causes = ['a learning rate too large (lr=%g)' % self.optimizer.lr,
                  'input data with extreme values',
                  'or a weight decay too large' + ('' if lam is None else ' (lambda=%g)' % lam)]
        if self.run is None:
            kept = 'nothing was saved'
        elif self._new_run:
            kept = 'nothing was written to %s' % self.run.path
        else:
            kept = 'the files in %s are those of epoch %d' % (self.run.path, self.current_epoch)
        return NonFiniteError('training diverged: %s; likely causes: %s; %s'
                              % (what, ', '.join(causes), kept))

    def _check_loss(self, value):
        """The per-step check: NonFiniteError if the loss ``value`` is NaN or inf."""
        if not math.isfinite(value):
            batch = self.current_iter - self.current_epoch * self.iter_per_epoch + 1
            raise self._diverged('the loss is %s at step %d (epoch %d, batch %d of %d)' % (
                value, self.current_iter + 1, self.current_epoch + 1, batch,
                self.iter_per_epoch))

    def _check_parameters(self):
        """The per-epoch check: NonFiniteError naming the arrays that hold NaN or inf."""
        bad = [key for key, value in model_state(self.network).items()
               if not bool(cuda.get_array_module(value).isfinite(value).all())]
        if bad:
            raise self._diverged('%s hold%s NaN or inf at the end of epoch %d' % (
                ', '.join(bad), 's' if len(bad) == 1 else '', self.current_epoch + 1))

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
        if self.run is not None and self._new_run and self._writes:
            self.run.check_new_run(self.options.overwrite)
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
        self._check_parameters()
        record = {'epoch': epoch, 'train_loss': loss_sum / max(steps, 1)}
        try:
            record.update(self.evaluate())
        except NonFiniteError:          # finite parameters, yet overflowing scores
            raise self._diverged('the evaluation loss is NaN or inf at the end of epoch %d '
                                 '(the parameters are finite, the scores overflow)'
                                 % epoch) from None
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
            self.run.save_epoch(self.checkpoint_arrays(), self.history, new_run=self._new_run)
        self._new_run = False
        if self.verbose:
            print('epoch %d/%d: train loss %.4f acc %.4f | test loss %.4f acc %.4f | '
                  '%.2fs (%.0f img/s)' % (epoch, self.epochs, record['train_loss'],
                                          record['train_acc'], record['test_loss'],
                                          record['test_acc'], record['seconds'],
                                          seen / max(train_seconds, 1e-9)))

    def _progress_bar(self, epoch):
        if not (self.options.progress and self.verbose):
            return None
        return progress_bar(len(self.loader), 'epoch %d/%d' % (epoch, self.epochs), 'batch')

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
        MT19937 state), ``history/<metric>`` and ``trainer/<key>`` (counters, the
        optimizer's and schedule's names, the losses of every step, and the settings
        :meth:`restore` compares: ``eval_size``, ``drop_last``, ``weight_decay``).
        """
        arrays = {'trainer/version': np.array(CHECKPOINT_VERSION),
                  'trainer/epoch': np.array(self.current_epoch, dtype=np.int64),
                  'trainer/iter': np.array(self.current_iter, dtype=np.int64),
                  'trainer/optimizer': np.array(type(self.optimizer).__name__),
                  'trainer/schedule': np.array(self._schedule_name()),
                  'trainer/train_loss_list': np.array(self.train_loss_list, dtype=np.float64),
                  'trainer/eval_size': np.array(len(self._test_index), dtype=np.int64),
                  'trainer/drop_last': np.array(self.options.drop_last)}
        if getattr(self.network, 'weight_decay_lambda', None) is not None:
            arrays['trainer/weight_decay'] = np.array(float(self.network.weight_decay_lambda))
        for prefix, (state, _) in self._components().items():
            arrays.update({prefix + '/' + key: cuda.to_cpu(value) if cuda.is_array(value)
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
        fit raises ValueError('cannot resume from <source>: ...') naming what differs.
        Before anything changes, every setting that gives the history its meaning is
        compared (optimizer and every hyperparameter, lr schedule and its base lr,
        batch size, training and evaluation sizes, drop_last, weight decay), and the
        fields are checked (counts >= 0 and consistent with each other and the history,
        every float finite); then each part checks its own state before loading it.
        """
        parts = {}
        for key, value in arrays.items():
            prefix, _, rest = key.partition('/')
            parts.setdefault(prefix, {})[rest] = value
        own = parts.get('trainer', {})
        try:
            history = self._check_checkpoint(parts)
            random_state = decode_state(arrays['random/state'], 'MT19937')
            counters = int(own['epoch']), int(own['iter'])
            train_loss_list = [float(v) for v in own['train_loss_list']]
            for prefix, (_, load) in self._components().items():
                load(parts.get(prefix, {}))
        except (KeyError, ValueError) as e:
            raise ValueError('cannot resume from %s: %s' % (source, e)) from None
        self.current_epoch, self.current_iter = counters
        self.train_loss_list, self.history = train_loss_list, history
        self._new_run = False
        self.train_acc_list = [h['train_acc'] for h in history]
        self.test_acc_list = [h['test_acc'] for h in history]
        self._random_state = random_state
        np.random.set_state(random_state)
        if self.verbose:
            print('resumed from %s after epoch %d' % (source, self.current_epoch))
        return self

    def _check_checkpoint(self, parts):
        """The checkpoint's history, once everything :meth:`restore` can check before
        changing anything holds; else ValueError naming every problem."""
        own = parts.get('trainer', {})
        if 'version' not in own:
            raise ValueError('not a keisan Trainer checkpoint (no trainer/version)')
        if int(own['version']) != CHECKPOINT_VERSION:
            raise ValueError('it is a version %d checkpoint, written by another keisan; this '
                             'one reads version %d (start the run again without resuming)'
                             % (int(own['version']), CHECKPOINT_VERSION))
        history = _history_from_columns(parts.get('history', {}))
        problems = ['it was written with %s %s, this run uses %s' % (what, saved, used)
                    for what, saved, used in self._settings_against(parts)
                    if saved is not None and saved != used]
        problems += self._field_problems(parts, history, same_batches=not problems)
        if problems:
            raise ValueError('; '.join(problems))
        return history

    def _settings_against(self, parts):
        """(what, the checkpoint's value or None if it lacks it, this trainer's value)."""
        own, loader = parts['trainer'], parts.get('loader', {})
        optimizer = type(self.optimizer).__name__
        yield 'optimizer', _scalar(own.get('optimizer')), optimizer
        yield 'lr schedule', _scalar(own.get('schedule', '')) or 'none', \
            self._schedule_name() or 'none'
        yield 'batch size', _scalar(loader.get('batch_size')), self.batch_size
        yield 'training set size', _scalar(loader.get('num_samples')), self.train_size
        yield 'evaluation size', _scalar(own.get('eval_size')), len(self._test_index)
        yield 'drop_last', _scalar(own.get('drop_last')), self.options.drop_last
        yield ('weight decay', _scalar(own.get('weight_decay')),
               getattr(self.network, 'weight_decay_lambda', None))
        if _scalar(own.get('optimizer')) != optimizer:
            return                      # other hyperparameters: nothing to compare
        scheduled = None
        if self.lr_schedule is not None:
            attr = self.lr_schedule.attr
            scheduled = getattr(getattr(type(self.optimizer), attr), 'target', attr)
            yield ('lr schedule base %s' % attr,
                   _scalar(parts.get('schedule', {}).get('base_lr')), self.lr_schedule.base_lr)
        saved = parts.get('optimizer', {})
        for name, value in self.optimizer.hyperparameters().items():
            if name != scheduled:
                yield '%s %s' % (optimizer, name), _scalar(saved.get(name)), value

    def _field_problems(self, parts, history, same_batches):
        """What is out of place among the checkpoint's counters and arrays: counts < 0 or
        inconsistent (a checkpoint is written at an epoch end), floats not finite."""
        own, loader = parts['trainer'], parts.get('loader', {})
        try:
            epoch = check_count(own.get('epoch'), 'trainer/epoch')
            steps = check_count(own.get('iter'), 'trainer/iter')
        except ValueError as e:
            return [str(e)]
        problems = []
        losses = own.get('train_loss_list')
        if np.ndim(losses) != 1 or len(losses) != steps:
            problems.append('trainer/train_loss_list must hold trainer/iter = %d losses, got %s'
                            % (steps, np.shape(losses)))
        if [h['epoch'] for h in history] != list(range(1, epoch + 1)):
            problems.append('the history must list epochs 1 to trainer/epoch = %d, got %s'
                            % (epoch, [h['epoch'] for h in history]))
        if (_scalar(loader.get('epoch')), _scalar(loader.get('position'))) != (epoch, 0):
            problems.append('loader/epoch %s, loader/position %s: expected %d, 0 (a checkpoint '
                            'is written at the end of epoch trainer/epoch)'
                            % (_scalar(loader.get('epoch')), _scalar(loader.get('position')),
                               epoch))
        if same_batches and steps != epoch * self.iter_per_epoch:
            problems.append('trainer/iter = %d steps, but %d epochs of %d batches are %d'
                            % (steps, epoch, self.iter_per_epoch, epoch * self.iter_per_epoch))
        schedule = parts.get('schedule', {})
        if self.lr_schedule is not None:     # loaded last: check it before the others load
            missing = set(self.lr_schedule.state_dict()) - set(schedule)
            if missing:
                problems.append('its lr schedule state lacks %s' % ', '.join(sorted(missing)))
            elif _scalar(schedule['epoch']) != epoch:
                problems.append('schedule/epoch %s differs from trainer/epoch %d'
                                % (_scalar(schedule['epoch']), epoch))
        for prefix in ('model', 'optimizer', 'history', 'trainer'):
            for key, value in parts.get(prefix, {}).items():
                value = np.asarray(value)
                if value.dtype.kind in 'fc' and not np.isfinite(value).all():
                    problems.append('%s/%s holds NaN or inf' % (prefix, key))
        return problems


def _scalar(value):
    """A 0-d array read from a checkpoint as a Python scalar (None stays None)."""
    if value is None or np.ndim(value) != 0:
        return value
    return np.asarray(value).item()


def _history_from_columns(columns):
    missing = [key for key in METRICS if key not in columns]
    if missing:
        raise ValueError('incomplete history (missing %s)' % ', '.join(missing))
    if any(np.ndim(columns[key]) != 1 for key in METRICS):
        raise ValueError('history columns must be 1-D, one value per epoch')
    lengths = {len(columns[key]) for key in METRICS}
    if len(lengths) > 1:
        raise ValueError('history columns of different lengths %s' % sorted(lengths))
    history = []
    for i in range(lengths.pop() if lengths else 0):
        record = {key: float(columns[key][i]) for key in METRICS}
        record['epoch'] = int(record['epoch'])
        history.append(record)
    return history
