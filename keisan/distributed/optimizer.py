"""The multi-node optimizer: any keisan optimizer, stepping on gradients averaged over MPI.

Define-by-run (ChainerMN's way)::

    opt = create_multi_node_optimizer(ks.optimizers.Adam(), comm).setup(model)
    model.cleargrads(); loss.backward(); opt.update()    # averages, then Adam's step

The book's way::

    opt = create_multi_node_optimizer(ks.optimizers.Adam(), comm)
    grads = net.gradient(x, t)
    opt.update(net.params, grads)                        # averages grads first

Every process runs the same update on the same averaged gradients, so the parameters
and the optimizer's state stay identical everywhere without ever being sent again.
They start equal because :meth:`MultiNodeOptimizer.setup` broadcasts rank 0's
parameters (and batch-norm statistics); parameters it has not broadcast yet (the
book's dict, a link's lazily initialized ones) are broadcast at the first update
that sees them, before it averages.
"""
from collections.abc import Mapping

from keisan.core.variable import Variable
from keisan.optimizers.optimizer import Optimizer

__all__ = ['MultiNodeOptimizer', 'create_multi_node_optimizer']


def create_multi_node_optimizer(actual_optimizer, communicator):
    """``actual_optimizer`` (a keisan Optimizer) averaging its gradients over the
    processes of ``communicator`` before each step: a :class:`MultiNodeOptimizer`."""
    return MultiNodeOptimizer(actual_optimizer, communicator)


class MultiNodeOptimizer:
    """An optimizer of every process of ``comm``, on gradients averaged over them.

    Reading or setting any attribute it does not own reaches the actual optimizer
    (``opt.lr``, ``opt.t``, ``opt.state_dict()``, ``opt.add_hook(...)``); hooks such
    as gradient clipping see the averaged gradients, the same on every process. A
    learning-rate schedule is made on ``opt.actual_optimizer``. ``Parameter.grad``
    keeps this process's own gradient.

    Attributes:
        actual_optimizer: the wrapped optimizer.
        comm: the :class:`~keisan.distributed.Communicator`.
    """

    def __init__(self, actual_optimizer, comm):
        if isinstance(actual_optimizer, MultiNodeOptimizer):
            raise TypeError('create_multi_node_optimizer: the optimizer is already a '
                            'MultiNodeOptimizer')
        if not isinstance(actual_optimizer, Optimizer):
            raise TypeError('create_multi_node_optimizer: expected a keisan Optimizer, got '
                            '%s' % type(actual_optimizer).__name__)
        object.__setattr__(self, 'actual_optimizer', actual_optimizer)
        object.__setattr__(self, 'comm', comm)
        object.__setattr__(self, '_synced', set())     # names broadcast so far

    def __getattr__(self, name):
        return getattr(self.actual_optimizer, name)

    def __setattr__(self, name, value):
        setattr(self.actual_optimizer, name, value)

    def __repr__(self):
        return 'MultiNodeOptimizer(%r, rank %d of %d)' % (
            self.actual_optimizer, self.comm.rank, self.comm.size)

    def setup(self, link):
        """Attach the actual optimizer to ``link`` and broadcast rank 0's parameters and
        persistent arrays to every process (collective); returns self."""
        self.actual_optimizer.setup(link)
        self.comm.bcast_data(link)
        self._synced.update(name for name, p in link.namedparams() if p.data is not None)
        return self

    def update(self, *args, examples=None, **kwargs):
        """One step of every process on the averaged gradients (collective).

        The forms of :meth:`keisan.optimizers.Optimizer.update`: ``update(params,
        grads)`` (book), ``update()`` after :meth:`setup`, or ``update(lossfun, *args,
        **kwargs)`` (clear the gradients, backward ``lossfun``'s loss, step).

        ``examples`` (keyword only, never passed to ``lossfun``): how many examples this
        process's gradient is the mean of, when the processes' shares differ; the step
        then uses the mean over all examples (see
        :meth:`~keisan.distributed.Communicator.allreduce_grad`). None (default): the
        plain mean over processes. 0: this process's gradient does not count.
        """
        if args and isinstance(args[0], Mapping) or 'params' in kwargs or 'grads' in kwargs:
            params, grads = _book_arguments(*args, **kwargs)
        else:
            params, grads = self._target_gradients(args, kwargs)
        new = {name: array for name, array in params.items() if name not in self._synced}
        if new:
            self.comm.bcast_data(new)
            self._synced.update(new)
        averaged = self.comm.allreduce_grad(params, grads, examples)
        self.actual_optimizer.update(params, averaged)

    def _target_gradients(self, args, kwargs):
        target = self.actual_optimizer.target
        if target is None:
            raise RuntimeError('MultiNodeOptimizer.update() has nothing to update: call '
                               'setup(link) first (Chainer style) or pass update(params, '
                               'grads) (book style)')
        if args:
            if not callable(args[0]):
                raise TypeError('MultiNodeOptimizer.update: expected a params dict or a loss '
                                'function, got %s' % type(args[0]).__name__)
            target.cleargrads()
            args[0](*args[1:], **kwargs).backward()
        elif kwargs:
            raise TypeError('MultiNodeOptimizer.update: unexpected keyword arguments %s'
                            % ', '.join(sorted(kwargs)))
        params, grads, seen = {}, {}, set()
        for name, p in target.namedparams():
            if p.data is not None and id(p) not in seen:
                seen.add(id(p))
                params[name], grads[name] = p.data, p.grad
        return params, grads


def _book_arguments(params=None, grads=None):
    """The book's ``(params, grads)`` as dicts of arrays (Variables give their data)."""
    where = 'MultiNodeOptimizer.update'
    if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
        raise TypeError('%s(params, grads): both must be dicts name -> array, got %s and %s'
                        % (where, type(params).__name__, type(grads).__name__))
    missing = [name for name in params if name not in grads]
    if missing:
        raise KeyError('%s: no gradient for parameter %s in grads'
                       % (where, ', '.join(map(repr, missing))))
    arrays = {}
    for name, p in params.items():
        p = p.data if isinstance(p, Variable) else p
        if p is not None:
            arrays[name] = p
    return arrays, {name: g.data if isinstance(g, Variable) else g
                    for name, g in grads.items() if name in arrays}
