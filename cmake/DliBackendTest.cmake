# The registration of a backend's gtest (backends/<name>/tests), after
# dli_add_backend has set DLI_BACKEND_TARGET. Each backend's test data (a tiny
# network, the outputs its framework computes for it, broken files) is
# written into the folder ${CMAKE_CURRENT_BINARY_DIR}/tiny by CTest fixtures.
#
# dli_add_backend_fixture(NAME <backend> TEST <step> SETUP <fixture>
#                         [REQUIRES <fixture>...] [TIMEOUT <seconds>]
#                         SHARED_TINY_MODELS | COMMAND <command>...)
#   The CTest test <backend>.<step>, the setup of fixture <fixture>: runs
#   <command> with the tiny folder appended as its last argument.
#   SHARED_TINY_MODELS runs backends/sdk/testing/make_tiny_models.py with
#   Debian's Python instead. TIMEOUT defaults to 60.
#
# dli_add_backend_test(NAME <backend> [TEST <name>] [SOURCES <file>...]
#                      [EXTRA_INCLUDES <dir>...] [GTEST_FILTER <filter>]
#                      [FIXTURES_REQUIRED <fixture>...] [TIMEOUT <seconds>]
#                      [ENVIRONMENT <VAR=value>...])
#   The CTest test <backend>.<name> (default name: backend) running the gtest
#   executable <backend>_backend_test, with --gtest_filter=<filter> when
#   given. The first call for a backend builds the executable from SOURCES
#   with backends/sdk/testing (dli/backend_testing.h) and EXTRA_INCLUDES on its
#   include path, after the backend. The test sees DLI_TEST_BACKEND (the
#   backend), DLI_TEST_TINY_DIR (the tiny folder), DLI_MODELS_DIR (models/)
#   and ENVIRONMENT. TIMEOUT defaults to 120.
#
# Without GTest or nlohmann_json both register nothing, and the backend's
# tests are reported as not built.

# Sets `out` to whether the backend tests can be built, saying once per
# folder why not.
function(_dli_backend_test_packages backend out)
  find_package(GTest QUIET)
  find_package(nlohmann_json QUIET)
  if(GTest_FOUND AND nlohmann_json_FOUND)
    set(${out} TRUE PARENT_SCOPE)
    return()
  endif()
  set(${out} FALSE PARENT_SCOPE)
  get_property(reported DIRECTORY PROPERTY DLI_BACKEND_TESTS_REPORTED)
  if(NOT reported)
    message(STATUS "DLI backend '${backend}': tests not built "
                   "(needs libgtest-dev and nlohmann-json3-dev)")
    set_property(DIRECTORY PROPERTY DLI_BACKEND_TESTS_REPORTED TRUE)
  endif()
endfunction()

function(dli_add_backend_fixture)
  cmake_parse_arguments(ARG "SHARED_TINY_MODELS" "NAME;TEST;SETUP;TIMEOUT" "REQUIRES;COMMAND"
                        ${ARGN})
  _dli_backend_test_packages(${ARG_NAME} found)
  if(NOT found)
    return()
  endif()
  if(ARG_SHARED_TINY_MODELS)
    set(ARG_COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/backends/sdk/testing/make_tiny_models.py)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  set(test ${ARG_NAME}.${ARG_TEST})
  add_test(NAME ${test} COMMAND ${ARG_COMMAND} ${CMAKE_CURRENT_BINARY_DIR}/tiny)
  set_tests_properties(${test} PROPERTIES FIXTURES_SETUP ${ARG_SETUP} TIMEOUT ${ARG_TIMEOUT})
  if(ARG_REQUIRES)
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED "${ARG_REQUIRES}")
  endif()
endfunction()

function(dli_add_backend_test)
  cmake_parse_arguments(ARG "" "NAME;TEST;GTEST_FILTER;TIMEOUT"
                        "SOURCES;EXTRA_INCLUDES;FIXTURES_REQUIRED;ENVIRONMENT" ${ARGN})
  _dli_backend_test_packages(${ARG_NAME} found)
  if(NOT found)
    return()
  endif()
  set(target ${ARG_NAME}_backend_test)
  if(NOT TARGET ${target})
    add_executable(${target} ${ARG_SOURCES})
    target_include_directories(${target} PRIVATE
      ${PROJECT_SOURCE_DIR}/backends/sdk/testing ${ARG_EXTRA_INCLUDES})
    target_link_libraries(${target} PRIVATE
      dli_backend_sdk GTest::gtest_main nlohmann_json::nlohmann_json ${CMAKE_DL_LIBS})
    add_dependencies(${target} ${DLI_BACKEND_TARGET})
  endif()
  if(NOT ARG_TEST)
    set(ARG_TEST backend)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set(args)
  if(ARG_GTEST_FILTER)
    set(args --gtest_filter=${ARG_GTEST_FILTER})
  endif()
  set(test ${ARG_NAME}.${ARG_TEST})
  add_test(NAME ${test} COMMAND ${target} ${args})
  set(env
    "DLI_TEST_BACKEND=$<TARGET_FILE:${DLI_BACKEND_TARGET}>"
    "DLI_TEST_TINY_DIR=${CMAKE_CURRENT_BINARY_DIR}/tiny"
    "DLI_MODELS_DIR=${PROJECT_SOURCE_DIR}/models"
    ${ARG_ENVIRONMENT})
  set_tests_properties(${test} PROPERTIES TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "${env}")
  if(ARG_FIXTURES_REQUIRED)
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED "${ARG_FIXTURES_REQUIRED}")
  endif()
endfunction()
