package dev.quiver.store;

import dev.quiver.protocol.ChangePage;
import dev.quiver.protocol.Sizes;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The arena: one owner-only file that every client maps. The store sizes it, pre-faults it (the first touch of
 * a page costs microseconds on these machines; it is paid once, at start) and deletes it at shutdown. The file holds
 * the objects' {@link #size() capacity} and, after it, the {@link ChangePage change page}.
 *
 * <p>Liveness: the store holds a {@link LockedFile flock} on its arena for its whole life, taken before the file
 * gets its public name. An arena whose flock anyone can take belongs to a store that is gone, and the next store
 * that starts removes it. The pid in the name is only informative: pids mean nothing across PID namespaces
 * sharing /dev/shm, and they are reused.
 */
final class ArenaFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArenaFile.class);
    /**
     * The names this class gives arenas: the store's pid and 16 random hex digits. (Earlier versions used 8 and
     * held no lock; their arenas are not recognised, so a running store of such a version never loses its own.)
     */
    private static final Pattern NAME = Pattern.compile("quiver-[1-9][0-9]{0,18}-[0-9a-f]{16}\\.arena");
    /** An arena that is being created: locked, but not yet under its public name. */
    private static final Pattern NEW_NAME = Pattern.compile("\\.quiver-[1-9][0-9]{0,18}-[0-9a-f]{16}\\.arena\\.new");
    /** A client's command rings between their creation and the client's attach (flocked meanwhile). */
    private static final Pattern RINGS_NAME =
            Pattern.compile("quiver-[1-9][0-9]{0,18}-[0-9a-f]{16}\\.arena\\.rings-[1-9][0-9]{0,18}");
    private static final long HUGE_PAGE = 2L << 20;
    private static final int MADV_POPULATE_WRITE = 23;

    private final Path path;
    private final LockedFile lock;
    private final long size;
    private final Arena arena;
    private final MemorySegment mapping;
    private final Duration prefaultTime;

    private ArenaFile(Path path, LockedFile lock, long size, Arena arena, MemorySegment mapping,
                      Duration prefaultTime) {
        this.mapping = mapping;
        this.path = path;
        this.lock = lock;
        this.size = size;
        this.arena = arena;
        this.prefaultTime = prefaultTime;
    }

    /**
     * Checks the arena directory before anything is created: it must exist, and with {@code hugePages} be a
     * hugepage mount. A directory that is not in memory (tmpfs, hugetlbfs) gets a warning: the kernel would write
     * the arena's pages back to disk.
     *
     * @throws StoreStartException if the directory cannot hold an arena as asked
     */
    static void checkDirectory(Path directory, boolean hugePages) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new StoreStartException("arena directory " + directory + " does not exist or is not a directory"
                    + " (-d); create it, or leave -d out to use " + StoreConfig.DEFAULT_DIRECTORY);
        }
        Mount mount = Mount.of(directory);
        if (hugePages) {
            if (!mount.isHugePages()) {
                throw new StoreStartException("-h: " + directory + " is on " + mount.point() + " (" + mount.type()
                        + ", " + mount.options() + "), not a hugepage mount; mount hugetlbfs or tmpfs with"
                        + " -o huge=always there, or drop -h");
            }
        } else if (!mount.inMemory()) {
            LOG.warn("arena directory {} is on {} ({}), not tmpfs or hugetlbfs: the kernel will write the arena's"
                    + " pages back to disk, which costs I/O and wears the device; use /dev/shm or another tmpfs",
                    directory, mount.point(), mount.type());
        }
    }

    /**
     * Creates, locks, maps and pre-faults an arena of {@code requested} bytes (rounded down to 64 bytes, or up to
     * 2 MiB pages with {@code hugePages}).
     *
     * @throws StoreStartException if the directory cannot hold it; check it first with {@link #checkDirectory}
     */
    static ArenaFile create(Path directory, long requested, boolean hugePages) throws IOException {
        long size = hugePages ? (requested + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE : requested & -Allocator.ALIGN;
        long fileSize = hugePages ? (size + ChangePage.BYTES + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE
                : size + ChangePage.BYTES;
        if (size < Allocator.ALIGN) {
            throw new StoreStartException("-m " + requested + " is too small: the store needs at least "
                    + Allocator.ALIGN + " bytes");
        }
        long usable = Files.getFileStore(directory).getUsableSpace();
        if (fileSize > usable) {
            throw new StoreStartException("refusing to start: -m " + Sizes.format(size) + " exceeds the "
                    + Sizes.format(usable) + " free in " + directory + "; choose -m " + Sizes.format(usable)
                    + " or less, or another -d");
        }
        String name = "quiver-" + ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ".arena";
        Path fresh = directory.resolve("." + name + ".new");
        LockedFile lock = LockedFile.createNew(fresh);
        Path path = null;
        Arena arena = Arena.ofShared();
        try {
            if (!lock.tryLock()) {
                throw new IOException("cannot lock the arena " + fresh + " that this store has just created");
            }
            MemorySegment mapping;
            try (FileChannel ch = FileChannel.open(lock.descriptorPath(), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, fileSize, arena);
            }
            long start = System.nanoTime();
            prefault(mapping);
            Duration prefaultTime = Duration.ofNanos(System.nanoTime() - start);
            ChangePage.format(mapping.asSlice(size, ChangePage.BYTES)); // after the prefault, which may write zeroes
            // Publish under the public name only now that it is locked: link(2) never replaces an existing file.
            path = directory.resolve(name);
            Files.createLink(path, fresh);
            Files.delete(fresh);
            return new ArenaFile(path, lock, size, arena, mapping, prefaultTime);
        } catch (IOException | RuntimeException e) {
            arena.close();
            Files.deleteIfExists(fresh);
            if (path != null && lock.isAt(path)) {
                Files.deleteIfExists(path);
            }
            lock.close();
            throw e;
        }
    }

    /**
     * Deletes the arenas and command-rings files in {@code directory} whose store is gone (their flock is free);
     * returns how many. Only regular files of this user named as this class names arenas, or as the store names
     * rings files, are considered; anything else is left alone.
     */
    static int removeStale(Path directory) {
        int removed = 0;
        int uid = LockedFile.currentUid();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*quiver-*.arena*")) {
            for (Path f : files) {
                String fileName = f.getFileName().toString();
                if (!NAME.matcher(fileName).matches() && !NEW_NAME.matcher(fileName).matches()
                        && !RINGS_NAME.matcher(fileName).matches()) {
                    LOG.debug("not a name this store gives arenas, left alone: {}", f);
                } else if (removeIfStale(f, uid)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            LOG.warn("could not look for the arenas of stores that are gone in {}: {}", directory, e.toString());
        }
        return removed;
    }

    private static boolean removeIfStale(Path f, int uid) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile() || (int) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS) != uid) {
                LOG.debug("not a regular file of this user, left alone: {}", f);
                return false;
            }
            try (LockedFile lock = LockedFile.open(f, false)) {
                // Unlink while holding the lock, and only the file we locked: no live store can lose its arena.
                if (!lock.tryLock() || !lock.isAt(f)) {
                    return false;
                }
                Files.delete(f);
                LOG.info("removed the {} of a store that is gone: {}",
                        RINGS_NAME.matcher(f.getFileName().toString()).matches() ? "command rings" : "arena", f);
                return true;
            }
        } catch (IOException e) {
            LOG.debug("left {} alone: {}", f, e.toString());
            return false;
        }
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    /** The change page, after the objects: the engine's to write. */
    MemorySegment changePage() {
        return mapping.asSlice(size, ChangePage.BYTES);
    }

    /** A read-only view of the whole arena, for the status page's look at shelf objects' metadata. */
    MemorySegment readOnlyMapping() {
        return mapping.asSlice(0, size).asReadOnly();
    }

    /**
     * The content digest of the object at {@code offset} (CRC-32C of its data and then its metadata, which follow each
     * other in the arena), for objects the store seals itself.
     */
    long digest(long offset, long dataSize, long metadataSize) {
        CRC32C crc = new CRC32C();
        crc.update(mapping.asSlice(offset, dataSize + metadataSize).asByteBuffer());
        return crc.getValue();
    }

    Duration prefaultTime() {
        return prefaultTime;
    }

    /** Unmaps and deletes the arena; the lock goes last, so that no other store takes the file for stale. */
    @Override
    public void close() throws IOException {
        try {
            arena.close();
            Files.deleteIfExists(path);
        } finally {
            lock.close();
        }
    }

    /** Touches every page once: madvise(MADV_POPULATE_WRITE) where the kernel has it, else a write per page. */
    private static void prefault(MemorySegment mapping) {
        if (madvisePopulate(mapping)) {
            return;
        }
        for (long off = 0; off < mapping.byteSize(); off += 4096) {
            mapping.set(ValueLayout.JAVA_BYTE, off, (byte) 0);
        }
    }

    private static boolean madvisePopulate(MemorySegment mapping) {
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> symbol = linker.defaultLookup().find("madvise");
            if (symbol.isEmpty()) {
                return false;
            }
            MethodHandle madvise = linker.downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            return (int) madvise.invokeExact(mapping, mapping.byteSize(), MADV_POPULATE_WRITE) == 0;
        } catch (Throwable t) {
            LOG.debug("madvise(MADV_POPULATE_WRITE) unavailable, touching pages instead", t);
            return false;
        }
    }

    /** The mount a directory is on, from /proc/mounts (the longest mount point that contains it). */
    private record Mount(String point, String type, String options) {
        static Mount of(Path directory) throws IOException {
            Path real = directory.toRealPath();
            Mount best = null;
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length >= 4 && real.startsWith(f[1]) && (best == null || f[1].length() >= best.point.length())) {
                    best = new Mount(f[1], f[2], f[3]);
                }
            }
            if (best == null) {
                throw new StoreStartException("cannot find the mount of " + directory + " in /proc/mounts");
            }
            return best;
        }

        boolean isHugePages() {
            return type.equals("hugetlbfs")
                    || (type.equals("tmpfs") && (options.contains("huge=always") || options.contains("huge=within_size")));
        }

        boolean inMemory() {
            return type.equals("tmpfs") || type.equals("hugetlbfs");
        }
    }
}
