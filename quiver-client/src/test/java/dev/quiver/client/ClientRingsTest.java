package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.RingLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's side of its rings, without a store: this test lays out the file and writes replies as the engine. */
class ClientRingsTest {
    private static final int REQ = 1 << 16;
    private static final int REP = 1 << 16;
    private static final long CLIENT = 3;

    @TempDir
    Path dir;
    Path file;
    MappedByteBuffer mapping;
    OneToOneRingBuffer replies;
    final List<String> dispatched = new ArrayList<>();
    final List<String> corrupt = new ArrayList<>();

    @BeforeEach
    void layOut() throws IOException {
        file = dir.resolve("rings");
        int length = RingLayout.fileLength(REQ, REP);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
        UnsafeBuffer h = new UnsafeBuffer(mapping, 0, RingLayout.HEADER_LENGTH);
        h.putInt(RingLayout.VERSION_OFFSET, RingLayout.VERSION);
        h.putLong(RingLayout.CLIENT_ID_OFFSET, CLIENT);
        h.putInt(RingLayout.REQUEST_RING_OFFSET_OFFSET, RingLayout.requestRingOffset());
        h.putInt(RingLayout.REQUEST_RING_CAPACITY_OFFSET, REQ);
        h.putInt(RingLayout.REPLY_RING_OFFSET_OFFSET, RingLayout.replyRingOffset(REQ));
        h.putInt(RingLayout.REPLY_RING_CAPACITY_OFFSET, REP);
        h.putLong(RingLayout.MAGIC_OFFSET, RingLayout.MAGIC);
        replies = new OneToOneRingBuffer(new UnsafeBuffer(mapping, RingLayout.replyRingOffset(REQ),
                REP + RingLayout.TRAILER_LENGTH));
    }

    private ClientRings attach() throws IOException {
        return ClientRings.attach(new Reply.Rings(file.toString(), REQ, REP), CLIENT,
                f -> dispatched.add(f.requestId() + " " + f.message().getClass().getSimpleName()), corrupt::add);
    }

    @Test
    void aReplyAfterTheRingWrapsIsDrainedInTheSameCall() throws IOException {
        ClientRings rings = attach();
        // 16-byte records (OK: a request id, no payload) until one record's room is left before the ring's end.
        while ((replies.producerPosition() & (REP - 1)) != REP - 16) {
            reply(1, new Reply.Ok());
            rings.drain();
        }
        dispatched.clear();
        reply(2, new Reply.Created(64)); // 24 bytes: padding to the end, then the record at 0
        rings.drain();
        assertThat(dispatched).containsExactly("2 Created");
        assertThat(corrupt).isEmpty();
    }

    @Test
    void aMarkerWaitsForItsFrameFromTheSocket() throws IOException {
        ClientRings rings = attach();
        reply(1, new Reply.Ok());
        UnsafeBuffer id = new UnsafeBuffer(new byte[4]);
        id.putInt(0, 2);
        replies.write(RingLayout.ON_SOCKET, id, 0, 4);
        reply(3, new Reply.Ok());
        rings.drain();
        assertThat(dispatched).containsExactly("1 Ok");
        rings.socketFrame(new FrameCodec.Frame<>(2, new Reply.Digest(9)));
        assertThat(dispatched).containsExactly("1 Ok", "2 Digest", "3 Ok");
    }

    @Test
    void garbageInTheReplyRingLosesTheConnection() throws IOException {
        ClientRings rings = attach();
        replies.write(0x7777, new UnsafeBuffer(new byte[8]), 0, 8);
        rings.drain();
        assertThat(corrupt).singleElement().asString().contains("corrupt reply ring");
    }

    @Test
    void aFileThatIsNotTheAnnouncedRingsIsRefused() {
        assertThatThrownBy(() -> ClientRings.attach(new Reply.Rings(file.toString(), REQ, REP), CLIENT + 1,
                f -> { }, r -> { })).isInstanceOf(IOException.class).hasMessageContaining("does not match");
        assertThatThrownBy(() -> ClientRings.attach(new Reply.Rings(file.toString(), REQ, REP * 2), CLIENT,
                f -> { }, r -> { })).isInstanceOf(IOException.class).hasMessageContaining("bytes");
        assertThatThrownBy(() -> ClientRings.attach(new Reply.Rings(file.toString(), 1000, REP), CLIENT,
                f -> { }, r -> { })).isInstanceOf(IOException.class).hasMessageContaining("power of two");
    }

    private void reply(int requestId, Reply reply) {
        ByteBuffer frame = FrameCodec.encode(requestId, reply);
        int type = Short.toUnsignedInt(frame.getShort(4));
        assertThat(replies.write(type, new UnsafeBuffer(frame), 8, frame.remaining() - 8)).isTrue();
    }
}
