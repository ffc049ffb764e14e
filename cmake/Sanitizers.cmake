# Build variants:
#   Release / Debug        -DCMAKE_BUILD_TYPE=...
#   ASan+UBSan             -DMCSEC_SANITIZE=ON
#   ThreadSanitizer        -DMCSEC_TSAN=ON (for the concurrency tests: ctest -L concurrency)
#   libFuzzer (clang)      -DMCSEC_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang
if(MCSEC_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "MCSEC_FUZZ needs clang (libFuzzer): configure with "
                            "-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang "
                            "(Debian packages clang and libclang-rt-14-dev)")
    endif()
    set(MCSEC_SANITIZE ON)
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(MCSEC_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                        -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()
if(MCSEC_TSAN)
    if(MCSEC_SANITIZE)
        message(FATAL_ERROR "MCSEC_TSAN and MCSEC_SANITIZE cannot be combined")
    endif()
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    add_link_options(-fsanitize=thread)
endif()
