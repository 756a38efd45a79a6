# The local provider's neural upscaler: OpenBLAS, and the weights file the
# build converts from the npm package that scripts/setup.sh installs.
#
# OpenBLAS: Debian's pthread build, linked by full path with an RPATH to its
# directory, so the loader does not swap in another variant through
# Debian's alternatives (the serial one is not documented as safe for
# concurrent callers; concurrent tool calls are normal for a host).
set(IG_OPENBLAS_DIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread")
find_library(IG_OPENBLAS_LIBRARY openblas PATHS "${IG_OPENBLAS_DIR}" NO_DEFAULT_PATH)
find_path(IG_OPENBLAS_INCLUDE cblas.h
          PATHS "/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread" NO_DEFAULT_PATH)
if(NOT IG_OPENBLAS_LIBRARY OR NOT IG_OPENBLAS_INCLUDE)
  message(FATAL_ERROR "OpenBLAS (pthread) not found: run `bash scripts/setup.sh` "
                      "(it installs libopenblas-pthread-dev)")
endif()
add_library(ig_openblas INTERFACE)
target_link_libraries(ig_openblas INTERFACE "${IG_OPENBLAS_LIBRARY}")
target_include_directories(ig_openblas SYSTEM INTERFACE "${IG_OPENBLAS_INCLUDE}")
target_link_options(ig_openblas INTERFACE "LINKER:-rpath,${IG_OPENBLAS_DIR}")

# The weights: model.json + shard (TF.js, uint8-quantised) -> rdn_format.h.
set(IG_RDN_MODEL_DIR
    "${PROJECT_SOURCE_DIR}/data/models/node_modules/@upscalerjs/models/models/idealo/psnr-small-quant-uint8")
if(NOT EXISTS "${IG_RDN_MODEL_DIR}/model.json")
  message(FATAL_ERROR "The neural upscaler's weights are missing (${IG_RDN_MODEL_DIR}): "
                      "run `bash scripts/setup.sh` (it runs npm ci in data/models)")
endif()
add_executable(rdn_convert "${PROJECT_SOURCE_DIR}/providers/local/rdn_convert.c")
target_include_directories(rdn_convert PRIVATE "${PROJECT_SOURCE_DIR}")
target_link_libraries(rdn_convert PRIVATE PkgConfig::CJSON)
set(IG_RDN_WEIGHTS_FILE "${IG_STAGE_DIR}/weights/rdn-psnr-small-x2.bin")
add_custom_command(
  OUTPUT "${IG_RDN_WEIGHTS_FILE}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${IG_STAGE_DIR}/weights"
  COMMAND rdn_convert "${IG_RDN_MODEL_DIR}" "${IG_RDN_WEIGHTS_FILE}"
  DEPENDS rdn_convert "${IG_RDN_MODEL_DIR}/model.json"
          "${IG_RDN_MODEL_DIR}/group1-shard1of1.bin"
  COMMENT "Converting the RDN psnr-small weights")
add_custom_target(ig_rdn_weights ALL DEPENDS "${IG_RDN_WEIGHTS_FILE}")
install(FILES "${IG_RDN_WEIGHTS_FILE}" DESTINATION "${IG_INSTALL_EXT_DIR}/weights")
