"""Running on Gradescope: the autograder zip, its run_autograder entry point and rate limits."""
