package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker that cannot do its job makes the harness fail with a message that says which worker, and why. */
class WorkerProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aWorkerWithoutAStoreFailsWithTheReason(@TempDir Path dir) {
        try (WorkerProcess w = WorkerProcess.start("worker-x", BenchWorker.class,
                List.of(dir.resolve("no-store.sock").toString(), dir.resolve("no-bytes.sock").toString(),
                        "grpc+tcp://127.0.0.1:1", "grpc+tcp://127.0.0.1:1"))) {
            assertThatThrownBy(() -> w.expect("READY", WAIT))
                    .isInstanceOf(BenchException.class)
                    .hasMessageContaining("worker process worker-x")
                    .hasMessageContaining("no-store.sock");
        }
    }

    @Test
    void aWrongAnswerNamesWhatWasExpected(@TempDir Path dir) throws Exception {
        try (var store = dev.quiver.store.StoreServer.start(
                dev.quiver.store.StoreConfig.of(8 << 20, dir.resolve("store.sock")));
             WorkerProcess w = WorkerProcess.start("worker-y", BenchWorker.class,
                     List.of(store.socket().toString(), dir.resolve("no-bytes.sock").toString(),
                        "grpc+tcp://127.0.0.1:1", "grpc+tcp://127.0.0.1:1"))) {
            assertThat(w.expect("READY", WAIT)).matches("\\d+");
            assertThatThrownBy(() -> w.ask("bogus 1 2", "OK", WAIT))
                    .isInstanceOf(BenchException.class)
                    .hasMessageContaining("unknown command 'bogus 1 2'");
        }
    }
}
