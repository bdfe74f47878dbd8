"""Rewrites of an ONNX graph that keep what it computes, for converters
that read only some forms of it (onnx2tf, MXNet's importer, OpenCV's).
Runs wherever the onnx package is (the converters' venvs).
"""

from dli_models import common


def graph_constants(graph) -> dict:
    """The values of the graph's initializers and Constant nodes by name."""
    from onnx import numpy_helper
    constants = {tensor.name: numpy_helper.to_array(tensor)
                 for tensor in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute[0].name == "value":
            constants[node.output[0]] = numpy_helper.to_array(
                node.attribute[0].t)
    return constants


def axes_as_attribute(node, constants: dict) -> None:
    """Unsqueeze and Squeeze with their constant axes operand (opset 13 on)
    as the `axes` attribute of opsets up to 12."""
    from onnx import helper
    if node.op_type in ("Unsqueeze", "Squeeze") and len(node.input) > 1:
        if node.input[1] not in constants:
            raise common.StepError(f"{node.op_type} node {node.name!r} has "
                                   "computed axes; opset 12 needs them "
                                   "constant")
        axes = [int(axis) for axis in constants[node.input[1]].ravel()]
        del node.input[1:]
        node.attribute.append(helper.make_attribute("axes", axes))


def fixed_sizes(model):
    """The graph with the sizes it fixes as constants, as onnx2tf's default
    onnxsim pass would give them (onnxsim is not installed here): torch's
    exporter computes every size() call at run time (Shape, Gather,
    Unsqueeze, Concat), and onnx2tf cannot place a tensor whose sizes it
    does not know (it turned BERT's [batch, 128, 256] activations into
    [batch, 256, 128]). A Gather of a Shape whose sizes ONNX shape inference
    finds fixed becomes a Constant; a Reshape target of constants and one
    size known only at run time (the batch) gets -1 there; constants and
    what is computed from them alone (Unsqueeze, Slice) become
    initializers."""
    import numpy
    from onnx import helper, numpy_helper, shape_inference
    graph = model.graph

    def constants() -> dict:
        values = graph_constants(graph)
        for node in graph.node:  # in topological order
            if (node.op_type == "Unsqueeze" and node.input[0] in values
                    and len(node.input) > 1 and node.input[1] in values):
                value = values[node.input[0]]
                for axis in sorted(int(a) for a in values[node.input[1]].ravel()):
                    value = numpy.expand_dims(value, axis)
                values[node.output[0]] = value
            elif (node.op_type == "Slice" and len(node.input) >= 3
                  and all(name in values for name in node.input if name)):
                data, starts, ends = (values[name] for name in node.input[:3])
                axes, steps = (values[node.input[index]].ravel()
                               if len(node.input) > index and node.input[index]
                               else None for index in (3, 4))
                index = [slice(None)] * data.ndim
                for position, axis in enumerate(
                        range(len(starts)) if axes is None else axes):
                    index[int(axis)] = slice(
                        int(starts[position]), int(ends[position]),
                        1 if steps is None else int(steps[position]))
                values[node.output[0]] = data[tuple(index)]
        return values

    folded = True
    while folded:
        folded = False
        inferred = shape_inference.infer_shapes(model, data_prop=True).graph
        sizes = {info.name: [dim.dim_value if dim.HasField("dim_value")
                             else 0 for dim in info.type.tensor_type.shape.dim]
                 for info in list(inferred.value_info) + list(inferred.input)}
        values = constants()
        shape_of = {node.output[0]: node.input[0] for node in graph.node
                    if node.op_type == "Shape" and not node.attribute}
        for node in graph.node:
            if (node.op_type != "Gather" or node.input[0] not in shape_of
                    or node.input[1] not in values):
                continue
            indices = values[node.input[1]]
            known = sizes.get(shape_of[node.input[0]], [])
            gathered = [known[int(index)] if int(index) < len(known) else 0
                        for index in indices.ravel()]
            if gathered and all(gathered):
                node.CopyFrom(helper.make_node(
                    "Constant", [], list(node.output), name=node.name,
                    value=numpy_helper.from_array(numpy.asarray(
                        gathered, numpy.int64).reshape(indices.shape))))
                folded = True
    values = constants()
    producers = {output: node for node in graph.node for output in node.output}
    for node in [node for node in graph.node if node.op_type == "Reshape"]:
        target = producers.get(node.input[1])
        if target is None or target.op_type != "Concat":
            continue
        computed = [name for name in target.input if name not in values]
        if len(computed) != 1 or sizes.get(computed[0]) != [1] or any(
                (values[name] <= 0).any() for name in target.input
                if name in values):
            continue
        shape = numpy.concatenate([
            numpy.asarray([-1]) if name in computed else values[name].ravel()
            for name in target.input]).astype(numpy.int64)
        name = f"{node.input[1]}_fixed"
        graph.node.insert(0, helper.make_node(
            "Constant", [], [name], value=numpy_helper.from_array(shape)))
        node.input[1] = name
    # Constants (Constant nodes, Unsqueeze and Slice of constants: BERT's
    # position ids) become initializers, where onnx2tf's patterns and
    # MXNet's importer look for them (MXNet 1.9 turns a Slice's end that
    # reaches the first input's size into NaN).
    values = constants()
    for node in [node for node in graph.node if node.output[0] in values
                 and node.op_type in ("Constant", "Unsqueeze", "Slice")]:
        graph.initializer.append(numpy_helper.from_array(
            numpy.asarray(values[node.output[0]]), node.output[0]))
        graph.node.remove(node)
    used = {name for node in graph.node for name in node.input} | {
        output.name for output in graph.output}
    for node in [node for node in graph.node
                 if node.op_type == "Shape" and node.output[0] not in used]:
        graph.node.remove(node)
    return model
