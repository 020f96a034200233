package dev.quiver.examples.knn;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The exact k nearest neighbours of the sampled queries, by brute force over the points regenerated from the seed as
 * {@link KnnPoints#randomBatches} generates them: not read from the store, not through Arrow, not through JVector.
 * The workers' answers are checked against this, a code path of its own. It streams the generator twice (the
 * coordinates of the queries and of the answered ids, then every distance), so it holds no copy of the table.
 */
final class ExactNeighbours {
    private final int k;
    private final int[] sample;
    private final int[][] ids;
    private final Map<Integer, float[]> coordinates;

    private ExactNeighbours(int k, int[] sample, int[][] ids, Map<Integer, float[]> coordinates) {
        this.k = k;
        this.sample = sample;
        this.ids = ids;
        this.coordinates = coordinates;
    }

    /**
     * The exact answers for {@code sample} (ids, sorted), keeping the coordinates of {@code answered} too, so that the
     * distances of the workers' answers can be measured afterwards.
     */
    static ExactNeighbours compute(int points, int dims, long seed, int[] sample, int k, Set<Integer> answered) {
        Set<Integer> wanted = new HashSet<>(answered);
        Arrays.stream(sample).forEach(wanted::add);
        Map<Integer, float[]> coordinates = new HashMap<>();
        SplittableRandom random = new SplittableRandom(seed);
        float[] p = new float[dims];
        for (int i = 0; i < points; i++) {
            next(random, p);
            if (wanted.contains(i)) {
                coordinates.put(i, p.clone());
            }
        }
        double[][] best = new double[sample.length][k];
        int[][] ids = new int[sample.length][k];
        for (int s = 0; s < sample.length; s++) {
            Arrays.fill(best[s], Double.POSITIVE_INFINITY);
            Arrays.fill(ids[s], -1);
        }
        random = new SplittableRandom(seed);
        for (int i = 0; i < points; i++) {
            next(random, p);
            for (int s = 0; s < sample.length; s++) {
                if (i != sample[s]) {
                    insert(best[s], ids[s], squared(coordinates.get(sample[s]), p), i);
                }
            }
        }
        return new ExactNeighbours(k, sample, ids, coordinates);
    }

    /** The next point of the generator, exactly as the table's batches are filled. */
    private static void next(SplittableRandom random, float[] into) {
        for (int c = 0; c < into.length; c++) {
            into[c] = (float) random.nextDouble();
        }
    }

    private static void insert(double[] best, int[] ids, double d, int id) {
        int k = best.length;
        if (d >= best[k - 1]) {
            return;
        }
        int j = k - 1;
        while (j > 0 && best[j - 1] > d) {
            best[j] = best[j - 1];
            ids[j] = ids[j - 1];
            j--;
        }
        best[j] = d;
        ids[j] = id;
    }

    private static double squared(float[] a, float[] b) {
        double sum = 0;
        for (int c = 0; c < a.length; c++) {
            double d = (double) a[c] - b[c];
            sum += d * d;
        }
        return sum;
    }

    int[] sample() {
        return sample;
    }

    /** The exact neighbours of the {@code s}-th sampled query, nearest first. */
    int[] ids(int s) {
        return ids[s];
    }

    /** The mean distance from the sampled queries to their exact k nearest neighbours. */
    double meanDistance() {
        Map<Integer, int[]> exact = new HashMap<>();
        for (int s = 0; s < sample.length; s++) {
            exact.put(sample[s], ids[s]);
        }
        return meanDistance(exact);
    }

    /**
     * The mean distance from the sampled queries to the neighbours in {@code answers} (query id to neighbour ids);
     * NaN if a sampled query has no answer or an answer's id is unknown.
     */
    double meanDistance(Map<Integer, int[]> answers) {
        double sum = 0;
        long n = 0;
        for (int q : sample) {
            int[] got = answers.get(q);
            if (got == null) {
                return Double.NaN;
            }
            for (int id : got) {
                float[] c = coordinates.get(id);
                if (c == null) {
                    return Double.NaN;
                }
                sum += Math.sqrt(squared(coordinates.get(q), c));
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Recall@k of {@code answers} (query id to neighbour ids): the share of the exact neighbours they found. */
    double recall(Map<Integer, int[]> answers) {
        long hits = 0;
        for (int s = 0; s < sample.length; s++) {
            int[] got = answers.getOrDefault(sample[s], new int[0]);
            Set<Integer> found = new HashSet<>();
            Arrays.stream(got).forEach(found::add);
            for (int id : ids[s]) {
                hits += found.contains(id) ? 1 : 0;
            }
        }
        return sample.length == 0 ? 0 : (double) hits / ((long) sample.length * k);
    }
}
