package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.arrow.ArrowStore;
import dev.quiver.arrow.Retention;
import dev.quiver.arrow.Shelf;
import dev.quiver.arrow.StreamWriter;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.testing.RunningStore;
import dev.quiver.flight.FlightSettings;
import dev.quiver.flight.QuiverFlightServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** get, put and tail with {@code --remote}, against a real store's Flight endpoint; the store's Flight options. */
class RemoteCommandsTest {
    @RegisterExtension
    final RunningStore store = new RunningStore(32 << 20);
    @TempDir
    Path dir;
    QuiverFlightServer flight;
    String remote;
    QuiverClient client;
    BufferAllocator allocator;

    @BeforeEach
    void start() throws Exception {
        flight = QuiverFlightServer.start(store.server().socket(), FlightSettings.loopback(0));
        remote = "grpc://127.0.0.1:" + flight.port();
        client = store.client();
        allocator = new RootAllocator();
    }

    @AfterEach
    void stop() {
        flight.close();
        allocator.close();
    }

    private record Run(int status, String out, String err) {}

    private static Run quiver(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = QuiverCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void putsAndGetsATableThroughTheFlightEndpoint() throws Exception {
        Path csv = Files.writeString(dir.resolve("prices.csv"), "id,name\n1,a\n2,b\n3,\n");
        Run put = quiver("put", csv.toString(), "--remote", remote);
        assertThat(put.status()).as(put.err()).isZero();
        try (Shelf shelf = Shelf.of(client, allocator)) {
            assertThat(shelf.entry("prices").orElseThrow().rows()).isEqualTo(3);
        }

        Run again = quiver("put", csv.toString(), "--remote", remote);
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).contains("ALREADY_EXISTS").contains("--replace");
        assertThat(quiver("put", csv.toString(), "--replace", "--remote", remote).status()).isZero();

        Path out = dir.resolve("copy.arrows");
        Run get = quiver("get", "prices", "-o", out.toString(), "--remote", remote);
        assertThat(get.status()).as(get.err()).isZero();
        try (FileChannel ch = FileChannel.open(out);
             ArrowStreamReader reader = new ArrowStreamReader(ch, allocator)) {
            assertThat(reader.loadNextBatch()).isTrue();
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            assertThat(root.getRowCount()).isEqualTo(3);
            assertThat(((BigIntVector) root.getVector("id")).get(2)).isEqualTo(3);
            assertThat(root.getVector("name").isNull(2)).isTrue();
        }

        Path missing = dir.resolve("missing.arrow");
        Run notThere = quiver("get", "nope", "-o", missing.toString(), "--remote", remote);
        assertThat(notThere.status()).isEqualTo(1);
        assertThat(notThere.err()).contains("NOT_FOUND").contains("'nope'");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("prices.csv",
                    "copy.arrows");
        }
    }

    @Test
    void tailsAStreamThroughTheFlightEndpointToItsEnd() {
        try (StreamWriter w = StreamWriter.open(new ArrowStore(client, allocator), "ticks", Retention.ALL)) {
            for (int seq = 0; seq < 3; seq++) {
                try (BigIntVector v = new BigIntVector("v", allocator)) {
                    v.setSafe(0, seq);
                    v.setValueCount(1);
                    try (VectorSchemaRoot root = VectorSchemaRoot.of(v)) {
                        w.append(root);
                    }
                }
            }
            w.end();
        }
        Run tail = quiver("tail", "ticks", "--from", "earliest", "--remote", remote);
        assertThat(tail.status()).as(tail.err()).isZero();
        assertThat(tail.out().lines().toList()).isEqualTo(List.of("seq=0 rows=1", "seq=1 rows=1", "seq=2 rows=1",
                "END batches=3"));
        Run two = quiver("tail", "ticks", "--from", "1", "-n", "1", "--remote", remote);
        assertThat(two.out().lines().toList()).isEqualTo(List.of("seq=1 rows=1"));
    }

    @Test
    void badRemoteOptionsAreRefusedWithAClearMessage() {
        Run scheme = quiver("get", "k", "-o", dir.resolve("x.arrow").toString(), "--remote", "http://localhost:1");
        assertThat(scheme.status()).isEqualTo(1);
        assertThat(scheme.err()).contains("expected grpc://HOST:PORT");
        Run parquet = quiver("get", "k", "-o", dir.resolve("x.parquet").toString(), "--remote", remote);
        assertThat(parquet.status()).isEqualTo(1);
        assertThat(parquet.err()).contains("Arrow IPC files");
    }

    @Test
    void theStoreRefusesAnOpenNonLoopbackFlightBindAndStrayFlightOptions() {
        String socket = dir.resolve("s.sock").toString();
        Run open = quiver("store", "-m", "16m", "-s", socket, "--flight", "0.0.0.0:0");
        assertThat(open.status()).isEqualTo(2);
        assertThat(open.err()).contains("--flight-tokens").contains("--flight-insecure");
        Run stray = quiver("store", "-m", "16m", "-s", socket, "--flight-insecure");
        assertThat(stray.status()).isEqualTo(2);
        assertThat(stray.err()).contains("--flight [HOST:]PORT");
        Run badPort = quiver("store", "-m", "16m", "-s", socket, "--flight", "70000");
        assertThat(badPort.status()).isEqualTo(2);
        assertThat(badPort.err()).contains("--flight 70000");
        assertThat(dir.resolve("s.sock")).doesNotExist();
    }
}
