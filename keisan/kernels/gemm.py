"""Thin matrix products, cut into the pieces the BLAS runs fastest.

The convolution's GEMMs are tall and thin: a block of ~1,500 window rows of
kh*kw*C = 144-576 values times 16-64 filters. OpenBLAS on AVX-512 cores (its SkylakeX
kernels; its Cooper Lake and Sapphire Rapids targets build on them) runs a product with
M*N*K <= :data:`SMALL_PRODUCT_MNK` through unpacked "small matrix" kernels, which for
outputs of at most :data:`SMALL_PRODUCT_MAX_N` columns ran 1.2-1.45x faster than its
packed path on the same 1 MB block (a Xeon with AMX running the SkylakeX kernels, one
thread); there a product is made as a few pieces of rows that each fit that limit.
Anywhere else (CuPy, another BLAS or core, a multi-threaded BLAS: the small kernels run
on one thread, and at 2 threads pieces made SimpleConvNet's inference 11% slower) it is
one call. Either way the result is the same from run to run on one machine; pieces and
one call agree to rounding.
"""
import numpy as np

from keisan.cuda import get_array_module
from keisan.kernels import threads

#: OpenBLAS's size limit for its small-matrix kernels (M*N*K).
SMALL_PRODUCT_MNK = 1_000_000
#: Wider outputs gained nothing from pieces (64 columns: 0.85-1.1x the time).
SMALL_PRODUCT_MAX_N = 32
#: OpenBLAS core names whose single-precision GEMM has the small-matrix kernels.
SMALL_KERNEL_CORES = frozenset({'skylakex', 'cooperlake', 'sapphirerapids'})
#: The dtypes measured (float64 products are the gradient checks', not the hot path's).
SMALL_KERNEL_DTYPES = (np.float32,)


def blas_has_small_kernels():
    """Whether NumPy's BLAS is an OpenBLAS running one of :data:`SMALL_KERNEL_CORES`."""
    return (threads.openblas_corename() or '').lower() in SMALL_KERNEL_CORES


def row_pieces(xp, dtype, m, k, n):
    """Slices covering the m rows of an (m, k) @ (k, n) product of ``dtype``: one, or an
    even split into pieces of at most SMALL_PRODUCT_MNK / (k*n) rows where the BLAS's
    small-matrix kernels pay (module docstring)."""
    if xp is not np or dtype not in SMALL_KERNEL_DTYPES or n > SMALL_PRODUCT_MAX_N \
            or m * k * n <= SMALL_PRODUCT_MNK or threads.blas_threads() != 1 \
            or not blas_has_small_kernels():
        return [slice(0, m)]
    count = -(-m * k * n // SMALL_PRODUCT_MNK)
    step = -(-m // count)
    return [slice(r0, min(m, r0 + step)) for r0 in range(0, m, step)]


def matmul_into(a, b, out):
    """out (M, N) = a (M, K) @ b (K, N), in pieces of rows; returns out."""
    xp = get_array_module(a)
    for rows in row_pieces(xp, out.dtype, len(a), a.shape[1], b.shape[1]):
        xp.matmul(a[rows], b, out=out[rows])
    return out


def add_product_over_rows(total, a, b):
    """total (K, N) += a.T @ b for a (M, K) and b (M, N), summed over pieces of the M
    rows (the weight gradient of a convolution: windows by output gradients)."""
    xp = get_array_module(a)
    for rows in row_pieces(xp, total.dtype, len(a), a.shape[1], b.shape[1]):
        total += a[rows].T @ b[rows]
    return total
