# The Replicate predictions emulator: its sources (in ig_emulators), its
# playground binary and its suites. Paths are relative to tests/ (include()d there).
target_sources(ig_emulators PRIVATE
  emulators/replicate_emulator.c
  emulators/replicate_inputs.c
  emulators/replicate_predictions.c)
add_executable(replicate-emulator emulators/replicate_emulator_main.c)
target_link_libraries(replicate-emulator PRIVATE ig_emulators)
set_target_properties(replicate-emulator PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/emulators")
ig_add_test(test_replicate_emulator test_replicate_emulator.c
  test_replicate_emulator_faults.c emulators/replicate_test_util.c)
target_link_libraries(test_replicate_emulator PRIVATE ig_emulators)
target_compile_definitions(test_replicate_emulator PRIVATE
  IG_REPLICATE_SPEC="${PROJECT_SOURCE_DIR}/../shared/specs/replicate.openapi.json")
add_dependencies(test_replicate_emulator replicate-emulator)

# The Replicate backend end to end against this emulator.
ig_add_test(test_replicate_backend test_replicate_backend.c emulators/replicate_test_util.c)
target_link_libraries(test_replicate_backend PRIVATE ig_emulators)
target_compile_definitions(test_replicate_backend PRIVATE
  IG_REPLICATE_SPEC="${PROJECT_SOURCE_DIR}/../shared/specs/replicate.openapi.json")
