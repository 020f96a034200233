package dev.quiver.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Durations read as a person reads them: the unit picked, two or three significant digits. */
class DurationsTest {
    @Test
    void eachUnitInItsRange() {
        assertThat(Durations.human(0)).isEqualTo("0 ns");
        assertThat(Durations.human(950)).isEqualTo("950 ns");
        assertThat(Durations.human(38_000)).isEqualTo("38 µs");
        assertThat(Durations.human(1_234_567)).isEqualTo("1.2 ms");
        assertThat(Durations.human(3_400_000_000L)).isEqualTo("3.4 s");
        assertThat(Durations.human(75_000_000_000L)).isEqualTo("75 s");
    }

    @Test
    void oneDecimalBelowTenNoneFromTenUp() {
        assertThat(Durations.human(9_500)).isEqualTo("9.5 µs");
        assertThat(Durations.human(9_940)).isEqualTo("9.9 µs");
        assertThat(Durations.human(9_960)).isEqualTo("10 µs");
        assertThat(Durations.human(120_400_000)).isEqualTo("120 ms");
    }

    @Test
    void roundingUpToAThousandMovesToTheNextUnit() {
        assertThat(Durations.human(999)).isEqualTo("999 ns");
        assertThat(Durations.human(1_000)).isEqualTo("1.0 µs");
        assertThat(Durations.human(999_499)).isEqualTo("999 µs");
        assertThat(Durations.human(999_700)).isEqualTo("1.0 ms");
        assertThat(Durations.human(999_999_999)).isEqualTo("1.0 s");
    }

    @Test
    void negativeDurationsKeepTheirSign() {
        assertThat(Durations.human(-38_000)).isEqualTo("-38 µs");
        assertThat(Durations.human(Long.MIN_VALUE)).isEqualTo("-9223372037 s");
    }
}
