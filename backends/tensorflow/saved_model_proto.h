// The two protocol-buffer messages the TensorFlow backend exchanges with the
// C API, handled at the wire-format level: the C API takes the session
// config as serialized ConfigProto bytes and returns the SavedModel's
// MetaGraphDef serialized. Linking TensorFlow's generated C++ protobuf code
// would tie the backend to the wheel's internal protobuf build; the few fields
// needed here (numbers checked against the wheel's own descriptors, see
// docs/backends/tensorflow.md) are simple to read and write by hand.
#ifndef DLI_BACKENDS_TENSORFLOW_SAVED_MODEL_PROTO_H
#define DLI_BACKENDS_TENSORFLOW_SAVED_MODEL_PROTO_H

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace dli::tensorflow {

// A signature's tensors as (signature key, graph tensor name "op:index"),
// sorted by key.
struct SignatureTensors {
  std::vector<std::pair<std::string, std::string>> inputs;
  std::vector<std::pair<std::string, std::string>> outputs;
};

// Finds signature `key` in a serialized MetaGraphDef. Throws
// std::runtime_error naming the signatures present when it is missing, or
// when the bytes are not a MetaGraphDef.
SignatureTensors FindSignature(const void* meta_graph_def, size_t size, const std::string& key);

// A serialized ConfigProto with intra_op_parallelism_threads and
// inter_op_parallelism_threads; 0 leaves a field to TensorFlow's default.
std::string SessionConfigProto(int intra_op_threads, int inter_op_threads);

// Splits "op:1" into ("op", 1); "op" alone is output 0.
std::pair<std::string, int> SplitTensorName(const std::string& tensor_name);

}  // namespace dli::tensorflow

#endif  // DLI_BACKENDS_TENSORFLOW_SAVED_MODEL_PROTO_H
