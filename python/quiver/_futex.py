"""Linux futexes on a 32-bit word in shared memory (a mapped arena), across processes.

The Python side of Java's ``dev.quiver.client.Futex``: ``wait`` sleeps while the word holds an expected value,
``wake`` wakes sleepers, in this or any other process (Java or Python) that maps the same file. The calls are
``syscall(SYS_futex, ...)`` through ctypes with FUTEX_WAIT and FUTEX_WAKE, without FUTEX_PRIVATE_FLAG (the word lives
in a shared file mapping, and other processes wait on it). ctypes releases the GIL for the call, so other Python
threads run while one sleeps.

The doorbell protocol that readers and writers build on these two calls is described in the Javadoc of
``dev.quiver.client.Futex`` and in docs/protocol.md.
"""

import ctypes
import errno
import os
import platform

__all__ = ["is_supported", "wait", "wake"]

_FUTEX_WAIT = 0
_FUTEX_WAKE = 1
_SYS_FUTEX = {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98}.get(platform.machine().lower())

_syscall = None
if platform.system() == "Linux" and _SYS_FUTEX is not None:
    try:
        _syscall = ctypes.CDLL(None, use_errno=True).syscall
        _syscall.restype = ctypes.c_long
        # a probe: a wake on a private word wakes nobody, and fails only where the system call is unusable
        if _syscall(ctypes.c_long(_SYS_FUTEX), ctypes.byref(ctypes.c_int(0)), ctypes.c_long(_FUTEX_WAKE),
                    ctypes.c_long(1)) != 0:
            _syscall = None
    except (OSError, AttributeError):
        _syscall = None


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def is_supported():
    """True on Linux x86_64 and aarch64, where the futex system call is reachable through the C library."""
    return _syscall is not None


def _address(buffer, offset, size=4):
    """The address of ``buffer[offset]``, checked: inside the buffer, 4-byte aligned, writable memory."""
    if _syscall is None:
        raise NotImplementedError(f"futexes are not available here ({platform.system()} {platform.machine()}); "
                                  "they work on Linux x86_64 and aarch64")
    length = memoryview(buffer).nbytes
    if not 0 <= offset <= length - size:
        raise ValueError(f"futex word at offset {offset} ({size} bytes) is outside the buffer of {length} bytes; "
                         f"use an offset from 0 to {length - size}")
    try:
        probe = ctypes.c_char.from_buffer(buffer)
    except TypeError as e:
        raise ValueError(f"futex word must be in a writable buffer such as an mmap of the arena: {e}") from None
    address = ctypes.addressof(probe) + offset
    del probe  # an export of the buffer; only its address is kept
    if address % 4:
        raise ValueError(f"futex word at offset {offset} is not 4-byte aligned (address {address:#x}); "
                         "the kernel refuses unaligned futex words")
    return address


def wait(buffer, offset, expected, timeout):
    """Sleeps while the 32-bit int at ``buffer[offset]`` (native byte order) equals ``expected`` (compared as 32 bits,
    so -1 and 0xFFFFFFFF are the same), up to ``timeout`` seconds.

    Returns False if the timeout passed; True otherwise (woken, the value already differed, interrupted by a signal,
    or a spurious wake-up): callers re-check their condition either way.
    """
    address = _address(buffer, offset)
    if not timeout > 0:
        raise ValueError(f"futex timeout must be positive, got {timeout} s")
    ns = int(timeout * 1e9)
    ts = _Timespec(ns // 1_000_000_000, ns % 1_000_000_000)
    r = _syscall(ctypes.c_long(_SYS_FUTEX), ctypes.c_void_p(address), ctypes.c_long(_FUTEX_WAIT),
                 ctypes.c_long(expected & 0xFFFFFFFF), ctypes.byref(ts))
    if r == 0:
        return True
    e = ctypes.get_errno()
    if e == errno.ETIMEDOUT:
        return False
    if e in (errno.EAGAIN, errno.EINTR):
        return True
    raise OSError(e, f"futex(FUTEX_WAIT) at offset {offset} failed: {os.strerror(e)}")


def wake(buffer, offset, count=1):
    """Wakes up to ``count`` (at least 1) sleepers on the int at ``buffer[offset]``, in any process; returns how many
    were woken."""
    address = _address(buffer, offset)
    if count < 1:
        raise ValueError(f"futex wake count must be at least 1, got {count}; 2**31 - 1 wakes every sleeper")
    r = _syscall(ctypes.c_long(_SYS_FUTEX), ctypes.c_void_p(address), ctypes.c_long(_FUTEX_WAKE),
                 ctypes.c_long(min(count, 2**31 - 1)))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"futex(FUTEX_WAKE) at offset {offset} failed: {os.strerror(e)}")
    return r
