"""What leaves the staff's machine: the students' handout, and for Gradescope the autograder zip,
its run_autograder entry point and rate limits."""
