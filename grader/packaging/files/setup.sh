#!/usr/bin/env bash
# Installs the grader in an autograder image. Gradescope runs it once, as root, when it builds
# the image from autograder.zip; docker/Dockerfile.* run the same script.
#   GRADER_SOURCE   where the zip's source/ folder is (default /autograder/source)
#   GRADER_PIP_EXTRA_INDEX   extra package index (default: PyTorch's CPU wheels)
#   GRADER_SKIP_ASSIGNMENT_PACKAGES=1   the image already has them (a PyTorch CUDA base image)
set -euo pipefail
SOURCE="${GRADER_SOURCE:-/autograder/source}"
EXTRA_INDEX="${GRADER_PIP_EXTRA_INDEX:-https://download.pytorch.org/whl/cpu}"

if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-pip
    rm -rf /var/lib/apt/lists/*
fi
python3 -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
if [ -s "$SOURCE/requirements-assignment.txt" ] && [ -z "${GRADER_SKIP_ASSIGNMENT_PACKAGES:-}" ]; then
    # What the assignment needs beyond the grader (torch for a2): CPU builds unless the image
    # brings its own.
    python3 -m pip install --no-cache-dir --extra-index-url "$EXTRA_INDEX" \
        -r "$SOURCE/requirements-assignment.txt"
fi
python3 -m pip install --no-cache-dir --no-deps "$SOURCE"
# Student code runs as this unprivileged user (see README: sandbox).
id "${GRADER_SANDBOX_USER:-nobody}" >/dev/null
