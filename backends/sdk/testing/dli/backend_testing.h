// Test helpers for backends: load a built backend through its C ABI
// exactly as the core does, run one batch, read the reference data that
// model preparation writes (.npy files, model.json), and the checks every
// backend's gtest shares (the tiny test network, bad input, MobileNetV2
// against the PyTorch reference). Header-only; dli_add_backend_test
// (cmake/DliBackendTest.cmake) builds a backend's gtest with it and sets the
// environment it reads (DLI_TEST_BACKEND, DLI_TEST_TINY_DIR, DLI_MODELS_DIR).
#ifndef DLI_BACKEND_TESTING_H
#define DLI_BACKEND_TESTING_H

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dli/backend_abi.h"
#include "dli/model_spec.h"
#include "dli/param_check.h"

namespace dli::testing {

// A float32 array read from a .npy file (C order, little endian).
struct FloatArray {
  std::vector<int64_t> shape;
  std::vector<float> values;

  size_t Rows() const { return shape.empty() ? 0 : static_cast<size_t>(shape[0]); }
  size_t RowSize() const { return Rows() == 0 ? 0 : values.size() / Rows(); }
  // Rows [first, first + count) as one contiguous block.
  std::vector<float> Slice(size_t first, size_t count) const {
    const auto begin = values.begin() + static_cast<ptrdiff_t>(first * RowSize());
    return {begin, begin + static_cast<ptrdiff_t>(count * RowSize())};
  }
};

// An array of any dtype read from a .npy file (C order, little endian):
// numpy's type code ("<f4", "<i8", "|u1", ...) and the raw bytes.
struct NpyArray {
  std::vector<int64_t> shape;
  std::string descr;
  std::vector<unsigned char> bytes;

  size_t Rows() const { return shape.empty() ? 0 : static_cast<size_t>(shape[0]); }
  // Rows [first, first + count) as one contiguous block of bytes.
  std::vector<unsigned char> Slice(size_t first, size_t count) const {
    const size_t row_bytes = Rows() == 0 ? 0 : bytes.size() / Rows();
    const auto begin = bytes.begin() + static_cast<ptrdiff_t>(first * row_bytes);
    return {begin, begin + static_cast<ptrdiff_t>(count * row_bytes)};
  }
};

// Reads a .npy file written by numpy.save of an array of a fixed-size dtype.
inline NpyArray ReadNpyBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[8];
  in.read(magic, 8);
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw std::runtime_error(path + " is not a .npy file");
  uint32_t header_size = 0;
  if (magic[6] == 1) {
    uint16_t size16 = 0;
    in.read(reinterpret_cast<char*>(&size16), 2);
    header_size = size16;
  } else {
    in.read(reinterpret_cast<char*>(&header_size), 4);
  }
  std::string header(header_size, '\0');
  in.read(header.data(), header_size);
  if (header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error(path + ": expected a C-order array");
  NpyArray array;
  const size_t descr = header.find('\'', header.find("'descr'") + 7);
  array.descr = header.substr(descr + 1, header.find('\'', descr + 1) - descr - 1);
  const size_t item_size =
      array.descr.size() < 3 ? 0 : std::strtoul(array.descr.c_str() + 2, nullptr, 10);
  if (array.descr[0] == '>' || item_size == 0)
    throw std::runtime_error(path + ": unsupported dtype " + array.descr);
  const size_t open = header.find('(', header.find("'shape'"));
  const size_t close = header.find(')', open);
  std::string dims = header.substr(open + 1, close - open - 1);
  size_t count = 1;
  for (char* cursor = dims.data(); *cursor != '\0';) {
    char* end = nullptr;
    const long long dim = std::strtoll(cursor, &end, 10);
    if (end == cursor) {
      ++cursor;
      continue;
    }
    array.shape.push_back(dim);
    count *= static_cast<size_t>(dim);
    cursor = end;
  }
  array.bytes.resize(count * item_size);
  in.read(reinterpret_cast<char*>(array.bytes.data()),
          static_cast<std::streamsize>(array.bytes.size()));
  if (!in) throw std::runtime_error(path + " is shorter than its header says");
  return array;
}

// Reads a .npy file written by numpy.save of a float32 array.
inline FloatArray ReadNpy(const std::string& path) {
  const NpyArray raw = ReadNpyBytes(path);
  if (raw.descr != "<f4") throw std::runtime_error(path + ": expected a float32 array");
  FloatArray array;
  array.shape = raw.shape;
  array.values.resize(raw.bytes.size() / sizeof(float));
  std::memcpy(array.values.data(), raw.bytes.data(), raw.bytes.size());
  return array;
}

// NCHW -> NHWC for `n` images of c x h x w values.
inline std::vector<float> NchwToNhwc(const std::vector<float>& nchw, size_t n, size_t c, size_t h,
                                     size_t w) {
  std::vector<float> nhwc(nchw.size());
  for (size_t b = 0; b < n; ++b)
    for (size_t ch = 0; ch < c; ++ch)
      for (size_t y = 0; y < h; ++y)
        for (size_t x = 0; x < w; ++x)
          nhwc[((b * h + y) * w + x) * c + ch] = nchw[((b * c + ch) * h + y) * w + x];
  return nhwc;
}

inline size_t ArgMax(const float* values, size_t n) {
  return static_cast<size_t>(std::max_element(values, values + n) - values);
}

inline float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float largest = 0;
  for (size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::fabs(a[i] - b[i]));
  return largest;
}

// A model format registered in models/<model>/model.json.
struct PreparedFormat {
  std::string path, weights, layout;
  std::filesystem::path model_dir;
};

// The first format entry of models_dir/model/model.json that lists
// `framework` at `precision` (the rule `dli bench` uses), or nullopt when the
// model has not been prepared for it.
inline std::optional<PreparedFormat> FindPreparedFormat(const std::filesystem::path& models_dir,
                                                        const std::string& model,
                                                        const std::string& framework,
                                                        const std::string& precision) {
  const std::filesystem::path dir = models_dir / model;
  std::ifstream in(dir / "model.json");
  if (!in) return std::nullopt;
  const nlohmann::json meta = nlohmann::json::parse(in);
  for (const auto& entry : meta.value("formats", nlohmann::json::array())) {
    const auto frameworks = entry.value("frameworks", std::vector<std::string>{});
    if (entry.value("precision", "") != precision ||
        std::find(frameworks.begin(), frameworks.end(), framework) == frameworks.end())
      continue;
    PreparedFormat format;
    format.model_dir = dir;
    format.path = (dir / entry.at("path").get<std::string>()).string();
    if (entry.contains("weights"))
      format.weights = (dir / entry["weights"].get<std::string>()).string();
    format.layout = entry.value("layout", "NCHW");
    if (!std::filesystem::exists(format.path)) return std::nullopt;
    return format;
  }
  return std::nullopt;
}

// A backend library loaded with dlopen, as the core loads it.
class LoadedBackend {
 public:
  explicit LoadedBackend(const std::string& library_path) {
    handle_ = dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error(dlerror());
    auto get = reinterpret_cast<dli_backend_get_fn>(dlsym(handle_, DLI_BACKEND_ENTRY_SYMBOL));
    if (get == nullptr) throw std::runtime_error(library_path + " has no dli_backend_get");
    api_ = get();
    if (api_ == nullptr || api_->abi_version != DLI_BACKEND_ABI_VERSION)
      throw std::runtime_error(library_path + " was built for another backend ABI version");
  }
  // Backends stay loaded: frameworks rarely survive dlclose.
  LoadedBackend(const LoadedBackend&) = delete;
  LoadedBackend& operator=(const LoadedBackend&) = delete;

  const dli_backend& api() const { return *api_; }

 private:
  void* handle_ = nullptr;
  const dli_backend* api_ = nullptr;
};

// What to open: dli_model_spec with owned strings.
struct OpenRequest {
  std::string model_path, weights_path;
  std::string device = "CPU", precision = "FP32";
  int batch = 1;
  int requests = 0;  // > 0 opens the session for throughput mode
  std::vector<std::pair<std::string, std::string>> params;
  // Full shapes (batch first) of inputs with open dimensions, by name.
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
};

inline size_t ElementCount(const dli_tensor_info& t) {
  size_t n = 1;
  for (int i = 0; i < t.rank; ++i) n *= static_cast<size_t>(t.shape[i]);
  return n;
}

// Bytes of one batch of `t` (dli_dtype sizes, backend_abi.h).
inline size_t ByteSize(const dli_tensor_info& t) {
  switch (t.dtype) {
    case DLI_DTYPE_F32:
    case DLI_DTYPE_I32:
      return 4 * ElementCount(t);
    case DLI_DTYPE_I64:
      return 8 * ElementCount(t);
    case DLI_DTYPE_F16:
      return 2 * ElementCount(t);
    default:
      return ElementCount(t);
  }
}

// One open session; errors come back as text so that tests can check them.
class BackendSession {
 public:
  BackendSession(const dli_backend& api, const OpenRequest& request) : api_(api) {
    const ModelSpec spec(request);
    if (api_.open(spec.get(), &session_, err_, sizeof(err_)) != DLI_OK) {
      session_ = nullptr;
      error_ = err_;
    }
  }
  ~BackendSession() {
    if (session_ != nullptr) api_.close(session_);
  }
  BackendSession(const BackendSession&) = delete;
  BackendSession& operator=(const BackendSession&) = delete;

  bool ok() const { return session_ != nullptr; }
  // The open session, for tests that call the C ABI directly (e.g. timing
  // infer() alone).
  dli_session* handle() const { return session_; }
  // The message of the last failed call ("" when none failed).
  const std::string& error() const { return error_; }

  // Every input or output in the model's order (io_counts, then
  // input_info/output_info for each).
  std::vector<dli_tensor_info> Inputs() { return Infos(api_.input_info, true); }
  std::vector<dli_tensor_info> Outputs() { return Infos(api_.output_info, false); }
  // The first input or output (the only one of an image model).
  dli_tensor_info Input() { return Inputs().at(0); }
  dli_tensor_info Output() { return Outputs().at(0); }

  // The single ABI calls; false with error() set when they fail.
  // `batches[b * n_inputs + i]` is input i of batch b.
  bool SetInputs(const std::vector<const void*>& batches) {
    size_t n_inputs = 0, n_outputs = 0;
    if (!Check(api_.io_counts(session_, &n_inputs, &n_outputs, err_, sizeof(err_)))) return false;
    return Check(api_.set_inputs(session_, batches.data(), batches.size() / n_inputs, err_,
                                 sizeof(err_)));
  }
  bool Bind(size_t index) { return Check(api_.bind(session_, index, err_, sizeof(err_))); }
  bool Infer() { return Check(api_.infer(session_, err_, sizeof(err_))); }
  bool ReadOutput(std::vector<float>& out, size_t index = 0) {
    return Check(api_.read_output(session_, index, out.data(), out.size(), err_, sizeof(err_)));
  }

  // For a one-input model: set_inputs with `batches`, then
  // bind/infer/read_output (output 0) on each of them in turn; returns the
  // outputs one after another, or nullopt on an error.
  std::optional<std::vector<float>> Run(const std::vector<std::vector<float>>& batches) {
    std::vector<const void*> pointers;
    for (const auto& batch : batches) pointers.push_back(batch.data());
    if (!SetInputs(pointers)) return std::nullopt;
    std::vector<float> outputs, one(ElementCount(Output()));
    for (size_t i = 0; i < batches.size(); ++i) {
      if (!Bind(i) || !Infer() || !ReadOutput(one)) return std::nullopt;
      outputs.insert(outputs.end(), one.begin(), one.end());
    }
    return outputs;
  }

  // One batch of every input (`inputs[i]` is input i, its exact bytes):
  // bind, infer and every output read as float32, or nullopt on an error.
  std::optional<std::vector<std::vector<float>>> RunOnce(const std::vector<const void*>& inputs) {
    if (!SetInputs(inputs) || !Bind(0) || !Infer()) return std::nullopt;
    std::vector<std::vector<float>> outputs;
    const std::vector<dli_tensor_info> described = Outputs();
    for (size_t j = 0; j < described.size(); ++j) {
      outputs.emplace_back(ElementCount(described[j]));
      if (!ReadOutput(outputs.back(), j)) return std::nullopt;
    }
    return outputs;
  }

 private:
  using InfoFn = int (*)(dli_session*, size_t, dli_tensor_info*, char*, size_t);
  std::vector<dli_tensor_info> Infos(InfoFn fn, bool inputs) {
    size_t n_inputs = 0, n_outputs = 0;
    if (!Check(api_.io_counts(session_, &n_inputs, &n_outputs, err_, sizeof(err_))))
      throw std::runtime_error("io_counts failed: " + error_);
    std::vector<dli_tensor_info> infos(inputs ? n_inputs : n_outputs);
    for (size_t i = 0; i < infos.size(); ++i)
      if (!Check(fn(session_, i, &infos[i], err_, sizeof(err_))))
        throw std::runtime_error("tensor info failed: " + error_);
    return infos;
  }
  bool Check(int status) {
    if (status == DLI_OK) return true;
    error_ = err_;
    return false;
  }

  const dli_backend& api_;
  dli_session* session_ = nullptr;
  char err_[2048] = {};
  std::string error_;
};

// Cuts `rows` (n x row_size values) into batches of `batch` rows; the rows
// must divide evenly.
inline std::vector<std::vector<float>> SplitBatches(const FloatArray& rows, size_t batch) {
  std::vector<std::vector<float>> batches;
  for (size_t first = 0; first + batch <= rows.Rows(); first += batch)
    batches.push_back(rows.Slice(first, batch));
  return batches;
}

// The value of environment variable `name`, set by the test's CMake
// registration; fails the test when missing.
inline std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    throw std::runtime_error(std::string("environment variable ") + name +
                             " is not set (run the test through ctest)");
  return value;
}

// The backend under test: the library named by DLI_TEST_BACKEND, loaded once
// per process.
inline const dli_backend& TestBackend() {
  static LoadedBackend backend(RequiredEnv("DLI_TEST_BACKEND"));
  return backend.api();
}

// The path of `name` in DLI_TEST_TINY_DIR, the folder that the backend's
// CTest fixtures fill with its test data.
inline std::string TinyFile(const std::string& name) {
  return RequiredEnv("DLI_TEST_TINY_DIR") + "/" + name;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// A request to open `file` of DLI_TEST_TINY_DIR.
inline OpenRequest TinyRequest(const std::string& file, int batch = 1, const Params& params = {}) {
  OpenRequest request;
  request.model_path = TinyFile(file);
  request.batch = batch;
  request.params = params;
  return request;
}

// probe() as an assertion: ASSERT_TRUE(ProbeSucceeds(api)) fails with the
// backend's message.
inline ::testing::AssertionResult ProbeSucceeds(const dli_backend& api) {
  char err[512] = {};
  if (api.probe(err, sizeof(err)) == DLI_OK) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "probe failed: " << err;
}

// The names of the backend's parameters in declaration order, each followed
// by a space.
inline std::string ParamNames(const dli_backend& api) {
  std::string names;
  for (size_t i = 0; i < api.n_params; ++i) names += std::string(api.params[i].name) + " ";
  return names;
}

// The message of an open() that must fail; a test failure when it opens.
inline std::string OpenError(const dli_backend& api, const OpenRequest& request) {
  BackendSession session(api, request);
  EXPECT_FALSE(session.ok()) << request.model_path << " opened";
  return session.error();
}

// A tiny test network in DLI_TEST_TINY_DIR, with a batch of 2 inputs and
// the outputs its reference framework computed for them. The defaults
// describe the network of backends/sdk/testing/make_tiny_models.py (3x32x32
// inputs, 10 outputs); the backends with a fixture script of their own
// (mxnet, pytorch, tensorflow) write 3x8x8 inputs and 5 outputs.
struct TinyModel {
  std::string model_file;                  // e.g. "tiny.onnx"
  dli_layout layout = DLI_LAYOUT_NCHW;     // of the model's input
  std::string input_file = "input.npy";    // the 2 inputs, in `layout`
  int64_t image_size = 32;                 // inputs of 3 x image_size x image_size
  int64_t classes = 10;                    // outputs per input
  std::optional<std::string> input_name;   // checked when set
  std::optional<std::string> output_name;  // checked when set
  std::string expected_file = "expected.npy";
  std::string precision = "FP32";
  dli_dtype output_dtype = DLI_DTYPE_F32;  // as the model file declares it

  OpenRequest Request(int batch, const Params& params = {}) const {
    OpenRequest request = TinyRequest(model_file, batch, params);
    request.precision = precision;
    return request;
  }
  std::vector<int64_t> InputShape(int64_t batch) const {
    return layout == DLI_LAYOUT_NHWC ? std::vector<int64_t>{batch, image_size, image_size, 3}
                                     : std::vector<int64_t>{batch, 3, image_size, image_size};
  }
  FloatArray Input() const { return ReadNpy(TinyFile(input_file)); }
  FloatArray Expected() const { return ReadNpy(TinyFile(expected_file)); }
};

// Runs both inputs at batch 1 and at batch 2, checks the tensor
// descriptions, and returns the largest difference from the expected
// outputs.
inline float TinyMaxDiff(const dli_backend& api, const TinyModel& tiny, const Params& params = {}) {
  const FloatArray input = tiny.Input();
  const FloatArray expected = tiny.Expected();
  float largest = 0;
  for (int batch : {1, 2}) {
    BackendSession session(api, tiny.Request(batch, params));
    EXPECT_TRUE(session.ok()) << session.error();
    if (!session.ok()) return INFINITY;
    const dli_tensor_info in = session.Input();
    if (tiny.input_name) EXPECT_STREQ(in.name, tiny.input_name->c_str());
    EXPECT_EQ(in.dtype, DLI_DTYPE_F32);
    EXPECT_EQ(in.layout, tiny.layout);
    EXPECT_EQ(std::vector<int64_t>(in.shape, in.shape + in.rank), tiny.InputShape(batch));
    const dli_tensor_info out = session.Output();
    if (tiny.output_name) EXPECT_STREQ(out.name, tiny.output_name->c_str());
    EXPECT_EQ(out.dtype, tiny.output_dtype);
    EXPECT_EQ(std::vector<int64_t>(out.shape, out.shape + out.rank),
              (std::vector<int64_t>{batch, tiny.classes}));
    const auto outputs = session.Run(SplitBatches(input, batch));
    EXPECT_TRUE(outputs.has_value()) << session.error();
    if (!outputs) return INFINITY;
    largest = std::max(largest, MaxAbsDiff(*outputs, expected.values));
  }
  return largest;
}

// Both inputs as one batch through `session` (opened at batch 2): the
// expected outputs within max_abs_diff.
inline void ExpectTinyOutputs(BackendSession& session, const TinyModel& tiny, float max_abs_diff) {
  const dli_tensor_info out = session.Output();
  EXPECT_EQ(std::vector<int64_t>(out.shape, out.shape + out.rank),
            (std::vector<int64_t>{2, tiny.classes}));
  const auto outputs = session.Run({tiny.Input().values});
  ASSERT_TRUE(outputs.has_value()) << session.error();
  EXPECT_LE(MaxAbsDiff(*outputs, tiny.Expected().values), max_abs_diff);
}

// A model file that does not record its input shape: open() without the
// input_shape parameter fails naming it, and with `params` (which give it)
// the model computes the expected outputs.
inline void ExpectInputShapeNeeded(const dli_backend& api, const TinyModel& tiny,
                                   const Params& params, float max_abs_diff) {
  const std::string no_shape = OpenError(api, tiny.Request(2));
  EXPECT_NE(no_shape.find("input_shape"), std::string::npos) << no_shape;
  BackendSession session(api, tiny.Request(2, params));
  ASSERT_TRUE(session.ok()) << session.error();
  ExpectTinyOutputs(session, tiny, max_abs_diff);
}

// A test model with several inputs and outputs in DLI_TEST_TINY_DIR: for
// each input a .npy file with two samples (rows) in the input's dtype, and
// for each output the float32 values its generator computed for them.
struct MultiIoModel {
  struct Tensor {
    std::string name;
    dli_dtype dtype;
    std::vector<int64_t> dims;  // without the batch dimension
    std::string file;           // .npy of 2 rows
    bool open = false;          // an input whose file leaves non-batch dims open
  };
  std::string model_file;
  std::vector<Tensor> inputs, outputs;

  // A request at `batch` giving the shapes of the open inputs.
  OpenRequest Request(int batch, const Params& params = {}) const {
    OpenRequest request = TinyRequest(model_file, batch, params);
    for (const Tensor& input : inputs) {
      if (!input.open) continue;
      std::vector<int64_t> shape{batch};
      shape.insert(shape.end(), input.dims.begin(), input.dims.end());
      request.shapes.emplace_back(input.name, shape);
    }
    return request;
  }
};

// Runs both samples at batch 1 and at batch 2 (at batch 1 as two
// ring-buffer batches bound in turn): every input and output is described in
// the model's order with its name, dtype and shape, and every output is
// within max_abs_diff of the expected values.
inline void ExpectMultiIoMatches(const dli_backend& api, const MultiIoModel& model,
                                 float max_abs_diff, const Params& params = {}) {
  std::vector<NpyArray> inputs;
  for (const auto& input : model.inputs) inputs.push_back(ReadNpyBytes(TinyFile(input.file)));
  const auto expect_described = [](const dli_tensor_info& info, const MultiIoModel::Tensor& tensor,
                                   int batch) {
    EXPECT_EQ(info.name, tensor.name);
    EXPECT_EQ(info.dtype, tensor.dtype) << tensor.name;
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), tensor.dims.begin(), tensor.dims.end());
    EXPECT_EQ(std::vector<int64_t>(info.shape, info.shape + info.rank), shape) << tensor.name;
  };
  for (int batch : {1, 2}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    BackendSession session(api, model.Request(batch, params));
    ASSERT_TRUE(session.ok()) << session.error();
    const std::vector<dli_tensor_info> described_inputs = session.Inputs();
    const std::vector<dli_tensor_info> described_outputs = session.Outputs();
    ASSERT_EQ(described_inputs.size(), model.inputs.size());
    ASSERT_EQ(described_outputs.size(), model.outputs.size());
    for (size_t i = 0; i < model.inputs.size(); ++i)
      expect_described(described_inputs[i], model.inputs[i], batch);
    for (size_t j = 0; j < model.outputs.size(); ++j)
      expect_described(described_outputs[j], model.outputs[j], batch);

    std::vector<std::vector<unsigned char>> slices;
    for (size_t first = 0; first + batch <= 2; first += batch)
      for (const NpyArray& input : inputs) slices.push_back(input.Slice(first, batch));
    std::vector<const void*> batches;
    for (const auto& slice : slices) batches.push_back(slice.data());
    ASSERT_TRUE(session.SetInputs(batches)) << session.error();
    std::vector<std::vector<float>> outputs(model.outputs.size());
    for (size_t b = 0; b < slices.size() / inputs.size(); ++b) {
      ASSERT_TRUE(session.Bind(b) && session.Infer()) << session.error();
      for (size_t j = 0; j < outputs.size(); ++j) {
        std::vector<float> one(ElementCount(described_outputs[j]));
        ASSERT_TRUE(session.ReadOutput(one, j)) << session.error();
        outputs[j].insert(outputs[j].end(), one.begin(), one.end());
      }
    }
    for (size_t j = 0; j < model.outputs.size(); ++j)
      EXPECT_LE(MaxAbsDiff(outputs[j], ReadNpy(TinyFile(model.outputs[j].file)).values),
                max_abs_diff)
          << model.outputs[j].name;
  }
}

// Three ring-buffer batches (input 1, input 0, input 1) bound in turn: each
// infer() must see the batch bound just before it.
inline void ExpectRingBufferBatchesBoundInTurn(const dli_backend& api, const TinyModel& tiny) {
  const FloatArray input = tiny.Input();
  const FloatArray expected = tiny.Expected();
  BackendSession session(api, tiny.Request(1));
  ASSERT_TRUE(session.ok()) << session.error();
  const auto outputs = session.Run({input.Slice(1, 1), input.Slice(0, 1), input.Slice(1, 1)});
  ASSERT_TRUE(outputs.has_value()) << session.error();
  std::vector<float> reference;
  for (size_t sample : {1, 0, 1})
    for (float value : expected.Slice(sample, 1)) reference.push_back(value);
  EXPECT_LE(MaxAbsDiff(*outputs, reference), 1e-4f);
}

// The reference check set of a prepared model (python/dli_models/common.py):
// the preprocessed sample photos (NCHW) and the PyTorch logits for them.
struct CheckSet {
  std::vector<std::string> names;
  FloatArray input;
  FloatArray logits;
};

inline std::optional<CheckSet> LoadCheckSet(const std::filesystem::path& model_dir) {
  const std::filesystem::path folder = model_dir / "reference";
  std::ifstream names_file(folder / "check_images.txt");
  if (!names_file) return std::nullopt;
  CheckSet set;
  for (std::string name; names_file >> name;) set.names.push_back(name);
  set.input = ReadNpy((folder / "check_input.npy").string());
  set.logits = ReadNpy((folder / "check_logits.npy").string());
  return set;
}

// The real-photo test every backend runs: the model prepared for
// `framework` on the check set in batches of `batch`, compared with the
// PyTorch logits (same top-1 for every photo, max |diff| <= max_abs_diff),
// and the tabby cat photo (chelsea.png) classified as a cat (ImageNet
// classes 281..285). Skips with the reason when the model is not prepared.
inline void ExpectAgreesWithCheckSet(const dli_backend& api, const std::string& framework,
                                     int batch, float max_abs_diff) {
  const std::filesystem::path models_dir = RequiredEnv("DLI_MODELS_DIR");
  const std::string model = "mobilenet_v2";
  const auto format = FindPreparedFormat(models_dir, model, framework, "FP32");
  const auto check_set = LoadCheckSet(models_dir / model);
  if (!format || !check_set)
    GTEST_SKIP() << (models_dir / model).string() << " is not prepared for " << framework
                 << " FP32: run `dli models prepare` (python/dli_models/prepare.py)";
  CheckSet set = *check_set;
  const auto& shape = set.input.shape;
  ASSERT_EQ(shape.size(), 4u);
  if (format->layout == "NHWC")
    set.input.values = NchwToNhwc(set.input.values, shape[0], shape[1], shape[2], shape[3]);

  OpenRequest request;
  request.model_path = format->path;
  request.weights_path = format->weights;
  request.batch = batch;
  BackendSession session(api, request);
  ASSERT_TRUE(session.ok()) << session.error();
  const dli_tensor_info input = session.Input();
  EXPECT_EQ(input.shape[0], batch);
  EXPECT_EQ(input.layout, format->layout == "NHWC" ? DLI_LAYOUT_NHWC : DLI_LAYOUT_NCHW);
  const auto outputs = session.Run(SplitBatches(set.input, static_cast<size_t>(batch)));
  ASSERT_TRUE(outputs.has_value()) << session.error();

  const size_t classes = set.logits.RowSize();
  const size_t photos = outputs->size() / classes;
  ASSERT_GE(photos, 2u);
  const std::vector<float> reference = set.logits.Slice(0, photos);
  for (size_t i = 0; i < photos; ++i) {
    const size_t top1 = ArgMax(outputs->data() + i * classes, classes);
    EXPECT_EQ(top1, ArgMax(reference.data() + i * classes, classes)) << set.names[i];
    if (set.names[i] == "chelsea.png") {
      EXPECT_GE(top1, 281u) << "tabby cat photo";
      EXPECT_LE(top1, 285u) << "tabby cat photo";
    }
  }
  const float largest_diff = MaxAbsDiff(*outputs, reference);
  std::printf("%s batch %d on %zu photos: max |logit diff| vs PyTorch = %.3g\n", framework.c_str(),
              batch, photos, largest_diff);
  EXPECT_LE(largest_diff, max_abs_diff);
  ASSERT_NE(std::find(set.names.begin(), set.names.begin() + photos, "chelsea.png"),
            set.names.begin() + photos)
      << "the check set no longer starts with the tabby cat photo";
}

// ExpectAgreesWithCheckSet at batch 1 and at batch 2.
inline void ExpectAgreesWithCheckSetAtBatch1And2(const dli_backend& api,
                                                 const std::string& framework, float max_abs_diff) {
  for (int batch : {1, 2}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    ExpectAgreesWithCheckSet(api, framework, batch, max_abs_diff);
  }
}

// Every parameter of the backend's table is well formed (a known type, a
// default that passes its own check, integer bounds only on "int"
// parameters) and enforced at open(): a value below an "int" parameter's
// minimum or above its maximum fails with the checker's message, and every
// parameter set to "" (meaning "not set") opens like `valid`.
inline void ExpectParamTableEnforced(const dli_backend& api, const OpenRequest& valid) {
  OpenRequest all_unset = valid;
  for (size_t i = 0; i < api.n_params; ++i) {
    const dli_param_info& param = api.params[i];
    SCOPED_TRACE(std::string("parameter ") + param.name);
    const std::string type = param.type;
    EXPECT_TRUE(type == "int" || type == "bool" || type == "string" || type == "choice") << type;
    EXPECT_EQ(param_check::Check(param, param.default_value ? param.default_value : ""), "");
    EXPECT_NE(param.help, nullptr);
    all_unset.params.emplace_back(param.name, "");
    const std::pair<const char*, int> bounds[] = {{param.min_value, -1}, {param.max_value, 1}};
    for (const auto& [bound, step] : bounds) {
      if (bound == nullptr || *bound == '\0') continue;
      EXPECT_EQ(type, "int") << "a bound on a " << type << " parameter";
      const std::optional<int> limit = param_check::ParseInt(bound);
      ASSERT_TRUE(limit.has_value()) << "bound '" << bound << "' is not an integer";
      OpenRequest outside = valid;
      outside.params.emplace_back(param.name, std::to_string(*limit + step));
      EXPECT_EQ(OpenError(api, outside), param_check::Check(param, outside.params.back().second));
    }
  }
  BackendSession session(api, all_unset);
  EXPECT_TRUE(session.ok()) << "every parameter set to \"\": " << session.error();
}

// The ring-buffer bookkeeping every backend gets from the SDK adapter, seen
// through the C ABI: calls out of order and batches or outputs of the wrong
// size fail with one-line errors, and a failed set_inputs() leaves nothing
// to bind.
inline void ExpectCallOrderAndSizesChecked(const dli_backend& api, const OpenRequest& valid) {
  BackendSession session(api, valid);
  ASSERT_TRUE(session.ok()) << session.error();
  // One batch of zeros for every input.
  std::vector<std::vector<unsigned char>> zeros;
  std::vector<const void*> one_batch;
  for (const dli_tensor_info& input : session.Inputs()) zeros.emplace_back(ByteSize(input));
  for (const auto& bytes : zeros) one_batch.push_back(bytes.data());
  std::vector<const void*> two_batches = one_batch;
  two_batches.insert(two_batches.end(), one_batch.begin(), one_batch.end());
  const std::vector<dli_tensor_info> outputs = session.Outputs();
  const dli_tensor_info output = outputs.at(0);
  const size_t output_values = ElementCount(output);
  std::vector<float> out(output_values);

  EXPECT_FALSE(session.Bind(0));
  EXPECT_EQ(session.error(), "batch index 0 is out of range; 0 batches were set");
  EXPECT_FALSE(session.Infer());
  EXPECT_EQ(session.error(), "infer() called before bind()");
  EXPECT_FALSE(session.ReadOutput(out));
  EXPECT_EQ(session.error(), "read_output() called before infer()");

  EXPECT_FALSE(session.SetInputs({}));
  EXPECT_EQ(session.error(), "set_inputs() got no batches");

  ASSERT_TRUE(session.SetInputs(two_batches)) << session.error();
  EXPECT_FALSE(session.Bind(2));
  EXPECT_EQ(session.error(), "batch index 2 is out of range; 2 batches were set");
  ASSERT_TRUE(session.Bind(1)) << session.error();
  EXPECT_FALSE(session.ReadOutput(out));
  EXPECT_EQ(session.error(), "read_output() called before infer()");
  ASSERT_TRUE(session.Infer()) << session.error();
  std::vector<float> short_out(output_values - 1);
  EXPECT_FALSE(session.ReadOutput(short_out));
  EXPECT_EQ(session.error(), "output '" + std::string(output.name) + "' has " +
                                 std::to_string(output_values) + " values; caller expected " +
                                 std::to_string(output_values - 1));
  EXPECT_FALSE(session.ReadOutput(out, outputs.size()));
  EXPECT_EQ(session.error(), "output " + std::to_string(outputs.size()) +
                                 " does not exist; the model has " +
                                 std::to_string(outputs.size()));
  EXPECT_TRUE(session.ReadOutput(out)) << session.error();

  // A failed set_inputs() forgets the batches set before it.
  EXPECT_FALSE(session.SetInputs({}));
  EXPECT_FALSE(session.Bind(0));
  EXPECT_EQ(session.error(), "batch index 0 is out of range; 0 batches were set");
  EXPECT_FALSE(session.Infer());
}

// The bad inputs every backend must reject with a clear message, given a
// request that opens fine: a missing model file, an unknown parameter, an
// unsupported precision and device, values outside the parameter table, and
// ring-buffer calls out of order or of the wrong size.
inline void ExpectCommonInputErrors(const dli_backend& api, const OpenRequest& valid) {
  OpenRequest missing = valid;
  missing.model_path = valid.model_path + ".missing";
  EXPECT_NE(OpenError(api, missing).find("not found"), std::string::npos);

  OpenRequest unknown_param = valid;
  unknown_param.params.emplace_back("no_such_knob", "1");
  EXPECT_NE(OpenError(api, unknown_param).find("unknown parameter 'no_such_knob'"),
            std::string::npos);

  // A precision no backend declares (FP16 and INT8 are real ones now).
  OpenRequest int4 = valid;
  int4.precision = "INT4";
  const std::string precision_error = OpenError(api, int4);
  EXPECT_NE(precision_error.find("INT4"), std::string::npos) << precision_error;
  EXPECT_NE(precision_error.find("FP32"), std::string::npos) << precision_error;

  OpenRequest gpu = valid;
  gpu.device = "GPU";
  EXPECT_NE(OpenError(api, gpu).find("CPU"), std::string::npos);

  ExpectParamTableEnforced(api, valid);
  ExpectCallOrderAndSizesChecked(api, valid);
}

// Throughput mode through the backend's own request calls: a session opened
// for `requests` requests in flight runs `total` requests (a multiple of
// `requests`) over two ring-buffer batches of zeros, with its asynchronous
// pair when it has one, else with a thread per slot around infer_request.
// Every request completes exactly once and the window is timed; the rate is
// printed.
inline void ExpectRequestsComplete(const dli_backend& api, OpenRequest request, size_t requests,
                                   size_t total) {
  ASSERT_NE(api.open_requests, nullptr) << api.name << " has no request calls";
  ASSERT_EQ(total % requests, 0u);
  request.requests = static_cast<int>(requests);
  BackendSession session(api, request);
  ASSERT_TRUE(session.ok()) << session.error();
  std::vector<std::vector<unsigned char>> zeros;
  for (const dli_tensor_info& input : session.Inputs()) zeros.emplace_back(ByteSize(input));
  std::vector<const void*> two_batches;
  for (int b = 0; b < 2; ++b)
    for (const auto& bytes : zeros) two_batches.push_back(bytes.data());
  ASSERT_TRUE(session.SetInputs(two_batches)) << session.error();
  char err[2048] = {};
  dli_session* s = session.handle();
  ASSERT_EQ(api.open_requests(s, requests, err, sizeof(err)), DLI_OK) << err;
  std::vector<size_t> per_slot(requests, 0);
  const auto start = std::chrono::steady_clock::now();
  size_t completed = 0;
  if (api.start_request != nullptr && api.wait_request != nullptr) {
    size_t started = 0;
    std::vector<bool> running(requests, false);
    for (size_t slot = 0; slot < requests; ++slot, ++started) {
      ASSERT_EQ(api.bind_request(s, slot, started % 2, err, sizeof(err)), DLI_OK) << err;
      ASSERT_EQ(api.start_request(s, slot, err, sizeof(err)), DLI_OK) << err;
      running[slot] = true;
    }
    while (completed < total) {
      size_t slot = 0;
      ASSERT_EQ(api.wait_request(s, &slot, err, sizeof(err)), DLI_OK) << err;
      ASSERT_LT(slot, requests);
      ASSERT_TRUE(running[slot]) << "slot " << slot << " reported twice";
      running[slot] = false;
      ++per_slot[slot];
      ++completed;
      if (started < total) {
        ASSERT_EQ(api.bind_request(s, slot, started % 2, err, sizeof(err)), DLI_OK) << err;
        ASSERT_EQ(api.start_request(s, slot, err, sizeof(err)), DLI_OK) << err;
        running[slot] = true;
        ++started;
      }
    }
  } else {
    ASSERT_NE(api.infer_request, nullptr);
    std::atomic<size_t> failures{0};
    std::vector<std::thread> threads;
    for (size_t slot = 0; slot < requests; ++slot)
      threads.emplace_back([&, slot] {
        char thread_err[2048] = {};
        for (size_t i = 0; i < total / requests; ++i) {
          if (api.bind_request(s, slot, i % 2, thread_err, sizeof(thread_err)) != DLI_OK ||
              api.infer_request(s, slot, thread_err, sizeof(thread_err)) != DLI_OK) {
            ++failures;
            return;
          }
          ++per_slot[slot];
        }
      });
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0u);
    for (size_t n : per_slot) completed += n;
  }
  const double window_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(completed, total);
  for (size_t slot = 0; slot < requests; ++slot) EXPECT_GT(per_slot[slot], 0u) << "slot " << slot;
  EXPECT_GT(window_s, 0);
  std::printf("%s: %zu requests on %zu slots in %.3f s: %.1f requests/s\n", api.name, completed,
              requests, window_s, completed / window_s);
}

// ExpectRequestsComplete on MobileNetV2 as prepared for `framework` (FP32,
// batch 1); skips with the reason when it is not prepared.
inline void ExpectRequestsCompleteOnMobileNetV2(const dli_backend& api,
                                                const std::string& framework, size_t requests,
                                                size_t total) {
  const std::filesystem::path models_dir = RequiredEnv("DLI_MODELS_DIR");
  const auto format = FindPreparedFormat(models_dir, "mobilenet_v2", framework, "FP32");
  if (!format) GTEST_SKIP() << "mobilenet_v2 is not prepared for " << framework << " FP32";
  OpenRequest request;
  request.model_path = format->path;
  request.weights_path = format->weights;
  ExpectRequestsComplete(api, request, requests, total);
}

}  // namespace dli::testing

#endif  // DLI_BACKEND_TESTING_H
