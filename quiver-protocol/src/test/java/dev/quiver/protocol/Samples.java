package dev.quiver.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Example messages of every type, with edge values, and helpers to handle encoded frames. */
final class Samples {
    static final ObjectId A = ObjectId.forName("a");
    static final ObjectId B = ObjectId.forName("b");
    static final ObjectId C = ObjectId.of(new byte[] {
            (byte) 0xFF, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, (byte) 0x80});

    private Samples() {}

    /** At least one instance of every request type, and for the variable-length ones empty and multi-entry forms. */
    static List<Request> requests() {
        return List.of(
                new Request.Connect(FrameCodec.PROTOCOL_VERSION, "producer", 4242),
                new Request.Connect(FrameCodec.PROTOCOL_VERSION, "ring client", 4243, true),
                new Request.Connect(0, "", -1),
                new Request.Connect(Integer.MAX_VALUE, "naïve 客户端 🚀", Long.MAX_VALUE),
                new Request.Create(A, 0, 0, 0),
                new Request.Create(B, Long.MAX_VALUE, Long.MIN_VALUE, -1),
                new Request.Create(C, 1 << 20, 17, 250),
                new Request.CreateBatch(List.of(), -1),
                new Request.CreateBatch(List.of(new Request.CreateSpec(A, 1, 2), new Request.CreateSpec(B, 3, 4),
                        new Request.CreateSpec(C, 0, 0)), 1000),
                new Request.Seal(List.of()),
                new Request.Seal(List.of(new Request.SealSpec(A, 0x0123456789ABCDEFL),
                        new Request.SealSpec(C, -1))),
                new Request.Abort(C),
                new Request.Publish(C),
                new Request.Get(List.of(), 0),
                new Request.Get(List.of(A, A, B, C), -1),
                new Request.Get(List.of(B), Long.MAX_VALUE),
                new Request.Release(List.of(A)),
                new Request.Release(List.of(A, B, C, A)),
                new Request.ReleaseHeld(List.of(A, B)),
                new Request.EndHolds(List.of(0L, 64L, Long.MAX_VALUE)),
                new Request.Contains(List.of()),
                new Request.Contains(List.of(C, B)),
                new Request.Delete(List.of(A, B)),
                new Request.ListObjects(),
                new Request.Range(A, C, 10, false),
                new Request.Range(A, A, 0, true),
                new Request.Evict(0),
                new Request.Evict(Long.MAX_VALUE),
                new Request.Hash(B),
                new Request.Subscribe(),
                new Request.Stats(),
                new Request.Clients());
    }

    /** At least one instance of every reply type. */
    static List<Reply> replies() {
        return List.of(
                new Reply.Connected(FrameCodec.PROTOCOL_VERSION, 7, 1L << 30, "/dev/shm/quiver-1234"),
                new Reply.Connected(FrameCodec.PROTOCOL_VERSION, 8, 1L << 30, "/dev/shm/quiver-1234",
                        new Reply.Rings("/dev/shm/quiver-1234.rings-8", 1 << 16, 1 << 18)),
                new Reply.Connected(0, Long.MIN_VALUE, 0, ""),
                new Reply.Created(0),
                new Reply.Created(Long.MAX_VALUE),
                new Reply.CreatedBatch(List.of()),
                new Reply.CreatedBatch(List.of(0L, 64L, 1L << 40)),
                new Reply.Statuses(List.of()),
                new Reply.Statuses(List.of(Status.values())),
                new Reply.Objects(List.of()),
                new Reply.Objects(List.of(new Reply.Location(true, 64, 100, 28), Reply.Location.ABSENT,
                        new Reply.Location(true, 0, 0, 0))),
                new Reply.Listing(List.of(), true),
                new Reply.Listing(List.of(
                        new ObjectInfo(A, 10, 20, 3, ObjectState.SEALED, 1_700_000_000_000L, 12_345, -7),
                        new ObjectInfo(B, 0, 0, 0, ObjectState.CREATED, 0, -1, 0)), false),
                new Reply.Evicted(0, 0),
                new Reply.Evicted(1L << 33, Integer.MAX_VALUE),
                new Reply.Digest(0xCAFEBABEDEADBEEFL),
                new Reply.Ok(),
                new Reply.StoreStats(1L << 30, 4096, 1024, 3072, 5, 2, 9, 640),
                new Reply.ClientList(List.of()),
                new Reply.ClientList(List.of(new Reply.Client(1, "java", 4242, false, 3, 5, 3 * 1024, 1),
                        new Reply.Client(2, "subscription", 4242, true, 0, 0, 0, 0),
                        new Reply.Client(Long.MAX_VALUE, "ü🚀", Long.MIN_VALUE, false, Integer.MAX_VALUE,
                                Long.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE))),
                new Reply.Error(Status.STORE_FULL, "store full: needed 128 bytes"),
                new Reply.Error(Status.PROTOCOL_ERROR, ""),
                new Reply.Notification(Reply.Notification.Kind.SEALED, A, 5, 6, 7),
                new Reply.Notification(Reply.Notification.Kind.DELETED, C, Long.MAX_VALUE, 0, Long.MIN_VALUE));
    }

    /** The bytes after the length field of an encoded frame, after checking that field. */
    static ByteBuffer body(ByteBuffer frame) {
        ByteBuffer f = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int length = f.getInt(0);
        if (length != f.remaining() - FrameCodec.LENGTH_BYTES) {
            throw new AssertionError("length field " + length + " but " + (f.remaining() - 4) + " bytes follow");
        }
        return f.position(FrameCodec.LENGTH_BYTES).slice();
    }

    static byte[] bodyBytes(ByteBuffer frame) {
        ByteBuffer b = body(frame);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static byte[] bodyBytes(Request request) {
        return bodyBytes(FrameCodec.encode(1, request));
    }

    static byte[] bodyBytes(Reply reply) {
        return bodyBytes(FrameCodec.encode(1, reply));
    }

    /** A frame body built by hand: header (type, flags 0, request id 1) then the payload bytes. */
    static Builder body(int type) {
        return new Builder(type, 1 << 16);
    }

    /** As {@link #body(int)}, with room for a frame of up to {@link FrameCodec#MAX_FRAME} bytes. */
    static Builder bigBody(int type) {
        return new Builder(type, FrameCodec.MAX_FRAME + 64);
    }

    static final class Builder {
        private final ByteBuffer out;

        Builder(int type, int capacity) {
            out = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
            out.putShort((short) type).putShort((short) 0).putInt(1);
        }

        Builder i8(int v) {
            out.put((byte) v);
            return this;
        }

        Builder i16(int v) {
            out.putShort((short) v);
            return this;
        }

        Builder i32(int v) {
            out.putInt(v);
            return this;
        }

        Builder i64(long v) {
            out.putLong(v);
            return this;
        }

        Builder id(ObjectId id) {
            id.write(out);
            return this;
        }

        Builder bytes(byte[] b) {
            out.put(b);
            return this;
        }

        Builder zeros(int n) {
            out.position(out.position() + n);
            return this;
        }

        ByteBuffer build() {
            return out.duplicate().flip().slice().order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
