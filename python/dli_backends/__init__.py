"""The Python side of DLI's bridged backends.

A backend built with backends/python_bridge embeds CPython with its virtual
environment and imports ``dli_backends.<backend name>``. That module provides:

``version() -> str``
    The framework's version, e.g. ``"1.32.0"``.
``open(spec: dict) -> session``
    ``spec`` holds ``model_path``, ``weights_path``, ``device``,
    ``precision``, ``batch`` (int), ``params`` (dict of str to str, as the
    user wrote them) and ``shapes`` (dict of input name to its full shape,
    batch first, for inputs whose file leaves dimensions open; resolve them
    with ``_bridge.resolve_shape``, and refuse a name the model does not
    have with ``_bridge.check_shape_names``). The C++ side has already
    checked every parameter against the backend's C table (type, choices,
    integer range; "" means not set), the device, the precision and
    batch >= 1. Loads (and compiles) the model for that batch size.

and the session object:

``inputs()`` / ``outputs() -> list of (name, dtype, shape)``
    Every input and output in the model's order. ``dtype`` is a numpy dtype
    name (float32, float16, int64, int32, int8, uint8 or bool); ``shape`` a
    list of ints, resolved: the batch size set, no open dimension. Asked
    once, right after open.
``set_inputs(batches: list[list[memoryview]])``
    For each batch (at least one), one read-only view per input over the
    caller's prepared data (exactly that input's size), valid until the
    session is closed; wrap them without a copy (``_bridge.input_arrays``).
``bind(index: int)``
    Makes batch ``index`` (always within the batches set) the next input.
    Not timed: do every copy here.
``infer``
    A callable without arguments: one synchronous forward pass, the only
    timed call, made only after a bind. Make it the framework's own method
    where possible (``interpreter.invoke``) so no extra Python frame is
    timed.
``read_output(index: int, out: memoryview)``
    Writes output ``index`` of the last infer, as float32, into the
    caller's buffer (called only after an infer, with room for exactly that
    output's values).

Throughput mode (several requests in flight on one session):

``open_requests(n: int) -> list of n callables``
    Called after ``set_inputs``; makes ``n`` request slots and returns each
    slot's forward pass, a callable without arguments like ``infer``. The
    bridge calls them from one thread per slot at the same time, each
    holding the GIL only until the framework releases it (ONNX Runtime's
    ``run`` and LiteRT's ``invoke`` do), so a slot needs state of its own
    (an IOBinding, an interpreter).
``bind_request(slot: int, index: int)``
    Makes batch ``index`` the input of ``slot``'s next call. Not timed.

The C++ SDK checks the order and the arguments of these calls, so the
module holds none of that bookkeeping.

Every exception reaches the user as one line, ``ExcType: message``: raise
exceptions whose message says what was wrong and what was expected.
"""
