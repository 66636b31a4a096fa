# AddressSanitizer + UndefinedBehaviorSanitizer, as an INTERFACE target linked to our code.
add_library(moefit_sanitizers INTERFACE)
if(MOEFIT_SANITIZE)
  target_compile_options(moefit_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(moefit_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
