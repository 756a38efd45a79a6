# The Stability AI v2beta emulator: sources, playground binary and suites
# (included from tests/CMakeLists.txt; paths are relative to tests/).
target_sources(ig_emulators PRIVATE
  emulators/stability_emulator.c
  emulators/stability_errors.c
  emulators/stability_form.c
  emulators/stability_jobs.c
  emulators/stability_respond.c
  emulators/stability_validate.c
  emulators/stability_validate_edit.c
  emulators/stability_validate_upscale.c)
add_executable(stability-emulator emulators/stability_emulator_main.c)
target_link_libraries(stability-emulator PRIVATE ig_emulators)
set_target_properties(stability-emulator PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/emulators")
ig_add_test(test_stability_emulator test_stability_emulator.c
  test_stability_emulator_async.c test_stability_emulator_validation.c
  test_stability_emulator_faults.c test_stability_emulator_util.c)
target_link_libraries(test_stability_emulator PRIVATE ig_emulators)
add_dependencies(test_stability_emulator stability-emulator)

# The Stability backend end to end against this emulator.
ig_add_test(test_stability_backend test_stability_backend.c)
target_link_libraries(test_stability_backend PRIVATE ig_emulators)
