package dev.quiver.client;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.Reply;
import dev.quiver.protocol.RingLayout;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

/**
 * The client's side of its command rings (docs/protocol.md, section 12): it writes requests into the request ring
 * (Agrona's {@link ManyToOneRingBuffer}, so any thread may) and reads replies from the reply ring
 * ({@link OneToOneRingBuffer}), one thread at a time: whichever thread drains completes the futures of whichever
 * requests the replies answer.
 *
 * <p>The file is mapped as a {@link MappedByteBuffer} that every Agrona buffer here holds: the mapping is released
 * by the garbage collector only once no thread can reach it, so no thread ever touches unmapped memory, however the
 * connection ends.
 */
final class ClientRings {
    private final UnsafeBuffer header;
    private final ManyToOneRingBuffer requests;
    private final OneToOneRingBuffer replies;
    private final Consumer<FrameCodec.Frame<Reply>> dispatch;
    private final Consumer<String> corrupt;
    /** Frames that came on the socket because they did not fit the reply ring; their markers say when they count. */
    private final ConcurrentLinkedQueue<FrameCodec.Frame<Reply>> socketReplies = new ConcurrentLinkedQueue<>();
    private final ReentrantLock drainLock = new ReentrantLock();
    /** The engine's sleep (its odd sleep word) for which this client last rang the doorbell. */
    private final java.util.concurrent.atomic.AtomicInteger lastRung = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicBoolean drainWanted = new AtomicBoolean();
    /** Where the draining thread copies a reply before decoding it (guarded by {@link #drainLock}). */
    private final ByteBuffer scratch;
    private final ControlledMessageHandler handler = this::onReply;

    private ClientRings(MappedByteBuffer mapping, int requestCapacity, int replyCapacity,
                        Consumer<FrameCodec.Frame<Reply>> dispatch, Consumer<String> corrupt) {
        this.header = new UnsafeBuffer(mapping, 0, RingLayout.HEADER_LENGTH);
        this.requests = new ManyToOneRingBuffer(new UnsafeBuffer(mapping, RingLayout.requestRingOffset(),
                requestCapacity + RingLayout.TRAILER_LENGTH));
        this.replies = new OneToOneRingBuffer(new UnsafeBuffer(mapping, RingLayout.replyRingOffset(requestCapacity),
                replyCapacity + RingLayout.TRAILER_LENGTH));
        this.dispatch = dispatch;
        this.corrupt = corrupt;
        this.scratch = ByteBuffer.allocate(4 + replies.maxMsgLength()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Why this JVM cannot use rings, or null if it can: Agrona needs {@code jdk.internal.misc} exported to it.
     */
    static String unavailable() {
        try {
            new UnsafeBuffer(new byte[8]).putIntVolatile(0, 1);
            return null;
        } catch (LinkageError e) { // IllegalAccessError at first, NoClassDefFoundError after
            return "the command rings need --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED on this JVM's "
                    + "command line (Agrona reaches shared memory through jdk.internal.misc.Unsafe): " + e;
        }
    }

    /**
     * Maps the rings the store made for this client, checks that they are what the handshake announced, and tells
     * the store it is attached (after which the store unlinks the file).
     *
     * @param dispatch receives each reply, in ring order
     * @param corrupt  called with the reason if the reply ring holds something that is not a valid reply
     * @throws IOException if the file cannot be mapped or is not the announced rings
     */
    static ClientRings attach(Reply.Rings announced, long clientId, Consumer<FrameCodec.Frame<Reply>> dispatch,
                              Consumer<String> corrupt) throws IOException {
        Path path = Path.of(announced.path());
        int req = announced.requestRingBytes();
        int rep = announced.replyRingBytes();
        if (Integer.bitCount(req) != 1 || Integer.bitCount(rep) != 1 || req < 1024 || rep < 1024
                || req > (1 << 26) || rep > (1 << 26)) {
            throw new IOException("the store announced rings of " + req + " and " + rep + " bytes; each must be a "
                    + "power of two in [1 KiB, 64 MiB]");
        }
        int length = RingLayout.fileLength(req, rep);
        MappedByteBuffer mapping;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            if (ch.size() != length) {
                throw new IOException("the rings file " + path + " has " + ch.size() + " bytes, not the " + length
                        + " its rings need");
            }
            mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
        UnsafeBuffer h = new UnsafeBuffer(mapping, 0, RingLayout.HEADER_LENGTH);
        if (h.getLongVolatile(RingLayout.MAGIC_OFFSET) != RingLayout.MAGIC
                || h.getInt(RingLayout.VERSION_OFFSET) != RingLayout.VERSION
                || h.getLong(RingLayout.CLIENT_ID_OFFSET) != clientId
                || h.getInt(RingLayout.REQUEST_RING_OFFSET_OFFSET) != RingLayout.requestRingOffset()
                || h.getInt(RingLayout.REQUEST_RING_CAPACITY_OFFSET) != req
                || h.getInt(RingLayout.REPLY_RING_OFFSET_OFFSET) != RingLayout.replyRingOffset(req)
                || h.getInt(RingLayout.REPLY_RING_CAPACITY_OFFSET) != rep) {
            throw new IOException("the rings file " + path + " is not the one the store announced for client "
                    + clientId + " (its header does not match)");
        }
        ClientRings rings = new ClientRings(mapping, req, rep, dispatch, corrupt);
        UnsafeBuffer id = new UnsafeBuffer(new byte[8]);
        id.putLong(0, clientId);
        if (!rings.requests.write(RingLayout.ATTACHED, id, 0, 8)) {
            throw new IOException("the request ring of " + path + " is full before its first message");
        }
        return rings;
    }

    /** True if a request frame (whole, as {@link FrameCodec} encodes it) goes through the request ring. */
    boolean fits(ByteBuffer frame) {
        return frame.remaining() - FrameCodec.HEADER_BYTES <= requests.maxMsgLength();
    }

    /** Writes a request frame into the request ring; false if the ring has no room now. Any thread. */
    boolean offer(ByteBuffer frame) {
        int type = Short.toUnsignedInt(frame.getShort(frame.position() + FrameCodec.LENGTH_BYTES));
        int skip = FrameCodec.LENGTH_BYTES + 4; // length, type, flags: the ring has its own
        return requests.write(type, new UnsafeBuffer(frame), frame.position() + skip, frame.remaining() - skip);
    }

    /** Writes a marker: the request {@code requestId} comes on the socket at this place. False if no room now. */
    boolean offerMarker(int requestId) {
        UnsafeBuffer id = new UnsafeBuffer(new byte[4]);
        id.putInt(0, requestId);
        return requests.write(RingLayout.ON_SOCKET, id, 0, 4);
    }

    /**
     * True if the engine may be blocked and no thread of this client has rung the doorbell for this sleep of it yet
     * (call after writing a request: it fences first). True once per sleep: the caller must then ring.
     */
    boolean shouldRing() {
        VarHandle.fullFence(); // the request's store before the load of the word (Dekker, with the engine's side)
        int sleep = header.getIntVolatile(RingLayout.ENGINE_ASLEEP_OFFSET);
        if ((sleep & 1) == 0) {
            return false;
        }
        int rung = lastRung.get();
        return rung != sleep && lastRung.compareAndSet(rung, sleep);
    }

    /**
     * Counts a thread that is about to block waiting for a reply (+1, a full fence: the caller drains once more after
     * it) or that woke up (-1). While the count is not zero the engine rings the doorbell after writing replies.
     */
    void sleeping(boolean asleep) {
        header.getAndAddInt(RingLayout.CLIENT_SLEEPERS_OFFSET, asleep ? 1 : -1);
    }

    /** A frame that came on the socket (the reader thread): it waits for its marker, then the ring is drained. */
    void socketFrame(FrameCodec.Frame<Reply> frame) {
        socketReplies.add(frame);
        drain();
    }

    /**
     * Reads every reply in the reply ring and dispatches it, unless another thread is doing so: then that thread
     * reads again before it lets go (nothing is left unread by a thread that found the ring busy).
     */
    void drain() {
        drainWanted.set(true);
        if (drainLock.isHeldByCurrentThread()) {
            return; // called back from a reply being dispatched: the drain under way reads on
        }
        while (drainWanted.get() && drainLock.tryLock()) {
            try {
                drainWanted.set(false);
                // Until the head stops moving: a read that only skipped the padding at the ring's end counts no
                // message, yet the next reply may wait at its start.
                long before;
                do {
                    before = replies.consumerPosition();
                    replies.controlledRead(handler, 256);
                } while (replies.consumerPosition() != before);
            } catch (RuntimeException e) {
                corrupt.accept("corrupt reply ring: " + e);
                return;
            } finally {
                drainLock.unlock();
            }
        }
    }

    private ControlledMessageHandler.Action onReply(int type, DirectBuffer buffer, int index, int length) {
        if (length < 4 || length > replies.maxMsgLength() || type <= 0 || type > 0xFFFF) {
            throw new IllegalStateException("a reply-ring message of type 0x" + Integer.toHexString(type) + " and "
                    + length + " bytes");
        }
        int requestId = buffer.getInt(index);
        if (type == RingLayout.ON_SOCKET) {
            FrameCodec.Frame<Reply> frame = socketReplies.peek();
            if (frame == null) {
                return ControlledMessageHandler.Action.ABORT; // not here yet: the reader drains when it is
            }
            if (frame.requestId() != requestId) {
                throw new IllegalStateException("the reply ring's marker names request " + requestId
                        + " but the next frame on the socket answers " + frame.requestId());
            }
            socketReplies.poll();
            dispatch.accept(frame);
            return ControlledMessageHandler.Action.COMMIT;
        }
        scratch.clear();
        scratch.putShort((short) type).putShort((short) 0);
        buffer.getBytes(index, scratch, 4, length);
        scratch.limit(4 + length).position(0);
        dispatch.accept(FrameCodec.decodeReply(scratch));
        return ControlledMessageHandler.Action.COMMIT;
    }
}
