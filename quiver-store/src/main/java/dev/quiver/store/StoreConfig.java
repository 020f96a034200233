package dev.quiver.store;

import java.nio.file.Path;

/**
 * How to start a store.
 *
 * @param memoryBytes the arena's size (-m)
 * @param socket      the Unix socket clients connect to (-s)
 * @param directory   where the arena file lives (-d), /dev/shm by default
 * @param hugePages   the directory is a hugepage mount (-h): hugetlbfs, or tmpfs mounted with huge=always
 */
public record StoreConfig(long memoryBytes, Path socket, Path directory, boolean hugePages) {
    /** The default arena directory. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/dev/shm");

    public StoreConfig {
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("the store needs a positive size (-m), got " + memoryBytes);
        }
    }

    /** A store of the given size on the given socket, arena in /dev/shm. */
    public static StoreConfig of(long memoryBytes, Path socket) {
        return new StoreConfig(memoryBytes, socket, DEFAULT_DIRECTORY, false);
    }
}
