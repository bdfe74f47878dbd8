# Checks that each module under src/ includes only headers of the modules it
# may depend on: core <- accuracy <- exec, report, store <- study, and
# core <- machine (the host's state) <- exec (the worker records the machine
# around its measured window), study; core <- tune (launch-parameter
# tuning) <- study. Run as
# cmake -DSOURCE_DIR=<repo> -P module_dependencies.cmake.
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST)
set(allowed_core core)
set(allowed_accuracy core accuracy)
set(allowed_exec core accuracy machine exec)
set(allowed_report core accuracy report)
set(allowed_store core accuracy store)
set(allowed_machine core machine)
set(allowed_study core accuracy exec report store machine study tune)
set(allowed_tune core tune)
set(modules core accuracy exec report store machine study tune)

set(problems "")
foreach(module ${modules})
  file(GLOB sources ${SOURCE_DIR}/src/${module}/*.h ${SOURCE_DIR}/src/${module}/*.cpp)
  foreach(source ${sources})
    file(STRINGS ${source} includes REGEX "^#include \"[a-z_]+/")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" used "${line}")
      if(NOT used IN_LIST modules)
        continue()  # not a module: dli/ (the backend ABI)
      endif()
      if(NOT used IN_LIST allowed_${module})
        file(RELATIVE_PATH name ${SOURCE_DIR} ${source})
        string(APPEND problems "\n  ${name}: ${line} (${module} may use: ${allowed_${module}})")
      endif()
    endforeach()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "modules include headers against the dependency direction:${problems}")
endif()
