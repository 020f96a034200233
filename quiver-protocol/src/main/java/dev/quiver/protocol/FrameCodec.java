package dev.quiver.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes frames, as specified in docs/protocol.md.
 *
 * <pre>
 *  0        4       6       8            12
 *  +--------+-------+-------+------------+--------------------+
 *  | length | type  | flags | request id | payload ...        |
 *  +--------+-------+-------+------------+--------------------+
 *  length: u32, bytes after the length field (8 + payload), at most {@link #MAX_FRAME}
 *  all integers little-endian; flags must be 0
 * </pre>
 */
public final class FrameCodec {
    /** Version exchanged in {@link Request.Connect}; the store refuses others. */
    public static final int PROTOCOL_VERSION = 1;
    /** Bytes of the length field. */
    public static final int LENGTH_BYTES = 4;
    /** Where the flags lie in a whole frame (length field included). */
    private static final int FLAGS_AT = 6;
    /** Bytes of type, flags and request id. */
    public static final int HEADER_BYTES = 8;
    /** Largest value of the length field, in both directions. */
    public static final int MAX_FRAME = 8 << 20;
    /** Most ids in one request (any batch form). */
    public static final int MAX_BATCH = 65_536;
    /**
     * The digest of an object sealed without one (all bits set: a CRC-32C, zero-extended, never is); a reader that
     * asks for it computes it from the bytes.
     */
    public static final long NO_DIGEST = -1L;
    /** Most entries in one {@link Reply.Listing} frame. */
    public static final int LISTING_CHUNK = 4_096;
    /**
     * Longest client name in a {@link Reply.ClientList}, in UTF-8 bytes: with {@link #MAX_BATCH} clients at most, the
     * reply stays one frame.
     */
    public static final int MAX_CLIENT_NAME = 64;

    // Request types.
    static final int CONNECT = 0x01, CREATE = 0x02, CREATE_BATCH = 0x03, SEAL = 0x04, ABORT = 0x05, GET = 0x06,
            RELEASE = 0x07, CONTAINS = 0x08, DELETE = 0x09, LIST = 0x0A, EVICT = 0x0B, HASH = 0x0C,
            SUBSCRIBE = 0x0D, STATS = 0x0E, RANGE = 0x0F, CLIENTS = 0x11, RELEASE_HELD = 0x12, END_HOLDS = 0x13,
            PUBLISH = 0x14;
    // Reply types.
    static final int CONNECTED = 0x81, CREATED = 0x82, CREATED_BATCH = 0x83, STATUSES = 0x84, OBJECTS = 0x85,
            LISTING = 0x86, EVICTED = 0x87, DIGEST = 0x88, OK = 0x89, STORE_STATS = 0x8A, CLIENT_LIST = 0x8B,
            NOTIFICATION = 0xC0,
            ERROR = 0xFF;

    /** The frame type of a doorbell, in both directions: "look at the rings" (docs/protocol.md, section 12). */
    public static final int DOORBELL = 0x10;
    /**
     * The one flag a frame may carry: on {@code CONNECT}, "make me command rings"; on {@code CONNECTED}, "here they
     * are" (the rings' fields follow the arena path).
     */
    static final int FLAG_RINGS = 1;

    private static final int ID = ObjectId.SIZE;
    /** One {@link ObjectInfo} in a listing: id, data and metadata sizes, ref count, state, three longs. */
    private static final int LISTING_ENTRY = ID + 8 + 8 + 4 + 1 + 8 + 8 + 8;
    /** One {@link Reply.Client} but its name: id, pid, subscriber, objects, references, bytes, writing, name length. */
    private static final int CLIENT_ENTRY = 8 + 8 + 1 + 4 + 8 + 8 + 4 + 2;

    private FrameCodec() {}

    /** A decoded frame. */
    public record Frame<T>(int requestId, T message) {}

    /** A whole frame, length field included, ready to write (position 0, limit at its end). */
    public static ByteBuffer encode(int requestId, Request request) {
        ByteBuffer frame = switch (request) {
            case Request.Connect c -> {
                byte[] name = utf8(c.clientName());
                ByteBuffer out = frame(CONNECT, requestId, 4 + 2 + name.length + 8)
                        .putInt(c.protocolVersion()).putShort((short) name.length).put(name).putLong(c.pid());
                yield c.rings() ? out.putShort(FLAGS_AT, (short) FLAG_RINGS) : out;
            }
            case Request.Create c -> frame(CREATE, requestId, ID + 24).put(c.id().toBytes())
                    .putLong(c.dataSize()).putLong(c.metadataSize()).putLong(c.timeoutMillis());
            case Request.CreateBatch b -> {
                ByteBuffer out = frame(CREATE_BATCH, requestId, 8 + 4 + entries(b.objects().size()) * (ID + 16))
                        .putLong(b.timeoutMillis()).putInt(b.objects().size());
                for (Request.CreateSpec s : b.objects()) {
                    s.id().write(out);
                    out.putLong(s.dataSize()).putLong(s.metadataSize());
                }
                yield out;
            }
            case Request.Seal s -> {
                ByteBuffer out = frame(SEAL, requestId, 4 + entries(s.objects().size()) * (ID + 8))
                        .putInt(s.objects().size());
                for (Request.SealSpec o : s.objects()) {
                    o.id().write(out);
                    out.putLong(o.digest());
                }
                yield out;
            }
            case Request.Abort a -> ids(frame(ABORT, requestId, ID), List.of(a.id()), false);
            case Request.Publish p -> ids(frame(PUBLISH, requestId, ID), List.of(p.id()), false);
            case Request.Get g -> ids(frame(GET, requestId, 8 + 4 + entries(g.ids().size()) * ID)
                    .putLong(g.timeoutMillis()), g.ids(), true);
            case Request.Release r -> ids(frame(RELEASE, requestId, 4 + entries(r.ids().size()) * ID), r.ids(), true);
            case Request.ReleaseHeld r -> ids(frame(RELEASE_HELD, requestId, 4 + entries(r.ids().size()) * ID), r.ids(),
                    true);
            case Request.EndHolds e -> {
                ByteBuffer out = frame(END_HOLDS, requestId, 4 + entries(e.offsets().size()) * 8)
                        .putInt(e.offsets().size());
                e.offsets().forEach(out::putLong);
                yield out;
            }
            case Request.Contains c -> ids(frame(CONTAINS, requestId, 4 + entries(c.ids().size()) * ID), c.ids(), true);
            case Request.Delete d -> ids(frame(DELETE, requestId, 4 + entries(d.ids().size()) * ID), d.ids(), true);
            case Request.ListObjects l -> frame(LIST, requestId, 0);
            case Request.Range r -> {
                ByteBuffer out = frame(RANGE, requestId, 2 * ID + 4 + 1);
                r.from().write(out);
                r.to().write(out);
                yield out.putInt(r.limit()).put((byte) (r.descending() ? 1 : 0));
            }
            case Request.Evict e -> frame(EVICT, requestId, 8).putLong(e.bytes());
            case Request.Hash h -> ids(frame(HASH, requestId, ID), List.of(h.id()), false);
            case Request.Subscribe s -> frame(SUBSCRIBE, requestId, 0);
            case Request.Stats s -> frame(STATS, requestId, 0);
            case Request.Clients c -> frame(CLIENTS, requestId, 0);
        };
        return frame.flip();
    }

    /** A whole frame, length field included, ready to write. */
    public static ByteBuffer encode(int requestId, Reply reply) {
        ByteBuffer frame = switch (reply) {
            case Reply.Connected c -> {
                byte[] path = utf8(c.arenaPath());
                byte[] rings = c.rings() == null ? null : utf8(c.rings().path());
                ByteBuffer out = frame(CONNECTED, requestId, 4 + 8 + 8 + 2 + path.length
                        + (rings == null ? 0 : 2 + rings.length + 4 + 4)).putInt(c.protocolVersion())
                        .putLong(c.clientId()).putLong(c.capacity()).putShort((short) path.length).put(path);
                if (rings != null) {
                    out.putShort(FLAGS_AT, (short) FLAG_RINGS).putShort((short) rings.length).put(rings)
                            .putInt(c.rings().requestRingBytes()).putInt(c.rings().replyRingBytes());
                }
                yield out;
            }
            case Reply.Created c -> frame(CREATED, requestId, 8).putLong(c.offset());
            case Reply.CreatedBatch b -> {
                ByteBuffer out = frame(CREATED_BATCH, requestId, 4 + 8 * entries(b.offsets().size()))
                        .putInt(b.offsets().size());
                b.offsets().forEach(out::putLong);
                yield out;
            }
            case Reply.Statuses s -> {
                ByteBuffer out = frame(STATUSES, requestId, 4 + entries(s.statuses().size()))
                        .putInt(s.statuses().size());
                s.statuses().forEach(st -> out.put((byte) st.code()));
                yield out;
            }
            case Reply.Objects o -> {
                ByteBuffer out = frame(OBJECTS, requestId, 4 + 25 * entries(o.objects().size()))
                        .putInt(o.objects().size());
                for (Reply.Location l : o.objects()) {
                    out.put((byte) (l.present() ? 1 : 0)).putLong(l.offset()).putLong(l.dataSize())
                            .putLong(l.metadataSize());
                }
                yield out;
            }
            case Reply.Listing l -> {
                ByteBuffer out = frame(LISTING, requestId, 1 + 4 + entries(l.objects().size()) * LISTING_ENTRY)
                        .put((byte) (l.last() ? 1 : 0)).putInt(l.objects().size());
                for (ObjectInfo i : l.objects()) {
                    i.id().write(out);
                    out.putLong(i.dataSize()).putLong(i.metadataSize()).putInt(i.refCount())
                            .put((byte) i.state().ordinal()).putLong(i.createTimeMillis())
                            .putLong(i.constructNanos()).putLong(i.digest());
                }
                yield out;
            }
            case Reply.Evicted e -> frame(EVICTED, requestId, 12).putLong(e.bytes()).putInt(e.objects());
            case Reply.Digest d -> frame(DIGEST, requestId, 8).putLong(d.digest());
            case Reply.Ok o -> frame(OK, requestId, 0);
            case Reply.StoreStats s -> frame(STORE_STATS, requestId, 8 * 7 + 4).putLong(s.capacity())
                    .putLong(s.used()).putLong(s.pinned()).putLong(s.evictable()).putLong(s.objects())
                    .putInt(s.clients()).putLong(s.evictedObjects()).putLong(s.evictedBytes());
            case Reply.ClientList l -> {
                List<byte[]> names = new ArrayList<>(entries(l.clients().size()));
                int bytes = 4;
                for (Reply.Client c : l.clients()) {
                    byte[] name = utf8(c.name());
                    if (name.length > MAX_CLIENT_NAME) {
                        throw new IllegalArgumentException("client name of " + name.length + " bytes exceeds "
                                + MAX_CLIENT_NAME + "; cut it (FrameCodec.clientName)");
                    }
                    names.add(name);
                    bytes += CLIENT_ENTRY + name.length;
                }
                ByteBuffer out = frame(CLIENT_LIST, requestId, bytes).putInt(l.clients().size());
                for (int i = 0; i < names.size(); i++) {
                    Reply.Client c = l.clients().get(i);
                    out.putLong(c.clientId()).putLong(c.pid()).put((byte) (c.subscriber() ? 1 : 0))
                            .putInt(c.objects()).putLong(c.references()).putLong(c.bytes()).putInt(c.writing())
                            .putShort((short) names.get(i).length).put(names.get(i));
                }
                yield out;
            }
            case Reply.Error e -> {
                byte[] text = utf8(e.message());
                yield frame(ERROR, requestId, 1 + 2 + text.length).put((byte) e.status().code())
                        .putShort((short) text.length).put(text);
            }
            case Reply.Notification n -> {
                ByteBuffer out = frame(NOTIFICATION, requestId, 1 + ID + 24).put((byte) n.kind().ordinal());
                n.id().write(out);
                yield out.putLong(n.dataSize()).putLong(n.metadataSize()).putLong(n.digest());
            }
        };
        return frame.flip();
    }

    /**
     * Decodes a request from the bytes after the length field.
     *
     * @throws MalformedFrameException if the bytes are not exactly one valid request
     */
    public static Frame<Request> decodeRequest(ByteBuffer body) {
        ByteBuffer in = header(body);
        int type = Short.toUnsignedInt(in.getShort(0));
        int requestId = in.getInt(4);
        in.position(HEADER_BYTES);
        try {
            Request r = switch (type) {
                case CONNECT -> new Request.Connect(in.getInt(), string(in), in.getLong(), flags(in) != 0);
                case CREATE -> new Request.Create(ObjectId.read(in), in.getLong(), in.getLong(), in.getLong());
                case CREATE_BATCH -> {
                    long timeout = in.getLong();
                    int n = count(in, ID + 16);
                    List<Request.CreateSpec> specs = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        specs.add(new Request.CreateSpec(ObjectId.read(in), in.getLong(), in.getLong()));
                    }
                    yield new Request.CreateBatch(specs, timeout);
                }
                case SEAL -> {
                    int n = count(in, ID + 8);
                    List<Request.SealSpec> specs = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        specs.add(new Request.SealSpec(ObjectId.read(in), in.getLong()));
                    }
                    yield new Request.Seal(specs);
                }
                case ABORT -> new Request.Abort(ObjectId.read(in));
                case PUBLISH -> new Request.Publish(ObjectId.read(in));
                case GET -> {
                    long timeout = in.getLong();
                    yield new Request.Get(idList(in), timeout);
                }
                case RELEASE -> new Request.Release(idList(in));
                case RELEASE_HELD -> new Request.ReleaseHeld(idList(in));
                case END_HOLDS -> {
                    int n = count(in, 8);
                    List<Long> offsets = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        offsets.add(in.getLong());
                    }
                    yield new Request.EndHolds(List.copyOf(offsets));
                }
                case CONTAINS -> new Request.Contains(idList(in));
                case DELETE -> new Request.Delete(idList(in));
                case LIST -> new Request.ListObjects();
                case RANGE -> new Request.Range(ObjectId.read(in), ObjectId.read(in), in.getInt(), bool(in));
                case EVICT -> new Request.Evict(in.getLong());
                case HASH -> new Request.Hash(ObjectId.read(in));
                case SUBSCRIBE -> new Request.Subscribe();
                case STATS -> new Request.Stats();
                case CLIENTS -> new Request.Clients();
                default -> throw new MalformedFrameException("unknown request type 0x" + Integer.toHexString(type));
            };
            return new Frame<>(requestId, end(in, r));
        } catch (BufferUnderflowException e) {
            throw new MalformedFrameException("truncated payload for request type 0x" + Integer.toHexString(type));
        }
    }

    /**
     * Decodes a reply from the bytes after the length field.
     *
     * @throws MalformedFrameException if the bytes are not exactly one valid reply
     */
    public static Frame<Reply> decodeReply(ByteBuffer body) {
        ByteBuffer in = header(body);
        int type = Short.toUnsignedInt(in.getShort(0));
        int requestId = in.getInt(4);
        in.position(HEADER_BYTES);
        try {
            Reply r = switch (type) {
                case CONNECTED -> new Reply.Connected(in.getInt(), in.getLong(), in.getLong(), string(in),
                        flags(in) == 0 ? null : new Reply.Rings(string(in), in.getInt(), in.getInt()));
                case CREATED -> new Reply.Created(in.getLong());
                case CREATED_BATCH -> {
                    int n = count(in, 8);
                    List<Long> offsets = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        offsets.add(in.getLong());
                    }
                    yield new Reply.CreatedBatch(List.copyOf(offsets));
                }
                case STATUSES -> {
                    int n = count(in, 1);
                    List<Status> statuses = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        statuses.add(Status.of(Byte.toUnsignedInt(in.get())));
                    }
                    yield new Reply.Statuses(List.copyOf(statuses));
                }
                case OBJECTS -> {
                    int n = count(in, 25);
                    List<Reply.Location> locations = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        boolean present = bool(in);
                        long offset = in.getLong(), data = in.getLong(), meta = in.getLong();
                        locations.add(present ? new Reply.Location(true, offset, data, meta) : Reply.Location.ABSENT);
                    }
                    yield new Reply.Objects(List.copyOf(locations));
                }
                case LISTING -> {
                    boolean last = bool(in);
                    int n = count(in, LISTING_ENTRY);
                    List<ObjectInfo> infos = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        infos.add(new ObjectInfo(ObjectId.read(in), in.getLong(), in.getLong(), in.getInt(),
                                ObjectState.of(in.get()), in.getLong(), in.getLong(), in.getLong()));
                    }
                    yield new Reply.Listing(List.copyOf(infos), last);
                }
                case EVICTED -> new Reply.Evicted(in.getLong(), in.getInt());
                case DIGEST -> new Reply.Digest(in.getLong());
                case OK -> new Reply.Ok();
                case STORE_STATS -> new Reply.StoreStats(in.getLong(), in.getLong(), in.getLong(), in.getLong(),
                        in.getLong(), in.getInt(), in.getLong(), in.getLong());
                case CLIENT_LIST -> {
                    int n = count(in, CLIENT_ENTRY);
                    List<Reply.Client> clients = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        long id = in.getLong(), pid = in.getLong();
                        boolean subscriber = bool(in);
                        int objects = in.getInt();
                        long references = in.getLong(), bytes = in.getLong();
                        int writing = in.getInt();
                        clients.add(new Reply.Client(id, string(in), pid, subscriber, objects, references, bytes,
                                writing));
                    }
                    yield new Reply.ClientList(List.copyOf(clients));
                }
                case ERROR -> new Reply.Error(Status.of(Byte.toUnsignedInt(in.get())), string(in));
                case NOTIFICATION -> {
                    int kind = in.get();
                    if (kind < 0 || kind > 1) {
                        throw new MalformedFrameException("unknown notification kind " + kind);
                    }
                    yield new Reply.Notification(Reply.Notification.Kind.values()[kind], ObjectId.read(in),
                            in.getLong(), in.getLong(), in.getLong());
                }
                default -> throw new MalformedFrameException("unknown reply type 0x" + Integer.toHexString(type));
            };
            return new Frame<>(requestId, end(in, r));
        } catch (BufferUnderflowException e) {
            throw new MalformedFrameException("truncated payload for reply type 0x" + Integer.toHexString(type));
        }
    }

    /**
     * Checks a length field read off the wire.
     *
     * @throws MalformedFrameException if no valid frame has this length
     */
    public static int checkLength(int length) {
        if (length < HEADER_BYTES || length > MAX_FRAME) {
            throw new MalformedFrameException("frame length " + Integer.toUnsignedString(length)
                    + " outside [" + HEADER_BYTES + ", " + MAX_FRAME + "]");
        }
        return length;
    }

    private static ByteBuffer frame(int type, int requestId, int payloadBytes) {
        int length = HEADER_BYTES + payloadBytes;
        if (length > MAX_FRAME) {
            throw new IllegalArgumentException("message of " + length + " bytes exceeds the frame limit of "
                    + MAX_FRAME + "; split the batch");
        }
        return ByteBuffer.allocate(LENGTH_BYTES + length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(length).putShort((short) type).putShort((short) 0).putInt(requestId);
    }

    /** Checks the entry count of a message being encoded: the decoder refuses more than {@link #MAX_BATCH}. */
    private static int entries(int n) {
        if (n > MAX_BATCH) {
            throw new IllegalArgumentException(n + " entries in one message exceed the limit of " + MAX_BATCH
                    + "; split the batch");
        }
        return n;
    }

    private static ByteBuffer ids(ByteBuffer out, List<ObjectId> ids, boolean counted) {
        if (counted) {
            out.putInt(ids.size());
        }
        ids.forEach(id -> id.write(out));
        return out;
    }

    private static ByteBuffer header(ByteBuffer body) {
        ByteBuffer in = body.slice().order(ByteOrder.LITTLE_ENDIAN);
        checkLength(in.remaining());
        int flags = Short.toUnsignedInt(in.getShort(2));
        int type = Short.toUnsignedInt(in.getShort(0));
        boolean ringsAllowed = type == CONNECT || type == CONNECTED;
        if (flags != 0 && !(ringsAllowed && flags == FLAG_RINGS)) {
            throw new MalformedFrameException("flags must be 0" + (ringsAllowed ? " or " + FLAG_RINGS : "")
                    + ", got 0x" + Integer.toHexString(flags));
        }
        return in;
    }

    /** The flags of a frame whose header {@link #header} checked. */
    private static int flags(ByteBuffer in) {
        return Short.toUnsignedInt(in.getShort(2));
    }

    /** A client's name as {@link Reply.ClientList} carries it: cut to {@link #MAX_CLIENT_NAME} bytes of UTF-8. */
    public static String clientName(String name) {
        byte[] b = utf8(name);
        if (b.length <= MAX_CLIENT_NAME) {
            return name;
        }
        int end = MAX_CLIENT_NAME;
        while ((b[end] & 0xC0) == 0x80) {
            end--; // not inside a character
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    /** A doorbell frame, ready to write: 12 bytes, no payload, request id 0. */
    public static ByteBuffer doorbell() {
        return frame(DOORBELL, 0, 0).flip();
    }

    /** True if the bytes after a frame's length field are a doorbell (checked whole: no payload, no flags). */
    public static boolean isDoorbell(ByteBuffer body) {
        ByteBuffer b = body.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return b.remaining() == HEADER_BYTES && Short.toUnsignedInt(b.getShort(b.position())) == DOORBELL
                && b.getShort(b.position() + 2) == 0 && b.getInt(b.position() + 4) == 0;
    }

    private static int count(ByteBuffer in, int bytesPerEntry) {
        int n = in.getInt();
        if (n < 0 || n > MAX_BATCH || (long) n * bytesPerEntry > in.remaining()) {
            throw new MalformedFrameException("entry count " + Integer.toUnsignedString(n)
                    + " does not fit the frame (at most " + MAX_BATCH + ")");
        }
        return n;
    }

    private static List<ObjectId> idList(ByteBuffer in) {
        int n = count(in, ID);
        List<ObjectId> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(ObjectId.read(in));
        }
        return List.copyOf(ids);
    }

    private static boolean bool(ByteBuffer in) {
        byte b = in.get();
        if (b != 0 && b != 1) {
            throw new MalformedFrameException("boolean byte must be 0 or 1, got " + b);
        }
        return b == 1;
    }

    private static String string(ByteBuffer in) {
        int n = Short.toUnsignedInt(in.getShort());
        if (n > in.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer text = in.slice(in.position(), n);
        in.position(in.position() + n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(text).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFrameException("string is not valid UTF-8");
        }
    }

    private static byte[] utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string of " + b.length + " bytes exceeds 65535");
        }
        return b;
    }

    private static <T> T end(ByteBuffer in, T message) {
        if (in.hasRemaining()) {
            throw new MalformedFrameException(in.remaining() + " unexpected trailing bytes after " +
                    message.getClass().getSimpleName());
        }
        return message;
    }
}
