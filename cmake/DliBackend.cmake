# dli_add_backend(NAME name SOURCES ...): a backend, built as
# lib/dli/libdli_backend_<name>.so with the C ABI of include/dli/backend_abi.h.
#
# dli_backend_unavailable(name "reason"): records why a backend was not built,
# so that `dli info` can tell the user (lib/dli/dli_backend_<name>.unavailable).
function(dli_add_backend)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES" ${ARGN})
  set(target dli_backend_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE dli_backend_sdk)
  set_target_properties(${target} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${DLI_BACKEND_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  file(REMOVE ${DLI_BACKEND_DIR}/${target}.unavailable)
  set(DLI_BACKEND_TARGET ${target} PARENT_SCOPE)
endfunction()

function(dli_backend_unavailable name reason)
  message(STATUS "DLI backend '${name}' not built: ${reason}")
  file(WRITE ${DLI_BACKEND_DIR}/dli_backend_${name}.unavailable "${reason}\n")
  file(REMOVE ${DLI_BACKEND_DIR}/libdli_backend_${name}.so)
endfunction()
