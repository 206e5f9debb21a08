"""The book's ``common/trainer.py``: :class:`keisan.training.Trainer`, which takes the
book's arguments (network, x_train, t_train, x_test, t_test, epochs, mini_batch_size,
optimizer, optimizer_param, evaluate_sample_num_per_epoch, verbose) and keeps its
``train_loss_list``, ``train_acc_list`` and ``test_acc_list``; and, as the book's module
star-imports them, the optimizers."""
from keisan.book.optimizer import *  # noqa: F401,F403  (as common/trainer.py does)
from keisan.book.optimizer import __all__ as _optimizer_all
from keisan.training import Trainer

__all__ = _optimizer_all + ['Trainer']
