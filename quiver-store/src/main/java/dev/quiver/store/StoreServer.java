package dev.quiver.store;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running store: its arena, its socket, and the engine thread that serves them. Start one with
 * {@link #start(StoreConfig)}, in a daemon ({@code quiver store}) or embedded in any program; {@link #close()}
 * stops it and removes its files.
 *
 * <p>Files: the socket and the arena are owner-only. A lock file next to the socket ({@code SOCKET.lock}, holding
 * the store's pid) marks the socket as served: a second store on a served socket is refused, and the files of a
 * killed store (its lock is free again) are removed by the next store that starts.
 */
public final class StoreServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StoreServer.class);

    private final StoreConfig config;
    private final Path socket;
    private final Path lockPath;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ArenaFile arena;
    private final ServerSocketChannel server;
    private final SocketTransport transport;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable failure;
    private boolean closed;

    private StoreServer(StoreConfig config, Path socket, Path lockPath, FileChannel lockChannel, FileLock lock,
                        ArenaFile arena, ServerSocketChannel server, SocketTransport transport) {
        this.config = config;
        this.socket = socket;
        this.lockPath = lockPath;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.arena = arena;
        this.server = server;
        this.transport = transport;
        this.thread = Thread.ofPlatform().name("quiver-engine").daemon(false).unstarted(this::serve);
    }

    /**
     * Creates the arena, binds the socket and starts serving.
     *
     * @throws StoreStartException if another store serves the socket, or the arena cannot be made as asked
     */
    public static StoreServer start(StoreConfig config) throws IOException {
        Path socket = config.socket().toAbsolutePath();
        Files.createDirectories(socket.getParent());
        Path lockPath = socket.resolveSibling(socket.getFileName() + ".lock");
        FileChannel lockChannel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        FileLock lock = lockChannel.tryLock();
        if (lock == null) {
            String owner = readOwner(lockChannel);
            lockChannel.close();
            throw new StoreStartException("a Quiver store" + owner + " already serves " + socket
                    + "; stop it first, or give this one another -s");
        }
        ArenaFile arena = null;
        ServerSocketChannel server = null;
        try {
            lockChannel.truncate(0).write(ByteBuffer.wrap(
                    (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            if (Files.deleteIfExists(socket)) {
                LOG.info("removed the socket of a store that is gone: {}", socket);
            }
            ArenaFile.removeStale(config.directory());
            arena = ArenaFile.create(config.directory(), config.memoryBytes(), config.hugePages());
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            long capacity = arena.size();
            String arenaPath = arena.path().toString();
            SocketTransport transport = new SocketTransport(server, config.effectiveConnectionMemory(),
                    outbox -> new Engine(capacity, arenaPath, outbox, System::nanoTime, System::currentTimeMillis));
            StoreServer store = new StoreServer(config, socket, lockPath, lockChannel, lock, arena, server, transport);
            store.thread.start();
            LOG.info("store serving {} with {} of memory in {} (pre-faulted in {} ms)", socket,
                    Sizes.format(arena.size()), arena.path(), arena.prefaultTime().toMillis());
            return store;
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.close();
                Files.deleteIfExists(socket);
            }
            if (arena != null) {
                arena.close();
            }
            lock.release();
            lockChannel.close();
            Files.deleteIfExists(lockPath);
            throw e;
        }
    }

    /** The socket clients connect to. */
    public Path socket() {
        return socket;
    }

    /** The arena file. */
    public Path arenaPath() {
        return arena.path();
    }

    /** Usable bytes. */
    public long capacity() {
        return arena.size();
    }

    /** How long pre-faulting the arena took at start. */
    public Duration prefaultTime() {
        return arena.prefaultTime();
    }

    /** The configuration it was started with. */
    public StoreConfig config() {
        return config;
    }

    /** Waits until the store has stopped (by {@link #close()} or a failure). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Stops serving, disconnects every client, and removes the socket, the arena and the lock file. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        transport.stop();
        try {
            if (Thread.currentThread() != thread) {
                thread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.close();
            Files.deleteIfExists(socket);
            arena.close();
            lock.release();
            lockChannel.close();
            Files.deleteIfExists(lockPath);
        } catch (IOException e) {
            LOG.warn("while removing the store's files: {}", e.toString());
        }
        LOG.info("store on {} stopped", socket);
    }

    private void serve() {
        try {
            transport.run();
        } catch (Throwable t) {
            failure = t;
            LOG.error("the store's engine thread failed", t);
        } finally {
            stopped.countDown();
        }
    }

    /** The transport and, through it, the engine: for tests in this package. */
    SocketTransport transport() {
        return transport;
    }

    /** Why the engine thread failed, if it did. */
    public Throwable failure() {
        return failure;
    }

    private static String readOwner(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
            return pid.isEmpty() ? "" : " (pid " + pid + ")";
        } catch (IOException e) {
            return "";
        }
    }
}
