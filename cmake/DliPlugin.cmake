# dli_add_plugin(NAME name SOURCES ...): a backend plugin, built as
# plugins/libdli_backend_<name>.so with the C ABI of include/dli/plugin_abi.h.
#
# dli_plugin_unavailable(name "reason"): records why a backend was not built,
# so that `dli info` can tell the user (plugins/dli_backend_<name>.unavailable).
function(dli_add_plugin)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES" ${ARGN})
  set(target dli_backend_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE dli_plugin_sdk)
  set_target_properties(${target} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${DLI_PLUGIN_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  file(REMOVE ${DLI_PLUGIN_DIR}/${target}.unavailable)
  set(DLI_PLUGIN_TARGET ${target} PARENT_SCOPE)
endfunction()

function(dli_plugin_unavailable name reason)
  message(STATUS "DLI backend '${name}' not built: ${reason}")
  file(WRITE ${DLI_PLUGIN_DIR}/dli_backend_${name}.unavailable "${reason}\n")
  file(REMOVE ${DLI_PLUGIN_DIR}/libdli_backend_${name}.so)
endfunction()
