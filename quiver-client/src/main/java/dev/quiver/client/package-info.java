/**
 * The Java client of a Quiver store: {@link dev.quiver.client.QuiverClient} connects to a store's Unix socket, maps
 * its arena, writes objects in place and reads them zero-copy. Requests and replies travel through the socket, or
 * through shared-memory command rings ({@link dev.quiver.client.ClientOptions#transport()}).
 *
 * <h2>JVM flags</h2>
 * An application that uses the client runs on JDK 25 or newer with
 * <pre>
 * --enable-native-access=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
 * --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
 * </pre>
 * The client itself needs the first: it gives its views of the mapped arena their lifetime with
 * {@code MemorySegment.reinterpret}, a restricted method of the foreign function and memory API (the JDK warns
 * without the flag, and later JDKs refuse). The next two are for the Arrow layer ({@code dev.quiver.arrow}): Arrow's
 * IPC writer opens {@code java.nio}, and Arrow's Netty allocator uses {@code sun.misc.Unsafe}. The last is for the
 * command rings ({@link dev.quiver.client.ClientOptions.Transport#RINGS}): Agrona's ring buffers reach shared memory
 * through {@code jdk.internal.misc.Unsafe}. The README's section
 * "JVM flags" says why each is needed and how to set them in Maven, Gradle or a {@code java} command line.
 */
package dev.quiver.client;
