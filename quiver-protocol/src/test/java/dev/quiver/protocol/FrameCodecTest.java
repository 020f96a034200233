package dev.quiver.protocol;

import static dev.quiver.protocol.Samples.A;
import static dev.quiver.protocol.Samples.B;
import static dev.quiver.protocol.Samples.body;
import static dev.quiver.protocol.Samples.bodyBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class FrameCodecTest {

    static Stream<Request> requests() {
        return Samples.requests().stream();
    }

    static Stream<Reply> replies() {
        return Samples.replies().stream();
    }

    static Stream<byte[]> invalidUtf8() {
        return Stream.of(
                new byte[] {(byte) 0xFF},
                new byte[] {'o', 'k', (byte) 0xC3, 0x28},              // bad continuation byte
                new byte[] {(byte) 0xC0, (byte) 0xAF},                 // overlong '/'
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},    // an encoded UTF-16 surrogate
                new byte[] {(byte) 0xE2, (byte) 0x82},                 // cut in the middle of a character
                new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}); // above U+10FFFF
    }

    private static FrameCodec.Frame<Request> decodeRequest(byte[] body) {
        return FrameCodec.decodeRequest(ByteBuffer.wrap(body));
    }

    private static FrameCodec.Frame<Reply> decodeReply(byte[] body) {
        return FrameCodec.decodeReply(ByteBuffer.wrap(body));
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertMalformedRequest(ByteBuffer body) {
        return assertThatThrownBy(() -> FrameCodec.decodeRequest(body)).isInstanceOf(MalformedFrameException.class);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertMalformedReply(ByteBuffer body) {
        return assertThatThrownBy(() -> FrameCodec.decodeReply(body)).isInstanceOf(MalformedFrameException.class);
    }

    @Nested
    class RoundTrip {

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#requests")
        void everyRequestRoundTrips(Request request) {
            for (int requestId : new int[] {0, 1, 0x7FFF_FFFF, -1, Integer.MIN_VALUE}) {
                ByteBuffer frame = FrameCodec.encode(requestId, request);
                assertThat(frame.position()).isZero();
                assertThat(frame.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);

                FrameCodec.Frame<Request> decoded = FrameCodec.decodeRequest(Samples.body(frame));

                assertThat(decoded.requestId()).isEqualTo(requestId);
                assertThat(decoded.message()).isEqualTo(request);
            }
        }

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#replies")
        void everyReplyRoundTrips(Reply reply) {
            for (int requestId : new int[] {0, 1, 0x7FFF_FFFF, -1, Integer.MIN_VALUE}) {
                ByteBuffer frame = FrameCodec.encode(requestId, reply);

                FrameCodec.Frame<Reply> decoded = FrameCodec.decodeReply(Samples.body(frame));

                assertThat(decoded.requestId()).isEqualTo(requestId);
                assertThat(decoded.message()).isEqualTo(reply);
            }
        }

        @Test
        void theSamplesCoverEveryMessageType() {
            Set<Class<?>> requestTypes = Samples.requests().stream().map(Object::getClass).collect(Collectors.toSet());
            Set<Class<?>> replyTypes = Samples.replies().stream().map(Object::getClass).collect(Collectors.toSet());

            assertThat(requestTypes).containsExactlyInAnyOrder(Request.class.getPermittedSubclasses());
            assertThat(replyTypes).containsExactlyInAnyOrder(Reply.class.getPermittedSubclasses());
        }

        @Test
        void everyStatusAndStateAndKindRoundTrips() {
            List<Status> all = List.of(Status.values());
            assertThat(decodeReply(bodyBytes(new Reply.Statuses(all))).message())
                    .isEqualTo(new Reply.Statuses(all));
            for (Status s : Status.values()) {
                assertThat(decodeReply(bodyBytes(new Reply.Error(s, s.name()))).message())
                        .isEqualTo(new Reply.Error(s, s.name()));
            }
            for (ObjectState state : ObjectState.values()) {
                Reply.Listing l = new Reply.Listing(List.of(new ObjectInfo(A, 1, 2, 3, state, 4, 5, 6)), true);
                assertThat(decodeReply(bodyBytes(l)).message()).isEqualTo(l);
            }
            for (Reply.Notification.Kind kind : Reply.Notification.Kind.values()) {
                Reply.Notification n = new Reply.Notification(kind, B, 1, 2, 3);
                assertThat(decodeReply(bodyBytes(n)).message()).isEqualTo(n);
            }
        }

        @Test
        void theHeaderIsLittleEndianWithZeroFlags() {
            ByteBuffer frame = FrameCodec.encode(0x01020304, new Request.Stats());

            byte[] bytes = new byte[frame.remaining()];
            frame.get(bytes);

            assertThat(bytes).containsExactly(8, 0, 0, 0, 0x0E, 0, 0, 0, 4, 3, 2, 1);
        }

        @Test
        void theLengthFieldCountsTheBytesAfterIt() {
            ByteBuffer frame = FrameCodec.encode(9, new Request.Get(List.of(A, B), 5));

            assertThat(frame.getInt(0)).isEqualTo(8 + 8 + 4 + 2 * ObjectId.SIZE);
            assertThat(frame.remaining()).isEqualTo(4 + frame.getInt(0));
        }

        @Test
        void decodingIgnoresTheCallersPositionAndByteOrderAndLeavesItsBufferAlone() {
            byte[] body = bodyBytes(new Request.Evict(123_456_789_012L));
            byte[] padded = new byte[body.length + 10];
            System.arraycopy(body, 0, padded, 5, body.length);
            ByteBuffer in = ByteBuffer.wrap(padded, 5, body.length).order(ByteOrder.BIG_ENDIAN);

            FrameCodec.Frame<Request> frame = FrameCodec.decodeRequest(in);

            assertThat(frame.message()).isEqualTo(new Request.Evict(123_456_789_012L));
            assertThat(in.position()).isEqualTo(5);
            assertThat(in.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
        }

        @Test
        void aGetOfMaxBatchIdsFitsInOneFrame() {
            List<ObjectId> ids = Collections.nCopies(FrameCodec.MAX_BATCH, A);

            ByteBuffer frame = FrameCodec.encode(3, new Request.Get(ids, -1));

            assertThat(FrameCodec.decodeRequest(Samples.body(frame)).message()).isEqualTo(new Request.Get(ids, -1));
        }

        @Test
        void aListingChunkFitsInOneFrame() {
            List<ObjectInfo> infos = Collections.nCopies(FrameCodec.LISTING_CHUNK,
                    new ObjectInfo(A, 1, 2, 3, ObjectState.SEALED, 4, 5, 6));

            ByteBuffer frame = FrameCodec.encode(3, new Reply.Listing(infos, false));

            assertThat(FrameCodec.decodeReply(Samples.body(frame)).message())
                    .isEqualTo(new Reply.Listing(infos, false));
        }
    }

    @Nested
    class Clients {
        @Test
        void aClientListRoundTripsWithEveryField() {
            Reply.ClientList list = new Reply.ClientList(List.of(
                    new Reply.Client(3, "java", 1234, false, 2, 7, 2048, 1),
                    new Reply.Client(4, "subscription", 1234, true, 0, 0, 0, 0)));
            FrameCodec.Frame<Reply> back = decodeReply(bodyBytes(list));
            assertThat(back.message()).isEqualTo(list);
            assertThat(decodeRequest(bodyBytes(new Request.Clients())).message()).isEqualTo(new Request.Clients());
        }

        @Test
        void theLayoutIsTheDocumentedOne() {
            ByteBuffer frame = FrameCodec.encode(9, new Reply.ClientList(List.of(
                    new Reply.Client(3, "ab", 5, true, 6, 7, 8, 9))));
            ByteBuffer b = frame.order(ByteOrder.LITTLE_ENDIAN);
            assertThat(b.getInt(0)).as("length").isEqualTo(8 + 4 + 43 + 2);
            assertThat(Short.toUnsignedInt(b.getShort(4))).as("type").isEqualTo(0x8B);
            assertThat(b.getInt(12)).as("count").isEqualTo(1);
            assertThat(b.getLong(16)).as("clientId").isEqualTo(3);
            assertThat(b.getLong(24)).as("pid").isEqualTo(5);
            assertThat(b.get(32)).as("subscriber").isEqualTo((byte) 1);
            assertThat(b.getInt(33)).as("objects").isEqualTo(6);
            assertThat(b.getLong(37)).as("references").isEqualTo(7);
            assertThat(b.getLong(45)).as("bytes").isEqualTo(8);
            assertThat(b.getInt(53)).as("writing").isEqualTo(9);
            assertThat(b.getShort(57)).as("name length").isEqualTo((short) 2);
            assertThat(new String(new byte[] {b.get(59), b.get(60)}, StandardCharsets.UTF_8)).isEqualTo("ab");
            assertThat(bodyBytes(new Request.Clients())).containsExactly(0x11, 0, 0, 0, 1, 0, 0, 0);
        }

        @Test
        void namesAreCutToTheLimitBetweenCharacters() {
            String longAscii = "x".repeat(100);
            assertThat(FrameCodec.clientName(longAscii)).hasSize(FrameCodec.MAX_CLIENT_NAME);
            String rockets = "🚀".repeat(20); // 4 bytes each: 16 fit in 64
            assertThat(FrameCodec.clientName(rockets)).isEqualTo("🚀".repeat(16));
            String offset = "a" + "ü".repeat(40); // 1 + 2k bytes: the 64th byte would split a character
            assertThat(FrameCodec.clientName(offset)).isEqualTo("a" + "ü".repeat(31));
            assertThat(FrameCodec.clientName("short")).isEqualTo("short");
            assertThatThrownBy(() -> FrameCodec.encode(1, new Reply.ClientList(List.of(
                    new Reply.Client(1, longAscii, 1, false, 0, 0, 0, 0)))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64");
        }

        @Test
        void aCountBeyondThePayloadIsRefused() {
            ByteBuffer body = ByteBuffer.allocate(8 + 4).order(ByteOrder.LITTLE_ENDIAN)
                    .putShort((short) 0x8B).putShort((short) 0).putInt(1).putInt(2).flip();
            assertMalformedReply(body).hasMessageContaining("entry count");
        }
    }

    @Nested
    class Encoding {

        @Test
        void refusesAStringLongerThanItsLengthField() {
            String name = "x".repeat(0x10000);

            assertThatThrownBy(() -> FrameCodec.encode(1, new Request.Connect(1, name, 1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65535");
            // The longest string that fits is fine.
            Request.Connect longest = new Request.Connect(1, "x".repeat(0xFFFF), 1);
            assertThat(decodeRequest(bodyBytes(longest)).message()).isEqualTo(longest);
        }

        @Test
        void refusesAMessageLargerThanTheFrameLimit() {
            List<ObjectId> ids = Collections.nCopies(FrameCodec.MAX_FRAME / ObjectId.SIZE + 1, A);

            assertThatThrownBy(() -> FrameCodec.encode(1, new Request.Release(ids)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("split the batch");
        }

        /** Whatever encode produces, decode accepts: a batch the store would reject must not leave the client. */
        @Test
        void refusesMoreEntriesThanMaxBatch() {
            List<ObjectId> ids = Collections.nCopies(FrameCodec.MAX_BATCH + 1, A);
            List<Status> statuses = Collections.nCopies(FrameCodec.MAX_BATCH + 1, Status.OK);

            for (Request r : List.of(new Request.Get(ids, 0), new Request.Release(ids), new Request.Contains(ids),
                    new Request.Delete(ids),
                    new Request.Seal(Collections.nCopies(FrameCodec.MAX_BATCH + 1, new Request.SealSpec(A, 1))),
                    new Request.CreateBatch(
                            Collections.nCopies(FrameCodec.MAX_BATCH + 1, new Request.CreateSpec(A, 1, 1)), 0))) {
                assertThatThrownBy(() -> FrameCodec.encode(1, r)).as(r.getClass().getSimpleName())
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(String.valueOf(FrameCodec.MAX_BATCH));
            }
            for (Reply r : List.of(new Reply.Statuses(statuses),
                    new Reply.CreatedBatch(Collections.nCopies(FrameCodec.MAX_BATCH + 1, 0L)),
                    new Reply.Objects(Collections.nCopies(FrameCodec.MAX_BATCH + 1, Reply.Location.ABSENT)))) {
                assertThatThrownBy(() -> FrameCodec.encode(1, r)).as(r.getClass().getSimpleName())
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(String.valueOf(FrameCodec.MAX_BATCH));
            }
        }
    }

    @Nested
    class Rejection {

        @ParameterizedTest
        @ValueSource(ints = {0x00, 0x10, 0x15, 0x7F, 0x81, 0x89, 0xC0, 0xFF, 0x0101, 0xFFFF})
        void unknownRequestTypes(int type) {
            assertMalformedRequest(body(type).zeros(64).build()).hasMessageContaining("unknown request type")
                    .hasMessageContaining(Integer.toHexString(type));
            assertMalformedRequest(body(type).build());
        }

        @ParameterizedTest
        @ValueSource(ints = {0x00, 0x01, 0x0E, 0x80, 0x8C, 0xBF, 0xC1, 0xFE, 0x01FF, 0xFFFF})
        void unknownReplyTypes(int type) {
            assertMalformedReply(body(type).zeros(64).build()).hasMessageContaining("unknown reply type")
                    .hasMessageContaining(Integer.toHexString(type));
            assertMalformedReply(body(type).build());
        }

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#requests")
        void requestsWithNonzeroFlags(Request request) {
            for (int flags : new int[] {1, 2, 0x80, 0x100, 0xFFFF}) {
                if (flags == 1 && request instanceof Request.Connect) {
                    continue; // the rings flag: see theRingsFlagOnlyOnConnectAndConnected...
                }
                byte[] body = bodyBytes(request);
                body[2] = (byte) flags;
                body[3] = (byte) (flags >>> 8);

                assertMalformedRequest(ByteBuffer.wrap(body)).hasMessageContaining("flags");
            }
        }

        @Test
        void theRingsFlagOnlyOnConnectAndConnectedAndADoorbellHasNoPayload() {
            byte[] connect = bodyBytes(new Request.Connect(1, "c", 2));
            connect[2] = 1;
            assertThat(FrameCodec.decodeRequest(ByteBuffer.wrap(connect)).message())
                    .isEqualTo(new Request.Connect(1, "c", 2, true));
            byte[] connected = bodyBytes(new Reply.Connected(1, 2, 3, "/a"));
            connected[2] = 1; // says rings follow, but none do
            assertMalformedReply(ByteBuffer.wrap(connected)).hasMessageContaining("truncated");
            ByteBuffer bell = FrameCodec.doorbell();
            assertThat(bell.remaining()).isEqualTo(12);
            assertThat(FrameCodec.isDoorbell(bell.slice(4, 8))).isTrue();
            assertThat(FrameCodec.isDoorbell(ByteBuffer.wrap(bodyBytes(new Request.Stats())))).isFalse();
            assertMalformedRequest(bell.slice(4, 8)).hasMessageContaining("unknown request type 0x10");
        }

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#replies")
        void repliesWithNonzeroFlags(Reply reply) {
            byte[] body = bodyBytes(reply);
            body[3] = 1;

            assertMalformedReply(ByteBuffer.wrap(body)).hasMessageContaining("flags");
        }

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#requests")
        void everyTruncationOfARequest(Request request) {
            byte[] body = bodyBytes(request);
            for (int n = 0; n < body.length; n++) {
                ByteBuffer prefix = ByteBuffer.wrap(Arrays.copyOf(body, n));
                assertThatThrownBy(() -> FrameCodec.decodeRequest(prefix)).as("first %d of %d bytes", n, body.length)
                        .isInstanceOf(MalformedFrameException.class);
            }
        }

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#replies")
        void everyTruncationOfAReply(Reply reply) {
            byte[] body = bodyBytes(reply);
            for (int n = 0; n < body.length; n++) {
                ByteBuffer prefix = ByteBuffer.wrap(Arrays.copyOf(body, n));
                assertThatThrownBy(() -> FrameCodec.decodeReply(prefix)).as("first %d of %d bytes", n, body.length)
                        .isInstanceOf(MalformedFrameException.class);
            }
        }

        @Test
        void truncationIsReportedAsSuch() {
            assertMalformedRequest(body(FrameCodec.CREATE).id(A).i64(1).build()).hasMessageContaining("truncated");
            assertMalformedReply(body(FrameCodec.STORE_STATS).i64(1).build()).hasMessageContaining("truncated");
        }

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#requests")
        void requestsWithTrailingBytes(Request request) {
            for (int extra : new int[] {1, 7, ObjectId.SIZE}) {
                byte[] body = Arrays.copyOf(bodyBytes(request), bodyBytes(request).length + extra);

                assertMalformedRequest(ByteBuffer.wrap(body)).hasMessageContaining("trailing");
            }
        }

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#replies")
        void repliesWithTrailingBytes(Reply reply) {
            byte[] body = Arrays.copyOf(bodyBytes(reply), bodyBytes(reply).length + 1);

            assertMalformedReply(ByteBuffer.wrap(body)).hasMessageContaining("trailing");
        }

        @Test
        void countsLargerThanTheFrame() {
            assertMalformedRequest(body(FrameCodec.GET).i64(0).i32(2).id(A).build()).hasMessageContaining("count");
            assertMalformedRequest(body(FrameCodec.RELEASE).i32(1).build()).hasMessageContaining("count");
            assertMalformedRequest(body(FrameCodec.CONTAINS).i32(3).id(A).id(B).build());
            assertMalformedRequest(body(FrameCodec.DELETE).i32(2).id(A).zeros(19).build());
            assertMalformedRequest(body(FrameCodec.SEAL).i32(2).id(A).i64(1).build());
            assertMalformedRequest(body(FrameCodec.CREATE_BATCH).i64(0).i32(2).id(A).i64(1).i64(1).build());
            assertMalformedReply(body(FrameCodec.STATUSES).i32(5).zeros(4).build()).hasMessageContaining("count");
            assertMalformedReply(body(FrameCodec.CREATED_BATCH).i32(2).i64(0).build());
            assertMalformedReply(body(FrameCodec.OBJECTS).i32(1).zeros(24).build());
            assertMalformedReply(body(FrameCodec.LISTING).i8(1).i32(1).zeros(ObjectId.SIZE + 48).build());
        }

        @ParameterizedTest
        @ValueSource(ints = {-1, Integer.MIN_VALUE, -20})
        void negativeCounts(int count) {
            assertMalformedRequest(body(FrameCodec.RELEASE).i32(count).zeros(40).build()).hasMessageContaining("count");
            assertMalformedReply(body(FrameCodec.STATUSES).i32(count).zeros(40).build()).hasMessageContaining("count");
        }

        @Test
        void countsLargerThanMaxBatchEvenWhenTheBytesAreThere() {
            int n = FrameCodec.MAX_BATCH + 1;

            assertMalformedRequest(Samples.bigBody(FrameCodec.CONTAINS).i32(n).zeros(n * ObjectId.SIZE).build())
                    .hasMessageContaining(String.valueOf(FrameCodec.MAX_BATCH));
            assertMalformedReply(Samples.bigBody(FrameCodec.STATUSES).i32(n).zeros(n).build())
                    .hasMessageContaining(String.valueOf(FrameCodec.MAX_BATCH));
            // MAX_BATCH itself is allowed.
            FrameCodec.Frame<Reply> ok = FrameCodec.decodeReply(
                    Samples.bigBody(FrameCodec.STATUSES).i32(n - 1).zeros(n - 1).build());
            assertThat(((Reply.Statuses) ok.message()).statuses()).hasSize(FrameCodec.MAX_BATCH)
                    .containsOnly(Status.OK);
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 7, -1, -8, Integer.MIN_VALUE, FrameCodec.MAX_FRAME + 1, Integer.MAX_VALUE})
        void lengthsOutsideTheAllowedRange(int length) {
            assertThatThrownBy(() -> FrameCodec.checkLength(length)).isInstanceOf(MalformedFrameException.class)
                    .hasMessageContaining(Integer.toUnsignedString(length))
                    .hasMessageContaining(String.valueOf(FrameCodec.MAX_FRAME));
        }

        @ParameterizedTest
        @ValueSource(ints = {8, 9, 1 << 16, FrameCodec.MAX_FRAME - 1, FrameCodec.MAX_FRAME})
        void lengthsInsideTheAllowedRange(int length) {
            assertThat(FrameCodec.checkLength(length)).isEqualTo(length);
        }

        @Test
        void bodiesShorterThanTheHeaderOrLongerThanMaxFrame() {
            assertMalformedRequest(ByteBuffer.allocate(7));
            assertMalformedReply(ByteBuffer.allocate(0));
            // A well-formed Contains of MAX_BATCH ids padded beyond MAX_FRAME: the length alone rejects it.
            ByteBuffer huge = ByteBuffer.allocate(FrameCodec.MAX_FRAME + 1).order(ByteOrder.LITTLE_ENDIAN);
            huge.putShort(0, (short) FrameCodec.CONTAINS);
            assertMalformedRequest(huge).hasMessageContaining("frame length");
        }

        @ParameterizedTest
        @MethodSource("dev.quiver.protocol.FrameCodecTest#invalidUtf8")
        void invalidUtf8(byte[] text) {
            assertMalformedRequest(body(FrameCodec.CONNECT).i32(1).i16(text.length).bytes(text).i64(1).build())
                    .hasMessageContaining("UTF-8");
            assertMalformedReply(body(FrameCodec.CONNECTED).i32(1).i64(1).i64(64).i16(text.length).bytes(text).build())
                    .hasMessageContaining("UTF-8");
            assertMalformedReply(body(FrameCodec.ERROR).i8(Status.STORE_FULL.code()).i16(text.length).bytes(text)
                    .build()).hasMessageContaining("UTF-8");
        }

        @Test
        void validUtf8IsDecodedExactly() {
            byte[] text = "Grüße 🌍".getBytes(StandardCharsets.UTF_8);

            FrameCodec.Frame<Request> f = FrameCodec.decodeRequest(
                    body(FrameCodec.CONNECT).i32(1).i16(text.length).bytes(text).i64(7).build());

            assertThat(f.message()).isEqualTo(new Request.Connect(1, "Grüße 🌍", 7));
        }

        @Test
        void aStringLengthBeyondTheFrame() {
            assertMalformedRequest(body(FrameCodec.CONNECT).i32(1).i16(100).bytes(new byte[] {'a', 'b', 'c'}).build())
                    .hasMessageContaining("truncated");
            assertMalformedReply(body(FrameCodec.ERROR).i8(0).i16(0xFFFF).zeros(10).build())
                    .hasMessageContaining("truncated");
        }

        @ParameterizedTest
        @ValueSource(ints = {2, 3, 0x7F, 0x80, 0xFF})
        void badBooleans(int value) {
            assertMalformedReply(body(FrameCodec.OBJECTS).i32(1).i8(value).i64(0).i64(0).i64(0).build())
                    .hasMessageContaining("boolean");
            assertMalformedReply(body(FrameCodec.LISTING).i8(value).i32(0).build()).hasMessageContaining("boolean");
        }

        @ParameterizedTest
        @ValueSource(ints = {11, 12, 100, 0x80, 0xFF})
        void unknownStatusCodes(int code) {
            assertMalformedReply(body(FrameCodec.STATUSES).i32(2).i8(0).i8(code).build())
                    .hasMessageContaining("status code " + code);
            assertMalformedReply(body(FrameCodec.ERROR).i8(code).i16(0).build())
                    .hasMessageContaining("status code " + code);
        }

        @ParameterizedTest
        @ValueSource(ints = {2, 3, 0x7F, 0x80, 0xFF})
        void unknownObjectStatesAndNotificationKinds(int value) {
            assertMalformedReply(body(FrameCodec.LISTING).i8(1).i32(1).id(A).i64(1).i64(1).i32(1).i8(value)
                    .i64(1).i64(1).i64(1).build()).hasMessageContaining("object state");
            assertMalformedReply(body(FrameCodec.NOTIFICATION).i8(value).id(A).i64(1).i64(1).i64(1).build())
                    .hasMessageContaining("notification kind");
        }

        @Test
        void aRequestIsNotAReplyNorTheOtherWayRound() {
            for (Request r : Samples.requests()) {
                assertMalformedReply(ByteBuffer.wrap(bodyBytes(r))).hasMessageContaining("unknown reply type");
            }
            for (Reply r : Samples.replies()) {
                assertMalformedRequest(ByteBuffer.wrap(bodyBytes(r))).hasMessageContaining("unknown request type");
            }
        }
    }
}
