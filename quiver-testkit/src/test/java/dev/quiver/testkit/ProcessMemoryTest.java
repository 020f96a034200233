package dev.quiver.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Private memory grows by what this process touches of its own; a system that does not tell gives no figures. */
class ProcessMemoryTest {
    private static final long SIZE = 64L << 20;

    @Test
    void privateMemoryGrowsWithTouchedPrivatePages() {
        try (Arena arena = Arena.ofConfined()) {
            ProcessMemory before = ProcessMemory.read().orElseThrow();
            MemorySegment m = arena.allocate(SIZE, 4096); // malloc: mmap'd, untouched beyond what allocate zeroes
            m.fill((byte) 1);
            ProcessMemory after = ProcessMemory.read().orElseThrow();
            assertThat((after.privateKiB() - before.privateKiB()) * 1024).isGreaterThanOrEqualTo(SIZE * 9 / 10);
            assertThat((after.anonKiB() - before.anonKiB()) * 1024).isGreaterThanOrEqualTo(SIZE * 9 / 10);
            assertThat(after.rssKiB()).isGreaterThanOrEqualTo(after.privateKiB());
            assertThat(after.hwmKiB()).isGreaterThanOrEqualTo(after.rssKiB());
        }
    }

    @Test
    void readsTheFieldsOfStatusAndRollup() {
        String status = "Name:\tjava\nVmHWM:\t  900 kB\nVmRSS:\t  800 kB\nRssAnon:\t  500 kB\nRssShmem:\t  200 kB\n";
        String rollup = "Rss: 800 kB\nPss: 650 kB\nPrivate_Clean: 10 kB\nPrivate_Dirty: 490 kB\n";
        assertThat(ProcessMemory.parse(status, rollup))
                .contains(new ProcessMemory(800, 900, 500, 500, 200, 650));
    }

    /** Where the kernel leaves a figure out, there is no reading at all: zeros would pass memory checks. */
    @Test
    void aMissingFieldGivesNoReadingRatherThanZeros() {
        String status = "Name:\tjava\nVmHWM:\t  900 kB\nVmRSS:\t  800 kB\nRssAnon:\t  500 kB\n";
        String rollup = "Rss: 800 kB\nPss: 650 kB\nPrivate_Clean: 10 kB\nPrivate_Dirty: 490 kB\n";
        assertThat(ProcessMemory.parse(status, rollup)).isEmpty();
        assertThat(ProcessMemory.parse("", "")).isEmpty();
    }
}
