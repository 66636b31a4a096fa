# moefit_embed(OUTPUT file.cpp NAMESPACE ns FUNCTION fn FILES a.toml b.toml ...)
# Generates a C++ source with `std::span<const EmbeddedFile> ns::fn()` holding each file's
# name and text, so the binary works from any folder. Regenerated when a file changes.
set(MOEFIT_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/EmbedFiles.cmake)
function(moefit_embed)
  cmake_parse_arguments(E "" "OUTPUT;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  string(REPLACE ";" "|" files_arg "${E_FILES}")
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${E_OUTPUT} -DNAMESPACE=${E_NAMESPACE} -DFUNCTION=${E_FUNCTION}
            "-DFILES=${files_arg}" -P ${MOEFIT_EMBED_SCRIPT}
    DEPENDS ${E_FILES} ${MOEFIT_EMBED_SCRIPT}
    COMMENT "Embedding ${E_FUNCTION}"
    VERBATIM)
endfunction()
