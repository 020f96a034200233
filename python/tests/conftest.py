"""Test fixtures: a real Java store in a child process, and small Java programs run against it.

The store and the Java programs run from the CLI jar of this checkout (quiver-cli/target/quiver.jar, which
``./mvnw verify`` builds before it runs these tests) on a JDK 25 or newer; the demos' Java programs run from the
examples jar (quiver-examples/target/quiver-examples.jar, built by the same module that runs these tests).
"""

import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import quiver
from quiver._launcher import JVM_FLAGS, find_java

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JAR = os.path.join(ROOT, "quiver-cli", "target", "quiver.jar")
JAVA_DIR = os.path.join(os.path.dirname(__file__), "java")
FLAGS = JVM_FLAGS
READY = "quiver store: serving"


def _find_java():
    j = find_java()
    if j is None:
        pytest.exit("the Python tests need a JDK 25 or newer (JAVA_HOME, /usr/lib/jvm/*, or java on PATH)", 2)
    return j


JAVA = None


def java():
    global JAVA
    if JAVA is None:
        JAVA = _find_java()
    return JAVA


def jar():
    if not os.path.isfile(JAR):
        pytest.exit(f"{JAR} is missing: build it first (./mvnw -pl quiver-cli -am install -DskipTests)", 2)
    return JAR


class Store:
    """A Java store in a child process, with its socket in a temporary directory."""

    def __init__(self, memory="256m"):
        self.dir = tempfile.mkdtemp(prefix="quiver-py-")
        self.socket = os.path.join(self.dir, "store.sock")
        # an arena directory of its own: other stores on the machine clean stale arenas in theirs
        self.arena_dir = tempfile.mkdtemp(prefix="quiver-py-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        self.proc = subprocess.Popen([java(), *FLAGS, "-jar", jar(), "store", "-m", memory, "-s", self.socket,
                                      "-d", self.arena_dir],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        for line in self.proc.stdout:
            lines.append(line)
            if line.startswith(READY):
                break
        else:
            raise RuntimeError("the store did not start:\n" + "".join(lines))

    def client(self, **kw):
        return quiver.connect(self.socket, **kw)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.arena_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def store():
    s = Store()
    yield s
    s.stop()


@pytest.fixture
def client(store):
    c = store.client()
    yield c
    c.close()


_CLASSES = None


def _java_command(program):
    """Compiles python/tests/java/*.java once (against the CLI jar); the command that runs PROGRAM."""
    global _CLASSES
    if _CLASSES is None:
        out = tempfile.mkdtemp(prefix="quiver-py-classes-")
        javac = os.path.join(os.path.dirname(java()), "javac")
        sources = sorted(glob.glob(os.path.join(JAVA_DIR, "*.java")))
        subprocess.run([javac, "-d", out, "-cp", jar(), *sources], check=True, capture_output=True, text=True)
        _CLASSES = out
    return [java(), *FLAGS, "-cp", jar() + os.pathsep + _CLASSES, program]


def run_java(program, *args, timeout=120, check=True):
    """Runs python/tests/java/PROGRAM.java with the CLI jar on the class path."""
    proc = subprocess.run([*_java_command(program), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{program} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


_children = []


@pytest.fixture(scope="session", autouse=True)
def _kill_leftover_children():
    """Kills the child processes that a failing test left running (the tests kill their own on success), and
    removes the compiled Java programs."""
    yield
    for p in _children:
        if p.poll() is None:
            p.kill()
            p.wait()
    if _CLASSES:
        shutil.rmtree(_CLASSES, ignore_errors=True)


def java_stack(proc):
    """A thread dump of a running Java child (``jcmd PID Thread.print``): where its threads are now."""
    jcmd = os.path.join(os.path.dirname(java()), "jcmd")
    return subprocess.run([jcmd, str(proc.pid), "Thread.print"], capture_output=True, text=True, timeout=60).stdout


def python_stack():
    """The names of the functions every thread of this process is in now, innermost first."""
    names = []
    for frame in sys._current_frames().values():
        while frame is not None:
            names.append(frame.f_code.co_name)
            frame = frame.f_back
    return names


def start_java(program, *args):
    """Starts a Java program in the background, stdout piped (line by line)."""
    return _track(subprocess.Popen([*_java_command(program), *map(str, args)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))


def _track(proc):
    _children.append(proc)
    return proc


def start_python(code, *args):
    """Starts a Python child process running ``code``, stdout piped, stdin a pipe."""
    return _track(subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))


def expect(proc, prefix, guard=None):
    """Reads the child's stdout until a line starting with ``prefix``; returns the rest of that line.

    ``guard`` (seconds) is a hang guard, not a timing: a child that has not printed the line by then is killed and
    the test fails.
    """
    if guard is None:
        return _expect(proc, prefix)
    with concurrent.futures.ThreadPoolExecutor(1) as reader:
        line = reader.submit(_expect, proc, prefix)
        try:
            return line.result(timeout=guard)
        except concurrent.futures.TimeoutError:
            proc.kill()  # ends the read too
            raise AssertionError(f"the child did not print {prefix!r} within {guard} s") from None


def _expect(proc, prefix):
    for line in proc.stdout:
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    raise AssertionError(f"the child ended before printing {prefix!r}: {proc.stderr.read() if proc.stderr else ''}")
