package dev.quiver.examples.readme;

import dev.quiver.client.DefaultSocket;
import dev.quiver.client.ObjectBuffer;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.WritableObject;
import dev.quiver.protocol.ObjectId;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Writes an object in place, seals it, and gets it back zero-copy, in the store on the default socket. */
public class ClientExample {
    public static void main(String[] args) {
        try (QuiverClient client = QuiverClient.connect(DefaultSocket.path())) { // or Path.of("/run/app/quiver.sock")
            ObjectId id = ObjectId.forName("my-object");                          // or ObjectId.random()

            // Two-stage create: write in place, then seal (which makes it visible and immutable).
            try (WritableObject o = client.create(id, 1024)) {
                o.data().fill((byte) 7);
                o.seal();
            }

            // Any process: get it zero-copy (-1 waits until it is sealed, 0 answers at once, N waits N ms).
            try (ObjectBuffer b = client.get(id, QuiverClient.WAIT_FOREVER).orElseThrow()) {
                MemorySegment bytes = b.data();                         // a read-only view of the store's memory
                byte first = bytes.get(ValueLayout.JAVA_BYTE, 0);
                System.out.println(id + ": " + bytes.byteSize() + " bytes, the first is " + first);
            }                                                           // close releases the reference
        }
    }
}
