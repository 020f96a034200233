"""Arrow data in the store, in the formats Java's ArrowStore and TensorStore use.

- A table is one object holding an Arrow IPC stream (schema, dictionaries, batches, end-of-stream); its metadata is
  the media type ``application/vnd.apache.arrow.stream``.
- A tensor is one object holding an Arrow IPC Tensor message (what ``pa.ipc.write_tensor`` writes); its metadata is
  ``application/vnd.apache.arrow.tensor``.

Writing measures the exact size first, creates once and writes straight into store memory. Reading is zero-copy:
the returned Table or Tensor lies over the arena and holds the store reference until it is garbage-collected.
"""

import numpy as np
import pyarrow as pa

from .client import NO_WAIT
from .errors import ArrowFormatException

STREAM_MEDIA_TYPE = b"application/vnd.apache.arrow.stream"
TENSOR_MEDIA_TYPE = b"application/vnd.apache.arrow.tensor"


def _batches(data):
    if isinstance(data, pa.Table):
        return data.schema, data.to_batches()
    if isinstance(data, pa.RecordBatch):
        return data.schema, [data]
    raise TypeError(f"expected a pyarrow Table or RecordBatch, got {type(data).__name__}")


def _write_stream(sink, schema, batches):
    with pa.ipc.new_stream(sink, schema) as writer:
        for b in batches:
            writer.write_batch(b)


def put_table(client, object_id, data, metadata=STREAM_MEDIA_TYPE):
    """Writes a Table or RecordBatch as one Arrow IPC stream object; returns the object's data size."""
    schema, batches = _batches(data)
    counter = pa.MockOutputStream()
    _write_stream(counter, schema, batches)
    size = counter.size()
    with client.create(object_id, size, metadata) as o:
        sink = pa.FixedSizeBufferWriter(o.data)
        _write_stream(sink, schema, batches)
        sink.close()
    return size


def read_table(buffer, what="object"):
    """A Table over ``buffer`` (no copy), or ArrowFormatException if the bytes are not an Arrow IPC stream."""
    try:
        return pa.ipc.open_stream(buffer).read_all()
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as e:
        raise ArrowFormatException(f"{what} is not a readable Arrow IPC stream: {e}") from None


def get_table(client, object_id, timeout_ms=NO_WAIT):
    """Reads an Arrow IPC stream object as a Table over store memory, or None if it is not there in time."""
    b = client.get(object_id, timeout_ms)
    if b is None:
        return None
    with b:
        return read_table(b.data, f"object {b.id.hex()}")


def _as_tensor(tensor):
    if isinstance(tensor, pa.Tensor):
        return tensor
    if isinstance(tensor, np.ndarray):
        return pa.Tensor.from_numpy(tensor)
    raise TypeError(f"expected a numpy array or a pyarrow Tensor, got {type(tensor).__name__}")


def put_tensor(client, object_id, tensor):
    """Writes a tensor as an Arrow IPC Tensor message; returns the object's data size."""
    t = _as_tensor(tensor)
    size = pa.ipc.get_tensor_size(t)
    with client.create(object_id, size, TENSOR_MEDIA_TYPE) as o:
        sink = pa.FixedSizeBufferWriter(o.data)
        pa.ipc.write_tensor(t, sink)
        sink.close()
    return size


def read_tensor(buffer, what="object"):
    try:
        return pa.ipc.read_tensor(pa.BufferReader(buffer))
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as e:
        raise ArrowFormatException(f"{what} is not a readable Arrow IPC tensor: {e}") from None


def get_tensor(client, object_id, timeout_ms=NO_WAIT):
    """Reads a tensor object as a pyarrow Tensor over store memory (``.to_numpy()`` is a view too), or None."""
    b = client.get(object_id, timeout_ms)
    if b is None:
        return None
    with b:
        return read_tensor(b.data, f"object {b.id.hex()}")
