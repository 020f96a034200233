package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the frame decoder (Jazzer): any bytes either decode or fail with the codec's own
 * {@link MalformedFrameException}; any other exception or error is a finding. {@code ./mvnw verify} replays the seed
 * corpus in {@code src/test/resources/dev/quiver/protocol/FrameCodecFuzzTestInputs/decode/}; docs/testing.md says how
 * to fuzz.
 */
class FrameCodecFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void decode(byte[] body) {
        // A frame that decodes must encode back to a frame that decodes to the same message.
        roundTrip(body, true);
        roundTrip(body, false);
    }

    /** The seed corpus holds valid frames (so fuzzing starts from them): each decodes as a request or a reply. */
    @Test
    void theSeedCorpusHoldsValidFrames() throws Exception {
        Path dir = Path.of(getClass().getResource("FrameCodecFuzzTestInputs/decode").toURI());
        List<Path> seeds;
        try (Stream<Path> files = Files.list(dir)) {
            seeds = files.toList();
        }
        assertThat(seeds).hasSizeGreaterThanOrEqualTo(5);
        for (Path seed : seeds) {
            byte[] body = Files.readAllBytes(seed);
            assertThat(decodes(() -> FrameCodec.decodeRequest(ByteBuffer.wrap(body)))
                    || decodes(() -> FrameCodec.decodeReply(ByteBuffer.wrap(body)))).as(seed.toString()).isTrue();
        }
    }

    private static boolean decodes(Runnable decode) {
        try {
            decode.run();
            return true;
        } catch (MalformedFrameException e) {
            return false;
        }
    }

    private static void roundTrip(byte[] body, boolean request) {
        FrameCodec.Frame<?> frame;
        try {
            frame = request ? FrameCodec.decodeRequest(ByteBuffer.wrap(body))
                    : FrameCodec.decodeReply(ByteBuffer.wrap(body));
        } catch (MalformedFrameException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("a MalformedFrameException without a message", e);
            }
            return;
        }
        Object again = request
                ? FrameCodec.decodeRequest(
                        Samples.body(FrameCodec.encode(frame.requestId(), (Request) frame.message())))
                : FrameCodec.decodeReply(Samples.body(FrameCodec.encode(frame.requestId(), (Reply) frame.message())));
        if (!frame.equals(again)) {
            throw new AssertionError(frame + " decoded from the bytes, but " + again + " from its encoding");
        }
    }
}
