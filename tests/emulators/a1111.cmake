# The AUTOMATIC1111 web UI emulator: its sources (in ig_emulators), its
# playground binary and its suites. Paths are relative to tests/ (include()d there).
target_sources(ig_emulators PRIVATE
  emulators/a1111_emulator.c
  emulators/a1111_validate.c
  emulators/a1111_jobs.c
  emulators/a1111_generate.c)
add_executable(a1111-emulator emulators/a1111_emulator_main.c)
target_link_libraries(a1111-emulator PRIVATE ig_emulators)
set_target_properties(a1111-emulator PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/emulators")
ig_add_test(test_a1111_emulator test_a1111_emulator.c emulators/emu_test_util.c)
target_link_libraries(test_a1111_emulator PRIVATE ig_emulators)
add_dependencies(test_a1111_emulator a1111-emulator)

# The local Stable Diffusion backend's A1111 client end to end against it.
ig_add_test(test_sd_a1111_backend test_sd_a1111_backend.c)
target_link_libraries(test_sd_a1111_backend PRIVATE ig_emulators)

# Concurrent calls and a cancel through the A1111 client: a plain program,
# so that a ThreadSanitizer build (IG_TSAN) can run it.
add_executable(stress_sd_a1111 stress_sd_a1111.c)
target_link_libraries(stress_sd_a1111 PRIVATE ig_emulators)
add_test(NAME stress_sd_a1111 COMMAND stress_sd_a1111)
set_tests_properties(stress_sd_a1111 PROPERTIES TIMEOUT 300)
