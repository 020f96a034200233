"""Plasma's Python walkthrough (arrow.apache.org/docs/python/plasma.html), with `import quiver.plasma as plasma`
as the only change, and the modern pyarrow names of the IPC writers.

    python plasma_walkthrough.py [SOCKET]     # a running store's socket; without one, a store is started here
"""

import contextlib
import sys

import numpy as np
import pandas as pd
import pyarrow as pa

import quiver.plasma as plasma


def walkthrough(socket):
    client = plasma.connect(socket)

    # Object ids
    object_id = plasma.ObjectID(20 * b"a")
    random_id = plasma.ObjectID.from_random()
    assert object_id != random_id

    # put and get of Python values
    x = client.put("hello, world")
    assert client.get(x) == "hello, world"

    # create, write in place, seal; then get the buffer back
    object_id = plasma.ObjectID(np.random.bytes(20))
    buffer = memoryview(client.create(object_id, 1000))
    for i in range(1000):
        buffer[i] = i % 128
    client.seal(object_id)
    [buffer2] = client.get_buffers([object_id])
    view2 = memoryview(buffer2)
    assert view2[1] == 1 and bytes(buffer[1:4]) == bytes(view2[1:4])
    assert client.contains(object_id)
    assert client.get_buffers([plasma.ObjectID.from_random()], timeout_ms=10) == [None]

    # a tensor through the Arrow IPC Tensor format
    data = np.random.randn(10, 4)
    tensor = pa.Tensor.from_numpy(data)
    object_id = plasma.ObjectID(np.random.bytes(20))
    data_size = pa.ipc.get_tensor_size(tensor)
    buf = client.create(object_id, data_size)
    stream = pa.FixedSizeBufferWriter(buf)
    pa.ipc.write_tensor(tensor, stream)
    client.seal(object_id)
    [buf2] = client.get_buffers([object_id])
    tensor2 = pa.ipc.read_tensor(pa.BufferReader(buf2))
    assert np.array_equal(tensor2.to_numpy(), data)

    # a pandas DataFrame as a record batch stream
    df = pd.DataFrame({"one": np.random.randn(100), "two": np.random.randn(100),
                       "three": np.random.choice(["a", "b", "c"], 100)})
    record_batch = pa.RecordBatch.from_pandas(df)
    object_id = plasma.ObjectID(np.random.bytes(20))
    mock_sink = pa.MockOutputStream()
    with pa.ipc.new_stream(mock_sink, record_batch.schema) as stream_writer:
        stream_writer.write_batch(record_batch)
    data_size = mock_sink.size()
    buf = client.create(object_id, data_size)
    stream = pa.FixedSizeBufferWriter(buf)
    with pa.ipc.new_stream(stream, record_batch.schema) as stream_writer:
        stream_writer.write_batch(record_batch)
    client.seal(object_id)
    [data] = client.get_buffers([object_id])
    reader = pa.ipc.open_stream(pa.BufferReader(data))
    result = reader.read_next_batch().to_pandas()
    pd.testing.assert_frame_equal(result, df)

    client.disconnect()
    print("walkthrough: ok")


if __name__ == "__main__":
    with (contextlib.nullcontext((sys.argv[1], None)) if len(sys.argv) > 1
          else plasma.start_plasma_store(100_000_000)) as (socket, _):
        walkthrough(socket)
