package dev.quiver.store;

import dev.quiver.protocol.RingLayout;
import dev.quiver.protocol.Sizes;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running store: its arena, its socket, and the engine thread that serves them. Start one with
 * {@link #start(StoreConfig)}, in a daemon ({@code quiver store}) or embedded in any program; {@link #close()}
 * stops it and removes its files.
 *
 * <p>Files: the socket and the arena are owner-only. A lock file next to the socket ({@code SOCKET.lock}, holding
 * the store's pid) marks the socket as served by a {@link LockedFile flock} held for the store's life: a second
 * store on a served socket is refused, and the files of a killed store (its lock is free again) are removed by
 * the next store that starts. The store never touches a file it did not make: a regular file, symbolic link or
 * directory at the socket's path, or a symbolic link at the lock's, makes it refuse to start.
 */
public final class StoreServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StoreServer.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final StoreConfig config;
    private final Path socket;
    private final LockedFile lock;
    private final ArenaFile arena;
    private final ServerSocketChannel server;
    private final SocketTransport transport;
    /** The HTTP port's server, or null. */
    private StoreHttp http;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable failure;
    private boolean closed;

    private StoreServer(StoreConfig config, Path socket, LockedFile lock, ArenaFile arena, ServerSocketChannel server,
                        SocketTransport transport) {
        this.config = config;
        this.socket = socket;
        this.lock = lock;
        this.arena = arena;
        this.server = server;
        this.transport = transport;
        this.thread = Thread.ofPlatform().name("quiver-engine").daemon(false).unstarted(this::serve);
    }

    /**
     * Creates the arena, binds the socket and starts serving.
     *
     * @throws StoreStartException if another store serves the socket, something that is not a store's socket is
     *                             in the way, or the arena cannot be made as asked; nothing is changed then
     */
    public static StoreServer start(StoreConfig config) throws IOException {
        Path socket = config.socket().toAbsolutePath();
        ArenaFile.checkDirectory(config.directory(), config.hugePages());
        Files.createDirectories(socket.getParent());
        Path lockPath = socket.resolveSibling(socket.getFileName() + ".lock");
        LockedFile lock = openLock(lockPath, socket);
        ArenaFile arena = null;
        ServerSocketChannel server = null;
        try {
            boolean replace = checkSocketPath(socket);
            lock.write(ProcessHandle.current().pid() + "\n");
            ArenaFile.removeStale(config.directory());
            if (config.hugePages()) {
                ArenaFile.removeStale(StoreConfig.DEFAULT_DIRECTORY); // rings files live there then
            }
            arena = ArenaFile.create(config.directory(), config.memoryBytes(), config.hugePages());
            server = bindPrivately(socket);
            if (replace) {
                LOG.info("replaced the socket of a store that is gone: {}", socket);
            }
            long capacity = arena.size();
            String arenaPath = arena.path().toString();
            ArenaFile arenaFile = arena;
            PrometheusRegistry registry = config.http() == null ? null : new PrometheusRegistry();
            EngineMetrics metrics = registry == null ? null : new EngineMetrics(registry);
            SocketTransport transport = new SocketTransport(server, config.effectiveConnectionMemory(), outbox -> {
                Engine engine = new Engine(capacity, arenaPath, outbox, System::nanoTime, System::currentTimeMillis);
                engine.recordTo(metrics);
                engine.digestWith(arenaFile::digest);
                engine.countChangesOn(arenaFile.changePage());
                return engine;
            }, ringsOf(config, arena), config.idle());
            StoreServer store = new StoreServer(config, socket, lock, arena, server, transport);
            if (registry != null) {
                transport.arenaView(arena.readOnlyMapping());
                store.http = StoreHttp.start(config.http(), transport, registry);
            }
            store.thread.start();
            if (store.http != null) {
                LOG.info("status page on {}, metrics on {}metrics", store.httpUrl(), store.httpUrl());
            }
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
            if (lock.isAt(lockPath)) {
                Files.deleteIfExists(lockPath);
            }
            lock.close();
            throw e;
        }
    }

    /**
     * Where the transport makes clients' command rings: next to the arena (on a hugepage mount, in /dev/shm, since
     * the rings are too small for huge pages); none if this JVM cannot serve them (the log says why, and every client
     * stays on the socket path).
     */
    private static SocketTransport.Rings ringsOf(StoreConfig config, ArenaFile arena) {
        String why = CommandRings.unavailable();
        if (why != null) {
            LOG.warn("serving every client on the socket, without command rings: {}", why);
            return null;
        }
        Path directory = config.hugePages() ? StoreConfig.DEFAULT_DIRECTORY : arena.path().getParent();
        return new SocketTransport.Rings(directory, arena.path().getFileName().toString(),
                RingLayout.DEFAULT_REQUEST_RING, RingLayout.DEFAULT_REPLY_RING);
    }

    /**
     * Opens and locks {@code SOCKET.lock} without following a link; refuses anything but a regular file of this
     * user there, and a lock that another store holds.
     */
    private static LockedFile openLock(Path lockPath, Path socket) throws IOException {
        while (true) {
            LockedFile lock;
            try {
                lock = LockedFile.open(lockPath, true);
            } catch (LockedFile.SymbolicLinkException e) {
                throw new StoreStartException(lockPath + " is a symbolic link, not the lock file of a Quiver store;"
                        + " refusing to start, and left it alone. Remove it if it is not yours to keep, or choose"
                        + " another -s");
            } catch (IOException e) { // a directory there, say
                throw new StoreStartException(e.getMessage() + "; refusing to start, and left it alone. Remove it"
                        + " if it is not needed, or choose another -s");
            }
            try {
                if (!lock.attributes().isRegularFile() || lock.ownerUid() != LockedFile.currentUid()) {
                    throw new StoreStartException(lockPath + " is not a regular file of this user, so not the lock"
                            + " file of a Quiver store; refusing to start, and left it alone. Remove it, or choose"
                            + " another -s");
                }
                if (!lock.tryLock()) {
                    String pid = lock.read().trim();
                    throw new StoreStartException("a Quiver store" + (pid.isEmpty() ? "" : " (pid " + pid + ")")
                            + " already serves " + socket + "; stop it first, or give this one another -s");
                }
                if (lock.isAt(lockPath)) {
                    return lock;
                }
                // A stopping store deleted the file between our open and our lock: take the new one.
                lock.close();
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw e;
            }
        }
    }

    /**
     * What is at the socket's path now: nothing, or the socket of a store that is gone (we hold its lock), which
     * the new socket replaces; anything else is refused.
     *
     * @return true if there is an old socket to replace
     */
    private static boolean checkSocketPath(Path socket) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return false;
        }
        String what = attrs.isSymbolicLink() ? "a symbolic link" : attrs.isDirectory() ? "a directory"
                : attrs.isRegularFile() ? "a regular file" : null;
        if (what == null) {
            int mode = (int) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (int) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFSOCK) {
                what = "a special file";
            } else if (uid != LockedFile.currentUid()) {
                what = "a socket of another user (uid " + uid + ")";
            } else {
                return true;
            }
        }
        throw new StoreStartException(socket + " is " + what + ", not the socket of a Quiver store that is gone;"
                + " refusing to start, and left it alone. Remove it if it is not needed, or choose another -s");
    }

    /**
     * Binds the socket where nobody else can reach it (a fresh 0700 directory next to it), makes it owner-only,
     * then renames it into place: there is no moment at which another user could connect.
     */
    private static ServerSocketChannel bindPrivately(Path socket) throws IOException {
        Path hidden = Files.createTempDirectory(socket.getParent(), ".q",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path bound = hidden.resolve("s");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(bound));
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(bound);
            throw e;
        } finally {
            Files.deleteIfExists(hidden);
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

    /** Where metrics and the status page are served ({@link StoreConfig#http()} with the port chosen), or null. */
    public InetSocketAddress httpAddress() {
        return http == null ? null : http.address();
    }

    /** The status page's URL ({@code http://HOST:PORT/}), or null without an HTTP port. */
    public String httpUrl() {
        if (http == null) {
            return null;
        }
        // The address as configured (a wildcard 0.0.0.0 is bound as ::), with the port as bound.
        String host = config.http().getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.address().getPort() + "/";
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
        if (http != null) {
            http.close();
        }
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
            // Delete the lock file while still holding it, so no starting store takes it for a dead store's.
            if (lock.isAt(lock.path())) {
                Files.deleteIfExists(lock.path());
            }
        } catch (IOException e) {
            LOG.warn("while removing the store's files: {}", e.toString());
        } finally {
            lock.close();
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
}
