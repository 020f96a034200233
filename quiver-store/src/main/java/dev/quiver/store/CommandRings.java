package dev.quiver.store;

import dev.quiver.protocol.FrameCodec;
import dev.quiver.protocol.MalformedFrameException;
import dev.quiver.protocol.Request;
import dev.quiver.protocol.RingLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

/**
 * The store's side of one client's command rings: a file of its own (laid out as {@link RingLayout} draws it) with a
 * request ring the client writes (Agrona's {@link ManyToOneRingBuffer}: any client thread may send) and a reply ring
 * the engine writes ({@link OneToOneRingBuffer}), plus the two "asleep" words of the doorbell protocol.
 *
 * <p>Only the engine thread uses an instance; its mapping is confined to that thread and unmapped by {@link #close}.
 *
 * <p><b>The client can write every byte of this file</b>, so everything read from it is untrusted: Agrona's bounds
 * checks stay on (the store refuses rings if {@code agrona.disable.bounds.checks} is set, see {@link #unavailable()}),
 * each ring buffer is built over a slice of exactly its own region (a garbage length or index can only reach the
 * client's own file), every message is copied out before it is decoded (the client cannot change it under the
 * decoder), lengths and type ids are checked, and the work per call is bounded by its message limit. Anything that
 * does not hold throws; the transport drops the client.
 */
final class CommandRings implements AutoCloseable {
    /** The name's suffix after the arena's file name; the stale-file cleanup looks for it. */
    static final String SUFFIX = ".rings-";

    private final Path path;
    private final LockedFile lock;
    private final Arena arena;
    private final UnsafeBuffer header;
    private final UnsafeBuffer requestBuffer;
    private final ManyToOneRingBuffer requests;
    private final OneToOneRingBuffer replies;
    private final int requestCapacity;
    private final int replyCapacity;
    private final long clientId;
    /** Where a ring message is copied and given a frame header (type, flags) so that {@link FrameCodec} reads it. */
    private final ByteBuffer scratch;
    /** Wraps a reply frame for Agrona. */
    private final UnsafeBuffer source = new UnsafeBuffer(new byte[0]);
    private boolean attached;
    private boolean linked = true;
    private Handler handler;
    private ControlledMessageHandler messages;
    /** The engine's sleep word as this side last wrote it: odd while asleep. */
    private int sleeps;

    /** Receives what {@link #read} finds in the request ring. */
    interface Handler {
        /**
         * A request; false stops reading (the client was dropped while it was handled).
         */
        boolean request(int requestId, Request request);

        /**
         * A marker: the request at this place comes on the socket. False if it has not arrived yet: the marker stays
         * and reading stops until it has.
         */
        boolean onSocket(int requestId);
    }

    /** A violation of the rings' rules by the client: it is dropped. */
    static final class RingViolation extends RuntimeException {
        RingViolation(String message) {
            super(message);
        }
    }

    private CommandRings(Path path, LockedFile lock, Arena arena, MemorySegment mapping, long clientId, int requestCapacity,
                         int replyCapacity) {
        this.path = path;
        this.lock = lock;
        this.arena = arena;
        this.clientId = clientId;
        this.requestCapacity = requestCapacity;
        this.replyCapacity = replyCapacity;
        this.header = new UnsafeBuffer(mapping.address(), RingLayout.HEADER_LENGTH);
        this.requestBuffer = new UnsafeBuffer(mapping.address() + RingLayout.requestRingOffset(),
                requestCapacity + RingLayout.TRAILER_LENGTH);
        this.requests = new ManyToOneRingBuffer(requestBuffer);
        this.replies = new OneToOneRingBuffer(new UnsafeBuffer(mapping.address()
                + RingLayout.replyRingOffset(requestCapacity), replyCapacity + RingLayout.TRAILER_LENGTH));
        this.scratch = ByteBuffer.allocate(4 + requests.maxMsgLength()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Why this JVM cannot serve rings, or null if it can: Agrona needs {@code jdk.internal.misc} exported to it, and
     * the store relies on Agrona's bounds checks to read rings its clients can write.
     */
    static String unavailable() {
        if (!UnsafeBuffer.SHOULD_BOUNDS_CHECK) {
            return "Agrona's bounds checks are off (agrona.disable.bounds.checks=true); the store reads rings its "
                    + "clients write, and needs them";
        }
        try {
            new UnsafeBuffer(new byte[8]).putIntVolatile(0, 1);
            return null;
        } catch (LinkageError e) { // IllegalAccessError at first, NoClassDefFoundError after
            return "Agrona cannot reach jdk.internal.misc.Unsafe (" + e + "); start the store's JVM with "
                    + "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED (bin/quiver does)";
        }
    }

    /**
     * Creates the rings file of a client: owner-only (0600), a new file ({@code O_CREAT|O_EXCL|O_NOFOLLOW}), named
     * after the store's arena, flocked until it is unlinked (so that the next store takes a leftover of a killed one
     * for stale, as it does arenas), and initialised (header, empty rings).
     */
    static CommandRings create(Path directory, String arenaFileName, long clientId, int requestCapacity,
                               int replyCapacity) throws IOException {
        Path path = directory.resolve(arenaFileName + SUFFIX + clientId);
        int length = RingLayout.fileLength(requestCapacity, replyCapacity);
        LockedFile lock = LockedFile.createNew(path);
        Arena arena = Arena.ofConfined();
        try {
            if (!lock.tryLock()) {
                throw new IOException("cannot lock the rings file " + path + " that the store has just created");
            }
            try (FileChannel ch = FileChannel.open(lock.descriptorPath(), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(1), length - 1); // size the file before mapping it (no SIGBUS)
                MemorySegment mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, length, arena);
                CommandRings rings = new CommandRings(path, lock, arena, mapping, clientId, requestCapacity,
                        replyCapacity);
                rings.initialise();
                return rings;
            }
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (lock.isAt(path)) {
                Files.deleteIfExists(path);
            }
            lock.close();
            throw e;
        }
    }

    private void initialise() {
        header.putInt(RingLayout.VERSION_OFFSET, RingLayout.VERSION);
        header.putInt(RingLayout.HEADER_LENGTH_OFFSET, RingLayout.HEADER_LENGTH);
        header.putLong(RingLayout.CLIENT_ID_OFFSET, clientId);
        header.putInt(RingLayout.REQUEST_RING_OFFSET_OFFSET, RingLayout.requestRingOffset());
        header.putInt(RingLayout.REQUEST_RING_CAPACITY_OFFSET, requestCapacity);
        header.putInt(RingLayout.REPLY_RING_OFFSET_OFFSET, RingLayout.replyRingOffset(requestCapacity));
        header.putInt(RingLayout.REPLY_RING_CAPACITY_OFFSET, replyCapacity);
        header.putLongVolatile(RingLayout.MAGIC_OFFSET, RingLayout.MAGIC); // last: the header is complete
    }

    Path path() {
        return path;
    }

    int requestCapacity() {
        return requestCapacity;
    }

    int replyCapacity() {
        return replyCapacity;
    }

    /**
     * Reads at most {@code limit} messages of the request ring, in order, and hands them to {@code handler}. The
     * first message must be {@link RingLayout#ATTACHED} with this client's id; then the file is unlinked (no rings
     * file outlives its handshake).
     *
     * @return the messages read
     * @throws RingViolation          if the client broke the rings' rules
     * @throws MalformedFrameException if a message is not a valid request
     * @throws IndexOutOfBoundsException if the ring's counters or lengths point outside it (Agrona's bounds checks)
     */
    int read(Handler handler, int limit) {
        if (handler != this.handler) { // one handler per client in practice: adapt it once
            this.handler = handler;
            this.messages = (type, buffer, index, length) -> onMessage(handler, type, buffer, index, length);
        }
        long before = requests.consumerPosition();
        int read = requests.controlledRead(messages, limit);
        if (read == 0 && requests.consumerPosition() != before) {
            // Only the padding at the ring's end was skipped: the next message waits at its start.
            read = requests.controlledRead(messages, limit);
        }
        return read;
    }

    private ControlledMessageHandler.Action onMessage(Handler handler, int type, DirectBuffer buffer, int index,
                                                      int length) {
        if (length < 4 || length > requests.maxMsgLength()) {
            throw new RingViolation("a request-ring message of " + length + " bytes, outside [4, "
                    + requests.maxMsgLength() + "]");
        }
        if (!attached) {
            if (type != RingLayout.ATTACHED || length != 8 || buffer.getLong(index) != clientId) {
                throw new RingViolation("the first request-ring message must be ATTACHED with client id " + clientId
                        + ", got type 0x" + Integer.toHexString(type) + " of " + length + " bytes");
            }
            attached = true;
            unlink();
            return ControlledMessageHandler.Action.COMMIT;
        }
        int requestId = buffer.getInt(index);
        if (type == RingLayout.ON_SOCKET) {
            if (length != 4) {
                throw new RingViolation("an ON_SOCKET marker of " + length + " bytes; it carries a request id (4)");
            }
            return handler.onSocket(requestId) ? ControlledMessageHandler.Action.COMMIT
                    : ControlledMessageHandler.Action.ABORT;
        }
        if (type <= 0 || type > 0xFFFF || type == RingLayout.ATTACHED) {
            throw new RingViolation("unknown request-ring message type 0x" + Integer.toHexString(type));
        }
        // Copy first: the client could change the bytes while they are decoded.
        scratch.clear();
        scratch.putShort((short) type).putShort((short) 0);
        buffer.getBytes(index, scratch, 4, length);
        scratch.limit(4 + length).position(0);
        Request request = FrameCodec.decodeRequest(scratch).message();
        return handler.request(requestId, request) ? ControlledMessageHandler.Action.COMMIT
                : ControlledMessageHandler.Action.ABORT;
    }

    /** True if the client has committed a request that has not been read (a claimed, unwritten one does not count). */
    boolean hasRequests() {
        int head = (int) requests.consumerPosition() & (requestCapacity - 1);
        return requestBuffer.getIntVolatile(head) > 0;
    }

    /** True if a reply frame of this size goes through the reply ring (else: a marker, and the frame on the socket). */
    boolean fits(ByteBuffer frame) {
        return frame.remaining() - FrameCodec.HEADER_BYTES <= replies.maxMsgLength();
    }

    /**
     * Writes a reply frame (as {@link FrameCodec} encoded it, length field included) into the reply ring.
     *
     * @return false if the ring has no room now
     */
    boolean offer(ByteBuffer frame) {
        int type = Short.toUnsignedInt(frame.getShort(frame.position() + FrameCodec.LENGTH_BYTES));
        source.wrap(frame, frame.position(), frame.remaining());
        int skip = FrameCodec.LENGTH_BYTES + 4; // length, type, flags: the ring has its own
        return replies.write(type, source, skip, frame.remaining() - skip);
    }

    /** Writes a marker: the reply to {@code requestId} at this place comes on the socket. False if no room now. */
    boolean offerMarker(int requestId) {
        scratch.clear();
        scratch.putInt(0, requestId);
        source.wrap(scratch, 0, 4);
        return replies.write(RingLayout.ON_SOCKET, source, 0, 4);
    }

    /**
     * Announces that the engine may block (the word becomes odd) or that it is awake again (even). The word counts the
     * engine's sleeps, so that a client rings the doorbell once per sleep, however many requests it sends meanwhile.
     */
    void engineAsleep(boolean asleep) {
        if (asleep != ((sleeps & 1) == 1)) {
            sleeps++;
            header.putIntVolatile(RingLayout.ENGINE_ASLEEP_OFFSET, sleeps);
        }
    }

    /** True if a client thread may be blocked waiting for replies (call after writing them: it fences first). */
    boolean clientSleeping() {
        VarHandle.fullFence(); // the reply's store before the load of the word (Dekker, with the client's side)
        return header.getIntVolatile(RingLayout.CLIENT_SLEEPERS_OFFSET) != 0;
    }

    private void unlink() {
        if (linked) {
            linked = false;
            try {
                if (lock.isAt(path)) { // unlink only the file we made
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                throw new RingViolation("cannot unlink the rings file " + path + ": " + e);
            } finally {
                lock.close();
            }
        }
    }

    /** Unmaps the rings, and removes the file if the client never attached. Engine thread only. */
    @Override
    public void close() {
        try {
            unlink();
        } catch (RingViolation e) {
            // reported by the caller's log, if it matters; the mapping goes anyway
        } finally {
            arena.close();
        }
    }
}
