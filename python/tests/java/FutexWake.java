import dev.quiver.client.Futex;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The Java waker of the Python client's futex tests: {@code FutexWake FILE OFFSET COUNT} maps FILE, wakes up to COUNT
 * sleepers on the word at OFFSET with {@link Futex#wake} and prints {@code woken N}.
 */
public class FutexWake {
    public static void main(String[] args) throws Exception {
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
            System.out.println("woken " + Futex.wake(m, Long.parseLong(args[1]), Integer.parseInt(args[2])));
        }
    }
}
