package dev.quiver.protocol;

/**
 * The layout of a client's command-rings file (docs/protocol.md, section 12), shared by the store, which makes the
 * file, and the client, which maps it. The rings themselves are Agrona ring buffers; this class holds only offsets
 * and constants, so that the protocol module depends on nothing.
 *
 * <pre>
 *  file offset
 *  0      +---------------------------------------------------------------+
 *         | header page (4096 bytes)                                      |
 *         |   0  u64 magic "QVRINGS1" (ASCII, little-endian long)         |
 *         |   8  u32 layout version (1)                                   |
 *         |  12  u32 header length (4096)                                 |
 *         |  16  i64 client id (the CONNECTED's clientId)                 |
 *         |  24  u32 request ring offset    28  u32 request ring capacity |
 *         |  32  u32 reply ring offset      36  u32 reply ring capacity   |
 *         | 128  i32 engine sleeps: odd while the engine may block        |
 *         | 256  i32 client sleepers: threads of the client that may block|
 *  4096   +---------------------------------------------------------------+
 *         | request ring: Agrona ManyToOneRingBuffer, capacity C1 (2^n)   |
 *         |   + 768-byte trailer (tail, head cache, head, correlation,    |
 *         |     heartbeat, each an i64 at the start of 128 bytes)         |
 *         +---------------------------------------------------------------+ (page aligned)
 *         | reply ring: Agrona OneToOneRingBuffer, capacity C2 (2^n)      |
 *         |   + 768-byte trailer                                          |
 *         +---------------------------------------------------------------+ (file ends, page aligned)
 * </pre>
 *
 * <p>A ring message's type id is the frame type of {@link FrameCodec}, its payload the frame from the request id on
 * (request id, then the payload exactly as the codec encodes it): no second encoding. Two type ids are the rings'
 * own: {@link #ATTACHED} and {@link #ON_SOCKET}.
 */
public final class RingLayout {
    /** "QVRINGS1" read as a little-endian long. */
    public static final long MAGIC = 0x3153474E49525651L;
    /** The version of this layout. */
    public static final int VERSION = 1;
    /** Bytes of the header page. */
    public static final int HEADER_LENGTH = 4096;

    /** Where the magic lies (u64). */
    public static final int MAGIC_OFFSET = 0;
    /** Where the layout version lies (u32). */
    public static final int VERSION_OFFSET = 8;
    /** Where the header's length lies (u32). */
    public static final int HEADER_LENGTH_OFFSET = 12;
    /** Where the client id lies (i64). */
    public static final int CLIENT_ID_OFFSET = 16;
    /** Where the request ring's offset in the file lies (u32). */
    public static final int REQUEST_RING_OFFSET_OFFSET = 24;
    /** Where the request ring's capacity lies (u32). */
    public static final int REQUEST_RING_CAPACITY_OFFSET = 28;
    /** Where the reply ring's offset in the file lies (u32). */
    public static final int REPLY_RING_OFFSET_OFFSET = 32;
    /** Where the reply ring's capacity lies (u32). */
    public static final int REPLY_RING_CAPACITY_OFFSET = 36;
    /**
     * The engine's "asleep" word, on a cache line pair of its own: it counts the engine's sleeps, odd while the
     * engine may block (a client rings the doorbell once per odd value it sees).
     */
    public static final int ENGINE_ASLEEP_OFFSET = 128;
    /** The client's "sleepers" word (a count), on a cache line pair of its own. */
    public static final int CLIENT_SLEEPERS_OFFSET = 256;

    /** Agrona's ring-buffer trailer (RingBufferDescriptor.TRAILER_LENGTH): counters after the data. */
    public static final int TRAILER_LENGTH = 768;
    /** Agrona's record header: i32 length (negative while claimed), i32 type id; records 8-byte aligned. */
    public static final int RECORD_HEADER_LENGTH = 8;

    /** Default capacity of the request ring: messages up to 8 KiB (an eighth) go through it. */
    public static final int DEFAULT_REQUEST_RING = 64 << 10;
    /** Default capacity of the reply ring: messages up to 32 KiB go through it. */
    public static final int DEFAULT_REPLY_RING = 256 << 10;

    /** Client to store, first message of the request ring: "I have mapped the file" (payload: the client id, i64). */
    public static final int ATTACHED = 0x100;
    /**
     * A marker, in either ring: the message at this place did not fit the ring and comes on the socket as a whole
     * frame (payload: its request id, u32). The reader takes the next frame from the socket before going on.
     */
    public static final int ON_SOCKET = 0x101;

    private static final int PAGE = 4096;

    private RingLayout() {}

    /** Where the request ring starts. */
    public static int requestRingOffset() {
        return HEADER_LENGTH;
    }

    /** Where the reply ring starts, after a request ring of {@code requestCapacity}. */
    public static int replyRingOffset(int requestCapacity) {
        return pageAlign(HEADER_LENGTH + requestCapacity + TRAILER_LENGTH);
    }

    /** The size of the whole file. */
    public static int fileLength(int requestCapacity, int replyCapacity) {
        return pageAlign(replyRingOffset(requestCapacity) + replyCapacity + TRAILER_LENGTH);
    }

    private static int pageAlign(int n) {
        return (n + PAGE - 1) & -PAGE;
    }
}
