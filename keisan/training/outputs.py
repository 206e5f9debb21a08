"""Files of a training run: metrics (CSV/JSON) and learning curves.

Every file is written to a temporary name in the same directory and renamed
over the old one, so a run killed at any moment leaves complete files behind.
"""
import csv
import io
import json
import os
import sys

from keisan.fileio import atomic_path, atomic_write

__all__ = ['METRICS', 'write_text_atomic', 'write_json_atomic', 'write_metrics',
           'plot_curves']

#: Columns of metrics.csv / keys of each history entry, in order. ``train_loss`` is
#: the mean of the epoch's mini-batch losses; ``train_eval_loss`` the test-mode
#: loss on the training sample (comparable with ``test_loss``).
METRICS = ('epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'seconds', 'lr',
           'train_eval_loss')


def write_text_atomic(path, text):
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``."""
    with atomic_write(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


def write_json_atomic(path, obj):
    write_text_atomic(path, json.dumps(obj, indent=2) + '\n')


def write_metrics(directory, history):
    """Rewrite ``metrics.csv`` and ``metrics.json`` from the list of per-epoch dicts."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=METRICS, extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    writer.writerows(history)
    write_text_atomic(os.path.join(directory, 'metrics.csv'), buf.getvalue())
    write_json_atomic(os.path.join(directory, 'metrics.json'), history)


_notified = set()


def notice_once(key, message):
    """Print a one-line notice to stderr the first time ``key`` is seen."""
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
