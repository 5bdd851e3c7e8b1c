#!/usr/bin/env bash
# Grade one submission with an autograder.zip exactly as Gradescope does, in a local container:
# docker/Dockerfile.gradescope builds the image from the unpacked zip (setup.sh from
# /autograder/source, as root, once), then docker/grade.sh runs /autograder/run_autograder as
# root with Gradescope's limits (half a CPU, 768 MB, no network) and, with podman, user ids of
# its own (grade.sh --own-user-ids), as on a machine of its own.
#   docker/gradescope-emulate.sh ZIP SUBMISSION_FOLDER RESULTS_FOLDER [METADATA_JSON]
#   docker/gradescope-emulate.sh ZIP      only builds the image, and prints its name
# Environment:
#   BASE_IMAGE       the image to build FROM (default gradescope/autograder-base:ubuntu-22.04,
#                    Gradescope's default; with no registry, localhost/debian-base:bookworm from
#                    ../shared/containers/setup-podman.sh)
#   GRADER_ENGINE    docker or podman (default: podman when installed, else docker)
#   GS_CPUS, GS_MEMORY, GS_NETWORK   the limits (0.5, 768m, none)
#   GS_WHEELHOUSE    a folder of wheels that pip prefers while building, and its
#                    constraints.txt if there is one (podman only: mounted into the build)
#   GRADER_PIP_EXTRA_INDEX   passed to setup.sh when set (empty: no extra index)
# The image is tagged by a hash of the zip, this Dockerfile, the base and the options, and built
# once: later runs with the same zip reuse it. Exit status: run_autograder's; 3 when the image
# could not be built (Gradescope would fail the same zip).
set -euo pipefail
if [ $# -ne 1 ] && [ $# -lt 3 ]; then
    echo "usage: $0 ZIP [SUBMISSION_FOLDER RESULTS_FOLDER [METADATA_JSON]]" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
zip=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
engine=${GRADER_ENGINE:-$(command -v podman || command -v docker || echo docker)}
base=${BASE_IMAGE:-gradescope/autograder-base:ubuntu-22.04}
options=(--build-arg "BASE=$base")
if [ -n "${GS_WHEELHOUSE:-}" ]; then
    if [ "$(basename "$engine")" != podman ]; then
        echo "$0: GS_WHEELHOUSE needs podman (docker build cannot mount a folder)" >&2
        exit 2
    fi
    wheelhouse=$(cd "$GS_WHEELHOUSE" && pwd)
    options+=(-v "$wheelhouse:/wheelhouse:ro" --build-arg PIP_FIND_LINKS=/wheelhouse)
    if [ -f "$wheelhouse/constraints.txt" ]; then
        options+=(--build-arg PIP_CONSTRAINT=/wheelhouse/constraints.txt)
    fi
fi
if [ -n "${GRADER_PIP_EXTRA_INDEX+set}" ]; then
    options+=(--build-arg "GRADER_PIP_EXTRA_INDEX=$GRADER_PIP_EXTRA_INDEX")
fi
key=$({
    sha256sum "$zip" "$here/Dockerfile.gradescope" | cut -d' ' -f1
    printf '%s\n' "${options[@]}"
    "$engine" image inspect --format '{{.Id}}' "$base" 2>/dev/null || true
} | sha256sum | cut -c1-16)
tag=localhost/grader-gradescope:$key
if ! "$engine" image inspect "$tag" >/dev/null 2>&1; then
    context=$(mktemp -d)
    trap 'rm -rf "$context"' EXIT
    python3 -m zipfile -e "$zip" "$context"
    if ! "$engine" build "${options[@]}" -f "$here/Dockerfile.gradescope" -t "$tag" \
        "$context" >&2; then
        echo "$0: building the image from $zip failed (setup.sh's output is above):" \
            "Gradescope would fail to build this zip too" >&2
        exit 3
    fi
fi
if [ $# -eq 1 ]; then
    echo "$tag"
    exit 0
fi
echo "image: $tag" >&2
metadata=()
[ -z "${4:-}" ] || metadata=(--metadata "$4")
own=()
[ "$(basename "$engine")" != podman ] || own=(--own-user-ids)
"$here/grade.sh" "$tag" "$2" "$3" --gradescope-limits "${own[@]}" "${metadata[@]}"
