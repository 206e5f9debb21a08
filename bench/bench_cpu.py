#!/usr/bin/env python3
"""CPU speed of keisan (book API and define-by-run) against PyTorch on the seed networks.

    python3 bench/bench_cpu.py [--threads 1,2] [--quick] [--repeat N]
                               [--only NAME,...] [--write docs/BENCHMARKS.md]
                               [--coretype-compare] [--pause SECONDS]

For each thread count the script runs itself again as a child process (one
at a time) with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS set
before NumPy and PyTorch are imported, and torch.set_num_threads(n). Each
child first checks that keisan and PyTorch compute the same loss, gradients
and scores on the same weights (the correctness guard), then times, in
alternating samples, the median of:

* train <net>: one training step at batch 100 (forward, backward, SGD lr=0.01)
  of TwoLayerNet, MultiLayerNet 784-100x6-10, SimpleConvNet, DeepConvNet;
* infer <net>: scores of a batch of 1000 in inference mode;
* op ...: forward+backward of one tiny op through each autograd (per-op overhead).

Peak memory of 20 SimpleConvNet training steps is measured in separate fresh
child processes, one per framework. Names for --only: two_layer, mlp,
simple_conv, deep_conv (training, inference and guard rows of that network),
ops, memory. See bench/README.md for how to read the output.
"""
import argparse
import datetime
import os
import sys

import common

NETWORK_NAMES = ('two_layer', 'mlp', 'simple_conv', 'deep_conv')
SECTIONS = NETWORK_NAMES + ('ops', 'memory')
QUICK_INFERENCE = ('mlp', 'simple_conv')
MEMORY_FRAMEWORKS = ('keisan-book', 'keisan-dbr', 'torch')
TRAIN_BATCH, INFER_BATCH, MEMORY_STEPS = 100, 1000, 20
COLUMNS = ('book', 'dbr', 'torch')
HEADER = ['row', 'keisan book API (ms)', 'keisan define-by-run (ms)', 'PyTorch (ms)',
          'ratio book/torch', 'ratio dbr/torch', 'spread', 'target']
#: The speed targets (ratio keisan / PyTorch, the slower API): the first speed round's,
#: and at one thread the second round's for DeepConvNet and every inference row.
TRAIN_TARGETS = {'two_layer': 0.8, 'mlp': 1.0, 'simple_conv': 1.5, 'deep_conv': 2.0}
INFER_TARGET = 1.5
ONE_THREAD_TARGETS = {'train deep_conv': 1.2, 'infer': 1.0}
LOG_HEADING = '## Optimization log'
LOG_PLACEHOLDER = LOG_HEADING + """

_Record each optimization of keisan here (date, change, the rows it moved, before/after
numbers from this benchmark on the same machine and thread count). `--write` keeps this
section verbatim when it regenerates the tables above._
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--threads', default='1,2',
                   help='comma-separated thread counts, each timed in its own child '
                        '(default 1,2)')
    p.add_argument('--quick', action='store_true',
                   help='fewer samples, shorter samples, inference of mlp and simple_conv only')
    p.add_argument('--repeat', type=int, default=None,
                   help='timed samples per framework and row (default 15, quick 5)')
    p.add_argument('--only', default=None,
                   help='comma-separated subset of: %s' % ', '.join(SECTIONS))
    p.add_argument('--write', metavar='PATH', default=None,
                   help='also write a Markdown report (keeps its "%s" section)' % LOG_HEADING)
    p.add_argument('--coretype-compare', action='store_true',
                   help='if OPENBLAS_CORETYPE is set, time again with it unset '
                        '(a BLAS setting, reported separately)')
    p.add_argument('--pause', type=float, default=None,
                   help='seconds to sleep before each sample when threads > 1, so the other '
                        "library's spinning worker threads are idle (default 0.15; 0 at 1 "
                        'thread)')
    p.add_argument('--seed', type=int, default=0)
    # internal: how the parent starts its children
    p.add_argument('--child', choices=('timing', 'memory'), help=argparse.SUPPRESS)
    p.add_argument('--framework', choices=MEMORY_FRAMEWORKS, help=argparse.SUPPRESS)
    p.add_argument('--result-file', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        args.thread_counts = [int(n) for n in args.threads.split(',') if n.strip()]
    except ValueError:
        p.error('--threads: expected comma-separated integers, got %r' % args.threads)
    if not args.thread_counts or min(args.thread_counts) < 1:
        p.error('--threads: thread counts must be >= 1')
    args.sections = SECTIONS if args.only is None else \
        common.names_option(p, args.only, SECTIONS)
    if args.repeat is None:
        args.repeat = 5 if args.quick else 15
    if args.repeat < 1:
        p.error('--repeat must be >= 1')
    return args


def child_args(args, kind, threads, framework=None):
    out = ['--child', kind, '--threads', str(threads), '--repeat', str(args.repeat),
           '--seed', str(args.seed), '--only', ','.join(args.sections)]
    if args.quick:
        out.append('--quick')
    if args.pause is not None:
        out += ['--pause', str(args.pause)]
    if framework:
        out += ['--framework', framework]
    return out


# ----- parent: start children, print, write ------------------------------------------
def main(argv=None):
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)     # tables between the children's progress
    if args.child == 'timing':
        return timing_child(args)
    if args.child == 'memory':
        return memory_child(args)

    script = os.path.abspath(__file__)
    networks = [s for s in args.sections if s in NETWORK_NAMES]
    runs = []
    if networks or 'ops' in args.sections:
        for n in args.thread_counts:
            common.progress('[bench] timing with %d thread(s) ...' % n)
            result = common.run_child(script, child_args(args, 'timing', n), common.thread_env(n))
            runs.append(result)
            print(format_run(result))
            print()
    coretype_runs = []
    if args.coretype_compare:
        coretype = os.environ.get('OPENBLAS_CORETYPE')
        if not coretype:
            print('--coretype-compare: OPENBLAS_CORETYPE is not set, nothing to compare.\n')
        else:
            for n in args.thread_counts:
                common.progress('[bench] timing with %d thread(s), OPENBLAS_CORETYPE unset ...'
                                % n)
                result = common.run_child(script, child_args(args, 'timing', n),
                                          common.thread_env(n, unset=['OPENBLAS_CORETYPE']))
                result['coretype_note'] = ('BLAS setting comparison: OPENBLAS_CORETYPE=%s '
                                           'removed (not a change to keisan)' % coretype)
                coretype_runs.append(result)
                print(result['coretype_note'])
                print(format_run(result))
                print()
    memory = None
    if 'memory' in args.sections:
        n = args.thread_counts[0]
        memory = {}
        for fw in MEMORY_FRAMEWORKS:
            common.progress('[bench] peak memory of %s (%d thread(s)) ...' % (fw, n))
            memory[fw] = common.run_child(script, child_args(args, 'memory', n, fw),
                                          common.thread_env(n))
        print(format_memory(memory, n))
        print()
    if args.write:
        argv_text = ' '.join(sys.argv[1:] if argv is None else argv)
        write_report(args.write, runs, memory, coretype_runs, argv_text)
        print('wrote %s' % args.write)
    failed = [g['network'] for run in runs for g in run['guards'] if not g['ok']]
    return 1 if failed else 0


def row_cells(row, threads):
    stats = [row.get(c) for c in COLUMNS]
    med = [s['median'] if s else None for s in stats]
    spread = max(((s['q3'] - s['q1']) / s['median'] for s in stats if s), default=0.0)
    label = ('!! ' if row.get('guard_failed') else '') + row['label']
    return [label, common.fmt_ms(med[0]), common.fmt_ms(med[1]), common.fmt_ms(med[2]),
            common.fmt_ratio(med[0], med[2]), common.fmt_ratio(med[1], med[2]),
            '%.0f%%' % (100 * spread), target_cell(row['label'], med, threads)]


def target_cell(label, medians, threads):
    """'<= 1.5 ok' / '<= 1.5 MISS' for a row with a target (judged on the slower API)."""
    kind, name = (label.split() + ['', ''])[:2]
    target = TRAIN_TARGETS.get(name) if kind == 'train' else \
        INFER_TARGET if kind == 'infer' else None
    if threads == 1 and target is not None:
        target = ONE_THREAD_TARGETS.get('%s %s' % (kind, name),
                                        ONE_THREAD_TARGETS.get(kind, target))
    book, dbr, torch = medians
    if target is None or not torch:
        return '-'
    worst = max(v for v in (book, dbr) if v is not None) / torch
    return '<= %.1f %s' % (target, 'ok' if worst <= target else 'MISS')


GUARD_HEADER = ['network', 'loss keisan', 'loss torch', 'f32 fwd err/tol', 'f64 all err/tol',
                'f32 grad err/tol', 'worst at', 'status']


def guard_cells(g):
    if not g['ok']:
        status = '!! MISMATCH'
    elif g['grad32_tol_ratio'] > 1.0:
        status = 'ok (f32 grads: near-tie)'
    else:
        status = 'ok'
    return [g['network'], '%.6f' % g['loss_keisan'], '%.6f' % g['loss_torch'],
            '%.3f' % g['fwd32_tol_ratio'], '%.3f' % g['all64_tol_ratio'],
            '%.3f' % g['grad32_tol_ratio'], g['worst_at'], status]


GUARD_NOTE = ('correctness guard, allclose(rtol=%g, atol=%g), err/tol <= 1 passes, dropout off: '
              'float32 losses and scores and float64 losses, scores and all gradients must '
              'agree; float32 gradients are shown, not judged (a ReLU or max-pool decision '
              'between near-tied values can flip with rounding)' % (common.RTOL, common.ATOL))


FLOOR_HEADER = ['row', 'GFLOP per step', 'floor (ms)', 'book / floor', 'dbr / floor',
                'PyTorch / floor']


def floor_note(run):
    return ('floor = GEMM FLOP of the step / NumPy\'s float32 GEMM rate at %d thread(s), '
            'measured in the same run: %.0f GFLOP/s (1024 x 1024 products); x / floor is how '
            'many times its floor a step takes' % (run['threads'], run['gemm_rate'] / 1e9))


def floor_rows(run):
    rows = []
    for row in run['rows']:
        if not row.get('flops'):
            continue
        floor = row['flops'] / run['gemm_rate']
        cells = [row[c]['median'] / floor if row.get(c) else None for c in COLUMNS]
        rows.append([row['label'], '%.2f' % (row['flops'] / 1e9), common.fmt_ms(floor)]
                    + ['-' if c is None else '%.2f' % c for c in cells])
    return rows


def sampling(run):
    return ('median of %d samples per cell (%s mode), pause %.2f s before each sample'
            % (run['repeat'], 'quick' if run['quick'] else 'full', run['pause_s']))


def format_run(run):
    """Plain-text report of one timing child."""
    n = run['threads']
    lines = ['=== %d thread(s) ===' % n] + common.describe_machine(run['info']) + \
        common.describe_threads(run['info'])
    bad = [g for g in run['guards'] if not g['ok']]
    for g in bad:
        lines.append('!!!! WARNING: keisan and PyTorch DISAGREE on %s (at %s): its rows '
                     'compare different work !!!!' % (g['network'], g['worst_at']))
    if run['guards']:
        lines += ['', GUARD_NOTE + ':',
                  common.text_table(GUARD_HEADER, [guard_cells(g) for g in run['guards']])]
    lines += ['', '%s; ratio = keisan / PyTorch (< 1: keisan faster); spread = largest '
              '(q3 - q1) / median of the row' % sampling(run),
              common.text_table(HEADER, [row_cells(r, run['threads']) for r in run['rows']])]
    floors = floor_rows(run)
    if floors:
        lines += ['', floor_note(run) + ':', common.text_table(FLOOR_HEADER, floors)]
    return '\n'.join(lines)


MEMORY_HEADER = ['framework', 'RSS after setup (MiB)', 'peak RSS (MiB)', 'peak growth (MiB)',
                 'tracemalloc peak (MiB)']


def memory_cells(fw, m):
    mib = 1024.0
    return [fw, '%.1f' % (m['rss_setup_kib'] / mib), '%.1f' % (m['peak_rss_kib'] / mib),
            '%.1f' % (m['growth_kib'] / mib),
            '-' if m.get('tracemalloc_peak') is None
            else '%.1f' % (m['tracemalloc_peak'] / 2 ** 20)]


def memory_intro(n):
    return ('peak memory: SimpleConvNet, batch %d, %d SGD steps, %d thread(s), one fresh process '
            'per framework. growth = peak RSS (ru_maxrss) - RSS after imports and model/data '
            'construction; tracemalloc = peak of Python + NumPy allocations during another %d '
            'steps (keisan only; PyTorch allocations are invisible to it). Absolute RSS '
            'includes each library\'s code (PyTorch\'s is far larger).'
            % (TRAIN_BATCH, MEMORY_STEPS, n, MEMORY_STEPS))


def format_memory(memory, n):
    return '\n'.join([memory_intro(n), common.text_table(
        MEMORY_HEADER, [memory_cells(fw, m) for fw, m in memory.items()])])


# ----- Markdown report ------------------------------------------------------------------
def markdown_report(runs, memory, coretype_runs, argv_text, kept=None):
    """The report as Markdown; ``kept`` maps headings of sections to carry over verbatim
    (the time-to-accuracy and MPI results, the optimization log) to their text or None."""
    kept = kept or {}
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    out = ['# Benchmarks: keisan vs PyTorch on CPU', '',
           'Generated %s by `python3 bench/bench_cpu.py %s`. Times are medians of interleaved '
           'samples after warm-up; ratio = keisan / PyTorch (below 1: keisan is faster). '
           'Rows and caveats are explained in [bench/README.md](../bench/README.md).'
           % (now, argv_text), '']
    info = runs[0]['info'] if runs else (coretype_runs[0]['info'] if coretype_runs else None)
    if info:
        out += ['## Machine', ''] + ['- ' + line for line in common.describe_machine(info)] + ['']

    def run_section(run, title):
        sec = ['## ' + title, ''] + ['- ' + line for line in common.describe_threads(run['info'])]
        sec += ['- ' + sampling(run), '']
        for g in run['guards']:
            if not g['ok']:
                sec += ['**WARNING: keisan and PyTorch disagree on %s (%s): its rows compare '
                        'different work.**' % (g['network'], g['worst_at']), '']
        rows = [row_cells(r, run['threads']) for r in run['rows']]
        sec += [common.markdown_table(HEADER, rows), '']
        floors = floor_rows(run)
        if floors:
            sec += [floor_note(run) + ':', '', common.markdown_table(FLOOR_HEADER, floors), '']
        return sec

    for run in runs:
        out += run_section(run, '%d thread%s' % (run['threads'], 's' if run['threads'] > 1
                                                  else ''))
    if runs and any(run['guards'] for run in runs):
        out += ['## Correctness guard', '',
                'Before timing, each child compares keisan (both APIs) with PyTorch on the '
                'same weights and batch: ' + GUARD_NOTE + '.', '']
        header = ['threads'] + GUARD_HEADER
        rows = [[run['threads']] + guard_cells(g) for run in runs for g in run['guards']]
        out += [common.markdown_table(header, rows), '']
    if memory:
        n = next(iter(memory.values()))['threads']
        out += ['## Peak memory', '', memory_intro(n), '',
                common.markdown_table(MEMORY_HEADER,
                                      [memory_cells(fw, m) for fw, m in memory.items()]), '']
    for run in coretype_runs:
        out += run_section(run, '%d thread(s), %s' % (run['threads'], run['coretype_note']))
    text = '\n'.join(out) + '\n'
    for heading in (common.TTA_HEADING, common.MPI_HEADING):
        section = kept.get(heading)
        if section is not None:
            text += section if section.endswith('\n\n') else section.rstrip('\n') + '\n\n'
    log_section = kept.get(LOG_HEADING)
    return text + (log_section if log_section is not None else LOG_PLACEHOLDER)


def write_report(path, runs, memory, coretype_runs, argv_text):
    """Write the report to ``path``, keeping its time-to-accuracy and log sections."""
    kept = {}
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            old = f.read()
        kept = {h: common.extract_section(old, h)
                for h in (common.TTA_HEADING, common.MPI_HEADING, LOG_HEADING)}
    text = markdown_report(runs, memory, coretype_runs, argv_text, kept)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


# ----- children ---------------------------------------------------------------------------
def timing_child(args):
    import numpy as np
    import torch
    import torch.nn.functional as tF

    import keisan
    import keisan.functions as F
    import keisan.optimizers as O

    n = args.thread_counts[0]
    common.set_torch_threads(n)
    info = common.machine_info()
    pause = args.pause if args.pause is not None else (0.15 if n > 1 else 0.0)
    timing = dict(repeat=args.repeat, warmup=2 if args.quick else 3,
                  target_s=0.02 if args.quick else 0.05, pause_s=pause if n > 1 else 0.0)
    networks = [s for s in args.sections if s in NETWORK_NAMES]
    seed = args.seed

    guards = []
    for name in networks:
        common.progress('[bench:%d] correctness guard %s' % (n, name))
        guards.append(common.check_network(name, seed))
    failed = {g['network'] for g in guards if not g['ok']}

    def train_row(name):
        nets = [common.make_net(name, seed) for _ in range(3)]
        book_net, dbr_net, twin_net = nets
        model, _ = common.torch_twin(twin_net)
        model.train()
        x, t = common.make_batch(name, TRAIN_BATCH, seed + 1)
        xt, tt = common.torch_batch(x, t)
        book_opt = O.SGD(lr=0.01)
        dbr_opt = O.SGD(lr=0.01)
        dbr_opt.setup(dbr_net)
        torch_opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def book():
            grads = book_net.gradient(x, t)
            book_opt.update(book_net.params, grads)

        def dbr():
            dbr_net.cleargrads()
            loss = dbr_net.forward_loss(x, t)
            loss.backward()
            dbr_opt.update()

        def pytorch():
            torch_opt.zero_grad(set_to_none=True)
            loss = tF.cross_entropy(model(xt), tt)
            loss.backward()
            torch_opt.step()
        return book, dbr, pytorch

    def infer_row(name):
        net = common.make_net(name, seed)
        model, _ = common.torch_twin(net)
        model.eval()
        x, _ = common.make_batch(name, INFER_BATCH, seed + 2)
        xt = torch.from_numpy(x)

        def book():
            net.predict(x)

        def dbr():
            with keisan.no_grad(), keisan.test_mode():
                net(x)

        def pytorch():
            with torch.inference_mode():
                model(xt)
        return book, dbr, pytorch

    def op_rows():
        rng = np.random.default_rng(seed)
        v = rng.random(10, dtype=np.float32)
        kx = keisan.Variable(v.copy())
        tx = torch.from_numpy(v.copy()).requires_grad_(True)

        def small_dbr():
            kx.cleargrad()
            F.sum(kx * kx).backward()

        def small_torch():
            tx.grad = None
            (tx * tx).sum().backward()

        a, b = rng.random((2, 100, 100), dtype=np.float32)
        ka, kb = keisan.Variable(a.copy()), keisan.Variable(b.copy())
        ta = torch.from_numpy(a.copy()).requires_grad_(True)
        tb = torch.from_numpy(b.copy()).requires_grad_(True)

        def mm_dbr():
            ka.cleargrad()
            kb.cleargrad()
            F.sum(F.matmul(ka, kb)).backward()

        def mm_torch():
            ta.grad = tb.grad = None
            (ta @ tb).sum().backward()
        return [('op sum(x*x), x (10,), fwd+bwd', None, small_dbr, small_torch),
                ('op sum(a@b), 100x100, fwd+bwd', None, mm_dbr, mm_torch)]

    jobs = [('train %s (batch %d)' % (name, TRAIN_BATCH), name, train_row)
            for name in networks]
    jobs += [('infer %s (batch %d)' % (name, INFER_BATCH), name, infer_row)
             for name in networks if not args.quick or name in QUICK_INFERENCE]
    rows = []
    for label, name, build in jobs:
        common.progress('[bench:%d] %s' % (n, label))
        fns = dict(zip(COLUMNS, build(name)))
        row = {'label': label, 'network': name, 'guard_failed': name in failed}
        if build is train_row:
            row['flops'] = common.training_flops(common.make_net(name, seed),
                                                 common.INPUT_SHAPES[name], TRAIN_BATCH)
        row.update(common.interleaved_median(fns, **timing))
        rows.append(row)
    if 'ops' in args.sections:
        for label, book, dbr, pytorch in op_rows():
            common.progress('[bench:%d] %s' % (n, label))
            row = {'label': label, 'network': None, 'book': None}
            row.update(common.interleaved_median({'dbr': dbr, 'torch': pytorch}, **timing))
            rows.append(row)
    common.progress('[bench:%d] float32 GEMM rate' % n)
    common.write_result(args.result_file, {
        'threads': n, 'repeat': args.repeat, 'quick': args.quick, 'pause_s': timing['pause_s'],
        'info': info, 'guards': guards, 'rows': rows, 'gemm_rate': common.gemm_rate()})
    return 0


def memory_child(args):
    """Peak RSS growth of MEMORY_STEPS SimpleConvNet training steps for one framework."""
    import tracemalloc

    n = args.thread_counts[0]
    fw = args.framework
    x, t = common.make_batch('simple_conv', TRAIN_BATCH, args.seed + 1)
    net = common.make_net('simple_conv', args.seed)
    if fw == 'torch':
        import torch
        import torch.nn.functional as tF
        common.set_torch_threads(n)
        model, _ = common.torch_twin(net)
        model.train()
        xt, tt = common.torch_batch(x, t)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = tF.cross_entropy(model(xt), tt)
            loss.backward()
            opt.step()
    else:
        import keisan.optimizers as O
        opt = O.SGD(lr=0.01)
        if fw == 'keisan-book':
            def step():
                opt.update(net.params, net.gradient(x, t))
        else:
            opt.setup(net)

            def step():
                net.cleargrads()
                net.forward_loss(x, t).backward()
                opt.update()
    rss_setup = common.rss_kib()
    peak_before = common.peak_rss_kib()
    for _ in range(MEMORY_STEPS):
        step()
    peak = common.peak_rss_kib()
    traced = None
    if fw != 'torch':
        tracemalloc.start()
        for _ in range(MEMORY_STEPS):
            step()
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    common.write_result(args.result_file, {
        'framework': fw, 'threads': n, 'rss_setup_kib': rss_setup,
        'peak_before_kib': peak_before, 'peak_rss_kib': peak,
        'growth_kib': max(0, peak - rss_setup), 'tracemalloc_peak': traced})
    return 0


if __name__ == '__main__':
    sys.exit(main())
