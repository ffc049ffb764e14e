# Strict warnings for mcsec's own targets only (never for third-party headers).
add_library(mcsec_warnings INTERFACE)
target_compile_options(mcsec_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    # GCC 12 reports false -Wrestrict positives inside libstdc++ string code (GCC bug 105329).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
