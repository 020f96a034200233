package dev.quiver.examples.knn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.examples.Checks;
import dev.quiver.examples.Run;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code quiver demo knn} with real worker processes (separate JVMs), at small sizes. The timeouts are generous
 * because CI machines are small and each worker is a JVM of its own; a hang fails the test instead of the build.
 */
class KnnDemoTest {
    private static final Pattern SIZE = Pattern.compile("(-?[0-9.]+) (B|KiB|MiB|GiB)");

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void bothModesGiveExactlyTheSameAnswersCheckedAgainstBruteForce() {
        int dims = 3;
        Run r = Run.of("demo", "knn", "--points", "3000", "--dims", Integer.toString(dims), "--workers", "2",
                "--k", "5", "--mode", "both", "--seed", "7", "--recall-sample", "150");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        String out = r.out();
        assertThat(out).contains("All checks passed").doesNotContain("FAIL")
                .contains("ok      both modes give exactly the same answers")
                .contains("ok      zero-copy: every column buffer of every worker lies inside its mapping")
                .contains("ok      zero-copy: recall@5 against exact brute force")
                .contains("ok      copy: the mean distance of the sampled answers")
                .contains("ok      zero-copy: every query got 5 neighbours (15,000 of 15,000)")
                // a 35 KiB table cannot tell a JVM's growth from the table's: said, not passed
                .contains("skipped resident memory on attaching");

        // The same numbers, judged here and not only by the demo: identical in both modes, to the last digit.
        List<String> mean = cells(out, "mean distance to the 5 nearest");
        assertThat(mean).hasSize(2);
        assertThat(mean.get(0)).isEqualTo(mean.get(1));
        List<String> checksum = cells(out, "result checksum");
        assertThat(checksum.get(0)).isEqualTo(checksum.get(1)).matches("\\p{XDigit}{16}");
        for (String recall : cells(out, "recall@5 (150 sampled queries)")) {
            assertThat(Double.parseDouble(recall)).isGreaterThanOrEqualTo(0.95);
        }
        assertThat(cells(out, "workers that finished")).containsExactly("2 of 2", "2 of 2");
        // Every worker's buffers were checked against its own mapping of the arena.
        assertThat(out.lines().filter(l -> l.matches("zero-copy\\s+[01]\\s.*\\s(\\d+) of \\1\\s.*\\s0"))).hasSize(2);
        assertThat(out).contains("ok      the store holds no reference to the table after the run (list: refCount 0)");
    }

    /**
     * A table of 61 MiB: a zero-copy worker's resident memory barely moves when it gets the table (a few MiB of the
     * JVM's own, and the validity bitmaps Arrow reads in place), a copying worker's grows by the whole table. The
     * hook skips the index, which at this size would take many minutes on a small machine.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void zeroCopyWorkersDoNotGrowByTheTableWhileCopyingWorkersDo() {
        Run r = Run.of("demo", "knn", "--points", "1000000", "--dims", "16", "--workers", "2", "--mode", "both",
                "--attach-only");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        String out = r.out();
        Matcher table = Pattern.compile("record batch(?:es)?, ([0-9.]+ MiB), put into the store").matcher(out);
        assertThat(table.find()).as(out).isTrue();
        double tableMiB = mib(table.group(1));
        assertThat(tableMiB).isGreaterThan(60);
        assertThat(out).contains("ok      zero-copy: no worker's resident memory grew by the table's size")
                .contains("ok      copy: every worker's resident memory grew by at least the table's size")
                .contains("ok      zero-copy: every column buffer of every worker lies inside");
        for (String mode : List.of("zero-copy", "copy")) {
            List<String> rows = out.lines().filter(l -> l.matches(mode + "\\s+[01]\\s.*")).toList();
            assertThat(rows).as(out).hasSize(2);
            for (String row : rows) {
                Matcher m = SIZE.matcher(row);
                double[] sizes = new double[3];
                for (int i = 0; i < 3; i++) {
                    assertThat(m.find()).as(row).isTrue();
                    sizes[i] = mib(m.group());
                }
                double growth = sizes[2];
                assertThat(growth).as(row).isEqualTo(sizes[1] - sizes[0], org.assertj.core.data.Offset.offset(0.2));
                if (mode.equals("zero-copy")) {
                    assertThat(growth).as("zero-copy growth: " + row).isLessThan(tableMiB / 3);
                } else {
                    assertThat(growth).as("copy growth: " + row).isGreaterThanOrEqualTo(tableMiB * 0.95);
                }
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aCrashedWorkerIsReportedWithItsExitStatusAndLeavesNoReferenceInTheStore() {
        Run r = Run.of("demo", "knn", "--points", "2000", "--dims", "3", "--workers", "3", "--mode", "both",
                "--crash-worker", "1");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        String out = r.out();
        assertThat(out).contains("CHECK FAILED")
                .contains("FAIL    zero-copy: every worker finished (worker 1 exited with status 3 before reporting a "
                        + "result)")
                .contains("FAIL    copy: every worker finished (worker 1 exited with status 3 before reporting a result)");
        assertThat(cells(out, "workers that finished")).containsExactly("2 of 3", "2 of 3");
        // The crashed worker held the table in zero-copy mode: the store dropped its reference when it died.
        assertThat(out).containsPattern("ok      the store (holds no reference to the table after the run \\(list: "
                + "refCount 0\\)|released the last \\d+ reference\\(s\\) of dead workers)");
    }

    /** The brute force regenerates the very points the table holds: the same coordinates, point for point. */
    @Test
    void theBruteForceSeesTheTablesPoints() throws Exception {
        int points = 500;
        int dims = 4;
        int[] sample = KnnPoints.sample(points, 20, 3);
        ExactNeighbours exact = ExactNeighbours.compute(points, dims, 3, sample, 5, Set.of());
        try (BufferAllocator allocator = new RootAllocator()) {
            java.util.List<AutoCloseable> scratch = new java.util.ArrayList<>();
            VectorSchemaRoot batch = KnnPoints.randomBatches(points, dims, 3, allocator, scratch).iterator().next();
            KnnPoints table = KnnPoints.of(java.util.List.of(batch));
            for (int s = 0; s < sample.length; s++) {
                int q = sample[s];
                // the exact neighbours by distances read from the Arrow table, sorted the slow way
                int[] expected = IntStream.range(0, points).filter(i -> i != q).boxed()
                        .sorted(java.util.Comparator.comparingDouble(i -> table.distance(q, i)))
                        .limit(5).mapToInt(Integer::intValue).toArray();
                assertThat(exact.ids(s)).as("query " + q).containsExactly(expected);
            }
            for (AutoCloseable c : scratch) {
                c.close();
            }
        }
    }

    /** Wrong answers fail the checks: neighbours off by one, or the query's exact neighbours but one repeated. */
    @Test
    void answersThatAreNotTheNearestFailTheChecks() {
        int points = 2000;
        int[] sample = KnnPoints.sample(points, 50, 11);
        Set<Integer> all = new java.util.HashSet<>();
        IntStream.range(0, points).forEach(all::add);
        ExactNeighbours exact = ExactNeighbours.compute(points, 3, 11, sample, 5, all);
        Map<Integer, int[]> right = new HashMap<>();
        Map<Integer, int[]> shifted = new HashMap<>();
        Map<Integer, int[]> repeated = new HashMap<>();
        for (int s = 0; s < sample.length; s++) {
            int[] ids = exact.ids(s);
            right.put(sample[s], ids);
            shifted.put(sample[s], java.util.Arrays.stream(ids).map(i -> (i + 1) % points).toArray());
            repeated.put(sample[s], new int[] {ids[0], ids[0], ids[0], ids[0], ids[0]});
        }
        Checks checks = new Checks();
        KnnReport.answerChecks(checks, "right", right, exact, 5);
        assertThat(checks.passed()).as(checks.lines().toString()).isTrue();
        for (Map<Integer, int[]> wrong : java.util.List.of(shifted, repeated)) {
            Checks c = new Checks();
            KnnReport.answerChecks(c, "wrong", wrong, exact, 5);
            assertThat(c.passed()).as(c.lines().toString()).isFalse();
            assertThat(c.lines()).anyMatch(l -> l.startsWith("  FAIL    wrong: "));
        }
    }

    @Test
    void rejectsNonsenseAndIsListedAmongTheDemos() {
        Run r = Run.of("demo", "knn", "--mode", "sideways");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--mode must be zero-copy, copy or both");
        Run k = Run.of("demo", "knn", "--points", "10", "--k", "10");
        assertThat(k.exit()).isEqualTo(1);
        assertThat(k.err()).contains("--k must be below --points");
        assertThat(Run.of("demo", "--help").out()).contains("knn");
    }

    /** The cells after the label in the side-by-side table, one per mode. */
    private static List<String> cells(String out, String label) {
        String line = out.lines().filter(l -> l.startsWith(label + "  ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row '" + label + "' in:\n" + out));
        return List.of(line.substring(label.length()).trim().split("\\s{2,}"));
    }

    private static double mib(String size) {
        String[] f = size.trim().split(" ");
        double v = Double.parseDouble(f[0]);
        return switch (f[1].toUpperCase(Locale.ROOT)) {
            case "B" -> v / (1 << 20);
            case "KIB" -> v / 1024;
            case "MIB" -> v;
            case "GIB" -> v * 1024;
            default -> throw new AssertionError(size);
        };
    }
}
