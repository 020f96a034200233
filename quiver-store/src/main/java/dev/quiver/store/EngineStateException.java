package dev.quiver.store;

/**
 * The engine's state no longer holds together after an unexpected error (see {@link Engine#checkInvariants()}): the
 * store stops instead of serving on, since it could no longer promise that no two objects share memory.
 */
public final class EngineStateException extends RuntimeException {
    EngineStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
