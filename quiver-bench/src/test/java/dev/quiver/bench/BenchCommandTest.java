package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.store.IdleMode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code quiver bench}'s options: a bad one is refused with a message before anything runs. */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void anUnknownIdleModeIsRefusedAndNothingRuns() {
        StringWriter err = new StringWriter();
        Path report = dir.resolve("report.md");
        int status = new CommandLine(new BenchCommand()).setErr(new PrintWriter(err))
                .execute("--quick", "--idle", "sideways", "--out", report.toString());
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("--idle").contains("unknown idle mode 'sideways'")
                .contains("spin, backoff or park");
        assertThat(Files.exists(report)).as("no report").isFalse();
    }

    @Test
    void theStoreIdleModeIsTheOnlySettingWithStoreIdleChanges() {
        Options quick = Options.quick();
        Options spinning = quick.withStoreIdle(IdleMode.SPIN);
        assertThat(quick.storeIdle()).as("the default, as quiver store's").isEqualTo(IdleMode.BACKOFF);
        assertThat(spinning.storeIdle()).isEqualTo(IdleMode.SPIN);
        assertThat(spinning.withStoreIdle(IdleMode.BACKOFF).toString()).isEqualTo(quick.toString());
    }
}
