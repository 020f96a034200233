package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.quiver.protocol.testing.Theories;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class ObjectIdTest {
    /** Examples of each property below. */
    static final int EXAMPLES = 1000;

    /** Any text, surrogates and code points beyond the basic multilingual plane included. */
    static Gen<String> names() {
        return strings().allPossible().ofLengthBetween(0, 255);
    }

    static Gen<byte[]> idBytes() {
        return FrameCodecPropertiesTest.bytes(ObjectId.SIZE, ObjectId.SIZE);
    }

    @Test
    void forNameIsTheSha1OfTheUtf8Name() throws Exception {
        // Known SHA-1 test vectors: every process, in any language, derives the same id from a name.
        assertThat(ObjectId.forName("").toString()).isEqualTo("da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assertThat(ObjectId.forName("abc").toString()).isEqualTo("a9993e364706816aba3e25717850c26c9cd0d89d");
        byte[] expected = MessageDigest.getInstance("SHA-1").digest("grüße/📦".getBytes(StandardCharsets.UTF_8));
        assertThat(ObjectId.forName("grüße/📦").toBytes()).isEqualTo(expected);
    }

    @Test
    void forNameIsStableAndTwentyBytes() {
        Theories.check(EXAMPLES, qt -> qt.forAll(names()).checkAssert(name -> {
            ObjectId first = ObjectId.forName(name);
            ObjectId second = ObjectId.forName(new String(name.toCharArray()));

            assertThat(first).isEqualTo(second).hasSameHashCodeAs(second);
            assertThat(first.toBytes()).hasSize(ObjectId.SIZE).isEqualTo(second.toBytes());
        }));
    }

    @Test
    void differentNamesGiveDifferentIds() {
        Theories.check(EXAMPLES, qt -> qt.forAll(names(), names()).checkAssert((a, b) -> {
            if (!a.equals(b)) {
                assertThat(ObjectId.forName(a)).isNotEqualTo(ObjectId.forName(b));
            }
        }));
    }

    @Test
    void hexRoundTrips() {
        Theories.check(EXAMPLES, qt -> qt.forAll(idBytes()).checkAssert(bytes -> {
            ObjectId id = ObjectId.of(bytes);
            String hex = id.toString();

            assertThat(hex).hasSize(2 * ObjectId.SIZE).matches("[0-9a-f]{40}");
            assertThat(ObjectId.fromHex(hex)).isEqualTo(id);
            assertThat(ObjectId.fromHex(hex.toUpperCase(Locale.ROOT))).isEqualTo(id);
            assertThat(hex).isEqualTo(HexFormat.of().formatHex(bytes));
        }));
    }

    @Test
    void bufferRoundTrips() {
        Theories.check(EXAMPLES, qt -> qt.forAll(idBytes()).checkAssert(bytes -> {
            ObjectId id = ObjectId.of(bytes);
            ByteBuffer buf = ByteBuffer.allocate(ObjectId.SIZE + 3);
            buf.put((byte) 1);
            id.write(buf);
            assertThat(buf.position()).isEqualTo(1 + ObjectId.SIZE);

            buf.position(1);
            assertThat(ObjectId.read(buf)).isEqualTo(id);
            assertThat(buf.position()).isEqualTo(1 + ObjectId.SIZE);
        }));
    }

    @Test
    void readingFromTooFewBytesUnderflows() {
        // FrameCodec relies on this exception to report truncated frames.
        ByteBuffer buf = ByteBuffer.allocate(ObjectId.SIZE - 1);
        assertThatThrownBy(() -> ObjectId.read(buf)).isInstanceOf(BufferUnderflowException.class);
    }

    @Test
    void badHexIsRejectedWithTheInputInTheMessage() {
        String good = ObjectId.forName("x").toString();
        for (String bad : new String[] {"", "abc", good.substring(1), good + "0", good.substring(2) + "0x",
                good.substring(1) + "g", good.substring(1) + " ", "-" + good.substring(1)}) {
            assertThatThrownBy(() -> ObjectId.fromHex(bad)).as("'%s'", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + bad + "'");
        }
    }

    @Test
    void ofRejectsWrongLengthsAndCopies() {
        for (int n : new int[] {0, 1, ObjectId.SIZE - 1, ObjectId.SIZE + 1, 32}) {
            assertThatThrownBy(() -> ObjectId.of(new byte[n])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(String.valueOf(n));
        }
        byte[] bytes = new byte[ObjectId.SIZE];
        ObjectId id = ObjectId.of(bytes);
        bytes[0] = 9;
        assertThat(id.toBytes()[0]).isZero();
        id.toBytes()[1] = 9;
        assertThat(id.toBytes()[1]).isZero();
        assertThat(id).isEqualTo(ObjectId.of(new byte[ObjectId.SIZE]));
    }

    @Test
    void compareToIsUnsignedAndConsistentWithEquals() {
        byte[] low = new byte[ObjectId.SIZE];
        byte[] high = new byte[ObjectId.SIZE];
        low[0] = 0x7F;
        high[0] = (byte) 0x80;

        assertThat(ObjectId.of(low)).isLessThan(ObjectId.of(high));
        assertThat(ObjectId.of(low).compareTo(ObjectId.of(low.clone()))).isZero();
        assertThat(ObjectId.of(low)).isNotEqualTo(ObjectId.of(high)).isNotEqualTo(null).isNotEqualTo("x");
    }

    @Test
    void ordersLikeItsHex() {
        Theories.check(EXAMPLES, qt -> qt.forAll(idBytes(), idBytes()).checkAssert((a, b) -> {
            int byId = Integer.signum(ObjectId.of(a).compareTo(ObjectId.of(b)));
            int byHex = Integer.signum(ObjectId.of(a).toString().compareTo(ObjectId.of(b).toString()));
            assertThat(byId).isEqualTo(byHex);
            assertThat(byId == 0).isEqualTo(ObjectId.of(a).equals(ObjectId.of(b)));
        }));
    }

    @Test
    void randomIdsDiffer() {
        Set<ObjectId> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(ids.add(ObjectId.random())).isTrue();
        }
    }
}
