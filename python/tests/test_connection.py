"""The connection's guards: deadlines, a store of another user, malformed replies. Fake stores in Python play the
misbehaving side (a real store never does)."""

import os
import shutil
import socket
import struct
import tempfile
import threading

import pytest

import quiver
from quiver import _wire as w


class FakeStore:
    """Accepts one client, answers CONNECT with a real (small) arena file, then does what ``after`` says."""

    def __init__(self, after):
        self.dir = tempfile.mkdtemp(prefix="quiver-fake-")
        self.path = os.path.join(self.dir, "fake.sock")
        self.arena = os.path.join(self.dir, "arena")
        with open(self.arena, "wb") as f:
            f.truncate(1 << 16)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(1)
        self.after = after
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.server.accept()
        with conn:
            _length, _t, _f, rid = struct.unpack("<IHHI", conn.recv(12))
            conn.recv(1024)
            payload = struct.pack("<Iqq", 1, 1, 1 << 16) + w.string(self.arena)
            conn.sendall(w.frame(w.CONNECTED, rid, payload))
            self.after(conn)
            self.done.wait(300)  # until the test ends: longer than any hang guard

    def close(self):
        self.done.set()
        self.server.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_a_store_that_does_not_answer_ends_in_store_unavailable():
    fake = FakeStore(lambda conn: conn.recv(1024))  # reads the request, never answers
    try:
        c = quiver.connect(fake.path, request_timeout=0.5)
        with pytest.raises(quiver.StoreUnavailableException, match="did not answer"):
            c.contains(quiver.ObjectId.for_name("x"))
        assert not c.connected  # the connection is treated as lost: later calls fail at once
        with pytest.raises(quiver.StoreUnavailableException, match="lost"):
            c.stats()
    finally:
        fake.close()


def test_a_store_that_stops_reading_fails_the_send_at_the_deadline():
    fake = FakeStore(lambda conn: None)  # never reads again: the socket's buffers fill up
    try:
        c = quiver.connect(fake.path, request_timeout=0.5)
        ids = [quiver.ObjectId.random() for _ in range(w.MAX_BATCH)]  # a 1.3 MB frame: more than the buffers hold
        outcome = []

        def call():
            try:
                c.get(ids)
            except quiver.StoreUnavailableException as e:
                outcome.append(e)

        t = threading.Thread(target=call, daemon=True)
        t.start()
        t.join(30)  # a hang guard: without a send deadline the call never returns
        assert not t.is_alive(), "the send blocked past its deadline"
        assert "lost" in str(outcome[0])
        assert not c.connected
    finally:
        fake.close()


def test_a_malformed_reply_breaks_the_connection():
    def bad(conn):
        _l, _t, _f, rid = struct.unpack("<IHHI", conn.recv(12))
        conn.recv(1024)
        conn.sendall(struct.pack("<IHHI", 8, 0x77, 0, rid))  # an unknown reply type
    fake = FakeStore(bad)
    try:
        c = quiver.connect(fake.path, request_timeout=30)
        with pytest.raises(quiver.StoreUnavailableException, match="malformed frame"):
            c.contains(quiver.ObjectId.for_name("x"))
        assert not c.connected
    finally:
        fake.close()


def test_bad_request_timeout_is_refused(store):
    with pytest.raises(ValueError, match="request_timeout"):
        quiver.connect(store.socket, request_timeout=0)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a fake store as another user")
def test_a_store_run_by_another_user_is_refused():
    d = tempfile.mkdtemp(prefix="quiver-other-")
    os.chmod(d, 0o777)
    path = os.path.join(d, "other.sock")
    r, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child becomes 'nobody' and listens
        try:
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            os.chmod(path, 0o777)
            s.listen(1)
            os.write(wfd, b"x")
            conn, _ = s.accept()
            conn.recv(1)
        finally:
            os._exit(0)
    try:
        assert os.read(r, 1) == b"x"
        with pytest.raises(quiver.StoreUnavailableException, match="runs as user 65534"):
            quiver.connect(path)
    finally:
        os.waitpid(pid, 0)
        shutil.rmtree(d, ignore_errors=True)
