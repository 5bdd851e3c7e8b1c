"""System calls refused to student code, with seccomp through libseccomp: those of the kernel's
keyrings (``add_key``, ``request_key``, ``keyctl``).

A key outlives the worker that made it, and a keyring's owner can lock it against being emptied
(``keyctl setperm``): a hidden test's inputs would reach a later visible test, or the next
grading that gets the same uid, whatever grader.sandbox.keyrings empties. Refused, each call
fails with EPERM, as Docker's default seccomp profile already makes it fail. Where libseccomp
is not installed or seccomp is not allowed, nothing is refused, and the report says so.
"""

from __future__ import annotations

import ctypes
import errno

#: The calls refused, by name (libseccomp knows each machine's numbers).
REFUSED = ("add_key", "request_key", "keyctl")
_ALLOW = 0x7FFF0000  # SCMP_ACT_ALLOW
_ERRNO = 0x00050000  # SCMP_ACT_ERRNO(0): the call returns -1 and sets errno


def _libseccomp() -> ctypes.CDLL | None:
    try:
        library = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError:
        return None
    library.seccomp_init.restype = ctypes.c_void_p
    library.seccomp_init.argtypes = [ctypes.c_uint32]
    library.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    library.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                         ctypes.c_uint]  # fmt: skip
    library.seccomp_load.argtypes = [ctypes.c_void_p]
    library.seccomp_release.argtypes = [ctypes.c_void_p]
    return library


#: Loaded once, in the fork server (before any fork): each worker only builds its filter.
_LIBRARY = _libseccomp()


def refuse_keyrings() -> bool:
    """In a worker, before student code (and after ``no_new_privs``): refuse the keyring calls
    to it and to every process it starts. True when the filter is in place."""
    if _LIBRARY is None:
        return False
    context = _LIBRARY.seccomp_init(_ALLOW)
    if not context:
        return False
    try:
        for name in REFUSED:
            number = _LIBRARY.seccomp_syscall_resolve_name(name.encode())
            if number < 0 or _LIBRARY.seccomp_rule_add(context, _ERRNO | errno.EPERM, number, 0):
                return False
        return _LIBRARY.seccomp_load(context) == 0
    finally:
        _LIBRARY.seccomp_release(context)
