"""Assignment 1 (optional file): weight initialisation and learning-rate schedules.

The schedules follow the CS231n notes: ``epoch`` counts from 0, and each returns the learning
rate to use during that epoch.
"""

import numpy as np


def xavier_init(fan_in, fan_out, rng):
    """Xavier/Glorot initialisation of a (fan_in, fan_out) weight matrix.

    Draw independent zero-mean values with variance 2 / (fan_in + fan_out), using only the
    numpy Generator rng (for example rng.normal or rng.uniform), so that the same rng state gives
    the same weights.
    """
    # BEGIN SOLUTION
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))
    # END SOLUTION


def he_init(fan_in, fan_out, rng):
    """He/Kaiming initialisation, for layers followed by a ReLU.

    As xavier_init, with variance 2 / fan_in.
    """
    # BEGIN SOLUTION
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    # END SOLUTION


def step_decay(learning_rate, epoch, drop=0.5, epochs_per_drop=10):
    """Step decay: multiply the rate by drop once every epochs_per_drop epochs.

    Returns learning_rate * drop ** (epoch // epochs_per_drop).
    """
    # BEGIN SOLUTION
    return learning_rate * drop ** (epoch // epochs_per_drop)
    # END SOLUTION


def exponential_decay(learning_rate, epoch, k=0.1):
    """Exponential decay: returns learning_rate * exp(-k * epoch)."""
    # BEGIN SOLUTION
    return learning_rate * np.exp(-k * epoch)
    # END SOLUTION


def inverse_time_decay(learning_rate, epoch, k=0.1):
    """1/t decay: returns learning_rate / (1 + k * epoch)."""
    # BEGIN SOLUTION
    return learning_rate / (1 + k * epoch)
    # END SOLUTION
