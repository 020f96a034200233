package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
    void bothModesGiveExactlyTheSameAnswersWithHighRecallAndAPlausibleMeanDistance() {
        int dims = 3;
        Cli r = Cli.run("demo", "knn", "--points", "3000", "--dims", Integer.toString(dims), "--workers", "2",
                "--k", "5", "--mode", "both", "--seed", "7", "--recall-sample", "150");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        String out = r.out();
        assertThat(out).contains("All checks passed").doesNotContain("FAIL")
                .contains("ok   both modes give exactly the same answers")
                .contains("ok   zero-copy: every column buffer of every worker lies inside its mapping");

        // The same numbers, judged here and not only by the demo: identical in both modes, to the last digit.
        List<String> mean = cells(out, "mean distance to the 5 nearest");
        assertThat(mean).hasSize(2);
        assertThat(mean.get(0)).isEqualTo(mean.get(1));
        double distance = Double.parseDouble(mean.get(0));
        assertThat(distance).isPositive().isLessThanOrEqualTo(Math.sqrt(dims));
        List<String> checksum = cells(out, "result checksum");
        assertThat(checksum.get(0)).isEqualTo(checksum.get(1)).matches("\\p{XDigit}{16}");
        for (String recall : cells(out, "recall@5 (150 sampled queries)")) {
            assertThat(Double.parseDouble(recall)).isGreaterThanOrEqualTo(0.95);
        }
        assertThat(cells(out, "workers that finished")).containsExactly("2 of 2", "2 of 2");
        // Every worker's buffers were checked against its own mapping of the arena.
        assertThat(out.lines().filter(l -> l.matches("zero-copy\\s+[01]\\s.*\\s(\\d+) of \\1\\s.*\\s0"))).hasSize(2);
        assertThat(out).contains("ok   the store holds no reference to the table after the run (list: refCount 0)");
    }

    /**
     * A table of 61 MiB: a zero-copy worker's resident memory barely moves when it gets the table (a few MiB of the
     * JVM's own, and the validity bitmaps Arrow reads in place), a copying worker's grows by the whole table. The
     * hook skips the index, which at this size would take many minutes on a small machine.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void zeroCopyWorkersDoNotGrowByTheTableWhileCopyingWorkersDo() {
        Cli r = Cli.run("demo", "knn", "--points", "1000000", "--dims", "16", "--workers", "2", "--mode", "both",
                "--attach-only");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        String out = r.out();
        Matcher table = Pattern.compile("record batch(?:es)?, ([0-9.]+ MiB), put into the store").matcher(out);
        assertThat(table.find()).as(out).isTrue();
        double tableMiB = mib(table.group(1));
        assertThat(tableMiB).isGreaterThan(60);
        assertThat(out).contains("ok   zero-copy: no worker's resident memory grew by the table's size")
                .contains("ok   copy: every worker's resident memory grew by at least the table's size")
                .contains("ok   zero-copy: every column buffer of every worker lies inside");
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
        Cli r = Cli.run("demo", "knn", "--points", "2000", "--dims", "3", "--workers", "3", "--mode", "both",
                "--crash-worker", "1");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        String out = r.out();
        assertThat(out).contains("CHECK FAILED")
                .contains("FAIL zero-copy: every worker finished (worker 1 exited with status 3 before reporting a "
                        + "result)")
                .contains("FAIL copy: every worker finished (worker 1 exited with status 3 before reporting a result)");
        assertThat(cells(out, "workers that finished")).containsExactly("2 of 3", "2 of 3");
        // The crashed worker held the table in zero-copy mode: the store dropped its reference when it died.
        assertThat(out).containsPattern("ok   the store (holds no reference to the table after the run \\(list: "
                + "refCount 0\\)|released the last \\d+ reference\\(s\\) of dead workers)");
    }

    @Test
    void rejectsNonsenseAndIsListedAmongTheDemos() {
        Cli r = Cli.run("demo", "knn", "--mode", "sideways");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--mode must be zero-copy, copy or both");
        Cli k = Cli.run("demo", "knn", "--points", "10", "--k", "10");
        assertThat(k.exit()).isEqualTo(1);
        assertThat(k.err()).contains("--k must be below --points");
        assertThat(Cli.run("demo", "--help").out()).contains("knn");
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
