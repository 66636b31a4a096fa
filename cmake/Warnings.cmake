# Warnings for our own code only (never for dependencies); errors with MOEFIT_WERROR (CI).
add_library(moefit_warnings INTERFACE)
target_compile_options(moefit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false -Wrestrict/-Wstringop-overflow hits inside libstdc++'s std::string
  # concatenation at -O2 (GCC bug 105329); they are not about our code.
  target_compile_options(moefit_warnings INTERFACE -Wno-restrict -Wno-stringop-overflow)
  # Built with precompiled headers, GCC 12 inlines std::string's copy differently and reports a
  # false -Warray-bounds and -Wstringop-overread inside char_traits.h (src/engine/fit.cpp's push_back of a literal);
  # the sanitizer build checks bounds at run time instead.
  if(MOEFIT_PCH)
    target_compile_options(moefit_warnings INTERFACE -Wno-array-bounds -Wno-stringop-overread)
  endif()
  # With -fsanitize=address GCC 12 also reports -Wmaybe-uninitialized inside libstdc++'s
  # std::regex / std::function (src/spec/hf_quant.cpp); the plain build keeps the warning.
  if(MOEFIT_SANITIZE)
    target_compile_options(moefit_warnings INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()
if(MOEFIT_WERROR)
  target_compile_options(moefit_warnings INTERFACE -Werror)
endif()
