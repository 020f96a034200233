package dev.quiver.examples.realtime;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/** CRC-32C over (row, x, y) of every row in order: equal checksums mean the same rows in the same order. */
final class RowChecksum {
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer row = ByteBuffer.allocate(24);

    void add(long id, double x, double y) {
        row.clear();
        row.putLong(id).putDouble(x).putDouble(y).flip();
        crc.update(row);
    }

    @Override
    public String toString() {
        return HexFormat.of().toHexDigits((int) crc.getValue());
    }
}
