# Fails when the committed manifest differs from what host-sim generates now.
execute_process(COMMAND ${HOSTSIM} manifest -o ${GENERATED} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "host-sim manifest failed (${rc}): ${err}")
endif()
if(NOT EXISTS ${COMMITTED})
  message(FATAL_ERROR "${COMMITTED} is missing: run `cmake --build build --target manifest` and commit it")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${COMMITTED} ${GENERATED} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "manifests/ltx2-nodes.json is out of date with the node descriptors "
                      "(generated: ${GENERATED}): run `cmake --build build --target manifest` and commit it")
endif()
message(STATUS "manifest in sync")
