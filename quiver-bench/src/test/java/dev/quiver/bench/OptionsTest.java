package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The settings of the full run (never run by the tests) are what BENCHMARKS.md says. */
class OptionsTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;
    private static final List<Options.StreamLoad> LOADS = List.of(new Options.StreamLoad(2, 1, 1));

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
        assertThat(options(List.of(KIB), List.of(1), 1, List.of(1), List.of(1), List.of(1), 1))
                .as("the settings of the cases below, valid but for what each changes").isNotNull();
        assertThatThrownBy(() -> options(List.of(), List.of(1), 1, List.of(1), List.of(1), List.of(1), 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> options(List.of(KIB), List.of(1), 1, List.of(), List.of(1), List.of(1), 1))
                .as("no worker count for the table").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> options(List.of(KIB), List.of(1), 0, List.of(1), List.of(1), List.of(1), 1))
                .as("a table of no rows").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> options(List.of(KIB), List.of(1), 1, List.of(1), List.of(1), List.of(1), 0))
                .as("streams repeated 0 times").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Options.StreamLoad(1, 1, 1))
                .as("batches without room for a sequence number").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two rows");
        assertThatThrownBy(() -> new Options.StreamLoad(2, 1, 0))
                .as("streams at a rate of 0").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rate of 1/s");
        assertThatThrownBy(() -> options(List.of(KIB), List.of(1, 2), 1, List.of(1), List.of(1, 3), List.of(1), 1))
                .as("more stream readers than client processes").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and the most client processes (2)");
        assertThatThrownBy(() -> options(List.of(KIB), List.of(4), 1, List.of(1), List.of(1), List.of(3), 1))
                .as("Kafka with a reader count the others do not run").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be some of the stream reader counts [1]");
    }

    /** Settings of the full run but for the figures the validation cares about. */
    private static Options options(List<Long> getSizes, List<Integer> clients, long tableRows, List<Integer> workers,
                                   List<Integer> readers, List<Integer> kafkaReaders, int streamRepetitions) {
        Options o = Options.full();
        return new Options(false, getSizes, 1, o.putSizes(), 1, 1, 1, 1, 1, 1, 1, 1, 1, clients, o.smallWarmup(),
                o.smallDuration(), 1, 1, tableRows, 1, workers, 1, LOADS, readers, kafkaReaders, streamRepetitions,
                o.arenaDirectory(), o.storeIdle(), o.stepTimeout(), "", null, null, line -> { });
    }

    @Test
    void streamsRun1KiBBatchesAt10000PerSecondAnd24KiBAt200With1And3Readers() {
        for (Options o : List.of(Options.full(), Options.quick())) {
            assertThat(o.streamLoads()).extracting(Options.StreamLoad::batchRows, Options.StreamLoad::rate)
                    .containsExactly(tuple(Options.StreamLoad.ROWS_1_KIB, 10_000), tuple(1_000, 200));
            assertThat(o.streamReaders()).containsExactly(1, 3);
        }
        assertThat(Options.full().streamKafkaReaders()).containsExactly(1, 3);
        assertThat(Options.quick().streamKafkaReaders()).as("--quick stays quick").containsExactly(1);
    }
}
