"""Cases that run on every process of an MPI job; tests/test_distributed_mpi.py starts them:

    mpiexec -n 2 python -m pytest -p no:cacheprovider tests/mpi_cases.py

Every process runs every case, in the same order (the cases call collectives), and
checks its own results; assertions come after a case's collectives, so that a failure
on one process cannot leave the others waiting. Not collected by a plain ``pytest``
run (the file name does not start with ``test_``); at size 1 the cases still pass.
"""
import os

import numpy as np
import pytest

import keisan.optimizers as O
from keisan import distributed as D
from keisan.datasets import DataLoader, TupleDataset
from keisan.models import DeepConvNet, MultiLayerNetExtend
from keisan.training import Trainer, TrainerOptions, gradcheck_model

NETWORKS = ('two_layer', 'mlp', 'simple_conv', 'deep_conv')     # mlp_extend: batch norm


@pytest.fixture(scope='module')
def comm():
    return D.create_communicator()


@pytest.fixture
def shared_dir(comm, tmp_path, monkeypatch):
    """A directory every process sees: rank 0's tmp_path (runs written there skip
    curves.png: matplotlib would take most of these tests' time)."""
    monkeypatch.setattr('keisan.training.rundir.plot_curves', lambda path, history: False)
    return comm.bcast_obj(str(tmp_path))


def everywhere(comm, value):
    """The list of every rank's ``value``."""
    return comm.agree(value)


def batch(shape, classes, n, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n,) + shape), rng.integers(0, classes, n)


# ----- the communicator ----------------------------------------------------------------------
def test_allreduce_ops_and_objects(comm):
    r, n = comm.rank, comm.size
    x = np.array([r, 2 * r + 1], dtype=np.int64)
    total, mean, top = comm.allreduce(x), comm.allreduce(x, 'mean'), comm.allreduce(x, 'max')
    scalar = comm.allreduce(r + 1)
    root_value = comm.bcast_obj({'rank': r})
    assert total.tolist() == [n * (n - 1) // 2, n * n]
    assert np.allclose(mean, total / n) and top.tolist() == [n - 1, 2 * n - 1]
    assert scalar == n * (n + 1) // 2 and root_value == {'rank': 0}
    with pytest.raises(ValueError, match="op must be one of"):
        comm.allreduce(x, 'prod')


def test_bcast_data_link_and_dict(comm):
    np.random.seed(comm.rank)           # every process starts different
    net = MultiLayerNetExtend(6, [4], 3, use_batchnorm=True, dtype=np.float64)
    net.BatchNorm1.running_mean[...] = comm.rank + 1.0
    params = {'W': np.full((2, 3), float(comm.rank), np.float32)}
    comm.bcast_data(net)
    comm.bcast_data(params)
    seen = everywhere(comm, [a.copy() for a in net.state_dict().values()])
    for arrays in seen:
        for a, b in zip(arrays, seen[0]):
            np.testing.assert_array_equal(a, b)
    assert (net.BatchNorm1.running_mean == 1.0).all() and (params['W'] == 0).all()


def test_allreduce_grad_weights_buckets_and_missing_gradients(comm):
    small = D.create_communicator(comm.mpi_comm, bucket_bytes=64)
    r, n = comm.rank, comm.size
    params = {'a': np.zeros((3, 4), np.float32), 'b': np.zeros(20, np.float64),
              'c': np.zeros(5, np.float32), 'unused': np.zeros(2, np.float32)}
    grads = {'a': np.full((3, 4), r + 1.0, np.float32), 'b': np.full(20, r + 1.0),
             'c': None if r == 0 else np.ones(5, np.float32), 'unused': None}
    plain = {k: None if v is None else v.copy()
             for k, v in small.allreduce_grad(params, grads).items()}
    weighted = small.allreduce_grad(params, grads, examples=r + 1)
    buckets = next(b for key, b in small._buckets.items() if key[0] == 'allreduce_grad')
    assert len(buckets.buffers) >= 3        # 64-byte buckets: a, b and c apart
    assert np.allclose(plain['a'], (n + 1) / 2) and plain['a'].dtype == np.float32
    assert np.allclose(plain['b'], (n + 1) / 2) and plain['b'].dtype == np.float64
    assert plain['unused'] is None
    assert np.allclose(plain['c'], (n - 1) / n) if n > 1 else plain['c'] is None
    expected = sum((k + 1) ** 2 for k in range(n)) / sum(k + 1 for k in range(n))
    assert np.allclose(weighted['a'], expected)
    with pytest.raises(ValueError, match='examples must be a number >= 0'):
        small.allreduce_grad(params, grads, examples=-1)


def test_allreduce_grad_with_zero_examples_everywhere_fails_on_every_rank(comm):
    params = {'w': np.zeros(3)}
    with pytest.raises(D.CollectiveError, match='examples is 0 on every process'):
        comm.allreduce_grad(params, {'w': np.ones(3)}, examples=0)


def test_check_same_names_the_differences(comm):
    comm.check_same('settings', {'a': 1, 'b': 'x'})
    if comm.size == 1:
        return
    with pytest.raises(D.MismatchError) as info:
        comm.check_same('the settings', {'a': 1, 'b': comm.rank, 'c': 2})
    message = str(info.value)
    assert 'the settings differ between the %d processes' % comm.size in message
    assert "b is 0 on rank 0, 1 on rank 1" in message and 'a is' not in message


def test_buckets_layout_mismatch_is_an_error_everywhere(comm):
    """A layout is checked on every process the first time it is used (a new
    communicator: no process has seen it)."""
    if comm.size == 1:
        return
    fresh = D.create_communicator(comm.mpi_comm)
    params = {'w': np.zeros(3 + comm.rank)}
    with pytest.raises(D.MismatchError, match='the arrays of allreduce_grad differ.*w is'):
        fresh.allreduce_grad(params, {'w': np.ones(3 + comm.rank)})


# ----- N processes on batch B take the steps of 1 process on batch B ----------------------------
@pytest.mark.parametrize('name', NETWORKS)
@pytest.mark.parametrize('style', ['book', 'define-by-run', 'lossfun'])
def test_multi_node_optimizer_matches_one_process(comm, name, style):
    np.random.seed(0)
    net, shape, classes = gradcheck_model(name)         # float64, dropout off
    np.random.seed(0)
    ref, _, _ = gradcheck_model(name)
    if comm.rank:                                       # only the broadcast makes them equal
        for p in net.params.values():
            p += 1.0
    x, t = batch(shape, classes, 7)
    lo, hi = D.share_bounds(len(x), comm.size, comm.rank)
    opt = D.create_multi_node_optimizer(O.Adam(alpha=0.01), comm)
    plain = O.Adam(alpha=0.01)
    opt.add_hook(O.GradientClipping(0.5))
    plain.add_hook(O.GradientClipping(0.5))
    if style == 'book':
        comm.bcast_data(net)            # before the first gradient
    else:
        opt.setup(net)
        plain.setup(ref)
    for _ in range(3):
        if style == 'book':
            opt.update(net.params, net.gradient(x[lo:hi], t[lo:hi]), examples=hi - lo)
            plain.update(ref.params, ref.gradient(x, t))
        elif style == 'define-by-run':
            net.cleargrads()
            net.forward_loss(x[lo:hi], t[lo:hi]).backward()
            opt.update(examples=hi - lo)
            ref.cleargrads()
            ref.forward_loss(x, t).backward()
            plain.update()
        else:
            opt.update(net.forward_loss, x[lo:hi], t[lo:hi], examples=hi - lo)
            plain.update(ref.forward_loss, x, t)
    everyone = everywhere(comm, {k: v.copy() for k, v in net.params.items()})
    for key, value in ref.params.items():
        np.testing.assert_allclose(net.params[key], value, rtol=1e-9, atol=1e-12)
        for other in everyone:
            np.testing.assert_array_equal(other[key], net.params[key])
    assert opt.t == plain.t == 3 and opt.lr == plain.lr


def test_multi_node_optimizer_delegates_and_refuses(comm):
    opt = D.create_multi_node_optimizer(O.MomentumSGD(lr=0.1), comm)
    opt.lr = 0.05
    assert opt.actual_optimizer.lr == 0.05 and 'MomentumSGD' in repr(opt)
    with pytest.raises(RuntimeError, match='call setup'):
        opt.update()
    with pytest.raises(TypeError, match='already a MultiNodeOptimizer'):
        D.create_multi_node_optimizer(opt, comm)
    with pytest.raises(KeyError, match="no gradient for parameter 'W'"):
        opt.update({'W': np.zeros(2)}, {})


# ----- the Trainer -------------------------------------------------------------------------
def trainer(net, data, comm, epochs=2, batch_size=10, mode='book', out=None, seed=0,
            optimizer='adam', **kw):
    x, t, xt, tt = data
    return Trainer(net, x, t, xt, tt, epochs=epochs, mini_batch_size=batch_size,
                   optimizer=optimizer, optimizer_param={'lr': 0.01}, verbose=False, out=out,
                   options=TrainerOptions(seed=seed, mode=mode, progress=False), comm=comm,
                   **kw)


def small_data(shape=(20,), classes=5, n=53, n_test=31):
    rng = np.random.default_rng(3)
    return (rng.random((n,) + shape), rng.integers(0, classes, n),
            rng.random((n_test,) + shape), rng.integers(0, classes, n_test))


@pytest.mark.parametrize('mode', ['book', 'autograd'])
@pytest.mark.parametrize('name', ['mlp', 'simple_conv'])
def test_trainer_matches_one_process(comm, mode, name):
    np.random.seed(0)
    net, shape, classes = gradcheck_model(name)
    np.random.seed(0)
    ref, _, _ = gradcheck_model(name)
    data = small_data(shape, classes)
    # batch 10 over 2 or 3 processes (5/5, 4/3/3), 53 examples: a last batch of 3
    history = trainer(net, data, comm, mode=mode).train()
    expected = trainer(ref, data, None, mode=mode).train()
    for key, value in ref.params.items():
        np.testing.assert_allclose(net.params[key], value, rtol=1e-9, atol=1e-12)
    for got, want in zip(history, expected):
        assert got['test_acc'] == want['test_acc'] and got['train_acc'] == want['train_acc']
        for metric in ('train_loss', 'test_loss', 'train_eval_loss'):
            assert got[metric] == pytest.approx(want[metric], rel=1e-10)


def test_trainer_batch_smaller_than_the_processes(comm):
    np.random.seed(0)
    net, shape, classes = gradcheck_model('two_layer')
    np.random.seed(0)
    ref, _, _ = gradcheck_model('two_layer')
    data = small_data(shape, classes, n=9, n_test=2)    # batches of 2: a process idles
    trainer(net, data, comm, batch_size=2, optimizer='sgd').train()
    trainer(ref, data, None, batch_size=2, optimizer='sgd').train()
    for key, value in ref.params.items():
        np.testing.assert_allclose(net.params[key], value, rtol=1e-9, atol=1e-12)


def test_batch_norm_statistics_are_averaged_and_saved_alike(comm, shared_dir):
    np.random.seed(0)
    net = MultiLayerNetExtend(20, [8, 8], 5, use_batchnorm=True, dtype=np.float64)
    trainer(net, small_data(), comm, epochs=1, out=shared_dir).train()
    states = everywhere(comm, {k: v.copy() for k, v in net.state_dict().items()})
    for state in states:
        for key, value in state.items():
            np.testing.assert_array_equal(value, states[0][key])
    saved = np.load(os.path.join(shared_dir, 'model.npz'))
    np.testing.assert_array_equal(saved['running_mean1'], net.BatchNorm1.running_mean)


def deep_conv():
    convs = [{'filter_num': n, 'filter_size': 3, 'pad': pad, 'stride': 1}
             for n, pad in ((2, 1), (2, 1), (3, 1), (3, 2), (4, 1), (4, 1))]
    return DeepConvNet((1, 12, 12), *convs, hidden_size=8, output_size=5, dropout_ratio=0.5)


def test_resume_continues_bit_for_bit_with_dropout(comm, shared_dir):
    data = small_data((1, 12, 12), 5, n=40, n_test=12)
    kw = {'epochs': 3, 'batch_size': 8, 'lr_schedule': 'cosine'}
    np.random.seed(0)
    straight = deep_conv()
    history = trainer(straight, data, comm, **kw).train()
    np.random.seed(0)
    first = deep_conv()
    first_trainer = trainer(first, data, comm, out=shared_dir, **kw)
    first_trainer.epochs = 1            # stopped after epoch 1, as if killed in epoch 2
    first_trainer.train()
    np.random.seed(5)       # a resumed run rebuilds its network: other draws, then the file
    resumed_net = deep_conv()
    resumed = trainer(resumed_net, data, comm, out=shared_dir, **kw)
    resumed.resume()
    resumed_history = resumed.train()
    written = sorted(os.listdir(shared_dir))
    for key, value in straight.params.items():
        np.testing.assert_array_equal(resumed_net.params[key], value)
    drop = ('seconds',)
    assert [{k: v for k, v in h.items() if k not in drop} for h in resumed_history] == \
        [{k: v for k, v in h.items() if k not in drop} for h in history]
    assert 'checkpoint.npz' in written and 'model.npz' in written


def test_trainer_settings_must_agree_and_nothing_is_written(comm, shared_dir):
    if comm.size == 1:
        return
    np.random.seed(0)
    net, shape, classes = gradcheck_model('two_layer')
    out = os.path.join(shared_dir, 'run')
    with pytest.raises(D.MismatchError, match='mini_batch_size is 10 on rank 0, 11 on rank'):
        trainer(net, small_data(shape, classes), comm, batch_size=10 + (comm.rank > 0),
                out=out)
    comm.agree()
    assert not os.path.exists(out)


# ----- scatter_dataset ---------------------------------------------------------------------
@pytest.mark.parametrize('equal', [True, False])
def test_scatter_dataset_partitions_the_examples(comm, equal):
    n = 11
    data = (np.arange(n) * 10, np.arange(n))
    mine = D.scatter_dataset(data, comm, shuffle=True, seed=3, force_equal_length=equal)
    shards = everywhere(comm, mine.arrays[1].tolist())
    lengths = {len(s) for s in shards}
    flat = [i for s in shards for i in s]
    assert (mine.arrays[0] == mine.arrays[1] * 10).all()
    if equal:
        assert lengths == {-(-n // comm.size)} and set(flat) == set(range(n))
    else:
        assert sorted(flat) == list(range(n)) and max(lengths) - min(lengths) <= 1


def test_scatter_dataset_from_root_only_and_generic_datasets(comm):
    examples = [(np.full(2, i), i) for i in range(7)]
    mine = D.scatter_dataset(examples if comm.rank == 0 else None, comm)
    arrays = D.scatter_dataset(TupleDataset(np.arange(7)) if comm.rank == 0 else None, comm)
    labels = everywhere(comm, [mine[i][1] for i in range(len(mine))])
    assert sorted({i for s in labels for i in s}) == list(range(7))
    assert [mine[i][1] for i in range(len(mine))] == arrays.arrays[0].tolist()
    assert len(DataLoader(mine, 2)) == len(DataLoader(arrays, 2))


def test_scatter_dataset_lengths_must_agree(comm):
    if comm.size == 1:
        return
    with pytest.raises(D.MismatchError, match='has 5 examples on rank 0'):
        D.scatter_dataset(np.arange(5 + comm.rank), comm)


def test_define_by_run_loop_on_scattered_data(comm):
    """The README's loop: each process its shard, its own loader, averaged steps."""
    np.random.seed(0)
    net, shape, classes = gradcheck_model('simple_conv')
    x, t = batch(shape, classes, 24)
    opt = D.create_multi_node_optimizer(O.Adam(alpha=0.01), comm).setup(net)
    shard = D.scatter_dataset((x, t), comm, shuffle=True, seed=0)
    losses = []
    for _ in range(3):
        for xb, tb in DataLoader(shard, 4, shuffle=True, seed=comm.rank):
            net.cleargrads()
            loss = net.forward_loss(xb, tb)
            loss.backward()
            opt.update()
            losses.append(float(loss.data))
    everyone = everywhere(comm, net.params['W1'].copy())
    for other in everyone:
        np.testing.assert_array_equal(other, everyone[0])
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
