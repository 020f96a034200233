package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.bench.Summary.Spread;
import org.junit.jupiter.api.Test;

class SummaryTest {
    @Test
    void medianAndQuartilesInterpolateBetweenRanks() {
        Summary s = Summary.of(4, 1, 3, 2);
        assertThat(s.median()).isEqualTo(2.5);
        assertThat(s.p25()).isEqualTo(1.75);
        assertThat(s.p75()).isEqualTo(3.25);
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.max()).isEqualTo(4);
        assertThat(s.n()).isEqualTo(4);
    }

    @Test
    void oneValueIsItsOwnSpread() {
        Summary s = Summary.of(7);
        assertThat(s.low(Spread.IQR)).isEqualTo(7);
        assertThat(s.high(Spread.RANGE)).isEqualTo(7);
    }

    @Test
    void timesArePrintedInTheMediansUnit() {
        assertThat(Fmt.time(Summary.of(38_200, 37_900, 40_100), Spread.RANGE)).isEqualTo("38.2 µs (37.9–40.1)");
        assertThat(Fmt.time(Summary.of(999, 1500), Spread.RANGE)).isEqualTo("1.25 µs (0.999–1.50)");
        assertThat(Fmt.time(2.5e9)).isEqualTo("2.50 s");
    }

    @Test
    void sizesAndRatiosAreShort() {
        assertThat(Fmt.size(1024)).isEqualTo("1 KiB");
        assertThat(Fmt.size(1L << 30)).isEqualTo("1 GiB");
        assertThat(Fmt.size(1536)).isEqualTo("1.50 KiB");
        assertThat(Fmt.ratio(2.414)).isEqualTo("2.41×");
        assertThat(Fmt.percent(0.834)).isEqualTo("83%");
    }
}
