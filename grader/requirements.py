"""An assignment's ``python_packages``, checked where it is graded.

Gradescope's image installs them (setup.sh); a TA's laptop, a student's self-check or a
cluster node may lack them, and a grade there would fail every test with the student's own
import error ("No module named 'torch'") instead of saying what the machine is missing.
"""

from __future__ import annotations

import shlex
import sys
from importlib.metadata import PackageNotFoundError, distribution

from grader.manifest import Manifest, ManifestError


def missing_packages(manifest: Manifest) -> list[str]:
    """The requirements of ``python_packages`` whose distribution is not installed (versions
    are not compared: Gradescope's image pins them, and a TA may grade with another)."""
    if not manifest.python_packages:
        return []
    from packaging.requirements import InvalidRequirement, Requirement

    missing = []
    for spec in manifest.python_packages:
        try:
            distribution(Requirement(spec).name)
        except InvalidRequirement:  # not a name pip reads: nothing to check it against
            continue
        except PackageNotFoundError:
            missing.append(spec)
    return missing


def require_packages(manifest: Manifest) -> None:
    """Refuse to grade without the assignment's packages: a staff error, in one line."""
    missing = missing_packages(manifest)
    if missing:
        install = " ".join(shlex.quote(spec) for spec in missing)
        raise ManifestError(
            f"{manifest.name} needs {', '.join(missing)} (python_packages in {manifest.path}), "
            f"which this Python ({sys.executable}) lacks: pip install {install}"
        )
