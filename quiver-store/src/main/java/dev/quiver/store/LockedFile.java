package dev.quiver.store;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A file opened with open(2) without following symbolic links, and the flock(2) that marks its owner as alive.
 *
 * <p>Why flock and not {@link java.nio.channels.FileChannel#lock()}: Java's file locks are POSIX record locks,
 * which a process loses as soon as it closes any descriptor of the same file (a store and a client in one JVM
 * do exactly that). A flock belongs to the open file description: it lasts until this descriptor is closed, the
 * kernel drops it when the process dies, and it works across PID namespaces, where the pid of another
 * container's process means nothing here.
 */
final class LockedFile implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout ERRNO = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_VALUE =
            ERRNO.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), CAPTURE_ERRNO,
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FLOCK = downcall("flock",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle GETEUID = downcall("geteuid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = downcall("strerror",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private static final int O_RDWR = 02;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    /** Differs between architectures: 0400000 on x86_64, 0100000 on arm64. */
    private static final int O_NOFOLLOW = System.getProperty("os.arch").equals("aarch64") ? 0100000 : 0400000;
    private static final int O_CLOEXEC = 02000000;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;
    private static final int EWOULDBLOCK = 11;
    private static final int ELOOP = 40;
    private static final int EEXIST = 17;

    private final Path path;
    private final int fd;
    private boolean closed;

    private LockedFile(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Opens an existing file, or with {@code create} creates it (mode 0600) if absent. A symbolic link at
     * {@code path} is never followed.
     *
     * @throws SymbolicLinkException if {@code path} is a symbolic link
     * @throws IOException           if it cannot be opened (the message carries the system's reason)
     */
    static LockedFile open(Path path, boolean create) throws IOException {
        return open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0));
    }

    /** Creates a new file (mode 0600); fails if anything exists at {@code path}, a symbolic link included. */
    static LockedFile createNew(Path path) throws IOException {
        return open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_CREAT | O_EXCL);
    }

    private static LockedFile open(Path path, int flags) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(ERRNO);
            int fd = (int) OPEN.invokeExact(state, a.allocateFrom(path.toString()), flags, 0600);
            if (fd < 0) {
                int errno = (int) ERRNO_VALUE.get(state, 0L);
                if (errno == ELOOP) {
                    throw new SymbolicLinkException(path);
                }
                if (errno == EEXIST) {
                    throw new java.nio.file.FileAlreadyExistsException(path.toString());
                }
                throw new IOException("cannot open " + path + ": " + strerror(errno));
            }
            return new LockedFile(path, fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Takes the exclusive flock without waiting; false if another open file description holds it. */
    boolean tryLock() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(ERRNO);
            if ((int) FLOCK.invokeExact(state, fd, LOCK_EX | LOCK_NB) == 0) {
                return true;
            }
            int errno = (int) ERRNO_VALUE.get(state, 0L);
            if (errno == EWOULDBLOCK) {
                return false;
            }
            throw new IOException("cannot lock " + path + ": " + strerror(errno));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * This descriptor as a path ({@code /proc/self/fd/N}): opening it reopens the very file this descriptor
     * refers to, whatever happens to {@link #path()} meanwhile; reading its attributes is an fstat(2).
     */
    Path descriptorPath() {
        return Path.of("/proc/self/fd/" + fd);
    }

    /** The attributes of the open file itself (not of whatever {@link #path()} names now). */
    BasicFileAttributes attributes() throws IOException {
        return Files.readAttributes(descriptorPath(), BasicFileAttributes.class);
    }

    /** The uid that owns the open file. */
    int ownerUid() throws IOException {
        return (int) Files.getAttribute(descriptorPath(), "unix:uid");
    }

    /** True if {@code path} names the file this descriptor has open (a symbolic link there does not count). */
    boolean isAt(Path path) throws IOException {
        try {
            Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return now != null && now.equals(attributes().fileKey());
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    /** Replaces the file's content with {@code text}. */
    void write(String text) throws IOException {
        Files.writeString(descriptorPath(), text, StandardCharsets.US_ASCII);
    }

    /** The file's content. */
    String read() throws IOException {
        return Files.readString(descriptorPath(), StandardCharsets.US_ASCII);
    }

    Path path() {
        return path;
    }

    /** Closes the descriptor, which releases the lock. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The effective uid of this process: the owner of every file it creates. */
    static int currentUid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(
                () -> new IllegalStateException("the C library has no " + name + "()")), descriptor, options);
    }

    /** open(2) met a symbolic link where the store needs its own regular file. */
    static final class SymbolicLinkException extends IOException {
        SymbolicLinkException(Path path) {
            super(path + " is a symbolic link");
        }
    }
}
