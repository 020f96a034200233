"""Writes the pyarrow-made fixtures of SeedCompatibilityTest (run once by hand; CI only reads the files).

seed-file-zstd1.arrow is exactly what the seed's producer (bytewax/streaming-arrow, src/input.py) puts in a Kafka
record value: the seed's schema, pa.ipc.new_file with IpcWriteOptions(compression=pa.Codec("zstd", 1)). The values
are fixed (not psutil samples) so that the test knows them.
"""
import datetime
import pathlib

import pyarrow as pa

SCHEMA = pa.schema([
    ('device', pa.string()),
    ('ts', pa.timestamp('us')),
    ('cpu_used', pa.float32()),
    ('cpu_free', pa.float32()),
    ('memory_used', pa.float32()),
    ('memory_free', pa.float32()),
    ('run_elapsed_ms', pa.int32()),
])

N = 1000  # the seed's BATCH_SIZE
start = datetime.datetime(2024, 5, 1, 12, 0, 0)
rows = {
    'device': ['localhost' if i % 3 else 'edge-1' for i in range(N)],
    'ts': [start + datetime.timedelta(milliseconds=10 * i) for i in range(N)],
    'cpu_used': [float(i % 100) + 0.5 for i in range(N)],
    'cpu_free': [99.5 - float(i % 100) for i in range(N)],
    'memory_used': [40.0 + (i % 7) for i in range(N)],
    'memory_free': [60.0 - (i % 7) for i in range(N)],
    'run_elapsed_ms': [10 * i for i in range(N)],
}
table = pa.Table.from_arrays([pa.array(rows[f.name], f.type) for f in SCHEMA], schema=SCHEMA)


def write(path, writer_factory, codec):
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=codec)
    with writer_factory(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    pathlib.Path(path).write_bytes(sink.getvalue().to_pybytes())


here = pathlib.Path(__file__).parent
write(here / 'seed-file-zstd1.arrow', pa.ipc.new_file, pa.Codec(compression='zstd', compression_level=1))
write(here / 'pyarrow-stream-lz4.arrows', pa.ipc.new_stream, pa.Codec(compression='lz4'))
print('pyarrow', pa.__version__)
