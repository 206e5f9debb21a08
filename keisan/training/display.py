"""What training and the experiments draw with the optional packages of ``keisan[train]``:
tqdm's progress bars and matplotlib's figures, and the one-line notice printed the first
time one of them is missing.

Figures are made on matplotlib's Agg canvas directly, never through pyplot, so drawing
one changes no backend of an interactive session and needs no display.
"""
import sys

from keisan.fileio import atomic_path

__all__ = ['agg_figure', 'epoch_axis', 'notice_once', 'progress_bar', 'save_png']

_notified = set()


def notice_once(key, message):
    """Print a one-line notice to stderr the first time ``key`` is seen (an optional
    dependency that is missing)."""
    if key not in _notified:
        _notified.add(key)
        print(message, file=sys.stderr)


def progress_bar(total, desc, unit):
    """A tqdm progress bar of ``total`` ``unit``s labelled ``desc``, drawn only on a
    terminal and removed when closed; None (after a notice, once) without tqdm."""
    try:
        from tqdm import tqdm
    except ImportError:
        notice_once('tqdm', "keisan: tqdm is not installed; no progress bar "
                    "(pip install 'keisan[train]')")
        return None
    # disable=None: tqdm turns itself off when its output (stderr) is not a terminal.
    return tqdm(total=total, desc=desc, unit=unit, leave=False, disable=None,
                dynamic_ncols=True)


def agg_figure(width, height):
    """A new matplotlib Figure of ``width`` x ``height`` inches on an Agg canvas;
    ImportError without matplotlib."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save_png(fig, path, dpi=100):
    """Save the Figure ``fig`` as a PNG file, atomically (:mod:`keisan.fileio`)."""
    with atomic_path(path, suffix='.png') as tmp:
        fig.savefig(tmp, format='png', dpi=dpi)


def epoch_axis(ax, label=True):
    """Whole-number ticks on the x axis of ``ax``, labelled 'epoch' if ``label``."""
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if label:
        ax.set_xlabel('epoch')
