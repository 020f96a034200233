package dev.quiver.bench;

import dev.quiver.bench.Summary.Spread;
import io.aeron.AeronVersion;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Writes {@link Results} as the Markdown report: machine, the five sections, charts, what limits each figure. */
final class Report {
    /** Section headings; tests and BENCHMARKS.md refer to them. */
    static final String MACHINE = "## Machine and run";
    static final String GET = "## 1. Get one object from another process";
    static final String REMOTE_GET = "### Remote readers: the store's Flight endpoint";
    static final String PUT = "## 2. Put one object";
    static final String SMALL = "## 3. Small objects";
    static final String TABLE_TO_WORKERS = "## 4. A table handed to N worker processes";
    static final String STREAMS = "## 5. A stream of record batches to another process";
    /** A ratio cell whose baseline did not run with these settings (Kafka with 3 readers in a quick run). */
    static final String NOT_RUN = "not run";

    private Report() {}

    static void write(Results r, PrintWriter out) {
        Options o = r.options();
        out.println("# Quiver benchmark report");
        out.println();
        if (o.quickRun()) {
            out.println("> **Quick run** (`--quick`): small sizes, few and short repetitions. A smoke test of the"
                    + " harness; its figures are indicative only.");
            out.println();
        }
        machine(r, out);
        get(r, out);
        put(r, out);
        small(r, out);
        tableToWorkers(r, out);
        streams(r, out);
        charts(r, out);
        limits(out);
        out.flush();
    }

    /** The report of a run of section 5 alone ({@code quiver bench --streams-only}): the machine and section 5. */
    static void writeStreams(Results r, PrintWriter out) {
        out.println("# Quiver benchmark report: streams only");
        out.println();
        out.println("> Section 5 alone (`--streams-only`)" + (r.options().quickRun() ? ", quick settings: indicative"
                + " figures only." : ", with the settings of a full run."));
        out.println();
        machine(r, out);
        streams(r, out);
        out.flush();
    }

    private static void machine(Results r, PrintWriter out) {
        Machine m = r.machine();
        Options o = r.options();
        out.println(MACHINE);
        out.println();
        new MarkdownTable("", "").text()
                .row("CPU", m.cpu() + ", " + m.cpus() + " logical CPUs (" + m.availableProcessors()
                        + " available to the JVM)")
                .row("memory", Fmt.size(m.memoryBytes()) + " (MemTotal)")
                .row("OS, kernel", m.os() + ", Linux " + m.kernel())
                .row("transparent huge pages for shared memory", m.shmemHugePages())
                .row("JDK", m.jdk())
                .row("JVM flags of the worker processes", "`" + r.jvmFlags() + "`")
                .row("date", r.date())
                .row("command", "`" + o.command() + "`")
                .row("settings", o.quickRun() ? "quick (smoke test)" : "full")
                .row("load average (1, 5, 15 min), start → end", r.loadAtStart() + " → " + r.loadAtEnd())
                .row("store", Fmt.size(r.storeBytes()) + " arena in " + o.arenaDirectory() + ", pre-faulted in "
                        + r.prefault().toMillis() + " ms; embedded in the harness process (engine thread), idle mode "
                        + o.storeIdle())
                .row("duration of the measurements", r.elapsed().toSeconds() + " s")
                .print(out);
        out.println("Every figure is the median of its repetitions, with its spread in parentheses: p25–p75 where"
                + " the repetitions are many samples of one operation (latencies), min–max where they are a few"
                + " repetitions of a whole measurement (bandwidths, rates). Ratios are ratios of medians measured in"
                + " this run. GB/s is 10^9 bytes per second.");
        out.println();
    }

    private static void get(Results r, PrintWriter out) {
        out.println(GET);
        out.println();
        out.println("The harness process puts one object; a worker process (another JVM) reads it. Each way of"
                + " reading ends with the bytes in hand and summed (every 8-byte word read once), so every column"
                + " does the same work on the same bytes and the worker's sums are checked against the harness's:");
        out.println();
        out.println("- **private memory (limit)**: the sum alone, over the worker's own already-touched memory;");
        out.println("- **Quiver get**: `get` (one round trip to the store), sum through the read-only view of the"
                + " shared arena, `close` (release, not waited for). The worker read the object before, so the pages"
                + " are in its page table: a long-lived worker;");
        out.println("- **Quiver get, fast path**: the same by a client on the command rings (requests and replies"
                + " in shared memory) with batched view ends (`ClientOptions.withBatchedViewEnds`: the views of"
                + " buffers obtained together end in one step, off the caller's thread);");
        out.println("- **Quiver get, first touch**: the same on a new connection, i.e. a fresh mapping of the arena, so"
                + " every 4 KiB page of the object takes a page fault when first read: a new worker process;");
        out.println("- **Unix socket**: the harness process sends the bytes over a Unix-domain socket into a reused,"
                + " touched buffer (two copies, through the kernel), then the worker sums them: pickling an object"
                + " to workers, without the pickling;");
        out.println("- **Arrow Flight DoGet**: a Flight server (flight-core, gRPC) in the harness process serves the"
                + " same bytes as one int64 column in record batches of " + Fmt.size(FlightBaseline.BATCH_BYTES)
                + ", pointing at the source without a copy; the worker's long-lived Flight client reads them over"
                + " loopback TCP and sums each batch's data buffer as it arrives.");
        out.println();
        MarkdownTable t = new MarkdownTable("size", "private memory: sum (limit)", "Quiver get + sum",
                "Quiver get + sum, fast path", "Quiver get + sum, first touch", "Unix socket copy + sum",
                "Arrow Flight DoGet + sum", "socket ÷ Quiver", "socket ÷ fast path", "Flight ÷ Quiver",
                "Quiver ÷ limit");
        for (GetSweep.Row row : r.get()) {
            t.row(Fmt.size(row.size()), Fmt.time(row.local(), Spread.IQR), Fmt.time(row.quiver(), Spread.IQR),
                    Fmt.time(row.quiverFast(), Spread.IQR),
                    Fmt.time(row.quiverFirstTouch(), Spread.IQR), Fmt.time(row.socket(), Spread.IQR),
                    Fmt.time(row.flight(), Spread.IQR),
                    Fmt.ratio(row.socket().median() / row.quiver().median()),
                    Fmt.ratio(row.socket().median() / row.quiverFast().median()),
                    Fmt.ratio(row.flight().median() / row.quiver().median()),
                    Fmt.ratio(row.quiver().median() / row.local().median()));
        }
        captioned(out, "Time per get, median (p25–p75). socket ÷ Quiver and Flight ÷ Quiver above 1 mean the Quiver"
                + " get is faster; Quiver ÷ limit is what the get costs in units of the bare sum:", t);
        remoteGet(r, out);
    }

    /** Section 1's remote get: the store's Flight endpoint against the flight-core baseline, same table, same run. */
    private static void remoteGet(Results r, PrintWriter out) {
        out.println(REMOTE_GET);
        out.println();
        out.println("A reader on another machine gets tables through the store's Arrow Flight endpoint"
                + " (`quiver store --flight`, docs/flight.md). Here the harness puts the Flight baseline's table (the"
                + " same bytes, int64 column, batches of " + Fmt.size(FlightBaseline.BATCH_BYTES) + ") on the"
                + " shelf, and the same worker reads it with a DoGet from the store's endpoint (`QuiverFlightServer`"
                + " in the harness process, as one more client of the store, on loopback TCP), summing each batch"
                + " as above; DoGets of the two alternate. Both servers speak the same protocol and send their"
                + " batches without a copy (the baseline from the source, the endpoint from the arena), so the"
                + " endpoint should reach at least 0.9× the baseline's throughput. The endpoint keeps a table it has"
                + " served (docs/flight.md): every DoGet but the first of each size finds it kept.");
        out.println();
        MarkdownTable t = new MarkdownTable("size", "Flight baseline (flight-core): DoGet + sum",
                "store's Flight endpoint: DoGet + sum", "endpoint ÷ baseline, throughput");
        for (GetSweep.Row row : r.get()) {
            t.row(Fmt.size(row.size()), Fmt.time(row.flight(), Spread.IQR), Fmt.time(row.storeFlight(), Spread.IQR),
                    Fmt.ratio(row.flight().median() / row.storeFlight().median()));
        }
        captioned(out, "Time per DoGet, median (p25–p75). The ratio is the baseline's median time over the"
                + " endpoint's: 1× means as fast as a plain Flight server, below 1× slower:", t);
    }

    private static void put(Results r, PrintWriter out) {
        Options o = r.options();
        out.println(PUT);
        out.println();
        out.println("The harness process writes one object from a touched source buffer: `create` (one round trip),"
                + " `WritableObject.write` into the writable view (the copy, digesting each chunk with CRC-32C while"
                + " it is in cache; from 4 MiB the calling thread shares the chunks with the client's digest pool),"
                + " `seal` (combines the chunks' digests, then one round trip), `close`."
                + " The limit is a plain `MemorySegment.copy` of the same bytes into a mapping of "
                + o.arenaDirectory() + " whose pages are already touched. Repetitions of the two alternate.");
        out.println();
        MarkdownTable t = new MarkdownTable("size", "memcpy into touched mapping (limit), GB/s", "Quiver put, GB/s",
                "of which seal", "Quiver ÷ limit");
        for (PutSweep.Row row : r.put().rows()) {
            t.row(Fmt.size(row.size()), Fmt.number(row.memcpy(), Spread.RANGE), Fmt.number(row.put(), Spread.RANGE),
                    Fmt.time(row.seal(), Spread.RANGE), Fmt.percent(row.put().median() / row.memcpy().median()));
        }
        captioned(out, "Single thread, median (min–max):", t);
        if (!r.put().parallel().isEmpty()) {
            MarkdownTable p = new MarkdownTable("size", "copy threads", "memcpy, parallel (limit), GB/s",
                    "Quiver put, parallel copy, GB/s", "Quiver ÷ limit", "without digest, GB/s",
                    "without digest ÷ limit");
            for (PutSweep.ParallelRow row : r.put().parallel()) {
                p.row(Fmt.size(row.size()), row.threads(), Fmt.number(row.memcpy(), Spread.RANGE),
                        Fmt.number(row.put(), Spread.RANGE), Fmt.percent(row.put().median() / row.memcpy().median()),
                        Fmt.number(row.putWithoutDigest(), Spread.RANGE),
                        Fmt.percent(row.putWithoutDigest().median() / row.memcpy().median()));
            }
            captioned(out, "Parallel copy (each thread copies one disjoint slice with `WritableObject.write`; create"
                    + " and seal stay on one thread), median (min–max). Without digest: the same puts of objects"
                    + " made `withoutDigest()`, whose copies only copy and whose seal records no digest (for bulk data"
                    + " that nobody checks; the default computes it):", p);
        }
    }

    private static void small(Results r, PrintWriter out) {
        Options o = r.options();
        out.println(SMALL);
        out.println();
        out.println(String.format(Locale.ROOT, "Objects of %s. Each client process (a JVM with its own connection)"
                        + " runs one operation in a loop for %s after %s of warm-up; with several processes they"
                        + " start together. %d repetitions, operations alternating. Created objects are deleted"
                        + " after each window, untimed. The baseline is a ping-pong of 8 bytes over a Unix-domain"
                        + " socket to the harness process: one round trip, the floor under every store operation.",
                Fmt.size(o.smallObjectSize()), Fmt.time(o.smallDuration().toNanos()),
                Fmt.time(o.smallWarmup().toNanos()), o.smallRepetitions()));
        out.println();
        MarkdownTable t = new MarkdownTable("operation", "client processes", "calls/s", "objects/s",
                "calls/s ÷ ping-pong");
        for (SmallObjects.Row row : r.small()) {
            double ping = r.small().stream().filter(x -> x.op() == SmallOp.PING && x.clients() == row.clients())
                    .findFirst().orElseThrow().calls().median();
            t.row(row.op().label(row.batch()), row.clients(), Fmt.number(row.calls(), Spread.RANGE),
                    Fmt.number(row.objects(), Spread.RANGE), Fmt.ratio(row.calls().median() / ping));
        }
        captioned(out, "Throughput, all client processes together, median (min–max):", t);
        MarkdownTable l = new MarkdownTable("operation", "client processes", "p50", "p99", "p99.9 (all)",
                "max (all)");
        for (SmallObjects.Row row : r.small()) {
            l.row(row.op().label(row.batch()), row.clients(), Fmt.time(row.p50(), Spread.RANGE),
                    Fmt.time(row.p99(), Spread.RANGE), Fmt.time(row.p999()), Fmt.time(row.max()));
        }
        captioned(out, "Latency of one call (HdrHistogram, merged over the processes): p50 and p99 as median"
                + " (min–max) over the repetitions; p99.9 and max over all repetitions:", l);
    }

    private static void tableToWorkers(Results r, PrintWriter out) {
        Options o = r.options();
        out.println(TABLE_TO_WORKERS);
        out.println();
        long bytes = r.table().getFirst().tableBytes();
        out.println(String.format(Locale.ROOT, "A table of %s rows (int64 id, float64 x, float64 y, int32 k; record"
                        + " batches of %s rows; %s as Arrow IPC) is in the harness process's memory as Arrow vectors."
                        + " It is handed to N worker processes, and the clock runs from the start of the handover"
                        + " until every worker has the table, then until every worker has summed column x (a pass"
                        + " over 8 bytes of every row, checked against the harness's sum):",
                Fmt.count(o.tableRows()), Fmt.count(o.tableBatchRows()), Fmt.size(bytes)));
        out.println();
        out.println("- **Quiver**: the harness writes the table into the store once (one copy into the shared arena),"
                + " then sends each worker its id; each worker reads it zero-copy. The first pass over a column in"
                + " a worker maps those pages into it (page faults, no copy);");
        out.println("- **socket**: each worker connects to the harness, which sends it the table as an Arrow IPC"
                + " stream straight from its buffers, to all workers at once (one thread each); each worker keeps"
                + " the batches it read: pickling a table to workers, without the pickling.");
        out.println();
        out.println("Memory is what the handover adds to the machine: each worker's growth in private resident memory"
                + " (Private_Clean + Private_Dirty of /proc/self/smaps_rollup) while it holds the table, plus, for"
                + " Quiver, the table's one copy in the arena. These workers run with glibc's MALLOC_MMAP_THRESHOLD_"
                + " at 1 MiB, so that buffers they free go back to the system between repetitions.");
        out.println();
        MarkdownTable t = new MarkdownTable("workers", "Quiver: all have the table", "of which the write",
                "Quiver: all have summed x", "socket: all have the table", "socket: all have summed x",
                "socket ÷ Quiver (summed)");
        for (TableHandover.Row row : r.table()) {
            t.row(row.workers(), Fmt.time(row.quiverReady(), Spread.RANGE), Fmt.time(row.quiverWrite(), Spread.RANGE),
                    Fmt.time(row.quiverSummed(), Spread.RANGE), Fmt.time(row.socketReady(), Spread.RANGE),
                    Fmt.time(row.socketSummed(), Spread.RANGE),
                    Fmt.ratio(row.socketSummed().median() / row.quiverSummed().median()));
        }
        captioned(out, String.format(Locale.ROOT, "Time from the start of the handover, median (min–max) of %d"
                + " repetitions:", o.tableRepetitions()), t);
        MarkdownTable m = new MarkdownTable("workers", "Quiver: memory added", "socket: memory added",
                "socket ÷ Quiver");
        for (TableHandover.Row row : r.table()) {
            m.row(row.workers(), Fmt.mebibytes(row.quiverMemory(), Spread.RANGE),
                    Fmt.mebibytes(row.socketMemory(), Spread.RANGE),
                    Fmt.ratio(row.socketMemory().median() / row.quiverMemory().median()));
        }
        captioned(out, "Memory added by the handover, all processes together, median (min–max):", m);
    }

    private static void streams(Results r, PrintWriter out) {
        Options o = r.options();
        out.println(STREAMS);
        out.println();
        out.println("The harness process sends record batches (int64 t, float64 x, float64 y) to 1 or more reader"
                + " processes (worker JVMs, each with its own connection; every reader receives every batch), which"
                + " take each batch as Arrow vectors, check that it is the next in sequence, and check the count and"
                + " the sum of x. The batches:");
        out.println();
        List<StreamSweep.Row> firstOfEachSize = r.streams().stream()
                .filter(x -> x.transport().equals(StreamSweep.QUIVER) && x.readers() == o.streamReaders().getFirst())
                .toList();
        for (int i = 0; i < firstOfEachSize.size(); i++) {
            StreamSweep.Row row = firstOfEachSize.get(i);
            Options.StreamLoad load = o.streamLoads().get(i);
            out.println(String.format(Locale.ROOT, "- **%s**: %s rows, a record batch body of %s B; %s B as an Arrow"
                            + " IPC stream (schema, batch, end), what Aeron and Kafka carry and what MB/s counts;"
                            + " %s batches per run, paced at %s batches/s for the latency;",
                    Fmt.size(row.batchBytes()), Fmt.count(load.batchRows()), Fmt.count(row.bodyBytes()),
                    Fmt.count(row.batchBytes()), Fmt.count(load.batches()), Fmt.count(load.rate())));
        }
        out.println();
        out.println("The transports:");
        out.println();
        out.println("- **Quiver stream**: `StreamWriter.append` in the harness (written into the store), each"
                + " reader's `StreamReader.next` wakes and reads the batch zero-copy;");
        out.println("- **Quiver stream, readers sleep**: the same, with readers opened with `StreamReader.Waiting.SLEEP`:"
                + " once caught up they spin 20 µs, then sleep until the writer wakes them, where the default"
                + " (`ADAPTIVE`) stays awake, yielding, while the writer appends at least every millisecond;");
        out.println("- **Aeron IPC** (the floor of a log in shared memory between processes): a media driver embedded"
                + " in the harness (Aeron " + AeronVersion.VERSION + ", directory in " + o.arenaDirectory()
                + ", threading mode SHARED: one driver thread that backs off to parking, not on the data path of"
                + " IPC), an exclusive publication on `aeron:ipc` per run; the harness offers each batch as an"
                + " uncompressed Arrow IPC stream, each reader's subscription polls (100 spins, 100 yields, then parks"
                + " of 1–100 µs), joins the fragments of a batch larger than the MTU, copies it out and decodes it"
                + " into vectors;");
        out.println("- **Kafka**: an embedded KRaft broker in the harness process, one partition; the harness's"
                + " producer sends each batch as an uncompressed Arrow IPC stream (linger 0, acks all), each"
                + " reader's consumer polls and decodes it.");
        out.println();
        MarkdownTable t = new MarkdownTable("batch", "readers", "transport", "batches/s", "MB/s",
                "paced: sent/s", "p50", "p99", "p99.9 (all)", "max (all)").labels(3);
        for (StreamSweep.Row row : r.streams()) {
            Summary mbps = Summary.of(row.batchesPerSecond().median() * row.batchBytes() / 1e6,
                    row.batchesPerSecond().min() * row.batchBytes() / 1e6,
                    row.batchesPerSecond().max() * row.batchBytes() / 1e6);
            t.row(Fmt.size(row.batchBytes()), row.readers(), row.transport(),
                    Fmt.number(row.batchesPerSecond(), Spread.RANGE), Fmt.number(mbps, Spread.RANGE),
                    Fmt.number(row.pacedRate(), Spread.RANGE), Fmt.time(row.p50(), Spread.RANGE), Fmt.time(row.p99(), Spread.RANGE), Fmt.time(row.p999()),
                    Fmt.time(row.max()));
        }
        captioned(out, String.format(Locale.ROOT, "Readers are worker processes (separate JVMs), as in the product."
                + " Throughput (batches/s, MB/s): as fast as the producer sends, from its first send until every"
                + " reader has the last batch. Latency: paced at the batch size's rate, from each batch's send (its"
                + " t, the producer's clock) until a reader has it, every reader's batches pooled; p50 and p99 as"
                + " median (min–max) over %d repetitions, p99.9 and max over all. Paced: sent/s is the rate the paced"
                + " producer reached: below the target where a send takes longer than the pace allows (a Quiver"
                + " append returns once the batch is in the store; Aeron's offer and Kafka's send return at once"
                + " unless back-pressured, so their batches can queue on the way, inside the latency):",
                o.streamRepetitions()), t);
        MarkdownTable ratios = new MarkdownTable("batch", "readers", "Quiver ÷ Kafka, batches/s",
                "Quiver ÷ Aeron, batches/s", "Quiver p50 ÷ Aeron p50", "Quiver p50 ÷ Kafka p50").labels(2);
        for (StreamSweep.Row quiver : r.streams()) {
            if (!quiver.transport().equals(StreamSweep.QUIVER)) {
                continue;
            }
            StreamSweep.Row aeron = peer(r, quiver, StreamSweep.AERON).orElseThrow();
            Optional<StreamSweep.Row> kafka = peer(r, quiver, StreamSweep.KAFKA);
            ratios.row(Fmt.size(quiver.batchBytes()), quiver.readers(),
                    kafka.map(k -> Fmt.ratio(quiver.batchesPerSecond().median() / k.batchesPerSecond().median()))
                            .orElse(NOT_RUN),
                    Fmt.ratio(quiver.batchesPerSecond().median() / aeron.batchesPerSecond().median()),
                    Fmt.ratio(quiver.p50().median() / aeron.p50().median()),
                    kafka.map(k -> Fmt.ratio(quiver.p50().median() / k.p50().median())).orElse(NOT_RUN));
        }
        String kafkaReaders = o.streamKafkaReaders().equals(o.streamReaders()) ? ""
                : " (Kafka ran with " + o.streamKafkaReaders() + " reader(s) only)";
        captioned(out, "Ratios of medians of this run" + kafkaReaders + ". Throughput: above 1 means Quiver is"
                + " faster. Latency: above 1 means Quiver's p50 is higher (slower) by that factor:", ratios);
    }

    /** The row of {@code transport} with the same batch size and readers as {@code row}, if it ran. */
    private static Optional<StreamSweep.Row> peer(Results r, StreamSweep.Row row, String transport) {
        return r.streams().stream().filter(x -> x.transport().equals(transport) && x.readers() == row.readers()
                && x.batchBytes() == row.batchBytes()).findFirst();
    }

    /** A caption line, a blank line, the table. */
    private static void captioned(PrintWriter out, String caption, MarkdownTable table) {
        out.println(caption);
        out.println();
        table.print(out);
    }

    private static void charts(Results r, PrintWriter out) {
        if (r.charts().isEmpty()) {
            return;
        }
        out.println("## Charts");
        out.println();
        Path base = r.options().reportFile() == null ? null : r.options().reportFile().toAbsolutePath().getParent();
        for (Path chart : r.charts()) {
            Path link = base == null ? chart : base.relativize(chart.toAbsolutePath());
            String name = chart.getFileName().toString().replace(".png", "").replace('-', ' ');
            out.println("![" + name + "](" + link.toString().replace('\\', '/') + ")");
            out.println();
        }
    }

    private static void limits(PrintWriter out) {
        out.println("## What limits each figure");
        out.println();
        for (String line : List.of(
                "- **Quiver get, small objects**: one round trip on the store's Unix socket (compare the ping-pong"
                        + " baseline of section 3). The bytes do not move.",
                "- **Quiver get, large objects**: reading the bytes (the limit column), plus page faults on first"
                        + " touch in a process that never mapped those pages (first-touch column).",
                "- **Unix socket**: two copies through the kernel, in chunks of the socket buffer, plus the round"
                        + " trip; the receiving buffer is reused here, which favours the socket.",
                "- **Arrow Flight**: a gRPC call (HTTP/2 over loopback TCP) per DoGet, then per batch: protobuf and"
                        + " IPC framing, copies into and out of the kernel, and Arrow buffers allocated for each batch"
                        + " on the reading side. The store's endpoint pays the same, plus reading the table's"
                        + " framing in the arena and a reference to the store while the batches are on their way.",
                "- **Put**: the copy (the memcpy limit) fused with the CRC-32C digest, which still costs CPU time"
                        + " (the caller and the digest pool share it), plus two round trips (create, seal).",
                "- **Table to workers**: Quiver pays one copy into the arena, then per worker a round trip and"
                        + " page faults on first touch, all workers in parallel; the socket pays two copies per"
                        + " worker through the kernel, and the sending process's copies share its CPUs.",
                "- **Streams**: Quiver pays the batch's serialization into the stream's log in the arena and a"
                        + " futex wake per append (a round trip only when a segment rolls), and each reader's wake-up"
                        + " and zero-copy load; Aeron pays one copy into its log, the reader's poll (and its backing off when"
                        + " idle), a copy out and the decode; Kafka pays the producer's request to the broker, the"
                        + " broker's log append, and each consumer's fetch, each a copy through a TCP socket. With"
                        + " several readers, they share the machine's CPUs with the producer and the store, driver"
                        + " or broker.",
                "- **Small objects**: round trips per call (create+seal: two; get: one; a batch: two or one for the"
                        + " whole batch) and the store's single engine thread, which serves every client.")) {
            out.println(line);
        }
        out.println();
    }
}
