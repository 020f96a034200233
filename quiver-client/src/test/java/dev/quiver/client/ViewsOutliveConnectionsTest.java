package dev.quiver.client;

import static dev.quiver.client.Fixtures.WAIT;
import static dev.quiver.client.Fixtures.awaitEvent;
import static dev.quiver.client.Fixtures.id;
import static dev.quiver.client.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.testing.ChildJvm;
import dev.quiver.client.testing.Patterns;
import dev.quiver.client.testing.RawConnection;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.client.testing.StoreChild;
import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safety invariant: memory that an open view of a live process can read is never given to another object,
 * however the connection ends. Client close and client crash are covered by BufferLifecycleTest and ClientDeathTest;
 * here, a drop by the store and the store's restart.
 */
class ViewsOutliveConnectionsTest {
    private static final long CAPACITY = 1 << 20;
    private static final int SIZE = 64 << 10;

    @RegisterExtension
    final RunningStore store = new RunningStore(CAPACITY);

    @TempDir
    Path dir;

    @Test
    void aClientDroppedByTheStoreKeepsItsMemoryUntilItClosesItsSocket() throws IOException {
        QuiverClient owner = store.client();
        ObjectId x = id("x");
        put(owner, x, SIZE, 0, 1);
        try (Subscription events = owner.subscribe();
             RawConnection reader = RawConnection.open(store.server().socket());
             Arena mapping = Arena.ofShared()) {
            // A reader maps the arena and gets x: it may read [offset, offset + SIZE) until it releases x.
            Reply.Connected hello = reader.handshake();
            MemorySegment arena = map(Path.of(hello.arenaPath()), hello.capacity(), mapping);
            reader.write(FrameCodec.encode(2, new Request.Get(List.of(x), 0)));
            Reply.Location where = ((Reply.Objects) reader.readFrame(WAIT).message()).objects().getFirst();
            MemorySegment view = arena.asSlice(where.offset(), SIZE);

            // The store drops it for a protocol violation; it reads the error, then end of stream.
            reader.write(RawConnection.frame(8, 0x7777, 0, 3, new byte[0]));
            reader.readUntilEof(WAIT);
            assertThat(reader.sawEof()).isTrue();

            // Its reference still holds: x cannot be freed, and no new object lands on its bytes, even with the
            // store filled to the brim.
            assertThat(owner.delete(x)).isEqualTo(DeleteOutcome.DEFERRED);
            List<ObjectBuffer> fillers = fill(owner);
            assertThat(fillers).hasSize((int) (CAPACITY / SIZE) - 1);
            assertThat(Patterns.matches(view, MemorySegment.NULL, 1)).as("x's bytes, as the dropped reader sees them")
                    .isTrue();

            // Once it closes its socket, x is freed (and its bytes may be reused).
            reader.close();
            assertThat(awaitEvent(events, ObjectEvent.Kind.DELETED, x).id()).isEqualTo(x);
            assertThat(owner.contains(x)).isFalse();
            fillers.forEach(ObjectBuffer::close);
        }
    }

    @Test
    void aPinnedViewKeepsReadingTheOldArenaAfterTheStoreRestarts() throws IOException {
        Path socket = dir.resolve("restarting.sock");
        ObjectId x = id("x");
        ChildJvm first = ChildJvm.start(StoreChild.class, socket.toString(), String.valueOf(CAPACITY));
        try {
            first.expect("ready", WAIT);
            try (QuiverClient reader = QuiverClient.connect(socket, WAIT)) {
                put(reader, x, SIZE, 0, 1);
                ObjectBuffer b = reader.get(x, QuiverClient.NO_WAIT).orElseThrow();
                MemorySegment pinned = MemorySegment.ofAddress(b.pin()).reinterpret(SIZE);

                first.kill(); // the store dies with the reader's view open
                first.waitFor(WAIT);
                try (ChildJvm second = ChildJvm.start(StoreChild.class, socket.toString(), String.valueOf(CAPACITY))) {
                    second.expect("ready", WAIT);
                    try (QuiverClient writer = QuiverClient.connect(socket, WAIT)) {
                        assertThat(writer.arenaPath()).isNotEqualTo(reader.arenaPath());
                        assertThat(fill(writer)).hasSize((int) (CAPACITY / SIZE)); // every byte of the new arena
                        assertThat(Patterns.matches(pinned, MemorySegment.NULL, 1)).isTrue();
                    }
                    second.send("stop");
                    second.expect("stopped", WAIT);
                }
                b.close();
            }
        } finally {
            first.close();
        }
    }

    /**
     * Fills every free byte of the store with objects of another pattern than x's, each held (so that none can be
     * evicted to make room for the next); returns the buffers.
     */
    private static List<ObjectBuffer> fill(QuiverClient c) {
        List<ObjectBuffer> held = new ArrayList<>();
        for (long size : new long[] {SIZE, 64}) {
            for (int i = 0; ; i++) {
                ObjectId id = id("filler-" + size + "-" + i);
                try {
                    put(c, id, size, 0, 2);
                } catch (StoreFullException e) {
                    break;
                }
                held.add(c.get(id, QuiverClient.NO_WAIT).orElseThrow());
            }
        }
        return held;
    }

    private static MemorySegment map(Path arena, long capacity, Arena scope) throws IOException {
        try (FileChannel ch = FileChannel.open(arena, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, capacity, scope);
        }
    }
}
