"""Assignment 2's points need the work: training counts wherever it happens, and the held-out
images cannot be looked up.

Each cheat below spends HIDDEN seconds training where an earlier grader did not look (the
warm-up step, a thread that the evaluation waits for, build_model in the test before, the
final predictions, the import of model.py); against a budget smaller than that, it must lose
the training points and its recorded training time must include those seconds. A "model" that
looks the test images up in scikit-learn's digits (importable in the worker) must do no better
than chance would allow an honest model without the held-out labels: it loses the accuracy
points.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil

import numpy as np
import pytest
from conftest import ROOT, graded

from grader import assignment
from grader.training.datasets import drawn_digits
from grader.training.synthetic import draw_digits

SOLUTION_A2 = ROOT / "solutions" / "a2"
HIDDEN = 8.0
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch is not installed"
)

TRAIN_FOR = f"""
import time as _time


def _train_for(model, optimizer, x, y, seconds={HIDDEN}):
    started = _time.perf_counter()
    while _time.perf_counter() - started < seconds:
        _honest_step(model, optimizer, x, y)
"""

CHEATS = {
    "warm-up step": """
_steps = []


def train_step(model, optimizer, x, y):
    _steps.append(1)
    if len(_steps) == 1:  # the grader's untimed warm-up, once
        _train_for(model, optimizer, x, y)
    return _honest_step(model, optimizer, x, y) if len(_steps) % 20 == 0 else 0.1
""",
    "thread drained by the evaluation": """
import threading as _threading

_worker = []


class _Waiting(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        # Evaluation (untimed before) waits for the training thread. Grad mode, not
        # self.training, tells it apart: the thread's model.train() could flip that flag between
        # the grader's model.eval() and this line, and the wait would be skipped at random.
        if not torch.is_grad_enabled() and _worker:
            _worker[0].join()
        return self.inner(x)


_build = build_model


def build_model(input_shape, num_classes):
    return _Waiting(_build(input_shape, num_classes))


def train_step(model, optimizer, x, y):
    if not _worker:
        args = (model, optimizer, x.clone(), y.clone())
        _worker.append(_threading.Thread(target=_train_for, args=args, daemon=True))
        _worker[0].start()
    return 0.1
""",
    "build_model in the test before": """
_built = []
_build = build_model


def build_model(input_shape, num_classes):
    if not _built:
        model = _build(input_shape, num_classes)
        x = torch.rand(64, *input_shape)
        _train_for(model, make_optimizer(model), x, torch.randint(0, num_classes, (64,)))
        _built.append(model)
    return _built[0]
""",
    "the final predictions": """
class _Late(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner, self.evaluations, self.data = inner, 0, []

    def forward(self, x):
        if not torch.is_grad_enabled():
            self.evaluations += 1
            if self.evaluations == 13 and self.data:  # after 12 epochs' evaluations: the test
                with torch.enable_grad():
                    self.inner.train()
                    _train_for(self.inner, *self.data)
                    self.inner.eval()
        return self.inner(x)


_build = build_model


def build_model(input_shape, num_classes):
    return _Late(_build(input_shape, num_classes))


def train_step(model, optimizer, x, y):
    if not model.data:
        model.data.extend([optimizer, x.clone(), y.clone()])
    return _honest_step(model, optimizer, x, y)
""",
    "import of model.py": """
_warm = nn.Linear(64, 10)
_train_for(_warm, torch.optim.SGD(_warm.parameters(), lr=0.1), torch.rand(64, 64),
           torch.randint(0, 10, (64,)))
""",
}


def submission(tmp_path, extra: str):
    folder = tmp_path / "submission"
    shutil.copytree(SOLUTION_A2, folder)
    text = (folder / "model.py").read_text().replace("def train_step(", "def _honest_step(")
    (folder / "model.py").write_text(f"{text}\ntrain_step = _honest_step\n{TRAIN_FOR}\n{extra}")
    return folder


def training_entry(results):
    return next(t for t in results["tests"] if t["name"].startswith("training"))


@pytest.fixture(scope="module")
def budget(tmp_path_factory) -> float:
    """A budget an honest run keeps within and HIDDEN seconds more exceed: an honest run's
    recorded seconds (which also count the earlier test's calls, importing torch among them)
    plus half of HIDDEN. The budget is checked after every timed call, the warm-up's
    included, so a budget below the honest run's would stop a cheat before its hidden
    seconds were counted. The faster of two honest runs: the first, cold, took up to 3 s
    longer than the cheats' honest parts on a busy 2-core machine."""
    honest = submission(tmp_path_factory.mktemp("honest"), "")
    seconds = [training_entry(graded(honest, "a2"))["extra_data"]["training"]["seconds"]
               for _ in range(2)]  # fmt: skip
    return min(seconds) + HIDDEN / 2


@pytest.mark.parametrize("cheat", list(CHEATS))
def test_training_outside_the_clock_counts_against_the_budget(tmp_path, cheat, budget):
    manifest = dataclasses.replace(assignment.find("a2"), budget_seconds={"cpu": budget})
    results = graded(submission(tmp_path, CHEATS[cheat]), manifest)
    training = training_entry(results)
    assert training["score"] == 0, training["output"]
    assert f"Training used up its time budget of {budget:.2f} s" in training["output"]
    assert training["extra_data"]["training"]["seconds"] >= HIDDEN


LOOKUP = """
import numpy as _np
from sklearn.datasets import load_digits as _load

_digits = _load()
_images = _digits.data / 16.0


class _LookUp(nn.Module):
    '''Never learns: the label of the nearest of scikit-learn's digits.'''

    def __init__(self):
        super().__init__()
        self.unused = nn.Linear(1, 1)

    def forward(self, x):
        flat = x.reshape(len(x), -1).detach().cpu().numpy()
        nearest = ((_images**2).sum(1)[None] - 2 * flat @ _images.T).argmin(1)
        scores = _np.zeros((len(x), 10), dtype=_np.float32)
        scores[_np.arange(len(x)), _digits.target[nearest]] = 1.0
        return torch.as_tensor(scores) + 0 * self.unused.weight.sum()


def build_model(input_shape, num_classes):
    return _LookUp()


def train_step(model, optimizer, x, y):
    return 0.1
"""


def test_a_model_that_looks_test_images_up_loses_the_accuracy_points(tmp_path):
    results = graded(submission(tmp_path, LOOKUP), "a2")
    training = training_entry(results)
    assert training["score"] == 0 and "is below 80%" in training["output"]
    assert "leaderboard" not in results


def test_held_out_images_are_new_and_change_with_the_seed():
    from sklearn.datasets import load_digits

    public = load_digits().data / 16.0
    first, again, other = drawn_digits(1), drawn_digits(1), drawn_digits(2)
    np.testing.assert_array_equal(first.test_x, again.test_x)  # a seed gives one set
    np.testing.assert_array_equal(first.train_x, other.train_x)  # training data are fixed
    assert not np.allclose(first.test_x, other.test_x)
    distances = ((first.test_x[:, None] - public[None]) ** 2).sum(-1).min(1)
    assert distances.min() > 0.1  # none of them is one of scikit-learn's digits
    held_out = {x.tobytes() for x in first.test_x}
    assert not held_out & {x.tobytes() for x in first.train_x}
    images, labels = draw_digits(50, 0)
    assert images.shape == (50, 64) and images.min() >= 0 and images.max() <= 1
    assert np.bincount(labels).tolist() == [5] * 10


def test_a_seed_gives_the_images_it_gave_before_drawing_was_vectorised():
    """The vectorised drawing reads the generator in the same order and does an image's own
    arithmetic: the figures below are those of the first, image-by-image implementation."""
    images, labels = draw_digits(12, 7)
    assert labels.tolist() == [4, 6, 0, 0, 1, 3, 8, 7, 2, 5, 9, 1]
    weighted = [526.610490478, 490.805728311, 557.638216319, 645.291807369, 327.465947493,
                452.607083648, 784.179096613, 279.969786191, 668.679627963, 632.94847867,
                528.367850959, 297.522325462]  # fmt: skip
    np.testing.assert_allclose(images @ np.arange(1, 65), weighted, rtol=0, atol=1e-8)
