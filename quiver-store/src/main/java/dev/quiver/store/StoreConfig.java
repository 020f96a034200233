package dev.quiver.store;

import dev.quiver.protocol.Sizes;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * How to start a store.
 *
 * @param memoryBytes the arena's size (-m)
 * @param socket      the Unix socket clients connect to (-s)
 * @param directory   where the arena file lives (-d), /dev/shm by default
 * @param hugePages   the directory is a hugepage mount (-h): hugetlbfs, or tmpfs mounted with huge=always
 * @param connectionMemory the most heap that all client connections together may hold in the store (frames being
 *                    read, replies not yet read, waiting requests); 0 for the default,
 *                    {@link #defaultConnectionMemory()}
 * @param idle        what the engine does between turns without work while clients use command rings (--idle)
 * @param http        where to serve metrics and the status page (--http), or null for nowhere
 */
public record StoreConfig(long memoryBytes, Path socket, Path directory, boolean hugePages, long connectionMemory,
                          IdleMode idle, InetSocketAddress http) {
    /** The default arena directory. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/dev/shm");

    public StoreConfig {
        java.util.Objects.requireNonNull(idle, "idle");
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("the store needs a positive size (-m), got " + memoryBytes);
        }
        if (connectionMemory < 0 || (connectionMemory > 0 && connectionMemory < MIN_CONNECTION_MEMORY)) {
            throw new IllegalArgumentException("--connection-memory must be at least "
                    + Sizes.format(MIN_CONNECTION_MEMORY) + " (it must hold a few of the largest frames), got "
                    + connectionMemory);
        }
    }

    /** The least connection memory a store accepts: a few frames of the largest size. */
    public static final long MIN_CONNECTION_MEMORY = 4L * 8 * (1 << 20) + (1 << 20);

    /** A store without an HTTP port. */
    public StoreConfig(long memoryBytes, Path socket, Path directory, boolean hugePages, long connectionMemory,
                       IdleMode idle) {
        this(memoryBytes, socket, directory, hugePages, connectionMemory, idle, null);
    }

    /** A store with the default idle mode ({@link IdleMode#BACKOFF}). */
    public StoreConfig(long memoryBytes, Path socket, Path directory, boolean hugePages, long connectionMemory) {
        this(memoryBytes, socket, directory, hugePages, connectionMemory, IdleMode.BACKOFF);
    }

    /** A store without an explicit connection-memory bound. */
    public StoreConfig(long memoryBytes, Path socket, Path directory, boolean hugePages) {
        this(memoryBytes, socket, directory, hugePages, 0);
    }

    /** The same configuration with another bound on the connections' memory. */
    public StoreConfig withConnectionMemory(long bytes) {
        return new StoreConfig(memoryBytes, socket, directory, hugePages, bytes, idle, http);
    }

    /** The same configuration with another idle mode. */
    public StoreConfig withIdle(IdleMode mode) {
        return new StoreConfig(memoryBytes, socket, directory, hugePages, connectionMemory, mode, http);
    }

    /** The same configuration serving metrics and the status page on {@code address} (null: not at all). */
    public StoreConfig withHttp(InetSocketAddress address) {
        return new StoreConfig(memoryBytes, socket, directory, hugePages, connectionMemory, idle, address);
    }

    /** The bound in effect: the configured one, else 256 MiB or a quarter of the heap, whichever is smaller. */
    public long effectiveConnectionMemory() {
        return connectionMemory > 0 ? connectionMemory : defaultConnectionMemory();
    }

    /** 256 MiB, or a quarter of this JVM's maximum heap if that is smaller (but at least the minimum). */
    public static long defaultConnectionMemory() {
        return Math.max(MIN_CONNECTION_MEMORY, Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4));
    }

    /** A store of the given size on the given socket, arena in /dev/shm. */
    public static StoreConfig of(long memoryBytes, Path socket) {
        return new StoreConfig(memoryBytes, socket, DEFAULT_DIRECTORY, false);
    }
}
