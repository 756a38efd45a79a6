# ig_embed_files(OUTPUT <file.c> NAMES <n1> <n2> ... FILES <f1> <f2> ...)
# Generates a C file holding each file's bytes (NUL-terminated) and a lookup
# table `ig_embedded_files[]` of {name, data, size}. Regenerated when any
# input changes.
set(IG_EMBED_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/embed_files_script.cmake")

function(ig_embed_files)
  cmake_parse_arguments(ARG "" "OUTPUT" "NAMES;FILES" ${ARGN})
  add_custom_command(
    OUTPUT "${ARG_OUTPUT}"
    COMMAND ${CMAKE_COMMAND} "-DOUTPUT=${ARG_OUTPUT}" "-DNAMES=${ARG_NAMES}"
            "-DFILES=${ARG_FILES}" -P "${IG_EMBED_SCRIPT}"
    DEPENDS ${ARG_FILES} "${IG_EMBED_SCRIPT}"
    COMMENT "Embedding ${ARG_NAMES}"
    VERBATIM)
endfunction()
