#!/usr/bin/env bash
# Installs the grader in an autograder image. Gradescope runs it once, as root, when it builds
# the image: the zip's contents (this script among them) are in /autograder/source.
# docker/Dockerfile.* run it the same way. Any failure here fails the image build, loudly, and
# never a grading later.
#   setup.sh [all|deps|grader]   deps: a virtual environment with the pinned packages (a Docker
#                                layer of its own); grader: the grader itself; all (default): both
# Everything goes into a venv: the system Python may refuse pip installs (PEP 668: Debian 12,
# Ubuntu 24.04) or come with an old pip (Ubuntu 22.04's 22.0.2 installs this project as
# UNKNOWN-0.0.0), so the venv's pip is upgraded first.
# Environment:
#   GRADER_VENV             the venv (default /opt/grader-venv; run_autograder reads the same)
#   GRADER_PIP_EXTRA_INDEX  extra index for the packages (default: PyTorch's CPU wheels, as
#                           Gradescope has no GPU; set it empty for PyPI's CUDA builds of torch)
# pip's own variables (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_CONSTRAINT...) apply as usual.
set -euo pipefail
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV="${GRADER_VENV:-/opt/grader-venv}"
EXTRA_INDEX="${GRADER_PIP_EXTRA_INDEX-https://download.pytorch.org/whl/cpu}"
PIP_RELEASE=26.3
STAGE="${1:-all}"
PY="$VENV/bin/python"

fail() {
    echo "setup.sh: $*" >&2
    exit 1
}

make_venv() {
    [ -x "$PY" ] && "$PY" -m pip --version >/dev/null 2>&1 && return
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian and Ubuntu ship venv (ensurepip) apart from python3.
        rm -rf "$VENV"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            python3 python3-venv
        rm -rf /var/lib/apt/lists/*
        python3 -m venv "$VENV"
    fi
    "$PY" -m pip install --no-cache-dir --upgrade "pip==$PIP_RELEASE"
}

install_deps() {
    local args=(-r "$SOURCE/requirements.txt")
    if [ -s "$SOURCE/requirements-assignment.txt" ]; then
        # What the assignment needs beyond the grader (torch for a2).
        args+=(-r "$SOURCE/requirements-assignment.txt")
        [ -z "$EXTRA_INDEX" ] || args+=(--extra-index-url "$EXTRA_INDEX")
    fi
    "$PY" -m pip install --no-cache-dir "${args[@]}"
}

install_grader() {
    "$PY" -m pip install --no-cache-dir --no-deps "$SOURCE"
    # From / so that the folder grader/ beside this script cannot stand in for the installed one.
    (cd / && "$PY" -c 'import grader') \
        || fail "the grader did not install into $VENV (see pip's output above)"
    # Student code runs under a uid of its own (GRADER_UID_RANGE; no account needed) with this
    # venv's Python: such a uid must be able to start it.
    "$PY" - <<'CHECK' || fail "a grading's uid cannot run the grader's worker with $PY"
import subprocess, sys
from grader.sandbox.user import student_uids
uid = student_uids()[0]
subprocess.run([sys.executable, "-I", "-c", "import numpy, grader.sandbox.zygote"], cwd="/",
               user=uid, group=uid, extra_groups=[], check=True)
CHECK
}

case "$STAGE" in
    # One command per line: set -e does not apply inside functions called from a && list.
    deps) make_venv; install_deps ;;
    grader) install_grader ;;
    all) make_venv; install_deps; install_grader ;;
    *) fail "unknown stage $STAGE (all, deps or grader)" ;;
esac
