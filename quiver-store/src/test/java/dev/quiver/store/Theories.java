package dev.quiver.store;

import java.util.function.Consumer;
import org.quicktheories.QuickTheory;

/**
 * QuickTheories the way Quiver's tests run it: a fixed seed, so that CI runs the same examples every time, and
 * failures that name the seed and how to run it again. {@code -Dquiver.seed=N} runs another seed,
 * {@code -Dquiver.seed=random} a fresh one (named in a failure). A copy of quiver-client's test-jar helper
 * ({@code dev.quiver.client.testing.Theories}): this module is below quiver-client and has no test-jar to share from.
 */
final class Theories {
    /** The system property that picks the seed. */
    static final String SEED_PROPERTY = "quiver.seed";
    /** The seed CI runs. */
    static final long DEFAULT_SEED = 20_261_203L;

    private Theories() {}

    /**
     * Runs {@code theory} (a {@code forAll(...).checkAssert(...)} on the given QuickTheory) for {@code examples}
     * generated examples; a failure says which seed reproduces it.
     */
    static void check(int examples, Consumer<QuickTheory> theory) {
        long seed = seed();
        try {
            theory.accept(QuickTheory.qt().withFixedSeed(seed).withExamples(examples));
        } catch (AssertionError e) {
            throw new AssertionError("Property falsified with seed " + seed + " (" + examples + " examples); run it "
                    + "again with -D" + SEED_PROPERTY + "=" + seed + "\n" + e.getMessage(), e);
        }
    }

    /** The seed: {@value #SEED_PROPERTY} if set (a number, or "random"), else {@link #DEFAULT_SEED}. */
    static long seed() {
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
}
