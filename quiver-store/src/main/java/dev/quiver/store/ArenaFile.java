package dev.quiver.store;

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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The arena: one owner-only file that every client maps. The store sizes it, pre-faults it (the first touch of
 * a page costs microseconds on these machines; it is paid once, at start) and deletes it at shutdown. Its name
 * carries the store's pid, so that a later store can recognise and remove the arena of a store that was killed.
 */
final class ArenaFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArenaFile.class);
    private static final Pattern NAME = Pattern.compile("quiver-(\\d+)-[0-9a-f]+\\.arena");
    private static final long HUGE_PAGE = 2L << 20;
    private static final int MADV_POPULATE_WRITE = 23;

    private final Path path;
    private final long size;
    private final Arena arena;
    private final Duration prefaultTime;

    private ArenaFile(Path path, long size, Arena arena, Duration prefaultTime) {
        this.path = path;
        this.size = size;
        this.arena = arena;
        this.prefaultTime = prefaultTime;
    }

    /**
     * Creates, maps and pre-faults an arena of {@code requested} bytes (rounded down to 64 bytes, or up to 2 MiB
     * pages with {@code hugePages}).
     *
     * @throws StoreStartException if the directory cannot hold it, or is not a hugepage mount when one is asked for
     */
    static ArenaFile create(Path directory, long requested, boolean hugePages) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new StoreStartException("arena directory " + directory + " does not exist (-d)");
        }
        long size = hugePages ? (requested + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE : requested & -Allocator.ALIGN;
        if (size < Allocator.ALIGN) {
            throw new StoreStartException("-m " + requested + " is too small: the store needs at least "
                    + Allocator.ALIGN + " bytes");
        }
        if (hugePages) {
            checkHugePageMount(directory);
        }
        long usable = Files.getFileStore(directory).getUsableSpace();
        if (size > usable) {
            throw new StoreStartException("refusing to start: -m " + Sizes.format(size) + " exceeds the "
                    + Sizes.format(usable) + " free in " + directory + "; choose -m " + Sizes.format(usable)
                    + " or less, or another -d");
        }
        Path path = directory.resolve("quiver-" + ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()) + ".arena");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            MemorySegment mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            long start = System.nanoTime();
            prefault(mapping);
            return new ArenaFile(path, size, arena, Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException | RuntimeException e) {
            arena.close();
            Files.deleteIfExists(path);
            throw e;
        }
    }

    /** Deletes arena files in {@code directory} whose store process is gone; returns how many. */
    static int removeStale(Path directory) throws IOException {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "quiver-*.arena")) {
            for (Path f : files) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    try {
                        Files.deleteIfExists(f);
                        removed++;
                        LOG.info("removed the arena of a store that is gone: {}", f);
                    } catch (IOException e) {
                        LOG.warn("could not remove stale arena {}: {}", f, e.toString());
                    }
                }
            }
        }
        return removed;
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    Duration prefaultTime() {
        return prefaultTime;
    }

    @Override
    public void close() throws IOException {
        arena.close();
        Files.deleteIfExists(path);
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

    private static void checkHugePageMount(Path directory) throws IOException {
        Path real = directory.toRealPath();
        String bestMount = "";
        String bestLine = null;
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] f = line.split(" ");
            if (f.length >= 4 && real.startsWith(f[1]) && f[1].length() >= bestMount.length()) {
                bestMount = f[1];
                bestLine = line;
            }
        }
        if (bestLine == null) {
            throw new StoreStartException("-h: cannot find the mount of " + directory + " in /proc/mounts");
        }
        String[] f = bestLine.split(" ");
        boolean huge = f[2].equals("hugetlbfs")
                || (f[2].equals("tmpfs") && (f[3].contains("huge=always") || f[3].contains("huge=within_size")));
        if (!huge) {
            throw new StoreStartException("-h: " + directory + " is on " + f[1] + " (" + f[2] + ", " + f[3]
                    + "), not a hugepage mount; mount hugetlbfs or tmpfs with -o huge=always there, or drop -h");
        }
    }
}
