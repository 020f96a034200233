/**
 * Arrow data in a Quiver store: tables and record batches written straight into store memory and read back
 * zero-copy ({@link dev.quiver.arrow.ArrowStore}), tensors ({@link dev.quiver.arrow.TensorStore}), streams of batches
 * ({@link dev.quiver.arrow.StreamWriter}, {@link dev.quiver.arrow.StreamReader}; listed and deleted with
 * {@link dev.quiver.arrow.Streams}) and the key/value shelf
 * ({@link dev.quiver.arrow.Shelf}).
 *
 * <h2>JVM flags</h2>
 * An application that uses this package runs on JDK 25 or newer with
 * <pre>
 * --enable-native-access=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
 * --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
 * </pre>
 * <ul>
 *   <li>{@code --enable-native-access=ALL-UNNAMED}: the client's views of the mapped arena and Arrow's buffers over
 *       them use restricted methods of the foreign function and memory API (the JDK warns without it).</li>
 *   <li>{@code --add-opens=java.base/java.nio=ALL-UNNAMED}: Arrow's IPC writer (every table written, batch
 *       appended, shelf put) reaches into {@code java.nio}'s buffers; without it writing fails.</li>
 *   <li>{@code --sun-misc-unsafe-memory-access=allow}: Arrow's allocator is Netty's ({@code arrow-memory-netty}),
 *       which needs {@code sun.misc.Unsafe}; JDK 25 denies it to Netty without the flag, and the first
 *       {@code RootAllocator} fails with an {@code ExceptionInInitializerError}.</li>
 *   <li>{@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED}: only for clients on the command rings
 *       ({@code ClientOptions.Transport.RINGS}), whose Agrona ring buffers reach shared memory through
 *       {@code jdk.internal.misc.Unsafe}.</li>
 * </ul>
 * The README's section "JVM flags" shows how to set them in Maven, Gradle or a {@code java} command line.
 */
package dev.quiver.arrow;
