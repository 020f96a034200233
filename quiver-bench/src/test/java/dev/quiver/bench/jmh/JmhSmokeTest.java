package dev.quiver.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Every JMH benchmark runs once, briefly, in this JVM, at its smallest size: they work. No figure is judged. */
class JmhSmokeTest {
    @Test
    void everyBenchmarkRuns() throws RunnerException {
        Options options = new OptionsBuilder()
                .include(SmallObjectsBenchmark.class.getName())
                .include(GetBenchmark.class.getName())
                .include(PutBenchmark.class.getName())
                .include(SmallGetCostBenchmark.class.getName())
                .param("size", "1048576")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertThat(results).extracting(r -> r.getParams().getBenchmark().replaceAll(".*\\.", ""))
                .containsExactlyInAnyOrder("createSeal", "createSeal4Threads", "getRelease", "getRelease4Threads",
                        "getSum", "sumLocal", "put", "memcpy", "getReadClose", "roundTrip", "sharedArenaOpenClose",
                        "confinedArenaOpenClose");
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getSampleCount()).isPositive());
    }
}
