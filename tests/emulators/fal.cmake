# The fal.ai queue emulator: its sources (in ig_emulators), its playground
# binary and its suites. Paths are relative to tests/ (include()d there).
target_sources(ig_emulators PRIVATE
  emulators/fal_emulator.c
  emulators/fal_inputs.c
  emulators/fal_jobs.c)
add_executable(fal-emulator emulators/fal_emulator_main.c)
target_link_libraries(fal-emulator PRIVATE ig_emulators)
set_target_properties(fal-emulator PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/emulators")
ig_add_test(test_fal_emulator test_fal_emulator.c emulators/emu_test_util.c)
target_link_libraries(test_fal_emulator PRIVATE ig_emulators)
add_dependencies(test_fal_emulator fal-emulator)

# The fal backend end to end against this emulator.
ig_add_test(test_fal_backend test_fal_backend.c)
target_link_libraries(test_fal_backend PRIVATE ig_emulators)
