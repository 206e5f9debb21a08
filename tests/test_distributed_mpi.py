"""Data-parallel training under a real ``mpiexec``: each test starts an MPI job.

* tests/mpi_cases.py on 2 and 3 processes (the collectives, the multi-node optimizer
  and the Trainer against one process, resume, scatter_dataset);
* ``keisan train`` on 2 processes: output and files from rank 0 only, resume bit for
  bit; different arguments on different ranks; a failure on one rank, before and
  during training, ends the job (bounded by a timeout, so a hang fails the test);
* the README's example.

Skipped, with the reason, where mpi4py or mpiexec is missing
(``pip install 'keisan[mpi]'`` brings both).
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION_DIR = '/usr/share/datasets/fashion-mnist'


def find_mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), 'mpiexec')
    return beside if os.access(beside, os.X_OK) else shutil.which('mpiexec')


MPIEXEC = find_mpiexec()
pytestmark = pytest.mark.skipif(
    MPIEXEC is None or importlib.util.find_spec('mpi4py') is None,
    reason="needs mpi4py and mpiexec: pip install 'keisan[mpi]'")


def mpiexec(*commands, timeout=120, threads='1'):
    """Run ``mpiexec -n N cmd : -n M cmd ...`` (each command a (n, argv) pair) with
    ``threads`` BLAS threads per process (None: no thread variable set, keisan decides);
    returns the CompletedProcess. A job still running after ``timeout`` seconds is
    killed: the test fails instead of hanging."""
    argv = [MPIEXEC]
    for i, (n, command) in enumerate(commands):
        argv += ([':'] if i else []) + ['-n', str(n)] + list(command)
    env = {k: v for k, v in os.environ.items() if not k.endswith('_NUM_THREADS')}
    env['PYTHONPATH'] = ROOT + os.pathsep + os.environ.get('PYTHONPATH', '')
    if threads is not None:
        env.update(OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
    try:
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail('the MPI job did not end within %d s (a hang): %s\n%s\n%s' % (
            timeout, ' '.join(argv), e.stdout, e.stderr))


def keisan(*args):
    return [sys.executable, '-m', 'keisan'] + list(args)


@pytest.mark.parametrize('n', [2, 3])
def test_mpi_cases(n):
    proc = mpiexec((n, [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider',
                        '-o', 'addopts=', '-q', '-o', 'faulthandler_timeout=60',
                        os.path.join('tests', 'mpi_cases.py')]), timeout=150)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(' passed') == n, proc.stdout


needs_data = pytest.mark.skipif(not os.path.isdir(FASHION_DIR),
                                reason='Fashion-MNIST is not installed in %s' % FASHION_DIR)
TRAIN = ('train', '--model', 'two_layer', '--train-size', '300', '--test-size', '90',
         '--batch-size', '25', '--no-progress', '--seed', '3')


@needs_data
def test_keisan_train_on_two_processes_writes_on_rank_0_and_resumes_bit_for_bit(tmp_path):
    straight, cut = str(tmp_path / 'straight'), str(tmp_path / 'cut')
    first = mpiexec((2, keisan(*TRAIN, '--epochs', '2', '--out', straight)), threads=None)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count('training two_layer on fashion-mnist') == 1, first.stdout
    assert first.stdout.count('epoch 2/2:') == 1, first.stdout
    if (os.cpu_count() or 1) >= 2:      # each process takes its part of the CPUs
        assert "processes share the %d CPUs" % os.cpu_count() in first.stdout
    for argv in (keisan(*TRAIN, '--epochs', '1', '--out', cut),
                 keisan(*TRAIN, '--epochs', '2', '--out', cut, '--resume')):
        proc = mpiexec((2, argv))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count('resumed from') == 1, proc.stdout
    assert sorted(os.listdir(cut)) == sorted(os.listdir(straight))
    for name in ('model.npz', 'checkpoint.npz'):
        with np.load(os.path.join(straight, name)) as a, np.load(os.path.join(cut, name)) as b:
            for key in a.files:
                if not key.startswith('history/seconds'):
                    np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@needs_data
def test_different_arguments_are_one_error_on_rank_0_and_nothing_is_written(tmp_path):
    out = str(tmp_path / 'run')
    proc = mpiexec((1, keisan(*TRAIN, '--out', out)),
                   (1, keisan(*TRAIN, '--out', out, '--batch-size', '20')))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == (
        'keisan: error: the arguments of keisan train differ between the 2 processes: '
        '--batch-size is 25 on rank 0, 20 on rank 1')
    assert not os.path.exists(out)


@needs_data
def test_the_readme_example_runs(tmp_path):
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    start = readme.index('```python\nimport sys\nimport keisan as ks\nfrom keisan import '
                         'distributed') + len('```python\n')
    script = tmp_path / 'train.py'
    script.write_text(readme[start:readme.index('```', start)])
    proc = mpiexec((2, [sys.executable, str(script)]), threads=None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count('test accuracy 0.') == 1, proc.stdout


FAILING = '''
import sys
import numpy as np
from keisan import distributed as D
from keisan.training import Trainer, gradcheck_model

comm = D.create_communicator()
when = sys.argv[1]


def main():
    net, shape, classes = gradcheck_model('two_layer')
    if when == 'setup' and comm.rank == 1:
        raise ValueError('no data on this machine')
    steps = []
    original = net.gradient

    def gradient(x, t):
        steps.append(1)
        if when == 'training' and comm.rank == 1 and len(steps) == 30:
            raise RuntimeError('boom on rank 1')
        return original(x, t)
    net.gradient = gradient
    rng = np.random.default_rng(0)
    x, t = rng.random((40,) + shape), rng.integers(0, classes, 40)
    Trainer(net, x, t, x, t, epochs=1000, mini_batch_size=4, verbose=False, comm=comm).train()


sys.exit(comm.run(main, user_errors=(ValueError,), prog='failing', agreement_first=True))
'''


@pytest.mark.parametrize('when', ['setup', 'training'])
def test_a_failure_on_one_rank_ends_every_process(tmp_path, when):
    script = tmp_path / 'failing.py'
    script.write_text(FAILING)
    start = time.perf_counter()
    proc = mpiexec((2, [sys.executable, str(script), when]), timeout=60)
    assert time.perf_counter() - start < 60
    if when == 'setup':     # reported at the Trainer's first agreement: a clean exit 2
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr.strip() == 'failing: error: rank 1: no data on this machine'
    else:                   # inside training: traceback, then MPI_Abort ends the job
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert 'rank 1 of 2 failed:\nTraceback' in proc.stderr
        assert 'RuntimeError: boom on rank 1' in proc.stderr
        assert 'failing: error: rank 1 of 2: RuntimeError: boom on rank 1' in proc.stderr


def test_a_launcher_of_another_mpi_is_an_error(tmp_path):
    """A launcher's variables say 2 processes, MPI sees 1 (mpi4py uses another MPI): each
    process would train alone and write the same files, so keisan refuses."""
    env = dict(os.environ, PMI_SIZE='2', PMI_RANK='0')
    proc = subprocess.run(keisan('train', '--out', str(tmp_path / 'run')), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert 'the launcher started 2 processes but MPI sees 1' in proc.stderr
    assert not os.path.exists(tmp_path / 'run')


def test_gpu_training_on_several_processes_is_refused(tmp_path):
    proc = mpiexec((2, keisan('train', '--device', 'gpu', '--out', str(tmp_path / 'run'))))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == ('keisan: error: --device gpu: training on several '
                                   'processes runs on the CPU (use --device cpu, or a single '
                                   'process for the GPU)')
