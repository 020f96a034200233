package dev.quiver.store;

import static dev.quiver.store.EngineDriver.error;
import static dev.quiver.store.EngineDriver.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectInfo;
import dev.quiver.protocol.ObjectState;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.Status;
import org.junit.jupiter.api.Test;

class EngineConnectTest {
    private final EngineDriver d = new EngineDriver(1 << 20);

    @Test
    void connectAnswersWithTheClientIdCapacityAndArena() {
        long first = d.engine.accept();
        long second = d.engine.accept();

        Reply r1 = d.call(first, new Request.Connect(FrameCodec.PROTOCOL_VERSION, "writer", 100));
        Reply r2 = d.call(second, new Request.Connect(FrameCodec.PROTOCOL_VERSION, "reader", 200));

        assertThat(r1).isEqualTo(new Reply.Connected(FrameCodec.PROTOCOL_VERSION, first, 1 << 20, EngineDriver.ARENA));
        assertThat(r2).isEqualTo(new Reply.Connected(FrameCodec.PROTOCOL_VERSION, second, 1 << 20, EngineDriver.ARENA));
        assertThat(first).isNotEqualTo(second);
        assertThat(d.outbox.closed).isEmpty();
    }

    @Test
    void clientIdsAreNeverReused() {
        long a = d.connect();
        d.engine.disconnect(a);

        long b = d.connect();

        assertThat(b).isNotEqualTo(a);
    }

    @Test
    void statsCountOnlyConnectedClients() {
        long a = d.connect();
        d.engine.accept(); // connection open, Connect not yet received
        assertThat(d.stats().clients()).isEqualTo(1);

        d.connect();
        assertThat(d.stats().clients()).isEqualTo(2);

        d.engine.disconnect(a);
        assertThat(d.stats().clients()).isEqualTo(1);
    }

    @Test
    void aWrongProtocolVersionIsAProtocolErrorAndClosesTheConnection() {
        long c = d.engine.accept();

        Reply r = d.call(c, new Request.Connect(FrameCodec.PROTOCOL_VERSION + 1, "future", 1));

        String message = error(r, Status.PROTOCOL_ERROR);
        assertThat(message).contains(String.valueOf(FrameCodec.PROTOCOL_VERSION + 1))
                .contains(String.valueOf(FrameCodec.PROTOCOL_VERSION));
        assertThat(d.outbox.closedFor(c)).hasSize(1);
        assertThat(d.stats().clients()).isZero();
        // The engine has forgotten the client: later bytes in flight are ignored.
        d.send(c, new Request.Stats());
        assertThat(d.outbox.to(c)).hasSize(1);
    }

    @Test
    void aRequestBeforeConnectIsAProtocolErrorAndClosesTheConnection() {
        long c = d.engine.accept();

        Reply r = d.call(c, new Request.Create(id("x"), 10, 0, 0));

        assertThat(error(r, Status.PROTOCOL_ERROR)).contains("Connect").contains("Create");
        assertThat(d.outbox.closedFor(c)).singleElement().satisfies(x -> assertThat(x.reason()).contains("Connect"));
        assertThat(d.stats().objects()).isZero();
        assertThat(d.stats().used()).isZero();
        // Connecting afterwards is too late: the session is gone.
        d.send(c, new Request.Connect(FrameCodec.PROTOCOL_VERSION, "late", 1));
        assertThat(d.outbox.to(c)).hasSize(1);
    }

    @Test
    void connectingTwiceIsAProtocolErrorAndUndoesTheClientsWorkOnceItsSocketCloses() {
        long c = d.connect();
        long other = d.connect();
        d.created(c, id("unsealed"), 100);
        d.putHeld(c, id("held"), 100);

        Reply r = d.call(c, new Request.Connect(FrameCodec.PROTOCOL_VERSION, "again", 1));

        assertThat(error(r, Status.PROTOCOL_ERROR)).contains("twice");
        assertThat(d.outbox.closedFor(c)).hasSize(1);
        // Dropped, but its socket is still open: it may still read what it holds, so nothing is freed yet ...
        assertThat(d.list(other)).extracting(ObjectInfo::id, ObjectInfo::refCount)
                .containsExactly(tuple(id("unsealed"), 1), tuple(id("held"), 1));
        int answered = d.outbox.to(c).size();
        d.send(c, new Request.Stats());
        assertThat(d.outbox.to(c)).hasSize(answered); // and it is not served any more
        // ... until the transport reports the socket closed.
        d.engine.disconnect(c);
        assertThat(d.list(other)).singleElement().satisfies(i -> {
            assertThat(i.id()).isEqualTo(id("held"));
            assertThat(i.refCount()).isZero();
            assertThat(i.state()).isEqualTo(ObjectState.SEALED);
        });
        d.checkBooks(other);
    }

    @Test
    void requestsFromUnknownClientsAreIgnored() {
        d.send(999, new Request.Stats());
        d.engine.disconnect(999);

        assertThat(d.outbox.sent).isEmpty();
        assertThat(d.outbox.closed).isEmpty();
    }

    @Test
    void disconnectIsIdempotent() {
        long c = d.connect();
        d.created(c, id("x"), 100);

        d.engine.disconnect(c);
        d.engine.disconnect(c);

        assertThat(d.stats().used()).isZero();
        assertThat(d.stats().clients()).isZero();
    }

    @Test
    void theStatsRequestAnswersWhatStatsReports() {
        long c = d.connect();
        d.putHeld(c, id("a"), 1000);
        d.put(c, id("b"), 100);

        Reply r = d.call(c, new Request.Stats());

        assertThat(r).isEqualTo(d.stats());
        assertThat(d.stats()).isEqualTo(new Reply.StoreStats(1 << 20, 1024 + 128, 1024, 128, 2, 1, 0, 0));
    }
}
