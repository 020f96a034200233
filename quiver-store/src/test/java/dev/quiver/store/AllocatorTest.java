package dev.quiver.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AllocatorTest {

    @ParameterizedTest
    @ValueSource(longs = {0, -64, 1, 63, 65, 100, 1000})
    void capacityMustBeAPositiveMultipleOf64(long capacity) {
        assertThatThrownBy(() -> new Allocator(capacity)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(capacity));
    }

    @ParameterizedTest
    @CsvSource({"0,64", "1,64", "63,64", "64,64", "65,128", "128,128", "129,192", "1000,1024",
            "1048576,1048576", "1048577,1048640", "9223372036854775744,9223372036854775744"})
    void blockSizeRoundsUpTo64AndIsNeverZero(long bytes, long block) {
        assertThat(Allocator.blockSize(bytes)).isEqualTo(block);
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, Long.MIN_VALUE, Allocator.MAX_BLOCK + 1, Long.MAX_VALUE})
    void blockSizeRefusesSizesNoBlockHolds(long bytes) {
        // Rounding these up would overflow into a small block: an object of 2^63 bytes in 64 bytes of arena.
        assertThatThrownBy(() -> Allocator.blockSize(bytes)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(bytes));
    }

    @Test
    void aFreshAllocatorIsOneFreeBlock() {
        Allocator a = new Allocator(4096);

        assertThat(a.capacity()).isEqualTo(4096);
        assertThat(a.used()).isZero();
        assertThat(a.free()).isEqualTo(4096);
        assertThat(a.largestFree()).isEqualTo(4096);
        assertThat(a.freeBlocksByOffset()).containsExactly(Map.entry(0L, 4096L));
    }

    @Test
    void theWholeCapacityCanBeAllocatedThenNothingMore() {
        Allocator a = new Allocator(4096);

        assertThat(a.allocate(4096)).isZero();
        assertThat(a.allocate(64)).isEqualTo(-1);
        assertThat(a.used()).isEqualTo(4096);
        assertThat(a.largestFree()).isZero();
        assertThat(a.freeBlocks()).isZero();
    }

    @Test
    void aBlockLargerThanTheCapacityNeverFits() {
        Allocator a = new Allocator(4096);

        assertThat(a.allocate(4160)).isEqualTo(-1);
        assertThat(a.used()).isZero();
    }

    @Test
    void bestFitTakesTheSmallestHoleThatFitsLowestAddressFirst() {
        Allocator a = new Allocator(64 * 100);
        // Layout: [A 4][h 3][B 1][h 2][C 1][h 2][D 1][rest 86] in 64-byte units, h = holes.
        long a0 = a.allocate(4 * 64);
        long h1 = a.allocate(3 * 64);
        long b = a.allocate(64);
        long h2 = a.allocate(2 * 64);
        long c = a.allocate(64);
        long h3 = a.allocate(2 * 64);
        long d = a.allocate(64);
        a.free(h1, 3 * 64);
        a.free(h2, 2 * 64);
        a.free(h3, 2 * 64);
        assertThat(a0).isZero();
        assertThat(d).isEqualTo(13 * 64);

        assertThat(a.allocate(2 * 64)).as("smallest fitting hole, lowest address").isEqualTo(h2);
        assertThat(a.allocate(2 * 64)).isEqualTo(h3);
        assertThat(a.allocate(2 * 64)).as("then the 3-unit hole, leaving 1 unit").isEqualTo(h1);
        assertThat(a.allocate(64)).isEqualTo(h1 + 2 * 64);
        assertThat(a.allocate(64)).as("only now the big remainder").isEqualTo(14 * 64);
        assertThat(b).isEqualTo(7 * 64);
        assertThat(c).isEqualTo(10 * 64);
    }

    @Test
    void freeCoalescesWithBothNeighbours() {
        Allocator a = new Allocator(64 * 4);
        long x = a.allocate(64);
        long y = a.allocate(64);
        long z = a.allocate(64);
        // [x][y][z][free]
        a.free(x, 64);
        a.free(z, 64);
        assertThat(a.freeBlocksByOffset()).containsExactly(Map.entry(0L, 64L), Map.entry(128L, 128L));

        a.free(y, 64);

        assertThat(a.freeBlocksByOffset()).containsExactly(Map.entry(0L, 256L));
        assertThat(a.used()).isZero();
        assertThat(a.allocate(256)).isZero();
    }

    @Test
    void aDoubleFreeThrowsAndChangesNothing() {
        Allocator a = new Allocator(64 * 8);
        long x = a.allocate(128);
        a.allocate(128);
        a.free(x, 128);
        TreeMap<Long, Long> before = new TreeMap<>(a.freeBlocksByOffset());

        assertThatThrownBy(() -> a.free(x, 128)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("double free");
        assertThatThrownBy(() -> a.free(x + 64, 64)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.free(x, 64)).isInstanceOf(IllegalStateException.class);

        assertThat(a.freeBlocksByOffset()).isEqualTo(before);
        assertThat(a.used()).isEqualTo(128);
    }

    @Test
    void aFreeOverlappingFreeSpaceThrows() {
        Allocator a = new Allocator(64 * 8);
        a.allocate(128);                 // [0,128)
        long y = a.allocate(128);        // [128,256), then [256,512) free

        assertThatThrownBy(() -> a.free(y, 192)).as("runs into the free tail")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("overlap");
        assertThatThrownBy(() -> a.free(64, 512)).isInstanceOf(IllegalStateException.class);
        assertThat(a.used()).isEqualTo(256);
    }

    @Test
    void aFreeOutsideTheArenaThrows() {
        Allocator a = new Allocator(64 * 8);
        a.allocate(64 * 8);

        assertThatThrownBy(() -> a.free(-64, 64)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside");
        assertThatThrownBy(() -> a.free(64 * 8, 64)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.free(64 * 7, 128)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.free(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(a.used()).isEqualTo(64 * 8);
    }
}
