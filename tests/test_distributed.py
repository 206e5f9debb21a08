"""keisan.distributed without MPI: packing, the share rule, launcher detection, the errors
without mpi4py. The collectives run under mpiexec: tests/test_distributed_mpi.py."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import keisan.optimizers as O
from keisan import cli
from keisan import distributed as D
from keisan.distributed.parallel import data_fingerprint, fingerprint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_buckets_group_by_dtype_split_at_the_size_and_keep_the_order():
    layout = [('a', (2, 3), np.float32), ('b', (4,), np.float64), ('c', (5,), np.float32),
              ('d', (100,), np.float32)]
    buckets = D.Buckets(layout, bucket_bytes=64, header=3)
    # float32: a and c (44 bytes) share a buffer, d (400 bytes) has its own; float64: b
    assert [(b.dtype, b.size) for b in buckets.buffers] == [
        (np.float32, 6 + 5 + 3), (np.float64, 4), (np.float32, 100)]
    assert [v.shape for v in buckets.views] == [(2, 3), (4,), (5,), (100,)]
    assert buckets.header.size == 3 and buckets.nbytes == 14 * 4 + 4 * 8 + 400
    arrays = [np.full((2, 3), 1.0), np.full(4, 2.0), None, np.full(100, np.nan)]
    buckets.header[:] = 7
    buckets.pack(arrays, scale=3.0)
    assert (buckets.views[0] == 3).all() and (buckets.views[1] == 6).all()
    assert (buckets.views[2] == 0).all() and np.isnan(buckets.views[3]).all()
    buckets.pack(arrays, scale=0)           # 0 * NaN would be NaN: zeros instead
    assert not np.isnan(buckets.views[3]).any()
    buckets.pack(arrays)
    buckets.divide_data(2)
    assert (buckets.views[0] == 0.5).all() and (buckets.header == 7).all()
    out = [np.empty((2, 3)), np.empty(4), np.empty(5), np.empty(100)]
    buckets.unpack_into(out)
    assert (out[1] == 1).all() and np.isnan(out[3]).all()


def test_buckets_one_buffer_per_dtype_for_a_model():
    from keisan.models import SimpleConvNet
    net = SimpleConvNet()
    buckets = D.Buckets(D.packing.layout_of(net.params.items()), header=1 + len(net.params))
    assert len(buckets.buffers) == 1 and buckets.buffers[0].size == net.count_params() + 1 + len(net.params)
    with pytest.raises(TypeError, match='the header goes into the first buffer, which is int'):
        D.Buckets([('n', (2,), np.int64)], header=1)


@pytest.mark.parametrize('n, size, expected', [
    (10, 3, [(0, 4), (4, 7), (7, 10)]), (2, 3, [(0, 1), (1, 2), (2, 2)]),
    (100, 2, [(0, 50), (50, 100)]), (0, 2, [(0, 0), (0, 0)])])
def test_share_bounds(n, size, expected):
    assert [D.share_bounds(n, size, r) for r in range(size)] == expected


@pytest.mark.parametrize('environ, size', [
    ({}, None), ({'PMI_SIZE': '4', 'PMI_RANK': '0'}, 4), ({'OMPI_COMM_WORLD_SIZE': '2'}, 2),
    ({'PMIX_RANK': '0', 'SLURM_STEP_NUM_TASKS': '8'}, 8), ({'PMIX_RANK': '0'}, 0),
    ({'SLURM_NTASKS': '8'}, None)])        # an sbatch script, not an srun step
def test_launcher_size(environ, size):
    assert D.launcher_size(environ) == size


def hide_mpi4py(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mpi4py', None)        # import mpi4py: ImportError


def test_without_mpi4py_the_errors_name_the_extra(monkeypatch, capsys):
    hide_mpi4py(monkeypatch)
    with pytest.raises(ImportError, match=r"keisan\.distributed\.create_communicator needs "
                       r"mpi4py.*pip install 'keisan\[mpi\]'"):
        D.create_communicator()
    monkeypatch.setenv('PMI_SIZE', '2')
    monkeypatch.setenv('PMI_RANK', '0')
    with pytest.raises(ImportError, match=r'running under MPI \(2 processes\) needs mpi4py'):
        D.launched_communicator()
    assert cli.main(['train', '--model', 'two_layer', '--out', 'never']) == 2
    err = capsys.readouterr().err
    assert "keisan: error: running under MPI (2 processes) needs mpi4py" in err
    assert "pip install 'keisan[mpi]'" in err and not os.path.exists('never')


def test_a_single_process_needs_no_mpi4py(monkeypatch):
    hide_mpi4py(monkeypatch)
    assert D.launched_communicator() is None            # no launcher
    monkeypatch.setenv('PMI_SIZE', '1')
    monkeypatch.setenv('PMI_RANK', '0')
    assert D.launched_communicator() is None            # mpiexec -n 1


def test_import_keisan_does_not_import_mpi4py():
    code = 'import sys, keisan, keisan.training, keisan.cli; sys.exit("mpi4py" in sys.modules)'
    assert subprocess.run([sys.executable, '-c', code], cwd=ROOT).returncode == 0


def test_multi_node_optimizer_needs_a_keisan_optimizer():
    with pytest.raises(TypeError, match='expected a keisan Optimizer, got dict'):
        D.create_multi_node_optimizer({}, None)
    opt = D.create_multi_node_optimizer(O.SGD(lr=0.1), None)
    with pytest.raises(TypeError, match='already a MultiNodeOptimizer'):
        D.create_multi_node_optimizer(opt, None)


def test_fingerprints_see_every_array_and_key():
    state = {'W': np.arange(6.0).reshape(2, 3), 't': np.array(3), 'rng': np.array('{"a": 1}')}
    same = fingerprint({'model': dict(state)})
    assert fingerprint({'model': state}) == same
    changed = dict(state, W=state['W'] + np.array([[0, 0, 1e-12], [0, 0, 0]]))
    assert fingerprint({'model': changed}) != same
    assert fingerprint({'model': dict(state, u=np.zeros(1))}) != same
    x = np.random.rand(1000, 5)
    assert data_fingerprint(x) == data_fingerprint(x.copy())
    assert data_fingerprint(x) != data_fingerprint(x[::-1]) != data_fingerprint(x[:999])


def test_a_dataset_shard_pickles_its_examples_only():
    data = [(np.full(3, i), i) for i in range(100)]
    shard = D.DatasetShard(data, [5, 7])
    copy = pickle.loads(pickle.dumps(shard))
    assert len(copy) == 2 and copy[1][1] == 7 and len(copy.dataset) == 2


def test_set_blas_threads_reaches_openblas():
    code = ('import sys; sys.path.insert(0, "bench"); import common; '
            'from keisan.kernels import threads; n = threads.set_blas_threads(1); '
            'print(n, threads.blas_threads(), common.openblas_threads())')
    env = {k: v for k, v in os.environ.items() if k not in D.communicator.THREAD_VARIABLES}
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[:2] == ['1', '1'] and out[2] in ('1', 'None')
