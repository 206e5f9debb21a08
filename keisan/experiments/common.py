"""What the experiments share: options, data, the book's two training loops, a progress
bar, and the report they write (PNG figures drawn on matplotlib's Agg canvas, CSV, JSON).

Figures never touch pyplot, so an experiment changes no backend of an interactive
session and needs no display.
"""
import dataclasses
import os

import numpy as np

from keisan import fileio
from keisan.kernels.book_helpers import smooth_curve
from keisan.datasets import CLASS_NAMES, DataLoader, get_dataset
from keisan.training.display import agg_figure, epoch_axis, progress_bar, save_png
from keisan.training.trainer import gradient_and_loss

__all__ = ['CLASS_NAMES', 'DATASETS', 'ExperimentError', 'Options', 'Report', 'epoch_axis',
           'image_grid', 'load_data', 'smooth', 'train_epochs', 'train_steps']

DATASETS = tuple(CLASS_NAMES)
MATPLOTLIB_MISSING = ("the experiments draw their figures with matplotlib, which is not "
                      "installed: pip install 'keisan[train]'")


class ExperimentError(Exception):
    """A user error (bad option, unreadable run, missing matplotlib): one line of text."""


@dataclasses.dataclass(frozen=True)
class Options:
    """Settings every experiment takes.

    Attributes:
        out: directory for the figures and numbers (created if needed).
        dataset: 'fashion-mnist' or 'mnist'; None: Fashion-MNIST (or, for a trained
            run, its own dataset).
        quick: a small version that runs in seconds (for tests and CI): fewer
            examples, steps and settings; the same figures.
        seed: seeds the weights, the batches and any random search.
        progress: show a progress bar (on a terminal, with tqdm installed).
        data_dir, download: where the dataset is and whether it may be downloaded
            (see :func:`keisan.datasets.load_mnist`).
    """
    out: str
    dataset: str | None = None
    quick: bool = False
    seed: int = 0
    progress: bool = True
    data_dir: str | None = None
    download: bool = True

    def __post_init__(self):
        if self.dataset is not None and self.dataset not in DATASETS:
            raise ExperimentError('unknown dataset %r; known: %s'
                                  % (self.dataset, ', '.join(DATASETS)))

    @property
    def dataset_name(self):
        """``dataset``, or 'fashion-mnist' when it is None."""
        return self.dataset or 'fashion-mnist'


def load_data(options, dataset=None, flatten=True):
    """``(x_train, t_train), (x_test, t_test)`` of ``dataset`` (default: the options'),
    in [0, 1]: (N, 784) vectors, or (N, 1, 28, 28) images with ``flatten=False``."""
    return get_dataset(dataset or options.dataset_name, flatten=flatten,
                       data_dir=options.data_dir, download=options.download)


# ----- training: the book's two loops ---------------------------------------------------
def train_steps(network, optimizer, x, t, iterations, batch_size, seed, bar=None):
    """The loop of the book's ``optimizer_compare_mnist.py``: ``iterations`` updates on
    random mini-batches (drawn with replacement, the same ones for every network given
    the same ``seed``). Returns the loss of every batch (before its update)."""
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(iterations):
        index = rng.integers(0, len(x), batch_size)
        grads, loss = gradient_and_loss(network, x[index], t[index])
        losses.append(loss)
        optimizer.update(network.params, grads)
        if bar is not None:
            bar.update(1)
    return losses


def train_epochs(network, optimizer, x, t, epochs, batch_size, evaluate, seed, bar=None):
    """The loop of the book's ``Trainer``: ``epochs`` passes over (x, t) in a new shuffled
    order each, then ``evaluate(network)`` (a dict of numbers). Returns the list of
    those dicts, one per epoch, each with its ``epoch``."""
    loader = DataLoader((x, t), batch_size, shuffle=True, seed=seed)
    history = []
    for epoch in range(1, epochs + 1):
        for x_batch, t_batch in loader:
            optimizer.update(network.params, network.gradient(x_batch, t_batch))
            if bar is not None:
                bar.update(1)
        history.append(dict(epoch=epoch, **evaluate(network)))
    return history


def smooth(values):
    """A noisy loss curve smoothed as the book does (``smooth_curve``), over a window of
    about 1/40 of its length (odd); the same length as ``values``."""
    return smooth_curve(values, window=max(1, len(values) // 40) | 1)


# ----- the report -----------------------------------------------------------------------
class Report:
    """The files an experiment writes into ``options.out`` and the summary it prints.

    ``str(report)`` is the summary: the experiment's lines, a "look for" line (the
    caption: what the figures show) and the files written.
    """

    def __init__(self, name, options):
        self.name, self.options = name, options
        self.out = os.fspath(options.out)
        self.files, self.lines, self.caption = [], [], ''
        _require_matplotlib()
        try:
            os.makedirs(self.out, exist_ok=True)
        except OSError as e:
            raise ExperimentError('--out %s: cannot create the directory (%s)'
                                  % (self.out, e.strerror or e)) from None

    def path(self, filename):
        return os.path.join(self.out, filename)

    def say(self, line):
        """Add a line to the printed summary."""
        self.lines.append(line)

    def progress(self, total, desc):
        """A progress bar of ``total`` steps (tqdm's, or one that shows nothing)."""
        bar = None
        if self.options.progress:
            bar = progress_bar(total, '%s: %s' % (self.name, desc), 'step')
        return _NoBar() if bar is None else bar

    def figure(self, width, height):
        """A new matplotlib Figure of ``width`` x ``height`` inches on an Agg canvas."""
        return agg_figure(width, height)

    def save_figure(self, fig, filename, dpi=100):
        """Save ``fig`` as the PNG file ``filename``."""
        save_png(fig, self.path(filename), dpi)
        self.files.append(filename)

    def write_csv(self, filename, rows, fields=None):
        """Rows (dicts with the keys ``fields``, default the first row's, in order) as a
        CSV file with a header."""
        fileio.write_csv(self.path(filename), rows, fields or list(rows[0]))
        self.files.append(filename)

    def write_json(self, filename, data):
        """``data`` as a JSON file."""
        fileio.write_json(self.path(filename), data, indent=1)
        self.files.append(filename)

    def __str__(self):
        lines = list(self.lines)
        if self.caption:
            lines.append('look for: ' + self.caption)
        lines.append('wrote %s in %s' % (', '.join(self.files), self.out))
        return '\n'.join(lines)


class _NoBar:
    def update(self, n=1):
        pass

    def set_description_str(self, text):
        pass

    def close(self):
        pass


def _require_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ExperimentError(MATPLOTLIB_MISSING) from None


def image_grid(fig, images, columns, titles=None, top=0.0, cmap='gray', box=None,
               fontsize=8):
    """Draw gray ``images`` (each 2-D) on ``fig`` in a grid of ``columns``, without axes.

    Args:
        titles: one (short) title per image, or None.
        box: (left, bottom, right, top) of the figure the grid fills, as fractions
            (default: all of it below ``top``, a fraction kept for a heading).
        cmap: matplotlib colormap; each image is scaled to its own min..max.

    Returns:
        the list of Axes, one per image.
    """
    rows = -(-len(images) // columns)
    left, bottom, right, upper = box or (0.0, 0.0, 1.0, 1.0 - top)
    grid = fig.add_gridspec(rows, columns, left=left, bottom=bottom, right=right, top=upper,
                            wspace=0.08, hspace=0.45 if titles else 0.08)
    axes = []
    for i, image in enumerate(images):
        ax = fig.add_subplot(grid[i // columns, i % columns])
        ax.imshow(image, cmap=cmap, interpolation='nearest')
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize=fontsize)
        axes.append(ax)
    return axes
