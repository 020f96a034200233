package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The settings of the full run (never run by the tests) are what BENCHMARKS.md says. */
class OptionsTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    @Test
    void fullRunSweepsGetsFrom1KiBAndPutsFrom1MiBTo1GiBInPowersOf4() {
        Options o = Options.full();
        assertThat(o.getSizes()).hasSize(11).startsWith(KIB).endsWith(GIB);
        assertThat(o.putSizes()).containsExactly(MIB, 4 * MIB, 16 * MIB, 64 * MIB, 256 * MIB, GIB);
        assertThat(o.clientProcesses()).containsExactly(1, 4);
        assertThat(o.quickRun()).isFalse();
    }

    @Test
    void repetitionsShrinkWithSizeWithinBounds() {
        Options o = Options.full();
        assertThat(o.repetitions(KIB, o.getBytesPerSize())).isEqualTo(o.maxRepetitions());
        assertThat(o.repetitions(GIB, o.getBytesPerSize())).isEqualTo(o.minRepetitions());
        assertThat(o.repetitions(64 * MIB, o.getBytesPerSize())).isEqualTo(32);
    }

    @Test
    void theStoreHoldsTheLargestObjectOrTwoTablesAndTheSmallObjects() {
        Options o = Options.full();
        assertThat(o.storeBytes()).isGreaterThanOrEqualTo(GIB + o.smallObjectBudget());
        assertThat(o.storeBytes()).isGreaterThanOrEqualTo(2 * 28 * o.tableRows() + o.smallObjectBudget());
        Options q = Options.quick();
        assertThat(q.largestObject()).isEqualTo(16 * MIB);
        assertThat(q.storeBytes()).isGreaterThanOrEqualTo(2 * 28 * q.tableRows() + q.smallObjectBudget())
                .isLessThan(256 * MIB);
    }

    @Test
    void refusesSettingsThatMeasureNothing() {
        Options o = Options.full();
        assertThatThrownBy(() -> new Options(false, List.of(), 1, o.putSizes(), 1, 1, 1, 1, 1, 1, 1, 1, 1,
                List.of(1), o.smallWarmup(), o.smallDuration(), 1, 1, 1, 1, List.of(1), 1, 1, 1, 1, 1, o.arenaDirectory(),
                o.stepTimeout(), "", null, null, line -> { }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Options(false, o.getSizes(), 1, o.putSizes(), 1, 1, 1, 1, 1, 1, 1, 1, 1,
                List.of(1), o.smallWarmup(), o.smallDuration(), 1, 1, 1, 1, List.of(), 1, 1, 1, 1, 1, o.arenaDirectory(),
                o.stepTimeout(), "", null, null, line -> { }))
                .as("no worker count for the table").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Options(false, o.getSizes(), 1, o.putSizes(), 1, 1, 1, 1, 1, 1, 1, 1, 1,
                List.of(1), o.smallWarmup(), o.smallDuration(), 1, 1, 0, 1, List.of(1), 1, 1, 1, 1, 1, o.arenaDirectory(),
                o.stepTimeout(), "", null, null, line -> { }))
                .as("a table of no rows").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Options(false, o.getSizes(), 1, o.putSizes(), 1, 1, 1, 1, 1, 1, 1, 1, 1,
                List.of(1), o.smallWarmup(), o.smallDuration(), 1, 1, 1, 1, List.of(1), 1, 1, 1, 0, 1,
                o.arenaDirectory(), o.stepTimeout(), "", null, null, line -> { }))
                .as("streams at a rate of 0").isInstanceOf(IllegalArgumentException.class);
    }
}
