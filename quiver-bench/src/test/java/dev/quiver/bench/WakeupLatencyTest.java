package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code quiver bench --wakeups}, for real (a sleeper JVM per way, this JVM waking it): every way is measured with every
 * wake-up counted, and each cell holds a figure. Nothing here asserts how fast anything is.
 */
class WakeupLatencyTest {
    @Test
    void measuresSpinFutexAndSocketWakeUpsAcrossProcesses() throws IOException {
        StringWriter text = new StringWriter();
        List<String> progress = new ArrayList<>();
        WakeupLatency.run(300, new PrintWriter(text), progress::add);

        List<List<String>> rows = new MarkdownReport(text.toString()).tables("").getFirst();
        assertThat(rows).extracting(r -> r.get(0)).containsExactly("spinning on the word (a busy core)",
                "futex wait / wake (Futex.awaitSignal / signal)", "read of a Unix socket, woken by a 1-byte write");
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.get(1)).as("wake-ups recorded by the sleeper").isEqualTo("300");
            assertThat(r.subList(2, r.size())).allSatisfy(cell -> assertThat(cell).matches("[0-9.]+ (ns|µs|ms|s)"));
        });
        assertThat(progress).hasSize(3);
    }
}
