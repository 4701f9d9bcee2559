# Runs the spirals toy program and checks its picture with xmllint: well-formed, with the decision regions
# (paths) and one dot per training point (1500 = 75% of 2000).
file(REMOVE ${SVG})
execute_process(COMMAND ${PROGRAM} ${SVG} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "spirals exited with ${status}")
endif()
execute_process(COMMAND xmllint --nonet --xpath "count(//*[local-name()='circle'])" ${SVG}
  RESULT_VARIABLE lint OUTPUT_VARIABLE circles)
if(NOT lint EQUAL 0 OR NOT circles EQUAL 1500)
  message(FATAL_ERROR "${SVG}: xmllint status ${lint}, ${circles} circles (expected 1500)")
endif()
execute_process(COMMAND xmllint --nonet --xpath "count(//*[local-name()='path'])" ${SVG} OUTPUT_VARIABLE paths)
if(paths LESS 2)
  message(FATAL_ERROR "${SVG}: ${paths} region paths, expected at least one per class")
endif()
