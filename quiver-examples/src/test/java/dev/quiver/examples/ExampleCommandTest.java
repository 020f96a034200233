package dev.quiver.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.ObjectId;
import org.junit.jupiter.api.Test;

/** The walkthrough runs from end to end on its embedded store. */
class ExampleCommandTest {
    @Test
    void theExampleRunsTheWalkthrough() {
        Run r = Run.of("example");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains(
                "1. An embedded store",
                "2. Object ids: forName(\"example/tensor\") = " + ObjectId.forName("example/tensor"),
                "3. A tensor of shape [10] written and read back zero-copy: [0.0, 0.5, 1.0",
                "4. A record batch of 5 rows (name:utf8, age:int32, score:float64)",
                "read back zero-copy: 5 rows, first row ada / 90.5",
                "5. get(random id, 100 ms): not available after waiting; contains(tensor id) = true",
                "6. put: a generated key",
                "keys on the shelf: [",
                "replaced 'scores': version 2",
                "memoryUsage(): 2 tables",
                "deleteAll(): 1 deleted; keys now []",
                "Done");
    }
}
