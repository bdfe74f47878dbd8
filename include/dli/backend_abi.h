/*
 * DLI backend ABI.
 *
 * Every framework backend is a shared library (libdli_backend_<name>.so) that
 * exports one C function, dli_backend_get(), returning a table of plain C
 * function pointers. Only C types cross this boundary: the OpenVINO wheel is
 * built with a different libstdc++ ABI flag than Debian's OpenCV and LibTorch,
 * so no std:: type may be passed between the core and a backend.
 *
 * Error convention: every call that can fail returns DLI_OK (0) on success;
 * otherwise it writes a one-line, user-readable message into the caller's
 * buffer `err` (at most `err_size` bytes, NUL-terminated) and returns
 * DLI_ERROR. Backends translate every framework error (C++ exceptions,
 * TF_Status, MXNet return codes, Python exceptions) into such a message.
 *
 * Lifetime: strings and arrays returned by a backend stay valid until the
 * library is unloaded. Data handed to a backend (spec strings, input batches)
 * stays valid until close() of the session that received it.
 *
 * Timing boundary: the core times only infer(). Everything a framework needs
 * to do before a request (binding the next ring-buffer batch) happens in
 * bind(), which is not timed.
 *
 * Throughput mode (since ABI version 3): a backend may expose its own way of
 * keeping several requests in flight on one session through the optional
 * request calls at the end of dli_backend. With them NULL, the core opens one
 * session per request and drives each from a thread of its own.
 *
 * Inputs and outputs (since ABI version 4): a model has any number of named
 * inputs and outputs, each with its own dtype. Input i of ring-buffer batch b
 * is batches[b * n_inputs + i]; output j is read by index, as float32.
 * Dimensions the model file leaves open (other than the batch) come from the
 * spec's `shapes`; a backend that cannot resolve one fails open() naming the
 * input and the dimension.
 */
#ifndef DLI_BACKEND_ABI_H
#define DLI_BACKEND_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLI_BACKEND_ABI_VERSION 4u
#define DLI_BACKEND_ENTRY_SYMBOL "dli_backend_get"
#define DLI_MAX_RANK 8

enum { DLI_OK = 0, DLI_ERROR = 1 };

/* Element types. Sizes: F32, I32 4 bytes; I64 8; F16 2 (IEEE half, as the
 * bits); U8, I8, BOOL 1 (BOOL: 0 or 1). */
typedef enum dli_dtype {
  DLI_DTYPE_F32 = 0,
  DLI_DTYPE_U8 = 1,
  DLI_DTYPE_I8 = 2,
  DLI_DTYPE_F16 = 3,
  DLI_DTYPE_I32 = 4,
  DLI_DTYPE_I64 = 5,
  DLI_DTYPE_BOOL = 6
} dli_dtype;

typedef enum dli_layout {
  DLI_LAYOUT_NCHW = 0,
  DLI_LAYOUT_NHWC = 1,
  DLI_LAYOUT_OTHER = 2
} dli_layout;

/* A tunable framework parameter, shown by `dli info`. The core and the SDK
 * both check a value against it with dli/param_check.h, which defines the
 * types; an empty value always means "not set" (default_value applies). */
typedef struct dli_param_info {
  const char* name;          /* e.g. "threads" */
  const char* type;          /* "int", "bool", "string" or "choice" */
  const char* default_value; /* as text; "" means "the framework's default" */
  const char* choices;       /* for "choice": values separated by '|'; else NULL */
  const char* help;          /* one line */
  /* For "int": the smallest and largest value accepted, as decimal text;
   * NULL (or "") leaves that side open. Since ABI version 2. */
  const char* min_value;
  const char* max_value;
} dli_param_info;

typedef struct dli_kv {
  const char* key;
  const char* value;
} dli_kv;

/* The full shape of one input, batch dimension included (dims[0] always
 * equals spec.batch), for models whose file leaves dimensions open. The core
 * resolves it from the model description or the user's --shape. */
typedef struct dli_input_shape {
  const char* name;
  int32_t rank;
  int64_t dims[DLI_MAX_RANK];
} dli_input_shape;

/* What to load and how: one test point without its batches. */
typedef struct dli_model_spec {
  const char* model_path;   /* the model file (.xml, .onnx, .pt, ...) */
  const char* weights_path; /* second file where the format has one, else NULL */
  const char* device;       /* e.g. "CPU" */
  const char* precision;    /* e.g. "FP32", "FP16", "INT8" */
  int32_t batch;            /* >= 1 */
  /* 0 in latency mode; in throughput mode the number of requests the core
   * will keep in flight (so a framework can size its streams or pools). */
  int32_t requests;
  const dli_kv* params; /* validated against the backend's dli_param_info */
  size_t n_params;
  /* Shapes of the inputs with open dimensions (any subset, by name; may be
   * empty). A name the model does not have fails open(). */
  const dli_input_shape* shapes;
  size_t n_shapes;
} dli_model_spec;

typedef struct dli_tensor_info {
  char name[128];
  dli_dtype dtype;
  dli_layout layout;
  int32_t rank;
  int64_t shape[DLI_MAX_RANK]; /* resolved: batch = spec.batch, no open dims */
} dli_tensor_info;

typedef struct dli_session dli_session; /* opaque, owned by the backend */

typedef struct dli_backend {
  uint32_t abi_version;      /* DLI_BACKEND_ABI_VERSION */
  const char* name;          /* id used on the command line, e.g. "openvino" */
  const char* display_name;  /* e.g. "OpenVINO" */
  const char* model_formats; /* e.g. "OpenVINO IR (.xml + .bin), ONNX (.onnx)" */

  /* DLI_OK when the framework runtime can be used here; otherwise why not. */
  int (*probe)(char* err, size_t err_size);
  /* Valid after a successful probe. */
  const char* (*framework_version)(void);
  const char* (*devices)(void);    /* comma-separated, e.g. "CPU" */
  const char* (*precisions)(void); /* comma-separated, e.g. "FP32,FP16,INT8" */
  /* Free-form notes for `dli info` (e.g. a bridge's measured per-call
   * overhead); may return "". */
  const char* (*notes)(void);

  const dli_param_info* params;
  size_t n_params;

  /* Load (and compile) the model. Timed by the core as load time. */
  int (*open)(const dli_model_spec* spec, dli_session** out, char* err, size_t err_size);
  /* How many inputs and outputs the open model has (each >= 1), fixed for
   * the session's life. */
  int (*io_counts)(dli_session* s, size_t* n_inputs, size_t* n_outputs, char* err,
                   size_t err_size);
  /* Input or output `index` (< its count), in the model's own order. */
  int (*input_info)(dli_session* s, size_t index, dli_tensor_info* out, char* err,
                    size_t err_size);
  int (*output_info)(dli_session* s, size_t index, dli_tensor_info* out, char* err,
                     size_t err_size);
  /* All ring-buffer batches (n_batches >= 1): batches[b * n_inputs + i] is
   * input i of batch b, in input_info(i)'s dtype and layout, exactly that
   * input's size in bytes. The backend may wrap them in framework tensors
   * here. */
  int (*set_inputs)(dli_session* s, const void* const* batches, size_t n_batches, char* err,
                    size_t err_size);
  /* Make batch `index` (< n_batches) the input of the next infer(). Not
   * timed. */
  int (*bind)(dli_session* s, size_t index, char* err, size_t err_size);
  /* One synchronous forward pass, after a bind(). The only call inside the
   * timer. */
  int (*infer)(dli_session* s, char* err, size_t err_size);
  /* Copy output `index` of the infer() since the last bind(), converted to
   * float32, into dst (n_values = product of output_info(index)'s shape).
   * Calls out of this order, or with other sizes, fail with an error. */
  int (*read_output)(dli_session* s, size_t index, float* dst, size_t n_values, char* err,
                     size_t err_size);
  void (*close)(dli_session* s);

  /* ---- Request slots for throughput mode (optional) ----
   *
   * The most requests one session (or, without the calls below, one process
   * of sessions) can keep in flight; 0 = no limit of the backend's own. */
  size_t max_requests;
  /* Either all of open_requests and bind_request plus infer_request and/or
   * the pair start_request + wait_request are set, or all are NULL.
   *
   * open_requests: after set_inputs(), makes `n` request slots (0..n-1)
   * sharing the session's model; replaces earlier slots. bind_request: makes
   * batch `index` the input of the idle `slot` (not timed). The caller binds,
   * starts or infers only on an idle slot, and never calls the latency-mode
   * bind/infer/read_output while slots exist. */
  int (*open_requests)(dli_session* s, size_t n, char* err, size_t err_size);
  int (*bind_request)(dli_session* s, size_t slot, size_t index, char* err, size_t err_size);
  /* A synchronous forward pass on `slot`; thread-safe: the core calls it for
   * distinct slots from several threads at once (one per slot). */
  int (*infer_request)(dli_session* s, size_t slot, char* err, size_t err_size);
  /* Asynchronous pair, called from one thread: start_request starts the
   * slot's request and returns at once; wait_request blocks until one
   * started request has finished and writes its slot to *slot (each started
   * request is reported exactly once). When that request failed, it returns
   * DLI_ERROR with *slot set; when the call itself fails, *slot is
   * (size_t)-1. The core prefers this pair to infer_request. */
  int (*start_request)(dli_session* s, size_t slot, char* err, size_t err_size);
  int (*wait_request)(dli_session* s, size_t* slot, char* err, size_t err_size);
} dli_backend;

typedef const dli_backend* (*dli_backend_get_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* DLI_BACKEND_ABI_H */
