package dev.quiver.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unexpected exception inside the engine, injected while a real store serves a request: if the engine's invariants
 * still hold, only the client being served is dropped; if they do not, the store stops with a report instead of
 * serving on from state it cannot trust.
 */
@Timeout(60) // a hang guard: every read below ends with a reply or an end of stream
class EngineFailureTest {
    @TempDir
    Path dir;

    @Test
    void anErrorThatLeavesTheStateIntactDropsOnlyThatClient() throws Exception {
        try (StoreServer store = StoreServer.start(StoreConfig.of(1 << 20, dir.resolve("s.sock")))) {
            store.transport().engine().injectFault(r -> {
                if (r instanceof Request.Evict) {
                    throw new IllegalStateException("injected");
                }
            });
            try (SocketChannel victim = connect(store); SocketChannel bystander = connect(store)) {
                send(victim, new Request.Evict(1));
                assertThat(read(victim)).as("end of stream for the client being served").isNull();

                send(bystander, new Request.Stats());
                Reply stats = read(bystander);
                assertThat(stats).isInstanceOf(Reply.StoreStats.class);
                assertThat(((Reply.StoreStats) stats).clients()).isEqualTo(1);
            }
            assertThat(store.failure()).isNull();
        }
    }

    @Test
    void anErrorThatLeavesTheStateInconsistentStopsTheStoreWithAReport() throws Exception {
        try (StoreServer store = StoreServer.start(StoreConfig.of(1 << 20, dir.resolve("s.sock")))) {
            Engine engine = store.transport().engine();
            engine.injectFault(r -> {
                if (r instanceof Request.Evict) {
                    corruptEvictableBytes(engine); // as a bug halfway through a change would
                    throw new IllegalStateException("injected");
                }
            });
            try (SocketChannel victim = connect(store); SocketChannel bystander = connect(store)) {
                send(victim, new Request.Evict(1));

                assertThat(read(victim)).isNull();
                assertThat(read(bystander)).as("every client sees the store go").isNull();
                store.awaitStop();
                assertThat(store.failure()).isInstanceOf(EngineStateException.class)
                        .hasMessageContaining("inconsistent").hasMessageContaining("LRU")
                        .hasRootCauseMessage("injected");
            }
        }
    }

    private static void corruptEvictableBytes(Engine engine) {
        try {
            Field f = Engine.class.getDeclaredField("evictableBytes");
            f.setAccessible(true);
            f.setLong(engine, f.getLong(engine) + 64);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static SocketChannel connect(StoreServer store) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(store.socket()));
        send(ch, new Request.Connect(FrameCodec.PROTOCOL_VERSION, "test", ProcessHandle.current().pid()));
        assertThat(read(ch)).isInstanceOf(Reply.Connected.class);
        return ch;
    }

    private static void send(SocketChannel ch, Request r) throws IOException {
        ByteBuffer frame = FrameCodec.encode(1, r);
        while (frame.hasRemaining()) {
            ch.write(frame);
        }
    }

    /** The next reply, or null at end of stream. */
    private static Reply read(SocketChannel ch) throws IOException {
        ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        if (!readFully(ch, length)) {
            return null;
        }
        ByteBuffer body = ByteBuffer.allocate(FrameCodec.checkLength(length.getInt(0)));
        if (!readFully(ch, body)) {
            return null;
        }
        return FrameCodec.decodeReply(body.flip()).message();
    }

    private static boolean readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                return false;
            }
        }
        return true;
    }
}
