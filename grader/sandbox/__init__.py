"""Running untrusted student code in worker processes: :mod:`sandbox` (the Sandbox of one
grading), :mod:`proxy` (calls that read like normal calls), :mod:`client` (the grader's handle on
a worker process), :mod:`zygote` (the fork server that forks workers), :mod:`worker` (the
worker's side), the wire format (:mod:`channel`, :mod:`codec`, :mod:`handles`, :mod:`objects`),
what isolates it (:mod:`user`, :mod:`isolation`, :mod:`acl`), and :mod:`reaper`, which
kills what a grading process killed outright started and removes its temporary files."""
