"""A training run's directory: its files, how they are written and read, the settings a
resumed run must keep.

    config.json       what was trained: model name and arguments, data, optimizer, ...
    model.npz         the network's parameters and batch-norm statistics
    checkpoint.npz    everything :meth:`Trainer.restore` needs to continue the run
    metrics.csv, metrics.json, curves.png    one row (point) per epoch

:class:`RunDirectory` owns these names; :func:`load_network` gives the network of a run
directory, or of a weights file such as its model.npz. Every file is written to a temporary name
in the same directory and renamed over the old one (:mod:`keisan.fileio`), so a
run killed at any moment leaves complete files behind. Files are written only at
the end of an epoch, config.json first: a new run that replaces an old one removes
the old run's files at its first epoch end, so that no moment pairs the new
config.json with the old model (until then the old run is intact).
"""
import json
import os

from keisan import serializers
from keisan.fileio import write_csv, write_json
from keisan.training.display import agg_figure, epoch_axis, notice_once, save_png
from keisan.training.registry import MODELS, build_model, check_model_args, default_model_args
from keisan.training.settings import CHOICES, RANGES

__all__ = ['HISTORY_SETTINGS', 'METRICS', 'RunDirectory', 'check_config', 'load_network',
           'plot_curves', 'read_checkpoint']

#: Columns of metrics.csv / keys of each history entry, in order. ``train_loss`` is
#: the mean of the epoch's mini-batch losses; ``train_eval_loss`` the test-mode
#: loss on the training sample (comparable with ``test_loss``).
METRICS = ('epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'seconds', 'lr',
           'train_eval_loss')

#: The config.json settings that give a run's history its meaning: a resumed run must
#: keep every one of them (``epochs``, ``mode`` and ``device`` may change).
HISTORY_SETTINGS = ('model', 'model_args', 'dataset', 'train_size', 'test_size', 'batch_size',
                    'optimizer', 'optimizer_params', 'lr_schedule', 'weight_decay', 'seed',
                    'dtype')


class RunDirectory:
    """The files of one training run in the directory ``path`` (which may not exist yet).

    ``config`` (a dict, or None) is written as config.json with every epoch's files.
    """
    CONFIG, MODEL, CHECKPOINT = 'config.json', 'model.npz', 'checkpoint.npz'
    #: every file of a finished epoch, in the order ``keisan train`` lists them
    FILES = (MODEL, CHECKPOINT, 'metrics.csv', 'metrics.json', 'curves.png', CONFIG)

    def __init__(self, path, config=None):
        self.path = os.fspath(path)
        self.config = config

    def file(self, name):
        return os.path.join(self.path, name)

    @property
    def checkpoint_path(self):
        return self.file(self.CHECKPOINT)

    def saved_files(self):
        """The names of :attr:`FILES` that exist."""
        return [name for name in self.FILES if os.path.isfile(self.file(name))]

    def check_new_run(self, overwrite=False, how='resume it with Trainer.resume(), or '
                      'replace it with TrainerOptions(overwrite=True)'):
        """Refuse to start a new run here if the directory holds one, unless ``overwrite``.

        Raises:
            FileExistsError: naming the directory, its run's files and ``how`` to go on.
        """
        files = self.saved_files()
        if files and not overwrite:
            raise FileExistsError('%s already holds a training run (%s): %s'
                                  % (self.path, ', '.join(files), how))

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
    def save_epoch(self, checkpoint, history, new_run=False):
        """Write an epoch's files: config.json (:attr:`config`, if set), model.npz (the
        checkpoint's ``model/`` arrays), checkpoint.npz, metrics.csv and metrics.json
        (``history``), curves.png.

        ``new_run``: the first files of a new run; those of an older run in the
        directory are removed first.
        """
        if new_run:
            for name in self.saved_files():
                os.remove(self.file(name))
        if self.config is not None:
            write_json(self.file(self.CONFIG), self.config)
        model = {key[len('model/'):]: value for key, value in checkpoint.items()
                 if key.startswith('model/')}
        serializers.write_npz_atomic(self.file(self.MODEL), model)
        serializers.write_npz_atomic(self.checkpoint_path, checkpoint)
        write_csv(self.file('metrics.csv'), history, METRICS, extrasaction='ignore')
        write_json(self.file('metrics.json'), history)
        if history:
            plot_curves(self.file('curves.png'), history)

    # ----- reading ------------------------------------------------------------------------
    def load_config(self):
        """``config.json`` as a dict (keys it no longer uses, like ``weight_decay_hook``, are
        kept and ignored), checked by :func:`check_config`.

        Raises:
            FileNotFoundError: no config.json (the message names the file).
            ValueError: not valid JSON, without a known ``model``, or with a value
                outside the range of its flag.
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
        if not isinstance(config, dict):
            raise ValueError('%s must hold a JSON object, got %r' % (path, config))
        check_config(config, path)
        return config

    @staticmethod
    def changed_settings(recorded, config):
        """``[(key, the run's value, config's value)]`` for each of :data:`HISTORY_SETTINGS`
        in which ``config`` differs from the run's ``recorded`` config.json (keys missing
        from either, like those an older config.json lacks, are not compared)."""
        return [(key, recorded[key], config[key]) for key in HISTORY_SETTINGS
                if key in recorded and key in config and recorded[key] != config[key]]

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


def load_network(path, model=None):
    """A trained network: from a run directory, or with ``model`` from a weights file.

    Args:
        path: without ``model``, a run directory (``keisan train --out``), rebuilt by
            :meth:`RunDirectory.load_model`; with it, a weights file that the network's
            ``load_params`` reads: an ``.npz`` of keisan's (``save_params``, a run's
            model.npz) or a pickle of the book's ``params`` (ch08's
            deep_convnet_params.pkl), told apart by content.
        model: None, or the name (one of :data:`~keisan.training.registry.MODELS`) of
            the network the weights file holds.

    Returns:
        ``(network, config)``: the run's config.json, or for a weights file
        ``{'model': model, 'model_args': default_model_args(model)}``.

    Raises:
        FileNotFoundError: ``path`` is no directory (without ``model``) or no file (with
            it), or the run lacks config.json or model.npz.
        ValueError, TypeError: an invalid config.json; parameters that do not fit the
            network (the message names them); a file that is no weights file (and
            whatever else ``load_params`` raises for it).
    """
    path = os.fspath(path)
    if model is None:
        if not os.path.isdir(path):
            raise FileNotFoundError('%s: no such directory' % path)
        return RunDirectory(path).load_model()
    if not os.path.isfile(path):
        raise FileNotFoundError('%s: no such file' % path)
    network = build_model(model)
    network.load_params(path)
    return network, {'model': model, 'model_args': default_model_args(model)}


def read_checkpoint(path):
    """The arrays of a checkpoint file; FileNotFoundError or ValueError naming the file."""
    if not os.path.isfile(path):
        raise FileNotFoundError('no checkpoint to resume from: %s does not exist' % path)
    return serializers.read_npz(path, 'Trainer.resume')


def check_config(config, where='config.json'):
    """Refuse a run's settings outside the ranges of the ``keisan train`` flags.

    ``model`` is required; every other key is optional (older runs lack some), and
    keys keisan does not know are ignored. Numbers are checked against
    :data:`~keisan.training.settings.RANGES`, names against ``CHOICES``,
    ``model_args`` by :func:`~keisan.training.registry.check_model_args`,
    ``optimizer_params`` must be ``{"lr": ...}`` and ``classes`` one name per output.

    Raises:
        ValueError: ``'<where>: '`` and every offending setting.
    """
    if config.get('model') not in MODELS:
        raise ValueError('%s: "model" must be one of %s, got %r'
                         % (where, ', '.join(MODELS), config.get('model')))
    problems = []
    for key, value in config.items():
        try:
            _check_setting(config, key, value)
        except ValueError as e:
            problems.append(str(e))
    if problems:
        raise ValueError('%s: %s' % (where, '; '.join(problems)))


_CONFIG_NUMBERS = ('seed', 'epochs', 'batch_size', 'train_size', 'test_size', 'weight_decay')


def _check_setting(config, key, value):
    if key in _CONFIG_NUMBERS:
        RANGES[key].check(value, '"%s"' % key)
    elif key in CHOICES and value not in CHOICES[key]:
        raise ValueError('"%s" must be one of %s, got %r' % (key, ', '.join(CHOICES[key]), value))
    elif key == 'model_args':
        check_model_args(config['model'], value, '"model_args"')
    elif key == 'optimizer_params':
        if not isinstance(value, dict) or set(value) != {'lr'}:
            raise ValueError('"optimizer_params" must be {"lr": <number>}, got %r' % (value,))
        RANGES['lr'].check(value['lr'], '"optimizer_params" lr')
    elif key == 'classes':
        outputs = default_model_args(config['model'])['output_size']
        if (not isinstance(value, list) or len(value) != outputs
                or not all(isinstance(name, str) for name in value)):
            raise ValueError('"classes" must be a list of %d names (one per output of the '
                             'model), got %r' % (outputs, value))


def plot_curves(path, history):
    """Save loss and accuracy vs epoch (train and test) as a PNG; False without matplotlib.

    Draws on matplotlib's Agg canvas directly (:func:`~keisan.training.display.agg_figure`,
    no pyplot), so it never changes the backend of an interactive session and needs no
    display.
    """
    try:
        fig = agg_figure(10, 4)
    except ImportError:
        notice_once('matplotlib', 'keisan: matplotlib is not installed; skipping curves.png '
                    "(pip install 'keisan[train]')")
        return False
    epochs = [h['epoch'] for h in history]
    for ax, key, title in ((fig.add_subplot(1, 2, 1), 'loss', 'loss'),
                           (fig.add_subplot(1, 2, 2), 'acc', 'accuracy')):
        ax.plot(epochs, [h['train_' + key] for h in history], 'o-', label='train')
        ax.plot(epochs, [h['test_' + key] for h in history], 's--', label='test')
        epoch_axis(ax)
        ax.set_ylabel(title)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    save_png(fig, path)
    return True
