package dev.quiver.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** A demo's verdict: ok, FAIL and skipped are told apart, and one FAIL fails the demo. */
class ChecksTest {
    @Test
    void oneFailureFailsTheDemoAndSkippedChecksAreNotOk() {
        Checks checks = new Checks();
        checks.check(true, "a");
        checks.skip("b", "cannot run here");
        StringWriter text = new StringWriter();
        assertThat(checks.report(new PrintWriter(text))).isZero();
        assertThat(text.toString()).contains("  ok      a").contains("  skipped b: cannot run here")
                .contains("All checks passed (1 skipped).");

        checks.check(false, "c");
        text = new StringWriter();
        assertThat(checks.report(new PrintWriter(text))).isEqualTo(1);
        assertThat(text.toString()).contains("  FAIL    c").contains("CHECK FAILED: 1 of 3 checks failed.");
    }
}
