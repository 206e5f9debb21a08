"""Communicator: the processes of an MPI job (mpi4py), as ChainerMN's communicator.

    comm = create_communicator()         # every process started by mpiexec
    comm.rank, comm.size                 # this process, how many there are
    comm.bcast_data(model)               # parameters and statistics from rank 0
    grads = comm.allreduce_grad(params, grads)   # averaged, in few large messages
    comm.allreduce(np.array([loss]))     # a sum over the processes (op='mean', ...)

Arrays travel packed (:mod:`keisan.distributed.packing`): all gradients of a step in
one contiguous buffer per dtype (64 MiB at most), one in-place ``Allreduce`` each.

**Failures.** A process that raises while the others wait in a collective would
leave them waiting forever; :meth:`Communicator.run` makes that impossible. Until
training starts, every check that involves all processes (:meth:`agree`,
:meth:`check_same`) is also the place where a process that failed before it reports
its error, so that every process stops there, rank 0 prints one message and none
writes anything. Once a process may be inside a collective (training has started,
or a broadcast is under way), a failure prints its traceback and calls
``MPI_Abort``, which ends the whole job.

mpi4py is optional (``pip install 'keisan[mpi]'``); it is imported only here, by
:func:`create_communicator`.
"""
import contextlib
import math
import numbers
import os
import socket
import sys
import time
import traceback
from collections.abc import Mapping

import numpy as np

from keisan.core.variable import Variable
from keisan.distributed.packing import DEFAULT_BUCKET_BYTES, Buckets, layout_of
from keisan.kernels import threads

__all__ = ['CollectiveError', 'Communicator', 'MismatchError', 'PeerError',
           'create_communicator', 'launched_communicator', 'launcher_size']

#: Environment variables through which MPI launchers tell a process how many were started:
#: Open MPI's mpiexec; MPICH's and Intel MPI's hydra and Slurm's srun (PMI); PMIx
#: (srun --mpi=pmix, whose count is Slurm's).
LAUNCHER_SIZE_VARIABLES = ('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'SLURM_STEP_NUM_TASKS')
LAUNCHER_MARKERS = ('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMI_RANK', 'PMIX_RANK')

#: Variables through which a user sets the BLAS's threads (then :meth:`share_cores` keeps out).
THREAD_VARIABLES = ('OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'OMP_NUM_THREADS',
                    'MKL_NUM_THREADS')

INSTALL_HINT = "pip install 'keisan[mpi]' (mpi4py and MPICH, from wheels)"
#: Seconds a failing process waits, its output flushed, before ``MPI_Abort``.
ABORT_GRACE_SECONDS = 0.5


class CollectiveError(Exception):
    """An error that every process raised at the same point, from the same information
    (after an agreement): every process can stop without waiting for the others."""

    status = 2


class MismatchError(CollectiveError, ValueError):
    """The processes were given different settings (:meth:`Communicator.check_same`)."""


class PeerError(CollectiveError):
    """Another process failed; it reported its error at an agreement.

    Attributes: ``rank`` (of the process that failed first), ``status`` (the exit
    status it ends with: 2 for a user error, 1 for another exception, ...).
    """

    def __init__(self, rank, status, message):
        super().__init__('rank %d: %s' % (rank, message))
        self.rank, self.status = rank, status


def launcher_size(environ=None):
    """How many processes an MPI launcher started, from its environment: an int, 0 if
    a launcher is seen without a count, None if none is seen (a plain process)."""
    environ = os.environ if environ is None else environ
    if not any(name in environ for name in LAUNCHER_MARKERS):
        return None
    for name in LAUNCHER_SIZE_VARIABLES:
        try:
            return int(environ[name])
        except (KeyError, ValueError):
            continue
    return 0


def _import_mpi(where):
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError('%s needs mpi4py, which is not installed (%s): %s'
                          % (where, e, INSTALL_HINT)) from None
    return MPI


def create_communicator(mpi_comm=None, bucket_bytes=DEFAULT_BUCKET_BYTES):
    """A :class:`Communicator` over ``mpi_comm`` (default: every process of the job,
    ``MPI.COMM_WORLD``).

    ``bucket_bytes``: the largest buffer one collective sends (a model above it
    travels in several). Raises ImportError naming ``keisan[mpi]`` without mpi4py.
    """
    MPI = _import_mpi('keisan.distributed.create_communicator')
    return Communicator(MPI.COMM_WORLD if mpi_comm is None else mpi_comm, bucket_bytes)


def launched_communicator():
    """The communicator of the job when an MPI launcher (mpiexec, srun) started more than
    one process, else None (a single process trains alone; mpi4py is not imported).

    Raises:
        ImportError: a launcher started several processes and mpi4py is missing (the
            message names ``keisan[mpi]``).
        RuntimeError: the launcher started several processes but MPI sees only this
            one: mpi4py uses another MPI than the launcher's (each process would
            train alone and all would write the same files).
    """
    size = launcher_size()
    if size is None or size == 1:
        return None
    try:
        MPI = _import_mpi('running under MPI (%s processes)' % (size or 'several'))
    except ImportError as e:
        raise ImportError('%s; or run a single process without mpiexec' % e) from None
    comm = Communicator(MPI.COMM_WORLD)
    if comm.size == 1 and size > 1:
        raise RuntimeError('the launcher started %d processes but MPI sees 1: mpi4py uses '
                           'another MPI (%s) than the mpiexec that started them; use the '
                           'mpiexec of that MPI' % (size, MPI.Get_library_version()
                                                    .splitlines()[0].strip()))
    return comm if comm.size > 1 else None


class Communicator:
    """The processes of an MPI communicator; every method is collective (all processes
    call it, in the same order) unless it says otherwise.

    Attributes:
        rank: this process's number, 0 to ``size - 1``; rank 0 is the root, which
            prints and writes.
        size: the number of processes.
        mpi_comm: the mpi4py communicator.
        bucket_bytes: the largest buffer of one collective.
    """

    def __init__(self, mpi_comm, bucket_bytes=DEFAULT_BUCKET_BYTES):
        self._MPI = _import_mpi('keisan.distributed.Communicator')
        self.mpi_comm = mpi_comm
        self.rank, self.size = mpi_comm.Get_rank(), mpi_comm.Get_size()
        self.bucket_bytes = int(bucket_bytes)
        self._buckets = {}          # (purpose, layout, header) -> Buckets, reused
        self._joinable = False      # the others' next collective is an agreement
        self._running = False       # training has started: a failure aborts the job

    def __repr__(self):
        return 'Communicator(rank %d of %d)' % (self.rank, self.size)

    @property
    def is_root(self):
        """True on rank 0 (not collective)."""
        return self.rank == 0

    # ----- Python objects (pickled; small things) ------------------------------------
    def bcast_obj(self, obj, root=0):
        """``obj`` of rank ``root``, on every process."""
        self._joinable = False
        return self.mpi_comm.bcast(obj, root)

    def gather_obj(self, obj, root=0):
        """The list of every process's ``obj`` on ``root`` (None elsewhere)."""
        self._joinable = False
        return self.mpi_comm.gather(obj, root)

    def send_obj(self, obj, dest):
        """Send ``obj`` to process ``dest`` (point to point: only the two take part)."""
        self._joinable = False
        self.mpi_comm.send(obj, dest)

    def recv_obj(self, source):
        """The object process ``source`` sent with :meth:`send_obj`."""
        self._joinable = False
        return self.mpi_comm.recv(source=source)

    # ----- arrays ----------------------------------------------------------------------
    def allreduce(self, x, op='sum'):
        """The sum (``op='sum'``), mean, max or min of ``x`` over the processes.

        ``x``: a NumPy array (the same shape and dtype everywhere; the result is a new
        array, ``mean`` of an int array is float64) or a Python number.
        """
        ops = {'sum': self._MPI.SUM, 'mean': self._MPI.SUM, 'max': self._MPI.MAX,
               'min': self._MPI.MIN}
        if op not in ops:
            raise ValueError("Communicator.allreduce: op must be one of %s, got %r"
                             % (', '.join(map(repr, ops)), op))
        self._joinable = False
        if isinstance(x, np.ndarray):
            send = np.ascontiguousarray(x)
            total = np.empty_like(send)
            self.mpi_comm.Allreduce(send, total, ops[op])
        else:
            total = self.mpi_comm.allreduce(x, ops[op])
        return total / self.size if op == 'mean' else total

    def bcast_data(self, target, root=0):
        """Copy rank ``root``'s parameters (and persistent arrays) into every process's.

        ``target``: a Link (its initialized parameters, then its persistent arrays
        such as batch-norm statistics) or a dict name -> array (the book's
        ``params``), updated in place. The names, shapes and dtypes must be the same
        everywhere (checked first: MismatchError on every process otherwise).
        """
        named = _named_arrays(target, 'Communicator.bcast_data')
        buckets = self._buckets_for('bcast_data', layout_of(named))
        arrays = [a for _, a in named]
        if self.rank == root:
            buckets.pack(arrays)
        self._joinable = False
        for buffer in buckets.buffers:
            self.mpi_comm.Bcast(buffer, root)
        if self.rank != root:
            buckets.unpack_into(arrays)

    def allreduce_grad(self, params, grads, examples=None):
        """Average gradients over the processes: pack, one in-place Allreduce per buffer.

        Args:
            params: dict name -> parameter array: the names, shapes and dtypes
                (floating), in order, the same on every process (checked the first
                time a layout is seen: MismatchError everywhere otherwise).
            grads: dict name -> gradient of that shape, or None (this process has
                none: it counts as zeros).
            examples: how many examples this process's gradients are the mean of;
                the result is ``sum_r examples_r * g_r / sum_r examples_r``, the mean
                over all examples. None: every process weighs the same (the mean
                over processes, ChainerMN's rule). 0: this process does not count.

        Returns:
            dict name -> averaged gradient, or None for a name that had no gradient
            on any process. The arrays are views into buffers that the next call
            overwrites: copy one to keep it.
        """
        if examples is not None and (isinstance(examples, bool) or not isinstance(
                examples, numbers.Real) or not math.isfinite(examples) or examples < 0):
            raise ValueError('Communicator.allreduce_grad: examples must be a number >= 0 '
                             'or None, got %r' % (examples,))
        for name, p in params.items():
            if np.dtype(p.dtype).kind != 'f':
                raise TypeError('Communicator.allreduce_grad: parameter %r is %s; gradients '
                                'are floating' % (name, p.dtype))
        self._running = True
        names = list(params)
        buckets = self._buckets_for('allreduce_grad', layout_of(params.items()),
                                    header=1 + len(names))
        weight = 1 if examples is None else examples
        local = [grads.get(name) for name in names]
        buckets.pack(local, scale=weight)
        buckets.header[0] = weight
        buckets.header[1:] = [g is not None for g in local]
        self._joinable = False
        for buffer in buckets.buffers:
            self.mpi_comm.Allreduce(self._MPI.IN_PLACE, buffer, self._MPI.SUM)
        total = float(buckets.header[0])
        if not total > 0:
            raise CollectiveError('Communicator.allreduce_grad: examples is 0 on every '
                                  'process: no gradient to average')
        buckets.divide_data(total)
        present = buckets.header[1:] > 0
        return {name: view if has else None
                for name, view, has in zip(names, buckets.views, present)}

    def allreduce_persistent(self, link):
        """Replace every floating persistent array of ``link`` (batch-norm running
        statistics) by its mean over the processes, in place."""
        named = [(name, a) for name, a in link.namedpersistents()
                 if a is not None and np.dtype(a.dtype).kind == 'f']
        if not named:
            return
        buckets = self._buckets_for('allreduce_persistent', layout_of(named))
        arrays = [a for _, a in named]
        buckets.pack(arrays)
        self._joinable = False
        for buffer in buckets.buffers:
            self.mpi_comm.Allreduce(self._MPI.IN_PLACE, buffer, self._MPI.SUM)
        buckets.divide_data(self.size)
        buckets.unpack_into(arrays)

    def _buckets_for(self, purpose, layout, header=0):
        key = (purpose, tuple(layout), header)
        buckets = self._buckets.get(key)
        if buckets is None:
            self.check_same('the arrays of %s' % purpose, {
                name: '#%d %s %s' % (i, shape, dtype)
                for i, (name, shape, dtype) in enumerate(layout)})
            if len(self._buckets) >= 8:         # layouts rarely change: keep a few
                self._buckets.pop(next(iter(self._buckets)))
            buckets = self._buckets[key] = Buckets(layout, self.bucket_bytes, header)
        return buckets

    # ----- agreement ---------------------------------------------------------------------
    def agree(self, value=None, running=False):
        """Every process's ``value``, as a list by rank (an allgather), and the point
        where a process that failed before reports it: then every process raises
        :class:`PeerError` here.

        ``running=True`` marks the start of training: from then on a failure aborts
        the job (see :meth:`run`).
        """
        values, failures = self._agreement(value, None, running)
        if failures:
            raise PeerError(*failures[0])
        return values

    def _agreement(self, value, failure, running=False):
        if running:
            self._running = True
        entries = self.mpi_comm.allgather((value, failure))
        self._joinable = not self._running
        return [v for v, _ in entries], [f for _, f in entries if f is not None]

    def check_same(self, what, values, running=False):
        """Raise :class:`MismatchError` on every process unless ``values`` (a dict of
        plain values) is the same on all of them; the message names each differing key
        and its value on each rank."""
        gathered = self.agree(dict(values), running)
        keys = list(dict.fromkeys(k for v in gathered for k in v))
        problems = []
        for key in keys:
            per_rank = [v.get(key, '(missing)') for v in gathered]
            if any(p != per_rank[0] for p in per_rank):
                groups = {}
                for rank, value in enumerate(per_rank):
                    groups.setdefault(repr(value), []).append(rank)
                problems.append('%s is %s' % (key, ', '.join(
                    '%s on rank%s %s' % (value, 's' if len(ranks) > 1 else '',
                                         ', '.join(map(str, ranks)))
                    for value, ranks in groups.items())))
        if problems:
            raise MismatchError('%s differ between the %d processes: %s' % (
                what, self.size, '; '.join(problems[:8])
                + ('; ...' if len(problems) > 8 else '')))

    def share_cores(self, environ=None):
        """Give each process an equal part of its machine's CPUs for NumPy's BLAS, unless
        a thread variable (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ...) says how
        many (an agreement: the processes find their neighbours by host name).

        Each of N processes on a machine with C usable CPUs would otherwise start C
        BLAS threads: N times too many, and every step many times slower.

        Returns:
            A one-line note on what was done (or what to set), or None if nothing was
            needed (one process per machine, or the user chose).
        """
        environ = os.environ if environ is None else environ
        hosts = self.agree(socket.gethostname())
        if any(name in environ for name in THREAD_VARIABLES):
            return None
        local = hosts.count(hosts[self.rank])
        cpus = threads.usable_cpus()
        share = max(1, cpus // local)
        if local == 1 or share >= threads.blas_threads():
            return None
        if threads.set_blas_threads(share) is None:
            return ("note: %d processes share %d CPUs on %s but NumPy's BLAS cannot be told "
                    'to use fewer threads: set OPENBLAS_NUM_THREADS=%d before mpiexec'
                    % (local, cpus, hosts[self.rank], share))
        return ("note: %d processes share the %d CPUs of %s: NumPy's BLAS runs %d thread%s "
                'in each (set OPENBLAS_NUM_THREADS to choose)'
                % (local, cpus, hosts[self.rank], share, '' if share == 1 else 's'))

    # ----- running a program ---------------------------------------------------------
    def run(self, main, user_errors=(), prog=None, agreement_first=False):
        """Run ``main()`` on this process so that no failure can leave another waiting.

        Only rank 0's standard output is shown. If ``main`` raises, before training
        (see :meth:`agree`) every process stops at the next agreement and rank 0
        prints ``prog: error: <message>`` (with ``rank r:`` in front when another
        rank failed; an exception that is not one of ``user_errors`` also prints its
        traceback on its own rank); once training runs, the failing process prints
        its error (or traceback) and aborts the job (``MPI_Abort``, which ends every
        process). A non-zero exit status (a handled Ctrl-C) aborts likewise.
        ``agreement_first``: ``main``'s first collective is an agreement (as
        ``keisan train``'s check of its arguments), so that a failure before it, such
        as a usage error, is reported there too.

        Returns:
            The exit status, the same on every process: ``main``'s (0 for None), 2
            after a user error or a :class:`CollectiveError`, 1 after another
            exception.
        """
        prog = prog or os.path.basename(sys.argv[0] or 'python')
        self._joinable = bool(agreement_first)
        try:
            with _stdout_only_on_root(self.rank):
                status = main()
        except CollectiveError as e:        # raised on every process alike
            if self.rank == 0:
                _error_line(prog, e)
            return e.status
        except SystemExit as e:
            status = e.code
        except BaseException as e:          # Ctrl-C too: it must end every process
            return self._fail(e, user_errors, prog)
        status = 0 if status is None else status if isinstance(status, int) else 1
        if status and not self._joinable:
            self.abort(status)
        failure = None
        if status:
            failure = (self.rank, status, 'stopped with exit status %d (its message is above)'
                       % status)
        _, failures = self._agreement(status, failure)
        return self._report(failures, prog) if failures else 0

    def _fail(self, error, user_errors, prog):
        interrupted = isinstance(error, KeyboardInterrupt)
        user = isinstance(error, user_errors)
        status = 130 if interrupted else 2 if user else 1
        if user or interrupted:
            message = str(error) or type(error).__name__
        else:
            message = '%s: %s (traceback above)' % (type(error).__name__, error)
            sys.stderr.write('rank %d of %d failed:\n%s' % (
                self.rank, self.size, ''.join(traceback.format_exception(error))))
        if self._joinable and not interrupted:
            _, failures = self._agreement(None, (self.rank, status, message))
            return self._report(failures, prog)
        _error_line(prog, 'rank %d of %d: %s' % (self.rank, self.size, message))
        self.abort(status)

    def _report(self, failures, prog):
        rank, status, message = failures[0]
        if self.rank == 0:
            _error_line(prog, message if rank == 0 else 'rank %d: %s' % (rank, message))
        return status

    def abort(self, status=1):
        """End every process of the job now with exit ``status`` (``MPI_Abort``; not
        collective). Flushes this process's output first and gives the launcher
        :data:`ABORT_GRACE_SECONDS` to pass it on: mpiexec ends its output forwarding with
        the job, and once in a full test run the failing rank's traceback was lost."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        time.sleep(ABORT_GRACE_SECONDS)
        self.mpi_comm.Abort(status)
        os._exit(status)        # Abort does not return; this is only a safety net


def _error_line(prog, message):
    sys.stderr.write('%s: error: %s\n' % (prog, message))
    sys.stderr.flush()


@contextlib.contextmanager
def _stdout_only_on_root(rank):
    if rank == 0:
        yield
        return
    with open(os.devnull, 'w') as sink, contextlib.redirect_stdout(sink):
        yield


def _named_arrays(target, where):
    """[(name, array)] of a Link's initialized parameters and persistent arrays, or of a
    dict of arrays (Variables give their data; None is skipped)."""
    if isinstance(target, Mapping):
        named = [(name, a.data if isinstance(a, Variable) else a) for name, a in target.items()]
        return [(name, a) for name, a in named if a is not None]
    if not hasattr(target, 'namedparams'):
        raise TypeError('%s: expected a Link or a dict of arrays, got %s'
                        % (where, type(target).__name__))
    named, seen = [], set()
    for name, p in target.namedparams():
        if p.data is not None and id(p) not in seen:
            seen.add(id(p))
            named.append((name, p.data))
    named += [(name, a) for name, a in target.namedpersistents() if a is not None]
    return named
