"""grader: an autograder for deep-learning-from-scratch courses."""

__version__ = "0.1.0"
