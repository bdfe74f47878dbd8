#include "saved_model_proto.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace dli::tensorflow {
namespace {

// Field numbers of TensorFlow's messages (tensorflow/core/protobuf/
// meta_graph.proto and config.proto).
constexpr uint32_t kMetaGraphSignatureDef = 5;  // map<string, SignatureDef>
constexpr uint32_t kMapKey = 1;
constexpr uint32_t kMapValue = 2;
constexpr uint32_t kSignatureInputs = 1;   // map<string, TensorInfo>
constexpr uint32_t kSignatureOutputs = 2;  // map<string, TensorInfo>
constexpr uint32_t kTensorInfoName = 1;    // string "op:index"
constexpr uint32_t kConfigIntraOpThreads = 2;
constexpr uint32_t kConfigInterOpThreads = 5;

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Reads the fields of one serialized message in order.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : rest_(bytes) {}

  // Advances to the next field; false at the end of the message.
  bool Next() {
    if (rest_.empty()) return false;
    const uint64_t tag = Varint();
    field_ = static_cast<uint32_t>(tag >> 3);
    wire_type_ = static_cast<uint32_t>(tag & 7);
    return true;
  }
  uint32_t field() const { return field_; }
  uint32_t wire_type() const { return wire_type_; }

  std::string_view LengthDelimited() {
    const uint64_t size = Varint();
    if (size > rest_.size()) Fail();
    const std::string_view value = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return value;
  }

  void Skip() {
    switch (wire_type_) {
      case kVarint:
        Varint();
        break;
      case kFixed64:
        Take(8);
        break;
      case kLengthDelimited:
        LengthDelimited();
        break;
      case kFixed32:
        Take(4);
        break;
      default:
        Fail();  // groups are not used by TensorFlow's messages
    }
  }

 private:
  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) Fail();
      const auto byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    Fail();
  }
  void Take(size_t n) {
    if (n > rest_.size()) Fail();
    rest_.remove_prefix(n);
  }
  [[noreturn]] static void Fail() {
    throw std::runtime_error("the SavedModel's MetaGraphDef is not valid protocol-buffer data");
  }

  std::string_view rest_;
  uint32_t field_ = 0;
  uint32_t wire_type_ = 0;
};

// Calls on_entry(key, value) for each entry of a map field, given the bytes
// of one map entry message.
template <typename OnEntry>
void ReadMapEntry(std::string_view entry, OnEntry&& on_entry) {
  std::string_view key, value;
  WireReader reader(entry);
  while (reader.Next()) {
    if (reader.wire_type() != kLengthDelimited) {
      reader.Skip();
    } else if (reader.field() == kMapKey) {
      key = reader.LengthDelimited();
    } else if (reader.field() == kMapValue) {
      value = reader.LengthDelimited();
    } else {
      reader.Skip();
    }
  }
  on_entry(key, value);
}

std::string TensorInfoName(std::string_view tensor_info) {
  WireReader reader(tensor_info);
  while (reader.Next()) {
    if (reader.field() == kTensorInfoName && reader.wire_type() == kLengthDelimited)
      return std::string(reader.LengthDelimited());
    reader.Skip();
  }
  return "";
}

SignatureTensors ReadSignature(std::string_view signature_def) {
  SignatureTensors tensors;
  WireReader reader(signature_def);
  while (reader.Next()) {
    const bool is_input = reader.field() == kSignatureInputs;
    const bool is_output = reader.field() == kSignatureOutputs;
    if (reader.wire_type() != kLengthDelimited || (!is_input && !is_output)) {
      reader.Skip();
      continue;
    }
    ReadMapEntry(reader.LengthDelimited(), [&](std::string_view key, std::string_view info) {
      (is_input ? tensors.inputs : tensors.outputs)
          .emplace_back(std::string(key), TensorInfoName(info));
    });
  }
  return tensors;
}

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void AppendIntField(std::string& out, uint32_t field, int value) {
  if (value == 0) return;
  AppendVarint(out, (static_cast<uint64_t>(field) << 3) | kVarint);
  AppendVarint(out, static_cast<uint64_t>(value));
}

std::string Join(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

}  // namespace

SignatureTensors FindSignature(const void* meta_graph_def, size_t size, const std::string& key) {
  WireReader reader(std::string_view(static_cast<const char*>(meta_graph_def), size));
  std::vector<std::string> available;
  bool found = false;
  SignatureTensors result;
  while (reader.Next()) {
    if (reader.field() != kMetaGraphSignatureDef || reader.wire_type() != kLengthDelimited) {
      reader.Skip();
      continue;
    }
    ReadMapEntry(reader.LengthDelimited(), [&](std::string_view name, std::string_view signature) {
      available.emplace_back(name);
      if (name == key) {
        result = ReadSignature(signature);
        found = true;
      }
    });
  }
  // Protocol buffers serialize map entries in no fixed order.
  std::sort(result.inputs.begin(), result.inputs.end());
  std::sort(result.outputs.begin(), result.outputs.end());
  std::sort(available.begin(), available.end());
  if (!found)
    throw std::runtime_error("the SavedModel has no signature '" + key + "' (it has: " +
                             (available.empty() ? std::string("none") : Join(available)) +
                             "); choose one with --param signature=NAME");
  return result;
}

std::string SessionConfigProto(int intra_op_threads, int inter_op_threads) {
  std::string bytes;
  AppendIntField(bytes, kConfigIntraOpThreads, intra_op_threads);
  AppendIntField(bytes, kConfigInterOpThreads, inter_op_threads);
  return bytes;
}

std::pair<std::string, int> SplitTensorName(const std::string& tensor_name) {
  const size_t colon = tensor_name.rfind(':');
  if (colon == std::string::npos) return {tensor_name, 0};
  const std::string index = tensor_name.substr(colon + 1);
  if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos)
    return {tensor_name, 0};
  return {tensor_name.substr(0, colon), std::stoi(index)};
}

}  // namespace dli::tensorflow
