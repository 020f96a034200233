package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Columns of numbers, sizes and durations are right-aligned; text is left-aligned. */
class TableTest {
    @Test
    void numbersSizesAndDurationsAreRightAlignedTextLeft() {
        StringWriter text = new StringWriter();
        new Table("NAME", "N", "SIZE", "P50").row("a", 5, "12 KiB", "38 µs").row("bbbbbb", 12345, "1.5 GiB", "1.2 ms")
                .print(new PrintWriter(text));
        assertThat(text.toString().lines()).containsExactly(
                "NAME        N     SIZE     P50",
                "a           5   12 KiB   38 µs",
                "bbbbbb  12345  1.5 GiB  1.2 ms");
    }
}
