"""A training run's directory: its files, how they are written and read, the resumed lr.

    config.json       what was trained: model name and arguments, data, optimizer, ...
    model.npz         the network's parameters and batch-norm statistics
    checkpoint.npz    everything :meth:`Trainer.restore` needs to continue the run
    metrics.csv, metrics.json, curves.png    one row (point) per epoch

:class:`RunDirectory` owns these names. Every file is written to a temporary name
in the same directory and renamed over the old one (:mod:`keisan.fileio`), so a
run killed at any moment leaves complete files behind.
"""
import csv
import io
import json
import os
import sys

from keisan import serializers
from keisan.fileio import atomic_path, atomic_write
from keisan.training.registry import MODELS, build_model

__all__ = ['METRICS', 'RunDirectory', 'plot_curves', 'read_checkpoint']

#: Columns of metrics.csv / keys of each history entry, in order. ``train_loss`` is
#: the mean of the epoch's mini-batch losses; ``train_eval_loss`` the test-mode
#: loss on the training sample (comparable with ``test_loss``).
METRICS = ('epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'seconds', 'lr',
           'train_eval_loss')


class RunDirectory:
    """The files of one training run in the directory ``path`` (which may not exist yet)."""
    CONFIG, MODEL, CHECKPOINT = 'config.json', 'model.npz', 'checkpoint.npz'
    #: every file of a finished epoch, in the order ``keisan train`` lists them
    FILES = (MODEL, CHECKPOINT, 'metrics.csv', 'metrics.json', 'curves.png', CONFIG)

    def __init__(self, path):
        self.path = os.fspath(path)

    def file(self, name):
        return os.path.join(self.path, name)

    @property
    def checkpoint_path(self):
        return self.file(self.CHECKPOINT)

    def saved_files(self):
        """The names of :attr:`FILES` that exist."""
        return [name for name in self.FILES if os.path.isfile(self.file(name))]

    def create(self):
        """Make the directory; ValueError (starting with the path) if it cannot hold a run."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise ValueError('%s exists and is not a directory' % self.path)
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as e:
            raise ValueError('%s: cannot create the directory (%s)'
                             % (self.path, e.strerror or e)) from None
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise ValueError('%s: the directory is not writable' % self.path)

    # ----- writing ------------------------------------------------------------------------
    def write_config(self, config):
        _write_text(self.file(self.CONFIG), json.dumps(config, indent=2) + '\n')

    def save_epoch(self, checkpoint, history):
        """Write an epoch's files: model.npz (the checkpoint's ``model/`` arrays),
        checkpoint.npz, metrics.csv and metrics.json (``history``), curves.png."""
        model = {key[len('model/'):]: value for key, value in checkpoint.items()
                 if key.startswith('model/')}
        serializers.write_npz_atomic(self.file(self.MODEL), model)
        serializers.write_npz_atomic(self.checkpoint_path, checkpoint)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=METRICS, extrasaction='ignore',
                                lineterminator='\n')
        writer.writeheader()
        writer.writerows(history)
        _write_text(self.file('metrics.csv'), buf.getvalue())
        _write_text(self.file('metrics.json'), json.dumps(history, indent=2) + '\n')
        if history:
            plot_curves(self.file('curves.png'), history)

    # ----- reading ------------------------------------------------------------------------
    def load_config(self):
        """``config.json`` as a dict (keys it no longer uses, like ``weight_decay_hook``, are
        kept and ignored).

        Raises:
            FileNotFoundError: no config.json (the message names the file).
            ValueError: not valid JSON or without a known ``model``.
        """
        path = self.file(self.CONFIG)
        if not os.path.isfile(path):
            raise FileNotFoundError('%s not found: %s is not a training run directory '
                                    '(expected %s and %s written by keisan train)'
                                    % (path, self.path, self.CONFIG, self.MODEL))
        try:
            with open(path, encoding='utf-8') as f:
                config = json.load(f)
        except (OSError, ValueError) as e:
            raise ValueError('%s is not a valid config file: %s' % (path, e)) from None
        if not isinstance(config, dict) or config.get('model') not in MODELS:
            raise ValueError('%s: "model" must be one of %s, got %r'
                             % (path, ', '.join(MODELS), config.get('model')
                                if isinstance(config, dict) else config))
        return config

    def load_model(self):
        """Rebuild the network from config.json and load model.npz into it.

        Returns:
            ``(network, config)``.

        Raises:
            FileNotFoundError: config.json or model.npz missing.
            ValueError: invalid config, or parameters that do not fit the model (the
                message names the parameter).
        """
        config = self.load_config()
        path = self.file(self.MODEL)
        if not os.path.isfile(path):
            raise FileNotFoundError('%s not found: the run in %s has no saved model yet'
                                    % (path, self.path))
        network = build_model(config['model'], config.get('model_args'),
                              dtype=config.get('dtype'))
        serializers.load_npz(path, network)
        return network, config

    @staticmethod
    def resumed_lr(trainer, lr):
        """The learning rate that a run resumed by ``trainer`` (after :meth:`Trainer.restore`)
        records, when ``lr`` was asked for.

        The checkpoint's rate wins, as the restored optimizer and schedule use it:
        with an lr schedule, the schedule's base lr; else the optimizer's lr. A note
        says so when it differs from ``lr``.
        """
        schedule = trainer.lr_schedule
        saved = float(schedule.base_lr if schedule is not None else trainer.optimizer.lr)
        if saved != lr:
            print("note: continuing with the checkpoint's learning rate %g (not %g)"
                  % (saved, lr))
        return saved


def read_checkpoint(path):
    """The arrays of a checkpoint file; FileNotFoundError or ValueError naming the file."""
    if not os.path.isfile(path):
        raise FileNotFoundError('no checkpoint to resume from: %s does not exist' % path)
    return serializers.read_npz(path, 'Trainer.resume')


def _write_text(path, text):
    with atomic_write(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


_notified = set()


def notice_once(key, message):
    """Print a one-line notice to stderr the first time ``key`` is seen (an optional
    dependency that is missing)."""
    if key not in _notified:
        _notified.add(key)
        print(message, file=sys.stderr)


def plot_curves(path, history):
    """Save loss and accuracy vs epoch (train and test) as a PNG; False without matplotlib.

    Uses matplotlib's Agg canvas directly (no pyplot), so it never changes the
    backend of an interactive session and needs no display.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        notice_once('matplotlib', 'keisan: matplotlib is not installed; skipping curves.png '
                    "(pip install 'keisan[train]')")
        return False
    epochs = [h['epoch'] for h in history]
    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    for ax, key, title in ((fig.add_subplot(1, 2, 1), 'loss', 'loss'),
                           (fig.add_subplot(1, 2, 2), 'acc', 'accuracy')):
        ax.plot(epochs, [h['train_' + key] for h in history], 'o-', label='train')
        ax.plot(epochs, [h['test_' + key] for h in history], 's--', label='test')
        ax.set_xlabel('epoch')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(title)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    with atomic_path(path, suffix='.png') as tmp:
        fig.savefig(tmp, format='png', dpi=100)
    return True
