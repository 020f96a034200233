"""Finding and starting the Java store from Python (``quiver.plasma.start_plasma_store``)."""

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading

from .errors import StoreUnavailableException

READY = "quiver store: serving"


def find_launcher():
    """The ``bin/quiver`` launcher: ``$QUIVER_HOME/bin/quiver``, else the repository this package sits in (or the
    current directory lies in), else ``quiver`` on PATH."""
    home = os.environ.get("QUIVER_HOME")
    if home:
        path = os.path.join(home, "bin", "quiver")
        if os.access(path, os.X_OK):
            return path
        raise StoreUnavailableException(f"QUIVER_HOME is {home}, but {path} is not an executable launcher: set "
                                        f"QUIVER_HOME to the root of a Quiver checkout or installation")
    starts = [os.path.dirname(os.path.abspath(__file__)), os.getcwd()]
    for start in starts:
        d = start
        while True:
            path = os.path.join(d, "bin", "quiver")
            if os.access(path, os.X_OK) and os.path.isdir(os.path.join(d, "quiver-store")):
                return path
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    on_path = shutil.which("quiver")
    if on_path:
        return on_path
    raise StoreUnavailableException(
        "cannot find the Quiver store: set QUIVER_HOME to the root of a Quiver checkout (the directory with "
        "bin/quiver), run from inside one, or put its bin/quiver on PATH")


@contextlib.contextmanager
def start_store(memory, socket=None, directory=None, huge_pages=False, ready_timeout=300.0):
    """Starts ``quiver store`` in a child process; yields ``(socket, process)`` and stops it (SIGTERM) at exit."""
    launcher = find_launcher()
    tmp = None
    if socket is None:
        tmp = tempfile.mkdtemp(prefix="quiver-")
        socket = os.path.join(tmp, "plasma.sock")
    cmd = [launcher, "store", "-m", str(int(memory)), "-s", socket]
    if directory:
        cmd += ["-d", os.fspath(directory)]
    if huge_pages:
        cmd.append("-h")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        _wait_ready(proc, cmd, ready_timeout)
        yield socket, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for f in (proc.stdout, proc.stderr):
            if f:
                f.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _wait_ready(proc, cmd, timeout):
    """Reads the store's stdout until its 'serving' line (the store is listening then)."""
    seen = []
    ready = threading.Event()

    def read():
        for line in proc.stdout:
            seen.append(line)
            if line.startswith(READY):
                ready.set()
                break

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout)
    if not ready.is_set():
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        err = proc.stderr.read() if proc.stderr else ""
        raise StoreUnavailableException(
            f"the store did not start ({' '.join(cmd)}; exit code {proc.returncode}):\n{''.join(seen)}{err}")
    # keep draining both pipes so the store never blocks on a full pipe
    for f in (proc.stdout, proc.stderr):
        threading.Thread(target=_drain, args=(f,), daemon=True).start()


def _drain(f):
    try:
        for _ in f:
            pass
    except (ValueError, OSError):
        pass


# The same flags as bin/quiver's: the last one lets a store make command rings for Java clients (Agrona).
JVM_FLAGS = ["--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
             "--sun-misc-unsafe-memory-access=allow", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"]


def _java_major(java):
    try:
        out = subprocess.run([java, "-XshowSettings:properties", "-version"], capture_output=True, text=True,
                             timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired):
        return 0
    for line in out.splitlines():
        if "java.specification.version" in line:
            v = line.split("=")[1].strip()
            return int(v) if v.isdigit() else 0
    return 0


def find_java():
    """A java launcher of a JDK 25 or newer, looked for as bin/quiver does (JAVA_HOME, /usr/lib/jvm/*, then PATH);
    None if there is none."""
    import glob
    candidates = [os.path.join(os.environ["JAVA_HOME"], "bin", "java")] if os.environ.get("JAVA_HOME") else []
    candidates += sorted(glob.glob("/usr/lib/jvm/*/bin/java")) + ["java"]
    for java in candidates:
        if _java_major(java) >= 25:
            return java
    return None


# The runnable jars of a checkout, and the bin/quiver command that builds each when it is missing or stale.
_JARS = {"cli": (("quiver-cli", "target", "quiver.jar"), ["--version"]),
         "examples": (("quiver-examples", "target", "quiver-examples.jar"), ["example", "--help"])}


def java_main_command(main_class, jar="cli"):
    """The command that runs a Java class of one of Quiver's runnable jars: "cli" (quiver.jar, the store and the
    operator's commands) or "examples" (quiver-examples.jar, the demos' programs), building it through bin/quiver if
    needed, on a JDK 25 or newer found as bin/quiver finds it: JAVA_HOME, /usr/lib/jvm/*, then PATH."""
    launcher = find_launcher()
    root = os.path.dirname(os.path.dirname(launcher))
    path, build = _JARS[jar]
    jar_file = os.path.join(root, *path)
    subprocess.run([launcher, *build], check=True, capture_output=True)  # builds the jar when it is stale
    java = find_java()
    if java is not None:
        return [java, *JVM_FLAGS, "-cp", jar_file, main_class]
    raise StoreUnavailableException("Quiver's Java programs need a JDK 25 or newer (JAVA_HOME, /usr/lib/jvm/*, or "
                                    "java on PATH): install one, e.g. Eclipse Temurin 25")
