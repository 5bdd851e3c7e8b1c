"""Staff code run in the worker: builds the student's model, trains it epoch by epoch with the
student's optimizer and train_step at the grader's request, and predicts classes for images
whose labels stay in the grader process."""

import random

import model as student
import numpy as np
import torch

_runs = {}


def best_device():
    """The GPU when torch sees one ("cuda"), else "cpu"."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_name(device):
    """The device for reports: "cpu", or "cuda" with the GPU's name."""
    return f"cuda ({torch.cuda.get_device_name()})" if device.startswith("cuda") else "cpu"


def create(input_shape, num_classes, seed, device):
    """Seed everything, build the model and its optimizer on ``device``; returns a handle."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    net = student.build_model(tuple(input_shape), num_classes).to(device)
    optimizer = student.make_optimizer(net)
    generator = torch.Generator().manual_seed(seed)
    _runs[len(_runs)] = {
        "model": net,
        "optimizer": optimizer,
        "device": device,
        "generator": generator,
    }
    return len(_runs) - 1


def scores_shape(handle, x):
    """The shape of the model's output for a batch: a check of build_model."""
    run = _runs[handle]
    run["model"].eval()
    with torch.no_grad():
        out = run["model"](torch.as_tensor(x, dtype=torch.float32, device=run["device"]))
    return tuple(out.shape)


def load(handle, x, y, val_x):
    """Keep the training data and the validation images on the device, so that epochs do not
    resend them (the validation labels stay in the grader)."""
    run = _runs[handle]
    run["x"] = torch.as_tensor(x, dtype=torch.float32, device=run["device"])
    run["y"] = torch.as_tensor(y, dtype=torch.int64, device=run["device"])
    run["val_x"] = torch.as_tensor(val_x, dtype=torch.float32, device=run["device"])


def _synchronize(run):
    if run["device"].startswith("cuda"):
        torch.cuda.synchronize()


def train_epoch(handle, batch_size):
    """One pass over the data in shuffled minibatches, then the validation images' predicted
    classes: the epoch and its evaluation in one round trip. Returns (mean loss, predictions);
    the GPU is synchronised after the epoch, and the predictions' copy to the CPU waits for it
    again, so that the grader's clock sees all the work."""
    run = _runs[handle]
    order = torch.randperm(len(run["y"]), generator=run["generator"]).to(run["device"])
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        losses.append(
            float(
                student.train_step(run["model"], run["optimizer"], run["x"][batch], run["y"][batch])
            )
        )
    _synchronize(run)  # the epoch's work on the GPU done, before the evaluation's starts
    return float(np.mean(losses)), _classes(run, run["val_x"])


def warmup(handle, batch_size):
    """One step before timing starts (CUDA context, kernels, allocator)."""
    run = _runs[handle]
    student.train_step(run["model"], run["optimizer"], run["x"][:batch_size], run["y"][:batch_size])
    _synchronize(run)


def predict(handle, x):
    """Predicted classes for x, the model in evaluation mode."""
    run = _runs[handle]
    return _classes(run, torch.as_tensor(x, dtype=torch.float32, device=run["device"]))


def _classes(run, x):
    run["model"].eval()
    with torch.no_grad():
        scores = run["model"](x)
    return scores.argmax(dim=1).cpu().numpy()
