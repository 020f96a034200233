package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest
    @CsvSource({"0,0", "1048576,1048576", "1k,1024", "1K,1024", "1kb,1024", "1KiB,1024", "512m,536870912",
            "512 MiB,536870912", "4g,4294967296", "4GB,4294967296", "1.5GiB,1610612736", "2t,2199023255552",
            "' 64m ',67108864", "10b,10", "0.5k,512"})
    void parsesBytesAndPowersOf1024(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "m", "-1", "-1m", "1x", "1 kk", "1.m", ".5m", "1e6", "one", "1m2", "1pb"})
    void rejectsWhatIsNotASizeNamingTheAcceptedForms(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'").hasMessageContaining("512m");
    }

    @ParameterizedTest
    @ValueSource(strings = {"8388608t", "9223372036854775808", "99999999999999999999g"})
    void rejectsSizesBeyondALong(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too large");
    }

    @ParameterizedTest
    @CsvSource({"0,0 B", "1023,1023 B", "1024,1.0 KiB", "1536,1.5 KiB", "1048576,1.0 MiB", "1610612736,1.5 GiB",
            "1099511627776,1.0 TiB", "1125899906842624,1.0 PiB", "9223372036854775807,8192.0 PiB"})
    void formatsForPeople(long bytes, String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 1000, 4096, 1 << 20, 3L << 30})
    void formatThenParseIsCloseForRoundSizes(long bytes) {
        assertThat(Sizes.parse(Sizes.format(bytes).replace(" ", ""))).isEqualTo(bytes);
    }
}
