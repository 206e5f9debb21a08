"""The accepted values of the settings a run records, in one table for the ``keisan``
flags, ``config.json`` and the Trainer.

    RANGES['seed'].check(3, '--seed')                # -> 3
    RANGES['lr'].check(float('nan'), 'Trainer: lr')  # ValueError: ... must be a finite ...
    RANGES['batch_size'].parse('2.7')                # argparse.ArgumentTypeError

:data:`RANGES` holds the numbers, :data:`CHOICES` the names. A value that enters through
a flag is parsed from text (:meth:`Range.parse`); one read from config.json or passed
to the API must already have the right type (:meth:`Range.check`): ``1e7`` is not an
integer, ``True`` not a number.
"""
import argparse
import dataclasses
import math
import numbers

from keisan import datasets, optimizers

__all__ = ['CHOICES', 'MAX_LAYERS', 'RANGES', 'Range']


@dataclasses.dataclass(frozen=True)
class Range:
    """Integers or finite floats in ``[low, high]`` (``low`` excluded with ``open_low``;
    ``high`` None: no upper bound)."""
    kind: type
    low: float
    high: float | None = None
    open_low: bool = False

    def expected(self):
        """What the range accepts, in words: 'an integer in [0, 4294967295]'."""
        what = 'an integer' if self.kind is int else 'a finite number'
        low, high = ('%d' % b if self.kind is int else '%g' % b
                     for b in (self.low, self.high or 0))
        if self.high is not None:
            return '%s in %s%s, %s]' % (what, '(' if self.open_low else '[', low, high)
        return '%s %s %s' % (what, '>' if self.open_low else '>=', low)

    def check(self, value, where):
        """``value`` (an int, or a float for a float range) if it lies in the range, else
        ValueError('<where> must be <expected>, got <value>')."""
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if self.kind is int:
            ok = ok and isinstance(value, numbers.Integral)
        ok = ok and math.isfinite(value) and value >= self.low
        ok = ok and not (self.open_low and value == self.low)
        ok = ok and (self.high is None or value <= self.high)
        if not ok:
            raise ValueError('%s must be %s, got %r' % (where, self.expected(), value))
        return int(value) if self.kind is int else float(value)

    def parse(self, text):
        """The argparse type of a flag in this range: the number ``text`` stands for, or
        ArgumentTypeError saying what was expected."""
        try:
            return self.check(self.kind(text), 'the value')
        except ValueError:
            raise argparse.ArgumentTypeError('expected %s, got %r'
                                             % (self.expected(), text)) from None


#: the widest hidden layer and the most hidden layers a config.json may ask for:
#: keisan's networks are the book's, for 28x28 images (a 4096-wide layer is 13 MB)
MAX_WIDTH, MAX_LAYERS = 4096, 32

#: setting -> accepted values; the flag of a setting is ``--`` and its name with '-' for '_'
RANGES = {
    'seed': Range(int, 0, datasets.MAX_SEED),   # what np.random.seed takes
    'epochs': Range(int, 1),
    'batch_size': Range(int, 1),
    'train_size': Range(int, 1),
    'test_size': Range(int, 1),
    'top': Range(int, 0),
    'lr': Range(float, 0.0, open_low=True),
    'weight_decay': Range(float, 0.0),
    'h': Range(float, 0.0, open_low=True),
    'hidden_size': Range(int, 1, MAX_WIDTH),
}

#: setting -> the names it accepts
CHOICES = {
    'dataset': tuple(datasets.CLASS_NAMES),
    'optimizer': optimizers.NAMES,
    'lr_schedule': ('constant', 'cosine'),
    'mode': ('book', 'autograd'),
    'device': ('cpu', 'gpu'),
    'dtype': ('float32', 'float64'),           # the dtypes the kernels are tested in
}
