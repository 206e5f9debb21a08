"""Downloading data files from a list of mirrors into a local cache, safely.

A file only ever appears in the cache complete and verified: it is streamed into
a temporary file in the same directory, checked (length, checksum, optional
validation callback), and only then renamed into place with ``os.replace``,
which is atomic on POSIX and Windows. Every failure removes the temporary file.

No download can hang: a mirror that sends nothing for ``stall_timeout`` seconds
(``$KEISAN_DOWNLOAD_STALL_TIMEOUT``, default 30) or has not delivered the file after
``deadline`` seconds (``$KEISAN_DOWNLOAD_TIMEOUT``, default 120, retries included) is
given up for the next one.
"""
import hashlib
import http.client
import math
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

from keisan.datasets.errors import DatasetError
from keisan.fileio import default_file_mode

__all__ = ['fetch']

_CHUNK = 1 << 16
_USER_AGENT = 'keisan-datasets/0.1 (+urllib)'
# Seconds to wait before the 2nd attempt on a mirror; doubled for each further one.
# Module-level so that tests can set it to 0.
RETRY_BACKOFF = 0.5
#: environment variable -> default seconds: a mirror's deadline for one file (retries
#: included), and the longest silence (connecting, waiting for the reply, between reads)
DEADLINE_ENV, STALL_ENV = 'KEISAN_DOWNLOAD_TIMEOUT', 'KEISAN_DOWNLOAD_STALL_TIMEOUT'
_DEFAULT_SECONDS = {DEADLINE_ENV: 120.0, STALL_ENV: 30.0}


class _TransferError(Exception):
    """One failed attempt; ``retry`` says whether the same URL may succeed later."""

    def __init__(self, reason, retry):
        super().__init__(reason)
        self.retry = retry


def _mirror_url(mirror, filename):
    return mirror.rstrip('/') + '/' + filename


class _TextProgress:
    """Minimal progress line on stderr, used when tqdm is not installed."""

    def __init__(self, total, desc):
        self.total, self.desc, self.n, self._last = total, desc, 0, -1.0

    def update(self, n):
        self.n += n
        now = time.monotonic()
        if now - self._last >= 0.2:
            self._last = now
            self._draw()

    def _draw(self):
        mib = self.n / 2 ** 20
        if self.total:
            pct = 100.0 * self.n / self.total
            line = '%s: %5.1f%% (%.1f / %.1f MiB)' % (self.desc, pct, mib, self.total / 2 ** 20)
        else:
            line = '%s: %.1f MiB' % (self.desc, mib)
        sys.stderr.write('\r' + line)
        sys.stderr.flush()

    def close(self):
        self._draw()
        sys.stderr.write('\n')
        sys.stderr.flush()


class _NoProgress:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(enabled, total, desc):
    if not enabled:
        return _NoProgress()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        return tqdm(total=total, desc=desc, unit='B', unit_scale=True, unit_divisor=1024,
                    leave=False)
    if sys.stderr is not None and sys.stderr.isatty():
        return _TextProgress(total, desc)
    return _NoProgress()


def _hashers(md5, sha256):
    expected = {}
    if md5 is not None:
        expected['md5'] = md5.lower()
    if sha256 is not None:
        expected['sha256'] = sha256.lower()
    return expected, {name: hashlib.new(name) for name in expected}


def _file_digests(path, names):
    hashers = {name: hashlib.new(name) for name in names}
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            for h in hashers.values():
                h.update(chunk)
    return {name: h.hexdigest() for name, h in hashers.items()}


def _seconds(value, env):
    """``value``, else the environment variable ``env``, else its default: seconds > 0."""
    source = 'fetch: %s' % ('timeout' if env == STALL_ENV else 'deadline')
    if value is None:
        value, source = os.environ.get(env) or _DEFAULT_SECONDS[env], '$' + env
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError('%s must be a number of seconds > 0, got %r' % (source, value))
    return seconds


def _stalled(timeout, stall):
    """The error of a socket timeout of ``timeout`` s: a stall, or the deadline when the
    time left before it was shorter than ``stall``."""
    if timeout < stall:
        return _TransferError('deadline passed while waiting for data ($%s)' % DEADLINE_ENV,
                              retry=False)
    return _TransferError('stalled: no data for %g s ($%s)' % (stall, STALL_ENV), retry=False)


def _download_once(url, dest_dir, filename, stall, deadline_at, progress, md5, sha256,
                   validate):
    """Download ``url`` to a temporary file in ``dest_dir``; return its path once verified.

    Raises _TransferError on any failure, after removing the temporary file: also when
    no byte arrives for ``stall`` seconds, or when ``time.monotonic()`` passes
    ``deadline_at`` (checked as data arrives: at most ``stall`` seconds late).
    """
    expected, hashers = _hashers(md5, sha256)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % filename, suffix='.part', dir=dest_dir)
    os.chmod(tmp, default_file_mode())      # mkstemp's 0600 would survive the rename
    ok = False
    try:
        with os.fdopen(fd, 'wb') as out:
            request = urllib.request.Request(url, headers={'User-Agent': _USER_AGENT})
            timeout = min(stall, max(deadline_at - time.monotonic(), 0.01))
            try:
                response = urllib.request.urlopen(request, timeout=timeout)
            except urllib.error.HTTPError as e:
                # Server-side and rate-limit errors are often transient; 404 & co. are not.
                raise _TransferError('HTTP %d %s' % (e.code, e.reason),
                                     retry=e.code >= 500 or e.code in (408, 429)) from None
            except TimeoutError:
                raise _stalled(timeout, stall) from None
            except urllib.error.URLError as e:
                if isinstance(e.reason, TimeoutError):
                    raise _stalled(timeout, stall) from None
                raise _TransferError('cannot connect: %s' % (e.reason,), retry=True) from None
            except (OSError, http.client.HTTPException) as e:
                raise _TransferError('request failed: %s: %s' % (type(e).__name__, e),
                                     retry=True) from None
            with response:
                length = response.headers.get('Content-Length')
                try:
                    length = int(length) if length is not None else None
                except ValueError:
                    length = None
                received = 0
                bar = _progress_bar(progress, length, filename)
                # read1: at most one socket read, so that a trickle of bytes returns
                # to the deadline check instead of filling a whole chunk
                read = getattr(response, 'read1', response.read)
                try:
                    while True:
                        chunk = read(_CHUNK)
                        if not chunk:
                            break
                        if time.monotonic() > deadline_at:
                            raise _TransferError('deadline passed after %d of %s bytes ($%s)'
                                                 % (received, length, DEADLINE_ENV),
                                                 retry=False)
                        out.write(chunk)
                        for h in hashers.values():
                            h.update(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
                except http.client.IncompleteRead as e:
                    received += len(e.partial)
                    raise _TransferError('truncated transfer: connection closed after '
                                         '%d of %s bytes' % (received, length), retry=True) \
                        from None
                except TimeoutError:
                    raise _stalled(timeout, stall) from None
                except (OSError, http.client.HTTPException) as e:
                    raise _TransferError('transfer failed after %d bytes: %s: %s'
                                         % (received, type(e).__name__, e), retry=True) from None
                finally:
                    bar.close()
        if length is not None and received != length:
            raise _TransferError('truncated transfer: received %d bytes, Content-Length '
                                 'announced %d' % (received, length), retry=True)
        for name, h in hashers.items():
            digest = h.hexdigest()
            if digest != expected[name]:
                # The same mirror would most likely serve the same bytes again.
                raise _TransferError('%s checksum mismatch: expected %s, got %s (%d bytes)'
                                     % (name, expected[name], digest, received), retry=False)
        if validate is not None:
            try:
                validate(tmp)
            except DatasetError as e:
                raise _TransferError('downloaded file failed validation: %s' % e,
                                     retry=False) from None
        ok = True
        return tmp
    finally:
        if not ok:
            try:
                os.remove(tmp)
            except FileNotFoundError:
                pass


def fetch(filename, mirrors, data_dir, sha256=None, md5=None, retries=3, progress=True,
          timeout=None, validate=None, deadline=None):
    """Return the local path of ``filename``, downloading it from a mirror if needed.

    Args:
        filename: name of the file on the mirrors and in ``data_dir``.
        mirrors: sequence of base URLs (``http``, ``https`` or ``file``); the file
            URL is ``base + '/' + filename``. Tried in order until one succeeds.
        data_dir: directory for the downloaded file (created if missing).
        sha256, md5: expected hex digests (either, both or none). If none is
            given, only the transfer length and ``validate`` protect the file.
        retries: attempts per mirror (>= 1) for transient failures (network
            errors, HTTP 5xx/408/429, truncated transfers), with an exponential
            backoff starting at ``RETRY_BACKOFF`` seconds. Checksum mismatches,
            validation failures, stalls, a passed deadline and other HTTP errors
            move on to the next mirror at once.
        progress: show a progress bar (tqdm if installed, else a plain line on
            stderr when it is a terminal).
        timeout: the stall timeout: seconds without a byte (connecting, waiting for
            the reply, between reads) before the mirror is given up (default
            ``$KEISAN_DOWNLOAD_STALL_TIMEOUT`` or 30).
        validate: optional callable taking the path of the downloaded temporary
            file and raising DatasetError if its content is unusable; the file is
            only moved into ``data_dir`` if it returns normally.
        deadline: seconds one mirror may take to deliver the file, retries
            included (default ``$KEISAN_DOWNLOAD_TIMEOUT`` or 120); checked as data
            arrives, so an attempt ends at most ``timeout`` seconds after it.

    Returns:
        str: path of the file in ``data_dir``. If that file already exists and
        matches the given checksums (if any), it is returned without downloading;
        an existing file with a wrong checksum is replaced.

    Raises:
        DatasetError: ``data_dir`` cannot be written, or no mirror delivered a
            verified file; the message lists every URL tried, why it failed, and
            where to put the file by hand. Nothing is left in ``data_dir`` then.
        ValueError: bad arguments (or environment variables).
    """
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    mirrors = [m for m in mirrors if m]
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
        raise ValueError('fetch: retries must be a positive int, got %r' % (retries,))
    stall, deadline = _seconds(timeout, STALL_ENV), _seconds(deadline, DEADLINE_ENV)
    data_dir = os.fspath(data_dir)
    dest = os.path.join(data_dir, filename)

    if os.path.isfile(dest):
        expected, _ = _hashers(md5, sha256)
        if not expected or _file_digests(dest, expected) == expected:
            return dest

    if not mirrors:
        raise DatasetError('%s: cannot download, no mirror URL given' % filename)
    try:
        os.makedirs(data_dir, exist_ok=True)
        if not os.access(data_dir, os.W_OK | os.X_OK):
            raise PermissionError('no write permission')
    except OSError as e:
        raise DatasetError('%s: cannot download into %s: the directory cannot be written '
                           '(%s)' % (filename, data_dir, e.strerror or e)) from None
    failures = []
    for mirror in mirrors:
        url = _mirror_url(mirror, filename)
        deadline_at = time.monotonic() + deadline
        for attempt in range(retries):
            if attempt:
                pause = RETRY_BACKOFF * 2 ** (attempt - 1)
                if time.monotonic() + pause >= deadline_at:
                    failures.append('%s: deadline of %g s passed ($%s)'
                                    % (url, deadline, DEADLINE_ENV))
                    break
                time.sleep(pause)
            try:
                tmp = _download_once(url, data_dir, filename, stall, deadline_at, progress,
                                     md5, sha256, validate)
            except _TransferError as e:
                failures.append('%s (attempt %d): %s' % (url, attempt + 1, e))
                if not e.retry:
                    break
                continue
            try:
                os.replace(tmp, dest)
            except OSError:
                os.remove(tmp)
                raise
            return dest
    raise DatasetError('%s: download failed from every mirror; tried:\n  %s\nDownload it '
                       'by hand from one of them and put it at %s'
                       % (filename, '\n  '.join(failures), dest))
