package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.quiver.protocol.testing.Theories;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** Generated messages round-trip; arbitrary bytes either decode or are rejected with MalformedFrameException. */
class FrameCodecPropertiesTest {

    // ------------------------------------------------------------------------------------------ properties

    @Test
    void everyRequestRoundTrips() {
        Theories.check(2000, qt -> qt.forAll(requests(), integers().all()).checkAssert((request, requestId) -> {
            ByteBuffer frame = FrameCodec.encode(requestId, request);

            FrameCodec.Frame<Request> decoded = FrameCodec.decodeRequest(Samples.body(frame));

            assertThat(decoded).isEqualTo(new FrameCodec.Frame<>(requestId, request));
        }));
    }

    @Test
    void everyReplyRoundTrips() {
        Theories.check(2000, qt -> qt.forAll(replies(), integers().all()).checkAssert((reply, requestId) -> {
            ByteBuffer frame = FrameCodec.encode(requestId, reply);

            FrameCodec.Frame<Reply> decoded = FrameCodec.decodeReply(Samples.body(frame));

            assertThat(decoded).isEqualTo(new FrameCodec.Frame<>(requestId, reply));
        }));
    }

    /** Encoding is a function of the message: equal messages give equal bytes, and re-encoding is stable. */
    @Test
    void decodingThenEncodingGivesTheSameBytes() {
        Theories.check(500, qt -> qt.forAll(requests(), replies()).checkAssert((request, reply) -> {
            byte[] req = Samples.bodyBytes(request);
            byte[] rep = Samples.bodyBytes(reply);

            assertThat(Samples.bodyBytes(FrameCodec.decodeRequest(ByteBuffer.wrap(req)).message())).isEqualTo(req);
            assertThat(Samples.bodyBytes(FrameCodec.decodeReply(ByteBuffer.wrap(rep)).message())).isEqualTo(rep);
        }));
    }

    @Test
    void randomBytesDecodeOrAreRejectedAsMalformed() {
        Theories.check(5000, qt -> qt.forAll(randomBodies()).checkAssert(body -> {
            outcome(() -> FrameCodec.decodeRequest(ByteBuffer.wrap(body)));
            outcome(() -> FrameCodec.decodeReply(ByteBuffer.wrap(body)));
        }));
    }

    /** Valid frames with bytes changed, cut or added: the codec's parsing paths, not just its type switch. */
    @Test
    void mutatedFramesDecodeOrAreRejectedAsMalformed() {
        int[] decodedAndMalformed = new int[2];
        Theories.check(5000, qt -> qt.forAll(mutatedBodies()).checkAssert(body -> {
            String request = outcome(() -> FrameCodec.decodeRequest(ByteBuffer.wrap(body)));
            String reply = outcome(() -> FrameCodec.decodeReply(ByteBuffer.wrap(body)));
            decodedAndMalformed[request.equals("decoded") || reply.equals("decoded") ? 0 : 1]++;
        }));
        assertThat(decodedAndMalformed[0]).as("frames that still decode").isPositive();
        assertThat(decodedAndMalformed[1]).as("frames rejected as malformed").isPositive();
    }

    /** Runs a decode; any exception but MalformedFrameException escapes and fails the property. */
    static String outcome(Runnable decode) {
        try {
            decode.run();
            return "decoded";
        } catch (MalformedFrameException e) {
            assertThat(e.getMessage()).isNotBlank();
            return "malformed";
        }
    }

    // ---------------------------------------------------------------------------------------- generators

    static Gen<byte[]> bytes(int minLength, int maxLength) {
        return Generate.byteArrays(integers().between(minLength, maxLength),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
    }

    static Gen<byte[]> randomBodies() {
        Gen<byte[]> noise = bytes(0, 300);
        // A known type and zero flags, then noise: gets past the header into every type's parser.
        Gen<byte[]> typed = Generate.pick(List.of(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B,
                        0x0C, 0x0D, 0x0E, 0x0F, 0x11, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A,
                        0x8B, 0xC0, 0xFF))
                .zip(integers().all(), bytes(0, 300), (type, requestId, payload) -> {
                    ByteBuffer b = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
                    return b.putShort((short) (int) type).putShort((short) 0).putInt(requestId).put(payload).array();
                });
        return Generate.oneOf(noise, typed);
    }

    static Gen<byte[]> mutatedBodies() {
        Gen<byte[]> valid = Generate.oneOf(requests().map(Samples::bodyBytes), replies().map(Samples::bodyBytes));
        return valid.zip(integers().between(0, 5), integers().between(0, 10_000),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0), FrameCodecPropertiesTest::mutate);
    }

    static byte[] mutate(byte[] body, int how, int where, byte value) {
        return switch (how) {
            case 0 -> body; // unchanged
            case 1 -> { // one byte changed, never in the length-checked header's type
                byte[] b = body.clone();
                int i = where % b.length;
                b[i] = i < 2 ? b[i] : value;
                yield b;
            }
            case 2 -> Arrays.copyOf(body, where % (body.length + 1)); // cut
            case 3 -> { // grown
                byte[] b = Arrays.copyOf(body, body.length + 1 + where % 40);
                Arrays.fill(b, body.length, b.length, value);
                yield b;
            }
            case 4 -> { // a count or length field (often at offsets 8..24) set to an odd value
                byte[] b = body.clone();
                int i = 8 + where % Math.max(1, Math.min(b.length - 8, 24));
                if (i < b.length) {
                    b[i] = value;
                }
                yield b;
            }
            default -> { // four bytes changed at once: little-endian ints of any size
                byte[] b = body.clone();
                int i = where % b.length;
                for (int k = 0; k < 4 && i + k < b.length; k++) {
                    b[i + k] = (byte) (value * (k + 1));
                }
                yield b;
            }
        };
    }

    static Gen<ObjectId> ids() {
        return Generate.oneOf(bytes(ObjectId.SIZE, ObjectId.SIZE).map(ObjectId::of),
                Generate.pick(List.of(Samples.A, Samples.B, Samples.C)));
    }

    static Gen<String> strings40() {
        Gen<String> ascii = strings().ascii().ofLengthBetween(0, 40);
        // The basic multilingual plane without the surrogates, then beyond it.
        Gen<String> bmp = Generate.oneOf(strings().betweenCodePoints(0, 0xD7FF).ofLengthBetween(0, 40),
                strings().betweenCodePoints(0xE000, 0xFFFF).ofLengthBetween(0, 40));
        return Generate.oneOf(ascii, bmp, bmp.map(s -> s + "🚀𝄞"));
    }

    static <T> Gen<List<T>> lists12(Gen<T> element) {
        return lists().of(element).ofSizeBetween(0, 12);
    }

    static Gen<Request> requests() {
        Gen<Long> longs = longs().all();
        Gen<Integer> ints = integers().all();
        Gen<ObjectId> ids = ids();
        return Generate.oneOf(
                ints.zip(strings40(), longs, Request.Connect::new),
                ids.zip(longs, longs, longs, Request.Create::new),
                lists12(ids.zip(longs, longs, Request.CreateSpec::new)).zip(longs, Request.CreateBatch::new),
                lists12(ids.zip(longs, Request.SealSpec::new)).map(Request.Seal::new),
                ids.map(Request.Abort::new),
                ids.map(Request.Publish::new),
                lists12(ids).zip(longs, Request.Get::new),
                lists12(ids).map(Request.Release::new),
                lists12(ids).map(Request.ReleaseHeld::new),
                lists12(longs).map(Request.EndHolds::new),
                lists12(ids).map(Request.Contains::new),
                lists12(ids).map(Request.Delete::new),
                Generate.constant(new Request.ListObjects()),
                ids.zip(ids, ints, booleans().all(), Request.Range::new),
                longs.map(Request.Evict::new),
                ids.map(Request.Hash::new),
                Generate.constant(new Request.Subscribe()),
                Generate.constant(new Request.Stats()),
                Generate.constant(new Request.Clients()));
    }

    static Gen<Reply> replies() {
        Gen<Long> longs = longs().all();
        Gen<Integer> ints = integers().all();
        Gen<ObjectId> ids = ids();
        Gen<long[]> threeLongs = longs.zip(longs, longs, (a, b, c) -> new long[] {a, b, c});
        Gen<Reply.Location> locations = Generate.oneOf(Generate.constant(Reply.Location.ABSENT),
                threeLongs.map(l -> new Reply.Location(true, l[0], l[1], l[2])));
        Gen<ObjectInfo> infos = ids.zip(threeLongs, ints, Generate.enumValues(ObjectState.class), threeLongs,
                (id, a, refs, state, b) -> new ObjectInfo(id, a[0], a[1], refs, state, b[0], b[1], b[2]));
        return Generate.oneOf(
                ints.zip(longs, longs, strings40(), Reply.Connected::new),
                longs.map(Reply.Created::new),
                lists12(longs).map(Reply.CreatedBatch::new),
                lists12(Generate.enumValues(Status.class)).map(Reply.Statuses::new),
                lists12(locations).map(Reply.Objects::new),
                lists12(infos).zip(booleans().all(), Reply.Listing::new),
                longs.zip(ints, Reply.Evicted::new),
                longs.map(Reply.Digest::new),
                Generate.constant(new Reply.Ok()),
                threeLongs.zip(threeLongs, ints, longs, (a, b, clients, c) ->
                        new Reply.StoreStats(a[0], a[1], a[2], b[0], b[1], clients, b[2], c)),
                lists12(longs.zip(strings40(), threeLongs, booleans().all(), (id, name, a, subscriber) ->
                        new Reply.Client(id, FrameCodec.clientName(name), a[0], subscriber, (int) a[1], a[2], id ^ a[1],
                                (int) (a[2] >>> 32)))).map(Reply.ClientList::new),
                Generate.enumValues(Status.class).zip(strings40(), Reply.Error::new),
                Generate.enumValues(Reply.Notification.Kind.class).zip(ids, longs, longs, longs,
                        Reply.Notification::new));
    }
}
