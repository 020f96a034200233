package dev.quiver.bench;

/** A benchmark could not run or produced a wrong result; the message says which step and why. */
public final class BenchException extends RuntimeException {
    public BenchException(String message) {
        super(message);
    }

    public BenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
