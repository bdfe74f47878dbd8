// Turns OpenVINO's multi-line exception text into the one-line messages of
// the backend ABI.
#ifndef DLI_BACKENDS_OPENVINO_OPENVINO_MESSAGES_H
#define DLI_BACKENDS_OPENVINO_OPENVINO_MESSAGES_H

#include <string>

namespace dli::openvino_backend {

// OpenVINO prefixes the real message with one "Exception from FILE:LINE:"
// line per layer it went through and "Check 'EXPR' failed at FILE:LINE:"
// lines. Those name OpenVINO's own sources, not the user's problem: drop
// them and keep the remaining lines, joined into one.
std::string CleanOpenVinoMessage(const std::string& what);

}  // namespace dli::openvino_backend

#endif  // DLI_BACKENDS_OPENVINO_OPENVINO_MESSAGES_H
