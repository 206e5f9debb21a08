"""Smoke tests of the CPU benchmarks in bench/ (marked ``bench``: deselected by default).

    python -m pytest -m bench tests/test_bench.py

They run the scripts on a tiny budget (one thread, a few samples) and check
the shape of the output, not the numbers. Two cheap unmarked tests guard the
rules the benchmark relies on: keisan never imports torch, and ``--write``
keeps the report's "## Optimization log" section verbatim.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, 'bench')
FASHION_DIR = '/usr/share/datasets/fashion-mnist'


def run_script(name, *args, timeout=600):
    proc = subprocess.run([sys.executable, os.path.join(BENCH, name)] + list(args),
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


RATIO_ROW = r'%s\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+\d+%%'


@pytest.mark.bench
def test_bench_cpu_quick_two_layer():
    pytest.importorskip('torch')
    out = run_script('bench_cpu.py', '--quick', '--only', 'two_layer', '--repeat', '3',
                     '--threads', '1')
    assert '=== 1 thread(s) ===' in out
    assert 'keisan book API (ms)' in out and 'ratio dbr/torch' in out
    assert re.search(r'two_layer\s.*\s+ok\s*$', out, re.M), out       # correctness guard
    row = re.search(RATIO_ROW % re.escape('train two_layer (batch 100)'), out)
    assert row, out
    book, dbr, torch_ms = (float(v) for v in row.groups()[:3])
    assert book > 0 and dbr > 0 and torch_ms > 0
    assert 'OPENBLAS_NUM_THREADS=1' in out and 'torch.get_num_threads() = 1' in out
    assert 'infer' not in out and 'op sum' not in out        # --only two_layer


@pytest.mark.bench
def test_bench_cpu_ops_and_memory():
    pytest.importorskip('torch')
    out = run_script('bench_cpu.py', '--quick', '--only', 'ops,memory', '--repeat', '2',
                     '--threads', '1')
    assert re.search(r'op sum\(x\*x\).*\s-\s+\S+\s+\S+\s+-\s+\d+\.\d\d', out), out
    assert 'op sum(a@b), 100x100' in out
    for framework in ('keisan-book', 'keisan-dbr', 'torch'):
        assert re.search(r'^%s\s+\d+\.\d' % framework, out, re.M), out


@pytest.mark.bench
def test_time_to_accuracy_tiny():
    pytest.importorskip('torch')
    if not os.path.isdir(FASHION_DIR):
        pytest.skip('Fashion-MNIST is not installed in %s' % FASHION_DIR)
    out = run_script('time_to_accuracy.py', '--quick', '--threads', '1', '--train-size', '500',
                     '--test-size', '500', '--target', '0.3', '--max-epochs', '2',
                     '--eval-every', '5')
    assert 'keisan (book API)' in out and 'PyTorch' in out
    assert re.search(r'^ratio keisan/torch\s.*\d+\.\d\d', out, re.M) or 'not reached' in out


def test_keisan_does_not_import_torch():
    code = ('import sys, keisan, keisan.models, keisan.optimizers, keisan.datasets; '
            'sys.exit("torch" in sys.modules)')
    assert subprocess.run([sys.executable, '-c', code], cwd=ROOT).returncode == 0


def test_write_keeps_optimization_log(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(BENCH)
    import bench_cpu
    log = ('## Optimization log\n\n- fused relu backward: 72 -> 65 ms\n'
           '```\n## inside a fence, not a heading\n```\n### detail\n\ntrailing text\n')
    path = tmp_path / 'BENCHMARKS.md'
    path.write_text('# Old\n\n## 1 thread\nold table\n\n' + log + '## Later section\nx\n')
    bench_cpu.write_report(str(path), [], None, [], '--write x')
    text = path.read_text()
    assert text.endswith(log)
    assert 'old table' not in text
    bench_cpu.write_report(str(path), [], None, [], '--write x')      # idempotent
    assert path.read_text().endswith(log)
    fresh = tmp_path / 'NEW.md'
    bench_cpu.write_report(str(fresh), [], None, [], '--write x')
    assert '## Optimization log' in fresh.read_text()


def test_time_to_accuracy_section_is_replaced_and_kept(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(BENCH)
    import bench_cpu
    import time_to_accuracy
    import common
    info = common.machine_info(with_torch=False)

    def result(k_steps, t_steps):
        def fw(steps):
            return dict(reached=True, steps=steps, epochs=steps / 600, accuracy=0.881,
                        train_s=steps * 0.02, eval_s=1.0, wall_s=steps * 0.02 + 1,
                        history=[(steps, 0.881)])
        return {'info': info, 'target': 0.88, 'batch': 100, 'eval_every': 100,
                'max_epochs': 3, 'train_size': 60000, 'test_size': 10000, 'seed': 0,
                'keisan': fw(k_steps), 'torch': fw(t_steps)}

    path = tmp_path / 'BENCHMARKS.md'
    path.write_text('# Bench\n\n## 1 thread\ntable\n\n## Optimization log\n\n- entry\n')
    time_to_accuracy.write_section(str(path), result(900, 1000), '--write x')
    text = path.read_text()
    assert text.index('## Time to accuracy') < text.index('## Optimization log')
    # 900 vs 1000 steps: the ratios stand under the three time columns
    assert '| ratio keisan/torch |  |  |  |  | 0.90 | 0.90 | 1.00 |' in text
    time_to_accuracy.write_section(str(path), result(1200, 1000), '--write x')
    text = path.read_text()
    assert text.count('## Time to accuracy') == 1
    assert '| ratio keisan/torch |  |  |  |  | 1.20 | 1.19 | 1.00 |' in text
    bench_cpu.write_report(str(path), [], None, [], '--write x')      # regenerating keeps it
    text = path.read_text()
    assert '1.20' in text and text.endswith('## Optimization log\n\n- entry\n')


@pytest.mark.bench
def test_bench_mpi_quick():
    pytest.importorskip('mpi4py')
    out = run_script('bench_mpi.py', '--quick', '--only', 'two_layer', '--repeat', '1',
                     '--no-torch')
    assert '=== 2 processes, 1 BLAS thread each ===' in out and 'MPI: MPICH' in out
    assert re.search(r'^two_layer\s+79510\s+\S+\s+\S+\s+\d+\s+\d+\s+\d+\.\d\d', out, re.M), out
    assert re.search(r'^64 MiB\s+\d', out, re.M), out
    assert out.count('communication > compute from') == 2


def mpi_result():
    import common
    row = {'network': 'deep_conv', 'params': 123552, '1': 0.120, 'N': 0.065,
           'allreduce_grad': 0.0004, 'torch': 0.036}
    return {'ranks': 2, 'repeat': 3, 'quick': False, 'info': common.machine_info(False),
            'mpi': 'MPICH Version: 5.0.2', 'mpi4py': '4.1.2', 'rows': [row],
            'messages': [{'bytes': 4, 'seconds': 2e-6}, {'bytes': 2 ** 26, 'seconds': 0.02}]}


def test_bench_mpi_cost_model_and_report_section(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(BENCH)
    import bench_cpu
    import bench_mpi
    ethernet, infiniband = bench_mpi.LINKS
    # ring: 2(N-1) latencies + 2(N-1)/N * S / bandwidth
    assert bench_mpi.ring_allreduce(8, 1e6, 1e9, 1e-5) == pytest.approx(14e-5 + 1.75e-3)
    assert bench_mpi.ring_allreduce(1, 1e6, 1e9, 1e-5) == 0
    assert bench_mpi.stops_scaling(1e-3, 4e5, ethernet) == '16'     # latency-bound at 16
    text = bench_mpi.markdown_report(mpi_result(), '--write x')
    assert '| deep_conv | 123552 | 120 | 65.0 | 833 | 1538 | 1.85 | 36.0 | 1.81 |' in text
    assert '>= 1.7x ok, torch <= 1.5 MISS' in text and '### Cost model' in text
    path = tmp_path / 'BENCHMARKS.md'
    path.write_text('# Bench\n\n## 1 thread\nold\n\n## Optimization log\n\n- entry\n')
    import common
    common.write_section(str(path), common.MPI_HEADING, text)
    bench_cpu.write_report(str(path), [], None, [], '--write x')    # regenerating keeps it
    kept = path.read_text()
    assert kept.count(common.MPI_HEADING) == 1 and '### Cost model' in kept
    assert kept.index(common.MPI_HEADING) < kept.index('## Optimization log')


def test_training_flops_count_each_gemm_of_a_step(monkeypatch):
    """The floor's FLOP: forward, weight gradient and input gradient of every Affine and
    Convolution, without the input gradient of the first layer (the data's)."""
    monkeypatch.syspath_prepend(BENCH)
    import common
    two_layer = common.make_net('two_layer')                     # 784-50-10
    assert common.training_flops(two_layer, (784,), 100) == \
        100 * (2 * 2 * 784 * 50 + 3 * 2 * 50 * 10)
    simple = common.make_net('simple_conv')     # 30 5x5 filters -> 24x24, pool, 100, 10
    conv = 2 * 30 * 24 * 24 * 25
    assert common.training_flops(simple, (1, 28, 28), 10) == \
        10 * (2 * conv + 3 * 2 * (30 * 12 * 12 * 100 + 100 * 10))
    deep = common.training_flops(common.make_net('deep_conv'), (1, 28, 28), 100)
    assert abs(deep / 1e9 - 5.24) < 0.01                         # the speed issue's 5.2
