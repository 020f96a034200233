package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the quick benchmark once, for real (store, worker JVMs, sockets), and checks the report's shape: every section
 * is there, and every table cell holds a figure. Nothing here asserts how fast anything is.
 */
class BenchTest {
    /** A figure: a median with its spread ({@code 38.2 µs (37.9–40.1)}), a ratio, a percentage or a count. */
    private static final Pattern FIGURE = Pattern.compile(
            "-?[0-9.]+( (ns|µs|ms|s|MiB))? \\(-?[0-9.]+–-?[0-9.]+\\)|[0-9.]+×|[0-9]+%|[0-9]+|[0-9.]+ (ns|µs|ms|s)");

    @TempDir
    static Path dir;
    static Options options;
    static Results results;
    static MarkdownReport report;
    static String markdown;

    @BeforeAll
    static void runQuickBenchmark() throws IOException {
        options = Options.quick().withCharts(dir.resolve("charts"), dir.resolve("report.md"))
                .withCommand("quiver bench --quick (test)");
        StringWriter text = new StringWriter();
        results = Bench.run(options, new PrintWriter(text));
        markdown = text.toString();
        report = new MarkdownReport(markdown);
    }

    @Test
    void hasEverySectionInOrder() {
        assertThat(report.headings()).containsSubsequence(Report.MACHINE, Report.GET, Report.PUT, Report.SMALL,
                Report.TABLE_TO_WORKERS, Report.STREAMS);
    }

    @Test
    void aStreamsOnlyReportHasTheMachineAndSectionFiveAlone() {
        StringWriter text = new StringWriter();
        Report.writeStreams(results, new PrintWriter(text));
        MarkdownReport streamsOnly = new MarkdownReport(text.toString());
        assertThat(streamsOnly.headings()).contains(Report.MACHINE, Report.STREAMS)
                .doesNotContain(Report.GET, Report.PUT, Report.SMALL, Report.TABLE_TO_WORKERS);
        assertThat(streamsOnly.tables(Report.STREAMS)).isEqualTo(report.tables(Report.STREAMS));
    }

    @Test
    void describesTheMachineAndTheRun() {
        List<List<String>> rows = report.tables(Report.MACHINE).getFirst();
        assertThat(rows).extracting(r -> r.get(0)).contains("CPU", "memory", "JDK", "date", "command", "settings",
                "JVM flags of the worker processes", "load average (1, 5, 15 min), start → end");
        assertThat(rows).allSatisfy(r -> assertThat(r.get(1)).as(r.get(0)).isNotBlank());
        assertThat(markdown).contains("quiver bench --quick (test)").contains("quick (smoke test)");
    }

    @Test
    void getSectionHasEveryWayOfReadingAtEverySize() {
        List<List<List<String>>> tables = report.tables(Report.GET);
        assertThat(tables).hasSize(2); // local readers, then remote readers
        List<List<String>> rows = tables.getFirst();
        assertThat(rows).extracting(r -> r.get(0))
                .containsExactlyElementsOf(options.getSizes().stream().map(Fmt::size).toList());
        rows.forEach(BenchTest::assertFigures);
        assertThat(rows.getFirst()).hasSize(11); // size, six ways of reading, four ratios
    }

    @Test
    void getSectionComparesTheStoresFlightEndpointWithTheFlightBaselineAtEverySize() {
        assertThat(markdown).contains(Report.REMOTE_GET);
        List<List<String>> rows = report.tables(Report.GET).get(1);
        assertThat(rows).extracting(r -> r.get(0))
                .containsExactlyElementsOf(options.getSizes().stream().map(Fmt::size).toList());
        assertThat(rows.getFirst()).hasSize(4); // size, baseline, endpoint, ratio
        rows.forEach(BenchTest::assertFigures);
        for (GetSweep.Row row : results.get()) {
            // both measured in this run, the same number of times (the worker checked every sum)
            assertThat(row.storeFlight().n()).isEqualTo(row.flight().n())
                    .isEqualTo(options.repetitions(row.size(), options.getBytesPerSize()));
        }
    }

    @Test
    void putSectionHasSingleThreadedAndParallelTables() {
        List<List<List<String>>> tables = report.tables(Report.PUT);
        assertThat(tables).hasSize(2);
        assertThat(tables.get(0)).extracting(r -> r.get(0))
                .containsExactlyElementsOf(options.putSizes().stream().map(Fmt::size).toList());
        assertThat(tables.get(1)).extracting(r -> r.get(0)).containsExactlyElementsOf(options.putSizes().stream()
                .filter(s -> s >= options.parallelPutFrom()).map(Fmt::size).toList());
        assertThat(tables.get(1).getFirst()).as("size, threads, limit, put and ratio, without digest and ratio")
                .hasSize(7);
        tables.forEach(t -> t.forEach(BenchTest::assertFigures));
    }

    @Test
    void smallObjectSectionHasEveryOperationAtEachProcessCount() {
        List<List<List<String>>> tables = report.tables(Report.SMALL);
        assertThat(tables).hasSize(2); // throughput, latency
        int expected = SmallOp.values().length * options.clientProcesses().size();
        for (List<List<String>> table : tables) {
            assertThat(table).hasSize(expected);
            assertThat(table).extracting(r -> r.get(1)).containsOnly("1", "4");
            table.forEach(BenchTest::assertFigures);
        }
        for (SmallObjects.Row row : results.small()) {
            assertThat(row.calls().n()).isEqualTo(options.smallRepetitions());
            assertThat(row.p50().median()).isLessThanOrEqualTo(row.p99().max());
        }
    }

    @Test
    void tableSectionHasTimesAndMemoryAtEachWorkerCount() {
        List<List<List<String>>> tables = report.tables(Report.TABLE_TO_WORKERS);
        assertThat(tables).hasSize(2); // times, memory
        for (List<List<String>> table : tables) {
            assertThat(table).extracting(r -> r.get(0))
                    .containsExactlyElementsOf(options.tableWorkers().stream().map(String::valueOf).toList());
            table.forEach(BenchTest::assertFigures);
        }
        for (TableHandover.Row row : results.table()) {
            assertThat(row.quiverReady().n()).isEqualTo(options.tableRepetitions());
            // every worker sums after it has the table, and the store write is part of the Quiver handover
            assertThat(row.quiverSummed().min()).isGreaterThanOrEqualTo(row.quiverReady().min());
            assertThat(row.quiverReady().min()).isGreaterThan(row.quiverWrite().min());
            assertThat(row.socketSummed().min()).isGreaterThanOrEqualTo(row.socketReady().min());
            // each socket worker holds a copy of its own; Quiver holds one shared copy
            assertThat(row.socketMemory().median()).isGreaterThanOrEqualTo(0.8 * row.workers() * row.tableBytes());
            // Quiver's figure is the shared table once plus what each worker's private memory grew by, which may be
            // a little negative (a worker's heap shrinks while it reads): the table, give or take a tenth of it
            assertThat(row.quiverMemory().min()).isGreaterThanOrEqualTo(0.9 * row.tableBytes());
            if (row.workers() > 1) {
                assertThat(row.quiverMemory().median()).isLessThan(row.socketMemory().median());
            }
        }
    }

    @Test
    void streamSectionComparesQuiverWithAeronAndKafkaAtEachSizeAndReaderCount() throws IOException {
        List<List<List<String>>> tables = report.tables(Report.STREAMS);
        assertThat(tables).hasSize(2); // figures, ratios
        List<String> sizes = results.streams().stream().map(r -> Fmt.size(r.batchBytes())).distinct().toList();
        assertThat(sizes).hasSize(options.streamLoads().size());
        List<List<String>> expected = new ArrayList<>();
        List<List<String>> expectedRatios = new ArrayList<>();
        for (String size : sizes) {
            for (int readers : options.streamReaders()) {
                for (String transport : List.of(StreamSweep.QUIVER, StreamSweep.QUIVER_SLEEPING, StreamSweep.AERON,
                        StreamSweep.KAFKA)) {
                    if (!transport.equals(StreamSweep.KAFKA) || options.streamKafkaReaders().contains(readers)) {
                        expected.add(List.of(size, String.valueOf(readers), transport));
                    }
                }
                expectedRatios.add(List.of(size, String.valueOf(readers)));
            }
        }
        List<List<String>> figures = tables.get(0);
        assertThat(figures).extracting(r -> r.subList(0, 3)).containsExactlyElementsOf(expected);
        assertThat(figures.getFirst()).hasSize(10); // batch, readers, transport, 2 throughputs, paced rate, 4 latencies
        figures.forEach(r -> assertFigures(r, 3));
        List<List<String>> ratios = tables.get(1);
        assertThat(ratios).extracting(r -> r.subList(0, 2)).containsExactlyElementsOf(expectedRatios);
        assertThat(ratios.getFirst()).hasSize(6); // batch, readers, 4 ratios
        for (List<String> r : ratios) {
            if (options.streamKafkaReaders().contains(Integer.parseInt(r.get(1)))) {
                assertFigures(r, 2);
            } else { // the Kafka ratios say that Kafka did not run, the Aeron ones are figures
                assertThat(List.of(r.get(2), r.get(5))).as("row %s", r).containsOnly(Report.NOT_RUN);
                assertFigures(r.subList(0, 5), 3);
            }
        }
        assertThat(markdown).contains("Quiver ÷ Kafka, batches/s", "Quiver p50 ÷ Aeron p50",
                "Readers are worker processes");

        // the ~1 KiB batch: its record batch body is about 1 KiB, and the report prints its real sizes
        StreamSweep.Row small = results.streams().getFirst();
        assertThat(small.bodyBytes()).isBetween(900L, 1100L);
        assertThat(small.batchBytes()).isGreaterThan(small.bodyBytes());
        assertThat(markdown).contains(Fmt.count(small.bodyBytes()) + " B", Fmt.count(small.batchBytes()) + " B");
        for (StreamSweep.Row row : results.streams()) {
            assertThat(row.batchesPerSecond().n()).isEqualTo(options.streamRepetitions());
            assertThat(row.pacedRate().n()).isEqualTo(options.streamRepetitions());
            // the last of N sends is due (N - 1) / rate after the first: at most N / (N - 1) times the rate
            assertThat(row.pacedRate().median()).as("the paced runs keep to their pace or fall behind it")
                    .isPositive().isLessThanOrEqualTo(row.rate() * 1.02);
            assertThat(row.p50().median()).isPositive().isLessThanOrEqualTo(row.max());
        }
        // Aeron's driver directory lives only as long as the run
        try (Stream<Path> left = Files.list(options.arenaDirectory())) {
            assertThat(left).noneMatch(p -> p.getFileName().toString()
                    .startsWith("quiver-bench-" + ProcessHandle.current().pid()));
        }
    }

    @Test
    void rendersTheSizeSweepsAsPngChartsLinkedFromTheReport() throws IOException {
        for (String name : List.of(Charts.GET, Charts.PUT)) {
            Path png = dir.resolve("charts").resolve(name);
            assertThat(png).exists();
            BufferedImage image = ImageIO.read(png.toFile());
            assertThat(image).as(name).isNotNull();
            assertThat(image.getWidth()).isPositive();
            assertThat(markdown).contains("](charts/" + name + ")");
        }
        assertThat(Files.list(dir.resolve("charts")).count()).isEqualTo(2);
    }

    private static void assertFigures(List<String> row) {
        assertFigures(row, 1);
    }

    /** Every cell after the first {@code labels} cells of the row is a figure. */
    private static void assertFigures(List<String> row, int labels) {
        for (String cell : row.subList(labels, row.size())) {
            assertThat(cell).as("a cell of row %s", row).matches(FIGURE);
        }
    }
}
