package dev.quiver.client;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Where a store serves and a client connects when no socket is given (the CLI's {@code -s}), in this order:
 * <ol>
 *   <li>{@code $QUIVER_SOCKET}, if set;</li>
 *   <li>{@code $XDG_RUNTIME_DIR/quiver.sock}, if {@code XDG_RUNTIME_DIR} is set and is a directory owned by the
 *       current user;</li>
 *   <li>{@code /tmp/quiver-$UID/quiver.sock}. The store creates that directory with mode 0700; store and client
 *       refuse it unless it is a directory (not a link) owned by the current user with no permissions for group
 *       or others, since anyone may create names in /tmp.</li>
 * </ol>
 * The Python client resolves the same path by the same rules.
 */
public final class DefaultSocket {
    /** The environment variable that names the socket. */
    public static final String ENV = "QUIVER_SOCKET";
    /** The socket's file name in the directories above. */
    public static final String FILE_NAME = "quiver.sock";

    private DefaultSocket() {}

    /**
     * The default socket, for a client.
     *
     * @throws StoreUnavailableException if it would be in a {@code /tmp/quiver-$UID} that is not private
     */
    public static Path path() {
        return resolve(System.getenv(), uid(), Path.of("/tmp"), false);
    }

    /**
     * The default socket, for a store about to serve it: as {@link #path()}, and creates the private directory
     * {@code /tmp/quiver-$UID} (mode 0700) if that is where it goes.
     */
    public static Path forStore() {
        return resolve(System.getenv(), uid(), Path.of("/tmp"), true);
    }

    /** The rules above, over a given environment, uid and temporary directory. */
    static Path resolve(Map<String, String> env, long uid, Path tmp, boolean create) {
        String explicit = env.get(ENV);
        if (explicit != null && !explicit.isEmpty()) {
            return Path.of(explicit);
        }
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty() && ownedDirectory(Path.of(runtime), uid)) {
            return Path.of(runtime, FILE_NAME);
        }
        Path dir = tmp.resolve("quiver-" + uid);
        if (create) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // checked below, like one made by anybody else
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the socket directory " + dir, e);
            }
        }
        checkPrivate(dir, uid);
        return dir.resolve(FILE_NAME);
    }

    /** Refuses {@code dir} if it exists and is not a directory of {@code uid} closed to group and others. */
    private static void checkPrivate(Path dir, long uid) {
        BasicFileAttributes attrs;
        int owner;
        int mode;
        try {
            attrs = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            owner = (int) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            mode = (int) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return; // no store has made it yet: a client finds no socket there and says so
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check the socket directory " + dir, e);
        }
        String problem = attrs.isSymbolicLink() ? "a symbolic link"
                : !attrs.isDirectory() ? "not a directory"
                : owner != uid ? "owned by uid " + owner + ", not by you (uid " + uid + ")"
                : (mode & 077) != 0 ? "open to others (mode " + Integer.toOctalString(mode & 0777) + ", needs 700)"
                : null;
        if (problem != null) {
            throw new StoreUnavailableException("refusing the default socket directory " + dir + ": it is " + problem
                    + ", so another user could serve or intercept your store. Remove it (a store recreates it"
                    + " with mode 700), or choose a socket with -s or $" + ENV);
        }
    }

    private static boolean ownedDirectory(Path dir, long uid) {
        try {
            return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                    && (int) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == uid;
        } catch (IOException e) {
            return false;
        }
    }

    /** This process's user id. */
    static long uid() {
        return new UnixSystem().getUid();
    }
}
