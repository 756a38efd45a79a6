# The OpenRouter emulator (chat completions with image output, the model
# list): its sources in ig_emulators, its playground binary and its suite.
# Included from tests/CMakeLists.txt; paths are relative to tests/.
target_sources(ig_emulators PRIVATE
  emulators/openrouter_emulator.c
  emulators/openrouter_errors.c
  emulators/openrouter_inputs.c
  emulators/openrouter_models.c
  emulators/openrouter_respond.c
  emulators/openrouter_validate.c)
add_executable(openrouter-emulator emulators/openrouter_emulator_main.c)
target_link_libraries(openrouter-emulator PRIVATE ig_emulators)
set_target_properties(openrouter-emulator PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/emulators")
ig_add_test(test_openrouter_emulator test_openrouter_emulator.c
  test_openrouter_emulator_validation.c test_openrouter_emulator_faults.c
  test_openrouter_emulator_util.c emulators/emu_test_util.c)
target_link_libraries(test_openrouter_emulator PRIVATE ig_emulators)
add_dependencies(test_openrouter_emulator openrouter-emulator)

# The OpenRouter backend end to end against this emulator.
ig_add_test(test_openrouter_backend test_openrouter_backend.c)
target_link_libraries(test_openrouter_backend PRIVATE ig_emulators)
