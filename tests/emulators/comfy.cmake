# The ComfyUI emulator: its sources (in ig_emulators), its playground binary
# and its suites. Paths are relative to tests/ (include()d there).
target_sources(ig_emulators PRIVATE
  emulators/comfy_emulator.c
  emulators/comfy_nodes.c
  emulators/comfy_validate.c
  emulators/comfy_queue.c
  emulators/comfy_ws.c)
add_executable(comfyui-emulator emulators/comfy_emulator_main.c)
target_link_libraries(comfyui-emulator PRIVATE ig_emulators)
set_target_properties(comfyui-emulator PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/emulators")
ig_add_test(test_comfy_emulator test_comfy_emulator.c test_comfy_emulator_ws.c
  emulators/comfy_test_util.c)
target_link_libraries(test_comfy_emulator PRIVATE ig_emulators)
add_dependencies(test_comfy_emulator comfyui-emulator)

# The local Stable Diffusion backend's ComfyUI client end to end against it.
ig_add_test(test_sd_comfy_backend test_sd_comfy_backend.c)
target_link_libraries(test_sd_comfy_backend PRIVATE ig_emulators)

# The progress socket's frame parser fed crafted frames over a socketpair.
ig_add_test(test_sd_comfy_ws test_sd_comfy_ws.c)
