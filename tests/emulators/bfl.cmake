# The BFL FLUX emulator: its sources (in ig_emulators), its playground
# binary and its suites. Paths are relative to tests/ (include()d there).
target_sources(ig_emulators PRIVATE
  emulators/bfl_emulator.c
  emulators/bfl_fields.c
  emulators/bfl_validate.c
  emulators/bfl_body.c
  emulators/bfl_images.c
  emulators/bfl_tasks.c)
add_executable(bfl-emulator emulators/bfl_emulator_main.c)
target_link_libraries(bfl-emulator PRIVATE ig_emulators)
set_target_properties(bfl-emulator PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/emulators")
ig_add_test(test_bfl_emulator test_bfl_emulator.c test_bfl_emulator_validation.c
  test_bfl_emulator_faults.c test_bfl_emulator_access.c
  emulators/bfl_test_util.c emulators/emu_test_util.c)
target_link_libraries(test_bfl_emulator PRIVATE ig_emulators)
add_dependencies(test_bfl_emulator bfl-emulator)

# The Black Forest Labs backend end to end against this emulator.
ig_add_test(test_bfl_backend test_bfl_backend.c)
target_link_libraries(test_bfl_backend PRIVATE ig_emulators)
