# dli_add_python_backend(NAME name VENV venv REQUIRES module SOURCES ...)
#
# A backend that drives its framework's Python API through an
# embedded CPython (see include/dli/python_bridge.h). The backend is built
# when ${DLI_VENV_ROOT}/<venv> exists and its interpreter can import
# <module>; otherwise the backend is recorded as unavailable with the reason.
# The embedded libpython is the one of the venv's own base interpreter, asked
# from that interpreter, so compiled extension modules in the venv match it.
#
# This folder has no CMakeLists.txt on purpose: backends/CMakeLists.txt adds
# every folder that has one as a backend; bridged backends include this file.
include_guard(GLOBAL)

set(DLI_PYTHON_BRIDGE_DIR ${CMAKE_CURRENT_LIST_DIR})

# Asks the venv's interpreter for its headers and libpython, and whether it
# can find `module`; sets <prefix>_ERROR (empty when usable), _INCLUDE_DIR
# and _LIBRARY in the caller's scope.
function(_dli_query_venv_python prefix venv_dir module)
  set(python ${venv_dir}/bin/python)
  if(NOT EXISTS ${python})
    set(${prefix}_ERROR
        "virtual environment ${venv_dir} not found: run scripts/setup.sh"
        PARENT_SCOPE)
    return()
  endif()
  execute_process(
    COMMAND ${python} -c [=[
import importlib.util, os, sys, sysconfig
library = os.path.join(sysconfig.get_config_var("LIBDIR"),
                       sysconfig.get_config_var("LDLIBRARY"))
found = importlib.util.find_spec(sys.argv[1]) is not None
print(sysconfig.get_path("include"), library, int(found), sep=";", end="")
]=] ${module}
    OUTPUT_VARIABLE answer ERROR_VARIABLE error RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    set(${prefix}_ERROR "${python} failed: ${error}" PARENT_SCOPE)
    return()
  endif()
  list(GET answer 0 include_dir)
  list(GET answer 1 library)
  list(GET answer 2 module_found)
  if(NOT module_found)
    set(${prefix}_ERROR
        "Python module '${module}' is missing in ${venv_dir}: run scripts/setup.sh"
        PARENT_SCOPE)
  elseif(NOT EXISTS ${include_dir}/Python.h OR NOT EXISTS ${library})
    set(${prefix}_ERROR
        "Python headers or ${library} missing: install Debian's python3-dev"
        PARENT_SCOPE)
  else()
    set(${prefix}_ERROR "" PARENT_SCOPE)
  endif()
  set(${prefix}_INCLUDE_DIR ${include_dir} PARENT_SCOPE)
  set(${prefix}_LIBRARY ${library} PARENT_SCOPE)
endfunction()

# The bridge's shared code, compiled once and linked into every bridged
# backend (each backend gets its own copy of the bridge's state).
function(_dli_python_bridge_library include_dir library)
  add_library(dli_python_bridge STATIC
    ${DLI_PYTHON_BRIDGE_DIR}/src/python_bridge.cpp
    ${DLI_PYTHON_BRIDGE_DIR}/src/python_runtime.cpp)
  target_include_directories(dli_python_bridge
    PUBLIC ${DLI_PYTHON_BRIDGE_DIR}/include
    PRIVATE ${include_dir})
  target_link_libraries(dli_python_bridge PUBLIC dli_backend_sdk ${library}
                                          PRIVATE ${CMAKE_DL_LIBS})
  target_compile_options(dli_python_bridge PRIVATE -Wall -Wextra)
  target_compile_definitions(dli_python_bridge PRIVATE
    DLI_BRIDGE_VENV_ROOT="${DLI_VENV_ROOT}"
    DLI_BRIDGE_PYTHON_DIR="${PROJECT_SOURCE_DIR}/python")
  set_target_properties(dli_python_bridge PROPERTIES
    DLI_PYTHON_LIBRARY ${library}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()

function(dli_add_python_backend)
  cmake_parse_arguments(ARG "" "NAME;VENV;REQUIRES" "SOURCES" ${ARGN})
  _dli_query_venv_python(venv_python ${DLI_VENV_ROOT}/${ARG_VENV} ${ARG_REQUIRES})
  if(venv_python_ERROR)
    dli_backend_unavailable(${ARG_NAME} "${venv_python_ERROR}")
    set(DLI_BACKEND_TARGET "" PARENT_SCOPE)
    return()
  endif()
  if(NOT TARGET dli_python_bridge)
    _dli_python_bridge_library(${venv_python_INCLUDE_DIR} ${venv_python_LIBRARY})
  endif()
  get_target_property(bridge_library dli_python_bridge DLI_PYTHON_LIBRARY)
  if(NOT bridge_library STREQUAL venv_python_LIBRARY)
    dli_backend_unavailable(${ARG_NAME} "its venv embeds ${venv_python_LIBRARY}, \
another bridged backend ${bridge_library}: make every venv from /usr/bin/python3")
    set(DLI_BACKEND_TARGET "" PARENT_SCOPE)
    return()
  endif()
  dli_add_backend(NAME ${ARG_NAME} SOURCES ${ARG_SOURCES})
  target_link_libraries(${DLI_BACKEND_TARGET} PRIVATE dli_python_bridge)
  target_compile_options(${DLI_BACKEND_TARGET} PRIVATE -Wall -Wextra)
  target_compile_definitions(${DLI_BACKEND_TARGET} PRIVATE
    DLI_PYTHON_VENV_NAME="${ARG_VENV}")
  set(DLI_BACKEND_TARGET ${DLI_BACKEND_TARGET} PARENT_SCOPE)
endfunction()
