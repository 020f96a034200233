package dev.quiver.bench;

import java.util.Arrays;

/**
 * A worker's answer to a timed read: the sum of the bytes it read and the nanoseconds of each repetition.
 * The harness compares the sum with the one it computed over the bytes it put, so a figure is only reported for a
 * read that saw the right bytes.
 */
record Timings(long sum, double[] nanos) {

    /** Parses {@code SUM T1 T2 ...}. */
    static Timings parse(String answer) {
        String[] f = answer.trim().split("\\s+");
        double[] t = Arrays.stream(f, 1, f.length).mapToDouble(Double::parseDouble).toArray();
        return new Timings(Long.parseLong(f[0]), t);
    }

    /** Every {@code of}-th time from the {@code first}: one read's times out of several that alternated. */
    Timings alternate(int first, int of) {
        return new Timings(sum, java.util.stream.IntStream.iterate(first, i -> i < nanos.length, i -> i + of)
                .mapToDouble(i -> nanos[i]).toArray());
    }

    /** These timings, after checking that the worker read the expected bytes through {@code path}. */
    Timings expect(long expectedSum, String path, long size) {
        if (sum != expectedSum) {
            throw new BenchException("the worker read different bytes through " + path + " at " + Fmt.size(size)
                    + ": sum " + sum + ", expected " + expectedSum);
        }
        if (nanos.length == 0) {
            throw new BenchException("the worker timed no repetition of " + path + " at " + Fmt.size(size));
        }
        return this;
    }

    Summary summary() {
        return Summary.of(nanos);
    }
}
