# Warnings are errors everywhere; sanitizers on request: IG_SANITIZE
# (AddressSanitizer + UBSan) or IG_TSAN (ThreadSanitizer), not both.
add_compile_options(-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
                    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>)
add_compile_definitions(_GNU_SOURCE)

if(IG_SANITIZE)
  set(IG_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                         -fno-omit-frame-pointer)
  add_compile_options(${IG_SANITIZER_FLAGS})
  add_link_options(${IG_SANITIZER_FLAGS})
endif()

if(IG_TSAN)
  if(IG_SANITIZE)
    message(FATAL_ERROR "IG_TSAN and IG_SANITIZE cannot be combined")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
