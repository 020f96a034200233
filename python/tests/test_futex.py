"""Futexes from Python (quiver._futex): a Python process asleep on a word of a shared file mapping is woken by a
Python or a Java process; timeouts, values that already differ and bad words.

A sleeper is woken only once it is asleep in the kernel (seen in /proc/PID/task/TID/syscall), and it sleeps for up to
30 s: a wake that does not reach it shows as a False return, never as a timing.
"""

import mmap
import os
import platform
import tempfile
import time

import pytest

from quiver import _futex
from conftest import expect, run_java, start_python

SYS_FUTEX = 98 if platform.machine().lower() in ("aarch64", "arm64") else 202
GUARD = 120  # seconds: a hang guard, not a timing

WAITER = r"""
import ctypes, mmap, sys
from quiver import _futex
with open(sys.argv[1], "r+b") as f:
    m = mmap.mmap(f.fileno(), 4096)
probe = ctypes.c_char.from_buffer(m)
print("mapped", ctypes.addressof(probe), flush=True)
del probe
print("awaited", _futex.wait(m, int(sys.argv[2]), 0, 30), flush=True)
"""


@pytest.fixture
def shared():
    """A 4 KiB file of zeros in /dev/shm, mapped here."""
    fd, path = tempfile.mkstemp(prefix="quiver-futex-py-", dir="/dev/shm")
    os.ftruncate(fd, 4096)
    m = mmap.mmap(fd, 4096)
    os.close(fd)
    yield path, m
    m.close()
    os.unlink(path)


def asleep(pid, address):
    """True if a thread of ``pid`` is blocked in futex(FUTEX_WAIT) on ``address`` now."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                fields = f.read().split()
        except OSError:
            continue  # the thread ended
        if len(fields) >= 4 and fields[0] == str(SYS_FUTEX) and int(fields[1], 16) == address and int(fields[2], 16) == 0:
            return True
    return False


def await_asleep(proc, address):
    deadline = time.monotonic() + GUARD
    while not asleep(proc.pid, address):
        assert proc.poll() is None, f"the waiter ended: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"the waiter did not go to sleep on {address:#x} within {GUARD} s"
        os.sched_yield()


def python_wake(path, m, offset):
    return _futex.wake(m, offset, 1)


def java_wake(path, m, offset):
    out = run_java("FutexWake", path, offset, 1).stdout.strip()
    assert out.startswith("woken ")
    return int(out.split()[1])


@pytest.mark.parametrize("waker", [python_wake, java_wake], ids=["python-waker", "java-waker"])
def test_a_python_process_asleep_on_a_shared_word_is_woken_by_another_process(shared, waker):
    path, m = shared
    waiter = start_python(WAITER, path, 64)
    base = int(expect(waiter, "mapped", guard=GUARD))
    await_asleep(waiter, base + 64)

    assert waker(path, m, 64) == 1
    assert expect(waiter, "awaited", guard=GUARD) == "True"
    assert waiter.wait(timeout=GUARD) == 0
    assert int.from_bytes(m[64:68], "little") == 0  # the word never changed


def test_timeout_and_a_value_that_differs(shared):
    _, m = shared
    assert _futex.wait(m, 0, 0, 0.001) is False
    m[8:12] = (7).to_bytes(4, "little")
    assert _futex.wait(m, 8, 6, 600) is True  # returns at once: sleeping would outlast the test run's guard
    assert _futex.wake(m, 0, 2**40) == 0  # nobody asleep; a huge count means everyone


def test_bad_words_are_refused_and_change_nothing(shared):
    _, m = shared
    m[0:8] = bytes(range(1, 9))
    for offset in (-4, 4093, 4096):
        with pytest.raises(ValueError, match="outside the buffer of 4096 bytes"):
            _futex.wait(m, offset, 0, 1)
        with pytest.raises(ValueError, match="outside the buffer"):
            _futex.wake(m, offset)
    with pytest.raises(ValueError, match="not 4-byte aligned"):
        _futex.wait(m, 2, 0, 1)
    with pytest.raises(ValueError, match="writable buffer"):
        _futex.wake(bytes(8), 0)
    with pytest.raises(ValueError, match="timeout must be positive"):
        _futex.wait(m, 0, 0x04030201, 0)
    with pytest.raises(ValueError, match="at least 1"):
        _futex.wake(m, 0, 0)
    assert m[0:8] == bytes(range(1, 9))
