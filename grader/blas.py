"""One BLAS thread for the grader's own process and the workers it starts.

OpenBLAS starts a thread per core when numpy is imported, and those threads spin while they wait
for work: 0.08 s of CPU for numpy's import alone on two cores, taken from the grade itself on
Gradescope's half of a vCPU. The grader's own arrays are small (reference answers, checks), so
more threads only cost. Set before numpy is imported; a value the user set is kept.
"""

from __future__ import annotations

import os

#: The variables the BLAS libraries numpy and torch link against read at start-up.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread() -> None:
    """Ask for one BLAS thread in this process (and its children) unless the user chose: any of
    the variables set is a choice (OpenBLAS reads its own before OMP_NUM_THREADS, so setting
    the others would override ``OMP_NUM_THREADS=2``)."""
    if not any(name in os.environ for name in THREAD_VARIABLES):
        os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
