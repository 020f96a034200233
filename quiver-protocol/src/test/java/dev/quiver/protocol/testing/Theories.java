package dev.quiver.protocol.testing;

import java.util.function.Consumer;
import org.quicktheories.QuickTheory;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * QuickTheories the way Quiver's tests run it: a fixed seed, so that CI runs the same examples every time, and
 * failures that name the seed and how to run it again. {@code -Dquiver.seed=N} runs another seed,
 * {@code -Dquiver.seed=random} a fresh one (named in a failure).
 *
 * <pre>{@code
 * Theories.check(300, qt -> qt.forAll(Theories.bytes(0, 3000)).checkAssert(bytes -> ...));
 * }</pre>
 *
 * Shared through quiver-protocol's test-jar with every module's tests.
 */
public final class Theories {
    /** The system property that picks the seed. */
    public static final String SEED_PROPERTY = "quiver.seed";
    /** The seed CI runs. */
    public static final long DEFAULT_SEED = 20_261_203L;

    private Theories() {}

    /**
     * Runs {@code theory} (a {@code forAll(...).checkAssert(...)} on the given QuickTheory) for {@code examples}
     * generated examples; a failure says which seed reproduces it.
     */
    public static void check(int examples, Consumer<QuickTheory> theory) {
        long seed = seed();
        try {
            theory.accept(QuickTheory.qt().withFixedSeed(seed).withExamples(examples));
        } catch (AssertionError e) {
            throw new AssertionError("Property falsified with seed " + seed + " (" + examples + " examples); run it "
                    + "again with -D" + SEED_PROPERTY + "=" + seed + "\n" + e.getMessage(), e);
        }
    }

    /** The seed: {@value #SEED_PROPERTY} if set (a number, or "random"), else {@link #DEFAULT_SEED}. */
    public static long seed() {
        String value = System.getProperty(SEED_PROPERTY, "").strip();
        if (value.isEmpty()) {
            return DEFAULT_SEED;
        }
        if (value.equals("random")) {
            return System.nanoTime();
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + SEED_PROPERTY + " takes a number or 'random'; got '" + value
                    + "'", e);
        }
    }

    /** Byte arrays of any content, {@code minLength} to {@code maxLength} long; they shrink to shorter, zeroer ones. */
    public static Gen<byte[]> bytes(int minLength, int maxLength) {
        return Generate.byteArrays(SourceDSL.integers().between(minLength, maxLength),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
    }

    /** A property body that may throw checked exceptions (they fail the property like assertion errors). */
    public interface Body<T> {
        void accept(T value) throws Exception;
    }

    /** Adapts a body that throws checked exceptions to {@code checkAssert}. */
    public static <T> Consumer<T> unchecked(Body<T> body) {
        return value -> {
            try {
                body.accept(value);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
    }
}
