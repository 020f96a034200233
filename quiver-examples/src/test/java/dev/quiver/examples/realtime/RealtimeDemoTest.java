package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The demo runs its producer and consumer processes and passes its own checks. */
class DemoCommandTest {
    @Test
    void demoPassesItsChecks() {
        Cli r = Cli.run("demo", "objects", "--consumers", "2", "--objects", "40", "--max-size", "256k", "--memory", "64m",
                "--seed", "7");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("All checks passed").contains("Producer: 40 objects");
        assertThat(r.out().lines().filter(l -> l.matches("\\s+[01]\\s+40\\s.*yes\\s+ok\\s.*yes\\s+0"))).hasSize(2);
    }

    @Test
    void realtimeDemoWithAFixedSeedPassesItsOwnChecks() {
        Cli r = Cli.run("demo", "realtime", "--consumers", "2", "--rows", "6000", "--seed", "7", "--memory", "64m");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("All checks passed").doesNotContain("FAIL")
                .contains("ok   every consumer read every batch exactly once")
                .contains("ok   the learned model is close to the truth");
        assertThat(r.out().lines().filter(l -> l.matches("\\s+[01]\\s+6000\\s+\\d+\\s+0\\s+\\p{XDigit}{8}\\s+yes\\s.*")))
                .hasSize(2);
    }

    @Test
    void realtimeDemoRejectsNonsenseAndDemoListsItsDemos() {
        Cli r = Cli.run("demo", "realtime", "--consumers", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--consumers >= 1");
        assertThat(Cli.run("demo", "--help").out()).contains("realtime").contains("objects");
    }

    @Test
    void demoRejectsNonsense() {
        Cli r = Cli.run("demo", "objects", "--consumers", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--consumers >= 1");
    }
}
