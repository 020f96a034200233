package dev.quiver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Private memory grows by what this process touches of its own, and not by what it only reserves. */
class ProcessMemoryTest {
    private static final long SIZE = 64L << 20;

    @Test
    void privateMemoryGrowsWithTouchedPrivatePages() {
        try (Arena arena = Arena.ofConfined()) {
            ProcessMemory before = ProcessMemory.read();
            MemorySegment m = arena.allocate(SIZE, 4096); // malloc: mmap'd, untouched beyond what allocate zeroes
            m.fill((byte) 1);
            ProcessMemory after = ProcessMemory.read();
            assertThat(after.privateBytes() - before.privateBytes()).isGreaterThanOrEqualTo(SIZE * 9 / 10);
            assertThat(after.rss()).isGreaterThanOrEqualTo(after.privateBytes());
        }
    }
}
