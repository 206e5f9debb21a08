"""Data-parallel training over MPI (mpi4py), in the shape of ChainerMN.

Each process holds the whole model, trains on its part of every batch, and the
gradients are averaged before each step, so the processes stay identical::

    import keisan as ks
    from keisan import distributed

    comm = distributed.create_communicator()           # under mpiexec -n N
    model = ks.models.SimpleConvNet()
    opt = distributed.create_multi_node_optimizer(ks.optimizers.Adam(), comm)
    opt.setup(model)                                   # rank 0's weights everywhere
    train = distributed.scatter_dataset((x_train, t_train), comm, shuffle=True, seed=0)
    for x, t in ks.datasets.DataLoader(train, 50, shuffle=True, seed=0):
        model.cleargrads()
        model.forward_loss(x, t).backward()
        opt.update()                                   # averaged gradients, same step

``keisan.training.Trainer(..., comm=comm)`` and ``mpiexec -n N keisan train`` do all
of it for the book's networks, with the batch size meaning the global batch. mpi4py
(``pip install 'keisan[mpi]'``) is imported only when a communicator is created.
"""
from keisan.distributed.communicator import (CollectiveError, Communicator, MismatchError,
                                             PeerError, create_communicator,
                                             launched_communicator, launcher_size)
from keisan.distributed.dataset import DatasetShard, scatter_dataset, share_bounds
from keisan.distributed.optimizer import MultiNodeOptimizer, create_multi_node_optimizer
from keisan.distributed.packing import Buckets
from keisan.distributed.parallel import DataParallel

__all__ = ['Buckets', 'CollectiveError', 'Communicator', 'DataParallel', 'DatasetShard',
           'MismatchError', 'MultiNodeOptimizer', 'PeerError', 'create_communicator',
           'create_multi_node_optimizer', 'launched_communicator', 'launcher_size',
           'scatter_dataset', 'share_bounds']
