package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/** Generated messages round-trip; arbitrary bytes either decode or are rejected with MalformedFrameException. */
class FrameCodecPropertiesTest {

    // ------------------------------------------------------------------------------------------ properties

    @Property(tries = 2000)
    void everyRequestRoundTrips(@ForAll("requests") Request request, @ForAll int requestId) {
        ByteBuffer frame = FrameCodec.encode(requestId, request);

        FrameCodec.Frame<Request> decoded = FrameCodec.decodeRequest(Samples.body(frame));

        assertThat(decoded).isEqualTo(new FrameCodec.Frame<>(requestId, request));
    }

    @Property(tries = 2000)
    void everyReplyRoundTrips(@ForAll("replies") Reply reply, @ForAll int requestId) {
        ByteBuffer frame = FrameCodec.encode(requestId, reply);

        FrameCodec.Frame<Reply> decoded = FrameCodec.decodeReply(Samples.body(frame));

        assertThat(decoded).isEqualTo(new FrameCodec.Frame<>(requestId, reply));
    }

    /** Encoding is a function of the message: equal messages give equal bytes, and re-encoding is stable. */
    @Property(tries = 500)
    void decodingThenEncodingGivesTheSameBytes(@ForAll("requests") Request request, @ForAll("replies") Reply reply) {
        byte[] req = Samples.bodyBytes(request);
        byte[] rep = Samples.bodyBytes(reply);

        assertThat(Samples.bodyBytes(FrameCodec.decodeRequest(ByteBuffer.wrap(req)).message())).isEqualTo(req);
        assertThat(Samples.bodyBytes(FrameCodec.decodeReply(ByteBuffer.wrap(rep)).message())).isEqualTo(rep);
    }

    @Property(tries = 5000)
    void randomBytesDecodeOrAreRejectedAsMalformed(@ForAll("randomBodies") byte[] body) {
        outcome(() -> FrameCodec.decodeRequest(ByteBuffer.wrap(body)));
        outcome(() -> FrameCodec.decodeReply(ByteBuffer.wrap(body)));
    }

    /** Valid frames with bytes changed, cut or added: the codec's parsing paths, not just its type switch. */
    @Property(tries = 5000)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
    void mutatedFramesDecodeOrAreRejectedAsMalformed(@ForAll("mutatedBodies") byte[] body) {
        String request = outcome(() -> FrameCodec.decodeRequest(ByteBuffer.wrap(body)));
        String reply = outcome(() -> FrameCodec.decodeReply(ByteBuffer.wrap(body)));
        Statistics.collect(request.equals("decoded") || reply.equals("decoded") ? "decoded" : "malformed");
        Statistics.coverage(c -> {
            c.check("decoded").count(n -> n > 0);
            c.check("malformed").count(n -> n > 0);
        });
    }

    /** Runs a decode; any exception but MalformedFrameException escapes and fails the property. */
    private static String outcome(Runnable decode) {
        try {
            decode.run();
            return "decoded";
        } catch (MalformedFrameException e) {
            assertThat(e.getMessage()).isNotBlank();
            return "malformed";
        }
    }

    // ---------------------------------------------------------------------------------------- generators

    @Provide
    Arbitrary<byte[]> randomBodies() {
        Arbitrary<byte[]> noise = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        // A known type and zero flags, then noise: gets past the header into every type's parser.
        Arbitrary<byte[]> typed = Combinators.combine(
                        Arbitraries.of(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D,
                                0x0E, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0xC0, 0xFF),
                        Arbitraries.integers(), Arbitraries.bytes().array(byte[].class).ofMaxSize(300))
                .as((type, requestId, payload) -> {
                    ByteBuffer b = ByteBuffer.allocate(8 + payload.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    return b.putShort((short) (int) type).putShort((short) 0).putInt(requestId).put(payload).array();
                });
        return Arbitraries.oneOf(noise, typed);
    }

    @Provide
    Arbitrary<byte[]> mutatedBodies() {
        Arbitrary<byte[]> valid = Arbitraries.oneOf(
                requests().map(Samples::bodyBytes), replies().map(Samples::bodyBytes));
        return Combinators.combine(valid, Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 10_000), Arbitraries.bytes()).as(FrameCodecPropertiesTest::mutate);
    }

    private static byte[] mutate(byte[] body, int how, int where, byte value) {
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

    static Arbitrary<ObjectId> ids() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofSize(ObjectId.SIZE).map(ObjectId::of),
                Arbitraries.of(Samples.A, Samples.B, Samples.C));
    }

    static Arbitrary<String> strings() {
        Arbitrary<String> bmp = Arbitraries.strings().withCharRange('\u0000', '\uD7FF')
                .withCharRange('\uE000', '\uFFFF').ofMaxLength(40);
        Arbitrary<String> ascii = Arbitraries.strings().ascii().ofMaxLength(40);
        return Arbitraries.oneOf(ascii, bmp, bmp.map(s -> s + "🚀𝄞"));
    }

    static <T> Arbitrary<List<T>> lists(Arbitrary<T> element) {
        return element.list().ofMaxSize(12);
    }

    @Provide
    static Arbitrary<Request> requests() {
        Arbitrary<Long> longs = Arbitraries.longs();
        Arbitrary<Integer> ints = Arbitraries.integers();
        Arbitrary<ObjectId> ids = ids();
        return Arbitraries.oneOf(
                Combinators.combine(ints, strings(), longs).as(Request.Connect::new),
                Combinators.combine(ids, longs, longs, longs).as(Request.Create::new),
                Combinators.combine(lists(Combinators.combine(ids, longs, longs).as(Request.CreateSpec::new)), longs)
                        .as(Request.CreateBatch::new),
                lists(Combinators.combine(ids, longs).as(Request.SealSpec::new)).map(Request.Seal::new),
                ids.map(Request.Abort::new),
                Combinators.combine(lists(ids), longs).as(Request.Get::new),
                lists(ids).map(Request.Release::new),
                lists(ids).map(Request.Contains::new),
                lists(ids).map(Request.Delete::new),
                Arbitraries.just(new Request.ListObjects()),
                Combinators.combine(ids, ids, ints, Arbitraries.of(true, false)).as(Request.Range::new),
                longs.map(Request.Evict::new),
                ids.map(Request.Hash::new),
                Arbitraries.just(new Request.Subscribe()),
                Arbitraries.just(new Request.Stats()));
    }

    @Provide
    static Arbitrary<Reply> replies() {
        Arbitrary<Long> longs = Arbitraries.longs();
        Arbitrary<Integer> ints = Arbitraries.integers();
        Arbitrary<ObjectId> ids = ids();
        Arbitrary<Reply.Location> locations = Arbitraries.oneOf(Arbitraries.just(Reply.Location.ABSENT),
                Combinators.combine(longs, longs, longs).as((o, d, m) -> new Reply.Location(true, o, d, m)));
        Arbitrary<ObjectInfo> infos = Combinators.combine(ids, longs, longs, ints, Arbitraries.of(ObjectState.class),
                longs, longs, longs).as(ObjectInfo::new);
        return Arbitraries.oneOf(
                Combinators.combine(ints, longs, longs, strings()).as(Reply.Connected::new),
                longs.map(Reply.Created::new),
                lists(longs).map(Reply.CreatedBatch::new),
                lists(Arbitraries.of(Status.class)).map(Reply.Statuses::new),
                lists(locations).map(Reply.Objects::new),
                Combinators.combine(lists(infos), Arbitraries.of(true, false)).as(Reply.Listing::new),
                Combinators.combine(longs, ints).as(Reply.Evicted::new),
                longs.map(Reply.Digest::new),
                Arbitraries.just(new Reply.Ok()),
                Combinators.combine(longs, longs, longs, longs, longs, ints, longs, longs).as(Reply.StoreStats::new),
                Combinators.combine(Arbitraries.of(Status.class), strings()).as(Reply.Error::new),
                Combinators.combine(Arbitraries.of(Reply.Notification.Kind.class), ids, longs, longs, longs)
                        .as(Reply.Notification::new));
    }
}
