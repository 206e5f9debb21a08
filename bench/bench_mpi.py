#!/usr/bin/env python3
"""Data-parallel training over MPI: keisan on 1 and 2 processes, the allreduce, PyTorch.

    python3 bench/bench_mpi.py [--ranks 2] [--quick] [--repeat N] [--only NAME,...]
                               [--no-torch] [--write docs/BENCHMARKS.md]

The script starts itself once under ``mpiexec -n RANKS`` with one BLAS / OpenMP thread
per process (OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1). In that one job,
in alternating samples (rotating order, median of ``--repeat``), for each network of
``keisan train`` (the CLI's configurations, float32, global batch 100, SGD lr 0.01,
the book API):

* ``1 process``: rank 0 trains alone on the whole batch (plain optimizer, no MPI);
  the other processes wait asleep (a polled non-blocking barrier), off the CPUs;
* ``N processes``: every process trains on its share of the batch with the
  multi-node optimizer (one gradient allreduce per step);
* ``PyTorch``: rank 0 alone, the same network (weights copied, ``bench/common.py``)
  at ``torch.set_num_threads(N)`` while the others sleep.

Then: ``Allreduce`` time against message size (in-place, float32, 4 B to 64 MiB), and
one ``allreduce_grad`` of each network's gradients (pack, Allreduce, unpack) as a
share of its N-process step. ``--write`` puts the tables and the cost model for many
machines (ring allreduce, from the model sizes and the measured step times) into the
report's "## Data parallel (MPI)" section. Needs mpi4py and mpiexec
(``pip install 'keisan[mpi]'``); PyTorch only for its column.
"""
import argparse
import datetime
import os
import shutil
import statistics
import sys
import time

import common
from keisan.training import MODELS  # noqa: E402  (common puts the working tree first)

NETWORKS = tuple(MODELS)
QUICK_NETWORKS = ('two_layer', 'simple_conv')
GLOBAL_BATCH = 100
#: the issue's targets on 2 cores: N-process images/s over 1 process, step time over PyTorch
SPEEDUP_TARGETS = {'simple_conv': 1.7, 'deep_conv': 1.7}
TORCH_TARGETS = {'deep_conv': 1.5}
MESSAGE_ELEMENTS = [4 ** k for k in range(13)]          # float32: 4 B to 64 MiB
#: the links of the cost model: (name, bytes per second, latency of one message in s)
LINKS = (('10 Gbit/s Ethernet', 10e9 / 8, 25e-6), ('100 Gbit/s InfiniBand', 100e9 / 8, 2e-6))
MODEL_RANKS = (8, 64, 512)
PAUSE_S = 0.15


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--ranks', type=int, default=2, help='processes of the MPI job (default 2)')
    p.add_argument('--quick', action='store_true',
                   help='two_layer and simple_conv only, fewer and shorter samples')
    p.add_argument('--repeat', type=int, default=None,
                   help='timed samples per cell (default 11, quick 3)')
    p.add_argument('--only', default=None,
                   help='comma-separated networks (of %s)' % ', '.join(NETWORKS))
    p.add_argument('--no-torch', action='store_true', help='leave out the PyTorch column')
    p.add_argument('--write', metavar='PATH', default=None,
                   help="replace the '%s' section of this Markdown report" % common.MPI_HEADING)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--result-file', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.ranks < 2:
        p.error('--ranks must be >= 2')
    args.networks = QUICK_NETWORKS if args.quick else NETWORKS
    if args.only:
        args.networks = common.names_option(p, args.only, NETWORKS)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 11
    if args.repeat < 1:
        p.error('--repeat must be >= 1')
    return args


def find_mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), 'mpiexec')
    return beside if os.access(beside, os.X_OK) else shutil.which('mpiexec')


def main(argv=None):
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    if args.child:
        return child(args)
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise SystemExit("bench_mpi: no mpiexec found; pip install 'keisan[mpi]'")
    forwarded = ['--child', '--ranks', str(args.ranks), '--repeat', str(args.repeat),
                 '--only', ','.join(args.networks), '--seed', str(args.seed)]
    forwarded += ['--quick'] * args.quick + ['--no-torch'] * args.no_torch
    common.progress('[bench_mpi] mpiexec -n %d, 1 BLAS thread per process ...' % args.ranks)
    result = common.run_child(os.path.abspath(__file__), forwarded, common.thread_env(1),
                              launcher=[mpiexec, '-n', str(args.ranks)])
    print(text_report(result))
    if args.write:
        argv_text = ' '.join(sys.argv[1:] if argv is None else argv)
        common.write_section(args.write, common.MPI_HEADING, markdown_report(result, argv_text))
        print('wrote the %r section of %s' % (common.MPI_HEADING, args.write))
    return 0


# ----- the MPI job ------------------------------------------------------------------------
class Sampler:
    """Interleaved timing of collective callables, decided by rank 0 for every process."""

    def __init__(self, comm, repeat, warmup, target_s):
        self.comm, self.repeat, self.warmup, self.target_s = comm, repeat, warmup, target_s

    def rest(self):
        """Wait for every process asleep (a polled Ibarrier), then a pause so that spinning
        BLAS and OpenMP threads of the last sample have gone idle."""
        request = self.comm.mpi_comm.Ibarrier()
        while not request.Test():
            time.sleep(0.0002)
        time.sleep(PAUSE_S)

    def medians(self, fns):
        """{label: median seconds per call} of ``fns``: label -> (callable, alone), where
        ``alone`` callables run on rank 0 only (the others rest)."""
        def run(label, calls):
            fn, alone = fns[label]
            self.rest()
            start = time.perf_counter()
            if not alone or self.comm.rank == 0:
                for _ in range(calls):
                    fn()
            return (time.perf_counter() - start) / calls
        labels = list(fns)
        best = {label: min(run(label, 1) for _ in range(self.warmup)) for label in labels}
        calls = self.comm.bcast_obj({label: max(1, int(self.target_s / max(t, 1e-7)))
                                     for label, t in best.items()})
        samples = {label: [] for label in labels}
        for r in range(self.repeat):
            k = r % len(labels)
            for label in labels[k:] + labels[:k]:
                samples[label].append(run(label, calls[label]))
        return {label: statistics.median(s) for label, s in samples.items()}


def child(args):
    import mpi4py
    import numpy as np
    from mpi4py import MPI

    import keisan.optimizers as O
    from keisan import distributed as D
    from keisan.training import build_model, default_model_args, model_input_shape

    comm = D.create_communicator()
    size, rank = comm.size, comm.rank
    sampler = Sampler(comm, args.repeat, 2 if args.quick else 3, 0.1 if args.quick else 0.3)
    torch = None
    if rank == 0 and not args.no_torch:
        try:
            import torch
            torch.set_num_threads(size)
        except ImportError:
            common.progress('[bench_mpi] PyTorch is not installed: no PyTorch column')
    info = common.machine_info(with_torch=torch is not None)
    rows = []
    for name in args.networks:
        common.progress('[bench_mpi:%d] %s' % (rank, name))
        shape = model_input_shape(name, default_model_args(name))
        rng = np.random.default_rng(args.seed + 1)
        x = rng.random((GLOBAL_BATCH,) + shape).astype(np.float32)
        t = rng.integers(0, 10, GLOBAL_BATCH)
        lo, hi = D.share_bounds(GLOBAL_BATCH, size, rank)
        np.random.seed(args.seed)
        alone, together = build_model(name), build_model(name)
        plain = O.SGD(lr=0.01)
        multi = D.create_multi_node_optimizer(O.SGD(lr=0.01), comm)
        comm.bcast_data(together)

        def one_process():
            plain.update(alone.params, alone.gradient(x, t))

        def all_processes():
            multi.update(together.params, together.gradient(x[lo:hi], t[lo:hi]),
                         examples=hi - lo)

        params = dict(together.params)
        grads = {key: np.ones_like(p) for key, p in params.items()}
        fns = {'1': (one_process, True), 'N': (all_processes, False),
               'allreduce_grad': (lambda: comm.allreduce_grad(params, grads), False)}
        torch_step = make_torch_step(torch, name, x, t) if torch is not None else None
        has_torch = comm.bcast_obj(torch_step is not None)
        if has_torch:
            fns['torch'] = (torch_step, True)
        row = {'network': name, 'params': int(together.count_params())}
        row.update(sampler.medians(fns))
        rows.append(row)
    common.progress('[bench_mpi:%d] allreduce against message size' % rank)
    messages = []
    for n in MESSAGE_ELEMENTS[::3] if args.quick else MESSAGE_ELEMENTS:
        buffer = np.ones(n, np.float32)
        fn = (lambda b=buffer: comm.mpi_comm.Allreduce(MPI.IN_PLACE, b, MPI.SUM))
        messages.append({'bytes': 4 * n, 'seconds': sampler.medians({'m': (fn, False)})['m']})
    if rank == 0:
        common.write_result(args.result_file, {
            'ranks': size, 'repeat': args.repeat, 'quick': args.quick, 'info': info,
            'mpi': MPI.Get_library_version().splitlines()[0].strip(),
            'mpi4py': mpi4py.__version__, 'rows': rows, 'messages': messages})
    return 0


def make_torch_step(torch, name, x, t):
    """One PyTorch SGD step of ``name``'s twin on the whole batch, or None if it has
    none (batch normalization)."""
    import torch.nn.functional as tF

    from keisan.training import build_model
    try:
        model, _ = common.torch_twin(build_model(name))
    except NotImplementedError:
        return None
    model.train()
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad(set_to_none=True)
        tF.cross_entropy(model(xt), tt).backward()
        opt.step()
    return step


# ----- reports ------------------------------------------------------------------------------
def speed_rows(result):
    n = result['ranks']
    out = []
    for row in result['rows']:
        speedup = row['1'] / row['N']
        torch_ratio = row['N'] / row['torch'] if row.get('torch') else None
        share = row['allreduce_grad'] / row['N']
        marks = []
        if row['network'] in SPEEDUP_TARGETS:
            goal = SPEEDUP_TARGETS[row['network']]
            marks.append('>= %.1fx %s' % (goal, 'ok' if speedup >= goal else 'MISS'))
        if row['network'] in TORCH_TARGETS and torch_ratio is not None:
            goal = TORCH_TARGETS[row['network']]
            marks.append('torch <= %.1f %s' % (goal, 'ok' if torch_ratio <= goal else 'MISS'))
        out.append([row['network'], '%d' % row['params'], common.fmt_ms(row['1']),
                    common.fmt_ms(row['N']), '%.0f' % (GLOBAL_BATCH / row['1']),
                    '%.0f' % (GLOBAL_BATCH / row['N']), '%.2f' % speedup,
                    common.fmt_ms(row.get('torch')),
                    '-' if torch_ratio is None else '%.2f' % torch_ratio,
                    common.fmt_ms(row['allreduce_grad']), '%.1f%%' % (100 * share),
                    ', '.join(marks) or '-'])
    header = ['network', 'parameters', '1 process (ms)', '%d processes (ms)' % n,
              'images/s 1', 'images/s %d' % n, 'speedup', 'PyTorch %d threads (ms)' % n,
              'ratio %d proc/torch' % n, 'gradient allreduce (ms)', 'share of step', 'target']
    return header, out


def message_rows(result):
    header = ['message', 'Allreduce (us)', 'bandwidth (GB/s)']
    rows = [[human_bytes(m['bytes']), '%.1f' % (m['seconds'] * 1e6),
             '%.2f' % (m['bytes'] / m['seconds'] / 1e9)] for m in result['messages']]
    return header, rows


def human_bytes(n):
    for unit in ('B', 'KiB', 'MiB'):
        if n < 1024 or unit == 'MiB':
            return '%d %s' % (n, unit)
        n //= 1024


def ring_allreduce(ranks, nbytes, bandwidth, latency):
    """Seconds of a ring allreduce: 2(N-1) messages of S/N bytes each way round."""
    return 2 * (ranks - 1) * latency + 2 * (ranks - 1) / ranks * nbytes / bandwidth


def efficiency(compute, ranks, nbytes, link):
    _, bandwidth, latency = link
    return compute / (compute + ring_allreduce(ranks, nbytes, bandwidth, latency))


def stops_scaling(compute, nbytes, link):
    """The smallest power-of-two rank count where communication exceeds computation."""
    ranks = 2
    while ranks <= 2 ** 16:
        if efficiency(compute, ranks, nbytes, link) < 0.5:
            return str(ranks)
        ranks *= 2
    return '> 65536'


def cost_model_rows(result, link):
    header = ['network', 'gradient (MB)', 'compute (ms)']
    header += ['%d ranks: allreduce ms / efficiency' % n for n in MODEL_RANKS]
    header += ['communication > compute from']
    rows = []
    for row in result['rows']:
        nbytes, compute = 4 * row['params'], row['1']
        cells = [row['network'], '%.2f' % (nbytes / 1e6), common.fmt_ms(compute)]
        for n in MODEL_RANKS:
            seconds = ring_allreduce(n, nbytes, link[1], link[2])
            cells.append('%s / %.0f%%' % (common.fmt_ms(seconds),
                                         100 * efficiency(compute, n, nbytes, link)))
        cells.append(stops_scaling(compute, nbytes, link) + ' ranks')
        rows.append(cells)
    return header, rows


def text_report(result):
    lines = ['=== %d processes, 1 BLAS thread each ===' % result['ranks']]
    lines += common.describe_machine(result['info']) + common.describe_threads(result['info'])
    lines += ['MPI: %s; mpi4py %s' % (result['mpi'], result['mpi4py']), '',
              'training step, global batch %d (median of %d samples):' % (
                  GLOBAL_BATCH, result['repeat']),
              common.text_table(*speed_rows(result)), '', 'Allreduce against message size:',
              common.text_table(*message_rows(result))]
    for link in LINKS:
        lines += ['', 'cost model, %s (%.0f us per message):' % (link[0], link[2] * 1e6),
                  common.text_table(*cost_model_rows(result, link))]
    return '\n'.join(lines)


COST_MODEL_TEXT = '''### Cost model for many machines

A data-parallel step is compute followed by one allreduce of the gradients (keisan does
not overlap them). A ring allreduce of S bytes over N processes sends 2(N−1) messages of
S/N bytes per process: T = 2(N−1)·α + 2(N−1)/N · S/β, with α the latency of one message
and β the link's bandwidth. Below, each process keeps 100 images per step (weak scaling:
the global batch grows with N, which needs its own learning rate, not modelled), its
compute is the 1-process step measured above on one core of this machine, S is 4 bytes
per parameter (float32), α is 25 µs on 10 Gbit/s Ethernet (TCP) and 2 µs on 100 Gbit/s
InfiniBand, and β the nominal rate. Efficiency = compute / (compute + allreduce): the
share of ideal N-fold throughput. The bandwidth term is bounded by 2·S/β whatever N,
so what stops scaling is the latency term, linear in N for a ring: the throughput tends to
100 images / 2α per step however many processes join. MPI libraries switch to recursive
doubling or reduce-scatter/allgather (2·log2 N latency terms) for such small messages, so
past a few hundred processes the ring is pessimistic; the bandwidth term is the same.'''


def markdown_report(result, argv_text):
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    out = [common.MPI_HEADING, '',
           'Measured %s by `python3 bench/bench_mpi.py %s` (see the script\'s docstring): '
           '%d processes started by mpiexec, 1 BLAS thread each; the networks of `keisan '
           'train`, float32, global batch %d, SGD, the book API; medians of %d interleaved '
           'samples.' % (now, argv_text, result['ranks'], GLOBAL_BATCH, result['repeat']), '']
    out += ['- ' + line for line in common.describe_machine(result['info'])
            + common.describe_threads(result['info'])]
    out += ['- MPI: %s; mpi4py %s' % (result['mpi'], result['mpi4py']), '',
            common.markdown_table(*speed_rows(result)), '',
            '`1 process`: rank 0 alone on the whole batch, the others asleep; `%d processes`: '
            'each its share and one gradient allreduce (`MultiNodeOptimizer`); PyTorch: rank 0 '
            'alone at %d threads; `gradient allreduce`: one `allreduce_grad` of the model '
            '(pack, in-place Allreduce, unpack).' % (result['ranks'], result['ranks']), '',
            'Allreduce (in place, float32) against message size, %d processes:'
            % result['ranks'], '', common.markdown_table(*message_rows(result)), '',
            COST_MODEL_TEXT, '']
    for link in LINKS:
        out += ['%s (α = %.0f µs, β = %.2f GB/s):' % (link[0], link[2] * 1e6, link[1] / 1e9),
                '', common.markdown_table(*cost_model_rows(result, link)), '']
    return '\n'.join(out) + '\n'


if __name__ == '__main__':
    sys.exit(main())
