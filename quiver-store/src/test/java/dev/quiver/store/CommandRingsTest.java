package dev.quiver.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.MalformedFrameException;
import dev.quiver.protocol.ObjectId;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.RingLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's side of a client's command rings, without sockets or an engine: this test plays the client, mapping
 * the file as a client would and writing into it with Agrona.
 */
class CommandRingsTest {
    private static final String ARENA = "quiver-4242-0123456789abcdef.arena";
    private static final long CLIENT = 7;

    @TempDir
    Path dir;
    CommandRings rings;
    ManyToOneRingBuffer requests;
    OneToOneRingBuffer replies;
    UnsafeBuffer header;
    MappedByteBuffer mapping;
    final List<String> seen = new ArrayList<>();
    /** Ids of the requests that "came on the socket" so far. */
    final List<Integer> onSocket = new ArrayList<>();

    final CommandRings.Handler handler = new CommandRings.Handler() {
        @Override
        public boolean request(int requestId, Request request) {
            seen.add(requestId + " " + request.getClass().getSimpleName());
            return true;
        }

        @Override
        public boolean onSocket(int requestId) {
            if (!onSocket.remove(Integer.valueOf(requestId))) {
                return false;
            }
            seen.add(requestId + " from the socket");
            return true;
        }
    };

    @BeforeEach
    void make() throws IOException {
        rings = CommandRings.create(dir, ARENA, CLIENT, RingLayout.DEFAULT_REQUEST_RING, RingLayout.DEFAULT_REPLY_RING);
        Path path = rings.path();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
        }
        header = new UnsafeBuffer(mapping, 0, RingLayout.HEADER_LENGTH);
        requests = new ManyToOneRingBuffer(new UnsafeBuffer(mapping, RingLayout.requestRingOffset(),
                RingLayout.DEFAULT_REQUEST_RING + RingLayout.TRAILER_LENGTH));
        replies = new OneToOneRingBuffer(new UnsafeBuffer(mapping,
                RingLayout.replyRingOffset(RingLayout.DEFAULT_REQUEST_RING),
                RingLayout.DEFAULT_REPLY_RING + RingLayout.TRAILER_LENGTH));
    }

    @AfterEach
    void close() {
        rings.close();
    }

    @Test
    void theFileIsOwnerOnlyNamedAfterTheArenaAndDescribesItself() throws IOException {
        assertThat(rings.path().getFileName().toString()).isEqualTo(ARENA + ".rings-7");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rings.path()))).isEqualTo("rw-------");
        assertThat(Files.size(rings.path())).isEqualTo(RingLayout.fileLength(RingLayout.DEFAULT_REQUEST_RING,
                RingLayout.DEFAULT_REPLY_RING));
        assertThat(header.getLong(RingLayout.MAGIC_OFFSET)).isEqualTo(RingLayout.MAGIC);
        assertThat(header.getInt(RingLayout.VERSION_OFFSET)).isEqualTo(RingLayout.VERSION);
        assertThat(header.getLong(RingLayout.CLIENT_ID_OFFSET)).isEqualTo(CLIENT);
        assertThat(header.getInt(RingLayout.REQUEST_RING_CAPACITY_OFFSET)).isEqualTo(RingLayout.DEFAULT_REQUEST_RING);
        assertThat(header.getInt(RingLayout.REPLY_RING_OFFSET_OFFSET))
                .isEqualTo(RingLayout.replyRingOffset(RingLayout.DEFAULT_REQUEST_RING));
        assertThatThrownBy(() -> CommandRings.create(dir, ARENA, CLIENT, 1 << 16, 1 << 16))
                .as("never over an existing file").isInstanceOf(IOException.class);
    }

    @Test
    void requestsAreReadInOrderAndTheFileGoesWhenTheClientAttaches() {
        attach();
        send(2, new Request.Stats());
        send(3, new Request.Get(List.of(ObjectId.forName("x")), 0));
        assertThat(rings.hasRequests()).isTrue();
        assertThat(rings.read(handler, 64)).isEqualTo(3);
        assertThat(seen).containsExactly("2 Stats", "3 Get");
        assertThat(Files.exists(rings.path())).as("unlinked once attached").isFalse();
        assertThat(rings.hasRequests()).isFalse();
    }

    @Test
    void aClientWhoNeverAttachesLeavesNoFileEither() {
        rings.close();
        assertThat(Files.exists(rings.path())).isFalse();
        rings = null;
        rings = closedStandIn();
    }

    @Test
    void aReadTakesAtMostItsLimit() {
        attach();
        rings.read(handler, 1);
        for (int i = 1; i <= 10; i++) {
            send(i, new Request.Stats());
        }
        assertThat(rings.read(handler, 4)).isEqualTo(4);
        assertThat(rings.read(handler, 4)).isEqualTo(4);
        assertThat(rings.read(handler, 4)).isEqualTo(2);
        assertThat(seen).hasSize(10);
    }

    @Test
    void aRequestAfterTheRingWrapsIsReadInTheSameCall() {
        attach();
        rings.read(handler, 64);
        // 16-byte records (STATS: request id, no payload) until one record's room is left before the ring's end.
        while ((requests.producerPosition() & (RingLayout.DEFAULT_REQUEST_RING - 1))
                != RingLayout.DEFAULT_REQUEST_RING - 16) {
            send(1, new Request.Stats());
            rings.read(handler, 64);
        }
        seen.clear();
        send(2, new Request.Hash(ObjectId.forName("x"))); // 32 bytes: padding to the end, then the record at 0
        assertThat(rings.read(handler, 64)).isEqualTo(1);
        assertThat(seen).containsExactly("2 Hash");
    }

    @Test
    void aMarkerHoldsItsPlaceUntilItsFrameHasComeOnTheSocket() {
        attach();
        send(1, new Request.Stats());
        marker(2);
        send(3, new Request.Stats());
        rings.read(handler, 64);
        assertThat(seen).containsExactly("1 Stats");
        assertThat(rings.read(handler, 64)).as("still waiting").isZero();
        onSocket.add(2);
        rings.read(handler, 64);
        assertThat(seen).containsExactly("1 Stats", "2 from the socket", "3 Stats");
    }

    @Test
    void aClaimedButUncommittedRequestIsNoWorkAndStallsOnlyThisRing() {
        attach();
        rings.read(handler, 64);
        int index = requests.tryClaim(0x0E, 4);
        assertThat(index).isPositive();
        assertThat(rings.hasRequests()).isFalse();
        assertThat(rings.read(handler, 64)).isZero();
        requests.commit(index);
        assertThat(rings.hasRequests()).isTrue();
        assertThat(rings.read(handler, 64)).isEqualTo(1);
    }

    @Test
    void garbageIsRefusedWithAnException() {
        assertThatThrownBy(() -> {
            send(1, new Request.Stats()); // before ATTACHED
            rings.read(handler, 64);
        }).isInstanceOf(CommandRings.RingViolation.class).hasMessageContaining("ATTACHED");
    }

    @Test
    void aMalformedRequestAndALengthBeyondTheRingAreRefused() {
        attach();
        rings.read(handler, 64);
        UnsafeBuffer bad = new UnsafeBuffer(new byte[8]);
        bad.putInt(0, 5);
        bad.putInt(4, -1); // a RELEASE with a count of 2^32 - 1
        requests.write(0x07, bad, 0, 8);
        assertThatThrownBy(() -> rings.read(handler, 64)).isInstanceOf(MalformedFrameException.class);

        int tail = (int) requests.producerPosition() & (RingLayout.DEFAULT_REQUEST_RING - 1);
        UnsafeBuffer ring = new UnsafeBuffer(mapping, RingLayout.requestRingOffset(), RingLayout.DEFAULT_REQUEST_RING);
        ring.putInt(tail + 4, 0x0E);
        ring.putIntVolatile(tail, Integer.MAX_VALUE - 3);
        assertThatThrownBy(() -> rings.read(handler, 64)).isInstanceOf(RuntimeException.class);
    }

    @Test
    void repliesGoIntoTheReplyRingAndOversizedOnesLeaveAMarker() {
        ByteBuffer small = FrameCodec.encode(4, new Reply.Ok());
        assertThat(rings.fits(small)).isTrue();
        assertThat(rings.offer(small)).isTrue();
        ByteBuffer large = FrameCodec.encode(5, new Reply.Objects(java.util.Collections.nCopies(2000,
                Reply.Location.ABSENT)));
        assertThat(rings.fits(large)).isFalse();
        assertThat(rings.offerMarker(5)).isTrue();
        List<String> read = new ArrayList<>();
        replies.read((type, buffer, index, length) -> read.add(Integer.toHexString(type) + " id "
                + buffer.getInt(index) + " " + length));
        assertThat(read).containsExactly("89 id 4 4", "101 id 5 4");
    }

    @Test
    void theAsleepWordsAreWhereTheLayoutSays() {
        assertThat(header.getIntVolatile(RingLayout.ENGINE_ASLEEP_OFFSET)).isZero();
        rings.engineAsleep(true);
        rings.engineAsleep(true);
        assertThat(header.getIntVolatile(RingLayout.ENGINE_ASLEEP_OFFSET)).as("odd: asleep, the first sleep").isOne();
        rings.engineAsleep(false);
        assertThat(header.getIntVolatile(RingLayout.ENGINE_ASLEEP_OFFSET)).as("even: awake").isEqualTo(2);
        rings.engineAsleep(true);
        assertThat(header.getIntVolatile(RingLayout.ENGINE_ASLEEP_OFFSET)).as("the next sleep").isEqualTo(3);
        assertThat(rings.clientSleeping()).isFalse();
        header.getAndAddInt(RingLayout.CLIENT_SLEEPERS_OFFSET, 1);
        assertThat(rings.clientSleeping()).isTrue();
    }

    @Test
    void aLeftoverOfAKilledStoreIsRemovedByTheNextOneAndALiveOneIsNot() throws IOException {
        Path leftover = dir.resolve(ARENA + ".rings-9");
        Files.write(leftover, new byte[16]);
        Files.setPosixFilePermissions(leftover, PosixFilePermissions.fromString("rw-------"));
        assertThat(ArenaFile.removeStale(dir)).isEqualTo(1);
        assertThat(leftover).doesNotExist();
        assertThat(rings.path()).as("flocked by its store until attached").exists();
    }

    private void attach() {
        UnsafeBuffer id = new UnsafeBuffer(new byte[8]);
        id.putLong(0, CLIENT);
        assertThat(requests.write(RingLayout.ATTACHED, id, 0, 8)).isTrue();
    }

    private void send(int requestId, Request request) {
        ByteBuffer frame = FrameCodec.encode(requestId, request);
        int type = Short.toUnsignedInt(frame.getShort(4));
        assertThat(requests.write(type, new UnsafeBuffer(frame), 8, frame.remaining() - 8)).isTrue();
    }

    private void marker(int requestId) {
        UnsafeBuffer id = new UnsafeBuffer(new byte[4]);
        id.putInt(0, requestId);
        assertThat(requests.write(RingLayout.ON_SOCKET, id, 0, 4)).isTrue();
    }

    /** A second set of rings for {@link #close()} to close, after a test closed its own. */
    private CommandRings closedStandIn() {
        try {
            return CommandRings.create(dir, ARENA, CLIENT + 1, 1 << 16, 1 << 16);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
